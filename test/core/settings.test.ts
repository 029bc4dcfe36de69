import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SETTING_KEYS, parseSettings } from "../../core/settings";

describe("settings", () => {
    it("defaults everything but the app", () => {
        expect(parseSettings("staging", { app: "raxx-api-staging" })).toEqual({
            app: "raxx-api-staging",
            database: "DATABASE",
            role: "raptor_app",
            schema: "public",
            urlDelivery: "attachment",
            roleSeparation: false,
        });
    });

    it("accepts DATABASE_URL as the attachment DATABASE", () => {
        expect(parseSettings("staging", { app: "raxx-api-staging", database: "DATABASE_URL" }).database).toBe(
            "DATABASE",
        );
    });

    it("requires prod's soak evidence to come from this project's staging stack", () => {
        expect(() => parseSettings("prod", { app: "raxx-api-prod", soakStack: "acme/other-project/staging" })).toThrow(
            `raptor:soakStack = "acme/other-project/staging": ` +
                "prod's soak evidence must come from this project's staging stack",
        );
        expect(parseSettings("prod", { app: "raxx-api-prod", soakStack: "acme/raptor/staging" }).soakStack).toBe(
            "acme/raptor/staging",
        );
    });

    it("reports every bad value at once", () => {
        expect(() => parseSettings("staging", { app: "Raxx", urlDelivery: "x", roleSeparation: "1" })).toThrow(
            /raptor:app = "Raxx"[\s\S]*raptor:urlDelivery = "x"[\s\S]*raptor:roleSeparation = "1"/,
        );
    });

    it.each(["default", "postgres", "pg_monitor"])("refuses the reserved role name %s", (role) => {
        expect(() => parseSettings("staging", { app: "raxx-api-staging", role })).toThrow(
            `raptor:role = "${role}": that name is reserved`,
        );
    });
});

describe("Pulumi.yaml's config block", () => {
    const root = path.join(__dirname, "..", "..");
    const doc = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    const declared = doc.config as Record<string, { default?: unknown; description?: string }>;
    /**
     * Read by the program or the pack but optional with no default: the CLI requires every declared key of the
     * project's namespace that has no default (pulumi sdk/go/common/workspace/config.go; seen with the real CLI:
     * "Stack 'staging' is missing configuration values 'raptor:ownerDatabaseUrl' and 'raptor:soakStack'"),
     * so these are documented in comments instead.
     */
    const UNDECLARED = [
        "ownerDatabaseUrl",
        "pool",
        "signoff",
        "soakStack",
        "healthUrl",
        "logPatterns",
        "sentryProject",
        "sentryEnvironment",
        "smokeCommand",
        "soakEvidence",
    ];
    const stackFiles = fs.readdirSync(root).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f));

    it("documents every setting the program reads, with the same default", () => {
        for (const [key, { default: def }] of Object.entries(SETTING_KEYS)) {
            if (UNDECLARED.includes(key)) {
                expect(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"), key).toMatch(
                    new RegExp(`# raptor:${key} \\(`),
                );
                continue;
            }
            const entry = declared[`raptor:${key}`];
            expect(entry?.description, key).toBeTruthy();
            expect(entry.default === undefined ? undefined : String(entry.default), key).toBe(def);
        }
    });

    it("declares nothing the program does not read", () => {
        expect(
            Object.keys(declared)
                .map((k) => k.replace(/^raptor:/, ""))
                .sort(),
        ).toEqual(
            Object.keys(SETTING_KEYS)
                .filter((k) => !UNDECLARED.includes(k))
                .sort(),
        );
    });

    it("declares no key without a default that a stack file leaves unset, which the CLI would refuse", () => {
        expect(stackFiles.sort()).toEqual(["Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
        for (const file of stackFiles) {
            const set = Object.keys(parse(fs.readFileSync(path.join(root, file), "utf8")).config ?? {});
            const missing = Object.entries(declared).filter(([k, v]) => v.default === undefined && !set.includes(k));
            expect(
                missing.map(([k]) => k),
                file,
            ).toEqual([]);
        }
    });
});

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
            `raptor:soakStack = "acme/other-project/staging": prod's soak evidence must come from this project's ` +
                `staging stack`,
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
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8"));
    const declared = doc.config as Record<string, { default?: unknown; description?: string }>;

    it("documents every setting the program reads, with the same default", () => {
        for (const [key, { default: def }] of Object.entries(SETTING_KEYS)) {
            if (key === "signoff") {
                continue; // structured, read by the policy pack; Pulumi project config cannot declare an object type
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
                .filter((k) => k !== "signoff")
                .sort(),
        );
    });
});

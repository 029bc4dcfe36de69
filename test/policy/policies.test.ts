/**
 * The policy pack over the real program under mocks: the scenario table
 * (test/support/policy-scenarios.ts, also run through `run-policy-pack` by
 * grpc.test.ts) as an update and as a preview, each blocked case naming
 * its policy and a distinctive part of the message, plus the guards that make
 * the table meaningful.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { TYPES } from "../../core/resources";
import { Violation } from "../../offline/evaluate";
import { createPolicies } from "../../policy/policies";
import { changesHerokuOrDatabase } from "../../policy/signoff";
import { Recorded } from "../support/mocks";
import {
    NOW,
    PROD_CONFIG,
    STAGING_CONFIG,
    declared,
    evaluate,
    fingerprintOf,
    hoursBefore,
    mandatory,
} from "../support/policy-harness";
import { SCENARIOS } from "../support/policy-scenarios";

const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
const EVIDENCE_73H = { roleSeparationEnabledAt: hoursBefore(73) };
const blockers = (vs: Violation[]) => [...new Set(mandatory(vs).map((v) => v.policy))].sort();

/** The first resource in declaration order whose step can change Heroku or the database: the engine's first step. */
const firstStep = (rs: readonly Recorded[]) => rs.find((r) => changesHerokuOrDatabase(r))!;

describe.each(["update", "preview"] as const)("the policy pack over the declared resources (%s)", (mode) => {
    it.each(SCENARIOS.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
        const s = await c.setup(mode, NOW);
        const over = { policyConfig: s.policyConfig, stackOutputs: s.outputs };
        const violations = await evaluate(s.resources, s.stack, s.stackConfig, over);
        // A mandatory policy that cannot decide reports it as mandatory: nothing degrades to advisory.
        expect(violations.filter((v) => v.level !== "mandatory")).toEqual([]);
        if (c.blockedBy === undefined) {
            expect(violations).toEqual([]);
            return;
        }
        expect(blockers(violations)).toEqual([...c.blockedBy].sort());
        const messages = violations.filter((v) => v.policy === c.blockedBy![0]).map((v) => v.message);
        for (const part of c.says!(s, mode)) {
            expect(
                messages.some((m) => (typeof part === "string" ? m.includes(part) : part.test(m))),
                `${String(part)} in\n${messages.join("\n")}`,
            ).toBe(true);
        }
        const first = firstStep(s.resources);
        const atFirst = violations.filter(
            (v) => v.phase === "resource" && v.urn === first.urn && v.policy === "prod-signoff",
        );
        expect(atFirst.length > 0, `first step ${first.name} blocked`).toBe(c.blocksFirstStep === true);
    });
});

describe("what makes the table meaningful", () => {
    it.each([
        ["staging", "staging", STAGING_CONFIG],
        ["prod (flag off)", "prod", PROD_CONFIG],
        ["prod (flag on)", "prod", FLAG_ON],
    ] as const)(
        "the policy recomputes the %s program's own fingerprint from its resources",
        async (_label, stack, config) => {
            const { resources, outputs } = await declared({ stack, config, soakOutputs: EVIDENCE_73H });
            expect(fingerprintOf(resources)).toBe(outputs.fingerprint);
        },
    );

    it("the emergency stop deploys a fingerprint other than the one signed", async () => {
        const on = await declared({ stack: "prod", config: FLAG_ON, soakOutputs: EVIDENCE_73H });
        const off = await declared({ stack: "prod", config: PROD_CONFIG });
        expect(fingerprintOf(off.resources)).not.toBe(fingerprintOf(on.resources));
    });

    it("the soak evidence is read at the injected time, not the wall clock", () => {
        expect(NOW.getTime()).toBeLessThan(Date.now() - 3600_000);
    });

    it("component resources reach the policies with the custom ones", async () => {
        const { resources } = await declared({ stack: "staging", config: STAGING_CONFIG });
        expect(
            resources
                .filter((r) => r.type.startsWith("raptor:"))
                .map((r) => r.type)
                .sort(),
        ).toEqual([
            "raptor:heroku:PostgresAddon",
            "raptor:heroku:RaptorCredential",
            "raptor:heroku:RoleSeparationFlag",
            "raptor:heroku:UrlDelivery",
            "raptor:postgres:RaptorGrants",
        ]);
        expect(resources.some((r) => r.type === TYPES.grant)).toBe(true);
    });
});

describe("the pack's configuration", () => {
    const file = JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "config.json"), "utf8"));

    it("policy/config.json keeps the shared classification's append-only and locked lists", () => {
        expect(file["append-only-invariant"]).toEqual({
            appendOnly: [...RAPTOR_CLASSIFICATION.appendOnly],
            locked: [...RAPTOR_CLASSIFICATION.locked],
        });
    });

    it("every key in policy/config.json belongs to a policy that declares it in its configSchema", () => {
        const schemas = new Map(createPolicies().map((p) => [p.name, Object.keys(p.configSchema?.properties ?? {})]));
        for (const [policy, entry] of Object.entries(file as Record<string, object>)) {
            expect(schemas.get(policy), policy).toEqual(expect.arrayContaining(Object.keys(entry)));
        }
        expect(file["soak-before-prod"]).toEqual({ soakHours: 72 });
        // Signed sign-offs only; the operators' keys are added per deployment (docs/operating.md: adding an operator).
        expect(file["prod-signoff"]).toMatchObject({
            requireSignature: true,
            maxAgeHours: 168,
            allowedSigners: expect.any(Array),
        });
    });

    it("every policy has a kebab-case name, a one-sentence description and an explicit mandatory level", () => {
        const all = createPolicies();
        expect(all.map((p) => p.name)).toEqual([
            "prod-signoff",
            "soak-before-prod",
            "append-only-invariant",
            "no-all-tables-grant",
            "no-credential-on-essential",
            "secrets-stay-secret",
            "credential-retained",
        ]);
        for (const p of all) {
            expect(p.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
            expect(p.description, p.name).toMatch(/^[A-Z][^.]*(\.[^ .][^.]*)*\.$/);
            expect(p.enforcementLevel, p.name).toBe("mandatory");
        }
    });

    it("the pack's package.json names it and carries the version the PolicyPack needs", () => {
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "package.json"), "utf8"));
        const root = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
        expect(pkg).toMatchObject({ name: "raptor-policy", main: "index.ts" });
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies).toEqual({
            "@pulumi/policy": root.dependencies["@pulumi/policy"],
            "@pulumi/pulumi": root.dependencies["@pulumi/pulumi"],
            // ts-node compiles the pack with its tsconfig, which needs both.
            "@types/node": root.devDependencies["@types/node"],
            typescript: root.dependencies["typescript"],
        });
    });
});

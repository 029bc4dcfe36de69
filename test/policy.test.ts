/**
 * The policy pack over the real program under mocks: the scenario
 * table, each blocked case naming its policy and a distinctive part of the
 * message, plus the guards that make the table meaningful.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { TYPES } from "../core/resources";
import { Violation } from "../policy/evaluate";
import { createPolicies } from "../policy/policies";
import { Recorded } from "./support/mocks";
import {
    GRANT_ROLE, NOW, PROD_CONFIG, PSQL_GRANT_UPDATE, STAGING_CONFIG, added, declared, edit, evaluate, fingerprintOf, hoursBefore,
    mandatory, signoff, step, tableGrant, variant,
} from "./support/policy-harness";

interface Setup {
    resources: Recorded[];
    stack: string;
    stackConfig: Record<string, unknown>;
}
interface Case {
    name: string;
    setup: () => Promise<Setup>;
    /** Omitted: the case passes (no mandatory violation). Else the policies that block it, the first one asserted on. */
    blockedBy?: string[];
    /** Each must occur in one message of blockedBy[0]. */
    says?: (setup: Setup) => (string | RegExp)[];
}

const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
const EVIDENCE_73H = { roleSeparationEnabledAt: hoursBefore(73) };
const AUDIT_MOVED = {
    ...RAPTOR_CLASSIFICATION,
    application: [...RAPTOR_CLASSIFICATION.application, "customer_audit_events"],
    appendOnly: RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "customer_audit_events"),
};

/** Prod with a sign-off of exactly what it declares. */
async function signedProd(config: Record<string, string>, extra: Partial<Parameters<typeof declared>[0]> = {}): Promise<Setup> {
    const { resources } = await declared({ stack: "prod", config, ...extra });
    return { resources, stack: "prod", stackConfig: { ...config, signoff: signoff(fingerprintOf(resources)) } };
}
async function staging(config: Record<string, string> = STAGING_CONFIG): Promise<Setup> {
    const { resources } = await declared({ stack: "staging", config });
    return { resources, stack: "staging", stackConfig: config };
}
const current = (s: Setup) => fingerprintOf(s.resources);
/** The program's own prod change, signed, with `change` applied after the sign-off was given. */
async function changedAfterSignoff(change: (rs: Recorded[]) => Recorded[]): Promise<Setup> {
    const s = await signedProd(PROD_CONFIG);
    return { ...s, resources: change(s.resources) };
}
const sneakyCommand = (environment: Record<string, unknown> = {}, opts: Record<string, unknown> = {}) =>
    added("prod", TYPES.command, "raptor-sneaky", { interpreter: ["/bin/bash", "-c"], create: PSQL_GRANT_UPDATE, environment, logging: "none" }, opts);

const CASES: Case[] = [
    {
        name: "staging without sign-off (flag on) passes",
        setup: () => staging({ ...STAGING_CONFIG, roleSeparation: "true" }),
    },
    {
        name: "prod without sign-off is blocked",
        setup: async () => ({ ...(await signedProd(PROD_CONFIG)), stackConfig: PROD_CONFIG }),
        blockedBy: ["prod-signoff"],
        says: (s) => ["raptor:signoff is not set", current(s), "npx raptor-roles plan --stack prod", "pulumi config set --path raptor:signoff.fingerprint"],
    },
    {
        name: "prod with another change's fingerprint is blocked",
        setup: async () => {
            const other = await declared({ stack: "prod", config: { ...PROD_CONFIG, urlDelivery: "config-var" } });
            const s = await signedProd(PROD_CONFIG);
            return { ...s, stackConfig: { ...PROD_CONFIG, signoff: signoff(fingerprintOf(other.resources)) } };
        },
        blockedBy: ["prod-signoff"],
        says: (s) => ["sign-off is for another change", (s.stackConfig.signoff as { fingerprint: string }).fingerprint, `have fingerprint ${current(s)}`],
    },
    {
        name: "prod with a matching sign-off by an allowed operator passes",
        setup: () => signedProd(PROD_CONFIG),
    },
    {
        name: "prod signed off by an operator not on the allowlist is blocked",
        setup: async () => {
            const s = await signedProd(PROD_CONFIG);
            return { ...s, stackConfig: { ...PROD_CONFIG, signoff: signoff(current(s), { operator: "mallory@raxx.app" }) } };
        },
        blockedBy: ["prod-signoff"],
        says: () => ['"mallory@raxx.app"', "not on the pack's operators allowlist (operator@raxx.app)", "npx raptor-roles plan"],
    },
    {
        name: "the emergency stop (flag off) under the enabled state's sign-off passes",
        setup: async () => {
            const enabled = await signedProd(FLAG_ON, { soakOutputs: EVIDENCE_73H });
            const { resources } = await declared({ stack: "prod", config: PROD_CONFIG });
            return { resources, stack: "prod", stackConfig: { ...PROD_CONFIG, signoff: enabled.stackConfig.signoff } };
        },
    },
    {
        name: "flag on in prod without soak evidence is blocked",
        setup: () => signedProd(FLAG_ON, { soakOutputs: {} }),
        blockedBy: ["soak-before-prod"],
        says: () => ["organization/raptor/staging has no roleSeparationEnabledAt", "at least 72 h", "pulumi stack output roleSeparationEnabledAt"],
    },
    {
        name: "flag on in prod with 73 h of staging soak passes",
        setup: () => signedProd(FLAG_ON, { soakOutputs: EVIDENCE_73H }),
    },
    {
        name: "flag on in prod with only 10 h of staging soak is blocked",
        setup: () => signedProd(FLAG_ON, { soakOutputs: { roleSeparationEnabledAt: hoursBefore(10) } }),
        blockedBy: ["soak-before-prod"],
        says: () => ["only 10.0 h ago", `from ${hoursBefore(10 - 72)}`],
    },
    {
        name: "UPDATE on customer_audit_events is blocked even with a valid sign-off",
        // The program's classification moves the table; the pack's config keeps it append-only.
        setup: () => signedProd(PROD_CONFIG, { classification: AUDIT_MOVED }),
        blockedBy: ["append-only-invariant"],
        says: () => ["gives UPDATE, DELETE on append-only table public.customer_audit_events", "policy/config.json"],
    },
    {
        name: "prod under the program's sign-off with every Grant to public WITH GRANT OPTION is blocked",
        setup: () => changedAfterSignoff((rs) =>
            edit(rs, (r) => r.type === TYPES.grant, (r) => variant(r, r.name, { role: "public", withGrantOption: true }))),
        blockedBy: ["prod-signoff"],
        says: (s) => ["sign-off is for another change", `have fingerprint ${current(s)}`, 'to "public" WITH GRANT OPTION'],
    },
    {
        name: "prod under the program's sign-off with a GrantRole making raptor_app a member of the owner is blocked",
        setup: () => changedAfterSignoff((rs) =>
            [...rs, added("prod", GRANT_ROLE, "raptor-app-owner", { role: "raptor_app", grantRole: "owner_u1", withAdminOption: false })]),
        // The membership is outside the matrix whatever the sign-off says: the invariant blocks it too.
        blockedBy: ["prod-signoff", "append-only-invariant"],
        says: () => ["sign-off is for another change", `outside the Raptor model, each covered by the fingerprint: ${GRANT_ROLE} raptor-app-owner`],
    },
    {
        name: "prod under the program's sign-off with an extra command running psql GRANT UPDATE is blocked",
        setup: () => changedAfterSignoff((rs) => [...rs, sneakyCommand()]),
        blockedBy: ["prod-signoff"],
        says: () => ["sign-off is for another change", "command:local:Command raptor-sneaky"],
    },
    {
        name: "prod under the program's sign-off with that command disguised as a RAPTOR_STEP is blocked",
        setup: () => changedAfterSignoff((rs) => [...rs, sneakyCommand(
            { RAPTOR_STEP: "credential-url", APP: "raxx-api-prod", DATABASE: "DATABASE", ROLE: "raptor_app" },
            { additionalSecretOutputs: ["stdout", "stderr"] },
        )]),
        blockedBy: ["prod-signoff"],
        says: () => ["command:local:Command raptor-sneaky"],
    },
    {
        name: "prod with a resource outside the model passes when the sign-off covers exactly that set",
        setup: async () => {
            const { resources } = await declared({ stack: "prod", config: PROD_CONFIG });
            const withExtra = [...resources, added("prod", TYPES.command, "raptor-notify", { interpreter: ["/bin/bash", "-c"], create: "echo deployed" })];
            return { resources: withExtra, stack: "prod", stackConfig: { ...PROD_CONFIG, signoff: signoff(fingerprintOf(withExtra)) } };
        },
    },
    {
        name: "a table grant with empty objects is blocked, and reported once",
        setup: async () => {
            const s = await staging();
            const all = variant(tableGrant(s.resources, "users"), "raptor-grants-table-all", { objects: [] });
            return { ...s, resources: [...s.resources, all] };
        },
        // ON ALL TABLES also reaches the append-only and locked tables; no-all-tables-grant says so, the invariant stays quiet.
        blockedBy: ["no-all-tables-grant"],
        says: () => ["raptor-grants-table-all", "ON ALL TABLES IN SCHEMA public"],
    },
    {
        name: "a credential on an Essential plan is blocked",
        setup: async () => {
            const s = await staging();
            const cred = step(s.resources, "credential");
            const env = { ...(cred.props.environment as object), ADDON_PLAN: "heroku-postgresql:essential-0" };
            return { ...s, resources: edit(s.resources, (r) => r === cred, (r) => variant(r, r.name, { environment: env })) };
        },
        blockedBy: ["no-credential-on-essential"],
        says: () => ["heroku-postgresql:essential-0, an Essential-tier plan", "pg:copy"],
    },
    {
        name: "config-var delivery passes (secrets policy included)",
        setup: () => staging({ ...STAGING_CONFIG, urlDelivery: "config-var" }),
    },
    {
        name: "a config-var command that logs its output is blocked",
        setup: async () => {
            const s = await staging({ ...STAGING_CONFIG, urlDelivery: "config-var" });
            const cv = step(s.resources, "config-var");
            return { ...s, resources: edit(s.resources, (r) => r === cv, (r) => variant(r, r.name, { logging: "stdoutAndStderr" })) };
        },
        blockedBy: ["secrets-stay-secret"],
        says: () => ["raptor-url-config-var", 'logging is "stdoutAndStderr"', 'logging "none"'],
    },
    {
        name: "a credential without retainOnDelete is blocked",
        setup: async () => {
            const s = await staging();
            const cred = step(s.resources, "credential");
            return { ...s, resources: edit(s.resources, (r) => r === cred, (r) => variant(r, r.name, {}, { retainOnDelete: undefined })) };
        },
        blockedBy: ["credential-retained"],
        says: () => ["has neither retainOnDelete nor protect", "retainOnDelete: true or protect: true"],
    },
];

const blockers = (vs: Violation[]) => [...new Set(mandatory(vs).map((v) => v.policy))].sort();

describe("the policy pack over the declared resources", () => {
    it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
        const s = await c.setup();
        const violations = await evaluate(s.resources, s.stack, s.stackConfig);
        if (c.blockedBy === undefined) {
            expect(mandatory(violations)).toEqual([]);
            return;
        }
        expect(blockers(violations)).toEqual([...c.blockedBy].sort());
        const messages = violations.filter((v) => v.policy === c.blockedBy![0]).map((v) => v.message);
        for (const part of c.says!(s)) {
            expect(messages.some((m) => (typeof part === "string" ? m.includes(part) : part.test(m))), `${String(part)} in\n${messages.join("\n")}`).toBe(true);
        }
    });
});

describe("what makes the table meaningful", () => {
    it.each([["staging", "staging", STAGING_CONFIG], ["prod (flag off)", "prod", PROD_CONFIG], ["prod (flag on)", "prod", FLAG_ON]] as const)(
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
        expect(resources.filter((r) => r.type.startsWith("raptor:")).map((r) => r.type).sort()).toEqual([
            "raptor:heroku:PostgresAddon", "raptor:heroku:RaptorCredential", "raptor:heroku:RoleSeparationFlag",
            "raptor:heroku:UrlDelivery", "raptor:postgres:RaptorGrants",
        ]);
        expect(resources.some((r) => r.type === TYPES.grant)).toBe(true);
    });
});

describe("the pack's configuration", () => {
    const file = JSON.parse(readFileSync(join(__dirname, "..", "policy", "config.json"), "utf8"));

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
        expect(file["prod-signoff"].operators.length).toBeGreaterThan(0);
    });

    it("every policy has a kebab-case name, a one-sentence description and an explicit mandatory level", () => {
        const all = createPolicies();
        expect(all.map((p) => p.name)).toEqual([
            "prod-signoff", "soak-before-prod", "append-only-invariant", "no-all-tables-grant",
            "no-credential-on-essential", "secrets-stay-secret", "credential-retained",
        ]);
        for (const p of all) {
            expect(p.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
            expect(p.description, p.name).toMatch(/^[A-Z][^.]*(\.[^ .][^.]*)*\.$/);
            expect(p.enforcementLevel, p.name).toBe("mandatory");
        }
    });

    it("the pack's package.json names it and carries the version the PolicyPack needs", () => {
        const pkg = JSON.parse(readFileSync(join(__dirname, "..", "policy", "package.json"), "utf8"));
        const root = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
        expect(pkg).toMatchObject({ name: "raptor-policy", main: "index.ts" });
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies).toEqual({
            "@pulumi/policy": root.dependencies["@pulumi/policy"],
            "@pulumi/pulumi": root.dependencies["@pulumi/pulumi"],
        });
    });
});

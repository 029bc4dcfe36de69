/**
 * The Heroku half of the program under mocks: the graph, the flag's
 * dependencies, secrecy, retention, the tier gate and config validation.
 */
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { TYPES, deploymentFromResources, stepOf } from "../../core/resources";
import { fingerprint } from "../../core/deployment";
import {
    ADVANCED_ATTACHMENT_CREATE,
    ADVANCED_ATTACHMENT_DELETE,
    ADVANCED_CREDENTIAL_CREATE,
    ADVANCED_CREDENTIAL_URL_READ,
    ATTACHMENT_CREATE,
    CREDENTIAL_DELETE,
    READ_ADDONS,
    READ_OWNER_URL,
    READ_OWNER_URL_ADVANCED,
} from "../../core/heroku-scripts";
import {
    APP_PASSWORD,
    ENABLED_AT,
    OWNER_PASSWORD,
    PROD,
    Recorded,
    STAGING,
    addonsJson,
    runProgram,
} from "../support/mocks";

const STACKS = [
    ["staging", STAGING],
    ["prod", PROD],
] as const;
const named = (rs: Recorded[], name: string) => rs.find((r) => r.name === name)!;

/** Every string inside props, with its dotted path. */
function strings(v: unknown, path = ""): Array<[string, string]> {
    if (typeof v === "string") {
        return [[path, v]];
    }
    if (Array.isArray(v)) {
        return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
    }
    if (v !== null && typeof v === "object") {
        return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
    }
    return [];
}

describe.each(STACKS)("the %s stack's Heroku resources", (stack, config) => {
    it("declares the tier, credential, grants, URL attachment and flag, in that shape", async () => {
        const { resources, error } = await runProgram({ stack, config });
        expect(error).toBeUndefined();
        const components = resources.filter((r) => !r.custom).map((r) => `${r.type} ${r.name}`);
        expect(components).toEqual([
            "raptor:heroku:PostgresAddon raptor-addon",
            "raptor:heroku:RaptorCredential raptor-credential",
            "raptor:postgres:RaptorGrants raptor-grants",
            "raptor:heroku:UrlDelivery raptor-url",
            "raptor:heroku:RoleSeparationFlag raptor-flag",
        ]);
        expect(
            resources.filter(stepOf).map((r) => `${stepOf(r)} ${r.name} <- ${r.parentUrn?.split("::").pop()}`),
        ).toEqual([
            "credential raptor-credential-raptor_app <- raptor-credential",
            "attachment raptor-url-attachment <- raptor-url",
            "flag raptor-flag-flag <- raptor-flag",
        ]);
        // The flag is off in both: no StackReference until prod turns it on.
        expect(resources.filter((r) => r.type === TYPES.stackReference)).toHaveLength(0);
        expect(resources).toHaveLength(52);
    });

    it("turns the flag on only after tier, credential, URL delivery and every grant", async () => {
        const { resources } = await runProgram({ stack, config });
        const flag = named(resources, "raptor-flag");
        const deps = new Set(
            (flag.opts.dependsOn as pulumi.Resource[]).map((d) => resources.find((r) => r.name === nameOf(d))?.name),
        );
        for (const needed of [
            "raptor-addon",
            "raptor-credential",
            "raptor-url",
            "raptor-grants",
            "raptor-grants-schema-public",
            "raptor-grants-sequences-public",
            "raptor-grants-default-sequences-public",
            "raptor-grants-table-customer_audit_events",
            "raptor-grants-table-alembic_version",
        ]) {
            expect(deps.has(needed), needed).toBe(true);
        }
        expect([...deps].filter((d) => d?.startsWith("raptor-grants-table-"))).toHaveLength(40);
    });

    it("creates the credential after the tier check, and the grants and URL after the credential", async () => {
        const { resources } = await runProgram({ stack, config });
        const depNames = (name: string) => (named(resources, name).opts.dependsOn as pulumi.Resource[]).map(nameOf);
        expect(depNames("raptor-credential")).toEqual(["raptor-addon"]);
        expect(depNames("raptor-grants")).toEqual(["raptor-credential"]);
        expect(depNames("raptor-url")).toEqual(["raptor-credential"]);
    });

    it("retains the credential when the engine deletes or replaces it", async () => {
        const { resources } = await runProgram({ stack, config });
        expect(named(resources, "raptor-credential-raptor_app").opts.retainOnDelete).toBe(true);
    });

    it("exports a fingerprint equal to the one recomputed from the declared resources", async () => {
        const { resources, outputs } = await runProgram({ stack, config });
        const { deployment } = deploymentFromResources(resources);
        expect(deployment).toBeDefined();
        expect(outputs.fingerprint).toBe(fingerprint(deployment!));
    });
});

function nameOf(r: pulumi.Resource): string {
    // Resources keep their logical name in a private field; the URN is not resolved under mocks when options are
    // captured.
    return (r as unknown as { __name: string }).__name;
}

describe("secrets", () => {
    it.each(["attachment", "config-var"])(
        "in %s mode no password appears outside a secret input",
        async (urlDelivery) => {
            const { resources } = await runProgram({ stack: "staging", config: { ...STAGING, urlDelivery } });
            let seen = 0;
            for (const r of resources) {
                for (const [path, value] of strings(r.props)) {
                    if (value.includes(OWNER_PASSWORD) || value.includes(APP_PASSWORD)) {
                        seen++;
                        expect(
                            r.secretPaths.some((p) => path === p || path.startsWith(`${p}.`)),
                            `${r.name} ${path}`,
                        ).toBe(true);
                    }
                }
            }
            expect(seen).toBe(urlDelivery === "config-var" ? 2 : 1);
        },
    );

    it("no command string carries a password or a URL", async () => {
        const { resources } = await runProgram({ stack: "staging", config: { ...STAGING, urlDelivery: "config-var" } });
        for (const r of resources.filter((x) => x.type === TYPES.command)) {
            for (const phase of ["create", "update", "delete"]) {
                const script = (r.props[phase] as string | undefined) ?? "";
                expect(script).not.toContain(APP_PASSWORD);
                expect(script).not.toMatch(/postgres(ql)?:\/\/[^\s"]*:[^\s"]*@/);
            }
        }
    });

    it("config-var mode keeps the URL secret in code and hides the commands' output", async () => {
        const { resources } = await runProgram({ stack: "staging", config: { ...STAGING, urlDelivery: "config-var" } });
        const read = resources.find((r) => stepOf(r) === "credential-url")!;
        const set = resources.find((r) => stepOf(r) === "config-var")!;
        // One secret value makes the whole environment map secret in state: stricter than needed, never weaker.
        expect(set.secretPaths).toEqual(["environment"]);
        expect((set.props.environment as Record<string, string>).VAR_VALUE).toContain(APP_PASSWORD);
        for (const r of [read, set]) {
            expect(r.props.logging).toBe("none");
            expect(r.opts.additionalSecretOutputs).toEqual(["stdout", "stderr"]);
        }
    });

    it("attachment mode passes no password through Pulumi at all", async () => {
        const { resources } = await runProgram({ stack: "staging", config: STAGING });
        const commands = resources.filter((r) => r.type === TYPES.command);
        expect(commands.flatMap((r) => r.secretPaths)).toEqual([]);
        expect(JSON.stringify(commands.map((r) => r.props))).not.toContain(APP_PASSWORD);
    });
});

describe("the tier gate", () => {
    it.each([
        "heroku-postgresql:essential-0",
        "heroku-postgresql:essential-2",
        "heroku-postgresql:mini",
        "heroku-postgresql:basic",
    ])("refuses %s before any resource, naming app, plan and the pg:copy fix", async (plan) => {
        const { resources, error, invokes } = await runProgram({ stack: "prod", config: PROD, plan });
        expect(resources).toEqual([]);
        expect(invokes).toHaveLength(1);
        expect(error?.message).toContain(`raxx-api-prod: Postgres add-on postgresql-adjacent-27271 (plan ${plan})`);
        expect(error?.message).toContain("`heroku addons:upgrade` cannot leave the Essential tier");
        expect(error?.message).toContain("heroku pg:copy");
        expect(error?.message).toContain("cost decision");
    });

    it.each([
        "heroku-postgresql:standard-0",
        "heroku-postgresql:premium-4",
        "heroku-postgresql:private-7",
        "heroku-postgresql:shield-0",
    ])("accepts %s", async (plan) => {
        const { error, outputs } = await runProgram({ stack: "staging", config: STAGING, plan });
        expect(error).toBeUndefined();
        expect(outputs.addonPlan).toBe(plan);
    });

    // heroku-cli-util dist/utils/addons/helpers.js: isAdvancedDatabase is /^(advanced|performance)/ on the plan;
    // `heroku-postgresql:advanced` is the plan the CLI's own fixtures use (heroku/cli
    // test/fixtures/data/pg/fixtures.ts).
    it.each(["heroku-postgresql:advanced", "heroku-postgresql:advanced-beta", "heroku-postgresql:performance-l"])(
        "accepts the Advanced-tier %s and runs its data:pg scripts",
        async (plan) => {
            const { resources, error, outputs } = await runProgram({ stack: "prod", config: PROD, plan });
            expect(error).toBeUndefined();
            expect(outputs.addonPlan).toBe(plan);
            const step = (s: string) => resources.find((r) => stepOf(r) === s)!;
            expect(step("credential").props).toMatchObject({
                create: ADVANCED_CREDENTIAL_CREATE,
                update: ADVANCED_CREDENTIAL_CREATE,
                delete: CREDENTIAL_DELETE,
            });
            expect(step("attachment").props).toMatchObject({
                create: ADVANCED_ATTACHMENT_CREATE,
                delete: ADVANCED_ATTACHMENT_DELETE,
            });
            expect((step("attachment").props.environment as Record<string, string>).POOL).toBe("leader");
            expect(resources).toHaveLength(52);
        },
    );

    it("keeps the classic scripts, environment and triggers on Standard: no pool", async () => {
        const { resources } = await runProgram({ stack: "staging", config: STAGING });
        const att = resources.find((r) => stepOf(r) === "attachment")!;
        expect(att.props.create).toBe(ATTACHMENT_CREATE);
        expect(att.props.environment).not.toHaveProperty("POOL");
        expect(att.props.triggers).toEqual([
            "raxx-api-staging",
            "6a1b2c3d-0000-4000-8000-000000027271",
            "raptor_app",
            "RAPTOR_APP_DATABASE",
        ]);
    });

    it("names raptor:pool on the Advanced attachment, in its environment and triggers", async () => {
        const plan = "heroku-postgresql:advanced";
        const { resources } = await runProgram({ stack: "prod", config: { ...PROD, pool: "leader" }, plan });
        const att = resources.find((r) => stepOf(r) === "attachment")!;
        expect((att.props.environment as Record<string, string>).POOL).toBe("leader");
        expect(att.props.triggers).toContain("leader");
    });

    it("refuses raptor:pool on a Standard plan before any resource", async () => {
        const { resources, error } = await runProgram({ stack: "staging", config: { ...STAGING, pool: "leader" } });
        expect(resources).toEqual([]);
        expect(error?.message).toBe(
            'raxx-api-staging: raptor:pool = "leader", but Postgres add-on postgresql-adjacent-27271 (plan ' +
                "heroku-postgresql:standard-0) has no instance pools: only Heroku Postgres Advanced plans do. Unset " +
                "raptor:pool (pulumi config rm raptor:pool). Nothing was created.",
        );
    });

    it("reads the Advanced credential's URL with data:pg:credentials:url in config-var mode", async () => {
        const plan = "heroku-postgresql:advanced";
        const { resources } = await runProgram({ stack: "prod", config: { ...PROD, urlDelivery: "config-var" }, plan });
        expect(resources.find((r) => stepOf(r) === "credential-url")!.props.create).toBe(ADVANCED_CREDENTIAL_URL_READ);
    });

    // data/pg/credentials/url.js without --name picks the credential whose type is owner, whatever its name.
    it("reads the Advanced owner URL with data:pg:credentials:url, never DATABASE_URL", async () => {
        const plan = "heroku-postgresql:advanced";
        const { resources, invokes } = await runProgram({ stack: "prod", config: PROD, plan });
        expect(invokes).toEqual([READ_ADDONS, READ_OWNER_URL_ADVANCED]);
        const provider = resources.find((r) => r.type === TYPES.postgresProvider)!;
        expect(provider.props).toMatchObject({
            host: "owner-host.invalid",
            username: "owner_u1",
            database: "d8raptor",
        });
        expect(provider.secretPaths).toContain("password");
    });

    it("refuses a plan it does not know", async () => {
        const { resources, error } = await runProgram({
            stack: "staging",
            config: STAGING,
            plan: "heroku-postgresql:platinum-9",
        });
        expect(resources).toEqual([]);
        expect(error?.message).toContain("is on a plan this program does not know to support custom credentials");
    });

    it("refuses when no Postgres add-on is attached as raptor:database", async () => {
        const { resources, error } = await runProgram({
            stack: "staging",
            config: STAGING,
            addonsJson: addonsJson("heroku-postgresql:standard-0", "HEROKU_POSTGRESQL_GRAY"),
        });
        expect(resources).toEqual([]);
        expect(error?.message).toContain(
            "raxx-api-staging has no heroku-postgresql add-on attached as DATABASE (its Postgres attachments: " +
                "HEROKU_POSTGRESQL_GRAY)",
        );
    });

    const app = (name: string) => ({ id: `id-${name}`, name });
    const pgAddon = (id: string, plan: string, attachments: Array<[string, string]>) => ({
        id,
        name: `postgresql-${id}`,
        app: app(attachments[0][1]),
        plan: { name: plan },
        state: "provisioned",
        attachments: attachments.map(([name, on]) => ({ name, app: app(on), namespace: null })),
    });

    it("picks the add-on attached as raptor:database when the app has several", async () => {
        const json = JSON.stringify([
            pgAddon("old-1", "heroku-postgresql:essential-0", [["HEROKU_POSTGRESQL_OLD", "raxx-api-staging"]]),
            pgAddon("new-1", "heroku-postgresql:standard-0", [["DATABASE", "raxx-api-staging"]]),
        ]);
        const { error, outputs } = await runProgram({ stack: "staging", config: STAGING, addonsJson: json });
        expect(error).toBeUndefined();
        expect(outputs.addonName).toBe("postgresql-new-1");
    });

    // `heroku addons --app APP --json` also lists a shared database attached here under another name, with the
    // owner app's attachments (heroku/cli addons/index.ts): its DATABASE is the other app's, not this one's.
    it("picks the add-on through this app's own attachment, not another app's DATABASE", async () => {
        const json = JSON.stringify([
            pgAddon("shared-1", "heroku-postgresql:essential-0", [
                ["DATABASE", "raxx-reporting"],
                ["REPORTING_DB", "raxx-api-staging"],
            ]),
            pgAddon("mine-1", "heroku-postgresql:standard-0", [["DATABASE", "raxx-api-staging"]]),
        ]);
        const { error, outputs, resources } = await runProgram({ stack: "staging", config: STAGING, addonsJson: json });
        expect(error).toBeUndefined();
        expect(outputs.addonName).toBe("postgresql-mine-1");
        const cred = resources.find((r) => stepOf(r) === "credential")!;
        expect(cred.props.environment).toMatchObject({ ADDON_NAME: "postgresql-mine-1", ADDON_ID: "mine-1" });
    });
});

describe("a promote to another database", () => {
    const promoted = addonsJson("heroku-postgresql:standard-0").replace(
        /6a1b2c3d-0000-4000-8000-000000027271/g,
        "9f8e7d6c-0000-4000-8000-000000000002",
    );

    it("replaces the attachment and re-runs the credential: both are keyed on the add-on id", async () => {
        const before = await runProgram({ stack: "staging", config: STAGING });
        const after = await runProgram({ stack: "staging", config: STAGING, addonsJson: promoted });
        const step = (run: typeof before, s: string) => run.resources.find((r) => stepOf(r) === s)!;
        expect(step(before, "attachment").props.triggers).not.toEqual(step(after, "attachment").props.triggers);
        expect(step(after, "attachment").props.triggers).toContain("9f8e7d6c-0000-4000-8000-000000000002");
        expect((step(after, "credential").props.environment as Record<string, string>).ADDON_ID).toBe(
            "9f8e7d6c-0000-4000-8000-000000000002",
        );
    });

    // The runbook's only way off a plan is pg:copy to a new database and pg:promote: a new add-on id.
    it("Standard -> Advanced re-runs the credential with data:pg on the new add-on, re-attaches", async () => {
        const advanced = addonsJson("heroku-postgresql:advanced", "DATABASE", "raxx-api-prod").replace(
            /6a1b2c3d-0000-4000-8000-000000027271/g,
            "9f8e7d6c-0000-4000-8000-000000000002",
        );
        const standard = addonsJson("heroku-postgresql:standard-0", "DATABASE", "raxx-api-prod");
        const before = await runProgram({ stack: "prod", config: PROD, addonsJson: standard });
        const after = await runProgram({ stack: "prod", config: PROD, addonsJson: advanced });
        const step = (run: typeof before, s: string) => run.resources.find((r) => stepOf(r) === s)!;
        expect(step(after, "credential").props.update).toBe(ADVANCED_CREDENTIAL_CREATE);
        expect(step(after, "credential").props.environment).toMatchObject({
            ADDON_ID: "9f8e7d6c-0000-4000-8000-000000000002",
            ADDON_PLAN: "heroku-postgresql:advanced",
        });
        expect(step(after, "attachment").props.triggers).toEqual([
            "raxx-api-prod",
            "9f8e7d6c-0000-4000-8000-000000000002",
            "raptor_app",
            "RAPTOR_APP_DATABASE",
            "leader",
        ]);
        expect(step(after, "attachment").opts.deleteBeforeReplace).toBeFalsy();
        // Same privileges, app and delivery: the sign-off's fingerprint does not depend on the plan.
        expect(after.outputs.fingerprint).toBe(before.outputs.fingerprint);
    });

    it("makes the new attachment before deleting the old, so the var never goes missing", async () => {
        const { resources } = await runProgram({ stack: "staging", config: STAGING });
        expect(resources.find((r) => stepOf(r) === "attachment")!.opts.deleteBeforeReplace).toBeFalsy();
    });
});

describe("stack config", () => {
    it.each([
        [{ ...STAGING, urlDelivery: "env" }, `raptor:urlDelivery = "env": use one of attachment or config-var`],
        [
            { ...STAGING, roleSeparation: "yes" },
            `raptor:roleSeparation = "yes": use true (flag 1) or false (flag 0, rollback)`,
        ],
        [{ ...STAGING, roleSeperation: "true" }, "raptor:roleSeperation is not a setting of this project"],
        [{ ...STAGING, role: "Raptor-App" }, `raptor:role = "Raptor-App": use a lower-case Postgres identifier`],
        [{ ...STAGING, database: "database" }, `raptor:database = "database": use the add-on's attachment name`],
        [{ app: "raxx-api-prod" }, `raptor:app = "raxx-api-prod": stack staging must manage raxx-api-staging`],
        [{}, "raptor:app = null: set it: pulumi config set raptor:app raxx-api-staging -s staging"],
        [{ ...STAGING, soakStack: "organization/raptor/staging" }, "a stack cannot prove its own soak"],
    ])("rejects %j before any resource or invoke", async (config, message) => {
        const { resources, error, invokes } = await runProgram({ stack: "staging", config });
        expect(error?.message).toContain(message);
        expect(resources).toEqual([]);
        expect(invokes).toEqual([]);
    });

    it("takes the owner URL from a secret stack value instead of Heroku when set", async () => {
        const override = `postgres://local_owner:${OWNER_PASSWORD}@localhost:5433/raptor_dev`;
        const { resources, invokes } = await runProgram({
            stack: "staging",
            config: { ...STAGING, ownerDatabaseUrl: override },
            secretKeys: ["ownerDatabaseUrl"],
        });
        expect(invokes).not.toContain(READ_OWNER_URL);
        const provider = resources.find((r) => r.type === TYPES.postgresProvider)!;
        expect(provider.props).toMatchObject({ host: "localhost", username: "local_owner", database: "raptor_dev" });
        expect(provider.secretPaths).toContain("password");
    });

    it("reads the owner URL from Heroku by default", async () => {
        const { invokes } = await runProgram({ stack: "staging", config: STAGING });
        expect(invokes).toContain(READ_OWNER_URL);
    });
});

describe("the flag as rollback", () => {
    it("prod's rollback declares no StackReference, so it never depends on staging's stack", async () => {
        const { resources, error } = await runProgram({ stack: "prod", config: { ...PROD, roleSeparation: "false" } });
        expect(error).toBeUndefined();
        expect(resources.filter((r) => r.type === TYPES.stackReference)).toEqual([]);
    });

    it("true -> false changes the flag's inputs and nothing else", async () => {
        const on = await runProgram({ stack: "staging", config: { ...STAGING, roleSeparation: "true" } });
        const off = await runProgram({ stack: "staging", config: { ...STAGING, roleSeparation: "false" } });
        expect(off.resources.map((r) => r.urn)).toEqual(on.resources.map((r) => r.urn));
        const changed = off.resources.filter(
            (r, i) => JSON.stringify(r.props) !== JSON.stringify(on.resources[i].props),
        );
        expect(changed.map((r) => r.name)).toEqual(["raptor-flag-flag"]);
        expect((changed[0].props.environment as Record<string, string>).FLAG_VALUE).toBe("0");
    });

    it("staging exports when the flag was turned on, and null while it is off", async () => {
        expect(
            (await runProgram({ stack: "staging", config: { ...STAGING, roleSeparation: "true" } })).outputs
                .roleSeparationEnabledAt,
        ).toBe(ENABLED_AT);
        expect((await runProgram({ stack: "staging", config: STAGING })).outputs.roleSeparationEnabledAt).toBeNull();
    });

    it("prod reads staging's soak export through the StackReference when it turns the flag on", async () => {
        const { resources, outputs } = await runProgram({
            stack: "prod",
            config: { ...PROD, roleSeparation: "true" },
            soakOutputs: { roleSeparationEnabledAt: ENABLED_AT },
        });
        expect(resources.find((r) => r.type === TYPES.stackReference)?.props).toEqual({
            name: "organization/raptor/staging",
        });
        expect(outputs.soakStackEnabledAt).toBe(ENABLED_AT);
    });
});

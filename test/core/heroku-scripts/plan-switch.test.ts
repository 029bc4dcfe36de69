/**
 * Whole deployments through the program's own scripts, the real heroku CLI 11.10 and the local Heroku API, on a
 * real PostgreSQL: staging on Standard-0 (pg:credentials, addons:attach) and prod on Advanced (data:pg:*) deploy,
 * verify clean and take the flag on; then prod moves from Standard to Advanced the runbook's way (pg:copy to a new
 * add-on, pg:promote) between two `up`s with the flag at 1. The grants are the rendered plan applied as the owner:
 * the postgresql provider's part, which only the engine scenario runs for real. Each deployment runs once, in the
 * file's beforeAll (test/support/heroku-scenario.ts scenario()); the tests assert on what it left.
 */
import { describe, expect, it } from "vitest";
import { Rig, requests, rig, scenario, usePostgres, whoami } from "../../support/heroku-scenario";
import { Addon, HerokuApi } from "../../support/heroku-api";
import { declaredSteps, runBash } from "../../support/run-commands";
import { Recorded } from "../../support/mocks";
import { withClient } from "../../support/pg-client";
import { RAPTOR_CLASSIFICATION, classify } from "../../../core/classification";
import { quoteIdent } from "../../../core/identifiers";
import { buildPlan } from "../../../core/plan";
import { renderSql } from "../../../core/sql";
import { Step } from "../../../core/resources";
import { parseCredentialUrl } from "../../../core/heroku";
import { READ_OWNER_URL, READ_OWNER_URL_ADVANCED } from "../../../core/heroku-scripts";
import { APP_URL_VAR, FLAG_VAR } from "../../../core/settings";
import { runVerify } from "../../../cli/verify";

usePostgres();
const ADVANCED = "heroku-postgresql:advanced"; // the plan name of heroku/cli's fixtures (test/fixtures/data/pg)
const STACKS = {
    staging: { app: "raxx-api-staging", roleSeparation: "true" },
    prod: { app: "raxx-api-prod", soakStack: "organization/raptor/staging", roleSeparation: "true" },
} as const;
type Stack = keyof typeof STACKS;

const steps = (api: HerokuApi, stack: Stack): Promise<Record<Step, Recorded>> =>
    declaredSteps(api, { stack, config: { ...STACKS[stack] } });

/** The owner URL as the program reads it for the add-on's plan (program.ts readOwnerUrl). */
async function ownerUrl(api: HerokuApi, app: string, addon: Addon): Promise<string> {
    const advanced = addon.plan === ADVANCED;
    const read = await runBash(api, advanced ? READ_OWNER_URL_ADVANCED : READ_OWNER_URL, {
        APP: app,
        ADDON_NAME: addon.name,
        DATABASE: "DATABASE",
    });
    expect(read.code, read.stderr).toBe(0);
    return advanced ? parseCredentialUrl(read.stdout) : read.stdout.trim();
}

/** Raptor's 40 tables, made by the owner (as the application's migrations do). */
async function createTables(owner: string): Promise<void> {
    const ddl = classify(RAPTOR_CLASSIFICATION).map(({ table }) =>
        table === "alembic_version"
            ? "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"
            : table === "schema_migrations"
              ? "CREATE TABLE schema_migrations (version varchar(64) PRIMARY KEY)"
              : `CREATE TABLE ${quoteIdent(table)} (id bigserial PRIMARY KEY, payload text)`,
    );
    await withClient({ connectionString: owner, ssl: false }, (c) => c.query(ddl.join(";\n")));
}

/** The grants as the provider would make them, applied by the owner (who is not a superuser). */
async function grant(owner: string): Promise<void> {
    const sql = renderSql(buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" }));
    await withClient({ connectionString: owner, ssl: false }, (c) => c.query(sql));
}

async function ok(r: Rig, step: Recorded, phase: "create" | "update" | "delete"): Promise<void> {
    const res = await r.run(step, phase);
    expect(res.code, `${step.name} ${phase}: ${res.stderr}`).toBe(0);
}

/**
 * `pulumi up` of a fresh stack, step by step in the program's dependency order, the flag last. The owner URL is
 * an invoke, which the engine runs at preview, before any step: it is read beside the credential's create.
 */
async function up(r: Rig, stack: Stack, s: Record<Step, Recorded>): Promise<string> {
    const [owner] = await Promise.all([ownerUrl(r.api, STACKS[stack].app, r.addon), ok(r, s.credential, "create")]);
    await createTables(owner);
    await grant(owner);
    await ok(r, s.attachment, "create");
    await ok(r, s.flag, "create");
    return owner;
}

/** No release of `app` has the flag at 1 without the app's URL var. */
function gaps(api: HerokuApi, app: string): string[] {
    return api
        .configHistory(app)
        .filter((rel) => rel.config[FLAG_VAR] === "1" && !rel.config[APP_URL_VAR])
        .map((rel) => `v${rel.version} ${rel.description}`);
}

const verifyClean = async (owner: string) =>
    (await runVerify({ url: `${owner}?sslmode=disable`, role: "raptor_app" })).report.drifts;

/** A fresh stack on `plan`, deployed by one `up`. */
const deployment = (stack: Stack, plan: string) =>
    scenario(async () => {
        const r = await rig({ app: STACKS[stack].app, plan });
        const owner = await up(r, stack, await steps(r.api, stack));
        return { r, owner };
    });
const DEPLOYMENTS = [
    ["staging", "heroku-postgresql:standard-0", deployment("staging", "heroku-postgresql:standard-0")],
    ["prod", ADVANCED, deployment("prod", ADVANCED)],
] as const;

const switched = scenario(async () => {
    const app = STACKS.prod.app;
    const r = await rig({ app, plan: "heroku-postgresql:standard-0" });
    const before = await steps(r.api, "prod");
    await up(r, "prod", before);
    const old = r.addon;

    // The operator's pg:copy to a new Advanced add-on, then pg:promote: DATABASE is the new add-on.
    const fresh = await r.api.createPostgresAddon({ app, plan: ADVANCED, attachAs: "HEROKU_POSTGRESQL_AMBER" });
    const owner = await ownerUrl(r.api, app, fresh);
    await createTables(owner);
    r.api.promote(app, fresh);

    // The second `up`, in the engine's order: the credential's inputs changed (update), the grants follow the
    // new owner, the attachment is replaced new-first (its triggers hold the add-on id), the flag is unchanged.
    const after = await steps(r.api, "prod");
    await ok(r, after.credential, "update");
    const creates = requests(r.api, "POST", /\/credentials$/).map((q) => q.path);
    const freshState = r.api.credential(fresh, "raptor_app")?.state;
    await grant(owner);
    await ok(r, after.attachment, "create");
    await ok(r, before.attachment, "delete");
    return { r, old, fresh, owner, after, creates, freshState };
});

// About 12 CLI processes a deployment, 23 for the switch; at a load average of 45 (seen here) one took over 15 min.
describe("deployments", { timeout: 1_800_000 }, () => {
    describe.each(DEPLOYMENTS)("%s on %s", (stack, _plan, deployed) => {
        it("deploys and verifies clean", async () => {
            const { owner } = await deployed();
            expect(await verifyClean(owner)).toEqual([]);
        });

        it("runs as raptor_app with the flag on", async () => {
            const { r } = await deployed();
            const config = r.config();
            expect(config[FLAG_VAR]).toBe("1");
            expect(await whoami(config[APP_URL_VAR])).toEqual({
                user: "raptor_app",
                db: r.addon.db.database,
                superuser: false,
            });
        });

        it("the app role writes an application table and cannot change an audit row", async () => {
            const { r } = await deployed();
            await withClient({ connectionString: r.config()[APP_URL_VAR], ssl: false }, async (c) => {
                await c.query("INSERT INTO customer_sessions (payload) VALUES ('x')");
                await c.query("INSERT INTO customer_audit_events (payload) VALUES ('x')");
                await expect(c.query("UPDATE customer_audit_events SET payload = 'y'")).rejects.toThrow(
                    "permission denied for table customer_audit_events",
                );
            });
        });

        it("never had the flag at 1 without the URL", async () => {
            const { r } = await deployed();
            expect(gaps(r.api, STACKS[stack].app)).toEqual([]);
        });
    });

    describe("Standard -> Advanced (pg:copy, pg:promote) between two ups", () => {
        it("re-creates the credential on the new add-on", async () => {
            const { old, fresh, after, creates, freshState } = await switched();
            expect((after.credential.props.environment as Record<string, string>).ADDON_ID).toBe(fresh.id);
            expect(creates).toEqual([
                `/postgres/v0/databases/${old.name}/credentials`,
                `/data/postgres/v1/${fresh.id}/credentials`,
            ]);
            expect(freshState).toBe("active");
        });

        it("re-attaches: the app runs as raptor_app on the new database, the flag on", async () => {
            const { r, fresh } = await switched();
            const config = r.config();
            expect(config[FLAG_VAR]).toBe("1");
            expect(await whoami(config[APP_URL_VAR])).toEqual({
                user: "raptor_app",
                db: fresh.db.database,
                superuser: false,
            });
            expect(
                r.api.model.attachments.filter((x) => x.name === "RAPTOR_APP_DATABASE").map((x) => x.addonId),
            ).toEqual([fresh.id]);
        });

        it("retains the old add-on's credential, verifies clean, and leaves no gap", async () => {
            const { r, old, owner } = await switched();
            expect(old.credentials.map((c) => c.name)).toContain("raptor_app"); // retained: never dropped by the engine
            expect(await verifyClean(owner)).toEqual([]);
            expect(gaps(r.api, STACKS.prod.app)).toEqual([]);
        });
    });
});

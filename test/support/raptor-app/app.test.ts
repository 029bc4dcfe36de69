/**
 * The stand-in Raptor app on the rig and a real PostgreSQL: which URL it connects with, the workload it
 * runs as raptor_app (every classified table but the locked ones, history through triggers, sequences through
 * defaults), its weekly job, and what a revoked grant or a missing one looks like in its log and on /healthz.
 */
import { describe, expect, it } from "vitest";
import { APP, rig, usePostgres } from "../heroku-scenario";
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { FLAG_VAR } from "../../../core/settings";
import { Addon, HerokuApi } from "../heroku-api";
import { RAPTOR_APP } from "../heroku-api/dynos";
import { asOwner, deployRaptor } from "./deployed";
import { withClient } from "../pg-client";
import { credentialUrl } from "../heroku-api";
import { HISTORY_TRIGGERS, WEEKLY_DIGEST_TABLE } from "./schema";
import { HOT_TABLES, planTick, sweepTicks, workload } from "./workload";

usePostgres();

const health = async (base: string) => (await fetch(`${base}/healthz`)).status;

interface Health {
    status: number;
    tick: number;
    error?: string;
}
const healthBody = async (base: string): Promise<Health> => {
    const r = await fetch(`${base}/healthz`);
    const body = (await r.json()) as { tick: number; error?: string };
    return { status: r.status, tick: body.tick, error: body.error };
};

/** Rows of `sql` as the add-on's owner. */
const asOwnerRows = (addon: Addon, sql: string, values: unknown[] = []) =>
    withClient(
        { connectionString: credentialUrl(addon, addon.credentials[0]), ssl: false },
        async (c) => (await c.query(sql, values)).rows as Record<string, unknown>[],
    );

/** Waits until no one else is connected: a backend flushes its table counters as it exits. */
const nobodyConnected = (addon: Addon) =>
    until(
        async () =>
            (
                await asOwnerRows(
                    addon,
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
            ).length === 0,
    );

type Counters = Record<string, { scans: number; ins: number; upd: number; del: number }>;

/** pg_stat_user_tables' counters of every table in public. */
async function counters(addon: Addon): Promise<Counters> {
    const rows = await asOwnerRows(
        addon,
        "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans, n_tup_ins AS ins, " +
            "n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables WHERE schemaname = 'public'",
    );
    return Object.fromEntries(
        rows.map((r) => [
            r.relname as string,
            { scans: Number(r.scans), ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) },
        ]),
    );
}

async function until(ok: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
        if (Date.now() > deadline) {
            throw new Error("condition not met in time");
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

const appLines = (api: HerokuApi) =>
    api.logs
        .lines(api.model.app(APP)!)
        .filter((l) => l.source === "app")
        .map((l) => l.text);

function setFlag(api: HerokuApi, value: string): void {
    const app = api.model.app(APP)!;
    app.vars[FLAG_VAR] = value;
    api.model.release(app, `Set ${FLAG_VAR} config vars`);
}

describe("the stand-in Raptor app", { timeout: 300_000 }, () => {
    it("uses DATABASE_URL at 0 and raptor_app at 1; its log and /healthz follow a revoke", async () => {
        const { api, addon } = await rig();
        await deployRaptor(api, APP, addon);
        const app = api.model.app(APP)!;
        const base = await api.runApp(APP);
        expect(await health(base)).toBe(200);
        expect(appLines(api)).toContain("INFO:raptor.db:using DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=0)");

        setFlag(api, "1");
        await api.dynos.settled(app);
        expect(api.dynos.starts(app)).toBe(2);
        expect(appLines(api)).toContain(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
        const owner = credentialUrl(addon, addon.credentials[0]);
        const sessions = () =>
            withClient({ connectionString: owner, ssl: false }, async (c) =>
                (
                    await c.query(
                        "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() " +
                            "AND pid <> pg_backend_pid()",
                    )
                ).rows.map((r) => r.usename as string),
            );
        expect(await sessions()).toEqual(["raptor_app"]);
        const events = async () =>
            withClient({ connectionString: owner, ssl: false }, async (c) =>
                Number((await c.query("SELECT count(*) AS n FROM customer_audit_events")).rows[0].n),
            );
        const before = await events();
        await until(async () => (await events()) > before);
        expect(await health(base)).toBe(200);

        await asOwner(addon, "REVOKE INSERT ON users FROM raptor_app");
        await until(async () => (await health(base)) === 503);
        expect(appLines(api)).toContain(
            "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) " +
                "permission denied for table users",
        );
        expect(appLines(api)).toContain("ERROR:raptor.api:Exception on /api/users [POST]");

        await asOwner(addon, "GRANT INSERT ON users TO raptor_app");
        await until(async () => (await health(base)) === 200);
        const all = api.logs
            .lines(app)
            .map((l) => l.text)
            .join("\n");
        expect(all).not.toContain(addon.credentials[0].password);
        expect(all).not.toContain(api.credential(addon, "raptor_app")!.password);
    });
    it("as raptor_app, full matrix: N ticks touch every table but the locked ones, as their set allows", async () => {
        const { api, addon } = await rig();
        await deployRaptor(api, APP, addon);
        await nobodyConnected(addon);
        const before = await counters(addon);
        setFlag(api, "1");
        const base = await api.runApp(APP, { ...RAPTOR_APP, env: { RAPTOR_APP_TICK_MS: "100" } });
        const ticks = sweepTicks(workload({}));
        expect(ticks).toBe(9);
        await until(async () => (await healthBody(base)).tick >= ticks);
        expect(await health(base)).toBe(200);
        await api.dynos.stopAll();
        await nobodyConnected(addon);
        const after = await counters(addon);

        expect(appLines(api)).toContain(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
        expect(appLines(api).filter((l) => l.startsWith("ERROR:") || l.startsWith("sqlalchemy."))).toEqual([]);
        // The weekly job is off without RAPTOR_APP_WEEKLY_AT_TICK.
        expect(appLines(api).filter((l) => l.includes(":raptor.jobs:"))).toEqual([]);
        const touched = (t: string) => {
            const c = after[t];
            return (
                `${t}: ${c.scans > 0 ? "read" : "-"} ${c.ins > 0 ? "ins" : "-"} ${c.upd > 0 ? "upd" : "-"} ` +
                `${c.del > 0 ? "del" : "-"}`
            );
        };
        const { application, appendOnly, locked } = RAPTOR_CLASSIFICATION;
        expect(application.map(touched)).toEqual(application.map((t) => `${t}: read ins upd del`));
        expect(appendOnly.map(touched)).toEqual(appendOnly.map((t) => `${t}: read ins - -`));
        for (const t of locked) {
            expect(after[t], t).toEqual(before[t]);
        }
        // Nothing is ever deleted from an append-only table: what was inserted is all there.
        for (const t of appendOnly) {
            const [{ n }] = await asOwnerRows(addon, `SELECT count(*)::int AS n FROM ${t}`);
            expect(n, t).toBe(after[t].ins);
        }

        // Each row change of a table with a history trigger wrote exactly one history row, through the trigger.
        for (const { table, history } of HISTORY_TRIGGERS) {
            const rows = await asOwnerRows(
                addon,
                `SELECT split_part(payload, ' ', 1) AS op, count(*)::int AS n FROM ${history} ` +
                    "WHERE payload LIKE $1 GROUP BY 1 ORDER BY 1",
                [`% ${table} %`],
            );
            const c = after[table];
            expect(rows, table).toEqual([
                { op: "DELETE", n: c.del },
                { op: "INSERT", n: c.ins },
                { op: "UPDATE", n: c.upd },
            ]);
        }

        // Every id came from its sequence, through the column default.
        const seqs = await asOwnerRows(
            addon,
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
        );
        expect(seqs.filter((r) => r.last_value === null).map((r) => r.sequencename)).toEqual([]);
        expect(seqs).toHaveLength(application.length + appendOnly.length);
    });

    it("the weekly job runs once at tick N: done as the owner, permission denied as raptor_app", async () => {
        const { api, addon } = await rig();
        await deployRaptor(api, APP, addon, { weeklyJob: true });
        const app = api.model.app(APP)!;
        const N = 3;
        const spec = { ...RAPTOR_APP, env: { RAPTOR_APP_TICK_MS: "500", RAPTOR_APP_WEEKLY_AT_TICK: String(N) } };
        const base = await api.runApp(APP, spec);
        await until(async () => (await healthBody(base)).tick >= N + 2);
        expect(await health(base)).toBe(200);
        expect(appLines(api).filter((l) => l.includes(":raptor.jobs:"))).toEqual([
            "INFO:raptor.jobs:weekly digest done",
        ]);
        const runs = async () =>
            asOwnerRows(addon, `SELECT extract(isodow FROM week)::int AS dow, payload FROM ${WEEKLY_DIGEST_TABLE}`);
        expect(await runs()).toEqual([{ dow: 1, payload: `digest at tick ${N}` }]);

        // The release restarts the app as raptor_app, which has no grant on the job's table.
        setFlag(api, "1");
        await api.dynos.settled(app);
        expect(api.dynos.starts(app)).toBe(2);
        const seen: Health[] = [];
        await until(async () => {
            seen.push(await healthBody(base));
            return seen.at(-1)!.tick >= N + 2;
        });
        const failed = seen.filter((h) => h.status !== 200);
        expect(failed.length).toBeGreaterThan(0);
        expect(new Set(failed.map((h) => `${h.status} tick ${h.tick}: ${h.error}`))).toEqual(
            new Set([
                `503 tick ${N}: sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) ` +
                    "permission denied for table weekly_digest_runs",
            ]),
        );
        expect(seen.at(-1)!.status).toBe(200);
        const jobs = appLines(api).filter((l) => l.includes(":raptor.jobs:") || l.includes("weekly_digest_runs"));
        expect(jobs).toEqual([
            "INFO:raptor.jobs:weekly digest done",
            "ERROR:raptor.jobs:Exception in weekly_digest",
            "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) " +
                "permission denied for table weekly_digest_runs",
        ]);
        expect(appLines(api).filter((l) => l.startsWith("ERROR:raptor.api"))).toEqual([]);
        expect(await runs()).toEqual([{ dow: 1, payload: `digest at tick ${N}` }]);
    });
});

describe("the stand-in app's tick plan", () => {
    const w = workload({});

    it("sweeps every non-hot classified table within sweepTicks ticks, from any tick, a few a tick", () => {
        const { application, appendOnly } = RAPTOR_CLASSIFICATION;
        expect(w.hot).toEqual(HOT_TABLES);
        expect(w.sweep).toHaveLength(application.length - HOT_TABLES.length + appendOnly.length);
        for (let start = 0; start < 2 * w.sweep.length; start++) {
            const plans = Array.from({ length: sweepTicks(w) }, (_, i) => planTick(w, start + i));
            const app = new Set(plans.flatMap((p) => p.application.map((a) => a.table)));
            const append = new Set(plans.flatMap((p) => p.appendOnly));
            expect([...app].sort()).toEqual([...application].sort());
            expect([...append].sort()).toEqual([...appendOnly].sort());
            for (const p of plans) {
                expect(p.application.slice(0, 2).map((a) => a.table)).toEqual(["users", "paper_orders"]);
                // At most: the hot tables, perTick swept ones and the rare one.
                expect(p.application.length + p.appendOnly.length).toBeLessThanOrEqual(2 + w.perTick + 1);
                expect(p.application.filter((a) => a.rare)).toHaveLength(1);
            }
        }
    });

    it("gives every application table the upsert and the locking read within one pass of the list", () => {
        const rare = Array.from(
            { length: w.application.length },
            (_, n) => planTick(w, n).application.find((a) => a.rare)!.table,
        );
        expect(rare.sort()).toEqual([...RAPTOR_CLASSIFICATION.application].sort());
    });

    it("follows RAPTOR_APP_DML_TABLES, RAPTOR_APP_APPEND_TABLES and RAPTOR_APP_SWEEP_PER_TICK", () => {
        const v = workload({
            RAPTOR_APP_DML_TABLES: "users,symbols",
            RAPTOR_APP_APPEND_TABLES: "dsr_log",
            RAPTOR_APP_SWEEP_PER_TICK: "1",
        });
        expect(v).toMatchObject({ hot: ["users"], perTick: 1 });
        expect([0, 1, 2].map((n) => planTick(v, n))).toEqual([
            {
                application: [
                    { table: "users", rare: true },
                    { table: "symbols", rare: false },
                ],
                appendOnly: [],
            },
            {
                application: [
                    { table: "users", rare: false },
                    { table: "symbols", rare: true },
                ],
                appendOnly: ["dsr_log"],
            },
            {
                application: [
                    { table: "users", rare: true },
                    { table: "symbols", rare: false },
                ],
                appendOnly: [],
            },
        ]);
    });
});

/**
 * A stand-in for Raptor's web process, run by the rig's dyno manager (test/support/heroku-api/dynos.ts) with
 * the app's config vars, restarted on every release.
 *
 * It picks its database as the runbook says Raptor does ("Environment variable reference"): with
 * FLAG_RAPTOR_APP_ROLE_SEPARATION=1 it connects with RAPTOR_APP_DATABASE_URL (falling back to DATABASE_URL,
 * with a warning, when that is empty, as "How to tell it's broken" describes), else with DATABASE_URL. It
 * never prints a URL.
 *
 * It behaves like Raptor, so that what it leaves in pg_stat_statements is what the workload proof (issue 25)
 * judges. Every RAPTOR_APP_TICK_MS (default 250) it runs a bounded tick (workload.ts): the full DML cycle on
 * the hot tables (users, paper_orders) every tick, and the other classified tables swept round-robin,
 * RAPTOR_APP_SWEEP_PER_TICK (default 4) a tick. An application table gets INSERT ... RETURNING id, SELECT,
 * UPDATE and DELETE ... RETURNING id of that row (it stays the same size); one of them a tick also gets an
 * upsert and a SELECT ... FOR UPDATE inside a transaction. An append-only table gets an INSERT through its
 * bigserial default and a SELECT. The lists come from core/classification.ts; RAPTOR_APP_DML_TABLES and
 * RAPTOR_APP_APPEND_TABLES (comma-separated) replace them. Every statement sends its values as $n, as
 * SQLAlchemy does, and the database's triggers (schema.ts) write the `*_history` tables as the app's role.
 *
 * The rare path: with RAPTOR_APP_WEEKLY_AT_TICK=N, once per process start, at tick N, the weekly job upserts
 * into weekly_digest_runs, a table of a recent migration that the matrix does not cover. It works as the
 * owner (flag 0), so pg_stat_statements holds it (failed statements are not recorded), and fails as
 * raptor_app: the statement a proof run before the cutover must flag. Unset, it never runs.
 *
 * A database error is logged the way a Flask + SQLAlchemy + psycopg2 app logs it (logging's default
 * `LEVEL:logger:message` format, then the exception line), e.g.
 *   ERROR:raptor.api:Exception on /api/orders [POST]
 *   sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) permission denied for table users
 * The weekly job logs `INFO:raptor.jobs:weekly digest done`, or on failure
 * `ERROR:raptor.jobs:Exception in weekly_digest` and the exception line.
 * GET /healthz answers 200 while the last tick succeeded, 503 after a failed one (a failed weekly job fails its
 * tick); its JSON body also gives `tick`, the number of the last tick run (the first, before binding, is 0).
 */
import * as http from "node:http";
import { Pool } from "pg";
import { WEEKLY_DIGEST_UPSERT } from "./schema";
import { SQL, planTick, workload } from "./workload";

const env = process.env;
const TICK_MS = Number(env.RAPTOR_APP_TICK_MS ?? "250");
const WORK = workload(env);

const log = (level: "INFO" | "WARNING" | "ERROR", logger: string, text: string) =>
    process.stdout.write(`${level}:${logger}:${text}\n`);

function pickUrl(): { url: string | undefined; via: string } {
    const flag = env.FLAG_RAPTOR_APP_ROLE_SEPARATION === "1";
    if (flag && env.RAPTOR_APP_DATABASE_URL) {
        return { url: env.RAPTOR_APP_DATABASE_URL, via: "RAPTOR_APP_DATABASE_URL" };
    }
    if (flag) {
        log("WARNING", "raptor.db", "FLAG_RAPTOR_APP_ROLE_SEPARATION=1 but RAPTOR_APP_DATABASE_URL is empty");
    }
    return { url: env.DATABASE_URL, via: "DATABASE_URL" };
}

/** psycopg2's exception class for a SQLSTATE, and SQLAlchemy's wrapper, as the Python app would print them. */
function pythonError(e: Error & { code?: string }): string {
    const code = e.code ?? "";
    const text = e.message.split("\n")[0];
    if (code === "42501") {
        return `sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) ${text}`;
    }
    if (code.startsWith("28") || code.startsWith("08") || code === "" || code.startsWith("57P")) {
        const server = `connection to server at "${host}", port ${port} failed: FATAL:  ${text}`;
        return `sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) ${code === "" ? text : server}`;
    }
    return `sqlalchemy.exc.ProgrammingError: (psycopg2.errors.${code}) ${text}`;
}

const { url, via } = pickUrl();
const parsed = url ? new URL(url) : undefined;
const host = parsed?.hostname ?? "";
const port = parsed?.port ?? "5432";
const pool = new Pool({ connectionString: url, max: 2, ssl: false, connectionTimeoutMillis: 5_000 });
pool.on("error", () => undefined);
log("INFO", "raptor.db", `using ${via} (FLAG_RAPTOR_APP_ROLE_SEPARATION=${env.FLAG_RAPTOR_APP_ROLE_SEPARATION ?? ""})`);

const WEEKLY_AT = weeklyAt(env.RAPTOR_APP_WEEKLY_AT_TICK);

function weeklyAt(v: string | undefined): number | undefined {
    if (v === undefined || v === "") {
        return undefined;
    }
    if (!/^\d+$/.test(v)) {
        log("WARNING", "raptor.jobs", `RAPTOR_APP_WEEKLY_AT_TICK=${v} is not a tick number; the weekly job is off`);
        return undefined;
    }
    return Number(v);
}

let healthy = false;
let lastError = "starting";
let lastTick = -1;
let running = true;

/** One application table's request: its row is created, read, changed and deleted (plus the rare shapes). */
async function application(t: string, n: number, rare: boolean): Promise<void> {
    const id = (await pool.query(SQL.insert(t), [`tick ${n}`])).rows[0].id as string;
    await pool.query(SQL.select(t), [id]);
    await pool.query(SQL.update(t), [`tick ${n} done`, id]);
    if (rare) {
        await pool.query(SQL.upsert(t), [id, `tick ${n} merged`]);
        const c = await pool.connect();
        let broken: Error | undefined;
        try {
            await c.query("BEGIN");
            await c.query(SQL.selectForUpdate(t), [id]);
            await c.query("COMMIT");
        } catch (e) {
            broken = e as Error;
            await c.query("ROLLBACK").catch(() => undefined);
            throw e;
        } finally {
            c.release(broken);
        }
    }
    await pool.query(SQL.delete(t), [id]);
}

/** The Monday of this week (UTC), as the job keys its run. */
function thisWeek(): string {
    const d = new Date();
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return d.toISOString().slice(0, 10);
}

async function tick(n: number): Promise<void> {
    const plan = planTick(WORK, n);
    let ok = true;
    let at = "";
    try {
        for (const { table, rare } of plan.application) {
            at = `/api/${table} [POST]`;
            await application(table, n, rare);
        }
        for (const t of plan.appendOnly) {
            at = `/api/${t} [POST]`;
            const id = (await pool.query(SQL.insert(t), [`event ${n}`])).rows[0].id as string;
            await pool.query(SQL.select(t), [id]);
        }
    } catch (e) {
        ok = false;
        lastError = pythonError(e as Error);
        log("ERROR", "raptor.api", `Exception on ${at}`);
        process.stdout.write(`${lastError}\n`);
    }
    if (n === WEEKLY_AT) {
        try {
            await pool.query(WEEKLY_DIGEST_UPSERT, [thisWeek(), `digest at tick ${n}`]);
            log("INFO", "raptor.jobs", "weekly digest done");
        } catch (e) {
            ok = false;
            lastError = pythonError(e as Error);
            log("ERROR", "raptor.jobs", "Exception in weekly_digest");
            process.stdout.write(`${lastError}\n`);
        }
    }
    if (ok && !healthy) {
        log("INFO", "raptor.api", "database calls succeed");
    }
    healthy = ok;
    lastTick = n;
}

const server = http.createServer((req, res) => {
    if (req.url === "/healthz") {
        res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
        res.end(
            JSON.stringify(
                healthy ? { status: "ok", tick: lastTick } : { status: "error", error: lastError, tick: lastTick },
            ),
        );
        return;
    }
    res.writeHead(404).end();
});

/** The tick under way: SIGTERM lets it finish, as a web process finishes its requests, so a stop logs no error. */
let current: Promise<void> = Promise.resolve();

async function loop(): Promise<void> {
    for (let n = 1; running; n++) {
        current = tick(n);
        await current;
        await new Promise((r) => setTimeout(r, TICK_MS));
    }
}

// Bind only after the first tick, so "up" means the app has tried its database once.
current = tick(0);
void current.then(() => {
    server.listen(Number(env.PORT), "127.0.0.1");
    void loop();
});

process.on("SIGTERM", () => {
    running = false;
    log("INFO", "raptor", "shutting down");
    server.close();
    void current.then(() => pool.end()).finally(() => process.exit(0));
});

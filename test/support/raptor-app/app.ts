/**
 * A stand-in for Raptor's web process, run by the rig's dyno manager (test/support/heroku-api/dynos.ts) with
 * the app's config vars, restarted on every release.
 *
 * It picks its database as the runbook says Raptor does ("Environment variable reference"): with
 * FLAG_RAPTOR_APP_ROLE_SEPARATION=1 it connects with RAPTOR_APP_DATABASE_URL (falling back to DATABASE_URL,
 * with a warning, when that is empty, as "How to tell it's broken" describes), else with DATABASE_URL. It
 * never prints a URL. Every RAPTOR_APP_TICK_MS it runs a bounded workload: on each DML table an INSERT, SELECT,
 * UPDATE and DELETE of one row (the table stays the same size); on each append-only table a nextval on its
 * sequence, an INSERT with that id and a SELECT of it (one row per tick). The tables are `(id bigserial,
 * payload text)`, as the tests' fixtures make them.
 *
 * A database error is logged the way a Flask + SQLAlchemy + psycopg2 app logs it (logging's default
 * `LEVEL:logger:message` format, then the exception line), e.g.
 *   ERROR:raptor.api:Exception on /api/orders [POST]
 *   sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) permission denied for table users
 * GET /healthz answers 200 while the last tick succeeded, 503 after a failed one.
 */
import * as http from "node:http";
import { Pool } from "pg";

const env = process.env;
const TICK_MS = Number(env.RAPTOR_APP_TICK_MS ?? "250");
const DML = (env.RAPTOR_APP_DML_TABLES ?? "users,paper_orders").split(",").filter(Boolean);
const APPEND = (env.RAPTOR_APP_APPEND_TABLES ?? "customer_audit_events").split(",").filter(Boolean);

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

let healthy = false;
let lastError = "starting";
let running = true;

async function tick(n: number): Promise<void> {
    let at = "";
    try {
        for (const t of DML) {
            at = `/api/${t} [POST]`;
            const id = (await pool.query(`INSERT INTO ${t} (payload) VALUES ($1) RETURNING id`, [`tick ${n}`])).rows[0]
                .id as string;
            await pool.query(`SELECT id, payload FROM ${t} WHERE id = $1`, [id]);
            await pool.query(`UPDATE ${t} SET payload = $2 WHERE id = $1`, [id, `tick ${n} done`]);
            await pool.query(`DELETE FROM ${t} WHERE id = $1`, [id]);
        }
        for (const t of APPEND) {
            at = `/api/${t} [POST]`;
            const id = (await pool.query(`SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id`, [t])).rows[0]
                .id as string;
            await pool.query(`INSERT INTO ${t} (id, payload) VALUES ($1, $2)`, [id, `event ${n}`]);
            await pool.query(`SELECT id FROM ${t} WHERE id = $1`, [id]);
        }
        if (!healthy) {
            log("INFO", "raptor.api", "database calls succeed");
        }
        healthy = true;
    } catch (e) {
        healthy = false;
        lastError = pythonError(e as Error);
        log("ERROR", "raptor.api", `Exception on ${at}`);
        process.stdout.write(`${lastError}\n`);
    }
}

const server = http.createServer((req, res) => {
    if (req.url === "/healthz") {
        res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify(healthy ? { status: "ok" } : { status: "error", error: lastError }));
        return;
    }
    res.writeHead(404).end();
});

async function loop(): Promise<void> {
    for (let n = 1; running; n++) {
        await tick(n);
        await new Promise((r) => setTimeout(r, TICK_MS));
    }
}

// Bind only after the first tick, so "up" means the app has tried its database once.
void tick(0).then(() => {
    server.listen(Number(env.PORT), "127.0.0.1");
    void loop();
});

process.on("SIGTERM", () => {
    running = false;
    log("INFO", "raptor", "shutting down");
    server.close();
    void pool.end().finally(() => process.exit(0));
});

/**
 * The world `pulumi up` meets in the engine scenario: a real PostgreSQL with SSL (the program's provider
 * requires it, as Heroku does), the local Heroku API behind the real `heroku` CLI (test/support/heroku-api),
 * the two apps with a Standard-0 add-on each holding Raptor's tables, owned by a non-superuser owner.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { quoteIdent } from "../../core/identifiers";
import { PgServer, startPostgres } from "../support/pg-server";
import { withClient } from "../support/pg-client";
import { Addon, HerokuApi, startHerokuApi } from "../support/heroku-api";
import { schemaDdl } from "../support/raptor-app/schema";

export const APPS = { staging: "raxx-api-staging", prod: "raxx-api-prod" } as const;
export const TABLES = [
    ...RAPTOR_CLASSIFICATION.application,
    ...RAPTOR_CLASSIFICATION.appendOnly,
    ...RAPTOR_CLASSIFICATION.locked,
];

export interface Rig {
    readonly pg: PgServer;
    readonly api: HerokuApi;
    readonly addons: Record<keyof typeof APPS, Addon>;
    stop(): Promise<void>;
}

/** SSL on with a certificate made for this run: sslmode=require needs only encryption, not a trusted CA. */
async function enableSsl(pg: PgServer): Promise<void> {
    const su = { host: "127.0.0.1", port: pg.port, user: pg.superuser, password: pg.password, database: "postgres" };
    const dataDir = await withClient(
        su,
        async (c) => (await c.query("SHOW data_directory")).rows[0].data_directory as string,
    );
    const key = path.join(dataDir, "server.key");
    const crt = path.join(dataDir, "server.crt");
    const made = spawnSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            key,
            "-out",
            crt,
        ],
        { encoding: "utf8" },
    );
    if (made.status !== 0) {
        throw new Error(`openssl could not make the test server's certificate: ${made.stderr}`);
    }
    const { uid, gid } = fs.statSync(dataDir);
    for (const f of [key, crt]) {
        fs.chownSync(f, uid, gid);
    }
    fs.chmodSync(key, 0o600);
    await withClient(su, async (c) => {
        await c.query("ALTER SYSTEM SET ssl = on");
        await c.query("SELECT pg_reload_conf()");
    });
}

/**
 * Raptor's tables in the add-on's database, created by its owner as the app's migrations would. With `weeklyJob`,
 * Raptor's schema as the stand-in app's own rig has it (test/support/raptor-app/schema.ts): the history triggers
 * too, and the recent migration's unclassified weekly_digest_runs, which the app's weekly job writes.
 */
async function createTables(ownerUrl: string, weeklyJob: boolean): Promise<void> {
    const c = new Client({ connectionString: ownerUrl });
    await c.connect();
    try {
        const ddl = TABLES.map((t) =>
            t === "alembic_version" || t === "schema_migrations"
                ? `CREATE TABLE ${quoteIdent(t)} (version varchar(64) PRIMARY KEY)`
                : `CREATE TABLE ${quoteIdent(t)} (id bigserial PRIMARY KEY, payload text)`,
        );
        await c.query(weeklyJob ? schemaDdl(TABLES, { weeklyJob }) : ddl.join(";\n"));
    } finally {
        await c.end();
    }
}

/** Each stack's add-on plan; Standard-0 unless a scenario puts one on Heroku Postgres Advanced (issue 18). */
export type RigPlans = Partial<Record<keyof typeof APPS, string>>;

export interface RigOptions {
    /** Raptor's schema with its history triggers and the weekly job's unclassified table (issue 25). */
    readonly weeklyJob?: boolean;
}

export async function startRig(plans: RigPlans = {}, opts: RigOptions = {}): Promise<Rig> {
    const pg = await startPostgres();
    try {
        await enableSsl(pg);
        const api = await startHerokuApi({ postgres: { port: pg.port, user: pg.superuser, password: pg.password } });
        const addons = {} as Record<keyof typeof APPS, Addon>;
        for (const [stack, app] of Object.entries(APPS) as [keyof typeof APPS, string][]) {
            api.createApp(app);
            addons[stack] = await api.createPostgresAddon({ app, ...(plans[stack] ? { plan: plans[stack] } : {}) });
            await createTables(api.config(app).DATABASE_URL, opts.weeklyJob ?? false);
        }
        return {
            pg,
            api,
            addons,
            stop: async () => {
                await api.stop();
                await pg.stop();
            },
        };
    } catch (e) {
        await pg.stop();
        throw e;
    }
}

/** Every file under dir, recursively, as text (state, its history and backups, logs). */
export function filesUnder(dir: string): { file: string; text: string }[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .map((file) => ({ file, text: fs.readFileSync(file, "latin1") }));
}

/** Waits until `url` answers 2xx (the app is up after a start or a restart), at most `ms`. */
export async function untilHealthy(url: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (
        (await fetch(url).then(
            (r) => r.ok,
            () => false,
        )) === false
    ) {
        if (Date.now() > deadline) {
            throw new Error(`${url} did not answer 2xx within ${ms / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

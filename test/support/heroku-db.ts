/**
 * Builds a database shaped like a Heroku Postgres one on the test server: an
 * owner that is NOT a superuser owns the database and every table, and the
 * application role exists with LOGIN and a password but no privileges (what
 * `pg:credentials:create` leaves behind).
 */
import { randomBytes } from "node:crypto";
import { ClientConfig } from "pg";
import { inject } from "vitest";
import { quoteIdent } from "../../core/identifiers";
import { withClient } from "./pg-client";

export { withClient };

export interface HerokuLikeDb {
    readonly database: string;
    readonly owner: ClientConfig;
    /** postgres://OWNER:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable (the test server has no SSL). */
    readonly ownerUrl: string;
    /** Connects as the application role with its password, as the app does. */
    readonly app: ClientConfig;
    readonly appUrl: string;
    readonly ownerPassword: string;
    readonly appPassword: string;
    readonly role: string;
    /** Runs SQL as the owner. */
    asOwner<T = unknown>(sql: string): Promise<T[]>;
    /** Runs SQL as the superuser (for drift only a superuser could cause). */
    asSuperuser<T = unknown>(sql: string): Promise<T[]>;
    drop(): Promise<void>;
}

export interface HerokuLikeDbOptions {
    /** Tables created by the owner with a bigserial id; migration tables are created too. */
    tables: readonly string[];
    /** Extra tables the classification does not know. */
    unclassified?: readonly string[];
    /**
     * The application role. Default: the run's shared raptor_app. Any other
     * name is created for this database alone (tests that change the role
     * itself use one, so they cannot disturb other files).
     */
    role?: string;
}

let counter = 0;

export async function createHerokuLikeDb(opts: HerokuLikeDbOptions): Promise<HerokuLikeDb> {
    const pg = inject("pg");
    const suffix = `${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`;
    const database = `raptor_${suffix}`;
    const ownerUser = `owner_${suffix}`;
    const role = opts.role ?? pg.appRole;
    const sharedRole = role === pg.appRole;
    const ownerPassword = randomBytes(12).toString("hex");
    const appPassword = sharedRole ? pg.appPassword : randomBytes(12).toString("hex");
    const su: ClientConfig = {
        host: "127.0.0.1",
        port: pg.port,
        user: pg.superuser,
        password: pg.password,
        database: "postgres",
    };

    await withClient(su, async (c) => {
        await c.query(
            `CREATE ROLE ${quoteIdent(ownerUser)} LOGIN NOSUPERUSER NOCREATEROLE PASSWORD '${ownerPassword}'`,
        );
        await c.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(ownerUser)}`);
        if (!sharedRole) {
            await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${appPassword}'`);
        }
    });
    const owner: ClientConfig = { ...su, user: ownerUser, password: ownerPassword, database };
    await withClient(owner, async (c) => {
        // Heroku databases give PUBLIC nothing on the public schema (vanilla PG 15+ still grants USAGE).
        const ddl: string[] = ["REVOKE ALL ON SCHEMA public FROM PUBLIC"];
        for (const t of [...opts.tables, ...(opts.unclassified ?? [])]) {
            if (t === "alembic_version") {
                ddl.push(`CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)`);
            } else if (t === "schema_migrations") {
                ddl.push(`CREATE TABLE schema_migrations (version varchar(64) PRIMARY KEY)`);
            } else {
                ddl.push(`CREATE TABLE ${quoteIdent(t)} (id bigserial PRIMARY KEY, payload text)`);
            }
        }
        await c.query(ddl.join(";\n"));
    });
    // The test server has no SSL; verify uses SSL unless the URL opts out, as a local database must.
    const url = (user: string, password: string) =>
        `postgres://${encodeURIComponent(user)}:${password}@127.0.0.1:${pg.port}/${database}?sslmode=disable`;
    return {
        database,
        owner,
        ownerUrl: url(ownerUser, ownerPassword),
        app: { ...su, user: role, password: appPassword, database },
        appUrl: url(role, appPassword),
        ownerPassword,
        appPassword,
        role,
        asOwner: (sql) => withClient(owner, async (c) => (await c.query(sql)).rows),
        asSuperuser: (sql) => withClient({ ...su, database }, async (c) => (await c.query(sql)).rows),
        async drop() {
            await withClient(su, async (c) => {
                await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
                if (!sharedRole) {
                    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
                }
                await c.query(`DROP ROLE IF EXISTS ${quoteIdent(ownerUser)}`);
            });
        },
    };
}

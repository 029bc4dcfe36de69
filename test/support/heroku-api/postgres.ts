/**
 * What the local Heroku API does on the real PostgreSQL behind it: a database per add-on owned by a
 * NOT-superuser owner (the add-on's default credential, as on Heroku), and a LOGIN role with a password
 * per credential, so every URL the API hands out really connects.
 *
 * Roles are cluster-wide in PostgreSQL but per database on Heroku. Two add-ons of one rig that get a
 * credential of the same name share the role and its password (a rotation changes both); a role the
 * rig did not create is never touched: creating a credential of that name fails loudly instead.
 */
import { randomBytes } from "node:crypto";
import { ClientConfig } from "pg";
import { quoteIdent } from "../../../core/identifiers";
import { withClient } from "../pg-client";

export interface PostgresSuperuser {
    host?: string;
    port: number;
    user: string;
    password: string;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class RealPostgres {
    /** Roles this rig created, with their current password. */
    private readonly roles = new Map<string, string>();
    /** Creations under way: two credentials of one name made at once must not both CREATE ROLE. */
    private readonly creating = new Map<string, Promise<string>>();
    readonly host: string;
    readonly port: number;

    constructor(private readonly su: PostgresSuperuser) {
        this.host = su.host ?? "127.0.0.1";
        this.port = su.port;
    }

    private config(database = "postgres"): ClientConfig {
        return { host: this.host, port: this.su.port, user: this.su.user, password: this.su.password, database };
    }

    /** A database owned by a new non-superuser owner; PUBLIC keeps nothing on schema public (as on Heroku). */
    async createDatabase(): Promise<{ database: string; owner: string; password: string }> {
        const suffix = randomBytes(5).toString("hex");
        const database = `d${suffix}`;
        const owner = `u${suffix}`;
        const password = randomBytes(24).toString("hex");
        await withClient(this.config(), async (c) => {
            await c.query(
                `CREATE ROLE ${quoteIdent(owner)} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD ` +
                    `${literal(password)}`,
            );
            await c.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(owner)}`);
        });
        await withClient({ ...this.config(database), user: owner, password }, (c) =>
            c.query("REVOKE ALL ON SCHEMA public FROM PUBLIC"),
        );
        // Heroku Postgres keeps pg_stat_statements (its Expensive Queries read it); the workload proof reads it too.
        await withClient(this.config(database), (c) => c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"));
        this.roles.set(owner, password);
        return { database, owner, password };
    }

    /** Creates (or, if this rig made it for another add-on, reuses) a LOGIN role; returns its password. */
    async createRole(name: string): Promise<string> {
        const known = this.roles.get(name);
        if (known !== undefined) {
            return known;
        }
        let pending = this.creating.get(name);
        if (!pending) {
            const password = randomBytes(24).toString("hex");
            pending = withClient(this.config(), (c) =>
                c.query(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${literal(password)}`),
            )
                .then(() => {
                    this.roles.set(name, password);
                    return password;
                })
                .finally(() => this.creating.delete(name));
            this.creating.set(name, pending);
        }
        return pending;
    }

    async setPassword(name: string, password: string): Promise<void> {
        await withClient(this.config(), (c) => c.query(`ALTER ROLE ${quoteIdent(name)} PASSWORD ${literal(password)}`));
        this.roles.set(name, password);
    }

    async dropDatabases(databases: string[]): Promise<void> {
        await withClient(this.config(), async (c) => {
            for (const d of databases) {
                await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(d)} WITH (FORCE)`);
            }
        });
    }

    /** Drops the databases given and every role this instance created. */
    async cleanup(databases: string[]): Promise<void> {
        await this.dropDatabases(databases);
        await withClient(this.config(), async (c) => {
            for (const r of this.roles.keys()) {
                await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
            }
        });
        this.roles.clear();
    }
}

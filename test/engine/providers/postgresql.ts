/**
 * A model of pulumi-resource-postgresql 3.18 (the Terraform bridge over cyrilgdn/terraform-provider-postgresql
 * v1.26.0), served to the real engine as the plugin `pulumi-resource-postgresql`, for what this program declares:
 * the provider's connection settings, `Grant` and `DefaultPrivileges`. The SQL and the diff follow upstream's
 * postgresql/resource_postgresql_grant.go and resource_postgresql_default_privileges.go at v1.26.0 (schemas: every
 * input ForceNew except `privileges`, whose change is an update; Create/Update: lock the role, become the
 * objects' owners where needed, REVOKE then GRANT in one transaction, read back; Read: the privileges the ACL
 * really holds, so a refresh sees out-of-band grants; Delete: REVOKE) and pulumi-postgresql's provider/resources.go
 * (`postgresql_grant` has DeleteBeforeReplace). Not modelled: column, function, database and foreign grants,
 * `ALL` expansion on read, and withRolesGranted's reverse-membership swap (helpers.go).
 */
import * as tls from "node:tls";
import { Client } from "pg";
import type * as provider from "@pulumi/pulumi/provider";
import { Props, plain, sameSet, serve } from "./serve";
import {
    SqlGrant,
    allowedPrivilegesProblem,
    defaultPrivilegesSql,
    grantId,
    grantSql,
    readGrant,
} from "./postgresql-sql";

let config: Props = {};

/** sslmode as lib/pq reads it (upstream config.go passes it through): require encrypts without verifying. */
function ssl(mode: string | undefined): false | tls.ConnectionOptions {
    switch (mode ?? "prefer") {
        case "disable":
            return false;
        case "require":
        case "prefer":
        case "allow":
            return { rejectUnauthorized: false };
        default:
            return { rejectUnauthorized: true };
    }
}

/** One transaction on `database`, as upstream's startTransaction/deferredRollback. */
async function inTransaction<T>(database: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({
        host: config.host as string,
        port: Number(config.port ?? 5432),
        user: config.username as string,
        password: config.password as string,
        database,
        ssl: ssl(config.sslmode as string | undefined),
        connectionTimeoutMillis: Number(config.connectTimeout ?? 180) * 1000,
    });
    await c.connect();
    try {
        await c.query("BEGIN");
        const result = await fn(c);
        await c.query("COMMIT");
        return result;
    } catch (e) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw e;
    } finally {
        await c.end();
    }
}

/** pgLockRole (helpers.go): advisory locks on the role and its members, with no statement timeout. */
async function lockRole(c: Client, role: string): Promise<void> {
    await c.query("SET statement_timeout = 0");
    await c.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [role]);
    await c.query(
        "SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid " +
            "WHERE rolname = $1",
        [role],
    );
}

/**
 * withRolesGranted (helpers.go): a connection user that is not a superuser is made a member of the objects'
 * owners for the transaction, then the membership is revoked.
 */
async function withOwners(c: Client, owners: string[], fn: () => Promise<void>): Promise<void> {
    const me = (await c.query("SELECT current_user AS u, rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0];
    const granted: string[] = [];
    if (!me.rolsuper) {
        for (const owner of owners) {
            const r = await c.query(
                "SELECT rolsuper, pg_has_role(current_user, oid, 'MEMBER') AS member FROM pg_roles " +
                    "WHERE rolname = $1",
                [owner],
            );
            if (r.rows.length === 1 && !r.rows[0].rolsuper && !r.rows[0].member) {
                await c.query(`GRANT ${ident(owner)} TO ${ident(me.u)}`);
                granted.push(owner);
            }
        }
    }
    await fn();
    for (const owner of granted) {
        await c.query(`REVOKE ${ident(owner)} FROM ${ident(me.u)}`);
    }
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** getRolesToGrant (resource_postgresql_grant.go): the schema's owner and, below schema level, its tables' owners. */
async function ownersOf(c: Client, g: SqlGrant): Promise<string[]> {
    const schemaOwner = (
        await c.query("SELECT pg_get_userbyid(nspowner) AS o FROM pg_namespace WHERE nspname = $1", [g.schema])
    ).rows.map((r) => r.o as string);
    if (g.objectType === "schema") {
        return schemaOwner;
    }
    const tables = (
        await c.query("SELECT DISTINCT tableowner AS o FROM pg_tables WHERE schemaname = $1", [g.schema])
    ).rows.map((r) => r.o as string);
    return [...new Set([...tables, ...schemaOwner])];
}

function toGrant(p: Props): SqlGrant {
    const v = plain(p) as Props;
    return {
        role: v.role as string,
        database: v.database as string,
        schema: (v.schema as string) ?? "",
        objectType: v.objectType as string,
        objects: (v.objects as string[]) ?? [],
        privileges: (v.privileges as string[]) ?? [],
        withGrantOption: Boolean(v.withGrantOption),
        owner: v.owner as string | undefined,
    };
}

/** The URN's own type (after any parent types): `urn:pulumi:stack::project::parent$type::name`. */
const isGrant = (urn: string) => urn.split("::")[2].split("$").pop() === "postgresql:index/grant:Grant";

/** Creates or updates: REVOKE (the previous privileges on update) then GRANT, then reads the ACL back. */
async function apply(urn: string, news: Props, olds?: Props): Promise<Props> {
    const g = toGrant(news);
    const previous = olds ? toGrant(olds) : g;
    const problem = allowedPrivilegesProblem(g, isGrant(urn));
    if (problem) {
        throw new Error(problem);
    }
    await inTransaction(g.database, async (c) => {
        if (isGrant(urn)) {
            await lockRole(c, g.role);
            await withOwners(c, await ownersOf(c, g), async () => {
                for (const sql of [grantSql(previous).revoke, grantSql(g).grant]) {
                    if (sql) {
                        await c.query(sql);
                    }
                }
            });
        } else {
            await lockRole(c, g.owner as string);
            await withOwners(c, [g.owner as string], async () => {
                for (const sql of [defaultPrivilegesSql(g).revoke, defaultPrivilegesSql(g).grant]) {
                    if (sql) {
                        await c.query(sql);
                    }
                }
            });
        }
    });
    return (await readBack(urn, { ...news, withGrantOption: g.withGrantOption }))?.props ?? news;
}

async function readBack(urn: string, props: Props): Promise<{ id: string; props: Props } | undefined> {
    const g = toGrant(props);
    const held = await inTransaction(g.database, (c) => readGrant(c, g, isGrant(urn)));
    if (held === undefined) {
        return undefined;
    }
    return { id: grantId(g, isGrant(urn)), props: { ...props, privileges: held } };
}

/** ForceNew inputs of both resources (their TF schemas); `privileges` alone updates in place. */
const FORCE_NEW = ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption", "owner"];
const SETS = new Set(["objects", "columns", "privileges"]);

export const postgresqlProvider: provider.Provider = {
    version: "3.18.1",
    async check(_urn, _olds, news: Props) {
        return { inputs: { withGrantOption: false, ...news } };
    },
    async diff(_id, urn, olds: Props, news: Props) {
        const differs = (k: string) =>
            SETS.has(k)
                ? !sameSet(olds[k], news[k])
                : JSON.stringify(plain(olds[k]) ?? "") !== JSON.stringify(plain(news[k]) ?? "");
        const replaces = FORCE_NEW.filter(differs);
        return {
            changes: replaces.length > 0 || differs("privileges"),
            replaces,
            deleteBeforeReplace: replaces.length > 0 && isGrant(urn),
        };
    },
    async create(urn, inputs: Props) {
        const outs = await apply(urn, inputs);
        return { id: grantId(toGrant(inputs), isGrant(urn)), outs };
    },
    async update(_id, urn, olds: Props, news: Props) {
        return { outs: await apply(urn, news, olds) };
    },
    async read(id, urn, props: Props) {
        const r = await readBack(urn, props);
        // An empty id tells the engine the resource is gone (upstream: d.SetId("") when role, database or schema is).
        return r ? { id: r.id, props: r.props, inputs: r.props } : { id: "", props: {} };
    },
    async delete(_id, urn, props: Props) {
        const g = toGrant(props);
        await inTransaction(g.database, async (c) => {
            await lockRole(c, isGrant(urn) ? g.role : (g.owner as string));
            const owners = isGrant(urn) ? await ownersOf(c, g) : [g.owner as string];
            const sql = isGrant(urn) ? grantSql(g).revoke : defaultPrivilegesSql(g).revoke;
            await withOwners(c, owners, async () => void (await c.query(sql)));
        });
    },
};

if (require.main === module) {
    void serve(postgresqlProvider, (c) => (config = c));
}

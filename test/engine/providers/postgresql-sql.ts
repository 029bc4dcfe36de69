/**
 * The SQL of the postgresql provider model (postgresql.ts), after cyrilgdn/terraform-provider-postgresql v1.26.0:
 * resource_postgresql_grant.go (createGrantQuery, createRevokeQuery, readRolePrivileges, readSchemaRolePrivileges,
 * generateGrantID), resource_postgresql_default_privileges.go (grant/revoke/readRoleDefaultPrivileges,
 * generateDefaultPrivilegesID) and helpers.go (allowedPrivileges, setToPgIdentList).
 */
import type { Client } from "pg";

export interface SqlGrant {
    role: string;
    database: string;
    schema: string;
    objectType: string;
    objects: string[];
    privileges: string[];
    withGrantOption: boolean;
    /** DefaultPrivileges only. */
    owner?: string;
}

/** helpers.go allowedPrivileges, for the object types these two resources take here. */
const ALLOWED: Record<string, string[]> = {
    table: ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
    sequence: ["ALL", "USAGE", "SELECT", "UPDATE"],
    schema: ["ALL", "CREATE", "USAGE"],
};

/** pgOIDs of pg_class.relkind per object type (resource_postgresql_grant.go objectTypes). */
const RELKIND: Record<string, string> = { table: "r", sequence: "S" };
/** pg_default_acl.defaclobjtype per object type. */
const DEFACL: Record<string, string> = { table: "r", sequence: "S" };

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const qualified = (g: SqlGrant) => g.objects.map((o) => `${ident(g.schema)}.${ident(o)}`).join(",");

/** validatePrivileges and the create-time checks of resourcePostgreSQLGrantCreateOrUpdate; undefined when fine. */
export function allowedPrivilegesProblem(g: SqlGrant, isGrant: boolean): string | undefined {
    const allowed = ALLOWED[g.objectType];
    if (!allowed) {
        return `this model of pulumi-resource-postgresql does not implement object type ${g.objectType}`;
    }
    if (isGrant && g.schema === "") {
        return "parameter 'schema' is mandatory for postgresql_grant resource";
    }
    if (isGrant && g.objects.length > 0 && g.objectType === "schema") {
        return "cannot specify `objects` when `object_type` is `database` or `schema`";
    }
    const bad = g.privileges.find((p) => !allowed.includes(p));
    return bad === undefined ? undefined : `${bad} is not an allowed privilege for object type ${g.objectType}`;
}

/** createRevokeQuery / createGrantQuery. `grant` is undefined when there is nothing to grant (privileges: []). */
export function grantSql(g: SqlGrant): { revoke: string; grant?: string } {
    const type = g.objectType.toUpperCase();
    const withOption = g.withGrantOption ? " WITH GRANT OPTION" : "";
    const privs = g.privileges.join(",");
    if (g.objectType === "schema") {
        return {
            revoke: `REVOKE ALL PRIVILEGES ON SCHEMA ${ident(g.schema)} FROM ${ident(g.role)}`,
            grant: privs ? `GRANT ${privs} ON SCHEMA ${ident(g.schema)} TO ${ident(g.role)}${withOption}` : undefined,
        };
    }
    if (g.objects.length > 0) {
        // Upstream revokes only the listed privileges when it has some, to leave column grants alone.
        const what = privs || "ALL PRIVILEGES";
        return {
            revoke: `REVOKE ${what} ON ${type} ${qualified(g)} FROM ${ident(g.role)}`,
            grant: privs ? `GRANT ${privs} ON ${type} ${qualified(g)} TO ${ident(g.role)}${withOption}` : undefined,
        };
    }
    return {
        revoke: `REVOKE ALL PRIVILEGES ON ALL ${type}S IN SCHEMA ${ident(g.schema)} FROM ${ident(g.role)}`,
        grant: privs
            ? `GRANT ${privs} ON ALL ${type}S IN SCHEMA ${ident(g.schema)} TO ${ident(g.role)}${withOption}`
            : undefined,
    };
}

/** revokeRoleDefaultPrivileges / grantRoleDefaultPrivileges. */
export function defaultPrivilegesSql(g: SqlGrant): { revoke: string; grant?: string } {
    const head =
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(g.owner as string)}` +
        (g.schema ? ` IN SCHEMA ${ident(g.schema)}` : "");
    const type = `${g.objectType.toUpperCase()}S`;
    const privs = g.privileges.join(",");
    return {
        revoke: `${head} REVOKE ALL ON ${type} FROM ${ident(g.role)}`,
        grant: privs
            ? `${head} GRANT ${privs} ON ${type} TO ${ident(g.role)}${g.withGrantOption ? " WITH GRANT OPTION" : ""}`
            : undefined,
    };
}

/** generateGrantID / generateDefaultPrivilegesID. */
export function grantId(g: SqlGrant, isGrant: boolean): string {
    if (!isGrant) {
        return [g.role, g.database, g.schema || "noschema", g.owner, g.objectType].join("_");
    }
    return [g.role, g.database, g.schema, g.objectType, ...g.objects].join("_");
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The privileges the role really holds, as upstream's Read sets them: the stored set when every object matches
 * it, else the first differing object's set. undefined when the role or schema is gone (checkRoleDBSchemaExists).
 */
export async function readGrant(c: Client, g: SqlGrant, isGrant: boolean): Promise<string[] | undefined> {
    const role = await c.query("SELECT oid FROM pg_roles WHERE rolname = $1", [g.role]);
    const schema = await c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [g.schema]);
    if (role.rows.length === 0 || (g.schema !== "" && schema.rows.length === 0)) {
        return undefined;
    }
    const oid = role.rows[0].oid;
    if (!isGrant) {
        const r = await c.query(
            `SELECT coalesce(array_agg(prtype::text), '{}') AS p FROM (
            SELECT defaclnamespace, (aclexplode(defaclacl)).* FROM pg_default_acl WHERE defaclobjtype = $3
        ) AS t (namespace, grantor_oid, grantee_oid, prtype, grantable)
        JOIN pg_namespace ON pg_namespace.oid = namespace
        WHERE grantee_oid = $1 AND nspname = $2 AND pg_get_userbyid(grantor_oid) = $4`,
            [oid, g.schema, DEFACL[g.objectType], g.owner],
        );
        const held: string[] = r.rows[0].p;
        // No default privileges at all means the resource is gone, unless none were asked for.
        return held.length === 0 && g.privileges.length > 0 ? undefined : held;
    }
    if (g.objectType === "schema") {
        const r = await c.query(
            `SELECT coalesce(array_agg(privilege_type::text), '{}') AS p FROM (
            SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname = $1) AS privileges WHERE grantee = $2`,
            [g.schema, oid],
        );
        return r.rows[0].p;
    }
    const r = await c.query(
        `SELECT pg_class.relname, array_remove(array_agg(privilege_type::text), NULL) AS p
        FROM pg_class JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace
        LEFT JOIN (SELECT acls.* FROM (
            SELECT relname, relnamespace, relkind, (aclexplode(relacl)).* FROM pg_class c) AS acls WHERE grantee = $1
        ) privs USING (relname, relnamespace, relkind)
        WHERE nspname = $2 AND relkind = $3 GROUP BY pg_class.relname`,
        [oid, g.schema, RELKIND[g.objectType]],
    );
    for (const row of r.rows) {
        if (g.objects.length > 0 && !g.objects.includes(row.relname)) {
            continue;
        }
        if (!sameSet(row.p, g.privileges)) {
            return row.p;
        }
    }
    return g.privileges;
}

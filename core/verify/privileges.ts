/**
 * Privilege vocabulary shared by the drift families: report order of
 * privileges, what the predefined roles give, relation kinds in words and
 * ALTER statements, and the object shape the source explanation works on.
 */
import type { AclEntry, CatalogRelation, RelKind } from "../catalog";
import { SET_PRIVILEGES, TableSet } from "../classification";
import { qualified } from "../identifiers";
import { GrantPlan } from "../plan";

/** MAINTAIN exists from PostgreSQL 17 on; a 16 server never reports it. */
export const TABLE_ORDER = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"];
export const SEQUENCE_ORDER = ["USAGE", "SELECT", "UPDATE"];
export const APPEND_ONLY_WRITES = ["UPDATE", "DELETE", "TRUNCATE"];

export type ObjKind = "TABLE" | "SEQUENCE" | "SCHEMA" | "DATABASE";

/** Predefined roles and the privileges they give on every table/sequence/schema without an ACL entry. */
export const PREDEFINED: Readonly<Record<string, Readonly<Record<ObjKind, readonly string[]>>>> = {
    pg_read_all_data: { TABLE: ["SELECT"], SEQUENCE: ["SELECT"], SCHEMA: ["USAGE"], DATABASE: [] },
    pg_write_all_data: { TABLE: ["INSERT", "UPDATE", "DELETE"], SEQUENCE: ["UPDATE"], SCHEMA: ["USAGE"], DATABASE: [] },
    // PostgreSQL 17+; on 16 no role of that name exists, so none is ever reached.
    pg_maintain: { TABLE: ["MAINTAIN"], SEQUENCE: [], SCHEMA: [], DATABASE: [] },
};

/** An object whose privileges the role holds, with what the catalog says about their sources. */
export interface Obj {
    readonly kind: ObjKind;
    /** SQL name, quoted. */
    readonly sql: string;
    /** ALTER ... OWNER TO statement prefix for this object, e.g. `ALTER TABLE "public"."t"`. */
    readonly alter: string;
    readonly owner: string | null;
    readonly acl: readonly AclEntry[];
    /** Effective privileges the role holds WITH GRANT OPTION (CASCADE is then needed to revoke). */
    readonly grantOptions: readonly string[];
    /**
     * Grants that put back what the plan gives the role once ownership moves
     * away (the role then loses every implicit privilege it had as owner).
     */
    readonly regrant: readonly string[];
}

export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const ordered = (privs: Iterable<string>, order: readonly string[]) =>
    [...new Set(privs)].sort((a, b) => {
        const ia = order.indexOf(a);
        const ib = order.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || byText(a, b);
    });

export const orderFor = (kind: ObjKind) =>
    kind === "SEQUENCE" ? SEQUENCE_ORDER : kind === "TABLE" ? TABLE_ORDER : ["USAGE", "CREATE", "CONNECT", "TEMPORARY"];

export const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

export const RELKIND_WORD: Readonly<Record<RelKind, string>> = {
    r: "table",
    p: "partitioned table",
    v: "view",
    m: "materialized view",
    f: "foreign table",
    S: "sequence",
};

const RELKIND_ALTER: Readonly<Record<RelKind, string>> = {
    r: "ALTER TABLE",
    p: "ALTER TABLE",
    v: "ALTER VIEW",
    m: "ALTER MATERIALIZED VIEW",
    f: "ALTER FOREIGN TABLE",
    S: "ALTER SEQUENCE",
};

/** The plan's grants for a relation of its schema: what regranting it after an ownership change restores. */
export function planGrants(R: string, sql: string, kind: RelKind, set: TableSet | undefined): string[] {
    if (kind === "S") {
        return [`GRANT USAGE ON SEQUENCE ${sql} TO ${R};`];
    }
    const privs = set === undefined ? [] : SET_PRIVILEGES[set];
    return privs.length > 0 ? [`GRANT ${privs.join(", ")} ON TABLE ${sql} TO ${R};`] : [];
}

/** The object for one name of a relation group. */
export function relObj(plan: GrantPlan, R: string, r: CatalogRelation, name: string, set: TableSet | undefined): Obj {
    const sql = qualified(plan.schema, name);
    // A sequence linked to a column changes owner only with its table.
    const alter =
        r.kind === "S" && r.linkedTable
            ? `ALTER TABLE ${qualified(r.linkedTable.schema, r.linkedTable.name)}`
            : `${RELKIND_ALTER[r.kind]} ${sql}`;
    return {
        kind: r.kind === "S" ? "SEQUENCE" : "TABLE",
        sql,
        alter,
        owner: r.owner,
        acl: r.acl,
        grantOptions: r.grantOptions,
        regrant: planGrants(R, sql, r.kind, set),
    };
}

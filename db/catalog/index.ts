/**
 * The live-database side of `raptor-roles verify`: ONE catalog query (one
 * round trip, however many tables) that reads everything the verifier needs
 * about the application role, composed from the named fragments beside this
 * file, each a group of CTEs:
 *
 *   base      the server version, the role, the database, memberships, the schema, the plan
 *   expected  per set: the privileges due, the exact ACL renderSql leaves, what must be absent
 *   pass      one pass over the schema's relations: proven matches, and how the rest is decided
 *   has       Postgres's own answer (has_*_privilege) where the ACL alone cannot decide; tabpriv
 *   acl       the ACL items that reach the role: its privileges when the role is plain, and sources
 *   relations the relations that differ from the plan, as CatalogRelation JSON
 *   schemas, roles, owned, defaults   the rest of the Catalog
 *
 * Every JSON key is the TypeScript field name of core/catalog.ts, so the one
 * row IS the Catalog; parseCatalog only checks its shape. No `pg` import:
 * the caller passes anything with a `query(text, params)` method. Works on
 * PostgreSQL 16, 17 and 18 (MAINTAIN only where the server has it; 16+ for
 * pg_auth_members.inherit_option).
 */
import type { Catalog } from "../../core/catalog";
import { ACL_SQL } from "./acl.sql";
import { BASE_SQL } from "./base.sql";
import { DEFAULTS_SQL } from "./defaults.sql";
import { EXPECTED_SQL } from "./expected.sql";
import { HAS_SQL } from "./has.sql";
import { OWNED_SQL } from "./owned.sql";
import { PASS_SQL } from "./pass.sql";
import { RELATIONS_SQL } from "./relations.sql";
import { ROLES_SQL } from "./roles.sql";
import { SCHEMAS_SQL } from "./schemas.sql";
import { TABPRIV_SQL } from "./tabpriv.sql";

/** What readCatalog needs from a connection (a pg Client satisfies it). */
export interface Queryable {
    query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/** What the query checks against: the role, the schema and each classified table's set (a GrantPlan fits). */
export interface CatalogTarget {
    readonly role: string;
    readonly schema: string;
    readonly tables: readonly { readonly table: string; readonly set: string }[];
}

const RESULT_SQL = String.raw`
SELECT json_build_object(
    'serverVersion', (SELECT num FROM ver),
    'currentUser', current_user,
    'database', (SELECT j FROM dbj),
    'role', (SELECT json_build_object('name', rolname, 'canLogin', rolcanlogin, 'superuser', rolsuper,
                'createRole', rolcreaterole, 'createDb', rolcreatedb, 'replication', rolreplication,
                'bypassRls', rolbypassrls, 'connectionLimit', rolconnlimit, 'expired', expired) FROM app),
    'schemaExists', EXISTS (SELECT 1 FROM ns),
    'relations', (SELECT j FROM rels),
    'missingTables', (SELECT to_json(pass.missing) FROM pass),
    'checked', (SELECT json_build_object('tables', pass.tables, 'sequences', pass.sequences,
                'unclassified', pass.unclassified) FROM pass),
    'schemas', (SELECT j FROM schemas),
    'memberships', (SELECT j FROM mem),
    'reached', (SELECT j FROM reached),
    'owned', (SELECT j FROM ownedj),
    'defaultAcl', (SELECT j FROM defacl)
) AS catalog
`;

/**
 * $1 = role name, $2 = schema name, $3 = the classified tables as one text
 * (planParameter). Returns one row with one json column, `catalog`.
 */
export const CATALOG_SQL = [
    "WITH RECURSIVE",
    BASE_SQL,
    EXPECTED_SQL,
    PASS_SQL,
    HAS_SQL,
    TABPRIV_SQL,
    ACL_SQL,
    RELATIONS_SQL,
    SCHEMAS_SQL,
    ROLES_SQL,
    OWNED_SQL,
    DEFAULTS_SQL,
    RESULT_SQL,
]
    .map((s) => s.trim())
    .join("\n");

/** The JSON type each Catalog field must have: what parseCatalog checks before trusting the document. */
const SHAPE: Readonly<Record<keyof Catalog, "number" | "string" | "boolean" | "object" | "array" | "object?">> = {
    serverVersion: "number",
    currentUser: "string",
    database: "object",
    role: "object?",
    schemaExists: "boolean",
    relations: "array",
    missingTables: "array",
    checked: "object",
    schemas: "array",
    memberships: "array",
    reached: "array",
    owned: "array",
    defaultAcl: "array",
};

const kindOf = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);

/**
 * The query's json document as the Catalog it already is (its keys are the
 * field names). Checks each field's JSON type, so a query and type that
 * drift apart fail here with the field's name instead of deep in verify.
 */
export function parseCatalog(doc: unknown): Catalog {
    if (kindOf(doc) !== "object") {
        throw new Error(`the catalog query returned ${kindOf(doc)}, not an object`);
    }
    const fields = doc as Readonly<Record<string, unknown>>;
    for (const [key, want] of Object.entries(SHAPE)) {
        const got = kindOf(fields[key]);
        if (got !== want && !(want === "object?" && (got === "object" || got === "null"))) {
            throw new Error(`the catalog query returned ${key} as ${got}, expected ${want.replace("?", " or null")}`);
        }
    }
    return doc as Catalog;
}

const SET_CODES: Readonly<Record<string, string>> = { application: "A", appendOnly: "O", locked: "L" };

/** Encodes the classified tables as CATALOG_SQL's $3: `Ausers,Odsr_log,Lalembic_version`. */
export function planParameter(tables: CatalogTarget["tables"]): string {
    return tables
        .map((t) => {
            const code = SET_CODES[t.set];
            if (code === undefined || t.table.includes(",") || t.table === "") {
                throw new Error(`cannot check table ${JSON.stringify(t.table)} in set ${JSON.stringify(t.set)}`);
            }
            return code + t.table;
        })
        .join(",");
}

/** The one round trip: runs CATALOG_SQL and parses its single row. */
export async function readCatalog(db: Queryable, target: CatalogTarget): Promise<Catalog> {
    const { rows } = await db.query(CATALOG_SQL, [target.role, target.schema, planParameter(target.tables)]);
    return parseCatalog((rows[0] as { catalog: unknown }).catalog);
}

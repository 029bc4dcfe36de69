/**
 * The live-database side of `raptor-roles verify`: ONE catalog query (CTEs,
 * one round trip, however many tables) that reads everything the verifier
 * needs about the application role, and the typed shape it is parsed into.
 *
 * Privileges are read as Postgres itself decides them: `has_table_privilege`,
 * `has_any_column_privilege`, `has_sequence_privilege`, `has_schema_privilege`
 * and `has_database_privilege` with the role's oid, so grants to PUBLIC,
 * inherited role memberships, predefined roles, ownership and column grants
 * all count. One shortcut, exact by Postgres's own rule and explained at the
 * `pass` CTE: a relation whose ACL is exactly what renderSql leaves, with no
 * column ACLs, for a role that is not superuser, not the database owner and
 * inherits from no role, is a match without a has_* call (on a fresh session
 * each has_* call is a catalog-cache miss; this is what keeps 10,000 tables
 * fast). Anything else goes through has_*. `aclexplode` is only used to find
 * where a privilege comes from, so the fix can name the real source.
 *
 * The query takes the plan and returns only what differs from it (plus
 * unclassified relations and missing tables), so a clean database of any
 * size comes back as a few hundred bytes.
 *
 * No `pg` import: the caller passes anything with a `query(text, params)`
 * method (a pg Client in practice), and core/verify.ts imports the types.
 * Needs PostgreSQL 17 (MAINTAIN; pg_auth_members.inherit_option is 16+).
 */

/** A table/sequence/schema/database privilege name as Postgres spells it (SELECT, USAGE, CREATE, ...). */
export type PrivilegeName = string;

/** One ACL item that reaches the role, grouped by grantee and column. */
export interface AclEntry {
    /** The grantee: the role itself, a role it inherits from, or null for PUBLIC. */
    readonly grantee: string | null;
    /** Column for a column-level grant, null for an object-level one. */
    readonly column: string | null;
    readonly privileges: readonly PrivilegeName[];
    /** The subset of `privileges` held WITH GRANT OPTION. */
    readonly grantable: readonly PrivilegeName[];
}

export interface CatalogRole {
    readonly name: string;
    readonly canLogin: boolean;
    readonly superuser: boolean;
    readonly createRole: boolean;
    readonly createDb: boolean;
    readonly replication: boolean;
    readonly bypassRls: boolean;
    /** -1 = no limit; 0 = nobody can log in as it. */
    readonly connectionLimit: number;
    /** VALID UNTIL is in the past: password logins are refused. */
    readonly expired: boolean;
}

export type RelKind = "r" | "p" | "v" | "m" | "f" | "S";

/**
 * A table, view, materialized view, foreign table or sequence in the plan's
 * schema that the query's fast pass found different from the plan, or that
 * the plan does not classify. Relations that match the plan are not listed.
 */
export interface CatalogRelation {
    readonly name: string;
    readonly kind: RelKind;
    /** A partition of a partitioned table (reached through its parent's privileges). */
    readonly partition: boolean;
    /** The owner, only when it is the role or a role it inherits from (else null). */
    readonly owner: string | null;
    /** Effective object-level privileges of the role (empty when the role does not exist). */
    readonly privileges: readonly PrivilegeName[];
    /** Privileges the role has on some column but not on the whole table (tables only). */
    readonly columnPrivileges: readonly PrivilegeName[];
    /** Effective privileges the role holds WITH GRANT OPTION (on the object or some column). */
    readonly grantOptions: readonly PrivilegeName[];
    /** ACL items (object and column level) granted to the role, PUBLIC or a role it inherits from. */
    readonly acl: readonly AclEntry[];
    /** For a sequence linked to a column (bigserial, identity): the table it belongs to. */
    readonly linkedTable: QualifiedName | null;
}

export interface QualifiedName {
    readonly schema: string;
    readonly name: string;
}

/** The plan's schema, and any other schema where the role can CREATE or that it owns. */
export interface CatalogSchema {
    readonly name: string;
    readonly usage: boolean;
    readonly create: boolean;
    /** The (effective) owner when it is the role or a role it inherits from, else null. */
    readonly owner: string | null;
    /** Owned by pg_database_owner (the public schema on PostgreSQL 15+): whoever owns the database owns it. */
    readonly ownedByDatabaseOwner: boolean;
    readonly acl: readonly AclEntry[];
}

export interface CatalogDatabase {
    readonly name: string;
    /** The database owner (Heroku's DATABASE_URL user): whom ownership goes back to. */
    readonly owner: string;
    readonly connect: boolean;
    readonly create: boolean;
    /** The owner when it is the role or a role it inherits from, else null. */
    readonly ownedBy: string | null;
    readonly acl: readonly AclEntry[];
}

/** A direct membership of the role (one row of pg_auth_members per grantor). */
export interface Membership {
    readonly role: string;
    readonly grantor: string;
    readonly admin: boolean;
    readonly inherit: boolean;
    readonly set: boolean;
}

/** A role the application role reaches through a direct membership `via` (transitively). */
export interface ReachedRole {
    readonly via: string;
    readonly role: string;
    /** Every grant on the path inherits: the role holds this role's privileges without SET ROLE. */
    readonly inherit: boolean;
    readonly superuser: boolean;
    readonly createRole: boolean;
    readonly createDb: boolean;
    readonly replication: boolean;
    readonly bypassRls: boolean;
    /** The owner of this database. */
    readonly databaseOwner: boolean;
    /** A predefined role (pg_read_all_data, pg_write_all_data, ...). */
    readonly predefined: boolean;
    /** Relations this role owns in this database. */
    readonly ownsRelations: number;
}

export type OwnedKind =
    | "table" | "view" | "materialized view" | "foreign table" | "sequence" | "type" | "domain" | "schema" | "routine" | "database"
    /** Anything else (a collation, a publication, ...): `name` is pg_describe_object's text. */
    | "other";

/** An object in this database owned by the role itself. */
export interface OwnedObject {
    readonly kind: OwnedKind;
    /** Schema for schema-qualified objects, null for schemas and the database. */
    readonly schema: string | null;
    readonly name: string;
    /** Identity arguments of a routine, e.g. `integer, text`. */
    readonly args: string | null;
    /** For a table: its linked sequences, which ALTER TABLE ... OWNER TO moves with it. */
    readonly linked: readonly QualifiedName[];
}

/** One privilege in pg_default_acl (plan schema or global) granted to the role or PUBLIC. */
export interface DefaultAclEntry {
    /** The role whose future objects get it (FOR ROLE). */
    readonly owner: string;
    /** null = global (ALTER DEFAULT PRIVILEGES without IN SCHEMA). */
    readonly schema: string | null;
    /** pg_default_acl.defaclobjtype: r tables, S sequences, f functions, T types, n schemas, L large objects. */
    readonly objectType: string;
    /** The role, or null for PUBLIC. */
    readonly grantee: string | null;
    readonly privilege: PrivilegeName;
}

export interface Catalog {
    readonly serverVersion: number;
    readonly currentUser: string;
    readonly database: CatalogDatabase;
    /** null when the role does not exist. */
    readonly role: CatalogRole | null;
    readonly schemaExists: boolean;
    /** Relations of the plan's schema that differ from the plan or are unclassified, sorted by name. */
    readonly relations: readonly CatalogRelation[];
    /** Classified tables that do not exist in the schema. */
    readonly missingTables: readonly string[];
    /** How many relations the query looked at. */
    readonly checked: { readonly tables: number; readonly sequences: number; readonly unclassified: number };
    readonly schemas: readonly CatalogSchema[];
    readonly memberships: readonly Membership[];
    readonly reached: readonly ReachedRole[];
    readonly owned: readonly OwnedObject[];
    readonly defaultAcl: readonly DefaultAclEntry[];
}

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

/**
 * $1 = role name, $2 = schema name, $3 = the classified tables as one text
 * (see planParameter). Returns one row with one json column.
 * Every has_*_privilege call takes the role's oid from `app`; when the role
 * does not exist those are strict calls on NULL and yield NULL (no error).
 */
export const CATALOG_SQL = String.raw`
WITH RECURSIVE
app AS (
    SELECT r.oid, r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,
           r.rolbypassrls, r.rolconnlimit, coalesce(r.rolvaliduntil < now(), false) AS expired
    FROM pg_catalog.pg_roles r WHERE r.rolname = $1
),
db AS (
    SELECT d.oid, d.datname, d.datdba, coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba)) AS acl
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
),
-- Every role reachable from the app role's direct memberships; inh = its privileges flow without SET ROLE.
reach(via, roleid, inh) AS (
    SELECT m.roleid, m.roleid, m.inherit_option
    FROM pg_catalog.pg_auth_members m JOIN app ON m.member = app.oid
    UNION
    SELECT reach.via, m.roleid, reach.inh AND m.inherit_option
    FROM reach JOIN pg_catalog.pg_auth_members m ON m.member = reach.roleid
),
-- Whose grants reach the app role: itself, PUBLIC (0), and the roles it inherits from.
grantees AS (
    SELECT app.oid FROM app UNION SELECT 0::oid FROM app UNION SELECT reach.roleid FROM reach WHERE reach.inh
),
ns AS (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $2),
-- The plan, $3 = 'Aname,Oname,Lname,...': A application, O appendOnly, L locked. (One text, not two
-- arrays: it binds and parses several times faster; classified names are plain identifiers, no commas.)
exp AS (
    SELECT substr(x, 2)::name AS name, left(x, 1) AS tset
    FROM pg_catalog.string_to_table($3, ',') AS x WHERE x <> ''
),
-- What a correct grant leaves on a relation the database owner owns, made once: the role's ACL item
-- per set, and the whole ACL renderSql produces (the owner's default item, then the role's).
item AS (
    SELECT db.datdba AS owner,
        -- Postgres adds to what a role's and PUBLIC's ACL items give only for a superuser, an owner, and
        -- the roles it inherits from (owner roles, predefined roles; a database owner inherits
        -- pg_database_owner). With none of these, a relation's ACL alone decides its privileges.
        NOT app.rolsuper AND app.oid <> db.datdba AND NOT EXISTS (SELECT 1 FROM reach WHERE reach.inh) AS plain,
        pg_catalog.makeaclitem(app.oid, db.datdba, 'SELECT,INSERT,UPDATE,DELETE', false) AS application,
        pg_catalog.makeaclitem(app.oid, db.datdba, 'SELECT,INSERT', false) AS append_only,
        pg_catalog.makeaclitem(app.oid, db.datdba, 'USAGE', false) AS sequence,
        ARRAY[pg_catalog.makeaclitem(db.datdba, db.datdba, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER,MAINTAIN', false),
              pg_catalog.makeaclitem(app.oid, db.datdba, 'SELECT,INSERT,UPDATE,DELETE', false)] AS acl_application,
        ARRAY[pg_catalog.makeaclitem(db.datdba, db.datdba, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER,MAINTAIN', false),
              pg_catalog.makeaclitem(app.oid, db.datdba, 'SELECT,INSERT', false)] AS acl_append_only,
        ARRAY[pg_catalog.makeaclitem(db.datdba, db.datdba, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER,MAINTAIN', false)] AS acl_locked,
        ARRAY[pg_catalog.makeaclitem(db.datdba, db.datdba, 'SELECT,UPDATE,USAGE', false),
              pg_catalog.makeaclitem(app.oid, db.datdba, 'USAGE', false)] AS acl_sequence
    FROM db CROSS JOIN app
),
-- ONE pass over the schema's relations with the plan joined by name (a classified table that does not
-- exist comes out with r.oid NULL). Only the oids of relations that differ from the plan, and of
-- unclassified ones, are kept; the pass is aggregated, never materialised. Per relation:
--  1. Proof of a match, without a catalog-cache lookup: the role is "plain" (see item), the relation
--     is the database owner's, its ACL is exactly what renderSql leaves, and no column has an ACL (one
--     index probe of pg_attribute). Then its effective privileges are the plan's, by Postgres's own
--     rule (aclmask: the role's items and PUBLIC's, nothing inherited).
--  2. Otherwise EFFECTIVE privileges through has_*_privilege with the role's oid: the set's
--     privileges are all there (an aclcontains shortcut for a direct grant, else one call each) and
--     nothing else is (one any-of call, grant options included; has_any_column_privilege where
--     columns have ACLs).
-- Step 1 is what keeps a fresh session fast: every has_* call is a per-backend cache miss there.
pass AS (
    SELECT
        array_agg(r.oid) FILTER (WHERE r.oid IS NOT NULL AND (r.tset IS NULL OR CASE r.tset
            WHEN 'S' THEN
                NOT coalesce((SELECT plain FROM item) AND r.relowner = (SELECT owner FROM item) AND r.relacl = (SELECT acl_sequence FROM item), false)
                AND (NOT (coalesce(r.relowner = (SELECT owner FROM item) AND r.relacl @> (SELECT sequence FROM item), false)
                          OR pg_catalog.has_sequence_privilege((SELECT oid FROM app), r.oid, 'USAGE'))
                     OR pg_catalog.has_sequence_privilege((SELECT oid FROM app), r.oid, 'SELECT, UPDATE, USAGE WITH GRANT OPTION'))
            WHEN 'A' THEN
                NOT coalesce((SELECT plain FROM item) AND r.relowner = (SELECT owner FROM item) AND r.relacl = (SELECT acl_application FROM item)
                             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL), false)
                AND (NOT (coalesce(r.relowner = (SELECT owner FROM item) AND r.relacl @> (SELECT application FROM item), false)
                          OR (pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'SELECT')
                              AND pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'INSERT')
                              AND pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'UPDATE')
                              AND pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'DELETE')))
                     OR pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'TRUNCATE, REFERENCES, TRIGGER, MAINTAIN,
                         SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION, UPDATE WITH GRANT OPTION, DELETE WITH GRANT OPTION')
                     OR (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL) AND pg_catalog.has_any_column_privilege((SELECT oid FROM app), r.oid,
                         'REFERENCES, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION, UPDATE WITH GRANT OPTION')))
            WHEN 'O' THEN
                NOT coalesce((SELECT plain FROM item) AND r.relowner = (SELECT owner FROM item) AND r.relacl = (SELECT acl_append_only FROM item)
                             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL), false)
                AND (NOT (coalesce(r.relowner = (SELECT owner FROM item) AND r.relacl @> (SELECT append_only FROM item), false)
                          OR (pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'SELECT')
                              AND pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'INSERT')))
                     OR pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN,
                         SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION')
                     OR (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL) AND pg_catalog.has_any_column_privilege((SELECT oid FROM app), r.oid,
                         'UPDATE, REFERENCES, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION')))
            ELSE
                NOT coalesce((SELECT plain FROM item) AND r.relowner = (SELECT owner FROM item)
                             AND (r.relacl IS NULL OR r.relacl = (SELECT acl_locked FROM item)) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL), false)
                AND (pg_catalog.has_table_privilege((SELECT oid FROM app), r.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN')
                     OR (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL) AND pg_catalog.has_any_column_privilege((SELECT oid FROM app), r.oid, 'SELECT, INSERT, UPDATE, REFERENCES')))
            END)) AS flagged,
        array_agg(r.ename) FILTER (WHERE r.oid IS NULL) AS missing,
        count(*) FILTER (WHERE r.relkind <> 'S' AND r.tset IS NOT NULL) AS tables,
        count(*) FILTER (WHERE r.relkind = 'S') AS sequences,
        count(*) FILTER (WHERE r.oid IS NOT NULL AND r.tset IS NULL) AS unclassified
    FROM (
        SELECT c.oid, c.relkind, c.relowner, c.relacl, e.name AS ename,
            CASE WHEN c.relkind = 'S' THEN 'S' ELSE e.tset END AS tset
        FROM (
            SELECT c.oid, c.relkind, c.relowner, c.relacl, CASE WHEN c.relkind <> 'S' THEN c.relname END AS jname
            FROM pg_catalog.pg_class c
            WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        ) c
        FULL JOIN exp e ON e.name = c.jname
    ) r
),
off AS (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.relispartition, c.relacl
    FROM pass CROSS JOIN LATERAL unnest(pass.flagged) f(oid) JOIN pg_catalog.pg_class c ON c.oid = f.oid
),
-- Full effective privileges, only for the relations the fast pass picked.
tabpriv AS (
    SELECT t.oid,
        concat_ws(',', CASE WHEN t.s THEN 'SELECT' END, CASE WHEN t.i THEN 'INSERT' END, CASE WHEN t.u THEN 'UPDATE' END,
            CASE WHEN t.d THEN 'DELETE' END, CASE WHEN t.tr THEN 'TRUNCATE' END, CASE WHEN t.rf THEN 'REFERENCES' END,
            CASE WHEN t.tg THEN 'TRIGGER' END, CASE WHEN t.mt THEN 'MAINTAIN' END) AS p,
        concat_ws(',',
            CASE WHEN NOT t.s AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'SELECT') THEN 'SELECT' END,
            CASE WHEN NOT t.i AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'INSERT') THEN 'INSERT' END,
            CASE WHEN NOT t.u AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'UPDATE') THEN 'UPDATE' END,
            CASE WHEN NOT t.rf AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'REFERENCES') THEN 'REFERENCES' END) AS c,
        concat_ws(',',
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'SELECT WITH GRANT OPTION') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'INSERT WITH GRANT OPTION') THEN 'INSERT' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'UPDATE WITH GRANT OPTION') THEN 'UPDATE' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'DELETE WITH GRANT OPTION') THEN 'DELETE' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'TRUNCATE WITH GRANT OPTION') THEN 'TRUNCATE' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'REFERENCES WITH GRANT OPTION') THEN 'REFERENCES' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'TRIGGER WITH GRANT OPTION') THEN 'TRIGGER' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'MAINTAIN WITH GRANT OPTION') THEN 'MAINTAIN' END) AS g
    FROM (
        SELECT off.oid, app.oid AS role,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'SELECT') AS s,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'INSERT') AS i,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'UPDATE') AS u,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'DELETE') AS d,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'TRUNCATE') AS tr,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'REFERENCES') AS rf,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'TRIGGER') AS tg,
            pg_catalog.has_table_privilege(app.oid, off.oid, 'MAINTAIN') AS mt
        FROM off CROSS JOIN app WHERE off.relkind <> 'S'
    ) t
),
seqpriv AS (
    SELECT off.oid,
        concat_ws(',',
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'USAGE') THEN 'USAGE' END,
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'SELECT') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'UPDATE') THEN 'UPDATE' END) AS p,
        concat_ws(',',
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'USAGE WITH GRANT OPTION') THEN 'USAGE' END,
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'SELECT WITH GRANT OPTION') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_sequence_privilege(app.oid, off.oid, 'UPDATE WITH GRANT OPTION') THEN 'UPDATE' END) AS g
    FROM off CROSS JOIN app WHERE off.relkind = 'S'
),
-- Where those privileges come from: ACL items (object and column level) for the role, PUBLIC or an
-- inherited role. The owner's own items are left out: ownership is reported as such.
relacl AS (
    SELECT off.oid AS rel, NULL::text AS col, a.grantee, a.privilege_type AS priv, a.is_grantable AS go
    FROM off CROSS JOIN LATERAL pg_catalog.aclexplode(off.relacl) a
    WHERE off.relacl IS NOT NULL AND a.grantee <> off.relowner AND a.grantee IN (SELECT oid FROM grantees)
    UNION ALL
    SELECT off.oid, x.attname, x.grantee, x.privilege_type, x.is_grantable
    FROM off CROSS JOIN LATERAL (
        SELECT att.attname::text AS attname, a.grantee, a.privilege_type, a.is_grantable
        FROM pg_catalog.pg_attribute att CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
        WHERE att.attrelid = off.oid AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL
    ) x
    WHERE x.grantee <> off.relowner AND x.grantee IN (SELECT oid FROM grantees)
),
relsrc AS (
    SELECT x.rel, json_agg(json_build_object('g', x.g, 'col', x.col, 'p', x.p, 'go', x.go) ORDER BY x.g NULLS FIRST, x.col NULLS FIRST) AS a
    FROM (
        SELECT relacl.rel, relacl.col,
            CASE WHEN relacl.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(relacl.grantee)::text END AS g,
            string_agg(relacl.priv, ',') AS p,
            coalesce(string_agg(relacl.priv, ',') FILTER (WHERE relacl.go), '') AS go
        FROM relacl GROUP BY relacl.rel, relacl.col, relacl.grantee
    ) x
    GROUP BY x.rel
),
rels AS (
    SELECT json_agg(json_build_object(
        'n', off.relname, 'k', off.relkind, 'part', off.relispartition,
        'o', CASE WHEN off.relowner IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(off.relowner) END,
        'p', coalesce(tabpriv.p, seqpriv.p, ''), 'c', coalesce(tabpriv.c, ''), 'g', coalesce(tabpriv.g, seqpriv.g, ''),
        'a', relsrc.a,
        'lt', CASE WHEN off.relkind = 'S' THEN (
            SELECT json_build_object('s', tn.nspname, 'n', t.relname)
            FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = off.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) END
    ) ORDER BY off.relname) AS j
    FROM off
    LEFT JOIN tabpriv ON tabpriv.oid = off.oid
    LEFT JOIN seqpriv ON seqpriv.oid = off.oid
    LEFT JOIN relsrc ON relsrc.rel = off.oid
),
-- The plan's schema, plus any other user schema the role can CREATE in or owns. The public schema is
-- owned by pg_database_owner on PostgreSQL 15+: its effective owner is the database owner.
sch AS (
    SELECT n.oid, n.nspname, coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl, n.nspowner,
        CASE WHEN n.nspowner = 'pg_database_owner'::regrole THEN db.datdba ELSE n.nspowner END AS eowner,
        pg_catalog.has_schema_privilege(app.oid, n.oid, 'USAGE') AS usage,
        pg_catalog.has_schema_privilege(app.oid, n.oid, 'CREATE') AS cre
    FROM pg_catalog.pg_namespace n CROSS JOIN db LEFT JOIN app ON true
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
),
schemas AS (
    SELECT json_agg(json_build_object(
        'n', sch.nspname, 'usage', coalesce(sch.usage, false), 'create', coalesce(sch.cre, false),
        'dbo', sch.nspowner = 'pg_database_owner'::regrole,
        'o', CASE WHEN sch.eowner IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(sch.eowner) END,
        'a', (SELECT json_agg(json_build_object(
                'g', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
                'col', NULL, 'p', a.privilege_type, 'go', CASE WHEN a.is_grantable THEN a.privilege_type ELSE '' END))
              FROM pg_catalog.aclexplode(sch.acl) a
              WHERE a.grantee <> sch.nspowner AND a.grantee IN (SELECT oid FROM grantees))
    ) ORDER BY sch.nspname) AS j
    FROM sch
    WHERE sch.nspname = $2 OR sch.cre OR sch.eowner IN (SELECT oid FROM grantees)
),
dbj AS (
    SELECT json_build_object(
        'n', db.datname, 'owner', pg_catalog.pg_get_userbyid(db.datdba),
        'connect', coalesce(pg_catalog.has_database_privilege(app.oid, db.oid, 'CONNECT'), false),
        'create', coalesce(pg_catalog.has_database_privilege(app.oid, db.oid, 'CREATE'), false),
        'o', CASE WHEN db.datdba IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(db.datdba) END,
        'a', (SELECT json_agg(json_build_object(
                'g', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
                'col', NULL, 'p', a.privilege_type, 'go', CASE WHEN a.is_grantable THEN a.privilege_type ELSE '' END))
              FROM pg_catalog.aclexplode(db.acl) a
              WHERE a.grantee <> db.datdba AND a.grantee IN (SELECT oid FROM grantees))
    ) AS j
    FROM db LEFT JOIN app ON true
),
mem AS (
    SELECT json_agg(json_build_object(
        'role', pg_catalog.pg_get_userbyid(m.roleid), 'grantor', pg_catalog.pg_get_userbyid(m.grantor),
        'admin', m.admin_option, 'inherit', m.inherit_option, 'set', m.set_option
    ) ORDER BY pg_catalog.pg_get_userbyid(m.roleid), pg_catalog.pg_get_userbyid(m.grantor)) AS j
    FROM pg_catalog.pg_auth_members m JOIN app ON m.member = app.oid
),
reached AS (
    SELECT json_agg(json_build_object(
        'via', pg_catalog.pg_get_userbyid(x.via), 'role', r.rolname, 'inherit', x.inh,
        'super', r.rolsuper, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,
        'replication', r.rolreplication, 'bypassrls', r.rolbypassrls,
        'dbowner', r.oid = (SELECT datdba FROM db), 'predefined', r.oid < 16384 AND r.rolname LIKE 'pg\_%',
        'owns', (SELECT count(*) FROM pg_catalog.pg_shdepend s
                 WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid AND s.deptype = 'o'
                   AND s.dbid = (SELECT oid FROM db))
    ) ORDER BY pg_catalog.pg_get_userbyid(x.via), r.rolname) AS j
    FROM (SELECT reach.via, reach.roleid, bool_or(reach.inh) AS inh FROM reach GROUP BY reach.via, reach.roleid) x
    JOIN pg_catalog.pg_roles r ON r.oid = x.roleid
),
-- Objects the role itself owns in this database, from the owner dependencies (pg_shdepend, indexed)
-- that REASSIGN OWNED uses. A sequence linked to a column moves with its table.
own AS (
    SELECT s.classid, s.objid, s.objsubid FROM pg_catalog.pg_shdepend s JOIN app ON s.refobjid = app.oid
    WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.deptype = 'o' AND s.dbid = (SELECT oid FROM db)
),
owned AS (
    SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'type' END AS kind,
           n.nspname::text AS schema, c.relname::text AS name, NULL::text AS args,
           (SELECT json_agg(json_build_object('s', sn.nspname, 'n', sq.relname) ORDER BY sq.relname)
            FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class sq ON sq.oid = d.objid
            JOIN pg_catalog.pg_namespace sn ON sn.oid = sq.relnamespace
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') AND sq.relkind = 'S') AS linked
    FROM own JOIN pg_catalog.pg_class c ON own.classid = 'pg_catalog.pg_class'::regclass AND c.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT 'schema', NULL, n.nspname::text, NULL, NULL
    FROM own JOIN pg_catalog.pg_namespace n ON own.classid = 'pg_catalog.pg_namespace'::regclass AND n.oid = own.objid
    UNION ALL
    SELECT 'routine', n.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid), NULL
    FROM own JOIN pg_catalog.pg_proc p ON own.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname::text, t.typname::text, NULL, NULL
    FROM own JOIN pg_catalog.pg_type t ON own.classid = 'pg_catalog.pg_type'::regclass AND t.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r')
    UNION ALL
    SELECT 'other', NULL, pg_catalog.pg_describe_object(own.classid, own.objid, own.objsubid), NULL, NULL
    FROM own WHERE own.classid NOT IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_namespace'::regclass,
        'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_type'::regclass)
    UNION ALL
    SELECT 'database', NULL, db.datname::text, NULL, NULL FROM db JOIN app ON db.datdba = app.oid
),
ownedj AS (
    SELECT json_agg(json_build_object('kind', kind, 'schema', schema, 'name', name, 'args', args, 'linked', linked)
        ORDER BY kind, schema, name, args) AS j
    FROM owned
),
defacl AS (
    SELECT json_agg(json_build_object(
        'owner', pg_catalog.pg_get_userbyid(d.defaclrole), 'schema', n.nspname, 'type', d.defaclobjtype,
        'g', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, 'p', a.privilege_type
    ) ORDER BY pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname NULLS FIRST, d.defaclobjtype, a.grantee, a.privilege_type) AS j
    FROM pg_catalog.pg_default_acl d
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
    CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
    JOIN app ON a.grantee IN (app.oid, 0)
    WHERE d.defaclnamespace = 0 OR n.nspname = $2
)
SELECT json_build_object(
    'version', pg_catalog.current_setting('server_version_num')::int,
    'currentUser', current_user,
    'database', (SELECT j FROM dbj),
    'role', (SELECT json_build_object('name', rolname, 'login', rolcanlogin, 'super', rolsuper, 'createrole', rolcreaterole,
                'createdb', rolcreatedb, 'replication', rolreplication, 'bypassrls', rolbypassrls,
                'connlimit', rolconnlimit, 'expired', expired) FROM app),
    'schemaExists', EXISTS (SELECT 1 FROM ns),
    'relations', (SELECT j FROM rels),
    'missing', (SELECT to_json(pass.missing) FROM pass),
    'checked', (SELECT json_build_object('tables', pass.tables, 'sequences', pass.sequences, 'unclassified', pass.unclassified) FROM pass),
    'schemas', (SELECT j FROM schemas),
    'memberships', (SELECT j FROM mem),
    'reached', (SELECT j FROM reached),
    'owned', (SELECT j FROM ownedj),
    'defaultAcl', (SELECT j FROM defacl)
) AS catalog
`;

interface RawAcl {
    g: string | null;
    col: string | null;
    p: string;
    go: string;
}

const list = (s: string | null | undefined): string[] => (s ? s.split(",") : []);

/** Merges raw ACL rows (one per privilege for schemas/databases) into one entry per grantee and column. */
function acl(raw: RawAcl[] | null | undefined): AclEntry[] {
    const byKey = new Map<string, { grantee: string | null; column: string | null; privileges: string[]; grantable: string[] }>();
    for (const a of raw ?? []) {
        const key = JSON.stringify([a.g, a.col]);
        let e = byKey.get(key);
        if (!e) {
            e = { grantee: a.g, column: a.col, privileges: [], grantable: [] };
            byKey.set(key, e);
        }
        e.privileges.push(...list(a.p));
        e.grantable.push(...list(a.go));
    }
    return [...byKey.values()];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the shape is fixed by CATALOG_SQL above */
/** Turns the query's json document into the typed Catalog (renames and normalises only). */
export function parseCatalog(doc: unknown): Catalog {
    const d = doc as any;
    const role = d.role
        ? {
              name: d.role.name,
              canLogin: d.role.login,
              superuser: d.role.super,
              createRole: d.role.createrole,
              createDb: d.role.createdb,
              replication: d.role.replication,
              bypassRls: d.role.bypassrls,
              connectionLimit: d.role.connlimit,
              expired: d.role.expired,
          }
        : null;
    return {
        serverVersion: d.version,
        currentUser: d.currentUser,
        database: {
            name: d.database.n,
            owner: d.database.owner,
            connect: d.database.connect,
            create: d.database.create,
            ownedBy: d.database.o ?? null,
            acl: acl(d.database.a),
        },
        role,
        schemaExists: d.schemaExists,
        missingTables: d.missing ?? [],
        checked: { tables: Number(d.checked.tables), sequences: Number(d.checked.sequences), unclassified: Number(d.checked.unclassified) },
        relations: ((d.relations ?? []) as any[]).map((r) => ({
            name: r.n,
            kind: r.k,
            partition: r.part,
            owner: r.o ?? null,
            privileges: list(r.p),
            columnPrivileges: list(r.c),
            grantOptions: list(r.g),
            acl: acl(r.a),
            linkedTable: r.lt ? { schema: r.lt.s, name: r.lt.n } : null,
        })),
        schemas: ((d.schemas ?? []) as any[]).map((s) => ({
            name: s.n,
            usage: s.usage,
            create: s.create,
            owner: s.o ?? null,
            ownedByDatabaseOwner: Boolean(s.dbo),
            acl: acl(s.a),
        })),
        memberships: ((d.memberships ?? []) as any[]).map((m) => ({
            role: m.role,
            grantor: m.grantor,
            admin: m.admin,
            inherit: m.inherit,
            set: m.set,
        })),
        reached: ((d.reached ?? []) as any[]).map((r) => ({
            via: r.via,
            role: r.role,
            inherit: r.inherit,
            superuser: r.super,
            createRole: r.createrole,
            createDb: r.createdb,
            replication: r.replication,
            bypassRls: r.bypassrls,
            databaseOwner: r.dbowner,
            predefined: r.predefined,
            ownsRelations: Number(r.owns),
        })),
        owned: ((d.owned ?? []) as any[]).map((o) => ({
            kind: o.kind,
            schema: o.schema ?? null,
            name: o.name,
            args: o.args ?? null,
            linked: ((o.linked ?? []) as any[]).map((l) => ({ schema: l.s, name: l.n })),
        })),
        defaultAcl: ((d.defaultAcl ?? []) as any[]).map((a) => ({
            owner: a.owner,
            schema: a.schema ?? null,
            objectType: a.type,
            grantee: a.g ?? null,
            privilege: a.p,
        })),
    };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

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

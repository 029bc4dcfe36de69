/**
 * What `raptor-roles verify` knows about a live database: the typed catalog
 * snapshot that db/catalog/ reads in one query and core/verify/ compares with
 * the plan. Types only, so the pure core depends on no database code. The
 * query's JSON keys are exactly these field names.
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
 * Tables, views, materialized views, foreign tables or sequences of the
 * plan's schema that the query found different from the plan in the same way
 * (same kind, set, owner, privileges and ACL), or that the plan does not
 * classify. Relations that match the plan are not listed. One entry holds
 * many names because a blanket grant makes thousands of relations alike.
 */
export interface CatalogRelation {
    /** Every relation of the group (at least one), in no particular order. */
    readonly names: readonly string[];
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
    | "table"
    | "view"
    | "materialized view"
    | "foreign table"
    | "sequence"
    | "type"
    | "domain"
    | "schema"
    | "routine"
    | "database"
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
    /** server_version_num, e.g. 160014 for 16.14: MAINTAIN and pg_maintain exist from 170000 on. */
    readonly serverVersion: number;
    readonly currentUser: string;
    readonly database: CatalogDatabase;
    /** null when the role does not exist. */
    readonly role: CatalogRole | null;
    readonly schemaExists: boolean;
    /** Relations of the plan's schema that differ from the plan or are unclassified, grouped (unordered). */
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

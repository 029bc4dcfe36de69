/**
 * What lint-migrations reads out of a migration, whatever its source: table
 * changes and app-role grants, each with the file and line it comes from.
 * Alembic revision files (alembic.ts) and SQL (sql.ts) both produce these;
 * lint.ts replays them in migration order.
 */

/** A relation kind that `verify` holds to the matrix (partitions and temp tables are not). */
export type RelationKind = "table" | "view" | "materialized view" | "foreign table";

export interface Where {
    readonly file: string;
    readonly line: number;
}

/** A table name as written: schema undefined means unqualified (the default schema). */
export interface TableName {
    readonly schema?: string;
    readonly name: string;
}

/** The grantee of a privilege statement: the app role, PUBLIC (which the app role is part of), or another role. */
export type Grantee = { readonly kind: "role"; readonly name: string } | { readonly kind: "public" };

export type Op = Where &
    (
        | {
              readonly op: "create";
              readonly table: TableName;
              readonly kind: RelationKind;
              readonly ifNotExists: boolean;
          }
        | { readonly op: "drop"; readonly table: TableName; readonly kind: RelationKind }
        | { readonly op: "rename"; readonly table: TableName; readonly to: string }
        | { readonly op: "set-schema"; readonly table: TableName; readonly to: string }
        | {
              readonly op: "privileges";
              readonly grant: boolean;
              /** Tables named, or every table of a schema (`ON ALL TABLES IN SCHEMA`). */
              readonly target: { readonly tables: readonly TableName[] } | { readonly allInSchemas: readonly string[] };
              /** Upper case; `ALL` expanded to every table privilege. */
              readonly privileges: readonly string[];
              /** Column lists per privilege (GRANT UPDATE (a) ON ...); absent for table-level privileges. */
              readonly columns?: readonly string[];
              /** GRANT ... WITH GRANT OPTION, or REVOKE GRANT OPTION FOR (the privilege itself stays). */
              readonly grantOption: boolean;
              readonly grantees: readonly Grantee[];
          }
        /** What hands the app role privileges around the matrix: ownership, membership, default privileges. */
        | { readonly op: "widening"; readonly grantees: readonly Grantee[]; readonly what: string }
        /**
         * SET search_path: where unqualified names are created and looked up for the rest of the migration
         * (undefined: back to the default, the matrix's schema). Schemas in order, as written.
         */
        | { readonly op: "search-path"; readonly schemas?: readonly string[] }
        /** A statement the lint cannot see into (a DO block, SQL built at run time that does not parse). */
        | { readonly op: "opaque"; readonly what: string }
        /** SQL PostgreSQL's grammar refuses, or a template not yet rendered: a finding, and nothing in it is read. */
        | {
              readonly op: "unreadable";
              readonly kind: "unparsable-sql" | "templated-sql";
              readonly message: string;
              readonly fix: string;
          }
    );

/** A migration file, ready to replay: its ops in execution order. */
export interface Migration {
    readonly file: string;
    /** The Alembic revision id or the SQL file's version, for the report. */
    readonly id: string;
    readonly ops: readonly Op[];
}

/** One source tree of migrations (an Alembic versions directory, a SQL migrations directory), in order. */
export interface MigrationTree {
    readonly root: string;
    readonly tool: "alembic" | "dbmate" | "golang-migrate" | "goose" | "sql-migrate" | "flyway" | "sql";
    readonly migrations: readonly Migration[];
    /** Heads of an Alembic tree (more than one: unmerged branches, all applied by `alembic upgrade heads`). */
    readonly heads?: readonly string[];
}

/** What stops the lint from running at all (exit 1), with a code for `--json`'s error document. */
export type MigrationErrorCode =
    | "unreadable-path"
    | "python-missing"
    | "no-migrations"
    | "python-syntax"
    | "revision-identifiers"
    | "duplicate-revision"
    | "unknown-revision"
    | "revision-cycle";

export class MigrationError extends Error {
    /** Where and what, without the fix. */
    readonly reason: string;

    constructor(
        readonly file: string,
        readonly line: number | undefined,
        message: string,
        readonly code: MigrationErrorCode,
        readonly fix: string,
    ) {
        const where = `${file}${line ? `:${line}` : ""}`;
        super(`${where}: ${message}; ${fix}`);
        this.reason = `${where}: ${message}`;
        this.name = "MigrationError";
    }
}

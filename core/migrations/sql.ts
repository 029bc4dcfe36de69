/**
 * SQL to ops, with PostgreSQL's own grammar: libpg-query is the server's
 * parser compiled to WebAssembly (PostgreSQL 17, Heroku's default), so a
 * statement parses here exactly when the database would accept it, and
 * nothing is read out of SQL by pattern matching.
 *
 * Used for plain SQL migrations and for the SQL inside Alembic's `op.execute`.
 */
import { loadModule, parseSync } from "@libpg-query/parser";
import { rewriteBinds } from "./binds";
import { lexSql, splitStatements } from "./sql-lexer";
import { Grantee, Op, RelationKind, TableName } from "./types";

type Node = Record<string, unknown>;
const obj = (v: unknown): Node => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Node) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
/** The one child of a node wrapper such as `{ RangeVar: {...} }`. */
const inner = (v: unknown, type: string): Node => obj(obj(v)[type]);

let loaded: Promise<void> | undefined;
/** Loads the WebAssembly parser once; call before parseSqlOps. */
export function loadSqlParser(): Promise<void> {
    loaded ??= loadModule();
    return loaded;
}

const RELATION_KINDS: Readonly<Record<string, RelationKind>> = {
    OBJECT_TABLE: "table",
    OBJECT_VIEW: "view",
    OBJECT_MATVIEW: "materialized view",
    OBJECT_FOREIGN_TABLE: "foreign table",
};

/** Every privilege `GRANT ALL ON TABLE` gives in PostgreSQL 17. */
export const ALL_TABLE_PRIVILEGES = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
];

/** Where a parsed text sits in its file: SQL inside a Python string starts at that string's line. */
export interface SqlSource {
    readonly file: string;
    /** Line of the text's first character in the file. */
    readonly firstLine: number;
    /** SQL written in Python: its bind parameters (`:name`, `%(name)s`, `%s`) are placeholders (binds.ts). */
    readonly binds?: boolean;
}

/** Line of a byte offset (libpg-query locations are UTF-8 byte offsets). */
function lineAt(bytes: Buffer, offset: number, src: SqlSource): number {
    let line = src.firstLine;
    for (let i = 0; i < Math.min(offset, bytes.length); i++) {
        if (bytes[i] === 0x0a) {
            line++;
        }
    }
    return line;
}

/** Offset of a statement's first token: libpg-query's stmt_location includes the whitespace and comments before it. */
function firstToken(bytes: Buffer, from: number, to: number): number {
    let i = from;
    while (i < to) {
        const c = bytes[i];
        if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
            i++;
        } else if (c === 0x2d && bytes[i + 1] === 0x2d) {
            while (i < to && bytes[i] !== 0x0a) i++;
        } else if (c === 0x2f && bytes[i + 1] === 0x2a) {
            const end = bytes.indexOf("*/", i + 2);
            i = end < 0 ? to : end + 2;
        } else {
            break;
        }
    }
    return i;
}

function rangeVar(v: unknown): TableName {
    const r = obj(obj(v)["RangeVar"] ?? v);
    const schema = text(r["schemaname"]);
    return { ...(schema ? { schema } : {}), name: text(r["relname"]) };
}

/** `DROP TABLE a, s.b`: each object is a list of name parts. */
function nameList(v: unknown): TableName {
    const parts = arr(inner(v, "List")["items"]).map((p) => text(inner(p, "String")["sval"]));
    return parts.length > 1
        ? { schema: parts[parts.length - 2], name: parts[parts.length - 1] }
        : { name: parts[0] ?? "" };
}

function grantees(v: unknown): Grantee[] {
    return arr(v).map((g) => {
        const r = inner(g, "RoleSpec");
        return r["roletype"] === "ROLESPEC_PUBLIC"
            ? { kind: "public" as const }
            : { kind: "role" as const, name: text(r["rolename"]) || text(r["roletype"]) };
    });
}

type Located = (loc: unknown) => { file: string; line: number };

function grantOps(g: Node, at: Located, stmtAt: { file: string; line: number }): Op[] {
    if (g["objtype"] !== "OBJECT_TABLE") {
        return []; // sequences, schemas, functions: outside the table matrix
    }
    const to = grantees(g["grantees"]);
    const privs = arr(g["privileges"]).map((p) => inner(p, "AccessPriv"));
    const all = privs.length === 0;
    const base = {
        op: "privileges" as const,
        grant: g["is_grant"] === true,
        grantOption: g["grant_option"] === true,
        grantees: to,
    };
    const target =
        g["targtype"] === "ACL_TARGET_ALL_IN_SCHEMA"
            ? { allInSchemas: arr(g["objects"]).map((o) => text(inner(o, "String")["sval"])) }
            : { tables: arr(g["objects"]).map(rangeVar) };
    const where = "tables" in target && g["objects"] ? at(inner(arr(g["objects"])[0], "RangeVar")["location"]) : stmtAt;
    if (all) {
        return [{ ...base, ...where, target, privileges: ALL_TABLE_PRIVILEGES }];
    }
    return privs.map((p) => {
        const cols = arr(p["cols"]).map((c) => text(inner(c, "String")["sval"]));
        const name = text(p["priv_name"]).toUpperCase();
        const privileges = name === "ALL" ? ALL_TABLE_PRIVILEGES : [name];
        return { ...base, ...where, target, privileges, ...(cols.length > 0 ? { columns: cols } : {}) };
    });
}

type At = { file: string; line: number };
type Handler = (n: Node, at: Located, stmtAt: At) => Op[];

/** A create of the relation `rel`, unless it is temporary (gone at the end of the session). */
function create(rel: Node, at: Located, kind: RelationKind, ifNotExists: boolean): Op[] {
    if (rel["relpersistence"] === "t") {
        return [];
    }
    return [{ op: "create", ...at(rel["location"]), table: rangeVar(rel), kind, ifNotExists }];
}

const widening = (stmtAt: At, to: unknown, what: string): Op[] => [
    { op: "widening", ...stmtAt, grantees: grantees(to), what },
];

/** The statements that change relations or the app role's privileges; any other statement has no op. */
const STATEMENTS: Readonly<Record<string, Handler>> = {
    // A partition is reached through its parent's privileges: not a relation to classify.
    CreateStmt: (n, at) =>
        n["partbound"] !== undefined ? [] : create(obj(n["relation"]), at, "table", n["if_not_exists"] === true),
    CreateForeignTableStmt: (n, at) => create(obj(obj(n["base"])["relation"]), at, "foreign table", false),
    CreateTableAsStmt: (n, at) =>
        create(
            obj(obj(n["into"])["rel"]),
            at,
            n["objtype"] === "OBJECT_MATVIEW" ? "materialized view" : "table",
            n["if_not_exists"] === true,
        ),
    ViewStmt: (n, at) => create(obj(n["view"]), at, "view", n["replace"] === true),
    DropStmt: (n, _at, stmtAt) => {
        const kind = RELATION_KINDS[text(n["removeType"])];
        return kind ? arr(n["objects"]).map((o) => ({ op: "drop" as const, ...stmtAt, table: nameList(o), kind })) : [];
    },
    RenameStmt: (n, at) =>
        RELATION_KINDS[text(n["renameType"])] && n["relation"]
            ? [
                  {
                      op: "rename",
                      ...at(obj(n["relation"])["location"]),
                      table: rangeVar(n["relation"]),
                      to: text(n["newname"]),
                  },
              ]
            : [],
    AlterObjectSchemaStmt: (n, at) =>
        RELATION_KINDS[text(n["objectType"])] && n["relation"]
            ? [
                  {
                      op: "set-schema",
                      ...at(obj(n["relation"])["location"]),
                      table: rangeVar(n["relation"]),
                      to: text(n["newschema"]),
                  },
              ]
            : [],
    GrantStmt: (n, at, stmtAt) => grantOps(n, at, stmtAt),
    GrantRoleStmt: (n, _at, stmtAt) => {
        const roles = arr(n["granted_roles"]).map((r) => text(inner(r, "AccessPriv")["priv_name"]));
        return n["is_grant"] === true
            ? widening(stmtAt, n["grantee_roles"], `membership in role(s) ${roles.join(", ")}`)
            : [];
    },
    AlterDefaultPrivilegesStmt: (n, _at, stmtAt) => {
        const action = obj(n["action"]);
        return action["is_grant"] === true && action["objtype"] === "OBJECT_TABLE"
            ? widening(stmtAt, action["grantees"], "default privileges on future tables")
            : [];
    },
    AlterTableStmt: (n, at) =>
        arr(n["cmds"])
            .map((c) => inner(c, "AlterTableCmd"))
            .filter((c) => c["subtype"] === "AT_ChangeOwner")
            .flatMap((c) =>
                widening(
                    at(obj(n["relation"])["location"]),
                    [{ RoleSpec: c["newowner"] }],
                    `ownership of ${rangeVar(n["relation"]).name} (an owner holds every privilege)`,
                ),
            ),
    VariableSetStmt: (n, _at, stmtAt) => {
        if (
            n["name"] !== "search_path" ||
            !["VAR_SET_VALUE", "VAR_SET_DEFAULT", "VAR_RESET"].includes(text(n["kind"]))
        ) {
            return [];
        }
        const schemas = arr(n["args"])
            .flatMap((a) => text(obj(obj(inner(a, "A_Const")["sval"]))["sval"]).split(","))
            .map((x) => x.trim())
            .filter((x) => x !== "");
        return [{ op: "search-path", ...stmtAt, ...(n["kind"] === "VAR_SET_VALUE" ? { schemas } : {}) }];
    },
    DoStmt: (_n, _at, stmtAt) => [
        { op: "opaque", ...stmtAt, what: "a DO block (PL/pgSQL runs at migration time; its statements are not read)" },
    ],
};

/** Ops of one parsed statement. */
function statementOps(stmt: Node, at: Located, stmtAt: At): Op[] {
    const [type, body] = Object.entries(stmt)[0] ?? ["", {}];
    return STATEMENTS[type]?.(obj(body), at, stmtAt) ?? [];
}

type Tree = { stmts?: Array<{ stmt: Node; stmt_location?: number; stmt_len?: number }> };
type Parsed = { tree: Tree } | { error: string; cursor: number };

function tryParse(sql: string): Parsed {
    try {
        return { tree: parseSync(sql) as Tree };
    } catch (e) {
        // 0-based, in characters.
        const cursor = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition ?? 0;
        return { error: (e as Error).message, cursor };
    }
}

function treeOps(tree: Tree, sql: string, src: SqlSource): Op[] {
    const bytes = Buffer.from(sql, "utf8");
    const ops: Op[] = [];
    for (const s of tree.stmts ?? []) {
        const from = s.stmt_location ?? 0;
        const to = s.stmt_len ? from + s.stmt_len : bytes.length;
        const stmtAt = { file: src.file, line: lineAt(bytes, firstToken(bytes, from, to), src) };
        const at: Located = (loc) =>
            typeof loc === "number" && loc >= 0 ? { file: src.file, line: lineAt(bytes, loc, src) } : stmtAt;
        ops.push(...statementOps(s.stmt, at, stmtAt));
    }
    return ops;
}

/** The template syntax in SQL, outside comments: what a tool fills in before PostgreSQL sees the text. */
function templateIn(sql: string): string | undefined {
    const text = lexSql(sql)
        .filter((r) => r.kind !== "comment")
        .map((r) => sql.slice(r.from, r.to))
        .join(" ");
    if (/\{\{[\s\S]*?\}\}/.test(text)) {
        return "{{ ... }} (Go's text/template, Jinja)";
    }
    return /\$\{[\w.:-]+\}/.test(text) ? "${...} (Flyway placeholders, goose ENVSUB)" : undefined;
}

/** The finding for a statement the grammar refuses: templated SQL, or SQL PostgreSQL would refuse too. */
function unreadable(sql: string, error: { error: string; cursor: number }, src: SqlSource, binds: string[]): Op {
    const line = lineAt(Buffer.from(sql, "utf8"), Buffer.byteLength(sql.slice(0, error.cursor)), src);
    const template = templateIn(sql);
    if (template) {
        return {
            op: "unreadable",
            kind: "templated-sql",
            file: src.file,
            line,
            message:
                `this SQL is a template, ${template}: PostgreSQL cannot parse it until it is rendered, ` +
                "so nothing in it is checked",
            fix: "render the templates first (with the values the tool uses) and lint the rendered SQL",
        };
    }
    const read = binds.length > 0 ? ` (read with its bind parameters ${binds.join(", ")} as $1, $2, ...)` : "";
    return {
        op: "unreadable",
        kind: "unparsable-sql",
        file: src.file,
        line,
        message: `PostgreSQL cannot parse this SQL${read}: ${error.error}; nothing in this statement is checked`,
        fix:
            "correct the statement (PostgreSQL refuses it too); if a tool rewrites it before it runs, " +
            "lint what the tool sends",
    };
}

/**
 * Parses SQL text into ops. A statement PostgreSQL's grammar refuses becomes an `unreadable` op (a finding)
 * at the line the parser stopped, and the statements around it are still read.
 */
export function parseSqlOps(sql: string, src: SqlSource): Op[] {
    const { sql: text, binds } = src.binds ? rewriteBinds(sql) : { sql, binds: [] as string[] };
    const whole = tryParse(text);
    if ("tree" in whole) {
        return treeOps(whole.tree, text, src);
    }
    // One refused statement must not hide the others: read each on its own.
    const bytes = Buffer.from(text, "utf8");
    return splitStatements(text).flatMap(({ text: piece, from }) => {
        const at = { ...src, firstLine: lineAt(bytes, Buffer.byteLength(text.slice(0, from)), src) };
        const one = tryParse(piece);
        return "tree" in one ? treeOps(one.tree, piece, at) : [unreadable(piece, one, at, [...binds])];
    });
}

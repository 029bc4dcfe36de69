/**
 * What one statement needs, read from PostgreSQL's own grammar (libpg_query 17, the server's parser): the tables it
 * reads, writes and locks, and for an INSERT the columns it supplies (the rest draw their defaults, and a default
 * may draw a sequence). Pure: no database, no Pulumi. The catalog (catalog.ts) turns this into privileges on real
 * objects, including what only the executor checks (sequences behind defaults, tables written by triggers).
 *
 * The rules are PostgreSQL's (the SELECT, INSERT, UPDATE, DELETE and MERGE reference pages, "Privileges" in
 * each): a statement that reads a table's columns (a WHERE, RETURNING, a SET that reads a column) needs SELECT on
 * it too, and SELECT ... FOR UPDATE/SHARE needs UPDATE on each table it locks.
 */
import { parseSync } from "@libpg-query/parser";

export type DmlPrivilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE";

/** A relation as the statement names it: `schema` only when it was written. */
export interface RelationName {
    readonly schema?: string;
    readonly name: string;
}

/** Which columns an INSERT gives values for: the others take their defaults. */
export interface InsertColumns {
    /** Named columns (a column list), or undefined when the statement lists none. */
    readonly named?: readonly string[];
    /** Without a column list: how many leading columns the VALUES rows supply ("all" for INSERT ... SELECT). */
    readonly leading?: number | "all";
    /** Positions (0-based, in the column list or the table) given as DEFAULT in every VALUES row. */
    readonly defaults: readonly number[];
    /** OVERRIDING SYSTEM VALUE: an identity column takes the value given. */
    readonly overridingSystem: boolean;
}

export interface TableAccess {
    readonly relation: RelationName;
    readonly privileges: readonly DmlPrivilege[];
    /** Set on the table an INSERT (or MERGE ... INSERT, or ON CONFLICT) writes. */
    readonly insert?: InsertColumns;
}

export type Analysis =
    | {
          readonly kind: "dml" | "truncate";
          /** SELECT, INSERT, UPDATE, DELETE, MERGE or TRUNCATE: the top-level command. */
          readonly command: string;
          readonly accesses: readonly TableAccess[];
          /** nextval/setval/currval whose sequence is a parameter: which sequence it draws is not in the text. */
          readonly sequenceByParameter: boolean;
      }
    | { readonly kind: "utility"; readonly command: string }
    | { readonly kind: "unreadable"; readonly why: string };

type Node = Record<string, unknown>;
const obj = (v: unknown): Node => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Node) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

const DML: Readonly<Record<string, string>> = {
    SelectStmt: "SELECT",
    InsertStmt: "INSERT",
    UpdateStmt: "UPDATE",
    DeleteStmt: "DELETE",
    MergeStmt: "MERGE",
};
const SEQUENCE_FUNCTIONS = new Set(["nextval", "setval", "currval"]);

/** Collects accesses while the tree is walked; CTE names and aliases are not tables. */
class Walk {
    readonly access = new Map<
        string,
        { relation: RelationName; privileges: Set<DmlPrivilege>; insert?: InsertColumns }
    >();
    readonly ctes = new Set<string>();
    readonly aliases = new Map<string, RelationName>();
    sequenceByParameter = false;

    add(rel: RelationName, ...privileges: DmlPrivilege[]): void {
        if (rel.schema === undefined && this.ctes.has(rel.name)) {
            return;
        }
        const key = rel.schema === undefined ? rel.name : `${rel.schema}.${rel.name}`;
        const a = this.access.get(key) ?? { relation: rel, privileges: new Set<DmlPrivilege>() };
        privileges.forEach((p) => a.privileges.add(p));
        this.access.set(key, a);
    }

    setInsert(rel: RelationName, insert: InsertColumns): void {
        this.add(rel, "INSERT");
        const key = rel.schema === undefined ? rel.name : `${rel.schema}.${rel.name}`;
        this.access.get(key)!.insert = insert;
    }
}

function relationOf(v: unknown): RelationName {
    const r = obj(obj(v)["RangeVar"] ?? v);
    const schema = str(r["schemaname"]);
    return schema ? { schema, name: str(r["relname"]) } : { name: str(r["relname"]) };
}

/** Every RangeVar under `node` is read (SELECT); statements nested in CTEs and sublinks are analysed as such. */
function walk(w: Walk, node: unknown): void {
    if (Array.isArray(node)) {
        node.forEach((n) => walk(w, n));
        return;
    }
    const o = obj(node);
    for (const [key, value] of Object.entries(o)) {
        if (key in DML) {
            statement(w, key, obj(value));
        } else if (key === "RangeVar") {
            const rv = obj(value);
            const rel = relationOf(rv);
            const alias = str(obj(rv["alias"])["aliasname"]);
            if (alias) {
                w.aliases.set(alias, rel);
            }
            w.add(rel, "SELECT");
        } else if (key === "FuncCall") {
            funcCall(w, obj(value));
        } else if (value !== null && typeof value === "object") {
            walk(w, value);
        }
    }
}

function funcCall(w: Walk, f: Node): void {
    const names = arr(f["funcname"]).map((n) => str(obj(obj(n)["String"])["sval"]));
    if (SEQUENCE_FUNCTIONS.has(names[names.length - 1] ?? "")) {
        // pg_stat_statements keeps `nextval($1)`: the sequence is not in the text to judge.
        const first = obj(arr(f["args"])[0]);
        if (!("A_Const" in first) && !("TypeCast" in first && "A_Const" in obj(obj(first["TypeCast"])["arg"]))) {
            w.sequenceByParameter = true;
        }
    }
    walk(w, f["args"]);
}

/** Reads a column anywhere in `node`, other than through `excluded` (ON CONFLICT's proposed row). */
function readsColumns(node: unknown): boolean {
    if (Array.isArray(node)) {
        return node.some(readsColumns);
    }
    const o = obj(node);
    if ("ColumnRef" in o) {
        const fields = arr(obj(o["ColumnRef"])["fields"]);
        return str(obj(obj(fields[0])["String"])["sval"]) !== "excluded" || fields.length === 1;
    }
    return Object.values(o).some((v) => v !== null && typeof v === "object" && readsColumns(v));
}

function withClause(w: Walk, s: Node): void {
    for (const cte of arr(obj(s["withClause"])["ctes"])) {
        w.ctes.add(str(obj(obj(cte)["CommonTableExpr"])["ctename"]));
    }
    walk(w, obj(s["withClause"])["ctes"]);
}

function statement(w: Walk, type: string, s: Node): void {
    withClause(w, s);
    switch (type) {
        case "SelectStmt":
            return select(w, s);
        case "InsertStmt":
            return insert(w, s);
        case "UpdateStmt": {
            const rel = relationOf(s["relation"]);
            aliasOf(w, s["relation"], rel);
            const reads = readsColumns(s["whereClause"]) || arr(s["returningList"]).length > 0;
            w.add(rel, "UPDATE", ...(reads || readsColumns(s["targetList"]) ? (["SELECT"] as const) : []));
            return walk(w, [s["targetList"], s["fromClause"], s["whereClause"], s["returningList"]]);
        }
        case "DeleteStmt": {
            const rel = relationOf(s["relation"]);
            aliasOf(w, s["relation"], rel);
            const reads = readsColumns(s["whereClause"]) || arr(s["returningList"]).length > 0;
            w.add(rel, "DELETE", ...(reads ? (["SELECT"] as const) : []));
            return walk(w, [s["usingClause"], s["whereClause"], s["returningList"]]);
        }
        default:
            return merge(w, s);
    }
}

function aliasOf(w: Walk, rv: unknown, rel: RelationName): void {
    const alias = str(obj(obj(obj(rv)["RangeVar"] ?? rv)["alias"])["aliasname"]);
    if (alias) {
        w.aliases.set(alias, rel);
    }
}

function select(w: Walk, s: Node): void {
    // A set operation's arms are bare SelectStmt bodies, not wrapped nodes.
    for (const arm of [s["larg"], s["rarg"]]) {
        if (arm !== undefined) {
            statement(w, "SelectStmt", obj(arm));
        }
    }
    const before = new Set(w.access.keys());
    walk(w, [s["targetList"], s["fromClause"], s["whereClause"], s["groupClause"], s["havingClause"]]);
    walk(w, [s["sortClause"], s["valuesLists"], s["limitCount"], s["limitOffset"], s["distinctClause"]]);
    const fromRels = [...w.access.entries()].filter(([k]) => !before.has(k)).map(([, a]) => a.relation);
    for (const lc of arr(s["lockingClause"])) {
        const locked = arr(obj(obj(lc)["LockingClause"])["lockedRels"]).map(relationOf);
        // FOR UPDATE/SHARE (any strength) needs UPDATE on each table it locks: all of FROM's without an OF list.
        for (const rel of locked.length > 0 ? locked : fromRels) {
            w.add(rel.schema === undefined ? (w.aliases.get(rel.name) ?? rel) : rel, "UPDATE");
        }
    }
}

function insertColumns(s: Node): InsertColumns {
    const named = arr(s["cols"]).map((c) => str(obj(obj(c)["ResTarget"])["name"]));
    const source = obj(obj(s["selectStmt"])["SelectStmt"]);
    const rows = arr(source["valuesLists"]).map((r) => arr(obj(obj(r)["List"])["items"]));
    const defaults =
        rows.length === 0 ? [] : rows[0].flatMap((_, i) => (rows.every((r) => "SetToDefault" in obj(r[i])) ? [i] : []));
    const overridingSystem = s["override"] === "OVERRIDING_SYSTEM_VALUE";
    if (named.length > 0) {
        return { named, defaults, overridingSystem };
    }
    // No column list: VALUES fills the leading columns; INSERT ... SELECT fills as many as it returns (all, here);
    // DEFAULT VALUES fills none.
    const leading = s["selectStmt"] === undefined ? 0 : rows.length > 0 ? rows[0].length : "all";
    return { leading, defaults, overridingSystem };
}

function insert(w: Walk, s: Node): void {
    const rel = relationOf(s["relation"]);
    aliasOf(w, s["relation"], rel);
    w.setInsert(rel, insertColumns(s));
    const onConflict = obj(s["onConflictClause"]);
    if (onConflict["action"] === "ONCONFLICT_UPDATE") {
        w.add(rel, "UPDATE");
        if (readsColumns(onConflict["targetList"]) || readsColumns(onConflict["whereClause"])) {
            w.add(rel, "SELECT");
        }
    }
    if (arr(s["returningList"]).length > 0) {
        w.add(rel, "SELECT");
    }
    walk(w, [s["selectStmt"], onConflict["targetList"], onConflict["whereClause"], s["returningList"]]);
}

function merge(w: Walk, s: Node): void {
    const rel = relationOf(s["relation"]);
    aliasOf(w, s["relation"], rel);
    w.add(rel, "SELECT");
    for (const c of arr(s["mergeWhenClauses"]).map((m) => obj(obj(m)["MergeWhenClause"]))) {
        const cmd = str(c["commandType"]);
        if (cmd === "CMD_INSERT") {
            const named = arr(c["targetList"]).map((t) => str(obj(obj(t)["ResTarget"])["name"]));
            const overridingSystem = c["override"] === "OVERRIDING_SYSTEM_VALUE";
            w.setInsert(
                rel,
                named.length > 0
                    ? { named, defaults: [], overridingSystem }
                    : { leading: "all", defaults: [], overridingSystem },
            );
        } else if (cmd === "CMD_UPDATE") {
            w.add(rel, "UPDATE");
        } else if (cmd === "CMD_DELETE") {
            w.add(rel, "DELETE");
        }
        walk(w, [c["condition"], c["targetList"], c["values"]]);
    }
    walk(w, [s["sourceRelation"], s["joinCondition"], s["returningList"]]);
}

function finish(w: Walk, command: string, kind: "dml" | "truncate"): Analysis {
    const accesses = [...w.access.values()].map((a) => ({
        relation: a.relation,
        privileges: (["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"] as const).filter((p) => a.privileges.has(p)),
        ...(a.insert ? { insert: a.insert } : {}),
    }));
    return { kind, command, accesses, sequenceByParameter: w.sequenceByParameter };
}

/** A statement that touches tables: DML or TRUNCATE. */
export type DmlAnalysis = Extract<Analysis, { kind: "dml" | "truncate" }>;

/** pg_stat_statements' text for another role's statement, or a statement whose text it dropped. */
export const UNREADABLE_TEXTS = ["<insufficient privilege>", ""];

/**
 * Analyses one statement's text (as pg_stat_statements stores it, with `$n` for constants). Never throws: a text
 * that does not parse as exactly one statement is `unreadable`. The parser must be loaded (loadSqlParser).
 */
export function analyseStatement(text: string): Analysis {
    if (UNREADABLE_TEXTS.includes(text.trim())) {
        return { kind: "unreadable", why: "its text is not readable (another role's statement, or none kept)" };
    }
    let stmts: unknown[];
    try {
        stmts = arr(obj(parseSync(text))["stmts"]);
    } catch {
        return { kind: "unreadable", why: "its text does not parse as PostgreSQL 17 SQL" };
    }
    if (stmts.length !== 1) {
        return { kind: "unreadable", why: `its text holds ${stmts.length} statements, not one` };
    }
    const [type, body] = Object.entries(obj(obj(stmts[0])["stmt"]))[0] ?? ["", {}];
    const w = new Walk();
    if (type in DML) {
        statement(w, type, obj(body));
        return finish(w, DML[type], "dml");
    }
    if (type === "TruncateStmt") {
        for (const rv of arr(obj(body)["relations"])) {
            w.add(relationOf(rv), "TRUNCATE");
        }
        return finish(w, "TRUNCATE", "truncate");
    }
    return { kind: "utility", command: utilityName(type) };
}

/** Parse-node names that do not spell their command. */
const UTILITY_NAMES: Readonly<Record<string, string>> = {
    CreateStmt: "CREATE TABLE",
    CreateTrigStmt: "CREATE TRIGGER",
    CreateSeqStmt: "CREATE SEQUENCE",
    AlterSeqStmt: "ALTER SEQUENCE",
    IndexStmt: "CREATE INDEX",
    ViewStmt: "CREATE VIEW",
    DropStmt: "DROP",
    VariableSetStmt: "SET",
    VariableShowStmt: "SHOW",
    TransactionStmt: "BEGIN/COMMIT",
    GrantRoleStmt: "GRANT ROLE",
    RenameStmt: "RENAME",
    DoStmt: "DO",
};

/** `AlterRoleStmt` -> `ALTER ROLE`: what a utility statement is, never its text (it may hold a password). */
export function utilityName(type: string): string {
    if (UTILITY_NAMES[type] !== undefined) {
        return UTILITY_NAMES[type];
    }
    return type
        .replace(/Stmt$/, "")
        .replace(/([a-z])([A-Z])/g, "$1 $2")
        .toUpperCase();
}

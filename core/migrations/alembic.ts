/**
 * Alembic revision files to ops, from the syntax tree CPython's `ast` gives
 * (cli/python-ast.py dumps it as JSON; this module only reads it).
 *
 * Reads the revision identifiers (`revision`, `down_revision`, `depends_on`,
 * `branch_labels`, plain or annotated assignments) and replays what `upgrade()`
 * runs, in source order, following calls into the module's own helper
 * functions: `op.create_table`, `op.drop_table`, `op.rename_table`,
 * `op.batch_alter_table(...) as batch_op`, and raw SQL given to any
 * `.execute(...)` / `.exec_driver_sql(...)` (op, a connection, `sa.text(...)`),
 * which goes through PostgreSQL's grammar (sql.ts).
 */
import { parseSqlOps } from "./sql";
import { DYNAMIC, PyNode, Scope, arg, field, isNode, nodes, strOf, stringsOf } from "./python-values";
import { MigrationError, Op, TableName } from "./types";

export { DYNAMIC } from "./python-values";
export type { PyNode } from "./python-values";

export interface Revision {
    readonly file: string;
    readonly revision: string;
    readonly downRevisions: readonly string[];
    readonly dependsOn: readonly string[];
    readonly branchLabels: readonly string[];
    readonly ops: readonly Op[];
}

interface Walk {
    readonly file: string;
    readonly opNames: ReadonlySet<string>;
    readonly functions: ReadonlyMap<string, PyNode>;
    readonly active: Set<string>;
    readonly ops: Op[];
    readonly scope: Scope;
    /** Functions already replayed as roots or helpers, so a root that upgrade() also calls runs once. */
    readonly walked: Set<string>;
}

function tableArg(w: Walk, call: PyNode, i: number, name: string, schema: PyNode | undefined): TableName {
    const s = strOf(arg(call, i, name), w.scope);
    const sch = schema && !(schema._ === "Constant" && schema["value"] === null) ? strOf(schema, w.scope) : undefined;
    return { ...(sch ? { schema: sch.text } : {}), name: s?.text ?? `${DYNAMIC}arg` };
}

/** SQLAlchemy's DML builders: `table.insert()`, `sa.update(t).where(...)`, `.values(...)`. */
const DML = new Set(["insert", "update", "delete", "select", "values", "where", "returning"]);
function isDml(n: PyNode): boolean {
    const f = n._ === "Call" ? field(n, "func") : undefined;
    return f !== undefined && DML.has(String(f._ === "Attribute" ? f["attr"] : f["id"]));
}

function executeSql(w: Walk, call: PyNode, sqlArg: PyNode | undefined): void {
    const s = strOf(sqlArg, w.scope);
    if (!sqlArg || isDml(sqlArg)) {
        return; // a SQLAlchemy DML construct (op.execute(table.update()...)): it changes rows, not tables or grants
    }
    if (!s || (s.dynamic && /^raptor_dynamic_\d+$/.test(s.text))) {
        // A variable the lint cannot resolve (a parameter, a value computed at run time): said, not skipped silently.
        const what =
            "SQL in a variable only known at run time (write it as a literal or a module constant to have it read)";
        w.ops.push({ op: "opaque", file: w.file, line: call.line ?? 0, what });
        return;
    }
    try {
        w.ops.push(...parseSqlOps(s.text, { file: w.file, firstLine: s.line || (call.line ?? 0) }));
    } catch (e) {
        if (!s.dynamic) {
            throw e;
        }
        w.ops.push({
            op: "opaque",
            file: w.file,
            line: call.line ?? 0,
            what: "SQL built at run time that does not parse with its placeholders",
        });
    }
}

function onCall(w: Walk, call: PyNode): void {
    const f = field(call, "func");
    if (f?._ === "Name" && w.functions.has(String(f["id"]))) {
        callFunction(w, String(f["id"]), call);
        return;
    }
    if (f?._ !== "Attribute") {
        return;
    }
    const attr = String(f["attr"]);
    const target = field(f, "value");
    const isOp =
        (target?._ === "Name" && w.opNames.has(String(target["id"]))) ||
        (target?._ === "Attribute" && target["attr"] === "op" && field(target, "value")?.["id"] === "alembic");
    const at = { file: w.file, line: call.line ?? 0 };
    const schema = arg(call, 99, "schema");
    if (isOp && attr === "create_table") {
        const ifNotExists = arg(call, 99, "if_not_exists")?.["value"] === true;
        w.ops.push({
            op: "create",
            ...at,
            table: tableArg(w, call, 0, "table_name", schema),
            kind: "table",
            ifNotExists,
        });
    } else if (isOp && attr === "drop_table") {
        w.ops.push({ op: "drop", ...at, table: tableArg(w, call, 0, "table_name", schema), kind: "table" });
    } else if (isOp && attr === "rename_table") {
        const to = strOf(arg(call, 1, "new_table_name"), w.scope)?.text ?? `${DYNAMIC}arg`;
        w.ops.push({ op: "rename", ...at, table: tableArg(w, call, 0, "old_table_name", schema), to });
    } else if (attr === "execute" || attr === "exec_driver_sql") {
        executeSql(w, call, arg(call, 0, "sqltext") ?? arg(call, 0, "statement"));
    }
}

/** Visits a subtree in source order; nested definitions run only when called. */
function walk(w: Walk, v: unknown): void {
    if (Array.isArray(v)) {
        v.forEach((x) => walk(w, x));
        return;
    }
    if (!isNode(v) || ["FunctionDef", "AsyncFunctionDef", "Lambda", "ClassDef"].includes(v._)) {
        return;
    }
    if (v._ === "Assign" || v._ === "AnnAssign") {
        const targets = v._ === "Assign" ? nodes(v["targets"]) : [field(v, "target")].filter(isNode);
        const value = field(v, "value");
        targets
            .filter((t) => t._ === "Name" && value)
            .forEach((t) => w.scope.locals.set(String(t["id"]), value as PyNode));
    }
    if (v._ === "With" || v._ === "AsyncWith") {
        // batch_op's own calls are ALTERs of an existing table; its execute() is read like op.execute().
        for (const ctx of nodes(v["items"]).map((i) => field(i, "context_expr"))) {
            const f = ctx && field(ctx, "func");
            if (
                ctx?._ === "Call" &&
                f?._ === "Attribute" &&
                f["attr"] === "batch_alter_table" &&
                arg(ctx, 99, "recreate")?.["value"] === "always"
            ) {
                const t = tableArg(w, ctx, 0, "table_name", arg(ctx, 99, "schema"));
                w.ops.push({
                    op: "opaque",
                    file: w.file,
                    line: ctx.line ?? 0,
                    what:
                        `batch_alter_table("${t.name}", recreate="always") copies the table into a new one, ` +
                        `which has none of ` +
                        "its grants: the app is refused until `pulumi up` grants them again",
                });
            }
        }
    }
    if (v._ === "For" && field(v, "target")?._ === "Name" && ["Tuple", "List"].includes(field(v, "iter")?._ ?? "")) {
        // `for name in ("a", "b"): op.create_table(name, ...)`: the body once per literal element.
        const name = String(field(v, "target")?.["id"]);
        for (const elt of nodes(field(v, "iter")?.["elts"])) {
            w.scope.locals.set(name, elt);
            walk(w, v["body"]);
        }
        w.scope.locals.delete(name);
        walk(w, v["orelse"]);
        return;
    }
    if (v._ === "Call") {
        onCall(w, v);
    }
    for (const [k, x] of Object.entries(v)) {
        if (k !== "_" && k !== "line") {
            walk(w, x);
        }
    }
}

/** Replays a module function, its parameters bound to the call's literal string arguments. */
function callFunction(w: Walk, name: string, call?: PyNode): void {
    const fn = w.functions.get(name);
    if (!fn || w.active.has(name)) {
        return;
    }
    const params = nodes(field(fn, "args")?.["args"]).map((a) => String(a["arg"]));
    const locals = new Map<string, PyNode>();
    params.forEach((p, i) => {
        const s = call ? strOf(arg(call, i, p), w.scope) : undefined;
        // An argument only known at run time shadows any module constant of the same name.
        locals.set(
            p,
            s && !s.dynamic ? { _: "Constant", line: s.line, value: s.text } : { _: "Name", id: `${DYNAMIC}param` },
        );
    });
    w.active.add(name);
    w.walked.add(name);
    walk({ ...w, scope: { consts: w.scope.consts, locals } }, fn["body"]);
    w.active.delete(name);
}

/**
 * Reads one revision file's syntax tree. Returns undefined for a module with
 * no `revision` (an `__init__.py`, a helper), which Alembic does not load as a
 * revision either.
 */
export function readRevision(file: string, module: PyNode): Revision | undefined {
    const consts = new Map<string, PyNode>();
    const functions = new Map<string, PyNode>();
    const opNames = new Set(["op"]);
    for (const s of nodes(module["body"])) {
        const value = field(s, "value");
        const targets =
            s._ === "Assign" ? nodes(s["targets"]) : s._ === "AnnAssign" ? [field(s, "target")].filter(isNode) : [];
        targets.filter((t) => t._ === "Name" && value).forEach((t) => consts.set(String(t["id"]), value as PyNode));
        if (s._ === "FunctionDef" || s._ === "AsyncFunctionDef") {
            functions.set(String(s["name"]), s);
        }
        if (s._ === "ImportFrom" && s["module"] === "alembic") {
            nodes(s["names"])
                .filter((a) => a["name"] === "op")
                .forEach((a) => opNames.add(String(a["asname"] ?? "op")));
        }
    }
    const rev = consts.get("revision");
    if (!rev) {
        return undefined;
    }
    const revision = stringsOf(rev, file, "revision");
    if (revision.length !== 1) {
        throw new MigrationError(file, rev.line, 'revision must be one string, e.g. revision = "0011"');
    }
    if (!functions.has("upgrade")) {
        throw new MigrationError(file, undefined, "no upgrade() function: Alembic cannot run this revision");
    }
    const w: Walk = {
        file,
        opNames,
        functions,
        active: new Set(),
        ops: [],
        scope: { consts, locals: new Map() },
        walked: new Set(),
    };
    // upgrade(), and the per-engine upgrade_<name>() functions of Alembic's multidb template.
    for (const root of ["upgrade", ...[...functions.keys()].filter((n) => n.startsWith("upgrade_"))]) {
        if (!w.walked.has(root)) {
            callFunction(w, root);
        }
    }
    return {
        file,
        revision: revision[0],
        downRevisions: stringsOf(consts.get("down_revision"), file, "down_revision"),
        dependsOn: stringsOf(consts.get("depends_on"), file, "depends_on"),
        branchLabels: stringsOf(consts.get("branch_labels"), file, "branch_labels"),
        ops: w.ops,
    };
}

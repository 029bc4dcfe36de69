/**
 * Alembic revision files to ops, from the syntax tree CPython's `ast` gives
 * (cli/python-ast.py dumps it as JSON; this module only reads it).
 *
 * Reads the revision identifiers (`revision`, `down_revision`, `depends_on`,
 * `branch_labels`, plain or annotated assignments) and replays what `upgrade()`
 * runs, in source order, following calls into the module's own helper
 * functions: `op.create_table`, `op.drop_table`, `op.rename_table`,
 * `op.batch_alter_table(...) as batch_op`, and raw SQL given to any
 * `.execute(...)` / `.exec_driver_sql(...)` (op, a connection from
 * op.get_bind(), a session; `sa.text(...)` with .bindparams()), or read from a
 * package data file, which goes through PostgreSQL's grammar (sql.ts) with its
 * bind parameters as placeholders (binds.ts). SQLAlchemy Core statements and
 * op.bulk_insert change rows only; what cannot be read is an "opaque" op, a note.
 */
import { parseSqlOps } from "./sql";
import {
    DYNAMIC,
    PyNode,
    SAME_TEXT_METHODS,
    Scope,
    Str,
    TEXT_WRAPPERS,
    arg,
    field,
    isNode,
    nodes,
    resolve,
    strOf,
    stringsOf,
} from "./python-values";
import { MigrationError, Op, TableName } from "./types";

export { DYNAMIC } from "./python-values";
export type { PyNode } from "./python-values";

export interface Revision {
    readonly file: string;
    readonly revision: string;
    readonly downRevisions: readonly string[];
    readonly dependsOn: readonly string[];
    /** Where depends_on is assigned, for a note on a dependency outside the paths linted. */
    readonly dependsOnLine: number;
    readonly branchLabels: readonly string[];
    readonly ops: readonly Op[];
}

/**
 * Reads a package data file (`importlib.resources.read_text("app.migrations.data", "schema.sql")`) for the
 * revision being read; undefined when it is not found. The CLI gives one that looks beside the revision.
 */
export type ResourceReader = (pkg: string, name: string) => { file: string; text: string } | undefined;

interface Walk {
    readonly file: string;
    readonly readResource?: ResourceReader;
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

/** SQLAlchemy Core statements: `table.insert()`, `sa.update(t)`, `sa.select(...)`, `t.delete()`. */
const CORE_STATEMENTS = new Set(["insert", "update", "delete", "select"]);
/** Core methods that refine a statement and return one: `.where(...)`, `.values(...)`, `.from_select(...)`. */
const CORE_REFINERS = new Set([
    "values",
    "where",
    "returning",
    "from_select",
    "select_from",
    "filter",
    "filter_by",
    "order_by",
    "group_by",
    "having",
    "limit",
    "offset",
    "join",
    "outerjoin",
    "distinct",
    "with_only_columns",
    "add_columns",
    "on_conflict_do_nothing",
    "on_conflict_do_update",
    "execution_options",
    "params",
]);

/** A SQLAlchemy Core DML or query construct: it reads or changes rows, never tables or grants. */
function isCoreStatement(n: PyNode | undefined, scope: Scope, depth = 0): boolean {
    const node = resolve(n, scope);
    const f = node?._ === "Call" ? field(node, "func") : undefined;
    if (!f || depth > 50) {
        return false;
    }
    const name = String(f._ === "Attribute" ? f["attr"] : f["id"]);
    if (CORE_STATEMENTS.has(name)) {
        return true;
    }
    return CORE_REFINERS.has(name) && f._ === "Attribute" && isCoreStatement(field(f, "value"), scope, depth + 1);
}

/** What an argument to execute() is, for a note when its SQL cannot be read. */
function unreadArgument(n: PyNode, scope: Scope, depth = 0): string {
    const node = resolve(n, scope) ?? n;
    if (node._ === "Name") {
        return "SQL in a variable only known at run time (write it as a literal or a module constant to have it read)";
    }
    const f = node._ === "Call" ? field(node, "func") : undefined;
    const name = f ? String(f._ === "Attribute" ? f["attr"] : f["id"]) : "";
    // sa.text(x), x.bindparams(...): what is unknown is x.
    const inner = TEXT_WRAPPERS.has(name)
        ? nodes(node["args"])[0]
        : SAME_TEXT_METHODS.has(name)
          ? field(f as PyNode, "value")
          : undefined;
    if (inner && depth < 20) {
        return unreadArgument(inner, scope, depth + 1);
    }
    const made = f ? `a ${name}(...) call` : "an expression";
    return `SQL from ${made}, only known at run time (write it as a literal or a module constant to have it read)`;
}

/** `read_text(pkg, name)`, `files(pkg).joinpath(name).read_text()` or `(files(pkg) / name).read_text()`. */
function resourceOf(n: PyNode | undefined, scope: Scope): { pkg?: Str; name?: Str } | undefined {
    const node = resolve(n, scope);
    const f = node?._ === "Call" ? field(node, "func") : undefined;
    const fname = f ? String(f._ === "Attribute" ? f["attr"] : f["id"]) : "";
    const args = node ? nodes(node["args"]) : [];
    if (["text", "dedent"].includes(fname)) {
        return resourceOf(args[0], scope);
    }
    if (fname !== "read_text") {
        return undefined;
    }
    if (args.length >= 2) {
        return { pkg: strOf(args[0], scope), name: strOf(args[1], scope) };
    }
    // files(pkg).joinpath(name) or files(pkg) / name
    const path = resolve(f?._ === "Attribute" ? field(f, "value") : undefined, scope);
    const pf = path?._ === "Call" ? field(path, "func") : undefined;
    const [root, name] =
        pf?._ === "Attribute" && pf["attr"] === "joinpath"
            ? [field(pf, "value"), nodes(path?.["args"])[0]]
            : path?._ === "BinOp" && field(path, "op")?._ === "Div"
              ? [field(path, "left"), field(path, "right")]
              : [undefined, undefined];
    const r = resolve(root, scope);
    const pkg = r?._ === "Call" ? strOf(nodes(r["args"])[0], scope) : undefined;
    return root ? { pkg, name: strOf(name, scope) } : undefined;
}

/** SQL a revision reads from its package's data files, parsed with the line numbers of that file. */
function executeResource(w: Walk, line: number, res: { pkg?: Str; name?: Str }): void {
    const shown = `${res.pkg?.text ?? "?"}: ${res.name?.text ?? "?"}`.replace(
        new RegExp(`${DYNAMIC}\\d+`, "g"),
        "{...}",
    );
    if (!res.pkg || !res.name || res.pkg.dynamic || res.name.dynamic) {
        const what = `SQL read from a package data file whose name is only known at run time (${shown})`;
        w.ops.push({ op: "opaque", file: w.file, line, what });
        return;
    }
    const found = w.readResource?.(res.pkg.text, res.name.text);
    if (!found) {
        const what = `SQL read from the package data file ${shown}, which is not beside this revision's package`;
        w.ops.push({ op: "opaque", file: w.file, line, what });
        return;
    }
    w.ops.push(...parseSqlOps(found.text, { file: found.file, firstLine: 1, binds: true }));
}

function executeSql(w: Walk, call: PyNode, sqlArg: PyNode | undefined): void {
    if (!sqlArg || isCoreStatement(sqlArg, w.scope)) {
        return; // a SQLAlchemy Core construct (op.execute(table.update()...)): it changes rows, not tables or grants
    }
    const resource = resourceOf(sqlArg, w.scope);
    if (resource) {
        executeResource(w, call.line ?? 0, resource);
        return;
    }
    const s = strOf(sqlArg, w.scope);
    const line = call.line ?? 0;
    if (!s || (s.dynamic && /^raptor_dynamic_\d+$/.test(s.text))) {
        // Said, not skipped silently.
        w.ops.push({ op: "opaque", file: w.file, line, what: unreadArgument(sqlArg, w.scope) });
        return;
    }
    const ops = parseSqlOps(s.text, { file: w.file, firstLine: s.line || line, binds: true });
    if (!s.dynamic) {
        w.ops.push(...ops);
        return;
    }
    // Text built at run time: a refusal may come from the placeholders standing for its run-time parts.
    const what = "SQL built at run time that does not parse with its placeholders";
    w.ops.push(...ops.map((o): Op => (o.op === "unreadable" ? { op: "opaque", file: o.file, line, what } : o)));
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
    // op.bulk_insert(table, rows) and the ORM (session.add, session.query) change rows only: nothing to read.
}

/** The names a for loop binds: `for x in` or `for a, b in`; none for any other target. */
function loopNames(loop: PyNode): string[] {
    const t = field(loop, "target");
    if (t?._ === "Name") {
        return [String(t["id"])];
    }
    const elts = t?._ === "Tuple" ? nodes(t["elts"]) : [];
    return elts.every((e) => e._ === "Name") ? elts.map((e) => String(e["id"])) : [];
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
    if (v._ === "For" && ["Tuple", "List"].includes(field(v, "iter")?._ ?? "") && loopNames(v).length > 0) {
        // `for name in ("a", "b"): op.create_table(name)`, `for pkg, file in [("p", "a.sql"), ...]`:
        // the body once per literal element.
        const names = loopNames(v);
        for (const elt of nodes(field(v, "iter")?.["elts"])) {
            const values = names.length === 1 ? [elt] : nodes(elt["elts"]);
            names.forEach((name, i) => (values[i] ? w.scope.locals.set(name, values[i]) : w.scope.locals.delete(name)));
            walk(w, v["body"]);
        }
        names.forEach((name) => w.scope.locals.delete(name));
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
 * depends_on or branch_labels, which a module may compute when it loads (GeoNature appends to a list when
 * an optional package is installed): the strings written in it are read, and a note says the rest is not.
 */
function computedIdentifiers(
    file: string,
    name: string,
    consts: ReadonlyMap<string, PyNode>,
): { values: string[]; notes: Op[] } {
    const n = consts.get(name);
    const literal = !n || ["Constant", "Tuple", "List", "Set"].includes(n._);
    if (literal) {
        return { values: stringsOf(n, file, name), notes: [] };
    }
    const found: string[] = [];
    const collect = (v: unknown, depth: number): void => {
        if (depth > 20) {
            return;
        }
        const node = isNode(v) && v._ === "Name" ? consts.get(String(v["id"])) : v;
        if (isNode(node) && node._ === "Constant" && typeof node["value"] === "string") {
            found.push(node["value"]);
        } else if (isNode(node)) {
            Object.entries(node).forEach(([k, x]) => k !== "_" && k !== "line" && collect(x, depth + 1));
        } else if (Array.isArray(node)) {
            node.forEach((x) => collect(x, depth + 1));
        }
    };
    collect(n, 0);
    const what =
        `${name} is computed when the module loads; the lint reads the strings written in it ` +
        `(${found.length > 0 ? found.join(", ") : "none"}), not what the code adds at run time`;
    return { values: found, notes: [{ op: "opaque", file, line: n.line ?? 1, what }] };
}

/**
 * Reads one revision file's syntax tree. Returns undefined for a module with
 * no `revision` (an `__init__.py`, a helper), which Alembic does not load as a
 * revision either.
 */
export function readRevision(file: string, module: PyNode, readResource?: ResourceReader): Revision | undefined {
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
        throw new MigrationError(
            file,
            rev.line,
            "revision must be one string",
            "revision-identifiers",
            'write it as Alembic does, e.g. revision = "0011"',
        );
    }
    if (!functions.has("upgrade")) {
        throw new MigrationError(
            file,
            undefined,
            "no upgrade() function: Alembic cannot run this revision",
            "revision-identifiers",
            "add def upgrade(), or move the file out of the versions directory",
        );
    }
    const w: Walk = {
        file,
        ...(readResource ? { readResource } : {}),
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
    const dependsOn = computedIdentifiers(file, "depends_on", consts);
    const branchLabels = computedIdentifiers(file, "branch_labels", consts);
    return {
        file,
        revision: revision[0],
        downRevisions: stringsOf(consts.get("down_revision"), file, "down_revision"),
        dependsOn: dependsOn.values,
        dependsOnLine: consts.get("depends_on")?.line ?? 1,
        branchLabels: branchLabels.values,
        ops: [...dependsOn.notes, ...branchLabels.notes, ...w.ops],
    };
}

/**
 * Values in a Python syntax tree (CPython `ast` as JSON): nodes, call arguments,
 * and the strings an expression stands for, with run-time parts replaced by a
 * marked placeholder so they are reported, never guessed.
 */
import { MigrationError } from "./types";

/** A node of the JSON syntax tree: `_` is the ast class name, `line` its lineno. */
export type PyNode = { readonly _: string; readonly line?: number } & Readonly<Record<string, unknown>>;

/** Stands in for a value only known at run time (an f-string part, a variable); the lint reports tables so named. */
export const DYNAMIC = "raptor_dynamic_";

export const isNode = (v: unknown): v is PyNode =>
    v !== null && typeof v === "object" && typeof (v as PyNode)._ === "string";
export const nodes = (v: unknown): PyNode[] => (Array.isArray(v) ? v.filter(isNode) : []);
export const field = (n: PyNode, k: string): PyNode | undefined => (isNode(n[k]) ? (n[k] as PyNode) : undefined);

export interface Str {
    readonly text: string;
    readonly line: number;
    readonly dynamic: boolean;
}

/** Calls whose result is their first argument's SQL: sa.text(), textwrap.dedent(), sa.DDL(). */
export const TEXT_WRAPPERS = new Set(["text", "dedent", "DDL"]);
/**
 * Methods whose result has the same SQL as the object they are called on: TextClause.bindparams(),
 * .columns() and .execution_options(), and str.strip() (whitespace only).
 */
export const SAME_TEXT_METHODS = new Set([
    "bindparams",
    "params",
    "columns",
    "execution_options",
    "strip",
    "lstrip",
    "rstrip",
]);

export interface Scope {
    readonly consts: ReadonlyMap<string, PyNode>;
    readonly locals: Map<string, PyNode>;
}

/**
 * The string value of an expression, when it is one: literals, f-strings, +, names bound to strings,
 * text()/dedent().
 */
export function strOf(n: PyNode | undefined, scope: Scope, counter = { n: 0 }): Str | undefined {
    if (!n) {
        return undefined;
    }
    const line = n.line ?? 0;
    const placeholder = () => `${DYNAMIC}${++counter.n}`;
    switch (n._) {
        case "Constant":
            return typeof n["value"] === "string" ? { text: n["value"], line, dynamic: false } : undefined;
        case "JoinedStr": {
            // f"{SCHEMA}.ledger": a part bound to a plain string (a module constant, a loop over literals) is read.
            let dynamic = false;
            const parts = nodes(n["values"]).map((v) => {
                if (v._ === "Constant") {
                    return String(v["value"]);
                }
                const inner = v._ === "FormattedValue" && v["conversion"] === -1 && !v["format_spec"];
                const s = inner ? strOf(field(v, "value"), scope, counter) : undefined;
                if (s && !s.dynamic) {
                    return s.text;
                }
                dynamic = true;
                return placeholder();
            });
            return { text: parts.join(""), line, dynamic };
        }
        case "BinOp": {
            const l = strOf(field(n, "left"), scope, counter);
            if (!l) {
                return undefined;
            }
            if (field(n, "op")?._ === "Mod") {
                return { ...l, text: l.text.replace(/%(\(\w+\))?[sdr]/g, placeholder), dynamic: true };
            }
            const r = strOf(field(n, "right"), scope, counter);
            return r && field(n, "op")?._ === "Add"
                ? { text: l.text + r.text, line: l.line, dynamic: l.dynamic || r.dynamic }
                : undefined;
        }
        case "Name": {
            const id = String(n["id"]);
            const bound = scope.locals.get(id) ?? scope.consts.get(id);
            return bound ? strOf(bound, scope, counter) : { text: placeholder(), line, dynamic: true };
        }
        case "Call": {
            const f = field(n, "func");
            const name = f?._ === "Name" ? String(f["id"]) : f?._ === "Attribute" ? String(f["attr"]) : "";
            if (TEXT_WRAPPERS.has(name)) {
                return strOf(nodes(n["args"])[0], scope, counter);
            }
            if (SAME_TEXT_METHODS.has(name) && f?._ === "Attribute") {
                return strOf(field(f, "value"), scope, counter);
            }
            if (name === "format" && f?._ === "Attribute") {
                const s = strOf(field(f, "value"), scope, counter);
                return s ? { ...s, text: s.text.replace(/\{[^{}]*\}/g, placeholder), dynamic: true } : undefined;
            }
            return undefined;
        }
        default:
            return undefined;
    }
}

/** The expression a name is bound to in scope (followed through names bound to names), else the node itself. */
export function resolve(n: PyNode | undefined, scope: Scope): PyNode | undefined {
    const seen = new Set<string>();
    let cur = n;
    while (cur?._ === "Name" && !seen.has(String(cur["id"]))) {
        const id = String(cur["id"]);
        seen.add(id);
        const bound = scope.locals.get(id) ?? scope.consts.get(id);
        if (!bound) {
            break;
        }
        cur = bound;
    }
    return cur;
}

/** Positional argument i, or the keyword of that name. */
export function arg(call: PyNode, i: number, name: string): PyNode | undefined {
    const kw = nodes(call["keywords"]).find((k) => k["arg"] === name);
    return kw ? field(kw, "value") : nodes(call["args"])[i];
}

export function stringsOf(n: PyNode | undefined, file: string, what: string): string[] {
    if (!n || (n._ === "Constant" && n["value"] === null)) {
        return [];
    }
    if (n._ === "Constant" && typeof n["value"] === "string") {
        return [n["value"]];
    }
    if (n._ === "Tuple" || n._ === "List" || n._ === "Set") {
        return nodes(n["elts"]).flatMap((e) => stringsOf(e, file, what));
    }
    throw new MigrationError(
        file,
        n.line,
        `${what} must be a string, a tuple of strings or None as Alembic writes it; found ${n._}`,
        "revision-identifiers",
        `write ${what} as a literal`,
    );
}

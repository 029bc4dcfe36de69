/**
 * From what a statement names (statement.ts) to the privileges it needs on real objects, with the catalog's help:
 * the table privileges EXPLAIN checks, and what PostgreSQL checks only while the statement runs, so EXPLAIN cannot
 * see it: USAGE on a sequence that a column default or an identity column draws, and what a trigger function
 * writes (it runs as the role that fired it, unless it is SECURITY DEFINER). Trigger bodies are read with the real
 * PL/pgSQL parser. Pure: the catalog is data the caller read (db/workload.ts).
 */
import { parsePlPgSQLSync } from "@libpg-query/parser";
import { DmlAnalysis, DmlPrivilege, InsertColumns, RelationName, analyseStatement } from "./statement";

export interface QualifiedName {
    readonly schema: string;
    readonly name: string;
}

export interface ColumnInfo {
    readonly name: string;
    /** The sequence its default draws (`nextval('...')`) or its identity sequence. */
    readonly sequence?: QualifiedName;
    /** `always` draws even when a value is given (unless OVERRIDING SYSTEM VALUE). */
    readonly identity?: "always" | "by default";
}

export interface TriggerInfo {
    readonly name: string;
    readonly events: readonly ("INSERT" | "UPDATE" | "DELETE" | "TRUNCATE")[];
    readonly function: QualifiedName & {
        readonly language: string;
        readonly securityDefiner: boolean;
        readonly owner: string;
        readonly source: string;
    };
}

export interface RelationInfo extends QualifiedName {
    /** pg_class.relkind in words: table, partitioned table, view, ... */
    readonly kind: string;
    /** Columns in table order (dropped ones left out). */
    readonly columns: readonly ColumnInfo[];
    /** Enabled triggers only. */
    readonly triggers: readonly TriggerInfo[];
}

/** Relations by the name a statement used (`users`, `s.users`); null: no such relation now. */
export type WorkloadCatalog = Readonly<Record<string, RelationInfo | null>>;

export type ObjectKind = "table" | "sequence";

export interface Requirement {
    readonly privilege: DmlPrivilege | "USAGE";
    readonly kind: ObjectKind;
    readonly object: QualifiedName;
    /** How the statement reaches it when not directly: `default of t.id`, `trigger t_hist on t`. */
    readonly via?: string;
    /** Checked only while running (EXPLAIN does not see it). */
    readonly runtime: boolean;
}

export interface Derived {
    readonly requirements: readonly Requirement[];
    /** Names the catalog has no entry for yet: read them and derive again. */
    readonly unknown: readonly string[];
    /** Relations the statement names that no longer exist. */
    readonly missingRelations: readonly string[];
    /** What was not read (dynamic SQL in a trigger, a trigger in another language). */
    readonly unread: readonly string[];
}

export const relationKey = (r: RelationName): string => (r.schema === undefined ? r.name : `${r.schema}.${r.name}`);

/** Whether an INSERT with these columns takes the default of the column at `index`. */
function drawsDefault(ins: InsertColumns, col: ColumnInfo, index: number): boolean {
    if (col.identity === "always" && !ins.overridingSystem) {
        return true;
    }
    if (ins.named !== undefined) {
        const at = ins.named.indexOf(col.name);
        return at < 0 || ins.defaults.includes(at);
    }
    return ins.leading !== "all" && (index >= (ins.leading ?? 0) || ins.defaults.includes(index));
}

interface Acc {
    readonly requirements: Requirement[];
    readonly unknown: Set<string>;
    readonly missing: Set<string>;
    readonly unread: string[];
    readonly seen: Set<string>;
}

function addAnalysis(a: DmlAnalysis, cat: WorkloadCatalog, via: string | undefined, acc: Acc): void {
    for (const access of a.accesses) {
        const key = relationKey(access.relation);
        if (!(key in cat)) {
            acc.unknown.add(key);
            continue;
        }
        const rel = cat[key];
        if (rel === null) {
            acc.missing.add(key);
            continue;
        }
        const object = { schema: rel.schema, name: rel.name };
        for (const privilege of access.privileges) {
            acc.requirements.push({
                privilege,
                kind: "table",
                object,
                ...(via ? { via } : {}),
                runtime: via !== undefined,
            });
        }
        if (access.insert !== undefined) {
            const ins = access.insert;
            rel.columns.forEach((col, i) => {
                if (col.sequence !== undefined && drawsDefault(ins, col, i)) {
                    const how = `${col.identity ? "identity" : "default"} of ${rel.name}.${col.name}`;
                    const v = via ? `${how}, ${via}` : how;
                    acc.requirements.push({
                        privilege: "USAGE",
                        kind: "sequence",
                        object: col.sequence,
                        via: v,
                        runtime: true,
                    });
                }
            });
        }
        triggers(access.privileges, rel, cat, via, acc);
    }
}

function triggers(
    privileges: readonly string[],
    rel: RelationInfo,
    cat: WorkloadCatalog,
    via: string | undefined,
    acc: Acc,
): void {
    for (const t of rel.triggers) {
        if (!t.events.some((e) => privileges.includes(e))) {
            continue;
        }
        const where = `trigger ${t.name} on ${rel.name}${via ? `, ${via}` : ""}`;
        const key = `${rel.schema}.${rel.name}.${t.name}`;
        if (t.function.securityDefiner || acc.seen.has(key)) {
            continue; // runs as the function's owner; or already followed (a trigger that fires itself)
        }
        acc.seen.add(key);
        if (t.function.language !== "plpgsql") {
            acc.unread.push(`${where}: its function is LANGUAGE ${t.function.language}, not read`);
            continue;
        }
        for (const q of functionQueries(t.function.source, where, acc)) {
            const a = analyseStatement(q);
            if (a.kind === "dml" || a.kind === "truncate") {
                addAnalysis(a, cat, where, acc);
            }
        }
    }
}

/** The SQL a PL/pgSQL body runs (statements and the queries in its expressions), from the real PL/pgSQL parser. */
export function functionQueries(source: string, where: string, acc: { unread: string[] }): string[] {
    let tag = "raptor";
    while (source.includes(`$${tag}$`)) {
        tag += "_";
    }
    let tree: unknown;
    try {
        tree = parsePlPgSQLSync(`CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $${tag}$${source}$${tag}$`);
    } catch {
        acc.unread.push(`${where}: its PL/pgSQL body does not parse`);
        return [];
    }
    const out: string[] = [];
    const visit = (node: unknown, key: string): void => {
        if (Array.isArray(node)) {
            node.forEach((n) => visit(n, key));
        } else if (node !== null && typeof node === "object") {
            for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
                if (k === "PLpgSQL_stmt_dynexecute" || k === "PLpgSQL_stmt_dynfors") {
                    acc.unread.push(`${where}: builds SQL at run time (EXECUTE), not read`);
                }
                if (k === "PLpgSQL_expr") {
                    const e = v as { query?: string; parseMode?: number };
                    const q = e.query ?? "";
                    // Mode 0 is a whole statement; the others are expressions and assignments (`x := expr`).
                    out.push((e.parseMode ?? 0) === 0 ? q : `SELECT ${q.replace(/^[^:]*:=/, "")}`);
                } else {
                    visit(v, k);
                }
            }
        }
    };
    visit(tree, "");
    return out;
}

/** The privileges a statement needs, given the catalog. */
export function deriveRequirements(a: DmlAnalysis, cat: WorkloadCatalog): Derived {
    const acc: Acc = { requirements: [], unknown: new Set(), missing: new Set(), unread: [], seen: new Set() };
    addAnalysis(a, cat, undefined, acc);
    const seen = new Set<string>();
    const requirements = acc.requirements.filter((r) => {
        const k = `${r.privilege} ${r.kind} ${r.object.schema}.${r.object.name} ${r.via ?? ""}`;
        return seen.has(k) ? false : (seen.add(k), true);
    });
    return {
        requirements,
        unknown: [...acc.unknown],
        missingRelations: [...acc.missing],
        unread: [...new Set(acc.unread)],
    };
}

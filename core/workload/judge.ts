/**
 * The verdict on one statement and, for each privilege it lacks, the fix: the matrix change with its SQL where the
 * matrix allows it, or "the app must change" where the matrix forbids it (UPDATE, DELETE or FOR UPDATE/SHARE on an
 * append-only table; anything on a locked table; TRUNCATE, which no set gives). Also the static judgement of a
 * statement against a planned matrix (`plan --workload`, `diff --workload`), with no database. Pure.
 */
import { SET_PRIVILEGES, TableSet } from "../classification";
import { qualified, quoteIdent } from "../identifiers";
import { GrantPlan } from "../plan";
import { Requirement } from "./requirements";

export type Verdict = "permitted" | "denied" | "owner-only" | "not-judged";

export interface Missing {
    readonly privilege: string;
    /** `public.users`, or `sequence public.trace_events_id_seq`. */
    readonly object: string;
    /** How the statement reaches it: `default of trace_events.id`, `trigger symbol_stats_t on symbols`. */
    readonly via?: string;
}

export interface MissingFix {
    readonly missing: Missing;
    /** The matrix allows it: the SQL that grants it (and the program grants it too). */
    readonly sql?: string;
    /** What to do: the SQL's context, or why the app must change. */
    readonly fix: string;
}

const objectText = (r: Requirement) => `${r.kind === "sequence" ? "sequence " : ""}${r.object.schema}.${r.object.name}`;

export function missingOf(r: Requirement): Missing {
    return { privilege: r.privilege, object: objectText(r), ...(r.via ? { via: r.via } : {}) };
}

export const describeMissing = (m: Missing): string => `${m.privilege} on ${m.object}${m.via ? ` (${m.via})` : ""}`;

const SYSTEM_SCHEMAS = ["pg_catalog", "information_schema"];

/** The set a table of the plan's schema is in, or undefined when it is in none. */
export function setOf(plan: GrantPlan, schema: string, table: string): TableSet | undefined {
    return schema === plan.schema ? plan.tables.find((t) => t.table === table)?.set : undefined;
}

/** Whether the planned matrix gives the requirement (sequences: USAGE on every sequence of the schema). */
export function plannedHolds(plan: GrantPlan, r: Requirement): boolean {
    if (r.kind === "sequence") {
        return r.object.schema === plan.schema && r.privilege === "USAGE";
    }
    if (r.privilege === "SELECT" && SYSTEM_SCHEMAS.includes(r.object.schema)) {
        return true; // PUBLIC reads the system catalogs
    }
    const set = setOf(plan, r.object.schema, r.object.name);
    return set !== undefined && (SET_PRIVILEGES[set] as readonly string[]).includes(r.privilege);
}

/**
 * The fix for one missing privilege, judged against the plan (the matrix the stack applies). `needs`: every
 * privilege the statement lacks on the same table, so an unclassified table goes into the one set that allows the
 * whole statement (an upsert needs INSERT and UPDATE: application, never "appendOnly" for its INSERT).
 */
export function fixFor(plan: GrantPlan, r: Requirement, stack = "STACK", needs = [r.privilege]): MissingFix {
    const missing = missingOf(r);
    const role = quoteIdent(plan.role);
    const obj = qualified(r.object.schema, r.object.name);
    const up = `\`pulumi up -s ${stack}\` grants it`;
    if (r.kind === "sequence") {
        const sql = `GRANT USAGE ON SEQUENCE ${obj} TO ${role};`;
        return r.object.schema === plan.schema
            ? { missing, sql, fix: `the plan gives USAGE on every sequence of ${plan.schema}: ${up}` }
            : {
                  missing,
                  sql,
                  fix: `${obj} is outside schema ${plan.schema}, which the matrix covers: grant it by hand`,
              };
    }
    const set = setOf(plan, r.object.schema, r.object.name);
    const table = r.object.name;
    if (set === undefined && r.object.schema !== plan.schema) {
        const sql = `GRANT ${r.privilege} ON TABLE ${obj} TO ${role};`;
        return {
            missing,
            sql,
            fix: `${obj} is outside schema ${plan.schema}, which the matrix covers: grant it by hand`,
        };
    }
    if (set === undefined) {
        const into: TableSet = needs.every((p) => ["SELECT", "INSERT"].includes(p)) ? "appendOnly" : "application";
        const sql = `GRANT ${SET_PRIVILEGES[into].join(", ")} ON TABLE ${obj} TO ${role};`;
        const sets = into === "appendOnly" ? "appendOnly or application" : into;
        const fix = `classify ${table} in core/classification.ts (${sets}), then ${up}`;
        return { missing, sql, fix };
    }
    if (set === "locked") {
        return {
            missing,
            fix: `the app must change: ${table} is the migration tool's (locked); only the owner touches it`,
        };
    }
    if (!(SET_PRIVILEGES[set] as readonly string[]).includes(r.privilege)) {
        const what = r.privilege === "UPDATE" ? "UPDATE (or SELECT ... FOR UPDATE/SHARE)" : r.privilege;
        const why =
            set === "appendOnly"
                ? `${table} is append-only: ${what} would rewrite or erase history; insert a new row instead`
                : `${r.privilege} is in no set; use DELETE`;
        return { missing, fix: `the app must change: ${why}` };
    }
    const sql = `GRANT ${r.privilege} ON TABLE ${obj} TO ${role};`;
    return { missing, sql, fix: `${table} is ${set}: the plan gives ${r.privilege}, so this is drift: ${up}` };
}

/** The fixes for one statement's missing privileges, each judged with the others on its table. */
export function fixesFor(plan: GrantPlan, missing: readonly Requirement[], stack?: string): MissingFix[] {
    const onTable = (r: Requirement) =>
        missing
            .filter((m) => m.kind === r.kind && m.object.schema === r.object.schema && m.object.name === r.object.name)
            .map((m) => m.privilege);
    return missing.map((r) => fixFor(plan, r, stack, onTable(r)));
}

/** One statement's fix line: each distinct action once. */
export function fixText(fixes: readonly MissingFix[]): string {
    const lines: string[] = [];
    for (const f of fixes) {
        const line = f.sql ? `${f.fix}: ${f.sql}` : f.fix;
        if (!lines.includes(line)) {
            lines.push(line);
        }
    }
    return lines.join("; ");
}

/** Whether the statement touches only locked tables: the migration tool's bookkeeping, run as the owner by design. */
export function ownerOnly(plan: GrantPlan, reqs: readonly Requirement[]): boolean {
    const tables = reqs.filter((r) => r.kind === "table" && r.via === undefined);
    return tables.length > 0 && tables.every((r) => setOf(plan, r.object.schema, r.object.name) === "locked");
}

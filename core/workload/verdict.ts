/**
 * One verdict per statement: PostgreSQL's own (EXPLAIN as the role) for what the executor checks at start-up,
 * the catalog's for what it checks only while running, and the plan for the fix. Also the text that may be shown
 * for a statement: DML as pg_stat_statements normalised it, rebuilt from the scanner's tokens with every constant
 * as `?` and every comment dropped; a utility statement's text never (ALTER ROLE ... PASSWORD is kept verbatim).
 * Pure.
 */
import { scanSync } from "@libpg-query/parser";
import { GrantPlan } from "../plan";
import { Missing, MissingFix, Verdict, fixText, fixesFor, missingOf, ownerOnly, plannedHolds } from "./judge";
import { Derived, Requirement } from "./requirements";
import { Analysis } from "./statement";

/** A pg_stat_statements row, as read. */
export interface StatRow {
    readonly queryid: string;
    readonly calls: number;
    readonly query: string;
}

/** EXPLAIN (GENERIC_PLAN) as the role: passed, or the SQLSTATE and message it failed with. */
export type Explained = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

export interface JudgedStatement {
    readonly queryid: string;
    readonly calls: number;
    /** Printable text: normalised DML with no constant, or `<UTILITY NAME>`; never a literal or a utility's text. */
    readonly query: string;
    readonly verdict: Verdict;
    readonly missing: readonly Missing[];
    readonly fix?: string;
    /** The SQL of the fixes the matrix allows. */
    readonly sql?: readonly string[];
    /** Why a statement was not judged. */
    readonly reason?: string;
    /** Parts that could not be read (dynamic SQL in a trigger, ...): the verdict does not cover them. */
    readonly unread?: readonly string[];
}

const CONSTANT_TOKENS = new Set(["SCONST", "USCONST", "ICONST", "FCONST", "BCONST", "XCONST"]);
const COMMENT_TOKENS = new Set(["SQL_COMMENT", "C_COMMENT"]);

/** The text that may be printed for a statement. */
export function printable(text: string, a: Analysis): string {
    if (a.kind === "utility") {
        return `<${a.command}: a utility statement, its text is not shown>`;
    }
    if (a.kind === "unreadable") {
        return "<not readable>";
    }
    return holdsNoConstant(text) ? text.replace(/\s+/g, " ").trim() : scanned(text);
}

/**
 * Whether a text can hold neither a constant nor a comment, so it prints as it is, its spacing collapsed, with no
 * need to scan it (the scanner takes about half the proof's time on 5,000 statements: npm run bench). Printable
 * ASCII only, and none of what starts a string (`'`, in every form: E'', U&'', B'', X''), a dollar-quoted string
 * (`$` not followed by a digit, as `$1` is), a quoted identifier (`"`), a comment (`--`, `/*`) or a number (a digit
 * not inside an identifier or a `$n`). Anything else is scanned.
 */
export function holdsNoConstant(text: string): boolean {
    return /^[\x20-\x7e\t\n\r]*$/.test(text) && !/['"]|--|\/\*|\$(?![0-9])|(^|[^A-Za-z0-9_$])[0-9]/.test(text);
}

/** The text rebuilt from the scanner's tokens: every constant as `?`, every comment dropped. */
export function scanned(text: string): string {
    const bytes = Buffer.from(text);
    let out = "";
    let end = 0;
    for (const t of scanSync(text).tokens) {
        if (t.start > end && out !== "") {
            out += " ";
        }
        end = t.end;
        if (!COMMENT_TOKENS.has(t.tokenName)) {
            out += CONSTANT_TOKENS.has(t.tokenName) ? "?" : bytes.subarray(t.start, t.end).toString();
        }
    }
    return out.replace(/\s+/g, " ").trim();
}

/** The not-judged reason for an EXPLAIN that failed with something other than a privilege. */
export function explainReason(e: { code: string; message: string }): string {
    if (e.code === "55P03") {
        return "a lock: the statement's table was locked (lock_timeout), tried twice";
    }
    if (e.code === "57014") {
        return "planning it took longer than the statement timeout";
    }
    if (e.code === "42P01") {
        return `a relation it names no longer exists (${e.message})`;
    }
    if (["42P18", "42725", "42804", "42883", "42P08"].includes(e.code)) {
        return `its parameter types cannot be inferred (${e.code}: ${e.message})`;
    }
    return `EXPLAIN failed with ${e.code}: ${e.message}`;
}

function notJudged(row: StatRow, query: string, reason: string): JudgedStatement {
    return { queryid: row.queryid, calls: row.calls, query, verdict: "not-judged", missing: [], reason };
}

export interface JudgeInput {
    readonly row: StatRow;
    readonly analysis: Analysis;
    /** Undefined for utility and unreadable statements. */
    readonly derived?: Derived;
    /** EXPLAIN's result for DML (undefined for TRUNCATE, which EXPLAIN cannot plan). */
    readonly explained?: Explained;
    /** Whether the role holds a requirement now (the live catalog) */
    readonly holds: (r: Requirement) => boolean;
    readonly plan: GrantPlan;
    readonly of: "owner" | "role";
    readonly stack?: string;
}

/** The verdict on one statement from the live database. */
export function judge(i: JudgeInput): JudgedStatement {
    const query = printable(i.row.query, i.analysis);
    if (i.analysis.kind === "unreadable") {
        return notJudged(i.row, query, i.analysis.why);
    }
    if (i.analysis.kind === "utility" || i.derived === undefined) {
        return notJudged(i.row, query, `a utility statement (${i.analysis.command}): EXPLAIN cannot judge it`);
    }
    const d = i.derived;
    if (d.missingRelations.length > 0) {
        return notJudged(i.row, query, `a relation it names no longer exists (${d.missingRelations.join(", ")})`);
    }
    if (i.of === "owner" && ownerOnly(i.plan, d.requirements)) {
        return { queryid: i.row.queryid, calls: i.row.calls, query, verdict: "owner-only", missing: [] };
    }
    const e = i.explained;
    if (e !== undefined && !e.ok && e.code !== "42501") {
        return notJudged(i.row, query, explainReason(e));
    }
    // EXPLAIN passed: PostgreSQL allowed every table and column the executor checks at start-up (column grants
    // included), so only what it checks while running can still be missing. It failed: list every lacking one.
    const candidates = e?.ok === true ? d.requirements.filter((r) => r.runtime) : d.requirements;
    let missing = candidates.filter((r) => !i.holds(r));
    if (missing.length === 0 && e !== undefined && !e.ok) {
        missing = fromMessage(e.message, d.requirements);
    }
    return verdictOf(i, query, d, missing);
}

/** PostgreSQL said no but the catalog shows every table privilege held (a column grant, a function): its words. */
function fromMessage(message: string, reqs: readonly Requirement[]): Requirement[] {
    const table = /permission denied for (?:table|view|relation) (\S+)/.exec(message)?.[1];
    const direct = reqs.filter((r) => r.kind === "table" && !r.runtime && r.object.name === table);
    return direct.length > 0 ? direct : [];
}

function verdictOf(i: JudgeInput, query: string, d: Derived, missing: readonly Requirement[]): JudgedStatement {
    const base = {
        queryid: i.row.queryid,
        calls: i.row.calls,
        query,
        ...(d.unread.length ? { unread: d.unread } : {}),
    };
    const sequenceUnknown = i.analysis.kind === "dml" && i.analysis.sequenceByParameter;
    if (missing.length === 0 && i.explained !== undefined && !i.explained.ok) {
        // Denied by PostgreSQL for something outside tables and sequences (a function, a schema): its own words.
        return { ...base, verdict: "denied", missing: [], fix: `PostgreSQL: ${i.explained.message}` };
    }
    if (missing.length === 0) {
        return sequenceUnknown
            ? { ...base, verdict: "not-judged", missing: [], reason: "it names its sequence by a parameter" }
            : { ...base, verdict: "permitted", missing: [] };
    }
    const fixes: MissingFix[] = fixesFor(i.plan, missing, i.stack);
    const sql = fixes.flatMap((f) => (f.sql ? [f.sql] : []));
    return {
        ...base,
        verdict: "denied",
        missing: missing.map(missingOf),
        fix: fixText(fixes),
        ...(sql.length > 0 ? { sql: [...new Set(sql)] } : {}),
    };
}

/** An exported statement: its printable text, its count and what it needs, resolved when it was exported. */
export interface ExportedStatement {
    readonly queryid: string;
    readonly calls: number;
    readonly query: string;
    readonly requirements: readonly Requirement[];
}

/** The static judgement against a planned matrix: what the plan gives, with no database. */
export function judgePlanned(
    s: ExportedStatement,
    plan: GrantPlan,
    of: "owner" | "role",
    stack?: string,
): JudgedStatement {
    const base = { queryid: s.queryid, calls: s.calls, query: s.query };
    if (of === "owner" && ownerOnly(plan, s.requirements)) {
        return { ...base, verdict: "owner-only", missing: [] };
    }
    const missing = s.requirements.filter((r) => !plannedHolds(plan, r));
    if (missing.length === 0) {
        return { ...base, verdict: "permitted", missing: [] };
    }
    const fixes = fixesFor(plan, missing, stack);
    const sql = fixes.flatMap((f) => (f.sql ? [f.sql] : []));
    return {
        ...base,
        verdict: "denied",
        missing: missing.map(missingOf),
        fix: fixText(fixes),
        ...(sql.length ? { sql: [...new Set(sql)] } : {}),
    };
}

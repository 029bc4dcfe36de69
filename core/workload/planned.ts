/**
 * The workload file judged against planned matrices, with no database: `plan --workload FILE` judges every
 * exported statement against one stack's plan; `diff --workload FILE` against the base's plan and the head's, and
 * says what the change newly denies in the words ("moving trades to append-only denies 3 statements the
 * app ran 41,200 times"), so a reviewer sees it before the change is merged. Pure.
 */
import { TableSet } from "../classification";
import { GrantPlan } from "../plan";
import { WorkloadExport } from "./export";
import { WorkloadCounts, buildWorkloadReport } from "./report";
import { JudgedStatement, judgePlanned } from "./verdict";

/** The workload against one plan: `plan --workload FILE`'s section and its `workload` JSON key. */
export interface PlannedWorkload {
    readonly file: string;
    /** Whose statements the file holds: the owner's (before the flip) or the role's. */
    readonly of: "owner" | "role";
    readonly counts: WorkloadCounts;
    /** How many times the app ran the statements this plan denies. */
    readonly deniedCalls: number;
    /** Denied statements, most often run first. */
    readonly denied: readonly JudgedStatement[];
}

/** The file's not-judged statements as verdicts: counted in every report, never dropped. */
function notJudgedOf(w: WorkloadExport): JudgedStatement[] {
    return (w.notJudged ?? []).map((s) => ({ ...s, verdict: "not-judged" as const, missing: [] }));
}

/** Every exported statement judged against `plan` (fixes name `stack`). */
export function judgeWorkload(w: WorkloadExport, file: string, plan: GrantPlan, stack?: string): PlannedWorkload {
    const judged = w.statements.map((s) => judgePlanned(s, plan, w.of, stack));
    const report = buildWorkloadReport(w, [...judged, ...notJudgedOf(w)]);
    return {
        file,
        of: w.of,
        counts: report.counts,
        deniedCalls: report.deniedCalls,
        denied: report.statements.filter((s) => s.verdict === "denied"),
    };
}

export const plural = (n: number, one: string, many = `${one}s`): string =>
    `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** The one-line summary `plan --workload` ends its section with. */
export function plannedSummary(p: PlannedWorkload): string {
    return p.counts.denied > 0
        ? `${plural(p.counts.denied, "statement")} the app ran ${plural(p.deniedCalls, "time")} ` +
              "would be denied by this plan"
        : `no statement the app ran would be denied by this plan (${plural(judgedCount(p.counts), "statement")} ` +
              "judged)";
}

const judgedCount = (c: WorkloadCounts) => c.permitted + c.denied + c.ownerOnly;

/** A table whose set changed between the two revisions (core/review/diff.ts TableChange). */
export interface SetChange {
    readonly table: string;
    readonly before?: TableSet;
    readonly after?: TableSet;
}

/** What a change does to the workload: `diff --workload FILE`'s section and its `workload` JSON key. */
export interface WorkloadChange {
    readonly file: string;
    readonly stack: string;
    readonly of: "owner" | "role";
    /** E.g. "moving trades to append-only denies 3 statements the app ran 41,200 times". */
    readonly headline: string;
    readonly base: { readonly counts: WorkloadCounts; readonly deniedCalls: number };
    readonly head: { readonly counts: WorkloadCounts; readonly deniedCalls: number };
    /** Denied at the head, not at the base: the head's verdict (what is missing, the fix). */
    readonly newlyDenied: readonly JudgedStatement[];
    readonly newlyDeniedCalls: number;
    /** Denied at the base, not at the head: the base's verdict (what the head now gives). */
    readonly newlyPermitted: readonly JudgedStatement[];
    readonly newlyPermittedCalls: number;
}

/**
 * Both sides' verdicts on one statement. A statement is the migration tool's (owner-only) only when it is so on
 * both sides: one the role could run at the base on a table the head locks is the app's, now denied; one on a
 * table the head unlocks is newly the role's to run.
 */
function bothSides(
    w: WorkloadExport,
    s: WorkloadExport["statements"][number],
    base: GrantPlan,
    head: GrantPlan,
    stack: string,
): [JudgedStatement, JudgedStatement] {
    let b = judgePlanned(s, base, w.of, stack);
    let h = judgePlanned(s, head, w.of, stack);
    if (b.verdict === "owner-only" && h.verdict !== "owner-only") {
        b = judgePlanned(s, base, "role", stack);
    } else if (h.verdict === "owner-only" && b.verdict !== "owner-only") {
        h = judgePlanned(s, head, "role", stack);
    }
    return [b, h];
}

const SET_WORDS: Readonly<Record<TableSet, string>> = {
    application: "application",
    appendOnly: "append-only",
    locked: "locked",
};

const joined = (xs: readonly string[]) =>
    xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;

/**
 * The change that explains these statements: the moved tables their missing privileges name (all moved tables
 * when they name none of them, e.g. a role or schema change), grouped by where they went.
 */
export function causeOf(statements: readonly JudgedStatement[], tables: readonly SetChange[], schema: string): string {
    const named = new Set(statements.flatMap((s) => s.missing.map((m) => m.object)));
    const relevant = tables.filter((t) => named.has(`${schema}.${t.table}`));
    const moved = relevant.length > 0 ? relevant : tables;
    if (moved.length === 0) {
        return "this change";
    }
    const groups = new Map<string, string[]>();
    for (const t of moved) {
        const how =
            t.after === undefined
                ? "removing \0 from the classification"
                : t.before === undefined
                  ? `classifying \0 as ${SET_WORDS[t.after]}`
                  : `moving \0 to ${SET_WORDS[t.after]}`;
        groups.set(how, [...(groups.get(how) ?? []), t.table]);
    }
    return joined([...groups].map(([how, names]) => how.replace("\0", joined(names))));
}

const callsOf = (xs: readonly JudgedStatement[]) => xs.reduce((n, s) => n + s.calls, 0);
const byCalls = (a: JudgedStatement, b: JudgedStatement) =>
    b.calls - a.calls || (a.queryid < b.queryid ? -1 : a.queryid > b.queryid ? 1 : 0);

/** The workload judged against the base's plan and the head's: what the change newly denies and permits. */
export function workloadChange(
    w: WorkloadExport,
    file: string,
    sides: { readonly base: GrantPlan; readonly head: GrantPlan; readonly stack: string },
    tables: readonly SetChange[],
): WorkloadChange {
    const pairs = w.statements.map((s) => bothSides(w, s, sides.base, sides.head, sides.stack));
    const newlyDenied = pairs.filter(([b, h]) => h.verdict === "denied" && b.verdict !== "denied").map((p) => p[1]);
    const newlyPermitted = pairs.filter(([b, h]) => b.verdict === "denied" && h.verdict !== "denied").map((p) => p[0]);
    newlyDenied.sort(byCalls);
    newlyPermitted.sort(byCalls);
    const side = (i: 0 | 1) => {
        const r = buildWorkloadReport(w, [...pairs.map((p) => p[i]), ...notJudgedOf(w)]);
        return { counts: r.counts, deniedCalls: r.deniedCalls };
    };
    const denies =
        `denies ${plural(newlyDenied.length, "statement")} the app ran ` + plural(callsOf(newlyDenied), "time");
    const permits =
        `permits ${plural(newlyPermitted.length, "statement")} the app ran ` +
        `${plural(callsOf(newlyPermitted), "time")} that the base denies`;
    let headline: string;
    if (newlyDenied.length > 0) {
        headline = `${causeOf(newlyDenied, tables, sides.head.schema)} ${denies}`;
        if (newlyPermitted.length > 0) {
            headline += `, and ${permits}`;
        }
    } else if (newlyPermitted.length > 0) {
        headline = `${causeOf(newlyPermitted, tables, sides.base.schema)} ${permits}`;
    } else {
        headline = `this change denies no statement the app ran (${plural(w.statements.length, "statement")} judged)`;
    }
    return {
        file,
        stack: sides.stack,
        of: w.of,
        headline,
        base: side(0),
        head: side(1),
        newlyDenied,
        newlyDeniedCalls: callsOf(newlyDenied),
        newlyPermitted,
        newlyPermittedCalls: callsOf(newlyPermitted),
    };
}

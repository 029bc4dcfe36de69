/**
 * The workload proof's report: counts, the JSON document (`workload --json`) and the text an operator reads.
 * Denied statements first, by how often the app ran them; every not-judged statement counted and shown with its
 * reason, never silently dropped. Pure.
 */
import { describeMissing } from "./judge";
import { JudgedStatement } from "./verdict";

export interface WorkloadCounts {
    readonly permitted: number;
    readonly denied: number;
    readonly ownerOnly: number;
    readonly notJudged: number;
}

export interface WorkloadReport {
    /** The role judged (raptor_app) and the role whose statements were read (the owner, or the role itself). */
    readonly role: string;
    readonly owner: string;
    readonly of: "owner" | "role";
    /** PostgreSQL's version, e.g. 17.10. */
    readonly server: string;
    readonly statements: readonly JudgedStatement[];
    readonly counts: WorkloadCounts;
    /** How many times the app ran the denied statements. */
    readonly deniedCalls: number;
}

const ORDER = ["denied", "not-judged", "owner-only", "permitted"] as const;

export function buildWorkloadReport(
    head: Pick<WorkloadReport, "role" | "owner" | "of" | "server">,
    judged: readonly JudgedStatement[],
): WorkloadReport {
    const statements = [...judged].sort(
        (a, b) =>
            ORDER.indexOf(a.verdict) - ORDER.indexOf(b.verdict) ||
            b.calls - a.calls ||
            (a.queryid < b.queryid ? -1 : 1),
    );
    const count = (v: string) => statements.filter((s) => s.verdict === v).length;
    return {
        ...head,
        statements,
        counts: {
            permitted: count("permitted"),
            denied: count("denied"),
            ownerOnly: count("owner-only"),
            notJudged: count("not-judged"),
        },
        deniedCalls: statements.filter((s) => s.verdict === "denied").reduce((n, s) => n + s.calls, 0),
    };
}

/** 0 when every judged statement is permitted, 2 when any is denied. */
export const workloadExitCode = (r: WorkloadReport): 0 | 2 => (r.counts.denied > 0 ? 2 : 0);

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

const UTILITY = /^<(.+): a utility statement, its text is not shown>$/;

/**
 * Every not-judged statement, counted: utility statements (a migration's DDL, GRANTs, SET) by kind on one line,
 * as `--json` lists each; the others one by one with the reason.
 */
function notJudgedLines(r: WorkloadReport): string[] {
    const notJudged = r.statements.filter((x) => x.verdict === "not-judged");
    if (notJudged.length === 0) {
        return [];
    }
    const kinds = new Map<string, number>();
    const others = notJudged.filter((s) => {
        const kind = UTILITY.exec(s.query)?.[1];
        if (kind !== undefined) {
            kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        return kind === undefined;
    });
    const out = ["", `not judged (${notJudged.length}):`];
    if (kinds.size > 0) {
        const byKind = [...kinds].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k} ${n}`);
        const n = notJudged.length - others.length;
        out.push(`  ${n} utility statement(s), EXPLAIN cannot judge them: ${byKind.join(", ")}`);
    }
    for (const s of others) {
        out.push(`  ${s.query} (queryid ${s.queryid}, run ${plural(s.calls, "time")}): ${s.reason ?? ""}`);
    }
    return out;
}

export function renderWorkload(r: WorkloadReport): string {
    const whose = r.of === "owner" ? `the owner (${r.owner}) ran, what the app runs before the flip` : `${r.role} ran`;
    const c = r.counts;
    const out = [
        `raptor-roles workload: ${plural(r.statements.length, "statement")} ${whose}, ` +
            `judged as ${r.role} by PostgreSQL ${r.server}`,
        `  permitted ${c.permitted} · denied ${c.denied} · owner-only ${c.ownerOnly} · not-judged ${c.notJudged}`,
    ];
    for (const s of r.statements.filter((x) => x.verdict === "denied")) {
        out.push("", `DENIED  ${s.query}`, `        run ${plural(s.calls, "time")} (queryid ${s.queryid})`);
        for (const m of s.missing) {
            out.push(`        missing: ${describeMissing(m)}`);
        }
        out.push(`        fix: ${s.fix ?? ""}`);
    }
    out.push(...notJudgedLines(r));
    const unread = r.statements.filter((x) => x.unread !== undefined && x.verdict !== "not-judged");
    for (const s of unread) {
        out.push(`  note on queryid ${s.queryid}: ${s.unread!.join("; ")}`);
    }
    out.push(
        "",
        c.denied > 0
            ? `${plural(c.denied, "statement")} the app ran ${plural(r.deniedCalls, "time")} ` +
                  `would fail as ${r.role}: ` +
                  "fix each as it says before the flag goes to 1."
            : `every judged statement is permitted for ${r.role}.`,
    );
    return `${out.join("\n")}\n`;
}

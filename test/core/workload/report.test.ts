/** The workload report as an operator reads it, and its counts and exit code. Pure. */
import { describe, expect, it } from "vitest";
import { buildWorkloadReport, renderWorkload, workloadExitCode } from "../../../core/workload/report";
import { JudgedStatement } from "../../../core/workload/verdict";

const utility = (id: string, kind: string): JudgedStatement => ({
    queryid: id,
    calls: 1,
    query: `<${kind}: a utility statement, its text is not shown>`,
    verdict: "not-judged",
    missing: [],
    reason: `a utility statement (${kind}): EXPLAIN cannot judge it`,
});

const judged: JudgedStatement[] = [
    { queryid: "1", calls: 41200, query: "SELECT id FROM trades WHERE id = $1", verdict: "permitted", missing: [] },
    {
        queryid: "2",
        calls: 3,
        query: "UPDATE trades_history SET payload = $1 WHERE id = $2",
        verdict: "denied",
        missing: [{ privilege: "UPDATE", object: "public.trades_history" }],
        fix: "the app must change: trades_history is append-only",
    },
    utility("3", "GRANT"),
    utility("4", "CREATE TABLE"),
    utility("5", "GRANT"),
    {
        queryid: "6",
        calls: 2,
        query: "SELECT count(*) FROM gone",
        verdict: "not-judged",
        missing: [],
        reason: "a relation it names no longer exists (gone)",
    },
    {
        queryid: "7",
        calls: 9,
        query: "UPDATE alembic_version SET version_num = $1",
        verdict: "owner-only",
        missing: [],
    },
];

describe("the workload report", () => {
    const report = buildWorkloadReport({ role: "raptor_app", owner: "u1", of: "owner", server: "17.10" }, judged);

    it("counts each verdict and the denied statements' calls; any denied exits 2", () => {
        expect(report.counts).toEqual({ permitted: 1, denied: 1, ownerOnly: 1, notJudged: 4 });
        expect(report.deniedCalls).toBe(3);
        expect(workloadExitCode(report)).toBe(2);
        expect(workloadExitCode(buildWorkloadReport(report, judged.slice(0, 1)))).toBe(0);
    });

    it("prints the denied first with each missing privilege and fix, utility statements by kind, the rest", () => {
        expect(renderWorkload(report)).toBe(
            [
                "raptor-roles workload: 7 statements the owner (u1) ran, what the app runs before the flip, " +
                    "judged as raptor_app by PostgreSQL 17.10",
                "  permitted 1 · denied 1 · owner-only 1 · not-judged 4",
                "",
                "DENIED  UPDATE trades_history SET payload = $1 WHERE id = $2",
                "        run 3 times (queryid 2)",
                "        missing: UPDATE on public.trades_history",
                "        fix: the app must change: trades_history is append-only",
                "",
                "not judged (4):",
                "  3 utility statement(s), EXPLAIN cannot judge them: GRANT 2, CREATE TABLE 1",
                "  SELECT count(*) FROM gone (queryid 6, run 2 times): a relation it names no longer exists (gone)",
                "",
                "1 statement the app ran 3 times would fail as raptor_app: " +
                    "fix each as it says before the flag goes to 1.",
                "",
            ].join("\n"),
        );
    });
});

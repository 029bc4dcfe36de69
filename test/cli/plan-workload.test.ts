/**
 * raptor-roles plan --workload FILE: the exported statements judged against the stack's planned matrix, with no
 * database; the text section, the JSON key and the exit code (2 when the plan denies a statement), and a bad file.
 */
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../cli/main";
import { recorder } from "../support/io";
import { STATEMENTS, cleanupWorkloadFiles, workloadExport, workloadFile } from "../support/workload-file";

afterEach(cleanupWorkloadFiles);

const run = async (...args: string[]) => {
    const io = recorder();
    const code = await main(["plan", ...args], io);
    return { code, ...io };
};

// plan evaluates the whole program under mocks: a cold first run takes most of a minute on 2 loaded cores.
describe("plan --workload FILE", { timeout: 240_000 }, () => {
    it("shows each statement the plan denies, with calls, what it lacks and the fix; exit 2", async () => {
        const file = workloadFile(workloadExport());
        const r = await run("--stack", "staging", "--workload", file);
        expect(r.code).toBe(2);
        const section = r.stdout.slice(r.stdout.indexOf("Workload "), r.stdout.indexOf("Not checked live"));
        expect(section).toBe(
            [
                `Workload ${file}:`,
                "  8 statements the owner ran (the app, before the flip), judged against this plan's matrix",
                "  permitted 5 · denied 1 · owner-only 1 · not-judged 1",
                "  DENIED  UPDATE customer_audit_events SET payload = $1 WHERE id = $2",
                "          run 7 times (queryid 106)",
                "          missing: UPDATE on public.customer_audit_events",
                "          fix: the app must change: customer_audit_events is append-only: UPDATE (or SELECT ... " +
                    "FOR UPDATE/SHARE) would",
                "            rewrite or erase history; insert a new row instead",
                "  1 statement the app ran 7 times would be denied by this plan",
                "",
                "",
            ].join("\n"),
        );
        expect(r.stdout).toContain(
            "Result: WORKLOAD DENIED: 1 statement the app ran 7 times would be denied by this plan " +
                "(no mandatory violation)\n",
        );
    });

    it("--json carries workload: {counts, deniedCalls, denied} with each denied statement's verdict", async () => {
        const file = workloadFile(workloadExport());
        const r = await run("--stack", "staging", "--workload", file, "--json");
        expect(r.code).toBe(2);
        const doc = JSON.parse(r.stdout) as { workload: Record<string, unknown> };
        expect(doc.workload).toEqual({
            file,
            of: "owner",
            counts: { permitted: 5, denied: 1, ownerOnly: 1, notJudged: 1 },
            deniedCalls: 7,
            denied: [
                {
                    queryid: "106",
                    calls: 7,
                    query: "UPDATE customer_audit_events SET payload = $1 WHERE id = $2",
                    verdict: "denied",
                    missing: [{ privilege: "UPDATE", object: "public.customer_audit_events" }],
                    fix:
                        "the app must change: customer_audit_events is append-only: UPDATE (or SELECT ... " +
                        "FOR UPDATE/SHARE) would rewrite or erase history; insert a new row instead",
                },
            ],
        });
    });

    it("exits 0 when the plan permits every statement, and says so in one line", async () => {
        const permitted = workloadExport(STATEMENTS.filter((s) => s.queryid !== "106"));
        const r = await run("--stack", "staging", "--workload", workloadFile(permitted));
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("  no statement the app ran would be denied by this plan (6 statements judged)\n");
        expect(r.stdout).toContain("Result: OK (no mandatory violation)\n");
    });

    it("judges the statements of the role's own workload (after the flip) without owner-only", async () => {
        const r = await run("--stack", "staging", "--workload", workloadFile({ ...workloadExport(), of: "role" }));
        expect(r.code).toBe(2);
        expect(r.stdout).toContain("  permitted 5 · denied 2 · owner-only 0 · not-judged 1\n");
        expect(r.stdout).toContain("  DENIED  INSERT INTO alembic_version (version_num) VALUES ($1)\n");
        expect(r.stdout).toContain("  2 statements the app ran 10 times would be denied by this plan\n");
    });
});

describe("plan --workload with a bad file: exit 1, naming the file and the fix", () => {
    it("a file that is not JSON", async () => {
        const file = workloadFile("not json");
        const r = await run("--stack", "staging", "--workload", file, "--json");
        expect(r.code).toBe(1);
        const e = (JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } }).error;
        expect(e.code).toBe("workload-file");
        expect(e.message).toMatch(new RegExp(`^${file.replace(/[.]/g, "\\.")} is not JSON \\(`));
        expect(e.fix).toBe("write it again with raptor-roles workload --export FILE");
    });

    it("a JSON file of another format", async () => {
        const file = workloadFile(JSON.stringify({ format: "other", statements: [] }));
        const r = await run("--stack", "staging", "--workload", file);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            `raptor-roles plan: ${file} is not a workload file (expected "format": "raptor-roles-workload/1" and a ` +
                "statements list)\nfix: write it with raptor-roles workload --export FILE\n",
        );
        expect(r.stdout).toBe("");
    });

    it("a statement without its requirements", async () => {
        const bad = { ...workloadExport(), statements: [{ queryid: "1", calls: 1, query: "SELECT 1" }] };
        const file = workloadFile(JSON.stringify(bad));
        const r = await run("--stack", "staging", "--workload", file);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            `raptor-roles plan: ${file}: statement 1 is not {queryid, calls, query, requirements} ` +
                '({"queryid":"1","calls":1,"query":"SELECT 1"})\n' +
                "fix: write the file again with raptor-roles workload --export FILE; do not edit it by hand\n",
        );
    });

    it("a file that does not exist", async () => {
        const r = await run("--stack", "staging", "--workload", "/nonexistent/w.json");
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            "raptor-roles plan: --workload /nonexistent/w.json cannot be read (ENOENT)\n" +
                "fix: write it with raptor-roles workload --database-url-env DATABASE_URL " +
                "--role-url-env RAPTOR_APP_DATABASE_URL --stack STACK --export FILE\n",
        );
    });

    it("a file judged as another role than the stack's", async () => {
        const file = workloadFile({ ...workloadExport(), role: "other_app" });
        const r = await run("--stack", "staging", "--workload", file);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            `raptor-roles plan: ${file} holds the workload judged as other_app, but stack staging grants to ` +
                "raptor_app\nfix: export the workload of stack staging's database: " +
                "raptor-roles workload --stack staging --export FILE\n",
        );
    });
});

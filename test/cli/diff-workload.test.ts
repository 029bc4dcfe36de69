/**
 * raptor-roles diff --workload FILE on real commits of a temporary git repository: the exported statements judged
 * against the base's matrix and the head's, with no database; what the change newly denies and permits, the
 * headline in the words, the Markdown and JSON, and the exit code (2 when the change newly denies).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../cli/main";
import { recorder } from "../support/io";
import { cleanupWorkloadFiles, workloadExport, workloadFile } from "../support/workload-file";

const ROOT = path.resolve(__dirname, "..", "..");
const dirs: string[] = [];
afterEach(() => {
    dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    cleanupWorkloadFiles();
});

const git = (repo: string, ...args: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.email=ci@raxx.app", "-c", "user.name=ci", ...args], {
        encoding: "utf8",
    }).trim();

/** A repository of this project's classification, stack files and pack config, then one commit of `change`. */
function repoWith(change: (classification: string) => string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-diff-workload-"));
    dirs.push(d);
    for (const f of ["core/classification.ts", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "policy/config.json"]) {
        fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(d, f));
    }
    git(d, "init", "-q", "-b", "main");
    git(d, "add", "-A");
    git(d, "commit", "-qm", "base");
    const p = path.join(d, "core/classification.ts");
    fs.writeFileSync(p, change(fs.readFileSync(p, "utf8")));
    git(d, "commit", "-qam", "change");
    return d;
}

/** Moves paper_orders from application to appendOnly. */
const paperOrdersAppendOnly = (t: string) =>
    t
        .replace('        "paper_orders",\n', "")
        .replace('        "dsr_log",\n', '        "dsr_log",\n        "paper_orders",\n');
/** Moves customer_audit_events from appendOnly to application. */
const auditEditable = (t: string) =>
    t
        .replace('        "customer_audit_events",\n', "")
        .replace('        "users",\n', '        "users",\n        "customer_audit_events",\n');

const run = async (...args: string[]) => {
    const io = recorder();
    const code = await main(["diff", ...args], io);
    return { code, ...io };
};

const HEADLINE = "moving paper_orders to append-only denies 3 statements the app ran 41,200 times";

// diff plans both sides under mocks and reads git: as slow as diff.test.ts's cases on loaded cores.
describe("diff --workload FILE", { timeout: 240_000 }, () => {
    it("moving a table to append-only: the statements it newly denies, in the issue's words; exit 2", async () => {
        const d = repoWith(paperOrdersAppendOnly);
        const file = workloadFile(workloadExport());
        const r = await run("--repo", d, "--base", "main~1", "--head", "main", "--workload", file, "--json");
        expect(r.code).toBe(2);
        const w = (JSON.parse(r.stdout) as { workload: Record<string, unknown> }).workload;
        expect(w.headline).toBe(HEADLINE);
        expect([w.file, w.stack, w.of, w.newlyDeniedCalls, w.newlyPermittedCalls]).toEqual([
            file,
            "prod",
            "owner",
            41_200,
            0,
        ]);
        expect(w.base).toEqual({ counts: { permitted: 5, denied: 1, ownerOnly: 1, notJudged: 1 }, deniedCalls: 7 });
        expect(w.head).toEqual({
            counts: { permitted: 2, denied: 4, ownerOnly: 1, notJudged: 1 },
            deniedCalls: 41_207,
        });
        const fix =
            "the app must change: paper_orders is append-only: UPDATE (or SELECT ... FOR UPDATE/SHARE) would " +
            "rewrite or erase history; insert a new row instead";
        expect(w.newlyDenied).toEqual([
            {
                queryid: "101",
                calls: 41_000,
                query: "UPDATE paper_orders SET payload = $1 WHERE id = $2",
                verdict: "denied",
                missing: [{ privilege: "UPDATE", object: "public.paper_orders" }],
                fix,
            },
            {
                queryid: "102",
                calls: 150,
                query: "DELETE FROM paper_orders WHERE id = $1",
                verdict: "denied",
                missing: [{ privilege: "DELETE", object: "public.paper_orders" }],
                fix:
                    "the app must change: paper_orders is append-only: DELETE would rewrite or erase history; " +
                    "insert a new row instead",
            },
            {
                queryid: "103",
                calls: 50,
                query: "SELECT id FROM paper_orders WHERE id = $1 FOR UPDATE",
                verdict: "denied",
                missing: [{ privilege: "UPDATE", object: "public.paper_orders" }],
                fix,
            },
        ]);
        expect(w.newlyPermitted).toEqual([]);
    });

    it("the Markdown leads with the headline, then a row per newly denied statement", async () => {
        const d = repoWith(paperOrdersAppendOnly);
        const file = workloadFile(workloadExport());
        const r = await run(
            "--repo",
            d,
            "--base",
            "main~1",
            "--head",
            "main",
            "--workload",
            file,
            "--stack",
            "staging",
        );
        expect(r.code).toBe(2);
        const from = r.stdout.indexOf("### Workload");
        expect(r.stdout.slice(from, r.stdout.indexOf("### Stack", from))).toBe(
            [
                `### Workload (\`${file}\`, against stack \`staging\`'s matrix)`,
                "",
                `**${HEADLINE}**`,
                "",
                "Newly denied:",
                "",
                "| statement | calls | missing at the head | fix |",
                "|---|---|---|---|",
                "| `UPDATE paper_orders SET payload = $1 WHERE id = $2` | 41,000 | UPDATE on public.paper_orders | " +
                    "the app must change: paper_orders is append-only: UPDATE (or SELECT ... FOR UPDATE/SHARE) " +
                    "would rewrite or erase history; insert a new row instead |",
                "| `DELETE FROM paper_orders WHERE id = $1` | 150 | DELETE on public.paper_orders | the app must " +
                    "change: paper_orders is append-only: DELETE would rewrite or erase history; insert a new row " +
                    "instead |",
                "| `SELECT id FROM paper_orders WHERE id = $1 FOR UPDATE` | 50 | UPDATE on public.paper_orders | " +
                    "the app must change: paper_orders is append-only: UPDATE (or SELECT ... FOR UPDATE/SHARE) " +
                    "would rewrite or erase history; insert a new row instead |",
                "",
                "Judged at the base: permitted 5 · denied 1 · owner-only 1 · not-judged 1; at the head: " +
                    "permitted 2 · denied 4 · owner-only 1 · not-judged 1.",
                "",
                "",
            ].join("\n"),
        );
    });

    it("moving an append-only table to application newly permits its UPDATE; exit 0", async () => {
        const d = repoWith(auditEditable);
        const r = await run("--repo", d, "--base", "main~1", "--workload", workloadFile(workloadExport()), "--json");
        expect(r.code).toBe(0);
        const w = (JSON.parse(r.stdout) as { workload: Record<string, unknown> }).workload;
        expect(w.headline).toBe(
            "moving customer_audit_events to application permits 1 statement the app ran 7 times that the base denies",
        );
        expect(w.newlyDenied).toEqual([]);
        expect((w.newlyPermitted as { queryid: string }[]).map((s) => s.queryid)).toEqual(["106"]);
    });

    it("locking a table the app writes denies its statements: owner-only only when the base said so too", async () => {
        const d = repoWith((t) =>
            t
                .replace('        "paper_orders",\n', "")
                .replace(
                    'locked: ["alembic_version", "schema_migrations"]',
                    'locked: ["alembic_version", "paper_orders", "schema_migrations"]',
                ),
        );
        const r = await run("--repo", d, "--base", "main~1", "--workload", workloadFile(workloadExport()), "--json");
        expect(r.code).toBe(2);
        const w = (JSON.parse(r.stdout) as { workload: Record<string, unknown> }).workload;
        expect(w.headline).toBe("moving paper_orders to locked denies 4 statements the app ran 50,200 times");
        expect((w.newlyDenied as { queryid: string }[]).map((s) => s.queryid)).toEqual(["101", "104", "102", "103"]);
        expect((w.head as { counts: object }).counts).toEqual({ permitted: 1, denied: 5, ownerOnly: 1, notJudged: 1 });
    });

    it("a change that moves no table the statements use denies none; exit 0", async () => {
        const d = repoWith((t) =>
            t.replace('        "webauthn_credentials",\n', '        "webauthn_credentials",\n        "risk_limits",\n'),
        );
        const r = await run("--repo", d, "--base", "main~1", "--workload", workloadFile(workloadExport()));
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("\nthis change denies no statement the app ran (7 statements judged)\n");
    });

    it("refuses --stack without --workload, and a stack the revisions do not have (exit 1)", async () => {
        const d = repoWith(paperOrdersAppendOnly);
        const alone = await run("--repo", d, "--base", "main~1", "--stack", "prod");
        expect(alone.code).toBe(1);
        expect(alone.stderr).toBe(
            "raptor-roles diff: --stack only says which stack judges --workload FILE\n" +
                "fix: add --workload FILE, or drop --stack\n",
        );
        const file = workloadFile(workloadExport());
        const none = await run("--repo", d, "--base", "main~1", "--workload", file, "--stack", "qa");
        expect(none.code).toBe(1);
        expect(none.stderr.replace(/\([0-9a-f]{12}\)/, "(COMMIT)")).toBe(
            "raptor-roles diff: --stack qa: --base main~1 (COMMIT) has no Pulumi.qa.yaml to judge the workload " +
                "against\nfix: pass --stack with a stack both revisions have (prod, staging)\n",
        );
    });

    it("a bad workload file is refused before either revision is planned (exit 1)", async () => {
        const d = repoWith(paperOrdersAppendOnly);
        const file = workloadFile("[]");
        const r = await run("--repo", d, "--base", "main~1", "--workload", file);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            `raptor-roles diff: ${file} is not a workload file (expected "format": "raptor-roles-workload/1" and a ` +
                "statements list)\nfix: write it with raptor-roles workload --export FILE\n",
        );
    });
});

/**
 * raptor-roles diff on real commits of a temporary git repository holding
 * this project's classification, stack files and pack config.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diff, diffRevisions } from "../cli/diff";
import { planDocument } from "../cli/plan";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { recorder } from "./support/io";

const ROOT = path.resolve(__dirname, "..");
const OPERATOR = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config.json"), "utf8"))["prod-signoff"].operators as string[]
)[0];
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const git = (repo: string, ...args: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.email=ci@raxx.app", "-c", "user.name=ci", ...args], {
        encoding: "utf8",
    }).trim();

/** A repository whose first commit is this project's classification, stack files and pack config. */
function repo(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-diff-repo-"));
    dirs.push(d);
    for (const f of ["core/classification.ts", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "policy/config.json"]) {
        fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(d, f));
    }
    git(d, "init", "-q", "-b", "main");
    git(d, "add", "-A");
    git(d, "commit", "-qm", "base");
    return d;
}

function edit(d: string, file: string, change: (text: string) => string, message: string): void {
    const p = path.join(d, file);
    fs.writeFileSync(p, change(fs.readFileSync(p, "utf8")));
    git(d, "commit", "-qam", message);
}

const addRiskLimits = (t: string) =>
    t.replace('        "webauthn_credentials",\n', '        "webauthn_credentials",\n        "risk_limits",\n');
const signoff = (fingerprint: string) =>
    `  raptor:signoff:\n    operator: ${OPERATOR}\n    ticket: RM-11\n    approvedAt: 2026-11-28T10:00:00Z\n    ` +
    `fingerprint: ${fingerprint}\n`;

describe("diff --format markdown", () => {
    it("a new application table signed off in the same pull request, rendered whole", async () => {
        const d = repo();
        const before = (await planDocument({ stack: "prod", dir: d })).fingerprint as string;
        const withRisk = {
            ...RAPTOR_CLASSIFICATION,
            application: [...RAPTOR_CLASSIFICATION.application, "risk_limits"],
        };
        edit(d, "core/classification.ts", addRiskLimits, "classify risk_limits");
        const after = (await planDocument({ stack: "prod", dir: d, classification: withRisk })).fingerprint as string;
        edit(d, "Pulumi.prod.yaml", (t) => t + signoff(after), "sign off risk_limits for prod");
        const [base, head] = [git(d, "rev-parse", "main~2"), git(d, "rev-parse", "main")];

        const io = recorder();
        expect(await diff(["--repo", d, "--base", "main~2", "--head", "main"], io)).toBe(0);
        expect(before).not.toBe(after);
        expect(io.stdout).toBe(
            [
                "<!-- raptor-roles diff -->",
                `## raptor-roles diff: \`main~2\` (${base.slice(0, 12)}) → \`main\` (${head.slice(0, 12)})`,
                "",
                "### Classification",
                "",
                "| table | before | after |",
                "|---|---|---|",
                "| `risk_limits` | (not classified) | application |",
                "",
                "### Stack `prod`",
                "",
                "Privileges of the app role:",
                "",
                "| table | granted | revoked |",
                "|---|---|---|",
                "| `risk_limits` | SELECT, INSERT, UPDATE, DELETE | - |",
                "",
                "Resources:",
                "",
                "- + `raptor-grants-table-risk_limits` (postgresql:index/grant:Grant)",
                "",
                "Policy verdicts at the head: OK, no violations",
                "",
                "### Stack `staging`",
                "",
                "Privileges of the app role:",
                "",
                "| table | granted | revoked |",
                "|---|---|---|",
                "| `risk_limits` | SELECT, INSERT, UPDATE, DELETE | - |",
                "",
                "Resources:",
                "",
                "- + `raptor-grants-table-risk_limits` (postgresql:index/grant:Grant)",
                "",
                "Policy verdicts at the head: OK, no violations",
                "",
                "### Prod sign-off",
                "",
                "| | fingerprint |",
                "|---|---|",
                `| base | \`${before}\` |`,
                `| head | \`${after}\` |`,
                `| signed in Pulumi.prod.yaml | \`${after}\` by ${OPERATOR}, ticket RM-11, 2026-11-28T10:00:00Z |`,
                "",
                "The committed sign-off covers the head: the signed fingerprint is the head's.",
                "",
            ].join("\n"),
        );
    });
});

describe("diff --format json", () => {
    it(
        "moving an audit table to application shows the set move, UPDATE and DELETE granted, and the invariant " +
            "blocking",
        async () => {
            const d = repo();
            edit(
                d,
                "core/classification.ts",
                (t) => addRiskLimits(t.replace('        "dsr_log",\n', "")).replace('"risk_limits"', '"dsr_log"'),
                "dsr_log is editable",
            );
            const r = await diffRevisions({ repo: d, base: "main~1" });
            expect(r.tables).toEqual([{ table: "dsr_log", before: "appendOnly", after: "application" }]);
            const staging = r.stacks.find((s) => s.stack === "staging");
            expect(staging?.privileges).toEqual([{ table: "dsr_log", granted: ["UPDATE", "DELETE"], revoked: [] }]);
            expect(
                staging?.resources.map((c) => [c.change, c.name, c.inputs.map((i) => [i.key, i.before, i.after])]),
            ).toEqual([
                [
                    "changed",
                    "raptor-grants-table-dsr_log",
                    [["privileges", '["SELECT","INSERT"]', '["SELECT","INSERT","UPDATE","DELETE"]']],
                ],
            ]);
            expect(staging?.head?.blocked).toBe(true);
            expect(staging?.head?.violations.map((v) => [v.policy, v.level])).toEqual([
                ["append-only-invariant", "mandatory"],
            ]);
        },
    );

    it("a sign-off of the base does not cover a head that changes the matrix", async () => {
        const d = repo();
        const before = (await planDocument({ stack: "prod", dir: d })).fingerprint as string;
        edit(d, "Pulumi.prod.yaml", (t) => t + signoff(before), "sign off prod as it is");
        edit(d, "core/classification.ts", addRiskLimits, "classify risk_limits");
        const r = await diffRevisions({ repo: d, base: "main~1" });
        expect(r.prod?.before).toBe(before);
        expect(r.prod?.signed?.fingerprint).toBe(before);
        expect(r.prod?.covers).toBe(false);
        expect(r.prod?.reason).toContain(`sign-off is for another change: raptor:signoff.fingerprint is ${before}`);
    });

    it("turning the staging flag on shows the flag command's changed input and Heroku call", async () => {
        const d = repo();
        edit(
            d,
            "Pulumi.staging.yaml",
            (t) => t.replace("raptor:roleSeparation: false", "raptor:roleSeparation: true"),
            "flag on",
        );
        const r = await diffRevisions({ repo: d, base: "main~1" });
        const flag = r.stacks.find((s) => s.stack === "staging")?.resources.find((c) => c.name === "raptor-flag-flag");
        expect(flag?.inputs).toEqual([{ key: "environment.FLAG_VALUE", before: "0", after: "1" }]);
        expect(flag?.herokuCalls).toEqual([
            {
                script: "create",
                before: ["heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a raxx-api-staging"],
                after: ["heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a raxx-api-staging"],
            },
            {
                script: "update",
                before: ["heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a raxx-api-staging"],
                after: ["heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a raxx-api-staging"],
            },
        ]);
        expect(r.tables).toEqual([]);
        expect(r.stacks.find((s) => s.stack === "prod")?.resources).toEqual([]);
    });
});

describe("diff errors", () => {
    it("an unknown base names the revision and how to fetch it (exit 1)", async () => {
        const d = repo();
        const io = recorder();
        expect(await diff(["--repo", d, "--base", "origin/nope"], io)).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles diff: --base "origin/nope" is not a commit of ${d}; fetch it first (in CI: ` +
                `actions/checkout with fetch-depth: 0)\n`,
        );
    });
});

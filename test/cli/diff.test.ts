/**
 * raptor-roles diff on real commits of a temporary git repository holding
 * this project's classification, stack files and pack config.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diff, diffRevisions } from "../../cli/diff";
import { main } from "../../cli/main";
import { planDocument } from "../../cli/plan";
import { signoffMessage } from "../../core/signoff-message";
import { recorder } from "../support/io";
import { publicKey, sshSign } from "../support/ssh-keys";

const ROOT = path.resolve(__dirname, "..", "..");
const OPERATOR = "operator@raxx.app";
/** An hour ago, so the sign-off is inside prod-signoff's maxAgeHours whenever the test runs. */
const APPROVED_AT = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
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
    // The operator's real key is the pack's one allowed signer, as an operator's would be.
    const config = path.join(d, "policy", "config.json");
    const pack = JSON.parse(fs.readFileSync(config, "utf8"));
    pack["prod-signoff"].allowedSigners = [`${OPERATOR} ${publicKey("ed25519")}`];
    fs.writeFileSync(config, JSON.stringify(pack, null, 2));
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
/** raptor:signoff as `raptor-roles signoff` writes it: signed with the operator's key by the real ssh-keygen. */
function signoff(fingerprint: string): string {
    const message = signoffMessage({
        stack: "prod",
        app: "raxx-api-prod",
        fingerprint,
        ticket: "RM-11",
        approvedAt: APPROVED_AT,
    });
    const signature = sshSign("ed25519", message)
        .trimEnd()
        .split("\n")
        .map((l) => `      ${l}`)
        .join("\n");
    return (
        `  raptor:signoff:\n    operator: ${OPERATOR}\n    ticket: RM-11\n    approvedAt: ${APPROVED_AT}\n` +
        `    fingerprint: ${fingerprint}\n    signature: |\n${signature}\n`
    );
}

describe("diff --format markdown", () => {
    // The operator's procedure: review plan, run signoff, and open a pull request with Pulumi.prod.yaml.
    // (A head that also changes core/classification.ts is judged by this checkout's pack, whose bundled
    // classification is the checkout's: in the workflow the checkout is the head, so they agree.)
    it("the operator's signed sign-off in a pull request of its own, rendered whole", async () => {
        const d = repo();
        const fingerprint = (await planDocument({ stack: "prod", dir: d })).fingerprint as string;
        edit(d, "Pulumi.prod.yaml", (t) => t + signoff(fingerprint), "sign off prod (RM-11)");
        const [base, head] = [git(d, "rev-parse", "main~1"), git(d, "rev-parse", "main")];

        const io = recorder();
        expect(await diff(["--repo", d, "--base", "main~1", "--head", "main"], io)).toBe(0);
        expect(io.stdout).toBe(
            [
                "<!-- raptor-roles diff -->",
                `## raptor-roles diff: \`main~1\` (${base.slice(0, 12)}) → \`main\` (${head.slice(0, 12)})`,
                "",
                "### Classification",
                "",
                "No table added, removed or moved between sets.",
                "",
                ...["prod", "staging"].flatMap((stack) => [
                    `### Stack \`${stack}\``,
                    "",
                    "Privileges of the app role:",
                    "",
                    "No privilege changes.",
                    "",
                    "Resources:",
                    "",
                    "No resource added, removed or changed.",
                    "",
                    "Policy verdicts at the head: OK, no violations",
                    "",
                ]),
                "### Prod sign-off",
                "",
                "| | fingerprint |",
                "|---|---|",
                `| base | \`${fingerprint}\` |`,
                `| head | \`${fingerprint}\` |`,
                `| signed in Pulumi.prod.yaml | \`${fingerprint}\` by ${OPERATOR}, ticket RM-11, ${APPROVED_AT} |`,
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
        expect(await main(["diff", "--repo", d, "--base", "origin/nope"], io)).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles diff: --base "origin/nope" is not a commit of ${d}\n` +
                "fix: git fetch origin (in CI: actions/checkout with fetch-depth: 0), or name an existing revision\n",
        );
    });
});

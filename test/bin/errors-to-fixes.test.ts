/**
 * Each wrong or dead-end message issue 19 found, driven through the built binary as a subprocess: the error names
 * the bad value, where it came from and the fix, and doing exactly what the fix says then succeeds. Each case runs
 * in a sandbox copy of the checkout (test/support/cli-sandbox.ts), where the commands may write.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { GITHUB_COMMENT_LIMIT } from "../../core/review/markdown";
import { ROOT, useSandboxes } from "../support/cli-sandbox";
import { keyPath, publicKey } from "../support/ssh-keys";

const box = useSandboxes();
// Whole processes on a shared 2-core machine; a rebuild (tsc) alone took 30-66 s under load here.
vi.setConfig({ testTimeout: 300_000 });

/** The error document of a failed --json run. */
const errorOf = (stdout: string) =>
    (JSON.parse(stdout) as { error: { code: string; message: string; fix: string } }).error;

describe("sign-off with a key no allowedSigners line lists", () => {
    it("exits 1, writes nothing, prints the exact line for policy/config.json; once added, it signs", () => {
        const s = box();
        const before = s.read("Pulumi.prod.yaml");
        const argv = ["signoff", "--stack", "prod", "--ticket", "1568", "--key", keyPath("mallory")];
        const refused = s.run([...argv, "--operator", "op@raxx.app", "--json"]);
        expect(refused.status).toBe(1);
        expect(s.read("Pulumi.prod.yaml")).toBe(before);
        const error = errorOf(refused.stdout);
        expect(error.code).toBe("signer-not-allowed");
        const line = `op@raxx.app namespaces="raptor-signoff" ${publicKey("mallory")}`;
        expect(error.fix).toBe(
            `add this line to prod-signoff.allowedSigners in policy/config.json: ${JSON.stringify(line)}. That ` +
                "change goes through review (commit it on a branch; it counts once merged), then run this " +
                "command again",
        );
        expect(refused.stderr).toContain(`fix: ${error.fix}\n`);

        // The fix, to the letter: the line into policy/config.json, committed (merged after review).
        const config = JSON.parse(s.read("policy/config.json"));
        config["prod-signoff"].allowedSigners.push(JSON.parse(/: (".*")\. That change/.exec(error.fix)![1]));
        s.write("policy/config.json", `${JSON.stringify(config, null, 4)}\n`);
        s.git("commit", "-qam", "allow op@raxx.app's key (reviewed)");

        const signed = s.run(argv);
        expect(signed.stderr).toBe(""); // no rebuild: policy/config.json is data
        expect(signed.status).toBe(0);
        expect(signed.stdout).toContain("Signed as op@raxx.app with ssh-ed25519");
        const plan = s.run(["plan", "--stack", "prod"]);
        expect(plan.status).toBe(0);
        expect(plan.stdout).toContain("Result: OK (no mandatory violation)");
    });
});

describe("stack file errors name the file, the key and the value", () => {
    it('raptor:app: "" is reported as "", with the fix; setting it makes plan pass', () => {
        const s = box();
        s.write("Pulumi.staging.yaml", 'config:\n  raptor:app: ""\n');
        const r = s.run(["plan", "--stack", "staging"]);
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(
            `raptor-roles plan: ${path.join(s.dir, "Pulumi.staging.yaml")}: invalid stack configuration:\n` +
                '  - raptor:app = "": set it: pulumi config set raptor:app raxx-api-staging -s staging\n' +
                "fix: set it: pulumi config set raptor:app raxx-api-staging -s staging\n",
        );
        // What `pulumi config set raptor:app raxx-api-staging -s staging` writes.
        s.write("Pulumi.staging.yaml", "config:\n  raptor:app: raxx-api-staging\n");
        expect(s.run(["plan", "--stack", "staging"]).status).toBe(0);
    });

    it("invalid YAML names the file as well as the line and column; fixing that line makes plan pass", () => {
        const s = box();
        s.write("Pulumi.staging.yaml", "config:\n  raptor:app: raxx-api-staging\n   raptor:roleSeparation: [true\n");
        const r = s.run(["plan", "--stack", "staging", "--json"]);
        expect(r.status).toBe(1);
        const error = errorOf(r.stdout);
        expect(error.code).toBe("stack-file");
        expect(error.message).toMatch(
            new RegExp(`^${path.join(s.dir, "Pulumi.staging.yaml")} is not valid YAML: .* at line 2, column 15:$`),
        );
        expect(error.fix).toBe(
            "fix that line of Pulumi.staging.yaml (git diff Pulumi.staging.yaml shows what changed)",
        );
        s.write("Pulumi.staging.yaml", "config:\n  raptor:app: raxx-api-staging\n  raptor:roleSeparation: true\n");
        expect(s.run(["plan", "--stack", "staging"]).status).toBe(0);
    });
});

describe("flags", () => {
    it("plan --addon-plan bogus names the flag and a plan; the plan it names works", () => {
        const r = execFileBin(["plan", "--stack", "staging", "--addon-plan", "bogus", "--json"]);
        expect(r.status).toBe(1);
        const error = errorOf(r.stdout);
        expect(error.message).toBe('--addon-plan "bogus" is not a Heroku Postgres plan');
        const named = /--addon-plan (heroku-postgresql:[a-z0-9-]+)/.exec(error.fix)![1];
        expect(named).toBe("heroku-postgresql:standard-0");
        expect(execFileBin(["plan", "--stack", "staging", "--addon-plan", named]).status).toBe(0);
    });

    it("signoff --key on a file that is not a key: one message naming the file, no ssh-keygen banner", () => {
        const s = box();
        const notKey = path.join(s.dir, "notes.txt");
        s.write("notes.txt", "not a key\n");
        const r = s.run(["signoff", "--stack", "prod", "--ticket", "1", "--key", notKey]);
        expect(r.status).toBe(1);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(2);
        expect(lines[0]).toMatch(new RegExp(`^raptor-roles signoff: --key ${notKey} is not an SSH key: ssh-keygen -y`));
        expect(lines[1]).toBe(
            "fix: pass your SSH private key (e.g. --key ~/.ssh/id_ed25519), or its .pub with the private key in " +
                "ssh-agent",
        );
        // The fix: a real private key (listed, so it signs).
        const config = JSON.parse(s.read("policy/config.json"));
        config["prod-signoff"].allowedSigners = [`operator@raxx.app ${publicKey("ed25519")}`];
        s.write("policy/config.json", JSON.stringify(config));
        expect(s.run(["signoff", "--stack", "prod", "--ticket", "1", "--key", keyPath("ed25519")]).status).toBe(0);
    });
});

describe("diff", () => {
    it("--repo on a directory that is not a repository says so; leaving --repo out, as the fix says, works", () => {
        const s = box();
        const notRepo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-not-repo-"));
        try {
            const r = s.run(["diff", "--base", "HEAD~1", "--repo", notRepo]);
            expect(r.status).toBe(1);
            expect(r.stderr).toBe(
                `raptor-roles diff: --repo ${notRepo} is not a git repository (git rev-parse --show-toplevel fails ` +
                    "there)\nfix: pass the directory of a clone of this repository, or leave --repo out for this " +
                    "checkout\n",
            );
        } finally {
            fs.rmSync(notRepo, { recursive: true, force: true });
        }
        s.write("Pulumi.staging.yaml", `${s.read("Pulumi.staging.yaml")}# a second commit\n`);
        s.git("commit", "-qam", "second");
        expect(s.run(["diff", "--base", "HEAD~1"]).status).toBe(0);
    });

    it("refuses uncommitted changes it would ignore, naming the file; committed, the diff shows them", () => {
        const s = box();
        const flagOn = s
            .read("Pulumi.staging.yaml")
            .replace(/raptor:roleSeparation: false/, "raptor:roleSeparation: true");
        expect(flagOn).toContain("raptor:roleSeparation: true");
        s.write("Pulumi.staging.yaml", flagOn);
        const r = s.run(["diff", "--base", "HEAD"]);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(`raptor-roles diff: uncommitted changes to Pulumi.staging.yaml in ${s.dir}:`);
        expect(r.stderr).toContain("fix: commit them (git commit -am ...) or stash them (git stash)");
        s.git("commit", "-qam", "flag on in staging");
        const d = s.run(["diff", "--base", "HEAD~1"]);
        expect(d.status).toBe(0);
        expect(d.stdout).toContain("added `heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a raxx-api-staging`");
    });

    // Measured 2026-12-02 on this change (500 tables added to the application set): see the assertion's message.
    it("a change of 500 tables stays under GitHub's 65,536-character comment limit", () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-diff-500-"));
        try {
            for (const f of [
                "core/classification.ts",
                "Pulumi.staging.yaml",
                "Pulumi.prod.yaml",
                "policy/config.json",
            ]) {
                fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
                fs.copyFileSync(path.join(ROOT, f), path.join(d, f));
            }
            const git = (...a: string[]) =>
                execFileSync("git", ["-C", d, "-c", "user.email=ci@raxx.app", "-c", "user.name=ci", ...a]);
            git("init", "-q", "-b", "main");
            git("add", "-A");
            git("commit", "-qm", "base");
            const file = path.join(d, "core/classification.ts");
            const names = Array.from(
                { length: 500 },
                (_, i) => `        "bulk_table_${String(i).padStart(3, "0")}",\n`,
            );
            const text = fs.readFileSync(file, "utf8");
            expect(text).toContain('        "webauthn_credentials",\n');
            fs.writeFileSync(
                file,
                text.replace('        "webauthn_credentials",\n', (m) => m + names.join("")),
            );
            git("commit", "-qam", "500 tables");
            const r = execFileBin(["diff", "--repo", d, "--base", "main~1", "--head", "main"]);
            expect(r.status).toBe(0);
            expect(r.stdout.length, `comment of ${r.stdout.length} characters`).toBeLessThan(GITHUB_COMMENT_LIMIT);
            expect(r.stdout).toContain("| 500 (`bulk_table_000`, `bulk_table_001`,");
        } finally {
            fs.rmSync(d, { recursive: true, force: true });
        }
    });
});

describe("sql: one documented way to apply it", () => {
    it("--help, the script's header and docs/operating.md give the same commands", () => {
        const help = execFileBin(["sql", "--help"]).stdout;
        const apply = [
            "raptor-roles sql --stack staging > grants.sql",
            "heroku pg:psql -a raxx-api-staging -f grants.sql",
        ];
        apply.forEach((line) => expect(help).toContain(line));
        // The docs run the CLI one way (test/docs/docs.test.ts): node bin/raptor-roles.js.
        const docs = fs.readFileSync(path.join(ROOT, "docs", "operating.md"), "utf8");
        apply.forEach((line) => expect(docs).toContain(line.replace(/^raptor-roles /, "node bin/raptor-roles.js ")));
        expect(docs).not.toMatch(/raptor-roles(\.js)? sql[^\n]*\| *heroku pg:psql/);
        const script = execFileBin(["sql", "--stack", "staging"]).stdout;
        expect(script.split("\n")[1]).toBe(
            "-- Apply it as `raptor-roles sql --help` says: save it, review it, then heroku pg:psql -a APP -f FILE.sql",
        );
    });
});

function execFileBin(args: string[]) {
    return spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });
}

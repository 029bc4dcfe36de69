/**
 * The installed binary, as an operator and a machine run it: bin/raptor-roles.js on the compiled dist/ (built by
 * `npm ci`), as a child process, so only what a real process does counts: its stdout, stderr and exit code.
 * The contract (docs/operating.md, "The command contract"): 0 ok, 1 could not run or bad input, 2 a finding;
 * errors on stderr; with --json a failure is still one JSON document {"error": {code, message, fix}} on stdout.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROOT, Sandbox, ensureBuilt, sandbox } from "../support/cli-sandbox";

const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });

const notARepo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-not-a-repo-"));
afterAll(() => fs.rmSync(notARepo, { recursive: true, force: true }));
beforeAll(ensureBuilt, 300_000);
// Whole processes on a shared 2-core machine; a rebuild (tsc) alone took 30-66 s under load here.
vi.setConfig({ testTimeout: 300_000 });

describe("bin/raptor-roles.js", () => {
    it("plan --stack staging (npm start) prints the 40-table plan and exits 0, nothing on stderr", () => {
        const r = run("plan", "--stack", "staging");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("Privilege matrix for the app role (40 tables):");
        expect(r.stdout).toContain("Result: OK (no mandatory violation)");
    });

    it("--version prints package.json's version", () => {
        const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        expect(run("--version")).toMatchObject({ status: 0, stdout: `raptor-roles ${version}\n`, stderr: "" });
        expect(JSON.parse(run("--version", "--json").stdout)).toEqual({ version });
    });

    it("plan --stack prod before sign-off exits 2 (a finding) and fits one screen of 120 columns", () => {
        const r = run("plan", "--stack", "prod");
        expect(r.status).toBe(2);
        const lines = r.stdout.trimEnd().split("\n");
        expect(lines.length).toBeLessThanOrEqual(40);
        expect(lines.filter((l) => l.length > 120)).toEqual([]);
        expect(lines.at(-2)).toBe(
            "Result: BLOCKED: expected before sign-off; next: raptor-roles signoff --stack prod --ticket <ticket> " +
                "--key <your key>",
        );
    });

    it("an unknown command names the commands on stderr and exits 1", () => {
        const r = run("rollout");
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(`raptor-roles: unknown command "rollout"\nfix: use one of plan, verify, sql,`);
        expect(r.stderr).toContain("usage: raptor-roles <command>");
    });

    it("a flag given twice is refused, naming it", () => {
        const r = run("sql", "--stack", "staging", "--stack", "prod");
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(
            "raptor-roles sql: --stack is given more than once; each option may be given once\n" +
                "fix: keep the one --stack you mean and drop the others\n",
        );
    });
});

describe("every command's failure under --json: exit 1, the error document on stdout, the message on stderr", () => {
    const cases: Array<[string, string[], string]> = [
        ["plan", ["plan", "--stack", "qa", "--json"], "stack-file"],
        ["verify", ["verify", "--database-url-env", "RAPTOR_SURELY_UNSET", "--json"], "no-url"],
        ["sql", ["sql", "--stack", "qa", "--json"], "stack-file"],
        ["signoff", ["signoff", "--stack", "prod", "--key", "/nonexistent", "--json"], "usage"],
        ["diff", ["diff", "--base", "HEAD~1", "--repo", notARepo, "--json"], "git"],
        ["diff", ["diff", "--base", "HEAD~1", "--repo", notARepo, "--format", "json"], "git"],
        ["lint-migrations", ["lint-migrations", "/nonexistent/migrations", "--json"], "unreadable-path"],
    ];
    it.each(cases)("%s: %j", (command, args, code) => {
        const r = run(...args);
        expect(r.status).toBe(1);
        const doc = JSON.parse(r.stdout);
        expect(Object.keys(doc)).toEqual(["error"]);
        expect(Object.keys(doc.error)).toEqual(["code", "message", "fix"]);
        expect(doc.error.code).toBe(code);
        expect(doc.error.message).not.toBe("");
        expect(doc.error.fix).not.toBe("");
        expect(r.stderr.startsWith(`raptor-roles ${command}: ${doc.error.message}`)).toBe(true);
    });

    it("sql and signoff have JSON results too", () => {
        const sql = JSON.parse(run("sql", "--stack", "staging", "--json").stdout);
        expect(Object.keys(sql)).toEqual(["stack", "app", "role", "schema", "sql"]);
        expect(sql.sql).toContain("BEGIN;");
    });

    it("a config error goes to stderr, never under a verdict on stdout", () => {
        const s = sandbox();
        try {
            s.write("Pulumi.staging.yaml", "config:\n  raptor:app: raxx-api-staging\n  raptor:urlDelivery: env-var\n");
            const r = s.run(["plan", "--stack", "staging"]);
            expect(r.status).toBe(1);
            expect(r.stdout).toBe("");
            expect(r.stderr).toContain(
                `Pulumi.staging.yaml: invalid stack configuration:\n  - raptor:urlDelivery = "env-var"`,
            );
        } finally {
            s.remove();
        }
    });
});

describe("no stale-build trap: staleness is the sources' content, and a stale build rebuilds itself", () => {
    let s: Sandbox;
    beforeAll(() => {
        s = sandbox();
    });
    afterAll(() => s.remove());

    it("new modification times on every file (git checkout, git pull) change nothing", () => {
        const later = new Date(Date.now() + 60_000);
        for (const f of ["cli/main.ts", "core/plan.ts", "program.ts", "policy/config.json", "Pulumi.prod.yaml"]) {
            fs.utimesSync(path.join(s.dir, f), later, later);
        }
        expect(s.run(["--help"])).toMatchObject({ status: 0, stderr: "" });
    });

    it("editing policy/config.json (adding an operator) needs no rebuild, and the CLI reads the edit", () => {
        const config = JSON.parse(s.read("policy/config.json"));
        config["prod-signoff"].maxAgeHours = 24;
        s.write("policy/config.json", JSON.stringify(config, null, 4));
        const r = s.run(["sql", "--stack", "staging"]);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(s.dir, "dist", "policy", "config.json"), "utf8"))).toEqual(config);
    });

    it("a changed TypeScript source: --help says so on one line, rebuilds once, and works", () => {
        s.write("core/plan.ts", `${s.read("core/plan.ts")}\n// changed after the build\n`);
        const first = s.run(["--help"]);
        expect(first.status).toBe(0);
        expect(first.stdout).toContain("usage: raptor-roles <command>");
        expect(first.stderr).toBe(
            "raptor-roles: the sources changed since dist/ was built; rebuilding it once (npm run build)...\n",
        );
        expect(s.run(["--help"])).toMatchObject({ status: 0, stderr: "" });
    });

    it("when it cannot rebuild, it runs the sources with a one-line notice", () => {
        s.write("core/plan.ts", `${s.read("core/plan.ts")}\n// changed again\n`);
        const r = s.run(["sql", "--stack", "staging"], { RAPTOR_ROLES_NO_REBUILD: "1" });
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("BEGIN;");
        expect(r.stderr).toBe(
            "raptor-roles: the sources changed since dist/ was built; running the TypeScript sources " +
                "(slower; npm run build to fix)\n",
        );
    });
});

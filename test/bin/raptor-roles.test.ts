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
import { COMMANDS } from "../../cli/main";
import { ROOT, Sandbox, ensureBuilt, sandbox } from "../support/cli-sandbox";

const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
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

    it("check with Heroku unreachable: the error document (could-not-check), not the report", () => {
        // A stand-in heroku first on PATH, failing as the CLI does when api.heroku.com does not resolve.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-fake-heroku-"));
        try {
            fs.writeFileSync(
                path.join(bin, "heroku"),
                "#!/bin/sh\necho ' ›   Error: getaddrinfo ENOTFOUND api.heroku.com' >&2\nexit 1\n",
                { mode: 0o755 },
            );
            const r = spawnSync(
                process.execPath,
                [path.join(ROOT, "bin", "raptor-roles.js"), "check", "--stack", "staging", "--json"],
                {
                    cwd: ROOT,
                    encoding: "utf8",
                    timeout: 120_000,
                    env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` },
                },
            );
            expect(r.status).toBe(1);
            const doc = JSON.parse(r.stdout);
            expect(Object.keys(doc)).toEqual(["error"]);
            expect(doc.error.code).toBe("could-not-check");
            expect(doc.error.message).toMatch(
                new RegExp(
                    "^the credential check could not run: heroku pg:credentials DATABASE -a raxx-api-staging " +
                        "failed: .*getaddrinfo ENOTFOUND api\\.heroku\\.com",
                ),
            );
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
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

describe("one help text per command: `help CMD` is `CMD --help`", () => {
    it.each(Object.keys(COMMANDS))("%s", (name) => {
        const viaHelp = run("help", name);
        const viaFlag = run(name, "--help");
        expect(viaFlag).toMatchObject({ status: 0, stderr: "" });
        expect(viaFlag.stdout).toMatch(new RegExp(`^usage: raptor-roles ${name} `));
        expect(viaHelp).toMatchObject({ status: 0, stderr: "", stdout: viaFlag.stdout });
    });

    it("help with an unknown command is the unknown-command error", () => {
        const r = run("help", "rollout", "--json");
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout).error.code).toBe("unknown-command");
    });

    it.each([
        ["cutover", ["--stack NAME", "--watch DURATION", "--resume", "--json", "--cwd DIR"]],
        ["deploy", ["--stack NAME", "--watch DURATION", "--app-repo DIR", "--resume", "--json", "--cwd DIR"]],
        ["soak", ["--stack NAME", "--key PATH", "--signer NAME", "--into STACK", "--json", "--cwd DIR"]],
    ])("%s --help lists its options, what it needs, the keys it reads and its exit codes", (name, options) => {
        const text = run(name, "--help").stdout;
        const section = (title: string) => text.slice(text.indexOf(`\n${title}`) + 1).split(/\n(?=[A-Z][a-z]+: ?)/)[0];
        for (const o of options) {
            expect(section("Options:")).toMatch(new RegExp(`\\n  ${o.replace(/[-]/g, "\\-")} `));
        }
        const needs = section("Needs:");
        for (const need of ["the pulumi CLI", "the heroku CLI with HEROKU_API_KEY", "PULUMI_CONFIG_PASSPHRASE"]) {
            expect(needs).toContain(need);
        }
        for (const key of ["raptor:app", "raptor:roleSeparation", "raptor:healthUrl", "raptor:sentryProject"]) {
            expect(section("Reads:")).toContain(key);
        }
        expect(section("Exit status:")).toMatch(/^Exit status: 0 .*; 2 .*; 1 /s);
    });
});

describe("the project is the current directory (or --cwd DIR), never the CLI's own checkout", () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-project-copy-"));
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-empty-"));
    afterAll(() => [copy, empty].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    beforeAll(() => {
        for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "policy/config.json"]) {
            fs.cpSync(path.join(ROOT, f), path.join(copy, f));
        }
        // The copy's own role (the app must stay raxx-api-staging: the program refuses another app for staging).
        fs.appendFileSync(path.join(copy, "Pulumi.staging.yaml"), "  raptor:role: raptor_copy\n");
    });
    const runIn = (cwd: string, ...args: string[]) =>
        spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
            cwd,
            encoding: "utf8",
            timeout: 120_000,
        });

    it("run from a copy's directory, it reads that copy's Pulumi.staging.yaml and says so", () => {
        const r = runIn(copy, "sql", "--stack", "staging");
        expect(r.status).toBe(0);
        expect(r.stdout.split("\n")[0]).toBe("-- Raptor grant matrix for role raptor_copy in schema public.");
        expect(r.stderr).toBe(`raptor-roles sql: stack file ${path.join(copy, "Pulumi.staging.yaml")}\n`);
    });

    it("from a directory without Pulumi.yaml: the error names it and the fix; the fix (--cwd) works", () => {
        const r = runIn(empty, "sql", "--stack", "staging", "--json");
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout)).toEqual({
            error: {
                code: "no-project",
                message:
                    `no Pulumi.yaml in ${empty}: raptor-roles acts on the Pulumi project in the directory it ` +
                    "runs in",
                fix: "cd to the project's checkout (where Pulumi.yaml is), or pass --cwd DIR",
            },
        });
        const fixed = runIn(empty, "sql", "--stack", "staging", "--cwd", copy);
        expect(fixed.status).toBe(0);
        expect(fixed.stdout.split("\n")[0]).toBe("-- Raptor grant matrix for role raptor_copy in schema public.");
        expect(fixed.stderr).toBe(`raptor-roles sql: stack file ${path.join(copy, "Pulumi.staging.yaml")}\n`);
    });

    it("--cwd naming no directory is a usage error naming it", () => {
        const r = runIn(empty, "plan", "--stack", "staging", "--cwd=/nonexistent/raptor", "--json");
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout).error).toEqual({
            code: "usage",
            message: '--cwd "/nonexistent/raptor": no such directory',
            fix: "pass the directory that holds the project's Pulumi.yaml, e.g. --cwd ~/src/raptor-roles",
        });
    });

    it("in its own checkout it says nothing more (npm start stays quiet)", () => {
        expect(run("sql", "--stack", "staging")).toMatchObject({ status: 0, stderr: "" });
    });
});

describe("a broken build: reported once with the compiler's first error, never retried on the same sources", () => {
    let s: Sandbox;
    beforeAll(() => {
        s = sandbox();
    });
    afterAll(() => s.remove());

    it("first run: the error once, then the command from source; second run: no rebuild; a fix: rebuilt", () => {
        const good = s.read("core/plan.ts");
        const line = good.split("\n").length + 1;
        s.write("core/plan.ts", `${good}\nexport const broken: string = 1;\n`);
        const first = s.run(["--version"]);
        expect(first.stdout).toBe(`raptor-roles ${version}\n`);
        expect(first.status).toBe(0);
        const error = `core/plan.ts:${line}: Type 'number' is not assignable to type 'string'.`;
        expect(first.stderr).toBe(
            "raptor-roles: the sources changed since dist/ was built; rebuilding it once (npm run build)...\n" +
                `raptor-roles: the build failed: ${error}\n` +
                "raptor-roles: running the TypeScript sources meanwhile (slower); fix that error, then npm run build\n",
        );
        const built = s.read("dist/BUILT");

        const second = s.run(["sql", "--stack", "staging"]);
        expect(second.status).toBe(0);
        expect(second.stdout).toContain("BEGIN;");
        expect(second.stderr).toBe(
            `raptor-roles: running the TypeScript sources: the build of these sources failed (${error}); fix it, ` +
                "then npm run build\n",
        );
        expect(s.read("dist/BUILT")).toBe(built);

        s.write("core/plan.ts", `${good}\n// fixed\n`);
        const third = s.run(["--version"]);
        expect(third).toMatchObject({ status: 0, stdout: `raptor-roles ${version}\n` });
        expect(third.stderr).toBe(
            "raptor-roles: the sources changed since dist/ was built; rebuilding it once (npm run build)...\n",
        );
        expect(fs.existsSync(path.join(s.dir, "dist.failed"))).toBe(false);
        expect(s.run(["--version"])).toMatchObject({ status: 0, stderr: "" });
    });
});

/**
 * Issue 30, point 1, through the built binary as a subprocess: each error names its input (the file as edited, the
 * line and column, the key; the part of a URL that is wrong; the host, port, user or database a connection failed
 * on; the tool that is missing) and a fix, and doing what the fix says makes the command pass that step. No
 * output carries a password.
 */
import { SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { ROOT, useSandboxes } from "../support/cli-sandbox";
import { HerokuApi, startHerokuApi } from "../support/heroku-api";

const box = useSandboxes();
// Whole processes on a shared 2-core machine.
vi.setConfig({ testTimeout: 300_000 });

const pg = inject("pg");

/** `node bin/raptor-roles.js ARGS` in this checkout, with `env` over a copy of this process's environment. */
function cli(args: readonly string[], env: Record<string, string | undefined> = {}): SpawnSyncReturns<string> {
    const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) {
        if (v === undefined) {
            delete merged[k];
        }
    }
    return spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 300_000,
        env: merged,
    });
}

/** cli, without blocking this process: for calls to the Heroku rig, which answers from this process. */
function cliAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], { cwd: ROOT, env });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("close", (status) => resolve({ status, stdout }));
    });
}

/** The error document of a failed --json run. */
const errorOf = (r: SpawnSyncReturns<string>) =>
    (JSON.parse(r.stdout) as { error: { code: string; message: string; fix: string } }).error;

const freePort = () =>
    new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = s.address() as net.AddressInfo;
            s.close(() => resolve(port));
        });
    });

describe("policy/config.json: the file as edited, the line and column, the key and its form", () => {
    const config = () => fs.readFileSync(path.join(ROOT, "policy", "config.json"), "utf8");

    it("a trailing comma: code policy-config, file:line:column; removing it, plan passes", () => {
        const s = box();
        s.write("policy/config.json", config().replace('"maxAgeHours": 168', '"maxAgeHours": 168,'));
        const r = s.run(["plan", "--stack", "staging", "--json"]);
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "policy-config",
            message: "policy/config.json:6:5: not valid JSON: Expected double-quoted property name",
            fix:
                "correct line 6, column 5 of policy/config.json (JSON: keys and strings in double quotes, a comma " +
                "between entries and none after the last), then run the command again; `git diff policy/config.json` " +
                "shows what was edited",
        });
        expect(r.stderr).not.toContain("dist/");
        // The fix: `git diff policy/config.json` shows the comma; the line before line 6 loses it.
        expect(s.git("diff", "policy/config.json")).toContain('+        "maxAgeHours": 168,');
        s.git("checkout", "policy/config.json");
        expect(s.run(["plan", "--stack", "staging"]).status).toBe(0);
    });

    it("allowedSigners as a string: key, line, form and what to write; so written, plan passes", () => {
        const s = box();
        const line = 'op@raxx.app namespaces="raptor-signoff" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPb';
        const parsed = JSON.parse(config()) as Record<string, Record<string, unknown>>;
        parsed["prod-signoff"].allowedSigners = line;
        s.write("policy/config.json", `${JSON.stringify(parsed, null, 4)}\n`);
        const r = s.run(["plan", "--stack", "staging", "--json"]);
        expect(r.status).toBe(1);
        const error = errorOf(r);
        expect(error).toEqual({
            code: "policy-config",
            message:
                "policy/config.json:3:9: prod-signoff.allowedSigners is a string " +
                `(${JSON.stringify(line).slice(0, 57)}` +
                "...); expected an array of non-empty strings",
            fix:
                'write it as "allowedSigners": ["op@raxx.app namespaces=\\"raptor-signoff\\" ssh-ed25519 ' +
                'AAAAC3Nz..."] under "prod-signoff" in policy/config.json, then run the command again',
        });
        parsed["prod-signoff"].allowedSigners = [line];
        s.write("policy/config.json", `${JSON.stringify(parsed, null, 4)}\n`);
        expect(s.run(["plan", "--stack", "staging"]).status).toBe(0);
    });

    it("appendOnly (read as the pack loads) names policy/config.json, not dist/'s link; a list, plan passes", () => {
        const s = box();
        const parsed = JSON.parse(config()) as Record<string, Record<string, unknown>>;
        const tables = parsed["append-only-invariant"].appendOnly;
        parsed["append-only-invariant"].appendOnly = "audit_integrity_log";
        s.write("policy/config.json", `${JSON.stringify(parsed, null, 4)}\n`);
        const r = s.run(["sql", "--stack", "staging", "--json"]);
        const plan = s.run(["plan", "--stack", "staging", "--json"]);
        expect(plan.status).toBe(1);
        expect(errorOf(plan)).toEqual({
            code: "policy-config",
            message:
                'policy/config.json:11:9: append-only-invariant.appendOnly is a string ("audit_integrity_log"); ' +
                "expected an array of table names (the pack's defaults, kept equal to core/classification.ts by " +
                "test/policy/policies.test.ts)",
            fix:
                'write "appendOnly": ["table_name", ...] under "append-only-invariant" in policy/config.json ' +
                "(`git diff policy/config.json` shows what was edited), then run the command again",
        });
        expect(r.status).toBe(0); // sql never loads the pack
        parsed["append-only-invariant"].appendOnly = tables;
        s.write("policy/config.json", `${JSON.stringify(parsed, null, 4)}\n`);
        expect(s.run(["plan", "--stack", "staging"]).status).toBe(0);
    });
});

describe("verify and workload: the URL's wrong part, and each kind of connection failure with its own fix", () => {
    const secret = `pw-${randomBytes(6).toString("hex")}`;
    const su = (password: string, host = `127.0.0.1:${pg.port}`, db = "postgres", query = "?sslmode=disable") =>
        `postgres://${pg.superuser}:${password}@${host}/${db}${query}`;
    /** verify with the URL in DB_URL, as the help recommends. */
    const verify = (url: string, json = true) =>
        cli(["verify", "--database-url-env", "DB_URL", ...(json ? ["--json"] : [])], { DB_URL: url });
    /** Past the connection: a report (exit 0 clean, 2 drift: this server has no raptor_app). */
    const connected = (r: SpawnSyncReturns<string>) => {
        expect(r.stderr).toBe("");
        expect([0, 2]).toContain(r.status);
        expect(JSON.parse(r.stdout)).toMatchObject({ database: "postgres" });
    };
    const noSecret = (r: SpawnSyncReturns<string>, ...secrets: string[]) => {
        for (const x of [secret, pg.password, ...secrets]) {
            expect(`${r.stdout}${r.stderr}`).not.toContain(x);
        }
    };

    it("a port that is not a number: the part and the form, never the password; the number, and it connects", () => {
        const r = verify(su(secret, `127.0.0.1:${pg.port}x`));
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "db-url",
            message:
                `the database URL from environment variable DB_URL has port "${pg.port}x" in HOST:PORT, not a ` +
                "number from 1 to 65535; expected postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=MODE]",
            fix:
                "write the port as a number after the host (Heroku's is 5432), e.g. @HOST:5432/DB; or take the URL " +
                'afresh: export DB_URL="$(heroku config:get DATABASE_URL -a APP)"',
        });
        noSecret(r);
        connected(verify(su(pg.password)));
    });

    it("refused: nothing listens on the port; pg_isready as the fix says, the right port connects", async () => {
        const port = await freePort();
        const r = verify(su(secret, `127.0.0.1:${port}`));
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "db-refused",
            message:
                `cannot connect to ${pg.superuser}@127.0.0.1:${port}/postgres: connection refused: nothing listens ` +
                `on 127.0.0.1:${port}`,
            fix:
                "correct the port in the URL from environment variable DB_URL (Heroku's is 5432), or start the " +
                `server (\`pg_isready -h 127.0.0.1 -p ${port}\` tells); on Heroku: \`heroku pg:info -a APP\``,
        });
        expect(r.stderr).toBe(`raptor-roles verify: ${errorOf(r).message}\nfix: ${errorOf(r).fix}\n`);
        noSecret(r);
        const isready = (p: number) => spawnSync("pg_isready", ["-h", "127.0.0.1", "-p", String(p)]).status;
        expect([isready(port), isready(pg.port)]).toEqual([2, 0]);
        connected(verify(su(pg.password)));
    });

    it("authentication: the user, not the password; the current password connects", () => {
        const r = verify(su(secret));
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "db-auth",
            message:
                `authentication failed for ${pg.superuser}@127.0.0.1:${pg.port}/postgres: the server refused the ` +
                `password of user ${pg.superuser}`,
            fix:
                "use the current URL (Heroku rotates credentials): " +
                'export DB_URL="$(heroku config:get DATABASE_URL -a APP)"',
        });
        noSecret(r);
        connected(verify(su(pg.password)));
    });

    it("a missing database: named, with the command that lists them; a listed one connects", () => {
        const r = verify(su(pg.password, `127.0.0.1:${pg.port}`, "nosuchdb"));
        expect(r.status).toBe(1);
        const list =
            `psql -h 127.0.0.1 -p ${pg.port} -U ${pg.superuser} -d postgres -Atc ` +
            "'SELECT datname FROM pg_database WHERE NOT datistemplate'";
        expect(errorOf(r)).toEqual({
            code: "db-no-database",
            message:
                `database "nosuchdb" does not exist on 127.0.0.1:${pg.port} ` +
                "(the URL from environment variable DB_URL)",
            fix:
                `list the databases (\`${list}\`) and put the right one after the last / of the URL; on Heroku take ` +
                'the whole URL: export DB_URL="$(heroku config:get DATABASE_URL -a APP)"',
        });
        noSecret(r);
        // The fix's command, as written (psql asks for the password; PGPASSWORD answers it here).
        const listed = spawnSync("sh", ["-c", list], {
            encoding: "utf8",
            env: { ...process.env, PGPASSWORD: pg.password },
        });
        expect(listed.status, listed.stderr).toBe(0);
        const names = listed.stdout.split("\n");
        expect(names).toContain("postgres");
        expect(names).not.toContain("nosuchdb");
        connected(verify(su(pg.password, `127.0.0.1:${pg.port}`, "postgres")));
    });

    it("DNS: the host that does not resolve", () => {
        const r = verify(su(secret, "nosuch.invalid:5432"));
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "db-dns",
            message:
                `cannot connect to ${pg.superuser}@nosuch.invalid:5432/postgres: the host name nosuch.invalid ` +
                "does not resolve (ENOTFOUND)",
            fix:
                "correct the host in the URL from environment variable DB_URL (Heroku moves databases: export " +
                'DB_URL="$(heroku config:get DATABASE_URL -a APP)"); `getent hosts nosuch.invalid` checks the name',
        });
        noSecret(r);
        connected(verify(su(pg.password)));
    });

    it("SSL: a server without it, and no sslmode; ?sslmode=disable as the fix says connects", () => {
        const r = verify(su(pg.password, `127.0.0.1:${pg.port}`, "postgres", ""));
        expect(r.status).toBe(1);
        expect(errorOf(r)).toEqual({
            code: "db-ssl",
            message:
                `cannot connect to ${pg.superuser}@127.0.0.1:${pg.port}/postgres: the server does not accept SSL, ` +
                "and SSL is on unless the URL says sslmode=disable",
            fix:
                "for a local database without SSL, add ?sslmode=disable to the URL; never for Heroku, " +
                "which requires SSL",
        });
        noSecret(r);
        connected(verify(su(pg.password, `127.0.0.1:${pg.port}`, "postgres", "?sslmode=disable")));
    });

    it("workload shares the URL options and the classifier: the role URL's refused port, by its variable", async () => {
        const port = await freePort();
        const r = cli(["workload", "--database-url-env", "DB_URL", "--role-url-env", "ROLE_URL", "--json"], {
            DB_URL: su(pg.password),
            ROLE_URL: `postgres://raptor_app:${secret}@127.0.0.1:${port}/postgres?sslmode=disable`,
        });
        expect(r.status).toBe(1);
        expect(errorOf(r), r.stderr).toEqual({
            code: "db-refused",
            message:
                `cannot connect to raptor_app@127.0.0.1:${port}/postgres: connection refused: nothing listens on ` +
                `127.0.0.1:${port}`,
            fix:
                "correct the port in the URL from environment variable ROLE_URL (Heroku's is 5432), or start the " +
                `server (\`pg_isready -h 127.0.0.1 -p ${port}\` tells); on Heroku: \`heroku pg:info -a APP\``,
        });
        noSecret(r);
        const neither = cli(["workload", "--database-url-env", "DB_URL", "--json"], { DB_URL: su(pg.password) });
        expect(errorOf(neither)).toEqual({
            code: "usage",
            message: "give exactly one of --role-url-env NAME (recommended) and --role-url URL",
            fix:
                "raptor-roles workload --database-url-env DATABASE_URL --role-url-env RAPTOR_APP_DATABASE_URL " +
                "--stack staging",
        });
    });
});

describe("the heroku CLI's first-run notices never hide its error", () => {
    let api: HerokuApi;
    beforeAll(async () => {
        api = await startHerokuApi({ postgres: { port: pg.port, user: pg.superuser, password: pg.password } });
        api.createApp("raxx-api-staging");
    }, 120_000);
    afterAll(() => api?.stop());

    it("a host that does not resolve: a DNS error naming it, not 'set HEROKU_API_KEY'; the rig's works", async () => {
        const homes = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), "heroku-first-run-")));
        // A fresh HOME: the CLI prints its terms-of-service notice first, as on an operator's first run. HEROKU_HOST
        // must be one the CLI accepts (*.heroku.com or a localhost name) for it to be used at all.
        const fresh = (home: string) => {
            const env: NodeJS.ProcessEnv = { ...api.env, HOME: home, HEROKU_HOST: "http://localhost.invalid" };
            delete env.XDG_CACHE_HOME;
            delete env.XDG_CONFIG_HOME;
            return env;
        };
        try {
            // What the CLI prints on such a first run: the notice, then the error.
            const raw = spawnSync("heroku", ["logs", "-a", "raxx-api-staging", "-n", "1"], {
                env: fresh(homes[0]),
                encoding: "utf8",
            });
            expect(raw.stderr.indexOf("terms of service")).toBeGreaterThanOrEqual(0);
            expect(raw.stderr.indexOf("terms of service")).toBeLessThan(raw.stderr.indexOf("ENOTFOUND"));
            const r = await cliAsync(["check", "--stack", "staging"], fresh(homes[1]));
            expect(r.status).toBe(1);
            const lines = r.stdout.split("\n");
            expect(lines).toContain(
                "  [ERR ] logs: heroku logs -a raxx-api-staging -n 1500 failed: the Heroku API host " +
                    "localhost.invalid " +
                    "does not resolve (ENOTFOUND): Error: getaddrinfo ENOTFOUND localhost.invalid (exit 1)",
            );
            expect(lines).toContain(
                "         fix: check this machine's DNS and network (`getent hosts localhost.invalid`); HEROKU_HOST, " +
                    "when set, must name the API host (unset it for api.heroku.com)",
            );
            expect(r.stdout).not.toMatch(/terms of service|HEROKU_API_KEY/);
            // The fix: HEROKU_HOST naming the API host (the rig's): the same calls now reach it.
            const fixed = await cliAsync(["check", "--stack", "staging"], api.env);
            expect(fixed.stdout).toMatch(/\n {2}\[ok {2}\] logs: 0 line\(s\) since /);
        } finally {
            homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true }));
        }
    });
});

describe("soak, cutover and deploy without pulumi or heroku on PATH", () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-bare-path-"));
    fs.symlinkSync(process.execPath, path.join(bare, "node"));
    afterAll(() => fs.rmSync(bare, { recursive: true, force: true }));
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-backend-"));
    const env = {
        PATH: bare,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "test",
        PULUMI_HOME: path.join(backend, ".pulumi"),
        HEROKU_API_KEY: "not-used",
    };
    const pulumiFix =
        "install pulumi 3.248.0: curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0 and " +
        'export PATH="$HOME/.pulumi/bin:$PATH"; `pulumi version` then shows 3.248.0';
    const herokuFix = "install heroku 11.10.0: npm install -g heroku@11.10.0; `heroku --version` then shows 11.10.0";

    it.each([
        [["soak", "--key", "package.json", "--signer", "soak@raxx.app"], "pulumi stack output -s staging", pulumiFix],
        [["cutover"], "pulumi stack select staging", pulumiFix],
        [["deploy"], "heroku config", herokuFix],
    ])("%j names the missing tool and the pinned install", (args, doing, fix) => {
        const r = cli([args[0], "--stack", "staging", ...args.slice(1), "--json"], env);
        expect(r.status).toBe(1);
        const tool = fix.split(" ")[1];
        expect(errorOf(r)).toEqual({
            code: "tool-missing",
            message: `cannot run ${doing}: the ${tool} CLI is not on PATH`,
            fix,
        });
        expect(r.stderr).not.toMatch(/code: -2|stdout:|ENOENT/);
    });

    // The same with the pinned pulumi on PATH is test/engine/project.engine.ts's: it needs the engine build.
    it("with the pinned heroku on PATH (what npm install -g heroku@11.10.0 installs), deploy gets past it", () => {
        const heroku = path.join(ROOT, "node_modules", ".bin");
        const version = spawnSync(path.join(heroku, "heroku"), ["--version"], { encoding: "utf8" });
        expect(version.stdout).toMatch(/^heroku\/11\.10\.0 /);
        const r = cli(["deploy", "--stack", "staging", "--json"], {
            ...env,
            PATH: `${bare}${path.delimiter}${heroku}`,
            HEROKU_HOST: "http://localhost.invalid",
            HOME: fs.mkdtempSync(path.join(os.tmpdir(), "heroku-home-")),
            // A fresh HOME would otherwise spawn a detached `heroku update --autoupdate` that outlives the test.
            HEROKU_DISABLE_AUTOUPDATE: "true",
            HEROKU_SKIP_NEW_VERSION_CHECK: "true",
            DISABLE_TELEMETRY: "true",
        });
        expect(r.status).toBe(1);
        const error = errorOf(r);
        expect(error.code).toBe("could-not-check");
        expect(error.message).toMatch(/^heroku config -a raxx-api-staging --json failed: the Heroku API host /);
    });
});

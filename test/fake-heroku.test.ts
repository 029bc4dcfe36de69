/**
 * The fake `heroku` behaves like the real CLI for what our scripts use (facts.md, "Heroku CLI").
 * Each test is one behaviour, exercised through bash exactly as the project's scripts will call it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createFakeHeroku, errorText, runScript, type FakeHeroku, type FakeHerokuOptions } from "./support/fake-heroku";

const APP = "raxx-api-staging";
const fakes: FakeHeroku[] = [];

function fake(opts: Partial<FakeHerokuOptions> = {}): FakeHeroku {
    const f = createFakeHeroku({ app: APP, addonName: "postgresql-adjacent-27271", ...opts });
    fakes.push(f);
    return f;
}

/** Run one command line in bash against the fake. */
function sh(f: FakeHeroku, script: string, env: Record<string, string> = {}) {
    return runScript(f, script, env);
}

afterEach(() => {
    while (fakes.length > 0) fakes.pop()!.cleanup();
});

describe("addons", () => {
    it("--json lists the database add-on with its plan, state and attachments", () => {
        const f = fake();
        const r = sh(f, `heroku addons --app ${APP} --json`);
        expect(r.code).toBe(0);
        const addons = JSON.parse(r.stdout);
        expect(addons).toHaveLength(1);
        expect(addons[0]).toMatchObject({
            name: "postgresql-adjacent-27271",
            plan: { name: "heroku-postgresql:standard-0" },
            state: "provisioned",
            addon_service: { name: "heroku-postgresql" },
            app: { name: APP },
        });
        expect(addons[0].attachments).toEqual([
            expect.objectContaining({ name: "DATABASE", namespace: null, app: expect.objectContaining({ name: APP }) }),
        ]);
    });

    it("accepts -a APP, --app APP and --app=APP alike", () => {
        const f = fake();
        for (const flag of [`-a ${APP}`, `--app ${APP}`, `--app=${APP}`, `-a${APP}`]) {
            const r = sh(f, `heroku addons ${flag} --json`);
            expect(r.code, flag).toBe(0);
            expect(JSON.parse(r.stdout)[0].name).toBe("postgresql-adjacent-27271");
        }
    });

    it("shows a credential attachment under attachments with its credential namespace", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const addons = JSON.parse(sh(f, `heroku addons -a ${APP} --json`).stdout);
        expect(addons[0].attachments).toContainEqual(
            expect.objectContaining({ name: "RAPTOR_APP_DATABASE", namespace: "credential:raptor_app" }),
        );
    });
});

describe("pg:credentials:create", () => {
    it("prints the progress line on stderr and the attach/grant advice on stdout", () => {
        const f = fake();
        const r = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe("Creating credential raptor_app... done\n");
        expect(r.stdout).toBe(
            "\nPlease attach the credential to the apps you want to use it in by running " +
                `heroku addons:attach postgresql-adjacent-27271 --credential raptor_app -a ${APP}.\n` +
                `Please define the new grants for the credential within Postgres: heroku pg:psql postgresql-adjacent-27271 -a ${APP}.\n`,
        );
        expect(f.credential("raptor_app")).toMatchObject({ user: "raptor_app", state: "provisioning" });
    });

    it("says Unknown database when the role name is put in the positional slot", () => {
        const f = fake();
        const r = sh(f, `heroku pg:credentials:create raptor_app --name DATABASE -a ${APP}`);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("Error: Unknown database: raptor_app. Valid options are: DATABASE_URL");
        expect(r.stderr).toMatch(/^ › {3}Error: /);
        expect(f.state().addons[0].credentials.map((c) => c.name)).toEqual(["default"]);
    });

    it.each(["essential-0", "essential-2", "mini", "basic", "dev"])(
        "refuses on the Essential/legacy plan %s with exit 1",
        (plan) => {
            const f = fake({ plan: `heroku-postgresql:${plan}` });
            const r = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
            expect(r.code).toBe(1);
            expect(r.stderr).toContain("You can't create a custom credential on Essential-tier databases.");
            expect(r.stdout).toBe("");
            expect(f.credential("raptor_app")).toBeUndefined();
        },
    );

    it("does not pre-check for an existing credential; the API refuses the duplicate", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", password: "original" }] });
        const r = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Creating credential raptor_app... !");
        expect(r.stderr).toContain("already exists");
        expect(f.credentialPassword("raptor_app")).toBe("original");
    });

    it("gives each new credential its own random password", () => {
        const f = fake();
        sh(f, `heroku pg:credentials:create -a ${APP} --name one && heroku pg:credentials:create -a ${APP} --name two`);
        const one = f.credentialPassword("one");
        const two = f.credentialPassword("two");
        expect(one).toMatch(/^[0-9a-f]{64}$/);
        expect(two).toMatch(/^[0-9a-f]{64}$/);
        expect(one).not.toBe(two);
        expect(one).not.toBe(f.credentialPassword("default"));
    });
});

describe("credential provisioning", () => {
    it("stays provisioning for provisioningPolls reads, then turns active", () => {
        const f = fake({ provisioningPolls: 2 });
        expect(sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`).code).toBe(0);
        // read 1
        expect(sh(f, `heroku pg:credentials DATABASE -a ${APP}`).stdout).toMatch(/raptor_app\s+provisioning/);
        // read 2: still provisioning, so no URL
        const early = sh(f, `heroku pg:credentials:url DATABASE --name raptor_app -a ${APP}`);
        expect(early.code).toBe(1);
        expect(early.stderr).toContain("Could not find any active credentials for raptor_app");
        // read 3
        const r = sh(f, `heroku pg:credentials:url DATABASE --name raptor_app -a ${APP}`);
        expect(r.code).toBe(0);
        expect(f.credential("raptor_app")?.state).toBe("active");
    });

    it("pg:credentials shows each credential, its state and its attachments", () => {
        const f = fake({
            existingCredentials: [
                { name: "raptor_app", attachedAs: "RAPTOR_APP_DATABASE" },
                { name: "reporting", state: "provisioning" },
            ],
        });
        const r = sh(f, `heroku pg:credentials -a ${APP}`);
        expect(r.code).toBe(0);
        const lines = r.stdout.split("\n").map((l) => l.trim());
        expect(lines[0]).toMatch(/^Credential\s+State$/);
        expect(lines).toContainEqual(expect.stringMatching(/^default\s+active$/));
        expect(lines).toContain("└─ as DATABASE");
        expect(lines).toContainEqual(expect.stringMatching(/^raptor_app\s+active$/));
        expect(lines).toContain("└─ as RAPTOR_APP_DATABASE");
        expect(lines).toContainEqual(expect.stringMatching(/^reporting\s+provisioning$/));
    });
});

describe("pg:credentials:url", () => {
    it("prints the connection block for an active credential", () => {
        const f = fake({
            database: { host: "db.example.internal", port: 5433, dbname: "d123" },
            existingCredentials: [{ name: "raptor_app", password: "hunter2" }],
        });
        const r = sh(f, `heroku pg:credentials:url DATABASE --name raptor_app -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(
            [
                "Connection information for raptor_app credential.",
                "Connection info string:",
                '  "dbname=d123 host=db.example.internal port=5433 user=raptor_app password=hunter2 sslmode=require"',
                "Connection URL:",
                "  postgres://raptor_app:hunter2@db.example.internal:5433/d123",
                "",
            ].join("\n"),
        );
    });

    it("fails for a credential that does not exist", () => {
        const f = fake();
        const r = sh(f, `heroku pg:credentials:url DATABASE --name raptor_app -a ${APP}`);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("Could not find any active credentials for raptor_app");
        expect(r.stdout).toBe("");
    });

    it("resolves DATABASE_URL, an attachment's _URL var and the add-on name to the same database", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const expected = sh(f, `heroku pg:credentials:url --name raptor_app -a ${APP}`).stdout;
        for (const db of ["DATABASE", "DATABASE_URL", "RAPTOR_APP_DATABASE_URL", "postgresql-adjacent-27271"]) {
            const r = sh(f, `heroku pg:credentials:url ${db} --name raptor_app -a ${APP}`);
            expect(r.code, db).toBe(0);
            expect(r.stdout, db).toBe(expected);
        }
    });
});

describe("addons:attach / addons:detach", () => {
    it("attach --credential sets ATTACHMENT_URL to that credential's URL", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app" }] });
        const r = sh(f, `heroku addons:attach DATABASE --credential raptor_app --as RAPTOR_APP_DATABASE -a ${APP} --confirm ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(
            `Attaching raptor_app of ⛁ postgresql-adjacent-27271 as RAPTOR_APP_DATABASE to ⬢ ${APP}... done\n` +
                `Setting RAPTOR_APP_DATABASE config vars and restarting ⬢ ${APP}... done, v11\n`,
        );
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("raptor_app"));
        expect(f.state().attachments).toContainEqual(
            expect.objectContaining({ name: "RAPTOR_APP_DATABASE", addon: "postgresql-adjacent-27271", credential: "raptor_app" }),
        );
    });

    it("attach refuses a credential that is still provisioning", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", state: "provisioning" }] });
        const r = sh(f, `heroku addons:attach DATABASE --credential raptor_app --as RAPTOR_APP_DATABASE -a ${APP}`);
        expect(r.code).toBe(1);
        expect(errorText(r.stderr)).toContain("Could not find credential raptor_app for database ⛁ postgresql-adjacent-27271");
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBeUndefined();
    });

    it("attach to a name already taken needs --confirm APP, then replaces it", () => {
        const f = fake({ existingCredentials: [{ name: "old_app", attachedAs: "RAPTOR_APP_DATABASE" }, { name: "raptor_app" }] });
        const refused = sh(f, `heroku addons:attach DATABASE --credential raptor_app --as RAPTOR_APP_DATABASE -a ${APP}`);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`re-run this command with --confirm ${APP}`);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("old_app"));

        const ok = sh(f, `heroku addons:attach DATABASE --credential raptor_app --as RAPTOR_APP_DATABASE -a ${APP} --confirm ${APP}`);
        expect(ok.code).toBe(0);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("raptor_app"));
    });

    it("detach removes the attachment and its _URL var", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const r = sh(f, `heroku addons:detach RAPTOR_APP_DATABASE -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe(
            `Detaching RAPTOR_APP_DATABASE to postgresql-adjacent-27271 from ⬢ ${APP}... done\n` +
                `Unsetting RAPTOR_APP_DATABASE config vars and restarting ⬢ ${APP}... done, v11\n`,
        );
        expect(f.configVars()).not.toHaveProperty("RAPTOR_APP_DATABASE_URL");
        expect(f.state().attachments.map((a) => a.name)).toEqual(["DATABASE"]);
        expect(f.credential("raptor_app")).toBeDefined(); // detaching keeps the credential
    });

    it("detach of an unknown attachment is an API error", () => {
        const f = fake();
        const r = sh(f, `heroku addons:detach RAPTOR_APP_DATABASE -a ${APP}`);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Couldn't find that add on attachment.");
        expect(r.stderr).toContain("Error ID: not_found");
    });
});

describe("config", () => {
    it("config:set prints the var and its value on stdout, the release on stderr", () => {
        const f = fake();
        const r = sh(f, `heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 OTHER=two -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("FLAG_RAPTOR_APP_ROLE_SEPARATION: 1\nOTHER:                           two\n");
        expect(r.stderr).toBe(`Setting FLAG_RAPTOR_APP_ROLE_SEPARATION, OTHER and restarting ⬢ ${APP}... done, v11\n`);
        expect(f.configVars()).toMatchObject({ FLAG_RAPTOR_APP_ROLE_SEPARATION: "1", OTHER: "two" });
    });

    it("config:get prints the value, or an empty line when unset", () => {
        const f = fake({ config: { FLAG_RAPTOR_APP_ROLE_SEPARATION: "0" } });
        expect(sh(f, `heroku config:get FLAG_RAPTOR_APP_ROLE_SEPARATION -a ${APP}`)).toMatchObject({ code: 0, stdout: "0\n" });
        expect(sh(f, `heroku config:get NOT_SET -a ${APP}`)).toMatchObject({ code: 0, stdout: "\n" });
    });

    it("config:unset removes the var", () => {
        const f = fake({ config: { FLAG_RAPTOR_APP_ROLE_SEPARATION: "1" } });
        const r = sh(f, `heroku config:unset FLAG_RAPTOR_APP_ROLE_SEPARATION -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(`Unsetting FLAG_RAPTOR_APP_ROLE_SEPARATION and restarting ⬢ ${APP}... done, v11\n`);
        expect(f.configVars()).not.toHaveProperty("FLAG_RAPTOR_APP_ROLE_SEPARATION");
    });

    it("config:set refuses a var that an attachment manages", () => {
        const f = fake({ existingCredentials: [{ name: "raptor_app", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const before = f.configVars().RAPTOR_APP_DATABASE_URL;
        const r = sh(f, `heroku config:set RAPTOR_APP_DATABASE_URL=postgres://x -a ${APP}`);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Cannot overwrite attachment values RAPTOR_APP_DATABASE_URL.");
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(before);
    });

    it("seeds DATABASE_URL with the default (owner) credential's URL", () => {
        const f = fake();
        const r = sh(f, `heroku config:get DATABASE_URL -a ${APP}`);
        expect(r.stdout.trim()).toBe(f.credentialUrl("default"));
        expect(r.stdout).toContain(`:${f.credentialPassword("default")}@`);
    });
});

describe("faults", () => {
    it("a transient fault fails the next call with a 503 and changes nothing; the retry succeeds", () => {
        const f = fake({ transient: { "pg:credentials:create": 1 } });
        const first = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(first.code).toBe(2);
        expect(first.stderr).toContain("(HTTP 503)");
        expect(first.stderr).toContain("Error ID: service_unavailable");
        expect(f.credential("raptor_app")).toBeUndefined();
        expect(f.state().faults.transient["pg:credentials:create"]).toBe(0);

        const second = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(second.code).toBe(0);
        expect(f.credential("raptor_app")).toBeDefined();
    });

    it("a lost response does the work but reports failure, so a blind retry hits the duplicate", () => {
        const f = fake({ lostResponse: { "pg:credentials:create": 1 } });
        const first = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(first.code).toBe(2);
        expect(f.credential("raptor_app")).toBeDefined();
        const retry = sh(f, `heroku pg:credentials:create DATABASE --name raptor_app -a ${APP}`);
        expect(retry.code).toBe(2);
        expect(retry.stderr).toContain("already exists");
    });

    it("faults can be injected mid-test with update()", () => {
        const f = fake();
        f.update((s) => {
            s.faults.transient["config:get"] = 2;
        });
        expect(sh(f, `heroku config:get DATABASE_URL -a ${APP}`).code).toBe(2);
        expect(sh(f, `heroku config:get DATABASE_URL -a ${APP}`).code).toBe(2);
        expect(sh(f, `heroku config:get DATABASE_URL -a ${APP}`).code).toBe(0);
    });
});

describe("auth and usage errors", () => {
    it("fails without HEROKU_API_KEY", () => {
        const f = fake();
        const r = sh(f, `heroku config:get DATABASE_URL -a ${APP}`, { HEROKU_API_KEY: "" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("Invalid credentials provided.");
        expect(r.stdout).toBe("");
    });

    it("rejects a wrong HEROKU_API_KEY without printing it", () => {
        const f = fake();
        const r = sh(f, `heroku config:get DATABASE_URL -a ${APP}`, { HEROKU_API_KEY: "not-the-key-s3cr3t" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("The token provided to HEROKU_API_KEY is invalid.");
        expect(r.stderr + r.stdout).not.toContain("not-the-key-s3cr3t");
    });

    it("rejects an unknown subcommand like oclif (exit 127)", () => {
        const f = fake();
        const r = sh(f, `heroku pg:credentials:list -a ${APP}`);
        expect(r.code).toBe(127);
        expect(r.stderr).toContain("Warning: pg:credentials:list is not a heroku command.");
        expect(r.stderr).toContain("Error: Run heroku help pg for a list of available commands.");
    });

    it("rejects an unknown flag like oclif (exit 2)", () => {
        const f = fake();
        const r = sh(f, `heroku config:get DATABASE_URL -a ${APP} --bogus`);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Error: Nonexistent flag: --bogus");
        expect(r.stderr).toContain("See more help with --help");
    });

    it("requires the app flag", () => {
        const f = fake();
        const r = sh(f, "heroku pg:credentials:url DATABASE --name raptor_app");
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Missing required flag app");
    });

    it("knows only its own app", () => {
        const f = fake();
        const r = sh(f, "heroku config:get DATABASE_URL -a raxx-api-prod");
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("Couldn't find that app.");
    });
});

describe("error layout", () => {
    it("wraps long errors at 74 columns as oclif does on a non-terminal; errorText() unwraps them", () => {
        const f = fake();
        const r = sh(f, `heroku addons:attach DATABASE --credential raptor_app -a ${APP}`);
        expect(r.stderr).toBe(
            " ›   Error: Could not find credential raptor_app for database ⛁\n" +
                " ›   postgresql-adjacent-27271\n",
        );
        expect(errorText(r.stderr)).toBe("Error: Could not find credential raptor_app for database ⛁ postgresql-adjacent-27271");
        // OCLIF_COLUMNS widens the real CLI's error output too.
        expect(sh(f, `heroku addons:attach DATABASE --credential raptor_app -a ${APP}`, { OCLIF_COLUMNS: "200" }).stderr).toBe(
            " ›   Error: Could not find credential raptor_app for database ⛁ postgresql-adjacent-27271\n",
        );
    });
});

describe("call log", () => {
    it("records every invocation's argv in order, failed ones included", () => {
        const f = fake();
        sh(f, `heroku config:set "A=with space" -a ${APP} >/dev/null 2>&1; heroku nope; heroku config:get A --app=${APP}`);
        expect(f.calls()).toEqual([
            ["config:set", "A=with space", "-a", APP],
            ["nope"],
            ["config:get", "A", `--app=${APP}`],
        ]);
        expect(f.callsOf("config:get")).toHaveLength(1);
    });
});

describe("a script in the corrected runbook's shape", () => {
    it("creates, waits for active, attaches, and never puts the URL in argv or output", () => {
        const f = fake({ provisioningPolls: 3 });
        const script = `
            set -euo pipefail
            heroku pg:credentials:create DATABASE --name raptor_app -a "$APP" >/dev/null
            for i in $(seq 1 10); do
                if heroku pg:credentials DATABASE -a "$APP" | grep -Eq '^ *raptor_app +active *$'; then break; fi
            done
            heroku addons:attach DATABASE --credential raptor_app --as RAPTOR_APP_DATABASE -a "$APP" --confirm "$APP"
            heroku config:get RAPTOR_APP_DATABASE_URL -a "$APP" | cut -c1-22
        `;
        const r = runScript(f, script, { APP });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe("postgres://raptor_app:\n");
        const password = f.credentialPassword("raptor_app")!;
        expect(JSON.stringify(f.calls())).not.toContain(password);
        expect(r.stderr).not.toContain(password);
        expect(f.callsOf("pg:credentials")).toHaveLength(4); // 3 provisioning reads, then active
    });
});

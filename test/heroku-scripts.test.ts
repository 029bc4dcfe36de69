/**
 * Every create/update/delete script of every command resource, run for real
 * against the fake heroku CLI: the calls made, idempotence, faults, mode
 * switches, and that no password reaches argv, stdout or stderr.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Recorded, STAGING } from "./support/mocks";
import { FakeHeroku, FakeHerokuOptions, createFakeHeroku, runScript } from "./support/fake-heroku";
import { FAST, declaredSteps, runPhase } from "./support/run-commands";
import { Step } from "../core/resources";
import { findPostgresAddon, parseCredentialUrl } from "../core/heroku";
import { READ_ADDONS, READ_OWNER_URL } from "../core/heroku-scripts";
import { parseOwnerUrl } from "../core/owner-url";

const APP = "raxx-api-staging";
let fake: FakeHeroku | undefined;
afterEach(() => {
    fake?.cleanup();
    fake = undefined;
});

function start(opts: Partial<FakeHerokuOptions> = {}): FakeHeroku {
    fake = createFakeHeroku({ app: APP, addonName: "postgresql-adjacent-27271", ...opts });
    return fake;
}

async function steps(urlDelivery = "attachment", roleSeparation = "false"): Promise<Record<Step, Recorded>> {
    return (await declaredSteps({ stack: "staging", config: { ...STAGING, urlDelivery, roleSeparation } })) as Record<Step, Recorded>;
}

/** Every secret the fake knows: owner and credential passwords. */
function secrets(f: FakeHeroku): string[] {
    return f.state().addons.flatMap((a) => a.credentials.map((c) => c.password));
}

function expectNoSecretIn(f: FakeHeroku, ...texts: string[]) {
    for (const secret of secrets(f)) {
        for (const t of texts) {
            expect(t.includes(secret), "a password leaked").toBe(false);
        }
    }
}

describe("command resources run bash, whatever /bin/sh is", () => {
    it("declares /bin/bash -c as the interpreter of every command", async () => {
        for (const r of Object.values(await steps("config-var"))) {
            expect(r.props.interpreter, r.name).toEqual(["/bin/bash", "-c"]);
        }
    });
});

describe("the credential", () => {
    it("is created with the attachment positional and the role in --name, then waits until active", async () => {
        const f = start({ provisioningPolls: 2 });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.stderr).not.toMatch(/Unknown database/);
        expect(r.code).toBe(0);
        expect(f.callsOf("pg:credentials:create")).toEqual([["pg:credentials:create", "DATABASE", "--name", "raptor_app", "-a", APP]]);
        expect(f.credential("raptor_app")?.state).toBe("active");
        expect(r.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
        expectNoSecretIn(f, r.stdout, r.stderr);
    });

    it("adopts an existing credential instead of failing", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("pg:credentials:create")).toEqual([]);
        expect(r.stderr).toContain("credential raptor_app already exists on raxx-api-staging (active); adopting it");
    });

    it("is idempotent: a second run creates nothing", async () => {
        const f = start();
        const cred = (await steps()).credential;
        expect(runPhase(f, cred, "create").code).toBe(0);
        const before = f.state();
        expect(runPhase(f, cred, "update").code).toBe(0);
        expect(f.callsOf("pg:credentials:create")).toHaveLength(1);
        expect(f.state().addons).toEqual(before.addons);
    });

    it("waits through several provisioning polls", async () => {
        const f = start({ provisioningPolls: 4 });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("pg:credentials").length).toBeGreaterThanOrEqual(5);
    });

    it("times out with a clear error when the credential never becomes active", async () => {
        const f = start({ provisioningPolls: 50 });
        const r = runPhase(f, (await steps()).credential, "create", { MAX_POLLS: "3" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("timed out: credential raptor_app on raxx-api-staging is still 'provisioning' after 3 checks");
        expect(r.stderr).toContain("run 'pulumi up' again");
    });

    it("survives a transient API failure", async () => {
        const f = start({ transient: { "pg:credentials:create": 1 } });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("pg:credentials:create")).toHaveLength(2);
        expect(f.credential("raptor_app")?.state).toBe("active");
    });

    it("does not create twice when the create's response was lost", async () => {
        const f = start({ lostResponse: { "pg:credentials:create": 1 } });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("pg:credentials:create")).toHaveLength(1);
        expect(r.stderr).toContain("adopting it");
    });

    it("refuses before calling create when the plan read at preview is Essential", async () => {
        const f = start({ plan: "heroku-postgresql:essential-0" });
        const r = runPhase(f, (await steps()).credential, "create", { ADDON_PLAN: "heroku-postgresql:essential-0" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("refusing to create raptor_app on raxx-api-staging: plan heroku-postgresql:essential-0 cannot have custom credentials");
        expect(f.callsOf("pg:credentials:create")).toEqual([]);
    });

    it("fails with Heroku's Essential error if the plan changed after preview", async () => {
        const f = start({ plan: "heroku-postgresql:essential-0" });
        const r = runPhase(f, (await steps()).credential, "create");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("You can't create a custom credential on Essential-tier databases.");
    });

    it("delete leaves the credential in place", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const r = runPhase(f, (await steps()).credential, "delete");
        expect(r.code).toBe(0);
        expect(f.credential("raptor_app")).toBeDefined();
        expect(f.calls()).toEqual([]);
    });
});

describe("attachment delivery", () => {
    // By the add-on's name: the real CLI looks its argument up with GET /addons/{id or name}, which an attachment
    // name (DATABASE) does not match (heroku 11.10 dist/commands/addons/attach.js:21; found by the engine run).
    it("attaches the credential, named by the add-on's name, so Heroku sets RAPTOR_APP_DATABASE_URL", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const r = runPhase(f, (await steps()).attachment, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("addons:attach")).toEqual([[
            "addons:attach", "postgresql-adjacent-27271", "--credential", "raptor_app", "--as", "RAPTOR_APP_DATABASE", "-a", APP, "--confirm", APP,
        ]]);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("raptor_app"));
        expectNoSecretIn(f, r.stdout, r.stderr, JSON.stringify(f.calls()));
    });

    it("is idempotent: a second run attaches nothing", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const att = (await steps()).attachment;
        runPhase(f, att, "create");
        const r = runPhase(f, att, "create");
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("RAPTOR_APP_DATABASE already attached on raxx-api-staging\n");
        expect(f.callsOf("addons:attach")).toHaveLength(1);
    });

    it("replaces a same-named attachment of another credential instead of taking it as done", async () => {
        // The owner's credential attached as RAPTOR_APP_DATABASE: the app would run as the owner.
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        expect(runScript(f, `heroku addons:attach DATABASE --as RAPTOR_APP_DATABASE -a ${APP}`).code).toBe(0);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).not.toBe(f.credentialUrl("raptor_app"));
        const r = runPhase(f, (await steps()).attachment, "create");
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("RAPTOR_APP_DATABASE on raxx-api-staging belongs to another credential; replacing it with raptor_app");
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("raptor_app"));
    });

    it("does not attach twice when the attach's response was lost", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }], lostResponse: { "addons:attach": 1 } });
        const r = runPhase(f, (await steps()).attachment, "create");
        expect(r.code).toBe(0);
        expect(f.callsOf("addons:attach")).toHaveLength(1);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(f.credentialUrl("raptor_app"));
    });

    it("leaves a same-named attachment of another credential alone on delete", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        runScript(f, `heroku addons:attach DATABASE --as RAPTOR_APP_DATABASE -a ${APP}`);
        expect(runPhase(f, (await steps()).attachment, "delete").code).toBe(0);
        expect(f.callsOf("addons:detach")).toEqual([]);
    });

    it("a detach whose response was lost is not retried into a failure", async () => {
        const f = start({
            existingCredentials: [{ name: "raptor_app", state: "active", attachedAs: "RAPTOR_APP_DATABASE" }],
            lostResponse: { "addons:detach": 1 },
        });
        const r = runPhase(f, (await steps()).attachment, "delete");
        expect(r.stderr).not.toContain("giving up");
        expect(r.code).toBe(0);
        expect(f.callsOf("addons:detach")).toHaveLength(1);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBeUndefined();
    });

    it("detaches on delete, removing the var", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const r = runPhase(f, (await steps()).attachment, "delete");
        expect(r.code).toBe(0);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBeUndefined();
    });
});

describe("config-var delivery", () => {
    async function readUrl(f: FakeHeroku, s: Record<Step, Recorded>) {
        const read = runPhase(f, s["credential-url"], "create");
        expect(read.code).toBe(0);
        return { read, url: parseCredentialUrl(read.stdout) };
    }

    it("reads the Connection URL line of pg:credentials:url", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const { url } = await readUrl(f, await steps("config-var"));
        expect(url).toBe(f.credentialUrl("raptor_app"));
    });

    it("sets the var from the environment and prints no part of it", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const s = await steps("config-var");
        const { url } = await readUrl(f, s);
        const r = runPhase(f, s["config-var"], "create", { VAR_VALUE: url });
        expect(r.code).toBe(0);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(url);
        expect(r.stdout).toBe("RAPTOR_APP_DATABASE_URL set on raxx-api-staging\n");
        expectNoSecretIn(f, r.stdout, r.stderr, s["config-var"].props.create as string);
    });

    it("passes the URL on argv only to config:set, which takes values no other way", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const s = await steps("config-var");
        const { url } = await readUrl(f, s);
        runPhase(f, s["config-var"], "create", { VAR_VALUE: url });
        const password = f.credentialPassword("raptor_app")!;
        const carrying = f.calls().filter((argv) => argv.some((a) => a.includes(password)));
        expect(carrying).toEqual([["config:set", `RAPTOR_APP_DATABASE_URL=${url}`, "-a", APP]]);
    });

    it("switching from attachment survives a lost detach response and still sets the var", async () => {
        const f = start({
            existingCredentials: [{ name: "raptor_app", state: "active", attachedAs: "RAPTOR_APP_DATABASE" }],
            lostResponse: { "addons:detach": 1 },
        });
        const url = f.credentialUrl("raptor_app")!;
        const r = runPhase(f, (await steps("config-var"))["config-var"], "create", { VAR_VALUE: url });
        expect(r.code).toBe(0);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(url);
    });

    it("withholds config:set's output when it fails", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }], transient: { "config:set": 5 } });
        const s = await steps("config-var");
        const url = f.credentialUrl("raptor_app")!;
        const r = runPhase(f, s["config-var"], "create", { VAR_VALUE: url });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("heroku config:set RAPTOR_APP_DATABASE_URL -a raxx-api-staging failed; its output is withheld");
        expectNoSecretIn(f, r.stdout, r.stderr);
    });
});

describe("switching delivery converges", () => {
    it("attachment -> config-var: the new var is set, the attachment is gone, the old delete is harmless", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active", attachedAs: "RAPTOR_APP_DATABASE" }] });
        const oldSteps = await steps("attachment");
        const newSteps = await steps("config-var");
        const url = parseCredentialUrl(runPhase(f, newSteps["credential-url"], "create").stdout);
        expect(runPhase(f, newSteps["config-var"], "create", { VAR_VALUE: url }).code).toBe(0);
        // The engine deletes the removed resource after creating the new one.
        expect(runPhase(f, oldSteps.attachment, "delete").code).toBe(0);
        expect(f.state().attachments.map((a) => a.name)).not.toContain("RAPTOR_APP_DATABASE");
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(url);
    });

    it("config-var -> attachment: Heroku owns the var and the old unset leaves it alone", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active" }] });
        const oldSteps = await steps("config-var");
        const newSteps = await steps("attachment");
        const url = f.credentialUrl("raptor_app")!;
        expect(runPhase(f, oldSteps["config-var"], "create", { VAR_VALUE: url }).code).toBe(0);
        const attach = runPhase(f, newSteps.attachment, "create");
        expect(attach.code).toBe(0);
        const unset = runPhase(f, oldSteps["config-var"], "delete", { VAR_VALUE: url });
        expect(unset.code).toBe(0);
        expect(unset.stdout).toContain("owned by the RAPTOR_APP_DATABASE attachment now; leaving it");
        expect(f.state().attachments.map((a) => a.name)).toContain("RAPTOR_APP_DATABASE");
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(url);
    });
});

describe("the flag", () => {
    it("set to 0 prints nothing (no soak start)", async () => {
        const f = start();
        const r = runPhase(f, (await steps("attachment", "false")).flag, "create");
        expect(r.code).toBe(0);
        expect(f.configVars().FLAG_RAPTOR_APP_ROLE_SEPARATION).toBe("0");
        expect(r.stdout).toBe("");
    });

    it("set to 1 prints when it was turned on", async () => {
        const f = start();
        const r = runPhase(f, (await steps("attachment", "true")).flag, "create");
        expect(r.code).toBe(0);
        expect(f.configVars().FLAG_RAPTOR_APP_ROLE_SEPARATION).toBe("1");
        expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        expect(Math.abs(Date.parse(r.stdout.trim()) - Date.now())).toBeLessThan(60_000);
    });

    it("rolls back with one change: 1 -> 0 touches only the flag", async () => {
        const f = start({ existingCredentials: [{ name: "raptor_app", state: "active", attachedAs: "RAPTOR_APP_DATABASE" }] });
        runPhase(f, (await steps("attachment", "true")).flag, "create");
        const before = f.state();
        const callsBefore = f.calls().length;
        expect(runPhase(f, (await steps("attachment", "false")).flag, "update").code).toBe(0);
        expect(f.calls().slice(callsBefore)).toEqual([["config:set", "FLAG_RAPTOR_APP_ROLE_SEPARATION=0", "-a", APP]]);
        expect(f.state().attachments).toEqual(before.attachments);
        expect(f.state().addons).toEqual(before.addons);
        expect(f.configVars().RAPTOR_APP_DATABASE_URL).toBe(before.config.RAPTOR_APP_DATABASE_URL);
    });

    it("delete falls back to the owner URL (0)", async () => {
        const f = start();
        const flag = (await steps("attachment", "true")).flag;
        runPhase(f, flag, "create");
        expect(runPhase(f, flag, "delete").code).toBe(0);
        expect(f.configVars().FLAG_RAPTOR_APP_ROLE_SEPARATION).toBe("0");
    });
});

describe("the invokes", () => {
    it("retry a transient failure of the add-on read", () => {
        const f = start({ transient: { addons: 1 } });
        const r = runScript(f, READ_ADDONS, { APP, ...FAST });
        expect(r.code).toBe(0);
        expect(f.callsOf("addons")).toHaveLength(2);
        expect(findPostgresAddon(r.stdout, APP, "DATABASE").plan).toBe("heroku-postgresql:standard-0");
    });

    it("give up on the owner URL read with a message and no URL", () => {
        const f = start({ transient: { "config:get": 5 } });
        const r = runScript(f, READ_OWNER_URL, { APP, DATABASE: "DATABASE", ...FAST });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("raptor: heroku config:get DATABASE_URL -a raxx-api-staging failed 3 times");
        expect(r.stdout).toBe("");
    });

    it("read the add-on's plan from heroku addons --json", () => {
        const f = start({ plan: "heroku-postgresql:standard-0" });
        const r = runScript(f, READ_ADDONS, { APP, ...FAST });
        expect(r.code).toBe(0);
        expect(findPostgresAddon(r.stdout, APP, "DATABASE")).toEqual({
            name: "postgresql-adjacent-27271", plan: "heroku-postgresql:standard-0", state: "provisioned",
        });
    });

    it("read the owner URL with config:get", () => {
        const f = start();
        const r = runScript(f, READ_OWNER_URL, { APP, DATABASE: "DATABASE" });
        expect(r.code).toBe(0);
        expect(parseOwnerUrl(r.stdout, "test").username).toBe(f.state().addons[0].credentials.find((c) => c.name === "default")!.user);
    });
});

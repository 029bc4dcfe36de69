/**
 * Config-var delivery, switching delivery both ways, the flag and the invokes, under bash with the real
 * heroku CLI against the local Heroku API. From the config-var history, the app never runs with the flag
 * at 1 and no RAPTOR_APP_DATABASE_URL. Each scenario runs its scripts once (test/support/heroku-scenario.ts
 * scenario()), some one after another on one rig where one's end is the next one's start; the tests assert on
 * what they recorded.
 */
import { describe, expect, it } from "vitest";
import {
    APP,
    Rig,
    expectNoSecretIn,
    expectUrlWhileFlagOn,
    requests,
    rig,
    scenario,
    urlGapsWhileFlagOn,
    usePostgres,
    whoami,
} from "../../support/heroku-scenario";
import { credentialUrl } from "../../support/heroku-api";
import { runBash } from "../../support/run-commands";
import { parseCredentialUrl } from "../../../core/heroku";
import { READ_ADDONS, READ_OWNER_URL } from "../../../core/heroku-scripts";
import { APP_URL_VAR, FLAG_VAR } from "../../../core/settings";

usePostgres();
const CONFIG = /^\/apps\/[^/]+\/config-vars$/;
const DETACH = /^\/addon-attachments\//;

/** raptor_app exists; its URL hand-set (config-var delivery) or attached; the flag as given. */
async function deployed(r: Rig, how: "config-var" | "attachment", flag: "0" | "1"): Promise<string> {
    const cred = await r.api.createCredential(r.addon, "raptor_app");
    const url = credentialUrl(r.addon, cred);
    const app = r.api.model.app(APP)!;
    if (how === "attachment") {
        r.api.attach(APP, r.addon, "RAPTOR_APP_DATABASE", "raptor_app");
    } else {
        app.vars[APP_URL_VAR] = url;
    }
    setFlag(r, flag);
    return url;
}

/** The flag set by hand (a release, as `heroku config:set` makes). */
function setFlag(r: Rig, flag: "0" | "1"): void {
    const app = r.api.model.app(APP)!;
    app.vars[FLAG_VAR] = flag;
    r.api.model.release(app, "deployed");
}

/** Config-var delivery from scratch; then, on the rig it left, a config:set that keeps failing. */
const configVar = scenario(async () => {
    const r = await rig();
    await r.api.createCredential(r.addon, "raptor_app");
    const s = await r.steps({ urlDelivery: "config-var" });
    const read = await r.run(s["credential-url"], "create");
    const url = read.code === 0 ? parseCredentialUrl(read.stdout) : "";
    const set = await r.run(s["config-var"], "create", { VAR_VALUE: url });
    const login = await whoami(r.config()[APP_URL_VAR]);

    const mark = r.api.requests.length;
    r.api.inject({ method: "PATCH", path: CONFIG, kind: "html-503", times: 5 });
    const failing = await r.run(s["config-var"], "create", { VAR_VALUE: `${url}x` });
    const failingPatches = r.api.requests.slice(mark).filter((q) => q.method === "PATCH" && CONFIG.test(q.path));
    return { r, s, read, set, login, failing, failingPatches };
});

describe("config-var delivery", { timeout: 900_000 }, () => {
    it(
        "reads the URL with pg:credentials:url, sets it, and it connects as raptor_app; no output carries " + "it",
        async () => {
            const { r, s, read, set, login } = await configVar();
            expect(read.code).toBe(0);
            expect(set.code).toBe(0);
            expect(set.stdout).toBe("RAPTOR_APP_DATABASE_URL set on raxx-api-staging\n");
            expect(login).toEqual({ user: "raptor_app", db: r.addon.db.database, superuser: false });
            expectNoSecretIn(r.api, read.stderr, set.stdout, set.stderr, s["config-var"].props.create as string);
        },
    );

    it("withholds config:set's output when it keeps failing", async () => {
        const { r, failing: set, failingPatches } = await configVar();
        expect(set.code).toBe(1);
        expect(set.stderr).toContain(
            "heroku config:set RAPTOR_APP_DATABASE_URL -a raxx-api-staging failed; its output is withheld",
        );
        expect(failingPatches).toHaveLength(3);
        expectNoSecretIn(r.api, set.stdout, set.stderr);
    });
});

/**
 * Where Heroku refuses to attach over a hand-set var: with the flag on the switch stops; then, the flag turned
 * off by hand, the same step unsets the hand-set value and attaches.
 */
const refusedSwitch = scenario(async () => {
    const r = await rig({ plainVarOnAttach: "refuse" });
    const url = await deployed(r, "config-var", "1");
    const att = (await r.steps()).attachment;
    const flagOn = await r.run(att, "create");
    const flagOnUrl = r.config()[APP_URL_VAR];
    const flagOnPatches = requests(r.api, "PATCH", CONFIG);
    const flagOnGaps = urlGapsWhileFlagOn(r.api);
    setFlag(r, "0");
    const flagOff = await r.run(att, "create");
    return {
        url,
        flagOn,
        flagOnUrl,
        flagOnPatches,
        flagOnGaps,
        flagOff,
        attachments: r.api.model.attachments.map((x) => [x.name, x.namespace]),
        flagOffLogin: await whoami(r.config()[APP_URL_VAR]),
    };
});

const takenOver = scenario(async () => {
    const r = await rig({ plainVarOnAttach: "overwrite" });
    await deployed(r, "config-var", "1");
    const att = await r.run((await r.steps()).attachment, "create");
    const unset = await r.run((await r.steps({ urlDelivery: "config-var" }))["config-var"], "delete");
    return { r, att, unset, login: await whoami(r.config()[APP_URL_VAR]) };
});

/** From attachment delivery to config-var delivery: refused with the flag on; then, turned off, it goes through. */
const toConfigVar = scenario(async () => {
    const r = await rig();
    const url = await deployed(r, "attachment", "1");
    const s = await r.steps({ urlDelivery: "config-var" });
    const flagOn = await r.run(s["config-var"], "create", { VAR_VALUE: url });
    const flagOnDetaches = requests(r.api, "DELETE", DETACH);
    const flagOnGaps = urlGapsWhileFlagOn(r.api);
    setFlag(r, "0");
    const flagOff = await r.run(s["config-var"], "create", { VAR_VALUE: url });
    const oldDelete = await r.run((await r.steps()).attachment, "delete");
    return {
        url,
        flagOn,
        flagOnDetaches,
        flagOnGaps,
        flagOff,
        oldDelete,
        attachments: r.api.model.attachments.map((x) => x.name),
        value: r.api.model.app(APP)!.vars[APP_URL_VAR],
    };
});

// Finding 1 (second half): the switch from config-var delivery unset the var before attaching.
describe("switching delivery", { timeout: 900_000 }, () => {
    it("config-var -> attachment with the flag on stops when Heroku refuses, the app keeping its URL", async () => {
        const { url, flagOn: att, flagOnUrl, flagOnPatches, flagOnGaps } = await refusedSwitch();
        expect(att.code).toBe(1);
        expect(att.stderr).toContain(
            "is a hand-set value (config-var delivery) and FLAG_RAPTOR_APP_ROLE_SEPARATION is 1",
        );
        expect(flagOnUrl).toBe(url);
        expect(flagOnPatches).toEqual([]);
        expect(flagOnGaps).toEqual([]);
    });

    it("config-var -> attachment with the flag on goes through where Heroku takes the var over", async () => {
        const { r, att, unset, login } = await takenOver();
        expect(att.code).toBe(0);
        expect(unset.stdout).toContain("owned by the RAPTOR_APP_DATABASE attachment now; leaving it");
        expect(login.user).toBe("raptor_app");
        expectUrlWhileFlagOn(r.api);
    });

    it("config-var -> attachment with the flag off unsets the hand-set value, then attaches", async () => {
        const { flagOff, attachments, flagOffLogin } = await refusedSwitch();
        expect(flagOff.code).toBe(0);
        expect(attachments).toContainEqual(["RAPTOR_APP_DATABASE", "credential:raptor_app"]);
        expect(flagOffLogin.user).toBe("raptor_app");
    });

    it("attachment -> config-var with the flag on refuses to detach", async () => {
        const { flagOn: set, flagOnDetaches, flagOnGaps } = await toConfigVar();
        expect(set.code).toBe(1);
        expect(set.stderr).toContain(
            "is set by the RAPTOR_APP_DATABASE attachment and FLAG_RAPTOR_APP_ROLE_SEPARATION is 1",
        );
        expect(flagOnDetaches).toEqual([]);
        expect(flagOnGaps).toEqual([]);
    });

    it("attachment -> config-var with the flag off detaches, sets, and the old delete is harmless", async () => {
        const { url, flagOff, oldDelete, attachments, value } = await toConfigVar();
        expect(flagOff.code).toBe(0);
        expect(oldDelete.code).toBe(0);
        expect(attachments).toEqual(["DATABASE"]);
        expect(value).toBe(url);
    });
});

/** The flag on, then rolled back; then, turned on by hand, the flag's delete through a 429. */
const flag = scenario(async () => {
    const r = await rig();
    await deployed(r, "attachment", "0");
    const on = await r.run((await r.steps({ roleSeparation: "true" })).flag, "create");
    let mark = r.api.requests.length;
    const off = await r.run((await r.steps({ roleSeparation: "false" })).flag, "update");
    const offWrites = r.api.requests.slice(mark).filter((q) => q.method !== "GET");
    const offGaps = urlGapsWhileFlagOn(r.api);

    setFlag(r, "1");
    mark = r.api.requests.length;
    r.api.inject({ method: "PATCH", path: CONFIG, kind: "429" });
    const deleted = await r.run((await r.steps({ roleSeparation: "true" })).flag, "delete");
    return {
        on,
        off,
        offWrites,
        offGaps,
        deleted,
        deletedFlag: r.config()[FLAG_VAR],
        deletePatches: r.api.requests.slice(mark).filter((q) => q.method === "PATCH" && CONFIG.test(q.path)),
    };
});

/** The invokes, one after the other on a rig with no credential: the add-on read, then the owner URL's. */
const invokes = scenario(async () => {
    const r = await rig();
    r.api.inject({ method: "GET", path: /^\/apps\/[^/]+\/addons$/, kind: "json-503" });
    const addons = await runBash(r.api, READ_ADDONS, { APP, FORCE_COLOR: "1" });
    const owner = await runBash(r.api, READ_OWNER_URL, { APP, DATABASE: "DATABASE" });
    const ownerLogin = await whoami(owner.stdout.trim());
    r.api.inject({ method: "GET", path: CONFIG, kind: "html-503", times: 3 });
    const gaveUp = await runBash(r.api, READ_OWNER_URL, { APP, DATABASE: "DATABASE" });
    return { r, addons, ownerLogin, gaveUp };
});

describe("the flag and the invokes", { timeout: 900_000 }, () => {
    it("turns on (printing when) and rolls back with one change that touches only the flag", async () => {
        const { on, off, offWrites, offGaps } = await flag();
        expect(on.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        expect(off.code).toBe(0);
        expect(off.stdout).toBe("");
        expect(offWrites.map((q) => [q.method, q.path, q.body])).toEqual([
            ["PATCH", `/apps/${APP}/config-vars`, { [FLAG_VAR]: "0" }],
        ]);
        expect(offGaps).toEqual([]);
    });

    it("delete sets the flag to 0, retrying a 429", async () => {
        const { deleted, deletedFlag, deletePatches } = await flag();
        expect(deleted.code).toBe(0);
        expect(deletedFlag).toBe("0");
        expect(deletePatches.map((q) => q.status)).toEqual([429, 200]);
    });

    it("read the add-on through a 503 and the owner URL, which connects as the non-superuser owner", async () => {
        const { r, addons, ownerLogin } = await invokes();
        expect(addons.code).toBe(0);
        expect(JSON.parse(addons.stdout).map((a: { id: string }) => a.id)).toEqual([r.addon.id]);
        expect(ownerLogin).toEqual({ user: r.addon.credentials[0].user, db: r.addon.db.database, superuser: false });
    });

    it("give up on the owner URL read after three transient failures, printing no URL", async () => {
        const { gaveUp: owner } = await invokes();
        expect(owner.code).toBe(1);
        expect(owner.stderr).toContain("raptor: giving up after 3 attempts: hk config:get DATABASE_URL");
        expect(owner.stdout).toBe("");
    });
});

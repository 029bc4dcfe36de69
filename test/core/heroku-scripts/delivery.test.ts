/**
 * Config-var delivery, switching delivery both ways, the flag and the invokes, under bash with the real
 * heroku CLI against the local Heroku API. From the config-var history, the app never runs with the flag
 * at 1 and no RAPTOR_APP_DATABASE_URL.
 */
import { describe, expect, it } from "vitest";
import {
    APP,
    Rig,
    expectNoSecretIn,
    expectUrlWhileFlagOn,
    requests,
    rig,
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
    app.vars[FLAG_VAR] = flag;
    r.api.model.release(app, "deployed");
    return url;
}

describe.concurrent("config-var delivery", { timeout: 900_000 }, () => {
    it(
        "reads the URL with pg:credentials:url, sets it, and it connects as raptor_app; no output carries " + "it",
        async () => {
            const r = await rig();
            await r.api.createCredential(r.addon, "raptor_app");
            const s = await r.steps({ urlDelivery: "config-var" });
            const read = await r.run(s["credential-url"], "create");
            expect(read.code).toBe(0);
            const url = parseCredentialUrl(read.stdout);
            const set = await r.run(s["config-var"], "create", { VAR_VALUE: url });
            expect(set.code).toBe(0);
            expect(set.stdout).toBe("RAPTOR_APP_DATABASE_URL set on raxx-api-staging\n");
            expect(await whoami(r.config()[APP_URL_VAR])).toEqual({
                user: "raptor_app",
                db: r.addon.db.database,
                superuser: false,
            });
            expectNoSecretIn(r.api, read.stderr, set.stdout, set.stderr, s["config-var"].props.create as string);
        },
    );

    it("withholds config:set's output when it keeps failing", async () => {
        const r = await rig();
        const url = await deployed(r, "config-var", "0");
        r.api.inject({ method: "PATCH", path: CONFIG, kind: "html-503", times: 5 });
        const set = await r.run((await r.steps({ urlDelivery: "config-var" }))["config-var"], "create", {
            VAR_VALUE: `${url}x`,
        });
        expect(set.code).toBe(1);
        expect(set.stderr).toContain(
            "heroku config:set RAPTOR_APP_DATABASE_URL -a raxx-api-staging failed; its output is withheld",
        );
        expect(requests(r.api, "PATCH", CONFIG)).toHaveLength(3);
        expectNoSecretIn(r.api, set.stdout, set.stderr);
    });
});

// Finding 1 (second half): the switch from config-var delivery unset the var before attaching.
describe.concurrent("switching delivery", { timeout: 900_000 }, () => {
    it("config-var -> attachment with the flag on stops when Heroku refuses, the app keeping its URL", async () => {
        const r = await rig({ plainVarOnAttach: "refuse" });
        const url = await deployed(r, "config-var", "1");
        const att = await r.run((await r.steps()).attachment, "create");
        expect(att.code).toBe(1);
        expect(att.stderr).toContain(
            "is a hand-set value (config-var delivery) and FLAG_RAPTOR_APP_ROLE_SEPARATION is 1",
        );
        expect(r.config()[APP_URL_VAR]).toBe(url);
        expect(requests(r.api, "PATCH", CONFIG)).toEqual([]);
        expectUrlWhileFlagOn(r.api);
    });

    it("config-var -> attachment with the flag on goes through where Heroku takes the var over", async () => {
        const r = await rig({ plainVarOnAttach: "overwrite" });
        await deployed(r, "config-var", "1");
        expect((await r.run((await r.steps()).attachment, "create")).code).toBe(0);
        const unset = await r.run((await r.steps({ urlDelivery: "config-var" }))["config-var"], "delete");
        expect(unset.stdout).toContain("owned by the RAPTOR_APP_DATABASE attachment now; leaving it");
        expect((await whoami(r.config()[APP_URL_VAR])).user).toBe("raptor_app");
        expectUrlWhileFlagOn(r.api);
    });

    it("config-var -> attachment with the flag off unsets the hand-set value, then attaches", async () => {
        const r = await rig({ plainVarOnAttach: "refuse" });
        await deployed(r, "config-var", "0");
        expect((await r.run((await r.steps()).attachment, "create")).code).toBe(0);
        expect(r.api.model.attachments.map((x) => [x.name, x.namespace])).toContainEqual([
            "RAPTOR_APP_DATABASE",
            "credential:raptor_app",
        ]);
        expect((await whoami(r.config()[APP_URL_VAR])).user).toBe("raptor_app");
    });

    it("attachment -> config-var with the flag on refuses to detach", async () => {
        const r = await rig();
        const url = await deployed(r, "attachment", "1");
        const set = await r.run((await r.steps({ urlDelivery: "config-var" }))["config-var"], "create", {
            VAR_VALUE: url,
        });
        expect(set.code).toBe(1);
        expect(set.stderr).toContain(
            "is set by the RAPTOR_APP_DATABASE attachment and FLAG_RAPTOR_APP_ROLE_SEPARATION is 1",
        );
        expect(requests(r.api, "DELETE", /^\/addon-attachments\//)).toEqual([]);
        expectUrlWhileFlagOn(r.api);
    });

    it("attachment -> config-var with the flag off detaches, sets, and the old delete is harmless", async () => {
        const r = await rig();
        const url = await deployed(r, "attachment", "0");
        expect(
            (await r.run((await r.steps({ urlDelivery: "config-var" }))["config-var"], "create", { VAR_VALUE: url }))
                .code,
        ).toBe(0);
        expect((await r.run((await r.steps()).attachment, "delete")).code).toBe(0);
        expect(r.api.model.attachments.map((x) => x.name)).toEqual(["DATABASE"]);
        expect(r.api.model.app(APP)!.vars[APP_URL_VAR]).toBe(url);
    });
});

describe.concurrent("the flag and the invokes", { timeout: 900_000 }, () => {
    it("turns on (printing when) and rolls back with one change that touches only the flag", async () => {
        const r = await rig();
        await deployed(r, "attachment", "0");
        const on = await r.run((await r.steps({ roleSeparation: "true" })).flag, "create");
        expect(on.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
        const before = r.api.requests.length;
        const off = await r.run((await r.steps({ roleSeparation: "false" })).flag, "update");
        expect(off.code).toBe(0);
        expect(off.stdout).toBe("");
        const writes = r.api.requests.slice(before).filter((q) => q.method !== "GET");
        expect(writes.map((q) => [q.method, q.path, q.body])).toEqual([
            ["PATCH", `/apps/${APP}/config-vars`, { [FLAG_VAR]: "0" }],
        ]);
        expectUrlWhileFlagOn(r.api);
    });

    it("delete sets the flag to 0, retrying a 429", async () => {
        const r = await rig();
        await deployed(r, "attachment", "1");
        r.api.inject({ method: "PATCH", path: CONFIG, kind: "429" });
        expect((await r.run((await r.steps({ roleSeparation: "true" })).flag, "delete")).code).toBe(0);
        expect(r.config()[FLAG_VAR]).toBe("0");
        expect(requests(r.api, "PATCH", CONFIG).map((q) => q.status)).toEqual([429, 200]);
    });

    it("read the add-on through a 503 and the owner URL, which connects as the non-superuser owner", async () => {
        const r = await rig();
        r.api.inject({ method: "GET", path: /^\/apps\/[^/]+\/addons$/, kind: "json-503" });
        const addons = await runBash(r.api, READ_ADDONS, { APP, FORCE_COLOR: "1" });
        expect(addons.code).toBe(0);
        expect(JSON.parse(addons.stdout).map((a: { id: string }) => a.id)).toEqual([r.addon.id]);
        const owner = await runBash(r.api, READ_OWNER_URL, { APP, DATABASE: "DATABASE" });
        expect(await whoami(owner.stdout.trim())).toEqual({
            user: r.addon.credentials[0].user,
            db: r.addon.db.database,
            superuser: false,
        });
    });

    it("give up on the owner URL read after three transient failures, printing no URL", async () => {
        const r = await rig();
        r.api.inject({ method: "GET", path: CONFIG, kind: "html-503", times: 3 });
        const owner = await runBash(r.api, READ_OWNER_URL, { APP, DATABASE: "DATABASE" });
        expect(owner.code).toBe(1);
        expect(owner.stderr).toContain("raptor: giving up after 3 attempts: hk config:get DATABASE_URL");
        expect(owner.stdout).toBe("");
    });
});

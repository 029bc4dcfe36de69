/**
 * Attachment delivery under bash with the real heroku CLI against the local Heroku API: the attach by
 * add-on name, re-runs, a same-named attachment of another credential, a lost response, delete, and a
 * promote to a new database. The URL the app receives must connect as raptor_app. Each scenario runs its
 * scripts once (test/support/heroku-scenario.ts scenario()); the tests assert on what it recorded.
 */
import { describe, expect, it } from "vitest";
import {
    ADDON,
    APP,
    expectNoSecretIn,
    expectUrlWhileFlagOn,
    requests,
    rig,
    scenario,
    usePostgres,
    whoami,
} from "../../support/heroku-scenario";
import { declaredSteps } from "../../support/run-commands";
import { APP_URL_VAR, FLAG_VAR } from "../../../core/settings";

usePostgres();
const ATTACH = /^\/addon-attachments$/;
const DETACH = /^\/addon-attachments\//;

/**
 * raptor_app's credential attached by the step, then the step again; then ours deleted through a lost response,
 * and a delete with the owner's credential holding the name.
 */
const attached = scenario(async () => {
    const { api, addon, run, steps, config } = await rig();
    await api.createCredential(addon, "raptor_app");
    const att = (await steps()).attachment;
    const first = await run(att, "create");
    const addonReads = requests(api, "GET", /^\/addons\/[^/]+$/).map((q) => q.path);
    const attaches = requests(api, "POST", ATTACH).map((q) => q.body);
    const login = await whoami(config()[APP_URL_VAR]);
    const again = await run(att, "create");
    const attachesAfterAgain = requests(api, "POST", ATTACH).length;

    api.inject({ method: "DELETE", path: DETACH, kind: "lost-response" });
    const deleted = await run(att, "delete");
    const urlAfterDelete = config()[APP_URL_VAR];
    api.attach(APP, addon, "RAPTOR_APP_DATABASE"); // the owner's: not this resource's to remove
    const otherDeleted = await run(att, "delete");
    return {
        api,
        addon,
        first,
        addonReads,
        attaches,
        login,
        again,
        attachesAfterAgain,
        deleted,
        urlAfterDelete,
        otherDeleted,
        detaches: requests(api, "DELETE", DETACH).length,
        urlAfterOtherDelete: config()[APP_URL_VAR],
    };
});

const replaced = scenario(async () => {
    const { api, addon, run, steps, config } = await rig();
    await api.createCredential(addon, "raptor_app");
    api.attach(APP, addon, "RAPTOR_APP_DATABASE"); // the owner's: the app would run as the owner
    const r = await run((await steps()).attachment, "create");
    return { r, login: await whoami(config()[APP_URL_VAR]), history: api.configHistory(APP) };
});

const lostAttach = scenario(async () => {
    const { api, addon, run, steps, config } = await rig();
    await api.createCredential(addon, "raptor_app");
    api.inject({ method: "POST", path: ATTACH, kind: "lost-response" });
    const r = await run((await steps()).attachment, "create");
    return {
        r,
        ours: api.model.attachments.filter((x) => x.name === "RAPTOR_APP_DATABASE"),
        login: await whoami(config()[APP_URL_VAR]),
    };
});

const read503 = scenario(async () => {
    const { api, addon, run, steps } = await rig();
    await api.createCredential(addon, "raptor_app");
    const att = (await steps()).attachment;
    api.inject({ method: "GET", path: /^\/apps\/[^/]+\/addons$/, kind: "html-503" });
    const r = await run(att, "create");
    return { r, attaches: requests(api, "POST", ATTACH) };
});

describe("attachment delivery", { timeout: 900_000 }, () => {
    // Finding 1: addons:attach resolves its argument with GET /addons/{id_or_name} (no app scope), so
    // `addons:attach DATABASE` is a 404 on real Heroku. It must name the add-on.
    it("attaches the credential by add-on name, and the app's URL connects as raptor_app", async () => {
        const { api, addon, first, addonReads, attaches, login } = await attached();
        expect(first.code).toBe(0);
        expect(addonReads).toEqual([`/addons/${ADDON}`]);
        expect(attaches).toEqual([
            {
                addon: { name: ADDON },
                app: { name: APP },
                confirm: APP,
                name: "RAPTOR_APP_DATABASE",
                namespace: "credential:raptor_app",
            },
        ]);
        expect(login).toEqual({ user: "raptor_app", db: addon.db.database, superuser: false });
        expectNoSecretIn(api, first.stdout, first.stderr);
    });

    it("a re-run attaches nothing", async () => {
        const { again, attachesAfterAgain } = await attached();
        expect(again.stdout).toBe("RAPTOR_APP_DATABASE already attached on raxx-api-staging\n");
        expect(attachesAfterAgain).toBe(1);
    });

    it("replaces the owner's credential attached under the same name in one step", async () => {
        const { r, login, history } = await replaced();
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(
            "RAPTOR_APP_DATABASE on raxx-api-staging is held by other credential or database; replacing it",
        );
        expect(login.user).toBe("raptor_app");
        const first = history.findIndex((rel) => rel.config[APP_URL_VAR] !== undefined);
        expect(history.slice(first).filter((rel) => rel.config[APP_URL_VAR] === undefined)).toEqual([]);
    });

    it("attaches once when the attach's response was lost", async () => {
        const { r, ours, login } = await lostAttach();
        expect(r.code).toBe(0);
        expect(ours).toHaveLength(1);
        expect(login.user).toBe("raptor_app");
    });

    it("retries a router 503 on the add-on read", async () => {
        const { r, attaches } = await read503();
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("HTTP Error 503");
        expect(attaches).toHaveLength(1);
    });

    it("delete detaches ours, survives a lost response, and leaves another credential's alone", async () => {
        const { deleted, urlAfterDelete, otherDeleted, detaches, urlAfterOtherDelete } = await attached();
        expect(deleted.stderr).not.toContain("giving up");
        expect(deleted.code).toBe(0);
        expect(urlAfterDelete).toBeUndefined();
        expect(otherDeleted.code).toBe(0);
        // The lost one and the CLI's own re-send.
        expect(detaches).toBe(2);
        expect(urlAfterOtherDelete).toBeDefined();
    });
});

// Finding 4: after pg:copy + pg:promote the attachment kept pointing at the old database.
const promoted = scenario(async () => {
    const { api, addon: old, run, steps, config } = await rig();
    await api.createCredential(old, "raptor_app");
    const before = await steps({ roleSeparation: "true" });
    const codes: Record<string, number> = {};
    codes["attachment create"] = (await run(before.attachment, "create")).code;
    codes["flag create"] = (await run(before.flag, "create")).code;
    const fresh = await api.createPostgresAddon({ app: APP, name: "postgresql-curved-31337", attachAs: null });
    api.promote(APP, fresh);
    // The program's next run reads the add-on again (through the CLI): the new one's name and id.
    const after = await declaredSteps(api, { stack: "staging", config: { app: APP, roleSeparation: "true" } });
    codes["credential update"] = (await run(after.credential, "update")).code;
    codes["new attachment create"] = (await run(after.attachment, "create")).code;
    codes["old attachment delete"] = (await run(before.attachment, "delete")).code;
    return { api, fresh, after, codes, login: await whoami(config()[APP_URL_VAR]), config: config() };
});

describe("a promote to a new database", { timeout: 900_000 }, () => {
    it("creates the credential on the new add-on and moves the attachment there without a gap", async () => {
        const { api, fresh, after, codes, login, config } = await promoted();
        expect(after.attachment.props.environment).toMatchObject({ ADDON_NAME: fresh.name, ADDON_ID: fresh.id });
        expect(codes["attachment create"]).toBe(0);
        expect(codes["flag create"]).toBe(0);
        expect(codes["credential update"]).toBe(0);
        expect(codes["new attachment create"]).toBe(0); // replacement: the new one first
        expect(codes["old attachment delete"]).toBe(0); // then the old resource's delete
        expect(api.credential(fresh, "raptor_app")?.state).toBe("active");
        expect(login).toEqual({ user: "raptor_app", db: fresh.db.database, superuser: false });
        expect(config[FLAG_VAR]).toBe("1");
        expectUrlWhileFlagOn(api);
    });
});

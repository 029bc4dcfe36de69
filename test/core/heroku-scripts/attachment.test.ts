/**
 * Attachment delivery under bash with the real heroku CLI against the local Heroku API: the attach by
 * add-on name, re-runs, a same-named attachment of another credential, a lost response, delete, and a
 * promote to a new database. The URL the app receives must connect as raptor_app.
 */
import { describe, expect, it } from "vitest";
import {
    ADDON,
    APP,
    expectNoSecretIn,
    expectUrlWhileFlagOn,
    requests,
    rig,
    usePostgres,
    whoami,
} from "../../support/heroku-scenario";
import { declaredSteps } from "../../support/run-commands";
import { APP_URL_VAR, FLAG_VAR } from "../../../core/settings";

usePostgres();
const ATTACH = /^\/addon-attachments$/;

describe.concurrent("attachment delivery", { timeout: 900_000 }, () => {
    // Finding 1: addons:attach resolves its argument with GET /addons/{id_or_name} (no app scope), so
    // `addons:attach DATABASE` is a 404 on real Heroku. It must name the add-on.
    it(
        "attaches the credential by add-on name, the app's URL connects as raptor_app, and a re-run attaches " +
            "nothing",
        async () => {
            const { api, addon, run, steps, config } = await rig();
            await api.createCredential(addon, "raptor_app");
            const r = await run((await steps()).attachment, "create");
            expect(r.code).toBe(0);
            expect(requests(api, "GET", /^\/addons\/[^/]+$/).map((q) => q.path)).toEqual([`/addons/${ADDON}`]);
            expect(requests(api, "POST", ATTACH).map((q) => q.body)).toEqual([
                {
                    addon: { name: ADDON },
                    app: { name: APP },
                    confirm: APP,
                    name: "RAPTOR_APP_DATABASE",
                    namespace: "credential:raptor_app",
                },
            ]);
            expect(await whoami(config()[APP_URL_VAR])).toEqual({
                user: "raptor_app",
                db: addon.db.database,
                superuser: false,
            });
            expectNoSecretIn(api, r.stdout, r.stderr);
            const again = await run((await steps()).attachment, "create");
            expect(again.stdout).toBe("RAPTOR_APP_DATABASE already attached on raxx-api-staging\n");
            expect(requests(api, "POST", ATTACH)).toHaveLength(1);
        },
    );

    it("replaces the owner's credential attached under the same name in one step", async () => {
        const { api, addon, run, steps, config } = await rig();
        await api.createCredential(addon, "raptor_app");
        api.attach(APP, addon, "RAPTOR_APP_DATABASE"); // the owner's: the app would run as the owner
        const r = await run((await steps()).attachment, "create");
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(
            "RAPTOR_APP_DATABASE on raxx-api-staging is held by other credential or database; replacing it",
        );
        expect((await whoami(config()[APP_URL_VAR])).user).toBe("raptor_app");
        const history = api.configHistory(APP);
        const first = history.findIndex((rel) => rel.config[APP_URL_VAR] !== undefined);
        expect(history.slice(first).filter((rel) => rel.config[APP_URL_VAR] === undefined)).toEqual([]);
    });

    it("attaches once when the attach's response was lost", async () => {
        const { api, addon, run, steps, config } = await rig();
        await api.createCredential(addon, "raptor_app");
        api.inject({ method: "POST", path: ATTACH, kind: "lost-response" });
        const r = await run((await steps()).attachment, "create");
        expect(r.code).toBe(0);
        expect(api.model.attachments.filter((x) => x.name === "RAPTOR_APP_DATABASE")).toHaveLength(1);
        expect((await whoami(config()[APP_URL_VAR])).user).toBe("raptor_app");
    });

    it("retries a router 503 on the add-on read", async () => {
        const { api, addon, run, steps } = await rig();
        await api.createCredential(addon, "raptor_app");
        const att = (await steps()).attachment;
        api.inject({ method: "GET", path: /^\/apps\/[^/]+\/addons$/, kind: "html-503" });
        const r = await run(att, "create");
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("HTTP Error 503");
        expect(requests(api, "POST", ATTACH)).toHaveLength(1);
    });

    it("delete detaches ours, survives a lost response, and leaves another credential's alone", async () => {
        const { api, addon, run, steps, config } = await rig();
        await api.createCredential(addon, "raptor_app");
        const att = (await steps()).attachment;
        api.attach(APP, addon, "RAPTOR_APP_DATABASE", "raptor_app");
        api.inject({ method: "DELETE", path: /^\/addon-attachments\//, kind: "lost-response" });
        const r = await run(att, "delete");
        expect(r.stderr).not.toContain("giving up");
        expect(r.code).toBe(0);
        expect(config()[APP_URL_VAR]).toBeUndefined();
        api.attach(APP, addon, "RAPTOR_APP_DATABASE");
        expect((await run(att, "delete")).code).toBe(0);
        // The lost one and the CLI's own re-send.
        expect(requests(api, "DELETE", /^\/addon-attachments\//)).toHaveLength(2);
        expect(config()[APP_URL_VAR]).toBeDefined();
    });
});

describe.concurrent("a promote to a new database", { timeout: 900_000 }, () => {
    // Finding 4: after pg:copy + pg:promote the attachment kept pointing at the old database.
    it("creates the credential on the new add-on and moves the attachment there without a gap", async () => {
        const { api, addon: old, run, steps, config } = await rig();
        await api.createCredential(old, "raptor_app");
        const before = await steps({ roleSeparation: "true" });
        expect((await run(before.attachment, "create")).code).toBe(0);
        expect((await run(before.flag, "create")).code).toBe(0);
        const fresh = await api.createPostgresAddon({ app: APP, name: "postgresql-curved-31337", attachAs: null });
        api.promote(APP, fresh);
        // The program's next run reads the add-on again (through the CLI): the new one's name and id.
        const after = await declaredSteps(api, { stack: "staging", config: { app: APP, roleSeparation: "true" } });
        expect(after.attachment.props.environment).toMatchObject({ ADDON_NAME: fresh.name, ADDON_ID: fresh.id });
        expect((await run(after.credential, "update")).code).toBe(0);
        expect((await run(after.attachment, "create")).code).toBe(0); // replacement: the new one first
        expect((await run(before.attachment, "delete")).code).toBe(0); // then the old resource's delete
        expect(api.credential(fresh, "raptor_app")?.state).toBe("active");
        expect(await whoami(config()[APP_URL_VAR])).toEqual({
            user: "raptor_app",
            db: fresh.db.database,
            superuser: false,
        });
        expect(config()[FLAG_VAR]).toBe("1");
        expectUrlWhileFlagOn(api);
    });
});

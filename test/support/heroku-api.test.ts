/**
 * The local Heroku API seen through the real heroku CLI: the CLI facts the scripts are built on
 * (heroku/cli 11.10 addons/attach.ts, @heroku/heroku-cli-util ux/colors.ts, oclif exit codes).
 * If a CLI upgrade changes one of these, this file says which.
 */
import { describe, expect, it } from "vitest";
import { ADDON, APP, rig, usePostgres, whoami } from "./heroku-scenario";
import { runBash } from "./run-commands";
import { parseCredentialUrl } from "../../core/heroku";

usePostgres();

describe.concurrent("the real CLI against the local API", { timeout: 900_000 }, () => {
    // GET /addons/{id_or_name} has no app scope: an attachment name is not an add-on.
    it("addons:attach takes the add-on's name, never an attachment name", async () => {
        const { api, addon } = await rig();
        await api.createCredential(addon, "raptor_app");
        const args = "--credential raptor_app --as RAPTOR_APP_DATABASE -a raxx-api-staging --confirm raxx-api-staging";
        const byAttachment = await runBash(api, `heroku addons:attach DATABASE ${args}`);
        expect(byAttachment.code).toBe(2);
        expect(byAttachment.stderr).toContain("Couldn't find that add-on.");
        const byName = await runBash(api, `heroku addons:attach ${ADDON} ${args}`);
        expect(byName.code).toBe(0);
        expect(api.config(APP).RAPTOR_APP_DATABASE_URL).toMatch(/^postgres:\/\/raptor_app:/);
    });

    it("colours pg:credentials cells into a pipe under FORCE_COLOR, and NO_COLOR does not undo it", async () => {
        const { api, addon } = await rig();
        await api.createCredential(addon, "raptor_app");
        const r = await runBash(api, `heroku pg:credentials ${ADDON} -a ${APP} | cat`, {
            FORCE_COLOR: "1",
            NO_COLOR: "1",
        });
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("\x1b[95mraptor_app\x1b[39m");
    });

    // oclif: a JSON API error is a CLIError (exit 2); an unparsable body is a plain Error (exit 1).
    it("exits 1 on a router 503 with an HTML body and 2 on a 429, so the exit code cannot tell transient", async () => {
        const { api } = await rig();
        api.inject({ method: "GET", path: /config-vars$/, kind: "html-503" });
        const html = await runBash(api, `heroku config:get X -a ${APP}`);
        api.inject({ method: "GET", path: /config-vars$/, kind: "429" });
        const limited = await runBash(api, `heroku config:get X -a ${APP}`);
        expect([html.code, limited.code]).toEqual([1, 2]);
        expect(html.stderr).toContain("HTTP Error 503");
        expect(limited.stderr).toContain("Error ID: rate_limit");
    });

    // A role of its own: a rotation changes the password of a role that is cluster-wide here.
    it("shows a rotation in progress, then hands out the new password, which connects", async () => {
        const { api, addon } = await rig({ rotationReads: 1 });
        const old = (await api.createCredential(addon, "rig_rot")).password;
        await api.rotate(addon, "rig_rot", 1);
        const r = await runBash(
            api,
            `heroku pg:credentials ${ADDON} -a ${APP} && heroku pg:credentials:url ${ADDON} --name rig_rot -a ${APP}`,
        );
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/rig_rot\s+rotating/);
        const url = parseCredentialUrl(r.stdout);
        expect(url).not.toContain(old);
        expect((await whoami(url)).user).toBe("rig_rot");
        expect(api.credential(addon, "rig_rot")?.state).toBe("active");
    });
});

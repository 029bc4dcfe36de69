/**
 * The rig's Advanced data API (advanced.ts) seen through the real heroku CLI 11.10's data:pg commands, for what
 * the program's scripts do not exercise: the credential list's shape (Credential, Type, State; credentials/index.js),
 * a rotation (credentials/rotate.js posts to .../credentials/{name}/rotate; url.js then hands out the `active`
 * role of `roles`), the owner credential the CLI will not destroy (credentials/destroy.js), and info's pools.
 */
import { describe, expect, it } from "vitest";
import { ADDON, ADDON_ID, requests, rig, usePostgres, whoami } from "../heroku-scenario";
import { runBash } from "../run-commands";
import { parseCredentialUrl } from "../../../core/heroku";

usePostgres();
const APP = "raxx-api-prod";
const PLAN = "heroku-postgresql:advanced";
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

describe.concurrent("the Advanced data API through the real CLI", { timeout: 900_000 }, () => {
    it("lists credentials with their type and state, and rotates one: the new password connects", async () => {
        const { api, addon } = await rig({ app: APP, plan: PLAN, rotationReads: 1 });
        await api.createCredential(addon, "raptor_app");
        const before = await runBash(api, `heroku data:pg:credentials ${ADDON} -a ${APP}`);
        expect(before.code, before.stderr).toBe(0);
        const rows = strip(before.stdout)
            .split("\n")
            .map((l) => l.trim().split(/\s+/))
            .filter((w) => ["owner", "raptor_app"].includes(w[0] ?? ""));
        expect(rows.map((w) => w.slice(0, 3))).toEqual([
            ["owner", "owner", "active"],
            ["raptor_app", "additional", "active"],
        ]);
        const rotated = await runBash(
            api,
            `heroku data:pg:credentials:rotate ${ADDON} --name raptor_app -a ${APP} --confirm ${APP}`,
        );
        expect(rotated.code, rotated.stderr).toBe(0);
        expect(requests(api, "POST", /\/rotate$/).map((q) => q.path)).toEqual([
            `/data/postgres/v1/${ADDON_ID}/credentials/raptor_app/rotate`,
        ]);
        const url = await runBash(api, `heroku data:pg:credentials:url ${ADDON} --name raptor_app -a ${APP}`);
        expect(url.code, url.stderr).toBe(0);
        expect(parseCredentialUrl(url.stdout)).toContain(`:${api.credential(addon, "raptor_app")!.password}@`);
        expect((await whoami(parseCredentialUrl(url.stdout))).user).toBe("raptor_app");
    });

    it("will not destroy the owner credential, and data:pg:info lists the pools", async () => {
        const { api } = await rig({
            app: APP,
            plan: PLAN,
            pools: [
                { name: "leader", status: "available" },
                { name: "analytics", status: "modifying" },
            ],
        });
        const destroy = await runBash(
            api,
            `heroku data:pg:credentials:destroy ${ADDON} --name owner -a ${APP} -c ${APP}`,
        );
        expect(destroy.code).not.toBe(0);
        expect(strip(destroy.stderr)).toContain("You can't destroy the owner credential.");
        const info = await runBash(api, `heroku data:pg:info ${ADDON} -a ${APP}`);
        expect(info.code, info.stderr).toBe(0);
        const headers = strip(info.stdout)
            .split("\n")
            .filter((l) => l.startsWith("=== "));
        expect(headers).toEqual([
            `=== ${ADDON} on ${APP}`,
            "=== Leader pool (attached as DATABASE)",
            "=== Follower pool analytics",
        ]);
    });
});

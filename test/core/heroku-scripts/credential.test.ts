/**
 * The credential step's scripts under bash with the real heroku CLI against the local Heroku API
 * (test/support/heroku-api): first run, re-run, adoption, every credential state, faults, and which
 * failures are retried. FORCE_COLOR=1 is in every script's environment.
 */
import { describe, expect, it } from "vitest";
import { ADDON, expectNoSecretIn, requests, rig, usePostgres, whoami } from "../../support/heroku-scenario";
import { credentialUrl } from "../../support/heroku-api";

usePostgres();
const CREATE = /^\/postgres\/v0\/databases\/[^/]+\/credentials$/;

describe.concurrent("the credential", { timeout: 900_000 }, () => {
    it(
        "is created on the add-on by name with the role in --name, waits out provisioning, logs in; a re-run creates " +
            "nothing",
        async () => {
            const { api, addon, run, steps } = await rig({ provisioningReads: 2 });
            const r = await run((await steps()).credential, "create");
            expect(r.stderr).not.toMatch(/Unknown database|giving up/);
            expect(r.code).toBe(0);
            expect(r.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
            expect(requests(api, "POST", CREATE).map((q) => [q.path, q.body, q.status])).toEqual([
                [`/postgres/v0/databases/${ADDON}/credentials`, { name: "raptor_app" }, 201],
            ]);
            const cred = api.credential(addon, "raptor_app")!;
            expect(await whoami(credentialUrl(addon, cred))).toEqual({
                user: "raptor_app",
                db: addon.db.database,
                superuser: false,
            });
            expectNoSecretIn(api, r.stdout, r.stderr);
            const again = await run((await steps()).credential, "update");
            expect(again.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
            expect(requests(api, "POST", CREATE)).toHaveLength(1);
        },
    );

    // Finding 5: with FORCE_COLOR set the CLI colours the table even into a pipe; the parse missed the
    // credential and ran create again, which Heroku refuses.
    it("sees an existing credential with FORCE_COLOR=1 in the environment and adopts it", async () => {
        const { api, addon, run, steps } = await rig();
        await api.createCredential(addon, "raptor_app");
        const r = await run((await steps()).credential, "update");
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(
            "credential raptor_app already exists on postgresql-adjacent-27271 (active); adopting it",
        );
        expect(requests(api, "POST", CREATE)).toEqual([]);
    });

    it("times out with a clear error when the credential stays provisioning", async () => {
        const { run, steps } = await rig({ provisioningReads: 50 });
        const r = await run((await steps()).credential, "create", { MAX_POLLS: "2" });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
            "timed out: credential raptor_app on raxx-api-staging is still 'provisioning' after 2 checks",
        );
        expect(r.stderr).toContain("run 'pulumi up' again");
    });

    // Finding 6: a rotating credential works (its new password is active) and must not time out.
    it.each(["rotating", "rotation_completed"] as const)("takes a %s credential as working", async (state) => {
        const { api, addon, run, steps } = await rig();
        const cred = await api.createCredential(addon, "raptor_app", state);
        const r = await run((await steps()).credential, "update", { MAX_POLLS: "1" });
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`credential raptor_app on raxx-api-staging is ${state}\n`);
        expect(cred.state).toBe(state);
    });

    it.each(["revoking", "archived"] as const)("stops at once on a %s credential (being destroyed)", async (state) => {
        const { api, addon, run, steps } = await rig();
        await api.createCredential(addon, "raptor_app", state);
        const r = await run((await steps()).credential, "update");
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`credential raptor_app on postgresql-adjacent-27271 is ${state} (being destroyed)`);
        expect(requests(api, "POST", CREATE)).toEqual([]);
    });
});

describe.concurrent("the credential under faults", { timeout: 900_000 }, () => {
    // A 429 is retried in the flag's test, a router 503 on a read in the attachment's.
    it("retries a router 503 on the create and creates once", async () => {
        const { api, run, steps } = await rig({ provisioningReads: 0 });
        api.inject({ method: "POST", path: CREATE, kind: "html-503" });
        const r = await run((await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(requests(api, "POST", CREATE).map((q) => q.status)).toEqual([503, 201]);
    });

    // The CLI (http-call) re-sends a POST whose connection dropped; the second one fails "already exists".
    it("adopts the credential when the create's response was lost", async () => {
        const { api, run, steps } = await rig({ provisioningReads: 0 });
        api.inject({ method: "POST", path: CREATE, kind: "lost-response" });
        const r = await run((await steps()).credential, "create");
        expect(r.code).toBe(0);
        expect(requests(api, "POST", CREATE).map((q) => [q.status, q.fault])).toEqual([
            [201, "lost-response"],
            [422, undefined],
        ]);
        expect(r.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
    });

    // Finding 7: permanent errors fail at once with the CLI's own message, not after three tries.
    it("fails at once with the CLI's message on an Essential plan", async () => {
        const { addon, run, steps } = await rig();
        const cred = (await steps()).credential;
        addon.plan = "heroku-postgresql:essential-0"; // changed after the preview read the tier
        const r = await run(cred, "create");
        expect(r.code).toBe(1);
        expect(r.stderr.match(/You can't create a custom credential on Essential-tier databases\./g)).toHaveLength(1);
        expect(r.stderr).not.toContain("giving up");
    });

    it("fails at once on a bad API key", async () => {
        const { api, run, steps } = await rig();
        const r = await run((await steps()).credential, "create", { HEROKU_API_KEY: "not-the-key" });
        expect(r.code).toBe(1);
        expect(r.stderr.match(/The token provided to HEROKU_API_KEY is invalid/g)).toHaveLength(1);
        expect(api.requests.filter((q) => q.status === 401)).toHaveLength(1);
    });

    it("fails at once on an unknown app", async () => {
        const { api, run, steps } = await rig();
        const r = await run((await steps()).credential, "create", { APP: "raxx-api-stagin" });
        expect(r.code).toBe(1);
        expect(r.stderr.match(/Couldn't find that app\./g)).toHaveLength(1);
        expect(requests(api, "POST", CREATE)).toEqual([]);
    });

    it("delete leaves the credential in place and calls nothing", async () => {
        const { api, addon, run, steps } = await rig();
        await api.createCredential(addon, "raptor_app");
        const s = await steps();
        const before = api.requests.length;
        const r = await run(s.credential, "delete");
        expect(r.code).toBe(0);
        expect(api.credential(addon, "raptor_app")).toBeDefined();
        expect(api.requests.length).toBe(before);
    });
});

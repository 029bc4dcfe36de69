/**
 * The credential step's scripts under bash with the real heroku CLI against the local Heroku API
 * (test/support/heroku-api): first run, re-run, adoption, every credential state, faults, and which
 * failures are retried. FORCE_COLOR=1 is in every script's environment. Each scenario runs its scripts once
 * (test/support/heroku-scenario.ts scenario()); the tests assert on what it recorded.
 */
import { describe, expect, it } from "vitest";
import { ADDON, expectNoSecretIn, requests, rig, scenario, usePostgres, whoami } from "../../support/heroku-scenario";
import { LoggedRequest, credentialUrl } from "../../support/heroku-api";

usePostgres();
const CREATE = /^\/postgres\/v0\/databases\/[^/]+\/credentials$/;
const creates = (log: readonly LoggedRequest[]) => log.filter((q) => q.method === "POST" && CREATE.test(q.path));

/**
 * A first run that waits out provisioning; a re-run, which finds the credential the first made in the CLI's
 * coloured table and adopts it (finding 5: with FORCE_COLOR set the CLI colours the table even into a pipe, and
 * the parse missed the credential and ran create again, which Heroku refuses); then a delete.
 */
const created = scenario(async () => {
    const { api, addon, run, steps } = await rig({ provisioningReads: 2 });
    const s = await steps();
    const first = await run(s.credential, "create");
    const firstCreates = requests(api, "POST", CREATE).map((q) => [q.path, q.body, q.status]);
    const login = await whoami(credentialUrl(addon, api.credential(addon, "raptor_app")!));
    const beforeAgain = api.requests.length;
    const again = await run(s.credential, "update");
    const againCreates = creates(api.requests.slice(beforeAgain));
    const beforeDelete = api.requests.length;
    const deleted = await run(s.credential, "delete");
    return {
        api,
        addon,
        first,
        firstCreates,
        login,
        again,
        againCreates,
        creates: requests(api, "POST", CREATE).length,
        deleted,
        deleteRequests: api.requests.length - beforeDelete,
        afterDelete: api.credential(addon, "raptor_app"),
    };
});

const stuck = scenario(async () => {
    const { run, steps } = await rig({ provisioningReads: 50 });
    return run((await steps()).credential, "create", { MAX_POLLS: "2" });
});

/** A credential made in `state` (it stays there), then the step's update. */
const inState = (state: "rotating" | "rotation_completed" | "revoking" | "archived", env?: Record<string, string>) =>
    scenario(async () => {
        const { api, addon, run, steps } = await rig();
        const cred = await api.createCredential(addon, "raptor_app", state);
        const r = await run((await steps()).credential, "update", env);
        return { r, state: cred.state, creates: requests(api, "POST", CREATE) };
    });
const states = {
    rotating: inState("rotating", { MAX_POLLS: "1" }),
    rotation_completed: inState("rotation_completed", { MAX_POLLS: "1" }),
    revoking: inState("revoking"),
    archived: inState("archived"),
};

/** A fault injected on the create, with provisioning instant so the requests are the create's alone. */
const faulted = (kind: "html-503" | "lost-response") =>
    scenario(async () => {
        const { api, run, steps } = await rig({ provisioningReads: 0 });
        api.inject({ method: "POST", path: CREATE, kind });
        const r = await run((await steps()).credential, "create");
        return { r, creates: requests(api, "POST", CREATE) };
    });
const routed503 = faulted("html-503");
const lost = faulted("lost-response");

/**
 * Permanent failures, one after another on one rig (none changes it until the last): a bad API key, an unknown
 * app, then an Essential plan (changed after the preview read the tier).
 */
const refused = scenario(async () => {
    const { api, addon, run, steps } = await rig();
    const cred = (await steps()).credential;
    let mark = api.requests.length;
    const badKey = await run(cred, "create", { HEROKU_API_KEY: "not-the-key" });
    const badKeyRequests = api.requests.slice(mark);
    mark = api.requests.length;
    const unknownApp = await run(cred, "create", { APP: "raxx-api-stagin" });
    const unknownAppRequests = api.requests.slice(mark);
    addon.plan = "heroku-postgresql:essential-0";
    const essential = await run(cred, "create");
    return { badKey, badKeyRequests, unknownApp, unknownAppRequests, essential };
});

describe("the credential", { timeout: 900_000 }, () => {
    it("is created on the add-on by name with the role in --name, waits out provisioning, logs in", async () => {
        const { api, addon, first, firstCreates, login } = await created();
        expect(first.stderr).not.toMatch(/Unknown database|giving up/);
        expect(first.code).toBe(0);
        expect(first.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
        expect(firstCreates).toEqual([[`/postgres/v0/databases/${ADDON}/credentials`, { name: "raptor_app" }, 201]]);
        expect(login).toEqual({ user: "raptor_app", db: addon.db.database, superuser: false });
        expectNoSecretIn(api, first.stdout, first.stderr);
    });

    it("a re-run creates nothing", async () => {
        const { again, creates } = await created();
        expect(again.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
        expect(creates).toBe(1);
    });

    it("sees an existing credential with FORCE_COLOR=1 in the environment and adopts it", async () => {
        const { again, againCreates } = await created();
        expect(again.code).toBe(0);
        expect(again.stderr).toContain(
            "credential raptor_app already exists on postgresql-adjacent-27271 (active); adopting it",
        );
        expect(againCreates).toEqual([]);
    });

    it("times out with a clear error when the credential stays provisioning", async () => {
        const r = await stuck();
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
            "timed out: credential raptor_app on raxx-api-staging is still 'provisioning' after 2 checks",
        );
        expect(r.stderr).toContain("run 'pulumi up' again");
    });

    // Finding 6: a rotating credential works (its new password is active) and must not time out.
    it.each(["rotating", "rotation_completed"] as const)("takes a %s credential as working", async (state) => {
        const { r, state: after } = await states[state]();
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`credential raptor_app on raxx-api-staging is ${state}\n`);
        expect(after).toBe(state);
    });

    it.each(["revoking", "archived"] as const)("stops at once on a %s credential (being destroyed)", async (state) => {
        const { r, creates } = await states[state]();
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`credential raptor_app on postgresql-adjacent-27271 is ${state} (being destroyed)`);
        expect(creates).toEqual([]);
    });
});

describe("the credential under faults", { timeout: 900_000 }, () => {
    // A 429 is retried in the flag's test, a router 503 on a read in the attachment's.
    it("retries a router 503 on the create and creates once", async () => {
        const { r, creates } = await routed503();
        expect(r.code).toBe(0);
        expect(creates.map((q) => q.status)).toEqual([503, 201]);
    });

    // The CLI (http-call) re-sends a POST whose connection dropped; the second one fails "already exists".
    it("adopts the credential when the create's response was lost", async () => {
        const { r, creates } = await lost();
        expect(r.code).toBe(0);
        expect(creates.map((q) => [q.status, q.fault])).toEqual([
            [201, "lost-response"],
            [422, undefined],
        ]);
        expect(r.stdout).toBe("credential raptor_app on raxx-api-staging is active\n");
    });

    // Finding 7: permanent errors fail at once with the CLI's own message, not after three tries.
    it("fails at once with the CLI's message on an Essential plan", async () => {
        const { essential: r } = await refused();
        expect(r.code).toBe(1);
        expect(r.stderr.match(/You can't create a custom credential on Essential-tier databases\./g)).toHaveLength(1);
        expect(r.stderr).not.toContain("giving up");
    });

    it("fails at once on a bad API key", async () => {
        const { badKey: r, badKeyRequests } = await refused();
        expect(r.code).toBe(1);
        expect(r.stderr.match(/The token provided to HEROKU_API_KEY is invalid/g)).toHaveLength(1);
        expect(badKeyRequests.filter((q) => q.status === 401)).toHaveLength(1);
    });

    it("fails at once on an unknown app", async () => {
        const { unknownApp: r, unknownAppRequests } = await refused();
        expect(r.code).toBe(1);
        expect(r.stderr.match(/Couldn't find that app\./g)).toHaveLength(1);
        expect(creates(unknownAppRequests)).toEqual([]);
    });

    it("delete leaves the credential in place and calls nothing", async () => {
        const { deleted, afterDelete, deleteRequests } = await created();
        expect(deleted.code).toBe(0);
        expect(afterDelete).toBeDefined();
        expect(deleteRequests).toBe(0);
    });
});

/**
 * The data:pg scripts (Heroku Postgres Advanced) under bash with the real heroku CLI 11.10 against the local
 * Heroku API's Advanced routes (test/support/heroku-api/advanced.ts): the credential through every
 * AdvancedCredentialState (active, enabling, revoking, rotating; heroku dist/lib/data/types.js), the owner
 * credential (type owner) never adopted, the attachment with its pool checked against data:pg:info's pools,
 * and the URLs read with data:pg:credentials:url. FORCE_COLOR=1 is in every script's environment.
 */
import { describe, expect, it } from "vitest";
import { ADDON_ID, Rig, expectNoSecretIn, requests, rig, usePostgres, whoami } from "../../support/heroku-scenario";
import { credentialUrl } from "../../support/heroku-api";
import { STORED, attachAdvanced } from "../../support/heroku-api/advanced";
import { declaredSteps, runBash } from "../../support/run-commands";
import { Recorded } from "../../support/mocks";
import { Step } from "../../../core/resources";
import { parseCredentialUrl } from "../../../core/heroku";
import { READ_OWNER_URL_ADVANCED } from "../../../core/heroku-scripts";
import { APP_URL_VAR } from "../../../core/settings";

usePostgres();
/** The plan name heroku/cli's own fixtures use (test/fixtures/data/pg/fixtures.ts). */
const PLAN = "heroku-postgresql:advanced";
const APP = "raxx-api-prod";
const PROD = { app: APP, soakStack: "organization/raptor/staging" };
const CREATE = /^\/data\/postgres\/v1\/[^/]+\/credentials$/;

const advancedRig = (opts: Parameters<typeof rig>[0] = {}) => rig({ plan: PLAN, app: APP, ...opts });

const stepCache = new Map<string, Promise<Record<Step, Recorded>>>();
/** The prod stack's steps on the Advanced add-on, read once per config through the real CLI. */
function steps(r: Rig, config: Record<string, string> = {}): Promise<Record<Step, Recorded>> {
    const key = JSON.stringify(config);
    let s = stepCache.get(key);
    if (!s) {
        s = declaredSteps(r.api, { stack: "prod", config: { ...PROD, ...config } });
        stepCache.set(key, s);
    }
    return s;
}

describe.concurrent("the credential on Advanced", { timeout: 900_000 }, () => {
    it("is created with data:pg:credentials:create, waits out enabling, logs in; a re-run makes none", async () => {
        const r = await advancedRig({ provisioningReads: 2 });
        const s = await steps(r);
        const first = await r.run(s.credential, "create");
        expect(first.stderr).not.toMatch(/giving up|Error/);
        expect(first.code).toBe(0);
        expect(first.stdout).toBe("credential raptor_app on raxx-api-prod is active\n");
        expect(requests(r.api, "POST", CREATE).map((q) => [q.path, q.body, q.status])).toEqual([
            [`/data/postgres/v1/${ADDON_ID}/credentials`, { name: "raptor_app" }, 201],
        ]);
        const cred = r.api.credential(r.addon, "raptor_app")!;
        expect(await whoami(credentialUrl(r.addon, cred))).toEqual({
            user: "raptor_app",
            db: r.addon.db.database,
            superuser: false,
        });
        const again = await r.run(s.credential, "update");
        expect(again.stdout).toBe("credential raptor_app on raxx-api-prod is active\n");
        expect(requests(r.api, "POST", CREATE)).toHaveLength(1);
        expectNoSecretIn(r.api, first.stdout, first.stderr, again.stderr);
    });

    it("adopts an existing additional credential", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app", STORED.active);
        const res = await r.run((await steps(r)).credential, "update");
        expect(res.code).toBe(0);
        expect(res.stderr).toContain("credential raptor_app already exists on postgresql-adjacent-27271 (active)");
        expect(requests(r.api, "POST", CREATE)).toEqual([]);
    });

    it("takes a rotating credential as working", async () => {
        const r = await advancedRig({ rotationReads: 50 });
        await r.api.createCredential(r.addon, "raptor_app");
        await r.api.rotate(r.addon, "raptor_app", 50);
        const res = await r.run((await steps(r)).credential, "update");
        expect(res.code).toBe(0);
        expect(res.stdout).toBe("credential raptor_app on raxx-api-prod is rotating\n");
    });

    it("stops at once on a revoking credential", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app", STORED.revoking);
        const res = await r.run((await steps(r)).credential, "update");
        expect(res.code).toBe(1);
        expect(res.stderr).toContain("raptor: credential raptor_app on postgresql-adjacent-27271 is revoking");
        expect(res.stderr).toContain("'heroku data:pg:credentials postgresql-adjacent-27271 -a raxx-api-prod'");
        // One look before adopting, one poll: no create, no waiting.
        expect(requests(r.api, "GET", CREATE)).toHaveLength(2);
    });

    it("times out on a credential that stays enabling", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app", STORED.enabling);
        const res = await r.run((await steps(r)).credential, "update", { MAX_POLLS: "2" });
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "timed out: credential raptor_app on raxx-api-prod is still 'enabling' after 2 checks",
        );
    });

    // The owner is found by type, not name: Dev Center names it `owner`, the CLI's fixtures a generated name.
    it("refuses to adopt the owner credential, whatever it is named", async () => {
        const r = await advancedRig({ ownerCredential: "raptor_app" });
        const res = await r.run((await steps(r)).credential, "update");
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: credential raptor_app on postgresql-adjacent-27271 is the database's owner credential (type " +
                "owner): the app would run as the owner.",
        );
        expect(requests(r.api, "POST", CREATE)).toEqual([]);
    });
});

describe.concurrent("the attachment on Advanced", { timeout: 900_000 }, () => {
    const ATTACH = /^\/addon-attachments$/;

    it("attaches with data:pg:attachments:create on the leader pool; the URL logs in; delete detaches", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app");
        const s = await steps(r);
        const att = await r.run(s.attachment, "create");
        expect(att.code).toBe(0);
        expect(att.stdout).toBe("RAPTOR_APP_DATABASE attached on raxx-api-prod\n");
        expect(requests(r.api, "POST", ATTACH).map((q) => q.body)).toEqual([
            {
                addon: { name: "postgresql-adjacent-27271" },
                app: { name: APP },
                confirm: APP,
                name: "RAPTOR_APP_DATABASE",
                namespace_config: { pool: "leader", proxy: "false", role: "raptor_app" },
            },
        ]);
        expect(r.api.model.attachments.map((x) => [x.name, x.namespace])).toEqual([
            ["DATABASE", null],
            ["RAPTOR_APP_DATABASE", "role:raptor_app|proxy:false|pool:leader"],
        ]);
        expect((await whoami(r.config()[APP_URL_VAR])).user).toBe("raptor_app");
        expect((await r.run(s.attachment, "create")).stdout).toBe(
            "RAPTOR_APP_DATABASE already attached on raxx-api-prod\n",
        );
        expect(requests(r.api, "POST", ATTACH)).toHaveLength(1);
        expect((await r.run(s.attachment, "delete")).code).toBe(0);
        expect(r.api.model.attachments.map((x) => x.name)).toEqual(["DATABASE"]);
    });

    it("refuses a pool data:pg:info does not list, naming the pools, before attaching", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app");
        const res = await r.run((await steps(r, { pool: "readers" })).attachment, "create");
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: pool 'readers' (raptor:pool) is not a pool of postgresql-adjacent-27271; 'heroku data:pg:info " +
                "postgresql-adjacent-27271 -a raxx-api-prod' lists: leader",
        );
        expect(requests(r.api, "POST", ATTACH)).toEqual([]);
    });

    it("refuses a follower pool: read-only instances, and the app role writes", async () => {
        const r = await advancedRig({
            pools: [
                { name: "leader", status: "available" },
                { name: "analytics", status: "available" },
            ],
        });
        await r.api.createCredential(r.addon, "raptor_app");
        const res = await r.run((await steps(r, { pool: "analytics" })).attachment, "create");
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: pool 'analytics' (raptor:pool) is a follower pool of postgresql-adjacent-27271: its instances " +
                "are read-only followers, and raptor_app writes.",
        );
        expect(requests(r.api, "POST", ATTACH)).toEqual([]);
    });

    it("replaces the owner's attachment of that name; a delete leaves ours on another pool alone", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app");
        r.api.attach(APP, r.addon, "RAPTOR_APP_DATABASE");
        const res = await r.run((await steps(r)).attachment, "create");
        expect(res.code).toBe(0);
        expect(res.stderr).toContain("RAPTOR_APP_DATABASE on raxx-api-prod is held by other credential or database");
        expect((await whoami(r.config()[APP_URL_VAR])).user).toBe("raptor_app");
        // A later attachment on another pool (raptor:pool changed: a new attachment first) is not the old one's.
        attachAdvanced(r.api.model, APP, r.addon, "RAPTOR_APP_DATABASE", "raptor_app", "analytics");
        expect((await r.run((await steps(r)).attachment, "delete")).code).toBe(0);
        expect(r.api.model.attachments.map((x) => [x.name, x.namespace])).toEqual([
            ["DATABASE", null],
            ["RAPTOR_APP_DATABASE", "role:raptor_app|proxy:false|pool:analytics"],
        ]);
    });
});

describe.concurrent("the URLs on Advanced", { timeout: 900_000 }, () => {
    it("config-var mode reads raptor_app's URL with data:pg:credentials:url; no output carries it", async () => {
        const r = await advancedRig();
        await r.api.createCredential(r.addon, "raptor_app");
        const read = await r.run((await steps(r, { urlDelivery: "config-var" }))["credential-url"], "create");
        expect(read.code).toBe(0);
        const url = parseCredentialUrl(read.stdout);
        expect(await whoami(url)).toEqual({ user: "raptor_app", db: r.addon.db.database, superuser: false });
        expectNoSecretIn(r.api, read.stderr);
    });

    // heroku 11.10 data/pg/credentials/url.js: without --name, the credential whose type is owner.
    it("the owner URL is the type-owner credential's, named as the CLI's fixtures name it", async () => {
        const r = await advancedRig({ ownerCredential: "u2vi1nt40t3mcq" });
        const read = await runBash(r.api, READ_OWNER_URL_ADVANCED, {
            APP,
            ADDON_NAME: r.addon.name,
            FORCE_COLOR: "1",
        });
        expect(read.code).toBe(0);
        expect(read.stdout).toContain("Connection information for u2vi1nt40t3mcq credential");
        expect(await whoami(parseCredentialUrl(read.stdout))).toEqual({
            user: r.addon.credentials[0].user,
            db: r.addon.db.database,
            superuser: false,
        });
        expect(read.stderr).toBe("");
    });
});

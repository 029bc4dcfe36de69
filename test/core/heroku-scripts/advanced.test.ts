/**
 * The data:pg scripts (Heroku Postgres Advanced) under bash with the real heroku CLI 11.10 against the local
 * Heroku API's Advanced routes (test/support/heroku-api/advanced.ts): the credential through every
 * AdvancedCredentialState (active, enabling, revoking, rotating; heroku dist/lib/data/types.js), the owner
 * credential (type owner) never adopted, the attachment with its pool checked against data:pg:info's pools,
 * and the URLs read with data:pg:credentials:url. FORCE_COLOR=1 is in every script's environment. Each scenario
 * runs its scripts once (test/support/heroku-scenario.ts scenario()); the tests assert on what it recorded.
 */
import { describe, expect, it } from "vitest";
import {
    ADDON_ID,
    Rig,
    expectNoSecretIn,
    requests,
    rig,
    scenario,
    usePostgres,
    whoami,
} from "../../support/heroku-scenario";
import { credentialUrl } from "../../support/heroku-api";
import { STORED, attachAdvanced } from "../../support/heroku-api/advanced";
import { readAddons, runBash, stepsFrom } from "../../support/run-commands";
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
const ATTACH = /^\/addon-attachments$/;

const advancedRig = (opts: Parameters<typeof rig>[0] = {}) => rig({ plan: PLAN, app: APP, ...opts });

const stepCache = new Map<string, Promise<Record<Step, Recorded>>>();
let addons: Promise<string> | undefined;
/**
 * The prod stack's steps on the Advanced add-on. The add-on is read through the real CLI once for the file (every
 * rig has the same one), then the program runs once per config.
 */
function steps(r: Rig, config: Record<string, string> = {}): Promise<Record<Step, Recorded>> {
    const key = JSON.stringify(config);
    let s = stepCache.get(key);
    if (!s) {
        addons ??= readAddons(r.api, APP);
        s = addons.then((json) => stepsFrom({ stack: "prod", config: { ...PROD, ...config } }, json));
        stepCache.set(key, s);
    }
    return s;
}

/**
 * A first run that waits out enabling; then a re-run, which finds the additional credential the first made and
 * adopts it.
 */
const created = scenario(async () => {
    const r = await advancedRig({ provisioningReads: 2 });
    const s = await steps(r);
    const first = await r.run(s.credential, "create");
    const firstCreates = requests(r.api, "POST", CREATE).map((q) => [q.path, q.body, q.status]);
    const login = await whoami(credentialUrl(r.addon, r.api.credential(r.addon, "raptor_app")!));
    const mark = r.api.requests.length;
    const again = await r.run(s.credential, "update");
    const againCreates = r.api.requests.slice(mark).filter((q) => q.method === "POST" && CREATE.test(q.path));
    return { r, first, firstCreates, login, again, againCreates, creates: requests(r.api, "POST", CREATE).length };
});

const rotating = scenario(async () => {
    const r = await advancedRig({ rotationReads: 50 });
    await r.api.createCredential(r.addon, "raptor_app");
    await r.api.rotate(r.addon, "raptor_app", 50);
    return r.run((await steps(r)).credential, "update");
});

const revoking = scenario(async () => {
    const r = await advancedRig();
    await r.api.createCredential(r.addon, "raptor_app", STORED.revoking);
    const res = await r.run((await steps(r)).credential, "update");
    return { res, lists: requests(r.api, "GET", CREATE) };
});

const enabling = scenario(async () => {
    const r = await advancedRig();
    await r.api.createCredential(r.addon, "raptor_app", STORED.enabling);
    return r.run((await steps(r)).credential, "update", { MAX_POLLS: "2" });
});

// The owner is found by type, not name: Dev Center names it `owner`, the CLI's fixtures a generated name.
const ownerNamed = scenario(async () => {
    const r = await advancedRig({ ownerCredential: "raptor_app" });
    const res = await r.run((await steps(r)).credential, "update");
    return { res, creates: requests(r.api, "POST", CREATE) };
});

describe("the credential on Advanced", { timeout: 900_000 }, () => {
    it("is created with data:pg:credentials:create, waits out enabling, logs in; a re-run makes none", async () => {
        const { r, first, firstCreates, login, again, creates } = await created();
        expect(first.stderr).not.toMatch(/giving up|Error/);
        expect(first.code).toBe(0);
        expect(first.stdout).toBe("credential raptor_app on raxx-api-prod is active\n");
        expect(firstCreates).toEqual([[`/data/postgres/v1/${ADDON_ID}/credentials`, { name: "raptor_app" }, 201]]);
        expect(login).toEqual({ user: "raptor_app", db: r.addon.db.database, superuser: false });
        expect(again.stdout).toBe("credential raptor_app on raxx-api-prod is active\n");
        expect(creates).toBe(1);
        expectNoSecretIn(r.api, first.stdout, first.stderr, again.stderr);
    });

    it("adopts an existing additional credential", async () => {
        const { again: res, againCreates } = await created();
        expect(res.code).toBe(0);
        expect(res.stderr).toContain("credential raptor_app already exists on postgresql-adjacent-27271 (active)");
        expect(againCreates).toEqual([]);
    });

    it("takes a rotating credential as working", async () => {
        const res = await rotating();
        expect(res.code).toBe(0);
        expect(res.stdout).toBe("credential raptor_app on raxx-api-prod is rotating\n");
    });

    it("stops at once on a revoking credential", async () => {
        const { res, lists } = await revoking();
        expect(res.code).toBe(1);
        expect(res.stderr).toContain("raptor: credential raptor_app on postgresql-adjacent-27271 is revoking");
        expect(res.stderr).toContain("'heroku data:pg:credentials postgresql-adjacent-27271 -a raxx-api-prod'");
        // One look before adopting, one poll: no create, no waiting.
        expect(lists).toHaveLength(2);
    });

    it("times out on a credential that stays enabling", async () => {
        const res = await enabling();
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "timed out: credential raptor_app on raxx-api-prod is still 'enabling' after 2 checks",
        );
    });

    it("refuses to adopt the owner credential, whatever it is named", async () => {
        const { res, creates } = await ownerNamed();
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: credential raptor_app on postgresql-adjacent-27271 is the database's owner credential (type " +
                "owner): the app would run as the owner.",
        );
        expect(creates).toEqual([]);
    });
});

/**
 * On one rig, each step starting where the last left it: a pool data:pg:info does not list is refused (nothing
 * changes); the leader pool attached, attached again, detached.
 */
const leader = scenario(async () => {
    const r = await advancedRig();
    await r.api.createCredential(r.addon, "raptor_app");
    const readers = await r.run((await steps(r, { pool: "readers" })).attachment, "create");
    const readersAttaches = requests(r.api, "POST", ATTACH);
    const s = await steps(r);
    const att = await r.run(s.attachment, "create");
    const attaches = requests(r.api, "POST", ATTACH).map((q) => q.body);
    const attachments = r.api.model.attachments.map((x) => [x.name, x.namespace]);
    const login = await whoami(r.config()[APP_URL_VAR]);
    const again = await r.run(s.attachment, "create");
    const attachesAfterAgain = requests(r.api, "POST", ATTACH).length;
    const deleted = await r.run(s.attachment, "delete");
    return {
        readers,
        readersAttaches,
        att,
        attaches,
        attachments,
        login,
        again,
        attachesAfterAgain,
        deleted,
        afterDelete: r.api.model.attachments.map((x) => x.name),
    };
});

const follower = scenario(async () => {
    const r = await advancedRig({
        pools: [
            { name: "leader", status: "available" },
            { name: "analytics", status: "available" },
        ],
    });
    await r.api.createCredential(r.addon, "raptor_app");
    const res = await r.run((await steps(r, { pool: "analytics" })).attachment, "create");
    return { res, attaches: requests(r.api, "POST", ATTACH) };
});

/**
 * The owner's attachment of that name replaced; a later attachment on another pool left alone by the delete; and,
 * on the same rig, raptor_app's URL read for config-var delivery.
 */
const replaced = scenario(async () => {
    const r = await advancedRig();
    await r.api.createCredential(r.addon, "raptor_app");
    r.api.attach(APP, r.addon, "RAPTOR_APP_DATABASE");
    const res = await r.run((await steps(r)).attachment, "create");
    const login = await whoami(r.config()[APP_URL_VAR]);
    // A later attachment on another pool (raptor:pool changed: a new attachment first) is not the old one's.
    attachAdvanced(r.api.model, APP, r.addon, "RAPTOR_APP_DATABASE", "raptor_app", "analytics");
    const deleted = await r.run((await steps(r)).attachment, "delete");
    const attachments = r.api.model.attachments.map((x) => [x.name, x.namespace]);
    const read = await r.run((await steps(r, { urlDelivery: "config-var" }))["credential-url"], "create");
    const url = read.code === 0 ? parseCredentialUrl(read.stdout) : "";
    return { r, res, login, deleted, attachments, read, urlLogin: url ? await whoami(url) : undefined };
});

describe("the attachment on Advanced", { timeout: 900_000 }, () => {
    it("attaches with data:pg:attachments:create on the leader pool; the URL logs in; delete detaches", async () => {
        const { att, attaches, attachments, login, again, attachesAfterAgain, deleted, afterDelete } = await leader();
        expect(att.code).toBe(0);
        expect(att.stdout).toBe("RAPTOR_APP_DATABASE attached on raxx-api-prod\n");
        expect(attaches).toEqual([
            {
                addon: { name: "postgresql-adjacent-27271" },
                app: { name: APP },
                confirm: APP,
                name: "RAPTOR_APP_DATABASE",
                namespace_config: { pool: "leader", proxy: "false", role: "raptor_app" },
            },
        ]);
        expect(attachments).toEqual([
            ["DATABASE", null],
            ["RAPTOR_APP_DATABASE", "role:raptor_app|proxy:false|pool:leader"],
        ]);
        expect(login.user).toBe("raptor_app");
        expect(again.stdout).toBe("RAPTOR_APP_DATABASE already attached on raxx-api-prod\n");
        expect(attachesAfterAgain).toBe(1);
        expect(deleted.code).toBe(0);
        expect(afterDelete).toEqual(["DATABASE"]);
    });

    it("refuses a pool data:pg:info does not list, naming the pools, before attaching", async () => {
        const { readers: res, readersAttaches } = await leader();
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: pool 'readers' (raptor:pool) is not a pool of postgresql-adjacent-27271; 'heroku data:pg:info " +
                "postgresql-adjacent-27271 -a raxx-api-prod' lists: leader",
        );
        expect(readersAttaches).toEqual([]);
    });

    it("refuses a follower pool: read-only instances, and the app role writes", async () => {
        const { res, attaches } = await follower();
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(
            "raptor: pool 'analytics' (raptor:pool) is a follower pool of postgresql-adjacent-27271: its instances " +
                "are read-only followers, and raptor_app writes.",
        );
        expect(attaches).toEqual([]);
    });

    it("replaces the owner's attachment of that name; a delete leaves ours on another pool alone", async () => {
        const { res, login, deleted, attachments } = await replaced();
        expect(res.code).toBe(0);
        expect(res.stderr).toContain("RAPTOR_APP_DATABASE on raxx-api-prod is held by other credential or database");
        expect(login.user).toBe("raptor_app");
        expect(deleted.code).toBe(0);
        expect(attachments).toEqual([
            ["DATABASE", null],
            ["RAPTOR_APP_DATABASE", "role:raptor_app|proxy:false|pool:analytics"],
        ]);
    });
});

// heroku 11.10 data/pg/credentials/url.js: without --name, the credential whose type is owner.
const ownerUrl = scenario(async () => {
    const r = await advancedRig({ ownerCredential: "u2vi1nt40t3mcq" });
    const read = await runBash(r.api, READ_OWNER_URL_ADVANCED, { APP, ADDON_NAME: r.addon.name, FORCE_COLOR: "1" });
    return { r, read, login: read.code === 0 ? await whoami(parseCredentialUrl(read.stdout)) : undefined };
});

describe("the URLs on Advanced", { timeout: 900_000 }, () => {
    it("config-var mode reads raptor_app's URL with data:pg:credentials:url; no output carries it", async () => {
        const { r, read, urlLogin } = await replaced();
        expect(read.code).toBe(0);
        expect(urlLogin).toEqual({ user: "raptor_app", db: r.addon.db.database, superuser: false });
        expectNoSecretIn(r.api, read.stderr);
    });

    it("the owner URL is the type-owner credential's, named as the CLI's fixtures name it", async () => {
        const { r, read, login } = await ownerUrl();
        expect(read.code).toBe(0);
        expect(read.stdout).toContain("Connection information for u2vi1nt40t3mcq credential");
        expect(login).toEqual({ user: r.addon.credentials[0].user, db: r.addon.db.database, superuser: false });
        expect(read.stderr).toBe("");
    });
});

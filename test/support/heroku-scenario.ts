/**
 * Shared set-up for the tests that run the program's scripts with the real `heroku` CLI against the local
 * Heroku API: a PostgreSQL server of the file's own (roles are cluster-wide; raptor_app must be the rig's),
 * rigs with an app and a Standard-0 add-on attached as DATABASE, scenarios that run a file's scripts once and
 * record what they did, and the checks every test needs.
 */
import { afterAll, beforeAll, expect } from "vitest";
import { Recorded } from "./mocks";
import { PgServer, startPostgres } from "./pg-server";
import { withClient } from "./pg-client";
import { Addon, HerokuApi, HerokuApiOptions, PostgresAddonOptions, RealPostgres, startHerokuApi } from "./heroku-api";
import { Phase, ScriptResult, readAddons, runPhase, stepsFrom } from "./run-commands";
import { Step } from "../../core/resources";
import { APP_URL_VAR, FLAG_VAR } from "../../core/settings";

export const APP = "raxx-api-staging";
export const ADDON = "postgresql-adjacent-27271";
/** Every rig's add-on has this id, so the program's steps, read once per file through the CLI, fit every rig. */
export const ADDON_ID = "5d3f0a52-7b1e-4c39-9a51-27271aabb001";

let server: PgServer | undefined;
let shared: RealPostgres | undefined;
/** Rigs of this file, stopped after it: onTestFinished would not do, tests run concurrently. */
const rigs: HerokuApi[] = [];
/** Every scenario this file started, settled before its rigs stop (a test filter may leave one unread). */
const started: Promise<unknown>[] = [];

/** Call once at the top of a test file: one PostgreSQL for the file, stopped after it. */
export function usePostgres(): void {
    beforeAll(async () => {
        server = await startPostgres();
        shared = new RealPostgres({ port: server.port, user: server.superuser, password: server.password });
    });
    afterAll(async () => {
        await Promise.allSettled(started);
        // What this file costs: a CLI call that reached the API (through the CLI host, or a process of its own).
        const calls = rigs.reduce((n, r) => n + r.requests.filter((q) => q.firstOfProcess).length, 0);
        console.info(`heroku CLI calls that reached the API in this file: ${calls}`);
        await Promise.all(rigs.map((r) => r.stop()));
        await shared?.cleanup([]);
        await server?.stop();
    });
}

/**
 * How many scenarios of a file run at once. Each mostly waits on CLI calls (the file's CLI host runs one command at a
 * time) and on PostgreSQL; more at once only queues them, and fewer leaves a core idle while one waits on the API.
 */
const SIDE_BY_SIDE = 4;
let running = 0;
const queue: (() => void)[] = [];

async function slot<T>(run: () => Promise<T>): Promise<T> {
    if (running >= SIDE_BY_SIDE) {
        await new Promise<void>((go) => queue.push(go));
    } else {
        running++;
    }
    try {
        return await run();
    } finally {
        const next = queue.shift();
        if (next) {
            next(); // the slot passes on as it is
        } else {
            running--;
        }
    }
}

/**
 * A scenario: scripts run once for the file and what they did recorded, for several tests to assert on. Call it
 * at the top of a file, after usePostgres(): every scenario starts in the file's beforeAll, side by side
 * (SIDE_BY_SIDE at a time), and a test awaits the one it reads. A file costs what its scenarios run, however many
 * tests read them. A scenario that throws fails the tests that read it.
 */
export function scenario<T>(run: () => Promise<T>): () => Promise<T> {
    let result: Promise<T> | undefined;
    beforeAll(() => {
        result = slot(run);
        // Read by the tests; settled in afterAll. Without a handler here a failure would also be reported as an
        // unhandled rejection before its tests get to it.
        started.push(result.catch(() => undefined));
    });
    return () => {
        if (!result) {
            throw new Error("a scenario is read before the file's beforeAll ran");
        }
        return result;
    };
}

export interface Rig {
    api: HerokuApi;
    addon: Addon;
    /** Runs one phase of a step with FORCE_COLOR=1 in the environment, as CI often has it. */
    run(step: Recorded, phase: Phase, env?: Record<string, string>): Promise<ScriptResult>;
    steps(config?: Record<string, string>): Promise<Record<Step, Recorded>>;
    config(): Record<string, string>;
}

/**
 * A rig with APP (or `app`) and its Standard-0 add-on ADDON (plan, and an Advanced plan's owner credential and
 * pools, overridable), stopped when the file ends.
 */
export async function rig(
    opts: Partial<HerokuApiOptions> &
        Pick<PostgresAddonOptions, "plan" | "ownerCredential" | "pools"> & {
            app?: string;
        } = {},
): Promise<Rig> {
    if (!shared) {
        throw new Error("call usePostgres() in the test file first");
    }
    const api = await startHerokuApi({ ...opts, postgres: shared });
    rigs.push(api);
    const app = opts.app ?? APP;
    api.createApp(app);
    const addon = await api.createPostgresAddon({
        app,
        name: ADDON,
        id: ADDON_ID,
        plan: opts.plan,
        ownerCredential: opts.ownerCredential,
        pools: opts.pools,
    });
    return {
        api,
        addon,
        run: (step, phase, env = {}) => runPhase(api, step, phase, { FORCE_COLOR: "1", ...env }),
        steps: (config = {}) => stepsFor(api, config),
        config: () => api.config(app),
    };
}

const stepCache = new Map<string, Promise<Record<Step, Recorded>>>();
const addonsCache = new Map<string, Promise<string>>();

/**
 * The program's steps for a config. The add-on is read through the real CLI (the READ_ADDONS invoke) once per file
 * and app, whatever the config: every rig of a file has the same add-on, and the config changes what the program
 * does with it, not what Heroku says.
 */
export function stepsFor(api: HerokuApi, config: Record<string, string>): Promise<Record<Step, Recorded>> {
    const key = JSON.stringify(config);
    let steps = stepCache.get(key);
    if (!steps) {
        const app = config.app ?? APP;
        let addons = addonsCache.get(app);
        if (!addons) {
            addons = readAddons(api, app);
            addonsCache.set(app, addons);
        }
        steps = addons.then((json) => stepsFrom({ stack: "staging", config: { app: APP, ...config } }, json));
        stepCache.set(key, steps);
    }
    return steps;
}

/** Every password the rig knows: no script output may carry one. */
export function expectNoSecretIn(api: HerokuApi, ...texts: string[]): void {
    const secrets = api.model.addons.flatMap((a) =>
        a.credentials.flatMap((c) => [c.password, c.previous?.password ?? ""]),
    );
    for (const secret of secrets.filter((s) => s !== "")) {
        for (const t of texts) {
            expect(t.includes(secret), "a password leaked").toBe(false);
        }
    }
}

/** From the config-var history so far: the releases with the flag at 1 and no app URL var, as "vN description". */
export function urlGapsWhileFlagOn(api: HerokuApi): string[] {
    return api
        .configHistory(APP)
        .filter((r) => r.config[FLAG_VAR] === "1" && !r.config[APP_URL_VAR])
        .map((r) => `v${r.version} ${r.description}`);
}

/** From the config-var history: no release has the flag at 1 without the app's URL var. */
export function expectUrlWhileFlagOn(api: HerokuApi): void {
    expect(urlGapsWhileFlagOn(api)).toEqual([]);
}

/** Connects with `url` (no SSL: the test server has none) and says who it is and where. */
export async function whoami(url: string): Promise<{ user: string; db: string; superuser: boolean }> {
    return withClient({ connectionString: url, ssl: false }, async (c) => {
        const r = await c.query(
            "SELECT current_user AS user, current_database() AS db, usesuper FROM pg_user WHERE usename = current_user",
        );
        return { user: r.rows[0].user as string, db: r.rows[0].db as string, superuser: r.rows[0].usesuper as boolean };
    });
}

/** Requests whose method and path match, e.g. requests(api, "POST", /\/credentials$/). */
export function requests(api: HerokuApi, method: string, path: RegExp) {
    return api.requests.filter((r) => r.method === method && path.test(r.path));
}

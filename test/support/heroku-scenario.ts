/**
 * Shared set-up for the tests that run the program's scripts with the real `heroku` CLI against the local
 * Heroku API: a PostgreSQL server of the file's own (roles are cluster-wide; raptor_app must be the rig's),
 * one rig per test with an app and a Standard-0 add-on attached as DATABASE, and the checks every test needs.
 */
import { afterAll, beforeAll, expect } from "vitest";
import { Recorded } from "./mocks";
import { PgServer, startPostgres } from "./pg-server";
import { withClient } from "./pg-client";
import { Addon, HerokuApi, HerokuApiOptions, PostgresAddonOptions, RealPostgres, startHerokuApi } from "./heroku-api";
import { Phase, ScriptResult, declaredSteps, runPhase } from "./run-commands";
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

/** Call once at the top of a test file: one PostgreSQL for the file, stopped after it. */
export function usePostgres(): void {
    beforeAll(async () => {
        server = await startPostgres();
        shared = new RealPostgres({ port: server.port, user: server.superuser, password: server.password });
    });
    afterAll(async () => {
        // What this file costs: the CLI takes about a CPU-second a call (node start-up and oclif's hooks).
        const calls = rigs.reduce((n, r) => n + r.requests.filter((q) => q.firstOfProcess).length, 0);
        console.info(`heroku CLI processes that called the API in this file: ${calls}`);
        await Promise.all(rigs.map((r) => r.stop()));
        await shared?.cleanup([]);
        await server?.stop();
    });
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

/**
 * The program's steps for a config. The add-on is read through the real CLI (the READ_ADDONS invoke) the
 * first time; the CLI costs seconds a call on this machine, and every rig of a file has the same add-on.
 */
export function stepsFor(api: HerokuApi, config: Record<string, string>): Promise<Record<Step, Recorded>> {
    const key = JSON.stringify(config);
    let steps = stepCache.get(key);
    if (!steps) {
        steps = declaredSteps(api, { stack: "staging", config: { app: APP, ...config } });
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

/** From the config-var history: no release has the flag at 1 without the app's URL var. */
export function expectUrlWhileFlagOn(api: HerokuApi): void {
    const gaps = api.configHistory(APP).filter((r) => r.config[FLAG_VAR] === "1" && !r.config[APP_URL_VAR]);
    expect(gaps.map((r) => `v${r.version} ${r.description}`)).toEqual([]);
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

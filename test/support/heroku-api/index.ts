/**
 * A local Heroku API for running the REAL `heroku` CLI (npm `heroku`, pinned in devDependencies) against.
 *
 * Interface (kept stable; other test suites, e.g. the real `pulumi up` scenario, use it):
 *
 *   const api = await startHerokuApi({ postgres: { port, user, password } });   // a superuser of a real PostgreSQL
 *   const app = api.createApp("raxx-api-staging");
 *   const db = await api.createPostgresAddon({ app: "raxx-api-staging" });      // Standard-0, attached as DATABASE
 *   spawn("bash", ["-c", "heroku addons -a raxx-api-staging --json"], { env: { ...api.env, ...yours } });
 *   api.requests            // every request: method, path, api (platform|data), body, status, fault
 *   api.configHistory(app)  // the app's whole config after every release, oldest first
 *   api.inject({ method: "POST", path: /\/credentials$/, kind: "lost-response" });
 *   const base = await api.runApp("raxx-api-staging");  // the stand-in Raptor app as web.1 (logs.ts, dynos.ts)
 *   api.logs.add(app, "app", "web.1", "text");  // a line on the app's log (`heroku logs`)
 *   await api.stop();       // stops the app processes, closes the listeners, drops the databases and roles it made
 *
 * `api.env` is process.env plus: PATH with the CLI host's shim and node_modules/.bin first (the real CLI, loaded
 * once per test file: test/support/heroku-cli-host; RAPTOR_HEROKU_CLI=process for a process a call),
 * RAPTOR_HEROKU_CLI_HOST (the host's socket), HEROKU_HOST=http://127.0.0.1:PORT,
 * HEROKU_DATA_HOST=127.0.0.1 (the CLI keeps HEROKU_HOST's protocol and port for the data API and swaps in only
 * this host name; a `host:port` value fails with ENOTFOUND), HEROKU_API_KEY (the key the API accepts),
 * DISABLE_TELEMETRY=true (seconds a call), HEROKU_SKIP_NEW_VERSION_CHECK, HEROKU_DISABLE_AUTOUPDATE (else the
 * first call leaves a detached `heroku update` running), a scratch HOME (the CLI writes a cache there); FORCE_COLOR,
 * HEROKU_APP and the machine's SSL_CERT_* (warnings on every call) are removed.
 *
 * The add-on's database is a real one on that server, owned by a NOT-superuser owner whose URL is the
 * default credential: DATABASE_URL connects. `pg:credentials:create` makes a LOGIN role with a password, so
 * RAPTOR_APP_DATABASE_URL connects too. URLs carry no `sslmode` (as Heroku's do); the test server has no SSL,
 * so a client must not require it. Run the CLI asynchronously (spawn, not spawnSync): the API answers from this
 * process. Roles are cluster-wide: give each rig role names no other test on the same server uses, or share
 * one `RealPostgres` between rigs of one file (`postgres: sharedRealPostgres`), which reuses a role it made.
 *
 * What only real Heroku shows is listed in docs/proven.md ("What only real Heroku can prove"): the API's exact
 * error wording where marked ASSUMED, timings of provisioning and rotation, restarts, and how far the
 * Advanced-tier `/data/postgres/v1` API (advanced.ts, modelled from the CLI's source) matches the real one.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { Addon, App, Credential, Model, Release, credentialUrl } from "./model";
import { Fault, LoggedRequest, listen } from "./http";
import { PlatformOptions, attachHandler, platformRoutes } from "./platform";
import { DataOptions, dataRoutes, rotate } from "./data";
import { advancedRoutes, isAdvancedPlan } from "./advanced";
import { PostgresSuperuser, RealPostgres } from "./postgres";
import { LogSession, LogStore, logRoutes, startLogplex } from "./logs";
import { DynoManager, ProcessSpec, RAPTOR_APP, dynoRoutes } from "./dynos";
import { CliHost, SHIM_DIR, acquireCliHost, hostEnabled } from "../heroku-cli-host";

export { RealPostgres, credentialUrl };
export type { Addon, App, Credential, Fault, LoggedRequest, PostgresSuperuser, ProcessSpec, Release };
export { LogStore, RAPTOR_APP };

export interface HerokuApiOptions extends Partial<PlatformOptions>, Partial<DataOptions> {
    /** A real PostgreSQL: a superuser's coordinates, or a RealPostgres shared with other rigs. */
    postgres: PostgresSuperuser | RealPostgres;
    /** The key the API accepts. Default: random. */
    apiKey?: string;
    /** Run the CLI through the file's CLI host (test/support/heroku-cli-host). Default: RAPTOR_HEROKU_CLI!=process. */
    cliHost?: boolean;
}

export interface PostgresAddonOptions {
    /** The app that owns it. */
    app: string;
    /** Default heroku-postgresql:standard-0. */
    plan?: string;
    /** Globally unique add-on name. Default postgresql-<word>-<number>. */
    name?: string;
    /** The add-on's id. Default: a random UUID. */
    id?: string;
    /** Attachment name on the app. Default DATABASE (sets DATABASE_URL). null: not attached. */
    attachAs?: string | null;
    /**
     * Advanced plans only: the owner credential's name (type `owner`). Default `owner` (Dev Center); the CLI's
     * fixtures give it a generated name.
     */
    ownerCredential?: string;
    /** Advanced plans only: the instance pools /info lists. Default one available `leader` pool. */
    pools?: Addon["pools"];
}

export interface HerokuApi {
    readonly url: string;
    readonly port: number;
    readonly apiKey: string;
    /** Environment for the CLI (see the top of this file). */
    readonly env: NodeJS.ProcessEnv;
    /** Every request so far, in order. */
    readonly requests: readonly LoggedRequest[];
    readonly model: Model;
    readonly postgres: RealPostgres;
    createApp(name: string): App;
    /** A provisioned add-on with its own real database and owner (its default credential). */
    createPostgresAddon(opts: PostgresAddonOptions): Promise<Addon>;
    /** Attaches an add-on's credential to an app, as `addons:attach` does (no request logged). */
    attach(app: string, addon: Addon, as: string, credential?: string): void;
    /** `pg:promote`: the add-on takes the DATABASE attachment (DATABASE_URL) of the app. */
    promote(app: string, addon: Addon): void;
    /** Creates a credential directly (no request logged), already active unless `state` says otherwise. */
    createCredential(addon: Addon, name: string, state?: Credential["state"]): Promise<Credential>;
    /** Starts a rotation of a credential: new password now, `rotating` for `reads` reads. */
    rotate(addon: Addon, name: string, reads: number): Promise<void>;
    credential(addon: Addon, name: string): Credential | undefined;
    /** The app's config as Heroku serves it now. */
    config(app: string): Record<string, string>;
    configHistory(app: string): Release[];
    inject(fault: Fault): void;
    /** Every app's log buffer (`heroku logs`). */
    readonly logs: LogStore;
    readonly dynos: DynoManager;
    /** Ends every open log stream cleanly (a tailing `heroku logs` reconnects). */
    endLogStreams(): void;
    /** Resets every open log stream's connection (`heroku logs --tail` exits 1). */
    dropLogStreams(): void;
    /** Resolves once a tailing log stream is open (at once if one is): when to end or drop it. */
    logStreamOpen(): Promise<void>;
    /** Runs a process (default: the stand-in Raptor app) as the app's web.1; resolves to its base URL. */
    runApp(app: string, spec?: ProcessSpec): Promise<string>;
    stop(): Promise<void>;
}

const WORDS = ["adjacent", "curved", "fluffy", "rigid", "shallow", "silent"];
const randomWord = (): string => WORDS[randomBytes(1)[0] % WORDS.length];

export async function startHerokuApi(opts: HerokuApiOptions): Promise<HerokuApi> {
    const model = new Model();
    const pg = opts.postgres instanceof RealPostgres ? opts.postgres : new RealPostgres(opts.postgres);
    const ownsPg = !(opts.postgres instanceof RealPostgres);
    const apiKey = opts.apiKey ?? `rig-${randomBytes(12).toString("hex")}`;
    const dataOpts: DataOptions = {
        provisioningReads: opts.provisioningReads ?? 1,
        rotationReads: opts.rotationReads ?? 1,
    };
    const platformOpts: PlatformOptions = { plainVarOnAttach: opts.plainVarOnAttach ?? "refuse" };
    const logs = new LogStore();
    const sessions = new Map<string, LogSession>();
    const logplex = await startLogplex(logs, sessions);
    const dynos = new DynoManager(model, logs);
    const routes = [
        ...logRoutes(model, sessions, () => logplex.url),
        ...dynoRoutes(model, dynos),
        ...dataRoutes(model, pg, dataOpts),
        // First: its POST /addon-attachments takes data:pg:attachments:create's namespace_config, then the platform's.
        ...advancedRoutes(model, pg, dataOpts, attachHandler(model, platformOpts)),
        ...platformRoutes(model, platformOpts),
    ];
    const listener = await listen(routes, apiKey);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "heroku-rig-home-"));
    const databases: string[] = [];
    const cliHost: CliHost | undefined = (opts.cliHost ?? hostEnabled()) ? await acquireCliHost() : undefined;
    const bins = [...(cliHost ? [SHIM_DIR] : []), path.resolve(__dirname, "../../../node_modules/.bin")];
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [...bins, process.env.PATH ?? ""].join(path.delimiter),
        ...(cliHost ? { RAPTOR_HEROKU_CLI_HOST: cliHost.socket } : {}),
        HEROKU_HOST: `http://127.0.0.1:${listener.port}`,
        HEROKU_DATA_HOST: "127.0.0.1",
        HEROKU_API_KEY: apiKey,
        DISABLE_TELEMETRY: "true",
        HEROKU_SKIP_NEW_VERSION_CHECK: "true",
        // Otherwise the first call spawns a detached `heroku update --autoupdate` that outlives the test.
        HEROKU_DISABLE_AUTOUPDATE: "true",
        HEROKU_SKIP_ANALYTICS: "1",
        HOME: home,
        XDG_CACHE_HOME: path.join(home, ".cache"),
        XDG_CONFIG_HOME: path.join(home, ".config"),
        XDG_DATA_HOME: path.join(home, ".local", "share"),
    };
    // The CLI warns once per cache dir that its terms of service changed; this HOME has seen it.
    fs.mkdirSync(path.join(home, ".cache", "heroku"), { recursive: true });
    fs.writeFileSync(path.join(home, ".cache", "heroku", "terms-of-service"), "");
    // Every command's init hook makes git use `heroku git:credentials` for the API host, writing ~/.gitconfig
    // (an extra `git config` write on a fresh HOME): it is already set here.
    fs.writeFileSync(
        path.join(home, ".gitconfig"),
        `[credential "https://127.0.0.1:${listener.port}"]\n\thelper = !heroku git:credentials\n`,
    );
    for (const k of ["FORCE_COLOR", "HEROKU_APP", "SSL_CERT_FILE", "SSL_CERT_DIR", "HEROKU_HEADERS"]) {
        delete env[k];
    }
    const appOrThrow = (name: string) => {
        const a = model.app(name);
        if (!a) {
            throw new Error(`rig: no app ${name}; createApp it first`);
        }
        return a;
    };

    const api: HerokuApi = {
        url: env.HEROKU_HOST as string,
        port: listener.port,
        apiKey,
        env,
        requests: listener.log,
        model,
        postgres: pg,
        createApp: (name) => model.addApp(name),
        async createPostgresAddon(o) {
            const app = appOrThrow(o.app);
            const db = await pg.createDatabase();
            databases.push(db.database);
            const plan = o.plan ?? "heroku-postgresql:standard-0";
            const advanced = isAdvancedPlan(plan);
            const addon: Addon = {
                id: o.id ?? randomUUID(),
                name: o.name ?? `postgresql-${randomWord()}-${10000 + (randomBytes(2).readUInt16BE() % 90000)}`,
                appId: app.id,
                plan,
                planId: randomUUID(),
                serviceId: "6c67493d-8fc2-4cd4-9161-4f1ec11cbe69",
                state: "provisioned",
                db: { host: pg.host, port: pg.port, database: db.database },
                credentials: [
                    {
                        name: advanced ? (o.ownerCredential ?? "owner") : "default",
                        ...(advanced ? { type: "owner" as const } : {}),
                        user: db.owner,
                        password: db.password,
                        state: "active",
                        readsLeft: 0,
                    },
                ],
                createdAt: new Date().toISOString(),
                ...(advanced ? { pools: o.pools ?? [{ name: "leader", status: "available" }] } : {}),
            };
            model.addons.push(addon);
            if (o.attachAs !== null) {
                api.attach(o.app, addon, o.attachAs ?? "DATABASE");
            }
            return addon;
        },
        attach(appName, addon, as, credential) {
            const app = appOrThrow(appName);
            const taken = model.attachmentsOf(app).find((x) => x.name === as);
            if (taken) {
                model.detach(taken);
            }
            model.attach(app, addon, as, credential && credential !== "default" ? `credential:${credential}` : null);
            model.release(app, `Attach ${as} (@ref:${addon.name})`);
        },
        promote(appName, addon) {
            api.attach(appName, addon, "DATABASE");
        },
        async createCredential(addon, name, state = "active") {
            const password = await pg.createRole(name);
            const c: Credential = {
                name,
                user: name,
                password,
                state,
                readsLeft: state === "active" ? 0 : Number.MAX_SAFE_INTEGER,
            };
            addon.credentials.push(c);
            return c;
        },
        async rotate(addon, name, reads) {
            const c = addon.credentials.find((x) => x.name === name);
            if (!c) {
                throw new Error(`rig: ${addon.name} has no credential ${name}`);
            }
            await rotate(pg, c, reads);
        },
        credential: (addon, name) => addon.credentials.find((c) => c.name === name),
        config: (name) => model.configOf(appOrThrow(name)),
        configHistory: (name) => appOrThrow(name).releases,
        inject: (fault) => void listener.faults.push({ ...fault }),
        logs,
        dynos,
        endLogStreams: () => logplex.endStreams(),
        dropLogStreams: () => logplex.dropStreams(),
        logStreamOpen: () => logplex.streamOpen(),
        runApp: (name, spec = RAPTOR_APP) => dynos.run(appOrThrow(name), spec),
        async stop() {
            await dynos.stopAll();
            await logplex.close();
            await listener.close();
            if (ownsPg) {
                await pg.cleanup(databases);
            } else {
                await pg.dropDatabases(databases);
            }
            fs.rmSync(home, { recursive: true, force: true });
            await cliHost?.release();
        },
    };
    return api;
}

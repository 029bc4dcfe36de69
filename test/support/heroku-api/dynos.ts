/**
 * The dyno manager of the rig: one `web.1` process per app that runs one (the stand-in Raptor app,
 * test/support/raptor-app/), started with the app's config vars and restarted on every release, as Heroku
 * restarts dynos on a config change (devcenter "Configuration and Config Vars": setting a var restarts the
 * app), and on `heroku restart`.
 *
 * `heroku restart` is a hidden alias of `ps:restart` (heroku/cli 11.10 dist/commands/ps/restart.js): it sends
 * `DELETE /apps/{app}/dynos` (all), `/dynos/{name}` (--dyno-name) or `/formations/{type}` (--process-type), with
 * `Accept: ...version=3.sdk` (Platform API reference: "Dyno Restart all", "Dyno Restart", "Formation"), and
 * prints `Restarting all dynos on APP... done`. The platform's own lines go to the log as Heroku writes them
 * (`heroku[web.1]: State changed from up to starting`, `Stopping all processes with SIGTERM`, ...).
 *
 * Every process is killed by `stopAll` (the rig's stop) and, if the test process dies first, by its exit hook.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { App, Model } from "./model";
import { Route, notFound } from "./http";
import { LogStore } from "./logs";

export interface ProcessSpec {
    /** argv of the process; the app's config vars and PORT are its environment. */
    readonly argv: readonly string[];
    /** Extra environment (e.g. the workload's tick), under the config vars. */
    readonly env?: Readonly<Record<string, string>>;
}

/** The stand-in Raptor app: node with tsx's loader on test/support/raptor-app/app.ts. */
export const RAPTOR_APP: ProcessSpec = {
    argv: [process.execPath, "--import", "tsx", path.resolve(__dirname, "../raptor-app/app.ts")],
};

interface Dyno {
    app: App;
    spec: ProcessSpec;
    port: number;
    child?: ChildProcess;
    /** Restarts run one after another, in order. */
    queue: Promise<void>;
    starts: number;
}

const live = new Set<ChildProcess>();
process.once("exit", () => live.forEach((c) => c.kill("SIGKILL")));

async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
}

export class DynoManager {
    private readonly dynos = new Map<string, Dyno>();

    constructor(
        private readonly model: Model,
        private readonly logs: LogStore,
    ) {
        model.onRelease.push((app, r) => {
            if (this.dynos.has(app.id)) {
                this.logs.add(app, "heroku", "api", `Release v${r.version} created by user rig@example.com`);
                void this.restart(app, "a config change");
            }
        });
    }

    /** Runs `spec` as the app's web.1 from now on; resolves when it has started. Returns its base URL. */
    async run(app: App, spec: ProcessSpec): Promise<string> {
        const d: Dyno = { app, spec, port: await freePort(), queue: Promise.resolve(), starts: 0 };
        this.dynos.set(app.id, d);
        await this.enqueue(d, () => this.start(d));
        return `http://127.0.0.1:${d.port}`;
    }

    /** How many times the app's process has been started. */
    starts(app: App): number {
        return this.dynos.get(app.id)?.starts ?? 0;
    }

    /** Waits for every restart asked for so far. */
    async settled(app: App): Promise<void> {
        await this.dynos.get(app.id)?.queue;
    }

    restart(app: App, why: string): Promise<void> {
        const d = this.dynos.get(app.id);
        if (!d) {
            this.logs.add(app, "heroku", "web.1", `Restarting (${why}): no dynos are running`);
            return Promise.resolve();
        }
        return this.enqueue(d, async () => {
            this.logs.add(app, "heroku", "web.1", "Restarting");
            this.logs.add(app, "heroku", "web.1", "State changed from up to starting");
            await this.stop(d);
            await this.start(d);
        });
    }

    async stopAll(): Promise<void> {
        await Promise.all(
            [...this.dynos.values()].map((d) => this.enqueue(d, () => this.stop(d)).catch(() => undefined)),
        );
        this.dynos.clear();
    }

    private enqueue(d: Dyno, step: () => Promise<void>): Promise<void> {
        d.queue = d.queue.then(step, step);
        return d.queue;
    }

    private async start(d: Dyno): Promise<void> {
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...d.spec.env,
            ...this.model.configOf(d.app),
            PORT: String(d.port),
        };
        delete env.FORCE_COLOR;
        this.logs.add(
            d.app,
            "heroku",
            "web.1",
            `Starting process with command \`${path.basename(d.spec.argv.at(-1)!)}\``,
        );
        const child = spawn(d.spec.argv[0], d.spec.argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
        live.add(child);
        d.child = child;
        d.starts += 1;
        const pipe = (s: NodeJS.ReadableStream) => {
            let rest = "";
            s.on("data", (b: Buffer) => {
                const parts = (rest + b.toString()).split("\n");
                rest = parts.pop() ?? "";
                parts.forEach((p) => this.logs.add(d.app, "app", "web.1", p));
            });
        };
        pipe(child.stdout!);
        pipe(child.stderr!);
        child.on("exit", (code, signal) => {
            live.delete(child);
            const status = code ?? (signal === "SIGTERM" ? 143 : 137);
            this.logs.add(d.app, "heroku", "web.1", `Process exited with status ${status}`);
        });
        // Up when the port answers, as the router sees it; a process that never binds is reported, not awaited.
        // 60 s is Heroku's own boot timeout for web dynos (R10); 20 s was too short for tsx on loaded cores.
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && child.exitCode === null) {
            if (await answers(d.port)) {
                this.logs.add(d.app, "heroku", "web.1", "State changed from starting to up");
                return;
            }
            await new Promise((r) => setTimeout(r, 50));
        }
        this.logs.add(d.app, "heroku", "web.1", "Error R10 (Boot timeout) -> Web process failed to bind to $PORT");
    }

    private async stop(d: Dyno): Promise<void> {
        const child = d.child;
        d.child = undefined;
        if (!child || child.exitCode !== null || child.signalCode !== null) {
            return;
        }
        this.logs.add(d.app, "heroku", "web.1", "Stopping all processes with SIGTERM");
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        // Heroku sends SIGKILL after 30 s; the rig waits 5.
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
    }
}

function answers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        s.once("connect", () => {
            s.destroy();
            resolve(true);
        });
        s.once("error", () => resolve(false));
    });
}

/** `heroku restart` / `ps:restart`: all dynos, one dyno, or one process type. */
export function dynoRoutes(m: Model, dynos: DynoManager): Route[] {
    const restart = (name: string) => {
        const app = m.app(decodeURIComponent(name));
        if (!app) {
            throw notFound("app");
        }
        void dynos.restart(app, "heroku restart");
        return { status: 202, json: {} };
    };
    return [
        { method: "DELETE", path: /^\/apps\/([^/]+)\/dynos$/, handle: ({ params }) => restart(params[0]) },
        { method: "DELETE", path: /^\/apps\/([^/]+)\/dynos\/([^/]+)$/, handle: ({ params }) => restart(params[0]) },
        {
            method: "DELETE",
            path: /^\/apps\/([^/]+)\/formations\/([^/]+)$/,
            handle: ({ params }) => restart(params[0]),
        },
    ];
}

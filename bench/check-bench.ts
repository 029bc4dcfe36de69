/**
 * `raptor-roles check` and `cutover`'s emergency stop, through the real heroku CLI against the local Heroku
 * API (test/support/heroku-api) with the stand-in app on Raptor's 40 tables:
 *  - check --stack staging as a whole process (bin/raptor-roles.js on dist/), healthy (target < 5 s);
 *  - cutover with a grant revoked right after the flip: the time from the first `permission denied` line the
 *    app wrote to the end of the emergency stop's `heroku config:set ...=0` (target: the 5 s health poll
 *    plus 5 s; the log itself is a stream, not polled). The Pulumi step is the program's flag step, run with
 *    the real CLI (the real engine's run is test/engine's).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { cutoverIn } from "../cli/cutover";
import { PulumiDriver } from "../cli/pulumi-driver";
import { FLAG_VAR } from "../core/settings";
import { HerokuApi, startHerokuApi } from "../test/support/heroku-api";
import { asOwner, deployRaptor } from "../test/support/raptor-app/deployed";
import { ServerCoords } from "./fixtures";
import { Timing, fmt, timing } from "./timing";

const BIN = path.resolve(__dirname, "..", "bin", "raptor-roles.js");
const APP = "raxx-api-staging";

/** One whole process, asynchronously: the API answers from this process. */
function runMs(argv: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number }> {
    const a = performance.now();
    return new Promise((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { env, stdio: "ignore" });
        child.on("close", (code) => resolve({ ms: performance.now() - a, code: code ?? -1 }));
    });
}

function driver(api: HerokuApi, dir: string, afterOn: () => Promise<void>): PulumiDriver {
    let on = false;
    return {
        async getStop() {
            return undefined;
        },
        async setStop() {
            // The bench times the stop itself; the record is the tests' concern.
        },
        async clearStop() {},
        async setRoleSeparation(stack, value) {
            on = value;
            const file = path.join(dir, `Pulumi.${stack}.yaml`);
            fs.writeFileSync(
                file,
                fs.readFileSync(file, "utf8").replace(/roleSeparation: \w+/, `roleSeparation: ${on}`),
            );
        },
        async preview() {
            // The real preview is the engine bench's; here the flip's time is the figure.
        },
        async up() {
            const r = await runMs(["heroku", "config:set", `${FLAG_VAR}=${on ? 1 : 0}`, "-a", APP], api.env);
            if (r.code !== 0) {
                throw new Error(`config:set exited ${r.code}`);
            }
            if (on) {
                await afterOn();
            }
        },
    };
}

export interface CheckFigures {
    readonly check: Timing;
    readonly stopSeconds: number;
}

export async function benchCheck(server: ServerCoords, runs = 3): Promise<CheckFigures> {
    const api = await startHerokuApi({
        postgres: { port: server.port, user: server.superuser, password: server.password },
    });
    try {
        api.createApp(APP);
        const addon = await api.createPostgresAddon({ app: APP });
        await deployRaptor(api, APP, addon);
        const base = await api.runApp(APP);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-bench-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.staging.yaml"),
            `config:\n  raptor:app: ${APP}\n  raptor:roleSeparation: false\n  raptor:healthUrl: ${base}/healthz\n`,
        );
        const env = { ...api.env, PGSSLMODE: "disable" };
        const samples: number[] = [];
        // The repository's own Pulumi.staging.yaml (raxx-api-staging, flag off): what an operator runs.
        for (let i = 0; i < runs; i++) {
            const r = await runMs([process.execPath, BIN, "check", "--stack", "staging"], env);
            if (r.code !== 0) {
                throw new Error(`raptor-roles check exited ${r.code}, expected 0 (healthy)`);
            }
            samples.push(r.ms);
        }
        const out = { text: "" };
        const code = await cutoverIn(
            dir,
            ["--stack", "staging", "--watch", "120s", "--json"],
            {
                out: (s) => (out.text += s),
                err: () => undefined,
            },
            {
                env,
                now: () => new Date(),
                pulumi: driver(api, dir, () => asOwner(addon, "REVOKE UPDATE ON users FROM raptor_app")),
                pollMs: 5_000,
                verifyMs: 600_000,
            },
        );
        const doc = JSON.parse(out.text) as { trip?: { at: string }; stoppedAt?: string };
        if (code !== 2 || !doc.trip || !doc.stoppedAt) {
            throw new Error(`cutover did not trip and stop (exit ${code}): ${out.text}`);
        }
        return { check: timing(samples), stopSeconds: (Date.parse(doc.stoppedAt) - Date.parse(doc.trip.at)) / 1000 };
    } finally {
        await api.stop();
    }
}

export function printCheck(f: CheckFigures): void {
    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    console.log("raptor-roles check and cutover, real heroku CLI against the local API, stand-in app, 40 tables:");
    const line = `  check --stack staging, healthy          ${fmt(f.check)}`;
    console.log(`${line}   (target < 5000 ms: ${met(f.check.medianMs < 5000)})`);
    console.log(
        `  first permission denied -> flag at 0    ${f.stopSeconds.toFixed(1)} s   ` +
            `(target < 10 s, the 5 s poll plus 5 s: ${met(f.stopSeconds < 10)})`,
    );
}

/**
 * Runs the scripts of the command resources the program declares, for real, through their own
 * interpreter and environment, with the real `heroku` CLI against the local Heroku API
 * (test/support/heroku-api): what the engine's command provider would do, minus the engine.
 * Asynchronous on purpose: the API answers from this process, and cases run side by side.
 */
import { spawn } from "node:child_process";
import { Recorded, Scenario, runProgram } from "./mocks";
import { HerokuApi } from "./heroku-api";
import { Step, stepOf } from "../../core/resources";
import { READ_ADDONS } from "../../core/heroku-scripts";

/** Fast retries and polls for tests; the scripts read these from the environment. */
export const FAST = { RAPTOR_RETRY_SECONDS: "0", POLL_SECONDS: "0" };

export type Phase = "create" | "update" | "delete";

export interface ScriptResult {
    code: number;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** `bin args... script` with `env`; stdin is empty. Rejects only if it cannot start or overruns `timeoutMs`. */
export function runScript(
    argv: string[],
    script: string,
    env: NodeJS.ProcessEnv,
    timeoutMs = 600_000,
): Promise<ScriptResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], [...argv.slice(1), script], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`script overran ${timeoutMs} ms; stderr so far:\n${stderr}`));
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, signal, stdout, stderr });
        });
    });
}

/** A bash script against the rig, e.g. an invoke or a hand-made change. */
export function runBash(api: HerokuApi, script: string, env: Record<string, string> = {}): Promise<ScriptResult> {
    return runScript(["bash", "-c"], script, { ...api.env, ...FAST, ...env });
}

/** The program's steps for `s`, its add-on read by the real CLI from the rig (the invoke READ_ADDONS runs). */
export async function declaredSteps(api: HerokuApi, s: Scenario): Promise<Record<Step, Recorded>> {
    return stepsFrom(s, await readAddons(api, s.config.app ?? ""));
}

/** What the program's READ_ADDONS invoke prints for `app`: `heroku addons --app APP --json`, by the real CLI. */
export async function readAddons(api: HerokuApi, app: string): Promise<string> {
    const read = await runBash(api, READ_ADDONS, { APP: app });
    if (read.code !== 0) {
        throw new Error(`heroku addons --app ${app} --json failed: ${read.stderr}`);
    }
    return read.stdout;
}

/** The last program run this file started: runs go one at a time. */
let programs: Promise<unknown> = Promise.resolve();

/**
 * The program's steps for `s`, given what its READ_ADDONS invoke printed. One program run at a time: the mocks and
 * the config are the Pulumi runtime's globals, and two runs side by side mix their resources up.
 */
export async function stepsFrom(s: Scenario, addonsJson: string): Promise<Record<Step, Recorded>> {
    const run = programs.then(() => runProgram({ ...s, addonsJson }));
    programs = run.catch(() => undefined);
    const { resources, error } = await run;
    if (error) {
        throw error;
    }
    const steps: Partial<Record<Step, Recorded>> = {};
    for (const r of resources) {
        const step = stepOf(r);
        if (step) {
            steps[step] = r;
        }
    }
    return steps as Record<Step, Recorded>;
}

/** Runs one phase of a command resource. `env` overrides the declared environment (e.g. VAR_VALUE). */
export function runPhase(
    api: HerokuApi,
    r: Recorded,
    phase: Phase,
    env: Record<string, string> = {},
): Promise<ScriptResult> {
    const script = r.props[phase] as string | undefined;
    if (script === undefined) {
        throw new Error(`${r.name} declares no ${phase} script`);
    }
    const declared = (r.props.environment ?? {}) as Record<string, string>;
    return runScript(r.props.interpreter as string[], script, { ...api.env, ...declared, ...FAST, ...env });
}

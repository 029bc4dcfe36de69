/**
 * Runs the real `heroku` CLI for check, soak and cutover: asynchronously (a tail runs beside other calls),
 * with colour off (FORCE_COLOR makes the CLI colour even into a pipe and NO_COLOR does not undo it;
 * `heroku logs` colours unless HEROKU_LOGS_COLOR=0), and never with a secret in argv.
 */
import { ChildProcess, spawn } from "node:child_process";

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export function cliEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = { ...env, NO_COLOR: "1", HEROKU_LOGS_COLOR: "0", HEROKU_COLOR: "0" };
    delete out.FORCE_COLOR;
    return out;
}

/**
 * `heroku ARGS`; rejects only when the CLI cannot start. A call that overruns `timeoutMs` is killed and
 * returned as a failure saying so (exit -1): a hung call must not hang check or the watch.
 */
export function heroku(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn("heroku", [...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
            stderr += `Error: heroku ${args[0]} timed out after ${timeoutMs / 1000} s\n`;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`cannot run heroku ${args[0]}: ${e.message} (is the heroku CLI on PATH?)`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/** The first line of the CLI's error, without colour, for a finding (the CLI never prints config values). */
export function cliError(r: CliResult): string {
    const text = r.stderr.replace(/\x1b\[[0-9;]*m/g, "").trim();
    const line = text.split("\n").find((l) => /error|Error|›/.test(l)) ?? text.split("\n")[0] ?? "";
    return `${line.replace(/^\s*[›»]\s*/, "").trim() || "no output"} (exit ${r.code})`;
}

/**
 * A read of the app's live state that failed (Heroku unreachable, a login refused): cli/contract.ts gives it the
 * code could-not-check, as check's own findings of the same failure, so every command reports it alike.
 */
export class LiveReadError extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
        this.name = "LiveReadError";
    }
}

/** `heroku config -a APP --json`: every config var (values stay in memory, never printed). */
export async function configVars(app: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
    const r = await heroku(["config", "-a", app, "--json"], env);
    if (r.code !== 0) {
        throw new LiveReadError(
            `heroku config -a ${app} --json failed: ${cliError(r)}`,
            "check HEROKU_API_KEY and raptor:app, then run the command again",
        );
    }
    return JSON.parse(r.stdout) as Record<string, string>;
}

/** `heroku logs --tail`: calls `onLine` per line until stopped; `exited` resolves with the CLI's exit code. */
export function tailLogs(
    app: string,
    env: NodeJS.ProcessEnv,
    onLine: (line: string) => void,
): { stop(): void; exited: Promise<{ code: number | null; stderr: string }>; child: ChildProcess } {
    const child = spawn("heroku", ["logs", "--tail", "-a", app], {
        env: cliEnv(env),
        stdio: ["ignore", "pipe", "pipe"],
    });
    let rest = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => {
        const parts = (rest + d.toString()).split("\n");
        rest = parts.pop() ?? "";
        parts.forEach(onLine);
    });
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
        child.on("close", (code) => resolve({ code, stderr })),
    );
    return { stop: () => child.kill("SIGTERM"), exited, child };
}

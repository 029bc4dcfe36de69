/**
 * Runs the real `heroku` CLI for check, soak and cutover: asynchronously (a tail runs beside other calls),
 * with colour off (FORCE_COLOR makes the CLI colour even into a pipe and NO_COLOR does not undo it;
 * `heroku logs` colours unless HEROKU_LOGS_COLOR=0), and never with a secret in argv.
 */
import { ChildProcess, spawn } from "node:child_process";
import { toolMissing } from "./tools";

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
            const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
            reject(
                missing
                    ? toolMissing("heroku", `heroku ${args[0]}`)
                    : new Error(`cannot run heroku ${args[0]}: ${e.message}`),
            );
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/**
 * The CLI's error line, without colour: its `Error:` line, never one of the notices before it (the first run's
 * "Warning: Our terms of service have changed", "Invalid HEROKU_HOST", update notices), for a finding (the CLI
 * never prints config values).
 */
export function cliError(r: CliResult): string {
    const lines = r.stderr
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .map((l) => l.replace(/^\s*[›»]?\s*/, "").trim())
        .filter((l) => l !== "");
    const notice = (l: string) => /^(Warning:|https?:\/\/|\(node:|\(Use `node)/.test(l);
    const line =
        lines.find((l) => /^Error:/.test(l)) ??
        lines.find((l) => !notice(l) && /error/i.test(l)) ??
        lines.find((l) => !notice(l));
    return `${line ?? "no output"} (exit ${r.code})`;
}

/** What a failed heroku call means, told apart (DNS, refused, login, app), with the fix for each. */
export function herokuFailure(r: CliResult, call: string, app: string): { detail: string; fix: string } {
    const line = cliError(r);
    const detail = `${call} failed: ${line}`;
    const dns = /getaddrinfo (ENOTFOUND|EAI_AGAIN) (\S+)/.exec(r.stderr);
    if (dns !== null) {
        return {
            detail: `${call} failed: the Heroku API host ${dns[2]} does not resolve (${dns[1]}): ${line}`,
            fix:
                `check this machine's DNS and network (\`getent hosts ${dns[2]}\`); HEROKU_HOST, when set, must ` +
                "name the API host (unset it for api.heroku.com)",
        };
    }
    const refused = /connect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) (\S+)/.exec(r.stderr);
    if (refused !== null) {
        return {
            detail: `${call} failed: the Heroku API at ${refused[2]} cannot be reached (${refused[1]}): ${line}`,
            fix: "check the network, a proxy (HTTPS_PROXY) and HEROKU_HOST, when set (unset it for api.heroku.com)",
        };
    }
    if (/\b401\b|Invalid credentials|not logged in|Unauthorized/i.test(r.stderr)) {
        return {
            detail,
            fix:
                'log in: export HEROKU_API_KEY="$(heroku auth:token)" (or `heroku login`); ' +
                "`heroku auth:whoami` checks it",
        };
    }
    if (/Couldn't find that app|\b404\b/i.test(r.stderr)) {
        return {
            detail,
            fix: `check raptor:app (${app}) in the stack file: \`heroku apps\` lists the apps you can reach`,
        };
    }
    return { detail, fix: `run \`${call}\` by hand to see the CLI's whole output, then run the command again` };
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
        const f = herokuFailure(r, `heroku config -a ${app} --json`, app);
        throw new LiveReadError(f.detail, f.fix);
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
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
        child.on("close", (code) => resolve({ code, stderr }));
        // Without this listener a CLI that cannot start (not on PATH) would end the process mid-watch.
        child.on("error", (e: NodeJS.ErrnoException) =>
            resolve({
                code: -1,
                stderr: `Error: ${e.code === "ENOENT" ? toolMissing("heroku", "heroku logs").message : e.message}\n`,
            }),
        );
    });
    return { stop: () => child.kill("SIGTERM"), exited, child };
}

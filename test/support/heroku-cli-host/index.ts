/**
 * The real `heroku` CLI for the rigs, loaded once per test file (host.mjs) instead of once per call.
 *
 * A rig's env puts this directory's `heroku` first on PATH and names the host's socket in RAPTOR_HEROKU_CLI_HOST;
 * the shim sends a command there, or runs the CLI as a process of its own for what a host cannot run (streams,
 * stdin, a program of its own) and whenever no host is up. RAPTOR_HEROKU_CLI=process turns the host off for a run:
 * every call is then a process, as on an operator's machine (test/support/heroku-cli-host.test.ts holds the two
 * ways equal). One host serves every rig of a file: a command carries its rig's environment.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The directory holding the `heroku` shim, for the front of PATH. */
export const SHIM_DIR = __dirname;

export interface CliHost {
    /** The Unix socket the shim's client connects to. */
    readonly socket: string;
    /** Done with it: the last release stops the host. */
    release(): Promise<void>;
}

interface Running {
    readonly child: ChildProcess;
    readonly socket: string;
    readonly dir: string;
    users: number;
}

let running: Promise<Running> | undefined;
/** Commands the hosts of this file were sent (a host counts the ones it hands on to a sibling too). */
let served = 0;

/** How many commands this file's hosts have been sent so far: a test's proof that a call went through one. */
export function commandsServed(): number {
    return served;
}

/** Whether this run uses a host: on unless RAPTOR_HEROKU_CLI=process. */
export function hostEnabled(): boolean {
    return process.env.RAPTOR_HEROKU_CLI !== "process";
}

/** The file's host, started on first use; release it when done (a rig's stop does). */
export async function acquireCliHost(): Promise<CliHost> {
    running ??= start();
    const host = await running;
    host.users++;
    let released = false;
    return {
        socket: host.socket,
        async release() {
            if (released) {
                return;
            }
            released = true;
            if (--host.users === 0 && running) {
                running = undefined;
                await stop(host);
            }
        },
    };
}

async function start(): Promise<Running> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "heroku-cli-host-"));
    const socket = path.join(dir, "cli.sock");
    const env = { ...process.env };
    for (const k of ["FORCE_COLOR", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
        delete env[k];
    }
    // fd 3 is a pipe the host watches: it ends with this process, so a crashed test run leaves no host behind.
    const child = spawn(process.execPath, ["--no-deprecation", path.join(__dirname, "host.mjs"), socket], {
        env,
        stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (d: Buffer) => {
            out += d.toString();
            served += out.split("served\n").length - 1;
            out = out.replace(/served\n/g, "");
            if (out.includes("ready\n")) {
                resolve();
            }
        });
        child.on("error", reject);
        child.on("exit", (code) => reject(new Error(`heroku CLI host exited ${code} before it was ready: ${stderr}`)));
    });
    return { child, socket, dir, users: 0 };
}

async function stop(host: Running): Promise<void> {
    if (host.child.exitCode === null) {
        await new Promise<void>((resolve) => {
            host.child.once("exit", () => resolve());
            host.child.kill("SIGTERM");
        });
    }
    fs.rmSync(host.dir, { recursive: true, force: true });
}

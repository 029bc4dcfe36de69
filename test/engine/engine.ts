/**
 * The real Pulumi engine for `npm run test:engine`: the four binaries engine/build.sh built (found through its
 * cache key, never rebuilt here): the CLI, the Node.js language host, the command and postgresql providers; a
 * file backend and a passphrase secrets provider in a temporary directory, and copies of this repo's Pulumi.yaml
 * and Pulumi.<stack>.yaml. Nothing models Pulumi.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");

/**
 * The binaries engine/build.sh provides (engine/targets.tsv); only those it reported "built" or "installed" (the
 * pinned release, already installed where Pulumi installs it) are used.
 */
export const ENGINE_BINARIES = [
    "pulumi",
    "pulumi-language-nodejs",
    "pulumi-resource-command",
    "pulumi-resource-postgresql",
];

export interface EngineBuild {
    readonly binDir: string;
    /** Binary name -> why it is not there (the build's status, or "not built"). */
    readonly missing: ReadonlyMap<string, string>;
}

/**
 * Reads engine/build.sh's status for the current targets; `npm run test:engine` runs the build first. Throws
 * when a binary is missing: a scenario that cannot run must fail the run, never turn into a skip.
 */
export function requireEngine(): EngineBuild {
    const build = engineBuild();
    if (build.missing.size > 0) {
        const why = [...build.missing].map(([name, reason]) => `${name} (${reason})`).join("; ");
        throw new Error(`the engine scenario needs all four binaries; engine/build.sh did not build: ${why}`);
    }
    return build;
}

function engineBuild(): EngineBuild {
    const run = spawnSync("bash", [path.join(REPO, "engine", "build.sh"), "--bin-dir"], { encoding: "utf8" });
    if (run.status !== 0) {
        throw new Error(`engine/build.sh --bin-dir failed: ${run.stderr}`);
    }
    const binDir = run.stdout.trim();
    const statusFile = path.join(path.dirname(binDir), "status.tsv");
    const rows = fs.existsSync(statusFile) ? fs.readFileSync(statusFile, "utf8").trim().split("\n") : [];
    const status = new Map(rows.map((r) => r.split("\t")).map(([name, state, detail]) => [name, { state, detail }]));
    const missing = new Map<string, string>();
    for (const name of ENGINE_BINARIES) {
        const s = status.get(name);
        if ((s?.state !== "built" && s?.state !== "installed") || !fs.existsSync(path.join(binDir, name))) {
            missing.set(name, s ? `${s.state}: ${s.detail}` : "not built: run `bash engine/build.sh`");
        }
    }
    return { binDir, missing };
}

export interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** A throwaway Pulumi workspace: its own PULUMI_HOME, file backend, passphrase and project directory. */
export class Workspace {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-engine-"));
    readonly project = path.join(this.root, "project");
    readonly backend = path.join(this.root, "state");
    readonly passphrase = randomBytes(16).toString("hex");

    /** Every run's command line, stdout and stderr, for the secrecy checks. */
    readonly transcript: string[] = [];

    /**
     * @param binDir engine/build.sh's bin directory, put first on PATH (ambient plugins).
     * @param opts.program run this repo's program: the Pulumi.yaml copy gets `main:` pointing back at the repo.
     * @param opts.env more environment for every run (e.g. the Heroku rig's).
     */
    constructor(
        private readonly binDir: string,
        private readonly opts: { program?: boolean; env?: NodeJS.ProcessEnv } = {},
    ) {
        for (const dir of [this.project, this.backend, path.join(this.root, "home")]) {
            fs.mkdirSync(dir, { recursive: true });
        }
        for (const file of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]) {
            fs.copyFileSync(path.join(REPO, file), path.join(this.project, file));
        }
        if (opts.program) {
            fs.appendFileSync(path.join(this.project, "Pulumi.yaml"), `main: ${path.relative(this.project, REPO)}\n`);
        }
    }

    env(): NodeJS.ProcessEnv {
        const base = { ...process.env, ...this.opts.env };
        const inherited = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith("PULUMI_")));
        return {
            ...inherited,
            // The built binaries first: the engine takes a plugin on PATH over any version the program asks for.
            PATH: [this.binDir, base.PATH ?? ""].join(path.delimiter),
            PULUMI_HOME: path.join(this.root, "home"),
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: this.passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        };
    }

    /** Runs pulumi without blocking this process: the local Heroku API answers from it. */
    pulumi(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
        return new Promise((resolve, reject) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], {
                cwd: this.project,
                env: { ...this.env(), ...opts.env },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", reject);
            child.on("close", (code) => {
                this.transcript.push(`$ pulumi ${args.join(" ")}`, stdout, stderr);
                resolve({ code, stdout, stderr });
            });
        });
    }

    /** Runs pulumi and fails with its output unless it exits 0. */
    async ok(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
        const r = await this.pulumi(args, opts);
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
        }
        return r.stdout;
    }

    file(name: string): string {
        return fs.readFileSync(path.join(this.project, name), "utf8");
    }

    remove(): void {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

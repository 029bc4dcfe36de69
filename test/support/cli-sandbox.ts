/**
 * A throw-away copy of this checkout for driving the built CLI as a subprocess where a command writes files
 * (signoff), reads a repository (diff) or rebuilds dist/: the sources, stack files, pack config, bin/ and the
 * built dist/, with node_modules linked, committed to a git repository of its own. The CLI finds its project
 * from where it runs (offline/stack-file.ts's projectDir), so the sandbox's files are the ones it reads.
 */
import { SpawnSyncReturns, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeAll } from "vitest";

export const ROOT = path.resolve(__dirname, "..", "..");
const COPIED = [
    "cli",
    "core",
    "db",
    "offline",
    "policy",
    "components",
    "bin",
    "dist",
    "program.ts",
    "config.ts",
    "index.ts",
    "tsconfig.json",
    "tsconfig.build.json",
    "package.json",
    "Pulumi.yaml",
    "Pulumi.staging.yaml",
    "Pulumi.prod.yaml",
];

export interface Sandbox {
    readonly dir: string;
    /** `node bin/raptor-roles.js ARGS` in the sandbox. */
    run(args: readonly string[], env?: Record<string, string>): SpawnSyncReturns<string>;
    git(...args: string[]): string;
    read(file: string): string;
    write(file: string, text: string): void;
    remove(): void;
}

/** Runs the checkout's own CLI once, so dist/ is built from these sources before it is copied. */
export function ensureBuilt(): void {
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), "--version"], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 300_000,
    });
    if (r.status !== 0) {
        throw new Error(`raptor-roles --version failed: ${r.stderr}`);
    }
}

export function sandbox(): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-cli-"));
    for (const f of COPIED) {
        fs.cpSync(path.join(ROOT, f), path.join(dir, f), {
            recursive: true,
            verbatimSymlinks: true, // dist/'s links to the data files stay relative: they point into the sandbox
            filter: (src) => path.basename(src) !== "node_modules",
        });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const git = (...args: string[]) =>
        execFileSync("git", ["-C", dir, "-c", "user.email=ci@raxx.app", "-c", "user.name=ci", ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        }).trim();
    fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules\ndist\n");
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "sandbox");
    return {
        dir,
        run: (args, env = {}) =>
            spawnSync(process.execPath, [path.join(dir, "bin", "raptor-roles.js"), ...args], {
                cwd: dir,
                encoding: "utf8",
                timeout: 300_000,
                env: { ...process.env, ...env },
            }),
        git,
        read: (file) => fs.readFileSync(path.join(dir, file), "utf8"),
        write: (file, text) => fs.writeFileSync(path.join(dir, file), text),
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/**
 * For a file whose tests each make their own sandboxes: builds the checkout's dist/ once before them, and removes
 * every sandbox the returned function made after each test.
 */
export function useSandboxes(): () => Sandbox {
    const boxes: Sandbox[] = [];
    beforeAll(ensureBuilt, 300_000);
    afterEach(() => boxes.splice(0).forEach((s) => s.remove()));
    return () => {
        const s = sandbox();
        boxes.push(s);
        return s;
    };
}

/**
 * The real engine's figures (issue 21): how long engine/build.sh took to build each binary when it did (the
 * status it keeps beside the binaries), how long a warm `build.sh` takes (every binary from the cache), and the
 * time of `pulumi preview` and `pulumi up -s staging` on Raptor's 40 tables with the real providers, against the
 * local Heroku API and a real PostgreSQL: the first `up` (creates everything), then a `preview` and an `up` with
 * nothing to change (each refreshes every Grant first: `refresh: always`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { REPO, Workspace, requireEngine } from "../test/engine/engine";
import { startRig } from "../test/engine/rig";

export interface EngineFigures {
    /** Binary -> seconds its build took when it was built ("-" when unknown). */
    readonly buildSeconds: Readonly<Record<string, string>>;
    readonly warmBuildMs: number;
    readonly firstUpMs: number;
    readonly previewMs: number;
    readonly steadyUpMs: number;
}

async function timed(what: string, run: () => Promise<{ code: number | null; stderr: string }>): Promise<number> {
    const a = performance.now();
    const r = await run();
    if (r.code !== 0) {
        throw new Error(`${what} exited ${r.code}: ${r.stderr}`);
    }
    return performance.now() - a;
}

export async function benchEngine(): Promise<EngineFigures> {
    const a = performance.now();
    const warm = spawnSync("bash", [path.join(REPO, "engine", "build.sh")], { encoding: "utf8" });
    const warmBuildMs = performance.now() - a;
    if (warm.status !== 0) {
        throw new Error(`engine/build.sh failed: ${warm.stderr}`);
    }
    const build = requireEngine();
    const status = fs
        .readFileSync(path.join(path.dirname(build.binDir), "status.tsv"), "utf8")
        .trim()
        .split("\n");
    const buildSeconds = Object.fromEntries(status.map((row) => row.split("\t")).map((c) => [c[0], c[3] ?? "-"]));

    const rig = await startRig();
    const ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
    try {
        await ws.ok(["login", `file://${ws.backend}`]);
        await ws.ok(["stack", "init", "staging", "--secrets-provider", "passphrase"]);
        const pack = ["--policy-pack", path.join(REPO, "policy")];
        const firstUpMs = await timed("up", () => ws.pulumi(["up", "--yes", "-s", "staging", ...pack]));
        const previewMs = await timed("preview", () => ws.pulumi(["preview", "-s", "staging", ...pack]));
        const steadyUpMs = await timed("up", () => ws.pulumi(["up", "--yes", "-s", "staging", ...pack]));
        return { buildSeconds, warmBuildMs, firstUpMs, previewMs, steadyUpMs };
    } finally {
        await rig.stop();
        ws.remove();
    }
}

export function printEngine(f: EngineFigures): void {
    const s = (ms: number) => `${(ms / 1000).toFixed(1).padStart(6)} s`;
    console.log("engine (real CLI, Node.js host, command and postgresql providers; 40 tables, policy pack on)");
    for (const [name, secs] of Object.entries(f.buildSeconds)) {
        console.log(`  build ${name.padEnd(28)} ${secs === "-" ? "     -" : `${secs.padStart(6)} s`} (when built)`);
    }
    console.log(`  build.sh, all cached            ${s(f.warmBuildMs)}`);
    console.log(`  pulumi up -s staging (create)   ${s(f.firstUpMs)}`);
    console.log(`  pulumi preview (no change)      ${s(f.previewMs)}`);
    console.log(`  pulumi up (no change)           ${s(f.steadyUpMs)}`);
}

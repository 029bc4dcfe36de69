/** Medians of repeated measurements, and whole-process timings, for the benchmarks. */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface Timing {
    readonly medianMs: number;
    readonly minMs: number;
    readonly samplesMs: readonly number[];
}

export const timing = (xs: readonly number[]): Timing => {
    const s = [...xs].sort((a, b) => a - b);
    return { medianMs: s[Math.floor(s.length / 2)], minMs: s[0], samplesMs: [...xs] };
};

/** Wall time of one whole `node ...args` process, stdout discarded; throws on an unexpected exit code. */
export function processMs(
    args: readonly string[],
    opts: { env?: NodeJS.ProcessEnv; expect?: readonly number[] } = {},
): number {
    const a = performance.now();
    const r = spawnSync(process.execPath, args, {
        env: opts.env ?? process.env,
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
    });
    const ms = performance.now() - a;
    if (!(opts.expect ?? [0]).includes(r.status ?? -1)) {
        throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
    }
    return ms;
}

export const fmt = (t: Timing) => `${t.medianMs.toFixed(0).padStart(5)} ms (min ${t.minMs.toFixed(0)})`;
export const ratio = (a: Timing, b: Timing) => `x${(a.medianMs / b.medianMs).toFixed(2)}`;

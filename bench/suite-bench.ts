/**
 * `npm test`'s own figure (issue 26): the suite's wall time and its slowest files, so the number is watched rather
 * than rediscovered. Runs `vitest run` with its JSON reporter (the suite's config: every file, one PostgreSQL from
 * the globalSetup), then reads each file's duration from the report. A file's tests run side by side, so its wall
 * time, not the sum of its tests, is what it costs the run. Also `npm run bench:suite` on its own; `npm run bench`
 * runs it last unless given --no-suite (the suite takes minutes). The load average is printed with the figures:
 * on a shared machine it says more about the wall time than the code does.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const REPO = path.resolve(__dirname, "..");

export interface SuiteFigures {
    readonly wallMs: number;
    readonly files: number;
    readonly tests: number;
    readonly failed: number;
    /** Load average (1 min) when the run started and when it ended. */
    readonly load: readonly [number, number];
    /** Every file, slowest first: its path from the repository root and its wall time. */
    readonly slowest: readonly { readonly file: string; readonly ms: number }[];
}

interface JsonReport {
    numTotalTests: number;
    numFailedTests: number;
    testResults: { name: string; startTime: number; endTime: number }[];
}

/** Runs `vitest run` (extra args appended, e.g. a config) and reads its JSON report. */
export async function benchSuite(args: readonly string[] = []): Promise<SuiteFigures> {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "raptor-suite-bench-")), "report.json");
    const vitest = path.join(REPO, "node_modules", "vitest", "vitest.mjs");
    const load0 = os.loadavg()[0];
    const a = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [vitest, "run", "--reporter=json", `--outputFile=${out}`, ...args], {
            cwd: REPO,
            stdio: ["ignore", "ignore", "inherit"],
        });
        child.on("error", reject);
        child.on("close", resolve);
    });
    const wallMs = performance.now() - a;
    if (!fs.existsSync(out)) {
        throw new Error(`vitest run exited ${code} without a report`);
    }
    const report = JSON.parse(fs.readFileSync(out, "utf8")) as JsonReport;
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    const slowest = report.testResults
        .map((t) => ({ file: path.relative(REPO, t.name), ms: t.endTime - t.startTime }))
        .sort((x, y) => y.ms - x.ms);
    return {
        wallMs,
        files: report.testResults.length,
        tests: report.numTotalTests,
        failed: report.numFailedTests,
        load: [load0, os.loadavg()[0]],
        slowest,
    };
}

export function printSuite(f: SuiteFigures, top = 5): void {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const load = `load average ${f.load[0].toFixed(1)} -> ${f.load[1].toFixed(1)}`;
    console.log(
        `npm test: ${s(f.wallMs)} wall, ${f.tests} tests in ${f.files} files, ${f.failed} failed ` +
            `(${os.cpus().length} cores, ${load}; target: under 240 s on an idle machine)`,
    );
    console.log(`  the ${top} slowest files (each file's wall time; its tests run side by side):`);
    for (const { file, ms } of f.slowest.slice(0, top)) {
        console.log(`  ${s(ms).padStart(8)}  ${file}`);
    }
}

if (require.main === module) {
    benchSuite(process.argv.slice(2))
        .then((f) => {
            printSuite(f);
            if (f.failed > 0) {
                process.exitCode = 1;
            }
        })
        .catch((e) => {
            console.error(e);
            process.exitCode = 1;
        });
}

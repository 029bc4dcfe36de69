/**
 * Start-up of the installed CLI (bin/raptor-roles.js on the compiled dist/),
 * as whole processes, against a bare `node -e 0`: `--help` (target < 0.3 s),
 * `sql --stack staging` and `verify` on Raptor's 40 tables, clean (each
 * < 0.5 s). Then each way of invoking it (docs/development.md, "Running the CLI: one way"): the
 * documented `./node_modules/.bin/raptor-roles` (a global install's
 * `raptor-roles` is the same kind of link to bin/raptor-roles.js), `node
 * bin/raptor-roles.js`, `npm exec raptor-roles` and `npx raptor-roles`.
 * Needs `npm run build` first (npm ci and npm test run it).
 * `npm run bench:cli` measures the invocation forms alone (no database).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { ServerCoords, buildBenchDb } from "./fixtures";
import { Timing, fmt, processMs, ratio, timing } from "./timing";

const ROOT = path.resolve(__dirname, "..");
const BIN = path.join(ROOT, "bin", "raptor-roles.js");

/** How an operator may start the CLI, as [label, command, args before the CLI's own]. */
export const FORMS: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    ["./node_modules/.bin/raptor-roles (documented)", path.join(ROOT, "node_modules", ".bin", "raptor-roles"), []],
    ["node bin/raptor-roles.js (npm start)", process.execPath, [BIN]],
    ["npm exec raptor-roles --", "npm", ["exec", "--", "raptor-roles"]],
    ["npx raptor-roles", "npx", ["raptor-roles"]],
];

/** Wall time of one whole process, in this checkout; throws unless it exits 0. */
function commandMs(command: string, args: readonly string[]): number {
    const a = performance.now();
    const r = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const ms = performance.now() - a;
    if (r.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${r.status ?? r.signal}: ${r.stderr}`);
    }
    return ms;
}

/** `raptor-roles sql --stack staging` through each form: the command an operator types most after --help. */
export function benchForms(runs = 5): Array<readonly [string, Timing]> {
    return FORMS.map(([label, command, pre]) => {
        commandMs(command, [...pre, "--version"]); // warm the disk cache and npm's own
        const xs = Array.from({ length: runs }, () => commandMs(command, [...pre, "sql", "--stack", "staging"]));
        return [label, timing(xs)] as const;
    });
}

export function printForms(forms: ReadonlyArray<readonly [string, Timing]>): void {
    console.log("raptor-roles sql --stack staging, by how it is invoked (README: start in < 500 ms):");
    for (const [label, t] of forms) {
        console.log(`  ${label.padEnd(48)} ${fmt(t)}   ${t.medianMs < 500 ? "met" : "MISSED"}`);
    }
}

export interface CliFigures {
    readonly help: Timing;
    readonly sql: Timing;
    readonly verify: Timing;
}

export async function benchCli(server: ServerCoords, runs = 7): Promise<CliFigures> {
    // The CLI checks raptor_app in public (no --stack): a database of Raptor's 40 tables, granted.
    const db = await buildBenchDb(server, { tables: 0, scenario: "unclassified", role: "raptor_app" });
    try {
        const env = { ...process.env, RAPTOR_BENCH_URL: db.ownerUrl };
        const help: number[] = [];
        const sql: number[] = [];
        const verify: number[] = [];
        processMs([BIN, "verify", "--database-url-env", "RAPTOR_BENCH_URL"], { env }); // warm the server once
        for (let i = 0; i < runs; i++) {
            help.push(processMs([BIN, "--help"]));
            sql.push(processMs([BIN, "sql", "--stack", "staging"]));
            verify.push(processMs([BIN, "verify", "--database-url-env", "RAPTOR_BENCH_URL"], { env }));
        }
        return { help: timing(help), sql: timing(sql), verify: timing(verify) };
    } finally {
        await db.drop();
    }
}

if (require.main === module) {
    printForms(benchForms());
}

export function printCli(f: CliFigures, node: Timing): void {
    const met = (t: Timing, ms: number) => (t.medianMs < ms ? "met" : "MISSED");
    console.log("raptor-roles start-up, whole processes (bin/raptor-roles.js on the compiled dist/):");
    console.log(`  node -e 0                              ${fmt(node)}`);
    console.log(
        `  raptor-roles --help                    ${fmt(f.help)}   ${ratio(f.help, node)} node ` +
            `(target < 300 ms: ${met(f.help, 300)})`,
    );
    console.log(
        `  raptor-roles sql --stack staging       ${fmt(f.sql)}   ${ratio(f.sql, node)} node ` +
            `(target < 500 ms: ${met(f.sql, 500)})`,
    );
    console.log(
        `  raptor-roles verify, 40 tables, clean  ${fmt(f.verify)}   ${ratio(f.verify, node)} node ` +
            `(target < 500 ms, connect and query included: ${met(f.verify, 500)})`,
    );
}

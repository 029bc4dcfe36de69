/**
 * Start-up of the installed CLI (bin/raptor-roles.js on the compiled dist/),
 * as whole processes, against a bare `node -e 0`: `--help` (target < 0.3 s),
 * `sql --stack staging` and `verify` on Raptor's 40 tables, clean (each
 * < 0.5 s). Needs `npm run build` first (npm ci and npm test run it).
 */
import * as path from "node:path";
import { ServerCoords, buildBenchDb } from "./fixtures";
import { Timing, fmt, processMs, ratio, timing } from "./timing";

const BIN = path.resolve(__dirname, "..", "bin", "raptor-roles.js");

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

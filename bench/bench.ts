/**
 * `npm run bench`: the project's speed targets, measured (never asserted in
 * tests), on one PostgreSQL (17, or RAPTOR_PG_MAJOR=16|17|18): verify on
 * 10,000 tables clean, unclassified and drifted against the runbook's own
 * query; the CLI's start-up against a bare node; plan at 40, 1,000 and 10,000
 * classified tables; `check` and cutover's emergency stop through the real heroku CLI (check-bench.ts); the
 * real engine's build and `pulumi preview`/`up` times (engine-bench.ts); the workload proof on 5,000 distinct
 * statements, on a server of its own (workload-bench.ts); last, `npm test`'s wall time and its slowest files
 * (suite-bench.ts; `npm run bench -- --no-suite` leaves it out: it takes minutes). Builds dist/ first so the
 * processes run current code.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { startPostgres } from "../test/support/pg-server";
import { benchCheck, printCheck } from "./check-bench";
import { benchCli, benchForms, printCli, printForms } from "./cli-bench";
import { benchEngine, printEngine } from "./engine-bench";
import { benchPlan, printPlanFigures } from "./plan-bench";
import { benchSuite, printSuite } from "./suite-bench";
import { processMs, timing } from "./timing";
import { benchVerify } from "./verify-bench";
import { benchWorkload, printWorkload } from "./workload-bench";

async function main(): Promise<void> {
    const build = spawnSync(process.execPath, [path.resolve(__dirname, "..", "bin", "build.js")], { stdio: "inherit" });
    if (build.status !== 0) {
        throw new Error("npm run build failed");
    }
    const server = await startPostgres();
    try {
        console.log(
            `raptor bench, node ${process.version}, PostgreSQL ${server.version}, ${new Date().toISOString()}\n`,
        );
        const node = timing(Array.from({ length: 7 }, () => processMs(["-e", "0"])));
        printCli(await benchCli(server), node);
        printForms(benchForms());
        console.log("");
        await benchVerify({ tables: 10_000, server, node });
        console.log("");
        printCheck(await benchCheck(server));
    } finally {
        await server.stop();
    }
    console.log("");
    printWorkload(await benchWorkload(5_000));
    console.log("");
    printPlanFigures(await benchPlan([40, 1_000, 10_000]));
    console.log("");
    printEngine(await benchEngine());
    if (!process.argv.includes("--no-suite")) {
        console.log("");
        printSuite(await benchSuite());
    }
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});

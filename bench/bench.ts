/**
 * `npm run bench`: the project's speed targets, measured (never asserted in
 * tests). verify against the runbook's own query on 10,000 tables, and plan
 * at 40, 1,000 and 10,000 classified tables.
 */
import { benchVerify, printVerifyFigures } from "./verify-bench";
import { benchPlan, printPlanFigures } from "./plan-bench";

async function main(): Promise<void> {
    console.log(`raptor bench, node ${process.version}, ${new Date().toISOString()}\n`);
    printVerifyFigures(await benchVerify({ tables: 10_000 }));
    console.log("");
    printPlanFigures(await benchPlan([40, 1_000, 10_000]));
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});

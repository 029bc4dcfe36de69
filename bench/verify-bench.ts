/**
 * Times `raptor-roles verify` on three databases of N tables (bigserial ids,
 * so N sequences too): clean, N unclassified tables beside Raptor's 40, and
 * all N drifted (see fixtures.ts). Against the runbook's own Step 4 query on
 * the same database, and a bare `node -e 0`. Targets: verify under 1 s end to
 * end, its catalog query within 1.5x the runbook's. A benchmark, not a test.
 *
 * Each run is a fresh session, as verify and the runbook's psql really run:
 * every relation a query touches is then a catalog-cache miss in that backend.
 * "process" is a whole node process that loads the compiled verify (dist/),
 * connects, queries, computes, renders and prints, as the CLI does.
 *
 *   npx tsx bench/verify-bench.ts [tables] [runs]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { runVerify } from "../cli/verify";
import { renderReport } from "../core/verify";
import { startPostgres } from "../test/support/pg-server";
import { BenchDb, Scenario, ServerCoords, buildBenchDb } from "./fixtures";
import { Timing, fmt, processMs, ratio, timing } from "./timing";

/** The runbook's Step 4 query, verbatim but for the role and schema. */
export function runbookQuery(role: string, schema: string): string {
    const r = role.replace(/'/g, "''");
    return `SELECT
  t.relname AS table_name,
  has_table_privilege('${r}', t.relname, 'INSERT') AS ins,
  has_table_privilege('${r}', t.relname, 'SELECT') AS sel,
  has_table_privilege('${r}', t.relname, 'UPDATE') AS upd,
  has_table_privilege('${r}', t.relname, 'DELETE') AS del
FROM pg_class t
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = '${schema.replace(/'/g, "''")}' AND t.relkind = 'r'
ORDER BY t.relname`;
}

export interface ScenarioFigures {
    readonly scenario: Scenario;
    readonly tables: number;
    readonly sequences: number;
    readonly drifts: number;
    readonly classes: string;
    readonly outputLines: number;
    readonly runbook: Timing;
    readonly catalog: Timing;
    readonly connect: Timing;
    readonly compute: Timing;
    readonly render: Timing;
    /** connect + query + compute + render, in this process. */
    readonly inProcess: Timing;
    /** A whole node process running the compiled verify (what a user waits for). */
    readonly process: Timing;
}

/** Node code for one whole verify process on the compiled CLI; the classification comes from a file. */
const PROCESS_SCRIPT = `
const fs = require("node:fs");
const { runVerify } = require(process.env.BENCH_DIST + "/cli/verify.js");
const { renderReport } = require(process.env.BENCH_DIST + "/core/verify/index.js");
const classification = JSON.parse(fs.readFileSync(process.env.BENCH_CLASSIFICATION, "utf8"));
runVerify({ url: process.env.BENCH_URL, role: process.env.BENCH_ROLE, schema: "public", classification }).then((r) => {
    process.stdout.write(renderReport(r.report));
    process.exitCode = r.exitCode;
});`;

async function runbookFresh(db: BenchDb): Promise<number> {
    const c = new Client(db.owner);
    await c.connect();
    try {
        const a = performance.now();
        const { rowCount } = await c.query(runbookQuery(db.role, db.schema));
        const ms = performance.now() - a;
        if (rowCount !== db.tables) {
            throw new Error(`the runbook query returned ${rowCount} rows, expected ${db.tables}`);
        }
        return ms;
    } finally {
        await c.end();
    }
}

export async function benchScenario(
    server: ServerCoords,
    scenario: Scenario,
    tables: number,
    runs: number,
): Promise<ScenarioFigures> {
    const db = await buildBenchDb(server, { tables, scenario });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-bench-"));
    try {
        const classificationFile = path.join(dir, "classification.json");
        fs.writeFileSync(classificationFile, JSON.stringify(db.classification));
        const env = {
            ...process.env,
            BENCH_DIST: path.resolve(__dirname, "..", "dist"),
            BENCH_CLASSIFICATION: classificationFile,
            BENCH_URL: db.ownerUrl,
            BENCH_ROLE: db.role,
        };
        const once = async () => {
            const r = await runVerify({
                url: db.ownerUrl,
                role: db.role,
                schema: db.schema,
                classification: db.classification,
            });
            const a = performance.now();
            const text = renderReport(r.report);
            return { r, text, renderMs: performance.now() - a };
        };
        const first = await once(); // warms the server's buffers and this process's JIT
        await runbookFresh(db);
        const s = {
            rb: [] as number[],
            cat: [] as number[],
            con: [] as number[],
            comp: [] as number[],
            rend: [] as number[],
            all: [] as number[],
            proc: [] as number[],
        };
        for (let i = 0; i < runs; i++) {
            const { r, renderMs } = await once();
            s.cat.push(r.timings.queryMs);
            s.con.push(r.timings.connectMs);
            s.comp.push(r.timings.computeMs);
            s.rend.push(renderMs);
            s.all.push(r.timings.totalMs + renderMs);
            s.rb.push(await runbookFresh(db));
            s.proc.push(processMs(["-e", PROCESS_SCRIPT], { env, expect: [first.r.exitCode] }));
        }
        const counts = Object.entries(first.r.report.counts).filter(([, n]) => n > 0);
        return {
            scenario,
            tables: db.tables,
            sequences: first.r.report.checked.sequences,
            drifts: first.r.report.drifts.length,
            classes: counts.map(([k, n]) => `${k} ${n}`).join(", ") || "clean",
            outputLines: first.text.split("\n").length,
            runbook: timing(s.rb),
            catalog: timing(s.cat),
            connect: timing(s.con),
            compute: timing(s.comp),
            render: timing(s.rend),
            inProcess: timing(s.all),
            process: timing(s.proc),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await db.drop();
    }
}

export function printScenario(f: ScenarioFigures, node: Timing): void {
    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    console.log(
        `verify, ${f.scenario}: ${f.tables} tables + ${f.sequences} sequences; ${f.drifts} drift(s): ${f.classes}`,
    );
    console.log(`  runbook Step 4 query, fresh session   ${fmt(f.runbook)}`);
    console.log(
        `  verify catalog query, fresh session   ${fmt(f.catalog)}   ${ratio(f.catalog, f.runbook)} the runbook's ` +
            `(target <= 1.5: ${met(f.catalog.medianMs / f.runbook.medianMs <= 1.5)})`,
    );
    console.log(`  verify connect + authenticate         ${fmt(f.connect)}`);
    console.log(`  verify drift computation              ${fmt(f.compute)}`);
    console.log(`  verify report rendering               ${fmt(f.render)}   (${f.outputLines} lines of text output)`);
    console.log(
        `  verify in this process, all of it     ${fmt(f.inProcess)}   ${ratio(f.inProcess, f.runbook)} the runbook's`,
    );
    console.log(
        `  verify as a whole node process        ${fmt(f.process)}   ${ratio(f.process, node)} a bare node start; ` +
            `${ratio(f.process, f.runbook)} the runbook's query (target < 1000 ms: ${met(f.process.medianMs < 1000)})`,
    );
}

export async function benchVerify(opts: {
    tables?: number;
    runs?: number;
    server?: ServerCoords;
    node: Timing;
}): Promise<ScenarioFigures[]> {
    const started = opts.server ? undefined : await startPostgres();
    const server = opts.server ?? (started as ServerCoords);
    try {
        const out: ScenarioFigures[] = [];
        for (const scenario of ["clean", "unclassified", "drifted"] as const) {
            console.log(`(building the ${scenario} database: ${opts.tables ?? 10_000} tables...)`);
            const f = await benchScenario(server, scenario, opts.tables ?? 10_000, opts.runs ?? 7);
            printScenario(f, opts.node);
            console.log("");
            out.push(f);
        }
        return out;
    } finally {
        await started?.stop();
    }
}

if (require.main === module) {
    const [tables, runs] = process.argv.slice(2).map(Number);
    const node = timing(Array.from({ length: 7 }, () => processMs(["-e", "0"])));
    benchVerify({ tables: tables || undefined, runs: runs || undefined, node }).catch((e) => {
        console.error(e);
        process.exitCode = 1;
    });
}

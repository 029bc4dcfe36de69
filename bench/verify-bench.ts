/**
 * Times `raptor-roles verify` end to end (connect + the one catalog query +
 * the drift computation) on a database of 10,000 tables with bigserial ids
 * (so 10,000 sequences), against the runbook's own verification query (Step 4,
 * four has_table_privilege calls per table) run bare on the same database.
 * Targets: verify's catalog query no slower than the runbook's, and verify
 * under 1 s end to end. A benchmark, not a test: it prints what it measures.
 *
 * Both queries are timed twice: on a fresh session, as they are really run
 * (verify connects per run; an operator runs the runbook query in a new psql),
 * where every relation the query touches is a catalog-cache miss in that
 * backend; and warm, repeated on one open session.
 *
 *   npx tsx bench/verify-bench.ts [tables] [runs]
 */
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { runVerify } from "../cli/verify";
import { buildPlan } from "../core/plan";
import { readCatalog } from "../db/catalog";
import { startPostgres } from "../test/support/pg-server";
import { ServerCoords, buildBenchDb } from "./fixtures";

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

export interface Timing {
    readonly medianMs: number;
    readonly minMs: number;
    readonly samplesMs: readonly number[];
}

export interface VerifyFigures {
    readonly tables: number;
    readonly sequences: number;
    readonly runs: number;
    readonly buildMs: number;
    /** verify as a user runs it: new connection, the query, the drift computation. */
    readonly verifyEndToEnd: Timing;
    /** verify's catalog query alone on its fresh session (runVerify's own timing of it). */
    readonly verifyCatalog: Timing;
    readonly verifyConnect: Timing;
    readonly verifyCompute: Timing;
    /** The runbook's query, bare, first query of a fresh session, all rows fetched (connect not counted). */
    readonly runbook: Timing;
    /** Both queries repeated on one open session. */
    readonly verifyCatalogWarm: Timing;
    readonly runbookWarm: Timing;
    /** verifyCatalog / runbook, fresh sessions (target: <= 1). */
    readonly catalogRatio: number;
    /** The same on warm sessions. */
    readonly catalogRatioWarm: number;
    /** verifyEndToEnd / runbook. */
    readonly endToEndRatio: number;
    readonly clean: boolean;
    readonly drifts: number;
}

const timing = (xs: number[]): Timing => {
    const s = [...xs].sort((a, b) => a - b);
    return { medianMs: s[Math.floor(s.length / 2)], minMs: s[0], samplesMs: xs };
};

/**
 * Starts PostgreSQL 17 (unless given one), builds the database, and times
 * verify and the runbook query, alternating runs so drift in machine load hits
 * both. Stops what it started.
 */
export async function benchVerify(opts: { tables?: number; runs?: number; server?: ServerCoords; log?: (s: string) => void } = {}): Promise<VerifyFigures> {
    const tables = opts.tables ?? 10_000;
    const runs = opts.runs ?? 7;
    const log = opts.log ?? ((s: string) => console.log(s));
    const started = opts.server ? undefined : await startPostgres();
    const server = opts.server ?? (started as ServerCoords);
    try {
        const t0 = performance.now();
        log(`verify bench: building a database with ${tables} tables (bigserial ids: ${tables} sequences) and applying the grants...`);
        const db = await buildBenchDb(server, { tables });
        const buildMs = performance.now() - t0;
        try {
            const verifyOnce = () => runVerify({ url: db.ownerUrl, role: db.role, schema: db.schema, classification: db.classification });
            const sql = runbookQuery(db.role, db.schema);
            const runbookFresh = async () => {
                const c = new Client(db.owner);
                await c.connect();
                try {
                    const a = performance.now();
                    const { rowCount } = await c.query(sql);
                    const t = performance.now() - a;
                    if (rowCount !== tables) {
                        throw new Error(`the runbook query returned ${rowCount} rows, expected ${tables}`);
                    }
                    return t;
                } finally {
                    await c.end();
                }
            };
            // Warm the server (shared buffers, this process's JIT) once each.
            const first = await verifyOnce();
            await runbookFresh();
            const e2e: number[] = [];
            const cat: number[] = [];
            const con: number[] = [];
            const comp: number[] = [];
            const rb: number[] = [];
            for (let i = 0; i < runs; i++) {
                const a = performance.now();
                const r = await verifyOnce();
                e2e.push(performance.now() - a);
                cat.push(r.timings.queryMs);
                con.push(r.timings.connectMs);
                comp.push(r.timings.computeMs);
                rb.push(await runbookFresh());
            }
            const plan = buildPlan({ classification: db.classification, role: db.role, schema: db.schema });
            const session = new Client(db.owner);
            await session.connect();
            const catWarm: number[] = [];
            const rbWarm: number[] = [];
            try {
                await readCatalog(session, plan);
                await session.query(sql);
                for (let i = 0; i < runs; i++) {
                    const a = performance.now();
                    await readCatalog(session, plan);
                    catWarm.push(performance.now() - a);
                    const b = performance.now();
                    await session.query(sql);
                    rbWarm.push(performance.now() - b);
                }
            } finally {
                await session.end();
            }
            const verifyCatalog = timing(cat);
            const rbT = timing(rb);
            const verifyEndToEnd = timing(e2e);
            const verifyCatalogWarm = timing(catWarm);
            const runbookWarm = timing(rbWarm);
            return {
                tables,
                sequences: first.report.checked.sequences,
                runs,
                buildMs,
                verifyEndToEnd,
                verifyCatalog,
                verifyConnect: timing(con),
                verifyCompute: timing(comp),
                runbook: rbT,
                verifyCatalogWarm,
                runbookWarm,
                catalogRatio: verifyCatalog.medianMs / rbT.medianMs,
                catalogRatioWarm: verifyCatalogWarm.medianMs / runbookWarm.medianMs,
                endToEndRatio: verifyEndToEnd.medianMs / rbT.medianMs,
                clean: first.report.clean,
                drifts: first.report.drifts.length,
            };
        } finally {
            await db.drop();
        }
    } finally {
        await started?.stop();
    }
}

export function printVerifyFigures(f: VerifyFigures): void {
    const ms = (t: Timing) => `${t.medianMs.toFixed(1).padStart(7)} ms median (min ${t.minMs.toFixed(1)})`;
    console.log(`verify, ${f.tables} tables + ${f.sequences} sequences, median of ${f.runs} runs (database built in ${(f.buildMs / 1000).toFixed(1)} s):`);
    console.log("  fresh session (as really run):");
    console.log(`    runbook Step 4 query, bare        ${ms(f.runbook)}`);
    console.log(`    verify: the one catalog query     ${ms(f.verifyCatalog)}   x${f.catalogRatio.toFixed(2)} the runbook's (target <= 1.00: ${f.catalogRatio <= 1 ? "met" : "MISSED"})`);
    console.log(`    verify: connect + authenticate    ${ms(f.verifyConnect)}`);
    console.log(`    verify: drift computation         ${ms(f.verifyCompute)}`);
    console.log(`    verify: end to end                ${ms(f.verifyEndToEnd)}   x${f.endToEndRatio.toFixed(2)} the runbook's query; target < 1000 ms: ${f.verifyEndToEnd.medianMs < 1000 ? "met" : "MISSED"}`);
    console.log("  warm session (each query repeated on one open connection):");
    console.log(`    runbook Step 4 query, bare        ${ms(f.runbookWarm)}`);
    console.log(`    verify: catalog query + parse     ${ms(f.verifyCatalogWarm)}   x${f.catalogRatioWarm.toFixed(2)} the runbook's`);
    console.log(`  result on the freshly granted database: ${f.clean ? "clean" : `${f.drifts} drift(s) (unexpected)`}`);
}

if (require.main === module) {
    const [tables, runs] = process.argv.slice(2).map(Number);
    benchVerify({ tables: tables || undefined, runs: runs || undefined }).then(printVerifyFigures, (e) => {
        console.error(e);
        process.exitCode = 1;
    });
}

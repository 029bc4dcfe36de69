/**
 * Times the workload proof (issue 25, point 7) on 5,000 distinct statements, pg_stat_statements.max's default and
 * so the most a Heroku database's statistics hold: a database with Raptor's 40 tables and the plan applied, the
 * statements run as the owner (what pg_stat_statements holds before the flip), then `runWorkload` end to end:
 * connect, read the statistics, analyse, derive, read the catalog, EXPLAIN as the role, judge. Reports the
 * statements judged, the seconds and the round trips (every `client.query`, counted on pg's Client prototype),
 * which must not grow with the statement count. Target: under 10 s. A benchmark, not a test.
 *
 * The bench's server keeps 5,100 statements (the default is 5,000): the proof's own few statements (who, the
 * extension's schema) are recorded too, and the 5,001st entry would make pg_stat_statements evict 5% of them.
 *
 *   npx tsx bench/workload-bench.ts [statements]
 */
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { runWorkload } from "../cli/workload";
import { RAPTOR_CLASSIFICATION, classify } from "../core/classification";
import { buildPlan } from "../core/plan";
import { WorkloadCounts } from "../core/workload/report";
import { PgServer, startPostgres } from "../test/support/pg-server";
import { withClient } from "../test/support/pg-client";
import { buildBenchDb } from "./fixtures";

export interface WorkloadFigures {
    /** Distinct statements run as the owner, and those the proof read and judged. */
    readonly ran: number;
    readonly judged: number;
    readonly counts: WorkloadCounts;
    readonly seconds: number;
    readonly roundTrips: number;
    /** Round trips for a tenth of the statements: the same count when it does not grow with them. */
    readonly roundTripsSmall: number;
}

/** `n` distinct statements (distinct once normalised: their shapes differ, not their constants) on `tables`. */
export function distinctStatements(tables: readonly string[], n: number): string[] {
    const out: string[] = [];
    for (let k = 1; out.length < n; k++) {
        const ors = Array.from({ length: k }, (_, i) => `id = ${i + 1}`).join(" OR ");
        const rows = Array.from({ length: k }, (_, i) => `('p${i}')`).join(", ");
        for (const t of tables) {
            out.push(
                `SELECT id, payload FROM ${t} WHERE ${ors}`,
                `UPDATE ${t} SET payload = 'x' WHERE ${ors}`,
                `INSERT INTO ${t} (payload) VALUES ${rows}`,
                `DELETE FROM ${t} WHERE payload = 'gone' AND (${ors})`,
            );
        }
    }
    return out.slice(0, n);
}

/** Runs `fn`, counting every query any pg Client sends meanwhile. */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; queries: number }> {
    const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
    const original = proto.query;
    let queries = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
        queries++;
        return original.apply(this, args);
    };
    try {
        return { value: await fn(), queries };
    } finally {
        proto.query = original;
    }
}

/** One database, `n` statements run as the owner, then the proof timed once. */
async function judgeOnce(server: PgServer, n: number): Promise<Omit<WorkloadFigures, "roundTripsSmall">> {
    const db = await buildBenchDb(server, { tables: 0, classification: RAPTOR_CLASSIFICATION });
    const su = { ...db.owner, user: server.superuser, password: server.password };
    try {
        await withClient(su, (c) => c.query("CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset()"));
        const statements = distinctStatements(
            classify(RAPTOR_CLASSIFICATION).map((t) => t.table),
            n,
        );
        await withClient(db.owner, async (c) => {
            for (const s of statements) {
                await c.query(s);
            }
        });
        const plan = buildPlan({ classification: db.classification, role: db.role, schema: db.schema });
        const a = performance.now();
        const { value, queries } = await counting(() =>
            runWorkload({ ownerUrl: db.ownerUrl, roleUrl: db.roleUrl, plan, of: "owner" }),
        );
        const seconds = (performance.now() - a) / 1000;
        const c = value.report.counts;
        return {
            ran: statements.length,
            judged: c.permitted + c.denied + c.ownerOnly,
            counts: c,
            seconds,
            roundTrips: queries,
        };
    } finally {
        await db.drop();
    }
}

export async function benchWorkload(statements = 5_000): Promise<WorkloadFigures> {
    const server = await startPostgres(undefined, { "pg_stat_statements.max": String(statements + 100) });
    try {
        const small = await judgeOnce(server, Math.ceil(statements / 10));
        const full = await judgeOnce(server, statements);
        return { ...full, roundTripsSmall: small.roundTrips };
    } finally {
        await server.stop();
    }
}

export function printWorkload(f: WorkloadFigures, small = Math.ceil(f.ran / 10)): void {
    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    const c = f.counts;
    console.log(`workload proof: ${f.ran.toLocaleString("en-US")} distinct statements run as the owner`);
    console.log(
        `  judged ${f.judged.toLocaleString("en-US")} (permitted ${c.permitted}, denied ${c.denied}, ` +
            `owner-only ${c.ownerOnly}; not judged ${c.notJudged})`,
    );
    console.log(
        `  runWorkload end to end                ${f.seconds.toFixed(2)} s (target < 10 s: ${met(f.seconds < 10)})`,
    );
    console.log(
        `  round trips (client.query calls)      ${f.roundTrips}; ${f.roundTripsSmall} for ` +
            `${small.toLocaleString("en-US")} statements (target: the same: ${met(f.roundTrips <= f.roundTripsSmall)})`,
    );
}

if (require.main === module) {
    const n = Number(process.argv[2]) || 5_000;
    benchWorkload(n)
        .then((f) => printWorkload(f))
        .catch((e) => {
            console.error(e);
            process.exitCode = 1;
        });
}

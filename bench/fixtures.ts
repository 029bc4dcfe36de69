/**
 * Large Heroku-like databases for the benchmarks, outside vitest: a
 * non-superuser owner owns the database and every table, the application role
 * has LOGIN and a password, and the tables (bigserial ids, so one sequence
 * each) sit in one schema, granted with the real renderSql. Three shapes:
 *   clean         N classified tables, exactly as the plan grants them;
 *   unclassified  Raptor's 40 classified tables plus N tables the plan does not know;
 *   drifted       N classified tables after `GRANT ALL ON ALL TABLES/SEQUENCES IN SCHEMA`
 *                 (the blanket grant the runbook's re-apply block used): every one has drifted.
 */
import { randomBytes } from "node:crypto";
import { ClientConfig } from "pg";
import { Classification, RAPTOR_CLASSIFICATION, classify } from "../core/classification";
import { quoteIdent } from "../core/identifiers";
import { buildPlan } from "../core/plan";
import { renderSql } from "../core/sql";
import { withClient } from "../test/support/pg-client";

export interface ServerCoords {
    readonly port: number;
    readonly superuser: string;
    readonly password: string;
}

export type Scenario = "clean" | "unclassified" | "drifted";

export interface BenchDb {
    readonly database: string;
    readonly role: string;
    readonly schema: string;
    readonly owner: ClientConfig;
    readonly ownerUrl: string;
    /** The application role's URL, with its password. */
    readonly roleUrl: string;
    readonly classification: Classification;
    /** Tables in the schema (classified or not). */
    readonly tables: number;
    drop(): Promise<void>;
}

/** `t00000`, `t00001`, ...: plain identifiers that sort in creation order. */
export function tableNames(n: number, prefix = "t"): string[] {
    const width = Math.max(5, String(n - 1).length);
    return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(width, "0")}`);
}

/** Half application, two locked, the rest append-only. */
export function classifyNames(names: readonly string[]): Classification {
    const half = Math.floor(names.length / 2);
    return {
        application: names.slice(0, half),
        locked: names.slice(half, half + 2),
        appendOnly: names.slice(half + 2),
    };
}

/** The classification and every table to create, for a scenario of `n` tables. */
function shape(scenario: Scenario, n: number): { classification: Classification; names: string[] } {
    if (scenario === "unclassified") {
        const raptor = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);
        return { classification: RAPTOR_CLASSIFICATION, names: [...raptor, ...tableNames(n, "u")] };
    }
    const names = tableNames(n);
    return { classification: classifyNames(names), names };
}

/**
 * Creates the database for a scenario and applies the rendered grant script
 * as the owner (then the drift, for `drifted`). Tens of seconds for 10,000 tables.
 */
export async function buildBenchDb(
    server: ServerCoords,
    opts: { tables: number; scenario?: Scenario; schema?: string; role?: string; classification?: Classification },
): Promise<BenchDb> {
    const suffix = randomBytes(3).toString("hex");
    const database = `raptor_bench_${suffix}`;
    const ownerUser = `owner_bench_${suffix}`;
    const role = opts.role ?? `raptor_app_bench_${suffix}`;
    const schema = opts.schema ?? "public";
    const ownerPassword = randomBytes(12).toString("hex");
    const rolePassword = randomBytes(12).toString("hex");
    const su: ClientConfig = {
        host: "127.0.0.1",
        port: server.port,
        user: server.superuser,
        password: server.password,
        database: "postgres",
    };
    await withClient(su, async (c) => {
        await c.query(
            `CREATE ROLE ${quoteIdent(ownerUser)} LOGIN NOSUPERUSER NOCREATEROLE PASSWORD '${ownerPassword}'`,
        );
        await c.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(ownerUser)}`);
        await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${rolePassword}'`);
    });
    const owner: ClientConfig = { ...su, user: ownerUser, password: ownerPassword, database };
    // A given classification: exactly its tables (opts.tables is ignored), e.g. Raptor's own for the workload bench.
    const { classification, names } = opts.classification
        ? { classification: opts.classification, names: classify(opts.classification).map((t) => t.table) }
        : shape(opts.scenario ?? "clean", opts.tables);
    await withClient(owner, async (c) => {
        await c.query("REVOKE ALL ON SCHEMA public FROM PUBLIC");
        if (schema !== "public") {
            await c.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
        }
        for (let i = 0; i < names.length; i += 500) {
            const batch = names.slice(i, i + 500);
            const ddl = batch.map(
                (t) => `CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(t)} (id bigserial PRIMARY KEY, payload text)`,
            );
            await c.query(ddl.join(";\n"));
        }
        await c.query(renderSql(buildPlan({ classification, role, schema })));
        if (opts.scenario === "drifted") {
            await c.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(role)}`);
            await c.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(role)}`);
        }
        await c.query("ANALYZE");
    });
    return {
        database,
        role,
        schema,
        owner,
        // The bench server has no SSL; verify uses SSL unless the URL opts out.
        ownerUrl:
            `postgres://${encodeURIComponent(ownerUser)}:${ownerPassword}@127.0.0.1:${server.port}/${database}` +
            "?sslmode=disable",
        roleUrl:
            `postgres://${encodeURIComponent(role)}:${rolePassword}@127.0.0.1:${server.port}/${database}` +
            "?sslmode=disable",
        classification,
        tables: names.length,
        async drop() {
            await withClient(su, async (c) => {
                await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
                await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
                await c.query(`DROP ROLE IF EXISTS ${quoteIdent(ownerUser)}`);
            });
        },
    };
}

/**
 * What the stand-in Raptor app (app.ts) runs on each tick, apart from the process that runs it: which tables,
 * and the exact statements, as SQLAlchemy sends them (values as $n, names bare). Tests import it to know
 * how many ticks cover every table and which statement texts the app leaves in pg_stat_statements.
 *
 * Every tick the hot tables (users, paper_orders) get the full DML cycle, so a revoked grant on them trips
 * the app within one tick, as the engine tests expect. The other tables are swept round-robin, a few per
 * tick, so every application and append-only table is touched within `sweepTicks` ticks without hundreds of
 * statements a tick. One application table a tick (round-robin too) also gets the rarer shapes: an upsert
 * and a `SELECT ... FOR UPDATE` inside a transaction.
 */
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { ident } from "./schema";

/** Hit on every tick (when they are among the application tables). */
export const HOT_TABLES: readonly string[] = ["users", "paper_orders"];

export interface Workload {
    /** Application tables (full DML): RAPTOR_APP_DML_TABLES, else the classification's application set. */
    readonly application: readonly string[];
    /** Append-only tables (INSERT, SELECT): RAPTOR_APP_APPEND_TABLES, else the classification's set. */
    readonly appendOnly: readonly string[];
    /** HOT_TABLES that are application tables. */
    readonly hot: readonly string[];
    /** Everything else, application tables first, swept `perTick` at a time. */
    readonly sweep: readonly { readonly table: string; readonly set: "application" | "appendOnly" }[];
    /** RAPTOR_APP_SWEEP_PER_TICK, default 4. */
    readonly perTick: number;
}

const list = (v: string | undefined, fallback: readonly string[]) =>
    v === undefined ? [...fallback] : v.split(",").filter(Boolean);

export function workload(env: NodeJS.ProcessEnv): Workload {
    const application = list(env.RAPTOR_APP_DML_TABLES, RAPTOR_CLASSIFICATION.application);
    const appendOnly = list(env.RAPTOR_APP_APPEND_TABLES, RAPTOR_CLASSIFICATION.appendOnly);
    const hot = HOT_TABLES.filter((t) => application.includes(t));
    const perTick = Math.max(1, Math.floor(Number(env.RAPTOR_APP_SWEEP_PER_TICK ?? "4")) || 4);
    return {
        application,
        appendOnly,
        hot,
        perTick,
        sweep: [
            ...application.filter((t) => !hot.includes(t)).map((table) => ({ table, set: "application" as const })),
            ...appendOnly.map((table) => ({ table, set: "appendOnly" as const })),
        ],
    };
}

/** Ticks that cover every swept table once, starting from any tick. */
export const sweepTicks = (w: Workload) => Math.ceil(w.sweep.length / w.perTick);

export interface TickPlan {
    /** Application tables this tick, hot ones first; `rare` marks the one that also gets the upsert and lock. */
    readonly application: readonly { readonly table: string; readonly rare: boolean }[];
    readonly appendOnly: readonly string[];
}

/** Tick n: the hot tables, swept tables n*perTick .. n*perTick+perTick-1 (wrapping), and application[n]. */
export function planTick(w: Workload, n: number): TickPlan {
    const swept =
        w.sweep.length === 0
            ? []
            : Array.from(
                  { length: Math.min(w.perTick, w.sweep.length) },
                  (_, i) => w.sweep[(n * w.perTick + i) % w.sweep.length],
              );
    const rare = w.application.length === 0 ? undefined : w.application[n % w.application.length];
    const app = [...w.hot, ...swept.filter((s) => s.set === "application").map((s) => s.table)];
    if (rare !== undefined && !app.includes(rare)) {
        app.push(rare);
    }
    return {
        application: app.map((table) => ({ table, rare: table === rare })),
        appendOnly: swept.filter((s) => s.set === "appendOnly").map((s) => s.table),
    };
}

/** The statements, one function of the table each. */
export const SQL = {
    /** Application and append-only tables: the id comes from the bigserial default (its sequence). */
    insert: (t: string) => `INSERT INTO ${ident(t)} (payload) VALUES ($1) RETURNING ${ident(t)}.id`,
    select: (t: string) => `SELECT ${ident(t)}.id, ${ident(t)}.payload FROM ${ident(t)} WHERE ${ident(t)}.id = $1`,
    update: (t: string) => `UPDATE ${ident(t)} SET payload=$1 WHERE ${ident(t)}.id = $2`,
    delete: (t: string) => `DELETE FROM ${ident(t)} WHERE ${ident(t)}.id = $1 RETURNING ${ident(t)}.id`,
    upsert: (t: string) =>
        `INSERT INTO ${ident(t)} (id, payload) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET payload = ` +
        "excluded.payload",
    selectForUpdate: (t: string) =>
        `SELECT ${ident(t)}.id, ${ident(t)}.payload FROM ${ident(t)} WHERE ${ident(t)}.id = $1 FOR UPDATE`,
} as const;

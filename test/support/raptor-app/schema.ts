/**
 * Raptor's schema as its migrations leave it, for the rig's database (deployed.ts) and for any test that needs
 * the same objects: every classified table as `(id bigserial PRIMARY KEY, payload text)` (the locked ones as
 * Alembic and Rails make them), the history triggers Raptor has, the weekly job's table from a recent migration,
 * and the migration tool's own bookkeeping.
 *
 * The history triggers are what make the workload proof (issue 25) need the catalog: each is a PL/pgSQL
 * function owned by the owner and NOT security definer, so it runs as the role that fired it, and its INSERT
 * into the `*_history` table (and the nextval behind that table's id) needs raptor_app's own privileges,
 * which EXPLAIN of the firing statement does not check.
 *
 * `weekly_digest_runs` is in no set of core/classification.ts on purpose: the matrix gives raptor_app nothing
 * on it, so the app's weekly job (app.ts) is the rare statement the proof must catch before the cutover.
 */
import { isPlainIdentifier, quoteIdent } from "../../../core/identifiers";

/** A name as SQLAlchemy and Alembic write it: bare when Postgres keeps it as written, else quoted. */
export const ident = (name: string) => (isPlainIdentifier(name) ? name : quoteIdent(name));

/** Tables whose every row change a trigger copies into an append-only history table, as Raptor has them. */
export const HISTORY_TRIGGERS: readonly { readonly table: string; readonly history: string }[] = [
    { table: "users", history: "users_history" },
    { table: "customer_sessions", history: "sessions_history" },
    { table: "webauthn_credentials", history: "passkeys_history" },
    { table: "paper_orders", history: "trades_history" },
];

/** The trigger on `table` and the function it runs: `<table>_history_t`, `<table>_history_f`. */
export const historyTrigger = (table: string) => `${table}_history_t`;
export const historyFunction = (table: string) => `${table}_history_f`;

/** Created by a recent migration and classified in no set: the app's weekly job writes it. */
export const WEEKLY_DIGEST_TABLE = "weekly_digest_runs";

/** The statement of the weekly job (app.ts), as SQLAlchemy sends it: an upsert keyed on the week. */
export const WEEKLY_DIGEST_UPSERT =
    `INSERT INTO ${WEEKLY_DIGEST_TABLE} (week, payload) VALUES ($1, $2) ` +
    "ON CONFLICT (week) DO UPDATE SET payload = EXCLUDED.payload";

/** Alembic's bookkeeping: the first revision is inserted, each later one replaces the one before. */
export const ALEMBIC_INSERT = "INSERT INTO alembic_version (version_num) VALUES ($1)";
export const ALEMBIC_UPDATE = "UPDATE alembic_version SET version_num=$1 WHERE alembic_version.version_num = $2";

/** The revisions a fresh deployment runs through; the weekly job's migration comes last when it is deployed. */
export function alembicRevisions(weeklyJob: boolean): string[] {
    const base = ["0001_initial", "0026_order_strategy_links"];
    return weeklyJob ? [...base, "0027_weekly_digest_runs"] : base;
}

export function tableDdl(table: string): string {
    if (table === "alembic_version") {
        return "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)";
    }
    if (table === "schema_migrations") {
        return "CREATE TABLE schema_migrations (version varchar(64) PRIMARY KEY)";
    }
    return `CREATE TABLE ${ident(table)} (id bigserial PRIMARY KEY, payload text)`;
}

/**
 * An AFTER INSERT OR UPDATE OR DELETE row trigger on `table` that appends `<OP> <table> <id>` to `history`
 * through its bigserial default. Plain (invoker's rights) PL/pgSQL, as a migration writes it.
 */
export function historyTriggerDdl(table: string, history: string): string {
    const f = ident(historyFunction(table));
    return [
        `CREATE FUNCTION ${f}() RETURNS trigger LANGUAGE plpgsql AS $$\n` +
            "BEGIN\n" +
            `    INSERT INTO ${ident(history)} (payload)\n` +
            "    VALUES (TG_OP || ' ' || TG_TABLE_NAME || ' ' || " +
            "CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);\n" +
            "    RETURN NULL;\n" +
            "END\n" +
            "$$",
        `CREATE TRIGGER ${ident(historyTrigger(table))} AFTER INSERT OR UPDATE OR DELETE ON ` +
            `${ident(table)} FOR EACH ROW EXECUTE FUNCTION ${f}()`,
    ].join(";\n");
}

export const WEEKLY_DIGEST_DDL = `CREATE TABLE ${WEEKLY_DIGEST_TABLE} (week date PRIMARY KEY, payload text)`;

/**
 * The DDL for `tables`: each table, then the history triggers whose two tables are both there, then (with
 * `weeklyJob`) the weekly job's table. One script, run as the owner.
 */
export function schemaDdl(tables: readonly string[], opts: { weeklyJob?: boolean } = {}): string {
    const have = new Set(tables);
    const ddl = tables.map(tableDdl);
    for (const { table, history } of HISTORY_TRIGGERS) {
        if (have.has(table) && have.has(history)) {
            ddl.push(historyTriggerDdl(table, history));
        }
    }
    if (opts.weeklyJob) {
        ddl.push(WEEKLY_DIGEST_DDL);
    }
    return ddl.join(";\n");
}

/**
 * Tries each table privilege as the connected role and reports what Postgres
 * allowed. Every statement runs in a savepoint so a refusal does not end the
 * session, and everything is rolled back: probing leaves no rows behind.
 */
import { Client } from "pg";
import { quoteIdent } from "../../core/identifiers";

export type Probe = "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE";
export type ProbeResult = Record<Probe, "ok" | string>;

/** The migration tables have no payload column: their UPDATE sets the version to itself. */
const SET_TO_ITSELF = new Map([
    ["alembic_version", "version_num = version_num"],
    ["schema_migrations", "version = version"],
]);

export async function probeTable(c: Client, schema: string, table: string): Promise<ProbeResult> {
    const t = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    const attempts: Record<Probe, string> = {
        // Inserting a row with only its bigserial id uses the sequence, as the app's inserts do.
        INSERT: `INSERT INTO ${t} DEFAULT VALUES RETURNING *`,
        SELECT: `SELECT * FROM ${t} LIMIT 1`,
        UPDATE: `UPDATE ${t} SET ${SET_TO_ITSELF.get(table) ?? "payload = 'p'"}`,
        DELETE: `DELETE FROM ${t}`,
        TRUNCATE: `TRUNCATE ${t}`,
    };
    const result = {} as ProbeResult;
    await c.query("BEGIN");
    try {
        for (const p of Object.keys(attempts) as Probe[]) {
            await c.query("SAVEPOINT probe");
            try {
                await c.query(attempts[p]);
                result[p] = "ok";
                await c.query("RELEASE SAVEPOINT probe");
            } catch (e) {
                result[p] = (e as Error).message;
                await c.query("ROLLBACK TO SAVEPOINT probe");
            }
        }
    } finally {
        await c.query("ROLLBACK");
    }
    return result;
}

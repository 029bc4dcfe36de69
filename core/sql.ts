/**
 * Renders the grant plan as the break-glass SQL script an operator can run
 * with psql as the database owner: one transaction, idempotent, per-table
 * REVOKE then GRANT, never ON ALL TABLES.
 */
import { GrantPlan } from "./plan";
import { qualified, quoteIdent } from "./identifiers";

export function renderSql(plan: GrantPlan): string {
    const role = quoteIdent(plan.role);
    const schema = quoteIdent(plan.schema);
    const lines: string[] = [
        `-- Raptor grant matrix for role ${plan.role} in schema ${plan.schema}.`,
        "-- Apply it as `raptor-roles sql --help` says: save it, review it, then heroku pg:psql -a APP -f FILE.sql",
        "-- Idempotent: every table is reset to exactly its set's privileges.",
        "BEGIN;",
        "",
        "-- The schema: USAGE only (a new Heroku credential cannot reach public at all; CREATE would be DDL).",
        `REVOKE ALL ON SCHEMA ${schema} FROM ${role};`,
        `GRANT USAGE ON SCHEMA ${schema} TO ${role};`,
        "",
        "-- Tables, one at a time: revoke everything, then grant the set's privileges.",
    ];
    for (const t of plan.tables) {
        const table = qualified(plan.schema, t.table);
        lines.push(`REVOKE ALL ON TABLE ${table} FROM ${role};`);
        if (t.privileges.length > 0) {
            lines.push(`GRANT ${t.privileges.join(", ")} ON TABLE ${table} TO ${role}; -- ${t.set}`);
        } else {
            lines.push(`-- ${t.table}: ${t.set}, no privileges`);
        }
    }
    lines.push(
        "",
        "-- Sequences: USAGE for inserts through bigserial defaults, now and for sequences created later.",
        `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${role};`,
        `GRANT ${plan.sequencePrivileges.join(", ")} ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role};`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT ${plan.sequencePrivileges.join(", ")} ON SEQUENCES TO ` +
            `${role};`,
        "",
        "COMMIT;",
        "",
    );
    return lines.join("\n");
}

/**
 * `raptor-roles sql --stack NAME`: the idempotent re-apply script for a
 * stack's role and schema, from the same plan as the Pulumi grants. This
 * replaces the runbook's "Re-apply grants" block, which ran ON ALL TABLES and
 * gave UPDATE/DELETE on the append-only tables.
 */
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { buildPlan } from "../core/plan";
import { renderSql } from "../core/sql";
import { stackSettings } from "../offline/stack-file";
import { Io, Subcommand, UsageError } from "./io";
import { parse } from "./args";

export const SQL_HELP = `usage: raptor-roles sql --stack NAME

Prints the break-glass grant script for the stack's role and schema: one
transaction, per-table REVOKE then GRANT, never ON ALL TABLES. Run it as the
database owner:

  raptor-roles sql --stack staging > grants.sql
  heroku pg:psql -a raxx-api-staging < grants.sql

Options:
  --stack NAME   stack whose Pulumi.<NAME>.yaml gives the role and schema (required)
  -h, --help     this help
`;

export const sql: Subcommand = async (argv: string[], io: Io) => {
    const { values } = parse(argv, { stack: { type: "string" } });
    if (values.help) {
        io.out(SQL_HELP);
        return 0;
    }
    if (!values.stack) {
        throw new UsageError("--stack is required (e.g. --stack staging)");
    }
    const settings = stackSettings(values.stack);
    io.out(
        renderSql(buildPlan({ classification: RAPTOR_CLASSIFICATION, role: settings.role, schema: settings.schema })),
    );
    return 0;
};

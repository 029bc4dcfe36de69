/**
 * `raptor-roles sql --stack NAME [--json]`: the idempotent re-apply script for a
 * stack's role and schema, from the same plan as the Pulumi grants. This
 * replaces the runbook's "Re-apply grants" block, which ran ON ALL TABLES and
 * gave UPDATE/DELETE on the append-only tables.
 */
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { buildPlan } from "../core/plan";
import { renderSql } from "../core/sql";
import { stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { EXIT, UsageError } from "./contract";
import { Io, Subcommand } from "./io";

/** The one documented way to apply the script (README "Operator tools" and the script's header say the same). */
export const APPLY_SQL = (stack: string, app: string) =>
    `raptor-roles sql --stack ${stack} > grants.sql      # then review grants.sql\n` +
    `heroku pg:psql -a ${app} -f grants.sql             # as the database owner (the app's DATABASE)`;

export const SQL_HELP = `usage: raptor-roles sql --stack NAME [--json]

Prints the break-glass grant script for the stack's role and schema: one
transaction, per-table REVOKE then GRANT, never ON ALL TABLES. Apply it so:

  ${APPLY_SQL("staging", "raxx-api-staging").replace(/\n/g, "\n  ")}

Options:
  --stack NAME   stack whose Pulumi.<NAME>.yaml gives the role and schema (required)
  --json         {stack, app, role, schema, sql}
  -h, --help     this help
Exit status: 0 printed, 1 bad input (an unknown stack, an invalid stack file).
`;

export const sql: Subcommand = async (argv: string[], io: Io) => {
    const { values } = parse(argv, { stack: { type: "string" }, json: { type: "boolean" } }, "sql");
    if (values.help) {
        io.out(SQL_HELP);
        return EXIT.OK;
    }
    if (!values.stack) {
        throw new UsageError("--stack is required", "raptor-roles sql --stack staging (or --stack prod)");
    }
    const settings = stackSettings(values.stack);
    const script = renderSql(
        buildPlan({ classification: RAPTOR_CLASSIFICATION, role: settings.role, schema: settings.schema }),
    );
    if (values.json) {
        const doc = {
            stack: values.stack,
            app: settings.app,
            role: settings.role,
            schema: settings.schema,
            sql: script,
        };
        io.out(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
        io.out(script);
    }
    return EXIT.OK;
};

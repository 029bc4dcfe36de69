/**
 * Drift between a live database (one catalog snapshot, core/catalog.ts) and
 * the grant plan, as data: each drift has a class, the object, what is wrong
 * and the exact fix, aimed at where the privilege actually comes from.
 * computeDrift only assembles the families: role.ts, ownership.ts,
 * schema.ts, relations.ts and defaults.ts, which share checker.ts (and its
 * source explanation, sources.ts); render.ts prints the report.
 * Pure: no pg, no Pulumi, no I/O.
 */
import type { Catalog } from "../catalog";
import { TableSet } from "../classification";
import { quoteIdent } from "../identifiers";
import { GrantPlan } from "../plan";
import { Checker } from "./checker";
import { checkDefaultsExcess, checkDefaultsMissing } from "./defaults";
import { checkOwnership } from "./ownership";
import { checkMissingTables, checkRelations, checkUnclassified } from "./relations";
import { VerifyContext, VerifyError, VerifyReport, buildReport } from "./report";
import { checkMemberships, checkRole, checkRoleMissing } from "./role";
import { checkDatabase, checkSchemas } from "./schema";

export { DRIFT_CLASSES, VerifyError } from "./report";
export type { Drift, DriftClass, VerifyContext, VerifyReport } from "./report";
export { SHOWN_PER_CLASS, renderReport } from "./render";

/**
 * Compares the catalog with the plan. Throws VerifyError only when the plan's
 * schema does not exist (nothing can be checked); everything else is drift.
 */
export function computeDrift(plan: GrantPlan, cat: Catalog, ctx: VerifyContext = {}): VerifyReport {
    if (!cat.schemaExists) {
        throw new VerifyError(
            `schema ${quoteIdent(plan.schema)} does not exist in database ${quoteIdent(cat.database.name)}; ` +
                "check the URL (is it the right database?) and the stack's raptor:schema",
        );
    }
    const c = new Checker(plan, cat);
    const planned = new Map<string, TableSet>(plan.tables.map((t) => [t.table, t.set]));
    // Checked even without the role: the plan's tables that are not there, and tables the plan does not know.
    checkMissingTables(c, planned);
    checkUnclassified(c, planned);
    if (cat.role === null) {
        checkRoleMissing(c, ctx);
    } else {
        checkRole(c);
        checkMemberships(c);
        checkOwnership(c, planned);
        checkSchemas(c);
        checkDatabase(c);
        checkRelations(c, planned);
        checkDefaultsMissing(c);
        checkDefaultsExcess(c);
    }
    const where = {
        role: plan.role,
        schema: plan.schema,
        database: cat.database.name,
        serverVersion: cat.serverVersion,
    };
    return buildReport(where, c.drifts, cat.checked);
}

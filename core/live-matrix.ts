/**
 * The deploy-time gate on the live tables. The postgresql provider's refresh does not notice a Grant whose
 * table is gone, and a renamed table keeps its ACL: seen with the real provider, `pulumi up` said "53 unchanged"
 * after a migration dropped one classified table and renamed another, while raptor_app kept DML on a table that
 * no set lists (shared/facts.md). So the program reads the schema as it is at deploy time, at preview too, and
 * this rule decides, from verify's catalog, what must stop the update before any change and what is only said.
 */
import type { Catalog } from "./catalog";
import { isPlainIdentifier, qualified, quoteIdent } from "./identifiers";
import type { GrantPlan } from "./plan";
import { TABLE_ORDER, ordered } from "./verify/privileges";

export interface LiveTableFinding {
    readonly table: string;
    /** missing: classified, not in the schema; unlisted-privileges: in no set, the role holds privileges on it;
     * unclassified: in no set, the role holds nothing (a new table: failure mode C). */
    readonly problem: "missing" | "unlisted-privileges" | "unclassified";
    /** What the role holds on an unlisted table, in the catalog's order. */
    readonly held: readonly string[];
    readonly fix: string;
}

export interface LiveMatrixVerdict {
    /** Findings that make the grants on the database differ from the matrix: the update must not report success. */
    readonly stops: readonly LiveTableFinding[];
    /** Findings that change nothing the role can do: reported, never a stop. */
    readonly notices: readonly LiveTableFinding[];
}

const CLASSIFY = "core/classification.ts";

export function liveMatrixVerdict(plan: GrantPlan, cat: Catalog): LiveMatrixVerdict {
    const planned = new Set(plan.tables.map((t) => t.table));
    const stops: LiveTableFinding[] = [...cat.missingTables].sort().map((table) => ({
        table,
        problem: "missing",
        held: [],
        fix:
            `remove "${table}" from its set in ${CLASSIFY} if a migration dropped or renamed it ` +
            "(and add the new name), or run the migration that creates it",
    }));
    const notices: LiveTableFinding[] = [];
    for (const r of cat.relations) {
        const held = ordered(new Set([...r.privileges, ...r.columnPrivileges]), TABLE_ORDER);
        if (r.kind === "S" || planned.has(r.names[0]) || (r.partition && held.length === 0)) {
            continue; // sequences follow the schema-wide grant; a bare partition is reached through its parent
        }
        for (const table of [...r.names].sort()) {
            const classify = isPlainIdentifier(table)
                ? `add "${table}" to application, appendOnly or locked in ${CLASSIFY}`
                : `rename ${quoteIdent(table)} to a lower-case name (it cannot be classified as it is)`;
            if (held.length > 0) {
                const revoke = `REVOKE ALL ON TABLE ${qualified(plan.schema, table)} FROM ${quoteIdent(plan.role)}`;
                stops.push({ table, problem: "unlisted-privileges", held, fix: `${classify}, or run ${revoke}` });
            } else {
                notices.push({ table, problem: "unclassified", held, fix: classify });
            }
        }
    }
    return { stops, notices };
}

function line(f: LiveTableFinding, role: string): string {
    switch (f.problem) {
        case "missing":
            return `- ${f.table}: classified, but not in the database; fix: ${f.fix}`;
        case "unlisted-privileges":
            return `- ${f.table}: in no set, yet ${role} holds ${f.held.join(", ")} on it; fix: ${f.fix}`;
        case "unclassified":
            return `- ${f.table}: in no set, ${role} holds nothing on it; fix: ${f.fix}`;
    }
}

/** The message for the stops: every table, what is wrong and its fix. */
export function liveMatrixStopMessage(plan: GrantPlan, stops: readonly LiveTableFinding[]): string {
    return [
        `the live schema ${quoteIdent(plan.schema)} no longer matches the matrix in ${CLASSIFY} ` +
            `(${stops.length} table${stops.length === 1 ? "" : "s"}); nothing was changed:`,
        ...stops.map((f) => line(f, plan.role)),
        "The provider cannot see this (its refresh keeps a Grant whose table is gone); `raptor-roles verify` " +
            "shows the same. Turning the flag off (raptor:roleSeparation false) still deploys.",
    ].join("\n");
}

/** The warning for notices, or for stops while the flag is off. */
export function liveMatrixWarning(plan: GrantPlan, findings: readonly LiveTableFinding[], why: string): string {
    return [`${why}:`, ...findings.map((f) => line(f, plan.role))].join("\n");
}

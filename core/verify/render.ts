/**
 * The report for people: a summary line with the counts per class, then
 * each class with its count and its first few drifts (object, what is wrong,
 * the fix), then the fixes of the drifts shown, each once. A report of
 * thousands of drifts stays a screenful; --json has every one.
 */
import { quoteIdent } from "../identifiers";
import { DRIFT_CLASSES, Drift, VerifyReport } from "./report";

/** Drifts shown per class; the rest are counted, and listed in full by --json. */
export const SHOWN_PER_CLASS = 5;

function where(report: VerifyReport): string {
    const { database, server, role, schema } = report;
    const names = `role ${quoteIdent(role)}, schema ${quoteIdent(schema)}`;
    return `database ${quoteIdent(database)} on PostgreSQL ${server}, ${names}`;
}

function renderClean(report: VerifyReport): string {
    const { tables, sequences, unclassified } = report.checked;
    return (
        `verify: CLEAN: ${where(report)}: ${tables} classified tables and ${sequences} sequences match the plan ` +
        "on effective privileges" +
        `${unclassified > 0 ? ` (${unclassified} unclassified partition(s) hold nothing)` : ""}\n`
    );
}

function renderDrift(d: Drift): string[] {
    return [
        `  ${d.object}`,
        `    ${d.detail}`,
        ...d.fix.split("\n").map((f, i) => `    ${i === 0 ? "fix: " : "     "}${f}`),
    ];
}

export function renderReport(report: VerifyReport): string {
    if (report.clean) {
        return renderClean(report);
    }
    const classes = DRIFT_CLASSES.filter((k) => report.counts[k] > 0);
    const counts = classes.map((k) => `${k} ${report.counts[k]}`).join(", ");
    const lines = [`verify: DRIFT: ${where(report)}: ${report.drifts.length} drift(s): ${counts}`, ""];
    const shown: Drift[] = [];
    for (const k of classes) {
        const all = report.drifts.filter((x) => x.class === k);
        lines.push(`${k} (${all.length})`);
        for (const d of all.slice(0, SHOWN_PER_CLASS)) {
            lines.push(...renderDrift(d));
            shown.push(d);
        }
        if (all.length > SHOWN_PER_CLASS) {
            lines.push(`  ... and ${all.length - SHOWN_PER_CLASS} more ${k} drift(s), each with its fix in --json`);
        }
        lines.push("");
    }
    const hidden = report.drifts.length - shown.length;
    lines.push(
        hidden === 0
            ? 'All fixes, each once, in report order. Run the SQL as the database owner (psql "$DATABASE_URL");'
            : `The fixes of the drifts shown, each once (${hidden} drift(s) not shown: every fix, in order, is ` +
                  "`raptor-roles verify ... --json | jq -r '.drifts[].fix'`). " +
                  'Run the SQL as the database owner (psql "$DATABASE_URL");',
        "ALTER ROLE, memberships granted by others and ownership changes need a superuser. Then run verify again.",
        ...[...new Set(shown.flatMap((d) => d.fix.split("\n")))].map((f) => `  ${f}`),
        "",
    );
    return lines.join("\n");
}

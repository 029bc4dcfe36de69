/** The lint-migrations report as text for a terminal or a CI log. */
import { FINDING_KINDS, LintReport } from "./lint";

export function isClean(r: LintReport): boolean {
    return r.findings.length === 0;
}

export function renderLint(r: LintReport): string {
    const total = r.trees.reduce((n, t) => n + t.migrations, 0);
    const lines: string[] = [];
    if (isClean(r)) {
        lines.push(
            `lint-migrations: CLEAN: ${total} migration(s); every relation they leave in schema "${r.schema}" ` +
                `is classified ` +
                `and none of their grants to ${r.role} contradicts the matrix`,
        );
    } else {
        const counts = FINDING_KINDS.map((k) => [k, r.findings.filter((f) => f.kind === k).length] as const)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`);
        lines.push(
            `lint-migrations: FINDINGS: ${r.findings.length} finding(s) in ${total} migration(s): ${counts.join(", ")}`,
        );
    }
    for (const t of r.trees) {
        const heads = t.heads ? `, head${t.heads.length > 1 ? "s" : ""} ${t.heads.join(", ")}` : "";
        lines.push(`  ${t.tool.padEnd(13)} ${t.root} (${t.migrations} migration(s)${heads})`);
    }
    const counts = Object.entries(r.relations).map(([schema, n]) => `${schema} ${n}`);
    lines.push(`  relations at the head: ${counts.length > 0 ? counts.join(", ") : "none"}`);
    for (const f of r.findings) {
        lines.push("", `${f.kind}  ${f.file}:${f.line}`, `  ${f.message}`, `  fix: ${f.fix}`);
        if (f.suggestion) {
            lines.push(`  hint: ${f.suggestion}`);
        }
    }
    if (r.notes.length > 0) {
        lines.push("", "Notes (not findings):", ...r.notes.map((n) => `  ${n.file}:${n.line}: ${n.message}`));
    }
    if (r.notCreated.length > 0) {
        lines.push(
            "",
            `Classified but created by none of these migrations (${r.notCreated.length}): ${r.notCreated.join(", ")}`,
        );
    }
    lines.push("");
    return lines.join("\n");
}

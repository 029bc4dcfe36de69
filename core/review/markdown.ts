/**
 * The review diff as a pull-request comment. The first line is a marker the
 * workflow uses to find and update its own comment instead of adding another.
 */
import { ResourceChange, ReviewDiff, StackDiff } from "./diff";

export const COMMENT_MARKER = "<!-- raptor-roles diff -->";

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const short = (commit: string) => commit.slice(0, 12);
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

function tablesSection(d: ReviewDiff): string[] {
    if (d.tables.length === 0) {
        return ["No table added, removed or moved between sets."];
    }
    return [
        "| table | before | after |",
        "|---|---|---|",
        ...d.tables.map(
            (t) => `| ${code(t.table)} | ${t.before ?? "(not classified)"} | ${t.after ?? "(not classified)"} |`,
        ),
    ];
}

function privilegesSection(s: StackDiff): string[] {
    if (s.privileges.length === 0) {
        return ["No privilege changes."];
    }
    return [
        "| table | granted | revoked |",
        "|---|---|---|",
        ...s.privileges.map(
            (p) => `| ${code(p.table)} | ${p.granted.join(", ") || "-"} | ${p.revoked.join(", ") || "-"} |`,
        ),
    ];
}

function resourceLines(r: ResourceChange): string[] {
    const sign = r.change === "added" ? "+" : r.change === "removed" ? "-" : "~";
    const lines = [`- ${sign} ${code(r.name)} (${r.type})`];
    if (r.change === "changed") {
        lines.push(
            ...r.inputs.map(
                (i) =>
                    `  - ${code(i.key)}: ${i.before === undefined ? "(unset)" : code(i.before)} → ` +
                    `${i.after === undefined ? "(unset)" : code(i.after)}`,
            ),
        );
    }
    for (const c of r.herokuCalls) {
        lines.push(`  - ${c.script} runs:`);
        lines.push(...c.before.filter((x) => !c.after.includes(x)).map((x) => `    - removed ${code(x)}`));
        lines.push(...c.after.filter((x) => !c.before.includes(x)).map((x) => `    - added ${code(x)}`));
    }
    return lines;
}

function stackSection(s: StackDiff): string[] {
    const presence = s.presence === "added" ? " (new stack)" : s.presence === "removed" ? " (stack removed)" : "";
    const lines = [
        `### Stack ${code(s.stack)}${presence}`,
        "",
        "Privileges of the app role:",
        "",
        ...privilegesSection(s),
        "",
    ];
    lines.push(
        "Resources:",
        "",
        ...(s.resources.length === 0 ? ["No resource added, removed or changed."] : s.resources.flatMap(resourceLines)),
        "",
    );
    if (s.head) {
        const verdict = s.head.blocked ? "**BLOCKED**" : "OK";
        const clean = s.head.violations.length === 0 && !s.head.error;
        lines.push(`Policy verdicts at the head: ${verdict}${clean ? ", no violations" : ""}`, "");
        if (s.head.error) {
            lines.push(`- the program fails: ${oneLine(s.head.error)}`);
        }
        lines.push(...s.head.violations.map((v) => `- [${v.level}] ${code(v.policy)}: ${oneLine(v.message)}`));
        if (s.head.error || s.head.violations.length > 0) {
            lines.push("");
        }
    }
    return lines;
}

function prodSection(d: ReviewDiff): string[] {
    const p = d.prod;
    if (!p) {
        return [];
    }
    const signed = p.signed
        ? `${p.signed.fingerprint ? code(p.signed.fingerprint) : "(no fingerprint)"} by ` +
          `${p.signed.operator ?? "?"}, ticket ${p.signed.ticket ?? "?"}, ${p.signed.approvedAt ?? "?"}`
        : "(none)";
    return [
        "### Prod sign-off",
        "",
        "| | fingerprint |",
        "|---|---|",
        `| base | ${p.before ? code(p.before) : "(none)"} |`,
        `| head | ${p.after ? code(p.after) : "(none)"} |`,
        `| signed in Pulumi.prod.yaml | ${signed} |`,
        "",
        p.covers
            ? `The committed sign-off covers the head: ${p.reason}.`
            : `**The committed sign-off does not cover the head**: ${oneLine(p.reason)}`,
        "",
    ];
}

export function renderMarkdown(d: ReviewDiff): string {
    return [
        COMMENT_MARKER,
        `## raptor-roles diff: ${code(d.base.rev)} (${short(d.base.commit)}) → ${code(d.head.rev)} ` +
            `(${short(d.head.commit)})`,
        "",
        "### Classification",
        "",
        ...tablesSection(d),
        "",
        ...d.stacks.flatMap(stackSection),
        ...prodSection(d),
    ].join("\n");
}

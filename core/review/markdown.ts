/**
 * The review diff as a pull-request comment. The first line is a marker the
 * workflow uses to find and update its own comment instead of adding another.
 * It fits one comment at any size: identical verdicts are one line, long lists
 * are grouped and cut with the count of what was left out, and the whole is cut
 * below GitHub's limit as a last resort.
 */
import { describeMissing } from "../workload/judge";
import type { WorkloadChange } from "../workload/planned";
import type { JudgedStatement } from "../workload/verdict";
import { PrivilegeChange, ResourceChange, ReviewDiff, StackDiff } from "./diff";
import { groupVerdicts, namedInShort, verdictHeadline } from "./verdicts";

export const COMMENT_MARKER = "<!-- raptor-roles diff -->";
/** GitHub refuses a comment body longer than this (REST API: "body is too long (maximum is 65536 characters)"). */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Rows shown one by one before a list is grouped. */
const ROWS = 25;
/** What the comment may use of the limit; the rest is headroom for the cut notice. */
const BUDGET = GITHUB_COMMENT_LIMIT - 1_536;

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const short = (commit: string) => commit.slice(0, 12);
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ");

function tablesSection(d: ReviewDiff): string[] {
    if (d.tables.length === 0) {
        return ["No table added, removed or moved between sets."];
    }
    const set = (x: string | undefined) => x ?? "(not classified)";
    if (d.tables.length <= ROWS) {
        return [
            "| table | before | after |",
            "|---|---|---|",
            ...d.tables.map((t) => `| ${code(t.table)} | ${set(t.before)} | ${set(t.after)} |`),
        ];
    }
    const groups = new Map<string, string[]>();
    d.tables.forEach((t) => {
        const key = `${set(t.before)} | ${set(t.after)} |`;
        groups.set(key, [...(groups.get(key) ?? []), t.table]);
    });
    return [
        "| tables | before | after |",
        "|---|---|---|",
        ...[...groups].map(([key, tables]) => `| ${tables.length} (${namedInShort(tables.map(code), 5)}) | ${key}`),
    ];
}

function privilegesSection(s: StackDiff): string[] {
    if (s.privileges.length === 0) {
        return ["No privilege changes."];
    }
    const row = (p: PrivilegeChange) => `${p.granted.join(", ") || "-"} | ${p.revoked.join(", ") || "-"} |`;
    if (s.privileges.length <= ROWS) {
        return [
            "| table | granted | revoked |",
            "|---|---|---|",
            ...s.privileges.map((p) => `| ${code(p.table)} | ${row(p)}`),
        ];
    }
    // Many tables: one row per distinct change, the tables counted and named in short.
    const groups = new Map<string, string[]>();
    s.privileges.forEach((p) => groups.set(row(p), [...(groups.get(row(p)) ?? []), p.table]));
    return [
        "| tables | granted | revoked |",
        "|---|---|---|",
        ...[...groups].map(([r, tables]) => `| ${tables.length} (${namedInShort(tables.map(code), 5)}) | ${r}`),
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

function resourcesSection(resources: readonly ResourceChange[]): string[] {
    if (resources.length === 0) {
        return ["No resource added, removed or changed."];
    }
    const lines = resources.slice(0, ROWS).flatMap(resourceLines);
    const rest = new Map<string, string[]>();
    for (const r of resources.slice(ROWS)) {
        const key = `${r.change} ${r.type}`;
        rest.set(key, [...(rest.get(key) ?? []), r.name]);
    }
    for (const [key, names] of rest) {
        lines.push(`- and ${names.length} more ${key}: ${namedInShort(names.map(code), 5)}`);
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
    lines.push("Resources:", "", ...resourcesSection(s.resources), "");
    if (s.head) {
        const verdict = s.head.blocked ? "**BLOCKED**" : "OK";
        const clean = s.head.violations.length === 0 && !s.head.error;
        lines.push(`Policy verdicts at the head: ${verdict}${clean ? ", no violations" : ""}`, "");
        if (s.head.error) {
            lines.push(`- the program fails: ${oneLine(s.head.error)}`);
        }
        lines.push(...groupVerdicts(s.head.violations).map((g) => `- ${oneLine(verdictHeadline(g))}`));
        if (s.head.error || s.head.violations.length > 0) {
            lines.push("");
        }
    }
    return lines;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** Newly denied statements with the head's fix; newly permitted ones with what the base lacked. */
function statementRows(xs: readonly JudgedStatement[], denied: boolean): string[] {
    const rows = denied
        ? ["| statement | calls | missing at the head | fix |", "|---|---|---|---|"]
        : ["| statement | calls | missing at the base |", "|---|---|---|"];
    for (const s of xs.slice(0, ROWS)) {
        const missing = cell(s.missing.map(describeMissing).join("; ") || "-");
        const fix = denied ? ` ${cell(s.fix ?? "-")} |` : "";
        rows.push(`| ${cell(code(s.query))} | ${s.calls.toLocaleString("en-US")} | ${missing} |${fix}`);
    }
    if (xs.length > ROWS) {
        const calls = xs.slice(ROWS).reduce((n, s) => n + s.calls, 0);
        const rest = `and ${(xs.length - ROWS).toLocaleString("en-US")} more (--json lists them)`;
        rows.push(`| ${rest} | ${calls.toLocaleString("en-US")} | |${denied ? " |" : ""}`);
    }
    return rows;
}

function workloadSection(w: WorkloadChange | undefined): string[] {
    if (w === undefined) {
        return [];
    }
    const counts = (x: WorkloadChange["base"]) =>
        `permitted ${x.counts.permitted} · denied ${x.counts.denied} · owner-only ${x.counts.ownerOnly} · ` +
        `not-judged ${x.counts.notJudged}`;
    const lines = [
        `### Workload (${code(w.file)}, against stack ${code(w.stack)}'s matrix)`,
        "",
        w.newlyDenied.length > 0 ? `**${w.headline}**` : w.headline,
        "",
    ];
    if (w.newlyDenied.length > 0) {
        lines.push("Newly denied:", "", ...statementRows(w.newlyDenied, true), "");
    }
    if (w.newlyPermitted.length > 0) {
        lines.push("Newly permitted:", "", ...statementRows(w.newlyPermitted, false), "");
    }
    lines.push(`Judged at the base: ${counts(w.base)}; at the head: ${counts(w.head)}.`, "");
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
    const text = [
        COMMENT_MARKER,
        `## raptor-roles diff: ${code(d.base.rev)} (${short(d.base.commit)}) → ${code(d.head.rev)} ` +
            `(${short(d.head.commit)})`,
        "",
        "### Classification",
        "",
        ...tablesSection(d),
        "",
        ...workloadSection(d.workload),
        ...d.stacks.flatMap(stackSection),
        ...prodSection(d),
    ].join("\n");
    return fitted(text, d);
}

/** The comment cut at a line below the budget when it is still too long, saying so and where the rest is. */
function fitted(text: string, d: ReviewDiff): string {
    if (text.length <= BUDGET) {
        return text;
    }
    const cut = text.lastIndexOf("\n", BUDGET);
    return (
        `${text.slice(0, cut)}\n\n**Cut at ${cut.toLocaleString("en")} of ${text.length.toLocaleString("en")} ` +
        "characters to fit one GitHub comment.** The whole diff: " +
        `${code(`raptor-roles diff --base ${d.base.rev} --head ${d.head.rev} --json`)}.\n`
    );
}

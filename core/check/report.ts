/**
 * What `raptor-roles check` found, in the runbook's diagnosis order, and what it means for the exit code:
 * 0 healthy, 2 unhealthy (a finding), 1 could not check. An unhealthy finding outweighs a check that could
 * not run: the app is known to be unhealthy either way.
 */
import { Coverage, describeCoverage } from "../coverage";

export type { Coverage };

/** The checks, in the order they are reported (the runbook's "How to diagnose (in order)", then the soak's). */
export const CHECKS = [
    "credential",
    "grants",
    "workload",
    "url-var",
    "flag",
    "stop",
    "logs",
    "health",
    "sentry",
] as const;
export type CheckName = (typeof CHECKS)[number];

export type Status = "ok" | "unhealthy" | "skipped" | "error";

export interface Finding {
    readonly check: CheckName;
    readonly status: Status;
    /** What was seen. Never a URL or a password. */
    readonly detail: string;
    /** The runbook's fix (set for unhealthy and error). */
    readonly fix?: string;
    /** Log lines that show it (masked). */
    readonly lines?: readonly string[];
    /** The objects it is about, each with what is wrong and its own fix (grants: each drift and its SQL). */
    readonly objects?: readonly { readonly object: string; readonly detail: string; readonly fix: string }[];
    /** A source read over time (logs, sentry): the stretch it fully read. */
    readonly coverage?: Coverage;
}

export interface CheckReport {
    readonly stack: string;
    readonly app: string;
    readonly since: string;
    readonly checkedAt: string;
    readonly healthy: boolean;
    readonly findings: readonly Finding[];
}

export function exitCodeOf(findings: readonly Finding[]): 0 | 1 | 2 {
    if (findings.some((f) => f.status === "unhealthy")) {
        return 2;
    }
    return findings.some((f) => f.status === "error") ? 1 : 0;
}

export function buildReport(
    head: Omit<CheckReport, "healthy" | "findings">,
    findings: readonly Finding[],
): CheckReport {
    const ordered = [...findings].sort((a, b) => CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check));
    return { ...head, healthy: exitCodeOf(ordered) === 0, findings: ordered };
}

const MARK: Readonly<Record<Status, string>> = { ok: "ok  ", unhealthy: "FAIL", skipped: "skip", error: "ERR " };
const SHOWN_LINES = 5;

export function renderCheck(r: CheckReport): string {
    const out = [`raptor-roles check: stack ${r.stack}, app ${r.app}, logs since ${r.since}`];
    for (const f of r.findings) {
        out.push(`  [${MARK[f.status]}] ${f.check}: ${f.detail}`);
        for (const l of (f.lines ?? []).slice(0, SHOWN_LINES)) {
            out.push(`           ${l}`);
        }
        if ((f.lines?.length ?? 0) > SHOWN_LINES) {
            out.push(`           ... and ${f.lines!.length - SHOWN_LINES} more line(s)`);
        }
        for (const o of f.objects ?? []) {
            // Every object, not the first few: each one names a table to repair, and its fix is the SQL that does.
            out.push(`           ${o.object}: ${o.detail}`, ...o.fix.split("\n").map((l) => `             ${l}`));
        }
        if (f.coverage !== undefined) {
            out.push(`         read: ${describeCoverage(f.coverage)}`);
        }
        if (f.fix !== undefined) {
            out.push(`         fix: ${f.fix}`);
        }
    }
    const code = exitCodeOf(r.findings);
    out.push(code === 0 ? "healthy" : code === 2 ? "UNHEALTHY" : "could not check everything (see ERR)");
    return `${out.join("\n")}\n`;
}

const UNITS: Readonly<Record<string, number>> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

/** --since: an ISO 8601 time, or a duration back from `now` (`30m`, `24h`, `3d`). */
export function parseSince(text: string, now: Date): Date {
    const rel = /^(\d+)([smhd])$/.exec(text.trim());
    if (rel) {
        return new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]]);
    }
    const at = /^\d{4}-\d\d-\d\dT/.test(text) ? new Date(text) : new Date(NaN);
    if (Number.isNaN(at.getTime())) {
        throw new Error(
            `--since ${JSON.stringify(text)} is neither an ISO 8601 time (2026-12-02T10:00:00Z) ` +
                "nor a duration (30m, 24h, 3d)",
        );
    }
    return at;
}

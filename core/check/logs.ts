/**
 * The runbook's log greps as data: the signatures of a broken role in the app's log ("How to tell it's
 * broken", Failure modes C and D, Step 7's `grep -i "permission denied"`), each with the runbook's fix, and
 * the scan of `heroku logs` output for them since a time.
 *
 * `heroku logs` has no --since (heroku/cli 11.10 dist/commands/logs.js: -n, -s, -d, -p, -t only; the
 * runbook's `--since 24h` is not a flag) and Heroku keeps the last 1,500 lines: the scan reads those and
 * filters on each line's own timestamp, and says so when the oldest line kept is newer than the time asked.
 */

/** The most lines Heroku keeps of an app's log (logplex's buffer; devcenter "Logging"). */
export const LOG_BUFFER_LINES = 1500;

export interface Signature {
    /** Stable id, e.g. for --json. */
    readonly id: string;
    readonly pattern: RegExp;
    /** What it means, in the runbook's words. */
    readonly meaning: string;
    readonly fix: string;
}

export const LOG_SIGNATURES: readonly Signature[] = [
    {
        id: "permission-denied",
        pattern: /permission denied for (table|sequence|schema) \S+/i,
        meaning: "grant drift: raptor_app lacks a privilege the app uses (runbook Failure mode C)",
        fix:
            "run `raptor-roles verify --database-url-env DATABASE_URL --stack STACK` and apply the SQL it prints " +
            "(or `pulumi up --refresh -s STACK`); never the runbook's ON ALL TABLES block",
    },
    {
        id: "role-missing",
        pattern: /role "raptor_app" does not exist/i,
        meaning: "the raptor_app role was dropped or never created (runbook: How to diagnose, step 1)",
        fix:
            "emergency stop if the flag is on (`heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a APP`), " +
            "then `pulumi up -s STACK` recreates the credential",
    },
    {
        id: "password-failed",
        pattern: /password authentication failed for user "raptor_app"/i,
        meaning: "the app holds a stale raptor_app password (runbook Failure mode D; Heroku rotated it)",
        fix:
            "deliver the URL through the attachment (raptor:urlDelivery attachment, `pulumi up -s STACK`), which " +
            "Heroku keeps current; emergency stop first if the flag is on",
    },
];

/** The extra patterns of raptor:logPatterns (a JSON list of regular expressions), or why they are bad. */
export function parseLogPatterns(raw: string | undefined): { patterns: Signature[]; problem?: string } {
    if (raw === undefined || raw.trim() === "") {
        return { patterns: [] };
    }
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        list = raw;
    }
    const items = typeof list === "string" ? [list] : list;
    if (!Array.isArray(items) || items.some((p) => typeof p !== "string" || p === "")) {
        return { patterns: [], problem: `raptor:logPatterns = ${raw}: use a list of regular expressions` };
    }
    const patterns: Signature[] = [];
    for (const p of items as string[]) {
        try {
            patterns.push({
                id: `pattern:${p}`,
                pattern: new RegExp(p, "i"),
                meaning: `matches raptor:logPatterns entry /${p}/`,
                fix: "read the lines above; the pattern comes from the stack's raptor:logPatterns",
            });
        } catch (e) {
            return { patterns: [], problem: `raptor:logPatterns entry ${JSON.stringify(p)}: ${(e as Error).message}` };
        }
    }
    return { patterns };
}

/** A `heroku logs` line: `2026-12-02T10:00:00.123456+00:00 app[web.1]: text`. */
const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ([\w-]+)\[([\w.-]+)\]: ?(.*)$/;

export interface ParsedLine {
    readonly at: Date;
    readonly source: string;
    readonly dyno: string;
    readonly text: string;
    readonly raw: string;
}

export function parseLogLine(raw: string): ParsedLine | undefined {
    const m = LINE.exec(raw.replace(/\x1b\[[0-9;]*m/g, "").trimEnd());
    if (!m) {
        return undefined;
    }
    // JS parses at most millisecond fractions reliably: cut microseconds.
    const at = new Date(m[1].replace(/(\.\d{3})\d+/, "$1"));
    return Number.isNaN(at.getTime()) ? undefined : { at, source: m[2], dyno: m[3], text: m[4], raw: m[0] };
}

export interface LogHit {
    readonly signature: Signature;
    readonly lines: readonly string[];
}

export interface LogScan {
    readonly hits: readonly LogHit[];
    /** Lines at or after `since`. */
    readonly scanned: number;
    /**
     * When the buffer is full and starts after `since` (or holds no readable line): the lines between were not seen.
     * A full buffer whose oldest line is not readable starts nowhere known, so it is taken to start now.
     */
    readonly oldest?: Date;
}

/** Masks `scheme://user:password@` and `password=...` in a line before it is printed. */
export function maskLine(line: string): string {
    return line
        .replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s]*@/gi, "$1:***@")
        .replace(/(password\s*[=:]\s*)\S+/gi, "$1***");
}

/** The hits of each signature among the lines at or after `since`, lines masked. */
export function scanLogs(text: string, since: Date, signatures: readonly Signature[], full = false): LogScan {
    const lines = text
        .split("\n")
        .map(parseLogLine)
        .filter((l): l is ParsedLine => l !== undefined);
    const recent = lines.filter((l) => l.at.getTime() >= since.getTime());
    const hits = signatures
        .map((signature) => ({
            signature,
            lines: recent.filter((l) => signature.pattern.test(l.text)).map((l) => maskLine(l.raw)),
        }))
        .filter((h) => h.lines.length > 0);
    const oldest = lines[0]?.at ?? new Date();
    const gap = full && oldest.getTime() > since.getTime();
    return { hits, scanned: recent.length, ...(gap ? { oldest } : {}) };
}

/**
 * Coverage: the stretch of time a source that reads errors (the app's log, Sentry) was fully read over. A soak mark
 * is evidence only for the time its sources covered: Heroku keeps the last 1,500 log lines, so on a busy app the
 * log of a 24 h window may start minutes ago, and a Sentry query read to its first page only is no answer either.
 */

export interface Coverage {
    /** The earliest time from which every record was read (ISO 8601, seconds). */
    readonly from: string;
    /** The latest time read up to. */
    readonly to: string;
    /** Whether the whole window asked for was read: `from` at or before the window's start, nothing skipped. */
    readonly complete: boolean;
}

/** ISO 8601 to the second, as marks and reports write times. */
export const isoSeconds = (d: Date | number) => new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");

/** One line: `2026-12-02T10:00:00Z to 2026-12-02T11:00:00Z, complete`. */
export const describeCoverage = (c: Coverage) => `${c.from} to ${c.to}, ${c.complete ? "complete" : "INCOMPLETE"}`;

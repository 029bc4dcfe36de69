/**
 * The tripwire of `raptor-roles cutover`'s watch, pure: what trips it (a log line with a runbook signature
 * written after the flip, the health URL failing without a break for `healthGraceMs`, verify finding drift, or the
 * log stream lost: a flip nobody can watch is rolled back), and the report printed after a trip.
 */
import { LOG_SIGNATURES, Signature, maskLine, parseLogLine } from "./logs";

export type TripKind = "log" | "health" | "verify" | "stream" | "smoke";

export interface Trip {
    readonly kind: TripKind;
    /** When the cause happened: the log line's own time, or when the probe saw it. */
    readonly at: Date;
    readonly detail: string;
    /** The log lines that tripped it, masked. */
    readonly lines: readonly string[];
}

export class Tripwire {
    /** When the health URL started failing (undefined while it answers 2xx). */
    private failingSince: Date | undefined;
    private tripped: Trip | undefined;

    constructor(
        /** Lines before this time are history (tail prints the last 100 lines first). */
        private readonly since: Date,
        private readonly signatures: readonly Signature[] = LOG_SIGNATURES,
        /** The flip restarts the app: the health URL may fail while it boots, so only this long a failure trips. */
        private readonly healthGraceMs = 30_000,
    ) {}

    get trip(): Trip | undefined {
        return this.tripped;
    }

    private set(t: Trip): Trip {
        this.tripped ??= t;
        return this.tripped;
    }

    /** A line of `heroku logs --tail`. */
    line(raw: string): Trip | undefined {
        const l = parseLogLine(raw);
        if (l === undefined || l.at.getTime() < this.since.getTime()) {
            return undefined;
        }
        const s = this.signatures.find((x) => x.pattern.test(l.text));
        if (s === undefined) {
            return undefined;
        }
        return this.set({ kind: "log", at: l.at, detail: s.meaning, lines: [maskLine(l.raw)] });
    }

    /** One health probe: it trips once every probe for `healthGraceMs` has failed. */
    health(ok: boolean, detail: string, at: Date): Trip | undefined {
        this.failingSince = ok ? undefined : (this.failingSince ?? at);
        if (this.failingSince === undefined || at.getTime() - this.failingSince.getTime() < this.healthGraceMs) {
            return undefined;
        }
        const s = Math.round((at.getTime() - this.failingSince.getTime()) / 1000);
        return this.set({ kind: "health", at: this.failingSince, detail: `${detail}, failing for ${s} s`, lines: [] });
    }

    verify(clean: boolean, detail: string, at: Date): Trip | undefined {
        return clean ? undefined : this.set({ kind: "verify", at, detail, lines: [] });
    }

    /** The log stream ended and could not be reopened. */
    streamLost(detail: string, at: Date): Trip {
        return this.set({ kind: "stream", at, detail: `lost the log stream: ${detail}`, lines: [] });
    }
}

const WHAT: Readonly<Record<TripKind, string>> = {
    log: "a log line",
    health: "the health URL",
    verify: "verify (the grants)",
    stream: "the watch itself",
    smoke: "the smoke suite",
};

export interface RollbackReport {
    readonly stack: string;
    readonly app: string;
    readonly trip: Trip;
    /** When the emergency stop's config:set finished, or why it failed. */
    readonly stoppedAt?: Date;
    readonly stopError?: string;
    /** The stack's own `pulumi up` with raptor:roleSeparation false: ok, or why not. */
    readonly stackError?: string;
    /** Why the sticky stop (the backend's stack tag) could not be recorded, if it could not. */
    readonly stopRecordError?: string;
}

export function renderRollback(r: RollbackReport): string {
    const out = [
        `TRIPPED by ${WHAT[r.trip.kind]} at ${r.trip.at.toISOString()}: ${r.trip.detail}`,
        ...r.trip.lines.map((l) => `  ${l}`),
    ];
    if (r.stoppedAt !== undefined) {
        const ms = r.stoppedAt.getTime() - r.trip.at.getTime();
        out.push(
            `Emergency stop: FLAG_RAPTOR_APP_ROLE_SEPARATION=0 on ${r.app} at ${r.stoppedAt.toISOString()} ` +
                `(${(ms / 1000).toFixed(1)} s after the cause); the app restarts on DATABASE_URL.`,
        );
    } else {
        out.push(
            `Emergency stop FAILED (${r.stopError}). Run it now: ` +
                `heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a ${r.app} >/dev/null`,
        );
    }
    out.push(
        r.stackError === undefined
            ? `Stack ${r.stack}: raptor:roleSeparation false, pulumi up done: the stack agrees with the app.`
            : `Stack ${r.stack}: raptor:roleSeparation false is set, but pulumi up failed (${r.stackError}). Run: ` +
                  `pulumi up -s ${r.stack} --policy-pack policy --policy-pack-config policy/config.json`,
    );
    out.push(
        r.stopRecordError === undefined
            ? `Stop recorded in the stack's backend (tag raptor:stopped): no deploy turns the flag on until ` +
                  `raptor-roles deploy --stack ${r.stack} --resume.`
            : `The stop could NOT be recorded in the backend (${r.stopRecordError}): until it is, a deploy of a ` +
                  `stack file that still says true would turn the flag on again.`,
    );
    out.push(`Next: raptor-roles check --stack ${r.stack} names the cause and its fix.`);
    return `${out.join("\n")}\n`;
}

/** --watch: `90s`, `10m`, `1h`. */
export function parseDuration(text: string): number {
    const m = /^(\d+)(s|m|h)$/.exec(text.trim());
    if (!m || Number(m[1]) === 0) {
        throw new Error(`--watch ${JSON.stringify(text)} is not a duration such as 90s, 10m or 1h`);
    }
    return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3 }[m[2] as "s" | "m" | "h"];
}

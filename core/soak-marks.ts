/**
 * Soak evidence: the marks `raptor-roles soak` records (each a `check` result at one moment, bound to the
 * enable time of the soak stack's flag), the text each mark's signature covers, and the gate's judgement
 * of them. Pure: the signature itself is checked by the caller (the pack, with the sign-off's SSHSIG code).
 *
 * Tamper evidence: every mark is signed with `ssh-keygen -Y sign -n raptor-soak` over its own fields AND the
 * digest of the mark before it (`prev`), so an edited mark fails its signature, and a mark removed from the
 * middle or moved breaks the chain. Removing the newest marks cannot be seen from the marks alone: the file
 * is committed by the soak workflow, so that is a reviewed diff, and the gate needs a clean mark in every
 * window anyway.
 *
 * What a mark saw: each source that reads errors (the app's log, Sentry) records its coverage, the stretch it fully
 * read, under the signature. A mark is complete only when one of them read its whole window [since, at]; an
 * incomplete mark is no evidence that the window was clean, only that the part read was.
 */
import { createHash } from "node:crypto";
import { Coverage } from "./coverage";

export const SOAK_NAMESPACE = "raptor-soak";

export interface SoakMark {
    /** When the check ran (ISO 8601, seconds). */
    readonly at: string;
    /** The soak stack's roleSeparationEnabledAt the mark belongs to. */
    readonly enabledAt: string;
    /** The check's log window started here. */
    readonly since: string;
    readonly healthy: boolean;
    /** Whether a source that reads errors read the whole window [since, at] (`windowReadBy`). */
    readonly complete: boolean;
    /** `check:status` of every finding that was not ok or skipped, e.g. `grants:unhealthy`. */
    readonly findings: readonly string[];
    /** What each source that reads errors read; a source that was not read (skipped, unset) is absent. */
    readonly coverage: MarkCoverage;
    /** Who signed it (an allowed_signers principal). */
    readonly signer: string;
    /** sha256 of the previous mark (`markDigest`), or `none` for the first. */
    readonly prev: string;
    readonly signature: string;
}

/** The sources that read errors, in the order the signed text lists them. */
export const ERROR_SOURCES = ["logs", "sentry"] as const;
export type ErrorSource = (typeof ERROR_SOURCES)[number];
export type MarkCoverage = Partial<Record<ErrorSource, Coverage>>;

/** The sources whose coverage is complete and spans the whole window [since, at]. */
export function windowReadBy(m: Pick<SoakMark, "since" | "at" | "coverage">): ErrorSource[] {
    return ERROR_SOURCES.filter((s) => {
        const c = m.coverage[s];
        return (
            c !== undefined &&
            c.complete &&
            Date.parse(c.from) <= Date.parse(m.since) &&
            Date.parse(c.to) >= Date.parse(m.at)
        );
    });
}

/** A mark that is evidence for its whole window: it says so, and its coverage shows it. */
export const isComplete = (m: SoakMark) => m.complete && windowReadBy(m).length > 0;

const coverageLine = (s: ErrorSource, c: Coverage | undefined) =>
    `${s}: ${c === undefined ? "not read" : `${c.from} to ${c.to} ${c.complete ? "complete" : "incomplete"}`}`;

export interface SoakEvidence {
    /** The soak stack's short name, e.g. staging. */
    readonly stack: string;
    readonly app: string;
    readonly marks: readonly SoakMark[];
}

/**
 * The text a mark's signature covers: one `key: value` line per field, fixed order (test/core/soak-marks.test.ts
 * pins it). v2 added `complete` and a coverage line per source; v1 marks have neither and are refused as malformed.
 */
export function markMessage(e: Pick<SoakEvidence, "stack" | "app">, m: Omit<SoakMark, "signature">): string {
    return [
        "raptor-soak-mark v2",
        `stack: ${e.stack}`,
        `app: ${e.app}`,
        `enabledAt: ${m.enabledAt}`,
        `at: ${m.at}`,
        `since: ${m.since}`,
        `healthy: ${m.healthy}`,
        `complete: ${m.complete}`,
        `findings: ${m.findings.length === 0 ? "none" : m.findings.join(",")}`,
        ...ERROR_SOURCES.map((s) => coverageLine(s, m.coverage[s])),
        `signer: ${m.signer}`,
        `prev: ${m.prev}`,
        "",
    ].join("\n");
}

/** The digest the next mark's `prev` holds: its signed text and its signature. */
export function markDigest(e: Pick<SoakEvidence, "stack" | "app">, m: SoakMark): string {
    return createHash("sha256").update(markMessage(e, m)).update(m.signature).digest("hex");
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const isIso = (t: unknown) => typeof t === "string" && ISO.test(t);

function wellFormedCoverage(c: unknown): boolean {
    if (!c || typeof c !== "object" || Array.isArray(c)) {
        return false;
    }
    const entries = Object.entries(c as Record<string, unknown>);
    return entries.every(([k, v]) => {
        const x = v as Partial<Coverage> | null;
        return (
            (ERROR_SOURCES as readonly string[]).includes(k) &&
            !!x &&
            typeof x === "object" &&
            isIso(x.from) &&
            isIso(x.to) &&
            typeof x.complete === "boolean"
        );
    });
}

/** The evidence from stack config (an object offline, JSON text from the engine), or what is wrong with it. */
export function parseEvidence(raw: unknown): { evidence?: SoakEvidence; problem?: string } {
    let v = raw;
    if (typeof v === "string") {
        try {
            v = JSON.parse(v);
        } catch {
            return { problem: "raptor:soakEvidence is not JSON or YAML structure" };
        }
    }
    const e = v as Partial<SoakEvidence> | null;
    if (!e || typeof e !== "object" || typeof e.stack !== "string" || typeof e.app !== "string") {
        return { problem: "raptor:soakEvidence needs stack, app and marks" };
    }
    if (!Array.isArray(e.marks)) {
        return { problem: "raptor:soakEvidence.marks is not a list" };
    }
    for (const [i, m] of e.marks.entries()) {
        const ok =
            m &&
            typeof m === "object" &&
            [m.at, m.enabledAt, m.since].every(isIso) &&
            typeof m.healthy === "boolean" &&
            typeof m.complete === "boolean" &&
            wellFormedCoverage(m.coverage) &&
            Array.isArray(m.findings) &&
            m.findings.every((f: unknown) => typeof f === "string") &&
            typeof m.signer === "string" &&
            typeof m.prev === "string" &&
            typeof m.signature === "string";
        if (!ok) {
            return {
                problem:
                    `raptor:soakEvidence.marks[${i}] is malformed: needs at, enabledAt, since (ISO 8601 UTC), ` +
                    "healthy, complete, findings, coverage ({logs, sentry}: {from, to, complete}), signer, prev and " +
                    "signature (a mark recorded before coverage, format v1, has neither complete nor coverage)",
            };
        }
    }
    return { evidence: e as SoakEvidence };
}

/** The hours after the enable time at which a clean mark is due: every 24 h before soakHours, then soakHours. */
export function checkpoints(soakHours: number): number[] {
    if (soakHours <= 0) {
        return [];
    }
    const out: number[] = [];
    for (let h = 24; h < soakHours; h += 24) {
        out.push(h);
    }
    return [...out, soakHours];
}

/**
 * Soak evidence as `raptor-roles soak` writes it, for the gate's tests: marks signed by the real ssh-keygen
 * (namespace raptor-soak) with the test soak signer's key, each chained to the one before.
 */
import {
    MarkCoverage,
    SOAK_NAMESPACE,
    SoakEvidence,
    SoakMark,
    isComplete,
    markDigest,
    markMessage,
    windowReadBy,
} from "../../core/soak-marks";
import { KeyName, publicKey, sshSign } from "./ssh-keys";

export const SOAK_SIGNER = "soak-bot@raxx.app";
export const STAGING_APP = "raxx-api-staging";

/** The markSigners line that allows the soak signer's key for the raptor-soak namespace only. */
export const markSignerLine = (key: KeyName = "ed25519") =>
    `${SOAK_SIGNER} namespaces="${SOAK_NAMESPACE}" ${publicKey(key)}`;

export interface MarkSpec {
    /** Hours after the enable time. */
    hours: number;
    healthy?: boolean;
    findings?: string[];
    /** Another enable time (a mark of an earlier soak). */
    enabledAt?: string;
    key?: KeyName;
    /** Its window's start, in hours after the enable time; default the previous complete mark, as soak does. */
    sinceHours?: number;
    /** The logs' buffer was full and reached back only to this hour (incomplete); default they read the window. */
    logsFrom?: number;
    /** What each source read, as is; default the logs read the window (or `logsFrom`). */
    coverage?: MarkCoverage;
    /** The mark's own `complete`; default what its coverage shows. */
    complete?: boolean;
    signer?: string;
    namespace?: string;
}

const seconds = (t: string) => new Date(t).toISOString().replace(/\.000Z$/, "Z");

/** Seconds, as `raptor-roles soak` writes them, rounded up so a mark is never before the hour it stands for. */
const at = (base: string, hours: number) =>
    new Date(Math.ceil((Date.parse(base) + hours * 3600 * 1000) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");

/** Evidence of `specs`, in order, signed and chained. */
export function soakEvidence(enabledAt: string, specs: readonly MarkSpec[]): SoakEvidence {
    const head = { stack: "staging", app: STAGING_APP };
    const marks: SoakMark[] = [];
    for (const s of specs) {
        const bound = s.enabledAt ?? enabledAt;
        const previous = marks.filter((m) => m.enabledAt === bound && isComplete(m)).at(-1);
        const since = s.sinceHours === undefined ? (previous?.at ?? seconds(bound)) : at(bound, s.sinceHours);
        const to = at(bound, s.hours);
        const coverage = s.coverage ?? {
            logs:
                s.logsFrom === undefined
                    ? { from: since, to, complete: true }
                    : { from: at(bound, s.logsFrom), to, complete: false },
        };
        const window = { since, at: to, coverage };
        const unsigned = {
            at: to,
            enabledAt: bound,
            since,
            healthy: s.healthy ?? true,
            complete: s.complete ?? windowReadBy(window).length > 0,
            findings: s.findings ?? (s.healthy === false ? ["logs:unhealthy"] : []),
            coverage,
            signer: s.signer ?? SOAK_SIGNER,
            prev: marks.length === 0 ? "none" : markDigest(head, marks.at(-1)!),
        };
        const signature = sshSign(s.key ?? "ed25519", markMessage(head, unsigned), s.namespace ?? SOAK_NAMESPACE);
        marks.push({ ...unsigned, signature });
    }
    return { ...head, marks };
}

/**
 * Clean, complete marks at 25, 49 and 72 h, the ones not later than `now`, and, when the soak is older, one half an
 * hour before `now`: the gate wants the windows chained up to now (the hourly workflow's newest mark).
 */
export function cleanSoak(enabledAt: string, now: Date): SoakEvidence {
    const age = (now.getTime() - Date.parse(enabledAt)) / (3600 * 1000);
    const due = [25, 49, 72].filter((h) => h <= age);
    return soakEvidence(
        enabledAt,
        [...due, ...(age > 72.5 ? [age - 0.5] : [])].map((hours) => ({ hours })),
    );
}

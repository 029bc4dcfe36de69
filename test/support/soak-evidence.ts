/**
 * Soak evidence as `raptor-roles soak` writes it, for the gate's tests: marks signed by the real ssh-keygen
 * (namespace raptor-soak) with the test soak signer's key, each chained to the one before.
 */
import { SOAK_NAMESPACE, SoakEvidence, SoakMark, markDigest, markMessage } from "../../core/soak-marks";
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
}

/** Seconds, as `raptor-roles soak` writes them, rounded up so a mark is never before the hour it stands for. */
const at = (base: string, hours: number) =>
    new Date(Math.ceil((Date.parse(base) + hours * 3600 * 1000) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");

/** Evidence of `specs`, in order, signed and chained. */
export function soakEvidence(enabledAt: string, specs: readonly MarkSpec[]): SoakEvidence {
    const head = { stack: "staging", app: STAGING_APP };
    const marks: SoakMark[] = [];
    for (const s of specs) {
        const bound = s.enabledAt ?? enabledAt;
        const unsigned = {
            at: at(bound, s.hours),
            enabledAt: bound,
            since: at(bound, Math.max(0, s.hours - 24)),
            healthy: s.healthy ?? true,
            findings: s.findings ?? (s.healthy === false ? ["logs:unhealthy"] : []),
            signer: SOAK_SIGNER,
            prev: marks.length === 0 ? "none" : markDigest(head, marks.at(-1)!),
        };
        const signature = sshSign(s.key ?? "ed25519", markMessage(head, unsigned), SOAK_NAMESPACE);
        marks.push({ ...unsigned, signature });
    }
    return { ...head, marks };
}

/** Three clean marks, at 25, 49 and 72 h, the ones not later than `now`. */
export function cleanSoak(enabledAt: string, now: Date): SoakEvidence {
    const due = [25, 49, 72].filter((h) => Date.parse(enabledAt) + h * 3600 * 1000 <= now.getTime());
    return soakEvidence(
        enabledAt,
        due.map((hours) => ({ hours })),
    );
}

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
 */
import { createHash } from "node:crypto";

export const SOAK_NAMESPACE = "raptor-soak";

export interface SoakMark {
    /** When the check ran (ISO 8601, seconds). */
    readonly at: string;
    /** The soak stack's roleSeparationEnabledAt the mark belongs to. */
    readonly enabledAt: string;
    /** The check's log window started here. */
    readonly since: string;
    readonly healthy: boolean;
    /** `check:status` of every finding that was not ok or skipped, e.g. `grants:unhealthy`. */
    readonly findings: readonly string[];
    /** Who signed it (an allowed_signers principal). */
    readonly signer: string;
    /** sha256 of the previous mark (`markDigest`), or `none` for the first. */
    readonly prev: string;
    readonly signature: string;
}

export interface SoakEvidence {
    /** The soak stack's short name, e.g. staging. */
    readonly stack: string;
    readonly app: string;
    readonly marks: readonly SoakMark[];
}

/** The text a mark's signature covers: one `key: value` line per field, fixed order. */
export function markMessage(e: Pick<SoakEvidence, "stack" | "app">, m: Omit<SoakMark, "signature">): string {
    return [
        "raptor-soak-mark v1",
        `stack: ${e.stack}`,
        `app: ${e.app}`,
        `enabledAt: ${m.enabledAt}`,
        `at: ${m.at}`,
        `since: ${m.since}`,
        `healthy: ${m.healthy}`,
        `findings: ${m.findings.length === 0 ? "none" : m.findings.join(",")}`,
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
            [m.at, m.enabledAt, m.since].every((t) => typeof t === "string" && ISO.test(t)) &&
            typeof m.healthy === "boolean" &&
            Array.isArray(m.findings) &&
            m.findings.every((f: unknown) => typeof f === "string") &&
            typeof m.signer === "string" &&
            typeof m.prev === "string" &&
            typeof m.signature === "string";
        if (!ok) {
            return {
                problem:
                    `raptor:soakEvidence.marks[${i}] is malformed: needs at, enabledAt, since (ISO 8601 UTC), ` +
                    "healthy, findings, signer, prev and signature",
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

/**
 * The sticky stop: a record, in the stack's Pulumi backend, that the emergency stop ran (when, why, by whom).
 * It lives in a stack tag, not in git and not in a stack output: the stop must hold even when its commit of
 * `raptor:roleSeparation false` never lands (a protected main refuses a workflow's push) and even when the
 * stack's own `pulumi up` after the stop fails (an output changes only through a successful update); a tag is
 * one backend call, visible in `pulumi stack tag ls` and the Pulumi Console. Until a person resumes
 * (`raptor-roles deploy --resume`), no deploy turns the flag on; the rollback is never blocked. Pure.
 */

/** Stack tag names: [A-Za-z0-9-_.:], at most 40; values at most 256 characters (pulumi util/validation). */
export const STOP_TAG = "raptor:stopped";
const MAX_VALUE = 256;

export interface StopRecord {
    /** ISO 8601 time of the emergency stop. */
    readonly at: string;
    readonly why: string;
    readonly by: string;
}

/** The tag's value: JSON, the reason shortened to fit Pulumi's 256 characters. */
export function stopTagValue(s: StopRecord): string {
    const room = MAX_VALUE - JSON.stringify({ ...s, why: "" }).length;
    const why = s.why.length <= room ? s.why : `${s.why.slice(0, Math.max(0, room - 3))}...`;
    return JSON.stringify({ at: s.at, why, by: s.by });
}

/**
 * The value that means "resumed": `pulumi stack tag rm` exits 0 but leaves the tag on a file backend (seen with
 * pulumi 3.248 on the engine tests' backend), so a resume overwrites the tag instead of removing it.
 */
export function clearedTagValue(at: string, by: string): string {
    return JSON.stringify({ cleared: at, by }).slice(0, MAX_VALUE);
}

/**
 * The record in a tag value, or undefined for a cleared one; a value that is neither still means stopped, with
 * the raw text as the reason.
 */
export function parseStopTag(value: string): StopRecord | undefined {
    try {
        const v = JSON.parse(value) as Partial<StopRecord> & { cleared?: unknown };
        if (typeof v.cleared === "string") {
            return undefined;
        }
        if (typeof v.at === "string" && typeof v.why === "string" && typeof v.by === "string") {
            return { at: v.at, why: v.why, by: v.by };
        }
    } catch {
        // fall through: an edited tag still stops
    }
    return { at: "unknown", why: value, by: "unknown" };
}

export const describeStop = (s: StopRecord) => `stopped at ${s.at} by ${s.by}: ${s.why}`;

/**
 * The soak gate's reading of the evidence: prod may turn the flag on only when the soak stack's signed marks,
 * bound to its current enable time E, hold a clean mark in each window [E + c_i, E + c_i+1) of the checkpoints
 * (24, 48 and 72 h by default; the last window is open) and no unhealthy mark since E. Turning the flag off and
 * on again moves E, which restarts the soak: marks bound to another E do not count.
 */
import { SoakEvidence, SoakMark, checkpoints, markDigest, markMessage, parseEvidence } from "./soak-marks";

const HOUR_MS = 3600 * 1000;

export interface SoakJudgement {
    /** Raw raptor:soakEvidence. */
    readonly raw: unknown;
    /** The soak stack's short name (staging). */
    readonly soakStack: string;
    /** The soak stack's current roleSeparationEnabledAt. */
    readonly enabledAt: string;
    readonly now: Date;
    readonly soakHours: number;
    /** Checks a mark's signature over `message`; a problem, or undefined when it verifies. */
    readonly verify: (message: string, mark: SoakMark) => string | undefined;
}

export const RECORD_MARK =
    "Record marks with `raptor-roles soak --stack staging --key <soak key>` (the soak workflow does it every 24 h)";

/** The first problem with the evidence, in the order an operator can act on; undefined when the soak holds. */
export function judgeSoak(j: SoakJudgement): string | undefined {
    const due = checkpoints(j.soakHours);
    if (j.raw === undefined || j.raw === null || j.raw === "") {
        return due.length === 0
            ? undefined
            : "there is no soak evidence: raptor:soakEvidence is not set. " +
                  `${RECORD_MARK}, then commit Pulumi.prod.yaml.`;
    }
    const { evidence, problem } = parseEvidence(j.raw);
    if (evidence === undefined) {
        return `${problem}. ${RECORD_MARK}.`;
    }
    return integrity(evidence, j) ?? coverage(evidence, j, due);
}

/** Every mark signed, chained to the one before, and not from the future. */
function integrity(e: SoakEvidence, j: SoakJudgement): string | undefined {
    if (e.stack !== j.soakStack) {
        return (
            `raptor:soakEvidence is evidence for stack ${e.stack}, not the soak stack ${j.soakStack}. ` +
            `${RECORD_MARK}.`
        );
    }
    let prev = "none";
    for (const [i, m] of e.marks.entries()) {
        const bad = j.verify(markMessage(e, m), m);
        if (bad !== undefined) {
            return (
                `soak mark ${i} (at ${m.at}) is refused: ${bad}; a mark edited by hand fails its signature. ` +
                `Restore the file from git, or ${RECORD_MARK} into a file without the edited mark.`
            );
        }
        if (m.prev !== prev) {
            return (
                `soak mark ${i} (at ${m.at}) does not follow mark ${i - 1}: a mark was removed, reordered or ` +
                `inserted by hand. Restore the file from git.`
            );
        }
        if (Date.parse(m.at) > j.now.getTime()) {
            return `soak mark ${i} is dated ${m.at}, in the future (now ${j.now.toISOString()}): it is no evidence.`;
        }
        prev = markDigest(e, m);
    }
    return undefined;
}

/** Marks bound to the current enable time: none unhealthy, a clean one in every window. */
function coverage(e: SoakEvidence, j: SoakJudgement, due: readonly number[]): string | undefined {
    const E = Date.parse(j.enabledAt);
    const bound = e.marks.filter((m) => Date.parse(m.enabledAt) === E);
    const sick = bound.find((m) => !m.healthy);
    if (sick !== undefined) {
        return (
            `staging was unhealthy during the soak: the mark at ${sick.at} found ${sick.findings.join(", ")}. ` +
            `Fix the cause (\`raptor-roles check --stack ${j.soakStack}\` names it), then restart the soak: turn ` +
            "staging's flag off and on again (`raptor-roles cutover --stack staging`), which moves its enable time."
        );
    }
    if (bound.length === 0 && e.marks.length > 0 && due.length > 0) {
        const other = e.marks.at(-1)!.enabledAt;
        return (
            `the soak evidence is bound to enable time ${other}, but staging's flag was (re)enabled at ` +
            `${j.enabledAt}: turning it off and on restarted the soak, so those marks do not count. ${RECORD_MARK}.`
        );
    }
    for (const [i, h] of due.entries()) {
        const from = E + h * HOUR_MS;
        const to = i + 1 < due.length ? E + due[i + 1] * HOUR_MS : Infinity;
        const clean = bound.some((m) => m.healthy && Date.parse(m.at) >= from && Date.parse(m.at) < to);
        if (!clean) {
            const window =
                to === Infinity
                    ? `at or after ${h} h (${iso(from)})`
                    : `between ${h} h and ${due[i + 1]} h (${iso(from)} to ${iso(to)})`;
            return (
                `there is no clean soak mark ${window} after staging's flag was enabled at ${j.enabledAt}. ` +
                `${RECORD_MARK}.`
            );
        }
    }
    return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/**
 * The soak gate's reading of the evidence: prod may turn the flag on only when the soak stack's signed marks,
 * bound to its current enable time E, show no unhealthy mark since E, and clean, complete marks (a source that
 * reads errors read each one's whole window) whose windows chain from E to now, with one in each checkpoint window
 * [E + c_i, E + c_i+1) (24, 48 and 72 h by default; the last window is open). An incomplete mark neither counts nor
 * blocks on its own: the stretch it could not vouch for does. Turning the flag off and on again moves E, which
 * restarts the soak: marks bound to another E do not count.
 */
import { SoakEvidence, SoakMark, checkpoints, isComplete, markDigest, markMessage, parseEvidence } from "./soak-marks";

const HOUR_MS = 3600 * 1000;
/** How old the newest complete mark may be: the soak workflow runs hourly, so one missed run is tolerated. */
export const MARK_MAX_AGE_HOURS = 2;

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
    "Record marks with `raptor-roles soak --stack staging --key <soak key>` (the soak workflow does it every hour)";

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
            const place = i === 0 ? "is listed first but is not the first mark" : `does not follow mark ${i - 1}`;
            return (
                `soak mark ${i} (at ${m.at}) ${place}: a mark was removed, reordered or ` +
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

/** Marks bound to the current enable time: none unhealthy, complete windows chained to now, a clean one per window. */
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
    if (due.length === 0) {
        return undefined;
    }
    if (bound.length === 0 && e.marks.length > 0) {
        const other = e.marks.at(-1)!.enabledAt;
        return (
            `the soak evidence is bound to enable time ${other}, but staging's flag was (re)enabled at ` +
            `${j.enabledAt}: turning it off and on restarted the soak, so those marks do not count. ${RECORD_MARK}.`
        );
    }
    const counted = bound.filter((m) => m.healthy && isComplete(m));
    const stretch = uncovered(counted, E, j.now.getTime());
    if (stretch !== undefined) {
        return unread(stretch, bound, j);
    }
    for (const [i, h] of due.entries()) {
        const from = E + h * HOUR_MS;
        const to = i + 1 < due.length ? E + due[i + 1] * HOUR_MS : Infinity;
        const clean = counted.some((m) => Date.parse(m.at) >= from && Date.parse(m.at) < to);
        if (!clean) {
            const window =
                to === Infinity
                    ? `at or after ${h} h (${iso(from)})`
                    : `between ${h} h and ${due[i + 1]} h (${iso(from)} to ${iso(to)})`;
            return (
                `there is no clean, complete soak mark ${window} after staging's flag was enabled at ` +
                `${j.enabledAt}. ${RECORD_MARK}.`
            );
        }
    }
    return undefined;
}

/**
 * The first stretch from E to now that no complete mark's window [since, at] covers. The stretch after the newest
 * mark is allowed MARK_MAX_AGE_HOURS: a mark is a moment, and the soak workflow records one every hour.
 */
function uncovered(counted: readonly SoakMark[], E: number, now: number): { from: number; to: number } | undefined {
    let reached = E;
    const bySince = [...counted].sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
    for (const m of bySince) {
        if (Date.parse(m.since) > reached) {
            return { from: reached, to: Date.parse(m.since) };
        }
        reached = Math.max(reached, Date.parse(m.at));
    }
    return now - reached > MARK_MAX_AGE_HOURS * HOUR_MS ? { from: reached, to: now } : undefined;
}

function unread(s: { from: number; to: number }, bound: readonly SoakMark[], j: SoakJudgement): string {
    const hours = ((s.to - s.from) / HOUR_MS).toFixed(1);
    const inside = bound.filter((m) => !isComplete(m) && Date.parse(m.at) > s.from && Date.parse(m.since) < s.to);
    const partial =
        inside.length === 0
            ? "no mark was recorded in it"
            : `the mark(s) at ${inside.map((m) => m.at).join(", ")} in it are incomplete: no source read their ` +
              "whole window (Heroku keeps the last 1,500 log lines; Sentry not configured or not fully read)";
    const end = s.to === j.now.getTime() ? "now" : iso(s.to);
    return (
        `no complete soak mark covers ${iso(s.from)} to ${end} (${hours} h) after staging's flag was enabled at ` +
        `${j.enabledAt}: ${partial}, so nobody knows whether staging logged errors then. ` +
        (end === "now" && inside.length === 0
            ? `${RECORD_MARK}; the newest complete mark must be at most ${MARK_MAX_AGE_HOURS} h old.`
            : "Fix: configure Sentry for staging (raptor:sentryProject and SENTRY_AUTH_TOKEN in the soak workflow): " +
              "the next `raptor-roles soak` reads Sentry from the last complete mark and closes the stretch. With " +
              "logs only, those lines are gone: restart the soak (turn staging's flag off and on) and run the soak " +
              "hourly, or add a log drain.")
    );
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/**
 * soak-before-prod reads staging's signed soak marks (core/soak-gate.ts, policy/soak-marks.ts) over the real
 * program's prod resources, with time injected: three clean marks over 72 h pass; an unhealthy mark, a missing
 * window, a mark edited by hand, a removed mark, marks of an older enable time, and an unknown signer block,
 * each naming why; the emergency stop (flag off) passes with no evidence at all. Coverage: only clean, complete
 * marks count, their windows must chain from the enable time to now, and an uncovered stretch is named. Forgery
 * (issue 27 point 5): every mark below is signed by the real ssh-keygen, and each forgery blocks with its message.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EvaluationContext, runPolicies } from "../../offline/evaluate";
import { soakBeforeProd } from "../../policy/policies";
import { Recorded } from "../support/mocks";
import { NOW, PROD_CONFIG, declared, hoursBefore } from "../support/policy-harness";
import { MarkSpec, SOAK_SIGNER, cleanSoak, markSignerLine, soakEvidence } from "../support/soak-evidence";
import { publicKey } from "../support/ssh-keys";

const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
const ENABLED = hoursBefore(73);
let prodOn: Recorded[];
let prodOnOutputs: Record<string, unknown>;
let prodOff: Recorded[];

beforeAll(async () => {
    ({ resources: prodOn, outputs: prodOnOutputs } = await declared({
        stack: "prod",
        config: FLAG_ON,
        soakOutputs: { roleSeparationEnabledAt: ENABLED },
    }));
    prodOff = (await declared({ stack: "prod", config: PROD_CONFIG })).resources;
});

async function gate(evidence: unknown, over: Partial<EvaluationContext> = {}): Promise<string[]> {
    const vs = await runPolicies((c) => [soakBeforeProd(c)], prodOn, {
        stack: "prod",
        stackConfig: evidence === undefined ? FLAG_ON : { ...FLAG_ON, soakEvidence: evidence },
        stackOutputs: prodOnOutputs,
        now: NOW,
        policyConfig: { "soak-before-prod": { markSigners: [markSignerLine()] } },
        ...over,
    });
    return vs.map((v) => `${v.level}: ${v.message}`);
}
const marks = (...specs: MarkSpec[]) => soakEvidence(ENABLED, specs);
/** The time `h` hours after the enable time, as marks write it. */
const t = (h: number) => new Date(Date.parse(ENABLED) + h * 3600 * 1000).toISOString().replace(/\.000Z$/, "Z");
const RECORD =
    "Record marks with `raptor-roles soak --stack staging --key <soak key>` (the soak workflow does it every hour).";
const PREFIX = "mandatory: Prod turns the flag on but ";

describe("soak-before-prod reads the soak marks", () => {
    it("passes three clean marks at 24, 48 and 72 h after the enable time", async () => {
        expect(await gate(marks({ hours: 25 }, { hours: 49 }, { hours: 72.5 }))).toEqual([]);
    });

    it("passes the evidence as the engine hands it over: JSON text", async () => {
        expect(await gate(JSON.stringify(cleanSoak(ENABLED, NOW)))).toEqual([]);
    });

    it("blocks an unhealthy mark, naming when and what, even with clean marks around it", async () => {
        const e = marks({ hours: 25 }, { hours: 30, findings: ["grants:unhealthy", "logs:unhealthy"], healthy: false });
        const more = soakEvidence(ENABLED, [
            { hours: 25 },
            { hours: 30, healthy: false, findings: ["grants:unhealthy", "logs:unhealthy"] },
            { hours: 49 },
            { hours: 72.5 },
        ]);
        for (const evidence of [e, more]) {
            expect(await gate(evidence)).toEqual([
                "mandatory: Prod turns the flag on but staging was unhealthy during the soak: the mark at " +
                    `${more.marks[1].at} found grants:unhealthy, logs:unhealthy. Fix the cause (\`raptor-roles check ` +
                    "--stack staging` names it), then restart the soak: turn staging's flag off and on again " +
                    "(`raptor-roles cutover --stack staging`), which moves its enable time.",
            ]);
        }
    });

    it("blocks a missing window, naming it", async () => {
        const [msg] = await gate(marks({ hours: 25 }, { hours: 72.5 }));
        expect(msg).toContain(
            "there is no clean, complete soak mark between 48 h and 72 h (" +
                `${hoursBefore(25).replace(/\.000Z$/, "Z")} to ${hoursBefore(1).replace(/\.000Z$/, "Z")})`,
        );
    });

    it("blocks with no evidence at all", async () => {
        expect(await gate(undefined)).toEqual([
            expect.stringContaining("there is no soak evidence: raptor:soakEvidence is not set."),
        ]);
    });

    it("refuses a mark edited by hand (unhealthy turned healthy)", async () => {
        const e = marks({ hours: 25 }, { hours: 49, healthy: false }, { hours: 72.5 });
        const edited = { ...e, marks: e.marks.map((m, i) => (i === 1 ? { ...m, healthy: true, findings: [] } : m)) };
        expect(await gate(edited)).toEqual([
            expect.stringContaining(
                `soak mark 1 (at ${e.marks[1].at}) is refused: its signature does not verify over the mark's fields`,
            ),
        ]);
    });

    it("refuses evidence with a mark removed from the middle", async () => {
        const e = marks({ hours: 25 }, { hours: 30, healthy: false }, { hours: 49 }, { hours: 72.5 });
        const removed = { ...e, marks: e.marks.filter((_, i) => i !== 1) };
        expect(await gate(removed)).toEqual([
            expect.stringContaining(`soak mark 1 (at ${e.marks[2].at}) does not follow mark 0: a mark was removed`),
        ]);
    });

    it("refuses marks bound to an older enable time: re-enabling restarts the soak", async () => {
        const older = hoursBefore(200);
        const e = soakEvidence(ENABLED, [
            { hours: 25, enabledAt: older },
            { hours: 49, enabledAt: older },
            { hours: 73, enabledAt: older },
        ]);
        expect(await gate(e)).toEqual([
            expect.stringContaining(
                `the soak evidence is bound to enable time ${older}, but staging's flag ` +
                    `was (re)enabled at ${ENABLED}`,
            ),
        ]);
    });

    it("refuses a mark signed by a key markSigners does not allow", async () => {
        const e = soakEvidence(ENABLED, [{ hours: 25, key: "mallory" }, { hours: 49 }, { hours: 72.5 }]);
        expect(await gate(e)).toEqual([
            expect.stringMatching(
                /soak mark 0 .* is refused: it is signed with key SHA256:\S+, and no line of soak-before-prod/,
            ),
        ]);
    });

    it("lets the emergency stop (flag off) through with no evidence", async () => {
        const vs = await runPolicies((c) => [soakBeforeProd(c)], prodOff, {
            stack: "prod",
            stackConfig: PROD_CONFIG,
            now: NOW,
            policyConfig: {},
        });
        expect(vs).toEqual([]);
    });
});

describe("soak-before-prod counts only what the marks read (coverage)", () => {
    it("an incomplete mark neither counts nor blocks: the next mark reads from the last complete one", async () => {
        // At 60 h the logs reached back only to 59.5 h; the mark at 72.5 h reads again from 49 h.
        const e = marks({ hours: 25 }, { hours: 49 }, { hours: 60, logsFrom: 59.5 }, { hours: 72.5 });
        expect(e.marks[2].complete).toBe(false);
        expect(e.marks[3].since).toBe(t(49));
        expect(await gate(e)).toEqual([]);
    });

    it("a stretch no complete mark covers blocks prod, naming it, the incomplete mark and the fix", async () => {
        const e = marks({ hours: 25 }, { hours: 49, logsFrom: 48.5 }, { hours: 72.5, sinceHours: 49 });
        expect(await gate(e)).toEqual([
            `${PREFIX}no complete soak mark covers ${t(25)} to ${t(49)} (24.0 h) after staging's flag was enabled at ` +
                `${ENABLED}: the mark(s) at ${t(49)} in it are incomplete: no source read their whole window (Heroku ` +
                "keeps the last 1,500 log lines; Sentry not configured or not fully read), so nobody knows whether " +
                "staging logged errors then. Fix: configure Sentry for staging (raptor:sentryProject and " +
                "SENTRY_AUTH_TOKEN in the soak workflow): the next `raptor-roles soak` reads Sentry from the last " +
                "complete mark and closes the stretch. With logs only, those lines are gone: restart the soak (turn " +
                "staging's flag off and on) and run the soak hourly, or add a log drain.",
        ]);
    });

    it("marks that never read their whole window prove nothing: the stretch starts at the enable time", async () => {
        const e = marks({ hours: 25, logsFrom: 24.9 }, { hours: 49, logsFrom: 48.9 }, { hours: 72.5, logsFrom: 72.4 });
        const [msg] = await gate(e);
        expect(msg).toContain(`no complete soak mark covers ${t(0)} to now (73.0 h)`);
        expect(msg).toContain(`the mark(s) at ${t(25)}, ${t(49)}, ${t(72.5)} in it are incomplete`);
        expect(msg).toContain("Fix: configure Sentry for staging");
    });

    it("the newest complete mark must be recent: the stretch after it up to now is named", async () => {
        const e = marks({ hours: 25 }, { hours: 49 }, { hours: 72 - 1.5 });
        expect(await gate(e)).toEqual([
            `${PREFIX}no complete soak mark covers ${t(70.5)} to now (2.5 h) after staging's flag was enabled at ` +
                `${ENABLED}: no mark was recorded in it, so nobody knows whether staging logged errors then. ` +
                `${RECORD.replace(/\.$/, "")}; the newest complete mark must be at most 2 h old.`,
        ]);
    });

    it("Sentry read to its last page covers a window the logs could not", async () => {
        const sentry = (from: number, to: number) => ({ from: t(from), to: t(to), complete: true });
        const logs = (from: number, to: number) => ({ from: t(from), to: t(to), complete: false });
        const e = marks(
            { hours: 25, coverage: { logs: logs(24.9, 25), sentry: sentry(0, 25) } },
            { hours: 49, coverage: { logs: logs(48.9, 49), sentry: sentry(25, 49) } },
            { hours: 72.5, coverage: { logs: logs(72.4, 72.5), sentry: sentry(49, 72.5) } },
        );
        expect(e.marks.map((m) => m.complete)).toEqual([true, true, true]);
        expect(await gate(e)).toEqual([]);
    });

    it("a mark that says complete while its coverage shows a gap does not count", async () => {
        const e = marks({ hours: 25 }, { hours: 49, logsFrom: 48, complete: true }, { hours: 72.5, sinceHours: 49 });
        const [msg] = await gate(e);
        expect(msg).toContain(`no complete soak mark covers ${t(25)} to ${t(49)} (24.0 h)`);
    });
});

describe("soak-before-prod refuses forged evidence, each with its own message", () => {
    const three = () => marks({ hours: 25 }, { hours: 49 }, { hours: 72.5 });
    const editMark = (i: number, over: Record<string, unknown>) => {
        const e = three();
        return { e, edited: { ...e, marks: e.marks.map((m, k) => (k === i ? { ...m, ...over } : m)) } };
    };
    const NOT_SIGNED = "its signature does not verify over the mark's fields (one of them is not what was signed)";

    it("refuses marks reordered", async () => {
        const e = three();
        const swapped = { ...e, marks: [e.marks[1], e.marks[0], e.marks[2]] };
        expect(await gate(swapped)).toEqual([
            `${PREFIX}soak mark 0 (at ${t(49)}) is listed first but is not the first mark: a mark was removed, ` +
                "reordered or inserted by hand. Restore the file from git.",
        ]);
    });

    it.each([
        ["at", { at: t(48.5) }],
        ["enabledAt", { enabledAt: hoursBefore(80) }],
        ["since", { since: t(1) }],
        ["coverage.logs.from", { coverage: { logs: { from: t(0), to: t(49), complete: true } } }],
        ["coverage.logs.complete", { coverage: { logs: { from: t(25), to: t(49), complete: false } } }],
        ["complete", { complete: false }],
    ])("refuses a mark whose %s was edited", async (_field, over) => {
        const { edited } = editMark(1, over);
        expect(await gate(edited)).toEqual([
            `${PREFIX}soak mark 1 (at ${edited.marks[1].at}) is refused: ${NOT_SIGNED}; a mark edited by hand fails ` +
                "its signature. Restore the file from git, or Record marks with `raptor-roles soak --stack staging " +
                "--key <soak key>` (the soak workflow does it every hour) into a file without the edited mark.",
        ]);
    });

    it("refuses a mark whose signer was edited: the key is not allowed for that name", async () => {
        const { edited } = editMark(1, { signer: "alice@raxx.app" });
        const [msg] = await gate(edited);
        expect(msg).toMatch(
            new RegExp(
                "^mandatory: Prod turns the flag on but soak mark 1 \\(at \\S+\\) is refused: it is signed with key " +
                    'SHA256:\\S+, and no line of soak-before-prod.markSigners allows that key for "alice@raxx.app"; ',
            ),
        );
    });

    it("refuses a listed key's signature made in another namespace (a sign-off signature reused)", async () => {
        const e = marks({ hours: 25 }, { hours: 49, namespace: "raptor-signoff" }, { hours: 72.5 });
        const [msg] = await gate(e);
        expect(msg).toContain(
            `soak mark 1 (at ${t(49)}) is refused: its signature is for namespace "raptor-signoff", not raptor-soak;`,
        );
    });

    it("refuses a key listed only for the sign-off namespace", async () => {
        const e = marks({ hours: 25 }, { hours: 49, key: "ecdsa" }, { hours: 72.5 });
        const signoffOnly = `${SOAK_SIGNER} namespaces="raptor-signoff" ${publicKey("ecdsa")}`;
        const [msg] = await gate(e, {
            policyConfig: { "soak-before-prod": { markSigners: [markSignerLine(), signoffOnly] } },
        });
        expect(msg).toMatch(
            new RegExp(
                "soak mark 1 \\(at \\S+\\) is refused: it is signed with key SHA256:\\S+, and no line of " +
                    'soak-before-prod.markSigners allows that key for "soak-bot@raxx.app"',
            ),
        );
    });

    it("refuses a listed key signing under another principal", async () => {
        const alice = `alice@raxx.app namespaces="raptor-soak" ${publicKey("ecdsa")}`;
        const e = marks({ hours: 25 }, { hours: 49, key: "ecdsa" }, { hours: 72.5 });
        const [msg] = await gate(e, {
            policyConfig: { "soak-before-prod": { markSigners: [markSignerLine(), alice] } },
        });
        expect(msg).toMatch(
            /soak mark 1 .* no line of soak-before-prod.markSigners allows that key for "soak-bot@raxx.app"/,
        );
        // The same key, signing as the principal it is listed for, is accepted.
        const asAlice = marks({ hours: 25 }, { hours: 49, key: "ecdsa", signer: "alice@raxx.app" }, { hours: 72.5 });
        expect(
            await gate(asAlice, { policyConfig: { "soak-before-prod": { markSigners: [markSignerLine(), alice] } } }),
        ).toEqual([]);
    });

    it("refuses a mark dated in the future", async () => {
        const e = marks({ hours: 25 }, { hours: 49 }, { hours: 72.5 }, { hours: 74 });
        expect(await gate(e)).toEqual([
            `${PREFIX}soak mark 3 is dated ${t(74)}, in the future (now ${NOW.toISOString()}): it is no evidence.`,
        ]);
    });

    it("refuses evidence recorded for another stack", async () => {
        expect(await gate({ ...three(), stack: "qa" })).toEqual([
            `${PREFIX}raptor:soakEvidence is evidence for stack qa, not the soak stack staging. ${RECORD}`,
        ]);
    });

    it("refuses malformed JSON", async () => {
        expect(await gate('{"stack": "staging", "marks": [')).toEqual([
            `${PREFIX}raptor:soakEvidence is not JSON or YAML structure. ${RECORD}`,
        ]);
    });

    it("refuses a mark without coverage (format v1): it cannot say what it read", async () => {
        const e = three();
        const v1 = { ...e, marks: e.marks.map(({ coverage: _c, complete: _k, ...m }) => m) };
        expect(await gate(v1)).toEqual([
            `${PREFIX}raptor:soakEvidence.marks[0] is malformed: needs at, enabledAt, since (ISO 8601 UTC), healthy, ` +
                "complete, findings, coverage ({logs, sentry}: {from, to, complete}), signer, prev and signature (a " +
                `mark recorded before coverage, format v1, has neither complete nor coverage). ${RECORD}`,
        ]);
    });
});

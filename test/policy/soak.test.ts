/**
 * soak-before-prod reads staging's signed soak marks (core/soak-gate.ts, policy/soak-marks.ts) over the real
 * program's prod resources, with time injected: three clean marks over 72 h pass; an unhealthy mark, a missing
 * window, a mark edited by hand, a removed mark, marks of an older enable time, and an unknown signer block,
 * each naming why; the emergency stop (flag off) passes with no evidence at all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EvaluationContext, runPolicies } from "../../offline/evaluate";
import { soakBeforeProd } from "../../policy/policies";
import { Recorded } from "../support/mocks";
import { NOW, PROD_CONFIG, declared, hoursBefore } from "../support/policy-harness";
import { MarkSpec, cleanSoak, markSignerLine, soakEvidence } from "../support/soak-evidence";

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
            "there is no clean soak mark between 48 h and 72 h (" +
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

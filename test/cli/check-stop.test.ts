import { describe, expect, it } from "vitest";
import { stopFinding } from "../../cli/check-stop";

const record = { at: "2026-12-07T21:00:00.000Z", why: "logs: permission denied for table users", by: "ci via deploy" };

describe("check's stop finding", () => {
    it("a stop while the stack file says true is unhealthy, with the resume and the rollback as fixes", async () => {
        expect(await stopFinding("staging", true, async () => record)).toEqual({
            check: "stop",
            status: "unhealthy",
            detail:
                "stack staging was stopped at 2026-12-07T21:00:00.000Z by ci via deploy: logs: permission denied " +
                "for table users, but Pulumi.staging.yaml says raptor:roleSeparation true: the flag stays 0 and " +
                "every deploy that would turn it on is refused",
            fix:
                "fix the cause (the reason above), then raptor-roles deploy --stack staging --resume; or, to keep " +
                "it off, merge raptor:roleSeparation false (pulumi config set raptor:roleSeparation false -s staging)",
        });
    });

    it("a stop the stack file agrees with (false) is ok and still shown", async () => {
        const f = await stopFinding("staging", false, async () => record);
        expect([f.status, f.detail]).toEqual([
            "ok",
            "stopped at 2026-12-07T21:00:00.000Z by ci via deploy: logs: permission denied for table users; " +
                "raptor:roleSeparation false in Pulumi.staging.yaml agrees",
        ]);
    });

    it("no record is ok", async () => {
        const f = await stopFinding("prod", true, async () => undefined);
        expect([f.status, f.detail]).toEqual(["ok", "no emergency stop recorded (stack tag raptor:stopped)"]);
    });

    it("a backend that cannot be read is skipped, naming why, not an error that fails every check", async () => {
        const f = await stopFinding("prod", true, () => Promise.reject(new Error("pulumi: not found\nmore")));
        expect([f.status, f.detail, f.fix]).toEqual([
            "skipped",
            "the stack's backend was not read (pulumi: not found), so a recorded emergency stop is unknown",
            undefined,
        ]);
    });
});

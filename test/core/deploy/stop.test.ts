/** The sticky stop's record in a Pulumi stack tag: within the tag's 256 characters, and read back. */
import { describe, expect, it } from "vitest";
import { clearedTagValue, describeStop, parseStopTag, stopTagValue } from "../../../core/deploy/stop";

describe("the stop tag", () => {
    it("round-trips a record", () => {
        const s = { at: "2026-12-07T10:00:00.000Z", why: "log: permission denied for table users", by: "ana" };
        expect(parseStopTag(stopTagValue(s))).toEqual(s);
        expect(describeStop(s)).toBe(
            "stopped at 2026-12-07T10:00:00.000Z by ana: log: permission denied for table users",
        );
    });

    it("shortens a long reason to fit Pulumi's 256 characters", () => {
        const value = stopTagValue({ at: "2026-12-07T10:00:00.000Z", why: "x".repeat(1000), by: "ana" });
        expect(value.length).toBe(256);
        expect(parseStopTag(value)?.why).toMatch(/x\.\.\.$/);
    });

    it("a cleared tag means no stop (a resume overwrites it: tag rm leaves it on a file backend)", () => {
        expect(parseStopTag(clearedTagValue("2026-12-07T11:00:00.000Z", "ana"))).toBeUndefined();
        expect(clearedTagValue("2026-12-07T11:00:00.000Z", "ana")).toBe(
            '{"cleared":"2026-12-07T11:00:00.000Z","by":"ana"}',
        );
    });

    it("an edited tag still means stopped, its text as the reason", () => {
        expect(parseStopTag("stopped by hand")).toEqual({ at: "unknown", why: "stopped by hand", by: "unknown" });
    });
});

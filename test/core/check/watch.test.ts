/** The cutover's tripwire and its report (core/check/watch.ts), time injected. */
import { describe, expect, it } from "vitest";
import { Tripwire, parseDuration, renderRollback } from "../../../core/check/watch";

const FLIP = new Date("2026-12-02T10:00:00Z");
const t = (s: number) => new Date(FLIP.getTime() + s * 1000);
const line = (s: number, text: string) => `${t(s).toISOString().replace("Z", "000+00:00")} app[web.1]: ${text}`;

describe("the cutover tripwire", () => {
    it("ignores history from before the flip and trips on the first signature after it", () => {
        const w = new Tripwire(FLIP);
        expect(w.line(line(-5, "permission denied for table users"))).toBeUndefined();
        expect(w.line(line(1, "INFO:ok"))).toBeUndefined();
        const trip = w.line(line(2, "permission denied for table users at postgres://raptor_app:pw@h/d"));
        expect(trip).toEqual({
            kind: "log",
            at: t(2),
            detail: "grant drift: raptor_app lacks a privilege the app uses (runbook Failure mode C)",
            lines: [
                `${t(2).toISOString().replace("Z", "000+00:00")} app[web.1]: permission denied for table users at postgres://raptor_app:***@h/d`,
            ],
        });
        expect(w.line(line(3, 'role "raptor_app" does not exist'))?.at).toEqual(t(2));
    });

    it("lets the health URL fail while the app restarts, and trips when it fails for the whole grace", () => {
        const w = new Tripwire(FLIP, undefined, 30_000);
        expect(w.health(false, "health URL answered 503", t(1))).toBeUndefined();
        expect(w.health(true, "ok", t(5))).toBeUndefined();
        expect(w.health(false, "health URL answered 503", t(10))).toBeUndefined();
        expect(w.health(false, "health URL answered 503", t(39))).toBeUndefined();
        expect(w.health(false, "health URL answered 503", t(40))).toEqual({
            kind: "health",
            at: t(10),
            detail: "health URL answered 503, failing for 30 s",
            lines: [],
        });
    });

    it("reads --watch durations and names a bad one", () => {
        expect([parseDuration("90s"), parseDuration("10m"), parseDuration("1h")]).toEqual([90e3, 600e3, 3600e3]);
        expect(() => parseDuration("10")).toThrow('--watch "10" is not a duration such as 90s, 10m or 1h');
    });

    it("reports the stop's delay after the cause, and the command when the stop failed", () => {
        const trip = { kind: "log" as const, at: t(0), detail: "grant drift", lines: ["L"] };
        expect(renderRollback({ stack: "staging", app: "a", trip, stoppedAt: t(3.5) })).toContain(
            "(3.5 s after the cause)",
        );
        expect(renderRollback({ stack: "staging", app: "a", trip, stopError: "HTTP Error 503 (exit 1)" })).toContain(
            "Emergency stop FAILED (HTTP Error 503 (exit 1)). Run it now: " +
                "heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a a",
        );
    });
});

/** Exit codes, order and --since of `raptor-roles check` (core/check/report.ts). */
import { describe, expect, it } from "vitest";
import { Finding, buildReport, exitCodeOf, parseSince, renderCheck } from "../../../core/check/report";

const f = (check: Finding["check"], status: Finding["status"]): Finding => ({ check, status, detail: "d" });

describe("check report", () => {
    it("is 0 when every check is ok or skipped", () => {
        expect(exitCodeOf([f("credential", "ok"), f("sentry", "skipped")])).toBe(0);
    });

    it("is 1 when a check could not run and nothing is unhealthy", () => {
        expect(exitCodeOf([f("credential", "ok"), f("logs", "error")])).toBe(1);
    });

    it("is 2 when anything is unhealthy, even beside a check that could not run", () => {
        expect(exitCodeOf([f("logs", "error"), f("grants", "unhealthy")])).toBe(2);
    });

    it("orders findings as the runbook diagnoses", () => {
        const r = buildReport({ stack: "s", app: "a", since: "x", checkedAt: "y" }, [
            f("health", "ok"),
            f("flag", "ok"),
            f("credential", "ok"),
        ]);
        expect(r.findings.map((x) => x.check)).toEqual(["credential", "flag", "health"]);
        expect(r.healthy).toBe(true);
    });

    it("reads --since as a duration or an ISO time, and names a bad one", () => {
        const now = new Date("2026-12-02T12:00:00Z");
        expect(parseSince("24h", now).toISOString()).toBe("2026-12-01T12:00:00.000Z");
        expect(parseSince("30m", now).toISOString()).toBe("2026-12-02T11:30:00.000Z");
        expect(parseSince("2026-12-02T10:00:00Z", now).toISOString()).toBe("2026-12-02T10:00:00.000Z");
        expect(() => parseSince("yesterday", now)).toThrow(
            '--since "yesterday" is neither an ISO 8601 time (2026-12-02T10:00:00Z) nor a duration (30m, 24h, 3d)',
        );
    });

    it("says in one line what a source read over time covered", () => {
        const r = buildReport({ stack: "staging", app: "a", since: "2026-12-02T10:00:00.000Z", checkedAt: "y" }, [
            {
                check: "logs",
                status: "ok",
                detail: "d",
                coverage: { from: "2026-12-02T11:40:00Z", to: "2026-12-02T12:00:00Z", complete: false },
            },
            {
                ...f("sentry", "ok"),
                coverage: { from: "2026-12-02T10:00:00Z", to: "2026-12-02T12:00:00Z", complete: true },
            },
        ]);
        expect(renderCheck(r).split("\n")).toEqual([
            "raptor-roles check: stack staging, app a, logs since 2026-12-02T10:00:00.000Z",
            "  [ok  ] logs: d",
            "         read: 2026-12-02T11:40:00Z to 2026-12-02T12:00:00Z, INCOMPLETE",
            "  [ok  ] sentry: d",
            "         read: 2026-12-02T10:00:00Z to 2026-12-02T12:00:00Z, complete",
            "healthy",
            "",
        ]);
    });

    it("prints every object a finding is about, each with its fix (all of them, not the first few)", () => {
        const objects = Array.from({ length: 7 }, (_, i) => ({
            object: `table "public"."t${i}"`,
            detail: "table-privilege-missing: no INSERT",
            fix: `GRANT INSERT ON TABLE "public"."t${i}" TO "raptor_app";`,
        }));
        const r = buildReport({ stack: "staging", app: "a", since: "s", checkedAt: "y" }, [
            { check: "grants", status: "unhealthy", detail: "7 drift(s)", objects, fix: "run each object's SQL" },
        ]);
        expect(renderCheck(r).split("\n")).toEqual([
            "raptor-roles check: stack staging, app a, logs since s",
            "  [FAIL] grants: 7 drift(s)",
            ...objects.flatMap((o) => [`           ${o.object}: ${o.detail}`, `             ${o.fix}`]),
            "         fix: run each object's SQL",
            "UNHEALTHY",
            "",
        ]);
    });
});

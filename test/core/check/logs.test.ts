/** The runbook's log signatures and the scan of `heroku logs` output since a time (core/check/logs.ts). */
import { describe, expect, it } from "vitest";
import { LOG_SIGNATURES, maskLine, parseLogLine, parseLogPatterns, scanLogs } from "../../../core/check/logs";

const at = (t: string, text: string, source = "app[web.1]") => `2026-12-02T${t}.123456+00:00 ${source}: ${text}`;
const SINCE = new Date("2026-12-02T10:00:00Z");

describe("log signatures", () => {
    it("finds each runbook signature after `since` and none before it", () => {
        const text = [
            at("09:59:59", "permission denied for table users"),
            at(
                "10:00:01",
                "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) " +
                    "permission denied for table users",
            ),
            at("10:00:02", 'FATAL:  role "raptor_app" does not exist'),
            at("10:00:03", 'FATAL:  password authentication failed for user "raptor_app"'),
            at("10:00:04", "permission denied for sequence users_id_seq"),
            at("10:00:05", "INFO:raptor.api:ok"),
        ].join("\n");
        const scan = scanLogs(text, SINCE, LOG_SIGNATURES);
        expect(scan.scanned).toBe(5);
        expect(scan.hits.map((h) => [h.signature.id, h.lines.length])).toEqual([
            ["permission-denied", 2],
            ["role-missing", 1],
            ["password-failed", 1],
        ]);
        expect(scan.oldest).toBeUndefined();
    });

    it("does not take permission denied for a function or a database as a grant signature", () => {
        const text = [
            at("10:00:01", "permission denied for function f"),
            at("10:00:02", "permission denied for database d"),
        ];
        expect(scanLogs(text.join("\n"), SINCE, LOG_SIGNATURES).hits).toEqual([]);
    });

    it("reports the gap when the 1,500-line buffer starts after `since`", () => {
        const scan = scanLogs(at("11:00:00", "INFO:ok"), SINCE, LOG_SIGNATURES, true);
        expect(scan.oldest?.toISOString()).toBe("2026-12-02T11:00:00.123Z");
        // A full buffer that reaches back to `since` missed nothing; one that is not full kept everything.
        expect(scanLogs(at("09:59:59", "INFO:ok"), SINCE, LOG_SIGNATURES, true).oldest).toBeUndefined();
        expect(scanLogs(at("11:00:00", "INFO:ok"), SINCE, LOG_SIGNATURES, false).oldest).toBeUndefined();
    });

    it("masks URL passwords and password= values in the lines it returns", () => {
        expect(maskLine("x postgres://raptor_app:s3cret@host:5432/db password=hunter2 y")).toBe(
            "x postgres://raptor_app:***@host:5432/db password=*** y",
        );
        const text = at("10:00:01", "permission denied for table t at postgres://u:pw123@h/d");
        expect(scanLogs(text, SINCE, LOG_SIGNATURES).hits[0].lines[0]).not.toContain("pw123");
    });

    it("parses a coloured heroku line and ignores text that is not a log line", () => {
        expect(parseLogLine(`\x1b[2m${at("10:00:01", "hi")}\x1b[22m`)?.text).toBe("hi");
        expect(parseLogLine("Fetching logs...")).toBeUndefined();
    });
});

describe("raptor:logPatterns", () => {
    it("takes a JSON list and matches case-insensitively", () => {
        const { patterns, problem } = parseLogPatterns('["OperationalError", "deadlock detected"]');
        expect(problem).toBeUndefined();
        expect(patterns.map((p) => p.pattern.test("DEADLOCK DETECTED"))).toEqual([false, true]);
    });

    it("names a bad regular expression", () => {
        expect(parseLogPatterns('["("]').problem).toMatch(/^raptor:logPatterns entry "\(": .*Unterminated group/);
    });

    it("refuses a list with a non-string", () => {
        expect(parseLogPatterns("[1]").problem).toBe("raptor:logPatterns = [1]: use a list of regular expressions");
    });
});

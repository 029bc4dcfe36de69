/**
 * The text shown for a statement (core/workload/verdict.ts printable): a text that can hold no constant and no
 * comment prints as it is, unscanned, and exactly as the scanner would rebuild it; any other is scanned, so no
 * literal is ever shown.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../../../core/migrations/sql";
import { analyseStatement } from "../../../core/workload/statement";
import { holdsNoConstant, printable, scanned } from "../../../core/workload/verdict";

beforeAll(loadSqlParser);

const PLAIN = [
    "SELECT id, payload FROM users WHERE id = $1",
    "UPDATE t00012 SET payload = $1 WHERE id = $2 OR id = $3",
    "INSERT INTO trace_events (payload) VALUES ($1), ($2)",
    "SELECT a$1, x2 FROM s1.t_9 WHERE a$1=$10",
    "SELECT count(*)\n  FROM   paper_orders\tWHERE payload LIKE $1",
    "DELETE FROM paper_orders WHERE id = $1 RETURNING id",
    "SELECT id FROM t WHERE id = ANY($1::bigint[]) FOR UPDATE",
];

/** Each holds a constant or a comment in some form. */
const CONSTANTS = [
    "SELECT 'hunter2'",
    "SELECT E'hunter2'",
    "SELECT U&'d\\0061t'",
    "SELECT B'1010', X'1F'",
    "SELECT $tag$hunter2$tag$",
    "SELECT $$hunter2$$",
    "SELECT id FROM t WHERE id = 42",
    "SELECT id FROM t WHERE x > .5",
    "SELECT id FROM t WHERE id=0x1F",
    "SELECT id FROM t LIMIT 10",
    "SELECT 1",
    "SELECT id FROM t -- hunter2\nWHERE id = $1",
    "SELECT id /* hunter2 */ FROM t",
    'SELECT "hunter2 col" FROM t',
    "SELECT id FROM t WHERE name = $1\u00a0",
];

describe("printable", () => {
    it("prints a text with no constant and no comment exactly as the scanner rebuilds it", () => {
        for (const text of PLAIN) {
            expect(holdsNoConstant(text)).toBe(true);
            expect(printable(text, analyseStatement(text))).toBe(scanned(text));
        }
    });

    it("scans every text that may hold a constant or a comment", () => {
        expect(CONSTANTS.filter(holdsNoConstant)).toEqual([]);
        for (const text of CONSTANTS.slice(0, 13)) {
            expect(printable(text, analyseStatement(text))).not.toContain("hunter2");
        }
        expect(printable("SELECT id FROM t WHERE id = 42 -- hunter2", analyseStatement("SELECT 1"))).toBe(
            "SELECT id FROM t WHERE id = ?",
        );
    });
});

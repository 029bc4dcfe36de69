/**
 * PostgreSQL's lexical rules as the lint needs them
 * (https://www.postgresql.org/docs/17/sql-syntax-lexical.html): where code is,
 * and where each statement ends.
 */
import { describe, expect, it } from "vitest";
import { lexSql, splitStatements } from "../../../core/migrations/sql-lexer";

const kinds = (sql: string) => lexSql(sql).map((r) => [r.kind, sql.slice(r.from, r.to)]);

describe("lexSql", () => {
    it("splits code, a string, a quoted identifier and a comment", () => {
        expect(kinds(`SELECT 'a', "b" -- c\nFROM t`)).toEqual([
            ["code", "SELECT "],
            ["string", "'a'"],
            ["code", ", "],
            ["identifier", '"b"'],
            ["code", " "],
            ["comment", "-- c"],
            ["code", "\nFROM t"],
        ]);
    });

    it("a dollar quote needs its own tag to end; $1 is a parameter, foo$bar a name", () => {
        expect(kinds("SELECT $a$ $$ $b$ $a$, $1, foo$bar")).toEqual([
            ["code", "SELECT "],
            ["string", "$a$ $$ $b$ $a$"],
            ["code", ", $1, foo$bar"],
        ]);
    });

    it("an unterminated string runs to the end (PostgreSQL refuses it; the lint does not guess)", () => {
        expect(kinds("SELECT 'open")).toEqual([
            ["code", "SELECT "],
            ["string", "'open"],
        ]);
    });

    it("the E of E'...' must stand alone: name'x' is no escape string", () => {
        expect(kinds("SELECT E'\\'', x")).toEqual([
            ["code", "SELECT E"],
            ["string", "'\\''"],
            ["code", ", x"],
        ]);
        expect(kinds("SELECT THE'\\', x")).toEqual([
            ["code", "SELECT THE"],
            ["string", "'\\'"],
            ["code", ", x"],
        ]);
    });
});

describe("splitStatements", () => {
    it("cuts at semicolons in code only, keeping offsets", () => {
        const sql = "SELECT ';';\nDO $$ BEGIN NULL; END $$;\n-- done;\n";
        expect(splitStatements(sql)).toEqual([
            { text: "SELECT ';';", from: 0 },
            { text: "\nDO $$ BEGIN NULL; END $$;", from: 11 },
        ]);
    });
});

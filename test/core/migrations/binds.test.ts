/**
 * Bind parameters in SQL written inside Python become PostgreSQL placeholders,
 * in code only. The forms: SQLAlchemy's `:name` (TextClause's bind regex,
 * `(?<![:\w\x5c]):(\w+)(?!:)`, sqlalchemy/sql/elements.py) and psycopg's
 * pyformat (`%(name)s`, `%s`, `%%`; psycopg 3 adds `%b` and `%t`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { rewriteBinds } from "../../../core/migrations/binds";
import { loadSqlParser, parseSqlOps } from "../../../core/migrations/sql";

const sql = (s: string) => rewriteBinds(s).sql;

describe("the forms", () => {
    it("SQLAlchemy's :name becomes $1", () => {
        expect(rewriteBinds("UPDATE dashboards SET tags = :tags WHERE id = :id")).toEqual({
            sql: "UPDATE dashboards SET tags = $1 WHERE id = $2",
            binds: [":tags", ":id"],
        });
    });

    it("a name used twice is one placeholder", () => {
        expect(sql("SELECT :a, :b, :a")).toBe("SELECT $1, $2, $1");
    });

    it("psycopg's %(name)s becomes $1, numbered once per name", () => {
        expect(rewriteBinds("UPDATE t SET a = %(now)s, b = %(now)s WHERE c = %(id)s")).toEqual({
            sql: "UPDATE t SET a = $1, b = $1 WHERE c = $2",
            binds: ["%(now)s", "%(id)s"],
        });
    });

    it("psycopg's positional %s: each is its own parameter", () => {
        expect(rewriteBinds("INSERT INTO t VALUES (%s, %s)")).toEqual({
            sql: "INSERT INTO t VALUES ($1, $2)",
            binds: ["%s", "%s"],
        });
    });

    it("psycopg 3's %b and %t are binds too", () => {
        expect(sql("SELECT %b, %(x)t")).toBe("SELECT $1, $2");
    });

    it("%% is psycopg's escaped percent, and a lone % is the modulo operator", () => {
        expect(sql("SELECT id %% 2, id % 3 FROM t")).toBe("SELECT id % 2, id % 3 FROM t");
    });
});

describe("the edges", () => {
    it(":id::int is the bind :id, then a cast", () => {
        expect(rewriteBinds("WHERE id = :id::int")).toEqual({ sql: "WHERE id = $1::int", binds: [":id"] });
    });

    it("a cast alone is not a bind: 'x'::text, now()::date", () => {
        expect(sql("SELECT 'x'::text, now()::date")).toBe("SELECT 'x'::text, now()::date");
    });

    it("a bind-looking text inside a string constant is left alone", () => {
        expect(sql("SELECT ':tags', '%(now)s', '%s', '12:30' WHERE a = :a")).toBe(
            "SELECT ':tags', '%(now)s', '%s', '12:30' WHERE a = $1",
        );
    });

    it("an E'...' string with a backslash-escaped quote ends where PostgreSQL ends it", () => {
        expect(sql("SELECT E'it\\'s :not', :yes")).toBe("SELECT E'it\\'s :not', $1");
    });

    it("a '' inside a standard string does not end it", () => {
        expect(sql("SELECT 'it''s :not', :yes")).toBe("SELECT 'it''s :not', $1");
    });

    it("a dollar-quoted body is left alone", () => {
        expect(sql("CREATE FUNCTION f() RETURNS int AS $fn$ SELECT :x $fn$ LANGUAGE sql; SELECT :y")).toBe(
            "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT :x $fn$ LANGUAGE sql; SELECT $1",
        );
    });

    it("a quoted identifier is left alone", () => {
        expect(sql('SELECT "a:b", "say ""%s""" FROM t WHERE c = :c')).toBe(
            'SELECT "a:b", "say ""%s""" FROM t WHERE c = $1',
        );
    });

    it("a -- comment is left alone", () => {
        expect(sql("SELECT 1 -- set :later and %(x)s\nWHERE a = :a")).toBe(
            "SELECT 1 -- set :later and %(x)s\nWHERE a = $1",
        );
    });

    it("a nested /* */ comment is left alone", () => {
        expect(sql("SELECT /* :a /* :b */ :c */ :d")).toBe("SELECT /* :a /* :b */ :c */ $1");
    });

    it("SQLAlchemy's escaped colon \\: is a plain colon", () => {
        expect(sql("SELECT '10' \\:\\: int")).toBe("SELECT '10' :: int");
    });

    it("a colon after a name or a number is not a bind: arr[1:2], arr[lo:hi]", () => {
        expect(sql("SELECT arr[1:2], arr[lo:hi] FROM t")).toBe("SELECT arr[1:2], arr[lo:hi] FROM t");
    });
});

describe("what PostgreSQL's grammar then reads", () => {
    beforeAll(loadSqlParser);

    it("the issue's statement parses once its binds are placeholders", () => {
        const src = { file: "m.py", firstLine: 29 };
        expect(parseSqlOps("UPDATE dashboards SET tags = :tags WHERE id = :id", src)[0]).toMatchObject({
            op: "unreadable",
            kind: "unparsable-sql",
        });
        expect(parseSqlOps("UPDATE dashboards SET tags = :tags WHERE id = :id", { ...src, binds: true })).toEqual([]);
    });

    it("a bind next to a cast, a string and a comment: the table it creates is read", () => {
        const ops = parseSqlOps(
            "-- :skip\nCREATE TABLE totals AS SELECT :id::int AS id, ':x' AS s, %(n)s AS n, %s AS m",
            { file: "m.py", firstLine: 10, binds: true },
        );
        expect(ops).toEqual([
            {
                op: "create",
                file: "m.py",
                line: 11,
                table: { name: "totals" },
                kind: "table",
                ifNotExists: false,
            },
        ]);
    });
});

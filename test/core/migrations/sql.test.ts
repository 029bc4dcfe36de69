/**
 * parseSqlOps on what real SQL migrations hold besides plain DDL: a statement
 * PostgreSQL's grammar refuses (reported, the rest still read), templates a
 * tool renders first, and SET search_path.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, parseSqlOps } from "../../../core/migrations/sql";
import { Op } from "../../../core/migrations/types";

beforeAll(loadSqlParser);

const src = { file: "0001.sql", firstLine: 1 };
const brief = (ops: Op[]) =>
    ops.map((o) =>
        o.op === "create" ? `create ${o.table.name} :${o.line}` : o.op === "unreadable" ? `${o.kind} :${o.line}` : o.op,
    );

describe("a statement PostgreSQL's grammar refuses", () => {
    it("is one unparsable-sql op at the parser's line, with its message, and the statements around it are read", () => {
        const ops = parseSqlOps("CREATE TABLE a (id int);\n\nCREAT TABLE b (id int);\nCREATE TABLE c (id int);", src);
        expect(brief(ops)).toEqual(["create a :1", "unparsable-sql :3", "create c :4"]);
        expect(ops[1]).toEqual({
            op: "unreadable",
            kind: "unparsable-sql",
            file: "0001.sql",
            line: 3,
            message:
                'PostgreSQL cannot parse this SQL: syntax error at or near "CREAT"; ' +
                "nothing in this statement is checked",
            fix:
                "correct the statement (PostgreSQL refuses it too); if a tool rewrites it before it runs, lint what " +
                "the tool sends",
        });
    });

    it("names the binds it read as placeholders, since the parser's message shows $1", () => {
        const [op] = parseSqlOps("CREATE ROLE :name", { ...src, binds: true });
        expect(op).toMatchObject({
            kind: "unparsable-sql",
            message:
                "PostgreSQL cannot parse this SQL (read with its bind parameters :name as $1, $2, ...): " +
                'syntax error at or near "$1"; nothing in this statement is checked',
        });
    });
});

describe("templated SQL", () => {
    it("Go's {{ ... }} is named as a template to render first; the plain statements are read", () => {
        const ops = parseSqlOps("CREATE TABLE a (id int);\nCREATE TABLE {{ .Schema }}.b (id int);", src);
        expect(brief(ops)).toEqual(["create a :1", "templated-sql :2"]);
        expect(ops[1]).toMatchObject({
            message:
                "this SQL is a template, {{ ... }} (Go's text/template, Jinja): PostgreSQL cannot parse it until it " +
                "is rendered, so nothing in it is checked",
            fix: "render the templates first (with the values the tool uses) and lint the rendered SQL",
        });
    });

    it("Flyway's ${placeholder} is named too", () => {
        const [op] = parseSqlOps("GRANT SELECT ON t TO ${appRole};", src);
        expect(op).toMatchObject({ kind: "templated-sql", line: 1 });
        expect(op?.op === "unreadable" && op.message).toContain("${...} (Flyway placeholders, goose ENVSUB)");
    });

    it("a {{ in a comment is no template: the statement is simply refused", () => {
        const [op] = parseSqlOps("-- render {{ .X }} later\nCREAT TABLE t (id int);", src);
        expect(op).toMatchObject({ kind: "unparsable-sql", line: 2 });
    });

    it("a 2-D array constant '{{1,2},{3,4}}' parses, so it is no template", () => {
        expect(brief(parseSqlOps("CREATE TABLE m AS SELECT '{{1,2},{3,4}}'::int[] AS a;", src))).toEqual([
            "create m :1",
        ]);
    });
});

describe("SET search_path", () => {
    it("is an op with its schemas, as written", () => {
        expect(parseSqlOps("SET search_path = ledger, pg_catalog;", src)).toEqual([
            { op: "search-path", file: "0001.sql", line: 1, schemas: ["ledger", "pg_catalog"] },
        ]);
    });

    it("RESET and SET ... TO DEFAULT give the default back", () => {
        expect(parseSqlOps("RESET search_path;\nSET search_path TO DEFAULT;", src)).toEqual([
            { op: "search-path", file: "0001.sql", line: 1 },
            { op: "search-path", file: "0001.sql", line: 2 },
        ]);
    });

    it("other settings are no op", () => {
        expect(parseSqlOps("SET statement_timeout = 0;\nSET LOCAL lock_timeout = '5s';", src)).toEqual([]);
    });
});

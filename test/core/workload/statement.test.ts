/**
 * What a statement needs, read by PostgreSQL's own parser: the tables each command reads, writes and locks, the
 * columns an INSERT supplies, and what is not DML. Pure: no database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../../../core/migrations/sql";
import { DmlAnalysis, analyseStatement, utilityName } from "../../../core/workload/statement";

beforeAll(() => loadSqlParser());

/** table -> privileges, for a DML analysis. */
function needs(sql: string): Record<string, readonly string[]> {
    const a = analyseStatement(sql);
    if (a.kind !== "dml" && a.kind !== "truncate") {
        throw new Error(`${sql} is ${a.kind}`);
    }
    return Object.fromEntries(
        a.accesses.map((x) => [
            x.relation.schema ? `${x.relation.schema}.${x.relation.name}` : x.relation.name,
            x.privileges,
        ]),
    );
}

const insertOf = (sql: string) => (analyseStatement(sql) as DmlAnalysis).accesses[0].insert;

describe("analyseStatement", () => {
    it("a SELECT reads every table it names, through joins and subqueries, but not its CTE names", () => {
        expect(
            needs(
                "WITH recent AS (SELECT user_id FROM s.sessions WHERE at > $1) " +
                    "SELECT u.id FROM users u JOIN recent r ON r.user_id = u.id WHERE u.id IN (SELECT id FROM vip)",
            ),
        ).toEqual({ "s.sessions": ["SELECT"], users: ["SELECT"], vip: ["SELECT"] });
    });

    it("UPDATE with a WHERE needs SELECT too; without one, UPDATE alone", () => {
        expect(needs("UPDATE users SET payload = $1 WHERE id = $2")).toEqual({ users: ["SELECT", "UPDATE"] });
        expect(needs("UPDATE users SET payload = $1")).toEqual({ users: ["UPDATE"] });
    });

    it("DELETE ... RETURNING needs SELECT and DELETE; USING tables are read", () => {
        expect(needs("DELETE FROM orders o USING users u WHERE o.user_id = u.id RETURNING o.id")).toEqual({
            orders: ["SELECT", "DELETE"],
            users: ["SELECT"],
        });
    });

    it("FOR UPDATE needs UPDATE on the tables it locks, an alias resolved, the others read only", () => {
        expect(
            needs("SELECT * FROM trades t JOIN users u ON u.id = t.user_id WHERE t.id = $1 FOR UPDATE OF t"),
        ).toEqual({
            trades: ["SELECT", "UPDATE"],
            users: ["SELECT"],
        });
        expect(needs("SELECT id FROM trades WHERE id = $1 FOR SHARE")).toEqual({ trades: ["SELECT", "UPDATE"] });
    });

    it("INSERT ... ON CONFLICT DO UPDATE needs UPDATE; reading the old row in SET needs SELECT", () => {
        expect(needs("INSERT INTO t (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n")).toEqual({
            t: ["INSERT", "UPDATE"],
        });
        expect(needs("INSERT INTO t (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = t.n + 1")).toEqual({
            t: ["SELECT", "INSERT", "UPDATE"],
        });
        expect(needs("INSERT INTO t (id) VALUES ($1) ON CONFLICT DO NOTHING")).toEqual({ t: ["INSERT"] });
    });

    it("INSERT ... SELECT reads its source; a data-modifying CTE writes its table", () => {
        expect(needs("INSERT INTO archive SELECT * FROM events WHERE at < $1")).toEqual({
            archive: ["INSERT"],
            events: ["SELECT"],
        });
        expect(needs("WITH gone AS (DELETE FROM q WHERE id = $1 RETURNING *) SELECT count(*) FROM gone")).toEqual({
            q: ["SELECT", "DELETE"],
        });
    });

    it("MERGE reads its target and source and needs each action's privilege", () => {
        expect(
            needs(
                "MERGE INTO stock s USING incoming i ON s.id = i.id WHEN MATCHED THEN UPDATE SET n = i.n " +
                    "WHEN NOT MATCHED THEN INSERT (id, n) VALUES (i.id, i.n)",
            ),
        ).toEqual({ stock: ["SELECT", "INSERT", "UPDATE"], incoming: ["SELECT"] });
    });

    it("TRUNCATE needs TRUNCATE on each table", () => {
        expect(needs("TRUNCATE a, s.b")).toEqual({ a: ["TRUNCATE"], "s.b": ["TRUNCATE"] });
    });

    it("records which columns an INSERT supplies, so the catalog can tell which defaults it draws", () => {
        expect(insertOf("INSERT INTO t (a, b) VALUES (DEFAULT, $1)")).toEqual({
            named: ["a", "b"],
            defaults: [0],
            overridingSystem: false,
        });
        expect(insertOf("INSERT INTO t VALUES ($1, $2)")).toEqual({
            leading: 2,
            defaults: [],
            overridingSystem: false,
        });
        expect(insertOf("INSERT INTO t DEFAULT VALUES")).toEqual({ leading: 0, defaults: [], overridingSystem: false });
        expect(insertOf("INSERT INTO t OVERRIDING SYSTEM VALUE SELECT * FROM u")).toEqual({
            leading: "all",
            defaults: [],
            overridingSystem: true,
        });
    });

    it("notes a sequence named by a parameter (pg_stat_statements' nextval($1)), not one named literally", () => {
        const byParam = analyseStatement("SELECT nextval($1)") as DmlAnalysis;
        const literal = analyseStatement("SELECT nextval('s'::regclass)") as DmlAnalysis;
        expect([byParam.sequenceByParameter, literal.sequenceByParameter]).toEqual([true, false]);
    });

    it("a utility statement is named, never kept: ALTER ROLE ... PASSWORD", () => {
        expect(analyseStatement("ALTER ROLE x PASSWORD 'secret'")).toEqual({ kind: "utility", command: "ALTER ROLE" });
        expect(utilityName("CreateTableAsStmt")).toBe("CREATE TABLE AS");
        expect(["CreateStmt", "CreateTrigStmt", "TransactionStmt"].map(utilityName)).toEqual([
            "CREATE TABLE",
            "CREATE TRIGGER",
            "BEGIN/COMMIT",
        ]);
    });

    it("another role's text, a text that does not parse and two statements are unreadable", () => {
        expect(analyseStatement("<insufficient privilege>")).toEqual({
            kind: "unreadable",
            why: "its text is not readable (another role's statement, or none kept)",
        });
        expect(analyseStatement("SELEC 1").kind).toBe("unreadable");
        expect(analyseStatement("SELECT 1; SELECT 2")).toEqual({
            kind: "unreadable",
            why: "its text holds 2 statements, not one",
        });
    });
});

/**
 * From a statement to privileges on real objects, with a catalog given as data: the sequences an INSERT's
 * defaults draw, what trigger functions write (read with the real PL/pgSQL parser), SECURITY DEFINER skipped, a
 * trigger that fires itself followed once, and what could not be read said. Pure: no database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "../../../core/migrations/sql";
import { RelationInfo, WorkloadCatalog, deriveRequirements } from "../../../core/workload/requirements";
import { DmlAnalysis, analyseStatement } from "../../../core/workload/statement";

beforeAll(() => loadSqlParser());

const dml = (sql: string) => analyseStatement(sql) as DmlAnalysis;
const seq = (name: string) => ({ schema: "public", name });

function table(name: string, extra: Partial<RelationInfo> = {}): RelationInfo {
    return {
        schema: "public",
        name,
        kind: "table",
        columns: [{ name: "id", sequence: seq(`${name}_id_seq`) }, { name: "payload" }],
        triggers: [],
        ...extra,
    };
}

function trigger(name: string, events: ("INSERT" | "UPDATE" | "DELETE")[], body: string, securityDefiner = false) {
    return {
        name,
        events,
        function: {
            schema: "public",
            name: `${name}_f`,
            language: "plpgsql",
            securityDefiner,
            owner: "owner",
            source: body,
        },
    };
}

const list = (cat: WorkloadCatalog, sql: string) =>
    deriveRequirements(dml(sql), cat).requirements.map(
        (r) => `${r.privilege} ${r.kind} ${r.object.name}${r.via ? ` (${r.via})` : ""}${r.runtime ? " runtime" : ""}`,
    );

describe("deriveRequirements", () => {
    it("an INSERT that leaves out the id draws its sequence; one that gives it, or DEFAULT, says so", () => {
        const cat = { events: table("events") };
        expect(list(cat, "INSERT INTO events (payload) VALUES ($1)")).toEqual([
            "INSERT table events",
            "USAGE sequence events_id_seq (default of events.id) runtime",
        ]);
        expect(list(cat, "INSERT INTO events (id, payload) VALUES ($1, $2)")).toEqual(["INSERT table events"]);
        expect(list(cat, "INSERT INTO events (id, payload) VALUES (DEFAULT, $1)")).toHaveLength(2);
        expect(list(cat, "INSERT INTO events VALUES ($1, $2)")).toEqual(["INSERT table events"]);
    });

    it("an identity column GENERATED ALWAYS draws even when a value is given, unless OVERRIDING SYSTEM VALUE", () => {
        const cat = { t: table("t", { columns: [{ name: "id", sequence: seq("t_id_seq"), identity: "always" }] }) };
        expect(list(cat, "INSERT INTO t (id) VALUES ($1)")).toEqual([
            "INSERT table t",
            "USAGE sequence t_id_seq (identity of t.id) runtime",
        ]);
        expect(list(cat, "INSERT INTO t (id) OVERRIDING SYSTEM VALUE VALUES ($1)")).toEqual(["INSERT table t"]);
    });

    it("follows a trigger into the tables its function writes, and their defaults, for the events it fires on", () => {
        const body = "BEGIN INSERT INTO users_history (payload) VALUES (OLD.payload); RETURN NEW; END";
        const cat = {
            users: table("users", { triggers: [trigger("users_history_t", ["UPDATE"], body)] }),
            users_history: table("users_history"),
        };
        expect(list(cat, "UPDATE users SET payload = $1 WHERE id = $2")).toEqual([
            "SELECT table users",
            "UPDATE table users",
            "INSERT table users_history (trigger users_history_t on users) runtime",
            "USAGE sequence users_history_id_seq " +
                "(default of users_history.id, trigger users_history_t on users) runtime",
        ]);
        expect(list(cat, "INSERT INTO users (id, payload) VALUES ($1, $2)")).toEqual(["INSERT table users"]);
    });

    it("asks for a table a trigger names that the catalog has not read yet", () => {
        const body = "BEGIN INSERT INTO stats (n) VALUES (1); RETURN NEW; END";
        const cat = { symbols: table("symbols", { triggers: [trigger("stats_t", ["INSERT"], body)] }) };
        expect(deriveRequirements(dml("INSERT INTO symbols (id) VALUES ($1)"), cat).unknown).toEqual(["stats"]);
    });

    it("skips a SECURITY DEFINER trigger (it runs as its owner) and follows a self-firing trigger once", () => {
        const definer = trigger(
            "audit_t",
            ["INSERT"],
            "BEGIN INSERT INTO secret_log VALUES (1); RETURN NEW; END",
            true,
        );
        const loop = trigger("loop_t", ["UPDATE"], "BEGIN UPDATE counters SET n = n + 1 WHERE id = 1; RETURN NEW; END");
        const cat = { t: table("t", { triggers: [definer] }), counters: table("counters", { triggers: [loop] }) };
        expect(list(cat, "INSERT INTO t (id) VALUES ($1)")).toEqual(["INSERT table t"]);
        expect(list(cat, "UPDATE counters SET n = $1")).toEqual([
            "UPDATE table counters",
            "SELECT table counters (trigger loop_t on counters) runtime",
            "UPDATE table counters (trigger loop_t on counters) runtime",
        ]);
    });

    it("says what it could not read: SQL built at run time, a function in another language", () => {
        const dynamic = trigger(
            "dyn_t",
            ["INSERT"],
            "BEGIN EXECUTE 'INSERT INTO ' || TG_ARGV[0] || ' VALUES (1)'; RETURN NEW; END",
        );
        const c = trigger("c_t", ["INSERT"], "");
        const cat = { t: table("t", { triggers: [dynamic, { ...c, function: { ...c.function, language: "c" } }] }) };
        expect(deriveRequirements(dml("INSERT INTO t (id) VALUES ($1)"), cat).unread).toEqual([
            "trigger dyn_t on t: builds SQL at run time (EXECUTE), not read",
            "trigger c_t on t: its function is LANGUAGE c, not read",
        ]);
    });

    it("names a relation that no longer exists", () => {
        expect(deriveRequirements(dml("SELECT * FROM gone"), { gone: null }).missingRelations).toEqual(["gone"]);
    });
});

/**
 * The verdict on one statement from its parts (PostgreSQL's EXPLAIN result, the catalog's requirements, the
 * plan), the fix for each missing privilege, and the text that may be printed. Pure: no database.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { loadSqlParser } from "../../../core/migrations/sql";
import { buildPlan } from "../../../core/plan";
import { fixFor, fixText, fixesFor } from "../../../core/workload/judge";
import { Requirement, deriveRequirements } from "../../../core/workload/requirements";
import { DmlAnalysis, analyseStatement } from "../../../core/workload/statement";
import { Explained, judge, printable } from "../../../core/workload/verdict";

beforeAll(() => loadSqlParser());

const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
const req = (privilege: Requirement["privilege"], name: string, kind: Requirement["kind"] = "table"): Requirement => ({
    privilege,
    kind,
    object: { schema: "public", name },
    runtime: kind === "sequence",
});

describe("printable", () => {
    it("shows DML as normalised, every remaining constant as ? and no comment", () => {
        const sql = "/* app=x password=hunter2 */ SELECT id FROM users WHERE note = 'secret' AND n > 5 -- tail";
        expect(printable(sql, analyseStatement(sql))).toBe("SELECT id FROM users WHERE note = ? AND n > ?");
    });

    it("never shows a utility statement's text", () => {
        const sql = "ALTER ROLE owner PASSWORD 'hunter2'";
        expect(printable(sql, analyseStatement(sql))).toBe("<ALTER ROLE: a utility statement, its text is not shown>");
    });
});

describe("fixFor", () => {
    it("drift on a classified table is the plan's own grant", () => {
        expect(fixFor(plan, req("DELETE", "users"), "prod")).toEqual({
            missing: { privilege: "DELETE", object: "public.users" },
            sql: 'GRANT DELETE ON TABLE "public"."users" TO "raptor_app";',
            fix: "users is application: the plan gives DELETE, so this is drift: `pulumi up -s prod` grants it",
        });
    });

    it("a locked table and TRUNCATE on an application table are app changes, with no SQL", () => {
        expect(fixFor(plan, req("SELECT", "alembic_version")).fix).toBe(
            "the app must change: alembic_version is the migration tool's (locked); only the owner touches it",
        );
        expect(fixFor(plan, req("TRUNCATE", "users"))).toEqual({
            missing: { privilege: "TRUNCATE", object: "public.users" },
            fix: "the app must change: TRUNCATE is in no set; use DELETE",
        });
    });

    it("an unclassified table is classified into the narrowest set that allows the statement", () => {
        expect(fixFor(plan, req("UPDATE", "weekly_digest_runs")).fix).toBe(
            "classify weekly_digest_runs in core/classification.ts (application), then `pulumi up -s STACK` grants it",
        );
        expect(fixFor(plan, req("INSERT", "weekly_digest_runs")).sql).toBe(
            'GRANT SELECT, INSERT ON TABLE "public"."weekly_digest_runs" TO "raptor_app";',
        );
    });

    it("an upsert into an unclassified table gets one set for the whole statement: application", () => {
        // Found on the engine (issue 25): its INSERT alone said "appendOnly or application", which denies the UPDATE.
        const fixes = fixesFor(
            plan,
            [req("INSERT", "weekly_digest_runs"), req("UPDATE", "weekly_digest_runs")],
            "prod",
        );
        expect(fixText(fixes)).toBe(
            "classify weekly_digest_runs in core/classification.ts (application), then `pulumi up -s prod` " +
                "grants it: GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE " +
                '"public"."weekly_digest_runs" TO "raptor_app";',
        );
        expect(fixText(fixesFor(plan, [req("INSERT", "weekly_digest_runs"), req("SELECT", "users_history")]))).toBe(
            "classify weekly_digest_runs in core/classification.ts (appendOnly or application), then " +
                '`pulumi up -s STACK` grants it: GRANT SELECT, INSERT ON TABLE "public"."weekly_digest_runs" TO ' +
                '"raptor_app";; users_history is appendOnly: the plan gives SELECT, so this is drift: ' +
                '`pulumi up -s STACK` grants it: GRANT SELECT ON TABLE "public"."users_history" TO "raptor_app";',
        );
    });

    it("a sequence is in the plan's blanket USAGE; one in another schema is granted by hand", () => {
        expect(fixFor(plan, req("USAGE", "users_id_seq", "sequence")).sql).toBe(
            'GRANT USAGE ON SEQUENCE "public"."users_id_seq" TO "raptor_app";',
        );
        const other: Requirement = { ...req("USAGE", "s", "sequence"), object: { schema: "billing", name: "s" } };
        expect(fixFor(plan, other).fix).toBe(
            '"billing"."s" is outside schema public, which the matrix covers: grant it by hand',
        );
    });
});

describe("judge", () => {
    const sql = "INSERT INTO trace_events (payload) VALUES ($1)";
    const catalog = {
        trace_events: {
            schema: "public",
            name: "trace_events",
            kind: "table",
            columns: [{ name: "id", sequence: { schema: "public", name: "trace_events_id_seq" } }, { name: "payload" }],
            triggers: [],
        },
    };
    /** Built per test: the parser is loaded in beforeAll, after this module's top level has run. */
    const verdict = (explained: Explained, holds: (r: Requirement) => boolean) => {
        const analysis = analyseStatement(sql);
        const derived = deriveRequirements(analysis as DmlAnalysis, catalog);
        const row = { queryid: "42", calls: 7, query: sql };
        return judge({ row, analysis, derived, plan, of: "owner", explained, holds });
    };

    it("EXPLAIN passed and the sequence is held: permitted", () => {
        expect(verdict({ ok: true }, () => true)).toEqual({
            queryid: "42",
            calls: 7,
            query: sql,
            verdict: "permitted",
            missing: [],
        });
    });

    it("EXPLAIN passed but the default's sequence is not held: denied, naming it and how it is reached", () => {
        const v = verdict({ ok: true }, (r) => r.kind !== "sequence");
        expect([v.verdict, v.missing]).toEqual([
            "denied",
            [{ privilege: "USAGE", object: "sequence public.trace_events_id_seq", via: "default of trace_events.id" }],
        ]);
    });

    it("EXPLAIN passed: a table privilege the catalog lacks (a column grant covers it) is PostgreSQL's call", () => {
        expect(verdict({ ok: true }, (r) => r.kind === "sequence").verdict).toBe("permitted");
    });

    it("a lock, or parameter types PostgreSQL cannot infer, leave it not judged with the reason", () => {
        const lock = verdict(
            { ok: false, code: "55P03", message: "canceling statement due to lock timeout" },
            () => true,
        );
        expect([lock.verdict, lock.reason]).toEqual([
            "not-judged",
            "a lock: the statement's table was locked (lock_timeout), tried twice",
        ]);
        const types = verdict(
            { ok: false, code: "42P18", message: "could not determine data type of parameter $1" },
            () => true,
        );
        expect(types.reason).toBe(
            "its parameter types cannot be inferred (42P18: could not determine data type of parameter $1)",
        );
    });
});

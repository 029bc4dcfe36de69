/**
 * `raptor-roles workload` on the run's real PostgreSQL (16, 17 or 18) with pg_stat_statements loaded: one
 * Heroku-like database, the plan applied, Raptor-like triggers, and the statements an app runs, run as the owner
 * (what pg_stat_statements holds before the flip). The proof runs twice: on the database as planned, where the
 * static judgement of the exported file must agree with PostgreSQL's; then after a table grant and a sequence's
 * USAGE are revoked by hand. Every verdict, missing privilege and fix is asserted exactly; no password, literal or
 * utility text is printed; no row changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION, classify } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { JudgedStatement, judgePlanned } from "../../core/workload/verdict";
import { main } from "../../cli/main";
import { WorkloadResult, runWorkload } from "../../cli/workload";
import { recorder } from "../support/io";
import { createHerokuLikeDb, HerokuLikeDb, withClient } from "../support/heroku-db";

const TABLES = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);
const SECRET_LITERAL = "literal-hunter2-do-not-print";
const NEW_PASSWORD = "owner-password-do-not-print-7f3a";

/** The app's statements, run as the owner with values as parameters (as SQLAlchemy sends them). */
const STATEMENTS: readonly [string, unknown[]][] = [
    ["UPDATE users SET payload = $1 WHERE id = $2", ["x", 1]],
    ["SELECT id, payload FROM users WHERE id = $1", [1]],
    ["INSERT INTO trace_events (payload) VALUES ($1)", ["t"]],
    ["INSERT INTO symbols (payload) VALUES ($1)", ["AAPL"]],
    ["UPDATE customer_audit_events SET payload = $1 WHERE id = $2", ["x", 1]],
    ["DELETE FROM customer_audit_events WHERE id = $1 RETURNING id", [1]],
    ["SELECT id FROM customer_audit_events WHERE id = $1 FOR UPDATE", [1]],
    [
        "INSERT INTO customer_audit_events (id, payload) VALUES ($1, $2) " +
            "ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload",
        [1, "e"],
    ],
    [
        "INSERT INTO paper_orders (id, payload) VALUES ($1, $2) " +
            "ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload",
        [1, "o"],
    ],
    ["INSERT INTO alembic_version (version_num) VALUES ($1)", ["0031"]],
    ["UPDATE alembic_version SET version_num=$1 WHERE alembic_version.version_num = $2", ["0032", "0031"]],
    ["SELECT count(*) FROM weekly_gone", []],
];

const TRIGGERS = `
CREATE TABLE symbol_stats (id bigserial PRIMARY KEY, symbol_id bigint);
CREATE TABLE weekly_gone (id bigserial PRIMARY KEY);
CREATE FUNCTION symbol_stats_f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO symbol_stats (symbol_id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER symbol_stats_t AFTER INSERT ON symbols FOR EACH ROW EXECUTE FUNCTION symbol_stats_f();
CREATE FUNCTION users_history_f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO users_history (payload) VALUES (OLD.payload);
  RETURN NEW;
END $$;
CREATE TRIGGER users_history_t AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_history_f();`;

let db: HerokuLikeDb;
const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
let planned: WorkloadResult;
let drifted: WorkloadResult;
let rowsBefore: Record<string, number>;
let rowsAfter: Record<string, number>;

async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of [...TABLES, "symbol_stats"]) {
        // As the superuser: the owner's statistics hold only the app's statements.
        counts[t] = Number((await db.asSuperuser<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0].n);
    }
    return counts;
}

const byQuery = (r: WorkloadResult, text: string): JudgedStatement => {
    const found = r.report.statements.find((s) => s.query === text);
    if (found === undefined) {
        throw new Error(`no statement ${text} in ${r.report.statements.map((s) => s.query).join("\n")}`);
    }
    return found;
};

beforeAll(async () => {
    db = await createHerokuLikeDb({ tables: TABLES });
    await db.asSuperuser("CREATE EXTENSION pg_stat_statements");
    await db.asOwner(TRIGGERS);
    await db.asOwner(renderSql(plan));
    await withClient(db.owner, async (c) => {
        for (const [text, values] of STATEMENTS) {
            await c.query(text, values);
        }
        await c.query(`SELECT payload FROM users WHERE payload = '${SECRET_LITERAL}'`);
        await c.query(`ALTER ROLE ${c.user} PASSWORD '${NEW_PASSWORD}'`);
        await c.query(`ALTER ROLE ${c.user} PASSWORD '${db.ownerPassword}'`);
        await c.query("DROP TABLE weekly_gone");
    });
    const options = { ownerUrl: db.ownerUrl, roleUrl: db.appUrl, plan, of: "owner" as const, stack: "staging" };
    rowsBefore = await rowCounts();
    planned = await runWorkload(options);
    await db.asOwner(
        "REVOKE UPDATE ON users FROM raptor_app; REVOKE USAGE ON SEQUENCE trace_events_id_seq FROM raptor_app",
    );
    drifted = await runWorkload(options);
    rowsAfter = await rowCounts();
});

afterAll(async () => {
    await db?.drop();
});

describe("the workload proof on a database as planned", () => {
    it("judges each statement: permitted, denied where the matrix forbids, owner-only for the migration tool", () => {
        const verdicts = Object.fromEntries(
            STATEMENTS.map(([q]) => [q, planned.report.statements.find((s) => s.query === q)?.verdict]),
        );
        expect(verdicts).toEqual({
            "UPDATE users SET payload = $1 WHERE id = $2": "permitted",
            "SELECT id, payload FROM users WHERE id = $1": "permitted",
            "INSERT INTO trace_events (payload) VALUES ($1)": "permitted",
            "INSERT INTO symbols (payload) VALUES ($1)": "denied",
            "UPDATE customer_audit_events SET payload = $1 WHERE id = $2": "denied",
            "DELETE FROM customer_audit_events WHERE id = $1 RETURNING id": "denied",
            "SELECT id FROM customer_audit_events WHERE id = $1 FOR UPDATE": "denied",
            [STATEMENTS[7][0]]: "denied",
            [STATEMENTS[8][0]]: "permitted",
            "INSERT INTO alembic_version (version_num) VALUES ($1)": "owner-only",
            "UPDATE alembic_version SET version_num=$1 WHERE alembic_version.version_num = $2": "owner-only",
            "SELECT count(*) FROM weekly_gone": "not-judged",
        });
    });

    it("finds the table a trigger writes that the role cannot, and the fix classifies it", () => {
        const s = byQuery(planned, "INSERT INTO symbols (payload) VALUES ($1)");
        expect(s.missing).toEqual([
            { privilege: "INSERT", object: "public.symbol_stats", via: "trigger symbol_stats_t on symbols" },
        ]);
        expect(s.fix).toBe(
            "classify symbol_stats in core/classification.ts (appendOnly or application), " +
                "then `pulumi up -s staging` " +
                'grants it: GRANT SELECT, INSERT ON TABLE "public"."symbol_stats" TO "raptor_app";',
        );
    });

    it("says the app must change for UPDATE, DELETE RETURNING, FOR UPDATE, ON CONFLICT UPDATE on append-only", () => {
        const fix =
            "the app must change: customer_audit_events is append-only: " +
            "UPDATE (or SELECT ... FOR UPDATE/SHARE) would " +
            "rewrite or erase history; insert a new row instead";
        for (const q of [STATEMENTS[4][0], STATEMENTS[6][0], STATEMENTS[7][0]]) {
            expect(byQuery(planned, q).missing).toEqual([
                { privilege: "UPDATE", object: "public.customer_audit_events" },
            ]);
            expect(byQuery(planned, q).fix).toBe(fix);
            expect(byQuery(planned, q).sql).toBeUndefined();
        }
        const del = byQuery(planned, STATEMENTS[5][0]);
        expect(del.missing).toEqual([{ privilege: "DELETE", object: "public.customer_audit_events" }]);
        expect(del.fix).toBe(
            "the app must change: customer_audit_events is append-only: DELETE would rewrite or erase history; " +
                "insert a new row instead",
        );
    });

    it("does not judge a statement whose table is gone, and says why", () => {
        expect(byQuery(planned, "SELECT count(*) FROM weekly_gone").reason).toBe(
            "a relation it names no longer exists (weekly_gone)",
        );
    });

    it("agrees with the static judgement of the exported statements against the same plan", () => {
        const exported = planned.exported.statements;
        expect(exported.length).toBeGreaterThanOrEqual(11);
        for (const s of exported) {
            const live = planned.report.statements.find((x) => x.queryid === s.queryid)!;
            const statik = judgePlanned(s, plan, "owner", "staging");
            expect({ query: s.query, verdict: statik.verdict, missing: statik.missing }).toEqual({
                query: live.query,
                verdict: live.verdict,
                missing: live.missing,
            });
        }
    });

    it("exports no literal and no utility text", () => {
        const text = JSON.stringify(planned.exported);
        expect(text).not.toContain(SECRET_LITERAL);
        expect(text).not.toContain(NEW_PASSWORD);
        expect(text).not.toMatch(/ALTER ROLE \S+ PASSWORD/i);
        expect(
            planned.exported.notJudged.some(
                (s) => s.query === "<ALTER ROLE: a utility statement, its text is not shown>",
            ),
        ).toBe(true);
    });
});

describe("the workload proof after drift by hand", () => {
    it("names the revoked table privilege, and the fix is the grant the plan already makes", () => {
        const s = byQuery(drifted, "UPDATE users SET payload = $1 WHERE id = $2");
        expect(s.verdict).toBe("denied");
        expect(s.missing).toEqual([{ privilege: "UPDATE", object: "public.users" }]);
        expect(s.fix).toBe(
            "users is application: the plan gives UPDATE, so this is drift: `pulumi up -s staging` grants it: " +
                'GRANT UPDATE ON TABLE "public"."users" TO "raptor_app";',
        );
    });

    it("names the sequence a default draws, which EXPLAIN alone passes", () => {
        const s = byQuery(drifted, "INSERT INTO trace_events (payload) VALUES ($1)");
        expect(s.verdict).toBe("denied");
        expect(s.missing).toEqual([
            { privilege: "USAGE", object: "sequence public.trace_events_id_seq", via: "default of trace_events.id" },
        ]);
        expect(s.sql).toEqual(['GRANT USAGE ON SEQUENCE "public"."trace_events_id_seq" TO "raptor_app";']);
    });

    it("counts every verdict, and the denied statements' calls", () => {
        expect(drifted.report.counts.denied).toBe(7);
        expect(drifted.report.counts.ownerOnly).toBe(2);
        expect(drifted.report.deniedCalls).toBe(7);
        const c = drifted.report.counts;
        expect(c.permitted + c.denied + c.ownerOnly + c.notJudged).toBe(drifted.report.statements.length);
    });

    it("leaves its own statements out of what it judges, on every major (18 keeps no leading comment)", () => {
        const own = drifted.report.statements.filter((s) =>
            /raptor_workload|pg_stat_statements|pg_extension|has_table_privilege/.test(s.query),
        );
        expect(own).toEqual([]);
    });

    it("changes no row: nothing was executed, only planned", () => {
        expect(rowsAfter).toEqual(rowsBefore);
    });
});

describe("the workload proof in special cases", () => {
    const options = () => ({ ownerUrl: db.ownerUrl, roleUrl: db.appUrl, plan, stack: "staging" });

    it("after the flip judges the role's own statements, whose text only the role can read", async () => {
        await withClient(db.app, async (c) => {
            await c.query("SELECT id FROM paper_orders WHERE id = $1", [1]);
            await c.query("INSERT INTO users_history (payload) VALUES ($1)", ["as the role"]);
        });
        const { report } = await runWorkload({ ...options(), of: "role" });
        // Both ran once: the report's tie-break is the queryid, which hashes relation OIDs, so sort by text here.
        const judged = report.statements
            .filter((s) => s.verdict !== "not-judged")
            .map((s) => [s.query, s.verdict])
            .sort((a, b) => (a[0] < b[0] ? -1 : 1));
        expect(judged).toEqual([
            ["INSERT INTO users_history (payload) VALUES ($1)", "permitted"],
            ["SELECT id FROM paper_orders WHERE id = $1", "permitted"],
        ]);
        expect(report.of).toBe("role");
    });

    it("does not wait behind a lock: the statement on a locked table is not judged, the others are", async () => {
        await withClient(db.owner, async (locker) => {
            await locker.query("BEGIN; LOCK TABLE paper_orders IN ACCESS EXCLUSIVE MODE");
            try {
                const { report } = await runWorkload({ ...options(), of: "owner", lockTimeoutMs: 100 });
                const s = byQuery({ report } as WorkloadResult, STATEMENTS[8][0]);
                expect([s.verdict, s.reason]).toEqual([
                    "not-judged",
                    "a lock: the statement's table was locked (lock_timeout), tried twice",
                ]);
                expect(byQuery({ report } as WorkloadResult, STATEMENTS[1][0]).verdict).toBe("permitted");
            } finally {
                await locker.query("ROLLBACK");
            }
        });
    });
});

describe("raptor-roles workload, the command", () => {
    const run = async (...args: string[]) => {
        const io = recorder();
        const code = await main(["workload", ...args], io);
        return { code, ...io };
    };

    it("exits 2 on a denied statement, and prints neither a password, a literal nor a utility's text", async () => {
        const text = await run("--database-url", db.ownerUrl, "--role-url", db.appUrl);
        const json = await run("--database-url", db.ownerUrl, "--role-url", db.appUrl, "--json");
        expect([text.code, json.code]).toEqual([2, 2]);
        expect(text.stdout).toContain("DENIED  UPDATE users SET payload = $1 WHERE id = $2\n");
        expect(text.stdout).toContain("        missing: UPDATE on public.users\n");
        for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
            for (const secret of [SECRET_LITERAL, NEW_PASSWORD, db.ownerPassword, db.appPassword]) {
                expect(out).not.toContain(secret);
            }
            expect(out).not.toMatch(/PASSWORD '/i);
        }
        const doc = JSON.parse(json.stdout) as { counts: Record<string, number>; of: string; role: string };
        expect([doc.of, doc.role]).toEqual(["owner", "raptor_app"]);
        // Utility statements (the tests' own BEGIN, LOCK) come and go between runs; the judged ones do not.
        const { permitted, denied, ownerOnly } = doc.counts;
        expect({ permitted, denied, ownerOnly }).toEqual({ permitted: 3, denied: 7, ownerOnly: 2 });
    });

    it("refuses the owner's URL given as the role's, before reading anything", async () => {
        const r = await run("--database-url", db.ownerUrl, "--role-url", db.ownerUrl);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`the role URL connects as ${db.owner.user}, the database's owner`);
        expect(r.stderr).toContain("fix: give raptor_app's own credential as the role URL (RAPTOR_APP_DATABASE_URL");
        expect(r.stderr).not.toContain(db.ownerPassword);
    });

    it("says how to install pg_stat_statements when the database has none", async () => {
        const bare = await createHerokuLikeDb({ tables: ["users"] });
        try {
            const r = await run("--database-url", bare.ownerUrl, "--role-url", bare.appUrl, "--json");
            expect(r.code).toBe(1);
            expect(JSON.parse(r.stdout)).toEqual({
                error: {
                    code: "workload",
                    message: "pg_stat_statements is not installed in this database, so there is no workload to read",
                    fix:
                        "as the owner: CREATE EXTENSION pg_stat_statements; " +
                        "then let the app run (docs/operating.md: `workload`)",
                },
            });
        } finally {
            await bare.drop();
        }
    });
});

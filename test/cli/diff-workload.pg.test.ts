/**
 * The static judgement and PostgreSQL's agree (issue 25, point 4), on the run's real PostgreSQL: the app's
 * statements run as the owner on a Heroku-like database with the plan applied; `runWorkload(...).exported` is the
 * workload file. A planned change moves paper_orders and trace_events to append-only and customer_audit_events to
 * application. Judged statically (workloadChange, as `diff --workload` does), it newly denies and permits exactly
 * the statements PostgreSQL denies and permits once the change is applied (renderSql, which revokes each table's
 * privileges before granting its set's); and judgePlanned agrees with the live verdict on every statement at
 * both matrices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Classification, RAPTOR_CLASSIFICATION, classify } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { tableChanges } from "../../core/review/diff";
import { renderSql } from "../../core/sql";
import { WorkloadChange, workloadChange } from "../../core/workload/planned";
import { judgePlanned } from "../../core/workload/verdict";
import { WorkloadResult, runWorkload } from "../../cli/workload";
import { createHerokuLikeDb, HerokuLikeDb, withClient } from "../support/heroku-db";

const TABLES = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);
const APPEND_ONLY_NOW = ["paper_orders", "trace_events"];
const HEAD: Classification = {
    application: [
        ...RAPTOR_CLASSIFICATION.application.filter((t) => !APPEND_ONLY_NOW.includes(t)),
        "customer_audit_events",
    ],
    appendOnly: [...RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "customer_audit_events"), ...APPEND_ONLY_NOW],
    locked: RAPTOR_CLASSIFICATION.locked,
};

/** Each statement, its parameters and how many times the app runs it. */
const STATEMENTS: readonly [string, unknown[], number][] = [
    ["UPDATE paper_orders SET payload = $1 WHERE id = $2", ["x", 1], 4],
    ["DELETE FROM paper_orders WHERE id = $1", [-1], 3],
    ["SELECT id FROM paper_orders WHERE id = $1 FOR UPDATE", [1], 2],
    ["SELECT id FROM paper_orders WHERE id = $1 FOR SHARE", [1], 1],
    ["INSERT INTO paper_orders (payload) VALUES ($1)", ["o"], 5],
    [
        "INSERT INTO paper_orders (id, payload) VALUES ($1, $2) " +
            "ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload",
        [1, "o"],
        1,
    ],
    ["INSERT INTO paper_orders (id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING", [1, "o"], 1],
    [
        "MERGE INTO paper_orders p USING (SELECT $1::bigint AS id, $2::text AS payload) s ON p.id = s.id " +
            "WHEN MATCHED THEN UPDATE SET payload = s.payload " +
            "WHEN NOT MATCHED THEN INSERT (payload) VALUES (s.payload)",
        [2, "m"],
        1,
    ],
    [
        "WITH moved AS (DELETE FROM paper_orders WHERE id = $1 RETURNING payload) " +
            "INSERT INTO customer_audit_events (payload) SELECT payload FROM moved",
        [-1],
        1,
    ],
    ["UPDATE trace_events SET payload = $1 WHERE id = $2 RETURNING id", ["t", 1], 1],
    ["DELETE FROM trace_events USING users WHERE trace_events.id = users.id AND users.id = $1", [-1], 1],
    ["INSERT INTO trace_events (payload) VALUES ($1)", ["t"], 6],
    ["SELECT count(*) FROM trace_events WHERE payload LIKE $1", ["t%"], 1],
    ["SELECT u.id, p.payload FROM users u JOIN paper_orders p ON p.id = u.id WHERE u.id = $1", [1], 1],
    ["UPDATE users SET payload = $1 WHERE id = $2", ["u", 1], 5],
    ["UPDATE customer_audit_events SET payload = $1 WHERE id = $2", ["e", 1], 1],
    ["DELETE FROM customer_audit_events WHERE id = $1", [-1], 1],
    ["INSERT INTO alembic_version (version_num) VALUES ($1)", ["0031"], 1],
];

/** UPDATE users also writes paper_orders, through a trigger: EXPLAIN cannot see it, the catalog can. */
const TRIGGER = `
CREATE FUNCTION users_mirror_f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE paper_orders SET payload = NEW.payload WHERE id = NEW.id;
  RETURN NEW;
END $$;
CREATE TRIGGER users_mirror_t AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_mirror_f();`;

const plan = (classification: Classification) => buildPlan({ classification, role: "raptor_app", schema: "public" });
const [basePlan, headPlan] = [plan(RAPTOR_CLASSIFICATION), plan(HEAD)];
let db: HerokuLikeDb;
let before: WorkloadResult;
let after: WorkloadResult;
let change: WorkloadChange;

beforeAll(async () => {
    db = await createHerokuLikeDb({ tables: TABLES });
    await db.asSuperuser("CREATE EXTENSION pg_stat_statements");
    await db.asOwner(TRIGGER);
    await db.asOwner(renderSql(basePlan));
    await db.asSuperuser("INSERT INTO users (payload) VALUES ('u'); INSERT INTO paper_orders (payload) VALUES ('o')");
    await withClient(db.owner, async (c) => {
        for (const [text, values, times] of STATEMENTS) {
            for (let i = 0; i < times; i++) {
                await c.query(text, values);
            }
        }
    });
    const options = { ownerUrl: db.ownerUrl, roleUrl: db.appUrl, of: "owner" as const, stack: "prod" };
    before = await runWorkload({ ...options, plan: basePlan });
    const file = before.exported;
    change = workloadChange(
        file,
        "w.json",
        { base: basePlan, head: headPlan, stack: "prod" },
        tableChanges(RAPTOR_CLASSIFICATION, HEAD),
    );
    await db.asOwner(renderSql(headPlan));
    after = await runWorkload({ ...options, plan: headPlan });
});

afterAll(async () => {
    await db?.drop();
});

const deniedIds = (r: WorkloadResult) =>
    new Set(r.report.statements.filter((s) => s.verdict === "denied").map((s) => s.queryid));

describe("diff --workload's static judgement against PostgreSQL's, one corpus", () => {
    it("exports every statement the app ran, each with its calls", () => {
        const calls = Object.fromEntries(before.exported.statements.map((s) => [s.query, s.calls]));
        expect(calls).toEqual(Object.fromEntries(STATEMENTS.map(([q, , n]) => [q, n])));
    });

    it("newly denies exactly what PostgreSQL denies after the change and did not before", () => {
        const [was, now] = [deniedIds(before), deniedIds(after)];
        const pg = [...now].filter((id) => !was.has(id));
        expect(change.newlyDenied.map((s) => s.queryid).sort()).toEqual(pg.sort());
        // Most often run first (5, 4, 3, 2 calls); ties go by queryid, a hash of OIDs that differ per run: a set.
        const queries = change.newlyDenied.map((s) => s.query);
        expect(queries.slice(0, 4)).toEqual([14, 0, 1, 2].map((i) => STATEMENTS[i][0]));
        expect(queries.slice(4).sort()).toEqual([3, 5, 7, 8, 9, 10].map((i) => STATEMENTS[i][0]).sort());
    });

    it("newly permits exactly what PostgreSQL permits after the change and denied before", () => {
        const [was, now] = [deniedIds(before), deniedIds(after)];
        const pg = [...was].filter((id) => !now.has(id));
        expect(change.newlyPermitted.map((s) => s.queryid).sort()).toEqual(pg.sort());
        expect(change.newlyPermitted.map((s) => s.query).sort()).toEqual([STATEMENTS[16][0], STATEMENTS[15][0]]);
    });

    it("says it in the issue's words, with the calls pg_stat_statements counted", () => {
        expect(change.headline).toBe(
            "moving paper_orders and trace_events to append-only denies 10 statements the app ran 20 times, and " +
                "permits 2 statements the app ran 2 times that the base denies",
        );
    });

    it("judges each statement as the live proof does, at the base's matrix and at the head's", () => {
        for (const [live, p] of [
            [before, basePlan],
            [after, headPlan],
        ] as const) {
            for (const s of before.exported.statements) {
                const l = live.report.statements.find((x) => x.queryid === s.queryid)!;
                const statik = judgePlanned(s, p, "owner", "prod");
                expect({ query: s.query, verdict: statik.verdict, missing: statik.missing }).toEqual({
                    query: l.query,
                    verdict: l.verdict,
                    missing: l.missing,
                });
            }
        }
    });

    it("names the trigger's write that EXPLAIN cannot see", () => {
        const s = change.newlyDenied.find((x) => x.query === STATEMENTS[14][0])!;
        expect(s.missing).toEqual([
            { privilege: "UPDATE", object: "public.paper_orders", via: "trigger users_mirror_t on users" },
        ]);
    });
});

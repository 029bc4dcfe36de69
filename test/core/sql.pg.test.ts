/**
 * The rendered grant script, applied as a non-superuser owner to a real
 * PostgreSQL 17, gives raptor_app exactly the matrix, proven by connecting as
 * raptor_app with its password and trying every privilege.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { RAPTOR_CLASSIFICATION, classify } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { createHerokuLikeDb, HerokuLikeDb, withClient } from "../support/heroku-db";
import { probeTable, ProbeResult } from "../support/probe";

const tables = classify(RAPTOR_CLASSIFICATION);
const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
const sql = renderSql(plan);
const DENIED = /^permission denied for table /;

let db: HerokuLikeDb;
let app: Client;
const probes = new Map<string, ProbeResult>();

// ACL items are compared as sets: REVOKE then GRANT may reorder them without changing any privilege.
const acls = async () =>
    (
        await db.asOwner<{ what: string; acl: string | null }>(`
    SELECT 'rel:' || c.relname AS what, c.relacl::text AS acl FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')
    UNION ALL SELECT 'schema:' || nspname, nspacl::text FROM pg_namespace WHERE nspname = 'public'
    UNION ALL SELECT 'default:' || defaclobjtype::text, defaclacl::text FROM pg_default_acl
    ORDER BY 1`)
    ).map((r) => ({ what: r.what, acl: (r.acl ?? "").replace(/[{}]/g, "").split(",").sort() }));

beforeAll(async () => {
    db = await createHerokuLikeDb({ tables: tables.map((t) => t.table), unclassified: ["feature_experiments"] });
});
afterAll(async () => {
    await app?.end();
    await db?.drop();
});

describe("a fresh credential, before any grant", () => {
    it("can log in but cannot reach the public schema (the runbook's claim of automatic SELECT is wrong)", async () => {
        await withClient(db.app, async (c) => {
            await expect(c.query("SELECT * FROM public.users")).rejects.toThrow(/permission denied for schema public/);
        });
    });
});

describe("after the rendered SQL, as raptor_app with its password", () => {
    beforeAll(async () => {
        await db.asOwner(sql);
        app = new Client(db.app);
        await app.connect();
        for (const t of [...tables.map((x) => x.table), "feature_experiments"]) {
            probes.set(t, await probeTable(app, "public", t));
        }
    });

    it("connects as raptor_app, not as the owner", async () => {
        const { rows } = await app.query(
            "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su",
        );
        expect(rows[0]).toEqual({ current_user: "raptor_app", su: false });
    });

    it.each(tables.filter((t) => t.set === "application").map((t) => t.table))(
        "%s takes SELECT, INSERT, UPDATE, DELETE",
        (t) => {
            const p = probes.get(t)!;
            expect([p.SELECT, p.INSERT, p.UPDATE, p.DELETE]).toEqual(["ok", "ok", "ok", "ok"]);
            expect(p.TRUNCATE).toMatch(DENIED);
        },
    );

    it.each(tables.filter((t) => t.set === "appendOnly").map((t) => t.table))(
        "%s takes INSERT, SELECT and refuses UPDATE, DELETE, TRUNCATE",
        (t) => {
            const p = probes.get(t)!;
            expect([p.SELECT, p.INSERT]).toEqual(["ok", "ok"]);
            expect(p.UPDATE).toMatch(DENIED);
            expect(p.DELETE).toMatch(DENIED);
            expect(p.TRUNCATE).toMatch(DENIED);
        },
    );

    it.each(["alembic_version", "schema_migrations", "feature_experiments"])("%s refuses everything", (t) => {
        const p = probes.get(t)!;
        for (const priv of ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"] as const) {
            expect(p[priv], `${t} ${priv}`).toMatch(DENIED);
        }
    });

    it("cannot create a table in the schema (no DDL)", async () => {
        await expect(app.query("CREATE TABLE public.sneaky (id int)")).rejects.toThrow(
            /permission denied for schema public/,
        );
    });

    it("can use a sequence the owner creates later, through default privileges", async () => {
        await db.asOwner("CREATE SEQUENCE public.later_seq");
        const { rows } = await app.query("SELECT nextval('public.later_seq') AS n");
        expect(Number(rows[0].n)).toBe(1);
    });

    it("changes nothing when run a second time", async () => {
        const before = await acls();
        await db.asOwner(sql);
        expect(await acls()).toEqual(before);
    });

    it("removes an out-of-band UPDATE on customer_audit_events when re-run", async () => {
        await db.asOwner("GRANT UPDATE ON public.customer_audit_events TO raptor_app");
        expect((await probeTable(app, "public", "customer_audit_events")).UPDATE).toBe("ok");
        await db.asOwner(sql);
        expect((await probeTable(app, "public", "customer_audit_events")).UPDATE).toMatch(DENIED);
    });
});

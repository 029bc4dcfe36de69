/**
 * The catalog query's two ways of reading effective privileges agree with
 * Postgres itself. For a "plain" role (no superuser, no ownership, no
 * inherited role) it sums the ACL items (aclmask's own rule) instead of
 * calling has_*_privilege; a role that inherits from any role goes through
 * has_*. Both are checked, relation by relation, against has_table_privilege,
 * has_any_column_privilege and has_sequence_privilege on a database with
 * drift of every kind the matrix can see: direct, PUBLIC, column, grant
 * option, missing, sequences, unclassified, and several tables drifted alike.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Catalog } from "../../core/catalog";
import { Classification } from "../../core/classification";
import { quoteIdent } from "../../core/identifiers";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { readCatalog } from "../../db/catalog";
import { createHerokuLikeDb, HerokuLikeDb, withClient } from "../support/heroku-db";

const pg = inject("pg");
const classification: Classification = {
    application: ["app1", "app2", "app3", "app4", "app5", "app6"],
    appendOnly: ["ao1", "ao2", "ao3"],
    locked: ["lock1", "lock2"],
};
const tables = [...classification.application, ...classification.appendOnly, ...classification.locked];
const DRIFT = [
    "GRANT TRUNCATE ON app1 TO {R}",
    "REVOKE DELETE ON app2 FROM {R}",
    "GRANT UPDATE (payload) ON app3 TO PUBLIC",
    "GRANT TRIGGER ON app4, app5, app6 TO {R}",
    "GRANT UPDATE, DELETE ON ao1 TO {R}",
    "GRANT SELECT ON ao2 TO {R} WITH GRANT OPTION",
    "GRANT REFERENCES (id) ON ao3 TO {R}",
    "GRANT SELECT ON lock1 TO PUBLIC",
    "GRANT INSERT (payload) ON lock2 TO {R} WITH GRANT OPTION",
    "GRANT UPDATE ON SEQUENCE app1_id_seq TO {R}",
    "REVOKE USAGE ON SEQUENCE ao1_id_seq FROM {R}",
    "GRANT USAGE ON SEQUENCE ao2_id_seq TO {R} WITH GRANT OPTION",
    "GRANT SELECT ON stray2 TO {R}",
    "GRANT ALL ON stray3 TO PUBLIC",
];

/** Postgres's own answer for every relation of the schema: privileges, column-only ones, grant options. */
const TRUTH_SQL = `
SELECT c.relname AS name, c.relkind AS kind,
    ARRAY(SELECT p FROM unnest($2::text[]) p WHERE CASE WHEN c.relkind = 'S'
        THEN p IN ('USAGE', 'SELECT', 'UPDATE') AND has_sequence_privilege($1::regrole, c.oid, p)
        ELSE p <> 'USAGE' AND has_table_privilege($1::regrole, c.oid, p) END ORDER BY p) AS privileges,
    ARRAY(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p WHERE c.relkind <> 'S'
        AND NOT has_table_privilege($1::regrole, c.oid, p) AND has_any_column_privilege($1::regrole, c.oid, p)
        ORDER BY p) AS "columnPrivileges",
    ARRAY(SELECT p FROM unnest($2::text[]) p WHERE CASE WHEN c.relkind = 'S'
        THEN p IN ('USAGE', 'SELECT', 'UPDATE')
            AND has_sequence_privilege($1::regrole, c.oid, p || ' WITH GRANT OPTION')
        WHEN p IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
        THEN has_any_column_privilege($1::regrole, c.oid, p || ' WITH GRANT OPTION')
        ELSE p <> 'USAGE' AND has_table_privilege($1::regrole, c.oid, p || ' WITH GRANT OPTION') END
        ORDER BY p) AS "grantOptions"
FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S') ORDER BY c.relname`;

interface Privs {
    readonly privileges: readonly string[];
    readonly columnPrivileges: readonly string[];
    readonly grantOptions: readonly string[];
}

const sorted = (xs: readonly string[]) => [...xs].sort();
/** Each relation the catalog lists, by name, with its privileges sorted. */
const listed = (cat: Catalog) =>
    new Map(
        cat.relations.flatMap((g) =>
            g.names.map(
                (n) =>
                    [
                        n,
                        {
                            privileges: sorted(g.privileges),
                            columnPrivileges: sorted(g.columnPrivileges),
                            grantOptions: sorted(g.grantOptions),
                        },
                    ] as [string, Privs],
            ),
        ),
    );

let db: HerokuLikeDb;
let truth: Map<string, Privs & { kind: string }>;
const plan = () => buildPlan({ classification, role: db.role, schema: "public" });
const read = () => withClient(db.owner, (c) => readCatalog(c, plan()));

beforeAll(async () => {
    db = await createHerokuLikeDb({
        tables,
        unclassified: ["stray1", "stray2", "stray3"],
        role: `raptor_cat_${randomBytes(3).toString("hex")}`,
    });
    await db.asOwner(renderSql(plan()));
    await db.asOwner(DRIFT.map((s) => s.split("{R}").join(quoteIdent(db.role))).join(";\n"));
    const all = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "REFERENCES",
        "TRIGGER",
        "USAGE",
        ...(pg.major >= 17 ? ["MAINTAIN"] : []),
    ];
    const rows = await withClient(db.owner, async (c) => (await c.query(TRUTH_SQL, [db.role, all])).rows);
    truth = new Map(rows.map((r) => [r.name, r]));
});
afterAll(async () => {
    await withClient({ ...db.owner, user: pg.superuser, password: pg.password, database: "postgres" }, (c) =>
        c.query(`DROP ROLE IF EXISTS ${quoteIdent(`${db.role}_group`)}`),
    ).catch(() => undefined);
    await db?.drop();
});

function expectAgreement(cat: Catalog): void {
    const got = listed(cat);
    const expected = new Map<string, Privs>();
    for (const [name, t] of truth) {
        const set = Object.entries(classification).find(([, ts]) => (ts as string[]).includes(name))?.[0];
        const due =
            t.kind === "S"
                ? ["USAGE"]
                : set === "application"
                  ? ["DELETE", "INSERT", "SELECT", "UPDATE"]
                  : set === "appendOnly"
                    ? ["INSERT", "SELECT"]
                    : [];
        const matches = set !== undefined || t.kind === "S";
        const same =
            JSON.stringify(sorted(t.privileges)) === JSON.stringify(due) &&
            t.grantOptions.length === 0 &&
            t.columnPrivileges.every((p) => due.includes(p));
        if (!matches || !same) {
            expected.set(name, {
                privileges: sorted(t.privileges),
                columnPrivileges: sorted(t.columnPrivileges),
                grantOptions: sorted(t.grantOptions),
            });
        }
    }
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()));
}

describe("effective privileges in the catalog, against has_*_privilege", () => {
    it("the drift is in place, as Postgres itself sees it", () => {
        expect(truth.get("app1")?.privileges).toEqual(["DELETE", "INSERT", "SELECT", "TRUNCATE", "UPDATE"]);
        expect(truth.get("lock2")?.grantOptions).toEqual(["INSERT"]);
    });

    it("a plain role: read from the ACL items, the same as Postgres says, relation by relation", async () => {
        expectAgreement(await read());
    });

    it("a role that inherits from another: read through has_*, the same again", async () => {
        const group = `${db.role}_group`;
        await db.asSuperuser(
            `CREATE ROLE ${quoteIdent(group)} NOLOGIN; GRANT ${quoteIdent(group)} TO ${quoteIdent(db.role)}`,
        );
        const cat = await read();
        expect(cat.memberships.map((m) => m.role)).toEqual([group]);
        expectAgreement(cat);
    });
});

/**
 * `raptor-roles verify` against the run's real PostgreSQL (16, 17 or 18, see test/support/pg-server.ts): a freshly
 * applied database is clean; each drift, injected on its own in a fresh
 * database, is reported with its class and exact fix, and running that fix
 * makes the database clean again. Role-level drift uses a private role
 * (raptor_app is shared by parallel test files). No output ever carries a
 * password.
 */
import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Classification, RAPTOR_CLASSIFICATION, classify } from "../../core/classification";
import { quoteIdent } from "../../core/identifiers";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { Drift, DriftClass } from "../../core/verify";
import { recorder } from "../support/io";
import { main } from "../../cli/main";
import { runVerify, verify } from "../../cli/verify";
import { createHerokuLikeDb, HerokuLikeDb, withClient } from "../support/heroku-db";

const TABLES = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);
const pg = inject("pg");
/** The server version verify reports, e.g. 17.10. */
const server = pg.server;
const SU = { host: "127.0.0.1", port: pg.port, user: pg.superuser, password: pg.password, database: "postgres" };

const dbs: HerokuLikeDb[] = [];
const extraRoles: string[] = [];
afterAll(async () => {
    for (const db of dbs) {
        await db.drop();
    }
    await withClient(SU, async (c) => {
        for (const r of extraRoles) {
            await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
        }
    });
});

const uniq = (prefix: string) => `${prefix}_${randomBytes(3).toString("hex")}`;

/** A fresh Heroku-like database with the rendered grant script applied as the owner. */
async function applied(
    opts: { privateRole?: boolean; unclassified?: string[]; tables?: string[]; classification?: Classification } = {},
): Promise<HerokuLikeDb> {
    const db = await createHerokuLikeDb({
        tables: opts.tables ?? TABLES,
        unclassified: opts.unclassified,
        role: opts.privateRole ? uniq("raptor_priv") : undefined,
    });
    dbs.push(db);
    const classification = opts.classification ?? RAPTOR_CLASSIFICATION;
    await db.asOwner(renderSql(buildPlan({ classification, role: db.role, schema: "public" })));
    return db;
}

const check = (db: HerokuLikeDb, classification?: Classification) =>
    runVerify({ url: db.ownerUrl, role: db.role, classification });

const ownerName = (db: HerokuLikeDb) => db.owner.user as string;
const T = (t: string) => `"public"."${t}"`;

/** The drifts of one class, as {object, fix}. */
async function driftsOf(
    db: HerokuLikeDb,
    cls: DriftClass,
    classification?: Classification,
): Promise<Pick<Drift, "object" | "fix">[]> {
    const { report } = await check(db, classification);
    return report.drifts.filter((d) => d.class === cls).map((d) => ({ object: d.object, fix: d.fix }));
}

async function classesOf(db: HerokuLikeDb, classification?: Classification): Promise<DriftClass[]> {
    return [...new Set((await check(db, classification)).report.drifts.map((d) => d.class))];
}

async function expectClean(db: HerokuLikeDb, classification?: Classification): Promise<void> {
    const { report, exitCode } = await check(db, classification);
    expect(report.drifts).toEqual([]);
    expect(exitCode).toBe(0);
}

describe("a freshly applied database", () => {
    it("verifies clean with exit 0", async () => {
        const db = await applied();
        const { report, exitCode } = await check(db);
        expect(exitCode).toBe(0);
        expect(report.clean).toBe(true);
        expect(report.drifts).toEqual([]);
        expect(report.checked).toEqual({ tables: 40, sequences: 38, unclassified: 0 });
    });

    it("leaves an extension's own views out: pg_stat_statements in public, granted to PUBLIC", async () => {
        const db = await applied();
        await db.asSuperuser("CREATE EXTENSION pg_stat_statements SCHEMA public");
        const granted = await db.asSuperuser<{ ok: boolean }>(
            `SELECT has_table_privilege('${db.role}', 'public.pg_stat_statements', 'SELECT') AS ok`,
        );
        expect(granted).toEqual([{ ok: true }]);
        await expectClean(db);
    });

    it("prints one CLEAN summary line through the CLI, the URL read from an environment variable", async () => {
        const db = await applied();
        const io = recorder();
        process.env.RAPTOR_TEST_URL_CLEAN = db.ownerUrl;
        const code = await verify(["--database-url-env", "RAPTOR_TEST_URL_CLEAN"], io);
        delete process.env.RAPTOR_TEST_URL_CLEAN;
        expect(code).toBe(0);
        expect(io.stdout).toBe(
            `verify: CLEAN: database "${db.database}" on PostgreSQL ${server}, role "raptor_app", schema "public": ` +
                "40 classified tables and 38 sequences match the plan on effective privileges\n",
        );
        expect(io.stderr).toBe("");
    });

    it("--json is the stable document", async () => {
        const db = await applied();
        const io = recorder();
        const code = await verify(["--database-url", db.ownerUrl, "--json"], io);
        expect(code).toBe(0);
        const doc = JSON.parse(io.stdout);
        expect(Object.keys(doc)).toEqual([
            "role",
            "schema",
            "database",
            "server",
            "clean",
            "drifts",
            "counts",
            "checked",
        ]);
        expect(doc.server).toBe(server);
        expect(doc).toMatchObject({
            role: "raptor_app",
            schema: "public",
            database: db.database,
            clean: true,
            drifts: [],
        });
        expect(Object.values(doc.counts).every((n) => n === 0)).toBe(true);
        expect(Object.keys(doc.counts)).toContain("append-only-writable");
    });

    it("takes role and schema from --stack", async () => {
        const db = await applied();
        const io = recorder();
        const code = await verify(["--database-url", db.ownerUrl, "--stack", "staging", "--json"], io);
        expect(code).toBe(0);
        expect(JSON.parse(io.stdout)).toMatchObject({ role: "raptor_app", schema: "public", clean: true });
    });
});

describe("the role itself", () => {
    it("role-missing: reports the Heroku credential command, not CREATE ROLE", async () => {
        const db = await applied();
        const { report, exitCode } = await runVerify({
            url: db.ownerUrl,
            role: "raptor_ghost",
            heroku: { app: "raxx-api-staging", attachment: "DATABASE" },
        });
        expect(exitCode).toBe(2);
        expect(report.drifts.map((d) => [d.class, d.object, d.fix])).toEqual([
            [
                "role-missing",
                'role "raptor_ghost"',
                "heroku pg:credentials:create DATABASE --name raptor_ghost -a raxx-api-staging",
            ],
        ]);
    });

    it.each([
        ["NOLOGIN", "LOGIN"],
        ["VALID UNTIL '2001-01-01'", "VALID UNTIL 'infinity'"],
        ["CONNECTION LIMIT 0", "CONNECTION LIMIT -1"],
    ])("role-cannot-login: %s is fixed by ALTER ROLE ... %s", async (inject, fixed) => {
        const db = await applied({ privateRole: true });
        await db.asSuperuser(`ALTER ROLE ${quoteIdent(db.role)} ${inject}`);
        const drifts = await driftsOf(db, "role-cannot-login");
        expect(drifts).toEqual([{ object: `role "${db.role}"`, fix: `ALTER ROLE "${db.role}" ${fixed};` }]);
        expect(await classesOf(db)).toEqual(["role-cannot-login"]);
        await db.asSuperuser(drifts[0].fix);
        await expectClean(db);
    });

    it("role-cannot-login: no CONNECT on the database (PUBLIC's revoked) is fixed by a direct GRANT", async () => {
        const db = await applied();
        await db.asOwner(`REVOKE CONNECT ON DATABASE ${quoteIdent(db.database)} FROM PUBLIC`);
        const drifts = await driftsOf(db, "role-cannot-login");
        expect(drifts).toEqual([
            { object: 'role "raptor_app"', fix: `GRANT CONNECT ON DATABASE "${db.database}" TO "raptor_app";` },
        ]);
        await db.asOwner(drifts[0].fix);
        await expectClean(db);
    });

    it.each(["CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"])(
        "role-attribute: %s is reported alone and NO%s fixes it",
        async (attr) => {
            const db = await applied({ privateRole: true });
            await db.asSuperuser(`ALTER ROLE ${quoteIdent(db.role)} ${attr}`);
            const { report } = await check(db);
            expect(report.drifts.map((d) => [d.class, d.object, d.fix])).toEqual([
                ["role-attribute", `role "${db.role}"`, `ALTER ROLE "${db.role}" NO${attr};`],
            ]);
            await db.asSuperuser(report.drifts[0].fix);
            await expectClean(db);
        },
    );

    it(
        "role-attribute: SUPERUSER is reported, every table it opens names the same fix, and NOSUPERUSER fixes " +
            "all",
        async () => {
            const db = await applied({ privateRole: true });
            await db.asSuperuser(`ALTER ROLE ${quoteIdent(db.role)} SUPERUSER`);
            const { report } = await check(db);
            const fix = `ALTER ROLE "${db.role}" NOSUPERUSER;`;
            expect(report.drifts.filter((d) => d.class === "role-attribute").map((d) => d.fix)).toEqual([fix]);
            const audit = report.drifts.find(
                (d) => d.class === "append-only-writable" && d.object === `table ${T("customer_audit_events")}`,
            );
            expect(audit?.fix).toBe(fix);
            expect(audit?.detail).toContain("UPDATE (as a superuser)");
            await db.asSuperuser(fix);
            await expectClean(db);
        },
    );
});

describe("role memberships", () => {
    it(
        "role-membership in pg_write_all_data: reported, the audit tables name the membership as the source, REVOKE " +
            "fixes it",
        async () => {
            const db = await applied({ privateRole: true });
            await db.asSuperuser(`GRANT pg_write_all_data TO ${quoteIdent(db.role)}`);
            const { report } = await check(db);
            const fix = `REVOKE "pg_write_all_data" FROM "${db.role}" GRANTED BY "postgres";`;
            expect(report.drifts.filter((d) => d.class === "role-membership").map((d) => [d.object, d.fix])).toEqual([
                [`membership "${db.role}" in "pg_write_all_data"`, fix],
            ]);
            const audit = report.drifts.find(
                (d) => d.class === "append-only-writable" && d.object === `table ${T("customer_audit_events")}`,
            );
            expect(audit?.fix).toBe(fix);
            expect(audit?.detail).toContain("UPDATE (through the predefined role pg_write_all_data)");
            expect(report.drifts.find((d) => d.object === `table ${T("alembic_version")}`)?.class).toBe(
                "locked-table-accessible",
            );
            await db.asSuperuser(fix);
            await expectClean(db);
        },
    );

    it("role-membership in pg_read_all_data: the locked tables become readable; REVOKE fixes it", async () => {
        const db = await applied({ privateRole: true });
        await db.asSuperuser(`GRANT pg_read_all_data TO ${quoteIdent(db.role)}`);
        const locked = await driftsOf(db, "locked-table-accessible");
        const fix = `REVOKE "pg_read_all_data" FROM "${db.role}" GRANTED BY "postgres";`;
        expect(locked).toEqual([
            { object: `table ${T("alembic_version")}`, fix },
            { object: `table ${T("schema_migrations")}`, fix },
        ]);
        await db.asSuperuser(fix);
        await expectClean(db);
    });

    it("append-only-writable via a granted role: the fix revokes the membership, not the group's grant", async () => {
        const db = await applied({ privateRole: true });
        const group = uniq("raptor_writers");
        extraRoles.push(group);
        await db.asSuperuser(`CREATE ROLE ${group} NOLOGIN; GRANT ${group} TO ${quoteIdent(db.role)}`);
        await db.asOwner(`GRANT UPDATE ON public.customer_audit_events TO ${group}`);
        const fix = `REVOKE "${group}" FROM "${db.role}" GRANTED BY "postgres";`;
        expect(await driftsOf(db, "append-only-writable")).toEqual([
            { object: `table ${T("customer_audit_events")}`, fix },
        ]);
        expect(await driftsOf(db, "role-membership")).toEqual([
            { object: `membership "${db.role}" in "${group}"`, fix },
        ]);
        await db.asSuperuser(fix);
        await expectClean(db);
    });

    it("role-membership in the owner: everything opens up; revoking the membership fixes all of it", async () => {
        const db = await applied({ privateRole: true });
        await db.asSuperuser(`GRANT ${quoteIdent(ownerName(db))} TO ${quoteIdent(db.role)}`);
        const { report } = await check(db);
        const fix = `REVOKE "${ownerName(db)}" FROM "${db.role}" GRANTED BY "postgres";`;
        const classes = new Set(report.drifts.map((d) => d.class));
        for (const k of [
            "role-membership",
            "schema-create",
            "database-create",
            "append-only-writable",
            "locked-table-accessible",
            "table-excess-privilege",
        ]) {
            expect(classes, k).toContain(k);
        }
        expect(report.drifts.find((d) => d.class === "schema-create")?.fix).toBe(fix);
        await db.asSuperuser(fix);
        await expectClean(db);
    });
});

describe("ownership", () => {
    it("role-owns-object: a schema it owns, and the CREATE that comes with it", async () => {
        const db = await applied({ privateRole: true });
        await db.asSuperuser(`CREATE SCHEMA scratch AUTHORIZATION ${quoteIdent(db.role)}`);
        const fix = `ALTER SCHEMA "scratch" OWNER TO "${ownerName(db)}";`;
        expect(await driftsOf(db, "role-owns-object")).toEqual([{ object: 'schema "scratch"', fix }]);
        expect(await driftsOf(db, "schema-create")).toEqual([{ object: 'schema "scratch"', fix }]);
        await db.asSuperuser(fix);
        await expectClean(db);
    });

    it(
        "role-owns-object: the database itself; the public schema's CREATE comes with it and goes back with " + "it",
        async () => {
            const db = await applied({ privateRole: true });
            await db.asSuperuser(`ALTER DATABASE ${quoteIdent(db.database)} OWNER TO ${quoteIdent(db.role)}`);
            const fix = `ALTER DATABASE "${db.database}" OWNER TO "${ownerName(db)}";`;
            expect(await driftsOf(db, "role-owns-object")).toEqual([{ object: `database "${db.database}"`, fix }]);
            expect(await driftsOf(db, "schema-create")).toEqual([{ object: 'schema "public"', fix }]);
            expect(await driftsOf(db, "database-create")).toEqual([{ object: `database "${db.database}"`, fix }]);
            await db.asSuperuser(fix);
            await expectClean(db);
        },
    );

    it("role-owns-object: a classified table it owns; the fix hands it back and regrants the plan", async () => {
        const db = await applied({ privateRole: true });
        await db.asSuperuser(`ALTER TABLE public.users OWNER TO ${quoteIdent(db.role)}`);
        const fix = [
            `ALTER TABLE ${T("users")} OWNER TO "${ownerName(db)}";`,
            `GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE ${T("users")} TO "${db.role}";`,
            `GRANT USAGE ON SEQUENCE ${T("users_id_seq")} TO "${db.role}";`,
        ].join("\n");
        expect(await driftsOf(db, "role-owns-object")).toEqual([{ object: `table ${T("users")}`, fix }]);
        expect((await driftsOf(db, "table-excess-privilege")).map((d) => d.object)).toEqual([`table ${T("users")}`]);
        await db.asSuperuser(fix);
        await expectClean(db);
    });
});

describe("schema and database", () => {
    it("schema-usage-missing", async () => {
        const db = await applied();
        await db.asOwner("REVOKE USAGE ON SCHEMA public FROM raptor_app");
        const drifts = await driftsOf(db, "schema-usage-missing");
        expect(drifts).toEqual([{ object: 'schema "public"', fix: 'GRANT USAGE ON SCHEMA "public" TO "raptor_app";' }]);
        expect(await classesOf(db)).toEqual(["schema-usage-missing"]);
        await db.asOwner(drifts[0].fix);
        await expectClean(db);
    });

    it.each([
        ["raptor_app", 'REVOKE CREATE ON SCHEMA "public" FROM "raptor_app";'],
        ["PUBLIC", 'REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;'],
    ])("schema-create granted to %s", async (grantee, fix) => {
        const db = await applied();
        await db.asOwner(`GRANT CREATE ON SCHEMA public TO ${grantee}`);
        expect(await driftsOf(db, "schema-create")).toEqual([{ object: 'schema "public"', fix }]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it("database-create", async () => {
        const db = await applied();
        await db.asOwner(`GRANT CREATE ON DATABASE ${quoteIdent(db.database)} TO raptor_app`);
        const fix = `REVOKE CREATE ON DATABASE "${db.database}" FROM "raptor_app";`;
        expect(await driftsOf(db, "database-create")).toEqual([{ object: `database "${db.database}"`, fix }]);
        await db.asOwner(fix);
        await expectClean(db);
    });
});

describe("tables", () => {
    it("table-privilege-missing on an application table", async () => {
        const db = await applied();
        await db.asOwner("REVOKE DELETE ON public.users FROM raptor_app");
        const fix = `GRANT DELETE ON TABLE ${T("users")} TO "raptor_app";`;
        expect(await driftsOf(db, "table-privilege-missing")).toEqual([{ object: `table ${T("users")}`, fix }]);
        expect(await classesOf(db)).toEqual(["table-privilege-missing"]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it.each([
        [
            "directly",
            "GRANT UPDATE, DELETE ON public.customer_audit_events TO raptor_app",
            `REVOKE UPDATE, DELETE ON TABLE ${T("customer_audit_events")} FROM "raptor_app";`,
        ],
        [
            "TRUNCATE directly",
            "GRANT TRUNCATE ON public.customer_audit_events TO raptor_app",
            `REVOKE TRUNCATE ON TABLE ${T("customer_audit_events")} FROM "raptor_app";`,
        ],
        [
            "per column",
            "GRANT UPDATE (payload) ON public.customer_audit_events TO raptor_app",
            `REVOKE UPDATE ("payload") ON TABLE ${T("customer_audit_events")} FROM "raptor_app";`,
        ],
        [
            "via PUBLIC",
            "GRANT DELETE ON public.customer_audit_events TO PUBLIC",
            `REVOKE DELETE ON TABLE ${T("customer_audit_events")} FROM PUBLIC;`,
        ],
        [
            "via PUBLIC per column",
            "GRANT UPDATE (payload, id) ON public.customer_audit_events TO PUBLIC",
            `REVOKE UPDATE ("id", "payload") ON TABLE ${T("customer_audit_events")} FROM PUBLIC;`,
        ],
    ])("append-only-writable %s", async (_how, inject, fix) => {
        const db = await applied();
        await db.asOwner(inject);
        expect(await driftsOf(db, "append-only-writable")).toEqual([
            { object: `table ${T("customer_audit_events")}`, fix },
        ]);
        expect(await classesOf(db)).toEqual(["append-only-writable"]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it.each([
        [
            "alembic_version",
            "GRANT SELECT ON public.alembic_version TO raptor_app",
            `REVOKE SELECT ON TABLE ${T("alembic_version")} FROM "raptor_app";`,
        ],
        [
            "schema_migrations",
            "GRANT INSERT ON public.schema_migrations TO PUBLIC",
            `REVOKE INSERT ON TABLE ${T("schema_migrations")} FROM PUBLIC;`,
        ],
    ])("locked-table-accessible: %s", async (table, inject, fix) => {
        const db = await applied();
        await db.asOwner(inject);
        expect(await driftsOf(db, "locked-table-accessible")).toEqual([{ object: `table ${T(table)}`, fix }]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    // MAINTAIN exists from PostgreSQL 17 on; 16 refuses to grant it.
    it.each(["TRUNCATE", "REFERENCES", "TRIGGER", ...(pg.major >= 17 ? ["MAINTAIN"] : [])])(
        "table-excess-privilege: %s on an application table",
        async (priv) => {
            const db = await applied();
            await db.asOwner(`GRANT ${priv} ON public.users TO raptor_app`);
            const fix = `REVOKE ${priv} ON TABLE ${T("users")} FROM "raptor_app";`;
            expect(await driftsOf(db, "table-excess-privilege")).toEqual([{ object: `table ${T("users")}`, fix }]);
            expect(await classesOf(db)).toEqual(["table-excess-privilege"]);
            await db.asOwner(fix);
            await expectClean(db);
        },
    );

    it("table-excess-privilege: REFERENCES on one column of an append-only table", async () => {
        const db = await applied();
        await db.asOwner("GRANT REFERENCES (id) ON public.dsr_log TO raptor_app");
        const fix = `REVOKE REFERENCES ("id") ON TABLE ${T("dsr_log")} FROM "raptor_app";`;
        expect(await driftsOf(db, "table-excess-privilege")).toEqual([{ object: `table ${T("dsr_log")}`, fix }]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it("grant-option: SELECT WITH GRANT OPTION on an application table", async () => {
        const db = await applied();
        await db.asOwner("GRANT SELECT ON public.users TO raptor_app WITH GRANT OPTION");
        const fix = `REVOKE GRANT OPTION FOR SELECT ON TABLE ${T("users")} FROM "raptor_app" CASCADE;`;
        expect(await driftsOf(db, "grant-option")).toEqual([{ object: `table ${T("users")}`, fix }]);
        expect(await classesOf(db)).toEqual(["grant-option"]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it(
        "table-missing: a classified table that does not exist; dropping it from the classification is " + "clean",
        async () => {
            const db = await applied({
                tables: TABLES.filter((t) => t !== "dsr_log"),
                classification: {
                    ...RAPTOR_CLASSIFICATION,
                    appendOnly: RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "dsr_log"),
                },
            });
            expect(await driftsOf(db, "table-missing")).toEqual([
                {
                    object: `table ${T("dsr_log")}`,
                    fix:
                        `-- remove "dsr_log" from core/classification.ts, or run the migration that creates ` +
                        `${T("dsr_log")}`,
                },
            ]);
            expect(await classesOf(db)).toEqual(["table-missing"]);
            await expectClean(db, {
                ...RAPTOR_CLASSIFICATION,
                appendOnly: RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "dsr_log"),
            });
        },
    );
});

describe("unclassified tables and quoted identifiers", () => {
    it("a plain unclassified table: REVOKE ALL, then classifying it makes the database clean", async () => {
        const db = await applied({ unclassified: ["feature_experiments"] });
        await db.asOwner("GRANT SELECT, UPDATE ON public.feature_experiments TO raptor_app");
        const fix = [
            `REVOKE ALL ON TABLE ${T("feature_experiments")} FROM "raptor_app";`,
            '-- then classify it: add "feature_experiments" to application, appendOnly or locked in ' +
                "core/classification.ts",
        ].join("\n");
        expect(await driftsOf(db, "unclassified-table")).toEqual([
            { object: `table ${T("feature_experiments")}`, fix },
        ]);
        await db.asOwner(fix);
        await expectClean(db, {
            ...RAPTOR_CLASSIFICATION,
            locked: [...RAPTOR_CLASSIFICATION.locked, "feature_experiments"],
        });
    });

    it(
        '"Weird Table": quoted in the report and the fix, which runs; it cannot be classified, so the report says ' +
            "rename or drop",
        async () => {
            const db = await applied({ unclassified: ["Weird Table"] });
            await db.asOwner(`GRANT SELECT ON public."Weird Table" TO raptor_app`);
            const drifts = await driftsOf(db, "unclassified-table");
            expect(drifts).toEqual([
                {
                    object: `table ${T("Weird Table")}`,
                    fix: [
                        `REVOKE ALL ON TABLE ${T("Weird Table")} FROM "raptor_app";`,
                        '-- "Weird Table" is not a plain identifier, so it cannot be classified: rename it to a ' +
                            "lower-case name or drop it",
                    ].join("\n"),
                },
            ]);
            await db.asOwner(drifts[0].fix);
            const [after] = await db.asOwner<{ any: boolean }>(
                `SELECT has_any_column_privilege('raptor_app', 'public."Weird Table"', ` +
                    `'SELECT,INSERT,UPDATE,REFERENCES') AS any`,
            );
            expect(after.any).toBe(false);
            expect((await check(db)).report.drifts.map((d) => [d.class, d.object])).toEqual([
                ["unclassified-table", `table ${T("Weird Table")}`],
            ]);
        },
    );

    it('"MixedCase" readable through PUBLIC: the fix revokes from PUBLIC too', async () => {
        const db = await applied({ unclassified: ["MixedCase"] });
        await db.asOwner(`GRANT SELECT ON public."MixedCase" TO PUBLIC`);
        const drifts = await driftsOf(db, "unclassified-table");
        expect(drifts).toEqual([
            {
                object: `table ${T("MixedCase")}`,
                fix: [
                    `REVOKE ALL ON TABLE ${T("MixedCase")} FROM "raptor_app";`,
                    `REVOKE SELECT ON TABLE ${T("MixedCase")} FROM PUBLIC;`,
                    '-- "MixedCase" is not a plain identifier, so it cannot be classified: rename it to a lower-case ' +
                        "name or drop it",
                ].join("\n"),
            },
        ]);
        await db.asOwner(drifts[0].fix);
        const [after] = await db.asOwner<{ sel: boolean }>(
            `SELECT has_table_privilege('raptor_app', 'public."MixedCase"', 'SELECT') AS sel`,
        );
        expect(after.sel).toBe(false);
    });
});

describe("sequences and default privileges", () => {
    it("sequence-usage-missing", async () => {
        const db = await applied();
        await db.asOwner("REVOKE USAGE ON SEQUENCE public.users_id_seq FROM raptor_app");
        const fix = `GRANT USAGE ON SEQUENCE ${T("users_id_seq")} TO "raptor_app";`;
        expect(await driftsOf(db, "sequence-usage-missing")).toEqual([
            { object: `sequence ${T("users_id_seq")}`, fix },
        ]);
        expect(await classesOf(db)).toEqual(["sequence-usage-missing"]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it("sequence-excess-privilege: UPDATE (setval) on a sequence", async () => {
        const db = await applied();
        await db.asOwner("GRANT UPDATE ON SEQUENCE public.users_id_seq TO raptor_app");
        const fix = `REVOKE UPDATE ON SEQUENCE ${T("users_id_seq")} FROM "raptor_app";`;
        expect(await driftsOf(db, "sequence-excess-privilege")).toEqual([
            { object: `sequence ${T("users_id_seq")}`, fix },
        ]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it("default-privileges-missing: future sequences would not get USAGE", async () => {
        const db = await applied();
        await db.asOwner("ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON SEQUENCES FROM raptor_app");
        const o = ownerName(db);
        const fix =
            `ALTER DEFAULT PRIVILEGES FOR ROLE "${o}" IN SCHEMA "public" GRANT USAGE ON SEQUENCES TO ` +
            `"raptor_app";`;
        expect(await driftsOf(db, "default-privileges-missing")).toEqual([
            { object: `default privileges of "${o}" in schema "public"`, fix },
        ]);
        await db.asOwner(fix);
        await expectClean(db);
    });

    it("default-privileges-excess: future tables would be born readable", async () => {
        const db = await applied();
        await db.asOwner("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO raptor_app");
        const o = ownerName(db);
        const fix =
            `ALTER DEFAULT PRIVILEGES FOR ROLE "${o}" IN SCHEMA "public" REVOKE SELECT ON TABLES FROM ` +
            `"raptor_app";`;
        expect(await driftsOf(db, "default-privileges-excess")).toEqual([
            { object: `default privileges of "${o}" in schema "public"`, fix },
        ]);
        await db.asOwner(fix);
        await expectClean(db);
    });
});

describe("the CLI: exit codes, output, and no password anywhere", () => {
    const freePort = () =>
        new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const { port } = s.address() as net.AddressInfo;
                s.close(() => resolve(port));
            });
        });

    it("exit 2 with a DRIFT summary line, the drift grouped by class, and every fix once", async () => {
        const db = await applied();
        await db.asOwner("GRANT DELETE ON public.customer_audit_events TO PUBLIC");
        const io = recorder();
        const code = await verify(["--database-url", db.ownerUrl], io);
        expect(code).toBe(2);
        const lines = io.stdout.split("\n");
        expect(lines[0]).toBe(
            `verify: DRIFT: database "${db.database}" on PostgreSQL ${server}, role "raptor_app", schema "public": 1 ` +
                `drift(s): append-only-writable 1`,
        );
        expect(lines.slice(2, 6)).toEqual([
            "append-only-writable (1)",
            `  table ${T("customer_audit_events")}`,
            '    append-only (audit/history) but "raptor_app" can rewrite or erase it: DELETE (granted to PUBLIC)',
            `    fix: REVOKE DELETE ON TABLE ${T("customer_audit_events")} FROM PUBLIC;`,
        ]);
        expect(io.stdout).not.toContain(db.ownerPassword);
    });

    it("--json on drift: class, object, detail, fix and counts", async () => {
        const db = await applied();
        await db.asOwner("GRANT UPDATE ON public.dsr_log TO raptor_app");
        const io = recorder();
        expect(await verify(["--database-url", db.ownerUrl, "--json"], io)).toBe(2);
        const doc = JSON.parse(io.stdout);
        expect(doc.clean).toBe(false);
        expect(doc.drifts).toEqual([
            {
                class: "append-only-writable",
                object: `table ${T("dsr_log")}`,
                detail:
                    'append-only (audit/history) but "raptor_app" can rewrite or erase it: UPDATE (granted ' +
                    "directly)",
                fix: `REVOKE UPDATE ON TABLE ${T("dsr_log")} FROM "raptor_app";`,
            },
        ]);
        expect(doc.counts["append-only-writable"]).toBe(1);
        expect(io.stdout).not.toContain(db.ownerPassword);
    });

    it("authentication failure: exit 1, a clear message, neither password printed", async () => {
        const db = await applied();
        const wrong = `wrong-${randomBytes(6).toString("hex")}`;
        const url = db.ownerUrl.replace(db.ownerPassword, wrong);
        const io = recorder();
        expect(await main(["verify", "--database-url", url], io)).toBe(1);
        expect(io.stderr).toContain("authentication failed");
        expect(io.stdout).toBe("");
        for (const secret of [wrong, db.ownerPassword, url]) {
            expect(io.stderr).not.toContain(secret);
        }
    });

    it("unreachable database: exit 1, connection refused, no password", async () => {
        const port = await freePort();
        const secret = `s3cret-${randomBytes(6).toString("hex")}`;
        const io = recorder();
        expect(
            await main(["verify", "--database-url", `postgres://owner:${secret}@127.0.0.1:${port}/raptor`], io),
        ).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles verify: cannot connect to owner@127.0.0.1:${port}/raptor: connection refused: nothing ` +
                `listens on 127.0.0.1:${port}\nfix: correct the port in the URL from --database-url (Heroku's is ` +
                `5432), or start the server (\`pg_isready -h 127.0.0.1 -p ${port}\` tells); on Heroku: ` +
                "`heroku pg:info -a APP`\n",
        );
        expect(io.stderr).not.toContain(secret);
    });

    it.each([
        ["no sslmode, as heroku config:get prints it", ""],
        ["sslmode=allow", "?sslmode=allow"],
        ["sslmode=prefer", "?sslmode=prefer"],
        ["sslmode=require", "?sslmode=require"],
    ])(
        "a URL with %s uses SSL: the test server has none, so exit 1 saying so and how to opt out, no password",
        async (_how, query) => {
            const url = `postgres://${pg.superuser}:${pg.password}@127.0.0.1:${pg.port}/postgres${query}`;
            const io = recorder();
            expect(await main(["verify", "--database-url", url], io)).toBe(1);
            expect(io.stderr).toBe(
                `raptor-roles verify: cannot connect to ${pg.superuser}@127.0.0.1:${pg.port}/postgres: the server ` +
                    "does not accept SSL, and SSL is on unless the URL says sslmode=disable\n" +
                    "fix: for a local database without SSL, add ?sslmode=disable to the URL; never for Heroku, which " +
                    "requires SSL\n",
            );
            expect(io.stdout).toBe("");
            expect(io.stderr).not.toContain(pg.password);
        },
    );

    it("an unknown sslmode: exit 1 naming the valid ones, the URL not echoed", async () => {
        const io = recorder();
        expect(
            await main(["verify", "--database-url", "postgres://owner:hunter22@db/raptor?sslmode=required"], io),
        ).toBe(1);
        expect(io.stderr).toBe(
            "raptor-roles verify: the database URL from --database-url has an unknown sslmode " +
                '"required" (expected disable, allow, prefer, require, verify-ca, verify-full); expected ' +
                "postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=MODE]\n" +
                "fix: write ?sslmode=require (or leave it out: SSL is on by default, as Heroku needs); or take the " +
                "URL afresh: `heroku config:get DATABASE_URL -a APP` prints it (--database-url)\n",
        );
        expect(io.stderr).not.toContain("hunter22");
    });

    it("a URL that is not postgres://: exit 1, the URL not echoed", async () => {
        const io = recorder();
        expect(await main(["verify", "--database-url", "mysql://root:hunter22@db/raptor"], io)).toBe(1);
        expect(io.stderr).toContain("the database URL from --database-url starts with mysql://, not postgres://");
        expect(io.stderr).not.toContain("hunter22");
    });

    it("a URL given as a stray positional argument is not echoed in the usage error", async () => {
        const io = recorder();
        expect(await main(["verify", "postgres://owner:hunter22@db/raptor"], io)).toBe(1);
        expect(io.stderr).toContain("raptor-roles verify:");
        expect(io.stderr).not.toContain("hunter22");
    });

    it("--database-url-env naming an unset variable: exit 1", async () => {
        const io = recorder();
        expect(await main(["verify", "--database-url-env", "RAPTOR_TEST_SURELY_UNSET"], io)).toBe(1);
        expect(io.stderr).toContain(
            "environment variable RAPTOR_TEST_SURELY_UNSET (--database-url-env) is empty or not set",
        );
    });

    it("both or neither URL option is a usage error", async () => {
        await expect(verify([], recorder())).rejects.toThrow(/exactly one of --database-url-env NAME/);
        await expect(
            verify(["--database-url", "postgres://a@b/c", "--database-url-env", "X"], recorder()),
        ).rejects.toThrow(/exactly one/);
    });

    it("--help recommends --database-url-env and exits 0", async () => {
        const io = recorder();
        expect(await verify(["--help"], io)).toBe(0);
        expect(io.stdout).toContain("--database-url-env NAME");
        expect(io.stdout).toContain("recommended");
    });
});

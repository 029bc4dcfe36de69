/**
 * The pure half of verify: drift classes and fixes computed from a catalog
 * snapshot (core/verify.ts), the one-query catalog reader (db/catalog.ts)
 * and the password redaction the CLI relies on. No database here.
 */
import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { buildPlan } from "../core/plan";
import { DRIFT_CLASSES, VerifyError, computeDrift, renderReport } from "../core/verify";
import type { Catalog, CatalogRelation } from "../core/catalog";
import { CATALOG_SQL, planParameter, readCatalog } from "../db/catalog";
import { redact } from "../cli/verify";

const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });

function catalog(over: Partial<Catalog> = {}): Catalog {
    return {
        serverVersion: 170010,
        currentUser: "owner",
        database: { name: "d", owner: "owner", connect: true, create: false, ownedBy: null, acl: [] },
        role: {
            name: "raptor_app",
            canLogin: true,
            superuser: false,
            createRole: false,
            createDb: false,
            replication: false,
            bypassRls: false,
            connectionLimit: -1,
            expired: false,
        },
        schemaExists: true,
        relations: [],
        missingTables: [],
        checked: { tables: 40, sequences: 38, unclassified: 0 },
        schemas: [{ name: "public", usage: true, create: false, owner: null, ownedByDatabaseOwner: true, acl: [] }],
        memberships: [],
        reached: [],
        owned: [],
        defaultAcl: [{ owner: "owner", schema: "public", objectType: "S", grantee: "raptor_app", privilege: "USAGE" }],
        ...over,
    };
}

function rel(name: string, over: Partial<CatalogRelation> = {}): CatalogRelation {
    return { names: [name], kind: "r", partition: false, owner: null, privileges: [], columnPrivileges: [], grantOptions: [], acl: [], linkedTable: null, ...over };
}

const fixesOf = (c: Catalog) => computeDrift(plan, c).drifts.map((d) => [d.class, d.fix]);

describe("computeDrift", () => {
    it("a catalog that matches the plan is clean, with a zero count for every class", () => {
        const r = computeDrift(plan, catalog());
        expect(r.clean).toBe(true);
        expect(r.drifts).toEqual([]);
        expect(Object.keys(r.counts)).toEqual([...DRIFT_CLASSES]);
        expect(Object.values(r.counts).every((n) => n === 0)).toBe(true);
    });

    it("a missing schema is an error, not drift", () => {
        expect(() => computeDrift(plan, catalog({ schemaExists: false }))).toThrow(VerifyError);
        expect(() => computeDrift(plan, catalog({ schemaExists: false }))).toThrow('schema "public" does not exist in database "d"');
    });

    it("role-missing without a stack prints the credential command with placeholders", () => {
        expect(fixesOf(catalog({ role: null }))).toEqual([["role-missing", "heroku pg:credentials:create DATABASE --name raptor_app -a <app>"]]);
    });

    it("groups column grants of one privilege into one REVOKE with the columns quoted and sorted", () => {
        const r = rel("dsr_log", {
            privileges: ["SELECT", "INSERT"],
            columnPrivileges: ["UPDATE"],
            acl: [
                { grantee: "raptor_app", column: "payload", privileges: ["UPDATE"], grantable: [] },
                { grantee: "raptor_app", column: "Id", privileges: ["UPDATE"], grantable: [] },
            ],
        });
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([["append-only-writable", 'REVOKE UPDATE ("Id", "payload") ON TABLE "public"."dsr_log" FROM "raptor_app";']]);
    });

    it("one REVOKE per grantor of a membership that makes an append-only table writable", () => {
        const r = rel("dsr_log", { privileges: ["SELECT", "INSERT", "DELETE"], acl: [{ grantee: "writers", column: null, privileges: ["DELETE"], grantable: [] }] });
        const memberships = [
            { role: "writers", grantor: "admin_a", admin: false, inherit: true, set: true },
            { role: "writers", grantor: "admin_b", admin: false, inherit: true, set: true },
        ];
        const reached = [{ via: "writers", role: "writers", inherit: true, superuser: false, createRole: false, createDb: false, replication: false, bypassRls: false, databaseOwner: false, predefined: false, ownsRelations: 0 }];
        const drift = computeDrift(plan, catalog({ relations: [r], memberships, reached })).drifts.find((d) => d.class === "append-only-writable");
        expect(drift?.fix).toBe('REVOKE "writers" FROM "raptor_app" GRANTED BY "admin_a";\nREVOKE "writers" FROM "raptor_app" GRANTED BY "admin_b";');
    });

    it("adds CASCADE when the role holds the grant option of what is revoked", () => {
        const r = rel("dsr_log", {
            privileges: ["SELECT", "INSERT", "UPDATE"],
            grantOptions: ["UPDATE"],
            acl: [{ grantee: "raptor_app", column: null, privileges: ["SELECT", "INSERT", "UPDATE"], grantable: ["UPDATE"] }],
        });
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([["append-only-writable", 'REVOKE UPDATE ON TABLE "public"."dsr_log" FROM "raptor_app" CASCADE;']]);
    });

    it("a privilege whose source is not in the catalog is still reported, with a comment instead of a guess", () => {
        const r = rel("alembic_version", { privileges: ["SELECT"] });
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([
            ["locked-table-accessible", '-- could not find where SELECT on "public"."alembic_version" comes from; inspect it with \\dp (or \\dn+, \\l+) and \\drg "raptor_app"'],
        ]);
    });

    it("a partition holding nothing is not unclassified drift; one holding a privilege is", () => {
        const quiet = rel("events_2026_01", { partition: true });
        const loud = rel("events_2026_02", { partition: true, privileges: ["SELECT"], acl: [{ grantee: null, column: null, privileges: ["SELECT"], grantable: [] }] });
        expect(computeDrift(plan, catalog({ relations: [quiet, loud] })).drifts.map((d) => [d.class, d.object])).toEqual([
            ["unclassified-table", 'table "public"."events_2026_02"'],
        ]);
    });

    it("a routine the role owns goes back to the database owner with its argument types", () => {
        const owned = [{ kind: "routine" as const, schema: "public", name: "touch", args: "integer, text", linked: [] }];
        expect(fixesOf(catalog({ owned }))).toEqual([["role-owns-object", 'ALTER ROUTINE "public"."touch"(integer, text) OWNER TO "owner";']]);
    });

    it("a database the role owns goes to the connected user", () => {
        const c = catalog({ currentUser: "heroku_owner", database: { name: "d", owner: "raptor_app", connect: true, create: true, ownedBy: "raptor_app", acl: [] } });
        const fixes = computeDrift(plan, c).drifts.filter((d) => d.class === "database-create").map((d) => d.fix);
        expect(fixes).toEqual(['ALTER DATABASE "d" OWNER TO "heroku_owner";']);
    });
});

describe("renderReport", () => {
    it("starts with one summary line and ends with every fix once", () => {
        const relations = ["dsr_log", "trades_history"].map((t) =>
            rel(t, { privileges: ["SELECT", "INSERT", "DELETE"], acl: [{ grantee: null, column: null, privileges: ["DELETE"], grantable: [] }] }),
        );
        const text = renderReport(computeDrift(plan, catalog({ relations, schemas: [{ name: "public", usage: false, create: false, owner: null, ownedByDatabaseOwner: true, acl: [] }] })));
        const lines = text.split("\n");
        expect(lines[0]).toBe('verify: DRIFT: database "d" on PostgreSQL 17.10, role "raptor_app", schema "public": 3 drift(s): schema-usage-missing 1, append-only-writable 2');
        const all = lines.slice(lines.findIndex((l) => l.startsWith("All fixes")) + 2).filter(Boolean);
        expect(all).toEqual([
            '  GRANT USAGE ON SCHEMA "public" TO "raptor_app";',
            '  REVOKE DELETE ON TABLE "public"."dsr_log" FROM PUBLIC;',
            '  REVOKE DELETE ON TABLE "public"."trades_history" FROM PUBLIC;',
        ]);
    });
});

describe("readCatalog", () => {
    it("makes exactly one query, with the role, the schema and the plan as one text", async () => {
        const calls: { text: string; values: unknown[] }[] = [];
        const db = {
            async query(text: string, values: unknown[]) {
                calls.push({ text, values });
                return {
                    rows: [
                        {
                            catalog: {
                                serverVersion: 170010,
                                currentUser: "owner",
                                database: { name: "d", owner: "owner", connect: true, create: false, ownedBy: null, acl: [] },
                                role: null,
                                schemaExists: true,
                                relations: [],
                                missingTables: [],
                                checked: { tables: 0, sequences: 0, unclassified: 0 },
                                schemas: [],
                                memberships: [],
                                reached: [],
                                owned: [],
                                defaultAcl: [],
                            },
                        },
                    ],
                };
            },
        };
        const c = await readCatalog(db, plan);
        expect(calls).toHaveLength(1);
        expect(calls[0].text).toBe(CATALOG_SQL);
        expect(calls[0].values.slice(0, 2)).toEqual(["raptor_app", "public"]);
        expect(String(calls[0].values[2]).split(",").slice(0, 3)).toEqual(["Lalembic_version", "Oaudit_archival_runs", "Oaudit_integrity_log"]);
        expect(c.role).toBeNull();
        expect(c.relations).toEqual([]);
    });

    it("refuses a table name the parameter cannot carry", () => {
        expect(() => planParameter([{ table: "a,b", set: "locked" }])).toThrow(/cannot check table/);
    });
});

describe("redact", () => {
    it("masks the password of any URL in a message, and given secrets", () => {
        expect(redact("Unexpected argument 'postgres://owner:hunter22@db:5432/raptor'")).toBe("Unexpected argument 'postgres://owner:***@db:5432/raptor'");
        expect(redact("token s3cr3t here", ["s3cr3t"])).toBe("token *** here");
    });
});

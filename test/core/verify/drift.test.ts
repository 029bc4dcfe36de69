/**
 * computeDrift on catalog snapshots (no database): each drift family's class
 * and exact fix, aimed at the privilege's real source.
 */
import { describe, expect, it } from "vitest";
import { DRIFT_CLASSES, VerifyError, computeDrift } from "../../../core/verify";
import { catalog, fixesOf, plan, rel } from "../../support/catalog-fixtures";

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
        expect(() => computeDrift(plan, catalog({ schemaExists: false }))).toThrow(
            'schema "public" does not exist in database "d"',
        );
    });

    it("role-missing without a stack prints the credential command with placeholders", () => {
        expect(fixesOf(catalog({ role: null }))).toEqual([
            ["role-missing", "heroku pg:credentials:create DATABASE --name raptor_app -a <app>"],
        ]);
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
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([
            ["append-only-writable", 'REVOKE UPDATE ("Id", "payload") ON TABLE "public"."dsr_log" FROM "raptor_app";'],
        ]);
    });

    it("one REVOKE per grantor of a membership that makes an append-only table writable", () => {
        const r = rel("dsr_log", {
            privileges: ["SELECT", "INSERT", "DELETE"],
            acl: [{ grantee: "writers", column: null, privileges: ["DELETE"], grantable: [] }],
        });
        const memberships = [
            { role: "writers", grantor: "admin_a", admin: false, inherit: true, set: true },
            { role: "writers", grantor: "admin_b", admin: false, inherit: true, set: true },
        ];
        const reached = [
            {
                via: "writers",
                role: "writers",
                inherit: true,
                superuser: false,
                createRole: false,
                createDb: false,
                replication: false,
                bypassRls: false,
                databaseOwner: false,
                predefined: false,
                ownsRelations: 0,
            },
        ];
        const drift = computeDrift(plan, catalog({ relations: [r], memberships, reached })).drifts.find(
            (d) => d.class === "append-only-writable",
        );
        expect(drift?.fix).toBe(
            'REVOKE "writers" FROM "raptor_app" GRANTED BY "admin_a";\nREVOKE "writers" FROM "raptor_app" GRANTED BY ' +
                '"admin_b";',
        );
    });

    it("adds CASCADE when the role holds the grant option of what is revoked", () => {
        const r = rel("dsr_log", {
            privileges: ["SELECT", "INSERT", "UPDATE"],
            grantOptions: ["UPDATE"],
            acl: [
                {
                    grantee: "raptor_app",
                    column: null,
                    privileges: ["SELECT", "INSERT", "UPDATE"],
                    grantable: ["UPDATE"],
                },
            ],
        });
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([
            ["append-only-writable", 'REVOKE UPDATE ON TABLE "public"."dsr_log" FROM "raptor_app" CASCADE;'],
        ]);
    });

    it("a privilege whose source is not in the catalog is still reported, with a comment instead of a guess", () => {
        const r = rel("alembic_version", { privileges: ["SELECT"] });
        expect(fixesOf(catalog({ relations: [r] }))).toEqual([
            [
                "locked-table-accessible",
                '-- could not find where SELECT on "public"."alembic_version" comes from; inspect it with \\dp (or ' +
                    '\\dn+, \\l+) and \\drg "raptor_app"',
            ],
        ]);
    });

    it("a partition holding nothing is not unclassified drift; one holding a privilege is", () => {
        const quiet = rel("events_2026_01", { partition: true });
        const loud = rel("events_2026_02", {
            partition: true,
            privileges: ["SELECT"],
            acl: [{ grantee: null, column: null, privileges: ["SELECT"], grantable: [] }],
        });
        expect(
            computeDrift(plan, catalog({ relations: [quiet, loud] })).drifts.map((d) => [d.class, d.object]),
        ).toEqual([["unclassified-table", 'table "public"."events_2026_02"']]);
    });

    it("a routine the role owns goes back to the database owner with its argument types", () => {
        const owned = [
            { kind: "routine" as const, schema: "public", name: "touch", args: "integer, text", linked: [] },
        ];
        expect(fixesOf(catalog({ owned }))).toEqual([
            ["role-owns-object", 'ALTER ROUTINE "public"."touch"(integer, text) OWNER TO "owner";'],
        ]);
    });

    it("a database the role owns goes to the connected user", () => {
        const c = catalog({
            currentUser: "heroku_owner",
            database: { name: "d", owner: "raptor_app", connect: true, create: true, ownedBy: "raptor_app", acl: [] },
        });
        const fixes = computeDrift(plan, c)
            .drifts.filter((d) => d.class === "database-create")
            .map((d) => d.fix);
        expect(fixes).toEqual(['ALTER DATABASE "d" OWNER TO "heroku_owner";']);
    });
});

describe("relation groups", () => {
    it("a group's drift is written once per name, each name quoted as SQL needs (a quote doubled)", () => {
        const seqs = rel("x", {
            names: ['odd"name_id_seq', "users_id_seq"],
            kind: "S",
            privileges: ["USAGE", "UPDATE"],
            acl: [{ grantee: "raptor_app", column: null, privileges: ["USAGE", "UPDATE"], grantable: [] }],
        });
        expect(fixesOf(catalog({ relations: [seqs] }))).toEqual([
            ["sequence-excess-privilege", 'REVOKE UPDATE ON SEQUENCE "public"."odd""name_id_seq" FROM "raptor_app";'],
            ["sequence-excess-privilege", 'REVOKE UPDATE ON SEQUENCE "public"."users_id_seq" FROM "raptor_app";'],
        ]);
    });

    it("the report says which PostgreSQL it read", () => {
        expect(computeDrift(plan, catalog({ serverVersion: 160014 })).server).toBe("16.14");
        expect(computeDrift(plan, catalog({ serverVersion: 180000 })).server).toBe("18.0");
    });
});

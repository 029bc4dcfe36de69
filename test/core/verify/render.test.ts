/** renderReport: the report for people, small and large. */
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../../core/plan";
import { computeDrift, renderReport } from "../../../core/verify";
import { catalog, plan, rel } from "../../support/catalog-fixtures";

describe("renderReport", () => {
    it("starts with one summary line and ends with every fix once", () => {
        const relations = ["dsr_log", "trades_history"].map((t) =>
            rel(t, {
                privileges: ["SELECT", "INSERT", "DELETE"],
                acl: [{ grantee: null, column: null, privileges: ["DELETE"], grantable: [] }],
            }),
        );
        const text = renderReport(
            computeDrift(
                plan,
                catalog({
                    relations,
                    schemas: [
                        {
                            name: "public",
                            usage: false,
                            create: false,
                            owner: null,
                            ownedByDatabaseOwner: true,
                            acl: [],
                        },
                    ],
                }),
            ),
        );
        const lines = text.split("\n");
        expect(lines[0]).toBe(
            'verify: DRIFT: database "d" on PostgreSQL 17.10, role "raptor_app", schema "public": 3 drift(s): ' +
                "schema-usage-missing 1, append-only-writable 2",
        );
        const all = lines.slice(lines.findIndex((l) => l.startsWith("All fixes")) + 2).filter(Boolean);
        expect(all).toEqual([
            '  GRANT USAGE ON SCHEMA "public" TO "raptor_app";',
            '  REVOKE DELETE ON TABLE "public"."dsr_log" FROM PUBLIC;',
            '  REVOKE DELETE ON TABLE "public"."trades_history" FROM PUBLIC;',
        ]);
    });
});

describe("renderReport with thousands of drifts", () => {
    // 1,200 append-only tables made writable the same way, plus 7 unclassified ones: one group each in the catalog.
    const names = Array.from({ length: 1200 }, (_, i) => `audit_${String(i).padStart(4, "0")}`);
    const bigPlan = buildPlan({
        classification: { application: ["accounts"], appendOnly: names, locked: ["alembic_version"] },
        role: "raptor_app",
        schema: "public",
    });
    const writable = rel("x", {
        names,
        privileges: ["SELECT", "INSERT", "UPDATE"],
        acl: [{ grantee: "raptor_app", column: null, privileges: ["SELECT", "INSERT", "UPDATE"], grantable: [] }],
    });
    const strays = rel("x", { names: ["u1", "u2", "u3", "u4", "u5", "u6", "u7"] });
    const report = computeDrift(bigPlan, catalog({ relations: [writable, strays] }));
    const text = renderReport(report);
    const lines = text.split("\n");

    it("keeps every drift, each with its own name in object and fix", () => {
        expect(report.counts["append-only-writable"]).toBe(1200);
        expect(report.counts["unclassified-table"]).toBe(7);
        const last = report.drifts.find((d) => d.object === 'table "public"."audit_1199"');
        expect(last?.fix).toBe('REVOKE UPDATE ON TABLE "public"."audit_1199" FROM "raptor_app";');
    });

    it("prints each class with its count, its first 5 drifts and how many more --json has", () => {
        expect(lines[0]).toBe(
            'verify: DRIFT: database "d" on PostgreSQL 17.10, role "raptor_app", schema "public": ' +
                "1207 drift(s): unclassified-table 7, append-only-writable 1200",
        );
        expect(lines.filter((l) => /^ {2}table "public"\."audit_/.test(l))).toEqual(
            ["0000", "0001", "0002", "0003", "0004"].map((n) => `  table "public"."audit_${n}"`),
        );
        expect(lines).toContain("  ... and 1195 more append-only-writable drift(s), each with its fix in --json");
        expect(lines).toContain("  ... and 2 more unclassified-table drift(s), each with its fix in --json");
    });

    it("lists the fixes of the drifts shown only, and says how to get all of them", () => {
        const fixes = lines
            .slice(lines.findIndex((l) => l.startsWith("The fixes of the drifts shown")) + 2)
            .filter(Boolean);
        expect(fixes.filter((f) => f.startsWith("  REVOKE UPDATE"))).toHaveLength(5);
        expect(text).toContain(
            "(1197 drift(s) not shown: every fix, in order, is `raptor-roles verify ... --json | jq -r " +
                "'.drifts[].fix'`)",
        );
        expect(lines.length).toBeLessThan(80);
    });
});

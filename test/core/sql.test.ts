import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";

const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
const sql = renderSql(plan);
const statements = sql.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("--"));

describe("rendered SQL", () => {
    it("is one transaction", () => {
        expect(statements[0]).toBe("BEGIN;");
        expect(statements[statements.length - 1]).toBe("COMMIT;");
        expect(statements.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s))).toHaveLength(2);
    });

    it("never grants or revokes on ALL TABLES", () => {
        expect(sql).not.toMatch(/ALL\s+TABLES/i);
    });

    it("resets every classified table with its own REVOKE, then grants exactly its set", () => {
        for (const t of plan.tables) {
            const revoke = `REVOKE ALL ON TABLE "public"."${t.table}" FROM "raptor_app";`;
            expect(statements.filter((s) => s === revoke)).toHaveLength(1);
            const grants = statements.filter((s) => s.startsWith("GRANT") && s.includes(`"public"."${t.table}"`));
            if (t.privileges.length === 0) {
                expect(grants).toEqual([]);
            } else {
                expect(grants).toEqual([
                    `GRANT ${t.privileges.join(", ")} ON TABLE "public"."${t.table}" TO "raptor_app"; -- ${t.set}`,
                ]);
                expect(statements.indexOf(revoke)).toBeLessThan(statements.indexOf(grants[0]));
            }
        }
    });

    it("grants USAGE on the schema, which the runbook's blocks forgot", () => {
        expect(statements).toContain(`GRANT USAGE ON SCHEMA "public" TO "raptor_app";`);
    });

    it("gives sequences USAGE now and by default for the owner's future sequences", () => {
        expect(statements).toContain(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA "public" TO "raptor_app";`);
        expect(statements).toContain(
            `ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT USAGE ON SEQUENCES TO "raptor_app";`,
        );
    });

    it("sets no default privileges on tables", () => {
        expect(sql).not.toMatch(/DEFAULT PRIVILEGES[^;]*ON TABLES/);
    });

    it("quotes identifiers that need it", () => {
        const odd = renderSql(
            buildPlan({
                classification: { application: ["order"], appendOnly: ["user_history"], locked: ["alembic_version"] },
                role: "raptor_app",
                schema: "public",
            }),
        );
        expect(odd).toContain(`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "public"."order" TO "raptor_app";`);
    });
});

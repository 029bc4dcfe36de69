/**
 * The workload judged against planned matrices (core/workload/planned.ts): the cause the headline names, for each
 * kind of set change, and the owner-only rule across two plans.
 */
import { describe, expect, it } from "vitest";
import { Classification, RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { buildPlan } from "../../../core/plan";
import { causeOf, workloadChange } from "../../../core/workload/planned";
import { JudgedStatement } from "../../../core/workload/verdict";
import { on, statement, workloadExport } from "../../support/workload-file";

const deniedOn = (...tables: string[]): JudgedStatement => ({
    queryid: "1",
    calls: 1,
    query: "q",
    verdict: "denied",
    missing: tables.map((t) => ({ privilege: "UPDATE", object: `public.${t}` })),
});

describe("causeOf: the moved tables the denied statements need, grouped by where they went", () => {
    const tables = [
        { table: "orders", before: "application", after: "appendOnly" },
        { table: "trades", before: "application", after: "appendOnly" },
        { table: "legacy", before: "application" },
        { table: "fresh", after: "locked" },
    ] as const;

    it("names only the moved tables the statements lack a privilege on", () => {
        expect(causeOf([deniedOn("trades")], tables, "public")).toBe("moving trades to append-only");
    });

    it("joins tables of one move, and moves of several kinds", () => {
        expect(causeOf([deniedOn("orders", "trades", "legacy", "fresh")], tables, "public")).toBe(
            "moving orders and trades to append-only, removing legacy from the classification and classifying " +
                "fresh as locked",
        );
    });

    it("falls back to every moved table, then to 'this change', when the statements name none", () => {
        expect(causeOf([deniedOn("users")], tables.slice(0, 1), "public")).toBe("moving orders to append-only");
        expect(causeOf([deniedOn("users")], [], "public")).toBe("this change");
    });

    it("matches tables in the plan's schema only: public.trades is not app.trades, so every move is named", () => {
        expect(causeOf([deniedOn("trades")], tables.slice(0, 2), "app")).toBe(
            "moving orders and trades to append-only",
        );
    });
});

describe("workloadChange", () => {
    const plan = (c: Classification) => buildPlan({ classification: c, role: "raptor_app", schema: "public" });
    const base = plan(RAPTOR_CLASSIFICATION);

    it("keeps the migration tool's statements owner-only when both plans lock their table", () => {
        const w = workloadExport([
            statement("7", 3, "INSERT INTO alembic_version VALUES ($1)", on("alembic_version", "INSERT")),
        ]);
        const c = workloadChange(w, "f.json", { base, head: base, stack: "prod" }, []);
        expect([c.base.counts, c.head.counts, c.newlyDenied, c.newlyPermitted]).toEqual([
            { permitted: 0, denied: 0, ownerOnly: 1, notJudged: 1 },
            { permitted: 0, denied: 0, ownerOnly: 1, notJudged: 1 },
            [],
            [],
        ]);
        expect(c.headline).toBe("this change denies no statement the app ran (1 statement judged)");
    });

    it("says both what a change denies and what it permits, numbers with thousands separators", () => {
        const head = plan({
            ...RAPTOR_CLASSIFICATION,
            application: [...RAPTOR_CLASSIFICATION.application.filter((t) => t !== "users"), "customer_audit_events"],
            appendOnly: [...RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "customer_audit_events"), "users"],
        });
        const w = workloadExport([
            statement("1", 1_234_567, "UPDATE users SET payload = $1", on("users", "UPDATE")),
            statement(
                "2",
                2_000,
                "UPDATE customer_audit_events SET payload = $1",
                on("customer_audit_events", "UPDATE"),
            ),
        ]);
        const tables = [
            { table: "customer_audit_events", before: "appendOnly", after: "application" },
            { table: "users", before: "application", after: "appendOnly" },
        ] as const;
        const c = workloadChange(w, "f.json", { base, head, stack: "prod" }, tables);
        expect(c.headline).toBe(
            "moving users to append-only denies 1 statement the app ran 1,234,567 times, and permits 1 statement " +
                "the app ran 2,000 times that the base denies",
        );
    });
});

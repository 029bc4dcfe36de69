import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION, classify, Classification } from "../../core/classification";
import { buildPlan } from "../../core/plan";

const BLOCK_B = [
    "audit_log",
    "backup_codes",
    "bootstrap_tokens_pending",
    "bootstrap_tokens_revoked",
    "bootstrap_tokens_used",
    "customer_sessions",
    "email_verifications",
    "freescout_ticket_cache",
    "historical_bars",
    "login_challenges",
    "onboarding_state",
    "paper_orders",
    "postmark_delivery_events",
    "postmark_inbound_dedup",
    "quebec_waitlist",
    "support_customer_map",
    "support_pending_submissions",
    "symbols",
    "trace_events",
    "trace_workflows",
    "users",
    "vendor_billing_alert_config",
    "vendor_billing_alert_log",
    "vendor_billing_fixed",
    "vendor_billing_snapshots",
    "webauthn_credentials",
];
const BLOCK_C = [
    "audit_archival_runs",
    "audit_integrity_log",
    "customer_audit_events",
    "dsr_log",
    "passkeys_history",
    "positions_history",
    "sessions_history",
    "subscriptions_history",
    "support_audit_log",
    "trades_history",
    "users_history",
];
const base: Classification = { application: ["users"], appendOnly: ["dsr_log"], locked: ["alembic_version"] };

describe("Raptor's classification", () => {
    it("is runbook Block B plus order_strategy_links, Block C, and both migration tables", () => {
        expect([...RAPTOR_CLASSIFICATION.application].sort()).toEqual([...BLOCK_B, "order_strategy_links"].sort());
        expect([...RAPTOR_CLASSIFICATION.appendOnly].sort()).toEqual([...BLOCK_C].sort());
        expect([...RAPTOR_CLASSIFICATION.locked].sort()).toEqual(["alembic_version", "schema_migrations"]);
        expect(classify(RAPTOR_CLASSIFICATION)).toHaveLength(40);
    });

    it("gives application tables DML, append-only tables INSERT+SELECT, locked tables nothing", () => {
        const byTable = new Map(classify(RAPTOR_CLASSIFICATION).map((t) => [t.table, t.privileges]));
        expect(byTable.get("historical_bars")).toEqual(["SELECT", "INSERT", "UPDATE", "DELETE"]);
        expect(byTable.get("customer_audit_events")).toEqual(["SELECT", "INSERT"]);
        expect(byTable.get("schema_migrations")).toEqual([]);
    });
});

describe("classification validation", () => {
    it("rejects a table in two sets, naming the table and both sets", () => {
        expect(() => classify({ ...base, application: ["users", "dsr_log"] })).toThrow(
            /table "dsr_log" is in both the application and the appendOnly sets/,
        );
    });

    it("rejects a duplicate within a set", () => {
        expect(() => classify({ ...base, application: ["users", "symbols", "users"] })).toThrow(
            /table "users" is listed twice in the application set/,
        );
    });

    it.each(["application", "appendOnly", "locked"] as const)("rejects an empty %s set", (set) => {
        expect(() => classify({ ...base, [set]: [] })).toThrow(new RegExp(`the ${set} set is empty or missing`));
    });

    it.each(["Users", "audit-log", "1users", "public.users", "x".repeat(64), ""])(
        "rejects the non-plain name %j",
        (name) => {
            expect(() => classify({ ...base, application: ["users", name] })).toThrow(
                new RegExp(
                    `table ${JSON.stringify(name).replace(/[.]/g, "\\.")} in the application set is not a plain ` +
                        `Postgres identifier`,
                ),
            );
        },
    );

    it("sorts the result by table name whatever the input order", () => {
        const tables = classify({ application: ["b", "a"], appendOnly: ["c"], locked: ["_z"] }).map((t) => t.table);
        expect(tables).toEqual(["_z", "a", "b", "c"]);
    });

    it("rejects a role that is not a plain identifier", () => {
        expect(() => buildPlan({ classification: base, role: "Raptor App", schema: "public" })).toThrow(
            /role "Raptor App" is not a plain Postgres identifier/,
        );
    });
});

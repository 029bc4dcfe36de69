/**
 * The privilege classification of Raptor's tables: the single source of truth
 * for the program, the policy pack, the SQL renderer and the verifier.
 *
 * Adding a table is one line in one of the lists below. A table that exists in
 * the database but is in none of them is reported by `raptor-roles verify`;
 * it is never granted implicitly.
 */
import { isPlainIdentifier } from "./identifiers";

/** Table privileges Postgres knows (PostgreSQL 17 added MAINTAIN). */
export const TABLE_PRIVILEGES = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

export type TableSet = "application" | "appendOnly" | "locked";

/** What each set of tables may do, in canonical order. */
export const SET_PRIVILEGES: Readonly<Record<TableSet, readonly TablePrivilege[]>> = {
    application: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    appendOnly: ["SELECT", "INSERT"],
    locked: [],
};

/** Privileges that must never reach an append-only table: they rewrite or erase history. */
export const APPEND_ONLY_FORBIDDEN: readonly TablePrivilege[] = ["UPDATE", "DELETE", "TRUNCATE"];

export interface Classification {
    /** Full DML: SELECT, INSERT, UPDATE, DELETE. */
    readonly application: readonly string[];
    /** Audit and history tables: INSERT and SELECT only (the KMS audit-chain invariant). */
    readonly appendOnly: readonly string[];
    /** Migration state: no privilege at all, so the app cannot stamp a migration as applied. */
    readonly locked: readonly string[];
}

/**
 * Raptor's tables. Application: runbook Block B, plus `order_strategy_links`
 * from the 2026-06-01 catch-up migration (0026). Append-only: Block C.
 * Locked: both migration-state tables (the runbook's Block A forgot
 * `schema_migrations`).
 */
export const RAPTOR_CLASSIFICATION: Classification = {
    application: [
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
        "order_strategy_links",
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
    ],
    appendOnly: [
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
    ],
    locked: ["alembic_version", "schema_migrations"],
};

export interface ClassifiedTable {
    readonly table: string;
    readonly set: TableSet;
    readonly privileges: readonly TablePrivilege[];
}

export class ClassificationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ClassificationError";
    }
}

const SET_NAMES: readonly TableSet[] = ["application", "appendOnly", "locked"];

/**
 * Validates a classification and flattens it into one entry per table, sorted
 * by table name so that every consumer sees the same order.
 *
 * Throws a ClassificationError naming the offending table and the fix for: a
 * missing or empty set, a name that is not a plain identifier, a table listed
 * twice in one set, or a table in two sets.
 */
export function classify(c: Classification): ClassifiedTable[] {
    const seen = new Map<string, TableSet>();
    const out: ClassifiedTable[] = [];
    for (const set of SET_NAMES) {
        const tables = (c as unknown as Record<string, unknown>)[set];
        if (!Array.isArray(tables) || tables.length === 0) {
            throw new ClassificationError(
                `the ${set} set is empty or missing; list at least one table in it ` +
                    "(an empty set would make every grant in it a no-op or, worse, ON ALL TABLES)",
            );
        }
        for (const table of tables as unknown[]) {
            if (typeof table !== "string" || !isPlainIdentifier(table)) {
                throw new ClassificationError(
                    `table ${JSON.stringify(table)} in the ${set} set is not a plain Postgres identifier; ` +
                        "use the lower-case name as the migration created it (letters, digits, _; at most 63 bytes)",
                );
            }
            const previous = seen.get(table);
            if (previous === set) {
                throw new ClassificationError(
                    `table "${table}" is listed twice in the ${set} set; remove the duplicate`,
                );
            }
            if (previous !== undefined) {
                throw new ClassificationError(
                    `table "${table}" is in both the ${previous} and the ${set} sets; keep it in exactly one ` +
                        "(an audit or history table belongs in appendOnly only)",
                );
            }
            seen.set(table, set);
            out.push({ table, set, privileges: SET_PRIVILEGES[set] });
        }
    }
    return out.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

/**
 * Grant policies: the append-only invariant (audit tables keep their history,
 * migration state stays locked) and no grant that silently means ON ALL TABLES.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { APPEND_ONLY_FORBIDDEN, RAPTOR_CLASSIFICATION, TABLE_PRIVILEGES } from "../core/classification";
import { TYPES } from "../core/resources";
import { configOf } from "./pack-config";

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Upper-cased privileges, with ALL [PRIVILEGES] spelled out. */
export function privilegesOf(props: Record<string, unknown>): string[] {
    const privs = strs(props["privileges"]).map((p) => p.trim().toUpperCase());
    return privs.some((p) => p === "ALL" || p === "ALL PRIVILEGES") ? [...TABLE_PRIVILEGES] : privs;
}

const tableList = (schema: unknown, tables: readonly string[]) =>
    tables.map((t) => (typeof schema === "string" && schema !== "" ? `${schema}.${t}` : t)).join(", ");

const KEEP_IT =
    "Fix: keep the table's grant as core/classification.ts gives it (append-only: SELECT, INSERT; locked: none); " +
    "changing a table's set also needs a reviewed change to policy/config.json (append-only-invariant).";

export const appendOnlyInvariant: ResourceValidationPolicy = {
    name: "append-only-invariant",
    description: "No role may UPDATE, DELETE or TRUNCATE an append-only table, nor get any privilege on a locked table.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            appendOnly: {
                type: "array",
                items: { type: "string" },
                default: [...RAPTOR_CLASSIFICATION.appendOnly],
                description: "Append-only (audit and history) tables; defaults to the shared classification.",
            },
            locked: {
                type: "array",
                items: { type: "string" },
                default: [...RAPTOR_CLASSIFICATION.locked],
                description: "Tables no role may touch (migration state); defaults to the shared classification.",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const { appendOnly, locked } = configOf(args.getConfig<object>(), ["appendOnly", "locked"]);
        const p = args.props;
        const role = JSON.stringify(p["role"]);
        const privs = privilegesOf(p);
        if (args.type === TYPES.defaultPrivileges) {
            if (p["objectType"] === "table" && privs.length > 0) {
                reportViolation(
                    `DefaultPrivileges ${args.name} gives ${privs.join(", ")} on every table the owner creates later in schema ` +
                        `${String(p["schema"])} to ${role}: a blanket future-table grant reaches new audit tables unreviewed. ` +
                        "Required: no table default privileges; each new table is classified and granted by name. " +
                        "Fix: add the table to core/classification.ts instead.",
                );
            }
            return;
        }
        if (args.type !== TYPES.grant || (p["objectType"] !== "table" && p["objectType"] !== "column") || privs.length === 0) {
            return;
        }
        const what = p["objectType"] === "column" ? "column-level " : "";
        const objects = strs(p["objects"]);
        if (objects.length === 0) {
            reportViolation(
                `Grant ${args.name} gives ${what}${privs.join(", ")} ON ALL TABLES of schema ${String(p["schema"])} to ${role} ` +
                    `(objects is empty), which covers the append-only and locked tables. Required: grants name their tables. ${KEEP_IT}`,
            );
            return;
        }
        const forbidden = privs.filter((x) => (APPEND_ONLY_FORBIDDEN as readonly string[]).includes(x));
        const hitAppendOnly = objects.filter((t) => appendOnly.includes(t));
        if (forbidden.length > 0 && hitAppendOnly.length > 0) {
            reportViolation(
                `Grant ${args.name} gives ${what}${forbidden.join(", ")} on append-only table ${tableList(p["schema"], hitAppendOnly)} ` +
                    `to ${role}. Required: append-only tables allow SELECT and INSERT only; UPDATE, DELETE and TRUNCATE would let ` +
                    `the application rewrite or erase audit history. ${KEEP_IT}`,
            );
        }
        const hitLocked = objects.filter((t) => locked.includes(t));
        if (hitLocked.length > 0) {
            reportViolation(
                `Grant ${args.name} gives ${what}${privs.join(", ")} on locked table ${tableList(p["schema"], hitLocked)} to ${role}. ` +
                    `Required: no privilege at all (privileges: []), so the application cannot stamp a migration as applied. ${KEEP_IT}`,
            );
        }
    },
};

export const noAllTablesGrant: ResourceValidationPolicy = {
    name: "no-all-tables-grant",
    description: "A table Grant must name its tables: empty or missing objects means ON ALL TABLES IN SCHEMA.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const p = args.props;
        if (args.type !== TYPES.grant || p["objectType"] !== "table" || strs(p["objects"]).length > 0) {
            return;
        }
        reportViolation(
            `Grant ${args.name} to ${JSON.stringify(p["role"])} has objectType "table" and ${p["objects"] === undefined ? "no" : "empty"} ` +
                `objects, which the provider applies ON ALL TABLES IN SCHEMA ${String(p["schema"])}: every table, including append-only, ` +
                "locked and unclassified ones. Required: one Grant per classified table with objects: [table]. " +
                "Fix: classify the table in core/classification.ts; the grants component declares its Grant.",
        );
    },
};

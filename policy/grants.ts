/**
 * Grant policies: the append-only invariant (audit tables keep their history,
 * migration state stays locked, the app role gets nothing through a role
 * membership or a Role of its own) and no grant that silently means ON ALL TABLES.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { APPEND_ONLY_FORBIDDEN, TABLE_PRIVILEGES } from "./core/classification";
import { TYPES } from "./core/resources";
import { DEFAULT_POLICY_CONFIG, configOf } from "./pack-config";
import { StackContextProvider, pulumiStackContext } from "./context";
import { GrantInputs, GrantRoleInputs, RoleInputs, grantInputs, grantRoleInputs, roleInputs } from "./inputs";
import { PropsView, cannotDecide } from "./props";

/** The privileges a grant gives, with ALL [PRIVILEGES] spelled out. */
export function privilegesOf(g: GrantInputs): string[] {
    return g.privileges.some((p) => p === "ALL" || p === "ALL PRIVILEGES") ? [...TABLE_PRIVILEGES] : [...g.privileges];
}

const tableList = (schema: string | undefined, tables: readonly string[]) =>
    tables.map((t) => (schema !== undefined && schema !== "" ? `${schema}.${t}` : t)).join(", ");

const KEEP_IT =
    "Fix: keep the table's grant as core/classification.ts gives it (append-only: SELECT, INSERT; locked: none); " +
    "changing a table's set also needs a reviewed change to policy/config.json (append-only-invariant).";

const MEMBERSHIP_FIX =
    "Required: the app role's privileges come only from the per-table Grants of core/classification.ts, and its role " +
    "is the Heroku credential (components/credential.ts). Fix: remove the resource; a privilege the application " +
    "needs is a reviewed change to the classification.";

/** Role names compared as Postgres folds unquoted identifiers: a case variant counts as the app role. */
const sameRole = (a: string | undefined, roles: readonly string[]) =>
    a !== undefined && roles.includes(a.trim().toLowerCase());

/**
 * The app roles: the pack's `appRole` (default raptor_app) and the stack's
 * `raptor:role` (what the credential command's ROLE comes from), read only
 * for the resources that need it.
 */
function appRolesOf(configured: string, context: StackContextProvider): string[] {
    const fromStack = context().config("role");
    return [
        ...new Set(
            [configured, ...(typeof fromStack === "string" && fromStack !== "" ? [fromStack] : [])].map((r) =>
                r.toLowerCase(),
            ),
        ),
    ];
}

/** What the invariant reads of each type it judges; an unknown or wrong-typed one among them blocks. */
const INVARIANT_READS: Readonly<Record<string, readonly string[]>> = {
    [TYPES.grant]: ["objectType", "privileges", "objects"],
    [TYPES.defaultPrivileges]: ["objectType", "privileges"],
    [TYPES.grantRole]: ["role", "grantRole"],
    [TYPES.role]: ["name", "roles"],
};
const STRING_FIELDS = ["objectType", "role", "grantRole", "name"];
const LIST_FIELDS = ["privileges", "objects", "roles"];

/** A role for a message; one the view could not read (unknown at preview) says so. */
const shown = (v: string | undefined) => (v === undefined ? "(unknown or absent role)" : JSON.stringify(v));

export function appendOnlyInvariant(context: StackContextProvider = pulumiStackContext): ResourceValidationPolicy {
    return {
        name: "append-only-invariant",
        description:
            "No role may UPDATE, DELETE or TRUNCATE an append-only table, nor get any privilege on a locked table, " +
            "nor make the app role a member of another role.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                appendOnly: {
                    type: "array",
                    items: { type: "string" },
                    default: [...DEFAULT_POLICY_CONFIG.appendOnly],
                    description:
                        "Append-only (audit and history) tables; defaults to the committed policy/config.json.",
                },
                locked: {
                    type: "array",
                    items: { type: "string" },
                    default: [...DEFAULT_POLICY_CONFIG.locked],
                    description:
                        "Tables no role may touch (migration state); defaults to the committed policy/config.json.",
                },
                appRole: {
                    type: "string",
                    minLength: 1,
                    default: DEFAULT_POLICY_CONFIG.appRole,
                    description:
                        "The application role no role membership may touch; the stack's raptor:role counts too.",
                },
            },
        },
        validateResource: (args, reportViolation) => {
            const reads = INVARIANT_READS[args.type];
            if (reads === undefined) {
                return;
            }
            const view = new PropsView(args);
            const unknown = view.unknown(...reads);
            const wrong = [
                ...view.wrongType("string", ...reads.filter((k) => STRING_FIELDS.includes(k))),
                ...view.wrongType("string[]", ...reads.filter((k) => LIST_FIELDS.includes(k))),
            ];
            if (unknown.length > 0 || wrong.length > 0) {
                reportViolation(cannotDecide("the append-only invariant", args, unknown, wrong));
                return;
            }
            const { appendOnly, locked, appRole } = configOf(args.getConfig<object>(), [
                "appendOnly",
                "locked",
                "appRole",
            ]);
            const appRoles = () => appRolesOf(appRole, context);
            if (args.type === TYPES.grantRole) {
                checkGrantRole(args.name, grantRoleInputs(view), appRoles(), reportViolation);
            } else if (args.type === TYPES.role) {
                checkRole(args.name, roleInputs(view), appRoles(), reportViolation);
            } else {
                checkGrant(args.type, args.name, grantInputs(view), appendOnly, locked, reportViolation);
            }
        },
    };
}

function checkGrantRole(
    name: string,
    g: GrantRoleInputs,
    appRoles: readonly string[],
    reportViolation: (message: string) => void,
): void {
    const option = g.withAdminOption ? " WITH ADMIN OPTION" : "";
    if (sameRole(g.role, appRoles)) {
        reportViolation(
            `GrantRole ${name} makes the app role ${shown(g.role)} a member of ${shown(g.grantRole)}${option}: it ` +
                `would inherit every privilege of that role (for the owner, UPDATE and DELETE on the append-only ` +
                `tables and any privilege on the locked ones), outside the reviewed matrix. ${MEMBERSHIP_FIX}`,
        );
    }
    if (sameRole(g.grantRole, appRoles)) {
        reportViolation(
            `GrantRole ${name} makes ${shown(g.role)} a member of the app role ${shown(g.grantRole)}${option}: it ` +
                `could SET ROLE to the application and act with its privileges, outside the reviewed matrix. ` +
                MEMBERSHIP_FIX,
        );
    }
}

function checkRole(
    name: string,
    r: RoleInputs,
    appRoles: readonly string[],
    reportViolation: (message: string) => void,
): void {
    if (sameRole(r.name, appRoles)) {
        reportViolation(
            `Role ${name} declares the app role ${shown(r.name)} itself, so its attributes (superuser, createrole, ` +
                "bypassrls, memberships, password...) would be set outside Heroku's credential path " +
                `(\`heroku pg:credentials:create\`). ${MEMBERSHIP_FIX}`,
        );
    }
    const memberOf = r.roles.filter((x) => sameRole(x, appRoles));
    if (memberOf.length > 0) {
        reportViolation(
            `Role ${name} (${JSON.stringify(r.name ?? name)}) is made a member of the app role ` +
                `${memberOf.join(", ")}: it could SET ROLE to the application and act with its privileges, outside ` +
                `the reviewed matrix. ${MEMBERSHIP_FIX}`,
        );
    }
}

function checkGrant(
    type: string,
    name: string,
    g: GrantInputs,
    appendOnly: readonly string[],
    locked: readonly string[],
    reportViolation: (message: string) => void,
): void {
    const role = shown(g.role);
    const privs = privilegesOf(g);
    if (type === TYPES.defaultPrivileges) {
        if (g.objectType === "table" && privs.length > 0) {
            reportViolation(
                `DefaultPrivileges ${name} gives ${privs.join(", ")} on every table the owner creates later in ` +
                    `schema ${String(g.schema)} to ${role}: a blanket future-table grant reaches new audit tables ` +
                    "unreviewed. Required: no table default privileges; each new table is classified and granted by " +
                    "name. Fix: add the table to core/classification.ts instead.",
            );
        }
        return;
    }
    if (type !== TYPES.grant || (g.objectType !== "table" && g.objectType !== "column") || privs.length === 0) {
        return;
    }
    const what = g.objectType === "column" ? "column-level " : "";
    const objects = g.objects ?? [];
    if (objects.length === 0) {
        // A table grant without objects is ON ALL TABLES: no-all-tables-grant reports it, once.
        if (g.objectType === "column") {
            reportViolation(
                `Grant ${name} gives column-level ${privs.join(", ")} in schema ${String(g.schema)} to ${role} ` +
                    `without naming its table (objects is empty), so the append-only and locked tables cannot be ` +
                    `ruled out. Required: grants name their tables. ${KEEP_IT}`,
            );
        }
        return;
    }
    const forbidden = privs.filter((x) => (APPEND_ONLY_FORBIDDEN as readonly string[]).includes(x));
    const hitAppendOnly = objects.filter((t) => appendOnly.includes(t));
    if (forbidden.length > 0 && hitAppendOnly.length > 0) {
        reportViolation(
            `Grant ${name} gives ${what}${forbidden.join(", ")} on append-only table ` +
                `${tableList(g.schema, hitAppendOnly)} to ${role}. Required: append-only tables allow SELECT and ` +
                `INSERT only; UPDATE, DELETE and TRUNCATE would let the application rewrite or erase audit history. ` +
                `${KEEP_IT}`,
        );
    }
    const hitLocked = objects.filter((t) => locked.includes(t));
    if (hitLocked.length > 0) {
        reportViolation(
            `Grant ${name} gives ${what}${privs.join(", ")} on locked table ${tableList(g.schema, hitLocked)} to ` +
                `${role}. Required: no privilege at all (privileges: []), so the application cannot stamp a ` +
                `migration as applied. ${KEEP_IT}`,
        );
    }
}

export const noAllTablesGrant: ResourceValidationPolicy = {
    name: "no-all-tables-grant",
    description: "A table Grant must name its tables: empty or missing objects means ON ALL TABLES IN SCHEMA.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.grant) {
            return;
        }
        const view = new PropsView(args);
        const unknown = view.unknown("objectType", "objects");
        if (unknown.length > 0) {
            reportViolation(cannotDecide("for ON ALL TABLES", args, unknown));
            return;
        }
        const g = grantInputs(view);
        if (g.objectType !== "table" || (g.objects ?? []).length > 0) {
            return;
        }
        reportViolation(
            `Grant ${args.name} to ${shown(g.role)} has objectType "table" and ` +
                `${g.objects === undefined ? "no" : "empty"} objects, which the provider applies ON ALL TABLES IN ` +
                `SCHEMA ${String(g.schema)}: every table, including append-only, locked and unclassified ones. ` +
                "Required: one Grant per classified table with objects: [table]. Fix: classify the table in " +
                "core/classification.ts; the grants component declares its Grant.",
        );
    },
};

/**
 * Typed views of the inputs the policies judge, so no policy indexes an
 * untyped bag (`p["objectType"]`). Field names are those of
 * @pulumi/postgresql 3.18 (GrantArgs, DefaultPrivilegesArgs, GrantRoleArgs,
 * RoleArgs) and @pulumi/command 1.2 (local.CommandArgs). The pack does not
 * import those SDKs (it would ship both providers' packages to judge five
 * fields); it reads through PropsView, so an unknown value is never mistaken
 * for a real one: callers check `view.unknown(...)` first, and a field that
 * is unknown, absent or of another type reads as undefined here.
 */
import { PropsView, isUnknown } from "./props";

/** postgresql.Grant and postgresql.DefaultPrivileges. */
export interface GrantInputs {
    readonly objectType?: string;
    readonly schema?: string;
    /** The grantee; undefined when absent or unknown. */
    readonly role?: string;
    /** Table names; undefined when absent (the provider then grants ON ALL TABLES, as for []). */
    readonly objects?: readonly string[];
    /** Upper-cased, with ALL [PRIVILEGES] left as written (see privilegesOf). */
    readonly privileges: readonly string[];
    readonly columns: readonly string[];
    readonly withGrantOption: boolean;
}

/** postgresql.GrantRole: `role` becomes a member of `grantRole`. */
export interface GrantRoleInputs {
    readonly role?: string;
    readonly grantRole?: string;
    readonly withAdminOption: boolean;
}

/** postgresql.Role. */
export interface RoleInputs {
    readonly name?: string;
    /** Roles this one is made a member of. */
    readonly roles: readonly string[];
}

/** command.local.Command. */
export interface CommandInputs {
    readonly environment: Readonly<Record<string, unknown>>;
    /** environment.RAPTOR_STEP, the program's marker of its five steps. */
    readonly step?: string;
    readonly logging?: string;
    readonly create?: string;
    readonly update?: string;
    readonly delete?: string;
}

const list = (v: PropsView, path: string): string[] | undefined =>
    Array.isArray(v.get(path)) ? v.strs(path) : undefined;

export const grantInputs = (v: PropsView): GrantInputs => ({
    objectType: v.str("objectType"),
    schema: v.str("schema"),
    role: v.str("role"),
    objects: list(v, "objects"),
    privileges: v.strs("privileges").map((p) => p.trim().toUpperCase()),
    columns: v.strs("columns"),
    withGrantOption: v.get("withGrantOption") === true,
});

export const grantRoleInputs = (v: PropsView): GrantRoleInputs => ({
    role: v.str("role"),
    grantRole: v.str("grantRole"),
    withAdminOption: v.get("withAdminOption") === true,
});

export const roleInputs = (v: PropsView): RoleInputs => ({ name: v.str("name"), roles: v.strs("roles") });

export function commandInputs(v: PropsView): CommandInputs {
    const env = v.get("environment");
    const environment =
        env !== null && typeof env === "object" && !isUnknown(env) ? (env as Record<string, unknown>) : {};
    return {
        environment,
        step: v.str("environment.RAPTOR_STEP"),
        logging: v.str("logging"),
        create: v.str("create"),
        update: v.str("update"),
        delete: v.str("delete"),
    };
}

/**
 * What a deployment does, as one canonical value, and its fingerprint.
 *
 * The program computes the description from its settings and plan; the policy
 * pack and `raptor-roles plan` recompute it from the resources actually
 * declared. An operator's prod sign-off carries the fingerprint, so an
 * approval for one change cannot cover another.
 *
 * The description covers everything that is deployed: every input of every
 * Grant that decides who gets what (role, objects, columns, privileges, grant
 * option), and every resource outside the Raptor model (`extras`). The program
 * declares no extras, so a resource added to it changes the fingerprint and
 * needs its own sign-off.
 */
import { createHash } from "node:crypto";
import { GrantPlan } from "./plan";
import { RaptorSettings, UrlDelivery } from "./settings";

export interface DeploymentGrant {
    /** `table`, `schema`, `sequence` or `default-sequence`. */
    readonly objectType: string;
    readonly schema: string;
    /** Table names; empty for schema and sequence grants, where the scope is the schema. */
    readonly objects: readonly string[];
    readonly privileges: readonly string[];
    /** The grantee: the app role for every grant the program declares. */
    readonly role: string;
    /** WITH GRANT OPTION (false when absent): the grantee could pass the privileges on. */
    readonly withGrantOption: boolean;
    /** Column names of a column-level grant; empty otherwise. */
    readonly columns: readonly string[];
}

/**
 * A declared resource the model does not describe (a GrantRole, a Role, a
 * command without the shared scripts...), fingerprinted whole: it deploys
 * something no other field of the Deployment shows.
 */
export interface DeploymentExtra {
    readonly type: string;
    readonly name: string;
    /**
     * Its inputs (secrets in plain text, as the engine gives them to policies); only their digest enters the canonical
     * form.
     */
    readonly props: Readonly<Record<string, unknown>>;
    /** The digest of props, when only the digest is known (a sign-off's `extras`); wins over props. */
    readonly propsDigest?: string;
}

export interface Deployment {
    readonly app: string;
    readonly database: string;
    readonly role: string;
    readonly urlDelivery: UrlDelivery;
    readonly roleSeparation: boolean;
    readonly grants: readonly DeploymentGrant[];
    /** Resources outside the model; the program declares none. */
    readonly extras: readonly DeploymentExtra[];
}

export function deploymentFromPlan(settings: RaptorSettings, plan: GrantPlan): Deployment {
    const s = plan.schema;
    const to = { role: plan.role, withGrantOption: false, columns: [] };
    return {
        app: settings.app,
        database: settings.database,
        role: plan.role,
        urlDelivery: settings.urlDelivery,
        roleSeparation: settings.roleSeparation,
        grants: [
            { objectType: "schema", schema: s, objects: [], privileges: plan.schemaPrivileges, ...to },
            ...plan.tables.map((t) => ({
                objectType: "table",
                schema: s,
                objects: [t.table],
                privileges: t.privileges,
                ...to,
            })),
            { objectType: "sequence", schema: s, objects: [], privileges: plan.sequencePrivileges, ...to },
            { objectType: "default-sequence", schema: s, objects: [], privileges: plan.sequencePrivileges, ...to },
        ],
        extras: [],
    };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * JSON with object keys sorted at every level (array order kept) and keys whose
 * value is null or undefined left out (the engine and the mocks disagree on
 * absent outputs): equal values, equal text.
 */
export function canonicalJson(v: unknown): string {
    const sortKeys = (x: unknown): unknown => {
        if (Array.isArray(x)) {
            return x.map(sortKeys);
        }
        if (x !== null && typeof x === "object") {
            const o = x as Record<string, unknown>;
            return Object.fromEntries(
                Object.keys(o)
                    .sort(byString)
                    .filter((k) => o[k] !== undefined && o[k] !== null)
                    .map((k) => [k, sortKeys(o[k])]),
            );
        }
        return x;
    };
    return JSON.stringify(sortKeys(v)) ?? "null";
}

const sha256 = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** One grant as the canonical form holds it: equal grants, equal text, whatever the order of their lists. */
export function canonicalGrant(g: DeploymentGrant): string {
    return JSON.stringify({
        objectType: g.objectType,
        schema: g.schema,
        objects: [...g.objects].sort(byString),
        privileges: [...g.privileges].map((p) => p.toUpperCase()).sort(byString),
        role: g.role,
        withGrantOption: g.withGrantOption,
        columns: [...g.columns].sort(byString),
    });
}

/** One extra as the canonical form holds it: type, name and the digest of its props (never the props themselves). */
export function canonicalExtra(e: DeploymentExtra): { type: string; name: string; props: string } {
    return { type: e.type, name: e.name, props: e.propsDigest ?? sha256(canonicalJson(e.props)) };
}

/** Key order, grant order and privilege order never change the fingerprint. */
export function canonicalDeployment(d: Deployment): string {
    const grants = d.grants
        .map(canonicalGrant)
        .sort(byString)
        .map((g) => JSON.parse(g) as unknown);
    return JSON.stringify({
        app: d.app,
        database: d.database,
        role: d.role,
        urlDelivery: d.urlDelivery,
        roleSeparation: d.roleSeparation,
        grants,
        // A digest per resource, so the canonical text never carries a secret input in plain text.
        extras: d.extras.map(canonicalExtra).sort((a, b) => byString(JSON.stringify(a), JSON.stringify(b))),
    });
}

/** `sha256:<hex>` of the canonical description. */
export function fingerprint(d: Deployment): string {
    return sha256(canonicalDeployment(d));
}

/**
 * What a deployment does, as one canonical value, and its fingerprint.
 *
 * The program computes the description from its settings and plan; the policy
 * pack and `raptor-roles plan` recompute it from the resources actually
 * declared. An operator's prod sign-off carries the fingerprint, so an
 * approval for one change cannot cover another.
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
}

export interface Deployment {
    readonly app: string;
    readonly database: string;
    readonly role: string;
    readonly urlDelivery: UrlDelivery;
    readonly roleSeparation: boolean;
    readonly grants: readonly DeploymentGrant[];
}

export function deploymentFromPlan(settings: RaptorSettings, plan: GrantPlan): Deployment {
    const s = plan.schema;
    return {
        app: settings.app,
        database: settings.database,
        role: plan.role,
        urlDelivery: settings.urlDelivery,
        roleSeparation: settings.roleSeparation,
        grants: [
            { objectType: "schema", schema: s, objects: [], privileges: plan.schemaPrivileges },
            ...plan.tables.map((t) => ({ objectType: "table", schema: s, objects: [t.table], privileges: t.privileges })),
            { objectType: "sequence", schema: s, objects: [], privileges: plan.sequencePrivileges },
            { objectType: "default-sequence", schema: s, objects: [], privileges: plan.sequencePrivileges },
        ],
    };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Key order, grant order and privilege order never change the fingerprint. */
export function canonicalDeployment(d: Deployment): string {
    const grants = d.grants
        .map((g) => ({
            objectType: g.objectType,
            schema: g.schema,
            objects: [...g.objects].sort(byString),
            privileges: [...g.privileges].map((p) => p.toUpperCase()).sort(byString),
        }))
        .sort((a, b) => byString(JSON.stringify(a), JSON.stringify(b)));
    return JSON.stringify({
        app: d.app,
        database: d.database,
        role: d.role,
        urlDelivery: d.urlDelivery,
        roleSeparation: d.roleSeparation,
        grants,
    });
}

/** `sha256:<hex>` of the canonical description. */
export function fingerprint(d: Deployment): string {
    return `sha256:${createHash("sha256").update(canonicalDeployment(d)).digest("hex")}`;
}

/**
 * Reads a Deployment back out of declared resources (type + input props), the
 * way the policy pack and the offline plan see them. Knows the resource types
 * and the RAPTOR_STEP marker every command resource carries.
 */
import { Deployment, DeploymentGrant } from "./deployment";
import { UrlDelivery } from "./settings";

export const TYPES = {
    command: "command:local:Command",
    grant: "postgresql:index/grant:Grant",
    defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
    postgresProvider: "pulumi:providers:postgresql",
    stackReference: "pulumi:pulumi:StackReference",
} as const;

/** The value of `environment.RAPTOR_STEP` on each command resource. */
export type Step = "credential" | "attachment" | "credential-url" | "config-var" | "flag";

export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Readonly<Record<string, unknown>>;
}

export function stepOf(r: DeclaredResource): Step | undefined {
    if (r.type !== TYPES.command) {
        return undefined;
    }
    const env = r.props["environment"] as Record<string, unknown> | undefined;
    const step = env?.["RAPTOR_STEP"];
    return typeof step === "string" ? (step as Step) : undefined;
}

export function envOf(r: DeclaredResource): Readonly<Record<string, unknown>> {
    return (r.props["environment"] as Record<string, unknown> | undefined) ?? {};
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * Rebuilds the deployment from resources. Returns the problems instead of a
 * deployment when the set is not a complete Raptor deployment (no credential,
 * no flag, two of a kind), so a policy can say what is missing.
 */
export function deploymentFromResources(
    resources: readonly DeclaredResource[],
): { deployment: Deployment; problems: [] } | { deployment: undefined; problems: string[] } {
    const problems: string[] = [];
    const one = (step: Step): DeclaredResource | undefined => {
        const found = resources.filter((r) => stepOf(r) === step);
        if (found.length > 1) {
            problems.push(`${found.length} command resources carry RAPTOR_STEP=${step}; expected one`);
        }
        return found[0];
    };
    const credential = one("credential");
    const flag = one("flag");
    const attachment = one("attachment");
    const configVar = one("config-var");
    if (!credential) {
        problems.push("no credential command resource (RAPTOR_STEP=credential) is declared");
    }
    if (!flag) {
        problems.push("no flag command resource (RAPTOR_STEP=flag) is declared");
    }
    let urlDelivery: UrlDelivery | undefined;
    if (attachment && configVar) {
        problems.push("both attachment and config-var URL delivery are declared; exactly one is expected");
    } else if (attachment) {
        urlDelivery = "attachment";
    } else if (configVar) {
        urlDelivery = "config-var";
    } else {
        problems.push("no URL delivery resource (attachment or config-var) is declared");
    }

    const grants: DeploymentGrant[] = [];
    for (const r of resources) {
        if (r.type === TYPES.grant) {
            grants.push({
                objectType: str(r.props["objectType"]),
                schema: str(r.props["schema"]),
                objects: strs(r.props["objects"]),
                privileges: strs(r.props["privileges"]),
            });
        } else if (r.type === TYPES.defaultPrivileges) {
            grants.push({
                objectType: `default-${str(r.props["objectType"])}`,
                schema: str(r.props["schema"]),
                objects: [],
                privileges: strs(r.props["privileges"]),
            });
        }
    }

    if (problems.length > 0 || !credential || !flag || !urlDelivery) {
        return { deployment: undefined, problems };
    }
    const cred = envOf(credential);
    return {
        deployment: {
            app: str(cred["APP"]),
            database: str(cred["DATABASE"]),
            role: str(cred["ROLE"]),
            urlDelivery,
            roleSeparation: str(envOf(flag)["FLAG_VALUE"]) === "1",
            grants,
        },
        problems: [],
    };
}

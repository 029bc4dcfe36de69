/**
 * Reads a Deployment back out of declared resources (type + props), the way
 * the policy pack and the offline plan see them. Knows the resource types,
 * the RAPTOR_STEP marker every command resource of the program carries, and
 * the shared scripts each step runs.
 */
import { Deployment, DeploymentExtra, DeploymentGrant } from "./deployment";
import {
    BASH,
    CONFIG_VAR_SET,
    CONFIG_VAR_UNSET,
    CREDENTIAL_DELETE,
    FAMILY_SCRIPTS,
    FLAG_DELETE,
    FLAG_SET,
} from "./heroku-scripts";
import { UrlDelivery } from "./settings";

export const TYPES = {
    command: "command:local:Command",
    grant: "postgresql:index/grant:Grant",
    defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
    grantRole: "postgresql:index/grantRole:GrantRole",
    role: "postgresql:index/role:Role",
    postgresProvider: "pulumi:providers:postgresql",
    stackReference: "pulumi:pulumi:StackReference",
    stack: "pulumi:pulumi:Stack",
} as const;

/** The value of `environment.RAPTOR_STEP` on each command resource. */
export type Step = "credential" | "attachment" | "credential-url" | "config-var" | "flag";

export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Readonly<Record<string, unknown>>;
}

export const str = (v: unknown): string => (typeof v === "string" ? v : "");
export const strs = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

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

type StepScripts = { create: string; update?: string; delete?: string };

/**
 * The scripts each step's component runs (core/heroku-scripts.ts), one set per command family (classic
 * `pg:credentials`/`addons:attach`, Advanced `data:pg:*`); absent means the step has none.
 */
const STEP_SCRIPTS: Readonly<Record<Step, readonly StepScripts[]>> = {
    credential: Object.values(FAMILY_SCRIPTS).map((f) => ({
        create: f.credentialCreate,
        update: f.credentialCreate,
        delete: CREDENTIAL_DELETE,
    })),
    attachment: Object.values(FAMILY_SCRIPTS).map((f) => ({ create: f.attachmentCreate, delete: f.attachmentDelete })),
    "credential-url": Object.values(FAMILY_SCRIPTS).map((f) => ({ create: f.credentialUrlRead })),
    "config-var": [{ create: CONFIG_VAR_SET, update: CONFIG_VAR_SET, delete: CONFIG_VAR_UNSET }],
    flag: [{ create: FLAG_SET, update: FLAG_SET, delete: FLAG_DELETE }],
};

/** Inputs a command runs besides its scripts: with any of them set, it is no longer the shared step. */
const COMMAND_RUNS = ["dir", "stdin", "assetPaths", "archivePaths"] as const;

const absent = (v: unknown) => v === undefined || v === null || v === "";

/**
 * True for a command that is one of the program's five steps as its component
 * declares it: a RAPTOR_STEP marker AND the shared bash interpreter and
 * scripts of that step. A command with the marker but other scripts is the
 * step (its environment still says app, role...) and also an extra, so what
 * it really runs is in the fingerprint.
 */
export function isSharedStep(r: DeclaredResource): boolean {
    const step = stepOf(r);
    const variants = step !== undefined ? STEP_SCRIPTS[step] : undefined;
    if (variants === undefined) {
        return false;
    }
    const p = r.props;
    const same = (scripts: StepScripts, key: "create" | "update" | "delete") =>
        scripts[key] === undefined ? absent(p[key]) : p[key] === scripts[key];
    return (
        JSON.stringify(p["interpreter"]) === JSON.stringify(BASH) &&
        variants.some((v) => same(v, "create") && same(v, "update") && same(v, "delete")) &&
        COMMAND_RUNS.every((k) => absent(p[k]) || (Array.isArray(p[k]) && (p[k] as unknown[]).length === 0))
    );
}

/**
 * Outputs the engine adds to a resource's props, which are not what is deployed (a command's stdout is only known after
 * it ran).
 */
const OUTPUTS_ONLY: Readonly<Record<string, readonly string[]>> = {
    [TYPES.command]: ["stdout", "stderr", "assets", "archive"],
};

/**
 * True for what the Deployment describes, or what deploys nothing by itself:
 * the shared step commands, Grants, DefaultPrivileges, providers (the
 * explicit postgresql one and the engine's default ones, which a program run
 * under mocks never shows), StackReferences (reads), the program's `raptor:*`
 * components and the stack. Everything else is an extra.
 */
export function isModeled(r: DeclaredResource): boolean {
    return (
        isSharedStep(r) ||
        r.type === TYPES.grant ||
        r.type === TYPES.defaultPrivileges ||
        r.type.startsWith("pulumi:providers:") ||
        r.type === TYPES.stackReference ||
        r.type === TYPES.stack ||
        r.type.startsWith("raptor:")
    );
}

/**
 * A resource outside the model, with its props as deployed: engine-added outputs, the provider-assigned `id` (a
 * bridged resource's outputs carry it, unknown at preview) and a command's default addPreviousOutputInEnv left out.
 */
export function extraOf(r: DeclaredResource): DeploymentExtra {
    const drop = [...(OUTPUTS_ONLY[r.type] ?? []), "id"];
    const props = Object.entries(r.props).filter(
        ([k, v]) => !drop.includes(k) && !(r.type === TYPES.command && k === "addPreviousOutputInEnv" && v === true),
    );
    return { type: r.type, name: r.name, props: Object.fromEntries(props) };
}

/** The inputs of a Grant or DefaultPrivileges the deployment reads. */
export const GRANT_FIELDS = [
    "objectType",
    "schema",
    "objects",
    "privileges",
    "role",
    "withGrantOption",
    "columns",
] as const;
/** The environment keys of each shared step the deployment (or the per-step sign-off check) reads. */
export const STEP_ENV: Readonly<Record<Step, readonly string[]>> = {
    credential: ["APP", "DATABASE", "ROLE"],
    attachment: ["APP"],
    "credential-url": ["APP"],
    "config-var": ["APP"],
    flag: ["APP", "FLAG_VALUE"],
};

/**
 * The props of `r` (dotted paths) that its part of the fingerprint depends on:
 * an unknown among them at preview means the fingerprint cannot be computed.
 * A command's outputs and a resource's `id` never count.
 */
export function fingerprintReads(r: DeclaredResource): string[] {
    if (r.type === TYPES.grant || r.type === TYPES.defaultPrivileges) {
        return [...GRANT_FIELDS];
    }
    if (r.type === TYPES.command) {
        const shape = ["environment.RAPTOR_STEP", "interpreter", "create", "update", "delete", ...COMMAND_RUNS];
        const step = stepOf(r);
        if (isSharedStep(r) && step !== undefined) {
            return [...shape, ...STEP_ENV[step].map((k) => `environment.${k}`)];
        }
        return [...new Set([...shape, ...Object.keys(extraOf(r).props)])];
    }
    return isModeled(r) ? [] : Object.keys(extraOf(r).props);
}

/** The grant a Grant or DefaultPrivileges resource gives, as the deployment records it. */
export function grantOf(r: DeclaredResource): DeploymentGrant {
    const p = r.props;
    const common = {
        schema: str(p["schema"]),
        privileges: strs(p["privileges"]),
        role: str(p["role"]),
        withGrantOption: p["withGrantOption"] === true,
    };
    return r.type === TYPES.defaultPrivileges
        ? { objectType: `default-${str(p["objectType"])}`, objects: [], columns: [], ...common }
        : { objectType: str(p["objectType"]), objects: strs(p["objects"]), columns: strs(p["columns"]), ...common };
}

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
    one("credential-url");
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

    const grants = resources.filter((r) => r.type === TYPES.grant || r.type === TYPES.defaultPrivileges).map(grantOf);
    const extras = resources.filter((r) => !isModeled(r)).map(extraOf);

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
            extras,
        },
        problems: [],
    };
}

/**
 * Runs the real program under mocks and the policy pack over what it
 * declares, for a stack, config and time; builds sign-offs and the
 * hand-made resources the blocked cases inject.
 */
import { canonicalExtra, fingerprint } from "../../core/deployment";
import { SignedFields, signoffMessage } from "../../core/signoff-message";
import { TYPES, deploymentFromResources } from "../../core/resources";
import {
    EvaluationContext,
    PackConfigFile,
    Violation,
    evaluatePolicies,
    loadPackConfigFile,
} from "../../offline/evaluate";
import { Recorded, Run, Scenario, UNKNOWN, runProgram } from "./mocks";
import { KeyName, publicKey, sshSign } from "./ssh-keys";
import { markSignerLine } from "./soak-evidence";

export const NOW = new Date("2026-11-24T12:00:00Z");
export const OPERATOR = "operator@raxx.app";
export const PROD_CONFIG: Record<string, string> = { app: "raxx-api-prod", soakStack: "organization/raptor/staging" };
export const STAGING_CONFIG: Record<string, string> = { app: "raxx-api-staging" };

export const hoursBefore = (h: number, now: Date = NOW) => new Date(now.getTime() - h * 3600 * 1000).toISOString();

/** Runs the program; fails loudly if it refused, since a refused program declares nothing to check. */
export async function declared(s: Scenario): Promise<Run> {
    const run = await runProgram(s);
    if (run.error) {
        throw run.error;
    }
    return run;
}

/** The fingerprint the policy recomputes from these resources. */
export function fingerprintOf(resources: readonly Recorded[]): string {
    const { deployment, problems } = deploymentFromResources(resources);
    if (!deployment) {
        throw new Error(`not a complete deployment: ${problems.join("; ")}`);
    }
    return fingerprint(deployment);
}

export function signoff(fp: string, over: Record<string, unknown> = {}, now: Date = NOW): Record<string, unknown> {
    return { operator: OPERATOR, ticket: "RM-10 #1568", approvedAt: hoursBefore(2, now), fingerprint: fp, ...over };
}

/** How a test sign-off is signed: with which key, in which namespace, over which fields (default: its own). */
export interface Signing {
    key?: KeyName;
    namespace?: string;
    over?: Partial<SignedFields>;
    /** No signature at all. */
    unsigned?: boolean;
}

/**
 * The sign-off `raptor-roles signoff` writes for these prod resources: their fingerprint, the extras (by
 * digest) if any, and the real ssh-keygen's signature over stack, app, fingerprint, ticket and approvedAt.
 */
export function signoffOf(
    resources: readonly Recorded[],
    over: Record<string, unknown> = {},
    now: Date = NOW,
    signing: Signing = {},
): Record<string, unknown> {
    const { deployment, problems } = deploymentFromResources(resources);
    if (!deployment) {
        throw new Error(`not a complete deployment: ${problems.join("; ")}`);
    }
    const extras = deployment.extras.map(canonicalExtra);
    const value = signoff(fingerprint(deployment), { ...(extras.length > 0 ? { extras } : {}), ...over }, now);
    if (signing.unsigned === true) {
        return value;
    }
    const fields: SignedFields = {
        stack: "prod",
        app: deployment.app,
        fingerprint: String(value.fingerprint),
        ticket: String(value.ticket),
        approvedAt: String(value.approvedAt),
        ...signing.over,
    };
    return { ...value, signature: sshSign(signing.key ?? "ed25519", signoffMessage(fields), signing.namespace) };
}

/** policy/config.json with the test operator's three keys as the allowed signers. */
export function testPackConfig(): PackConfigFile {
    const file = loadPackConfigFile() as Record<string, Record<string, unknown>>;
    const allowedSigners = (["ed25519", "ecdsa", "rsa"] as const).map((k) => `${OPERATOR} ${publicKey(k)} ${k}`);
    return {
        ...file,
        "prod-signoff": { ...file["prod-signoff"], allowedSigners },
        "soak-before-prod": { ...file["soak-before-prod"], markSigners: [markSignerLine()] },
    };
}

/** Evaluates with the committed policy/config.json (plus the test signers), at NOW, unless told otherwise. */
export function evaluate(
    resources: readonly Recorded[],
    stack: string,
    stackConfig: Record<string, unknown>,
    over: Partial<EvaluationContext> = {},
): Promise<Violation[]> {
    return evaluatePolicies(resources, { stack, stackConfig, policyConfig: testPackConfig(), now: NOW, ...over });
}

export const mandatory = (vs: readonly Violation[]) => vs.filter((v) => v.level === "mandatory");
export const from = (vs: readonly Violation[], policy: string) => vs.filter((v) => v.policy === policy);

/** A copy of `template` under another name with its props (and state) changed, as a program edit would declare it. */
export function variant(
    template: Recorded,
    name: string,
    props: Record<string, unknown>,
    opts: Record<string, unknown> = {},
): Recorded {
    const merged = { ...template.props, ...props };
    return {
        ...template,
        name,
        urn: template.urn.replace(/::[^:]+$/, `::${name}`),
        props: merged,
        state: { ...template.state, ...props },
        opts: { ...template.opts, ...opts },
    };
}

/** Replaces the resources matching `pick` with `change(resource)`. */
export function edit(
    resources: readonly Recorded[],
    pick: (r: Recorded) => boolean,
    change: (r: Recorded) => Recorded,
): Recorded[] {
    let hits = 0;
    const out = resources.map((r) => (pick(r) ? (hits++, change(r)) : r));
    if (hits === 0) {
        throw new Error("edit matched no resource");
    }
    return out;
}

export const tableGrant = (rs: readonly Recorded[], table: string) =>
    rs.find(
        (r) => r.type === TYPES.grant && r.props.objectType === "table" && (r.props.objects as string[])[0] === table,
    )!;
export const step = (rs: readonly Recorded[], s: string) =>
    rs.find((r) => r.type === TYPES.command && (r.props.environment as Record<string, unknown>).RAPTOR_STEP === s)!;

/**
 * A resource the program does not declare, as an edit to it would add one. A
 * command's state gains stdout and stderr, as under mocks and in the engine:
 * outputs the policy sees but the plan's fingerprint never did.
 */
export function added(
    stack: string,
    type: string,
    name: string,
    props: Record<string, unknown>,
    opts: Record<string, unknown> = {},
    preview = false,
): Recorded {
    const outputs = preview ? { stdout: UNKNOWN, stderr: UNKNOWN } : { stdout: "GRANT\n", stderr: "" };
    // A bridged resource's outputs carry its id, which the engine only knows after the create.
    const id = type.startsWith("postgresql:") ? { id: preview ? UNKNOWN : `${name}-id` } : {};
    const state = type === TYPES.command ? { ...props, ...outputs } : { ...props, ...id };
    return {
        type,
        name,
        urn: `urn:pulumi:${stack}::raptor::${type}::${name}`,
        props,
        secretPaths: [],
        state,
        rawProps: props,
        opts,
        custom: true,
    };
}

export const GRANT_ROLE = "postgresql:index/grantRole:GrantRole";
export const ROLE = "postgresql:index/role:Role";
/** What the reviewer's extra command ran. */
export const PSQL_GRANT_UPDATE = `psql "$OWNER_DSN" -c 'GRANT UPDATE ON customer_audit_events TO raptor_app'`;

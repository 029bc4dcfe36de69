/**
 * Runs the pack without an engine: every declared resource through every
 * resource policy, the whole set through every stack policy, with arguments
 * shaped as @pulumi/policy 1.21 builds them. Used by the tests and by
 * `raptor-roles plan`.
 */
import type {
    EnforcementLevel, Policies, Policy, PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidationArgs,
    ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { DeclaredResource } from "../core/resources";
import { StackContext, StackContextProvider } from "./context";
import { DEFAULT_POLICY_CONFIG, PolicyConfig } from "./pack-config";
import { PACK_ENFORCEMENT, createPolicies } from "./policies";
import { SecretAware } from "./secrets";

export type { PolicyConfig } from "./pack-config";
export { DEFAULT_POLICY_CONFIG, loadPackConfig, packConfigFromFile } from "./pack-config";

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    /** The resource's URN; for a stack policy that names no resource, the stack's (`stackUrn`). */
    urn: string;
}

export interface EvaluationContext {
    stack: string;
    /** `raptor:*` keys WITHOUT the prefix; signoff may be an object or a JSON string. */
    stackConfig: Record<string, unknown>;
    policyConfig?: Partial<PolicyConfig>;
    now?: Date;
}

/** A declared resource as `runProgram` records it (its `Recorded` fits). */
export interface EvaluatedResource extends DeclaredResource {
    /** Outputs, which a stack policy sees; the inputs stand in when absent or empty. */
    readonly state?: Readonly<Record<string, unknown>>;
    /** Input paths that were secret. */
    readonly secretPaths?: readonly string[];
    readonly parentUrn?: string;
    readonly opts?: {
        readonly protect?: boolean;
        readonly retainOnDelete?: boolean;
        readonly additionalSecretOutputs?: readonly string[];
        readonly deleteBeforeReplace?: boolean;
        readonly ignoreChanges?: readonly string[];
    };
}

class NotApplicable extends Error {}

/**
 * The URN of the stack resource itself (project raptor, as Pulumi.yaml names
 * it): where a stack policy's violation points when it names no resource,
 * so every violation carries a URN.
 */
export const stackUrn = (stack: string, project = "raptor") => `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;

const isStackPolicy = (p: Policy): p is StackValidationPolicy => "validateStack" in p;

/** Options as the engine sends them, plus retainOnDelete, which only the offline caller can see. */
function optionsOf(r: EvaluatedResource): PolicyResourceOptions & { retainOnDelete: boolean } {
    const o = r.opts ?? {};
    return {
        protect: o.protect === true,
        retainOnDelete: o.retainOnDelete === true,
        ignoreChanges: [...(o.ignoreChanges ?? [])],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(o.additionalSecretOutputs ?? [])],
        ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
        ...(r.parentUrn !== undefined ? { parent: r.parentUrn } : {}),
    };
}

const typeChecks = (type: string, props: Record<string, unknown>) => ({
    isType: (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type,
    asType: (cls: unknown) => ((cls as { __pulumiType?: string }).__pulumiType === type ? props : undefined),
});

const outputsOf = (r: EvaluatedResource) => (r.state && Object.keys(r.state).length > 0 ? r.state : r.props);

function stackResources(resources: readonly EvaluatedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const out = resources.map((r) => {
        const props = { ...outputsOf(r) };
        const pr = {
            type: r.type, props, urn: r.urn, name: r.name, opts: optionsOf(r),
            dependencies: [], propertyDependencies: {}, ...typeChecks(r.type, props),
        } as unknown as PolicyResource;
        byUrn.set(r.urn, pr);
        return pr;
    });
    resources.forEach((r, i) => {
        const parent = r.parentUrn !== undefined ? byUrn.get(r.parentUrn) : undefined;
        if (parent) {
            out[i].parent = parent;
        }
    });
    return out;
}

/** Every Raptor policy over `resources`; resolves to the violations, in policy order. */
export function evaluatePolicies(resources: readonly EvaluatedResource[], ctx: EvaluationContext): Promise<Violation[]> {
    return runPolicies(createPolicies, resources, ctx);
}

/** The same, for the policies `make` builds around the context (tests run one policy, or a probe). */
export async function runPolicies(
    make: (context: StackContextProvider) => Policies,
    resources: readonly EvaluatedResource[],
    ctx: EvaluationContext,
): Promise<Violation[]> {
    const stackContext: StackContext = { stack: ctx.stack, config: (key) => ctx.stackConfig[key], now: ctx.now ?? new Date() };
    const config: PolicyConfig = { ...DEFAULT_POLICY_CONFIG, ...(ctx.policyConfig ?? {}) };
    const violations: Violation[] = [];
    const common = {
        stackTags: new Map<string, string>() as ReadonlyMap<string, string>,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };

    for (const policy of make(() => stackContext)) {
        const declared = policy.enforcementLevel ?? PACK_ENFORCEMENT;
        if (declared === "disabled") {
            continue;
        }
        // As the engine does: a violation that remains under "remediate" is reported as mandatory.
        const level: EnforcementLevel = declared === "remediate" ? "mandatory" : declared;
        const keys = Object.keys(policy.configSchema?.properties ?? {}) as (keyof PolicyConfig)[];
        const getConfig = <T extends object>() => Object.fromEntries(keys.map((k) => [k, config[k]])) as T;
        const run = async (urn: string, validate: () => Promise<void> | void) => {
            try {
                await validate();
            } catch (e) {
                if (!(e instanceof NotApplicable)) {
                    // The engine fails the deployment; offline, that is a blocking verdict naming the error.
                    violations.push({ policy: policy.name, level: "mandatory", message: `policy failed: ${String(e)}`, urn });
                }
            }
        };

        if (isStackPolicy(policy)) {
            const own = stackUrn(ctx.stack);
            const report: ReportViolation = (message, urn) =>
                violations.push({ policy: policy.name, level, message, urn: urn !== undefined && urn !== "" ? urn : own });
            const args: StackValidationArgs = { resources: stackResources(resources), getConfig, ...common };
            await run(own, () => policy.validateStack(args, report));
            continue;
        }
        const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
        for (const r of resources) {
            const props = { ...r.props };
            const args: ResourceValidationArgs & SecretAware = {
                type: r.type, props, urn: r.urn, name: r.name, opts: optionsOf(r), getConfig, ...common,
                ...typeChecks(r.type, props),
                ...(r.secretPaths !== undefined ? { secretPaths: r.secretPaths } : {}),
            } as ResourceValidationArgs & SecretAware;
            const report: ReportViolation = (message) => violations.push({ policy: policy.name, level, message, urn: r.urn });
            for (const validate of validations) {
                await run(r.urn, () => validate(args, report));
            }
        }
    }
    return violations;
}

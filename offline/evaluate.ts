/**
 * Runs the pack without an engine, with arguments built as the engine and
 * @pulumi/policy 1.21 build them, so the verdicts equal `run-policy-pack`'s
 * (test/policy/grpc.test.ts holds them equal, scenario by scenario):
 * - props travel as the engine marshals them (KeepUnknowns, KeepSecrets:
 *   pulumi v3.248 sdk/go/common/resource/plugin/analyzer_plugin.go), through
 *   the pack's own deserializer (secrets unwrapped) and unknown-checking proxy;
 * - a policy that throws UnknownValueError is reported ADVISORY with the
 *   server's own message, as @pulumi/policy server.ts does;
 * - each policy gets its own reconciled config section (offline/pack-config.ts);
 * - every resource is analyzed on its inputs (validateResource, before its
 *   step; never a read, which GenerateReadSteps does not analyze), then the
 *   whole stack on its outputs (validateStack) as the engine builds them:
 *   only the resources it manages (`deployment.news`), never a read such as
 *   a StackReference (`deployment.reads`), plus the
 *   `pulumi:pulumi:Stack` resource with the program's exports (pulumi v3.248
 *   pkg/resource/deploy/step_executor.go, step_generator.go AnalyzeResources).
 * Used by the tests and by `raptor-roles plan`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type {
    EnforcementLevel,
    Policies,
    Policy,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as deserializeModule from "@pulumi/policy/deserialize";
import * as proxyModule from "@pulumi/policy/proxy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { DeclaredResource, TYPES } from "../core/resources";
import { StackContext, StackContextProvider } from "../policy/context";
import { PACK_ENFORCEMENT, PACK_NAME, createPolicies } from "../policy/policies";
import { SecretAware } from "../policy/secrets";
import { PackConfigFile, reconcilePackConfig } from "./pack-config";

export { loadPackConfigFile, reconcilePackConfig } from "./pack-config";
export type { PackConfigFile } from "./pack-config";

// The pack's own modules; their published typings strip these @internal exports.
const { deserializeProperties } = deserializeModule as unknown as {
    deserializeProperties(s: Struct, proxySecrets: boolean): Record<string, unknown>;
};
const { unknownCheckingProxy, UnknownValueError } = proxyModule as unknown as {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    /** The resource's URN; for a stack policy that names no resource, the stack's (`stackUrn`). */
    urn: string;
    /** `resource`: validateResource, before the resource's step; `stack`: validateStack, after all steps. */
    phase: "resource" | "stack";
}

export interface EvaluationContext {
    stack: string;
    /** `raptor:*` values WITHOUT the prefix, as the stack's config holds them (a --path object may be an object). */
    stackConfig: Record<string, unknown>;
    /** The `--policy-pack-config` file; none: every policy runs on its configSchema defaults. */
    policyConfig?: PackConfigFile;
    now?: Date;
    /** The program's exports (`Run.outputs`), which the stack phase sees on the Stack resource; none: `{}`. */
    stackOutputs?: Readonly<Record<string, unknown>>;
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

/** The URN of the stack resource itself, where a stack violation naming no resource points. */
export const stackUrn = (stack: string, project = "raptor") =>
    `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;

const PACK_VERSION = (
    JSON.parse(readFileSync(join(__dirname, "..", "policy", "package.json"), "utf8")) as { version: string }
).version;
const SECRET_SIG = { key: "4dabf18193072939515e22adb298388d", value: "1b47061264138c4ac30d75fd1eb44270" };

/** Props as the engine puts them on the wire: secrets kept as secret objects, unknowns as their sentinels. */
export function wireProperties(props: Readonly<Record<string, unknown>>, secretPaths: readonly string[] = []): Struct {
    const copy = JSON.parse(JSON.stringify(props ?? {})) as Record<string, unknown>;
    for (const path of secretPaths) {
        const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
        let parent: Record<string, unknown> | undefined = copy;
        for (const k of keys.slice(0, -1)) {
            parent = parent?.[k] as Record<string, unknown> | undefined;
        }
        const last = keys[keys.length - 1];
        if (parent !== undefined && last !== undefined && parent[last] !== undefined) {
            parent[last] = { [SECRET_SIG.key]: SECRET_SIG.value, value: parent[last] };
        }
    }
    return Struct.fromJavaScript(copy as never);
}

/** Props as @pulumi/policy deserializes them off the wire (secrets unwrapped), before its proxy. */
const deserialized = (props: Readonly<Record<string, unknown>>, secretPaths?: readonly string[]) =>
    deserializeProperties(wireProperties(props, secretPaths), false);

/** What a policy receives: the deserialized props behind @pulumi/policy's unknown-checking proxy. */
const received = (props: Readonly<Record<string, unknown>>, secretPaths?: readonly string[]) =>
    unknownCheckingProxy(deserialized(props, secretPaths));

/** Options exactly as the engine sends them: no retainOnDelete (pulumi v3.248 AnalyzerResourceOptions). */
function optionsOf(r: EvaluatedResource): PolicyResourceOptions {
    const o = r.opts ?? {};
    return {
        protect: o.protect === true,
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

/** What the engine keeps in `deployment.news`: what it reads (a StackReference, a `.get`) goes to `reads`. */
const isRead = (r: EvaluatedResource) => r.type === TYPES.stackReference;

/** AnalyzeStack's resources: the managed ones, and the Stack resource carrying the exports. */
function stackPhaseResources(
    resources: readonly EvaluatedResource[],
    stack: string,
    outputs: Readonly<Record<string, unknown>> = {},
): EvaluatedResource[] {
    const urn = stackUrn(stack);
    const root: EvaluatedResource = { type: TYPES.stack, name: urn.split("::").pop()!, urn, props: {}, state: outputs };
    return [root, ...resources.filter((r) => !isRead(r))];
}

function stackResources(resources: readonly EvaluatedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const out = resources.map((r) => {
        const props = received(outputsOf(r), r.secretPaths);
        const pr = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r),
            dependencies: [],
            propertyDependencies: {},
            ...typeChecks(r.type, props),
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

/** Config values as PULUMI_CONFIG carries them to the pack: strings, a --path object as its JSON text. */
export const asRuntimeConfig = (v: unknown): string | undefined =>
    v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);

/** Every Raptor policy over `resources`; resolves to the violations, resource phase first, then the stack's. */
export function evaluatePolicies(
    resources: readonly EvaluatedResource[],
    ctx: EvaluationContext,
): Promise<Violation[]> {
    return runPolicies(createPolicies, resources, ctx);
}

const isStackPolicy = (p: Policy): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function";
const resourceValidations = (p: Policy) => [(p as ResourceValidationPolicy).validateResource ?? []].flat();

/** The same, for the policies `make` builds around the context (tests run one policy, or a probe). */
export async function runPolicies(
    make: (context: StackContextProvider) => Policies,
    resources: readonly EvaluatedResource[],
    ctx: EvaluationContext,
): Promise<Violation[]> {
    const stackContext: StackContext = {
        stack: ctx.stack,
        config: (key) => asRuntimeConfig(ctx.stackConfig[key]),
        now: ctx.now ?? new Date(),
    };
    const policies = make(() => stackContext);
    const reconciled = reconcilePackConfig(policies, ctx.policyConfig ?? {});
    const violations: Violation[] = [];
    const common = {
        stackTags: new Map<string, string>() as ReadonlyMap<string, string>,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    const levelOf = (p: Policy): EnforcementLevel => {
        const level = reconciled[p.name]?.enforcementLevel ?? p.enforcementLevel ?? PACK_ENFORCEMENT;
        // As the server does: a violation that remains under "remediate" is reported as mandatory.
        return level === "remediate" ? "mandatory" : level;
    };
    const getConfigOf =
        (p: Policy) =>
        <T extends object>() =>
            ({ ...(reconciled[p.name]?.properties ?? {}) }) as T;
    const run = async (p: Policy, urn: string, phase: Violation["phase"], validate: () => Promise<void> | void) => {
        try {
            await validate();
        } catch (e) {
            if (e instanceof UnknownValueError) {
                const message =
                    `can't run policy '${p.name}' from policy pack '${PACK_NAME}@v${PACK_VERSION}' during preview: ` +
                    (e as Error).message;
                violations.push({ policy: p.name, level: "advisory", message, urn, phase });
            } else if (!(e instanceof NotApplicable)) {
                // The engine fails the deployment; offline, that is a blocking verdict naming the error.
                violations.push({
                    policy: p.name,
                    level: "mandatory",
                    message: `policy failed: ${String(e)}`,
                    urn,
                    phase,
                });
            }
        }
    };

    // GenerateReadSteps (step_generator.go) analyzes nothing: a read reaches no resource policy either.
    for (const r of resources.filter((x) => !isRead(x))) {
        // The engine deserializes once per policy; no policy writes to its props, so one copy serves them all
        // (the wire round trip is most of the offline cost), each behind a proxy of its own.
        const plain = deserialized(r.props, r.secretPaths);
        for (const p of policies) {
            if (levelOf(p) === "disabled") {
                continue;
            }
            for (const validate of resourceValidations(p)) {
                const props = unknownCheckingProxy(plain);
                const args = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: optionsOf(r),
                    getConfig: getConfigOf(p),
                    ...common,
                    ...typeChecks(r.type, props),
                    ...(r.secretPaths !== undefined ? { secretPaths: r.secretPaths } : {}),
                } as ResourceValidationArgs & SecretAware;
                const report: ReportViolation = (message) =>
                    violations.push({ policy: p.name, level: levelOf(p), message, urn: r.urn, phase: "resource" });
                await run(p, r.urn, "resource", () => validate(args, report));
            }
        }
    }
    const own = stackUrn(ctx.stack);
    const managed = stackPhaseResources(resources, ctx.stack, ctx.stackOutputs);
    for (const p of policies) {
        if (levelOf(p) === "disabled" || !isStackPolicy(p)) {
            continue;
        }
        const report: ReportViolation = (message, urn) =>
            violations.push({
                policy: p.name,
                level: levelOf(p),
                message,
                urn: urn !== undefined && urn !== "" ? urn : own,
                phase: "stack",
            });
        const args: StackValidationArgs = {
            resources: stackResources(managed),
            getConfig: getConfigOf(p),
            ...common,
        };
        await run(p, own, "stack", () => p.validateStack(args, report));
    }
    return violations;
}

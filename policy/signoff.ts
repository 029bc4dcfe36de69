/**
 * Prod sign-off: an allowed operator's approval of exactly the change being
 * deployed, bound to it by the deployment fingerprint.
 *
 * Two layers, one policy (so one config section):
 * - validateResource runs before EACH step, in preview and in the update,
 *   with or without --skip-preview: every prod resource that can change
 *   Heroku or the database must be part of the signed change, which is the
 *   deployment the program plans from this stack's config plus the extras
 *   the sign-off lists.
 * - validateStack runs once over every resource (after the preview, or after
 *   the steps with --skip-preview): the complete check, the fingerprint
 *   recomputed from all declared resources.
 */
import type {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { Deployment, canonicalExtra, canonicalGrant, fingerprint } from "./core/deployment";
import {
    DeclaredResource,
    STEP_ENV,
    TYPES,
    deploymentFromResources,
    envOf,
    extraOf,
    fingerprintReads,
    grantOf,
    isSharedStep,
    stepOf,
} from "./core/resources";
import { StackContext, StackContextProvider, prodReason, pulumiStackContext } from "./context";
import { configOf } from "./pack-config";
import { plannedDeployment, withExtras } from "./planned";
import { PropsView, cannotDecide } from "./props";
import { HOW_TO_SIGN_OFF } from "./signoff-value";
import { SIGNOFF_CONFIG_KEYS, SignoffConfig, Verdict, checkedSignoff } from "./signoff-check";

export { HOW_TO_SIGN_OFF, parseSignoff } from "./signoff-value";
export type { Signoff } from "./signoff-value";

/**
 * What in the deployment the program itself never declares, so the operator
 * reading a mismatch sees why: resources outside the model, and grants to
 * another role or with the grant option.
 */
export function unusual(d: Deployment): string {
    const parts: string[] = [];
    if (d.extras.length > 0) {
        const names = d.extras.map((e) => `${e.type} ${e.name}`).sort();
        parts.push(
            `${names.length} resource(s) outside the Raptor model, each covered by the fingerprint: ` +
                `${names.join(", ")}`,
        );
    }
    const odd = d.grants.filter((g) => g.role !== d.role || g.withGrantOption);
    if (odd.length > 0) {
        const shown = odd
            .slice(0, 5)
            .map(
                (g) =>
                    `${g.objectType} ${g.objects.join(",") || g.schema} to ${JSON.stringify(g.role)}` +
                    `${g.withGrantOption ? " WITH GRANT OPTION" : ""}`,
            );
        parts.push(
            `${odd.length} grant(s) to a role other than ${d.role} or with the grant option: ${shown.join("; ")}` +
                `${odd.length > 5 ? "; ..." : ""}`,
        );
    }
    return parts.length > 0 ? ` The resources being deployed include ${parts.join("; and ")}.` : "";
}

/** The signed state the deployment may run under: the one signed, or the same with the flag off (emergency stop). */
export function coveredBySignoff(d: Deployment, signed: string): "exact" | "emergency-stop" | undefined {
    if (fingerprint(d) === signed) {
        return "exact";
    }
    return !d.roleSeparation && fingerprint({ ...d, roleSeparation: true }) === signed ? "emergency-stop" : undefined;
}

/** Resources whose step can change Heroku or the database: all but reads, providers, components and the stack. */
export function changesHerokuOrDatabase(r: DeclaredResource): boolean {
    return !(
        r.type.startsWith("pulumi:providers:") ||
        r.type === TYPES.stackReference ||
        r.type === TYPES.stack ||
        r.type.startsWith("raptor:")
    );
}

const grantSets = new WeakMap<Deployment, Set<string>>();

/** Why one resource is not part of the planned deployment `d`, or undefined when it is. */
function notPlanned(r: DeclaredResource, d: Deployment): string | undefined {
    if (r.type === TYPES.grant || r.type === TYPES.defaultPrivileges) {
        const planned = grantSets.get(d) ?? new Set(d.grants.map(canonicalGrant));
        grantSets.set(d, planned);
        return planned.has(canonicalGrant(grantOf(r)))
            ? undefined
            : `it gives ${canonicalGrant(grantOf(r))}, which the signed change does not`;
    }
    const step = stepOf(r);
    if (step !== undefined && isSharedStep(r)) {
        const want: Record<string, string> = {
            APP: d.app,
            DATABASE: d.database,
            ROLE: d.role,
            FLAG_VALUE: d.roleSeparation ? "1" : "0",
        };
        const off = STEP_ENV[step]
            .filter((k) => envOf(r)[k] !== want[k])
            .map((k) => `${k}=${JSON.stringify(envOf(r)[k])} (signed: ${want[k]})`);
        if ((step === "attachment" || step === "config-var") && step !== d.urlDelivery) {
            off.push(`URL delivery ${step} (signed: ${d.urlDelivery})`);
        }
        return off.length > 0 ? `its step ${step} has ${off.join(", ")}` : undefined;
    }
    const e = canonicalExtra(extraOf(r));
    const signed = d.extras
        .map(canonicalExtra)
        .some((x) => x.type === e.type && x.name === e.name && x.props === e.props);
    return signed ? undefined : `it is outside the Raptor model and not among the sign-off's extras (props ${e.props})`;
}

type StepGate = { signed: Deployment } | { problem: string };

/** The change a verdict lets every step deploy: the plan plus the signed extras, if the sign-off covers it. */
function signedChange(verdict: Verdict, planned: Deployment): StepGate {
    if ("problem" in verdict) {
        return { problem: verdict.problem };
    }
    const signed = withExtras(planned, verdict.signoff.extras);
    const covered = coveredBySignoff(signed, verdict.signoff.fingerprint);
    if (covered === undefined) {
        return {
            problem:
                `the sign-off (${verdict.signoff.fingerprint}) is for another change; ` +
                `this stack's config plans ${fingerprint(signed)}. ${HOW_TO_SIGN_OFF}`,
        };
    }
    // The emergency stop deploys under any valid sign-off of the enabled state, however old.
    return covered === "exact" && verdict.stale !== undefined ? { problem: verdict.stale } : { signed };
}
/** Per planned deployment (the memo in planned.ts keeps it the same object), per sign-off, config and minute. */
const gates = new WeakMap<Deployment, Map<string, StepGate>>();

/**
 * What every step of this deployment is checked against: the signed change (the plan plus the sign-off's
 * extras), or why there is none. The same for every step, so computed once, not once per resource.
 */
function stepGate(ctx: StackContext, config: SignoffConfig, planned: Deployment): StepGate {
    const key = JSON.stringify([
        ctx.stack,
        ctx.config("signoff") ?? null,
        config,
        Math.floor(ctx.now.getTime() / 60_000),
    ]);
    const byKey = gates.get(planned) ?? new Map<string, StepGate>();
    gates.set(planned, byKey);
    let gate = byKey.get(key);
    if (gate === undefined) {
        gate = signedChange(checkedSignoff(ctx, config, planned.app, fingerprint(planned)), planned);
        byKey.set(key, gate);
    }
    return gate;
}

/** The per-step layer: one resource, before its step. */
function validateStep(args: ResourceValidationArgs, report: ReportViolation, ctx: StackContext): void {
    const view = new PropsView(args);
    const r = { type: args.type, name: args.name, urn: args.urn, props: view.plain };
    const why = changesHerokuOrDatabase(r) ? prodReason(ctx, [r]) : undefined;
    if (why === undefined) {
        return;
    }
    const unknown = unknownReads(view, fingerprintReads(r));
    if (unknown.length > 0) {
        report(`Prod (${why}): ${cannotDecide("the sign-off", r, unknown)}`);
        return;
    }
    const planned = plannedDeployment(ctx);
    if ("problem" in planned) {
        report(
            `Prod (${why}): this step cannot be checked against the sign-off: ` +
                `the stack config gives no plan (${planned.problem}).`,
        );
        return;
    }
    const gate = stepGate(ctx, configOf(args.getConfig<object>(), SIGNOFF_CONFIG_KEYS), planned.deployment);
    if ("problem" in gate) {
        // The stack check's own words, naming no resource (the URN does): the same verdict on every step and on
        // the stack is one message, which `raptor-roles plan` prints once with the resources counted.
        report(`Prod (${why}) ${gate.problem}`);
        return;
    }
    const signed = gate.signed;
    const off = notPlanned(r, signed);
    if (off !== undefined) {
        report(`Prod (${why}): this step is not part of the signed change: ${off}. ${HOW_TO_SIGN_OFF}`);
    }
}

/**
 * The unknowns among the values the fingerprint reads. None when it reads nothing: PropsView.unknown() with no
 * paths walks every prop, and the stack's outputs and components' registered outputs (e.g. the flag's enabledAt,
 * from a command's stdout) are unknown at preview under the real engine although the fingerprint ignores them.
 */
function unknownReads(view: PropsView, reads: string[]): string[] {
    return reads.length === 0 ? [] : view.unknown(...reads);
}

/** The complete layer: the fingerprint of every declared resource. */
function validateWhole(args: StackValidationArgs, report: ReportViolation, ctx: StackContext): void {
    const views = args.resources.map((r: PolicyResource) => new PropsView(r));
    const plain = args.resources.map((r, i) => ({ type: r.type, name: r.name, urn: r.urn, props: views[i].plain }));
    const why = prodReason(ctx, plain);
    if (why === undefined) {
        return;
    }
    let undecided = false;
    plain.forEach((r, i) => {
        const unknown = unknownReads(views[i], fingerprintReads(r));
        if (unknown.length > 0) {
            undecided = true;
            report(`Prod (${why}): ${cannotDecide("the sign-off's fingerprint", r, unknown)}`, r.urn);
        }
    });
    if (undecided) {
        return;
    }
    const recomputed = deploymentFromResources(plain);
    if (recomputed.deployment === undefined) {
        report(
            `Prod (${why}) sign-off cannot be checked: ` +
                "the fingerprint cannot be recomputed from the declared resources " +
                `(${recomputed.problems.join("; ")}). Required: the complete Raptor resource set program.ts declares.`,
        );
        return;
    }
    const d = recomputed.deployment;
    const current = fingerprint(d);
    const config = configOf(args.getConfig<object>(), SIGNOFF_CONFIG_KEYS);
    const verdict = checkedSignoff(ctx, config, d.app, current);
    if ("problem" in verdict) {
        report(`Prod (${why}) ${verdict.problem}${unusual(d)}`);
        return;
    }
    const s = verdict.signoff;
    const covered = coveredBySignoff(d, s.fingerprint);
    if (covered === "exact" && verdict.stale !== undefined) {
        report(`Prod (${why}) ${verdict.stale}`);
    }
    if (covered === undefined) {
        report(
            `Prod (${why}) sign-off is for another change: raptor:signoff.fingerprint is ${s.fingerprint} ` +
                `(ticket ${s.ticket}, ${s.operator}), but the resources being deployed have fingerprint ${current}.` +
                `${unusual(d)} Required: a sign-off of ` +
                `exactly this change (only turning the flag off may deviate). ${HOW_TO_SIGN_OFF}`,
        );
    }
}

export function prodSignoff(
    context: StackContextProvider = pulumiStackContext,
): ResourceValidationPolicy & StackValidationPolicy {
    return {
        name: "prod-signoff",
        description:
            "A prod deployment needs an allowed operator's SSH-signed sign-off of exactly this change, " +
            "checked before each step and for the whole stack.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                allowedSigners: {
                    type: "array",
                    items: { type: "string", minLength: 1 },
                    description:
                        "ssh-keygen allowed_signers lines (principal keytype base64-key): " +
                        "who may sign a prod sign-off.",
                    default: [],
                },
                requireSignature: {
                    type: "boolean",
                    description: "Refuse an unsigned sign-off; false only while migrating to signed sign-offs.",
                    default: true,
                },
                maxAgeHours: {
                    type: "number",
                    minimum: 1,
                    description: "A sign-off approved longer ago than this is refused.",
                    default: 168,
                },
                operators: {
                    type: "array",
                    items: { type: "string", minLength: 1 },
                    description: "Only with requireSignature false: operators an unsigned sign-off may name.",
                    default: [],
                },
            },
        },
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) =>
            validateStep(args, report, context()),
        validateStack: (args: StackValidationArgs, report: ReportViolation) => validateWhole(args, report, context()),
    };
}

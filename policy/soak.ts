/**
 * Soak before prod: prod may turn the flag on only after staging has run with
 * it on for `soakHours`, as staging's own `roleSeparationEnabledAt` export says.
 *
 * Where the evidence is: a StackReference is a read, and the engine never
 * shows reads to stack policies (pulumi v3.248 pkg/resource/deploy/
 * step_executor.go stores an OpRead step's state in `deployment.reads`, and
 * step_generator.go AnalyzeResources builds AnalyzeStack from
 * `deployment.news` only). The `pulumi:pulumi:Stack` resource is in `news`
 * with the stack's outputs, so program.ts re-exports the reference's value as
 * `soakStackEnabledAt` (read at preview, so known then too). A StackReference
 * to raptor:soakStack, if one is ever among the resources, still wins.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPES, envOf, stepOf } from "./core/resources";
import { configOf } from "./pack-config";
import { StackContextProvider, prodReason, pulumiStackContext } from "./context";
import { PropsView, cannotDecide } from "./props";
import { judgeSoak } from "./core/soak-gate";
import { markSignatureProblem } from "./soak-marks";

const HOUR_MS = 3600 * 1000;
const FIELD = "roleSeparationEnabledAt";
const EXPORT = "soakStackEnabledAt";

interface Viewed {
    type: string;
    urn: string;
    props: Readonly<Record<string, unknown>>;
}
type Evidence =
    | { found: true; value: unknown; unknownAt?: undefined }
    | { found: false; unknownAt?: { index: number; paths: string[] } };

/** Staging's roleSeparationEnabledAt: from a StackReference to soakStack if visible, else the stack's export. */
function soakEvidence(plain: readonly Viewed[], views: readonly PropsView[], soakStack: string): Evidence {
    const refAt = plain.findIndex((r) => r.type === TYPES.stackReference && r.props["name"] === soakStack);
    if (refAt >= 0) {
        const paths = views[refAt].unknown("outputs");
        if (paths.length > 0) {
            return { found: false, unknownAt: { index: refAt, paths } };
        }
        return { found: true, value: (plain[refAt].props["outputs"] as Record<string, unknown> | undefined)?.[FIELD] };
    }
    const stackAt = plain.findIndex((r) => r.type === TYPES.stack);
    if (stackAt < 0 || !(EXPORT in plain[stackAt].props)) {
        return { found: false };
    }
    const paths = views[stackAt].unknown(EXPORT);
    if (paths.length > 0) {
        return { found: false, unknownAt: { index: stackAt, paths } };
    }
    return { found: true, value: plain[stackAt].props[EXPORT] };
}

const howToGetEvidence = (soakStack: string, hours: number) =>
    `To get evidence: turn the flag on in staging (\`pulumi config set raptor:roleSeparation true -s staging\`, then ` +
    `\`pulumi up -s staging\`), run the runbook's 24/48/72 h checks for ${hours} h, and check ` +
    `\`pulumi stack output roleSeparationEnabledAt -s ${soakStack}\`; until then keep prod's raptor:roleSeparation ` +
    `false.`;

export function soakBeforeProd(context: StackContextProvider = pulumiStackContext): StackValidationPolicy {
    return {
        name: "soak-before-prod",
        description:
            "Prod may turn the role-separation flag on only after staging has had it on for soakHours (default 72) " +
            "and its signed soak marks show no unhealthy check, and clean checks whose windows were fully read " +
            "(logs or Sentry) chained from the enable time to now, with one at 24, 48 and 72 h.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                soakHours: {
                    type: "number",
                    minimum: 0,
                    default: 72,
                    description: "Hours staging's flag must have been on.",
                },
                markSigners: {
                    type: "array",
                    items: { type: "string" },
                    default: [],
                    description: "allowed_signers lines: who may sign soak marks (raptor-roles soak).",
                },
            },
        },
        validateStack: (args, reportViolation) => {
            const ctx = context();
            const views = args.resources.map((r) => new PropsView(r));
            const plain = args.resources.map((r, i) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: views[i].plain,
            }));
            const why = prodReason(ctx, plain);
            const flagAt = plain.findIndex((r) => stepOf(r) === "flag");
            if (why === undefined || flagAt < 0) {
                return;
            }
            const unknownFlag = views[flagAt].unknown("environment.FLAG_VALUE");
            if (unknownFlag.length > 0) {
                reportViolation(cannotDecide("the staging soak", plain[flagAt], unknownFlag), plain[flagAt].urn);
                return;
            }
            // Flag off (rollback, emergency stop): nothing to soak.
            if (envOf(plain[flagAt])["FLAG_VALUE"] !== "1") {
                return;
            }
            const { soakHours, markSigners } = configOf(args.getConfig<object>(), ["soakHours", "markSigners"]);
            const need = `Required: staging's flag on for at least ${soakHours} h before prod (${why}) turns it on.`;
            const soakStack = ctx.config("soakStack");
            if (typeof soakStack !== "string" || soakStack === "") {
                reportViolation(
                    `Prod turns the flag on but raptor:soakStack is not set, so there is no staging evidence. ` +
                        `${need} ` +
                        "Fix: `pulumi config set raptor:soakStack <org>/raptor/staging -s prod`. " +
                        howToGetEvidence("<org>/raptor/staging", soakHours),
                );
                return;
            }
            if (soakStack.split("/").pop() === ctx.stack) {
                reportViolation(
                    `Prod turns the flag on but raptor:soakStack ${soakStack} is this stack itself; a stack cannot ` +
                        `soak for itself. ` +
                        `${need} Fix: point raptor:soakStack at the staging stack. ` +
                        `${howToGetEvidence(soakStack, soakHours)}`,
                );
                return;
            }
            const evidence = soakEvidence(plain, views, soakStack);
            if (evidence.unknownAt !== undefined) {
                const r = plain[evidence.unknownAt.index];
                reportViolation(cannotDecide("the staging soak", r, evidence.unknownAt.paths), r.urn);
                return;
            }
            if (!evidence.found) {
                reportViolation(
                    `Prod turns the flag on but the stack exports no soakStackEnabledAt and no StackReference to ` +
                        `${soakStack} is visible, so staging's roleSeparationEnabledAt cannot be read. ${need} ` +
                        `Fix: deploy with program.ts, which exports it. ${howToGetEvidence(soakStack, soakHours)}`,
                );
                return;
            }
            const value = evidence.value;
            const at = typeof value === "string" ? Date.parse(value) : NaN;
            if (Number.isNaN(at)) {
                const found =
                    value === undefined || value === null
                        ? "has no roleSeparationEnabledAt (its flag is off or it never exported one)"
                        : `exports roleSeparationEnabledAt ${JSON.stringify(value)}, which is not an ISO 8601 time`;
                reportViolation(
                    `Prod turns the flag on but ${soakStack} ${found}. ${need} ` +
                        `${howToGetEvidence(soakStack, soakHours)}`,
                );
                return;
            }
            const ageHours = (ctx.now.getTime() - at) / HOUR_MS;
            if (ageHours < 0) {
                reportViolation(
                    `Prod turns the flag on but ${soakStack} reports roleSeparationEnabledAt ${value}, in the future ` +
                        `(now ${ctx.now.toISOString()}): clock skew or a forged export is no evidence. ${need} ` +
                        howToGetEvidence(soakStack, soakHours),
                );
                return;
            }
            if (ageHours < soakHours) {
                const from = new Date(at + soakHours * HOUR_MS).toISOString();
                reportViolation(
                    `Prod turns the flag on but ${soakStack} turned it on at ${value}, only ${ageHours.toFixed(1)} h ` +
                        `ago. ` +
                        `${need} Prod may turn it on from ${from}; keep raptor:roleSeparation false until then.`,
                );
                return;
            }
            const problem = judgeSoak({
                raw: ctx.config("soakEvidence"),
                soakStack: soakStack.split("/").pop() as string,
                enabledAt: value as string,
                now: ctx.now,
                soakHours,
                verify: (message, mark) => markSignatureProblem(markSigners, message, mark),
            });
            if (problem !== undefined) {
                reportViolation(`Prod turns the flag on but ${problem}`);
            }
        },
    };
}

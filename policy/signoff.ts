/**
 * Prod sign-off: an allowed operator's approval of exactly the change being
 * deployed, bound to it by the deployment fingerprint the shared core
 * recomputes from the declared resources.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { Deployment, fingerprint } from "../core/deployment";
import { deploymentFromResources } from "../core/resources";
import { configOf } from "./pack-config";
import { StackContextProvider, prodReason, pulumiStackContext } from "./context";

export interface Signoff {
    readonly operator: string;
    readonly ticket: string;
    readonly approvedAt: string;
    readonly fingerprint: string;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
/** Clock skew tolerated on approvedAt before it counts as "in the future". */
const SKEW_MS = 5 * 60 * 1000;

export const HOW_TO_SIGN_OFF =
    "To get a valid sign-off: run `npx raptor-roles plan --stack prod`, review it and read its fingerprint; then " +
    "`pulumi config set --path raptor:signoff.operator <operator> -s prod`, " +
    "`pulumi config set --path raptor:signoff.ticket <ticket> -s prod`, " +
    "`pulumi config set --path raptor:signoff.approvedAt <ISO 8601 time, e.g. 2026-11-24T10:00:00Z> -s prod`, " +
    "`pulumi config set --path raptor:signoff.fingerprint <fingerprint> -s prod`; commit Pulumi.prod.yaml for review.";

/** Reads `raptor:signoff` (an object, or the JSON string the runtime holds) and lists every malformed field. */
export function parseSignoff(raw: unknown, now: Date): { signoff?: Signoff; problems: string[] } {
    let value = raw;
    if (typeof raw === "string") {
        try {
            value = JSON.parse(raw);
        } catch {
            return { problems: ["it is a string that is not JSON; set each field with `pulumi config set --path`"] };
        }
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { problems: [`it is ${Array.isArray(value) ? "a list" : typeof value}, not an object`] };
    }
    const o = value as Record<string, unknown>;
    const problems: string[] = [];
    const text = (k: keyof Signoff): string => {
        // `pulumi config set --path raptor:signoff.ticket 1568` stores bare digits as a number (seen with the real
        // CLI); digits with a leading zero stay a string, so the number's decimal text is the ticket as typed.
        const v = k === "ticket" && Number.isSafeInteger(o[k]) ? String(o[k]) : o[k];
        if (typeof v !== "string" || v.trim() === "") {
            problems.push(`${k} is ${v === undefined ? "missing" : JSON.stringify(v)}; a non-empty string is required`);
            return "";
        }
        return v.trim();
    };
    const signoff = { operator: text("operator"), ticket: text("ticket"), approvedAt: text("approvedAt"), fingerprint: text("fingerprint") };
    if (signoff.approvedAt !== "") {
        const t = Date.parse(signoff.approvedAt);
        if (!ISO_8601.test(signoff.approvedAt) || Number.isNaN(t)) {
            problems.push(`approvedAt ${JSON.stringify(signoff.approvedAt)} is not an ISO 8601 time with a zone (e.g. 2026-11-24T10:00:00Z)`);
        } else if (t > now.getTime() + SKEW_MS) {
            problems.push(`approvedAt ${signoff.approvedAt} is in the future (now ${now.toISOString()})`);
        }
    }
    if (signoff.fingerprint !== "" && !FINGERPRINT.test(signoff.fingerprint)) {
        problems.push(`fingerprint ${JSON.stringify(signoff.fingerprint)} is not sha256:<64 hex digits> as \`raptor-roles plan\` prints it`);
    }
    return problems.length > 0 ? { problems } : { signoff, problems: [] };
}

/**
 * What in the deployment the program itself never declares, so the operator
 * reading a mismatch sees why: resources outside the model, and grants to
 * another role or with the grant option.
 */
export function unusual(d: Deployment): string {
    const parts: string[] = [];
    if (d.extras.length > 0) {
        const names = d.extras.map((e) => `${e.type} ${e.name}`).sort();
        parts.push(`${names.length} resource(s) outside the Raptor model, each covered by the fingerprint: ${names.join(", ")}`);
    }
    const odd = d.grants.filter((g) => g.role !== d.role || g.withGrantOption);
    if (odd.length > 0) {
        const shown = odd.slice(0, 5).map((g) =>
            `${g.objectType} ${g.objects.join(",") || g.schema} to ${JSON.stringify(g.role)}${g.withGrantOption ? " WITH GRANT OPTION" : ""}`);
        parts.push(`${odd.length} grant(s) to a role other than ${d.role} or with the grant option: ${shown.join("; ")}${odd.length > 5 ? "; ..." : ""}`);
    }
    return parts.length > 0 ? ` The resources being deployed include ${parts.join("; and ")}.` : "";
}

/** The signed state the deployment may run under: the one signed, or the same with the flag off (emergency stop). */
function coveredBySignoff(d: Deployment, signed: string): "exact" | "emergency-stop" | undefined {
    if (fingerprint(d) === signed) {
        return "exact";
    }
    return !d.roleSeparation && fingerprint({ ...d, roleSeparation: true }) === signed ? "emergency-stop" : undefined;
}

export function prodSignoff(context: StackContextProvider = pulumiStackContext): StackValidationPolicy {
    return {
        name: "prod-signoff",
        description: "A prod deployment needs an allowed operator's sign-off whose fingerprint matches the change being deployed.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                operators: {
                    type: "array",
                    items: { type: "string", minLength: 1 },
                    description: "Operators who may be recorded as approvers in raptor:signoff.operator.",
                    default: [],
                },
            },
        },
        validateStack: (args, reportViolation) => {
            const ctx = context();
            const why = prodReason(ctx, args.resources);
            if (why === undefined) {
                return;
            }
            const { operators } = configOf(args.getConfig<object>(), ["operators"]);
            const recomputed = deploymentFromResources(args.resources);
            if (recomputed.deployment === undefined) {
                reportViolation(
                    `Prod (${why}) sign-off cannot be checked: the deployment's fingerprint cannot be recomputed from the declared ` +
                        `resources (${recomputed.problems.join("; ")}). Required: the complete Raptor resource set program.ts declares. ` +
                        "Fix the program, then sign off its plan. " + HOW_TO_SIGN_OFF,
                );
                return;
            }
            const current = fingerprint(recomputed.deployment);
            const raw = ctx.config("signoff");
            if (raw === undefined || raw === null || raw === "") {
                reportViolation(
                    `Prod (${why}) has no sign-off: stack config raptor:signoff is not set. Required: ` +
                        `{operator, ticket, approvedAt, fingerprint} from an allowed operator for this change (fingerprint ${current}).` +
                        `${unusual(recomputed.deployment)} ${HOW_TO_SIGN_OFF}`,
                );
                return;
            }
            const { signoff, problems } = parseSignoff(raw, ctx.now);
            if (signoff === undefined) {
                reportViolation(
                    `Prod (${why}) sign-off raptor:signoff is malformed: ${problems.join("; ")}. Required: ` +
                        `{operator, ticket, approvedAt (ISO 8601), fingerprint (${current} for this change)}. ` + HOW_TO_SIGN_OFF,
                );
                return;
            }
            if (!operators.includes(signoff.operator)) {
                const allowed = operators.length > 0
                    ? `the pack's operators allowlist (${operators.join(", ")})`
                    : "the pack's operators allowlist, which is empty: run with --policy-pack-config policy/config.json";
                reportViolation(
                    `Prod (${why}) sign-off by ${JSON.stringify(signoff.operator)} (ticket ${signoff.ticket}) is not valid: ` +
                        `that operator is not on ${allowed}. Required: approval by an operator listed in policy/config.json ` +
                        `(prod-signoff.operators). ${HOW_TO_SIGN_OFF}`,
                );
            }
            if (coveredBySignoff(recomputed.deployment, signoff.fingerprint) === undefined) {
                reportViolation(
                    `Prod (${why}) sign-off is for another change: raptor:signoff.fingerprint is ${signoff.fingerprint} ` +
                        `(ticket ${signoff.ticket}, ${signoff.operator}, ${signoff.approvedAt}), but the resources being deployed ` +
                        `have fingerprint ${current}.${unusual(recomputed.deployment)} Required: a sign-off of exactly this change ` +
                        `(only turning the flag off may deviate from what was signed). ${HOW_TO_SIGN_OFF}`,
                );
            }
        },
    };
}

/**
 * The `raptor:signoff` value as the CLI stores it, read into a typed sign-off.
 *
 * `pulumi config set --path raptor:signoff.ticket 1568` stores the NUMBER
 * 1568 (bare digits become numbers, `true`/`false` booleans), and the language
 * host hands a --path object to the pack as JSON text in PULUMI_CONFIG. So the
 * value arrives as an object or a JSON string, and a ticket may be a number.
 */
import { DeploymentExtra } from "./core/deployment";

export interface Signoff {
    readonly operator: string;
    readonly ticket: string;
    readonly approvedAt: string;
    readonly fingerprint: string;
    /** Resources outside the Raptor model the operator signed, by digest (`raptor-roles plan` lists them). */
    readonly extras: readonly DeploymentExtra[];
    /** `ssh-keygen -Y sign -n raptor-signoff` over signoffMessage() (armored, or its base64 body); absent: unsigned. */
    readonly signature?: string;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
/** Clock skew tolerated on approvedAt before it counts as "in the future". */
const SKEW_MS = 5 * 60 * 1000;

export const HOW_TO_SIGN_OFF =
    "To sign off: review `raptor-roles plan --stack prod`, then run " +
    "`raptor-roles signoff --stack prod --ticket <ticket> --key ~/.ssh/<your key>` (it signs " +
    "raptor:signoff.fingerprint, ticket, approvedAt, stack and app with ssh-keygen -Y sign -n raptor-signoff) " +
    "and commit Pulumi.prod.yaml for review.";

/** A string field; a number is accepted where the CLI turns digits into one (the ticket). */
function field(o: Record<string, unknown>, k: string, numberOk: boolean, problems: string[]): string {
    const v = o[k];
    if (numberOk && typeof v === "number" && Number.isFinite(v)) {
        return String(v);
    }
    if (typeof v !== "string" || v.trim() === "") {
        const want = numberOk ? "a non-empty string or number" : "a non-empty string";
        problems.push(`${k} is ${v === undefined ? "missing" : JSON.stringify(v)}; ${want} is required`);
        return "";
    }
    return v.trim();
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function extrasOf(v: unknown, problems: string[]): DeploymentExtra[] {
    if (v === undefined || v === null) {
        return [];
    }
    const list = Array.isArray(v) ? v : [];
    const ok = list.every(
        (e) =>
            e !== null &&
            typeof e === "object" &&
            typeof e.type === "string" &&
            typeof e.name === "string" &&
            typeof e.props === "string" &&
            DIGEST.test(e.props),
    );
    if (!Array.isArray(v) || !ok) {
        problems.push("extras is not a list of {type, name, props: sha256:<hex>} as `raptor-roles plan` prints it");
        return [];
    }
    return list.map((e) => ({ type: e.type, name: e.name, props: {}, propsDigest: e.props }));
}

/** Reads `raptor:signoff` (an object, or the JSON text the runtime holds) and lists every malformed field. */
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
    const signoff: Signoff = {
        operator: field(o, "operator", false, problems),
        ticket: field(o, "ticket", true, problems),
        approvedAt: field(o, "approvedAt", false, problems),
        fingerprint: field(o, "fingerprint", false, problems),
        extras: extrasOf(o["extras"], problems),
        ...(o["signature"] !== undefined ? { signature: field(o, "signature", false, problems) } : {}),
    };
    if (signoff.approvedAt !== "") {
        const t = Date.parse(signoff.approvedAt);
        if (!ISO_8601.test(signoff.approvedAt) || Number.isNaN(t)) {
            problems.push(
                `approvedAt ${JSON.stringify(signoff.approvedAt)} is not an ISO 8601 time with a zone ` +
                    "(e.g. 2026-11-24T10:00:00Z)",
            );
        } else if (t > now.getTime() + SKEW_MS) {
            problems.push(`approvedAt ${signoff.approvedAt} is in the future`);
        }
    }
    if (signoff.fingerprint !== "" && !FINGERPRINT.test(signoff.fingerprint)) {
        problems.push(
            `fingerprint ${JSON.stringify(signoff.fingerprint)} is not sha256:<64 hex digits> ` +
                "as `raptor-roles plan` prints it",
        );
    }
    return problems.length > 0 ? { problems } : { signoff, problems: [] };
}

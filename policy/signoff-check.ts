/**
 * Is the sign-off in stack config valid on its own? Present, well-formed,
 * signed with an allowed operator's SSH key over this stack, app, fingerprint,
 * ticket and approval time, under the raptor-signoff namespace, and recent.
 * Whether it covers the change being deployed is the caller's question.
 */
import { SIGNOFF_NAMESPACE, signoffMessage } from "./core/signoff-message";
import { StackContext } from "./context";
import { allows, parseAllowedSigners } from "./allowed-signers";
import { PolicyConfig } from "./pack-config";
import { HOW_TO_SIGN_OFF, Signoff, parseSignoff } from "./signoff-value";
import { SshSigError, keyFingerprint, parseSshSignature, publicKeyOf, verifySshSignature } from "./sshsig";

export type SignoffConfig = Pick<PolicyConfig, "operators" | "allowedSigners" | "requireSignature" | "maxAgeHours">;
export const SIGNOFF_CONFIG_KEYS = ["operators", "allowedSigners", "requireSignature", "maxAgeHours"] as const;

/**
 * A sign-off that holds, with `stale` set when it is older than maxAgeHours: that refuses a deployment of the
 * signed change, but not the emergency stop (the signed change with the flag off), which needs no new sign-off.
 */
export type Verdict = { signoff: Signoff; stale?: string } | { problem: string };

const HOUR_MS = 3600 * 1000;
/** The ticket as a shell word: quoted unless it is plain. */
const shellWord = (t: string) => (/^[\w.@:/-]+$/.test(t) ? t : `'${t.replace(/'/g, "'\\''")}'`);
const signAgain = (s: Signoff) =>
    `Sign again: \`raptor-roles signoff --stack prod --ticket ${shellWord(s.ticket)} --key <your key>\`, ` +
    "then commit Pulumi.prod.yaml.";

/** The unsigned sign-off, accepted only while migrating (requireSignature false) and only for a listed operator. */
function unsigned(s: Signoff, config: SignoffConfig, ctx: StackContext): Verdict {
    if (config.requireSignature) {
        return {
            problem:
                `sign-off by ${JSON.stringify(s.operator)} (ticket ${s.ticket}) is not signed, ` +
                "and an unsigned sign-off " +
                `is refused (prod-signoff.requireSignature). ${signAgain(s)}`,
        };
    }
    if (!config.operators.includes(s.operator)) {
        const allowed =
            config.operators.length > 0
                ? `the pack's operators allowlist (${config.operators.join(", ")})`
                : "the pack's operators allowlist, which is empty: run with --policy-pack-config policy/config.json";
        return {
            problem:
                `sign-off by ${JSON.stringify(s.operator)} (ticket ${s.ticket}) is not valid: ` +
                `that operator is not on ${allowed}.`,
        };
    }
    return { signoff: s, ...staleness(s, config, ctx) };
}

/** The allowedSigners line that would let this key sign for this operator, as `raptor-roles signoff` prints it. */
export function allowedSignersLine(operator: string, publicKey: Buffer): string {
    const type = publicKeyOf(publicKey).type;
    return `${operator} namespaces="${SIGNOFF_NAMESPACE}" ${type} ${publicKey.toString("base64")}`;
}

/**
 * The signature checks, in the order an operator can act on them; undefined when it holds. A string is a problem
 * signing again fixes; `{problem, fix}` one it does not (a key no allowedSigners line lists).
 */
function signatureProblem(
    s: Signoff,
    signature: string,
    config: SignoffConfig,
    ctx: StackContext,
    app: string,
): string | { problem: string; fix: string } | undefined {
    let sig;
    try {
        sig = parseSshSignature(signature);
    } catch (e) {
        return `its signature is not an SSH signature: ${e instanceof SshSigError ? e.message : String(e)}`;
    }
    if (sig.namespace !== SIGNOFF_NAMESPACE) {
        return (
            `its signature is for namespace ${JSON.stringify(sig.namespace)}, not ${SIGNOFF_NAMESPACE} ` +
            "(made for another purpose)"
        );
    }
    const { signers, problems } = parseAllowedSigners(config.allowedSigners);
    if (!signers.some((a) => allows(a, s.operator, sig.publicKey, sig.namespace))) {
        const why =
            signers.length === 0
                ? "prod-signoff.allowedSigners lists no usable key" +
                  (problems.length > 0 ? ` (${problems.join("; ")})` : "")
                : `no line of prod-signoff.allowedSigners allows that key for ${JSON.stringify(s.operator)}`;
        // Signing again with the same key cannot help: the fix is a reviewed line in the pack's config.
        return {
            problem: `it is signed with key ${keyFingerprint(sig.publicKey)}, and ${why}`,
            fix:
                `If that key is ${JSON.stringify(s.operator)}'s, add this line to prod-signoff.allowedSigners in ` +
                `policy/config.json: ${JSON.stringify(allowedSignersLine(s.operator, sig.publicKey))}; that change ` +
                "goes through review like any change to the pack's config, and this sign-off passes once it is " +
                "merged. Otherwise sign with a key that is listed.",
        };
    }
    const message = signoffMessage({
        stack: ctx.stack,
        app,
        fingerprint: s.fingerprint,
        ticket: s.ticket,
        approvedAt: s.approvedAt,
    });
    let valid = false;
    try {
        valid = verifySshSignature(sig, message);
    } catch (e) {
        return `its signature cannot be checked: ${e instanceof SshSigError ? e.message : String(e)}`;
    }
    if (!valid) {
        return (
            `its signature does not verify over stack ${ctx.stack}, app ${app}, ` +
            `fingerprint ${s.fingerprint}, ticket ${s.ticket} ` +
            `and approvedAt ${s.approvedAt}: one of them is not what was signed, or the signature is forged`
        );
    }
    return undefined;
}

/** Why the sign-off is too old to deploy the change it signs, if it is. */
function staleness(s: Signoff, config: SignoffConfig, ctx: StackContext): { stale?: string } {
    const ageHours = (ctx.now.getTime() - Date.parse(s.approvedAt)) / HOUR_MS;
    if (ageHours <= config.maxAgeHours) {
        return {};
    }
    return {
        stale:
            `sign-off by ${JSON.stringify(s.operator)} (ticket ${s.ticket}) was approved at ${s.approvedAt}, ` +
            `${ageHours.toFixed(0)} h ago, older than prod-signoff.maxAgeHours (${config.maxAgeHours} h). ` +
            signAgain(s),
    };
}

/** The sign-off read from stack config and checked on its own; `current` is the fingerprint being deployed. */
export function checkedSignoff(ctx: StackContext, config: SignoffConfig, app: string, current: string): Verdict {
    const raw = ctx.config("signoff");
    if (raw === undefined || raw === null || raw === "") {
        return {
            problem:
                `has no sign-off: stack config raptor:signoff is not set. Required: an allowed operator's signed ` +
                `sign-off of this change (fingerprint ${current}). ${HOW_TO_SIGN_OFF}`,
        };
    }
    const { signoff: s, problems } = parseSignoff(raw, ctx.now);
    if (s === undefined) {
        return {
            problem:
                `sign-off raptor:signoff is malformed: ${problems.join("; ")}. ` +
                "Required: {operator, ticket, approvedAt, " +
                `fingerprint (${current}), signature}. ${HOW_TO_SIGN_OFF}`,
        };
    }
    if (s.signature === undefined) {
        return unsigned(s, config, ctx);
    }
    const found = signatureProblem(s, s.signature, config, ctx, app);
    if (found === undefined) {
        return { signoff: s, ...staleness(s, config, ctx) };
    }
    const [problem, fix] = typeof found === "string" ? [found, signAgain(s)] : [found.problem, found.fix];
    return { problem: `sign-off by ${JSON.stringify(s.operator)} (ticket ${s.ticket}) is refused: ${problem}. ${fix}` };
}

/**
 * Checks a soak mark's SSH signature the way the sign-off's is checked (policy/signoff-check.ts): an SSHSIG
 * under the raptor-soak namespace, by a key that `soak-before-prod.markSigners` (allowed_signers lines)
 * allows for the mark's signer, over the text core/soak/marks.ts builds.
 */
import { SOAK_NAMESPACE, SoakMark } from "./core/soak-marks";
import { allows, parseAllowedSigners } from "./allowed-signers";
import { SshSigError, keyFingerprint, parseSshSignature, verifySshSignature } from "./sshsig";

export function markSignatureProblem(signers: readonly string[], message: string, m: SoakMark): string | undefined {
    let sig;
    try {
        sig = parseSshSignature(m.signature);
    } catch (e) {
        return `its signature is not an SSH signature: ${e instanceof SshSigError ? e.message : String(e)}`;
    }
    if (sig.namespace !== SOAK_NAMESPACE) {
        return `its signature is for namespace ${JSON.stringify(sig.namespace)}, not ${SOAK_NAMESPACE}`;
    }
    const { signers: allowed, problems } = parseAllowedSigners(signers);
    if (!allowed.some((a) => allows(a, m.signer, sig.publicKey, sig.namespace))) {
        const why =
            allowed.length === 0
                ? "soak-before-prod.markSigners lists no usable key" +
                  (problems.length > 0 ? ` (${problems.join("; ")})` : "")
                : `no line of soak-before-prod.markSigners allows that key for ${JSON.stringify(m.signer)}`;
        return `it is signed with key ${keyFingerprint(sig.publicKey)}, and ${why}`;
    }
    try {
        return verifySshSignature(sig, message)
            ? undefined
            : "its signature does not verify over the mark's fields (one of them is not what was signed)";
    } catch (e) {
        return `its signature cannot be checked: ${e instanceof SshSigError ? e.message : String(e)}`;
    }
}

/**
 * The text an operator signs for a prod sign-off, and the namespace it is
 * signed under. `raptor-roles signoff` signs it with `ssh-keygen -Y sign -n
 * raptor-signoff`; the policy pack rebuilds it from the stack and the sign-off
 * and verifies the signature against it. One function, so both sides agree.
 */

/** The SSHSIG namespace of a Raptor sign-off: a signature made for git commits or anything else never counts. */
export const SIGNOFF_NAMESPACE = "raptor-signoff";

export interface SignedFields {
    readonly stack: string;
    readonly app: string;
    readonly fingerprint: string;
    readonly ticket: string;
    readonly approvedAt: string;
}

/** One `key: value` line per field, in a fixed order, newline-terminated. */
export function signoffMessage(f: SignedFields): string {
    return [
        "raptor-signoff v1",
        `stack: ${f.stack}`,
        `app: ${f.app}`,
        `fingerprint: ${f.fingerprint}`,
        `ticket: ${f.ticket}`,
        `approvedAt: ${f.approvedAt}`,
        "",
    ].join("\n");
}

/**
 * The signed sign-off text, pinned by hand. Signer (`raptor-roles signoff`) and verifier (the policy pack) both
 * call signoffMessage, so a change to its format would pass every round-trip test and silently invalidate every
 * sign-off operators have committed. This test writes the text out literally and verifies a real signature over
 * that literal text with the pack's verifier.
 */
import { describe, expect, it } from "vitest";
import { signoffMessage } from "../../core/signoff-message";
import { parseSshSignature, verifySshSignature } from "../../policy/sshsig";
import { sshSign } from "../support/ssh-keys";

const FIELDS = {
    stack: "prod",
    app: "raxx-api-prod",
    fingerprint: `sha256:${"ab".repeat(32)}`,
    ticket: "RM-1568",
    approvedAt: "2026-12-01T09:30:00Z",
};

const PINNED =
    "raptor-signoff v1\n" +
    "stack: prod\n" +
    "app: raxx-api-prod\n" +
    "fingerprint: sha256:abababababababababababababababababababababababababababababababab\n" +
    "ticket: RM-1568\n" +
    "approvedAt: 2026-12-01T09:30:00Z\n";

describe("the signed sign-off text (format v1)", () => {
    it("is exactly the pinned text: a change needs a new version line and a migration of committed sign-offs", () => {
        expect(signoffMessage(FIELDS)).toBe(PINNED);
    });

    it("verifies a real ssh-keygen signature made over the hand-written text", () => {
        const sig = parseSshSignature(sshSign("ed25519", PINNED));
        expect(sig.namespace).toBe("raptor-signoff");
        expect(verifySshSignature(sig, signoffMessage(FIELDS))).toBe(true);
        expect(verifySshSignature(sig, signoffMessage({ ...FIELDS, ticket: "RM-1569" }))).toBe(false);
    });
});

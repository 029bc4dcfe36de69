/**
 * The text a soak mark's signature covers, pinned by hand (as the sign-off's is, test/core/signoff-message.test.ts).
 * `raptor-roles soak` and the gate both call markMessage, so a format change that dropped `at`, `enabledAt` or a
 * coverage line would pass every round-trip test and leave that field unsigned. Here a real ssh-keygen signature
 * over the literal text is checked with the pack's own check (policy/soak-marks.ts), and fails for each field edited.
 */
import { describe, expect, it } from "vitest";
import { SOAK_NAMESPACE, SoakMark, markMessage, windowReadBy } from "../../core/soak-marks";
import { markSignatureProblem } from "../../policy/soak-marks";
import { SOAK_SIGNER, markSignerLine } from "../support/soak-evidence";
import { sshSign } from "../support/ssh-keys";

const HEAD = { stack: "staging", app: "raxx-api-staging" };
const UNSIGNED: Omit<SoakMark, "signature"> = {
    at: "2026-12-03T11:00:00Z",
    enabledAt: "2026-12-01T09:30:00Z",
    since: "2026-12-03T10:00:00Z",
    healthy: true,
    complete: true,
    findings: [],
    coverage: {
        logs: { from: "2026-12-03T10:40:12Z", to: "2026-12-03T11:00:00Z", complete: false },
        sentry: { from: "2026-12-03T10:00:00Z", to: "2026-12-03T11:00:00Z", complete: true },
    },
    signer: SOAK_SIGNER,
    prev: "ab".repeat(32),
};

const PINNED =
    "raptor-soak-mark v2\n" +
    "stack: staging\n" +
    "app: raxx-api-staging\n" +
    "enabledAt: 2026-12-01T09:30:00Z\n" +
    "at: 2026-12-03T11:00:00Z\n" +
    "since: 2026-12-03T10:00:00Z\n" +
    "healthy: true\n" +
    "complete: true\n" +
    "findings: none\n" +
    "logs: 2026-12-03T10:40:12Z to 2026-12-03T11:00:00Z incomplete\n" +
    "sentry: 2026-12-03T10:00:00Z to 2026-12-03T11:00:00Z complete\n" +
    "signer: soak-bot@raxx.app\n" +
    "prev: abababababababababababababababababababababababababababababababab\n";

describe("the signed soak mark text (format v2)", () => {
    it("is exactly the pinned text: a change needs a new version line and a migration of committed marks", () => {
        expect(markMessage(HEAD, UNSIGNED)).toBe(PINNED);
        expect(markMessage(HEAD, { ...UNSIGNED, coverage: {}, findings: ["logs:unhealthy", "grants:unhealthy"] })).toBe(
            PINNED.replace("findings: none", "findings: logs:unhealthy,grants:unhealthy")
                .replace(/^logs: .*$/m, "logs: not read")
                .replace(/^sentry: .*$/m, "sentry: not read"),
        );
    });

    it("a real ssh-keygen signature over the hand-written text verifies, and fails for each field edited", () => {
        const mark: SoakMark = { ...UNSIGNED, signature: sshSign("ed25519", PINNED, SOAK_NAMESPACE) };
        const check = (m: SoakMark) => markSignatureProblem([markSignerLine()], markMessage(HEAD, m), m);
        expect(check(mark)).toBeUndefined();
        const edits: Partial<SoakMark>[] = [
            { at: "2026-12-03T11:00:01Z" },
            { enabledAt: "2026-12-01T09:30:01Z" },
            { since: "2026-12-03T09:00:00Z" },
            { healthy: false },
            { complete: false },
            { findings: ["logs:unhealthy"] },
            { coverage: { ...UNSIGNED.coverage, logs: { ...UNSIGNED.coverage.logs!, complete: true } } },
            {
                coverage: {
                    ...UNSIGNED.coverage,
                    sentry: { ...UNSIGNED.coverage.sentry!, from: "2026-12-03T09:00:00Z" },
                },
            },
            { coverage: { logs: UNSIGNED.coverage.logs } },
            { prev: "none" },
        ];
        for (const edit of edits) {
            expect(check({ ...mark, ...edit }), JSON.stringify(edit)).toBe(
                "its signature does not verify over the mark's fields (one of them is not what was signed)",
            );
        }
        expect(
            markSignatureProblem([markSignerLine()], markMessage({ ...HEAD, app: "raxx-api-prod" }, mark), mark),
        ).toBe("its signature does not verify over the mark's fields (one of them is not what was signed)");
    });

    it("a mark is complete through a source that read its whole window: here Sentry, not the logs", () => {
        expect(windowReadBy(UNSIGNED)).toEqual(["sentry"]);
        const shortSentry = { ...UNSIGNED.coverage.sentry!, from: "2026-12-03T10:00:01Z" };
        expect(windowReadBy({ ...UNSIGNED, coverage: { ...UNSIGNED.coverage, sentry: shortSentry } })).toEqual([]);
    });
});

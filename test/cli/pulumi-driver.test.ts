/**
 * cli/pulumi-driver.ts's error text: the Automation API's CommandError carries the whole run (test/engine's
 * cutover run produced the message below, 2026-12-02); cutover's report shows only the CLI's `error:` lines.
 */
import { describe, expect, it } from "vitest";
import { pulumiFailure } from "../../cli/pulumi-driver";

const BIN = "/root/.cache/raptor-engine/0198a8abd30224fd/bin";
const RUN = [
    `Command failed with exit code 1: ${BIN}/pulumi up --yes --skip-preview --policy-pack /work/main/policy ` +
        "--policy-pack-config /tmp/p/project/policy/config.json --exec-kind auto.local --stack staging " +
        "--non-interactive",
    "error: open /tmp/p/project/policy/config.json: no such file or directory",
    "Updating (staging):",
    `    pulumi:pulumi:Stack raptor-staging  warning: using pulumi-resource-command from $PATH at ${BIN}/x`,
    "Loading policy packs...: starting",
    "",
].join("\n");
const COMMAND_ERROR = `code: -2\n stdout: \n stderr: ${RUN}\n err?: Error: ${RUN}\n`;

describe("pulumiFailure", () => {
    it("keeps the CLI's error line, once, after what failed", () => {
        expect(pulumiFailure("pulumi up -s staging", new Error(COMMAND_ERROR)).message).toBe(
            "pulumi up -s staging failed: error: open /tmp/p/project/policy/config.json: no such file or directory",
        );
    });

    it("names each mandatory violation with its message, as the CLI prints them (display/diff.go)", () => {
        const preview = [
            "Previewing update (prod):",
            "Policies:",
            "    ❌ raptor@v0.1.0 (local: /work/main/policy)",
            "        - [mandatory]  soak-before-prod  (pulumi:pulumi:Stack: raptor-prod)",
            "          Prod may turn the role-separation flag on only after staging has had it on for soakHours.",
            "          Prod turns the flag on but raptor:soakStack is not set. Fix: `pulumi config set ...`.",
            "        - [mandatory] [severity: high]  prod-signoff  (command:local:Command: raptor-flag)",
            "          Prod resources change only with an operator's sign-off.",
            "          No sign-off. Fix: raptor-roles signoff --stack prod.",
            "",
        ].join("\n");
        const e = new Error(`code: 255\n stdout: ${preview}\n stderr: error: preview failed\n err?: Error: x\n`);
        expect(pulumiFailure("pulumi preview -s prod", e).message).toBe(
            "pulumi preview -s prod failed: " +
                "mandatory policy soak-before-prod: Prod turns the flag on but raptor:soakStack is not set. " +
                "Fix: `pulumi config set ...`.; " +
                "mandatory policy prod-signoff: No sign-off. Fix: raptor-roles signoff --stack prod.; " +
                "error: preview failed",
        );
    });

    it("joins several error lines in order", () => {
        const e = new Error("code: 255\n stderr: error: one\nwarning: w\n  error: two\n");
        expect(pulumiFailure("pulumi up -s prod", e).message).toBe("pulumi up -s prod failed: error: one; error: two");
    });

    it("with no error line, the first line that says anything", () => {
        expect(pulumiFailure("pulumi config set", new Error("\nspawn pulumi ENOENT\nmore")).message).toBe(
            "pulumi config set failed: spawn pulumi ENOENT",
        );
    });
});

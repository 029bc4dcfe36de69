/** core/review/markdown.ts: the comment fits one GitHub comment however large the change. */
import { describe, expect, it } from "vitest";
import { ResourceChange, ReviewDiff, StackDiff } from "../../../core/review/diff";
import { COMMENT_MARKER, GITHUB_COMMENT_LIMIT, renderMarkdown } from "../../../core/review/markdown";

const changed = (i: number): ResourceChange => ({
    change: "changed",
    type: "command:local:Command",
    name: `cmd-${i}`,
    inputs: Array.from({ length: 5 }, (_, k) => ({ key: `k${k}`, before: "x".repeat(200), after: "y".repeat(200) })),
    herokuCalls: [],
});
const stack = (n: number): StackDiff => ({
    stack: `s${n}`,
    presence: "both",
    privileges: [],
    resources: Array.from({ length: 25 }, (_, i) => changed(i)),
});
const diff = (stacks: number): ReviewDiff => ({
    base: { rev: "origin/main", commit: "a".repeat(40) },
    head: { rev: "HEAD", commit: "b".repeat(40) },
    tables: [],
    stacks: Array.from({ length: stacks }, (_, n) => stack(n)),
});

describe("renderMarkdown", () => {
    it("a change too large even when grouped is cut below the limit, saying so and how to get the whole", () => {
        const text = renderMarkdown(diff(40)); // 40 stacks x 25 resources x 5 inputs of 400 characters
        expect(text.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
        expect(text.startsWith(COMMENT_MARKER)).toBe(true);
        expect(text).toMatch(
            /\n\n\*\*Cut at [\d,]+ of [\d,]+ characters to fit one GitHub comment\.\*\* The whole diff: /,
        );
        expect(text.trimEnd().endsWith("`raptor-roles diff --base origin/main --head HEAD --json`.")).toBe(true);
    });

    it("a change that fits is not cut", () => {
        expect(renderMarkdown(diff(1))).not.toContain("Cut at");
    });
});

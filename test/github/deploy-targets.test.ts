/**
 * deploy.yml's trigger rule (bin/deploy-targets.js) on a real git history: a code change deploys staging; a
 * commit that only adds soak marks or prose deploys nothing; a merged prod sign-off deploys prod too. That no
 * workflow pushes to main is test/github/soak-marks.test.ts's.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { targets } = require(path.join(REPO, "bin", "deploy-targets.js")) as {
    targets: (before: string, after: string, cwd: string) => { staging: boolean; prod: boolean };
};

const repo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-targets-"));
const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
const PROD = (signoff: string, evidence: string) =>
    `config:\n  raptor:app: raxx-api-prod\n  raptor:soakEvidence: '${evidence}'\n${signoff}`;

/** Commits `files` and returns the new HEAD. */
function commit(files: Record<string, string>, message: string): string {
    for (const [f, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
        fs.writeFileSync(path.join(repo, f), text);
    }
    git("add", "-A");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message);
    return git("rev-parse", "HEAD");
}

const revs: Record<string, string> = {};
beforeAll(() => {
    git("init", "-q");
    revs.base = commit({ "core/classification.ts": "v1", "Pulumi.prod.yaml": PROD("", "[]") }, "base");
    revs.code = commit({ "core/classification.ts": "v2" }, "classify a table");
    revs.marks = commit({ "Pulumi.prod.yaml": PROD("", '[{"at":"x"}]') }, "soak mark");
    revs.prose = commit({ "README.md": "words" }, "docs");
    const signoff = "  raptor:signoff:\n    operator: ana@raxx.app\n    ticket: 1568\n";
    revs.signoff = commit({ "Pulumi.prod.yaml": PROD(signoff, '[{"at":"x"}]') }, "prod sign-off");
});

describe("deploy.yml's targets", () => {
    it("a code change deploys staging only", () => {
        expect(targets(revs.base, revs.code, repo)).toEqual({ staging: true, prod: false });
    });

    it("a commit that only adds a soak mark, or only prose, deploys nothing", () => {
        expect(targets(revs.code, revs.marks, repo)).toEqual({ staging: false, prod: false });
        expect(targets(revs.marks, revs.prose, repo)).toEqual({ staging: false, prod: false });
    });

    it("a merged prod sign-off deploys prod (and staging, whose stack files changed)", () => {
        expect(targets(revs.prose, revs.signoff, repo)).toEqual({ staging: true, prod: true });
    });
});

describe("the workflows", () => {
    const text = (f: string) => fs.readFileSync(path.join(REPO, ".github", "workflows", f), "utf8");

    it("deploy.yml: every push to main and by hand, one run per stack at a time, prod behind its environment", () => {
        const t = text("deploy.yml");
        expect(t).toMatch(/on:\n {2}push:\n {4}branches: \[main\]\n {2}workflow_dispatch:/);
        expect(t).toContain('node bin/deploy-targets.js "$BEFORE" "$AFTER"');
        expect(t).toContain("group: deploy-${{ matrix.stack }}");
        expect(t).toContain("environment: ${{ matrix.stack }}");
        expect(t).toContain('node bin/raptor-roles.js deploy --stack "$STACK" --watch "$WATCH" $RESUME $MARKS');
    });
});

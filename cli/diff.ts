/**
 * `raptor-roles diff --base REV [--head REV] [--format markdown|json]`: what
 * a change to this repository does to the privilege matrix and to prod's
 * sign-off, for a pull-request comment, with no cloud credentials.
 *
 * Each revision's classification (read with the TypeScript parser, never run),
 * stack files and pack config are taken from git; both are planned with this
 * checkout's program, offline, as `raptor-roles plan` does.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    CLASSIFICATION_FILE,
    ClassificationSourceError,
    classificationFromSource,
} from "../core/review/classification-source";
import { ReviewDiff, Side, StackPlan, reviewDiff } from "../core/review/diff";
import { renderMarkdown } from "../core/review/markdown";
import { ClassificationError } from "../core/classification";
import { projectDir, readStackFile, StackFileError } from "../offline/stack-file";
import { parse } from "./args";
import { Io, Subcommand, UsageError } from "./io";
import { planDocument } from "./plan";

export const DIFF_HELP = `usage: raptor-roles diff --base REV [--head REV] [--format markdown|json] [--repo DIR]

Compares two git revisions of this repository: the classification
(${CLASSIFICATION_FILE}), every Pulumi.<stack>.yaml and policy/config.json.
Both are planned offline with this checkout's program. Prints the tables added,
removed or moved between sets; each privilege that changes, per table and
stack; each resource added, removed or changed (inputs, Heroku calls); the
policy verdicts at the head; prod's fingerprint before and after, and whether
the sign-off committed in Pulumi.prod.yaml covers the head.
Exit 0 when the diff is printed (a blocked head is shown, not an error); 1 on an error.

Options:
  --base REV       the revision to compare from, e.g. origin/main (required)
  --head REV       the revision to compare to (default HEAD)
  --format FORMAT  markdown (default; fits a pull-request comment) or json
  --repo DIR       the repository (default: this checkout)
  -h, --help       this help
`;

export class DiffError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DiffError";
    }
}

function git(repo: string, args: string[]): string {
    try {
        return execFileSync("git", ["-C", repo, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 64 * 1024 * 1024,
        });
    } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? "").trim();
        throw new DiffError(`git ${args.join(" ")} failed in ${repo}: ${stderr || (e as Error).message}`);
    }
}

function commitOf(repo: string, rev: string, which: string): string {
    try {
        return git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim();
    } catch {
        throw new DiffError(
            `${which} ${JSON.stringify(rev)} is not a commit of ${repo}; fetch it first (in CI: ` +
                `actions/checkout with fetch-depth: 0)`,
        );
    }
}

/** One revision, planned: its files are written to a scratch project dir and removed afterwards. */
async function sideAt(repo: string, rev: string, which: string, now?: Date): Promise<Side> {
    const commit = commitOf(repo, rev, which);
    const top = git(repo, ["ls-tree", "--name-only", commit]).split("\n").filter(Boolean);
    if (!top.includes("core")) {
        throw new DiffError(
            `${which} ${rev} (${commit.slice(0, 12)}) has no ${CLASSIFICATION_FILE}; is it a revision of this ` +
                `repository?`,
        );
    }
    const classification = classificationFromSource(
        git(repo, ["show", `${commit}:${CLASSIFICATION_FILE}`]),
        `${rev}:${CLASSIFICATION_FILE}`,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-diff-"));
    try {
        fs.mkdirSync(path.join(dir, "policy"));
        const policy = git(repo, ["ls-tree", "--name-only", commit, "policy/config.json"]).trim();
        if (policy) {
            fs.writeFileSync(
                path.join(dir, "policy", "config.json"),
                git(repo, ["show", `${commit}:policy/config.json`]),
            );
        }
        const stackNames = top
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined);
        const stacks: Record<string, StackPlan> = {};
        for (const stack of stackNames) {
            fs.writeFileSync(
                path.join(dir, `Pulumi.${stack}.yaml`),
                git(repo, ["show", `${commit}:Pulumi.${stack}.yaml`]),
            );
            stacks[stack] = await planDocument({ stack, dir, classification, ...(now ? { now } : {}) });
        }
        const raw = stackNames.includes("prod") ? readStackFile("prod", dir).raw["signoff"] : undefined;
        let prodSignoff: Record<string, unknown> | undefined;
        if (raw !== undefined) {
            try {
                prodSignoff = JSON.parse(raw) as Record<string, unknown>;
            } catch {
                prodSignoff = { fingerprint: raw };
            }
        }
        return { rev, commit, classification, stacks, ...(prodSignoff ? { prodSignoff } : {}) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function diffRevisions(o: {
    repo?: string;
    base: string;
    head?: string;
    now?: Date;
}): Promise<ReviewDiff> {
    const repo = o.repo ?? projectDir();
    const base = await sideAt(repo, o.base, "--base", o.now);
    const head = await sideAt(repo, o.head ?? "HEAD", "--head", o.now);
    return reviewDiff(base, head);
}

export const diff: Subcommand = async (argv: string[], io: Io) => {
    const { values } = parse(argv, {
        base: { type: "string" },
        head: { type: "string" },
        format: { type: "string" },
        repo: { type: "string" },
    });
    if (values.help) {
        io.out(DIFF_HELP);
        return 0;
    }
    if (!values.base) {
        throw new UsageError("--base is required (e.g. --base origin/main)");
    }
    const format = values.format ?? "markdown";
    if (format !== "markdown" && format !== "json") {
        throw new UsageError(`--format ${JSON.stringify(format)} is not a format; use markdown or json`);
    }
    let d: ReviewDiff;
    try {
        d = await diffRevisions({
            base: values.base,
            ...(values.head ? { head: values.head } : {}),
            ...(values.repo ? { repo: values.repo } : {}),
        });
    } catch (e) {
        if (
            e instanceof DiffError ||
            e instanceof ClassificationSourceError ||
            e instanceof ClassificationError ||
            e instanceof StackFileError
        ) {
            io.err(`raptor-roles diff: ${e.message}\n`);
            return 1;
        }
        throw e;
    }
    io.out(format === "json" ? `${JSON.stringify(d, null, 2)}\n` : renderMarkdown(d));
    return 0;
};

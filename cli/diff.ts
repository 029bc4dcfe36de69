/**
 * `raptor-roles diff --base REV [--head REV] [--json]`: what
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
import { GrantPlan, buildPlan } from "../core/plan";
import { CLASSIFICATION_FILE, classificationFromSource } from "../core/review/classification-source";
import { ReviewDiff, Side, StackPlan, reviewDiff } from "../core/review/diff";
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from "../core/review/markdown";
import { WorkloadExport } from "../core/workload/export";
import { workloadChange } from "../core/workload/planned";
import { projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { EXIT, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { planDocument } from "./plan";
import { checkWorkloadRole, readWorkloadFile } from "./workload-file";

export const DIFF_HELP = `usage: raptor-roles diff --base REV [--head REV] [--json] [--repo DIR]
                         [--workload FILE [--stack NAME]]

Compares two git revisions of this repository: the classification
(${CLASSIFICATION_FILE}), every Pulumi.<stack>.yaml and policy/config.json.
Both are planned offline with this checkout's program. Prints the tables added,
removed or moved between sets; each privilege that changes, per table and
stack; each resource added, removed or changed (inputs, Heroku calls); the
policy verdicts at the head, each distinct verdict once; prod's fingerprint
before and after, and whether the sign-off committed in Pulumi.prod.yaml covers
the head. The Markdown always fits one pull-request comment (GitHub's limit is
${GITHUB_COMMENT_LIMIT.toLocaleString("en")} characters): long lists are cut, with the count of what was left out.

Without --head, it compares with HEAD and refuses while those files have uncommitted changes (it would
silently ignore them): commit or stash them, or pass --head HEAD to compare the last commit on purpose.
Exit 0 when the diff is printed (a blocked head is shown in it: the gate, not the diff, stops it);
2 with --workload when the change newly denies a statement the app ran;
1 on an error (no such revision, not a repository, a dirty tree, a bad workload file).

Options:
  --base REV       the revision to compare from, e.g. origin/main (required)
  --head REV       the revision to compare to (default HEAD, refused with uncommitted changes)
  --json           the comparison as JSON (--format json is the same; --format markdown the default)
  --repo DIR       the repository (default: this checkout)
  --workload FILE  also judge the statements of FILE (raptor-roles workload --export FILE) against
                   the base's matrix and the head's, with no database: the statements the change
                   newly denies (and newly permits), with their calls, e.g. "moving trades to
                   append-only denies 3 statements the app ran 41,200 times"
  --stack NAME     with --workload: the stack whose matrix (role, schema) judges them, the one
                   whose database FILE was read from (default prod)
  -h, --help       this help
`;

export class DiffError extends Error {
    constructor(
        message: string,
        readonly fix: string = "",
    ) {
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

/** The repository's top directory, or a DiffError saying DIR is not a git repository. */
function repositoryAt(repo: string, given: boolean): string {
    try {
        return execFileSync("git", ["-C", repo, "rev-parse", "--show-toplevel"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        }).trim();
    } catch {
        throw new DiffError(
            `${given ? "--repo " : ""}${repo} is not a git repository (git rev-parse --show-toplevel fails there)`,
            given
                ? "pass the directory of a clone of this repository, or leave --repo out for this checkout"
                : "run it from a git clone",
        );
    }
}

/** The files diff reads that have uncommitted changes (staged or not) in the working tree. */
export function dirtyInputs(repo: string): string[] {
    const status = git(repo, [
        "status",
        "--porcelain",
        "--",
        CLASSIFICATION_FILE,
        "Pulumi.*.yaml",
        "policy/config.json",
    ]);
    return status
        .split("\n")
        .filter(Boolean)
        .map((l) => l.slice(3));
}

function commitOf(repo: string, rev: string, which: string): string {
    try {
        return git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim();
    } catch {
        throw new DiffError(
            `${which} ${JSON.stringify(rev)} is not a commit of ${repo}`,
            `git fetch origin (in CI: actions/checkout with fetch-depth: 0), or name an existing revision`,
        );
    }
}

/**
 * One revision, planned: its files are written to a scratch project dir and removed afterwards. With
 * `workloadStack`, also that stack's grant plan at this revision (its role and schema with this classification).
 */
async function sideAt(
    repo: string,
    rev: string,
    which: string,
    now?: Date,
    workloadStack?: string,
): Promise<{ side: Side; matrix?: GrantPlan }> {
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
        if (workloadStack !== undefined && !stackNames.includes(workloadStack)) {
            throw new DiffError(
                `--stack ${workloadStack}: ${which} ${rev} (${commit.slice(0, 12)}) has no ` +
                    `Pulumi.${workloadStack}.yaml to judge the workload against`,
                `pass --stack with a stack both revisions have (${stackNames.join(", ") || "none"})`,
            );
        }
        const stacks: Record<string, StackPlan> = {};
        for (const stack of stackNames) {
            fs.writeFileSync(
                path.join(dir, `Pulumi.${stack}.yaml`),
                git(repo, ["show", `${commit}:Pulumi.${stack}.yaml`]),
            );
            stacks[stack] = await planDocument({ stack, dir, classification, ...(now ? { now } : {}) });
        }
        let matrix: GrantPlan | undefined;
        if (workloadStack !== undefined) {
            const { role, schema } = stackSettings(workloadStack, dir);
            matrix = buildPlan({ classification, role, schema });
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
        return {
            side: { rev, commit, classification, stacks, ...(prodSignoff ? { prodSignoff } : {}) },
            ...(matrix ? { matrix } : {}),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export async function diffRevisions(o: {
    repo?: string;
    base: string;
    head?: string;
    now?: Date;
    /** Judge this workload file's statements against both sides' matrices of `stack` (default prod). */
    workload?: { file: string; doc: WorkloadExport; stack?: string };
}): Promise<ReviewDiff> {
    const repo = repositoryAt(o.repo ?? projectDir(), o.repo !== undefined);
    if (o.head === undefined) {
        const dirty = dirtyInputs(repo);
        if (dirty.length > 0) {
            throw new DiffError(
                `uncommitted changes to ${dirty.join(", ")} in ${repo}: diff compares commits, so without --head ` +
                    "it would compare HEAD and silently leave them out",
                "commit them (git commit -am ...) or stash them (git stash), then run it again; or pass --head HEAD " +
                    "to compare the last commit without them",
            );
        }
    }
    const stack = o.workload ? (o.workload.stack ?? "prod") : undefined;
    const base = await sideAt(repo, o.base, "--base", o.now, stack);
    const head = await sideAt(repo, o.head ?? "HEAD", "--head", o.now, stack);
    const d = reviewDiff(base.side, head.side);
    if (o.workload === undefined || stack === undefined) {
        return d;
    }
    const { file, doc } = o.workload;
    checkWorkloadRole(doc, file, stack, head.matrix!.role);
    return { ...d, workload: workloadChange(doc, file, { base: base.matrix!, head: head.matrix!, stack }, d.tables) };
}

export const diff: Subcommand = async (argv: string[], io: Io) => {
    const { values } = parse(
        argv,
        {
            base: { type: "string" },
            head: { type: "string" },
            format: { type: "string" },
            json: { type: "boolean" },
            repo: { type: "string" },
            workload: { type: "string" },
            stack: { type: "string" },
        },
        "diff",
    );
    if (values.help) {
        io.out(DIFF_HELP);
        return EXIT.OK;
    }
    if (!values.base) {
        throw new UsageError("--base is required", "raptor-roles diff --base origin/main");
    }
    const format = values.json ? "json" : (values.format ?? "markdown");
    if (format !== "markdown" && format !== "json") {
        throw new UsageError(`--format ${JSON.stringify(format)} is not a format`, "--format markdown or --json");
    }
    if (values.json && values.format === "markdown") {
        throw new UsageError("--json and --format markdown contradict each other", "give one of them");
    }
    if (values.stack !== undefined && values.workload === undefined) {
        throw new UsageError(
            "--stack only says which stack judges --workload FILE",
            "add --workload FILE, or drop --stack",
        );
    }
    // The file first: a bad one is reported before either revision is planned.
    const workload =
        values.workload !== undefined
            ? { file: values.workload, doc: readWorkloadFile(values.workload), stack: values.stack }
            : undefined;
    const d = await diffRevisions({
        base: values.base,
        ...(values.head ? { head: values.head } : {}),
        ...(values.repo ? { repo: values.repo } : {}),
        ...(workload ? { workload } : {}),
    });
    io.out(format === "json" ? `${JSON.stringify(d, null, 2)}\n` : renderMarkdown(d));
    return (d.workload?.newlyDenied.length ?? 0) > 0 ? EXIT.FINDING : EXIT.OK;
};

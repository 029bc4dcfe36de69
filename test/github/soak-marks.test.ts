/**
 * The soak marks' way from the soak workflow to the prod deploy, off main (issue 29): soak.yml's own git steps,
 * run as written on a real repository with a bare origin, push each mark to branch raptor-soak-marks (creating it
 * on the first run), and deploy.yml's own step checks that branch out for `deploy --marks`. Main never moves. The
 * soak command itself is stood in for by a file write here (test/cli/soak.test.ts runs it).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const REPO = path.resolve(__dirname, "..", "..");

interface Step {
    name?: string;
    run?: string;
}
function stepRun(workflow: string, name: string): string {
    const doc = parse(fs.readFileSync(path.join(REPO, ".github", "workflows", workflow), "utf8")) as {
        jobs: Record<string, { steps: Step[] }>;
    };
    const step = Object.values(doc.jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.name === name);
    if (step?.run === undefined) {
        throw new Error(`${workflow} has no step named ${JSON.stringify(name)} with a run script`);
    }
    return step.run;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-soak-marks-"));
const origin = path.join(root, "origin.git");
const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** A fresh clone of main, as actions/checkout leaves it (depth 1), and a run's RUNNER_TEMP and GITHUB_ENV. */
function runner(n: number) {
    const work = path.join(root, `run-${n}`);
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${origin}`, work]);
    const temp = path.join(root, `temp-${n}`);
    fs.mkdirSync(temp);
    const env = { ...process.env, RUNNER_TEMP: temp, GITHUB_ENV: path.join(temp, "env"), RC: "0" };
    const bash = (script: string) =>
        execFileSync("bash", ["-e", "-o", "pipefail", "-c", script], {
            cwd: work,
            env,
            encoding: "utf8",
            stdio: "pipe",
        });
    return { work, temp, env, bash };
}

/** One soak run: the workflow's checkout step, a mark written where soak --marks writes it, the push step. */
function soakRun(n: number, marks: number): void {
    const r = runner(n);
    r.bash(stepRun("soak.yml", "Check out the soak marks (branch raptor-soak-marks; created empty on the first run)"));
    fs.writeFileSync(path.join(r.temp, "marks", "prod.json"), `${JSON.stringify({ stack: "staging", marks })}\n`);
    r.bash(stepRun("soak.yml", "Push the mark to branch raptor-soak-marks"));
}

let mainBefore: string;
let deployed: { env: string; prodJson: string };

beforeAll(() => {
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
    const seed = path.join(root, "seed");
    execFileSync("git", ["clone", "-q", `file://${origin}`, seed], { stdio: "ignore" });
    fs.writeFileSync(path.join(seed, "Pulumi.prod.yaml"), "config:\n  raptor:app: raxx-api-prod\n");
    git(seed, "add", "-A");
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "main");
    git(seed, "push", "-q", "origin", "HEAD:main");
    mainBefore = git(origin, "rev-parse", "main");
    soakRun(1, 1);
    soakRun(2, 2);
    const d = runner(3);
    d.bash(
        stepRun(
            "deploy.yml",
            "Staging's soak marks, for prod's soak-before-prod (branch raptor-soak-marks, written by soak.yml)",
        ),
    );
    deployed = {
        env: fs.readFileSync(d.env.GITHUB_ENV, "utf8"),
        prodJson: fs.readFileSync(path.join(d.temp, "marks", "prod.json"), "utf8"),
    };
}, 60_000);

describe("soak marks travel on branch raptor-soak-marks, never through main", () => {
    it("the first run creates the branch, the second adds to it: one commit per mark, prod.json only", () => {
        expect(git(origin, "log", "--format=%s", "raptor-soak-marks").split("\n")).toEqual([
            "soak mark for staging (exit 0)",
            "soak mark for staging (exit 0)",
        ]);
        expect(git(origin, "ls-tree", "--name-only", "raptor-soak-marks")).toBe("prod.json");
    });

    it("main is where it was: no workflow step pushed to it", () => {
        expect(git(origin, "rev-parse", "main")).toBe(mainBefore);
        expect(git(origin, "for-each-ref", "--format=%(refname)")).toBe(
            "refs/heads/main\nrefs/heads/raptor-soak-marks",
        );
    });

    it("the prod deploy checks out the newest marks and passes --marks to deploy", () => {
        expect(JSON.parse(deployed.prodJson)).toEqual({ stack: "staging", marks: 2 });
        expect(deployed.env).toMatch(/^MARKS=--marks \S+\/marks\n$/);
    });
});

describe("no workflow pushes to main", () => {
    const dir = path.join(REPO, ".github", "workflows");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yml"));

    it.each(files)("%s: every git push names refs/heads/raptor-soak-marks, and only soak.yml pushes", (f) => {
        const pushes = fs.readFileSync(path.join(dir, f), "utf8").match(/git push.*/g) ?? [];
        expect(pushes).toEqual(f === "soak.yml" ? ["git push origin HEAD:refs/heads/raptor-soak-marks"] : []);
    });

    it.each(files)("%s: asks for contents: write only if it pushes the marks; never adds a stack file", (f) => {
        const t = fs.readFileSync(path.join(dir, f), "utf8");
        expect(/contents: write/.test(t)).toBe(f === "soak.yml");
        expect(t).not.toMatch(/git (add|commit)[^\n]*Pulumi\./);
    });
});

/**
 * The workflows run the tools at the versions this repo tests: the heroku CLI that package.json pins (the Heroku
 * tests' CLI) and the pulumi CLI that engine/targets.tsv builds (the engine tests' CLI). An unpinned install
 * (`npm install -g heroku`, `get.pulumi.com | sh`) would deploy with whatever was released that morning.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const REPO = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(REPO, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
const text = (f: string) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8");

const herokuVersion: string = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).devDependencies
    .heroku;
const pulumiVersion = /^pulumi\t.*version\.Version=v(\d+\.\d+\.\d+)\t/m.exec(
    fs.readFileSync(path.join(REPO, "engine", "targets.tsv"), "utf8"),
)?.[1];

describe("the workflows install the tested versions", () => {
    it("reads both versions", () => {
        expect(herokuVersion).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pulumiVersion).toBe("3.248.0");
        expect(files).toEqual(["deploy.yml", "review.yml", "soak.yml"]);
    });

    it.each(files)("%s: every heroku CLI install is heroku@<package.json's version>", (f) => {
        const installs = text(f).match(/npm install -g heroku\S*/g) ?? [];
        expect(installs.length).toBeGreaterThan(0);
        expect(new Set(installs)).toEqual(new Set([`npm install -g heroku@${herokuVersion}`]));
    });

    it.each(files)("%s: every pulumi CLI install is <targets.tsv's version>", (f) => {
        const installs = [
            ...(text(f).match(/get\.pulumi\.com \| sh.*/g) ?? []),
            ...(text(f).match(/pulumi-version: .*/g) ?? []),
        ];
        expect(installs.length).toBeGreaterThan(0);
        for (const i of installs) {
            expect(i).toMatch(new RegExp(`(--version |pulumi-version: )${pulumiVersion!.replace(/\./g, "\\.")}$`));
        }
    });
});

describe("review.yml runs the engine tests with the engine build cached (issue 28)", () => {
    const review = parse(text("review.yml")) as {
        jobs: Record<
            string,
            { env?: Record<string, string>; steps: { uses?: string; run?: string; with?: Record<string, string> }[] }
        >;
    };
    const engine = review.jobs.engine;

    it("runs npm run test:engine, then build.sh's installed-binary test on the builds, after a cache step", () => {
        const runs = engine.steps.flatMap((s) => (s.run === undefined ? [] : [s.run.trim()]));
        expect(runs.filter((r) => r.startsWith("npm") || r.startsWith("npx"))).toEqual([
            "npm ci",
            "npm run test:engine",
            "npx vitest run --config vitest.fast.config.mts test/engine-build",
        ]);
        const at = (step: string) => engine.steps.findIndex((s) => s.uses?.startsWith(`${step}@`) || s.run === step);
        expect(at("actions/cache")).toBeGreaterThan(-1);
        expect(at("actions/setup-go")).toBeGreaterThan(-1);
        expect(at("actions/cache")).toBeLessThan(at("npm run test:engine"));
        expect(at("actions/setup-go")).toBeLessThan(at("npm run test:engine"));
    });

    it("caches RAPTOR_ENGINE_CACHE, keyed by every file the build is pinned by, built from source", () => {
        const cache = engine.steps.find((s) => s.uses?.startsWith("actions/cache@"))!;
        expect(cache.with!.path).toBe("${{ env.RAPTOR_ENGINE_CACHE }}");
        const set = engine.steps.find((s) => s.run?.includes("RAPTOR_ENGINE_CACHE="))!;
        expect(set.run!.trim()).toBe('echo "RAPTOR_ENGINE_CACHE=$HOME/.cache/raptor-engine" >> "$GITHUB_ENV"');
        const hashed = /hashFiles\(([^)]*)\)/
            .exec(cache.with!.key)![1]
            .split(",")
            .map((f) => f.trim());
        expect(hashed).toEqual([
            "'engine/targets.tsv'",
            "'engine/go.mod'",
            "'engine/go.sum'",
            "'engine/langhost/go.*'",
            "'engine/build.sh'",
        ]);
        // Links to a runner's own pulumi would not survive the cache: the job builds from source.
        expect(engine.env).toEqual({ RAPTOR_ENGINE_FROM_SOURCE: "1" });
        const go = engine.steps.find((s) => s.uses?.startsWith("actions/setup-go@"))!;
        expect(go.with!["go-version"]).toBe("1.26");
    });
});

/**
 * The workflows run the tools at the versions this repo tests: the heroku CLI that package.json pins (the Heroku
 * tests' CLI) and the pulumi CLI that engine/targets.tsv builds (the engine tests' CLI). An unpinned install
 * (`npm install -g heroku`, `get.pulumi.com | sh`) would deploy with whatever was released that morning.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

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

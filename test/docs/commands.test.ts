/**
 * docs/commands.md is generated from the help texts (npm run docs:commands, bin/docs-commands.js): a help text
 * changed without a rerun fails here, so the reference never drifts from what the CLI prints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as cli from "../../cli/main";

const ROOT = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const docs = require(path.join(ROOT, "bin", "docs-commands.js")) as {
    FILE: string;
    helpTexts: (c: typeof cli) => Promise<[string, string][]>;
    render: (texts: [string, string][]) => string;
};

describe("docs/commands.md", () => {
    it("is exactly what npm run docs:commands writes from the current help texts", async () => {
        const texts = await docs.helpTexts(cli);
        expect(texts.map(([name]) => name)).toEqual(["", ...Object.keys(cli.COMMANDS)]);
        const want = docs.render(texts);
        const have = fs.readFileSync(docs.FILE, "utf8");
        // On failure: run `npm run docs:commands` and commit docs/commands.md.
        expect(have, "docs/commands.md is stale: run npm run docs:commands").toBe(want);
    }, 120_000);

    it("has one section per command, each holding that command's usage line", () => {
        const have = fs.readFileSync(path.join(ROOT, "docs", "commands.md"), "utf8");
        const sections = [...have.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
        expect(sections).toEqual(["Overview", ...Object.keys(cli.COMMANDS)]);
        for (const name of Object.keys(cli.COMMANDS)) {
            expect(have).toContain(`usage: raptor-roles ${name} `);
        }
    });
});

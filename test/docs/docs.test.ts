/**
 * The README and docs/ against what runs: the README's first block is exactly its two commands; every
 * `raptor-roles COMMAND --option` shown exists in that command's help; every `heroku` line in an `sh` block names a
 * command and flags of the pinned CLI; every `sh` block runs the CLI one way (`node bin/raptor-roles.js`); every
 * relative link and anchor resolves. The `pulumi` lines are test/engine/project.engine.ts's (the real CLI parses
 * them). docs/commands.md is the help itself (test/docs/commands.test.ts) and is not read here.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as cli from "../../cli/main";

const ROOT = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { helpTexts } = require(path.join(ROOT, "bin", "docs-commands.js")) as {
    helpTexts: (c: typeof cli) => Promise<[string, string][]>;
};

/** README.md and docs/*.md, relative to the repository, commands.md included only where asked. */
function docFiles(withCommands = false): string[] {
    const docs = fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md") && (withCommands || f !== "commands.md"))
        .sort()
        .map((f) => `docs/${f}`);
    return ["README.md", ...docs];
}

interface Block {
    readonly lang: string;
    readonly lines: string[];
}

/** A Markdown file split into fenced blocks (with their language) and the prose between them. */
function parse(text: string): { blocks: Block[]; prose: string } {
    const blocks: Block[] = [];
    const prose: string[] = [];
    let open: Block | undefined;
    for (const line of text.split("\n")) {
        const fence = /^\s*```(\w*)\s*$/.exec(line);
        if (fence && open === undefined) {
            open = { lang: fence[1], lines: [] };
        } else if (fence) {
            blocks.push(open!);
            open = undefined;
        } else if (open) {
            open.lines.push(line.trim());
        } else {
            prose.push(line);
        }
    }
    expect(open, "an unclosed code fence").toBeUndefined();
    return { blocks, prose: prose.join("\n") };
}

/** A shell block's commands: continuations joined, comments dropped, one entry per line. */
function shellLines(block: Block): string[] {
    return block.lines
        .join("\n")
        .replace(/\\\n\s*/g, " ")
        .split("\n")
        .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
        .filter((l) => l !== "");
}

interface Invocation {
    readonly file: string;
    readonly text: string;
    readonly command: string;
    readonly options: string[];
}

const RUN = /(?:^|[\s;&|(])(?:node\s+\S*bin\/raptor-roles\.js|raptor-roles)\s+((?:--)?[a-z][a-z-]*)([^|;&>#`]*)/g;

function invocations(file: string, text: string): Invocation[] {
    return [...text.matchAll(RUN)].map((m) => ({
        file,
        text: m[0].trim(),
        command: m[1],
        options: [...m[2].matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((o) => o[0]),
    }));
}

/** Every invocation shown: in sh and yaml blocks, and in inline code in the prose. */
function allInvocations(): Invocation[] {
    return docFiles().flatMap((file) => {
        const { blocks, prose } = parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
        const fromBlocks = blocks
            .filter((b) => b.lang === "sh" || b.lang === "yaml")
            .flatMap((b) => shellLines(b).flatMap((l) => invocations(file, l)));
        const inline = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, " "));
        return [...fromBlocks, ...inline.flatMap((code) => invocations(file, code))];
    });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
    return heading
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, "")
        .replace(/ /g, "-");
}

function anchors(file: string): Set<string> {
    const { prose } = parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of prose.matchAll(/^#{1,6} (.+)$/gm)) {
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n === 0 ? base : `${base}-${n}`);
    }
    return out;
}

describe("README.md", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("is at most 200 lines", () => {
        expect(readme.split("\n").length).toBeLessThanOrEqual(200);
    });

    it("starts with the two commands a newcomer runs, and nothing else, in its first code block", () => {
        const { blocks } = parse(readme);
        expect(blocks[0]).toEqual({ lang: "sh", lines: ["npm ci && npm start", "npm test"] });
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        expect(pkg.scripts.start).toBe("node bin/raptor-roles.js plan --stack staging");
    });

    it("shows the three commands it is used by, and the two human acts", () => {
        const lines = parse(readme).blocks.flatMap(shellLines);
        const pack = "--policy-pack policy --policy-pack-config policy/config.json";
        expect(lines).toEqual(
            expect.arrayContaining([
                `pulumi preview -s staging ${pack}`,
                `pulumi up -s staging ${pack}`,
                `pulumi up -s prod ${pack}`,
            ]),
        );
        expect(readme.match(/HUMAN ACT \d/g)).toEqual(["HUMAN ACT 1", "HUMAN ACT 2"]);
        expect(readme).toContain("](docs/runbook.md)");
    });
});

describe("every raptor-roles command shown in the README and docs/", () => {
    const help = new Map<string, string>();
    // Loading every command's module (Pulumi, pg, the pack) takes seconds, more on a loaded machine.
    beforeAll(async () => {
        for (const [name, text] of await helpTexts(cli)) {
            // The overview is what `raptor-roles --help` prints; it also names --version.
            for (const key of name === "" ? ["--help", "--version", "help"] : [name]) {
                help.set(key, text);
            }
        }
    }, 120_000);
    const shown = allInvocations();

    it("is found: the README and every page of docs/ show some", () => {
        expect(new Set(shown.map((i) => i.file))).toEqual(new Set(docFiles()));
        expect(shown.length).toBeGreaterThan(40);
    });

    it("names a command that exists, with options its help lists", () => {
        const bad = shown.flatMap((i) => {
            const text = help.get(i.command);
            if (text === undefined) {
                return [`${i.file}: ${i.text}: no command ${i.command}`];
            }
            const unknown = i.options.filter((o) => !new RegExp(`(?<![\\w-])${o}(?![\\w-])`).test(text));
            return unknown.map((o) => `${i.file}: ${i.text}: ${i.command} --help lists no ${o}`);
        });
        expect(bad).toEqual([]);
    });

    it("is run one way in every sh block: node bin/raptor-roles.js", () => {
        const other = docFiles().flatMap((file) =>
            parse(fs.readFileSync(path.join(ROOT, file), "utf8"))
                .blocks.filter((b) => b.lang === "sh")
                .flatMap(shellLines)
                .flatMap((l) => [...l.matchAll(/\S*raptor-roles\S*/g)].map((m) => m[0]))
                .filter((token) => token !== "bin/raptor-roles.js")
                .map((token) => `${file}: ${token}`),
        );
        expect(other).toEqual([]);
    });
});

describe("every heroku line in an sh block", () => {
    const manifest = JSON.parse(
        fs.readFileSync(path.join(ROOT, "node_modules", "heroku", "oclif.manifest.json"), "utf8"),
    ) as { commands: Record<string, { aliases: string[]; flags: Record<string, { char?: string }> }> };
    const byName = new Map(
        Object.entries(manifest.commands).flatMap(([id, c]) => [id, ...c.aliases].map((n) => [n, c] as const)),
    );
    const lines = docFiles()
        .flatMap((file) =>
            parse(fs.readFileSync(path.join(ROOT, file), "utf8"))
                .blocks.filter((b) => b.lang === "sh")
                .flatMap(shellLines)
                .flatMap((l) => [...l.matchAll(/(?:^|[\s;&|(])heroku\s+([^|;&>)]*)/g)].map((m) => [file, m[1]])),
        )
        .filter(([, args]) => args.trim() !== "");

    it("is found", () => {
        expect(lines.length).toBeGreaterThanOrEqual(5);
    });

    it("names a command of the pinned heroku CLI (11.10) with flags it has", () => {
        const bad = lines.flatMap(([file, args]) => {
            const [id, ...rest] = args.trim().split(/\s+/);
            const command = byName.get(id);
            if (command === undefined) {
                return [`${file}: heroku ${args}: no command ${id}`];
            }
            const flags = Object.entries(command.flags);
            return rest
                .filter((t) => /^--?[a-z]/.test(t))
                .map((t) => t.replace(/=.*$/, ""))
                .filter((t) =>
                    t.startsWith("--")
                        ? !flags.some(([name]) => name === t.slice(2))
                        : !flags.some(([, f]) => f.char === t.slice(1)),
                )
                .map((t) => `${file}: heroku ${args}: no flag ${t}`);
        });
        expect(bad).toEqual([]);
    });
});

describe("links in the README and docs/", () => {
    it("point at files that exist, and at headings that exist", () => {
        const bad = docFiles(true).flatMap((file) => {
            const { prose } = parse(fs.readFileSync(path.join(ROOT, file), "utf8"));
            const links = [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
            return links
                .filter((l) => !/^[a-z]+:/.test(l))
                .flatMap((l) => {
                    const [target, anchor] = l.split("#");
                    const to = target === "" ? file : path.posix.normalize(path.posix.join(path.dirname(file), target));
                    if (!fs.existsSync(path.join(ROOT, to))) {
                        return [`${file}: ${l}: no file ${to}`];
                    }
                    if (anchor !== undefined && to.endsWith(".md") && !anchors(to).has(anchor)) {
                        return [`${file}: ${l}: no heading #${anchor} in ${to}`];
                    }
                    return [];
                });
        });
        expect(bad).toEqual([]);
    });
});

/**
 * No import circles in the sources: a circle makes load order decide which module sees the other half-initialised
 * (issue 30 found cli/contract.ts <-> cli/io.ts and core/verify/checker.ts <-> core/verify/sources.ts). Type-only
 * imports count too: they tie the two files' designs together just the same. Read with the TypeScript compiler's
 * own import scanner (ts.preProcessFile), so dynamic import() (main.ts's command table) is seen as well.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const DIRS = ["cli", "core", "db", "offline", "components", "policy"];
const FILES = ["index.ts", "program.ts", "config.ts"];

function sources(): string[] {
    const out = FILES.filter((f) => fs.existsSync(path.join(ROOT, f)));
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.posix.join(dir, e.name);
            if (e.isDirectory() && e.name !== "node_modules" && rel !== "policy/core") {
                walk(rel);
            } else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) {
                out.push(rel);
            }
        }
    };
    DIRS.forEach(walk);
    return out.sort();
}

/** The project files `file` imports (relative specifiers only), resolved as node resolves them. */
function importsOf(file: string): string[] {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), "utf8"), true, true);
    const out: string[] = [];
    for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith(".")) {
            continue;
        }
        const base = path.posix.join(path.posix.dirname(file), fileName);
        const hit = [`${base}.ts`, `${base}/index.ts`, base].find(
            (f) => f.endsWith(".ts") && fs.existsSync(path.join(ROOT, f)),
        );
        if (hit !== undefined) {
            out.push(hit);
        }
    }
    return out;
}

/** Every circle, each once, as the files in it starting from the smallest name ("a -> b -> a"). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
    const found = new Set<string>();
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
        state.set(f, "open");
        stack.push(f);
        for (const g of graph.get(f) ?? []) {
            if (state.get(g) === "open") {
                const ring = stack.slice(stack.indexOf(g));
                const start = ring.indexOf([...ring].sort()[0]);
                const rotated = [...ring.slice(start), ...ring.slice(0, start)];
                found.add([...rotated, rotated[0]].join(" -> "));
            } else if (state.get(g) === undefined) {
                visit(g);
            }
        }
        stack.pop();
        state.set(f, "done");
    };
    [...graph.keys()].sort().forEach((f) => state.get(f) === undefined && visit(f));
    return [...found].sort();
}

describe("import circles", () => {
    it("finds a circle, a longer one, and none in a tree (the detector itself)", () => {
        const g = new Map([
            ["a.ts", ["b.ts"]],
            ["b.ts", ["a.ts", "c.ts"]],
            ["c.ts", ["d.ts"]],
            ["d.ts", ["e.ts"]],
            ["e.ts", ["c.ts"]],
            ["f.ts", ["a.ts", "c.ts"]],
        ]);
        expect(cycles(g)).toEqual(["a.ts -> b.ts -> a.ts", "c.ts -> d.ts -> e.ts -> c.ts"]);
        expect(
            cycles(
                new Map([
                    ["a.ts", ["b.ts", "c.ts"]],
                    ["b.ts", ["c.ts"]],
                ]),
            ),
        ).toEqual([]);
    });

    it("reads type-only imports and re-exports as imports", () => {
        expect(importsOf("core/verify/checker.ts")).toContain("core/verify/sources.ts");
        expect(importsOf("cli/contract.ts")).toContain("cli/io.ts");
        expect(importsOf("cli/main.ts")).toContain("cli/plan.ts"); // import("./plan"), loaded on demand
    });

    it("there are none in the sources", () => {
        const files = sources();
        expect(files.length).toBeGreaterThan(100);
        expect(cycles(new Map(files.map((f) => [f, importsOf(f)])))).toEqual([]);
    });
});

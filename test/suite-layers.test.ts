/**
 * vitest.layers.mts: `npm test` runs every test file exactly once, in one of its four projects, and `npm run
 * test:fast` runs exactly the fast ones. A glob added to one list and not the other would otherwise drop a file
 * from the suite (no project includes it) or run it twice, and nothing would say so.
 */
import * as path from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, it } from "vitest";
import { ALL, FAST_INCLUDE, FAST_PROJECTS, NODE_MODULES, OWN_MODULES, SLOW_IN_FAST_DIRS } from "../vitest.layers.mjs";
import suite from "../vitest.config.mjs";
import fast from "../vitest.fast.config.mjs";

const ROOT = path.resolve(__dirname, "..");

interface Project {
    test: { name: string; include: string[]; exclude?: string[] };
}

const files = (include: string[], exclude: string[] = []) => globSync(include, { cwd: ROOT, ignore: exclude }).sort();

function byProject(projects: Project[]): Map<string, string[]> {
    return new Map(projects.map((p) => [p.test.name, files(p.test.include, p.test.exclude)]));
}

describe("the suite's layers", () => {
    const all = files(ALL, NODE_MODULES);
    const inSuite = byProject(suite.test?.projects as Project[]);

    it("npm test: each test file in exactly one project, and every one in some project", () => {
        const listed = [...inSuite.values()].flat();
        expect(listed.sort()).toEqual(all);
        expect(new Set(listed).size).toBe(listed.length);
    });

    it("npm run test:fast: the suite's two fast projects, file for file", () => {
        const inFast = byProject(fast.test?.projects as Project[]);
        expect([...inFast.keys()]).toEqual(FAST_PROJECTS.map((p) => p.test.name));
        for (const [name, list] of inFast) {
            expect(list, name).toEqual(inSuite.get(name));
        }
    });

    it("the fast layer is FAST_INCLUDE but SLOW_IN_FAST_DIRS; the own-module files stay isolated", () => {
        const fastFiles = [...(inSuite.get("unit") ?? []), ...(inSuite.get("unit-own-modules") ?? [])].sort();
        expect(fastFiles).toEqual(files(FAST_INCLUDE, [...NODE_MODULES, ...SLOW_IN_FAST_DIRS]));
        expect(inSuite.get("unit-own-modules")).toEqual([...OWN_MODULES].sort());
        expect(FAST_PROJECTS.map((p) => p.test.isolate)).toEqual([false, undefined]);
    });
});

import { defineConfig } from "vitest/config";
import { ALL, FAST_INCLUDE, FAST_PROJECTS, NODE_MODULES, SLOW_IN_FAST_DIRS } from "./vitest.layers.mjs";

// `npm test`: every test, in the layers of vitest.layers.mts. vitest orders files by project name, then (within a
// project) longest first by its last run, or largest first on a fresh clone: "integration" sorts before "unit", so
// the slow files start first and the many short ones fill the end. Each file is in exactly one project:
// the fast layer's two, then the slow layer as the files outside the fast directories and the slow files inside them
// (one glob cannot say "FAST_INCLUDE but not SLOW_IN_FAST_DIRS" as an exclude). test/suite-layers.test.ts checks it.
const slow = {
    // One real PostgreSQL (17, or RAPTOR_PG_MAJOR=16|18) per slow project, always stopped: test/support/global-setup.ts
    globalSetup: ["test/support/global-setup.ts"],
    hookTimeout: 120_000,
};

export default defineConfig({
    test: {
        // Most of the slow layer's time is spent waiting on PostgreSQL and child processes: 3 files at once on 2 cores.
        maxWorkers: 3,
        testTimeout: 60_000,
        projects: [
            ...FAST_PROJECTS,
            {
                extends: true,
                test: {
                    name: "integration",
                    include: ALL,
                    exclude: [...NODE_MODULES, ...FAST_INCLUDE, ...SLOW_IN_FAST_DIRS],
                    ...slow,
                },
            },
            {
                extends: true,
                test: { name: "integration-in-unit-dirs", include: SLOW_IN_FAST_DIRS, exclude: NODE_MODULES, ...slow },
            },
        ],
    },
});

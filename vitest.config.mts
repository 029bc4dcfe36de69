import { defineConfig } from "vitest/config";
import { ALL, FAST_INCLUDE, FAST_PROJECTS, NODE_MODULES, SLOW_IN_FAST_DIRS } from "./vitest.layers.mjs";

// `npm test`: every test, in the layers of vitest.layers.mts, each file in exactly one project
// (test/suite-layers.test.ts): the unit layer's two; "early"; the integration layer as the files outside the unit
// directories and the slow files inside them (one glob cannot say "FAST_INCLUDE but not SLOW_IN_FAST_DIRS").
// vitest orders files by project name, then longest first by the last run (largest first on a fresh clone): so
// "early", then "integration", start before the many short "unit" files, which fill the end of the run.

/**
 * The CLI host's proof, in a project of its own so that it starts first: it is the suite's longest file (two
 * minutes of CLI processes one after another, mostly waiting), and started late it would end the run. It starts
 * its own PostgreSQL.
 */
const EARLY = ["test/support/heroku-cli-host.test.ts"];

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
            { extends: true, test: { name: "early", include: EARLY, hookTimeout: 120_000 } },
            {
                extends: true,
                test: {
                    name: "integration",
                    include: ALL,
                    exclude: [...NODE_MODULES, ...FAST_INCLUDE, ...SLOW_IN_FAST_DIRS, ...EARLY],
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

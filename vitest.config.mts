import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "policy/**/*.test.ts"],
        // One real PostgreSQL (17, or RAPTOR_PG_MAJOR=16|18) per run, always stopped: test/support/global-setup.ts
        globalSetup: ["test/support/global-setup.ts"],
        // On 2 cores vitest would run one file at a time; most test time is spent waiting on
        // PostgreSQL and child processes, so 3 files at once takes the suite from ~75 s to ~40 s.
        maxWorkers: 3,
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});

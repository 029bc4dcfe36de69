import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "policy/**/*.test.ts"],
        // One real PostgreSQL 17 for the whole run, always stopped (see test/support/global-setup.ts).
        globalSetup: ["test/support/global-setup.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});

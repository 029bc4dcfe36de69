import { defineConfig } from "vitest/config";

// `npm run test:engine`: the real Pulumi CLI (built by engine/build.sh) on this repo's project and stack files.
// Kept out of `npm test`: it needs the engine build (cold, several minutes) and runs its files one at a time.
export default defineConfig({
    test: {
        include: ["test/engine/**/*.engine.ts"],
        fileParallelism: false,
        // One `pulumi up` takes 45-90 s here alone, more on 2 cores shared with other builds; the scenario's
        // time is reported, not asserted.
        testTimeout: 300_000,
        hookTimeout: 300_000,
    },
});

import { defineConfig } from "vitest/config";
import { FAST_PROJECTS } from "./vitest.layers.mjs";

// `npm run test:fast`, the edit loop: the fast layer of vitest.layers.mts, under a minute on 2 cores. `npm test`
// runs these and everything else; CI runs both.
export default defineConfig({
    test: {
        maxWorkers: 3,
        testTimeout: 60_000,
        projects: FAST_PROJECTS,
    },
});

import { defineConfig } from "vitest/config";

// `npm run test:fast`, the edit loop: the pure and offline layers (core, policy, program, the offline plan), under
// a minute on 2 cores. No PostgreSQL (no globalSetup: no file here reads inject("pg")), no real heroku CLI, no
// policy pack over gRPC, no built CLI as a subprocess. `npm test` runs these and everything else; CI runs both.
const INCLUDE = [
    "test/core/**/*.test.ts",
    "test/policy/**/*.test.ts",
    "test/program/**/*.test.ts",
    "test/components/**/*.test.ts",
    "test/db/**/*.test.ts",
    "test/github/**/*.test.ts",
    // engine/build.sh's choices over a fake ~/.pulumi (copies or stand-ins; no Go, no build).
    "test/engine-build/**/*.test.ts",
    // The docs against the help texts and the commands they show (in process).
    "test/docs/**/*.test.ts",
    "test/index.test.ts",
    "test/import-cycles.test.ts",
    // The offline plan and the command contract: in process, under mocks.
    "test/cli/plan.test.ts",
    "test/cli/plan-inputs.test.ts",
    "test/cli/contract.test.ts",
    "test/cli/pulumi-driver.test.ts",
    "test/cli/sentry.test.ts",
    "test/cli/check-stop.test.ts",
    "test/cli/soak-store.test.ts",
    "policy/**/*.test.ts",
];
const EXCLUDE = [
    "**/node_modules/**",
    // A real PostgreSQL each (the globalSetup's, or their own).
    "**/*.pg.test.ts",
    // The program's scripts through the real heroku CLI, about a CPU-second a call (syntax.test.ts stays: bash -n).
    "test/core/heroku-scripts/!(syntax).test.ts",
    // The pack as the engine runs it (run-policy-pack over gRPC) and as `npm pack` ships it.
    "test/policy/grpc.test.ts",
    "test/policy/pack.test.ts",
];
// Files that replace a module (vi.mock) need a module cache of their own; every other file shares its worker's, so
// @pulumi/pulumi, the parser and the program are imported once per worker instead of once per file (about half the
// layer's CPU: the imports, not the tests, were most of it).
const OWN_MODULES = ["test/policy/defaults.test.ts", "test/index.test.ts"];

export default defineConfig({
    test: {
        maxWorkers: 3,
        testTimeout: 60_000,
        projects: [
            {
                extends: true,
                test: { name: "shared", include: INCLUDE, exclude: [...EXCLUDE, ...OWN_MODULES], isolate: false },
            },
            { extends: true, test: { name: "isolated", include: OWN_MODULES, exclude: EXCLUDE, isolate: true } },
        ],
    },
});

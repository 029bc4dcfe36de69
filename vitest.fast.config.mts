import { defineConfig } from "vitest/config";

// `npm run test:fast`, the edit loop: the pure and offline layers (core, policy, program, the offline plan), under
// a minute on 2 cores. No PostgreSQL (no globalSetup: no file here reads inject("pg")), no real heroku CLI, no
// policy pack over gRPC, no built CLI as a subprocess. `npm test` runs these and everything else; CI runs both.
export default defineConfig({
    test: {
        include: [
            "test/core/**/*.test.ts",
            "test/policy/**/*.test.ts",
            "test/program/**/*.test.ts",
            "test/components/**/*.test.ts",
            "test/db/**/*.test.ts",
            "test/github/**/*.test.ts",
            // The docs against the help texts and the commands they show (in process).
            "test/docs/**/*.test.ts",
            "test/index.test.ts",
            // The offline plan and the command contract: in process, under mocks.
            "test/cli/plan.test.ts",
            "test/cli/plan-inputs.test.ts",
            "test/cli/contract.test.ts",
            "test/cli/pulumi-driver.test.ts",
            "test/cli/sentry.test.ts",
            "policy/**/*.test.ts",
        ],
        exclude: [
            "**/node_modules/**",
            // A real PostgreSQL each (the globalSetup's, or their own).
            "**/*.pg.test.ts",
            // The program's scripts through the real heroku CLI, about a CPU-second a call (syntax.test.ts stays:
            // bash -n only).
            "test/core/heroku-scripts/!(syntax).test.ts",
            // The pack as the engine runs it (run-policy-pack over gRPC) and as `npm pack` ships it.
            "test/policy/grpc.test.ts",
            "test/policy/pack.test.ts",
        ],
        maxWorkers: 3,
        testTimeout: 60_000,
    },
});

// The suite's two layers, shared by `npm test` (vitest.config.mts) and `npm run test:fast` (vitest.fast.config.mts).
//
// The fast layer: the pure and offline tests (core, policy, program, the offline plan and the command contract).
// No PostgreSQL (no file of it reads inject("pg")), no real heroku CLI, no policy pack over gRPC, no built CLI as a
// subprocess. Everything else is the slow layer.
export const FAST_INCLUDE = [
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
    "test/suite-layers.test.ts",
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

/** Slow files under FAST_INCLUDE's directories: they belong to the slow layer. */
export const SLOW_IN_FAST_DIRS = [
    // A real PostgreSQL each (the globalSetup's, or their own).
    "**/*.pg.test.ts",
    // The program's scripts through the real heroku CLI (syntax.test.ts stays: bash -n).
    "test/core/heroku-scripts/!(syntax).test.ts",
    // The pack as the engine runs it (run-policy-pack over gRPC) and as `npm pack` ships it.
    "test/policy/grpc.test.ts",
    "test/policy/pack.test.ts",
];

export const ALL = ["test/**/*.test.ts", "policy/**/*.test.ts"];
export const NODE_MODULES = ["**/node_modules/**"];

// Files that replace a module (vi.mock) need a module cache of their own; every other fast file shares its worker's,
// so @pulumi/pulumi, the parser and the program are imported once per worker instead of once per file (about half
// the layer's CPU: the imports, not the tests, were most of it).
export const OWN_MODULES = ["test/policy/defaults.test.ts", "test/index.test.ts"];

/** The fast layer as vitest projects: shared module cache, and the files that need their own. */
export const FAST_PROJECTS = [
    {
        extends: true,
        test: {
            name: "unit",
            include: FAST_INCLUDE,
            exclude: [...NODE_MODULES, ...SLOW_IN_FAST_DIRS, ...OWN_MODULES],
            isolate: false,
        },
    },
    {
        extends: true,
        test: { name: "unit-own-modules", include: OWN_MODULES, exclude: [...NODE_MODULES, ...SLOW_IN_FAST_DIRS] },
    },
];

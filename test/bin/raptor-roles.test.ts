/**
 * The installed binary, as a newcomer runs it: `npm start` and `npx raptor-roles`
 * go through bin/raptor-roles.js and the compiled JavaScript in dist/ (built by `npm ci`), not through vitest's
 * loader, so only a real child process proves they work.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, "bin", "raptor-roles.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });

// The binary runs the compiled dist/ and refuses one older than its sources: build it as npm ci would.
beforeAll(() => {
    const b = spawnSync(process.execPath, [path.join(ROOT, "bin", "build.js")], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 300_000,
    });
    expect(b.status, b.stdout + b.stderr).toBe(0);
}, 300_000);

describe("bin/raptor-roles.js", () => {
    it("plan --stack staging (npm start) prints the 40-table plan and exits 0", () => {
        const r = run("plan", "--stack", "staging");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("Privilege matrix for the app role (40 tables):");
        expect(r.stdout).toContain("Result: OK (no mandatory violation)");
    });

    it("plan --stack prod exits 1 on the missing sign-off", () => {
        const r = run("plan", "--stack", "prod", "--json");
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout).violations.map((v: { policy: string }) => v.policy)).toContain("prod-signoff");
    });

    it("an unknown command prints the usage and exits 1", () => {
        const r = run("deploy");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`unknown command "deploy"`);
        expect(r.stderr).toContain("usage: raptor-roles <command>");
    });

    it("a bad option is a usage error naming the option", () => {
        const r = run("sql", "--stak", "prod");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/raptor-roles sql: Unknown option '--stak'/);
    });

    it("an error from a subcommand exits 1 with its message", () => {
        const r = run("sql", "--stack", "qa");
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/^raptor-roles: no stack file .*Pulumi\.qa\.yaml; known stacks: prod, staging\n$/);
    });
});

/**
 * What the real Pulumi CLI does with this repo's project and stack files before any program runs: loading,
 * config defaults and required keys, secrets, the sign-off as `config set --path` stores it, and the name the
 * soak StackReference resolves on a file backend. Needs only the `pulumi` binary.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSignoff } from "../../policy/signoff";
import { REPO, Workspace, requireEngine } from "./engine";

const build = requireEngine();

/** Every `pulumi ...` command line in the code blocks of the README and docs/, as argv, with `$pack` expanded. */
function docCommands(): string[][] {
    const docs = fs
        .readdirSync(path.join(REPO, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join("docs", f));
    const text = ["README.md", ...docs].map((f) => fs.readFileSync(path.join(REPO, f), "utf8")).join("\n");
    const blocks = [...text.matchAll(/^\s*```[a-z]*\n([\s\S]*?)^\s*```/gm)].map((m) => m[1]);
    const lines = blocks
        .join("\n")
        .replace(/\\\n\s*/g, " ")
        .split("\n");
    const pack = /^pack="([^"]*)"/m.exec(blocks.join("\n"))?.[1] ?? "";
    return lines
        .map((l) => l.replace(/\s#.*$/, "").replace(/\$pack\b/g, pack))
        .flatMap((l) => l.split("&&"))
        .map((l) => l.trim())
        .filter((l) => l.startsWith("pulumi "))
        .map((l) => [...l.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]).slice(1));
}

describe("the real Pulumi CLI on this repo's files", () => {
    let ws: Workspace;

    beforeAll(async () => {
        ws = new Workspace(build.binDir);
        await ws.ok(["login", `file://${ws.backend}`]);
        for (const stack of ["staging", "prod"]) {
            await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        }
    });
    afterAll(() => ws?.remove());

    it("is the CLI built from engine/go.mod, at the version @pulumi/pulumi is pinned to", async () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules/@pulumi/pulumi/package.json"), "utf8"));
        expect((await ws.ok(["version"])).trim()).toBe(`v${sdk.version}`);
    });

    it.each([
        ["staging", { "raptor:app": "raxx-api-staging" }],
        ["prod", { "raptor:app": "raxx-api-prod", "raptor:soakStack": "organization/raptor/staging" }],
    ])("resolves every key of Pulumi.%s.yaml with Pulumi.yaml's defaults", async (stack, own) => {
        const config = JSON.parse(await ws.ok(["config", "-s", stack, "--json"])) as Record<string, { value: string }>;
        expect(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value]))).toEqual({
            ...own,
            "raptor:database": "DATABASE",
            "raptor:role": "raptor_app",
            "raptor:schema": "public",
            "raptor:urlDelivery": "attachment",
            "raptor:roleSeparation": "false",
        });
    });

    it("keeps raptor:ownerDatabaseUrl encrypted in the stack file and returns it decrypted", async () => {
        const url = "postgres://owner:owner-pw-7f3a9c@127.0.0.1:5432/raxx";
        await ws.ok(["config", "set", "--secret", "raptor:ownerDatabaseUrl", url, "-s", "staging"]);
        expect(ws.file("Pulumi.staging.yaml")).not.toContain("owner-pw-7f3a9c");
        expect(parse(ws.file("Pulumi.staging.yaml")).config["raptor:ownerDatabaseUrl"]).toEqual({
            secure: expect.stringMatching(/^v1:/),
        });
        expect((await ws.ok(["config", "get", "raptor:ownerDatabaseUrl", "-s", "staging"])).trim()).toBe(url);
    });

    // Field by field, as an operator may still set it (the README's own path, `raptor-roles signoff`, is run
    // end to end by runbook.engine.ts): the pack parses what the CLI stores, a bare-digit ticket included.
    it("stores a `config set --path` sign-off, ticket of bare digits, as the pack parses it", async () => {
        const fingerprint = `sha256:${"ab".repeat(32)}`;
        for (const [field, value] of [
            ["operator", "operator@raxx.app"],
            ["ticket", "1568"],
            ["approvedAt", "2026-11-29T10:00:00Z"],
            ["fingerprint", fingerprint],
        ]) {
            await ws.ok(["config", "set", "--path", `raptor:signoff.${field}`, value, "-s", "prod"]);
        }
        // The language host hands the pack this `value` (JSON text) in PULUMI_CONFIG.
        const { value } = JSON.parse(await ws.ok(["config", "get", "raptor:signoff", "-s", "prod", "--json"]));
        expect(JSON.parse(value).ticket).toBe(1568);
        expect(parseSignoff(value, new Date("2026-11-30T00:00:00Z"))).toEqual({
            signoff: {
                operator: "operator@raxx.app",
                ticket: "1568",
                approvedAt: "2026-11-29T10:00:00Z",
                fingerprint,
                extras: [],
            },
            problems: [],
        });
    });

    it("accepts every pulumi command line in the README and docs/: the real CLI checks the flags first", async () => {
        const commands = docCommands();
        expect(commands).toContainEqual([
            "up",
            "-s",
            "prod",
            "--policy-pack",
            "policy",
            "--policy-pack-config",
            "policy/config.json",
        ]);
        for (const argv of commands) {
            const r = await ws.pulumi([...argv, "--help"]);
            expect(r.stderr, `pulumi ${argv.join(" ")}`).toBe("");
            expect(r.code, `pulumi ${argv.join(" ")}`).toBe(0);
        }
    });

    it("resolves prod's raptor:soakStack to the staging stack on a file backend", async () => {
        const soakStack = parse(ws.file("Pulumi.prod.yaml")).config["raptor:soakStack"];
        expect(soakStack).toBe("organization/raptor/staging");
        // `-s` and a StackReference's name go through the same backend stack-reference parser.
        expect(await ws.ok(["stack", "ls", "--json", "-Q"])).toContain(`"name": "${soakStack}"`);
        expect(JSON.parse(await ws.ok(["stack", "output", "--json", "-s", soakStack]))).toEqual({});
    });
});

// test/bin/errors-name-input.test.ts has the CLI with no pulumi on PATH (tool-missing, with the pinned install);
// here the pinned one is on PATH, as `curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0` puts it there.
describe("raptor-roles with the pinned pulumi on PATH", () => {
    it("cutover gets past the tool check to pulumi itself", () => {
        expect(spawnSync(path.join(build.binDir, "pulumi"), ["version"], { encoding: "utf8" }).stdout.trim()).toBe(
            "v3.248.0",
        );
        const bare = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-bare-path-"));
        fs.symlinkSync(process.execPath, path.join(bare, "node"));
        const backend = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-backend-"));
        try {
            const r = spawnSync(
                process.execPath,
                [path.join(REPO, "bin", "raptor-roles.js"), "cutover", "--stack", "staging", "--json"],
                {
                    cwd: REPO,
                    encoding: "utf8",
                    env: {
                        ...process.env,
                        PATH: `${bare}${path.delimiter}${build.binDir}`,
                        PULUMI_BACKEND_URL: `file://${backend}`,
                        PULUMI_CONFIG_PASSPHRASE: "test",
                        PULUMI_HOME: path.join(backend, ".pulumi"),
                        HEROKU_API_KEY: "not-used",
                    },
                },
            );
            expect(r.status).toBe(1);
            const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
            expect(error.code).not.toBe("tool-missing");
            expect(error.message).toMatch(/^pulumi stack select staging failed: /);
        } finally {
            fs.rmSync(bare, { recursive: true, force: true });
            fs.rmSync(backend, { recursive: true, force: true });
        }
    });
});

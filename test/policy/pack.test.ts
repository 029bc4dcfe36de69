/**
 * The pack stands alone. `pulumi policy publish` runs `npm pack` in policy/
 * only (pulumi v3.248 pkg/backend/httpstate/policypack.go:432, via
 * sdk/nodejs/npm/manager.go Pack), and an enforcing CLI untars it and installs
 * its package.json dependencies (installRequiredPolicy). So the tarball must
 * hold every module the pack imports, and package.json must list every
 * package they import.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { createPolicies } from "../../policy/policies";

const ROOT = join(__dirname, "..", "..");
const PACK = join(ROOT, "policy");
const pkg = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/** What `npm pack` puts in the tarball, as it says itself. */
const packed = (): string[] => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: PACK,
        encoding: "utf8",
    });
    return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path).sort();
};
const IMPORT = /(?:import|export)\s[^"';]*?from\s+"([^"]+)"|require\("([^"]+)"\)/g;
const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => m[1] ?? m[2]);

let tmp: string | undefined;
let child: ChildProcess | undefined;
afterAll(() => {
    child?.kill();
    if (tmp !== undefined) {
        rmSync(tmp, { recursive: true, force: true });
    }
});

describe("the policy pack as `pulumi policy publish` ships it", () => {
    it("bundles exactly the core modules it imports, as core/ has them now", () => {
        expect(() =>
            execFileSync(process.execPath, [join(PACK, "tools", "bundle-core.mjs"), "--check"], { stdio: "pipe" }),
        ).not.toThrow();
        expect(readdirSync(join(PACK, "core")).sort()).toEqual([
            "classification.ts",
            "coverage.ts",
            "deployment.ts",
            "heroku-scripts.ts",
            "heroku.ts",
            "identifiers.ts",
            "pack-config-file.ts",
            "plan.ts",
            "resources.ts",
            "settings.ts",
            "signoff-message.ts",
            "soak-gate.ts",
            "soak-marks.ts",
        ]);
    });

    it("packs every source module, the bundled core, its config and project files, and not the build tool", () => {
        const own = readdirSync(PACK).filter((f) => f.endsWith(".ts"));
        const core = readdirSync(join(PACK, "core")).map((f) => `core/${f}`);
        expect(packed()).toEqual(
            [...own, ...core, "PulumiPolicy.yaml", "README.md", "config.json", "package.json", "tsconfig.json"].sort(),
        );
    });

    it("imports nothing outside its folder, and only packages its package.json lists", () => {
        const listed = new Set(Object.keys(pkg.dependencies));
        const builtins = new Set(builtinModules);
        for (const file of packed().filter((f) => f.endsWith(".ts"))) {
            for (const spec of importsOf(join(PACK, file))) {
                if (spec.startsWith(".")) {
                    expect(
                        join(dirname(join(PACK, file)), spec).startsWith(`${PACK}/`),
                        `${file} imports ${spec}`,
                    ).toBe(true);
                } else {
                    const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
                    expect(
                        listed.has(name) || builtins.has(spec.replace(/^node:/, "")),
                        `${file} imports ${spec}`,
                    ).toBe(true);
                }
            }
        }
    });

    it("runs from a copy of what it packs, with only its own dependencies installed", async () => {
        tmp = mkdtempSync(join(tmpdir(), "raptor-pack-"));
        const dir = join(tmp, "package");
        for (const f of packed()) {
            mkdirSync(dirname(join(dir, f)), { recursive: true });
            cpSync(join(PACK, f), join(dir, f));
        }
        // As `npm install` would place them: each listed dependency, and nothing else, under the copy's node_modules.
        for (const name of Object.keys(pkg.dependencies)) {
            mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
            symlinkSync(join(ROOT, "node_modules", name), join(dir, "node_modules", name));
        }
        const runner = join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
        child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            child!.stdout!.on(
                "data",
                (d) => /^(\d+)\s*$/m.test(String(d)) && resolve(Number(/^(\d+)/m.exec(String(d))![1])),
            );
            child!.on("exit", (code) => reject(new Error(`the copied pack exited ${code}: ${stderr}`)));
        });
        const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const info = await new Promise<pb.AnalyzerInfo>((resolve, reject) =>
            client.getAnalyzerInfo(new Empty(), (e, res) => (e ? reject(e) : resolve(res))),
        );
        client.close();
        expect(info.getName()).toBe("raptor");
        expect(info.getPoliciesList().map((p) => p.getName())).toEqual(createPolicies().map((p) => p.name));
    });
});

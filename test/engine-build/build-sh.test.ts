/**
 * engine/build.sh with the engine already installed (issue 28, point 6): a temporary HOME holding the four
 * binaries laid out as Pulumi installs them (~/.pulumi/bin/pulumi and the Node.js language host beside it; the
 * providers under ~/.pulumi/plugins/resource-<name>-v<version>/, pulumi sdk/go/common/workspace/plugins.go),
 * an empty RAPTOR_ENGINE_CACHE, and a PATH holding only that bin directory and the few tools the script runs:
 * no Go, so any attempt to build fails loudly instead of taking minutes.
 *
 * The binaries are copies of engine/build.sh's own builds when this machine has them (`npm run test:engine`
 * builds them; CI's engine job runs this file after it); else stand-ins that answer the same version commands
 * as the real ones (`pulumi version`, `pulumi-language-nodejs -version`, `pulumi-resource-postgresql --version`;
 * the command provider has none), so `npm test` checks the script's choices everywhere.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
const BUILD = path.join(REPO, "engine", "build.sh");
const NAMES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-command", "pulumi-resource-postgresql"];
/** What build.sh runs besides bash builtins (and `go`, left out on purpose). */
const TOOLS = [
    "bash",
    "cat",
    "cut",
    "date",
    "dirname",
    "flock",
    "grep",
    "head",
    "ln",
    "mkdir",
    "mv",
    "realpath",
    "sha256sum",
    "timeout",
    "tr",
];

/** The machine's own builds, when engine/build.sh reports all four built; else undefined. */
function ownBuilds(): string | undefined {
    const binDir = spawnSync("bash", [BUILD, "--bin-dir"], { encoding: "utf8" }).stdout.trim();
    const status = path.join(path.dirname(binDir), "status.tsv");
    if (!fs.existsSync(status)) return undefined;
    const built = fs
        .readFileSync(status, "utf8")
        .trim()
        .split("\n")
        .filter((r) => r.split("\t")[1] === "built");
    return built.length === 4 && NAMES.every((n) => fs.existsSync(path.join(binDir, n))) ? binDir : undefined;
}

const STAND_INS: Record<string, string> = {
    pulumi: '[ "$1" = version ] && echo v3.248.0',
    "pulumi-language-nodejs": '[ "$1" = -version ] && echo v3.248.0',
    "pulumi-resource-command": 'echo "flag provided but not defined: $1" >&2; exit 2',
    "pulumi-resource-postgresql": '[ "$1" = --version ] && echo 3.18.1',
};

function script(file: string, body: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/** NAME where Pulumi installs it under `home` (a PULUMI_HOME). */
function installedPath(home: string, name: string): string {
    const plugin = /^pulumi-resource-(\w+)$/.exec(name)?.[1];
    const version = plugin === "command" ? "1.2.1" : "3.18.1";
    return plugin === undefined
        ? path.join(home, "bin", name)
        : path.join(home, "plugins", `resource-${plugin}-v${version}`, name);
}

function install(home: string, from: string | undefined): void {
    for (const name of NAMES) {
        const to = installedPath(home, name);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        if (from === undefined) script(to, STAND_INS[name]);
        else fs.copyFileSync(path.join(from, name), to);
    }
}

describe("engine/build.sh uses the pinned releases already installed", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-build-sh-"));
    const tools = path.join(tmp, "tools");
    const own = ownBuilds();

    /**
     * build.sh (or its --bin-dir; with `raw`, bash ARGS) with HOME=tmp, an empty cache under `cache`, PATH = `bin`
     * and the tools. stdin is closed: on a socket, bash takes itself for an ssh session and sources ~/.bashrc.
     */
    const run = (cache: string, bin: string, extra: NodeJS.ProcessEnv = {}, args: string[] = [], raw = false) => {
        const env = { HOME: tmp, PATH: [bin, tools].join(path.delimiter), RAPTOR_ENGINE_CACHE: cache, ...extra };
        const started = Date.now();
        const argv = raw ? args : [BUILD, ...args];
        const r = spawnSync(path.join(tools, "bash"), argv, {
            encoding: "utf8",
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        return { ...r, seconds: (Date.now() - started) / 1000 };
    };
    const statusOf = (cache: string, bin: string) =>
        fs
            .readFileSync(
                path.join(path.dirname(run(cache, bin, {}, ["--bin-dir"]).stdout.trim()), "status.tsv"),
                "utf8",
            )
            .trim()
            .split("\n");

    beforeAll(() => {
        for (const t of TOOLS) {
            const found = spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
            expect(found, `${t} on this machine's PATH`).not.toBe("");
            fs.mkdirSync(tools, { recursive: true });
            fs.symlinkSync(found, path.join(tools, t));
        }
        console.info(`build.sh test on ${own === undefined ? "stand-ins (no engine build here)" : `copies of ${own}`}`);
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("links all four installed binaries, builds nothing and needs no Go", () => {
        const home = path.join(tmp, ".pulumi");
        install(home, own);
        const bin = path.join(home, "bin");
        const cache = path.join(tmp, "cache-installed");
        expect(run(cache, bin, {}, ["-c", "command -v go"], true).status).toBe(1);

        const r = run(cache, bin);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toBe("");
        const binDir = run(cache, bin, {}, ["--bin-dir"]).stdout.trim();
        const lines = r.stdout.trim().split("\n");
        expect(lines.slice(0, 4)).toEqual(NAMES.map((n) => `engine: ${n} installed: ${installedPath(home, n)}`));
        expect(lines[4]).toMatch(new RegExp(`^engine: 4 of 4 binaries \\(4 installed\\) in ${binDir} after \\d+ s$`));
        expect(lines).toHaveLength(5);
        expect(r.seconds).toBeLessThan(10);
        expect(statusOf(cache, bin)).toEqual(NAMES.map((n) => `${n}\tinstalled\t${installedPath(home, n)}\t-`));
        // The bin directory's entries are links to the installed copies, and nothing was built into the cache.
        for (const n of NAMES) {
            expect(fs.lstatSync(path.join(binDir, n)).isSymbolicLink()).toBe(true);
            expect(fs.realpathSync(path.join(binDir, n))).toBe(installedPath(home, n));
        }
        expect(fs.readdirSync(path.join(cache, "built"))).toEqual([]);
    });

    it("RAPTOR_ENGINE_FROM_SOURCE=1 ignores them and builds from source (here: no Go, so it says so)", () => {
        const bin = path.join(tmp, ".pulumi", "bin");
        const r = run(path.join(tmp, "cache-source"), bin, { RAPTOR_ENGINE_FROM_SOURCE: "1" });
        expect(r.status).toBe(1);
        expect(r.stdout).not.toContain("installed:");
        expect(r.stderr.trim().split("\n")).toEqual(
            NAMES.map((n) => `engine: go is not on PATH; building ${n} from source needs Go >= 1.26`),
        );
    });

    it("refuses an installed binary of another version, and would build it (without Go: the clear message)", () => {
        // PULUMI_HOME elsewhere: a pulumi of the release before, the language host right, the command provider
        // only at 1.2.0, and a postgresql provider in the v3.18.1 directory that says it is 3.17.0.
        const home = path.join(tmp, "other-home");
        install(home, own);
        script(path.join(home, "bin", "pulumi"), '[ "$1" = version ] && echo v3.247.0');
        const command = path.dirname(installedPath(home, "pulumi-resource-command"));
        fs.renameSync(command, command.replace(/-v1\.2\.1$/, "-v1.2.0"));
        const postgresql = installedPath(home, "pulumi-resource-postgresql");
        script(postgresql, '[ "$1" = --version ] && echo 3.17.0');
        const bin = path.join(home, "bin");
        const cache = path.join(tmp, "cache-wrong");

        const r = run(cache, bin, { PULUMI_HOME: home });
        expect(r.status).toBe(1);
        expect(r.stdout.trim().split("\n")[0]).toBe(
            `engine: pulumi-language-nodejs installed: ${installedPath(home, "pulumi-language-nodejs")}`,
        );
        expect(r.stderr.trim().split("\n")).toEqual([
            `engine: pulumi: ignoring ${path.join(bin, "pulumi")}: it says v3.247.0, not the pinned v3.248.0`,
            "engine: go is not on PATH; building pulumi from source needs Go >= 1.26",
            `engine: pulumi-resource-command: ignoring ${path.join(home, "plugins", "resource-command-v1.2.0")}: ` +
                "not the pinned v1.2.1",
            "engine: go is not on PATH; building pulumi-resource-command from source needs Go >= 1.26",
            `engine: pulumi-resource-postgresql: ignoring ${postgresql}: it says 3.17.0, not the pinned v3.18.1`,
            "engine: go is not on PATH; building pulumi-resource-postgresql from source needs Go >= 1.26",
        ]);
        expect(statusOf(cache, bin)).toEqual([
            "pulumi\tfailed\tgo is not on PATH\t-",
            `pulumi-language-nodejs\tinstalled\t${installedPath(home, "pulumi-language-nodejs")}\t-`,
            "pulumi-resource-command\tfailed\tgo is not on PATH\t-",
            "pulumi-resource-postgresql\tfailed\tgo is not on PATH\t-",
        ]);
    });

    it("refuses a partial plugin install (Pulumi's <dir>.partial marker)", () => {
        const home = path.join(tmp, "partial-home");
        install(home, own);
        const dir = path.dirname(installedPath(home, "pulumi-resource-command"));
        fs.writeFileSync(`${dir}.partial`, "");
        const r = run(path.join(tmp, "cache-partial"), path.join(home, "bin"), { PULUMI_HOME: home });
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split("\n")).toEqual([
            `engine: pulumi-resource-command: ignoring ${dir}: a partial install (${dir}.partial is there)`,
            "engine: go is not on PATH; building pulumi-resource-command from source needs Go >= 1.26",
        ]);
    });
});

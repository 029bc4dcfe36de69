/**
 * What the engine scenarios of `cutover` and `deploy` share (cutover, workload and deploy .engine.ts): the
 * Automation API driver over a Workspace, the two commands run the way the CLI runs them (JSON report, 1 s health
 * probes), the rig's records read back (the flag's history, the app's log lines), and "a merged change": a copy
 * of this checkout with the change applied, whose program, pack and CLI then run, since verify, check, the
 * workload proof and the pack judge with the classification of the code that runs them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "vitest";
import type * as CutoverModule from "../../cli/cutover";
import type * as DeployModule from "../../cli/deploy";
import type * as DriverModule from "../../cli/pulumi-driver";
import { cutoverIn } from "../../cli/cutover";
import { deployIn } from "../../cli/deploy";
import { automationDriver } from "../../cli/pulumi-driver";
import { TableSet } from "../../core/classification";
import { FLAG_VAR } from "../../core/settings";
import { HerokuApi } from "../support/heroku-api";
import { recorder } from "../support/io";
import { REPO, Workspace } from "./engine";

export type Report = Record<string, unknown>;

/** The CLI modules a scenario runs: this checkout's, or a merged change's (`cliOf`). */
export interface Cli {
    readonly dir: string;
    readonly cutoverIn: typeof CutoverModule.cutoverIn;
    readonly deployIn: typeof DeployModule.deployIn;
    readonly automationDriver: typeof DriverModule.automationDriver;
}

/** This checkout's CLI, program and pack. */
export const CHECKOUT: Cli = { dir: REPO, cutoverIn, deployIn, automationDriver };

/** A merged change's CLI (mergedChange's directory), imported from its own files. */
export async function cliOf(dir: string): Promise<Cli> {
    const cutover = (await import(path.join(dir, "cli", "cutover.ts"))) as typeof CutoverModule;
    const deploy = (await import(path.join(dir, "cli", "deploy.ts"))) as typeof DeployModule;
    const driver = (await import(path.join(dir, "cli", "pulumi-driver.ts"))) as typeof DriverModule;
    return {
        dir,
        cutoverIn: cutover.cutoverIn,
        deployIn: deploy.deployIn,
        automationDriver: driver.automationDriver,
    };
}

/** The Automation API driver of `cli` on `ws`, with `cli`'s own policy pack; its output goes to `onOutput`. */
export function driverOf(
    cli: Cli,
    ws: Workspace,
    binDir: string,
    onOutput: (s: string) => void = () => undefined,
): DriverModule.PulumiDriver {
    return cli.automationDriver(ws.project, {
        onOutput,
        envVars: ws.env() as Record<string, string>,
        pulumiRoot: path.dirname(binDir),
        policyPack: path.join(cli.dir, "policy"),
    });
}

const deps = (ws: Workspace, pulumi: DriverModule.PulumiDriver) => ({
    env: { ...ws.env() },
    now: () => new Date(),
    pulumi,
    pollMs: 1_000,
    verifyMs: 10_000,
});

/** `raptor-roles cutover|deploy --json` (`run`: cutoverIn or deployIn) on `ws`'s project; the report parsed. */
async function runJson(
    run: typeof CutoverModule.cutoverIn | typeof DeployModule.deployIn,
    ws: Workspace,
    pulumi: DriverModule.PulumiDriver,
    args: string[],
) {
    const io = recorder();
    const code = await run(ws.project, [...args, "--json"], io, deps(ws, pulumi));
    return { code, io, doc: JSON.parse(io.stdout) as Report };
}
export const runCutover = runJson;
export const runDeploy = runJson;

/** The app's FLAG_RAPTOR_APP_ROLE_SEPARATION over its releases, each change once (the rig's release history). */
export const flagHistory = (api: HerokuApi, app: string) =>
    api
        .configHistory(app)
        .map((r) => r.config[FLAG_VAR])
        .filter((v, i, a) => v !== undefined && v !== a[i - 1]);

/** The stand-in app's own lines (source app) on the rig's log, oldest first. */
export const appLines = (api: HerokuApi, app: string) =>
    api.logs
        .lines(api.model.app(app)!)
        .filter((l) => l.source === "app")
        .map((l) => l.text);

/** Polls `done` (a rig signal: a log line, a release, a catalog row) every 200 ms, failing after `ms`. */
export async function until(what: string, done: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await done())) {
        if (Date.now() > deadline) {
            throw new Error(`${what} did not happen within ${ms / 1000} s`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** A table's move in core/classification.ts: out of the set it is in (if any), into `to`. */
export interface Move {
    readonly table: string;
    readonly to: TableSet;
}

/** core/classification.ts's text with each move applied; each table's line must be there once (or not at all). */
export function moveTables(source: string, moves: readonly Move[]): string {
    let text = source;
    for (const { table, to } of moves) {
        const line = `        "${table}",\n`;
        const parts = text.split(line);
        expect(parts.length, `${table} listed at most once in core/classification.ts`).toBeLessThanOrEqual(2);
        text = parts.join("");
        const open = `    ${to}: [\n`;
        expect(text.split(open), `the ${to} set in core/classification.ts`).toHaveLength(2);
        text = text.replace(open, `${open}${line}`);
    }
    return text;
}

/**
 * This checkout as a PR that moves tables between the sets leaves it once merged: core/classification.ts edited,
 * and the pack's copy of the core regenerated by its own tool (policy/core/ is bundled), as the PR would.
 * node_modules is linked, not copied. The caller removes the directory.
 */
export function mergedChange(moves: readonly Move[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-merged-"));
    fs.cpSync(REPO, dir, {
        recursive: true,
        filter: (src) => ![".git", "node_modules"].includes(path.basename(src)),
    });
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    const file = path.join(dir, "core", "classification.ts");
    fs.writeFileSync(file, moveTables(fs.readFileSync(file, "utf8"), moves));
    const tool = path.join(dir, "policy", "tools", "bundle-core.mjs");
    for (const args of [[], ["--check"]]) {
        const run = spawnSync(process.execPath, [tool, ...args], { encoding: "utf8" });
        expect(run.status, `bundle-core.mjs ${args.join(" ")}: ${run.stderr}`).toBe(0);
    }
    return dir;
}

/** Points the workspace's Pulumi.yaml at `dir`'s program: what the engine runs from the next preview or up. */
export function useProgram(ws: Workspace, dir: string): void {
    const yaml = ws.file("Pulumi.yaml").replace(/^main: .*$/m, `main: ${path.relative(ws.project, dir)}`);
    fs.writeFileSync(path.join(ws.project, "Pulumi.yaml"), yaml);
}

/**
 * `raptor-roles deploy --stack NAME [--watch DURATION] [--app-repo DIR] [--json]`: one command for every deploy.
 * It reads what the deploy changes (the flag on the app against the stack file, and verify's drifts between the
 * live grants and the plan: exactly what `pulumi up` will set right), then:
 *  - flag off (rollback, emergency stop): `pulumi up` at once, never blocked;
 *  - flag on: cutover's own path (preflight check with its workload proof, preview with the pack, up, watch,
 *    smoke, the automatic emergency stop);
 *  - a narrowing while the flag is on: the workload proof against the PLANNED matrix first (a narrowing that would
 *    deny a statement the app runs is refused before any change), then preview, up, the same watch and smoke;
 *  - a widening, nothing, or a narrowing before the flip (the app still runs as the owner): preview, up.
 * Exit 0 applied (and stayed healthy); 2 refused, blocked or rolled back; 1 could not run.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { Trip, parseDuration } from "../core/check/watch";
import { DeployChange, classifyChange, watched } from "../core/deploy/change";
import { describeStop } from "../core/deploy/stop";
import { buildPlan } from "../core/plan";
import { APP_URL_VAR, FLAG_VAR, RaptorSettings } from "../core/settings";
import { describeMissing } from "../core/workload/judge";
import { JudgedStatement, judgePlanned } from "../core/workload/verdict";
import { redact, urlSecrets } from "../db/connection";
import { projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { CliError, failure, reportError, usage, UsageError } from "./contract";
import { withSslMode } from "./check-probes";
import { Ctx, CutoverDeps, flipAndWatch, preflight } from "./cutover";
import { configVars } from "./heroku-cli";
import { otherwise, withMissingTool } from "./tools";
import { Io, Subcommand } from "./io";
import { automationDriver } from "./pulumi-driver";
import { runVerify } from "./verify";
import { runWorkload } from "./workload";
import { loadMarks } from "./soak-store";

export const DEPLOY_HELP = `usage: raptor-roles deploy --stack NAME [--watch DURATION] [--app-repo DIR] [--resume]
                             [--marks DIR] [--json]

One command for every deploy of a stack. It reads what the deploy changes (the flag on the app against
raptor:roleSeparation, and the live grants against the plan), then:
  flag off    pulumi up at once: the rollback and the emergency stop are never blocked
  flag on     preflight check (the workload proof included), preview with the policy pack, up,
              then the watch, the smoke suite and the automatic emergency stop (as cutover)
  narrowing   with the flag on: the workload proof against the planned matrix (a narrowing that would
              deny a statement the app runs is refused before any change), preview, up, watch, smoke
  widening    preview, up (nothing the app runs can lose a privilege)
The smoke suite is raptor:smokeCommand, run in --app-repo DIR (the application's checkout) after a flip
or a narrowing, with the watch's time limit; a non-zero exit trips the emergency stop.
Every emergency stop is recorded in the stack's backend (stack tag raptor:stopped: when, why, by whom);
until a person runs deploy --resume, no deploy turns the flag on (exit 2, the flag untouched), whatever
the stack file says. The rollback is never blocked.
--marks DIR reads the soak marks from the soak-marks store (a checkout of branch raptor-soak-marks, which the
soak workflow writes) into the working copy's raptor:soakEvidence before the preview, where prod's
soak-before-prod policy reads them; nothing is committed.
Options:
  --stack NAME        the stack (required): Pulumi.<NAME>.yaml in the project directory
  --watch DURATION    how long to watch after a flip or a narrowing (30s, 10m, 1h); default 10m
  --app-repo DIR      the application's checkout, where raptor:smokeCommand runs
  --resume            after an emergency stop: let the flag be turned on again (fix the cause first)
  --marks DIR         the soak-marks store (a checkout of branch raptor-soak-marks), for prod's gate
  --json              one JSON document: {result, stack, app, change, ...}; a failure is {"error": {...}}
  --cwd DIR           act on the project in DIR (default: the current directory)
Needs: the pulumi CLI and the stack's backend login (PULUMI_ACCESS_TOKEN, or PULUMI_CONFIG_PASSPHRASE on a
file backend); the heroku CLI with HEROKU_API_KEY (or its netrc login); npm ci --prefix policy (the pack).
Reads: raptor:app, raptor:database, raptor:role, raptor:schema, raptor:roleSeparation, raptor:smokeCommand,
raptor:healthUrl, raptor:logPatterns, raptor:sentryProject with SENTRY_AUTH_TOKEN, raptor:sentryEnvironment.
Exit status: 0 applied and healthy; 2 refused, blocked, stopped or rolled back; 1 could not run (bad input, a
check that could not run, pulumi or heroku failing).
`;

interface Planned {
    readonly denied: JudgedStatement[];
    readonly calls: number;
}

/** The live statements judged against the plan being deployed (the flag is on: the role's own statements). */
async function proveNarrowing(
    stack: string,
    s: RaptorSettings,
    config: Record<string, string>,
    env: NodeJS.ProcessEnv,
): Promise<Planned> {
    const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: s.role, schema: s.schema });
    const { exported } = await runWorkload({
        ownerUrl: withSslMode(config[`${s.database}_URL`] ?? "", env),
        roleUrl: withSslMode(config[APP_URL_VAR] ?? "", env),
        ownerSource: `${s.database}_URL of ${s.app}`,
        roleSource: `${APP_URL_VAR} of ${s.app}`,
        plan,
        of: "role",
        stack,
    });
    const denied = exported.statements
        .map((x) => judgePlanned(x, plan, "role", stack))
        .filter((j) => j.verdict === "denied");
    return { denied, calls: denied.reduce((n, j) => n + j.calls, 0) };
}

/** The change this deploy makes: the flag from Heroku, the matrix from verify's drifts against the plan. */
async function readChange(stack: string, dir: string, env: NodeJS.ProcessEnv) {
    const s = stackSettings(stack, dir);
    const config = await configVars(s.app, env);
    const ownerUrl = config[`${s.database}_URL`];
    if (!ownerUrl) {
        throw new CliError(
            "config",
            `${s.database}_URL is not set on ${s.app}`,
            "check raptor:database and raptor:app",
        );
    }
    const { report } = await runVerify({
        url: withSslMode(ownerUrl, env),
        role: s.role,
        schema: s.schema,
        source: `${s.database}_URL of ${s.app}`,
    });
    const change = classifyChange(report.drifts, config[FLAG_VAR] === "1", s.roleSeparation);
    return { settings: s, config, change };
}

/** raptor:smokeCommand in the app's checkout, bounded by `ms`; its output masked of every config value's secrets. */
function smokeRunner(command: string, appRepo: string, ms: number, c: Ctx, secrets: string[]) {
    return () =>
        new Promise<{ trip?: Trip; report: Record<string, unknown> }>((resolve) => {
            const started = Date.now();
            const child = spawn("bash", ["-c", command], {
                cwd: appRepo,
                env: c.deps.env,
                stdio: ["ignore", "pipe", "pipe"],
            });
            let out = "";
            child.stdout.on("data", (b: Buffer) => (out += b.toString()));
            child.stderr.on("data", (b: Buffer) => (out += b.toString()));
            const timer = setTimeout(() => child.kill("SIGTERM"), ms);
            child.on("close", (code, signal) => {
                clearTimeout(timer);
                const output = redact(out, secrets).split("\n").slice(-20).join("\n").trim();
                const report = {
                    ran: true,
                    command,
                    exitCode: code,
                    output,
                    seconds: (Date.now() - started) / 1000,
                };
                if (code === 0) {
                    resolve({ report });
                    return;
                }
                const why = signal !== null ? `was stopped after ${Math.round(ms / 1000)} s` : `exited ${code}`;
                const lines = output
                    .split("\n")
                    .filter((l) => l !== "")
                    .slice(-5);
                resolve({ report, trip: { kind: "smoke", at: c.deps.now(), detail: `${command} ${why}`, lines } });
            });
        });
}

function print(io: Io, json: boolean, doc: Record<string, unknown>, text: string): void {
    io.out(json ? `${JSON.stringify(doc, null, 2)}\n` : text);
}

const describeChange = (ch: DeployChange) =>
    `${ch.kind}` +
    (ch.narrowing.length > 0 ? `; revokes: ${ch.narrowing.join("; ")}` : "") +
    (ch.widening.length > 0 ? `; grants: ${ch.widening.join("; ")}` : "");

interface Options {
    readonly stack: string;
    readonly ms: number;
    readonly appRepo?: string;
    readonly json: boolean;
    /** Resume after a recorded emergency stop (core/deploy/stop.ts). */
    readonly resume: boolean;
    /** The soak-marks store (cli/soak-store.ts), loaded into the working copy before anything runs. */
    readonly marks?: string;
}

async function run(dir: string, o: Options, io: Io, deps: CutoverDeps): Promise<number> {
    const loaded = o.marks === undefined ? undefined : loadMarks(o.marks, dir, o.stack);
    if (loaded !== undefined) {
        io.err(`deploy: ${loaded.marks} soak mark(s) from ${loaded.file} in raptor:soakEvidence (not committed)\n`);
    }
    const { settings, config, change } = await readChange(o.stack, dir, deps.env);
    const head = {
        stack: o.stack,
        app: settings.app,
        change: change.kind,
        narrowing: change.narrowing,
        widening: change.widening,
    };
    const c0: Ctx = { stack: o.stack, app: settings.app, dir, deps, io, json: o.json };
    if (change.kind === "flag-off") {
        await deps.pulumi.up(o.stack);
        print(
            io,
            o.json,
            { result: "applied", ...head },
            `Flag OFF on ${settings.app}: pulumi up done (never blocked).\n`,
        );
        return 0;
    }
    const stop = await deps.pulumi.getStop(o.stack);
    if (stop !== undefined && change.kind === "flag-on" && !o.resume) {
        const text =
            `Stopped: ${describeStop(stop)}. The stack file still says raptor:roleSeparation true, but no deploy ` +
            `turns the flag on after an emergency stop until a person resumes: raptor-roles deploy --stack ` +
            `${o.stack} --resume. The flag stays 0.\n`;
        print(io, o.json, { result: "stopped", ...head, stop }, text);
        return 2;
    }
    if (o.resume) {
        const what =
            stop === undefined ? "no stop recorded; deploying as usual" : `resuming after ${describeStop(stop)}`;
        io.err(`deploy --resume: ${what}\n`);
    }
    if (change.kind === "narrowing" && change.flagNow) {
        const proof = await proveNarrowing(o.stack, settings, config, deps.env);
        if (proof.denied.length > 0) {
            const lines = proof.denied.map((d) => `  ${d.query}: missing ${d.missing.map(describeMissing).join(", ")}`);
            const text =
                `Refused: this narrowing denies ${proof.denied.length} statement(s) the app ran ` +
                `${proof.calls.toLocaleString("en-US")} time(s) as ${settings.role}; nothing changed.\n` +
                `${lines.join("\n")}\n`;
            print(io, o.json, { result: "refused", ...head, denied: proof.denied }, text);
            return 2;
        }
    }
    if (change.kind === "flag-on") {
        const bad = await preflight(c0, true, o.resume ? stop : undefined);
        if (bad !== undefined) {
            print(io, o.json, { result: "not-flipped", ...head, preflight: bad }, "Preflight failed: not flipping.\n");
            return 2;
        }
    }
    try {
        await deps.pulumi.preview(o.stack);
    } catch (e) {
        const reason = (e as Error).message;
        print(io, o.json, { result: "blocked", ...head, reason }, `Preview failed: nothing changed. ${reason}\n`);
        return 2;
    }
    if (!watched(change)) {
        await deps.pulumi.up(o.stack);
        print(io, o.json, { result: "applied", ...head }, `Applied (${describeChange(change)}); no watch needed.\n`);
        return 0;
    }
    const file = readStackFile(o.stack, dir);
    const command = file.raw["smokeCommand"];
    if (command && o.appRepo === undefined) {
        throw new UsageError("raptor:smokeCommand is set: --app-repo DIR (the application's checkout) is required", "");
    }
    const secrets = Object.values(config).flatMap((v) => urlSecrets(v));
    const c: Ctx = {
        ...c0,
        change: change.kind === "flag-on" ? "flip" : "narrowing",
        head,
        ...(command ? { smoke: smokeRunner(command, o.appRepo!, o.ms, c0, secrets) } : {}),
    };
    const code = await flipAndWatch(c, o.ms);
    if (code === 0 && stop !== undefined && o.resume) {
        await deps.pulumi.clearStop(o.stack);
    }
    return code;
}

export async function deployIn(dir: string, argv: string[], io: Io, deps: CutoverDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    let ms: number;
    try {
        ({ values } = parse(
            argv,
            {
                stack: { type: "string" },
                watch: { type: "string" },
                "app-repo": { type: "string" },
                resume: { type: "boolean" },
                marks: { type: "string" },
                json: { type: "boolean" },
            },
            "deploy",
        ));
        if (!values.help && !values.stack) {
            throw new UsageError("--stack is required", "e.g. raptor-roles deploy --stack staging");
        }
        ms = parseDuration(values.watch ?? "10m");
        if (values["app-repo"] !== undefined && !fs.existsSync(values["app-repo"])) {
            throw new UsageError(`--app-repo ${values["app-repo"]} does not exist`, "give the application's checkout");
        }
    } catch (e) {
        return reportError(io, "deploy", usage(e, "deploy"), json);
    }
    if (values.help || values.stack === undefined) {
        io.out(DEPLOY_HELP);
        return 0;
    }
    try {
        const resume = values.resume === true;
        const o = { stack: values.stack, ms, appRepo: values["app-repo"], json, resume, marks: values.marks };
        return await run(dir, o, io, deps);
    } catch (e) {
        const err = withMissingTool(e, "raptor-roles deploy");
        return failure(io, json, "deploy", err, otherwise(err, "deploy", values.stack));
    }
}

export const deploy: Subcommand = (argv, io) => {
    const interrupt = new AbortController();
    process.once("SIGINT", () => interrupt.abort());
    return deployIn(projectDir(), argv, io, {
        env: process.env,
        now: () => new Date(),
        pulumi: automationDriver(projectDir()),
        interrupt: interrupt.signal,
    });
};

/**
 * `raptor-roles cutover --stack NAME [--watch DURATION] [--json]`: the runbook's Step 6 with a guard.
 *  1. Preflight: `check` must be healthy with the flag still off.
 *  2. raptor:roleSeparation true and `pulumi preview` with the policy pack and its config (a block stops here,
 *     config set back, nothing changed), then `pulumi up` with the same (Automation API).
 *  3. Watch for DURATION: `heroku logs --tail` (the runbook's signatures), the health URL, verify.
 *  4. On the first trip, at once, the emergency stop (`heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0`),
 *     then raptor:roleSeparation false and `pulumi up`, so the stack agrees; then the report (lines masked).
 * A lost log stream trips (a flip nobody watches is rolled back). Ctrl-C stops watching and leaves the flip
 * as it is, consistent (app and stack both on), and prints the commands to check or stop it.
 * Exit 0: the flag stayed on; 2: preflight unhealthy or tripped and rolled back; 1: could not run.
 */
import { CheckReport, exitCodeOf, parseSince, renderCheck } from "../core/check/report";
import { LOG_SIGNATURES, parseLogPatterns } from "../core/check/logs";
import { RollbackReport, Trip, Tripwire, parseDuration, renderRollback } from "../core/check/watch";
import { FLAG_VAR } from "../core/settings";
import { StopRecord, describeStop } from "../core/deploy/stop";
import { projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { CliError, EXIT, failure, reportError, usage, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { couldNotCheck, runCheck } from "./check";
import { withSslMode } from "./check-probes";
import { cliError, configVars, heroku, tailLogs } from "./heroku-cli";
import { otherwise, withMissingTool } from "./tools";
import { automationDriver, PulumiDriver } from "./pulumi-driver";
import { loadMarks } from "./soak-store";
import { runVerify } from "./verify";

export const CUTOVER_HELP = `usage: raptor-roles cutover --stack NAME [--watch DURATION] [--resume] [--marks DIR]
                              [--json]

Turns the role-separation flag on with a guard: preflight check (healthy, flag off), pulumi up with
raptor:roleSeparation true and the policy pack, then watches the log stream, raptor:healthUrl and verify for
DURATION (default 10m). On the first sign of trouble it runs the emergency stop at once
(heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0), sets raptor:roleSeparation false and runs pulumi up,
and prints what tripped. Ctrl-C stops watching and leaves the flag on, with the commands to check or stop it.
Every trip records the stop in the stack's backend (tag raptor:stopped); a stopped stack is refused
until --resume (after the cause is fixed). --marks DIR loads prod's soak marks from the soak-marks store (a
checkout of branch raptor-soak-marks) into the working copy before the preview, as deploy does.
Options:
  --stack NAME        the stack (required): Pulumi.<NAME>.yaml in the project directory
  --watch DURATION    how long to watch after the up (30s, 10m, 1h); default 10m
  --resume            after a stop: clear the stop record once the flip stays on (fix the cause first)
  --marks DIR         the soak-marks store (a checkout of branch raptor-soak-marks), for prod's gate
  --json              one JSON document: {result, stack, app, ...}; a failure is {"error": {code, message, fix}}
  --cwd DIR           act on the project in DIR (default: the current directory)
Needs: the pulumi CLI and the stack's backend login (PULUMI_ACCESS_TOKEN, or PULUMI_CONFIG_PASSPHRASE on a
file backend); the heroku CLI with HEROKU_API_KEY (or its netrc login); npm ci --prefix policy (the pack).
Reads: raptor:app, raptor:database, raptor:role, raptor:schema, raptor:roleSeparation (must be false),
raptor:healthUrl, raptor:logPatterns, raptor:sentryProject with SENTRY_AUTH_TOKEN, raptor:sentryEnvironment.
Exit status: 0 the flag stayed on; 2 preflight unhealthy, stopped, blocked by the preview, or tripped (rolled
back); 1 could not run (bad input, a check that could not run, pulumi or heroku failing).
`;

export interface CutoverDeps {
    readonly env: NodeJS.ProcessEnv;
    readonly now: () => Date;
    readonly pulumi: PulumiDriver;
    /** Ctrl-C. */
    readonly interrupt?: AbortSignal;
    /** Health probe interval (default 5 s) and verify interval (default 60 s). */
    readonly pollMs?: number;
    readonly verifyMs?: number;
}

export interface Ctx {
    readonly stack: string;
    readonly app: string;
    readonly dir: string;
    readonly deps: CutoverDeps;
    readonly io: Io;
    readonly json: boolean;
    /** The smoke suite, run once the up is done; a trip when it fails (deploy, raptor:smokeCommand). */
    readonly smoke?: () => Promise<{ trip?: Trip; report: Record<string, unknown> }>;
    /** What the up changes, for the report: the flip (cutover) or a narrowing (deploy). */
    readonly change?: "flip" | "narrowing";
    /** deploy's classification of the change (change, narrowing, widening), in every report after the up. */
    readonly head?: Readonly<Record<string, unknown>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The emergency stop, the runbook's fastest path: one config:set (it restarts the app), tried 3 times. */
export async function emergencyStop(c: Pick<Ctx, "app" | "deps">): Promise<{ at?: Date; error?: string }> {
    let error = "";
    for (let i = 0; i < 3; i++) {
        const r = await heroku(["config:set", `${FLAG_VAR}=0`, "-a", c.app], c.deps.env);
        if (r.code === 0) {
            return { at: c.deps.now() };
        }
        error = cliError(r);
    }
    return { error };
}

/** Who ran the stop, for its record: the CI actor, else the local user. */
export const actor = (env: NodeJS.ProcessEnv) =>
    env.GITHUB_ACTOR ? `${env.GITHUB_ACTOR} (GitHub Actions)` : (env.USER ?? env.USERNAME ?? "unknown");

async function rollback(c: Ctx, trip: Trip): Promise<RollbackReport> {
    const stop = await emergencyStop(c);
    let stackError: string | undefined;
    // Recorded in the backend before anything else can fail: the stack's commit of `false` may never land.
    const at = (stop.at ?? c.deps.now()).toISOString();
    const by = `${actor(c.deps.env)} via raptor-roles ${c.change === "narrowing" ? "deploy" : "cutover"}`;
    const stopRecordError = await c.deps.pulumi
        .setStop(c.stack, { at, why: `${trip.kind}: ${trip.detail}`, by })
        .then(() => undefined)
        .catch((e: unknown) => (e as Error).message.split("\n")[0]);
    try {
        await c.deps.pulumi.setRoleSeparation(c.stack, false);
        await c.deps.pulumi.up(c.stack);
    } catch (e) {
        stackError = (e as Error).message.split("\n")[0];
    }
    return { stack: c.stack, app: c.app, trip, stoppedAt: stop.at, stopError: stop.error, stackError, stopRecordError };
}

/** One health probe and, every verifyMs, one verify; each feeds the tripwire. */
async function probe(c: Ctx, wire: Tripwire, healthUrl: string | undefined, verifyDue: boolean): Promise<void> {
    if (healthUrl !== undefined) {
        try {
            const r = await fetch(healthUrl, { signal: AbortSignal.timeout(5_000) });
            await r.body?.cancel();
            wire.health(r.ok, `health URL answered ${r.status}`, c.deps.now());
        } catch (e) {
            wire.health(false, `health URL did not answer (${(e as Error).message})`, c.deps.now());
        }
    }
    if (verifyDue) {
        const s = stackSettings(c.stack, c.dir);
        const url = (await configVars(c.app, c.deps.env))[`${s.database}_URL`];
        const { report } = await runVerify({ url: withSslMode(url, c.deps.env), role: s.role, schema: s.schema });
        wire.verify(report.clean, `verify found ${report.drifts.length} drift(s)`, c.deps.now());
    }
}

type WatchEnd = { trip: Trip } | { interrupted: Date } | { done: true };

/** Watches until the deadline, a trip, or Ctrl-C; the tail is already running and feeding `wire`. */
async function watch(
    c: Ctx,
    wire: Tripwire,
    tripped: Promise<Trip>,
    ms: number,
    healthUrl?: string,
): Promise<WatchEnd> {
    const start = Date.now();
    const poll = c.deps.pollMs ?? 5_000;
    const verifyEvery = c.deps.verifyMs ?? 60_000;
    let lastVerify = start;
    const interrupted = new Promise<"int">((resolve) => {
        if (c.deps.interrupt?.aborted) resolve("int");
        c.deps.interrupt?.addEventListener("abort", () => resolve("int"));
    });
    while (Date.now() - start < ms) {
        const r = await Promise.race([tripped, interrupted, sleep(poll).then(() => "tick" as const)]);
        if (r === "int") {
            return { interrupted: c.deps.now() };
        }
        if (r !== "tick") {
            return { trip: r };
        }
        const verifyDue = Date.now() - lastVerify >= verifyEvery;
        lastVerify = verifyDue ? Date.now() : lastVerify;
        await probe(c, wire, healthUrl, verifyDue).catch(() => undefined);
        if (wire.trip !== undefined) {
            return { trip: wire.trip };
        }
    }
    return { done: true };
}

/**
 * The last hour of logs; when a person resumes after a recorded stop, only what came after the stop: the lines
 * before it are the trip the stop answered, and counting them would refuse every resume for an hour after a trip.
 */
export function preflightSince(now: Date, resumed?: StopRecord): Date {
    const hour = parseSince("1h", now);
    const stopped = resumed === undefined ? NaN : Date.parse(resumed.at);
    return Number.isNaN(stopped) || stopped < hour.getTime() ? hour : new Date(stopped);
}

/**
 * `check` must be healthy before the flag goes on. `flagPending`: the stack file already says true and the app
 * still 0 (deploy of a merged flip), so the flag finding's mismatch is the change itself, not a fault.
 */
export async function preflight(c: Ctx, flagPending = false, resumed?: StopRecord): Promise<CheckReport | undefined> {
    const report = await runCheck({
        stack: c.stack,
        dir: c.dir,
        since: preflightSince(c.deps.now(), resumed),
        env: c.deps.env,
        now: c.deps.now(),
    });
    const findings = report.findings.filter((f) => !(flagPending && f.check === "flag"));
    if (findings.every((f) => f.status !== "unhealthy" && f.status !== "error")) {
        return undefined;
    }
    if (exitCodeOf(findings) === EXIT.ERROR) {
        // A check that could not run (Heroku or the database did not answer) is exit 1, as in check itself.
        if (!c.json) {
            c.io.out(renderCheck(report));
        }
        throw couldNotCheck({ ...report, findings });
    }
    return report;
}

/**
 * raptor:roleSeparation true, then `pulumi preview` with the pack: the one place a stack policy (soak-before-prod)
 * stops the flip before anything changes (the Automation API's up skips the preview). On a failure the config is
 * set back to false and the reason returned; Heroku and the database are untouched.
 */
async function previewFlip(c: Ctx): Promise<{ reason: string; stackNow: string } | undefined> {
    try {
        await c.deps.pulumi.setRoleSeparation(c.stack, true);
        await c.deps.pulumi.preview(c.stack);
        return undefined;
    } catch (e) {
        const reason = (e as Error).message;
        try {
            await c.deps.pulumi.setRoleSeparation(c.stack, false);
        } catch (back) {
            const stackNow =
                `setting raptor:roleSeparation back to false failed (${(back as Error).message}): run ` +
                `pulumi config set raptor:roleSeparation false -s ${c.stack}`;
            return { reason, stackNow };
        }
        return { reason, stackNow: `raptor:roleSeparation is false again in Pulumi.${c.stack}.yaml` };
    }
}

function print(c: Ctx, doc: Record<string, unknown>, text: string): void {
    c.io.out(c.json ? `${JSON.stringify(doc, null, 2)}\n` : text);
}

export async function flipAndWatch(c: Ctx, ms: number): Promise<number> {
    const file = readStackFile(c.stack, c.dir);
    const extra = parseLogPatterns(file.raw["logPatterns"]).patterns;
    const healthUrl = file.raw["healthUrl"] || undefined;
    const flipAt = c.deps.now();
    const wire = new Tripwire(flipAt, [...LOG_SIGNATURES, ...extra]);
    let onTrip: (t: Trip) => void = () => undefined;
    const tripped = new Promise<Trip>((resolve) => (onTrip = resolve));
    const tail = tailLogs(c.app, c.deps.env, (l) => {
        const t = wire.line(l);
        if (t !== undefined) onTrip(t);
    });
    let stopping = false;
    void tail.exited.then((x) => {
        if (!stopping)
            onTrip(wire.streamLost(cliError({ code: x.code ?? -1, stdout: "", stderr: x.stderr }), c.deps.now()));
    });
    try {
        try {
            await c.deps.pulumi.up(c.stack);
        } catch (e) {
            const trip = {
                kind: "verify",
                at: c.deps.now(),
                detail: (e as Error).message,
                lines: [],
            };
            const r = await rollback(c, trip as Trip);
            print(c, { result: "rolled-back", ...c.head, ...r }, renderRollback(r));
            return 2;
        }
        // The smoke suite runs beside the watch; its failure trips like a permission-denied line, and a watch
        // that ends first waits for it.
        let smoke: Record<string, unknown> = {
            ran: false,
            detail: "raptor:smokeCommand is not set: no smoke suite ran",
        };
        let smokeTrip: Trip | undefined;
        const smokeDone = (c.smoke?.() ?? Promise.resolve(undefined)).then((r) => {
            smoke = r?.report ?? smoke;
            smokeTrip = r?.trip;
            if (smokeTrip !== undefined) onTrip(smokeTrip);
        });
        let end = await watch(c, wire, tripped, ms, healthUrl);
        if ("done" in end) {
            const late = await Promise.race([tripped, smokeDone.then(() => smokeTrip)]);
            end = late !== undefined ? { trip: late } : end;
        }
        if ("trip" in end) {
            const r = await rollback(c, end.trip);
            print(c, { result: "rolled-back", ...c.head, ...r, smoke }, renderRollback(r));
            return 2;
        }
        if ("interrupted" in end) {
            const state =
                `Interrupted at ${end.interrupted.toISOString()}: the flag is ON on ${c.app} and ` +
                `raptor:roleSeparation is true in stack ${c.stack} (they agree); nothing had tripped since ` +
                `${flipAt.toISOString()}.`;
            const next = `raptor-roles check --stack ${c.stack} --since ${flipAt.toISOString()}`;
            const stop =
                `the emergency stop: heroku config:set ${FLAG_VAR}=0 -a ${c.app} >/dev/null, then ` +
                `pulumi config set raptor:roleSeparation false -s ${c.stack} and pulumi up -s ${c.stack}.`;
            if (c.json) {
                // Exit 1 under --json is the error document (cli/contract.ts); deploy sets c.change, cutover not.
                const e = new CliError("interrupted", state, `${next}; if it is unhealthy, ${stop}`);
                return reportError(c.io, c.change === undefined ? "cutover" : "deploy", e, true);
            }
            c.io.out(`${state}\nNext: ${next}\nIf it is unhealthy, ${stop}\n`);
            return 1;
        }
        const what = c.change === "narrowing" ? `Narrowing applied on ${c.app}` : `Flag ON on ${c.app}`;
        const text =
            `${what}: watched ${Math.round(ms / 1000)} s from ${flipAt.toISOString()}, nothing tripped.\n` +
            `Smoke: ${smoke.ran === true ? `passed (${String(smoke.command)})` : String(smoke.detail)}.\n`;
        const result = c.change === "narrowing" ? "applied" : "on";
        const doc = {
            result,
            ...c.head,
            stack: c.stack,
            app: c.app,
            flipAt,
            watchedSeconds: Math.round(ms / 1000),
            smoke,
        };
        print(c, doc, text);
        return 0;
    } finally {
        stopping = true;
        tail.stop();
        await tail.exited;
    }
}

export async function cutoverIn(dir: string, argv: string[], io: Io, deps: CutoverDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    let ms: number;
    try {
        ({ values } = parse(
            argv,
            {
                stack: { type: "string" },
                watch: { type: "string" },
                resume: { type: "boolean" },
                marks: { type: "string" },
                json: { type: "boolean" },
            },
            "cutover",
        ));
        if (!values.help && !values.stack) {
            throw new UsageError("--stack is required", "e.g. raptor-roles cutover --stack staging");
        }
        ms = parseDuration(values.watch ?? "10m");
    } catch (e) {
        return reportError(io, "cutover", usage(e, "cutover"), json);
    }
    if (values.help || values.stack === undefined) {
        // --help (a missing --stack was refused above)
        io.out(CUTOVER_HELP);
        return 0;
    }
    try {
        const settings = stackSettings(values.stack, dir);
        if (settings.roleSeparation) {
            throw new CliError(
                "already-on",
                `raptor:roleSeparation is already true in Pulumi.${values.stack}.yaml: cutover turns it on itself`,
                `pulumi config set raptor:roleSeparation false -s ${values.stack} and pulumi up first, ` +
                    "or use pulumi up directly",
            );
        }
        const c: Ctx = { stack: values.stack, app: settings.app, dir, deps, io, json };
        const loaded = values.marks === undefined ? undefined : loadMarks(values.marks, dir, values.stack);
        if (loaded !== undefined) {
            io.err(`cutover: ${loaded.marks} soak mark(s) from ${loaded.file} in raptor:soakEvidence, not committed\n`);
        }
        const stop = await deps.pulumi.getStop(values.stack);
        if (stop !== undefined && values.resume !== true) {
            // Refused like a blocked preview (exit 2, as deploy does): the flag stays 0 until a person resumes.
            const text =
                `Stopped: stack ${values.stack} was ${describeStop(stop)}. No cutover turns the flag on until a ` +
                `person resumes: fix the cause (raptor-roles check --stack ${values.stack}), then ` +
                `raptor-roles cutover --stack ${values.stack} --resume.\n`;
            print(c, { result: "stopped", stack: c.stack, app: c.app, stop }, text);
            return 2;
        }
        const bad = await preflight(c, false, values.resume === true ? stop : undefined);
        if (bad !== undefined) {
            print(c, { result: "not-flipped", preflight: bad }, `${renderCheck(bad)}Preflight failed: not flipping.\n`);
            return 2;
        }
        const blocked = await previewFlip(c);
        if (blocked !== undefined) {
            const text =
                `Preview failed: not flipping. ${blocked.reason}\n` +
                `Nothing changed on ${c.app}; ${blocked.stackNow}.\n`;
            print(c, { result: "not-flipped", stack: c.stack, app: c.app, reason: blocked.reason }, text);
            return 2;
        }
        const code = await flipAndWatch(c, ms);
        if (code === 0 && stop !== undefined) {
            await deps.pulumi.clearStop(values.stack);
        }
        return code;
    } catch (e) {
        const err = withMissingTool(e, "raptor-roles cutover");
        return failure(io, json, "cutover", err, otherwise(err, "cutover", values.stack));
    }
}

export const cutover: Subcommand = (argv, io) => {
    const interrupt = new AbortController();
    process.once("SIGINT", () => interrupt.abort());
    return cutoverIn(projectDir(), argv, io, {
        env: process.env,
        now: () => new Date(),
        pulumi: automationDriver(projectDir()),
        interrupt: interrupt.signal,
    });
};

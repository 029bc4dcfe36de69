/**
 * `raptor-roles check --stack NAME [--since T] [--json]`: the runbook's diagnosis, in its order, as one
 * command: the credential, the grants (verify's effective-privilege check), RAPTOR_APP_DATABASE_URL (set, and
 * connecting as the role), the flag against raptor:roleSeparation, the log since T, the health URL, Sentry.
 * Through the real `heroku` CLI (three calls) and the database, all side by side. Exit 0 healthy, 2 unhealthy,
 * 1 could not check. Every finding names the runbook's fix; no output carries a URL or a password.
 */
import { CheckReport, Finding, buildReport, exitCodeOf, parseSince, renderCheck } from "../core/check/report";
import { parseLogPatterns } from "../core/check/logs";
import { RaptorSettings } from "../core/settings";
import { projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { CliError, EXIT, failure, reportError, usage, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { CliResult, heroku, herokuFailure } from "./heroku-cli";
import {
    ProbeContext,
    credentialFinding,
    flagFinding,
    grantsFinding,
    healthFinding,
    logFindings,
    urlVarFinding,
} from "./check-probes";
import { sentryFinding } from "./sentry";
import { otherwise, withMissingTool } from "./tools";
import { workloadFinding } from "./check-workload";
import { StopReader, stopFinding } from "./check-stop";
import { automationDriver } from "./pulumi-driver";

export const CHECK_HELP = `usage: raptor-roles check --stack NAME [--since T] [--json]

The runbook's diagnosis, in order, through the heroku CLI and the database:
  credential  the role's credential exists and works (heroku pg:credentials)
  grants      no drift on effective privileges (raptor-roles verify, with DATABASE_URL)
  workload    every statement the app runs (pg_stat_statements) is permitted for the role (raptor-roles
              workload); with the flag on, the owner runs no statement on a classified table meanwhile
  url-var     RAPTOR_APP_DATABASE_URL is set and connects as the role (its value is never shown)
  flag        FLAG_RAPTOR_APP_ROLE_SEPARATION equals raptor:roleSeparation
  stop        no emergency stop is recorded (stack tag raptor:stopped, read with pulumi) while the stack file
              says raptor:roleSeparation true (skipped when pulumi or its backend cannot be read)
  logs        no line since T matches permission denied for table|sequence|schema, role "raptor_app" does
              not exist, password authentication failed for user "raptor_app", or raptor:logPatterns
  health      raptor:healthUrl answers 2xx (skipped when unset)
  sentry      no OperationalError / permission denied issue since T in the stack's Sentry environment
              (raptor:sentryEnvironment, default the stack's name), every page read (SENTRY_AUTH_TOKEN and
              raptor:sentryProject; skipped when either is unset)
The logs and sentry findings say what they read: coverage {from, to, complete}. The logs are complete when
Heroku's 1,500-line buffer was not full or reaches back to T; Sentry when every page was read.
Options:
  --stack NAME  the stack (required): Pulumi.<NAME>.yaml gives the app, role and the optional keys
  --since T     an ISO 8601 time or a duration back from now (30m, 24h, 3d); default 24h
  --json        one JSON document: {stack, app, since, checkedAt, healthy, findings: [{check, status,
                detail, fix, lines, coverage}]}
Environment: HEROKU_API_KEY (or the netrc login) for the CLI; PGSSLMODE=disable only for a local database.
Exit status: 0 healthy, 2 unhealthy, 1 could not check (bad input, CLI or database unreachable).
`;

export interface CheckOptions {
    readonly stack: string;
    readonly dir: string;
    readonly since: Date;
    readonly env: NodeJS.ProcessEnv;
    readonly now: Date;
    /** The stack's recorded emergency stop (the `stop` finding); absent, no such finding (cutover reads it itself). */
    readonly stop?: StopReader;
}

function optional(raw: Record<string, string>, key: string): string | undefined {
    const v = raw[key];
    return v === undefined || v === "" ? undefined : v;
}

/** Runs every check (the three CLI calls side by side) and returns the report. Throws only on bad stack config. */
export async function runCheck(o: CheckOptions): Promise<CheckReport> {
    const file = readStackFile(o.stack, o.dir);
    const settings: RaptorSettings = stackSettings(o.stack, o.dir);
    const extra = parseLogPatterns(optional(file.raw, "logPatterns"));
    if (extra.problem !== undefined) {
        throw new CliError(
            "config",
            `${extra.problem} (in ${file.path})`,
            `correct raptor:logPatterns in ${file.path}`,
        );
    }
    const ctx: ProbeContext = { stack: o.stack, settings, env: o.env };
    const { app, database } = settings;
    // Everything at once, each finding from its own call as soon as that call ends: `heroku logs` ends last (the
    // CLI's process stays up ~3 s after the stream, README "Development"), so the database checks run meanwhile.
    const logsCall = heroku(["logs", "-a", app, "-n", "1500"], o.env);
    const [credential, fromConfig, logs, health, sentry, stop] = await Promise.all([
        heroku(["pg:credentials", database, "-a", app], o.env).then((r) => credentialFinding(ctx, r)),
        heroku(["config", "-a", app, "--json"], o.env).then((r) => configFindings(ctx, r, logsCall)),
        logsCall,
        healthFinding(optional(file.raw, "healthUrl"), app),
        sentryFinding(
            {
                project: optional(file.raw, "sentryProject"),
                environment: optional(file.raw, "sentryEnvironment") ?? o.stack,
                since: o.since,
                now: o.now,
            },
            o.env,
        ),
        o.stop === undefined ? undefined : stopFinding(o.stack, settings.roleSeparation, o.stop),
    ]);
    const findings = [
        credential,
        ...fromConfig,
        ...(stop === undefined ? [] : [stop]),
        ...logFindings(ctx, logs, { since: o.since, now: o.now }, extra.patterns),
        health,
        sentry,
    ];
    return buildReport({ stack: o.stack, app, since: o.since.toISOString(), checkedAt: o.now.toISOString() }, findings);
}

/**
 * grants, workload, url-var and flag all read the app's config; one failed read is an error for each. `window` (the
 * log read, check's longest call) is the span in which the owner, with the flag on, must run no app statement.
 */
async function configFindings(ctx: ProbeContext, r: CliResult, window: Promise<unknown>): Promise<Finding[]> {
    if (r.code !== 0) {
        const { detail, fix } = herokuFailure(r, `heroku config -a ${ctx.settings.app} --json`, ctx.settings.app);
        return (["grants", "workload", "url-var", "flag"] as const).map((check) => ({
            check,
            status: "error",
            detail,
            fix,
        }));
    }
    const config = JSON.parse(r.stdout) as Record<string, string>;
    const [grants, workload, urlVar] = await Promise.all([
        grantsFinding(ctx, config),
        workloadFinding(ctx, config, window),
        urlVarFinding(ctx, config),
    ]);
    return [grants, workload, urlVar, flagFinding(ctx, config)];
}

export interface CheckDeps {
    readonly env: NodeJS.ProcessEnv;
    readonly now: () => Date;
    readonly stop?: StopReader;
}

export async function checkIn(dir: string, argv: string[], io: Io, deps: CheckDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    let since: Date;
    const now = deps.now();
    try {
        ({ values } = parse(
            argv,
            { stack: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } },
            "check",
        ));
        if (!values.help && !values.stack) {
            throw new UsageError("--stack is required", "e.g. raptor-roles check --stack staging");
        }
        since = parseSince(values.since ?? "24h", now);
    } catch (e) {
        return reportError(io, "check", usage(e, "check"), json);
    }
    if (values.help || values.stack === undefined) {
        // --help (a missing --stack was refused above)
        io.out(CHECK_HELP);
        return 0;
    }
    let report: CheckReport;
    try {
        report = await runCheck({ stack: values.stack, dir, since, env: deps.env, now, stop: deps.stop });
    } catch (e) {
        const err = withMissingTool(e, "raptor-roles check");
        return failure(io, json, "check", err, otherwise(err, "check", values.stack));
    }
    const code = exitCodeOf(report.findings);
    if (json && code === EXIT.ERROR) {
        return reportError(io, "check", couldNotCheck(report), json);
    }
    io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderCheck(report));
    return code;
}

/**
 * A report with a check that could not run (and none unhealthy) as the contract's exit-1 error: code
 * could-not-check, the first such finding's detail and fix. check, soak, cutover and deploy all use it, so an
 * unreachable Heroku is the same exit 1 and the same code whichever of them meets it.
 */
export function couldNotCheck(report: CheckReport): CliError {
    const errors = report.findings.filter((f) => f.status === "error");
    const first = errors[0];
    if (first === undefined) {
        return new CliError("internal", "couldNotCheck called on a report without an error", "report it");
    }
    const others = errors.slice(1).map((f) => f.check);
    const more = others.length > 0 ? ` (nor could ${others.join(", ")})` : "";
    return new CliError(
        "could-not-check",
        `the ${first.check} check could not run: ${first.detail}${more}`,
        first.fix ?? `raptor-roles check --stack ${report.stack} names each check and its fix`,
    );
}

export const check: Subcommand = (argv, io) =>
    checkIn(projectDir(), argv, io, {
        env: process.env,
        now: () => new Date(),
        stop: (stack) => automationDriver(projectDir(), { onOutput: () => undefined }).getStop(stack),
    });

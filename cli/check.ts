/**
 * `raptor-roles check --stack NAME [--since T] [--json]`: the runbook's diagnosis, in its order, as one
 * command: the credential, the grants (verify's effective-privilege check), RAPTOR_APP_DATABASE_URL (set, and
 * connecting as the role), the flag against raptor:roleSeparation, the log since T, the health URL, Sentry.
 * Through the real `heroku` CLI (three calls, run side by side) and the database. Exit 0 healthy, 2 unhealthy,
 * 1 could not check. Every finding names the runbook's fix; no output carries a URL or a password.
 */
import { CheckReport, Finding, buildReport, exitCodeOf, parseSince, renderCheck } from "../core/check/report";
import { parseLogPatterns } from "../core/check/logs";
import { RaptorSettings } from "../core/settings";
import { projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { Io, Subcommand, UsageError } from "./io";
import { CliResult, cliError, heroku } from "./heroku-cli";
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

export const CHECK_HELP = `usage: raptor-roles check --stack NAME [--since T] [--json]

The runbook's diagnosis, in order, through the heroku CLI and the database:
  credential  the role's credential exists and works (heroku pg:credentials)
  grants      no drift on effective privileges (raptor-roles verify, with DATABASE_URL)
  url-var     RAPTOR_APP_DATABASE_URL is set and connects as the role (its value is never shown)
  flag        FLAG_RAPTOR_APP_ROLE_SEPARATION equals raptor:roleSeparation
  logs        no line since T matches permission denied for table|sequence|schema, role "raptor_app" does
              not exist, password authentication failed for user "raptor_app", or raptor:logPatterns
  health      raptor:healthUrl answers 2xx (skipped when unset)
  sentry      no OperationalError / permission denied issue since T (SENTRY_AUTH_TOKEN and
              raptor:sentryProject; skipped when either is unset)
Options:
  --stack NAME  the stack (required): Pulumi.<NAME>.yaml gives the app, role and the optional keys
  --since T     an ISO 8601 time or a duration back from now (30m, 24h, 3d); default 24h
  --json        one JSON document: {stack, app, since, checkedAt, healthy, findings: [{check, status,
                detail, fix, lines}]}
Environment: HEROKU_API_KEY (or the netrc login) for the CLI; PGSSLMODE=disable only for a local database.
Exit status: 0 healthy, 2 unhealthy, 1 could not check (bad input, CLI or database unreachable).
`;

export interface CheckOptions {
    readonly stack: string;
    readonly dir: string;
    readonly since: Date;
    readonly env: NodeJS.ProcessEnv;
    readonly now: Date;
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
        throw new UsageError(`${extra.problem} (in ${file.path})`);
    }
    const ctx: ProbeContext = { stack: o.stack, settings, env: o.env };
    const { app, database } = settings;
    const [listed, logs, config] = await Promise.all([
        heroku(["pg:credentials", database, "-a", app], o.env),
        heroku(["logs", "-a", app, "-n", "1500"], o.env),
        heroku(["config", "-a", app, "--json"], o.env),
    ]);
    const findings: Finding[] = [await credentialFinding(ctx, listed)];
    findings.push(...(await configFindings(ctx, config)));
    findings.push(...logFindings(ctx, logs, o.since, extra.patterns));
    const [health, sentry] = await Promise.all([
        healthFinding(optional(file.raw, "healthUrl"), app),
        sentryFinding(optional(file.raw, "sentryProject"), o.since, o.env),
    ]);
    findings.push(health, sentry);
    return buildReport({ stack: o.stack, app, since: o.since.toISOString(), checkedAt: o.now.toISOString() }, findings);
}

/** grants, url-var and flag all read the app's config; one failed read is an error for each. */
async function configFindings(ctx: ProbeContext, r: CliResult): Promise<Finding[]> {
    if (r.code !== 0) {
        const detail = `heroku config -a ${ctx.settings.app} --json failed: ${cliError(r)}`;
        const fix = "check HEROKU_API_KEY and raptor:app, then run check again";
        return (["grants", "url-var", "flag"] as const).map((check) => ({ check, status: "error", detail, fix }));
    }
    const config = JSON.parse(r.stdout) as Record<string, string>;
    const [grants, urlVar] = await Promise.all([grantsFinding(ctx, config), urlVarFinding(ctx, config)]);
    return [grants, urlVar, flagFinding(ctx, config)];
}

/** The contract's error document (issue 19): on stdout with --json, on stderr as text. */
export function failure(io: Io, json: boolean, command: string, message: string, fix: string): 1 {
    if (json) {
        io.out(`${JSON.stringify({ error: { code: "usage", message, fix } }, null, 2)}\n`);
    }
    io.err(`raptor-roles ${command}: ${message}\n${fix}\n`);
    return 1;
}

export interface CheckDeps {
    readonly env: NodeJS.ProcessEnv;
    readonly now: () => Date;
}

export async function checkIn(dir: string, argv: string[], io: Io, deps: CheckDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    try {
        ({ values } = parse(
            argv,
            { stack: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } },
            "check",
        ));
    } catch (e) {
        return failure(io, json, "check", (e as Error).message, "see raptor-roles check --help");
    }
    if (values.help) {
        io.out(CHECK_HELP);
        return 0;
    }
    if (!values.stack) {
        return failure(io, json, "check", "--stack is required", "e.g. raptor-roles check --stack staging");
    }
    const now = deps.now();
    let report: CheckReport;
    try {
        const since = parseSince(values.since ?? "24h", now);
        report = await runCheck({ stack: values.stack, dir, since, env: deps.env, now });
    } catch (e) {
        return failure(io, json, "check", (e as Error).message, `fix the value named above, then run check again`);
    }
    io.out(json ? `${JSON.stringify(report, null, 2)}\n` : renderCheck(report));
    return exitCodeOf(report.findings);
}

export const check: Subcommand = (argv, io) =>
    checkIn(projectDir(), argv, io, { env: process.env, now: () => new Date() });

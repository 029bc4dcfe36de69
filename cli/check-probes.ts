/**
 * The probes of `raptor-roles check`, one per runbook check, each returning a Finding and never throwing:
 * a probe that cannot look says so as an `error` finding. No finding carries a URL or a password.
 */
import { Client } from "pg";
import { Finding } from "../core/check/report";
import { LOG_BUFFER_LINES, LOG_SIGNATURES, Signature, scanLogs } from "../core/check/logs";
import { Coverage, isoSeconds } from "../core/coverage";
import { APP_URL_VAR, FLAG_VAR, RaptorSettings } from "../core/settings";
import { ConnectionError, classifyConnectionError, connectionTarget, redact, urlSecrets } from "../db/connection";
import { CliResult, herokuFailure } from "./heroku-cli";
import { runVerify } from "./verify";

export interface ProbeContext {
    readonly stack: string;
    readonly settings: RaptorSettings;
    readonly env: NodeJS.ProcessEnv;
}

const pulumiUp = (stack: string) =>
    `\`pulumi up -s ${stack} --policy-pack policy --policy-pack-config policy/config.json\``;
const WORKING = ["active", "rotating", "rotation_completed"];

/** Heroku URLs carry no sslmode; PGSSLMODE (libpq's variable) supplies one, e.g. `disable` for a local server. */
export function withSslMode(url: string, env: NodeJS.ProcessEnv): string {
    const mode = env.PGSSLMODE;
    if (mode === undefined || mode === "" || /[?&]sslmode=/.test(url)) {
        return url;
    }
    return `${url}${url.includes("?") ? "&" : "?"}sslmode=${encodeURIComponent(mode)}`;
}

/** 1. The credential exists and is in a working state (`heroku pg:credentials`, which has no --json). */
export async function credentialFinding(ctx: ProbeContext, listed: CliResult): Promise<Finding> {
    const { app, database, role } = ctx.settings;
    if (listed.code !== 0) {
        return {
            check: "credential",
            status: "error",
            ...herokuFailure(listed, `heroku pg:credentials ${database} -a ${app}`, app),
        };
    }
    const rows = listed.stdout
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .map((l) => l.replace(/[│|]/g, " ").trim().split(/\s+/));
    const state = rows.find((r) => r[0] === role)?.[1];
    if (state === undefined) {
        return {
            check: "credential",
            status: "unhealthy",
            detail: `no credential ${role} on ${database} of ${app}`,
            fix: `the program creates it (runbook Step 2, done right): ${pulumiUp(ctx.stack)}`,
        };
    }
    if (!WORKING.includes(state)) {
        return {
            check: "credential",
            status: "unhealthy",
            detail: `credential ${role} is ${state}, not usable (working states: ${WORKING.join(", ")})`,
            fix: `wait for provisioning to finish, or if it is being revoked run ${pulumiUp(ctx.stack)}`,
        };
    }
    return { check: "credential", status: "ok", detail: `credential ${role} is ${state}` };
}

/** 2. The grants, on effective privileges: verify's check with the owner URL (DATABASE_URL). */
export async function grantsFinding(ctx: ProbeContext, config: Record<string, string>): Promise<Finding> {
    const { app, database, role, schema } = ctx.settings;
    const ownerVar = `${database}_URL`;
    const url = config[ownerVar];
    if (!url) {
        return {
            check: "grants",
            status: "error",
            detail: `${ownerVar} is not set on ${app}, so the grants cannot be read`,
            fix: `check raptor:database (the owner's attachment, default DATABASE)`,
        };
    }
    try {
        const { report } = await runVerify({
            url: withSslMode(url, ctx.env),
            role,
            schema,
            heroku: { app, attachment: database },
            source: `${ownerVar} of ${app}`,
        });
        if (report.clean) {
            return { check: "grants", status: "ok", detail: `no drift (${report.checked.tables} tables checked)` };
        }
        const classes = Object.entries(report.counts).map(([c, n]) => `${c} ${n}`);
        return {
            check: "grants",
            status: "unhealthy",
            detail: `${report.drifts.length} drift(s): ${classes.join(", ")}`,
            objects: report.drifts.map((d) => ({ object: d.object, detail: `${d.class}: ${d.detail}`, fix: d.fix })),
            fix:
                `run each object's SQL above as the owner (\`heroku pg:psql ${database} -a ${app}\`; ` +
                `\`raptor-roles verify --database-url-env ${ownerVar} --stack ${ctx.stack}\` prints them too), ` +
                `or ${pulumiUp(ctx.stack).replace("up ", "up --refresh ")}`,
        };
    } catch (e) {
        return {
            check: "grants",
            status: "error",
            detail: `cannot read the grants: ${redact((e as Error).message, urlSecrets(url))}`,
            fix:
                e instanceof ConnectionError
                    ? redact(e.fix, urlSecrets(url))
                    : `check that the database is reachable from here (\`heroku pg:info -a ${app}\`)`,
        };
    }
}

/** 3. RAPTOR_APP_DATABASE_URL is set and connects as the role (`SELECT current_user`); its value is never shown. */
export async function urlVarFinding(ctx: ProbeContext, config: Record<string, string>): Promise<Finding> {
    const { app, role } = ctx.settings;
    const url = config[APP_URL_VAR];
    const fix = `the program delivers it (runbook Step 3 and Failure mode D): ${pulumiUp(ctx.stack)}`;
    if (url === undefined || url.trim() === "") {
        return { check: "url-var", status: "unhealthy", detail: `${APP_URL_VAR} is not set or empty on ${app}`, fix };
    }
    let target;
    try {
        target = connectionTarget(withSslMode(url, ctx.env), `${APP_URL_VAR} of ${app}`, 15_000, APP_URL_VAR);
    } catch (e) {
        return { check: "url-var", status: "unhealthy", detail: redact((e as Error).message, urlSecrets(url)), fix };
    }
    const client = new Client({ ...target.config, application_name: "raptor-roles check" });
    client.on("error", () => undefined);
    try {
        await client.connect();
        const user = (await client.query("SELECT current_user AS u")).rows[0].u as string;
        return user === role
            ? { check: "url-var", status: "ok", detail: `${APP_URL_VAR} connects as ${role}` }
            : {
                  check: "url-var",
                  status: "unhealthy",
                  detail: `${APP_URL_VAR} connects as ${user}, not ${role}: the app would not run as ${role}`,
                  fix,
              };
    } catch (e) {
        const failed = classifyConnectionError(e, target);
        const why = redact(failed.message, [...target.secrets, ...urlSecrets(url)]);
        // A refused password is the program's to repair (it delivers the credential); the network is not.
        const own = failed.code === "db-auth" ? fix : redact(failed.fix, [...target.secrets, ...urlSecrets(url)]);
        return { check: "url-var", status: "unhealthy", detail: `${APP_URL_VAR} does not connect: ${why}`, fix: own };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** 4. The flag on the app equals raptor:roleSeparation. */
export function flagFinding(ctx: ProbeContext, config: Record<string, string>): Finding {
    const want = ctx.settings.roleSeparation ? "1" : "0";
    const have = config[FLAG_VAR];
    if (have === want) {
        return { check: "flag", status: "ok", detail: `${FLAG_VAR}=${have}, as raptor:roleSeparation says` };
    }
    return {
        check: "flag",
        status: "unhealthy",
        detail:
            `${FLAG_VAR} is ${have === undefined ? "not set" : JSON.stringify(have)} on ${ctx.settings.app}, ` +
            `but raptor:roleSeparation is ${ctx.settings.roleSeparation} (${want})`,
        fix:
            `make them agree: ${pulumiUp(ctx.stack)}; if the flag was set to 0 by the emergency stop, first ` +
            `\`pulumi config set raptor:roleSeparation false -s ${ctx.stack}\``,
    };
}

/**
 * 5. The app's log since `since` holds none of the signatures (`heroku logs -n 1500`, Heroku's whole buffer). Its
 * coverage is complete when the buffer was not full, or when its oldest line is at or before `since`: otherwise the
 * lines between were dropped by Heroku and nobody can say what they held.
 */
export function logFindings(
    ctx: ProbeContext,
    logs: CliResult,
    window: { since: Date; now: Date },
    extra: readonly Signature[],
): Finding[] {
    const { app } = ctx.settings;
    const { since, now } = window;
    if (logs.code !== 0) {
        return [{ check: "logs", status: "error", ...herokuFailure(logs, `heroku logs -a ${app} -n 1500`, app) }];
    }
    const lines = logs.stdout.split("\n").filter((l) => l.trim() !== "");
    const scan = scanLogs(logs.stdout, since, [...LOG_SIGNATURES, ...extra], lines.length >= LOG_BUFFER_LINES);
    const coverage: Coverage = {
        from: isoSeconds(scan.oldest ?? since),
        to: isoSeconds(now),
        complete: scan.oldest === undefined,
    };
    const gap =
        scan.oldest !== undefined
            ? ` (Heroku keeps 1,500 lines: the oldest kept is from ${scan.oldest.toISOString()}, so earlier lines ` +
              "were not seen; a log drain keeps them all)"
            : "";
    if (scan.hits.length === 0) {
        return [
            {
                check: "logs",
                status: "ok",
                detail: `${scan.scanned} line(s) since ${since.toISOString()}, none match${gap}`,
                coverage,
            },
        ];
    }
    return scan.hits.map((h) => ({
        check: "logs",
        status: "unhealthy",
        detail: `${h.lines.length} line(s) match /${h.signature.pattern.source}/: ${h.signature.meaning}${gap}`,
        lines: h.lines,
        fix: h.signature.fix.replace(/STACK/g, ctx.stack).replace(/\bAPP\b/g, app),
        coverage,
    }));
}

/** 6. The health URL answers 2xx (runbook Step 7's `curl -fsS .../healthz`). */
export async function healthFinding(url: string | undefined, app: string, timeoutMs = 10_000): Promise<Finding> {
    if (url === undefined || url === "") {
        return { check: "health", status: "skipped", detail: "raptor:healthUrl is not set" };
    }
    const shown = redact(url);
    try {
        const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
        await r.body?.cancel();
        return r.ok
            ? { check: "health", status: "ok", detail: `${shown} answered ${r.status}` }
            : {
                  check: "health",
                  status: "unhealthy",
                  detail: `${shown} answered ${r.status}`,
                  fix:
                      `read the app's log (\`heroku logs -a ${app} -n 200\`); if it began with the flag flip, ` +
                      "run the emergency stop",
              };
    } catch (e) {
        return {
            check: "health",
            status: "unhealthy",
            detail: `${shown} did not answer: ${(e as Error).message}`,
            fix: `is the app up (\`heroku ps -a ${app}\`)? if it went down with the flag flip, run the emergency stop`,
        };
    }
}

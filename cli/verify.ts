/**
 * `raptor-roles verify`: connects to the live database (as the owner, or any
 * role that can read the catalog), reads it in ONE catalog query and reports
 * every drift from the grant plan on effective privileges, each with the SQL
 * that fixes it. Exit 0 clean, 2 drift, 1 error. No message ever carries the
 * URL or its password.
 */
import { parseArgs } from "node:util";
import { Client, ClientConfig } from "pg";
import { parse as parseConnectionString } from "pg-connection-string";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import { GrantPlan, buildPlan } from "../core/plan";
import { VerifyContext, VerifyError, VerifyReport, computeDrift, renderReport } from "../core/verify";
import type { Catalog } from "../core/catalog";
import { readCatalog } from "../db/catalog";
import { stackSettings } from "../offline/stack-file";
import { Io, Subcommand, UsageError } from "./io";

export { VerifyError } from "../core/verify";

export const VERIFY_HELP = `usage: raptor-roles verify (--database-url-env NAME | --database-url URL) [--stack NAME] [--json]

Checks the live database against the grant plan on EFFECTIVE privileges (direct grants, PUBLIC,
inherited role memberships, column grants, ownership, role attributes) and prints each drift with
the exact SQL that fixes it. One catalog query, read-only.

  --database-url-env NAME  read the owner URL from environment variable NAME (recommended: the URL
                           carries the owner's password and then stays out of argv and shell history),
                           e.g. DATABASE_URL=$(heroku config:get DATABASE_URL -a APP) raptor-roles verify \\
                                  --database-url-env DATABASE_URL --stack staging
  --database-url URL       the owner URL itself (postgres://USER:PASSWORD@HOST:PORT/DB)
  --stack NAME             take role and schema from Pulumi.NAME.yaml (default: raptor_app in public)
  --json                   one JSON document: {role, schema, database, clean, drifts: [{class, object,
                           detail, fix}], counts, checked}
  -h, --help               this text

Exactly one of --database-url-env and --database-url.

SSL is on unless the URL says sslmode=disable: Heroku requires SSL and its URLs carry no sslmode.
  no sslmode, allow, prefer, require   SSL, the certificate not verified (psql's sslmode=require, as
                                       Heroku needs). allow and prefer never fall back to plain text.
  verify-ca, verify-full               SSL, the certificate verified (verify-ca needs sslrootcert=FILE)
  disable                              no SSL: only for a local database without SSL (?sslmode=disable)
Exit status: 0 clean, 2 drift found, 1 error (bad URL, unreachable database, authentication).
`;

export interface VerifyOptions {
    /** The connection URL (owner, or any role that can read the catalog). */
    readonly url: string;
    /** Default raptor_app. */
    readonly role?: string;
    /** Default public. */
    readonly schema?: string;
    /** Default RAPTOR_CLASSIFICATION. */
    readonly classification?: Classification;
    readonly heroku?: VerifyContext["heroku"];
    /** How the URL was given, for messages (never the URL itself). */
    readonly source?: string;
    /** Connect timeout, default 15 s. */
    readonly connectTimeoutMs?: number;
}

export interface VerifyResult {
    readonly report: VerifyReport;
    /** 0 clean, 2 drift. */
    readonly exitCode: 0 | 2;
    /** Milliseconds: connect (incl. authentication), the one catalog query, the drift computation, all. */
    readonly timings: { readonly connectMs: number; readonly queryMs: number; readonly computeMs: number; readonly totalMs: number };
}

/** Masks `scheme://user:password@` credentials and any of the given secrets in a text. */
export function redact(text: string, secrets: readonly string[] = []): string {
    let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s]*@/gi, "$1:***@");
    for (const s of secrets) {
        if (s.length >= 3) {
            for (const v of new Set([s, encodeURIComponent(s)])) {
                out = out.split(v).join("***");
            }
        }
    }
    return out;
}

/** The URL and its password (raw and decoded), for redact. */
function urlSecrets(url: string): string[] {
    const out = [url.trim()];
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s]*)@/i.exec(url.trim());
    if (m && m[1]) {
        out.push(m[1]);
        try {
            out.push(decodeURIComponent(m[1]));
        } catch {
            // not percent-encoded: the raw form is enough
        }
    }
    return out;
}

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/**
 * The driver's `ssl` option. pg never falls back to plain text as libpq's
 * default "prefer" does, and `heroku config:get DATABASE_URL` prints no
 * sslmode, so SSL is the default: only sslmode=disable turns it off. No
 * sslmode, allow and prefer encrypt without verifying the certificate, like
 * require (what Heroku needs); require, verify-ca and verify-full keep
 * pg-connection-string's libpq-compatible meaning (require with sslrootcert
 * verifies the CA). Certificate files named in the URL are kept.
 */
function sslOption(parsed: ReturnType<typeof parseConnectionString>): ClientConfig["ssl"] {
    switch (parsed.sslmode) {
        case "disable":
            return false;
        case "require":
        case "verify-ca":
        case "verify-full":
            return parsed.ssl as ClientConfig["ssl"];
        default: {
            const files = typeof parsed.ssl === "object" ? (parsed.ssl as Exclude<ClientConfig["ssl"], boolean | undefined>) : {};
            return { ...files, rejectUnauthorized: false };
        }
    }
}

interface Target {
    readonly config: ClientConfig;
    readonly where: string;
    readonly secrets: string[];
    readonly ssl: boolean;
}

function connectionTarget(url: string, source: string, timeoutMs: number): Target {
    const bad = (problem: string) =>
        new VerifyError(
            `the database URL from ${source} ${problem}; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE] ` +
                "(the URL itself is not shown: it carries a password)",
        );
    const trimmed = url.trim();
    if (trimmed === "") {
        throw bad("is empty");
    }
    if (!/^postgres(ql)?:\/\//i.test(trimmed)) {
        throw bad("does not start with postgres:// or postgresql://");
    }
    let parsed: ReturnType<typeof parseConnectionString>;
    try {
        parsed = parseConnectionString(trimmed, { useLibpqCompat: true });
    } catch (e) {
        throw bad(`cannot be parsed (${redact((e as Error).message, [trimmed])})`);
    }
    const missing = (["host", "user", "database"] as const).filter((k) => !parsed[k]);
    if (missing.length > 0) {
        throw bad(`has no ${missing.join(", ")}`);
    }
    if (parsed.sslmode !== undefined && !SSL_MODES.includes(String(parsed.sslmode))) {
        throw bad(`has an unknown sslmode (expected ${SSL_MODES.join(", ")})`);
    }
    const port = parsed.port ? Number(parsed.port) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw bad("has an invalid port");
    }
    const password = parsed.password || undefined;
    const ssl = sslOption(parsed);
    return {
        config: {
            host: parsed.host as string,
            port,
            user: parsed.user,
            password,
            database: parsed.database as string,
            ssl,
            application_name: "raptor-roles verify",
            connectionTimeoutMillis: timeoutMs,
            // The one query is a SELECT; no startup `options` (a pooler such as PgBouncer refuses them).
            query_timeout: 120_000,
        },
        where: `${parsed.user}@${parsed.host}:${port}/${parsed.database}`,
        secrets: [trimmed, ...(password ? [password] : [])],
        ssl: ssl !== false,
    };
}

function connectionMessage(e: unknown, t: Target): string {
    const err = e as Error & { code?: string };
    const msg = redact(err.message ?? String(e), t.secrets);
    switch (err.code) {
        case "ECONNREFUSED":
            return `cannot connect to ${t.where}: connection refused (is the host and port right, is the database up?)`;
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return `cannot connect to ${t.where}: the host name does not resolve`;
        case "ETIMEDOUT":
        case "EHOSTUNREACH":
        case "ENETUNREACH":
            return `cannot connect to ${t.where}: ${err.code}`;
        case "28P01":
            return `authentication failed for ${t.where}: wrong user or password (Heroku rotates credentials: take a fresh URL from heroku config:get DATABASE_URL -a APP)`;
        case "28000":
            return `the server refused ${t.where}: ${msg}${t.ssl ? "" : " (Heroku requires SSL: remove sslmode=disable from the URL)"}`;
        case "3D000":
            return `database in the URL does not exist on the server (${t.where})`;
    }
    if (/timeout/i.test(msg)) {
        return `cannot connect to ${t.where}: timed out`;
    }
    if (t.ssl && /does not support SSL/i.test(msg)) {
        return (
            `cannot connect to ${t.where}: the server does not accept SSL, and verify uses SSL unless the URL says sslmode=disable ` +
            "(for a local database without SSL, add ?sslmode=disable to the URL; never for Heroku, which requires SSL)"
        );
    }
    if (/certificate|self[- ]signed|SSL/i.test(msg)) {
        return (
            `SSL to ${t.where} failed: ${msg} (without sslmode, or with sslmode=require, verify encrypts without verifying ` +
            "the certificate, as Heroku needs; verify-ca and verify-full need a trusted certificate: sslrootcert=FILE)"
        );
    }
    return `cannot connect to ${t.where}: ${msg}`;
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

/**
 * Connects, reads the catalog in one query and computes the drift. Throws
 * VerifyError (message without the URL or password) when it cannot check.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyResult> {
    const t0 = process.hrtime.bigint();
    const target = connectionTarget(opts.url, opts.source ?? "--database-url", opts.connectTimeoutMs ?? 15_000);
    let plan: GrantPlan;
    try {
        plan = buildPlan({ classification: opts.classification ?? RAPTOR_CLASSIFICATION, role: opts.role ?? "raptor_app", schema: opts.schema ?? "public" });
    } catch (e) {
        throw new VerifyError((e as Error).message);
    }
    const client = new Client(target.config);
    client.on("error", () => undefined); // a dropped connection surfaces through the pending call instead
    try {
        try {
            await client.connect();
        } catch (e) {
            throw new VerifyError(connectionMessage(e, target));
        }
        const connectMs = ms(t0);
        const t1 = process.hrtime.bigint();
        let catalog: Catalog;
        try {
            catalog = await readCatalog(client, plan);
        } catch (e) {
            throw new VerifyError(
                `the catalog query failed on ${target.where}: ${redact((e as Error).message, target.secrets)} ` +
                    "(raptor-roles verify needs PostgreSQL 17, as Heroku runs, and a role that can read pg_catalog)",
            );
        }
        const queryMs = ms(t1);
        const t2 = process.hrtime.bigint();
        const report = computeDrift(plan, catalog, { heroku: opts.heroku });
        const computeMs = ms(t2);
        return { report, exitCode: report.clean ? 0 : 2, timings: { connectMs, queryMs, computeMs, totalMs: ms(t0) } };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** The stable JSON document (key order fixed). */
export function reportJson(report: VerifyReport): string {
    return `${JSON.stringify(
        {
            role: report.role,
            schema: report.schema,
            database: report.database,
            clean: report.clean,
            drifts: report.drifts.map((d) => ({ class: d.class, object: d.object, detail: d.detail, fix: d.fix })),
            counts: report.counts,
            checked: report.checked,
        },
        null,
        2,
    )}\n`;
}

export const verify: Subcommand = async (argv: string[], io: Io): Promise<number> => {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                "database-url": { type: "string" },
                "database-url-env": { type: "string" },
                stack: { type: "string" },
                json: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        // parseArgs quotes unexpected arguments, which may be a URL with a password in it.
        throw new UsageError(redact((e as Error).message, argv.filter((a) => /:\/\//.test(a))));
    }
    if (values.help) {
        io.out(VERIFY_HELP);
        return 0;
    }
    const urlArg = values["database-url"];
    const envName = values["database-url-env"];
    if ((urlArg === undefined) === (envName === undefined)) {
        throw new UsageError("give exactly one of --database-url-env NAME (recommended) and --database-url URL");
    }
    let url: string;
    let source: string;
    if (envName !== undefined) {
        const v = process.env[envName];
        if (v === undefined || v.trim() === "") {
            io.err(`raptor-roles verify: environment variable ${envName} is empty or not set; e.g. export ${envName}="$(heroku config:get DATABASE_URL -a APP)"\n`);
            return 1;
        }
        url = v;
        source = `environment variable ${envName}`;
    } else {
        url = urlArg as string;
        source = "--database-url";
    }

    let role = "raptor_app";
    let schema = "public";
    let heroku: VerifyContext["heroku"];
    if (values.stack !== undefined) {
        try {
            const s = stackSettings(values.stack);
            role = s.role;
            schema = s.schema;
            heroku = { app: s.app, attachment: s.database };
        } catch (e) {
            io.err(`raptor-roles verify: ${(e as Error).message}\n`);
            return 1;
        }
    }

    try {
        const { report, exitCode } = await runVerify({ url, role, schema, heroku, source });
        io.out(values.json ? reportJson(report) : renderReport(report));
        return exitCode;
    } catch (e) {
        const message = e instanceof VerifyError ? e.message : `unexpected error: ${(e as Error).message}`;
        io.err(`raptor-roles verify: ${redact(message, urlSecrets(url))}\n`);
        return 1;
    }
};

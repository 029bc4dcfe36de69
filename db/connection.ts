/**
 * Connecting `raptor-roles verify` to a database from a URL: the pg client's
 * options (SSL on unless the URL says sslmode=disable), connection errors in
 * words with a fix, and the redaction that keeps the URL and its password out
 * of every message.
 */
import type { ClientConfig } from "pg";
import { DatabaseUrl, DatabaseUrlError, parseDatabaseUrl } from "../core/owner-url";
import { VerifyError } from "../core/verify/report";

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
export function urlSecrets(url: string): string[] {
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

/**
 * The driver's `ssl` option. pg never falls back to plain text as libpq's
 * default "prefer" does, and `heroku config:get DATABASE_URL` prints no
 * sslmode, so SSL is the default: only sslmode=disable turns it off. No
 * sslmode, allow and prefer encrypt without verifying the certificate, like
 * require (what Heroku needs); require, verify-ca and verify-full keep
 * pg-connection-string's libpq-compatible meaning (require with sslrootcert
 * verifies the CA). Certificate files named in the URL are kept.
 */
function sslOption(u: DatabaseUrl): ClientConfig["ssl"] {
    switch (u.sslmode) {
        case "disable":
            return false;
        case "require":
        case "verify-ca":
        case "verify-full":
            return u.ssl as ClientConfig["ssl"];
        default: {
            const files = typeof u.ssl === "object" ? (u.ssl as Exclude<ClientConfig["ssl"], boolean | undefined>) : {};
            return { ...files, rejectUnauthorized: false };
        }
    }
}

export interface Target {
    readonly config: ClientConfig;
    readonly where: string;
    readonly secrets: string[];
    readonly ssl: boolean;
}

/** The pg client's configuration from the URL, through the project's one URL parser (core/owner-url.ts). */
export function connectionTarget(url: string, source: string, timeoutMs: number): Target {
    let u: DatabaseUrl;
    try {
        u = parseDatabaseUrl(url);
    } catch (e) {
        if (!(e instanceof DatabaseUrlError)) {
            throw e;
        }
        throw new VerifyError(
            `the database URL from ${source} ${e.problem}; ` +
                "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE] " +
                "(the URL itself is not shown: it carries a password)",
        );
    }
    const ssl = sslOption(u);
    return {
        config: {
            host: u.host,
            port: u.port,
            user: u.user,
            password: u.password,
            database: u.database,
            ssl,
            application_name: "raptor-roles verify",
            connectionTimeoutMillis: timeoutMs,
            // The one query is a SELECT; no startup `options` (a pooler such as PgBouncer refuses them).
            query_timeout: 120_000,
        },
        where: `${u.user}@${u.host}:${u.port}/${u.database}`,
        secrets: [url.trim(), ...(u.password ? [u.password] : [])],
        ssl: ssl !== false,
    };
}

/** What went wrong connecting, in words and with a fix, never with the URL or the password. */
export function connectionMessage(e: unknown, t: Target): string {
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
            return (
                `authentication failed for ${t.where}: wrong user or password ` +
                "(Heroku rotates credentials: take a fresh URL from heroku config:get DATABASE_URL -a APP)"
            );
        case "28000":
            const hint = t.ssl ? "" : " (Heroku requires SSL: remove sslmode=disable from the URL)";
            return `the server refused ${t.where}: ${msg}${hint}`;
        case "3D000":
            return `database in the URL does not exist on the server (${t.where})`;
    }
    if (/timeout/i.test(msg)) {
        return `cannot connect to ${t.where}: timed out`;
    }
    if (t.ssl && /does not support SSL/i.test(msg)) {
        return (
            `cannot connect to ${t.where}: the server does not accept SSL, ` +
            "and verify uses SSL unless the URL says sslmode=disable " +
            "(for a local database without SSL, add ?sslmode=disable to the URL; never for Heroku, which requires SSL)"
        );
    }
    if (/certificate|self[- ]signed|SSL/i.test(msg)) {
        return (
            `SSL to ${t.where} failed: ${msg} ` +
            "(without sslmode, or with sslmode=require, verify encrypts without verifying " +
            "the certificate, as Heroku needs; verify-ca and verify-full need a trusted certificate: sslrootcert=FILE)"
        );
    }
    return `cannot connect to ${t.where}: ${msg}`;
}

/**
 * Connecting `raptor-roles verify` to a database from a URL: the pg client's
 * options (SSL on unless the URL says sslmode=disable), connection errors in
 * words with a fix, and the redaction that keeps the URL and its password out
 * of every message.
 */
import type { ClientConfig } from "pg";
import { DatabaseUrl, DatabaseUrlError, URL_FORM, parseDatabaseUrl } from "../core/owner-url";
import { VerifyError } from "../core/verify/report";

/** Masks `scheme://user:password@` credentials and any of the given secrets in a text. */
export function redact(text: string, secrets: readonly string[] = []): string {
    // The form the messages show (postgres://USER:PASSWORD@HOST...) is a placeholder, not a password.
    let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):([^@\s]*)@/gi, (m, who: string, pw: string) =>
        pw === "PASSWORD" && who.endsWith("USER") ? m : `${who}:***@`,
    );
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
    /** Where the URL came from, for fixes: "environment variable DATABASE_URL", "--database-url". */
    readonly source: string;
    /** The URL's sslmode, if it names one. */
    readonly sslmode?: string;
    /** The Heroku config var that holds this URL (DATABASE_URL, RAPTOR_APP_DATABASE_URL), for fixes. */
    readonly herokuVar: string;
}

/** A bad URL, or a failed connection, in words, with its own fix: never the URL or its password. */
export class ConnectionError extends VerifyError {
    constructor(
        /** Stable, per kind of failure: the same in every command that connects (cli/contract.ts's codes). */
        readonly code: ConnectionFailure["code"],
        message: string,
        readonly fix: string,
    ) {
        super(message);
    }
}

/**
 * The pg client's configuration from the URL, through the project's one URL parser (core/owner-url.ts). A bad URL
 * throws ConnectionError (code db-url) naming the part that is wrong and the expected form, never the password.
 */
export function connectionTarget(url: string, source: string, timeoutMs: number, herokuVar = "DATABASE_URL"): Target {
    let u: DatabaseUrl;
    try {
        u = parseDatabaseUrl(url);
    } catch (e) {
        if (!(e instanceof DatabaseUrlError)) {
            throw e;
        }
        throw new ConnectionError(
            "db-url",
            `the database URL from ${source} ${e.problem}; expected ${URL_FORM}[?sslmode=MODE]`,
            `${e.hint}; or take the URL afresh: ${fetchUrl(source, herokuVar)}`,
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
        source,
        sslmode: u.sslmode,
        herokuVar,
    };
}

/** How to put a fresh URL where it came from: the environment variable by name, else the flag. */
function fetchUrl(source: string, herokuVar: string): string {
    const env = /^environment variable (\S+)$/.exec(source)?.[1];
    if (env !== undefined) {
        return `export ${env}="$(heroku config:get ${herokuVar} -a APP)"`;
    }
    // check reads the URL from the app itself ("DATABASE_URL of APP"): the app's own value is the one at fault.
    const app = /^(\S+) of (\S+)$/.exec(source);
    return app !== null
        ? `compare ${app[1]} on ${app[2]} with the database (\`heroku pg:info -a ${app[2]}\`)`
        : `\`heroku config:get ${herokuVar} -a APP\` prints it (${source})`;
}

export interface ConnectionFailure {
    readonly code:
        "db-dns" | "db-refused" | "db-timeout" | "db-auth" | "db-ssl" | "db-no-database" | "db-connect" | "db-url";
    readonly message: string;
    readonly fix: string;
}

const SSL_DISABLE_FIX =
    "for a local database without SSL, add ?sslmode=disable to the URL; never for Heroku, which requires SSL";

/**
 * What went wrong connecting, told apart by kind (DNS, refused, timeout, authentication, SSL, no such database),
 * each with its own fix; never with the URL or the password.
 */
export function classifyConnectionError(e: unknown, t: Target): ConnectionFailure {
    const err = e as Error & { code?: string };
    const msg = redact(err.message ?? String(e), t.secrets);
    const { host, port, user, database } = t.config as { host: string; port: number; user: string; database: string };
    const at = `cannot connect to ${t.where}`;
    const fresh = fetchUrl(t.source, t.herokuVar);
    switch (err.code) {
        case "ENOTFOUND":
            return {
                code: "db-dns",
                message: `${at}: the host name ${host} does not resolve (ENOTFOUND)`,
                fix:
                    `correct the host in the URL from ${t.source} (Heroku moves databases: ${fresh}); ` +
                    `\`getent hosts ${host}\` checks the name`,
            };
        case "EAI_AGAIN":
            return {
                code: "db-dns",
                message: `${at}: the DNS lookup of ${host} failed for now (EAI_AGAIN)`,
                fix: `check this machine's network and DNS (\`getent hosts ${host}\`), then run the command again`,
            };
        case "ECONNREFUSED":
            return {
                code: "db-refused",
                message: `${at}: connection refused: nothing listens on ${host}:${port}`,
                fix:
                    `correct the port in the URL from ${t.source} (Heroku's is 5432), or start the server ` +
                    `(\`pg_isready -h ${host} -p ${port}\` tells); on Heroku: \`heroku pg:info -a APP\``,
            };
        case "ETIMEDOUT":
        case "EHOSTUNREACH":
        case "ENETUNREACH":
            return timedOut(t, err.code);
        case "28P01":
            return {
                code: "db-auth",
                message: `authentication failed for ${t.where}: the server refused the password of user ${user}`,
                fix: `use the current URL (Heroku rotates credentials): ${fresh}`,
            };
        case "28000":
            return refused28000(t, msg, fresh);
        case "3D000":
            return {
                code: "db-no-database",
                message:
                    `database ${JSON.stringify(database)} does not exist on ${host}:${port} ` +
                    `(the URL from ${t.source})`,
                fix:
                    `list the databases (\`psql -h ${host} -p ${port} -U ${user} -d postgres -Atc ` +
                    `'SELECT datname FROM pg_database WHERE NOT datistemplate'\`) and put the right one after the ` +
                    `last / of the URL; on Heroku take the whole URL: ${fresh}`,
            };
    }
    return fromText(t, msg);
}

function timedOut(t: Target, code: string): ConnectionFailure {
    const { host, port } = t.config as { host: string; port: number };
    return {
        code: "db-timeout",
        message: `cannot connect to ${t.where}: ${host}:${port} did not answer (${code})`,
        fix: `check that this machine may reach ${host}:${port} (a firewall, a VPN, an allow-list), then run again`,
    };
}

/** 28000: pg_hba refused the connection (SSL off where it is required), or the role does not exist. */
function refused28000(t: Target, msg: string, fresh: string): ConnectionFailure {
    const { user } = t.config as { user: string };
    if (!t.ssl && /no encryption|SSL off|pg_hba/i.test(msg)) {
        return {
            code: "db-ssl",
            message: `the server refused ${t.where} without SSL: ${msg}`,
            fix: "remove sslmode=disable from the URL (Heroku requires SSL)",
        };
    }
    if (/role .* does not exist/i.test(msg)) {
        return {
            code: "db-auth",
            message: `authentication failed for ${t.where}: ${msg}`,
            fix: `correct the user (${user}) in the URL from ${t.source}: ${fresh}`,
        };
    }
    return { code: "db-auth", message: `the server refused ${t.where}: ${msg}`, fix: `use the current URL: ${fresh}` };
}

/** The failures pg reports by text only: timeouts and SSL. */
function fromText(t: Target, msg: string): ConnectionFailure {
    if (/timeout/i.test(msg)) {
        return timedOut(t, "timed out");
    }
    if (t.ssl && /does not support SSL/i.test(msg)) {
        return {
            code: "db-ssl",
            message:
                `cannot connect to ${t.where}: the server does not accept SSL, ` +
                "and SSL is on unless the URL says sslmode=disable",
            fix: SSL_DISABLE_FIX,
        };
    }
    if (/certificate|self[- ]signed|SSL/i.test(msg)) {
        const verifying = t.sslmode === "verify-ca" || t.sslmode === "verify-full" || t.sslmode === "require";
        return {
            code: "db-ssl",
            message: `SSL to ${t.where} failed: ${msg}`,
            fix: verifying
                ? `sslmode=${t.sslmode} verifies the certificate: add sslrootcert=FILE (the server's CA) to the URL, ` +
                  "or leave sslmode out (SSL without verifying the certificate, as Heroku needs)"
                : "leave sslmode out of the URL (SSL without verifying the certificate, as Heroku needs)",
        };
    }
    return {
        code: "db-connect",
        message: `cannot connect to ${t.where}: ${msg}`,
        fix: `check the URL from ${t.source} (${URL_FORM}) and that the database is reachable from here`,
    };
}

/** What went wrong connecting, in words, then the fix in parentheses (for messages that carry both). */
export function connectionMessage(e: unknown, t: Target): string {
    const f = classifyConnectionError(e, t);
    return `${f.message} (${f.fix})`;
}

/** The failure as a ConnectionError, to throw: its code, message and fix pass unchanged to the CLI's error. */
export function connectionError(e: unknown, t: Target, context = ""): ConnectionError {
    const f = classifyConnectionError(e, t);
    return new ConnectionError(f.code, `${context}${f.message}`, f.fix);
}

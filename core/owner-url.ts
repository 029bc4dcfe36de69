/**
 * The one parser for database URLs (Heroku's DATABASE_URL), on
 * pg-connection-string's own parser with libpq's sslmode meanings: the
 * postgresql provider's owner connection (parseOwnerUrl) and
 * `raptor-roles verify` both read URLs through parseDatabaseUrl. Errors never
 * quote the URL: it carries the owner's password.
 */
import { parse } from "pg-connection-string";

/** A parsed URL; `ssl` is pg-connection-string's (certificate files named in the URL, or a flag). */
export interface DatabaseUrl {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string | undefined;
    readonly database: string;
    readonly sslmode: string | undefined;
    readonly ssl: ReturnType<typeof parse>["ssl"];
}

export const SSL_MODES: readonly string[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** The form every message shows, so the reader can compare it with the URL they have. */
export const URL_FORM = "postgres://USER:PASSWORD@HOST:PORT/DB";

/**
 * What is wrong with a URL, in words that never contain the password (`problem`, e.g. "has no host"; a part after
 * the `@`, such as the port, may be quoted); `hint` is the edit that repairs it.
 */
export class DatabaseUrlError extends Error {
    constructor(
        readonly problem: string,
        readonly hint: string = `write it as ${URL_FORM}`,
    ) {
        super(`the database URL ${problem}`);
        this.name = "DatabaseUrlError";
    }
}

/**
 * Which part of a URL the parser refused ("Invalid URL" says nothing): an unencoded character in USER:PASSWORD,
 * or a port that is not a number. Only what follows the last `@` is quoted: the password comes before it.
 */
function unparsable(trimmed: string): DatabaseUrlError {
    const rest = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    const at = rest.lastIndexOf("@");
    if (at >= 0 && /[/?#]/.test(rest.slice(0, at))) {
        return new DatabaseUrlError(
            "cannot be parsed: its USER:PASSWORD part holds a / ? or # that is not percent-encoded",
            "write / as %2F, ? as %3F and # as %23 in the user and password (Heroku's URLs need no change: " +
                "take it as `heroku config:get DATABASE_URL -a APP` prints it)",
        );
    }
    const hostPort = rest.slice(at + 1).split(/[/?]/)[0];
    const port = /:([^:\]]*)$/.exec(hostPort)?.[1];
    if (at >= 0 && port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
        return new DatabaseUrlError(
            `has port ${JSON.stringify(port)} in HOST:PORT, not a number from 1 to 65535`,
            "write the port as a number after the host (Heroku's is 5432), e.g. @HOST:5432/DB",
        );
    }
    return new DatabaseUrlError(
        "cannot be parsed",
        `write it as ${URL_FORM}, percent-encoding @ : / ? # in the password`,
    );
}

const MISSING_HINT: Readonly<Record<string, string>> = {
    host: "put the server's name after the @: USER:PASSWORD@HOST:PORT",
    user: "put the user before the password: postgres://USER:PASSWORD@HOST...",
    password: "put the password after the user: postgres://USER:PASSWORD@HOST...",
    database: "put the database's name after the last /: ...@HOST:PORT/DB",
};

export function parseDatabaseUrl(url: string, opts: { requirePassword?: boolean } = {}): DatabaseUrl {
    const trimmed = url.trim();
    if (trimmed === "") {
        throw new DatabaseUrlError("is empty");
    }
    if (!/^postgres(ql)?:\/\//i.test(trimmed)) {
        const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1];
        throw new DatabaseUrlError(
            `${scheme === undefined ? "does not start with" : `starts with ${scheme}://, not`} postgres:// or postgresql://`,
            `write it as ${URL_FORM} (\`heroku config:get DATABASE_URL -a APP\` prints it so)`,
        );
    }
    let parsed: ReturnType<typeof parse>;
    try {
        parsed = parse(trimmed, { useLibpqCompat: true });
    } catch {
        // The library's message may quote the URL: say which part is wrong without it.
        throw unparsable(trimmed);
    }
    const required = ["host", "user", ...(opts.requirePassword ? ["password"] : []), "database"];
    const missing = required.filter((k) => !parsed[k]);
    if (missing.length > 0) {
        throw new DatabaseUrlError(`has no ${missing.join(", ")}`, missing.map((k) => MISSING_HINT[k]).join("; "));
    }
    const sslmode = parsed.sslmode === undefined || parsed.sslmode === null ? undefined : String(parsed.sslmode);
    if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) {
        throw new DatabaseUrlError(
            `has an unknown sslmode ${JSON.stringify(sslmode)} (expected ${SSL_MODES.join(", ")})`,
            "write ?sslmode=require (or leave it out: SSL is on by default, as Heroku needs)",
        );
    }
    const port = parsed.port ? Number(parsed.port) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new DatabaseUrlError(
            "has a port outside 1 to 65535",
            "write the port as a number after the host (Heroku's is 5432), e.g. @HOST:5432/DB",
        );
    }
    return {
        host: parsed.host as string,
        port,
        user: parsed.user as string,
        password: parsed.password || undefined,
        database: parsed.database as string,
        sslmode,
        ssl: parsed.ssl,
    };
}

export interface OwnerConnection {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
    readonly database: string;
    /**
     * The URL's own sslmode, or `require` when it names none: Heroku's URLs carry none and Heroku requires SSL
     * (verify reads URLs the same way). lib/pq, the provider's driver, knows every libpq mode.
     */
    readonly sslmode: string;
}

export class OwnerUrlError extends Error {
    constructor(source: string, problem: string) {
        super(
            `the owner database URL from ${source} ${problem}; ` +
                "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE as " +
                "`heroku config:get DATABASE_URL -a APP` prints it " +
                "(the URL itself is not shown because it carries the owner's password)",
        );
        this.name = "OwnerUrlError";
    }
}

/** The fields the postgresql provider takes, from the owner's URL (a password is required). */
export function parseOwnerUrl(url: string, source: string): OwnerConnection {
    let u: DatabaseUrl;
    try {
        u = parseDatabaseUrl(url, { requirePassword: true });
    } catch (e) {
        throw e instanceof DatabaseUrlError ? new OwnerUrlError(source, e.problem) : e;
    }
    return {
        host: u.host,
        port: u.port,
        username: u.user,
        password: u.password as string,
        database: u.database,
        sslmode: u.sslmode ?? "require",
    };
}

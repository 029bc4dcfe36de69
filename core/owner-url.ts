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

/** What is wrong with a URL, in words that never contain the URL (`problem`, e.g. "has no host"). */
export class DatabaseUrlError extends Error {
    constructor(readonly problem: string) {
        super(`the database URL ${problem}`);
        this.name = "DatabaseUrlError";
    }
}

export function parseDatabaseUrl(url: string, opts: { requirePassword?: boolean } = {}): DatabaseUrl {
    const trimmed = url.trim();
    if (trimmed === "") {
        throw new DatabaseUrlError("is empty");
    }
    if (!/^postgres(ql)?:\/\//i.test(trimmed)) {
        throw new DatabaseUrlError("does not start with postgres:// or postgresql://");
    }
    let parsed: ReturnType<typeof parse>;
    try {
        parsed = parse(trimmed, { useLibpqCompat: true });
    } catch {
        // The library's message may quote the URL; say only that it failed.
        throw new DatabaseUrlError("cannot be parsed");
    }
    const required = ["host", "user", ...(opts.requirePassword ? ["password"] : []), "database"];
    const missing = required.filter((k) => !parsed[k]);
    if (missing.length > 0) {
        throw new DatabaseUrlError(`has no ${missing.join(", ")}`);
    }
    const sslmode = parsed.sslmode === undefined || parsed.sslmode === null ? undefined : String(parsed.sslmode);
    if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) {
        throw new DatabaseUrlError(`has an unknown sslmode (expected ${SSL_MODES.join(", ")})`);
    }
    const port = parsed.port ? Number(parsed.port) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new DatabaseUrlError("has an invalid port");
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

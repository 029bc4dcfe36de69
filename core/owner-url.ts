/**
 * Parses the owner's connection URL (Heroku's DATABASE_URL) into the fields
 * the postgresql provider takes. Errors never quote the URL: it carries the
 * owner's password.
 */
import { parse } from "pg-connection-string";

export interface OwnerConnection {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
    readonly database: string;
}

export class OwnerUrlError extends Error {
    constructor(source: string, problem: string) {
        super(
            `the owner database URL from ${source} ${problem}; ` +
                "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE as `heroku config:get DATABASE_URL -a APP` prints it " +
                "(the URL itself is not shown because it carries the owner's password)",
        );
        this.name = "OwnerUrlError";
    }
}

export function parseOwnerUrl(url: string, source: string): OwnerConnection {
    const trimmed = url.trim();
    if (trimmed === "") {
        throw new OwnerUrlError(source, "is empty");
    }
    if (!/^postgres(ql)?:\/\//.test(trimmed)) {
        throw new OwnerUrlError(source, "does not start with postgres://");
    }
    let parsed: ReturnType<typeof parse>;
    try {
        parsed = parse(trimmed);
    } catch {
        throw new OwnerUrlError(source, "cannot be parsed");
    }
    const missing = (["host", "user", "password", "database"] as const).filter((k) => !parsed[k]);
    if (missing.length > 0) {
        throw new OwnerUrlError(source, `has no ${missing.join(", ")}`);
    }
    const port = parsed.port ? Number(parsed.port) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new OwnerUrlError(source, "has an invalid port");
    }
    return {
        host: parsed.host as string,
        port,
        username: parsed.user as string,
        password: parsed.password as string,
        database: parsed.database as string,
    };
}

/** verify's connection helpers: no URL or password in any message. */
import { describe, expect, it } from "vitest";
import { classifyConnectionError, connectionTarget, redact } from "../../db/connection";

describe("redact", () => {
    it("masks the password of any URL in a message, and given secrets", () => {
        expect(redact("Unexpected argument 'postgres://owner:hunter22@db:5432/raptor'")).toBe(
            "Unexpected argument 'postgres://owner:***@db:5432/raptor'",
        );
        expect(redact("token s3cr3t here", ["s3cr3t"])).toBe("token *** here");
    });
});

describe("classifyConnectionError: each kind of failure told apart, each with its own fix", () => {
    const t = connectionTarget("postgres://u1:hunter22@db.example:5433/raptor", "environment variable DB_URL", 1000);
    const fail = (props: Record<string, unknown>, message = "") =>
        classifyConnectionError(Object.assign(new Error(message), props), t);
    const fresh = 'export DB_URL="$(heroku config:get DATABASE_URL -a APP)"';

    it.each([
        [
            { code: "ENOTFOUND" },
            "getaddrinfo ENOTFOUND db.example",
            {
                code: "db-dns",
                message:
                    "cannot connect to u1@db.example:5433/raptor: the host name db.example " +
                    "does not resolve (ENOTFOUND)",
                fix:
                    `correct the host in the URL from environment variable DB_URL (Heroku ` +
                    `moves databases: ${fresh}); ` +
                    "`getent hosts db.example` checks the name",
            },
        ],
        [
            { code: "EAI_AGAIN" },
            "getaddrinfo EAI_AGAIN db.example",
            {
                code: "db-dns",
                message:
                    "cannot connect to u1@db.example:5433/raptor: the DNS lookup of " +
                    "db.example failed for now (EAI_AGAIN)",
                fix: "check this machine's network and DNS (`getent hosts db.example`), then run the command again",
            },
        ],
        [
            { code: "ECONNREFUSED" },
            "connect ECONNREFUSED 10.0.0.1:5433",
            {
                code: "db-refused",
                message:
                    "cannot connect to u1@db.example:5433/raptor: connection refused: " +
                    "nothing listens on db.example:5433",
                fix:
                    "correct the port in the URL from environment variable DB_URL (Heroku's is 5432), or start the " +
                    "server (`pg_isready -h db.example -p 5433` tells); on Heroku: `heroku pg:info -a APP`",
            },
        ],
        [
            { code: "28P01" },
            'password authentication failed for user "u1"',
            {
                code: "db-auth",
                message:
                    "authentication failed for u1@db.example:5433/raptor: the server refused the password of user u1",
                fix: `use the current URL (Heroku rotates credentials): ${fresh}`,
            },
        ],
        [
            { code: "3D000" },
            'database "raptor" does not exist',
            {
                code: "db-no-database",
                message:
                    'database "raptor" does not exist on db.example:5433 (the URL from environment variable DB_URL)',
                fix:
                    "list the databases (`psql -h db.example -p 5433 -U u1 -d postgres -Atc 'SELECT datname FROM " +
                    "pg_database WHERE NOT datistemplate'`) and put the right one after the last / of the URL; on " +
                    `Heroku take the whole URL: ${fresh}`,
            },
        ],
        [
            {},
            "The server does not support SSL connections",
            {
                code: "db-ssl",
                message:
                    "cannot connect to u1@db.example:5433/raptor: the server does not accept SSL, and SSL is on " +
                    "unless the URL says sslmode=disable",
                fix:
                    "for a local database without SSL, add ?sslmode=disable to the URL; " +
                    "never for Heroku, which requires SSL",
            },
        ],
        [
            {},
            "Connection terminated due to connection timeout",
            {
                code: "db-timeout",
                message: "cannot connect to u1@db.example:5433/raptor: db.example:5433 did not answer (timed out)",
                fix:
                    "check that this machine may reach db.example:5433 (a firewall, a VPN, " +
                    "an allow-list), then run again",
            },
        ],
    ])("%j %s", (props, message, expected) => {
        expect(fail(props, message)).toEqual(expected);
    });

    it("a certificate the URL's sslmode=verify-full cannot verify: the CA file, or no sslmode", () => {
        const v = connectionTarget(
            "postgres://u1:hunter22@db.example/raptor?sslmode=verify-full",
            "--database-url",
            1000,
        );
        expect(classifyConnectionError(new Error("self-signed certificate in certificate chain"), v)).toEqual({
            code: "db-ssl",
            message: "SSL to u1@db.example:5432/raptor failed: self-signed certificate in certificate chain",
            fix:
                "sslmode=verify-full verifies the certificate: add sslrootcert=FILE (the server's CA) to the URL, or " +
                "leave sslmode out (SSL without verifying the certificate, as Heroku needs)",
        });
    });

    it("28000 without SSL is the SSL failure Heroku gives (its pg_hba wants SSL), not a password one", () => {
        const off = connectionTarget(
            "postgres://u1:hunter22@db.example/raptor?sslmode=disable",
            "--database-url",
            1000,
        );
        const e = Object.assign(new Error('no pg_hba.conf entry for host "1.2.3.4", user "u1", no encryption'), {
            code: "28000",
        });
        expect(classifyConnectionError(e, off)).toMatchObject({
            code: "db-ssl",
            fix: "remove sslmode=disable from the URL (Heroku requires SSL)",
        });
    });

    it("no message or fix carries the password", () => {
        const e = Object.assign(new Error("password authentication failed: hunter22"), { code: "XX000" });
        const f = classifyConnectionError(e, t);
        expect(`${f.message} ${f.fix}`).not.toContain("hunter22");
        expect(f.code).toBe("db-connect");
    });
});

describe("connectionTarget: a bad URL names the wrong part and the expected form, never the password", () => {
    it("a port that is not a number", () => {
        expect(() =>
            connectionTarget("postgres://u:hunter22@db:54x2/raptor", "environment variable DB_URL", 1),
        ).toThrow(
            expect.objectContaining({
                code: "db-url",
                message:
                    'the database URL from environment variable DB_URL has port "54x2" in HOST:PORT, not a number ' +
                    "from 1 to 65535; expected postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=MODE]",
                fix:
                    "write the port as a number after the host (Heroku's is 5432), e.g. @HOST:5432/DB; or take the " +
                    'URL afresh: export DB_URL="$(heroku config:get DATABASE_URL -a APP)"',
            }),
        );
    });

    it("redact keeps the form's USER:PASSWORD placeholder, and masks a real one", () => {
        expect(redact("expected postgres://USER:PASSWORD@HOST:PORT/DB")).toBe(
            "expected postgres://USER:PASSWORD@HOST:PORT/DB",
        );
        expect(redact("postgres://USER:hunter22@h/d postgres://me:PASSWORD@h/d")).toBe(
            "postgres://USER:***@h/d postgres://me:***@h/d",
        );
    });
});

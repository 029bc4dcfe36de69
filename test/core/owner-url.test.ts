/** The one database-URL parser: what the provider's owner connection and verify both accept, and their errors. */
import { describe, expect, it } from "vitest";
import { DatabaseUrlError, OwnerUrlError, parseDatabaseUrl, parseOwnerUrl } from "../../core/owner-url";

describe("parseDatabaseUrl", () => {
    it("reads Heroku's URL: no sslmode, port 5432 by default", () => {
        expect(parseDatabaseUrl("postgres://u1:not%40secret@db.example.invalid/d9")).toMatchObject({
            host: "db.example.invalid",
            port: 5432,
            user: "u1",
            password: "not@secret",
            database: "d9",
            sslmode: undefined,
        });
    });

    it.each([
        ["", "is empty"],
        ["h:5432/d", "does not start with postgres:// or postgresql://"],
        ["mysql://u:p@h/d", "starts with mysql://, not postgres:// or postgresql://"],
        ["postgres://u:p@h:99999/d", 'has port "99999" in HOST:PORT, not a number from 1 to 65535'],
        ["postgres://u:p@h:5o32/d", 'has port "5o32" in HOST:PORT, not a number from 1 to 65535'],
        [
            "postgres://u:p/q@h/d",
            "cannot be parsed: its USER:PASSWORD part holds a / ? or # that is not percent-encoded",
        ],
        // No @: the part after the scheme may be a password, so no part of it is quoted.
        ["postgres://u:pw/d", "cannot be parsed"],
        [
            "postgres://u:p@h/d?sslmode=sometimes",
            'has an unknown sslmode "sometimes" (expected disable, allow, prefer, require, verify-ca, verify-full)',
        ],
        ["postgres://h/d", "has no user"],
        ["postgres://u:p@h/", "has no database"],
    ])("refuses %j: %s, without quoting its password", (url, problem) => {
        expect(() => parseDatabaseUrl(url)).toThrow(DatabaseUrlError);
        expect(() => parseDatabaseUrl(url)).toThrow(expect.objectContaining({ problem }));
    });

    it.each([
        ["postgres://u:p@h/", "put the database's name after the last /: ...@HOST:PORT/DB"],
        ["postgres://u:p@h:x/d", "write the port as a number after the host (Heroku's is 5432), e.g. @HOST:5432/DB"],
        [
            "mysql://u:p@h/d",
            "write it as postgres://USER:PASSWORD@HOST:PORT/DB (`heroku config:get DATABASE_URL -a APP` prints it so)",
        ],
    ])("%j: the hint is the edit that repairs it", (url, hint) => {
        expect(() => parseDatabaseUrl(url)).toThrow(expect.objectContaining({ hint }));
    });
});

describe("parseOwnerUrl", () => {
    it("requires the owner's password, and never quotes the URL", () => {
        const url = "postgres://owner@db.example:5433/raptor";
        expect(() => parseOwnerUrl(url, "raptor:ownerDatabaseUrl")).toThrow(OwnerUrlError);
        expect(() => parseOwnerUrl(url, "raptor:ownerDatabaseUrl")).toThrow(
            /^the owner database URL from raptor:ownerDatabaseUrl has no password; /,
        );
    });

    it("gives the provider's fields", () => {
        expect(parseOwnerUrl("postgresql://o:s3cret@db.example:5433/raptor", "x")).toEqual({
            host: "db.example",
            port: 5433,
            username: "o",
            password: "s3cret",
            database: "raptor",
            sslmode: "require",
        });
    });

    it.each([
        ["", "require"],
        ["?sslmode=disable", "disable"],
        ["?sslmode=prefer", "prefer"],
        ["?sslmode=verify-full", "verify-full"],
    ])("gives the provider the URL's sslmode (%j -> %s), require when it names none, as verify does", (q, mode) => {
        expect(parseOwnerUrl(`postgres://o:s3cret@localhost:5432/raptor${q}`, "x").sslmode).toBe(mode);
    });
});

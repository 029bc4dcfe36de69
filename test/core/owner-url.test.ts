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
        ["mysql://u:p@h/d", "does not start with postgres:// or postgresql://"],
        ["postgres://u:p@h:99999/d", "cannot be parsed"],
        [
            "postgres://u:p@h/d?sslmode=sometimes",
            "has an unknown sslmode (expected disable, allow, prefer, require, verify-ca, verify-full)",
        ],
        ["postgres://h/d", "has no user"],
    ])("refuses %j: %s, without quoting it", (url, problem) => {
        expect(() => parseDatabaseUrl(url)).toThrow(new DatabaseUrlError(problem));
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

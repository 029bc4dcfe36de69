/** verify's connection helpers: no URL or password in any message. */
import { describe, expect, it } from "vitest";
import { redact } from "../../db/connection";

describe("redact", () => {
    it("masks the password of any URL in a message, and given secrets", () => {
        expect(redact("Unexpected argument 'postgres://owner:hunter22@db:5432/raptor'")).toBe(
            "Unexpected argument 'postgres://owner:***@db:5432/raptor'",
        );
        expect(redact("token s3cr3t here", ["s3cr3t"])).toBe("token *** here");
    });
});

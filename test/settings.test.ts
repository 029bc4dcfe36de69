import { describe, expect, it } from "vitest";
import { parseSettings } from "../core/settings";

describe("settings", () => {
    it("defaults everything but the app", () => {
        expect(parseSettings("staging", { app: "raxx-api-staging" })).toEqual({
            app: "raxx-api-staging", database: "DATABASE", role: "raptor_app", schema: "public",
            urlDelivery: "attachment", roleSeparation: false,
        });
    });

    it("accepts DATABASE_URL as the attachment DATABASE", () => {
        expect(parseSettings("staging", { app: "raxx-api-staging", database: "DATABASE_URL" }).database).toBe("DATABASE");
    });

    it("requires prod's soak evidence to come from this project's staging stack", () => {
        expect(() => parseSettings("prod", { app: "raxx-api-prod", soakStack: "acme/other-project/staging" }))
            .toThrow(`raptor:soakStack = "acme/other-project/staging": prod's soak evidence must come from this project's staging stack`);
        expect(parseSettings("prod", { app: "raxx-api-prod", soakStack: "acme/raptor/staging" }).soakStack).toBe("acme/raptor/staging");
    });

    it("reports every bad value at once", () => {
        expect(() => parseSettings("staging", { app: "Raxx", urlDelivery: "x", roleSeparation: "1" })).toThrow(
            /raptor:app = "Raxx"[\s\S]*raptor:urlDelivery = "x"[\s\S]*raptor:roleSeparation = "1"/,
        );
    });

    it.each(["default", "postgres", "pg_monitor"])("refuses the reserved role name %s", (role) => {
        expect(() => parseSettings("staging", { app: "raxx-api-staging", role })).toThrow(`raptor:role = "${role}": that name is reserved`);
    });
});

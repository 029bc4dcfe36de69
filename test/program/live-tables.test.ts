/**
 * The program's deploy-time gate under mocks: a live schema that no longer matches the matrix stops the program
 * before it declares any resource while the flag is on, and lets the emergency stop (flag off) through.
 */
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../../core/resources";
import { VerifyError } from "../../core/verify/report";
import { catalog, rel } from "../support/catalog-fixtures";
import { STAGING, runProgram } from "../support/mocks";

const drifted = catalog({
    missingTables: ["symbols"],
    relations: [rel("waitlist_quebec", { privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] })],
});

describe("the live-matrix gate in the program", () => {
    it("stops with the flag on before any custom resource is declared, naming both tables", async () => {
        const config = { ...STAGING, roleSeparation: "true" };
        const { resources, error } = await runProgram({ stack: "staging", config, liveCatalog: drifted });
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error?.message).toMatch(/no longer matches the matrix in core\/classification\.ts \(2 tables\)/);
        expect(error?.message).toContain("- symbols: classified, but not in the database");
        expect(error?.message).toContain("- waitlist_quebec: in no set, yet raptor_app holds SELECT, INSERT");
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });

    it("lets the emergency stop (flag off) deploy over the same drift", async () => {
        const config = { ...STAGING, roleSeparation: "false" };
        const { resources, error } = await runProgram({ stack: "staging", config, liveCatalog: drifted });
        expect(error).toBeUndefined();
        expect(resources.filter((r) => r.type === TYPES.grant)).toHaveLength(42);
    });

    it("does not stop on a new table the role holds nothing on", async () => {
        const config = { ...STAGING, roleSeparation: "true" };
        const live = catalog({ relations: [rel("feature_flags")] });
        const { resources, error } = await runProgram({ stack: "staging", config, liveCatalog: live });
        expect(error).toBeUndefined();
        expect(resources.filter((r) => r.type === TYPES.grant)).toHaveLength(42);
    });

    it("says a failed read of the live tables in one line, before any resource", async () => {
        const message = "reading the live tables (owner URL from x): cannot connect to u@h:5432/d: connection refused";
        const config = { ...STAGING, roleSeparation: "true" };
        const { resources, error } = await runProgram({
            stack: "staging",
            config,
            liveCatalogError: new VerifyError(message),
        });
        expect(error).toBeInstanceOf(pulumi.RunError);
        expect(error?.message).toBe(message);
        expect(resources.filter((r) => r.custom)).toEqual([]);
    });
});

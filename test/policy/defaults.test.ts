/**
 * The reviewer's edit: core/classification.ts moves customer_audit_events out
 * of append-only (program and pack both import the edited module), and the
 * pack runs without `--policy-pack-config`. The pack's defaults come from its
 * own policy/config.json, so the invariant still holds.
 */
import { describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { evaluatePolicies } from "../../offline/evaluate";
import { createPolicies } from "../../policy/policies";
import { NOW, STAGING_CONFIG, declared, mandatory, tableGrant } from "../support/policy-harness";

vi.mock("../../core/classification", async (importOriginal) => {
    const real = await importOriginal<typeof import("../../core/classification")>();
    const c = real.RAPTOR_CLASSIFICATION;
    return {
        ...real,
        RAPTOR_CLASSIFICATION: {
            ...c,
            application: [...c.application, "customer_audit_events"],
            appendOnly: c.appendOnly.filter((t) => t !== "customer_audit_events"),
        },
    };
});

const TABLE = "customer_audit_events";

describe("customer_audit_events moved to application in core/classification.ts alone", () => {
    it("took effect in the program: it now grants UPDATE and DELETE on the table", async () => {
        expect(RAPTOR_CLASSIFICATION.appendOnly).not.toContain(TABLE);
        const { resources } = await declared({ stack: "staging", config: STAGING_CONFIG });
        expect(tableGrant(resources, TABLE).props.privileges).toEqual(["SELECT", "INSERT", "UPDATE", "DELETE"]);
    });

    it("is blocked by append-only-invariant when no pack config is passed", async () => {
        const { resources } = await declared({ stack: "staging", config: STAGING_CONFIG });
        const vs = mandatory(
            await evaluatePolicies(resources, { stack: "staging", stackConfig: STAGING_CONFIG, now: NOW }),
        );
        expect(vs.map((v) => v.policy)).toEqual(["append-only-invariant"]);
        expect(vs[0].message).toContain(`gives UPDATE, DELETE on append-only table public.${TABLE}`);
    });

    it("leaves the engine's defaults (the configSchema) at the pack's own policy/config.json", () => {
        const file = JSON.parse(readFileSync(join(__dirname, "..", "..", "policy", "config.json"), "utf8"));
        const props = createPolicies().find((p) => p.name === "append-only-invariant")!.configSchema!.properties;
        expect(props.appendOnly.default).toEqual(file["append-only-invariant"].appendOnly);
        expect(props.locked.default).toEqual(file["append-only-invariant"].locked);
        expect(props.appendOnly.default).toContain(TABLE);
    });
});

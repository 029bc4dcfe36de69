/**
 * A mandatory check that cannot decide blocks: each policy, given a value it
 * needs that is unknown at preview (the engine's sentinel, behind
 * @pulumi/policy's proxy) or of the wrong type, reports a MANDATORY violation
 * naming the resource and the property, never the server's advisory
 * "can't run policy". One behaviour per test.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Policies } from "@pulumi/policy";
import { Violation, runPolicies } from "../../offline/evaluate";
import { StackContextProvider } from "../../policy/context";
import {
    appendOnlyInvariant,
    credentialRetained,
    noAllTablesGrant,
    noCredentialOnEssential,
    secretsStaySecret,
    soakBeforeProd,
} from "../../policy/policies";
import { Recorded, UNKNOWN } from "../support/mocks";
import {
    GRANT_ROLE,
    NOW,
    PROD_CONFIG,
    STAGING_CONFIG,
    added,
    declared,
    edit,
    hoursBefore,
    step,
    tableGrant,
    variant,
} from "../support/policy-harness";

let staging: Recorded[];
let configVar: Recorded[];
let prodOn: Recorded[];
beforeAll(async () => {
    staging = (await declared({ stack: "staging", config: STAGING_CONFIG })).resources;
    configVar = (
        await declared({ stack: "staging", config: { ...STAGING_CONFIG, urlDelivery: "config-var" }, preview: true })
    ).resources;
    prodOn = (
        await declared({
            stack: "prod",
            config: { ...PROD_CONFIG, roleSeparation: "true" },
            soakOutputs: { roleSeparationEnabledAt: hoursBefore(73) },
        })
    ).resources;
});

const run = (
    make: (c: StackContextProvider) => Policies,
    rs: readonly Recorded[],
    stack = "staging",
    stackConfig = {},
) => runPolicies(make, rs, { stack, stackConfig, now: NOW });
const verdicts = (vs: Violation[]) => vs.map((v) => [v.level, v.message]);
const withStep = (rs: Recorded[], s: string, env: Record<string, unknown>, props: Record<string, unknown> = {}) =>
    edit(
        rs,
        (r) => r === step(rs, s),
        (r) => variant(r, r.name, { environment: { ...(r.props.environment as object), ...env }, ...props }),
    );

describe("a value a mandatory check needs, unknown at preview or of the wrong type", () => {
    it("append-only-invariant: a GrantRole whose member role is unknown", async () => {
        const vs = await run(
            (c) => [appendOnlyInvariant(c)],
            [...staging, added("staging", GRANT_ROLE, "m", { role: UNKNOWN, grantRole: "owner_u1" })],
        );
        expect(verdicts(vs)).toEqual([
            [
                "mandatory",
                expect.stringMatching(
                    new RegExp(
                        "^Cannot check the append-only invariant for postgresql:index/grantRole:GrantRole m: role is " +
                            "unknown \\(at preview",
                    ),
                ),
            ],
        ]);
    });

    it("append-only-invariant: a Grant whose privileges are a string, not a list", async () => {
        const vs = await run(
            (c) => [appendOnlyInvariant(c)],
            [...staging, variant(tableGrant(staging, "dsr_log"), "g", { privileges: "ALL" })],
        );
        expect(verdicts(vs)).toEqual([
            ["mandatory", expect.stringContaining("Grant g: privileges (string, not string[])")],
        ]);
    });

    it("no-all-tables-grant: a table Grant whose objects are unknown", async () => {
        const vs = await run(
            () => [noAllTablesGrant],
            [...staging, variant(tableGrant(staging, "users"), "g", { objects: UNKNOWN })],
        );
        expect(verdicts(vs)).toEqual([
            [
                "mandatory",
                expect.stringContaining(
                    "Cannot check for ON ALL TABLES for postgresql:index/grant:Grant g: objects is unknown",
                ),
            ],
        ]);
    });

    it("no-credential-on-essential: a credential whose ADDON_PLAN is unknown", async () => {
        const vs = await run(() => [noCredentialOnEssential], withStep(staging, "credential", { ADDON_PLAN: UNKNOWN }));
        expect(verdicts(vs)).toEqual([
            ["mandatory", expect.stringContaining("raptor-credential-raptor_app: environment.ADDON_PLAN is unknown")],
        ]);
    });

    it("credential-retained: a credential whose delete script is unknown", async () => {
        const vs = await run(() => [credentialRetained], withStep(staging, "credential", {}, { delete: UNKNOWN }));
        expect(verdicts(vs)).toEqual([
            [
                "mandatory",
                expect.stringContaining(
                    "credential is retained for command:local:Command raptor-credential-raptor_app: delete is unknown",
                ),
            ],
        ]);
    });

    it("credential-retained: a credential whose delete script is a number", async () => {
        const vs = await run(() => [credentialRetained], withStep(staging, "credential", {}, { delete: 7 }));
        expect(verdicts(vs)).toEqual([["mandatory", expect.stringContaining("delete (number, not string)")]]);
    });

    it("secrets-stay-secret: a URL step whose logging is unknown", async () => {
        const vs = await run(() => [secretsStaySecret], withStep(configVar, "config-var", {}, { logging: UNKNOWN }));
        expect(verdicts(vs)).toEqual([
            ["mandatory", expect.stringContaining("raptor-url-config-var: logging is unknown")],
        ]);
    });

    it(
        "secrets-stay-secret: passes the program's own config-var step, whose VAR_VALUE is unknown at " + "preview",
        async () => {
            expect((step(configVar, "config-var").props.environment as Record<string, unknown>).VAR_VALUE).toBe(
                UNKNOWN,
            );
            expect(await run(() => [secretsStaySecret], configVar)).toEqual([]);
        },
    );

    it("soak-before-prod: prod whose flag value is unknown", async () => {
        const rs = edit(
            prodOn,
            (r) => r === step(prodOn, "flag"),
            (r) => ({
                ...r,
                state: { ...r.state, environment: { ...(r.state.environment as object), FLAG_VALUE: UNKNOWN } },
            }),
        );
        const vs = await run((c) => [soakBeforeProd(c)], rs, "prod", { ...PROD_CONFIG, roleSeparation: "true" });
        expect(verdicts(vs)).toEqual([
            [
                "mandatory",
                expect.stringContaining(
                    "Cannot check the staging soak for command:local:Command raptor-flag-flag: " +
                        "environment.FLAG_VALUE is unknown",
                ),
            ],
        ]);
    });
});

/**
 * Components refuse bad input with a pulumi.ResourceError tied to the
 * component itself, so the CLI names the resource, before any child exists.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { RaptorCredential } from "../../components/credential";
import { RaptorGrants } from "../../components/grants";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { buildPlan } from "../../core/plan";

const created: string[] = [];
beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                created.push(args.name);
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => {
                throw new Error(`unmocked invoke ${args.token}`);
            },
        },
        "raptor",
        "staging",
        false,
    );
});

/** The error `make` throws, with the resource it names. */
function refusal(make: () => unknown): { error: pulumi.ResourceError; resource: unknown } {
    try {
        make();
    } catch (e) {
        if (pulumi.ResourceError.isInstance(e)) {
            return { error: e, resource: (e as unknown as { resource: unknown }).resource };
        }
        throw e;
    }
    throw new Error("no error thrown");
}

describe("component input errors", () => {
    it("RaptorCredential refuses maxPolls 0 as a ResourceError on itself, creating no command", () => {
        const { error, resource } = refusal(
            () =>
                new RaptorCredential("cred", {
                    app: "raxx-api-staging",
                    database: "DATABASE",
                    role: "raptor_app",
                    addonPlan: "heroku-postgresql:standard-0",
                    maxPolls: 0,
                } as ConstructorParameters<typeof RaptorCredential>[1]),
        );
        expect(error.message).toBe(
            "RaptorCredential cred: maxPolls (0) must be an integer >= 1 and pollSeconds (5) >= 0",
        );
        expect(resource).toBeInstanceOf(RaptorCredential);
        expect(created.filter((n) => n.startsWith("cred-"))).toEqual([]);
    });

    it("RaptorGrants refuses maxConnections 9 as a ResourceError on itself, creating no provider", () => {
        const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
        const { error, resource } = refusal(
            () =>
                new RaptorGrants("grants", {
                    plan,
                    ownerDatabaseUrl: "postgres://o:p@h:5432/d",
                    ownerUrlSource: "test",
                    maxConnections: 9,
                }),
        );
        expect(error.message).toBe(
            "RaptorGrants grants: maxConnections 9 is outside 1-4; Standard-0's 120 connections are shared with the " +
                "application",
        );
        expect(resource).toBeInstanceOf(RaptorGrants);
        expect(created.filter((n) => n.startsWith("grants-"))).toEqual([]);
    });
});

/**
 * index.ts, the entry point the Pulumi CLI runs, evaluated under mocks with
 * the staging stack's own Pulumi.staging.yaml, as `pulumi preview -s staging` would.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { READ_ADDONS, READ_OWNER_URL } from "../core/heroku-scripts";
import { readStackFile } from "../offline/stack-file";
import { OWNER_URL, addonsJson, promiseOf } from "./support/mocks";
import { catalog } from "./support/catalog-fixtures";

// index.ts reads the live tables with the owner URL before declaring anything; there is no database here.
const liveReads: { url: string; tables: number; source: string }[] = [];
vi.mock("../db/live-tables", () => ({
    readLiveCatalog: async (url: string, plan: { tables: unknown[] }, source: string) => {
        liveReads.push({ url, tables: plan.tables.length, source });
        return catalog();
    },
}));

const registered: string[] = [];
let outputs: Record<string, unknown>;

beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push(`${args.type}::${args.name}`);
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => {
                const cmd = args.inputs.command;
                if (cmd === READ_ADDONS) {
                    return { stdout: addonsJson("heroku-postgresql:standard-0"), stderr: "" };
                }
                if (cmd === READ_OWNER_URL) {
                    return { stdout: OWNER_URL, stderr: "" };
                }
                throw new Error(`unmocked invoke ${args.token} ${cmd}`);
            },
        },
        "raptor",
        "staging",
        false,
    );
    const file = readStackFile("staging");
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(file.raw).map(([k, v]) => [`raptor:${k}`, v])));
    // Imported after the mocks: the module runs the program as it loads.
    const index = (await import("../index")) as unknown as
        Promise<Record<string, unknown>> | { default: Promise<Record<string, unknown>> };
    const exported = "default" in index ? index.default : index;
    outputs = (await promiseOf(pulumi.output(await exported))) as Record<string, unknown>;
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
});

describe("index.ts with Pulumi.staging.yaml", () => {
    it("exports the stack's outputs", () => {
        expect(outputs).toMatchObject({
            app: "raxx-api-staging",
            role: "raptor_app",
            urlDelivery: "attachment",
            urlVar: "RAPTOR_APP_DATABASE_URL",
            roleSeparation: false,
            tables: 40,
            addonPlan: "heroku-postgresql:standard-0",
        });
        expect(outputs.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it("reads the live tables once, with the owner URL Heroku returned, before the grants", () => {
        expect(liveReads).toEqual([
            { url: OWNER_URL, tables: 40, source: "`heroku config:get DATABASE_URL -a raxx-api-staging`" },
        ]);
    });

    it("registers the stack's resources", () => {
        expect(registered.filter((r) => r.startsWith("postgresql:index/grant:Grant::"))).toHaveLength(42);
        expect(registered).toContain("command:local:Command::raptor-credential-raptor_app");
        expect(registered).toContain("command:local:Command::raptor-flag-flag");
    });
});

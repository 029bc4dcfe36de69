/**
 * Every URN the program declares, pinned. A renamed resource is a new
 * resource to the engine: it creates the new one and deletes the old last,
 * and the old one's delete revokes its grant, resets the flag or detaches the
 * URL. So a URN may only change deliberately, with `aliases` on the resource.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROD, STAGING, runProgram } from "../support/mocks";

const FIXTURE = path.join(__dirname, "..", "fixtures", "urns.json");
const SCENARIOS = {
    staging: { stack: "staging", config: STAGING },
    "staging config-var": { stack: "staging", config: { ...STAGING, urlDelivery: "config-var" } },
    "prod flag on": { stack: "prod", config: { ...PROD, roleSeparation: "true" } },
} as const;

async function urns(name: keyof typeof SCENARIOS): Promise<string[]> {
    const { resources, error } = await runProgram(SCENARIOS[name]);
    expect(error).toBeUndefined();
    return resources.map((r) => r.urn).sort();
}

describe("resource URNs", () => {
    const pinned = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Record<string, string[]>;
    it.each(Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[])(
        "%s: unchanged (a rename needs aliases, then update test/fixtures/urns.json)",
        async (name) => {
            expect(await urns(name)).toEqual(pinned[name]);
        },
    );
});

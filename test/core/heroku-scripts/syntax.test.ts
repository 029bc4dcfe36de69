import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as scripts from "../../../core/heroku-scripts";

const entries = Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string");

describe("the command scripts", () => {
    it.each(entries)("%s parses as bash", (_name, script) => {
        const r = spawnSync("bash", ["-n", "-c", script], { encoding: "utf8" });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it.each(entries)("%s has no escaped \\$ left over from a raw template", (_name, script) => {
        expect(script).not.toContain("\\$");
    });

    it.each(entries)("%s takes values only from the environment (no value spliced in)", (_name, script) => {
        expect(script).not.toMatch(/raxx-api|raptor_app|postgres:\/\//);
    });
});

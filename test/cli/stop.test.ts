/**
 * `raptor-roles stop`, the emergency stop by hand, with the real heroku CLI against the rig; the backend's record
 * (the raptor:stopped tag) through an injected driver (test/engine reads and writes the real tag).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PulumiDriver } from "../../cli/pulumi-driver";
import { stopIn } from "../../cli/stop";
import { StopRecord } from "../../core/deploy/stop";
import { FLAG_VAR } from "../../core/settings";
import { APP, expectNoSecretIn, rig, scenario, usePostgres } from "../support/heroku-scenario";
import { recorder } from "../support/io";
import { runBash } from "../support/run-commands";

usePostgres();

function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-stop-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        `config:\n  raptor:app: ${APP}\n  raptor:roleSeparation: true\n`,
    );
    return dir;
}

/** Only the stop's record: anything else the stop touched would be a call it must not make. */
function recordOnly(fail?: string) {
    const records: StopRecord[] = [];
    const refuse = () => Promise.reject(new Error("stop must not call this"));
    const driver: PulumiDriver = {
        getStop: refuse,
        clearStop: refuse,
        setRoleSeparation: refuse,
        preview: refuse,
        up: refuse,
        async setStop(_stack, s) {
            if (fail !== undefined) {
                throw new Error(fail);
            }
            records.push(s);
        },
    };
    return { driver, records };
}

async function stopOnce(fail?: string, env: Record<string, string> = {}) {
    const { api } = await rig();
    const on = await runBash(api, `heroku config:set ${FLAG_VAR}=1 -a ${APP} >/dev/null`);
    expect(on.code, on.stderr).toBe(0);
    const { driver, records } = recordOnly(fail);
    const io = recorder();
    const code = await stopIn(project(), ["--stack", "staging", "--reason", "p95 doubled", "--json"], io, {
        env: { ...api.env, GITHUB_ACTOR: "", USER: "oncall", ...env },
        now: () => new Date("2026-12-07T22:00:00Z"),
        pulumi: driver,
    });
    expectNoSecretIn(api, io.stdout, io.stderr);
    const flags = api.configHistory(APP).map((r) => r.config[FLAG_VAR]);
    return { code, io, doc: JSON.parse(io.stdout) as Record<string, unknown>, records, flags };
}

const stopped = scenario(() => stopOnce());
const unrecorded = scenario(() => stopOnce("backend unreachable"));
const unreachable = scenario(() => stopOnce(undefined, { HEROKU_HOST: "http://127.0.0.1:9" }));

describe("raptor-roles stop", () => {
    it("sets the flag to 0 on the stack's app, then records who stopped it, when and why", async () => {
        const r = await stopped();
        expect(r.code, r.io.stderr).toBe(0);
        expect(r.flags.at(-1)).toBe("0");
        expect(r.records).toEqual([
            { at: "2026-12-07T22:00:00.000Z", why: "p95 doubled", by: "oncall via raptor-roles stop" },
        ]);
        expect(r.doc).toEqual({ result: "stopped", stack: "staging", app: APP, stop: r.records[0] });
    });

    it("a record that fails is exit 1 saying the flag IS 0 and how to record it", async () => {
        const r = await unrecorded();
        expect(r.code).toBe(1);
        expect(r.flags.at(-1)).toBe("0");
        expect(r.doc).toEqual({
            error: {
                code: "stop-record",
                message:
                    `the flag IS 0 on ${APP}, but the stop was not recorded: backend unreachable; the next deploy ` +
                    "could turn the flag on again",
                fix: "log in to the stack's backend (pulumi whoami) and run raptor-roles stop --stack staging again",
            },
        });
    });

    it("Heroku unreachable is exit 1: the flag unchanged, nothing recorded, the command to run by hand", async () => {
        const r = await unreachable();
        expect(r.code).toBe(1);
        expect(r.flags.at(-1)).toBe("1");
        expect(r.records).toEqual([]);
        const error = (r.doc as { error: { code: string; message: string; fix: string } }).error;
        expect(error.code).toBe("heroku");
        expect(error.message).toMatch(new RegExp(`^heroku config:set ${FLAG_VAR}=0 -a ${APP} failed 3 times: `));
        expect(error.fix).toBe(
            `run it by hand: heroku config:set ${FLAG_VAR}=0 -a ${APP}, then raptor-roles stop --stack staging`,
        );
    });

    it("no heroku CLI on PATH is tool-missing with the pinned install, before anything is recorded", async () => {
        const { driver, records } = recordOnly();
        const io = recorder();
        const env = { PATH: fs.mkdtempSync(path.join(os.tmpdir(), "no-heroku-")) };
        const code = await stopIn(project(), ["--stack", "staging", "--json"], io, {
            env,
            now: () => new Date(),
            pulumi: driver,
        });
        const { error } = JSON.parse(io.stdout) as { error: { code: string; fix: string } };
        expect([code, error.code, records]).toEqual([1, "tool-missing", []]);
        expect(error.fix).toContain("npm install -g heroku@11.10.0");
    });
});

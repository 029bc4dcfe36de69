/**
 * `raptor-roles cutover` with the real heroku CLI (config:set, logs --tail), the rig, a real PostgreSQL and the
 * stand-in app. The Pulumi step is injected: `setRoleSeparation` edits the stack file as `pulumi config set`
 * does, and `up` runs the program's flag step (`heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=<0|1>`) with
 * the real CLI. The real-engine run is test/engine's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cutoverIn } from "../../cli/cutover";
import { PulumiDriver } from "../../cli/pulumi-driver";
import { StopRecord } from "../../core/deploy/stop";
import { CheckReport } from "../../core/check/report";
import { FLAG_VAR } from "../../core/settings";
import { APP, expectNoSecretIn, rig, usePostgres } from "../support/heroku-scenario";
import { HerokuApi } from "../support/heroku-api";
import { asOwner, deployRaptor } from "../support/raptor-app/deployed";
import { runBash } from "../support/run-commands";
import { recorder } from "../support/io";

usePostgres();

function project(healthUrl: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-cutover-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        `config:\n  raptor:app: ${APP}\n  raptor:roleSeparation: false\n  raptor:healthUrl: ${healthUrl}\n`,
    );
    return dir;
}

const stackFlag = (dir: string) =>
    parse(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8")).config["raptor:roleSeparation"];

/**
 * The injected Pulumi step; `afterUp` runs after each up (e.g. a grant revoked by hand right after the flip);
 * `blockPreview` makes the preview fail as a mandatory policy violation does.
 */
function fakePulumi(
    api: HerokuApi,
    dir: string,
    afterUp: (on: boolean) => Promise<void> = async () => undefined,
    blockPreview?: string,
) {
    const calls: string[] = [];
    let stop: StopRecord | undefined;
    const driver: PulumiDriver = {
        async getStop() {
            return stop;
        },
        async setStop(_stack, s) {
            calls.push("stop recorded");
            stop = s;
        },
        async clearStop() {
            calls.push("stop cleared");
            stop = undefined;
        },

        async setRoleSeparation(stack, on) {
            calls.push(`config set ${on}`);
            const file = path.join(dir, `Pulumi.${stack}.yaml`);
            fs.writeFileSync(
                file,
                fs.readFileSync(file, "utf8").replace(/raptor:roleSeparation: \w+/, `raptor:roleSeparation: ${on}`),
            );
        },
        async preview() {
            calls.push(`preview ${stackFlag(dir)}`);
            if (blockPreview !== undefined) {
                throw new Error(blockPreview);
            }
        },
        async up(stack) {
            const on = stackFlag(dir) === true;
            calls.push(`up ${on}`);
            const r = await runBash(api, `heroku config:set ${FLAG_VAR}=${on ? 1 : 0} -a ${APP} >/dev/null`);
            if (r.code !== 0) {
                throw new Error(`flag step failed: ${r.stderr}`);
            }
            await afterUp(on);
            void stack;
        },
    };
    return { driver, calls };
}

async function deployedWithApp() {
    const { api, addon } = await rig();
    await deployRaptor(api, APP, addon);
    const base = await api.runApp(APP);
    return { api, addon, dir: project(`${base}/healthz`) };
}

const flagHistory = (api: HerokuApi) =>
    api
        .configHistory(APP)
        .map((r) => r.config[FLAG_VAR])
        .filter((v, i, a) => v !== undefined && v !== a[i - 1]);

const appLines = (api: HerokuApi) =>
    api.logs
        .lines(api.model.app(APP)!)
        .filter((l) => l.source === "app")
        .map((l) => l.text);

async function cutover(api: HerokuApi, dir: string, driver: PulumiDriver, watch: string, interrupt?: AbortSignal) {
    const io = recorder();
    const code = await cutoverIn(dir, ["--stack", "staging", "--watch", watch, "--json"], io, {
        env: { ...api.env, PGSSLMODE: "disable" },
        now: () => new Date(),
        pulumi: driver,
        interrupt,
        pollMs: 1_000,
        verifyMs: 600_000,
    });
    expectNoSecretIn(api, io.stdout, io.stderr);
    return { code, io, doc: JSON.parse(io.stdout) as Record<string, unknown> };
}

describe.concurrent("raptor-roles cutover", { timeout: 600_000 }, () => {
    it("a clean cutover stays on", async () => {
        const { api, dir } = await deployedWithApp();
        const { driver, calls } = fakePulumi(api, dir);
        const { code, doc } = await cutover(api, dir, driver, "45s");
        expect(code).toBe(0);
        expect(doc.result).toBe("on");
        expect(calls).toEqual(["config set true", "preview true", "up true"]);
        expect(flagHistory(api)).toEqual(["0", "1"]);
        expect(stackFlag(dir)).toBe(true);
        expect(appLines(api).at(-1)).not.toMatch(/ERROR|Error/);
        expect(appLines(api)).toContain(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
    });

    it("a grant revoked by hand trips the watch: flag back at 0, app on DATABASE_URL, stack false", async () => {
        const { api, addon, dir } = await deployedWithApp();
        const revoke = async (on: boolean) => {
            if (on) await asOwner(addon, "REVOKE UPDATE ON users FROM raptor_app");
        };
        const { driver, calls } = fakePulumi(api, dir, revoke);
        const { code, doc } = await cutover(api, dir, driver, "120s");
        expect(code).toBe(2);
        expect(doc.result).toBe("rolled-back");
        const trip = doc.trip as { kind: string; lines: string[]; at: string };
        expect(trip.kind).toBe("log");
        expect(trip.lines[0]).toMatch(/app\[web\.1\]: .*permission denied for table users$/);
        expect(calls).toEqual([
            "config set true",
            "preview true",
            "up true",
            "stop recorded",
            "config set false",
            "up false",
        ]);
        expect(flagHistory(api)).toEqual(["0", "1", "0"]);
        expect(stackFlag(dir)).toBe(false);
        await api.dynos.settled(api.model.app(APP)!);
        expect(
            appLines(api)
                .filter((l) => l.startsWith("INFO:raptor.db:using"))
                .at(-1),
        ).toBe("INFO:raptor.db:using DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=0)");
        const seconds = (Date.parse(doc.stoppedAt as string) - Date.parse(trip.at)) / 1000;
        console.info(`cutover: first permission denied line -> flag 0 in ${seconds.toFixed(1)} s`);
        expect(seconds).toBeGreaterThan(0);
    });

    it("a preview a policy blocks stops before the flip: no Heroku write, config false again, exit 2", async () => {
        const { api, dir } = await deployedWithApp();
        const why =
            "pulumi preview -s staging failed: mandatory policy soak-before-prod: Prod turns the flag on but ...";
        const { driver, calls } = fakePulumi(api, dir, undefined, why);
        const writes = api.requests.length;
        const { code, doc } = await cutover(api, dir, driver, "45s");
        expect(code).toBe(2);
        expect(doc).toEqual({ result: "not-flipped", stack: "staging", app: APP, reason: why });
        expect(calls).toEqual(["config set true", "preview true", "config set false"]);
        expect(flagHistory(api)).toEqual(["0"]);
        const configWrites = api.requests
            .slice(writes)
            .filter((r) => r.method === "PATCH" && /config-vars/.test(r.path));
        expect(configWrites).toEqual([]);
        expect(stackFlag(dir)).toBe(false);
    });

    it("the workload proof refuses the flip: an app statement would be denied; flag untouched, exit 2", async () => {
        const { api, addon, dir } = await deployedWithApp();
        // A rare path, run once as the owner before the flip: the watch would never see it, the statistics keep it.
        await asOwner(addon, "DELETE FROM customer_audit_events WHERE id = 0");
        const { driver, calls } = fakePulumi(api, dir);
        const { code, doc } = await cutover(api, dir, driver, "45s");
        expect(code).toBe(2);
        expect(doc.result).toBe("not-flipped");
        const workload = (doc.preflight as CheckReport).findings.find((f) => f.check === "workload")!;
        expect(workload.status).toBe("unhealthy");
        expect(workload.lines).toEqual([
            "DELETE FROM customer_audit_events WHERE id = $1: missing DELETE on public.customer_audit_events; " +
                "fix: the app must change: customer_audit_events is append-only: DELETE would rewrite or erase " +
                "history; insert a new row instead",
        ]);
        expect(calls).toEqual([]);
        expect(flagHistory(api)).toEqual(["0"]);
        expect(stackFlag(dir)).toBe(false);
    });

    it("a lost log stream trips: a flip nobody watches is rolled back", async () => {
        const { api, dir } = await deployedWithApp();
        const drop = async (on: boolean) => {
            if (on) {
                // Once the watch's tail is connected, reset its connection.
                await api.logStreamOpen();
                api.dropLogStreams();
            }
        };
        const { driver } = fakePulumi(api, dir, drop);
        const { code, doc } = await cutover(api, dir, driver, "120s");
        expect(code).toBe(2);
        expect((doc.trip as { kind: string; detail: string }).kind).toBe("stream");
        expect((doc.trip as { detail: string }).detail).toMatch(/^lost the log stream: .*Logs eventsource failed/);
        expect(flagHistory(api)).toEqual(["0", "1", "0"]);
        expect(stackFlag(dir)).toBe(false);
    });

    it("Ctrl-C during the watch leaves the flag on, consistent, and prints the next command", async () => {
        const { api, dir } = await deployedWithApp();
        const ctrlC = new AbortController();
        const { driver } = fakePulumi(api, dir, async () => void setTimeout(() => ctrlC.abort(), 2_000));
        const { code, doc, io } = await cutover(api, dir, driver, "120s", ctrlC.signal);
        expect(code).toBe(1);
        // Exit 1 under --json: the error document, whose fix is the next command.
        const error = doc.error as { code: string; message: string; fix: string };
        expect(Object.keys(doc)).toEqual(["error"]);
        expect(error.code).toBe("interrupted");
        expect(error.message).toMatch(
            new RegExp(
                `^Interrupted at \\S+: the flag is ON on ${APP} and raptor:roleSeparation is true in stack staging ` +
                    "\\(they agree\\); nothing had tripped since \\S+\\.$",
            ),
        );
        expect(error.fix).toMatch(
            new RegExp(
                "^raptor-roles check --stack staging --since \\S+; if it is unhealthy, the emergency stop: heroku " +
                    `config:set ${FLAG_VAR}=0 -a ${APP} >/dev/null, then pulumi config set raptor:roleSeparation ` +
                    "false -s staging and pulumi up -s staging\\.$",
            ),
        );
        expect(flagHistory(api)).toEqual(["0", "1"]);
        expect(stackFlag(dir)).toBe(true);
        expect(io.stderr).toBe(`raptor-roles cutover: ${error.message}\nfix: ${error.fix}\n`);
    });
});

describe("raptor-roles cutover input: the contract's error document, before any call", () => {
    const cutoverJson = async (dir: string, args: string[]) => {
        const io = recorder();
        const code = await cutoverIn(dir, ["--stack", "staging", ...args, "--json"], io, {
            env: { PATH: "" },
            now: () => new Date(),
            pulumi: {
                setRoleSeparation: () => Promise.reject(new Error("pulumi must not run")),
                preview: () => Promise.reject(new Error("pulumi must not run")),
                up: () => Promise.reject(new Error("pulumi must not run")),
                getStop: () => Promise.reject(new Error("pulumi must not run")),
                setStop: () => Promise.reject(new Error("pulumi must not run")),
                clearStop: () => Promise.reject(new Error("pulumi must not run")),
            },
        });
        return { code, io, error: (JSON.parse(io.stdout) as { error: Record<string, string> }).error };
    };

    it("a bad --watch is a usage error naming the value", async () => {
        const { code, error } = await cutoverJson(project("http://127.0.0.1:9/healthz"), ["--watch", "10 minutes"]);
        expect(code).toBe(1);
        expect(error).toEqual({
            code: "usage",
            message: '--watch "10 minutes" is not a duration such as 90s, 10m or 1h',
            fix: "raptor-roles cutover --help",
        });
    });

    it("a stack with a recorded emergency stop is refused before any call; exit 2", async () => {
        const stop = { at: "2026-12-07T10:00:00.000Z", why: "log: permission denied for table users", by: "ana" };
        const io = recorder();
        const code = await cutoverIn(project("http://127.0.0.1:9/healthz"), ["--stack", "staging", "--json"], io, {
            env: { PATH: "" },
            now: () => new Date(),
            pulumi: {
                setRoleSeparation: () => Promise.reject(new Error("pulumi must not run")),
                preview: () => Promise.reject(new Error("pulumi must not run")),
                up: () => Promise.reject(new Error("pulumi must not run")),
                getStop: () => Promise.resolve(stop),
                setStop: () => Promise.reject(new Error("pulumi must not run")),
                clearStop: () => Promise.reject(new Error("pulumi must not run")),
            },
        });
        expect(code).toBe(2);
        expect(JSON.parse(io.stdout)).toEqual({ result: "stopped", stack: "staging", app: APP, stop });
    });

    it("a stack already on is refused with the command that turns it off first", async () => {
        const dir = project("http://127.0.0.1:9/healthz");
        const file = path.join(dir, "Pulumi.staging.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("roleSeparation: false", "roleSeparation: true"));
        const { code, error, io } = await cutoverJson(dir, []);
        expect(code).toBe(1);
        expect(error).toEqual({
            code: "already-on",
            message: "raptor:roleSeparation is already true in Pulumi.staging.yaml: cutover turns it on itself",
            fix:
                "pulumi config set raptor:roleSeparation false -s staging and pulumi up first, " +
                "or use pulumi up directly",
        });
        expect(io.stderr).toMatch(/^raptor-roles cutover: raptor:roleSeparation is already true/);
    });
});

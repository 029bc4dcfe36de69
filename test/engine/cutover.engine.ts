/**
 * `raptor-roles cutover` with its own Pulumi driver (cli/pulumi-driver.ts: the Automation API) on the real
 * engine, the way the CLI runs it: `pulumi config set raptor:roleSeparation` and `pulumi up` with the policy pack,
 * over staging deployed by a real `pulumi up`. The stand-in Raptor app runs on the local Heroku API and restarts
 * on every release; the watch reads its log stream through the real `heroku logs --tail`. test/cli/cutover.test.ts
 * covers the same contract faster with an injected driver; this file proves the two agree. `raptor-roles deploy`
 * (cli/deploy.ts) runs here too, with the same driver, over the stop a trip leaves in the backend (issue 29), and so
 * does `raptor-roles stop`, the stop by hand, with check's reading of it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PulumiDriver } from "../../cli/pulumi-driver";
import { STOP_TAG, StopRecord, describeStop, parseStopTag } from "../../core/deploy/stop";
import { stopFinding } from "../../cli/check-stop";
import { stopIn } from "../../cli/stop";
import { APP_URL_VAR, FLAG_VAR } from "../../core/settings";
import { recorder } from "../support/io";
import { keyPath, publicKey } from "../support/ssh-keys";
import { signoffIn } from "../../cli/signoff";
import { probeTable } from "../support/probe";
import { REPO, Workspace, requireEngine } from "./engine";
import { CHECKOUT, appLines as linesOf, driverOf, flagHistory as flagsOf, runCutover, runDeploy } from "./drivers";
import { APPS, Rig, filesUnder, startRig, untilHealthy } from "./rig";

const build = requireEngine();
const APP = APPS.staging;
const OPERATOR = "operator@raxx.app";

describe("cutover through the real Pulumi engine", () => {
    let rig: Rig;
    let ws: Workspace;
    /** Everything the Automation API printed, for the secrecy check. */
    let output = "";

    const driver = (): PulumiDriver => driverOf(CHECKOUT, ws, build.binDir, (s) => (output += s));
    /** The stack's raptor:roleSeparation as `pulumi config set` left it in Pulumi.staging.yaml. */
    const stackFlag = () => String(parse(ws.file("Pulumi.staging.yaml")).config["raptor:roleSeparation"]);
    const flagHistory = () => flagsOf(rig.api, APP);
    const appLines = () => linesOf(rig.api, APP);
    const asOwner = async (sql: string) => {
        const c = new Client({ connectionString: rig.api.config(APP).DATABASE_URL });
        await c.connect();
        try {
            await c.query(sql);
        } finally {
            await c.end();
        }
    };
    const deploy = (pulumi: PulumiDriver, ...args: string[]) =>
        runDeploy(CHECKOUT.deployIn, ws, pulumi, ["--stack", "staging", ...args]);
    const cutover = (pulumi: PulumiDriver, watch: string, stack = "staging") =>
        runCutover(CHECKOUT.cutoverIn, ws, pulumi, ["--stack", stack, "--watch", watch]);

    beforeAll(async () => {
        rig = await startRig();
        ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
        await ws.ok(["login", `file://${ws.backend}`]);
        await ws.ok(["stack", "init", "staging", "--secrets-provider", "passphrase"]);
        // The project's pack config where the driver looks by default (policy/config.json under the project),
        // with the test operator's key listed, as docs/operating.md's "Adding or revoking an operator" has it.
        const config = JSON.parse(fs.readFileSync(path.join(REPO, "policy", "config.json"), "utf8"));
        config["prod-signoff"].allowedSigners = [`${OPERATOR} ${publicKey("ed25519")}`];
        fs.mkdirSync(path.join(ws.project, "policy"));
        fs.writeFileSync(path.join(ws.project, "policy", "config.json"), JSON.stringify(config));
        // Staging as the runbook leaves it before Step 6: credential, grants and URL in place, the flag at 0.
        await ws.ok(["up", "--yes", "-s", "staging", "--policy-pack", path.join(REPO, "policy")]);
        const base = await rig.api.runApp(APP);
        await ws.ok(["config", "set", "raptor:healthUrl", `${base}/healthz`, "-s", "staging"]);
        await untilHealthy(`${base}/healthz`);
    });
    afterAll(async () => {
        await rig?.stop();
        ws?.remove();
    });

    it("a clean cutover stays on: the engine set the flag, the app runs as raptor_app, nothing tripped", async () => {
        const { code, doc, io } = await cutover(driver(), "20s");
        expect(code, io.stdout + io.stderr).toBe(0);
        expect(doc.result).toBe("on");
        expect(stackFlag()).toBe("true");
        expect(flagHistory()).toEqual(["0", "1"]);
        expect(appLines()).toContain(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
        // The engine's state agrees: roleSeparationEnabledAt is exported from this up.
        const at = JSON.parse(await ws.ok(["stack", "output", "roleSeparationEnabledAt", "--json", "-s", "staging"]));
        expect(Date.parse(doc.flipAt as string) - Date.parse(at)).toBeLessThan(120_000);
    });

    it("a grant revoked by hand trips: flag 0 at once, then config false and an up that restores it", async () => {
        // Back to the state before Step 6, as an operator would: config false and up.
        await ws.ok(["config", "set", "raptor:roleSeparation", "false", "-s", "staging"]);
        await ws.ok(["up", "--yes", "-s", "staging", "--policy-pack", path.join(REPO, "policy")]);
        expect(rig.api.config(APP)[FLAG_VAR]).toBe("0");
        // That release restarted the app; as an operator would, wait until it is up before cutting over (else the
        // preflight's health probe meets the restart and cutover rightly refuses).
        await rig.api.dynos.settled(rig.api.model.app(APP)!);
        await untilHealthy(String(parse(ws.file("Pulumi.staging.yaml")).config["raptor:healthUrl"]));
        const real = driver();
        const revoking: PulumiDriver = {
            ...real,
            setRoleSeparation: (stack, on) => real.setRoleSeparation(stack, on),
            preview: (stack) => real.preview(stack),
            // Right after the flip, someone revokes UPDATE on users: the app's next UPDATE is denied.
            up: async (stack) => {
                await real.up(stack);
                if (stackFlag() === "true") await asOwner("REVOKE UPDATE ON users FROM raptor_app");
            },
        };
        const since = new Date();
        const { code, doc, io } = await cutover(revoking, "120s");
        expect(code, io.stdout + io.stderr).toBe(2);
        expect(doc.result, JSON.stringify(doc)).toBe("rolled-back");
        const trip = doc.trip as { kind: string; lines: string[]; at: string };
        expect(trip.kind).toBe("log");
        expect(trip.lines[0]).toMatch(/app\[web\.1\]: .*permission denied for table users$/);
        // The rollback's speed (issue 28) from the rig's own records, not from the command's report: the first
        // permission-denied line as the rig logged it, to the release that set the flag back to 0.
        const denied = rig.api.logs
            .lines(rig.api.model.app(APP)!)
            .find((l) => l.source === "app" && l.at >= since && l.text.includes("permission denied"))!;
        const releases = rig.api.configHistory(APP);
        const off = releases.findIndex((r) => r.at >= denied.at && r.config[FLAG_VAR] === "0");
        expect(releases[off - 1].config[FLAG_VAR]).toBe("1");
        const seconds = (releases[off].at.getTime() - denied.at.getTime()) / 1000;
        console.info(`rollback on the engine: first permission denied line -> release with flag 0 in ${seconds} s`);
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThan(10);
        expect(doc.stackError).toBeUndefined();
        // The stop is in the backend, whatever becomes of the stack file's commit (issue 29).
        expect(doc.stopRecordError).toBeUndefined();
        expect((await real.getStop("staging"))?.why).toMatch(/^log: /);
        expect(flagHistory()).toEqual(["0", "1", "0", "1", "0"]);
        expect(stackFlag()).toBe("false");
        // The rollback's up refreshed (Pulumi.yaml refresh: always) and put the revoked grant back.
        const c = new Client({ connectionString: rig.api.config(APP)[APP_URL_VAR] });
        await c.connect();
        try {
            expect((await probeTable(c, "public", "users")).UPDATE).toBe("ok");
        } finally {
            await c.end();
        }
        await rig.api.dynos.settled(rig.api.model.app(APP)!);
        expect(
            appLines()
                .filter((l) => l.startsWith("INFO:raptor.db:using"))
                .at(-1),
        ).toBe("INFO:raptor.db:using DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=0)");
    });

    it("a tripped stack stays stopped: a stack file saying true again is refused; --resume turns it on", async () => {
        // The stop the trip recorded, read through the CLI as an operator would: it is in the backend, though
        // nothing here is a git repository and no commit of `false` was made or pushed.
        const tag = parseStopTag((await ws.ok(["stack", "tag", "get", STOP_TAG, "-s", "staging"])).trim())!;
        expect(tag.why).toMatch(/^log: grant drift: raptor_app lacks a /);
        expect(tag.by).toMatch(/ via raptor-roles cutover$/);
        // As if the commit of false never landed: the stack file says true, as main still does.
        const file = path.join(ws.project, "Pulumi.staging.yaml");
        fs.writeFileSync(file, ws.file("Pulumi.staging.yaml").replace(/(raptor:roleSeparation:).*$/m, '$1 "true"'));
        expect(stackFlag()).toBe("true");
        const before = flagHistory();

        const refused = await deploy(driver());
        expect(refused.code, refused.io.stdout + refused.io.stderr).toBe(2);
        expect([refused.doc.result, refused.doc.change, refused.doc.stop]).toEqual(["stopped", "flag-on", tag]);
        expect(flagHistory()).toEqual(before);
        expect(rig.api.config(APP)[FLAG_VAR]).toBe("0");

        const started = Date.now();
        const resumed = await deploy(driver(), "--resume", "--watch", "20s");
        console.info(`deploy --resume: flag on and watched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(resumed.code, resumed.io.stdout + resumed.io.stderr).toBe(0);
        expect(resumed.doc.result).toBe("on");
        expect(resumed.io.stderr).toContain(`deploy --resume: resuming after ${describeStop(tag)}`);
        expect(flagHistory()).toEqual([...before, "1"]);
        expect(await driver().getStop("staging")).toBeUndefined();
        // `pulumi stack tag rm` exits 0 but leaves the tag on this file backend: the resume overwrites it instead.
        const tags = await ws.ok(["stack", "tag", "get", STOP_TAG, "-s", "staging"]);
        expect(Object.keys(JSON.parse(tags.trim()) as object)).toEqual(["cleared", "by"]);
    });

    it("the emergency stop on a stopped stack is never blocked: deploy with roleSeparation false", async () => {
        // Every emergency stop records itself first (cli/cutover.ts rollback); here the flag is still 1 when it has.
        const stop = { at: new Date().toISOString(), why: "log: permission denied for table users", by: "operator" };
        await driver().setStop("staging", stop);
        await ws.ok(["config", "set", "raptor:roleSeparation", "false", "-s", "staging"]);
        const before = flagHistory();
        const { code, doc, io } = await deploy(driver());
        expect(code, io.stdout + io.stderr).toBe(0);
        expect([doc.result, doc.change]).toEqual(["applied", "flag-off"]);
        expect(flagHistory()).toEqual([...before, "0"]);
        expect(rig.api.config(APP)[FLAG_VAR]).toBe("0");
        // Only a person's --resume clears the record.
        expect(await driver().getStop("staging")).toEqual(stop);
    });

    it("raptor-roles stop by hand: flag 0 at once, the real tag recorded, check names it, deploy refuses", async () => {
        // The flag on again (as a person might have set it): the stop by hand must bring it down and hold it there.
        const app = rig.api.model.app(APP)!;
        app.vars[FLAG_VAR] = "1";
        rig.api.model.release(app, `Set ${FLAG_VAR} config vars`);
        const io = recorder();
        const code = await stopIn(ws.project, ["--stack", "staging", "--reason", "p95 doubled", "--json"], io, {
            env: { ...ws.env() },
            now: () => new Date(),
            pulumi: driver(),
        });
        expect(code, io.stdout + io.stderr).toBe(0);
        expect(rig.api.config(APP)[FLAG_VAR]).toBe("0");
        const recorded = (JSON.parse(io.stdout) as { stop: StopRecord }).stop;
        expect([recorded.why, recorded.by.endsWith(" via raptor-roles stop")]).toEqual(["p95 doubled", true]);
        const tag = parseStopTag((await ws.ok(["stack", "tag", "get", STOP_TAG, "-s", "staging"])).trim());
        expect(tag).toEqual(recorded);
        // main still says true (no pull request yet): check names the stop, and a deploy is refused.
        await ws.ok(["config", "set", "raptor:roleSeparation", "true", "-s", "staging"]);
        const finding = await stopFinding("staging", true, (s) => driver().getStop(s));
        expect([finding.status, finding.detail]).toEqual([
            "unhealthy",
            `stack staging was ${describeStop(recorded)}, but Pulumi.staging.yaml says raptor:roleSeparation true: ` +
                "the flag stays 0 and every deploy that would turn it on is refused",
        ]);
        const before = flagHistory();
        const refused = await deploy(driver());
        expect([refused.code, refused.doc.result, refused.doc.stop]).toEqual([2, "stopped", recorded]);
        expect(flagHistory()).toEqual(before);
        await ws.ok(["config", "set", "raptor:roleSeparation", "false", "-s", "staging"]);
    });

    it("prod signed off but not soaked: the preview (soak-before-prod) stops it before the flag is 1", async () => {
        const prodFlag = () => String(parse(ws.file("Pulumi.prod.yaml")).config["raptor:roleSeparation"]);
        const gate = [
            "--policy-pack",
            path.join(REPO, "policy"),
            "--policy-pack-config",
            path.join(ws.project, "policy", "config.json"),
        ];
        await ws.ok(["stack", "init", "prod", "--secrets-provider", "passphrase"]);
        // The operator signs the flag-on change; its flag-off twin (this first deploy) is covered by it.
        await ws.ok(["config", "set", "raptor:roleSeparation", "true", "-s", "prod"]);
        const io = recorder();
        const args = ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519"), "--operator", OPERATOR];
        expect(await signoffIn(ws.project, args, io), io.stderr).toBe(0);
        await ws.ok(["config", "set", "raptor:roleSeparation", "false", "-s", "prod"]);
        await ws.ok(["up", "--yes", "-s", "prod", ...gate]);
        expect(rig.api.config(APPS.prod)[FLAG_VAR]).toBe("0");
        const before = rig.api.configHistory(APPS.prod).length;

        const { code, doc } = await cutover(driver(), "20s", "prod");
        const flags = rig.api
            .configHistory(APPS.prod)
            .slice(before)
            .map((r) => r.config[FLAG_VAR]);
        expect(flags).not.toContain("1");
        expect(code, JSON.stringify(doc)).toBe(2);
        console.info(`cutover --stack prod, not flipped: ${String(doc.reason)}`);
        expect(doc.result).toBe("not-flipped");
        // The violation's own message (what was found, the fix), not the policy's description.
        expect(String(doc.reason)).toMatch(
            /^pulumi preview -s prod failed: mandatory policy soak-before-prod: Prod turns the flag on but /,
        );
        expect(prodFlag()).toBe("false");
    });

    it("no password reached the Automation API's output, the state or PULUMI_HOME", () => {
        const passwords = [rig.api.config(APP).DATABASE_URL, rig.api.config(APP)[APP_URL_VAR]].map(
            (u) => new URL(u!).password,
        );
        expect(passwords.every((p) => p.length >= 8)).toBe(true);
        const texts = [output, ...filesUnder(ws.root).map((f) => f.text)];
        for (const p of passwords) {
            expect(texts.filter((t) => t.includes(p))).toEqual([]);
        }
        expect(output).toMatch(/Resources:/);
    });
});

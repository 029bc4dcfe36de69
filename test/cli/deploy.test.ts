/**
 * `raptor-roles deploy` with the real heroku CLI, the rig, a real PostgreSQL and the stand-in app; the Pulumi step is
 * injected: `up` sets the flag with the real CLI as the program's flag step does, and applies the plan's grants as
 * the owner (`raptor-roles sql`, the same per-table REVOKE/GRANT the program applies). The real-engine run of
 * cutover is test/engine's. Each case is one kind of change: a narrowing that would deny a statement the app ran
 * is refused before any change; one the app survives is applied and watched, with the smoke suite; a failing smoke
 * suite rolls back; a widening deploys without a watch; the flag going off is never blocked.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { deployIn } from "../../cli/deploy";
import { PulumiDriver } from "../../cli/pulumi-driver";
import { StopRecord } from "../../core/deploy/stop";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { FLAG_VAR } from "../../core/settings";
import { renderSql } from "../../core/sql";
import { APP, expectNoSecretIn, rig, usePostgres } from "../support/heroku-scenario";
import { HerokuApi, credentialUrl } from "../support/heroku-api";
import { asOwner, deployRaptor } from "../support/raptor-app/deployed";
import { withClient } from "../support/pg-client";
import { runBash } from "../support/run-commands";
import { recorder } from "../support/io";

usePostgres();

const PLAN_SQL = renderSql(buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" }));

function project(config: Record<string, string | boolean>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-deploy-"));
    const lines = Object.entries(config).map(([k, v]) => `  raptor:${k}: ${JSON.stringify(v)}`);
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  raptor:app: ${APP}\n${lines.join("\n")}\n`);
    return dir;
}

const stackFlag = (dir: string) =>
    /raptor:roleSeparation: (\w+)/.exec(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8"))?.[1];

/** The injected Pulumi step: config set edits the file, up sets the flag (real CLI) and applies the plan's grants. */
function fakePulumi(api: HerokuApi, dir: string, addon: Parameters<typeof asOwner>[0], recorded?: StopRecord) {
    const calls: string[] = [];
    let stop: StopRecord | undefined = recorded;
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
            calls.push("preview");
        },
        async up() {
            const on = stackFlag(dir) === "true";
            calls.push(`up ${on}`);
            const r = await runBash(api, `heroku config:set ${FLAG_VAR}=${on ? 1 : 0} -a ${APP} >/dev/null`);
            if (r.code !== 0) {
                throw new Error(`flag step failed: ${r.stderr}`);
            }
            await asOwner(addon, PLAN_SQL);
        },
    };
    return { driver, calls };
}

/** A deployed rig with the app running; with `on`, the flag is 1 and the app runs as raptor_app. */
async function deployed(on: boolean) {
    const { api, addon } = await rig();
    await deployRaptor(api, APP, addon);
    if (on) {
        const app = api.model.app(APP)!;
        app.vars[FLAG_VAR] = "1";
        api.model.release(app, `Set ${FLAG_VAR} config vars`);
    }
    await api.runApp(APP);
    return { api, addon };
}

async function deploy(api: HerokuApi, dir: string, driver: PulumiDriver, ...args: string[]) {
    const io = recorder();
    const code = await deployIn(dir, ["--stack", "staging", "--json", ...args], io, {
        env: { ...api.env, PGSSLMODE: "disable" },
        now: () => new Date(),
        pulumi: driver,
        pollMs: 1_000,
        verifyMs: 600_000,
    });
    expectNoSecretIn(api, io.stdout, io.stderr);
    return { code, io, doc: JSON.parse(io.stdout) as Record<string, unknown> };
}

const flagHistory = (api: HerokuApi) =>
    api
        .configHistory(APP)
        .map((r) => r.config[FLAG_VAR])
        .filter((v, i, a) => v !== undefined && v !== a[i - 1]);

describe.concurrent("raptor-roles deploy", { timeout: 600_000 }, () => {
    it("refuses a narrowing that would deny a statement the app ran, before any change", async () => {
        const { api, addon } = await deployed(true);
        // A hand-made grant the plan does not give, and a rare path the app ran through it as raptor_app.
        await asOwner(addon, "GRANT UPDATE ON customer_audit_events TO raptor_app");
        const role = addon.credentials.find((c) => c.name === "raptor_app")!;
        await withClient({ connectionString: credentialUrl(addon, role), ssl: false }, (c) =>
            c.query("UPDATE customer_audit_events SET payload = $1 WHERE id = $2", ["archived", 0]),
        );
        const dir = project({ roleSeparation: true });
        const { driver, calls } = fakePulumi(api, dir, addon);
        const { code, doc } = await deploy(api, dir, driver);
        expect(code).toBe(2);
        expect(doc.result).toBe("refused");
        expect(doc.change).toBe("narrowing");
        expect((doc.denied as { query: string; missing: unknown[] }[]).map((d) => [d.query, d.missing])).toEqual([
            [
                "UPDATE customer_audit_events SET payload = $1 WHERE id = $2",
                [{ privilege: "UPDATE", object: "public.customer_audit_events" }],
            ],
        ]);
        expect(calls).toEqual([]);
        expect(flagHistory(api)).toEqual(["0", "1"]);
    });

    it("applies a narrowing the app survives, watched, with the smoke suite run in the app's checkout", async () => {
        const { api, addon } = await deployed(true);
        await asOwner(addon, "GRANT TRUNCATE ON users TO raptor_app");
        const appRepo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-app-repo-"));
        fs.writeFileSync(path.join(appRepo, "smoke.sh"), "echo smoke suite passed in $(basename $PWD)\n");
        const dir = project({ roleSeparation: true, smokeCommand: "bash smoke.sh" });
        const { driver, calls } = fakePulumi(api, dir, addon);
        const { code, doc } = await deploy(api, dir, driver, "--watch", "20s", "--app-repo", appRepo);
        expect(code).toBe(0);
        // The change is in the report after the watch too, as in every other result.
        expect([doc.result, doc.change, doc.watchedSeconds]).toEqual(["applied", "narrowing", 20]);
        expect(doc.narrowing).toEqual([
            'table "public"."users": application table; beyond DML (the runbook\'s "no DDL"): ' +
                "TRUNCATE (granted directly)",
        ]);
        expect(calls).toEqual(["preview", "up true"]);
        const smoke = doc.smoke as { ran: boolean; exitCode: number; output: string };
        expect([smoke.ran, smoke.exitCode, smoke.output]).toEqual([
            true,
            0,
            `smoke suite passed in ${path.basename(appRepo)}`,
        ]);
        const truncate = await withClient(
            {
                connectionString: credentialUrl(
                    addon,
                    addon.credentials.find((c) => c.name === "default")!,
                ),
                ssl: false,
            },
            async (c) =>
                (await c.query("SELECT has_table_privilege('raptor_app', 'users', 'TRUNCATE') AS t")).rows[0].t,
        );
        expect(truncate).toBe(false);
    });

    it("rolls back when the smoke suite fails: flag 0, stack false, the suite's output in the report", async () => {
        const { api, addon } = await deployed(true);
        await asOwner(addon, "GRANT TRUNCATE ON users TO raptor_app");
        const appRepo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-app-repo-"));
        const dir = project({ roleSeparation: true, smokeCommand: "echo 'login test failed' && exit 3" });
        const { driver, calls } = fakePulumi(api, dir, addon);
        const { code, doc } = await deploy(api, dir, driver, "--watch", "60s", "--app-repo", appRepo);
        expect(code).toBe(2);
        expect([doc.result, doc.change]).toEqual(["rolled-back", "narrowing"]);
        const trip = doc.trip as { kind: string; detail: string; lines: string[] };
        expect(trip).toMatchObject({
            kind: "smoke",
            detail: "echo 'login test failed' && exit 3 exited 3",
            lines: ["login test failed"],
        });
        expect(calls).toEqual(["preview", "up true", "stop recorded", "config set false", "up false"]);
        expect(flagHistory(api)).toEqual(["0", "1", "0"]);
        expect(stackFlag(dir)).toBe("false");
    });

    it("deploys a widening without a watch", async () => {
        const { api, addon } = await deployed(false);
        await asOwner(addon, "REVOKE SELECT ON symbols FROM raptor_app");
        const dir = project({ roleSeparation: false });
        const { driver, calls } = fakePulumi(api, dir, addon);
        const { code, doc } = await deploy(api, dir, driver);
        expect(code).toBe(0);
        expect([doc.result, doc.change]).toEqual(["applied", "widening"]);
        expect(doc.widening).toEqual([
            'table "public"."symbols": application table without SELECT for "raptor_app": ' +
                'the app gets "permission denied"',
        ]);
        expect(calls).toEqual(["preview", "up false"]);
    });

    it("after an emergency stop, a stack file still saying true does not turn the flag on; --resume does", async () => {
        const { api, addon } = await deployed(false);
        const dir = project({ roleSeparation: true });
        const stopped = {
            at: "2026-12-07T10:00:00.000Z",
            why: "log: permission denied",
            by: "ci via raptor-roles deploy",
        };
        const { driver, calls } = fakePulumi(api, dir, addon, stopped);
        const blocked = await deploy(api, dir, driver);
        expect(blocked.code).toBe(2);
        expect([blocked.doc.result, blocked.doc.stop]).toEqual(["stopped", stopped]);
        expect(calls).toEqual([]);
        expect(flagHistory(api)).toEqual(["0"]);
        const resumed = await deploy(api, dir, driver, "--resume", "--watch", "15s");
        expect(resumed.code).toBe(0);
        expect(resumed.io.stderr).toContain(
            "deploy --resume: resuming after stopped at 2026-12-07T10:00:00.000Z by ci via raptor-roles deploy: " +
                "log: permission denied",
        );
        expect(calls).toEqual(["preview", "up true", "stop cleared"]);
        expect(flagHistory(api)).toEqual(["0", "1"]);
    });

    it("--resume is not refused by the trip's own lines; a line after the stop still refuses", async () => {
        // Found on the engine (issue 29): a real trip leaves its permission-denied lines in the last hour of logs,
        // and the preflight's logs finding refused every resume for an hour after it.
        const { api, addon } = await deployed(false);
        const app = api.model.app(APP)!;
        const denied =
            "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) " +
            "permission denied for table users";
        const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
        api.logs.add(app, "app", "web.1", denied, at(120));
        const stopped = { at: at(60).toISOString(), why: "log: grant drift", by: "ci via raptor-roles cutover" };
        const dir = project({ roleSeparation: true });

        api.logs.add(app, "app", "web.1", denied, at(30));
        const after = await deploy(api, dir, fakePulumi(api, dir, addon, stopped).driver, "--resume");
        expect([after.code, after.doc.result]).toEqual([2, "not-flipped"]);
        const logs = (after.doc.preflight as { findings: { check: string; status: string }[] }).findings;
        expect(logs.filter((f) => f.check === "logs").map((f) => f.status)).toEqual(["unhealthy"]);

        const resumed = { ...stopped, at: at(15).toISOString() };
        const { driver, calls } = fakePulumi(api, dir, addon, resumed);
        const { code, doc } = await deploy(api, dir, driver, "--resume", "--watch", "15s");
        expect([code, doc.result]).toEqual([0, "on"]);
        expect(calls).toEqual(["preview", "up true", "stop cleared"]);
        expect(flagHistory(api)).toEqual(["0", "1"]);
    });

    it("turns the flag off at once, with no preview and no check: the rollback is never blocked", async () => {
        const { api, addon } = await deployed(true);
        await asOwner(addon, "REVOKE USAGE ON SCHEMA public FROM raptor_app");
        const dir = project({ roleSeparation: false });
        const stopped = { at: "2026-12-07T10:00:00.000Z", why: "log: permission denied", by: "ci" };
        const { driver, calls } = fakePulumi(api, dir, addon, stopped);
        const { code, doc } = await deploy(api, dir, driver);
        expect(code).toBe(0);
        expect([doc.result, doc.change]).toEqual(["applied", "flag-off"]);
        expect(calls).toEqual(["up false"]);
        expect(flagHistory(api)).toEqual(["0", "1", "0"]);
    });
});

/**
 * Issue 28, point 5: `raptor-roles deploy` on the real engine once raptor_app is live, one merged change after
 * another on one staging stack (the scenarios run in order and share it). Staging is deployed and its flag turned
 * on by plain `pulumi up`s; the stand-in app then runs as raptor_app, its weekly sweep covering every table, with
 * ALERT_LOG among the tables it only INSERTs and SELECTs (RAPTOR_APP_APPEND_TABLES) and AUDIT_LOG among those it
 * UPDATEs. Each merged change is a copy of this checkout with core/classification.ts edited and the pack's core
 * bundled again (drivers.ts mergedChange); its program, pack and CLI run the deploy.
 *  1. AUDIT_LOG to append-only: the workload proof finds the app's UPDATEs of it and refuses before any change;
 *  2. ALERT_LOG to append-only: a narrowing the app survives, applied and watched;
 *  3. the revert of 2: a widening, applied without a watch;
 *  4. a table a migration added, classified: its grants applied with the flag on, usable as raptor_app;
 *  5. ALERT_LOG to append-only again, with a smoke suite that fails: rolled back, the flag 0 again.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PulumiDriver } from "../../cli/pulumi-driver";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { APP_URL_VAR, FLAG_VAR } from "../../core/settings";
import { readStatements, statsSchema } from "../../db/workload";
import { RAPTOR_APP } from "../support/heroku-api";
import { probeTable } from "../support/probe";
import { SQL } from "../support/raptor-app/workload";
import { REPO, Workspace, requireEngine } from "./engine";
import {
    CHECKOUT,
    Cli,
    Move,
    appLines,
    cliOf,
    driverOf,
    flagHistory,
    mergedChange,
    runDeploy,
    until,
    useProgram,
} from "./drivers";
import { APPS, Rig, filesUnder, startRig, untilHealthy } from "./rig";

const build = requireEngine();
const APP = APPS.staging;
/** An application table the app UPDATEs and DELETEs from (full DML each sweep): never append-only. */
const AUDIT_LOG = "audit_log";
/** An application table the app only INSERTs into and SELECTs from: append-only costs it nothing. */
const ALERT_LOG = "vendor_billing_alert_log";
/** The table a migration adds while the flag is on. */
const NEW_TABLE = "broker_statements";
const ON_LINE = "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)";

// Each case runs one or two `pulumi up`s and a watch; the setup two `up`s: at the load other sessions put on 2 cores
// here (30), one `up` has taken 150-290 s, past vitest.engine.config.mts's 300 s.
describe("deploy of merged changes once raptor_app is live, on the real engine", { timeout: 900_000 }, () => {
    let rig: Rig;
    let ws: Workspace;
    const copies: string[] = [];
    /** Everything the Automation API printed, for the secrecy check. */
    let output = "";

    const merged = async (moves: Move[]): Promise<Cli> => {
        const dir = mergedChange(moves);
        copies.push(dir);
        return cliOf(dir);
    };
    /** `cli`'s driver, each preview, up and config set recorded in `calls`. */
    const recording = (cli: Cli, calls: string[]): PulumiDriver => {
        const real = driverOf(cli, ws, build.binDir, (s) => (output += s));
        return {
            ...real,
            setRoleSeparation: (stack, on) => (calls.push(`config set ${on}`), real.setRoleSeparation(stack, on)),
            preview: (stack) => (calls.push("preview"), real.preview(stack)),
            up: (stack) => (calls.push("up"), real.up(stack)),
        };
    };
    /** `deploy --stack staging` by `cli` (program, pack, CLI), the engine running `cli`'s program. */
    const deploy = async (cli: Cli, ...args: string[]) => {
        useProgram(ws, cli.dir);
        const calls: string[] = [];
        const run = await runDeploy(cli.deployIn, ws, recording(cli, calls), ["--stack", "staging", ...args]);
        return { ...run, calls };
    };
    const stackFlag = () => String(parse(ws.file("Pulumi.staging.yaml")).config["raptor:roleSeparation"]);
    const connect = async <T>(url: string | undefined, f: (c: Client) => Promise<T>): Promise<T> => {
        const c = new Client({ connectionString: url });
        await c.connect();
        try {
            return await f(c);
        } finally {
            await c.end();
        }
    };
    const asRole = <T>(f: (c: Client) => Promise<T>) => connect(rig.api.config(APP)[APP_URL_VAR], f);
    const asOwner = <T>(f: (c: Client) => Promise<T>) => connect(rig.api.config(APP).DATABASE_URL, f);
    /** raptor_app's privileges on `table`, as the database answers. */
    const privileges = (table: string) =>
        asOwner(async (c) => {
            const { rows } = await c.query(
                "SELECT privilege_type FROM information_schema.role_table_grants " +
                    "WHERE grantee = 'raptor_app' AND table_name = $1 ORDER BY 1",
                [table],
            );
            return rows.map((r) => r.privilege_type as string);
        });
    /** The statement texts raptor_app has run, as pg_stat_statements keeps them (what the proof reads). */
    const roleStatements = () =>
        asRole(async (c) => (await readStatements(c, await statsSchema(c))).map((r) => r.query));

    beforeAll(async () => {
        rig = await startRig();
        ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
        await ws.ok(["login", `file://${ws.backend}`]);
        await ws.ok(["stack", "init", "staging", "--secrets-provider", "passphrase"]);
        fs.mkdirSync(path.join(ws.project, "policy"));
        fs.copyFileSync(path.join(REPO, "policy", "config.json"), path.join(ws.project, "policy", "config.json"));
        const pack = ["--policy-pack", path.join(REPO, "policy")];
        await ws.ok(["up", "--yes", "-s", "staging", ...pack]);
        const env = {
            RAPTOR_APP_DML_TABLES: RAPTOR_CLASSIFICATION.application.filter((t) => t !== ALERT_LOG).join(","),
            RAPTOR_APP_APPEND_TABLES: [...RAPTOR_CLASSIFICATION.appendOnly, ALERT_LOG].join(","),
        };
        const base = await rig.api.runApp(APP, { ...RAPTOR_APP, env });
        await ws.ok(["config", "set", "raptor:healthUrl", `${base}/healthz`, "-s", "staging"]);
        await untilHealthy(`${base}/healthz`);
        // The flag on, as a cutover long done left it: the app restarts and runs as raptor_app.
        await ws.ok(["config", "set", "raptor:roleSeparation", "true", "-s", "staging"]);
        await ws.ok(["up", "--yes", "-s", "staging", ...pack]);
        await rig.api.dynos.settled(rig.api.model.app(APP)!);
        await untilHealthy(`${base}/healthz`);
        expect(
            appLines(rig.api, APP)
                .filter((l) => l.startsWith("INFO:raptor.db:using"))
                .at(-1),
        ).toBe(ON_LINE);
        expect(flagHistory(rig.api, APP)).toEqual(["0", "1"]);
    }, 900_000);
    afterAll(async () => {
        await rig?.stop();
        ws?.remove();
        for (const dir of copies) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a change moving a table the app UPDATEs to append-only is refused before any change", async () => {
        // The app's writes of AUDIT_LOG as raptor_app, its rare upsert and locking read included, are on record.
        const writes = [SQL.update, SQL.delete, SQL.upsert, SQL.selectForUpdate].map((f) => f(AUDIT_LOG));
        await until(`raptor_app's ${writes.length} writes of ${AUDIT_LOG} in pg_stat_statements`, async () => {
            const ran = await roleStatements();
            return writes.every((w) => ran.includes(w));
        });
        const releases = rig.api.configHistory(APP).length;
        const cli = await merged([{ table: AUDIT_LOG, to: "appendOnly" }]);
        const { code, doc, io, calls } = await deploy(cli, "--watch", "10s");
        expect(code, io.stdout + io.stderr).toBe(2);
        expect([doc.result, doc.change]).toEqual(["refused", "narrowing"]);
        expect(doc.narrowing).toEqual([
            `table "public"."${AUDIT_LOG}": append-only (audit/history) but "raptor_app" can rewrite or erase ` +
                "it: UPDATE (granted directly), DELETE (granted directly)",
        ]);
        const denied = (doc.denied as { query: string; missing: unknown[] }[]).map((d) => [d.query, d.missing]);
        expect(denied.sort()).toEqual(
            [
                [SQL.delete(AUDIT_LOG), [{ privilege: "DELETE", object: `public.${AUDIT_LOG}` }]],
                [SQL.selectForUpdate(AUDIT_LOG), [{ privilege: "UPDATE", object: `public.${AUDIT_LOG}` }]],
                [SQL.update(AUDIT_LOG), [{ privilege: "UPDATE", object: `public.${AUDIT_LOG}` }]],
                [SQL.upsert(AUDIT_LOG), [{ privilege: "UPDATE", object: `public.${AUDIT_LOG}` }]],
            ].sort(),
        );
        // Nothing changed: no preview, no up, no release, the grants as they were.
        expect(calls).toEqual([]);
        expect(rig.api.configHistory(APP)).toHaveLength(releases);
        expect(flagHistory(rig.api, APP)).toEqual(["0", "1"]);
        expect(await privileges(AUDIT_LOG)).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
    });

    it("a narrowing the app survives (a table it only INSERTs and SELECTs, to append-only) is watched", async () => {
        await until(`the app's INSERT into ${ALERT_LOG} as raptor_app`, async () =>
            (await roleStatements()).includes(SQL.insert(ALERT_LOG)),
        );
        const cli = await merged([{ table: ALERT_LOG, to: "appendOnly" }]);
        const started = Date.now();
        const { code, doc, io, calls } = await deploy(cli, "--watch", "10s");
        console.info(`deploy of a narrowing: applied and watched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(code, io.stdout + io.stderr).toBe(0);
        expect([doc.result, doc.change, doc.watchedSeconds]).toEqual(["applied", "narrowing", 10]);
        expect(doc.narrowing).toEqual([
            `table "public"."${ALERT_LOG}": append-only (audit/history) but "raptor_app" can rewrite or erase ` +
                "it: UPDATE (granted directly), DELETE (granted directly)",
        ]);
        expect(doc.widening).toEqual([]);
        expect(doc.smoke).toEqual({ ran: false, detail: "raptor:smokeCommand is not set: no smoke suite ran" });
        expect(calls).toEqual(["preview", "up"]);
        expect(await privileges(ALERT_LOG)).toEqual(["INSERT", "SELECT"]);
        expect(flagHistory(rig.api, APP)).toEqual(["0", "1"]);
        expect(appLines(rig.api, APP).filter((l) => l.includes("permission denied"))).toEqual([]);
    });

    it("a widening (the revert of that narrowing) deploys without a watch", async () => {
        const { code, doc, io, calls } = await deploy(CHECKOUT, "--watch", "10s");
        expect(code, io.stdout + io.stderr).toBe(0);
        expect(doc).toEqual({
            result: "applied",
            stack: "staging",
            app: APP,
            change: "widening",
            narrowing: [],
            widening: [
                `table "public"."${ALERT_LOG}": application table without UPDATE, DELETE for "raptor_app": ` +
                    'the app gets "permission denied"',
            ],
        });
        expect(calls).toEqual(["preview", "up"]);
        expect(await privileges(ALERT_LOG)).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
    });

    it("with the flag on, deploy grants on a table a migration added, once a change classifies it", async () => {
        await asOwner((c) => c.query(`CREATE TABLE ${NEW_TABLE} (id bigserial PRIMARY KEY, payload text)`));
        const cli = await merged([{ table: NEW_TABLE, to: "application" }]);
        const { code, doc, io, calls } = await deploy(cli, "--watch", "10s");
        expect(code, io.stdout + io.stderr).toBe(0);
        expect([doc.result, doc.change, doc.narrowing]).toEqual(["applied", "widening", []]);
        expect(doc.widening).toEqual([
            `table "public"."${NEW_TABLE}": application table without SELECT, INSERT, UPDATE, DELETE for ` +
                '"raptor_app": the app gets "permission denied"',
        ]);
        expect(calls).toEqual(["preview", "up"]);
        expect(rig.api.config(APP)[FLAG_VAR]).toBe("1");
        // As raptor_app, through the URL the app uses: every DML statement of an application table, and no more.
        expect(await asRole((c) => probeTable(c, "public", NEW_TABLE))).toEqual({
            INSERT: "ok",
            SELECT: "ok",
            UPDATE: "ok",
            DELETE: "ok",
            TRUNCATE: `permission denied for table ${NEW_TABLE}`,
        });
    });

    it("a failing smoke suite rolls the narrowing back: flag 0, its output in the report, secrets masked", async () => {
        const appRepo = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-app-repo-"));
        copies.push(appRepo);
        // A suite that logs the URL it tests against, as suites do, then fails a check.
        fs.writeFileSync(
            path.join(appRepo, "smoke.sh"),
            `echo "smoke: database $(heroku config:get DATABASE_URL -a ${APP})"\n` +
                'echo "smoke: POST /api/alerts answered 500"\nexit 1\n',
        );
        await ws.ok(["config", "set", "raptor:smokeCommand", "bash smoke.sh", "-s", "staging"]);
        const cli = await merged([
            { table: NEW_TABLE, to: "application" },
            { table: ALERT_LOG, to: "appendOnly" },
        ]);
        const releases = rig.api.configHistory(APP).length;
        const { code, doc, io, calls } = await deploy(cli, "--watch", "60s", "--app-repo", appRepo);
        expect(code, io.stdout + io.stderr).toBe(2);
        expect([doc.result, doc.change]).toEqual(["rolled-back", "narrowing"]);
        // The URL's password masked (the suite's output is the report's, and the report reaches CI logs).
        const url = rig.api.config(APP).DATABASE_URL!;
        const masked = url.replace(`:${new URL(url).password}@`, ":***@");
        expect(masked).not.toBe(url);
        const said = [`smoke: database ${masked}`, "smoke: POST /api/alerts answered 500"];
        expect(doc.trip).toMatchObject({ kind: "smoke", detail: "bash smoke.sh exited 1", lines: said });
        expect(doc.smoke).toMatchObject({ ran: true, command: "bash smoke.sh", exitCode: 1, output: said.join("\n") });
        expect(calls).toEqual(["preview", "up", "config set false", "up"]);
        // The rig's release history: the emergency stop's release set the flag to 0, and it stayed 0.
        const after = rig.api.configHistory(APP).slice(releases);
        expect(after.map((r) => r.config[FLAG_VAR]).at(-1)).toBe("0");
        expect(flagHistory(rig.api, APP)).toEqual(["0", "1", "0"]);
        expect(stackFlag()).toBe("false");
        await rig.api.dynos.settled(rig.api.model.app(APP)!);
        expect(
            appLines(rig.api, APP)
                .filter((l) => l.startsWith("INFO:raptor.db:using"))
                .at(-1),
        ).toBe("INFO:raptor.db:using DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=0)");
        const passwords = [rig.api.config(APP).DATABASE_URL, rig.api.config(APP)[APP_URL_VAR]].map(
            (u) => new URL(u!).password,
        );
        expect(passwords.every((p) => p.length >= 8)).toBe(true);
        const texts = [io.stdout, io.stderr, output, ...filesUnder(ws.root).map((f) => f.text)];
        for (const p of passwords) {
            expect(texts.filter((t) => t.includes(p))).toEqual([]);
        }
    });
});

/**
 * Issue 25, point 6, on the real engine: the workload proof finds the app's rare path before the flip and
 * `raptor-roles cutover` refuses; after the matrix fix, cutover goes through and stays on.
 *
 * The stand-in app runs as the owner (flag 0) with its weekly job on (RAPTOR_APP_WEEKLY_AT_TICK), so
 * pg_stat_statements holds the job's upsert into weekly_digest_runs, a table no set of the matrix covers (a
 * failed statement would not be recorded: it must succeed as the owner first). The fix is "a PR that classifies
 * the table, merged": a copy of this checkout with weekly_digest_runs in `application` (and the pack's bundled
 * core regenerated, as the PR would), deployed with `pulumi up`, then cut over by the copy's own CLI, since
 * verify, check and the proof read the classification from the code that runs them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RAPTOR_APP } from "../support/heroku-api";
import { WEEKLY_DIGEST_TABLE } from "../support/raptor-app/schema";
import { REPO, Workspace, requireEngine } from "./engine";
import {
    CHECKOUT,
    Cli,
    appLines as linesOf,
    cliOf,
    driverOf,
    flagHistory as flagsOf,
    mergedChange,
    runCutover,
    until,
    useProgram,
} from "./drivers";
import { APPS, Rig, startRig, untilHealthy } from "./rig";

const build = requireEngine();
const APP = APPS.staging;
/** The weekly job's tick: after a few full ticks, so the app is up and sweeping when it runs. */
const WEEKLY_AT = 6;
const DONE = "INFO:raptor.jobs:weekly digest done";

describe("the workload proof before the flip, on the real engine", () => {
    let rig: Rig;
    let ws: Workspace;
    let merged: string | undefined;

    const stackFlag = () => String(parse(ws.file("Pulumi.staging.yaml")).config["raptor:roleSeparation"]);
    const flagHistory = () => flagsOf(rig.api, APP);
    const appLines = () => linesOf(rig.api, APP);
    /** The app's lines since its last start (each start logs which URL it uses first). */
    const sinceStart = () => {
        const lines = appLines();
        const starts = lines.flatMap((l, i) => (l.startsWith("INFO:raptor.db:using") ? [i] : []));
        return lines.slice(starts.at(-1) ?? 0);
    };
    /** `cutover` by `cli` (its CLI and its pack). */
    const cutover = (cli: Cli, watch: string) =>
        runCutover(cli.cutoverIn, ws, driverOf(cli, ws, build.binDir), ["--stack", "staging", "--watch", watch]);

    beforeAll(async () => {
        rig = await startRig({}, { weeklyJob: true });
        ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
        await ws.ok(["login", `file://${ws.backend}`]);
        await ws.ok(["stack", "init", "staging", "--secrets-provider", "passphrase"]);
        // The driver reads the pack's config under the project by default (policy/config.json).
        fs.mkdirSync(path.join(ws.project, "policy"));
        fs.copyFileSync(path.join(REPO, "policy", "config.json"), path.join(ws.project, "policy", "config.json"));
        // Staging before Step 6, deployed by this checkout's program: weekly_digest_runs exists, unclassified.
        await ws.ok(["up", "--yes", "-s", "staging", "--policy-pack", path.join(REPO, "policy")]);
        const spec = { ...RAPTOR_APP, env: { RAPTOR_APP_WEEKLY_AT_TICK: String(WEEKLY_AT) } };
        const base = await rig.api.runApp(APP, spec);
        await ws.ok(["config", "set", "raptor:healthUrl", `${base}/healthz`, "-s", "staging"]);
        await untilHealthy(`${base}/healthz`);
        // As the owner the job succeeds, so pg_stat_statements holds its upsert.
        await until("the weekly job as the owner", () => sinceStart().includes(DONE));
    });
    afterAll(async () => {
        await rig?.stop();
        ws?.remove();
        if (merged !== undefined) fs.rmSync(merged, { recursive: true, force: true });
    });

    it("finds the weekly job's upsert before the flip: cutover refuses, the flag never moves", async () => {
        const started = Date.now();
        const { code, doc, io } = await cutover(CHECKOUT, "20s");
        console.info(`cutover refused by its preflight in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(code, io.stdout + io.stderr).toBe(2);
        expect(doc.result).toBe("not-flipped");
        const findings = (doc.preflight as { findings: { check: string }[] }).findings;
        expect(findings.find((f) => f.check === "workload")).toEqual({
            check: "workload",
            status: "unhealthy",
            detail: "1 statement(s) the app ran 1 time(s) would be denied as raptor_app",
            lines: [
                "INSERT INTO weekly_digest_runs (week, payload) VALUES ($1, $2) ON CONFLICT (week) DO UPDATE SET " +
                    "payload = EXCLUDED.payload: missing INSERT on public.weekly_digest_runs, UPDATE on " +
                    "public.weekly_digest_runs; fix: classify weekly_digest_runs in core/classification.ts " +
                    "(application), then `pulumi up -s staging` grants it: GRANT SELECT, INSERT, UPDATE, DELETE ON " +
                    'TABLE "public"."weekly_digest_runs" TO "raptor_app";',
            ],
            fix:
                "fix each as its line says before the flag goes to 1; `raptor-roles workload --database-url-env " +
                "DATABASE_URL --role-url-env RAPTOR_APP_DATABASE_URL --stack staging` lists them",
        });
        expect(flagHistory()).toEqual(["0"]);
        expect(stackFlag()).toBe("false");
    });

    it("after the PR that classifies the table is merged and deployed, cutover goes through and stays on", async () => {
        merged = mergedChange([{ table: WEEKLY_DIGEST_TABLE, to: "application" }]);
        // The merged program is what the engine runs from now on.
        useProgram(ws, merged);
        await ws.ok(["up", "--yes", "-s", "staging", "--policy-pack", path.join(merged, "policy")]);
        const c = new Client({ connectionString: rig.api.config(APP).DATABASE_URL });
        await c.connect();
        try {
            const { rows } = await c.query(
                "SELECT privilege_type FROM information_schema.role_table_grants " +
                    "WHERE grantee = 'raptor_app' AND table_name = $1 ORDER BY 1",
                [WEEKLY_DIGEST_TABLE],
            );
            expect(rows.map((r) => r.privilege_type)).toEqual(["DELETE", "INSERT", "SELECT", "UPDATE"]);
        } finally {
            await c.end();
        }

        // The merged CLI too: verify, check and the proof judge with the classification of the code they run.
        const started = Date.now();
        const { code, doc, io } = await cutover(await cliOf(merged), "30s");
        console.info(`cutover after the fix: on in ${((Date.now() - started) / 1000).toFixed(1)} s (30 s watch)`);
        expect(code, io.stdout + io.stderr).toBe(0);
        expect(doc.result).toBe("on");
        expect(stackFlag()).toBe("true");
        expect(flagHistory()).toEqual(["0", "1"]);
        // The restart after the flip runs as raptor_app, and the weekly job ran within the watch, as raptor_app.
        expect(sinceStart()[0]).toBe(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
        expect(sinceStart().filter((l) => l.includes(":raptor.jobs:"))).toEqual([DONE]);
        expect(sinceStart().filter((l) => l.startsWith("ERROR:") || l.startsWith("sqlalchemy."))).toEqual([]);
    });
});

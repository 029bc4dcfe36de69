/**
 * `raptor-roles check` through the real heroku CLI against the rig, a real PostgreSQL and the stand-in app:
 * a clean deployment is healthy; a revoked grant, a missing URL var, a flag out of step, a CLI that cannot
 * log in, each is what check says, with the runbook's fix, and no output carries a password.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkIn } from "../../cli/check";
import { CheckReport } from "../../core/check/report";
import { APP_URL_VAR, FLAG_VAR } from "../../core/settings";
import { APP, Rig, expectNoSecretIn, rig, usePostgres } from "../support/heroku-scenario";
import { HerokuApi, credentialUrl } from "../support/heroku-api";
import { withClient } from "../support/pg-client";
import { asOwner, deployRaptor } from "../support/raptor-app/deployed";
import { recorder } from "../support/io";

usePostgres();

function projectWith(config: Record<string, string | boolean>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-check-"));
    const lines = Object.entries(config).map(([k, v]) => `  raptor:${k}: ${JSON.stringify(v)}`);
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n${lines.join("\n")}\n`);
    return dir;
}

async function deployed(): Promise<Rig> {
    const r = await rig();
    await deployRaptor(r.api, APP, r.addon);
    return r;
}

async function runCheck(api: HerokuApi, dir: string, args: string[] = [], env: Record<string, string> = {}) {
    const io = recorder();
    const code = await checkIn(dir, ["--stack", "staging", "--json", ...args], io, {
        env: { ...api.env, PGSSLMODE: "disable", ...env },
        now: () => new Date(),
    });
    expectNoSecretIn(api, io.stdout, io.stderr);
    return { code, io, report: JSON.parse(io.stdout) as CheckReport };
}

const statuses = (r: CheckReport) => Object.fromEntries(r.findings.map((f) => [f.check, f.status]));

function setFlag(api: HerokuApi, value: string): void {
    const app = api.model.app(APP)!;
    app.vars[FLAG_VAR] = value;
    api.model.release(app, `Set ${FLAG_VAR} config vars`);
}

async function until(ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
        if (Date.now() > deadline) {
            throw new Error("condition not met in time");
        }
        await new Promise((r) => setTimeout(r, 200));
    }
}

describe.concurrent("raptor-roles check", { timeout: 400_000 }, () => {
    it("is healthy (exit 0) on a clean deployment with the flag off and the app up", async () => {
        const { api } = await deployed();
        const base = await api.runApp(APP);
        const dir = projectWith({ app: APP, roleSeparation: false, healthUrl: `${base}/healthz` });
        const { code, report } = await runCheck(api, dir);
        expect(statuses(report)).toEqual({
            credential: "ok",
            grants: "ok",
            workload: "ok",
            "url-var": "ok",
            flag: "ok",
            logs: "ok",
            health: "ok",
            sentry: "skipped",
        });
        expect(code).toBe(0);
        expect(report.findings.find((f) => f.check === "url-var")?.detail).toBe(
            "RAPTOR_APP_DATABASE_URL connects as raptor_app",
        );
        expect(report.findings.find((f) => f.check === "sentry")?.detail).toBe(
            "skipped: raptor:sentryProject and SENTRY_AUTH_TOKEN not set",
        );
        // The buffer was not full: the logs read the whole window, from --since (24 h) to the check.
        const coverage = report.findings.find((f) => f.check === "logs")?.coverage;
        expect(coverage?.complete).toBe(true);
        expect(Date.parse(coverage!.to) - Date.parse(coverage!.from)).toBe(24 * 3600 * 1000);
        expect(coverage!.to).toBe(report.checkedAt.replace(/\.\d{3}Z$/, "Z"));
    });

    it("is unhealthy (exit 2) after a revoke: grants, the app's log and /healthz, each with its fix", async () => {
        const { api, addon } = await deployed();
        const base = await api.runApp(APP);
        setFlag(api, "1");
        await api.dynos.settled(api.model.app(APP)!);
        await asOwner(addon, "REVOKE INSERT ON paper_orders FROM raptor_app");
        const logged = () => api.logs.lines(api.model.app(APP)!).some((l) => l.text.includes("permission denied"));
        await until(logged);
        const dir = projectWith({ app: APP, roleSeparation: true, healthUrl: `${base}/healthz` });
        const { code, report } = await runCheck(api, dir);
        expect(code).toBe(2);
        expect(statuses(report)).toMatchObject({ grants: "unhealthy", logs: "unhealthy", health: "unhealthy" });
        const grants = report.findings.find((f) => f.check === "grants")!;
        expect(grants.detail).toMatch(/^1 drift\(s\): /);
        // The finding names the table and gives its SQL, as verify does.
        expect(grants.objects).toEqual([
            {
                object: 'table "public"."paper_orders"',
                detail:
                    'table-privilege-missing: application table without INSERT for "raptor_app": the app gets ' +
                    '"permission denied"',
                fix: 'GRANT INSERT ON TABLE "public"."paper_orders" TO "raptor_app";',
            },
        ]);
        expect(grants.fix).toContain("raptor-roles verify --database-url-env DATABASE_URL --stack staging");
        const logs = report.findings.find((f) => f.check === "logs")!;
        expect(logs.lines![0]).toMatch(
            /^\S+ app\[web\.1\]: sqlalchemy\.exc\.ProgrammingError: .* permission denied for table paper_orders$/,
        );
        expect(logs.fix).toContain("never the runbook's ON ALL TABLES block");
        expect(report.findings.find((f) => f.check === "health")?.detail).toBe(`${base}/healthz answered 503`);
        // The fix, as the finding gives it: the object's SQL, as the owner; then the grants are whole again.
        await asOwner(addon, grants.objects![0].fix);
        const again = await runCheck(api, dir);
        expect(statuses(again.report).grants).toBe("ok");
    });

    it("finds the URL var gone and the flag out of step with the stack", async () => {
        const { api } = await deployed();
        const app = api.model.app(APP)!;
        api.model.detach(api.model.attachmentsOf(app).find((x) => x.name === "RAPTOR_APP_DATABASE")!);
        setFlag(api, "1");
        const { code, report } = await runCheck(api, projectWith({ app: APP, roleSeparation: false }));
        expect(code).toBe(2);
        const byCheck = Object.fromEntries(report.findings.map((f) => [f.check, f]));
        expect(byCheck["url-var"].detail).toBe(`${APP_URL_VAR} is not set or empty on ${APP}`);
        expect(byCheck["url-var"].fix).toMatch(/^the program delivers it \(runbook Step 3 and Failure mode D\)/);
        expect(byCheck.flag.detail).toBe(`${FLAG_VAR} is "1" on ${APP}, but raptor:roleSeparation is false (0)`);
        expect(byCheck.health.status).toBe("skipped");
    });

    it("workload: a statement the app runs that raptor_app may not is unhealthy, with its fix", async () => {
        const { api, addon } = await deployed();
        await asOwner(addon, "UPDATE customer_audit_events SET payload = 'kept-out-of-output' WHERE id = 1");
        const { code, report } = await runCheck(api, projectWith({ app: APP, roleSeparation: false }));
        expect(code).toBe(2);
        const workload = report.findings.find((f) => f.check === "workload")!;
        expect(workload.status).toBe("unhealthy");
        expect(workload.detail).toBe("1 statement(s) the app ran 1 time(s) would be denied as raptor_app");
        expect(workload.lines).toEqual([
            "UPDATE customer_audit_events SET payload = $1 WHERE id = $2: missing UPDATE on " +
                "public.customer_audit_events; fix: the app must change: customer_audit_events is append-only: " +
                "UPDATE (or SELECT ... FOR UPDATE/SHARE) would rewrite or erase history; insert a new row instead",
        ]);
        expect(workload.fix).toContain(
            "raptor-roles workload --database-url-env DATABASE_URL --role-url-env RAPTOR_APP_DATABASE_URL " +
                "--stack staging",
        );
        expect(JSON.stringify(report)).not.toContain("kept-out-of-output");
    });

    it("workload, flag on: the owner running app statements during check is a code path on DATABASE_URL", async () => {
        const { api, addon } = await deployed();
        setFlag(api, "1");
        const owner = addon.credentials.find((c) => c.name === "default")!;
        let running = true;
        const loop = withClient({ connectionString: credentialUrl(addon, owner), ssl: false }, async (c) => {
            for (let i = 0; running; i++) {
                await c.query("SELECT id FROM users WHERE id = $1", [i]);
                await new Promise((r) => setTimeout(r, 50));
            }
        });
        const { code, report } = await runCheck(api, projectWith({ app: APP, roleSeparation: true }));
        running = false;
        await loop;
        expect(code).toBe(2);
        const workload = report.findings.find((f) => f.check === "workload")!;
        expect(workload.status).toBe("unhealthy");
        expect(workload.detail).toBe(
            "the flag is 1, but the owner ran 1 statement(s) on classified tables during check: a code path still " +
                "connects with DATABASE_URL",
        );
        expect(workload.lines![0]).toMatch(/^SELECT id FROM users WHERE id = \$1 \(run \d+ time\(s\) during check\)$/);
    });

    it("could not check (exit 1) when the CLI cannot log in: under --json the error document", async () => {
        const { api } = await deployed();
        const io = recorder();
        const code = await checkIn(projectWith({ app: APP }), ["--stack", "staging", "--json"], io, {
            env: { ...api.env, PGSSLMODE: "disable", HEROKU_API_KEY: "wrong" },
            now: () => new Date(),
        });
        expectNoSecretIn(api, io.stdout, io.stderr);
        expect(code).toBe(1);
        const doc = JSON.parse(io.stdout) as { error: { code: string; message: string; fix: string } };
        expect(Object.keys(doc)).toEqual(["error"]);
        expect(doc.error.code).toBe("could-not-check");
        expect(doc.error.message).toMatch(/^the credential check could not run: .+ \(exit \d+\)/);
        expect(doc.error.message.endsWith(" (nor could grants, workload, url-var, flag, logs)")).toBe(true);
        expect(io.stderr).toBe(`raptor-roles check: ${doc.error.message}\nfix: ${doc.error.fix}\n`);
    });
});

describe("raptor-roles check input: the contract's error document, before any call", () => {
    const checkJson = async (dir: string, args: string[]) => {
        const io = recorder();
        const code = await checkIn(dir, [...args, "--json"], io, { env: { PATH: "" }, now: () => new Date() });
        return { code, io, doc: JSON.parse(io.stdout) as { error: { code: string; message: string; fix: string } } };
    };

    it("a bad --since is a usage error naming the value", async () => {
        const { code, doc, io } = await checkJson(os.tmpdir(), ["--stack", "staging", "--since", "yesterday"]);
        expect(code).toBe(1);
        expect(doc).toEqual({
            error: {
                code: "usage",
                message:
                    '--since "yesterday" is neither an ISO 8601 time (2026-12-02T10:00:00Z) nor a duration ' +
                    "(30m, 24h, 3d)",
                fix: "raptor-roles check --help",
            },
        });
        expect(io.stderr).toBe(`raptor-roles check: ${doc.error.message}\nfix: raptor-roles check --help\n`);
    });

    it("a missing --stack is a usage error with an example", async () => {
        const { code, doc } = await checkJson(os.tmpdir(), []);
        expect(code).toBe(1);
        expect(doc.error).toEqual({
            code: "usage",
            message: "--stack is required",
            fix: "e.g. raptor-roles check --stack staging",
        });
    });

    it("a bad raptor:logPatterns is a config error naming the stack file", async () => {
        const dir = projectWith({ app: APP, logPatterns: '["permission denied", "("]' });
        const { code, doc } = await checkJson(dir, ["--stack", "staging"]);
        expect(code).toBe(1);
        const file = path.join(dir, "Pulumi.staging.yaml");
        expect(doc.error).toEqual({
            code: "config",
            message: `raptor:logPatterns entry "(": Invalid regular expression: /(/i: Unterminated group (in ${file})`,
            fix: `correct raptor:logPatterns in ${file}`,
        });
    });

    it("a stack with no stack file is a stack-file error", async () => {
        const dir = projectWith({ app: APP });
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: raptor\n");
        const { code, doc } = await checkJson(dir, ["--stack", "nosuchstack"]);
        expect(code).toBe(1);
        expect(doc.error).toEqual({
            code: "stack-file",
            message: `no stack file ${path.join(dir, "Pulumi.nosuchstack.yaml")}; known stacks: staging`,
            fix: "use --stack staging",
        });
    });

    it("a directory that is no Pulumi project is a no-project error naming it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-not-a-project-"));
        const { code, doc } = await checkJson(dir, ["--stack", "staging"]);
        expect(code).toBe(1);
        expect(doc.error).toEqual({
            code: "no-project",
            message: `no Pulumi.yaml in ${dir}: raptor-roles acts on the Pulumi project in the directory it runs in`,
            fix: "cd to the project's checkout (where Pulumi.yaml is), or pass --cwd DIR",
        });
    });
});

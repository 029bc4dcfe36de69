/**
 * The stand-in Raptor app on the rig and a real PostgreSQL: which URL it connects with, the workload it
 * runs as raptor_app, and what a revoked grant looks like in its log and on /healthz.
 */
import { describe, expect, it } from "vitest";
import { APP, rig, usePostgres } from "../heroku-scenario";
import { FLAG_VAR } from "../../../core/settings";
import { HerokuApi } from "../heroku-api";
import { asOwner, deployRaptor } from "./deployed";
import { withClient } from "../pg-client";
import { credentialUrl } from "../heroku-api";

usePostgres();

const health = async (base: string) => (await fetch(`${base}/healthz`)).status;

async function until(ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
        if (Date.now() > deadline) {
            throw new Error("condition not met in time");
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

const appLines = (api: HerokuApi) =>
    api.logs
        .lines(api.model.app(APP)!)
        .filter((l) => l.source === "app")
        .map((l) => l.text);

function setFlag(api: HerokuApi, value: string): void {
    const app = api.model.app(APP)!;
    app.vars[FLAG_VAR] = value;
    api.model.release(app, `Set ${FLAG_VAR} config vars`);
}

describe("the stand-in Raptor app", { timeout: 300_000 }, () => {
    it("uses DATABASE_URL at 0 and raptor_app at 1; its log and /healthz follow a revoke", async () => {
        const { api, addon } = await rig();
        await deployRaptor(api, APP, addon);
        const app = api.model.app(APP)!;
        const base = await api.runApp(APP);
        expect(await health(base)).toBe(200);
        expect(appLines(api)).toContain("INFO:raptor.db:using DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=0)");

        setFlag(api, "1");
        await api.dynos.settled(app);
        expect(api.dynos.starts(app)).toBe(2);
        expect(appLines(api)).toContain(
            "INFO:raptor.db:using RAPTOR_APP_DATABASE_URL (FLAG_RAPTOR_APP_ROLE_SEPARATION=1)",
        );
        const owner = credentialUrl(addon, addon.credentials[0]);
        const sessions = () =>
            withClient({ connectionString: owner, ssl: false }, async (c) =>
                (
                    await c.query(
                        "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() " +
                            "AND pid <> pg_backend_pid()",
                    )
                ).rows.map((r) => r.usename as string),
            );
        expect(await sessions()).toEqual(["raptor_app"]);
        const events = async () =>
            withClient({ connectionString: owner, ssl: false }, async (c) =>
                Number((await c.query("SELECT count(*) AS n FROM customer_audit_events")).rows[0].n),
            );
        const before = await events();
        await until(async () => (await events()) > before);
        expect(await health(base)).toBe(200);

        await asOwner(addon, "REVOKE INSERT ON users FROM raptor_app");
        await until(async () => (await health(base)) === 503);
        expect(appLines(api)).toContain(
            "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.InsufficientPrivilege) " +
                "permission denied for table users",
        );
        expect(appLines(api)).toContain("ERROR:raptor.api:Exception on /api/users [POST]");

        await asOwner(addon, "GRANT INSERT ON users TO raptor_app");
        await until(async () => (await health(base)) === 200);
        const all = api.logs
            .lines(app)
            .map((l) => l.text)
            .join("\n");
        expect(all).not.toContain(addon.credentials[0].password);
        expect(all).not.toContain(api.credential(addon, "raptor_app")!.password);
    });
});

/**
 * The scenario's world, checked on its own (it needs no engine binary): what `pulumi up` would meet is a
 * Standard-0 add-on whose DATABASE_URL the real `heroku` CLI returns, a non-superuser owner of Raptor's
 * tables, and a server that accepts the provider's sslmode=require.
 */
import { spawn } from "node:child_process";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, Rig, TABLES, startRig } from "./rig";

function heroku(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve, reject) => {
        // Asynchronous: the local Heroku API answers from this process.
        const child = spawn("heroku", args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout }));
    });
}

describe("the engine scenario's rig", () => {
    let rig: Rig;
    beforeAll(async () => {
        rig = await startRig();
    });
    afterAll(() => rig?.stop());

    it.each(Object.values(APPS))("serves %s's DATABASE_URL to the real CLI, as the program reads it", async (app) => {
        const r = await heroku(rig.api.env, ["config:get", "DATABASE_URL", "-a", app]);
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).toBe(rig.api.config(app).DATABASE_URL);
    });

    it("connects over SSL as a non-superuser owner of Raptor's tables", async () => {
        const url = new URL(rig.api.config(APPS.staging).DATABASE_URL);
        url.searchParams.set("sslmode", "no-verify");
        const c = new Client({ connectionString: url.toString() });
        await c.connect();
        try {
            const me = (
                await c.query(
                    "SELECT rolsuper, ssl FROM pg_roles, pg_stat_ssl " +
                        "WHERE rolname = current_user AND pid = pg_backend_pid()",
                )
            ).rows[0];
            expect(me).toEqual({ rolsuper: false, ssl: true });
            const owned = await c.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
            );
            expect(owned.rows.map((r) => r.tablename).sort()).toEqual([...TABLES].sort());
        } finally {
            await c.end();
        }
    });
});

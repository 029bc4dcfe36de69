/**
 * What only the real providers show (issue 21), on staging with the flag on: a privilege revoked by hand is a diff
 * and the next `up` restores it; a table a migration dropped or renamed stops `preview` and `up` before any change
 * (the provider's refresh does not notice either), while the emergency stop still deploys; a rotated owner
 * password is read again by the next `up`; the owner URL's sslmode is followed; `destroy` leaves raptor_app with
 * nothing on any table and keeps the credential and role; and no password reaches state, output or logs.
 * Steps run in order and build on each other.
 */
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { APP_URL_VAR } from "../../core/settings";
import { probeTable } from "../support/probe";
import { withClient } from "../support/pg-client";
import { REPO, Workspace, requireEngine } from "./engine";
import { APPS, Rig, filesUnder, startRig } from "./rig";

const build = requireEngine();
const PACK = path.join(REPO, "policy");
const MUTATING = new Set(["POST", "PATCH", "PUT", "DELETE"]);
const STACK = "staging";
const DML = { SELECT: "ok", INSERT: "ok", UPDATE: "ok", DELETE: "ok" };

interface Step {
    readonly op: string;
    readonly urn: string;
    readonly diffReasons?: string[];
}

describe("the real command and postgresql providers on staging", () => {
    let rig: Rig;
    let ws: Workspace;
    const passwords = new Set<string>();
    const config = () => rig.api.config(APPS.staging);
    const remember = () => {
        for (const url of [config().DATABASE_URL, config()[APP_URL_VAR]]) {
            passwords.add(new URL(url).password);
        }
    };
    const owner = <T>(fn: (c: Client) => Promise<T>) => withClient({ connectionString: config().DATABASE_URL }, fn);
    const asApp = <T>(fn: (c: Client) => Promise<T>) => withClient({ connectionString: config()[APP_URL_VAR] }, fn);
    // --run-program, as the README runs every command: refresh with the provider config the program reads now.
    const gated = ["-s", STACK, "--policy-pack", PACK, "--run-program"];
    const up = () => ws.pulumi(["up", "--yes", ...gated]);
    const previewSteps = async (): Promise<Step[]> =>
        JSON.parse(await ws.ok(["preview", "--json", "--diff", ...gated])).steps as Step[];
    const changing = (steps: Step[]) => steps.filter((s) => !["same", "read", "refresh"].includes(s.op));
    const writesSince = (n: number) => rig.api.requests.slice(n).filter((r) => MUTATING.has(r.method));
    const grantsHeld = () =>
        owner(async (c) => {
            const sql = "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'raptor_app'";
            return Number((await c.query(sql)).rows[0].count);
        });

    beforeAll(async () => {
        rig = await startRig();
        ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
        await ws.ok(["login", `file://${ws.backend}`]);
        await ws.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
        await ws.ok(["config", "set", "raptor:roleSeparation", "true", "-s", STACK]);
    });
    afterAll(async () => {
        await rig?.stop();
        ws?.remove();
    });

    it("deploys staging with the flag on, and previews no change after", async () => {
        const r = await up();
        expect(r.code, r.stdout + r.stderr).toBe(0);
        remember();
        await asApp(async (c) => expect(await probeTable(c, "public", "users")).toMatchObject(DML));
        expect(changing(await previewSteps())).toEqual([]);
    });

    it("shows a privilege revoked by hand as a diff of that table's Grant, and the next up restores it", async () => {
        await owner((c) => c.query("REVOKE INSERT ON users FROM raptor_app"));
        const steps = changing(await previewSteps());
        expect(steps.map((s) => [s.op, s.urn.split("::").at(-1), s.diffReasons])).toEqual([
            ["update", "raptor-grants-table-users", ["privileges"]],
        ]);
        const r = await up();
        expect(r.code, r.stdout + r.stderr).toBe(0);
        await asApp(async (c) => expect(await probeTable(c, "public", "users")).toMatchObject(DML));
    });

    describe("after Heroku rotated the owner's password", () => {
        beforeAll(async () => {
            await rig.api.rotate(rig.addons.staging, "default", 0);
            remember();
        });

        it("fails a refresh from the stored provider config, hence PULUMI_RUN_PROGRAM", async () => {
            const r = await ws.pulumi(["preview", "-s", STACK, "--policy-pack", PACK]);
            expect(r.code).not.toBe(0);
            expect(r.stdout + r.stderr).toMatch(/password authentication failed for user/);
        });

        it("reads the new URL on the next up with --run-program, replacing no Grant", async () => {
            const steps = changing(await previewSteps());
            expect(steps.map((s) => [s.op, s.urn.split("::").at(-1)])).toEqual([["update", "raptor-grants-owner"]]);
            const r = await up();
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(changing(await previewSteps())).toEqual([]);
        });
    });

    describe("after a migration dropped one classified table and renamed another", () => {
        beforeAll(() =>
            owner((c) => c.query("DROP TABLE symbols; ALTER TABLE quebec_waitlist RENAME TO waitlist_quebec")),
        );
        afterAll(async () => {
            await owner((c) =>
                c.query(
                    "ALTER TABLE waitlist_quebec RENAME TO quebec_waitlist; " +
                        "CREATE TABLE symbols (id bigserial PRIMARY KEY, payload text); " +
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON symbols TO raptor_app",
                ),
            );
            await ws.ok(["config", "set", "raptor:roleSeparation", "true", "-s", STACK]);
        });

        const stopped = (out: string) => {
            // The renamed table's old name is missing too: three tables.
            expect(out).toContain("no longer matches the matrix in core/classification.ts (3 tables)");
            expect(out).toContain("- quebec_waitlist: classified, but not in the database");
            expect(out).toContain("- symbols: classified, but not in the database");
            expect(out).toContain("- waitlist_quebec: in no set, yet raptor_app holds SELECT, INSERT, UPDATE, DELETE");
        };

        it("stops preview, naming both tables and the fix", async () => {
            const r = await ws.pulumi(["preview", ...gated]);
            expect(r.code).not.toBe(0);
            stopped(r.stdout + r.stderr);
        });

        it("stops up before any change", async () => {
            const before = rig.api.requests.length;
            const r = await up();
            expect(r.code).not.toBe(0);
            stopped(r.stdout + r.stderr);
            expect(writesSince(before)).toEqual([]);
            await asApp(async (c) => expect(await probeTable(c, "public", "waitlist_quebec")).toMatchObject(DML));
        });

        it("lets the emergency stop (flag off) deploy, with the same findings as a warning", async () => {
            await ws.ok(["config", "set", "raptor:roleSeparation", "false", "-s", STACK]);
            const r = await up();
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(r.stdout + r.stderr).toContain("deploying anyway with the flag off");
            expect(config().FLAG_RAPTOR_APP_ROLE_SEPARATION).toBe("0");
        });
    });

    describe("on a server without SSL (a local PostgreSQL, which raptor:ownerDatabaseUrl is for)", () => {
        const setSsl = (on: boolean) =>
            withClient(
                {
                    host: "127.0.0.1",
                    port: rig.pg.port,
                    user: rig.pg.superuser,
                    password: rig.pg.password,
                    database: "postgres",
                },
                async (c) => {
                    await c.query(`ALTER SYSTEM SET ssl = ${on ? "on" : "off"}`);
                    await c.query("SELECT pg_reload_conf()");
                },
            );
        beforeAll(async () => {
            const url = `${config().DATABASE_URL}?sslmode=disable`;
            await ws.ok(["config", "set", "--secret", "raptor:ownerDatabaseUrl", url, "-s", STACK]);
            await setSsl(false);
        });
        afterAll(async () => {
            await setSsl(true);
            await ws.ok(["config", "rm", "raptor:ownerDatabaseUrl", "-s", STACK]);
        });

        it("follows the URL's sslmode=disable: the provider's config changes, and up succeeds", async () => {
            const steps = changing(await previewSteps());
            // The flag goes back to 1 too: the emergency stop above left it at 0 and its config at true again.
            expect(steps.map((s) => [s.op, s.urn.split("::").at(-1)])).toEqual([
                ["update", "raptor-grants-owner"],
                ["update", "raptor-flag-flag"],
            ]);
            const r = await up();
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(changing(await previewSteps())).toEqual([]);
        });
    });

    it("destroys: raptor_app holds nothing on any table, the credential and the role stay", async () => {
        const r = await ws.pulumi(["destroy", "--yes", "-s", STACK, "--run-program"]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(await grantsHeld()).toBe(0);
        await owner(async (c) => {
            for (const t of [...RAPTOR_CLASSIFICATION.application, ...RAPTOR_CLASSIFICATION.appendOnly]) {
                const q = "SELECT has_table_privilege('raptor_app', $1, 'SELECT,INSERT,UPDATE,DELETE') AS any";
                expect((await c.query(q, [`public.${t}`])).rows[0].any, t).toBe(false);
            }
            const roles = await c.query("SELECT count(*) FROM pg_roles WHERE rolname = 'raptor_app'");
            expect(Number(roles.rows[0].count)).toBe(1);
        });
        expect(rig.api.credential(rig.addons.staging, "raptor_app")?.state).toBe("active");
    });

    it("keeps every password, the rotated owner's old and new, out of state, output and logs", () => {
        expect(passwords.size).toBe(3);
        const runs = [];
        for (let i = 0; i < ws.transcript.length; i += 3) {
            runs.push({ file: ws.transcript[i], text: `${ws.transcript[i + 1]}\n${ws.transcript[i + 2]}` });
        }
        for (const { file, text } of [...filesUnder(ws.backend), ...filesUnder(path.join(ws.root, "home")), ...runs]) {
            for (const secret of passwords) {
                expect(text.includes(secret), `${file} holds a password`).toBe(false);
            }
        }
    });
});

/**
 * The three commands users run, through the real engine (issue 10): `pulumi preview`, `pulumi up -s staging`
 * and the policy-gated `pulumi up -s prod`, then rollback, destroy and the secrecy of state and logs. The
 * Heroku side is the real `heroku` CLI against the local Heroku API; the add-on's database is a real
 * PostgreSQL owned by a non-superuser. Steps run in order and build on each other.
 *
 * Staging is on Standard-0 and prod on Heroku Postgres Advanced (`data:pg:*`). Everything Pulumi is real: the
 * CLI, the 3.248 Node.js language host, and the command and postgresql providers, built by engine/build.sh from
 * their release sources. Fails, naming what is missing, if a binary was not built.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { APP_URL_VAR, FLAG_VAR } from "../../core/settings";
import { probeTable } from "../support/probe";
import { recorder } from "../support/io";
import { keyPath, publicKey } from "../support/ssh-keys";
import { signoffIn } from "../../cli/signoff";
import { REPO, Workspace, requireEngine } from "./engine";
import { APPS, Rig, filesUnder, startRig } from "./rig";

const build = requireEngine();
const PACK = path.join(REPO, "policy");
const MUTATING = new Set(["POST", "PATCH", "PUT", "DELETE"]);
const OPERATOR = "operator@raxx.app";

describe("the runbook through the real Pulumi engine", () => {
    let rig: Rig;
    let ws: Workspace;
    const packConfig = (soakHours: number): string => {
        const file = path.join(ws.root, `pack-config-${soakHours}.json`);
        const base = JSON.parse(fs.readFileSync(path.join(PACK, "config.json"), "utf8"));
        // The committed allowedSigners is empty (no sign-off passes until an operator adds their key): add the test's.
        const signers = { ...base["prod-signoff"], allowedSigners: [`${OPERATOR} ${publicKey("ed25519")}`] };
        fs.writeFileSync(file, JSON.stringify({ ...base, "prod-signoff": signers, "soak-before-prod": { soakHours } }));
        return file;
    };
    const gated = (stack: string, soakHours = 72) => [
        "-s",
        stack,
        "--policy-pack",
        PACK,
        "--policy-pack-config",
        packConfig(soakHours),
    ];
    const up = (stack: string, soakHours?: number, ...more: string[]) =>
        ws.pulumi(["up", "--yes", ...gated(stack, soakHours), ...more]);
    const setConfig = (stack: string, ...kv: string[]) => ws.ok(["config", "set", ...kv, "-s", stack]);
    const config = (stack: keyof typeof APPS) => rig.api.config(APPS[stack]);
    const asApp = async <T>(stack: keyof typeof APPS, fn: (c: Client) => Promise<T>): Promise<T> => {
        const c = new Client({ connectionString: config(stack)[APP_URL_VAR] });
        await c.connect();
        try {
            return await fn(c);
        } finally {
            await c.end();
        }
    };
    /** The whole matrix, probed as raptor_app with its own URL, the way the application connects. */
    const expectMatrix = (stack: keyof typeof APPS) =>
        asApp(stack, async (c) => {
            const ok = { SELECT: "ok", INSERT: "ok", UPDATE: "ok", DELETE: "ok" };
            for (const t of RAPTOR_CLASSIFICATION.application) {
                expect(await probeTable(c, "public", t), t).toMatchObject(ok);
            }
            for (const t of RAPTOR_CLASSIFICATION.appendOnly) {
                expect(await probeTable(c, "public", t), t).toMatchObject({
                    SELECT: "ok",
                    INSERT: "ok",
                    UPDATE: expect.stringContaining("permission denied"),
                    DELETE: expect.stringContaining("permission denied"),
                });
            }
            for (const t of RAPTOR_CLASSIFICATION.locked) {
                expect(Object.values(await probeTable(c, "public", t)), t).not.toContain("ok");
            }
        });
    /** Seen by the owner, who granted them: still readable once the app's URL variable is gone. */
    const asOwner = async (stack: keyof typeof APPS, sql: string): Promise<number> => {
        const c = new Client({ connectionString: config(stack).DATABASE_URL });
        await c.connect();
        try {
            return Number((await c.query(sql)).rows[0].count);
        } finally {
            await c.end();
        }
    };
    const appGrants = (stack: keyof typeof APPS) =>
        asOwner(stack, "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'raptor_app'");
    /** Passwords seen during the run, for the secrecy check at the end. */
    const passwords = new Set<string>();
    const remember = (url: string | undefined) => url && new URL(url).password && passwords.add(new URL(url).password);
    // POST /actions/addons/resolve only looks an add-on up (the data:pg:* commands resolve their argument with it).
    const writesSince = (n: number) =>
        rig.api.requests.slice(n).filter((r) => MUTATING.has(r.method) && r.path !== "/actions/addons/resolve");
    const verify = (stack: string) =>
        spawnSync(
            "node",
            [
                path.join(REPO, "bin/raptor-roles.js"),
                "verify",
                "--database-url-env",
                "DATABASE_URL",
                "--stack",
                stack,
                "--json",
            ],
            {
                cwd: ws.project,
                env: { ...process.env, DATABASE_URL: config(stack as keyof typeof APPS).DATABASE_URL },
                encoding: "utf8",
            },
        );

    beforeAll(async () => {
        // Prod on Heroku Postgres Advanced (the CLI's fixtures' plan name): its credential, owner URL and
        // attachment go through data:pg:*, the grants and the gate are the same.
        rig = await startRig({ prod: "heroku-postgresql:advanced" });
        ws = new Workspace(build.binDir, { program: true, env: rig.api.env });
        await ws.ok(["login", `file://${ws.backend}`]);
        for (const stack of ["staging", "prod"]) {
            await ws.ok(["stack", "init", stack, "--secrets-provider", "passphrase"]);
        }
        // The operator's key is listed in policy/config.json, as docs/operating.md's "Adding or revoking an operator"
        // has it: `raptor-roles signoff` refuses a key the gate would refuse.
        fs.mkdirSync(path.join(ws.project, "policy"));
        fs.copyFileSync(packConfig(72), path.join(ws.project, "policy", "config.json"));
    });
    afterAll(async () => {
        await rig?.stop();
        ws?.remove();
    });

    it("previews staging with the pack", async () => {
        const r = await ws.pulumi(["preview", ...gated("staging")]);
        expect(r.stderr + r.stdout).not.toMatch(/mandatory|error:/);
        expect(r.code).toBe(0);
        expect(writesSince(0)).toEqual([]);
    });

    it("deploys staging with the flag at 0: active credential, URL delivered, grants applied", async () => {
        // At the default verbosity: -v=9 makes the engine log every RPC payload with %v, secrets included
        // (sdk/go/common/resource/plugin/rpc.go "Unmarshaling property for RPC"; PropertyValue.String does not
        // redact), so no program's passwords stay out of a -v=9 log; the secrecy check below reads what users see.
        const r = await up("staging");
        expect(r.code, r.stderr).toBe(0);
        expect(rig.api.credential(rig.addons.staging, "raptor_app")?.state).toBe("active");
        expect(config("staging")[FLAG_VAR]).toBe("0");
        remember(config("staging").DATABASE_URL);
        remember(config("staging")[APP_URL_VAR]);
        expect(await asApp("staging", async (c) => (await c.query("SELECT current_user AS u")).rows[0].u)).toBe(
            "raptor_app",
        );
        const v = verify("staging");
        expect(v.status, v.stderr).toBe(0);
        expect(JSON.parse(v.stdout)).toMatchObject({ clean: true, drifts: [] });
    });

    it("holds the matrix as raptor_app: DML, INSERT/SELECT only on append-only, nothing on migrations", () =>
        expectMatrix("staging"));

    it("turns the flag on: the config var is 1 and roleSeparationEnabledAt is exported", async () => {
        await setConfig("staging", "raptor:roleSeparation", "true");
        expect((await up("staging")).code).toBe(0);
        expect(config("staging")[FLAG_VAR]).toBe("1");
        const at = JSON.parse(await ws.ok(["stack", "output", "roleSeparationEnabledAt", "--json", "-s", "staging"]));
        expect(Date.now() - Date.parse(at)).toBeLessThan(15 * 60_000);
    });

    it("removes an out-of-band GRANT UPDATE on an audit table on the next up, then has no changes", async () => {
        const owner = new Client({ connectionString: config("staging").DATABASE_URL });
        await owner.connect();
        await owner.query("GRANT UPDATE ON customer_audit_events TO raptor_app");
        await owner.end();
        expect((await up("staging")).code).toBe(0);
        expect((await asApp("staging", (c) => probeTable(c, "public", "customer_audit_events"))).UPDATE).toMatch(
            /permission denied/,
        );
        expect((await ws.pulumi(["preview", "--expect-no-changes", ...gated("staging")])).code).toBe(0);
    });

    describe("prod, with staging read through a real StackReference", () => {
        let required = "";
        /** The operator's sign-off as docs/operating.md has it made: `raptor-roles signoff`, with a real SSH key. */
        const signoff = async (): Promise<string> => {
            const io = recorder();
            const args = ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519"), "--operator", OPERATOR];
            expect(await signoffIn(ws.project, args, io), io.stderr).toBe(0);
            return /fingerprint[^\n]*?(sha256:[0-9a-f]{64})/.exec(io.stdout)?.[1] ?? "";
        };
        /** A signed sign-off whose fingerprint is then changed by hand. */
        const tampered = async (fingerprint: string) => {
            await signoff();
            await setConfig("prod", "--path", "raptor:signoff.fingerprint", fingerprint);
        };
        const blocked = async (soakHours: number, policy: RegExp, ...more: string[]) => {
            const before = rig.api.requests.length;
            const r = await up("prod", soakHours, ...more);
            expect(r.code).not.toBe(0);
            expect(r.stdout + r.stderr).toMatch(policy);
            expect(writesSince(before)).toEqual([]);
            expect(rig.api.credential(rig.addons.prod, "raptor_app")).toBeUndefined();
            return r.stdout + r.stderr;
        };

        beforeAll(() => setConfig("prod", "raptor:roleSeparation", "true"));

        it("blocks without a sign-off", async () => {
            const out = await blocked(0, /prod-signoff[\s\S]*mandatory|mandatory[\s\S]*prod-signoff/);
            required = /sha256:[0-9a-f]{64}/.exec(out)?.[0] ?? "";
            expect(required).not.toBe("");
        });

        it("blocks a sign-off with a wrong fingerprint", async () => {
            await tampered(`sha256:${"0".repeat(64)}`);
            await blocked(0, /prod-signoff/);
        });

        it("blocks a valid sign-off while staging's soak is too short", async () => {
            expect(await signoff()).toBe(required);
            await blocked(72, /soak-before-prod/);
        });

        it("blocks a bad sign-off with --skip-preview before any write", async () => {
            await tampered(`sha256:${"1".repeat(64)}`);
            await blocked(0, /prod-signoff/, "--skip-preview");
            expect(await appGrants("prod")).toBe(0);
        });

        it("passes and applies with a valid sign-off", async () => {
            expect(await signoff()).toBe(required);
            const r = await up("prod", 0);
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(config("prod")[FLAG_VAR]).toBe("1");
            await expectMatrix("prod");
            remember(config("prod").DATABASE_URL);
            remember(config("prod")[APP_URL_VAR]);
        });

        it("lets the emergency stop (flag false) through without a new sign-off", async () => {
            await setConfig("prod", "raptor:roleSeparation", "false");
            const r = await up("prod", 0);
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(config("prod")[FLAG_VAR]).toBe("0");
        });
    });

    it("rolls staging back with exactly one resource changing", async () => {
        await setConfig("staging", "raptor:roleSeparation", "false");
        const preview = JSON.parse(await ws.ok(["preview", "--json", "--diff", ...gated("staging")]));
        const changing = (preview.steps as { op: string; urn: string }[]).filter(
            (s) => !["same", "read", "refresh"].includes(s.op),
        );
        expect(new Set(changing.map((s) => s.urn)).size).toBe(1);
        expect(changing[0].urn).toMatch(/raptor-flag/);
    });

    it("destroys staging's grants and keeps the credential and role", async () => {
        // `pulumi destroy` takes no --policy-pack (the real CLI: "unknown flag: --policy-pack").
        const r = await ws.pulumi(["destroy", "--yes", "-s", "staging"]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(await appGrants("staging")).toBe(0);
        expect(rig.api.credential(rig.addons.staging, "raptor_app")?.state).toBe("active");
        expect(await asOwner("staging", "SELECT count(*) FROM pg_roles WHERE rolname = 'raptor_app'")).toBe(1);
    });

    it("keeps both passwords out of the state files and the engine's logs", () => {
        const secrets = [...passwords];
        expect(secrets.length).toBe(3); // both owners and raptor_app (one role, shared by the rig's two add-ons)
        // The transcript holds [command, stdout, stderr] per run: name the run that leaked, and where (redacted).
        const runs = [];
        for (let i = 0; i < ws.transcript.length; i += 3) {
            runs.push({
                file: `the output of ${ws.transcript[i]}`,
                text: `${ws.transcript[i + 1]}\n${ws.transcript[i + 2]}`,
            });
        }
        for (const { file, text } of [...filesUnder(ws.backend), ...filesUnder(path.join(ws.root, "home")), ...runs]) {
            for (const secret of secrets) {
                const at = text.indexOf(secret);
                const near =
                    at < 0
                        ? ""
                        : text
                              .slice(Math.max(0, at - 160), at + secret.length + 40)
                              .split(secret)
                              .join("<password>");
                expect(at < 0, `${file} holds a password: ...${near}...`).toBe(true);
            }
        }
    });
});

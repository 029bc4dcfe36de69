/**
 * `raptor-roles soak` end to end: the real check (heroku CLI, rig, real PostgreSQL, the stand-in app at
 * flag 1), marks signed by the real ssh-keygen into Pulumi.prod.yaml, and prod's soak-before-prod policy
 * reading that file as the engine hands it over (JSON text). Time is injected: staging's enable time is
 * 73 h before the wall clock, and each mark is dated at its hour of the soak.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { soakIn } from "../../cli/soak";
import { runPolicies } from "../../offline/evaluate";
import { readStackFile } from "../../offline/stack-file";
import { soakBeforeProd } from "../../policy/policies";
import { FLAG_VAR } from "../../core/settings";
import { APP, rig, usePostgres } from "../support/heroku-scenario";
import { HerokuApi } from "../support/heroku-api";
import { asOwner, deployRaptor } from "../support/raptor-app/deployed";
import { Recorded } from "../support/mocks";
import { PROD_CONFIG, declared } from "../support/policy-harness";
import { SOAK_SIGNER, markSignerLine } from "../support/soak-evidence";
import { keyPath } from "../support/ssh-keys";
import { recorder } from "../support/io";

usePostgres();

const HOUR = 3600 * 1000;
const REAL_NOW = new Date();
const ENABLED = new Date(REAL_NOW.getTime() - 73 * HOUR).toISOString();
const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
let prodOn: Recorded[];
let prodOnOutputs: Record<string, unknown>;

beforeAll(async () => {
    ({ resources: prodOn, outputs: prodOnOutputs } = await declared({
        stack: "prod",
        config: FLAG_ON,
        soakOutputs: { roleSeparationEnabledAt: ENABLED },
    }));
});

function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-soak-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.staging.yaml"),
        `config:\n  raptor:app: ${APP}\n  raptor:roleSeparation: true\n`,
    );
    fs.writeFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        "config:\n  raptor:app: raxx-api-prod\n  # the soak gate reads staging through this\n" +
            "  raptor:soakStack: organization/raptor/staging\n",
    );
    return dir;
}

/** Staging deployed, the flag at 1, the stand-in app running as raptor_app. */
async function soaking(): Promise<{ api: HerokuApi; dir: string; revoke: (sql: string) => Promise<void> }> {
    const { api, addon } = await rig();
    await deployRaptor(api, APP, addon);
    await api.runApp(APP);
    const app = api.model.app(APP)!;
    app.vars[FLAG_VAR] = "1";
    api.model.release(app, `Set ${FLAG_VAR} config vars`);
    await api.dynos.settled(app);
    return { api, dir: project(), revoke: (sql) => asOwner(addon, sql) };
}

async function mark(api: HerokuApi, dir: string, hours: number) {
    const io = recorder();
    const code = await soakIn(dir, ["--stack", "staging", "--key", keyPath("ed25519"), "--signer", SOAK_SIGNER], io, {
        env: { ...api.env, PGSSLMODE: "disable" },
        now: () => new Date(Date.parse(ENABLED) + hours * HOUR),
        enabledAt: async () => ENABLED,
    });
    return { code, io };
}

/** prod's gate over the evidence soak wrote, as the engine passes it (JSON text). */
async function gate(dir: string): Promise<string[]> {
    const evidence = readStackFile("prod", dir).raw["soakEvidence"];
    const vs = await runPolicies((c) => [soakBeforeProd(c)], prodOn, {
        stack: "prod",
        stackConfig: { ...FLAG_ON, soakEvidence: evidence },
        stackOutputs: prodOnOutputs,
        now: REAL_NOW,
        policyConfig: { "soak-before-prod": { markSigners: [markSignerLine()] } },
    });
    return vs.map((v) => v.message);
}

describe.concurrent("raptor-roles soak", { timeout: 600_000 }, () => {
    it("three clean marks over 72 h let prod pass", async () => {
        const { api, dir } = await soaking();
        for (const h of [25, 49, 72.9]) {
            const { code, io } = await mark(api, dir, h);
            expect(code, io.stdout + io.stderr).toBe(0);
            expect(io.stdout).toContain("Recorded a healthy soak mark");
        }
        const marks = JSON.parse(readStackFile("prod", dir).raw["soakEvidence"]).marks as { since: string }[];
        expect(marks.map((m) => m.since)).toEqual([
            ENABLED.replace(/\.\d{3}Z$/, "Z"),
            new Date(Date.parse(ENABLED) + 25 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z"),
            new Date(Date.parse(ENABLED) + 49 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z"),
        ]);
        expect(await gate(dir)).toEqual([]);
    });

    it("a drift during the soak records an unhealthy mark, and prod is blocked with that reason", async () => {
        const { api, dir, revoke } = await soaking();
        expect((await mark(api, dir, 25)).code).toBe(0);
        await revoke("REVOKE INSERT ON customer_audit_events FROM raptor_app");
        const app = api.model.app(APP)!;
        const deadline = Date.now() + 60_000;
        while (!api.logs.lines(app).some((l) => l.text.includes("permission denied")) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 200));
        }
        const sick = await mark(api, dir, 30);
        expect(sick.code).toBe(2);
        expect(sick.io.stdout).toContain("Recorded an UNHEALTHY soak mark");
        expect((await mark(api, dir, 49)).code).toBe(2);
        const at30 = new Date(Date.parse(ENABLED) + 30 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
        expect(await gate(dir)).toEqual([
            `Prod turns the flag on but staging was unhealthy during the soak: the mark at ${at30} found ` +
                "grants:unhealthy, logs:unhealthy. Fix the cause (`raptor-roles check --stack " +
                "staging` names it), then restart the soak: turn staging's flag off and on again " +
                "(`raptor-roles cutover --stack staging`), which moves its enable time.",
        ]);
    });
});

describe("raptor-roles soak input: the contract's error document, before any call", () => {
    const soakJson = async (args: string[]) => {
        const io = recorder();
        const code = await soakIn(os.tmpdir(), [...args, "--json"], io, {
            env: { PATH: "" },
            now: () => new Date(),
            enabledAt: () => Promise.reject(new Error("the enable time must not be read")),
        });
        return { code, error: (JSON.parse(io.stdout) as { error: Record<string, string> }).error };
    };
    const example = "e.g. raptor-roles soak --stack staging --key ~/.ssh/soak --signer soak-bot@raxx.app";

    it("a missing --signer is a usage error with an example", async () => {
        const { code, error } = await soakJson(["--stack", "staging", "--key", keyPath("ed25519")]);
        expect(code).toBe(1);
        expect(error).toEqual({ code: "usage", message: "--stack, --key and --signer are required", fix: example });
    });

    it("a --key that does not exist is a usage error naming it", async () => {
        const key = path.join(os.tmpdir(), "no-such-soak-key");
        const { code, error } = await soakJson(["--stack", "staging", "--key", key, "--signer", SOAK_SIGNER]);
        expect(code).toBe(1);
        expect(error).toEqual({ code: "usage", message: `--key ${key}: no such file`, fix: example });
    });
});

/**
 * raptor-roles plan and sql: the offline review a newcomer runs with
 * `npm start`, and the break-glass script.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { plan, planDocument } from "../../cli/plan";
import { signoffIn } from "../../cli/signoff";
import { sql } from "../../cli/sql";
import { recorder } from "../support/io";
import { keyPath, publicKey } from "../support/ssh-keys";
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { PLACEHOLDER } from "../../offline/stack-file";
import { APP_PASSWORD, OWNER_PASSWORD } from "../../offline/run-program";

const ROOT = path.resolve(__dirname, "..", "..");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A project dir with the real policy config and a stack file of our own. */
function projectWith(stack: string, yaml: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-plan-"));
    dirs.push(d);
    fs.mkdirSync(path.join(d, "policy"));
    fs.copyFileSync(path.join(ROOT, "policy", "config.json"), path.join(d, "policy", "config.json"));
    fs.writeFileSync(path.join(d, `Pulumi.${stack}.yaml`), yaml);
    return d;
}

describe("plan for staging (npm start)", () => {
    it("names all 40 tables by set, no violation, the fingerprint and what was not checked live; exit 0", async () => {
        const io = recorder();
        expect(await plan(["--stack", "staging"], io)).toBe(0);
        expect(io.stdout).toContain("raptor plan for stack staging (app raxx-api-staging)");
        expect(io.stdout).toContain("Privilege matrix for the app role (40 tables):");
        expect(io.stdout).toContain("  locked (2): nothing on alembic_version, schema_migrations\n");
        expect(io.stdout).toContain("  appendOnly (11): SELECT, INSERT on audit_archival_runs, audit_integrity_log,");
        expect(io.stdout).toContain("  application (27): SELECT, INSERT, UPDATE, DELETE on audit_log, backup_codes,");
        expect(io.stdout).toContain("Policy verdicts: no violations");
        expect(io.stdout).toMatch(/Sign-off fingerprint: sha256:[0-9a-f]{64}/);
        expect(io.stdout).toContain(
            "  - add-on postgresql-adjacent-27271[stand-in] on plan heroku-postgresql:standard-0: stand-ins",
        );
        expect(io.stdout).toContain("Result: OK (no mandatory violation)");
    });

    it("--matrix prints one row per table", async () => {
        const io = recorder();
        expect(await plan(["--stack", "staging", "--matrix"], io)).toBe(0);
        expect(io.stdout).toMatch(/customer_audit_events\s+appendOnly\s+yes\s+yes\s+-\s+-\s+-/);
        expect(io.stdout).toMatch(/historical_bars\s+application\s+yes\s+yes\s+yes\s+yes\s+-/);
        expect(io.stdout).toMatch(/schema_migrations\s+locked\s+-\s+-\s+-\s+-\s+-/);
    });

    it("prints no resource inputs unless --inputs, which marks the stand-in add-on in each Heroku call", async () => {
        const short = recorder();
        expect(await plan(["--stack", "staging"], short)).toBe(0);
        expect(short.stdout).not.toContain("heroku pg:credentials:create");
        const long = recorder();
        expect(await plan(["--stack", "staging", "--inputs"], long)).toBe(0);
        const calls = long.stdout.split("\n").filter((l) => l.includes("postgresql-adjacent-27271"));
        expect(calls.length).toBeGreaterThan(0);
        expect(calls.filter((l) => !l.includes("postgresql-adjacent-27271[stand-in]"))).toEqual([]);
        expect(long.stdout).toContain(
            "heroku pg:credentials:create postgresql-adjacent-27271[stand-in] --name raptor_app -a raxx-api-staging",
        );
    });

    it("--json is a stable document with resources, matrix, violations and fingerprint", async () => {
        const io = recorder();
        expect(await plan(["--stack", "staging", "--json"], io)).toBe(0);
        const doc = JSON.parse(io.stdout);
        expect(Object.keys(doc).sort()).toEqual([
            "app",
            "fingerprint",
            "matrix",
            "notCheckedLive",
            "resources",
            "stack",
            "standIns",
            "violations",
        ]);
        expect(doc.standIns).toEqual(["postgresql-adjacent-27271", "6a1b2c3d-0000-4000-8000-000000027271"]);
        expect(doc.resources).toHaveLength(52);
        expect(doc.matrix).toHaveLength(40);
        expect(doc.matrix.find((m: { table: string }) => m.table === "dsr_log")).toEqual({
            table: "dsr_log",
            set: "appendOnly",
            privileges: ["SELECT", "INSERT"],
        });
        expect(doc.violations).toEqual([]);
        expect(doc.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
});

describe("plan for prod", () => {
    it("is blocked without a sign-off, one verdict for all 47 resources, as expected; exit 2", async () => {
        const io = recorder();
        expect(await plan(["--stack", "prod"], io)).toBe(2);
        expect(io.stdout).toContain("Policy verdicts: 47 violation(s), 1 distinct\n");
        expect(io.stdout).toContain(
            "  [mandatory] prod-signoff, on 47 resources (raptor-credential-raptor_app, " +
                "raptor-grants-schema-public,\n    raptor-grants-table-alembic_version and 44 more): " +
                "Prod (stack prod) has no sign-off: stack config raptor:signoff is\n",
        );
        expect(io.stdout).toContain(
            "Result: BLOCKED: expected before sign-off; next: raptor-roles signoff --stack prod --ticket <ticket> " +
                "--key <your key>\n",
        );
    });

    // Measured 2026-12-02: 40 lines. A 40-row terminal at 120 columns shows it whole.
    it("before sign-off fits one screen: at most 40 lines, none over 120 columns", async () => {
        const io = recorder();
        await plan(["--stack", "prod"], io);
        const lines = io.stdout.trimEnd().split("\n");
        expect(lines.length).toBeLessThanOrEqual(40);
        expect(lines.filter((l) => l.length > 120)).toEqual([]);
    });

    it("passes with the operator's signed sign-off of the plan's own fingerprint", async () => {
        const unsigned = await planDocument({ stack: "prod" });
        const d = projectWith(
            "prod",
            "config:\n  raptor:app: raxx-api-prod\n  raptor:soakStack: organization/raptor/staging\n",
        );
        const file = path.join(d, "policy", "config.json");
        const config = JSON.parse(fs.readFileSync(file, "utf8"));
        config["prod-signoff"].allowedSigners = [`operator@raxx.app ${publicKey("ed25519")}`];
        fs.writeFileSync(file, JSON.stringify(config));
        expect(
            await signoffIn(d, ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519")], recorder()),
        ).toBe(0);
        const doc = await planDocument({ stack: "prod", dir: d });
        expect(doc.fingerprint).toBe(unsigned.fingerprint);
        expect(doc.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    });

    it("turning the flag on without soak evidence is blocked", async () => {
        const d = projectWith(
            "prod",
            "config:\n  raptor:app: raxx-api-prod\n  raptor:soakStack: organization/raptor/staging\n  " +
                "raptor:roleSeparation: true\n",
        );
        const doc = await planDocument({ stack: "prod", dir: d });
        expect(doc.violations.map((v) => v.policy)).toContain("soak-before-prod");
    });
});

describe("plan's stand-ins and errors", () => {
    it("shows the tier read, credential, URL delivery and flag with no password, even in config-var mode", async () => {
        const d = projectWith("staging", "config:\n  raptor:app: raxx-api-staging\n  raptor:urlDelivery: config-var\n");
        const doc = await planDocument({ stack: "staging", dir: d });
        const names = doc.resources.map((r) => r.name);
        for (const n of [
            "raptor-addon",
            "raptor-credential-raptor_app",
            "raptor-url-credential-url",
            "raptor-url-config-var",
            "raptor-flag-flag",
        ]) {
            expect(names).toContain(n);
        }
        const text = JSON.stringify(doc);
        expect(text).not.toContain(APP_PASSWORD);
        expect(text).not.toContain(OWNER_PASSWORD);
    });

    it("replaces secure values with a marked placeholder and says so", async () => {
        const d = projectWith(
            "staging",
            "config:\n  raptor:app: raxx-api-staging\n  raptor:ownerDatabaseUrl:\n    secure: v1:abc\n",
        );
        const doc = await planDocument({ stack: "staging", dir: d });
        expect(doc.notCheckedLive).toContain(`raptor:ownerDatabaseUrl: secure value, replaced by ${PLACEHOLDER}`);
        expect(doc.error).toBeUndefined();
    });

    it("an Essential plan stand-in is the program's refusal: a CliError, nothing printed as a plan", async () => {
        const io = recorder();
        const run = plan(["--stack", "staging", "--addon-plan", "heroku-postgresql:essential-0"], io);
        await expect(run).rejects.toThrow("the program stops before declaring resources for stack staging");
        await expect(run).rejects.toThrow("`heroku addons:upgrade` cannot leave the Essential tier");
        expect(io.stdout).toBe("");
    });

    it("a bad config value is reported with key, value and fix", async () => {
        const d = projectWith("staging", "config:\n  raptor:app: raxx-api-staging\n  raptor:urlDelivery: env-var\n");
        const doc = await planDocument({ stack: "staging", dir: d });
        expect(doc.error).toContain(`raptor:urlDelivery = "env-var": use one of attachment or config-var`);
    });

    it("an unknown stack names the known ones", async () => {
        await expect(planDocument({ stack: "qa" })).rejects.toThrow(
            /no stack file .*Pulumi\.qa\.yaml; known stacks: prod, staging/,
        );
    });

    it("refuses a soak time that is not ISO 8601", async () => {
        await expect(plan(["--stack", "prod", "--staging-enabled-at", "last tuesday"], recorder())).rejects.toThrow(
            /is not an ISO 8601 time/,
        );
    });
});

describe("sql", () => {
    it("prints the stack's re-apply script from the shared plan", async () => {
        const io = recorder();
        expect(await sql(["--stack", "staging"], io)).toBe(0);
        expect(io.stdout).toBe(
            renderSql(buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" })),
        );
    });

    it("requires --stack", async () => {
        await expect(sql([], recorder())).rejects.toThrow("--stack is required");
    });
});

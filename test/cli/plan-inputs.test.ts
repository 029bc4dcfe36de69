/**
 * plan shows what will run: each resource's inputs, a command's Heroku calls
 * with its environment, the flag's value, each grant's privileges; secrets as
 * [secret]; --json carries the same.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { planDocument, renderPlan } from "../../cli/plan";
import { ResourceView } from "../../cli/plan-inputs";
import { herokuCalls } from "../../core/heroku-calls";
import { CREDENTIAL_URL_READ, FLAG_SET } from "../../core/heroku-scripts";
import { APP_PASSWORD, OWNER_PASSWORD } from "../../offline/run-program";

const ROOT = path.resolve(__dirname, "..", "..");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function projectWith(stack: string, yaml: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-inputs-"));
    dirs.push(d);
    fs.mkdirSync(path.join(d, "policy"));
    fs.copyFileSync(path.join(ROOT, "policy", "config.json"), path.join(d, "policy", "config.json"));
    fs.writeFileSync(path.join(d, `Pulumi.${stack}.yaml`), yaml);
    return d;
}

const byName = (resources: ResourceView[], name: string) => resources.find((r) => r.name === name) as ResourceView;

describe("plan --json inputs (staging)", () => {
    it("the credential command's Heroku calls, with its environment filled in", async () => {
        const doc = await planDocument({ stack: "staging" });
        expect(byName(doc.resources, "raptor-credential-raptor_app").herokuCalls).toEqual({
            create: [
                // The add-on's own name, not the attachment: the pg commands resolve it app-free (issue 8).
                "heroku pg:credentials postgresql-adjacent-27271 -a raxx-api-staging",
                "heroku pg:credentials:create postgresql-adjacent-27271 --name raptor_app -a raxx-api-staging",
            ],
            update: [
                // The add-on's own name, not the attachment: the pg commands resolve it app-free (issue 8).
                "heroku pg:credentials postgresql-adjacent-27271 -a raxx-api-staging",
                "heroku pg:credentials:create postgresql-adjacent-27271 --name raptor_app -a raxx-api-staging",
            ],
            delete: [],
        });
    });

    it("each grant's privileges, and an empty list on a locked table", async () => {
        const doc = await planDocument({ stack: "staging" });
        expect(byName(doc.resources, "raptor-grants-table-dsr_log").inputs).toMatchObject({
            objectType: "table",
            objects: ["dsr_log"],
            privileges: ["SELECT", "INSERT"],
            role: "raptor_app",
            schema: "public",
        });
        expect(byName(doc.resources, "raptor-grants-table-schema_migrations").inputs["privileges"]).toEqual([]);
    });

    it("the provider's connection inputs from the owner URL are [secret]", async () => {
        const doc = await planDocument({ stack: "staging" });
        expect(byName(doc.resources, "raptor-grants-owner").inputs).toMatchObject({
            host: "[secret]",
            password: "[secret]",
            username: "[secret]",
            sslmode: "require",
            superuser: "false",
        });
    });
});

describe("the flag's value", () => {
    it("roleSeparation true sets FLAG_RAPTOR_APP_ROLE_SEPARATION=1, shown whole in the text", async () => {
        const dir = projectWith("staging", "config:\n  raptor:app: raxx-api-staging\n  raptor:roleSeparation: true\n");
        const text = renderPlan(await planDocument({ stack: "staging", dir }), { inputs: true });
        expect(text).toContain(
            [
                "  command:local:Command                                raptor-flag-flag",
                "      create: heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a raxx-api-staging",
                "      delete: heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0 -a raxx-api-staging",
                "      environment: APP=raxx-api-staging FLAG_NAME=FLAG_RAPTOR_APP_ROLE_SEPARATION FLAG_VALUE=1 " +
                    "RAPTOR_STEP=flag",
                "      interpreter: /bin/bash, -c",
                "      logging: stdoutAndStderr",
                "      update: heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a raxx-api-staging",
                "",
            ].join("\n"),
        );
    });
});

describe("secrets (config-var delivery carries the app's URL)", () => {
    const configVar = () =>
        projectWith("staging", "config:\n  raptor:app: raxx-api-staging\n  raptor:urlDelivery: config-var\n");

    it("the URL is [secret] in the environment and in the config:set call", async () => {
        const doc = await planDocument({ stack: "staging", dir: configVar() });
        const set = byName(doc.resources, "raptor-url-config-var");
        expect((set.inputs["environment"] as Record<string, string>)["VAR_VALUE"]).toBe("[secret]");
        expect(set.herokuCalls?.create).toContain(
            "heroku config:set RAPTOR_APP_DATABASE_URL=[secret] -a raxx-api-staging",
        );
    });

    it("no password reaches the JSON or the text", async () => {
        const doc = await planDocument({ stack: "staging", dir: configVar() });
        for (const out of [JSON.stringify(doc), renderPlan(doc, { inputs: true })]) {
            expect(out).not.toContain(APP_PASSWORD);
            expect(out).not.toContain(OWNER_PASSWORD);
        }
    });
});

describe("herokuCalls reads the scripts as bash runs them", () => {
    it("calls in functions the script never uses are not listed", () => {
        // The prelude defines attachment_status (heroku addons); reading the URL never calls it.
        expect(herokuCalls(CREDENTIAL_URL_READ, { APP: "a", ADDON_NAME: "postgresql-x", ROLE: "r" })).toEqual([
            "heroku pg:credentials:url postgresql-x --name r -a a",
        ]);
    });

    it("a message that mentions heroku is not a call, and an unset variable stays as written", () => {
        expect(
            herokuCalls('echo "raptor: heroku config:set $X failed" >&2\nretry heroku config:get "$X" -a "$APP"\n', {
                APP: "a",
            }),
        ).toEqual(["heroku config:get $X -a a"]);
    });

    it("FLAG_SET's one call", () => {
        expect(herokuCalls(FLAG_SET, { APP: "a", FLAG_NAME: "F", FLAG_VALUE: "0" })).toEqual([
            "heroku config:set F=0 -a a",
        ]);
    });
});

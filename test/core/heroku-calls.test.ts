/**
 * What `raptor-roles plan --stack prod --addon-plan heroku-postgresql:advanced` shows an operator: the data:pg
 * calls of the Advanced scripts (heroku 11.10 dist/commands/data/pg/), with the environment filled in, and the
 * classic calls on a Standard plan.
 */
import { describe, expect, it } from "vitest";
import { planDocument } from "../../cli/plan";
import { ResourceView } from "../../cli/plan-inputs";

const calls = async (addonPlan: string, name: string) => {
    const doc = await planDocument({ stack: "prod", addonPlan });
    return (doc.resources.find((r) => r.name === name) as ResourceView).herokuCalls;
};

describe("plan --addon-plan heroku-postgresql:advanced", () => {
    it("shows data:pg:credentials:create after data:pg:credentials, on the add-on's own name", async () => {
        expect((await calls("heroku-postgresql:advanced", "raptor-credential-raptor_app"))?.create).toEqual([
            "heroku data:pg:credentials postgresql-adjacent-27271 -a raxx-api-prod",
            "heroku data:pg:credentials:create postgresql-adjacent-27271 --name raptor_app -a raxx-api-prod",
        ]);
    });

    it("shows the pool check, then data:pg:attachments:create with every flag its prompts would ask for", async () => {
        const att = await calls("heroku-postgresql:advanced", "raptor-url-attachment");
        expect(att?.create?.slice(0, 3)).toEqual([
            "heroku data:pg:info postgresql-adjacent-27271 -a raxx-api-prod",
            "heroku addons --app raxx-api-prod --json",
            "heroku data:pg:attachments:create postgresql-adjacent-27271 --credential raptor_app --as " +
                "RAPTOR_APP_DATABASE --pool leader -a raxx-api-prod --confirm raxx-api-prod",
        ]);
        expect(att?.delete).toEqual([
            "heroku addons --app raxx-api-prod --json",
            "heroku addons:detach RAPTOR_APP_DATABASE -a raxx-api-prod",
        ]);
    });

    it("keeps pg:credentials:create and addons:attach on standard-0", async () => {
        expect((await calls("heroku-postgresql:standard-0", "raptor-credential-raptor_app"))?.create).toEqual([
            "heroku pg:credentials postgresql-adjacent-27271 -a raxx-api-prod",
            "heroku pg:credentials:create postgresql-adjacent-27271 --name raptor_app -a raxx-api-prod",
        ]);
        expect((await calls("heroku-postgresql:standard-0", "raptor-url-attachment"))?.create?.[1]).toBe(
            "heroku addons:attach postgresql-adjacent-27271 --credential raptor_app --as RAPTOR_APP_DATABASE " +
                "-a raxx-api-prod --confirm raxx-api-prod",
        );
    });
});

/**
 * Credential policies: never on an Essential plan, with the commands the plan takes, never deleted by the engine.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { SUPPORTED_PLANS, commandFamily, tierOf } from "./core/heroku";
import { CREDENTIAL_DELETE, FAMILY_SCRIPTS } from "./core/heroku-scripts";
import { TYPES } from "./core/resources";
import { CommandInputs, commandInputs } from "./inputs";
import { PropsView, cannotDecide } from "./props";

/** A command's typed inputs (read behind the proxy), and the unknown ones among `paths`; undefined for other types. */
function viewed(
    args: ResourceValidationArgs,
    ...paths: string[]
): { cmd: CommandInputs; unknown: string[]; wrong: string[] } | undefined {
    if (args.type !== TYPES.command) {
        return undefined;
    }
    const view = new PropsView(args);
    return { cmd: commandInputs(view), unknown: view.unknown(...paths), wrong: view.wrongType("string", ...paths) };
}

/**
 * The plan's commands: an Advanced plan takes `data:pg:credentials:create` and a classic one `pg:credentials:create`
 * (heroku 11.10 dist/commands/data/pg/credentials/create.js posts to /data/postgres/v1 only for Advanced). A script
 * that is neither shared one is not this policy's: it is an extra, fingerprinted whole.
 */
function familyMismatch(plan: string, create: unknown): string | undefined {
    const family = commandFamily(plan);
    const other = family === "advanced" ? "classic" : "advanced";
    if (create !== FAMILY_SCRIPTS[other].credentialCreate) {
        return undefined;
    }
    return family === "advanced"
        ? `is on plan ${plan}, an Advanced plan, but runs the classic \`heroku pg:credentials:create\` script. ` +
              "Required: the data:pg script for Advanced plans. Fix: let components/credential.ts pick it from the " +
              "plan."
        : `is on plan ${plan}, a classic plan, but runs the Advanced \`heroku data:pg:credentials:create\` script. ` +
              "Required: the pg:credentials script. Fix: let components/credential.ts pick it from the plan.";
}

export const noCredentialOnEssential: ResourceValidationPolicy = {
    name: "no-credential-on-essential",
    description:
        "The application credential is only created on a plan that allows custom credentials (Standard-0 or " +
        "better, or Advanced), with that plan's commands.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const v = viewed(args, "environment.RAPTOR_STEP", "environment.ADDON_PLAN", "create");
        if (
            v !== undefined &&
            (v.unknown.includes("environment.RAPTOR_STEP") || (v.cmd.step === "credential" && v.unknown.length > 0))
        ) {
            reportViolation(cannotDecide("the credential's plan", args, v.unknown));
            return;
        }
        if (v === undefined || v.cmd.step !== "credential") {
            return;
        }
        const plan = v.cmd.environment["ADDON_PLAN"];
        const verdict = typeof plan === "string" && plan !== "" ? tierOf(plan) : "missing";
        if (verdict === "allowed" || verdict === "advanced") {
            const mismatch = familyMismatch(plan as string, v.cmd.create);
            if (mismatch !== undefined) {
                reportViolation(`Credential command ${args.name} ${mismatch}`);
            }
            return;
        }
        const found = {
            missing: "carries no ADDON_PLAN, so its Postgres plan is unknown",
            essential: `is on plan ${String(plan)}, an Essential-tier plan that cannot have custom credentials`,
            unknown: `is on plan ${String(plan)}, which is not known to allow custom credentials`,
        }[verdict];
        reportViolation(
            `Credential command ${args.name} ${found}. Required: ${SUPPORTED_PLANS}. Fix: leaving Essential is not ` +
                "`heroku addons:upgrade`: provision a Standard-0 (or Advanced) database, `heroku pg:copy` the data " +
                "(downtime) and `heroku pg:promote` it; a tier change is the operator's cost decision.",
        );
    },
};

/**
 * @pulumi/policy 1.21 does not pass retainOnDelete to policies (only protect).
 * When it is absent, the engine-visible guarantee is the delete script: the
 * shared one only prints that the credential is retained.
 */
export const credentialRetained: ResourceValidationPolicy = {
    name: "credential-retained",
    description: "The credential command is retained on delete or protected, so the engine never drops the role.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const v = viewed(args, "environment.RAPTOR_STEP", "delete");
        const undecided =
            v !== undefined &&
            (v.cmd.step === "credential"
                ? v.unknown.length + v.wrong.length > 0
                : v.unknown.includes("environment.RAPTOR_STEP"));
        if (v !== undefined && undecided) {
            reportViolation(cannotDecide("that the credential is retained", args, v.unknown, v.wrong));
            return;
        }
        if (v === undefined || v.cmd.step !== "credential") {
            return;
        }
        const opts = args.opts as typeof args.opts & { retainOnDelete?: boolean };
        if (opts.protect === true || opts.retainOnDelete === true) {
            return;
        }
        const del = v.cmd.delete;
        const harmlessDelete = del === undefined || del === CREDENTIAL_DELETE;
        if (opts.retainOnDelete === undefined && harmlessDelete) {
            return;
        }
        const found =
            opts.retainOnDelete === false
                ? "has neither retainOnDelete nor protect"
                : "has no protect, and its delete script is not the shared non-destructive CREDENTIAL_DELETE (this " +
                  "engine does not report retainOnDelete to policies)";
        reportViolation(
            `Credential command ${args.name} ${found}, so a delete or replacement could drop the raptor_app role and ` +
                "the application's access with it. Required: retainOnDelete: true or protect: true. Fix: keep `{ " +
                "retainOnDelete: true }` in components/credential.ts; dropping the role is an operator decision " +
                "(runbook: Escalation).",
        );
    },
};

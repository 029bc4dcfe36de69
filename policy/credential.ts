/**
 * Credential policies: never on an Essential plan, never deleted by the engine.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { tierOf } from "./core/heroku";
import { CREDENTIAL_DELETE } from "./core/heroku-scripts";
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

export const noCredentialOnEssential: ResourceValidationPolicy = {
    name: "no-credential-on-essential",
    description:
        "The application credential is only created on a plan that allows custom credentials (Standard-0 or better).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const v = viewed(args, "environment.RAPTOR_STEP", "environment.ADDON_PLAN");
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
        if (verdict === "allowed") {
            return;
        }
        const found = {
            missing: "carries no ADDON_PLAN, so its Postgres plan is unknown",
            essential: `is on plan ${String(plan)}, an Essential-tier plan that cannot have custom credentials`,
            advanced:
                `is on plan ${String(plan)}, an Advanced-tier plan managed with \`heroku data:pg:*\`, not ` +
                `pg:credentials`,
            unknown: `is on plan ${String(plan)}, which is not known to allow custom credentials`,
        }[verdict];
        const fix =
            verdict === "advanced"
                ? "Fix: set up the role by hand with `heroku data:pg:credentials:create` and " +
                  "`data:pg:attachments:create`."
                : "Fix: leaving Essential is not `heroku addons:upgrade`: provision a Standard-0 database, `heroku " +
                  "pg:copy` the data (downtime) and `heroku pg:promote` it; a tier change is the operator's cost " +
                  "decision.";
        reportViolation(
            `Credential command ${args.name} ${found}. Required: standard-*, premium-*, private-* or shield-*. ${fix}`,
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

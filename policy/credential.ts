/**
 * Credential policies: never on an Essential plan, never deleted by the engine.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { tierOf } from "./core/heroku";
import { CREDENTIAL_DELETE } from "./core/heroku-scripts";
import { envOf, stepOf } from "./core/resources";
import { PropsView, cannotDecide } from "./props";

/** The resource with its plain props (read behind the proxy), and the unknown ones among `paths`. */
function viewed(args: ResourceValidationArgs, ...paths: string[]) {
    const view = new PropsView(args);
    return { r: { type: args.type, name: args.name, urn: args.urn, props: view.plain }, unknown: view.unknown(...paths) };
}

export const noCredentialOnEssential: ResourceValidationPolicy = {
    name: "no-credential-on-essential",
    description: "The application credential is only created on a plan that allows custom credentials (Standard-0 or better).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const { r, unknown } = viewed(args, "environment.RAPTOR_STEP", "environment.ADDON_PLAN");
        if (unknown.includes("environment.RAPTOR_STEP") || (stepOf(r) === "credential" && unknown.length > 0)) {
            reportViolation(cannotDecide("the credential's plan", args, unknown));
            return;
        }
        if (stepOf(r) !== "credential") {
            return;
        }
        const plan = envOf(r)["ADDON_PLAN"];
        const verdict = typeof plan === "string" && plan !== "" ? tierOf(plan) : "missing";
        if (verdict === "allowed") {
            return;
        }
        const found = verdict === "missing"
            ? "carries no ADDON_PLAN, so its Postgres plan is unknown"
            : verdict === "essential"
                ? `is on plan ${String(plan)}, an Essential-tier plan that cannot have custom credentials`
                : `is on plan ${String(plan)}, which is not known to allow custom credentials`;
        reportViolation(
            `Credential command ${args.name} ${found}. Required: standard-*, premium-*, private-* or shield-* (or advanced). ` +
                "Fix: leaving Essential is not `heroku addons:upgrade`: provision a Standard-0 database, `heroku pg:copy` the data " +
                "(downtime) and `heroku pg:promote` it; a tier change is the operator's cost decision (runbook: Escalation).",
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
        const { r, unknown } = viewed(args, "environment.RAPTOR_STEP", "delete");
        if (unknown.includes("environment.RAPTOR_STEP") || (stepOf(r) === "credential" && unknown.length > 0)) {
            reportViolation(cannotDecide("that the credential is retained", args, unknown));
            return;
        }
        if (stepOf(r) !== "credential") {
            return;
        }
        const opts = args.opts as typeof args.opts & { retainOnDelete?: boolean };
        if (opts.protect === true || opts.retainOnDelete === true) {
            return;
        }
        const del = r.props["delete"];
        const harmlessDelete = del === undefined || del === CREDENTIAL_DELETE;
        if (opts.retainOnDelete === undefined && harmlessDelete) {
            return;
        }
        const found = opts.retainOnDelete === false
            ? "has neither retainOnDelete nor protect"
            : "has no protect, and its delete script is not the shared non-destructive CREDENTIAL_DELETE " +
              "(this engine does not report retainOnDelete to policies)";
        reportViolation(
            `Credential command ${args.name} ${found}, so a delete or replacement could drop the raptor_app role and the ` +
                "application's access with it. Required: retainOnDelete: true or protect: true. Fix: keep " +
                "`{ retainOnDelete: true }` in components/credential.ts; dropping the role is an operator decision (runbook: Escalation).",
        );
    },
};

/**
 * Secrets stay secret: a command that handles the application's URL logs
 * nothing and keeps its output secret, no script text carries a credential,
 * and, where the caller can tell (offline), credential inputs are secret.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./core/resources";
import { commandInputs } from "./inputs";
import { PropsView, cannotDecide, isUnknown } from "./props";

/**
 * The engine unwraps secrets before policies see them; `evaluatePolicies`
 * adds the input paths that were secret, so the check runs offline.
 */
export interface SecretAware {
    readonly secretPaths?: readonly string[];
}

/** Steps that carry the application's URL (password included) in their input or output. */
const URL_STEPS = new Set(["credential-url", "config-var"]);
const SECRET_ENV = (name: string) => /PASSWORD|URL/i.test(name) || name === "VAR_VALUE";
const URL_WITH_PASSWORD = /postgres(ql)?:\/\/[^\s:@/]+:[^\s@/]+@/i;
const SCRIPTS = ["create", "update", "delete"] as const;

const isSecretPath = (paths: readonly string[], path: string) =>
    paths.some((p) => p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));

export const secretsStaySecret: ResourceValidationPolicy = {
    name: "secrets-stay-secret",
    description:
        "Commands handling the app's URL log nothing and keep stdout/stderr secret; no script text carries a " +
        "credential.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const secretPaths = (args as ResourceValidationArgs & SecretAware).secretPaths;
        const view = new PropsView(args);
        const p = view.plain;
        if (args.type === TYPES.postgresProvider) {
            if (secretPaths !== undefined && p["password"] !== undefined && !isSecretPath(secretPaths, "password")) {
                reportViolation(
                    `Provider ${args.name} has a password that is not secret, so the owner's password would be ` +
                        "stored in plain text in the state. Required: a secret password. Fix: wrap it with " +
                        "pulumi.secret() (components/grants.ts does).",
                );
            }
            return;
        }
        if (args.type !== TYPES.command) {
            return;
        }
        const cmd = commandInputs(view);
        const env = cmd.environment;
        const secretKeys = Object.keys(env).filter(SECRET_ENV);
        const step = cmd.step;
        const undecided = view.unknown("environment.RAPTOR_STEP", "logging", ...SCRIPTS);
        if (undecided.length > 0) {
            // An unknown step may be a URL step; an unknown script may splice a credential: neither can pass unseen.
            reportViolation(cannotDecide("that secrets stay secret", args, undecided));
        }
        if ((step !== undefined && URL_STEPS.has(step)) || secretKeys.length > 0) {
            const why =
                `Command ${args.name} (RAPTOR_STEP=${String(step)}) handles the application's URL, password ` +
                `included`;
            if (cmd.logging !== "none" && !undecided.includes("logging")) {
                reportViolation(
                    `${why}, but its logging is ${JSON.stringify(cmd.logging ?? "stdoutAndStderr (default)")}. ` +
                        'Required: logging "none", so the URL never reaches the console or CI logs. Fix: set ' +
                        'logging: "none".',
                );
            }
            const aso = args.opts.additionalSecretOutputs ?? [];
            const missing = ["stdout", "stderr"].filter((o) => !aso.includes(o));
            if (missing.length > 0) {
                reportViolation(
                    `${why}, but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not in ` +
                        "additionalSecretOutputs, so the state would store the output in plain text (a secret " +
                        "environment does not make stdout secret). Required: " +
                        'additionalSecretOutputs ["stdout", "stderr"]. Fix: add that resource option.',
                );
            }
        }
        for (const key of SCRIPTS) {
            const script = cmd[key];
            if (script === undefined) {
                continue;
            }
            if (URL_WITH_PASSWORD.test(script)) {
                reportViolation(
                    `Command ${args.name}'s ${key} script contains a postgres:// URL with a password (not quoted ` +
                        "here). Scripts are stored in state and quoted in error messages. Required: no credential in " +
                        "script text. Fix: pass it in environment.",
                );
            }
            for (const name of secretKeys) {
                const value = env[name];
                // An unknown value is computed during the update; a known script cannot have it spliced in.
                if (typeof value === "string" && value !== "" && !isUnknown(value) && script.includes(value)) {
                    reportViolation(
                        `Command ${args.name}'s ${key} script contains the literal value of environment.${name} (not ` +
                            `quoted here). Required: the script reads $${name} at run time. Fix: reference the ` +
                            `variable, never splice its value.`,
                    );
                }
            }
        }
        if (secretPaths !== undefined) {
            for (const name of secretKeys) {
                // An unknown value's secrecy is not visible before the update (the mocks drop it); the engine never
                // sends it.
                const value = env[name];
                if (
                    value !== undefined &&
                    value !== "" &&
                    !isUnknown(value) &&
                    !isSecretPath(secretPaths, `environment.${name}`)
                ) {
                    reportViolation(
                        `Command ${args.name}'s environment.${name} carries a credential but is not secret, so it ` +
                            "would be stored in plain text. Required: a secret value. Fix: wrap it with " +
                            "pulumi.secret() (components/url-delivery.ts does).",
                    );
                }
            }
        }
    },
};

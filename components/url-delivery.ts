import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { commandFamily, parseCredentialUrl } from "../core/heroku";
import { BASH, CONFIG_VAR_SET, CONFIG_VAR_UNSET, FAMILY_SCRIPTS } from "../core/heroku-scripts";
import { APP_ATTACHMENT, APP_URL_VAR, FLAG_VAR, UrlDelivery as Mode } from "../core/settings";

export interface UrlDeliveryArgs {
    /** `attachment` (Heroku sets and rotates the var) or `config-var` (the runbook's step 3). */
    mode: Mode;
    /** The Heroku app. */
    app: string;
    /** The add-on (unique name) whose credential is delivered: what `addons:attach` takes. */
    addonName: string;
    /** The add-on's id: when it changes (a promote), the attachment is replaced, without a gap. */
    addonId: string;
    /** The credential name. */
    role: string;
    /** The add-on plan: Advanced plans attach and read the URL with `data:pg:*` (core/heroku.ts commandFamily). */
    addonPlan: string;
    /** Advanced only: the instance pool the attachment names (default leader); a change re-attaches. */
    pool?: string;
}

/**
 * Delivers the application role's URL to the app as RAPTOR_APP_DATABASE_URL.
 *
 * `attachment` attaches the credential as RAPTOR_APP_DATABASE: Heroku sets the
 * var and keeps it current across credential rotations, and no password passes
 * through Pulumi. On Advanced the attachment also names an instance pool.
 * `config-var` reads the URL once with pg:credentials:url and
 * sets it with config:set; it goes stale when Heroku rotates the credential.
 * Each mode's scripts undo the other's, so switching is one config change.
 */
export class UrlDelivery extends pulumi.ComponentResource {
    public readonly mode: Mode;
    public readonly varName: string = APP_URL_VAR;
    /** The resource whose completion means the var is in place. */
    public readonly ready: command.local.Command;
    /** The URL (secret); only in config-var mode. */
    public readonly url?: pulumi.Output<string>;

    constructor(name: string, args: UrlDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("raptor:heroku:UrlDelivery", name, {}, opts);
        this.mode = args.mode;
        const family = commandFamily(args.addonPlan);
        const scripts = FAMILY_SCRIPTS[family];
        // PostgresAddon.read refused a pool on a classic plan; the leader pool is the one that takes writes.
        const pool = family === "advanced" ? (args.pool ?? "leader") : undefined;
        const base = {
            APP: args.app,
            ADDON_NAME: args.addonName,
            ADDON_ID: args.addonId,
            ROLE: args.role,
            ATTACHMENT_NAME: APP_ATTACHMENT,
            FLAG_NAME: FLAG_VAR,
        };
        if (args.mode === "attachment") {
            this.ready = new command.local.Command(
                `${name}-attachment`,
                {
                    interpreter: BASH,
                    create: scripts.attachmentCreate,
                    delete: scripts.attachmentDelete,
                    environment: { RAPTOR_STEP: "attachment", ...base, ...(pool ? { POOL: pool } : {}) },
                    // Another add-on, credential, name or pool is a new attachment. The new one is made first: its
                    // attach (--confirm) replaces a same-named one in one step, and the old delete leaves what is not
                    // its own. The classic triggers stay as they were, so a Standard stack sees no change.
                    triggers: [args.app, args.addonId, args.role, APP_ATTACHMENT, ...(pool ? [pool] : [])],
                    logging: "stdoutAndStderr",
                },
                { parent: this },
            );
        } else {
            const read = new command.local.Command(
                `${name}-credential-url`,
                {
                    interpreter: BASH,
                    create: scripts.credentialUrlRead,
                    environment: {
                        RAPTOR_STEP: "credential-url",
                        APP: args.app,
                        ADDON_NAME: args.addonName,
                        ROLE: args.role,
                    },
                    logging: "none",
                },
                { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
            );
            // Secret in code as well: additionalSecretOutputs is the engine's, and is not applied under test mocks.
            this.url = pulumi.secret(read.stdout).apply(parseCredentialUrl);
            this.ready = new command.local.Command(
                `${name}-config-var`,
                {
                    interpreter: BASH,
                    create: CONFIG_VAR_SET,
                    update: CONFIG_VAR_SET,
                    delete: CONFIG_VAR_UNSET,
                    environment: {
                        RAPTOR_STEP: "config-var",
                        APP: args.app,
                        ROLE: args.role,
                        ADDON_ID: args.addonId,
                        ATTACHMENT_NAME: APP_ATTACHMENT,
                        FLAG_NAME: FLAG_VAR,
                        VAR_NAME: APP_URL_VAR,
                        VAR_VALUE: this.url,
                    },
                    logging: "none",
                },
                { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
            );
        }
        this.registerOutputs({ mode: this.mode, varName: this.varName });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { parseCredentialUrl } from "../core/heroku";
import {
    ATTACHMENT_CREATE, ATTACHMENT_DELETE, BASH, CONFIG_VAR_SET, CONFIG_VAR_UNSET, CREDENTIAL_URL_READ,
} from "../core/heroku-scripts";
import { APP_ATTACHMENT, APP_URL_VAR, UrlDelivery as Mode } from "../core/settings";

export interface UrlDeliveryArgs {
    /** `attachment` (Heroku sets and rotates the var) or `config-var` (the runbook's step 3). */
    mode: Mode;
    /** The Heroku app. */
    app: string;
    /** The Postgres attachment the credential belongs to. */
    database: string;
    /**
     * The add-on's globally unique name (PostgresAddon.addonName), for `heroku addons:attach`, which finds the
     * add-on by id or name only, never by attachment name.
     */
    addon: string;
    /** The credential name. */
    role: string;
}

/**
 * Delivers the application role's URL to the app as RAPTOR_APP_DATABASE_URL.
 *
 * `attachment` attaches the credential as RAPTOR_APP_DATABASE: Heroku sets the
 * var and keeps it current across credential rotations, and no password passes
 * through Pulumi. `config-var` reads the URL once with pg:credentials:url and
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
        const base = { APP: args.app, DATABASE: args.database, ROLE: args.role, ATTACHMENT_NAME: APP_ATTACHMENT };
        if (args.mode === "attachment") {
            this.ready = new command.local.Command(`${name}-attachment`, {
                interpreter: BASH,
                create: ATTACHMENT_CREATE,
                delete: ATTACHMENT_DELETE,
                environment: { RAPTOR_STEP: "attachment", ...base, ADDON_NAME: args.addon },
                // Another attachment name or credential is a new attachment; the old one must go first.
                triggers: [args.app, args.database, args.role, APP_ATTACHMENT],
                logging: "stdoutAndStderr",
            }, { parent: this, deleteBeforeReplace: true });
        } else {
            const read = new command.local.Command(`${name}-credential-url`, {
                interpreter: BASH,
                create: CREDENTIAL_URL_READ,
                environment: { RAPTOR_STEP: "credential-url", APP: args.app, DATABASE: args.database, ROLE: args.role },
                logging: "none",
            }, { parent: this, additionalSecretOutputs: ["stdout", "stderr"] });
            // Secret in code as well: additionalSecretOutputs is the engine's, and is not applied under test mocks.
            this.url = pulumi.secret(read.stdout).apply(parseCredentialUrl);
            this.ready = new command.local.Command(`${name}-config-var`, {
                interpreter: BASH,
                create: CONFIG_VAR_SET,
                update: CONFIG_VAR_SET,
                delete: CONFIG_VAR_UNSET,
                environment: {
                    RAPTOR_STEP: "config-var",
                    APP: args.app,
                    ROLE: args.role,
                    ATTACHMENT_NAME: APP_ATTACHMENT,
                    VAR_NAME: APP_URL_VAR,
                    VAR_VALUE: this.url,
                },
                logging: "none",
            }, { parent: this, additionalSecretOutputs: ["stdout", "stderr"] });
        }
        this.registerOutputs({ mode: this.mode, varName: this.varName });
    }
}

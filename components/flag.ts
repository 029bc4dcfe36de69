import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { BASH, FLAG_DELETE, FLAG_SET } from "../core/heroku-scripts";
import { FLAG_VAR } from "../core/settings";

export interface RoleSeparationFlagArgs {
    /** The Heroku app. */
    app: string;
    /** true sets the flag to 1 (the app uses RAPTOR_APP_DATABASE_URL); false to 0 (owner URL). */
    enabled: boolean;
}

/**
 * FLAG_RAPTOR_APP_ROLE_SEPARATION on the app. Give it `dependsOn` on
 * everything the app needs under the restricted role, so it turns on last.
 * Turning it off is rollback and emergency stop: it touches nothing else.
 */
export class RoleSeparationFlag extends pulumi.ComponentResource {
    public readonly command: command.local.Command;
    /** When the flag was last turned on (UTC ISO 8601), or null while it is off. */
    public readonly enabledAt: pulumi.Output<string | null>;

    constructor(name: string, args: RoleSeparationFlagArgs, opts?: pulumi.ComponentResourceOptions) {
        super("raptor:heroku:RoleSeparationFlag", name, {}, opts);
        this.command = new command.local.Command(
            `${name}-flag`,
            {
                interpreter: BASH,
                create: FLAG_SET,
                update: FLAG_SET,
                delete: FLAG_DELETE,
                environment: {
                    RAPTOR_STEP: "flag",
                    APP: args.app,
                    FLAG_NAME: FLAG_VAR,
                    FLAG_VALUE: args.enabled ? "1" : "0",
                },
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );
        this.enabledAt = this.command.stdout.apply((s) => (s && s.trim() !== "" ? s.trim() : null));
        this.registerOutputs({ enabledAt: this.enabledAt });
    }
}

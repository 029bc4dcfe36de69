import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { commandFamily } from "../core/heroku";
import { BASH, CREDENTIAL_DELETE, FAMILY_SCRIPTS } from "../core/heroku-scripts";

export interface RaptorCredentialArgs {
    /** The Heroku app. */
    app: string;
    /** The attachment the app's database is reached by (raptor:database): recorded, the add-on is what counts. */
    database: string;
    /** The add-on the credential is created on (its unique name), as PostgresAddon read it. */
    addonName: string;
    /** The add-on's id: a promote to another database changes it, and the credential is created there too. */
    addonId: string;
    /** The credential (and Postgres role) name, e.g. raptor_app: the CLI's --name. */
    role: string;
    /**
     * The add-on plan read by PostgresAddon: it picks the commands (`pg:credentials:create`, or
     * `data:pg:credentials:create` on Advanced), and the policy pack checks it (core/heroku.ts tierOf).
     */
    addonPlan: string;
    /** How many times to look for the `active` state before giving up. Default 60. */
    maxPolls?: number;
    /** Seconds between looks. Default 5 (60 x 5 s: new credentials usually activate within minutes). */
    pollSeconds?: number;
}

/**
 * The application role as a Heroku credential, created with
 * `heroku pg:credentials:create ADDON_NAME --name ROLE`, or `heroku data:pg:credentials:create`
 * on an Advanced plan (Heroku's RDS-aware path: raw CREATE ROLE ... PASSWORD fails with the
 * rds_password error). An existing credential is adopted, never the Advanced owner's.
 * The resource is retained on delete and replacement:
 * dropping the role is an operator decision (runbook: Escalation).
 */
export class RaptorCredential extends pulumi.ComponentResource {
    public readonly command: command.local.Command;
    public readonly role: string;

    constructor(name: string, args: RaptorCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
        super("raptor:heroku:RaptorCredential", name, {}, opts);
        const maxPolls = args.maxPolls ?? 60;
        const pollSeconds = args.pollSeconds ?? 5;
        if (!Number.isInteger(maxPolls) || maxPolls < 1 || !Number.isInteger(pollSeconds) || pollSeconds < 0) {
            throw new pulumi.ResourceError(
                `RaptorCredential ${name}: maxPolls (${maxPolls}) must be an integer >= 1 and pollSeconds ` +
                    `(${pollSeconds}) >= 0`,
                this,
            );
        }
        this.role = args.role;
        const create = FAMILY_SCRIPTS[commandFamily(args.addonPlan)].credentialCreate;
        this.command = new command.local.Command(
            `${name}-${args.role}`,
            {
                interpreter: BASH,
                create,
                update: create,
                delete: CREDENTIAL_DELETE,
                environment: {
                    RAPTOR_STEP: "credential",
                    APP: args.app,
                    DATABASE: args.database,
                    ADDON_NAME: args.addonName,
                    ADDON_ID: args.addonId,
                    ROLE: args.role,
                    ADDON_PLAN: args.addonPlan,
                    MAX_POLLS: String(maxPolls),
                    POLL_SECONDS: String(pollSeconds),
                },
                logging: "stdoutAndStderr",
            },
            { parent: this, retainOnDelete: true },
        );
        this.registerOutputs({ role: this.role });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import {
    PostgresAddon as AddonInfo,
    CommandFamily,
    TierError,
    commandFamily,
    findPostgresAddon,
    poolProblem,
    tierProblem,
} from "../core/heroku";
import { BASH, READ_ADDONS } from "../core/heroku-scripts";

export interface PostgresAddonArgs {
    /** The Heroku app. */
    app: string;
    /** The attachment the app's database is reached by (e.g. DATABASE). */
    database: string;
    /** raptor:pool: only an Advanced plan has instance pools, so any other plan refuses it. */
    pool?: string;
}

/**
 * The app's Heroku Postgres add-on and its tier. Created through `read()`,
 * which asks Heroku with an invoke (so `pulumi preview` already sees a bad
 * tier) and refuses Essential and unknown plans before any resource exists.
 * The add-on is the one THIS app reaches as `database`. Its plan picks the
 * commands every later step runs: `pg:*`/`addons:*`, or `data:pg:*` on Advanced.
 */
export class PostgresAddon extends pulumi.ComponentResource {
    public readonly app: string;
    public readonly addonName: string;
    /** The add-on's id; changes when another database is promoted to the attachment. */
    public readonly addonId: string;
    /** e.g. heroku-postgresql:standard-0 */
    public readonly plan: string;
    /** `advanced` for heroku-cli-util's isAdvancedDatabase plans (`data:pg:*`), else `classic`. */
    public readonly family: CommandFamily;

    /** Reads the add-on and checks its tier; throws a TierError naming app, plan and fix. */
    static async read(
        name: string,
        args: PostgresAddonArgs,
        opts?: pulumi.ComponentResourceOptions,
    ): Promise<PostgresAddon> {
        const result = await command.local.run({
            command: READ_ADDONS,
            interpreter: BASH,
            environment: { APP: args.app },
            logging: "stderr",
        });
        const addon = findPostgresAddon(result.stdout, args.app, args.database);
        const problem = tierProblem(args.app, addon) ?? poolProblem(args.app, addon, args.pool);
        if (problem !== undefined) {
            throw new TierError(problem);
        }
        return new PostgresAddon(name, args, addon, opts);
    }

    private constructor(
        name: string,
        args: PostgresAddonArgs,
        addon: AddonInfo,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("raptor:heroku:PostgresAddon", name, {}, opts);
        this.app = args.app;
        this.addonName = addon.name;
        this.addonId = addon.id;
        this.plan = addon.plan;
        this.family = commandFamily(addon.plan);
        this.registerOutputs({ app: this.app, addonName: this.addonName, addonId: this.addonId, plan: this.plan });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import { GrantPlan } from "../core/plan";
import { parseOwnerUrl } from "../core/owner-url";

export interface RaptorGrantsArgs {
    /** The grant plan (shapes the graph: one Grant per table). */
    plan: GrantPlan;
    /** The owner's postgres:// URL (Heroku DATABASE_URL). Treated as a secret whatever its origin. */
    ownerDatabaseUrl: pulumi.Input<string>;
    /** Where the URL came from, for error messages (never the URL itself). */
    ownerUrlSource: string;
    /**
     * Connections the provider may open. Standard-0 allows 120, shared with the
     * application; a small pool also avoids `tuple concurrently updated` races
     * between parallel grants. 1-4, default 2.
     */
    maxConnections?: number;
}

/**
 * The application role's privileges in Postgres: USAGE on the schema, one
 * Grant per classified table (never one with empty `objects`, which would be
 * ON ALL TABLES), USAGE on the schema's sequences, and default privileges so
 * sequences the owner creates later are usable too.
 */
export class RaptorGrants extends pulumi.ComponentResource {
    public readonly provider: postgresql.Provider;
    public readonly schemaGrant: postgresql.Grant;
    /** Keyed by table name. */
    public readonly tableGrants: Readonly<Record<string, postgresql.Grant>>;
    public readonly sequenceGrant: postgresql.Grant;
    public readonly defaultSequencePrivileges: postgresql.DefaultPrivileges;
    /** Every grant resource, for `dependsOn` from resources that need the grants in place. */
    public readonly allGrants: pulumi.Resource[];

    constructor(name: string, args: RaptorGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("raptor:postgres:RaptorGrants", name, {}, opts);
        const maxConnections = args.maxConnections ?? 2;
        if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 4) {
            throw new pulumi.ResourceError(
                `RaptorGrants ${name}: maxConnections ${maxConnections} is outside 1-4; ` +
                    "Standard-0's 120 connections are shared with the application",
                this,
            );
        }
        const plan = args.plan;
        const owner = pulumi.secret(args.ownerDatabaseUrl).apply((url) => parseOwnerUrl(url, args.ownerUrlSource));

        this.provider = new postgresql.Provider(
            `${name}-owner`,
            {
                host: owner.apply((o) => o.host),
                port: owner.apply((o) => o.port),
                username: owner.apply((o) => o.username),
                password: pulumi.secret(owner.apply((o) => o.password)),
                database: owner.apply((o) => o.database),
                // The URL's own mode (a local database says sslmode=disable); Heroku's URLs name none: require.
                // Not a secret, though read from the URL: plan and preview show it.
                sslmode: pulumi.unsecret(owner.apply((o) => o.sslmode)),
                // Heroku's owner is not a superuser; the provider would otherwise read pg_shadow and fail.
                superuser: false,
                maxConnections,
                connectTimeout: 30,
            },
            { parent: this },
        );

        const database = owner.apply((o) => o.database);
        const childOpts = { parent: this, provider: this.provider };
        const grant = (key: string, grantArgs: Omit<postgresql.GrantArgs, "database" | "role" | "schema">) =>
            new postgresql.Grant(
                `${name}-${key}`,
                {
                    database,
                    role: plan.role,
                    schema: plan.schema,
                    ...grantArgs,
                },
                childOpts,
            );

        this.schemaGrant = grant(`schema-${plan.schema}`, {
            objectType: "schema",
            privileges: [...plan.schemaPrivileges],
        });

        const tableGrants: Record<string, postgresql.Grant> = {};
        for (const t of plan.tables) {
            // One table per Grant, named by the table: adding a table adds one resource and touches no other.
            tableGrants[t.table] = grant(`table-${t.table}`, {
                objectType: "table",
                objects: [t.table],
                privileges: [...t.privileges],
            });
        }
        this.tableGrants = tableGrants;

        this.sequenceGrant = grant(`sequences-${plan.schema}`, {
            objectType: "sequence",
            privileges: [...plan.sequencePrivileges],
        });

        this.defaultSequencePrivileges = new postgresql.DefaultPrivileges(
            `${name}-default-sequences-${plan.schema}`,
            {
                database,
                role: plan.role,
                owner: owner.apply((o) => o.username),
                schema: plan.schema,
                objectType: "sequence",
                privileges: [...plan.sequencePrivileges],
            },
            childOpts,
        );

        this.allGrants = [
            this.schemaGrant,
            ...Object.values(tableGrants),
            this.sequenceGrant,
            this.defaultSequencePrivileges,
        ];
        this.registerOutputs({
            tables: Object.keys(tableGrants),
        });
    }
}

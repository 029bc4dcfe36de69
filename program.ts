/**
 * The Raptor program: tier gate, credential, grants, URL delivery, flag.
 * `index.ts` runs it with the stack's config; tests run it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Classification, RAPTOR_CLASSIFICATION } from "./core/classification";
import { buildPlan } from "./core/plan";
import { deploymentFromPlan, fingerprint } from "./core/deployment";
import { BASH, READ_OWNER_URL } from "./core/heroku-scripts";
import { PostgresAddon } from "./components/postgres-addon";
import { RaptorCredential } from "./components/credential";
import { RaptorGrants } from "./components/grants";
import { UrlDelivery } from "./components/url-delivery";
import { RoleSeparationFlag } from "./components/flag";
import { StackConfig } from "./config";

export interface RaptorOutputs {
    app: string;
    addonName: string;
    addonPlan: string;
    role: string;
    urlDelivery: string;
    urlVar: string;
    roleSeparation: boolean;
    tables: number;
    /** What an operator's prod sign-off must quote. */
    fingerprint: string;
    /** When this stack last turned the flag on; prod's soak gate reads staging's. */
    roleSeparationEnabledAt: pulumi.Output<string | null>;
    /** Staging's roleSeparationEnabledAt as read through the soak StackReference, when configured. */
    soakStackEnabledAt?: pulumi.Output<unknown>;
}

export async function raptor(
    config: StackConfig,
    classification: Classification = RAPTOR_CLASSIFICATION,
): Promise<RaptorOutputs> {
    const { settings } = config;
    // Pure checks first, then the live tier read: a bad matrix or tier stops everything before any resource.
    const plan = buildPlan({ classification, role: settings.role, schema: settings.schema });
    const addon = await PostgresAddon.read("raptor-addon", { app: settings.app, database: settings.database });

    const credential = new RaptorCredential(
        "raptor-credential",
        {
            app: settings.app,
            database: settings.database,
            addonName: addon.addonName,
            addonId: addon.addonId,
            role: settings.role,
            addonPlan: addon.plan,
        },
        { dependsOn: [addon] },
    );

    // Read at deploy time so a rotated DATABASE_URL never breaks `pulumi up`; a secret override wins.
    const ownerUrlSource = config.ownerDatabaseUrl
        ? "raptor:ownerDatabaseUrl"
        : `\`heroku config:get ${settings.database}_URL -a ${settings.app}\``;
    const ownerDatabaseUrl =
        config.ownerDatabaseUrl ??
        pulumi.secret(
            command.local.runOutput({
                command: READ_OWNER_URL,
                interpreter: BASH,
                environment: { APP: settings.app, DATABASE: settings.database },
                logging: "none",
            }).stdout,
        );
    const grants = new RaptorGrants(
        "raptor-grants",
        {
            plan,
            ownerDatabaseUrl,
            ownerUrlSource,
        },
        { dependsOn: [credential] },
    );

    const delivery = new UrlDelivery(
        "raptor-url",
        {
            mode: settings.urlDelivery,
            app: settings.app,
            addonName: addon.addonName,
            addonId: addon.addonId,
            role: settings.role,
        },
        { dependsOn: [credential] },
    );

    const flag = new RoleSeparationFlag(
        "raptor-flag",
        {
            app: settings.app,
            enabled: settings.roleSeparation,
        },
        { dependsOn: [addon, credential, delivery, grants, ...grants.allGrants] },
    );

    // Read only when the flag is to be on: rollback must never depend on staging's stack being reachable.
    const soak =
        settings.soakStack !== undefined && settings.roleSeparation
            ? new pulumi.StackReference("raptor-soak", { name: settings.soakStack })
            : undefined;

    return {
        app: settings.app,
        addonName: addon.addonName,
        addonPlan: addon.plan,
        role: settings.role,
        urlDelivery: settings.urlDelivery,
        urlVar: delivery.varName,
        roleSeparation: settings.roleSeparation,
        tables: plan.tables.length,
        fingerprint: fingerprint(deploymentFromPlan(settings, plan)),
        roleSeparationEnabledAt: flag.enabledAt,
        // null, not undefined, when staging has no evidence: the soak policy reports it, and the export stays visible.
        ...(soak ? { soakStackEnabledAt: soak.getOutput("roleSeparationEnabledAt").apply((v) => v ?? null) } : {}),
    };
}

/**
 * The Raptor program: tier gate, credential, grants, URL delivery, flag.
 * `index.ts` runs it with the stack's config; tests run it under mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Classification, RAPTOR_CLASSIFICATION } from "./core/classification";
import { buildPlan } from "./core/plan";
import { deploymentFromPlan, fingerprint } from "./core/deployment";
import { BASH, READ_OWNER_URL, READ_OWNER_URL_ADVANCED } from "./core/heroku-scripts";
import { parseCredentialUrl } from "./core/heroku";
import { PostgresAddon } from "./components/postgres-addon";
import { RaptorCredential } from "./components/credential";
import { RaptorGrants } from "./components/grants";
import { UrlDelivery } from "./components/url-delivery";
import { RoleSeparationFlag } from "./components/flag";
import { StackConfig } from "./config";
import { liveMatrixStopMessage, liveMatrixVerdict, liveMatrixWarning } from "./core/live-matrix";
import type { GrantPlan } from "./core/plan";
import type { LiveCatalogReader } from "./db/live-tables";
import { VerifyError } from "./core/verify/report";

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

export interface RaptorDeps {
    /**
     * Reads the live schema for the deploy-time gate (db/live-tables.ts's readLiveCatalog; index.ts passes it).
     * Left out under mocks and by `raptor-roles plan`, which have no database.
     */
    readonly readLiveCatalog?: LiveCatalogReader;
}

export async function raptor(
    config: StackConfig,
    classification: Classification = RAPTOR_CLASSIFICATION,
    deps: RaptorDeps = {},
): Promise<RaptorOutputs> {
    const { settings } = config;
    // Pure checks first, then the live tier read: a bad matrix or tier stops everything before any resource.
    const plan = buildPlan({ classification, role: settings.role, schema: settings.schema });
    const addon = await PostgresAddon.read("raptor-addon", {
        app: settings.app,
        database: settings.database,
        ...(settings.pool !== undefined ? { pool: settings.pool } : {}),
    });

    // Read at deploy time, so a rotated owner password does not break `pulumi up` (its refresh needs
    // PULUMI_RUN_PROGRAM=true: README, Configuration); a secret override wins.
    const ownerUrlSource = config.ownerDatabaseUrl
        ? "raptor:ownerDatabaseUrl"
        : addon.family === "advanced"
          ? `\`heroku data:pg:credentials:url ${addon.addonName} -a ${settings.app}\` (the owner credential)`
          : `\`heroku config:get ${settings.database}_URL -a ${settings.app}\``;
    const ownerDatabaseUrl = config.ownerDatabaseUrl ?? readOwnerUrl(settings.app, settings.database, addon);
    // Before the first resource: a table a migration dropped or renamed stops the update with nothing changed.
    if (deps.readLiveCatalog) {
        const url = await known(ownerDatabaseUrl);
        // A connection failure is said in one line with its fix (db/live-tables.ts), not as a stack trace.
        const catalog = await deps.readLiveCatalog(url, plan, ownerUrlSource).catch((e: unknown) => {
            throw e instanceof VerifyError ? new pulumi.RunError(e.message) : e;
        });
        await checkLiveTables(plan, settings.roleSeparation, catalog);
    }

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
            addonPlan: addon.plan,
            ...(settings.pool !== undefined ? { pool: settings.pool } : {}),
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

/** An Output's value, for the checks that must finish before any resource is declared (known at preview too). */
function known<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/**
 * Stops the update, before any change, when the live tables no longer match the matrix (core/live-matrix.ts).
 * With the flag off the app does not connect as the role, so the findings are warnings: the emergency stop
 * never waits for a migration's fix.
 */
async function checkLiveTables(
    plan: GrantPlan,
    roleSeparation: boolean,
    catalog: Parameters<typeof liveMatrixVerdict>[1],
): Promise<void> {
    const { stops, notices } = liveMatrixVerdict(plan, catalog);
    if (stops.length > 0 && roleSeparation) {
        throw new pulumi.RunError(liveMatrixStopMessage(plan, stops));
    }
    if (stops.length > 0) {
        await pulumi.log.warn(
            liveMatrixWarning(
                plan,
                stops,
                "the live tables do not match the matrix; deploying anyway with the flag off",
            ),
        );
    }
    if (notices.length > 0) {
        await pulumi.log.warn(liveMatrixWarning(plan, notices, "tables in no set of core/classification.ts"));
    }
}

/**
 * The owner's URL, a secret. Classic: the app's `DATABASE_URL`. Advanced: `data:pg:credentials:url` without
 * --name, which picks the credential of type `owner` whatever its name (heroku 11.10 data/pg/credentials/url.js;
 * Dev Center names it `owner`, the CLI's fixtures a generated name), and prints a `Connection URL:` block.
 */
function readOwnerUrl(app: string, database: string, addon: PostgresAddon): pulumi.Output<string> {
    const advanced = addon.family === "advanced";
    const stdout = command.local.runOutput({
        command: advanced ? READ_OWNER_URL_ADVANCED : READ_OWNER_URL,
        interpreter: BASH,
        environment: advanced ? { APP: app, ADDON_NAME: addon.addonName } : { APP: app, DATABASE: database },
        logging: "none",
    }).stdout;
    return pulumi.secret(advanced ? pulumi.secret(stdout).apply(parseCredentialUrl) : stdout);
}

/**
 * A rig app as it stands after a clean deployment with the flag still off: Raptor's schema in the add-on's
 * real database, made by the owner as its migrations make it (schema.ts: the tables, `(id bigserial, payload
 * text)`, the history triggers, then Alembic's own INSERT/UPDATE of alembic_version), the raptor_app
 * credential, the grants `raptor-roles sql` renders (the same plan the program applies),
 * RAPTOR_APP_DATABASE_URL attached, the flag at 0. Tests then run the stand-in app and flip the flag.
 */
import { classify, RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { buildPlan } from "../../../core/plan";
import { renderSql } from "../../../core/sql";
import { APP_ATTACHMENT, FLAG_VAR } from "../../../core/settings";
import { Addon, HerokuApi, credentialUrl } from "../heroku-api";
import { withClient } from "../pg-client";
import { ALEMBIC_INSERT, ALEMBIC_UPDATE, alembicRevisions, schemaDdl } from "./schema";

export const TABLES = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);

/** Runs SQL as the add-on's owner (its default credential). */
export async function asOwner(addon: Addon, sql: string): Promise<void> {
    const owner = addon.credentials.find((c) => c.name === "default")!;
    await withClient({ connectionString: credentialUrl(addon, owner), ssl: false }, (c) => c.query(sql));
}

export interface DeployOptions {
    /** The tables to create; every classified table by default. */
    readonly tables?: readonly string[];
    /** Also run the recent migration that creates weekly_digest_runs (unclassified), for the app's weekly job. */
    readonly weeklyJob?: boolean;
}

/**
 * Schema, credential, grants, attachment and flag 0 on `app`. The last argument is the tables to create (every
 * classified table by default) or DeployOptions.
 */
export async function deployRaptor(
    api: HerokuApi,
    app: string,
    addon: Addon,
    tablesOrOptions: readonly string[] | DeployOptions = {},
): Promise<void> {
    const opts: DeployOptions = isTableList(tablesOrOptions) ? { tables: tablesOrOptions } : tablesOrOptions;
    const tables = opts.tables ?? TABLES;
    const weeklyJob = opts.weeklyJob ?? false;
    await asOwner(addon, schemaDdl(tables, { weeklyJob }));
    if (tables.includes("alembic_version")) {
        // As Alembic stamps each migration: bound parameters, so pg_stat_statements holds the owner's own
        // statements on a locked table (which the app must never run).
        const owner = addon.credentials.find((c) => c.name === "default")!;
        await withClient({ connectionString: credentialUrl(addon, owner), ssl: false }, async (c) => {
            const [first, ...later] = alembicRevisions(weeklyJob);
            await c.query(ALEMBIC_INSERT, [first]);
            let previous = first;
            for (const next of later) {
                await c.query(ALEMBIC_UPDATE, [next, previous]);
                previous = next;
            }
        });
    }
    await api.createCredential(addon, "raptor_app");
    const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
    await asOwner(addon, renderSql(plan));
    api.attach(app, addon, APP_ATTACHMENT, "raptor_app");
    const a = api.model.app(app)!;
    a.vars[FLAG_VAR] = "0";
    api.model.release(a, `Set ${FLAG_VAR} config vars`);
}

function isTableList(x: readonly string[] | DeployOptions): x is readonly string[] {
    return Array.isArray(x);
}

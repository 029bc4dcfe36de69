/**
 * A rig app as it stands after a clean deployment with the flag still off: Raptor's tables in the add-on's
 * real database (owned by the owner, `(id bigserial, payload text)`), the raptor_app credential, the grants
 * `raptor-roles sql` renders (the same plan the program applies), RAPTOR_APP_DATABASE_URL attached, the flag
 * at 0. Tests then run the stand-in app and flip the flag.
 */
import { classify, RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { quoteIdent } from "../../../core/identifiers";
import { buildPlan } from "../../../core/plan";
import { renderSql } from "../../../core/sql";
import { APP_ATTACHMENT, FLAG_VAR } from "../../../core/settings";
import { Addon, HerokuApi, credentialUrl } from "../heroku-api";
import { withClient } from "../pg-client";

export const TABLES = classify(RAPTOR_CLASSIFICATION).map((t) => t.table);

/** Runs SQL as the add-on's owner (its default credential). */
export async function asOwner(addon: Addon, sql: string): Promise<void> {
    const owner = addon.credentials.find((c) => c.name === "default")!;
    await withClient({ connectionString: credentialUrl(addon, owner), ssl: false }, (c) => c.query(sql));
}

/** Tables, credential, grants, attachment and flag 0 on `app`; `tables` defaults to every classified table. */
export async function deployRaptor(
    api: HerokuApi,
    app: string,
    addon: Addon,
    tables: readonly string[] = TABLES,
): Promise<void> {
    const ddl = tables.map((t) =>
        t === "alembic_version"
            ? "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"
            : t === "schema_migrations"
              ? "CREATE TABLE schema_migrations (version varchar(64) PRIMARY KEY)"
              : `CREATE TABLE ${quoteIdent(t)} (id bigserial PRIMARY KEY, payload text)`,
    );
    await asOwner(addon, ddl.join(";\n"));
    await api.createCredential(addon, "raptor_app");
    const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });
    await asOwner(addon, renderSql(plan));
    api.attach(app, addon, APP_ATTACHMENT, "raptor_app");
    const a = api.model.app(app)!;
    a.vars[FLAG_VAR] = "0";
    api.model.release(a, `Set ${FLAG_VAR} config vars`);
}

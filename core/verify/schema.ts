/**
 * The schema family: USAGE on the plan's schema, CREATE in no schema and not
 * on the database, and no grant option on a schema. TEMPORARY is PUBLIC's
 * default on Heroku: session-local, not flagged.
 */
import type { CatalogSchema } from "../catalog";
import { quoteIdent } from "../identifiers";
import { Checker } from "./checker";
import { Obj, orderFor, ordered } from "./privileges";

function schemaObj(c: Checker, s: CatalogSchema): Obj {
    const sql = quoteIdent(s.name);
    const mine = s.acl.filter((e) => e.grantee === c.plan.role);
    return {
        kind: "SCHEMA",
        sql,
        // A schema owned by pg_database_owner changes hands with the database.
        alter: s.ownedByDatabaseOwner ? `ALTER DATABASE ${quoteIdent(c.cat.database.name)}` : `ALTER SCHEMA ${sql}`,
        owner: s.owner,
        acl: s.acl,
        grantOptions: mine.flatMap((e) => e.grantable),
        // Handing a schema back drops the role's owner rights, USAGE included;
        // pg_database_owner's schema keeps its ACL.
        regrant: s.name === c.plan.schema && !s.ownedByDatabaseOwner ? [`GRANT USAGE ON SCHEMA ${sql} TO ${c.R};`] : [],
    };
}

export function checkSchemas(c: Checker): void {
    const R = c.R;
    for (const s of c.cat.schemas) {
        const obj = schemaObj(c, s);
        if (s.name === c.plan.schema && !s.usage) {
            const detail =
                `${R} has no USAGE on schema ${obj.sql}: it cannot reach any table in it ` +
                "(a new Heroku credential starts this way)";
            c.add("schema-usage-missing", `schema ${obj.sql}`, detail, [`GRANT USAGE ON SCHEMA ${obj.sql} TO ${R};`]);
        }
        if (s.create) {
            const src = c.sources(obj, ["CREATE"]);
            const detail = `${R} can create objects in schema ${obj.sql} (DDL): ${c.describe(src.labels)}`;
            c.add("schema-create", `schema ${obj.sql}`, detail, src.fix);
        }
        const go = obj.grantOptions.filter((p) => p !== "CREATE");
        if (go.length > 0) {
            const src = c.sources(obj, ordered(go, orderFor("SCHEMA")), true);
            const detail = `${R} can grant ${go.join(", ")} on schema ${obj.sql} to others: ${c.describe(src.labels)}`;
            c.add("grant-option", `schema ${obj.sql}`, detail, src.fix);
        }
    }
}

export function checkDatabase(c: Checker): void {
    const db = c.cat.database;
    if (!db.create) {
        return;
    }
    const D = quoteIdent(db.name);
    const obj: Obj = {
        kind: "DATABASE",
        sql: D,
        alter: `ALTER DATABASE ${D}`,
        owner: db.ownedBy,
        acl: db.acl,
        grantOptions: [],
        regrant: [],
    };
    const src = c.sources(obj, ["CREATE"]);
    c.add(
        "database-create",
        `database ${D}`,
        `${c.R} can create schemas in database ${D} (DDL): ${c.describe(src.labels)}`,
        src.fix,
    );
}

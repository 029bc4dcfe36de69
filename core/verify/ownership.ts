/**
 * The ownership family: objects the role owns. An owner holds every
 * privilege and may ALTER or DROP (DDL); each fix hands the object back to
 * the database owner and regrants what the plan gives on it.
 */
import type { OwnedObject } from "../catalog";
import { TableSet } from "../classification";
import { qualified, quoteIdent } from "../identifiers";
import { Checker } from "./checker";
import { planGrants } from "./privileges";

const ALTER: Readonly<Record<string, string>> = {
    table: "ALTER TABLE",
    view: "ALTER VIEW",
    "materialized view": "ALTER MATERIALIZED VIEW",
    "foreign table": "ALTER FOREIGN TABLE",
    sequence: "ALTER SEQUENCE",
    type: "ALTER TYPE",
    domain: "ALTER DOMAIN",
    schema: "ALTER SCHEMA",
    database: "ALTER DATABASE",
};

/** What the role loses with the ownership and the plan gives it: put back after ALTER ... OWNER TO. */
function regrantFor(c: Checker, o: OwnedObject, name: string, planned: ReadonlyMap<string, TableSet>): string[] {
    const { schema } = c.plan;
    const regrant: string[] = [];
    if (o.schema === schema && (o.kind === "table" || o.kind === "sequence")) {
        regrant.push(...planGrants(c.R, name, o.kind === "table" ? "r" : "S", planned.get(o.name)));
    }
    if (o.kind === "schema" && o.name === schema) {
        regrant.push(`GRANT USAGE ON SCHEMA ${name} TO ${c.R};`);
    }
    for (const l of o.linked) {
        if (l.schema === schema) {
            regrant.push(`GRANT USAGE ON SEQUENCE ${qualified(l.schema, l.name)} TO ${c.R};`);
        }
    }
    return regrant;
}

export function checkOwnership(c: Checker, planned: ReadonlyMap<string, TableSet>): void {
    const why = "an owner holds every privilege on it and can ALTER or DROP it (DDL)";
    const needs =
        "; ALTER ... OWNER TO needs a superuser (or a member of both roles): on Heroku escalate to the operator";
    const detail = `${c.R} owns it: ${why}${needs}`;
    for (const o of c.cat.owned) {
        const name = o.schema === null ? quoteIdent(o.name) : qualified(o.schema, o.name);
        if (o.kind === "routine") {
            const sig = `${name}(${o.args ?? ""})`;
            c.add("role-owns-object", `routine ${sig}`, detail, [`ALTER ROUTINE ${sig} OWNER TO ${c.ownerTarget};`]);
        } else if (o.kind === "other") {
            c.add("role-owns-object", o.name, detail, [`REASSIGN OWNED BY ${c.R} TO ${c.ownerTarget};`]);
        } else {
            const fix = [`${ALTER[o.kind]} ${name} OWNER TO ${c.ownerTarget};`, ...regrantFor(c, o, name, planned)];
            c.add("role-owns-object", `${o.kind} ${name}`, detail, fix);
        }
    }
}

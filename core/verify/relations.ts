/**
 * The relations family: classified tables that are missing, relations the
 * classification does not know, tables whose effective privileges differ
 * from their set (missing, writable audit tables, readable locked tables,
 * beyond DML, grant options) and sequences (USAGE only).
 */
import type { CatalogRelation } from "../catalog";
import { SET_PRIVILEGES, TableSet } from "../classification";
import { isPlainIdentifier, qualified, quoteIdent } from "../identifiers";
import { Checker } from "./checker";
import { APPEND_ONLY_WRITES, RELKIND_WORD, SEQUENCE_ORDER, TABLE_ORDER, minus, ordered, relObj } from "./privileges";

/**
 * Grant options that come from an ACL item (the role's own, or a role's it
 * inherits from). An owner's or a superuser's implicit grant options are left
 * to the role-owns-object and role-attribute drifts, which remove them.
 */
const aclGrantOptions = (r: CatalogRelation) =>
    r.grantOptions.filter((p) => r.acl.some((e) => e.grantee !== null && e.grantable.includes(p)));

export function checkMissingTables(c: Checker, planned: ReadonlyMap<string, TableSet>): void {
    const { schema } = c.plan;
    for (const name of [...c.cat.missingTables].sort()) {
        const table = qualified(schema, name);
        c.add(
            "table-missing",
            `table ${table}`,
            `classified as ${planned.get(name) ?? "?"} in core/classification.ts, ` +
                `but there is no such table in schema ${quoteIdent(schema)}`,
            [`-- remove "${name}" from core/classification.ts, or run the migration that creates ${table}`],
        );
    }
}

export function checkUnclassified(c: Checker, planned: ReadonlyMap<string, TableSet>): void {
    for (const r of c.cat.relations) {
        const held = [...r.privileges, ...r.columnPrivileges];
        if (r.kind === "S" || planned.has(r.names[0]) || (r.partition && held.length === 0)) {
            continue; // a partition holding nothing is reached only through its parent's privileges
        }
        // One by one: the fix's wording depends on whether each name can be classified.
        for (const name of r.names) {
            checkUnclassifiedName(c, r, name, held);
        }
    }
}

function checkUnclassifiedName(c: Checker, r: CatalogRelation, name: string, held: readonly string[]): void {
    const role = c.cat.role;
    const obj = relObj(c.plan, c.R, r, name, undefined);
    const src = role && held.length > 0 ? c.sources(obj, ordered(held, TABLE_ORDER), false, true) : undefined;
    const classify = isPlainIdentifier(name)
        ? `-- then classify it: add "${name}" to application, appendOnly or locked in core/classification.ts`
        : `-- ${JSON.stringify(name)} is not a plain identifier, so it cannot be classified: ` +
          "rename it to a lower-case name or drop it";
    const revoke = `REVOKE ALL ON TABLE ${obj.sql} FROM ${c.R}${r.grantOptions.length > 0 ? " CASCADE" : ""};`;
    c.add(
        "unclassified-table",
        `${RELKIND_WORD[r.kind]} ${obj.sql}`,
        `in schema ${quoteIdent(c.plan.schema)} but in none of the sets of core/classification.ts` +
            (r.partition ? " (a partition with privileges of its own)" : "") +
            (src ? `; ${c.R} holds ${c.describe(src.labels)}` : role ? `; ${c.R} holds nothing on it` : ""),
        role ? [revoke, ...(src?.fix ?? []), classify] : [classify],
    );
}

function checkSequence(c: Checker, r: CatalogRelation, name: string): void {
    const R = c.R;
    const obj = relObj(c.plan, R, r, name, undefined);
    const what = `sequence ${obj.sql}`;
    if (!r.privileges.includes("USAGE")) {
        const detail = `${R} has no USAGE on ${obj.sql}: inserts through its bigserial default fail`;
        c.add("sequence-usage-missing", what, detail, [`GRANT USAGE ON SEQUENCE ${obj.sql} TO ${R};`]);
    }
    const excess = minus(r.privileges, ["USAGE"]);
    if (excess.length > 0) {
        const src = c.sources(obj, ordered(excess, SEQUENCE_ORDER));
        const detail = `${R} holds more than USAGE (UPDATE allows setval, SELECT reads it): ${c.describe(src.labels)}`;
        c.add("sequence-excess-privilege", what, detail, src.fix);
    }
    const go = aclGrantOptions(r).filter((p) => p === "USAGE");
    if (go.length > 0) {
        const src = c.sources(obj, go, true);
        c.add("grant-option", what, `${R} can grant USAGE on ${obj.sql} to others: ${c.describe(src.labels)}`, src.fix);
    }
}

function checkTable(c: Checker, r: CatalogRelation, name: string, set: TableSet): void {
    const R = c.R;
    const obj = relObj(c.plan, R, r, name, set);
    const what = `${RELKIND_WORD[r.kind]} ${obj.sql}`;
    const expected = SET_PRIVILEGES[set];
    const missing = minus(expected, r.privileges);
    if (missing.length > 0) {
        const detail = `${set} table without ${missing.join(", ")} for ${R}: the app gets "permission denied"`;
        c.add("table-privilege-missing", what, detail, [
            `GRANT ${ordered(missing, TABLE_ORDER).join(", ")} ON TABLE ${obj.sql} TO ${R};`,
        ]);
    }
    const excess = ordered(minus([...r.privileges, ...r.columnPrivileges], expected), TABLE_ORDER);
    if (set === "locked") {
        if (excess.length > 0) {
            const src = c.sources(obj, excess);
            c.add(
                "locked-table-accessible",
                what,
                `locked (migration state) but ${R} holds ${c.describe(src.labels)}`,
                src.fix,
            );
        }
        return;
    }
    const writes = set === "appendOnly" ? excess.filter((p) => APPEND_ONLY_WRITES.includes(p)) : [];
    const beyond = excess.filter((p) => !writes.includes(p));
    if (writes.length > 0) {
        const src = c.sources(obj, writes);
        const detail = `append-only (audit/history) but ${R} can rewrite or erase it: ${c.describe(src.labels)}`;
        c.add("append-only-writable", what, detail, src.fix);
    }
    if (beyond.length > 0) {
        const src = c.sources(obj, beyond);
        c.add(
            "table-excess-privilege",
            what,
            `${set} table; beyond DML (the runbook's "no DDL"): ${c.describe(src.labels)}`,
            src.fix,
        );
    }
    const go = ordered(
        aclGrantOptions(r).filter((p) => expected.includes(p as never)),
        TABLE_ORDER,
    );
    if (go.length > 0) {
        const src = c.sources(obj, go, true);
        c.add(
            "grant-option",
            what,
            `${R} can grant ${go.join(", ")} on ${obj.sql} to others: ${c.describe(src.labels)}`,
            src.fix,
        );
    }
}

/** Tables and sequences the catalog query found different from the plan (unclassified ones are above). */
export function checkRelations(c: Checker, planned: ReadonlyMap<string, TableSet>): void {
    for (const r of c.cat.relations) {
        const set = planned.get(r.names[0]); // the query groups by set: one set per group
        if (r.kind === "S") {
            c.forEachName(r.names, (name) => checkSequence(c, r, name));
        } else if (set !== undefined) {
            c.forEachName(r.names, (name) => checkTable(c, r, name, set));
        }
    }
}

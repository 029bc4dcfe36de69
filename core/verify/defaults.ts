/**
 * The default-privileges family: sequences the database owner creates later
 * must give the role USAGE; future tables and schemas must give it nothing.
 */
import type { DefaultAclEntry } from "../catalog";
import { quoteIdent } from "../identifiers";
import { Checker } from "./checker";
import { SEQUENCE_ORDER, TABLE_ORDER, ordered } from "./privileges";

const KINDS: Readonly<Record<string, { readonly word: string; readonly allowed: readonly string[] }>> = {
    r: { word: "TABLES", allowed: [] },
    S: { word: "SEQUENCES", allowed: ["USAGE"] },
    n: { word: "SCHEMAS", allowed: ["USAGE"] },
};

export function checkDefaultsMissing(c: Checker): void {
    const { role, schema } = c.plan;
    const dbOwner = c.cat.database.owner;
    const has = c.cat.defaultAcl.some(
        (a) =>
            a.owner === dbOwner &&
            a.objectType === "S" &&
            a.privilege === "USAGE" &&
            (a.grantee === role || a.grantee === null) &&
            (a.schema === null || a.schema === schema),
    );
    if (!has) {
        const O = quoteIdent(dbOwner);
        const S = quoteIdent(schema);
        c.add(
            "default-privileges-missing",
            `default privileges of ${O} in schema ${S}`,
            `sequences ${O} creates later will not give ${c.R} USAGE: ` +
                "the next migration's bigserial table fails on insert",
            [`ALTER DEFAULT PRIVILEGES FOR ROLE ${O} IN SCHEMA ${S} GRANT USAGE ON SEQUENCES TO ${c.R};`],
        );
    }
}

export function checkDefaultsExcess(c: Checker): void {
    const excess = new Map<string, { entry: DefaultAclEntry; privs: string[] }>();
    for (const a of c.cat.defaultAcl) {
        const k = KINDS[a.objectType];
        if (!k || k.allowed.includes(a.privilege)) {
            continue;
        }
        const key = JSON.stringify([a.owner, a.schema, a.objectType, a.grantee]);
        const e = excess.get(key) ?? { entry: a, privs: [] };
        e.privs.push(a.privilege);
        excess.set(key, e);
    }
    for (const { entry: e, privs: raw } of excess.values()) {
        const k = KINDS[e.objectType];
        const O = quoteIdent(e.owner);
        const inSchema = e.schema === null ? "" : ` in schema ${quoteIdent(e.schema)}`;
        const to = e.grantee === null ? "PUBLIC" : quoteIdent(e.grantee);
        const privs = ordered(raw, e.objectType === "S" ? SEQUENCE_ORDER : TABLE_ORDER.concat(["CREATE"])).join(", ");
        const where = e.schema === null ? "" : ` IN SCHEMA ${quoteIdent(e.schema)}`;
        c.add(
            "default-privileges-excess",
            `default privileges of ${O}${inSchema}`,
            `every ${k.word.toLowerCase().replace(/s$/, "")} ${O} creates later gives ${to} ${privs}, ` +
                "before anyone classifies it",
            [`ALTER DEFAULT PRIVILEGES FOR ROLE ${O}${where} REVOKE ${privs} ON ${k.word} FROM ${to};`],
        );
    }
}

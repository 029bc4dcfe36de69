/**
 * Drift between a live database (one catalog snapshot, db/catalog.ts) and
 * the grant plan, as data: each drift has a class, the object, what is wrong
 * and the exact fix, aimed at where the privilege actually comes from (a
 * direct grant, a column grant, PUBLIC, a role membership, ownership or the
 * SUPERUSER attribute). Pure: no pg, no Pulumi, no I/O.
 */
import type { AclEntry, Catalog, CatalogRelation, RelKind } from "./catalog";
import { SET_PRIVILEGES, TableSet } from "./classification";
import { isPlainIdentifier, qualified, quoteIdent } from "./identifiers";
import { GrantPlan } from "./plan";

/** Every drift class, in report order (role, schema and database first; then tables, sequences, defaults). */
export const DRIFT_CLASSES = [
    "role-missing",
    "role-cannot-login",
    "role-attribute",
    "role-membership",
    "role-owns-object",
    "schema-usage-missing",
    "schema-create",
    "database-create",
    "table-missing",
    "unclassified-table",
    "table-privilege-missing",
    "append-only-writable",
    "locked-table-accessible",
    "table-excess-privilege",
    "sequence-usage-missing",
    "sequence-excess-privilege",
    "grant-option",
    "default-privileges-missing",
    "default-privileges-excess",
] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

export interface Drift {
    readonly class: DriftClass;
    /** What is wrong, e.g. `table "public"."users"`, `role "raptor_app"`. Identifiers quoted as SQL would. */
    readonly object: string;
    readonly detail: string;
    /** The exact statements (or, for role-missing, the heroku command) that fix it; one per line. */
    readonly fix: string;
}

export interface VerifyReport {
    readonly role: string;
    readonly schema: string;
    readonly database: string;
    readonly clean: boolean;
    readonly drifts: readonly Drift[];
    /** Drifts per class; every class is present, zero included, so the keys never change. */
    readonly counts: Readonly<Record<DriftClass, number>>;
    readonly checked: { readonly tables: number; readonly sequences: number; readonly unclassified: number };
}

export interface VerifyContext {
    /** From the stack, for the role-missing fix; placeholders are printed without it. */
    readonly heroku?: { readonly app: string; readonly attachment: string };
}

/** The check cannot run at all (as opposed to finding drift). */
export class VerifyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VerifyError";
    }
}

const TABLE_ORDER = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"];
const SEQUENCE_ORDER = ["USAGE", "SELECT", "UPDATE"];
const APPEND_ONLY_WRITES = ["UPDATE", "DELETE", "TRUNCATE"];

/** Predefined roles and the privileges they give on every table/sequence/schema without an ACL entry. */
const PREDEFINED: Readonly<Record<string, Readonly<Record<ObjKind, readonly string[]>>>> = {
    pg_read_all_data: { TABLE: ["SELECT"], SEQUENCE: ["SELECT"], SCHEMA: ["USAGE"], DATABASE: [] },
    pg_write_all_data: { TABLE: ["INSERT", "UPDATE", "DELETE"], SEQUENCE: ["UPDATE"], SCHEMA: ["USAGE"], DATABASE: [] },
    pg_maintain: { TABLE: ["MAINTAIN"], SEQUENCE: [], SCHEMA: [], DATABASE: [] },
};

type ObjKind = "TABLE" | "SEQUENCE" | "SCHEMA" | "DATABASE";

/** An object whose privileges the role holds, with what the catalog says about their sources. */
interface Obj {
    readonly kind: ObjKind;
    /** SQL name, quoted. */
    readonly sql: string;
    /** ALTER ... OWNER TO statement prefix for this object, e.g. `ALTER TABLE "public"."t"`. */
    readonly alter: string;
    readonly owner: string | null;
    readonly acl: readonly AclEntry[];
    /** Effective privileges the role holds WITH GRANT OPTION (CASCADE is then needed to revoke). */
    readonly grantOptions: readonly string[];
    /**
     * Grants that put back what the plan gives the role once ownership moves
     * away (the role then loses every implicit privilege it had as owner).
     */
    readonly regrant: readonly string[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ordered = (privs: Iterable<string>, order: readonly string[]) =>
    [...new Set(privs)].sort((a, b) => {
        const ia = order.indexOf(a);
        const ib = order.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || byText(a, b);
    });
const orderFor = (kind: ObjKind) => (kind === "SEQUENCE" ? SEQUENCE_ORDER : kind === "TABLE" ? TABLE_ORDER : ["USAGE", "CREATE", "CONNECT", "TEMPORARY"]);

const RELKIND_WORD: Readonly<Record<RelKind, string>> = {
    r: "table",
    p: "partitioned table",
    v: "view",
    m: "materialized view",
    f: "foreign table",
    S: "sequence",
};
const RELKIND_ALTER: Readonly<Record<RelKind, string>> = {
    r: "ALTER TABLE",
    p: "ALTER TABLE",
    v: "ALTER VIEW",
    m: "ALTER MATERIALIZED VIEW",
    f: "ALTER FOREIGN TABLE",
    S: "ALTER SEQUENCE",
};

class Checker {
    readonly drifts: Drift[] = [];
    readonly R: string;
    /** Whom ownership goes back to: the database owner (Heroku's DATABASE_URL user). */
    readonly ownerTarget: string;
    /** Inherited (reached) role -> the direct memberships it is reached through. */
    private readonly vias = new Map<string, Set<string>>();

    constructor(
        readonly plan: GrantPlan,
        readonly cat: Catalog,
    ) {
        this.R = quoteIdent(plan.role);
        const dbOwner = cat.database.owner;
        this.ownerTarget = quoteIdent(dbOwner !== plan.role ? dbOwner : cat.currentUser);
        for (const r of cat.reached) {
            if (r.inherit) {
                const s = this.vias.get(r.role) ?? new Set<string>();
                s.add(r.via);
                this.vias.set(r.role, s);
            }
        }
    }

    add(cls: DriftClass, object: string, detail: string, fix: readonly string[]): void {
        this.drifts.push({ class: cls, object, detail, fix: [...new Set(fix)].join("\n") });
    }

    private revokeMembership(via: string): string[] {
        const edges = this.cat.memberships.filter((m) => m.role === via);
        return (edges.length > 0 ? edges : [{ grantor: null }]).map((e) =>
            e.grantor ? `REVOKE ${quoteIdent(via)} FROM ${this.R} GRANTED BY ${quoteIdent(e.grantor)};` : `REVOKE ${quoteIdent(via)} FROM ${this.R};`,
        );
    }

    private viasOf(role: string): string[] {
        return [...(this.vias.get(role) ?? [])].sort(byText);
    }

    /**
     * Where each of `privs` on `obj` comes from, as human labels per privilege,
     * and the statements that remove exactly those sources. `grantOption`:
     * explain the grant options on them instead of the privileges.
     */
    sources(obj: Obj, privs: readonly string[], grantOption = false, roleRevokedAlready = false): { labels: Map<string, string[]>; fix: string[] } {
        const labels = new Map<string, string[]>();
        const direct = new Set<string>();
        const pub = new Set<string>();
        const cols = new Map<string, Set<string>>();
        const pubCols = new Map<string, Set<string>>();
        const memberships = new Set<string>();
        let owner = false;
        let superuser = false;
        const unexplained: string[] = [];
        const role = this.plan.role;
        for (const p of privs) {
            const why: string[] = [];
            if (this.cat.role?.superuser) {
                superuser = true;
                why.push("as a superuser");
            }
            if (obj.owner === role) {
                owner = true;
                why.push("as its owner");
            } else if (obj.owner !== null) {
                for (const v of this.viasOf(obj.owner)) {
                    memberships.add(v);
                    why.push(`through membership in ${quoteIdent(v)}, which ${v === obj.owner ? "owns it" : `inherits from its owner ${quoteIdent(obj.owner)}`}`);
                }
            }
            for (const e of obj.acl) {
                if (!(grantOption ? e.grantable : e.privileges).includes(p)) {
                    continue;
                }
                if (e.grantee === role) {
                    if (e.column === null) {
                        direct.add(p);
                        why.push("granted directly");
                    } else {
                        (cols.get(p) ?? cols.set(p, new Set()).get(p)!).add(e.column);
                        why.push(`granted on column ${quoteIdent(e.column)}`);
                    }
                } else if (e.grantee === null) {
                    if (e.column === null) {
                        pub.add(p);
                        why.push("granted to PUBLIC");
                    } else {
                        (pubCols.get(p) ?? pubCols.set(p, new Set()).get(p)!).add(e.column);
                        why.push(`granted to PUBLIC on column ${quoteIdent(e.column)}`);
                    }
                } else {
                    for (const v of this.viasOf(e.grantee)) {
                        memberships.add(v);
                        why.push(
                            `granted${e.column !== null ? ` on column ${quoteIdent(e.column)}` : ""} to ${quoteIdent(e.grantee)}` +
                                (v === e.grantee ? ", of which it is a member" : `, which it reaches through ${quoteIdent(v)}`),
                        );
                    }
                }
            }
            if (!grantOption) {
                for (const [pre, gives] of Object.entries(PREDEFINED)) {
                    if (gives[obj.kind].includes(p)) {
                        for (const v of this.viasOf(pre)) {
                            memberships.add(v);
                            why.push(`through the predefined role ${pre}${v === pre ? "" : ` (via ${quoteIdent(v)})`}`);
                        }
                    }
                }
            }
            if (why.length === 0) {
                unexplained.push(p);
                why.push("source not found in the catalog");
            }
            labels.set(p, [...new Set(why)]);
        }

        const order = orderFor(obj.kind);
        const fix: string[] = [];
        const cascadeFor = (ps: Iterable<string>) => ([...ps].some((p) => obj.grantOptions.includes(p)) ? " CASCADE" : "");
        const go = grantOption ? "GRANT OPTION FOR " : "";
        if (roleRevokedAlready) {
            // REVOKE ALL ON TABLE ... FROM the role already removed its table and column grants.
            direct.clear();
            cols.clear();
        }
        if (direct.size > 0) {
            fix.push(`REVOKE ${go}${ordered(direct, order).join(", ")} ON ${obj.kind} ${obj.sql} FROM ${this.R}${grantOption ? " CASCADE" : cascadeFor(direct)};`);
        }
        for (const p of ordered(cols.keys(), order)) {
            const cs = [...cols.get(p)!].sort(byText).map(quoteIdent).join(", ");
            fix.push(`REVOKE ${go}${p} (${cs}) ON TABLE ${obj.sql} FROM ${this.R}${grantOption ? " CASCADE" : cascadeFor([p])};`);
        }
        if (pub.size > 0) {
            fix.push(`REVOKE ${ordered(pub, order).join(", ")} ON ${obj.kind} ${obj.sql} FROM PUBLIC;`);
        }
        for (const p of ordered(pubCols.keys(), order)) {
            const cs = [...pubCols.get(p)!].sort(byText).map(quoteIdent).join(", ");
            fix.push(`REVOKE ${p} (${cs}) ON TABLE ${obj.sql} FROM PUBLIC;`);
        }
        for (const v of [...memberships].sort(byText)) {
            fix.push(...this.revokeMembership(v));
        }
        if (owner) {
            fix.push(`${obj.alter} OWNER TO ${this.ownerTarget};`, ...obj.regrant);
        }
        if (superuser) {
            fix.push(`ALTER ROLE ${this.R} NOSUPERUSER;`);
        }
        for (const p of unexplained) {
            fix.push(`-- could not find where ${p} on ${obj.sql} comes from; inspect it with \\dp (or \\dn+, \\l+) and \\drg ${this.R}`);
        }
        return { labels, fix };
    }

    describe(labels: Map<string, string[]>): string {
        return [...labels].map(([p, why]) => `${p} (${why.join("; ")})`).join(", ");
    }
}

/** The plan's grants for a relation of its schema: what regranting it after an ownership change restores. */
function planGrants(R: string, sql: string, kind: RelKind, set: TableSet | undefined): string[] {
    if (kind === "S") {
        return [`GRANT USAGE ON SEQUENCE ${sql} TO ${R};`];
    }
    const privs = set === undefined ? [] : SET_PRIVILEGES[set];
    return privs.length > 0 ? [`GRANT ${privs.join(", ")} ON TABLE ${sql} TO ${R};`] : [];
}

function relObj(plan: GrantPlan, R: string, r: CatalogRelation, set: TableSet | undefined): Obj {
    const sql = qualified(plan.schema, r.name);
    // A sequence linked to a column changes owner only with its table.
    const alter = r.kind === "S" && r.linkedTable ? `ALTER TABLE ${qualified(r.linkedTable.schema, r.linkedTable.name)}` : `${RELKIND_ALTER[r.kind]} ${sql}`;
    return {
        kind: r.kind === "S" ? "SEQUENCE" : "TABLE",
        sql,
        alter,
        owner: r.owner,
        acl: r.acl,
        grantOptions: r.grantOptions,
        regrant: planGrants(R, sql, r.kind, set),
    };
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

/**
 * Grant options that come from an ACL item (the role's own, or a role's it
 * inherits from). An owner's or a superuser's implicit grant options are left
 * to the role-owns-object and role-attribute drifts, which remove them.
 */
const aclGrantOptions = (r: CatalogRelation) =>
    r.grantOptions.filter((p) => r.acl.some((e) => e.grantee !== null && e.grantable.includes(p)));

/**
 * Compares the catalog with the plan. Throws VerifyError only when the plan's
 * schema does not exist (nothing can be checked); everything else is drift.
 */
export function computeDrift(plan: GrantPlan, cat: Catalog, ctx: VerifyContext = {}): VerifyReport {
    if (!cat.schemaExists) {
        throw new VerifyError(
            `schema ${quoteIdent(plan.schema)} does not exist in database ${quoteIdent(cat.database.name)}; ` +
                "check the URL (is it the right database?) and the stack's raptor:schema",
        );
    }
    const c = new Checker(plan, cat);
    const R = c.R;
    const S = quoteIdent(plan.schema);
    const D = quoteIdent(cat.database.name);
    const roleObj = `role ${R}`;
    const planned = new Map(plan.tables.map((t) => [t.table, t.set] as [string, TableSet]));

    // The plan's tables that are not there, and tables the plan does not know: checked even without the role.
    for (const name of [...cat.missingTables].sort(byText)) {
        c.add(
            "table-missing",
            `table ${qualified(plan.schema, name)}`,
            `classified as ${planned.get(name) ?? "?"} in core/classification.ts, but there is no such table in schema ${S}`,
            [`-- remove "${name}" from core/classification.ts, or run the migration that creates ${qualified(plan.schema, name)}`],
        );
    }

    const role = cat.role;
    if (role === null) {
        const h = ctx.heroku;
        c.add(
            "role-missing",
            roleObj,
            `role ${R} does not exist in database ${D}. Create it as a Heroku credential, never with CREATE ROLE (the owner is not in ` +
                "rds_password: runbook failure mode A), then attach it and apply the grants (pulumi up, or raptor-roles sql)",
            [`heroku pg:credentials:create ${h?.attachment ?? "DATABASE"} --name ${plan.role} -a ${h?.app ?? "<app>"}`],
        );
    }

    for (const r of cat.relations) {
        if (r.kind === "S" || planned.has(r.name)) {
            continue;
        }
        const held = [...r.privileges, ...r.columnPrivileges];
        if (r.partition && held.length === 0) {
            continue; // reached only through its parent's privileges
        }
        const obj = relObj(plan, R, r, undefined);
        const src = role && held.length > 0 ? c.sources(obj, ordered(held, TABLE_ORDER), false, true) : undefined;
        const classify = isPlainIdentifier(r.name)
            ? `-- then classify it: add "${r.name}" to application, appendOnly or locked in core/classification.ts`
            : `-- ${JSON.stringify(r.name)} is not a plain identifier, so it cannot be classified: rename it to a lower-case name or drop it`;
        c.add(
            "unclassified-table",
            `${RELKIND_WORD[r.kind]} ${obj.sql}`,
            `in schema ${S} but in none of the sets of core/classification.ts` +
                (r.partition ? " (a partition with privileges of its own)" : "") +
                (src ? `; ${R} holds ${c.describe(src.labels)}` : role ? `; ${R} holds nothing on it` : ""),
            role ? [`REVOKE ALL ON TABLE ${obj.sql} FROM ${R}${r.grantOptions.length > 0 ? " CASCADE" : ""};`, ...(src?.fix ?? []), classify] : [classify],
        );
    }

    if (role === null) {
        return finish(plan, cat, c);
    }

    // The role itself.
    if (!role.canLogin) {
        c.add("role-cannot-login", roleObj, `${R} has NOLOGIN: the app cannot connect as it (ALTER ROLE needs a superuser or CREATEROLE; on Heroku escalate to the operator)`, [`ALTER ROLE ${R} LOGIN;`]);
    }
    if (role.expired) {
        c.add("role-cannot-login", roleObj, `${R}'s VALID UNTIL is in the past: password logins are refused`, [`ALTER ROLE ${R} VALID UNTIL 'infinity';`]);
    }
    if (role.connectionLimit === 0) {
        c.add("role-cannot-login", roleObj, `${R} has CONNECTION LIMIT 0: every login is refused`, [`ALTER ROLE ${R} CONNECTION LIMIT -1;`]);
    }
    if (!cat.database.connect) {
        c.add("role-cannot-login", roleObj, `${R} has no CONNECT on database ${D} (not directly, not through PUBLIC)`, [`GRANT CONNECT ON DATABASE ${D} TO ${R};`]);
    }
    const attributes: [boolean, string, string][] = [
        [role.superuser, "SUPERUSER", "bypasses every privilege check: it can read, rewrite and drop anything"],
        [role.createRole, "CREATEROLE", "can create roles and grant itself their memberships"],
        [role.createDb, "CREATEDB", "can create databases (DDL)"],
        [role.replication, "REPLICATION", "can stream every row of the cluster"],
        [role.bypassRls, "BYPASSRLS", "ignores row-level security policies"],
    ];
    for (const [has, attr, why] of attributes) {
        if (has) {
            c.add("role-attribute", roleObj, `${R} has ${attr}: it ${why}; the plan allows DML only (needs a superuser to remove)`, [`ALTER ROLE ${R} NO${attr};`]);
        }
    }

    // Memberships: the plan grants none, and Pulumi state never shows one.
    for (const m of cat.memberships) {
        const reach = cat.reached.filter((x) => x.via === m.role);
        const gives: string[] = [];
        for (const x of reach) {
            const who = x.role === m.role ? quoteIdent(x.role) : `${quoteIdent(x.role)} (through it)`;
            const attrs = [x.superuser && "SUPERUSER", x.createRole && "CREATEROLE", x.createDb && "CREATEDB", x.replication && "REPLICATION", x.bypassRls && "BYPASSRLS"].filter(Boolean);
            if (attrs.length > 0) {
                gives.push(`${who} has ${attrs.join(", ")} (usable after SET ROLE)`);
            }
            if (x.databaseOwner) {
                gives.push(`${who} owns database ${D} and every object it created`);
            } else if (x.ownsRelations > 0) {
                gives.push(`${who} owns ${x.ownsRelations} object(s) in this database`);
            }
            if (x.predefined) {
                const p = PREDEFINED[x.role];
                gives.push(
                    p ? `${who} is predefined: ${[...new Set(p.TABLE)].join(", ")} on every table of every schema` : `${who} is a predefined role (powers beyond DML on the grant matrix)`,
                );
            }
        }
        const opts = [m.inherit ? "INHERIT" : "NOINHERIT", m.set ? "SET" : "NOSET", m.admin ? "ADMIN" : ""].filter(Boolean).join(", ");
        c.add(
            "role-membership",
            `membership ${R} in ${quoteIdent(m.role)}`,
            `${R} is a member of ${quoteIdent(m.role)} (${opts}; granted by ${quoteIdent(m.grantor)}). The plan grants no memberships: ` +
                `privileges that arrive this way bypass the matrix and no Pulumi state shows them` +
                (gives.length > 0 ? `. ${gives.join("; ")}` : ""),
            [`REVOKE ${quoteIdent(m.role)} FROM ${R} GRANTED BY ${quoteIdent(m.grantor)};`],
        );
    }

    // Objects the role owns: an owner holds every privilege and may ALTER or DROP (DDL).
    for (const o of cat.owned) {
        const name = o.schema === null ? quoteIdent(o.name) : qualified(o.schema, o.name);
        const why = "an owner holds every privilege on it and can ALTER or DROP it (DDL)";
        const needs = "; ALTER ... OWNER TO needs a superuser (or a member of both roles): on Heroku escalate to the operator";
        switch (o.kind) {
            case "routine":
                c.add("role-owns-object", `routine ${name}(${o.args ?? ""})`, `${R} owns it: ${why}${needs}`, [`ALTER ROUTINE ${name}(${o.args ?? ""}) OWNER TO ${c.ownerTarget};`]);
                break;
            case "other":
                c.add("role-owns-object", o.name, `${R} owns it: ${why}${needs}`, [`REASSIGN OWNED BY ${R} TO ${c.ownerTarget};`]);
                break;
            default: {
                // Give back what the plan grants on it: the role loses its owner's privileges with the ownership.
                const regrant: string[] = [];
                if (o.schema === plan.schema && (o.kind === "table" || o.kind === "sequence")) {
                    regrant.push(...planGrants(R, name, o.kind === "table" ? "r" : "S", planned.get(o.name)));
                }
                if (o.kind === "schema" && o.name === plan.schema) {
                    regrant.push(`GRANT USAGE ON SCHEMA ${name} TO ${R};`);
                }
                for (const l of o.linked) {
                    if (l.schema === plan.schema) {
                        regrant.push(`GRANT USAGE ON SEQUENCE ${qualified(l.schema, l.name)} TO ${R};`);
                    }
                }
                const alter: Record<string, string> = {
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
                c.add("role-owns-object", `${o.kind} ${name}`, `${R} owns it: ${why}${needs}`, [`${alter[o.kind]} ${name} OWNER TO ${c.ownerTarget};`, ...regrant]);
            }
        }
    }

    // Schemas: USAGE on the plan's schema, CREATE nowhere.
    for (const s of cat.schemas) {
        const obj: Obj = {
            kind: "SCHEMA",
            sql: quoteIdent(s.name),
            // A schema owned by pg_database_owner changes hands with the database.
            alter: s.ownedByDatabaseOwner ? `ALTER DATABASE ${D}` : `ALTER SCHEMA ${quoteIdent(s.name)}`,
            owner: s.owner,
            acl: s.acl,
            grantOptions: s.acl.filter((e) => e.grantee === plan.role).flatMap((e) => e.grantable),
            // Handing a schema back drops the role's owner rights, USAGE included; pg_database_owner's schema keeps its ACL.
            regrant: s.name === plan.schema && !s.ownedByDatabaseOwner ? [`GRANT USAGE ON SCHEMA ${quoteIdent(s.name)} TO ${R};`] : [],
        };
        if (s.name === plan.schema && !s.usage) {
            c.add("schema-usage-missing", `schema ${obj.sql}`, `${R} has no USAGE on schema ${obj.sql}: it cannot reach any table in it (a new Heroku credential starts this way)`, [
                `GRANT USAGE ON SCHEMA ${obj.sql} TO ${R};`,
            ]);
        }
        if (s.create) {
            const src = c.sources(obj, ["CREATE"]);
            c.add("schema-create", `schema ${obj.sql}`, `${R} can create objects in schema ${obj.sql} (DDL): ${c.describe(src.labels)}`, src.fix);
        }
        const go = s.acl.filter((e) => e.grantee === plan.role).flatMap((e) => e.grantable).filter((p) => p !== "CREATE");
        if (go.length > 0) {
            const src = c.sources(obj, ordered(go, orderFor("SCHEMA")), true);
            c.add("grant-option", `schema ${obj.sql}`, `${R} can grant ${go.join(", ")} on schema ${obj.sql} to others: ${c.describe(src.labels)}`, src.fix);
        }
    }

    // The database: no CREATE (new schemas). TEMPORARY is PUBLIC's default on Heroku: session-local, not flagged.
    if (cat.database.create) {
        const obj: Obj = { kind: "DATABASE", sql: D, alter: `ALTER DATABASE ${D}`, owner: cat.database.ownedBy, acl: cat.database.acl, grantOptions: [], regrant: [] };
        const src = c.sources(obj, ["CREATE"]);
        c.add("database-create", `database ${D}`, `${R} can create schemas in database ${D} (DDL): ${c.describe(src.labels)}`, src.fix);
    }

    // Tables and sequences the fast pass flagged.
    for (const r of cat.relations) {
        const set = planned.get(r.name);
        if (r.kind === "S") {
            const obj = relObj(plan, R, r, undefined);
            const what = `sequence ${obj.sql}`;
            if (!r.privileges.includes("USAGE")) {
                c.add("sequence-usage-missing", what, `${R} has no USAGE on ${obj.sql}: inserts through its bigserial default fail`, [`GRANT USAGE ON SEQUENCE ${obj.sql} TO ${R};`]);
            }
            const excess = minus(r.privileges, ["USAGE"]);
            if (excess.length > 0) {
                const src = c.sources(obj, ordered(excess, SEQUENCE_ORDER));
                c.add("sequence-excess-privilege", what, `${R} holds more than USAGE (UPDATE allows setval, SELECT reads it): ${c.describe(src.labels)}`, src.fix);
            }
            const go = aclGrantOptions(r).filter((p) => p === "USAGE");
            if (go.length > 0) {
                const src = c.sources(obj, go, true);
                c.add("grant-option", what, `${R} can grant USAGE on ${obj.sql} to others: ${c.describe(src.labels)}`, src.fix);
            }
            continue;
        }
        if (set === undefined) {
            continue; // unclassified: reported above
        }
        const obj = relObj(plan, R, r, set);
        const what = `${RELKIND_WORD[r.kind]} ${obj.sql}`;
        const expected = SET_PRIVILEGES[set];
        const missing = minus(expected, r.privileges);
        if (missing.length > 0) {
            c.add("table-privilege-missing", what, `${set} table without ${missing.join(", ")} for ${R}: the app gets "permission denied"`, [
                `GRANT ${ordered(missing, TABLE_ORDER).join(", ")} ON TABLE ${obj.sql} TO ${R};`,
            ]);
        }
        const excess = ordered(minus([...r.privileges, ...r.columnPrivileges], expected), TABLE_ORDER);
        if (set === "locked") {
            if (excess.length > 0) {
                const src = c.sources(obj, excess);
                c.add("locked-table-accessible", what, `locked (migration state) but ${R} holds ${c.describe(src.labels)}`, src.fix);
            }
        } else {
            const writes = set === "appendOnly" ? excess.filter((p) => APPEND_ONLY_WRITES.includes(p)) : [];
            const beyond = excess.filter((p) => !writes.includes(p));
            if (writes.length > 0) {
                const src = c.sources(obj, writes);
                c.add("append-only-writable", what, `append-only (audit/history) but ${R} can rewrite or erase it: ${c.describe(src.labels)}`, src.fix);
            }
            if (beyond.length > 0) {
                const src = c.sources(obj, beyond);
                c.add("table-excess-privilege", what, `${set} table; beyond DML (the runbook's "no DDL"): ${c.describe(src.labels)}`, src.fix);
            }
            const go = ordered(aclGrantOptions(r).filter((p) => expected.includes(p as never)), TABLE_ORDER);
            if (go.length > 0) {
                const src = c.sources(obj, go, true);
                c.add("grant-option", what, `${R} can grant ${go.join(", ")} on ${obj.sql} to others: ${c.describe(src.labels)}`, src.fix);
            }
        }
    }

    // Default privileges: future sequences get USAGE; future tables and schemas get nothing.
    const dbOwner = cat.database.owner;
    const hasDefaultUsage = cat.defaultAcl.some(
        (a) => a.owner === dbOwner && a.objectType === "S" && a.privilege === "USAGE" && (a.grantee === plan.role || a.grantee === null) && (a.schema === null || a.schema === plan.schema),
    );
    if (!hasDefaultUsage) {
        c.add(
            "default-privileges-missing",
            `default privileges of ${quoteIdent(dbOwner)} in schema ${S}`,
            `sequences ${quoteIdent(dbOwner)} creates later will not give ${R} USAGE: the next migration's bigserial table fails on insert`,
            [`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(dbOwner)} IN SCHEMA ${S} GRANT USAGE ON SEQUENCES TO ${R};`],
        );
    }
    const kinds: Record<string, { word: string; allowed: readonly string[]; inSchema: boolean }> = {
        r: { word: "TABLES", allowed: [], inSchema: true },
        S: { word: "SEQUENCES", allowed: ["USAGE"], inSchema: true },
        n: { word: "SCHEMAS", allowed: ["USAGE"], inSchema: false },
    };
    const excessDefaults = new Map<string, { owner: string; schema: string | null; type: string; grantee: string | null; privs: string[] }>();
    for (const a of cat.defaultAcl) {
        const k = kinds[a.objectType];
        if (!k || k.allowed.includes(a.privilege)) {
            continue;
        }
        const key = JSON.stringify([a.owner, a.schema, a.objectType, a.grantee]);
        const e = excessDefaults.get(key) ?? { owner: a.owner, schema: a.schema, type: a.objectType, grantee: a.grantee, privs: [] };
        e.privs.push(a.privilege);
        excessDefaults.set(key, e);
    }
    for (const e of excessDefaults.values()) {
        const k = kinds[e.type];
        const where = e.schema === null ? "" : ` IN SCHEMA ${quoteIdent(e.schema)}`;
        const to = e.grantee === null ? "PUBLIC" : quoteIdent(e.grantee);
        const privs = ordered(e.privs, e.type === "S" ? SEQUENCE_ORDER : TABLE_ORDER.concat(["CREATE"]));
        c.add(
            "default-privileges-excess",
            `default privileges of ${quoteIdent(e.owner)}${e.schema === null ? "" : ` in schema ${quoteIdent(e.schema)}`}`,
            `every ${k.word.toLowerCase().replace(/s$/, "")} ${quoteIdent(e.owner)} creates later gives ${to} ${privs.join(", ")}, before anyone classifies it`,
            [`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(e.owner)}${where} REVOKE ${privs.join(", ")} ON ${k.word} FROM ${to};`],
        );
    }

    return finish(plan, cat, c);
}

function finish(plan: GrantPlan, cat: Catalog, c: Checker): VerifyReport {
    const rank = (d: Drift) => DRIFT_CLASSES.indexOf(d.class);
    const drifts = [...c.drifts].sort((a, b) => rank(a) - rank(b) || byText(a.object, b.object) || byText(a.fix, b.fix) || byText(a.detail, b.detail));
    const counts = Object.fromEntries(DRIFT_CLASSES.map((k) => [k, 0])) as Record<DriftClass, number>;
    for (const d of drifts) {
        counts[d.class] += 1;
    }
    return {
        role: plan.role,
        schema: plan.schema,
        database: cat.database.name,
        clean: drifts.length === 0,
        drifts,
        counts,
        checked: cat.checked,
    };
}

/** The report for people: a summary line, then the drifts grouped by class, then every fix once, in order. */
export function renderReport(report: VerifyReport): string {
    const where = `database ${quoteIdent(report.database)}, role ${quoteIdent(report.role)}, schema ${quoteIdent(report.schema)}`;
    const { tables, sequences, unclassified } = report.checked;
    if (report.clean) {
        return (
            `verify: CLEAN: ${where}: ${tables} classified tables and ${sequences} sequences match the plan on effective privileges` +
            `${unclassified > 0 ? ` (${unclassified} unclassified partition(s) hold nothing)` : ""}\n`
        );
    }
    const classes = DRIFT_CLASSES.filter((k) => report.counts[k] > 0);
    const lines = [
        `verify: DRIFT: ${where}: ${report.drifts.length} drift(s): ${classes.map((k) => `${k} ${report.counts[k]}`).join(", ")}`,
        "",
    ];
    for (const k of classes) {
        lines.push(`${k} (${report.counts[k]})`);
        for (const d of report.drifts.filter((x) => x.class === k)) {
            lines.push(`  ${d.object}`, `    ${d.detail}`);
            d.fix.split("\n").forEach((f, i) => lines.push(`    ${i === 0 ? "fix: " : "     "}${f}`));
        }
        lines.push("");
    }
    const all = [...new Set(report.drifts.flatMap((d) => d.fix.split("\n")))];
    lines.push(
        "All fixes, each once, in report order. Run the SQL as the database owner (psql \"$DATABASE_URL\");",
        "ALTER ROLE, memberships granted by others and ownership changes need a superuser. Then run verify again.",
        ...all.map((f) => `  ${f}`),
        "",
    );
    return lines.join("\n");
}

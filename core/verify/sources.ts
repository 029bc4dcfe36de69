/**
 * The source explanation: where a privilege the role holds comes from (a
 * direct grant, a column grant, PUBLIC, a role membership, a predefined
 * role, ownership or SUPERUSER), and the statements that remove exactly
 * those sources, so a fix is aimed at the real cause.
 */
import type { Catalog } from "../catalog";
import { quoteIdent } from "../identifiers";
import { Obj, PREDEFINED, byText, orderFor, ordered } from "./privileges";

/**
 * What an explanation reads of the checker (checker.ts's Checker is one). Declared here rather than imported, so
 * sources.ts does not import checker.ts, which calls explainSources: no import circle (test/import-cycles.test.ts).
 */
export interface SourceContext {
    /** The role, quoted. */
    readonly R: string;
    readonly ownerTarget: string;
    readonly plan: { readonly role: string };
    readonly cat: Pick<Catalog, "role">;
    revokeMembership(via: string): string[];
    viasOf(role: string): string[];
}

export interface Sources {
    /** Privilege -> why the role holds it, in words. */
    readonly labels: Map<string, string[]>;
    readonly fix: string[];
}

interface Options {
    /** Explain the grant options on the privileges instead of the privileges. */
    readonly grantOption: boolean;
    /** REVOKE ALL ON TABLE ... FROM the role already removed its table and column grants. */
    readonly roleRevokedAlready: boolean;
}

/** The sources found, by kind, across the privileges explained. */
interface Found {
    readonly direct: Set<string>;
    readonly pub: Set<string>;
    readonly cols: Map<string, Set<string>>;
    readonly pubCols: Map<string, Set<string>>;
    readonly memberships: Set<string>;
    owner: boolean;
    superuser: boolean;
    readonly unexplained: string[];
}

const addTo = (m: Map<string, Set<string>>, key: string, value: string) =>
    (m.get(key) ?? m.set(key, new Set()).get(key)!).add(value);

/** Why the role holds `p` on `obj`, recording each source in `found`. */
function why(c: SourceContext, obj: Obj, p: string, opts: Options, found: Found): string[] {
    const role = c.plan.role;
    const out: string[] = [];
    if (c.cat.role?.superuser) {
        found.superuser = true;
        out.push("as a superuser");
    }
    if (obj.owner === role) {
        found.owner = true;
        out.push("as its owner");
    } else if (obj.owner !== null) {
        for (const v of c.viasOf(obj.owner)) {
            found.memberships.add(v);
            const how = v === obj.owner ? "owns it" : `inherits from its owner ${quoteIdent(obj.owner)}`;
            out.push(`through membership in ${quoteIdent(v)}, which ${how}`);
        }
    }
    for (const e of obj.acl) {
        if (!(opts.grantOption ? e.grantable : e.privileges).includes(p)) {
            continue;
        }
        const onCol = e.column === null ? "" : ` on column ${quoteIdent(e.column)}`;
        if (e.grantee === role || e.grantee === null) {
            const [whole, byColumn] = e.grantee === null ? [found.pub, found.pubCols] : [found.direct, found.cols];
            if (e.column === null) {
                whole.add(p);
            } else {
                addTo(byColumn, p, e.column);
            }
            out.push(
                e.grantee === null
                    ? `granted to PUBLIC${onCol}`
                    : e.column === null
                      ? "granted directly"
                      : `granted${onCol}`,
            );
        } else {
            for (const v of c.viasOf(e.grantee)) {
                found.memberships.add(v);
                const through =
                    v === e.grantee ? ", of which it is a member" : `, which it reaches through ${quoteIdent(v)}`;
                out.push(`granted${onCol} to ${quoteIdent(e.grantee)}${through}`);
            }
        }
    }
    if (!opts.grantOption) {
        for (const [pre, gives] of Object.entries(PREDEFINED)) {
            if (gives[obj.kind].includes(p)) {
                for (const v of c.viasOf(pre)) {
                    found.memberships.add(v);
                    out.push(`through the predefined role ${pre}${v === pre ? "" : ` (via ${quoteIdent(v)})`}`);
                }
            }
        }
    }
    if (out.length === 0) {
        found.unexplained.push(p);
        out.push("source not found in the catalog");
    }
    return [...new Set(out)];
}

/** The statements that remove every source in `found`, most specific first. */
function fixes(c: SourceContext, obj: Obj, found: Found, opts: Options): string[] {
    const order = orderFor(obj.kind);
    const R = c.R;
    const fix: string[] = [];
    const cascadeFor = (ps: Iterable<string>) => ([...ps].some((p) => obj.grantOptions.includes(p)) ? " CASCADE" : "");
    const go = opts.grantOption ? "GRANT OPTION FOR " : "";
    const cascade = (ps: Iterable<string>) => (opts.grantOption ? " CASCADE" : cascadeFor(ps));
    const columns = (cs: Set<string>) => [...cs].sort(byText).map(quoteIdent).join(", ");
    if (!opts.roleRevokedAlready && found.direct.size > 0) {
        const privs = ordered(found.direct, order).join(", ");
        fix.push(`REVOKE ${go}${privs} ON ${obj.kind} ${obj.sql} FROM ${R}${cascade(found.direct)};`);
    }
    for (const p of opts.roleRevokedAlready ? [] : ordered(found.cols.keys(), order)) {
        fix.push(`REVOKE ${go}${p} (${columns(found.cols.get(p)!)}) ON TABLE ${obj.sql} FROM ${R}${cascade([p])};`);
    }
    if (found.pub.size > 0) {
        fix.push(`REVOKE ${ordered(found.pub, order).join(", ")} ON ${obj.kind} ${obj.sql} FROM PUBLIC;`);
    }
    for (const p of ordered(found.pubCols.keys(), order)) {
        fix.push(`REVOKE ${p} (${columns(found.pubCols.get(p)!)}) ON TABLE ${obj.sql} FROM PUBLIC;`);
    }
    for (const v of [...found.memberships].sort(byText)) {
        fix.push(...c.revokeMembership(v));
    }
    if (found.owner) {
        fix.push(`${obj.alter} OWNER TO ${c.ownerTarget};`, ...obj.regrant);
    }
    if (found.superuser) {
        fix.push(`ALTER ROLE ${R} NOSUPERUSER;`);
    }
    for (const p of found.unexplained) {
        fix.push(
            `-- could not find where ${p} on ${obj.sql} comes from; ` +
                `inspect it with \\dp (or \\dn+, \\l+) and \\drg ${R}`,
        );
    }
    return fix;
}

export function explainSources(c: SourceContext, obj: Obj, privs: readonly string[], opts: Options): Sources {
    const found: Found = {
        direct: new Set(),
        pub: new Set(),
        cols: new Map(),
        pubCols: new Map(),
        memberships: new Set(),
        owner: false,
        superuser: false,
        unexplained: [],
    };
    const labels = new Map<string, string[]>();
    for (const p of privs) {
        labels.set(p, why(c, obj, p, opts, found));
    }
    return { labels, fix: fixes(c, obj, found, opts) };
}

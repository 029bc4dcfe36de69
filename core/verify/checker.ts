/**
 * The shared checker every drift family writes to: the role quoted, whom
 * ownership goes back to, the roles the role inherits from (and through
 * which direct membership), and the drifts found so far.
 */
import type { Catalog } from "../catalog";
import { quoteIdent } from "../identifiers";
import { GrantPlan } from "../plan";
import { Obj, byText } from "./privileges";
import { DriftClass, Drift } from "./report";
import { Sources, explainSources } from "./sources";

const STAND_IN = "\u0000";

export class Checker {
    readonly drifts: Drift[] = [];
    /** The role, quoted. */
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

    /** REVOKE of a direct membership, once per grantor (each grant is its own pg_auth_members row). */
    revokeMembership(via: string): string[] {
        const edges = this.cat.memberships.filter((m) => m.role === via);
        return (edges.length > 0 ? edges : [{ grantor: null }]).map((e) =>
            e.grantor
                ? `REVOKE ${quoteIdent(via)} FROM ${this.R} GRANTED BY ${quoteIdent(e.grantor)};`
                : `REVOKE ${quoteIdent(via)} FROM ${this.R};`,
        );
    }

    /** The direct memberships through which the role inherits `role`'s privileges. */
    viasOf(role: string): string[] {
        return [...(this.vias.get(role) ?? [])].sort(byText);
    }

    /**
     * Where each of `privs` on `obj` comes from, as human labels per privilege,
     * and the statements that remove exactly those sources. `grantOption`:
     * explain the grant options on them instead of the privileges.
     */
    sources(obj: Obj, privs: readonly string[], grantOption = false, roleRevokedAlready = false): Sources {
        return explainSources(this, obj, privs, { grantOption, roleRevokedAlready });
    }

    /**
     * Runs `check` for every name of a relation group. A group is alike in
     * everything but its names, so `check` runs once, on a stand-in name (NUL,
     * which no Postgres name contains), and its drifts are copied per name with
     * the name put back where the stand-in is quoted (`"public"."<NUL>"`).
     */
    forEachName(names: readonly string[], check: (name: string) => void): void {
        if (names.length === 1) {
            check(names[0]);
            return;
        }
        const start = this.drifts.length;
        check(STAND_IN);
        const made = this.drifts.splice(start).map((d) => ({
            class: d.class,
            object: d.object.split(STAND_IN),
            detail: d.detail.split(STAND_IN),
            fix: d.fix.split(STAND_IN),
        }));
        for (const name of names) {
            const inQuotes = name.replace(/"/g, '""');
            for (const d of made) {
                this.drifts.push({
                    class: d.class,
                    object: d.object.join(inQuotes),
                    detail: d.detail.join(inQuotes),
                    fix: d.fix.join(inQuotes),
                });
            }
        }
    }

    describe(labels: Map<string, string[]>): string {
        return [...labels].map(([p, why]) => `${p} (${why.join("; ")})`).join(", ");
    }
}

/**
 * The verify report as data: the drift classes in report order, one drift
 * (class, object, what is wrong, the exact fix) and the report that sorts and
 * counts them. The renderer is render.ts; the families that find drift are
 * role.ts, ownership.ts, schema.ts, relations.ts and defaults.ts.
 */
import { byText } from "./privileges";

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
    /** The server's version, e.g. `16.14`: which privileges exist (MAINTAIN from 17) depends on it. */
    readonly server: string;
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

/** server_version_num as people write it: 160014 -> 16.14, 180000 -> 18.0. */
export const versionText = (num: number): string => `${Math.floor(num / 10000)}.${num % 10000}`;

/** Sorts the drifts into report order and counts them per class. */
export function buildReport(
    where: { role: string; schema: string; database: string; serverVersion: number },
    drifts: readonly Drift[],
    checked: VerifyReport["checked"],
): VerifyReport {
    const rank = new Map<string, number>(DRIFT_CLASSES.map((k, i) => [k, i]));
    const sorted = drifts
        .map((d) => ({ d, r: rank.get(d.class) as number }))
        .sort(
            (a, b) =>
                a.r - b.r ||
                byText(a.d.object, b.d.object) ||
                byText(a.d.fix, b.d.fix) ||
                byText(a.d.detail, b.d.detail),
        )
        .map((x) => x.d);
    const counts = Object.fromEntries(DRIFT_CLASSES.map((k) => [k, 0])) as Record<DriftClass, number>;
    for (const d of sorted) {
        counts[d.class] += 1;
    }
    return {
        role: where.role,
        schema: where.schema,
        database: where.database,
        server: versionText(where.serverVersion),
        clean: sorted.length === 0,
        drifts: sorted,
        counts,
        checked,
    };
}

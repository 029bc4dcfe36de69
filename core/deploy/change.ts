/**
 * What a deploy changes, before it changes it: the flag (on, off) and the matrix (narrowing raptor_app's
 * privileges, widening them, or neither), read from verify's drifts between the live database and the plan being
 * deployed: what verify calls drift is exactly what `pulumi up` (refresh always) will set right. Pure.
 */
import { DriftClass } from "../verify/report";

export type ChangeKind = "nothing" | "widening" | "narrowing" | "flag-on" | "flag-off";

/** Drifts where raptor_app holds more than the plan gives: the up revokes them. */
export const NARROWING: readonly DriftClass[] = [
    "table-excess-privilege",
    "append-only-writable",
    "locked-table-accessible",
    "sequence-excess-privilege",
    "grant-option",
];

/** Drifts where raptor_app holds less than the plan gives: the up grants them. */
export const WIDENING: readonly DriftClass[] = [
    "table-privilege-missing",
    "sequence-usage-missing",
    "schema-usage-missing",
    "default-privileges-missing",
];

export interface DeployChange {
    readonly kind: ChangeKind;
    /** FLAG_RAPTOR_APP_ROLE_SEPARATION on the app now, and what the stack file asks for. */
    readonly flagNow: boolean;
    readonly flagWanted: boolean;
    /** `object: detail` of each revoke and grant the up makes. */
    readonly narrowing: readonly string[];
    readonly widening: readonly string[];
}

export interface DriftLike {
    readonly class: DriftClass;
    readonly object: string;
    readonly detail: string;
}

/**
 * Flag off first (the rollback is never held up by anything else), then flag on, then the matrix: a change that
 * both grants and revokes is a narrowing, since the revoke is what can break the app.
 */
export function classifyChange(drifts: readonly DriftLike[], flagNow: boolean, flagWanted: boolean): DeployChange {
    const list = (classes: readonly DriftClass[]) =>
        drifts.filter((d) => classes.includes(d.class)).map((d) => `${d.object}: ${d.detail}`);
    const narrowing = list(NARROWING);
    const widening = list(WIDENING);
    const kind: ChangeKind =
        flagNow && !flagWanted
            ? "flag-off"
            : !flagNow && flagWanted
              ? "flag-on"
              : narrowing.length > 0
                ? "narrowing"
                : widening.length > 0
                  ? "widening"
                  : "nothing";
    return { kind, flagNow, flagWanted, narrowing, widening };
}

/** Whether the change is watched after the up (and the smoke suite run): it can break the app as it runs now. */
export function watched(c: DeployChange): boolean {
    return c.kind === "flag-on" || (c.kind === "narrowing" && c.flagNow);
}

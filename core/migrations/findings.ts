/** What lint-migrations reports: findings (exit 2), notes (information only) and the report. */
import { Classification } from "../classification";
import { Where } from "./types";

export const FINDING_KINDS = [
    "unclassified-table",
    "classified-table-dropped",
    "classified-table-renamed",
    "grant-contradicts-matrix",
    "revoke-contradicts-matrix",
    "privileges-around-matrix",
    "dynamic-table-name",
    "unparsable-sql",
    "templated-sql",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding extends Where {
    readonly kind: FindingKind;
    readonly schema: string;
    /** The relation concerned; empty when the statement names none (a role membership). */
    readonly table: string;
    readonly message: string;
    readonly fix: string;
    /** A hint from the name only: the set is the reviewer's decision. */
    readonly suggestion?: string;
}

export interface Note extends Where {
    readonly message: string;
}

export interface LintOptions {
    readonly classification: Classification;
    /** The schema the matrix governs; unqualified names are taken to be in it. */
    readonly schema: string;
    /** The application role. */
    readonly role: string;
}

export interface LintReport {
    readonly schema: string;
    readonly role: string;
    readonly trees: ReadonlyArray<{ root: string; tool: string; migrations: number; heads?: readonly string[] }>;
    readonly findings: readonly Finding[];
    readonly notes: readonly Note[];
    /** Relations left at the head, counted per schema (the tools' version tables included). */
    readonly relations: Readonly<Record<string, number>>;
    /** Classified tables no migration here creates (informational: another tree may). */
    readonly notCreated: readonly string[];
}

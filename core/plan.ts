/**
 * The grant plan: everything `raptor_app` is given, derived from the
 * classification, the role and the schema. The Pulumi grants component, the
 * SQL renderer, the policy pack and the verifier all read this one shape.
 */
import { Classification, ClassifiedTable, classify } from "./classification";
import { isPlainIdentifier } from "./identifiers";

export interface PlanInput {
    readonly classification: Classification;
    /** The application role, e.g. `raptor_app`. */
    readonly role: string;
    /** The schema holding the tables, normally `public`. */
    readonly schema: string;
}

export interface GrantPlan {
    readonly role: string;
    readonly schema: string;
    /**
     * USAGE on the schema and nothing else: a fresh Heroku credential has no schema access, and CREATE would be DDL.
     */
    readonly schemaPrivileges: readonly ["USAGE"];
    /** One entry per classified table, sorted by name. Locked tables have no privileges. */
    readonly tables: readonly ClassifiedTable[];
    /**
     * USAGE on every sequence in the schema now (bigserial inserts need
     * nextval), and on sequences the owner creates later, through default
     * privileges. Sequences carry no data of their own, so the blanket grant
     * widens nothing that the table grants do not already allow.
     */
    readonly sequencePrivileges: readonly ["USAGE"];
}

export class PlanError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanError";
    }
}

export function buildPlan(input: PlanInput): GrantPlan {
    for (const [what, value] of [
        ["role", input.role],
        ["schema", input.schema],
    ] as const) {
        if (!isPlainIdentifier(value)) {
            throw new PlanError(
                `${what} ${JSON.stringify(value)} is not a plain Postgres identifier; use lower-case letters, digits ` +
                    `and _ (at most 63 bytes)`,
            );
        }
    }
    return {
        role: input.role,
        schema: input.schema,
        schemaPrivileges: ["USAGE"],
        tables: classify(input.classification),
        sequencePrivileges: ["USAGE"],
    };
}

/**
 * The workload file (`workload --export FILE`): the normalised statements, how often each ran and what each needs,
 * resolved against the catalog when it was written, so `plan --workload FILE` and `diff --workload FILE` can judge
 * a planned matrix with no database. It holds no literal and no utility statement's text. Pure.
 */
import { ExportedStatement } from "./verdict";

export const WORKLOAD_FORMAT = "raptor-roles-workload/1";

export interface WorkloadExport {
    readonly format: typeof WORKLOAD_FORMAT;
    readonly role: string;
    readonly owner: string;
    readonly of: "owner" | "role";
    readonly server: string;
    readonly statements: readonly ExportedStatement[];
    /** Counted, never dropped: what could not be judged, and why. */
    readonly notJudged: readonly { queryid: string; calls: number; query: string; reason: string }[];
}

export class WorkloadFileError extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
        this.name = "WorkloadFileError";
    }
}

/** Reads a workload file's text, naming the file and what is wrong with it. */
export function parseWorkloadFile(text: string, file: string): WorkloadExport {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new WorkloadFileError(
            `${file} is not JSON (${(e as Error).message})`,
            "write it again with raptor-roles workload --export FILE",
        );
    }
    const d = doc as Partial<WorkloadExport>;
    if (d === null || typeof d !== "object" || d.format !== WORKLOAD_FORMAT || !Array.isArray(d.statements)) {
        throw new WorkloadFileError(
            `${file} is not a workload file (expected "format": "${WORKLOAD_FORMAT}" and a statements list)`,
            "write it with raptor-roles workload --export FILE",
        );
    }
    d.statements.forEach((s: Partial<ExportedStatement> | null, i) => {
        const ok =
            s !== null &&
            typeof s === "object" &&
            typeof s.queryid === "string" &&
            typeof s.calls === "number" &&
            typeof s.query === "string" &&
            Array.isArray(s.requirements);
        if (!ok) {
            throw new WorkloadFileError(
                `${file}: statement ${i + 1} is not {queryid, calls, query, requirements} ` +
                    `(${JSON.stringify(s).slice(0, 80)})`,
                "write the file again with raptor-roles workload --export FILE; do not edit it by hand",
            );
        }
    });
    if (d.of !== "owner" && d.of !== "role") {
        throw new WorkloadFileError(
            `${file}: "of" is ${JSON.stringify(d.of)}, not "owner" or "role"`,
            "write the file again with raptor-roles workload --export FILE; do not edit it by hand",
        );
    }
    return d as WorkloadExport;
}

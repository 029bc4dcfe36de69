/**
 * Reads a workload file (`workload --export FILE`) for `plan --workload FILE` and `diff --workload FILE`, and checks
 * that it was judged as the role the stack grants to: a file read from another stack's database would be judged
 * against a matrix that is not its own. Errors name the file and how to write a good one.
 */
import * as fs from "node:fs";
import { WorkloadExport, WorkloadFileError, parseWorkloadFile } from "../core/workload/export";

export function readWorkloadFile(file: string): WorkloadExport {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new WorkloadFileError(
            `--workload ${file} cannot be read (${code})`,
            "write it with raptor-roles workload --database-url-env DATABASE_URL " +
                "--role-url-env RAPTOR_APP_DATABASE_URL --stack STACK --export FILE",
        );
    }
    return parseWorkloadFile(text, file);
}

/** The file's role must be the stack's: its statements were resolved and judged as that role. */
export function checkWorkloadRole(w: WorkloadExport, file: string, stack: string, role: string): void {
    if (w.role !== role) {
        throw new WorkloadFileError(
            `${file} holds the workload judged as ${w.role}, but stack ${stack} grants to ${role}`,
            `export the workload of stack ${stack}'s database: raptor-roles workload --stack ${stack} --export FILE`,
        );
    }
}

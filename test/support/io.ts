/** An Io that keeps what a subcommand writes, for assertions. */
import { Io } from "../../cli/io";

export function recorder(): Io & { stdout: string; stderr: string } {
    const r = {
        stdout: "",
        stderr: "",
        out(s: string) {
            r.stdout += s;
        },
        err(s: string) {
            r.stderr += s;
        },
    };
    return r;
}

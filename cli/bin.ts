/** The process entry bin/raptor-roles.js runs (compiled, or through tsx when dist/ cannot be rebuilt). */
import { main } from "./main";

main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
}).then(
    (code) => {
        process.exitCode = code;
    },
    (e: unknown) => {
        process.stderr.write(`raptor-roles: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
    },
);

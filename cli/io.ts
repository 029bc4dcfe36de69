/** Where a subcommand writes; tests pass a recorder (test/support/io.ts), the binary passes stdout/stderr. */
export interface Io {
    out(s: string): void;
    err(s: string): void;
}

/** A subcommand: takes its own argv (after the subcommand name) and returns the exit code. */
export type Subcommand = (argv: string[], io: Io) => Promise<number>;

/** Thrown for bad usage; main prints the message and the subcommand's help, exit 1. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Where a subcommand writes; tests pass a recorder (test/support/io.ts), the binary passes stdout/stderr. */
export interface Io {
    out(s: string): void;
    err(s: string): void;
}

/** A subcommand: takes its own argv (after the subcommand name) and returns the exit code (cli/contract.ts's EXIT). */
export type Subcommand = (argv: string[], io: Io) => Promise<number>;

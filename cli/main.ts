/**
 * raptor-roles: one module per command in cli/, loaded only when that
 * command runs, so `--help` and `sql` never load Pulumi, pg or the policy
 * pack. To add a command: write cli/NAME.ts exporting a `Subcommand`, and add
 * one line to COMMANDS below (its summary and how to load it).
 */
import { Io, Subcommand, UsageError } from "./io";

interface Command {
    readonly summary: string;
    readonly load: () => Promise<Subcommand>;
}

export const COMMANDS: Readonly<Record<string, Command>> = {
    plan: {
        summary: "evaluate the program offline for a stack: resources, matrix, policy verdicts, fingerprint",
        load: async () => (await import("./plan")).plan,
    },
    verify: {
        summary: "check a live database against the plan on effective privileges; prints the SQL that fixes each drift",
        load: async () => (await import("./verify")).verify,
    },
    sql: {
        summary: "print the idempotent re-apply script for a stack (per-table, one transaction)",
        load: async () => (await import("./sql")).sql,
    },
    signoff: {
        summary: "sign the change plan shows with your SSH key; writes raptor:signoff into Pulumi.<stack>.yaml",
        load: async () => (await import("./signoff")).signoff,
    },
    diff: {
        summary: "what a change between two git revisions does to the matrix, the verdicts and prod's sign-off",
        load: async () => (await import("./diff")).diff,
    },
    "lint-migrations": {
        summary: "check the application's Alembic/SQL migrations against the matrix before they run",
        load: async () => (await import("./lint-migrations")).lintMigrationsCommand,
    },
    check: {
        summary: "the runbook's diagnosis: credential, grants, URL, flag, logs, health",
        load: async () => (await import("./check")).check,
    },
    soak: {
        summary: "record a signed soak mark (check's result) for prod's soak-before-prod gate",
        load: async () => (await import("./soak")).soak,
    },
    cutover: {
        summary: "turn the flag on with a guard: preflight, pulumi up, watch, automatic rollback",
        load: async () => (await import("./cutover")).cutover,
    },
};

export const USAGE = [
    "usage: raptor-roles <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`),
    "",
    "raptor-roles <command> --help for a command's options.",
    "",
].join("\n");

export async function main(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        io.out(USAGE);
        return name === undefined ? 1 : 0;
    }
    const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
        io.err(`raptor-roles: unknown command ${JSON.stringify(name)}\n${USAGE}`);
        return 1;
    }
    try {
        return await (
            await command.load()
        )(rest, io);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`raptor-roles ${name}: ${e.message}\nTry: raptor-roles ${name} --help\n`);
            return 1;
        }
        throw e;
    }
}

/**
 * raptor-roles: plan (offline review), verify (live drift check), sql
 * (break-glass script). Each subcommand lives in its own module.
 */
import { Io, Subcommand, UsageError } from "./io";
import { plan } from "./plan";
import { signoff } from "./signoff";
import { sql } from "./sql";
import { verify } from "./verify";

interface Entry {
    summary: string;
    run: Subcommand;
}

const SUBCOMMANDS: Record<string, Entry> = {
    plan: { summary: "evaluate the program offline for a stack: resources, matrix, policy verdicts, fingerprint", run: plan },
    verify: { summary: "check a live database against the plan on effective privileges; prints the SQL that fixes each drift", run: verify },
    signoff: { summary: "sign the change plan shows with your SSH key; writes raptor:signoff into Pulumi.<stack>.yaml", run: signoff },
    sql: { summary: "print the idempotent re-apply script for a stack (per-table, one transaction)", run: sql },
};

export const USAGE = [
    "usage: raptor-roles <command> [options]",
    "",
    ...Object.entries(SUBCOMMANDS).map(([name, e]) => `  ${name.padEnd(8)}${e.summary}`),
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
    const entry = SUBCOMMANDS[name];
    if (!entry) {
        io.err(`raptor-roles: unknown command ${JSON.stringify(name)}\n${USAGE}`);
        return 1;
    }
    try {
        return await entry.run(rest, io);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`raptor-roles ${name}: ${e.message}\nTry: raptor-roles ${name} --help\n`);
            return 1;
        }
        throw e;
    }
}

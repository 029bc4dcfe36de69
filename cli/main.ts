/**
 * raptor-roles: one module per command in cli/, loaded only when that
 * command runs, so `--help` and `sql` never load Pulumi, pg or the policy
 * pack. To add a command: write cli/NAME.ts exporting a `Subcommand` that keeps
 * cli/contract.ts's contract (--json, exit codes, errors thrown as CliError),
 * and add one line to COMMANDS below (its summary and how to load it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CliError, EXIT, asCliError, reportError, wantsJson } from "./contract";
import { Io, Subcommand } from "./io";

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
    workload: {
        summary: "before the flip: PostgreSQL judges every statement the app runs (pg_stat_statements) as the role",
        load: async () => (await import("./workload")).workload,
    },
    deploy: {
        summary: "every deploy: classify the change, prove a narrowing, preview, up, watch and smoke, stop on a trip",
        load: async () => (await import("./deploy")).deploy,
    },
    cutover: {
        summary: "turn the flag on with a guard: preflight, pulumi up, watch, automatic rollback",
        load: async () => (await import("./cutover")).cutover,
    },
    stop: {
        summary: "the emergency stop by hand: flag 0 at once, recorded so no deploy turns it on until --resume",
        load: async () => (await import("./stop")).stop,
    },
};

export const USAGE = [
    "usage: raptor-roles <command> [options]",
    "       raptor-roles --version",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`),
    "",
    "raptor-roles <command> --help for a command's options. Every command takes --json.",
    "Exit status: 0 ok, 1 could not run or bad input, 2 a finding (drift, violation, lint finding, unhealthy).",
    "",
].join("\n");

/** package.json's version: two up from the compiled dist/cli/, one up from cli/. */
export function version(): string {
    for (const up of ["..", "../.."]) {
        const file = path.join(__dirname, up, "package.json");
        const pkg = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }) : {};
        if (pkg.name === "raptor") {
            return (pkg as { version: string }).version;
        }
    }
    return "unknown";
}

/**
 * An Io that notes whether stdout was written and keeps stderr, so a command that reports a failure itself
 * (writes stderr, returns 1) still gets the error document on stdout under --json.
 */
function watched(io: Io) {
    const w = {
        wroteOut: false,
        errText: "",
        out(s: string) {
            w.wroteOut = true;
            io.out(s);
        },
        err(s: string) {
            w.errText += s;
            io.err(s);
        },
    };
    return w;
}

export async function main(argv: string[], io: Io): Promise<number> {
    const [name, ...rest] = argv;
    if (name === "--version" || name === "-V" || name === "version") {
        io.out(rest.includes("--json") ? `${JSON.stringify({ version: version() })}\n` : `raptor-roles ${version()}\n`);
        return EXIT.OK;
    }
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        (name === undefined ? io.err : io.out)(USAGE);
        return name === undefined ? EXIT.ERROR : EXIT.OK;
    }
    const json = wantsJson(rest);
    const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
        const e = new CliError(
            "unknown-command",
            `unknown command ${JSON.stringify(name)}`,
            `use one of ${Object.keys(COMMANDS).join(", ")} (raptor-roles --help)`,
        );
        reportError(io, "", e, json || name === "--json");
        io.err(USAGE);
        return EXIT.ERROR;
    }
    const w = watched(io);
    try {
        const code = await (await command.load())(rest, w);
        if (code === EXIT.ERROR && json && !w.wroteOut) {
            const text = w.errText.trim().replace(new RegExp(`^raptor-roles ${name}: `), "");
            const error = {
                code: "failed",
                message: text.split("\nfix: ")[0],
                fix: /\nfix: (.*)/.exec(w.errText)?.[1] ?? `raptor-roles ${name} --help`,
            };
            io.out(`${JSON.stringify({ error }, null, 2)}\n`);
        }
        return code;
    } catch (e) {
        const err = asCliError(e, name);
        if (err.code === "usage" && err.fix === "") {
            return reportError(io, name, new CliError("usage", err.message, `raptor-roles ${name} --help`), json);
        }
        return reportError(io, name, err, json);
    }
}

/**
 * raptor-roles: one module per command in cli/, loaded only when that
 * command runs, so `--help` and `sql` never load Pulumi, pg or the policy
 * pack. To add a command: write cli/NAME.ts exporting a `Subcommand` that keeps
 * cli/contract.ts's contract (--json, exit codes, errors thrown as CliError),
 * and add one line to COMMANDS below (its summary and how to load it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { onStackFileRead, useProjectDir } from "../offline/project";
import { CliError, EXIT, UsageError, asCliError, reportError, wantsJson } from "./contract";
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
    "usage: raptor-roles <command> [options] [--cwd DIR]",
    "       raptor-roles --version",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`),
    "",
    "raptor-roles <command> --help (or raptor-roles help <command>) for a command's options. Every command takes",
    "--json. Commands act on the Pulumi project in the current directory (its Pulumi.yaml and Pulumi.<stack>.yaml);",
    "--cwd DIR acts on the one in DIR instead (other paths on the command line stay relative to where you are).",
    "Exit status: 0 ok, 1 could not run or bad input, 2 a finding (drift, violation, lint finding, unhealthy).",
    "",
].join("\n");

/** The CLI's own package directory (package.json named raptor): two up from the compiled dist/cli/, one from cli/. */
function installDir(): string | undefined {
    for (const up of ["..", "../.."]) {
        const file = path.join(__dirname, up, "package.json");
        const pkg = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }) : {};
        if (pkg.name === "raptor") {
            return path.resolve(__dirname, up);
        }
    }
    return undefined;
}

/** package.json's version. */
export function version(): string {
    const dir = installDir();
    return dir === undefined
        ? "unknown"
        : (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * `--cwd DIR` (or `--cwd=DIR`), anywhere on the line, taken out before the command parses its own flags: every
 * command takes it, as every command takes --json.
 */
function takeCwd(argv: readonly string[]): { args: string[]; cwd?: string } {
    const args: string[] = [];
    let cwd: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a !== "--cwd" && !a.startsWith("--cwd=")) {
            args.push(a);
            continue;
        }
        const dir = a === "--cwd" ? argv[++i] : a.slice("--cwd=".length);
        if (cwd !== undefined) {
            throw new UsageError("--cwd is given more than once; each option may be given once", "keep one --cwd DIR");
        }
        if (dir === undefined || dir === "" || !fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
            throw new UsageError(
                `--cwd ${JSON.stringify(dir ?? "")}: no such directory`,
                "pass the directory that holds the project's Pulumi.yaml, e.g. --cwd ~/src/raptor-roles",
            );
        }
        cwd = path.resolve(dir);
    }
    return { args, cwd };
}

/**
 * An Io that, under --json, holds stdout back until the command ends, so that a failure (exit 1) is always the
 * error document and never a report (the contract, cli/contract.ts); and keeps stderr for that document's text.
 */
function watched(io: Io, json: boolean) {
    const w = {
        held: "",
        errText: "",
        out(s: string) {
            if (json) {
                w.held += s;
            } else {
                io.out(s);
            }
        },
        err(s: string) {
            w.errText += s;
            io.err(s);
        },
    };
    return w;
}

/** True when `text` is exactly one error document. */
function isErrorDocument(text: string): boolean {
    try {
        const doc = JSON.parse(text) as Record<string, unknown>;
        return Object.keys(doc).join() === "error" && typeof doc.error === "object";
    } catch {
        return false;
    }
}

/** The error document for a command that exited 1 without one: from what it said on stderr. */
function documentFromStderr(name: string, errText: string): string {
    const text = errText.trim().replace(new RegExp(`^raptor-roles ${name}: `), "");
    const error = {
        code: "failed",
        message: text.split("\nfix: ")[0],
        fix: /\nfix: (.*)/.exec(errText)?.[1] ?? `raptor-roles ${name} --help`,
    };
    return `${JSON.stringify({ error }, null, 2)}\n`;
}

/** Says which stack file a command reads when it is not the CLI's own checkout's (a global install, --cwd). */
function sayStackFiles(io: Io, name: string): () => void {
    const real = (dir: string) => (fs.existsSync(dir) ? fs.realpathSync(dir) : dir);
    const own = installDir();
    const ownReal = own === undefined ? undefined : real(own);
    const said = new Set<string>();
    return onStackFileRead((file) => {
        if (real(path.dirname(file)) !== ownReal && !said.has(file)) {
            said.add(file);
            io.err(`raptor-roles ${name}: stack file ${file}\n`);
        }
    });
}

export async function main(argv: string[], io: Io): Promise<number> {
    let parsed: { args: string[]; cwd?: string };
    try {
        parsed = takeCwd(argv);
    } catch (e) {
        return reportError(io, "", e as CliError, wantsJson(argv));
    }
    const [first, ...after] = parsed.args;
    // `help CMD` is `CMD --help`: one text per command, whichever way it is asked for.
    const [name, rest] =
        first === "help" && after.length > 0 ? [after[0], ["--help", ...after.slice(1)]] : [first, after];
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
    const w = watched(io, json);
    useProjectDir(parsed.cwd);
    const unsubscribe = sayStackFiles(io, name);
    try {
        const code = await (await command.load())(rest, w);
        if (json) {
            io.out(code === EXIT.ERROR && !isErrorDocument(w.held) ? documentFromStderr(name, w.errText) : w.held);
        }
        return code;
    } catch (e) {
        const err = asCliError(e, name);
        if (err.code === "usage" && err.fix === "") {
            return reportError(io, name, new CliError("usage", err.message, `raptor-roles ${name} --help`), json);
        }
        return reportError(io, name, err, json);
    } finally {
        unsubscribe();
        useProjectDir(undefined);
    }
}

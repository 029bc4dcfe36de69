/**
 * The contract every raptor-roles command keeps, for people and for machines (README, "Exit codes"):
 * - exit 0 ok / healthy, 1 could not run or bad input, 2 a finding (drift, violation, lint finding, unhealthy);
 * - `--json` on every command: the result as one JSON document on stdout, and on a failure
 *   `{"error": {"code", "message", "fix"}}` on stdout, so `--json > file.json` never leaves an empty file;
 * - errors (and notices) go to stderr, never under a result on stdout.
 * A command throws CliError (or UsageError) for "could not run"; main() prints it and returns EXIT.ERROR.
 */
import type { Io } from "./io";

export const EXIT = { OK: 0, ERROR: 1, FINDING: 2 } as const;

/**
 * Every `code` an error document can carry (exit 1), with what it means: one failure, one code, whichever command
 * meets it. README.md's table of codes is tested against this list (test/cli/contract.test.ts).
 */
export const ERROR_CODES = {
    usage: "a flag missing, unknown, repeated or malformed",
    "unknown-command": "no such command",
    "no-project": "no Pulumi.yaml in the directory acted on (cd to the project, or pass --cwd DIR)",
    "stack-file": "a stack file missing or not valid YAML, or a stack name that is not one",
    config: "a raptor:* key of a stack file that does not validate (the file, the key and the value are named)",
    program: "the program refuses the stack (e.g. an Essential add-on plan): plan, signoff",
    classification: "the table classification cannot be read or is inconsistent",
    git: "a repository or revision git cannot read (diff)",
    "no-url": "no database URL given, or its variable is unset (verify, workload)",
    verify: "the database was reached but could not be read (verify)",
    workload: "the workload proof cannot run (workload)",
    "workload-file": "a workload file that cannot be read (plan, diff --workload)",
    "policy-config":
        "policy/config.json is not valid JSON or a key has the wrong form: its line and column, the key and the form",
    "tool-missing":
        "pulumi or heroku is not on PATH; the fix installs the pinned version (check, soak, cutover, deploy)",
    "db-url": "a malformed database URL: the wrong part, and the form postgres://USER:PASSWORD@HOST:PORT/DB",
    "db-dns": "the database's host name does not resolve",
    "db-refused": "nothing accepts connections at the database's host and port",
    "db-timeout": "the database did not answer in time",
    "db-auth": "the database refused the user or the password",
    "db-ssl": "the database and this client disagree on SSL (sslmode, a certificate)",
    "db-no-database": "the URL names a database the server does not have; the fix lists the ones it has",
    "db-connect": "any other failure to connect to the database",
    "could-not-check":
        "a live read could not run: Heroku, the database or Sentry did not answer or refused the login (check, soak, " +
        "cutover, deploy)",
    interrupted:
        "Ctrl-C during the watch: the flag stays on, app and stack agreeing; the fix is the check to run next " +
        "(cutover, deploy)",
    "already-on": "the flag is already on in the stack file (cutover)",
    "soak-marks": "the soak-marks store (--marks DIR) is missing, unreadable or holds no marks for the stack",
    heroku: "a heroku CLI write failed (the emergency stop's config:set, tried 3 times): stop",
    "stop-record": "the flag is 0 but the stop could not be recorded in the stack's backend (stop)",
    "signer-not-allowed": "the signing key is not in policy/config.json's allowed signers (signoff)",
    "not-a-key": "--key is not an SSH key, or no such file (signoff)",
    "sign-failed": "ssh-keygen could not sign (signoff)",
    "force-refused": "--force (an unsigned sign-off) outside migration mode (signoff)",
    "unreadable-path": "a migrations path that cannot be read (lint-migrations)",
    "no-migrations": "no migration under the paths given (lint-migrations)",
    "python-missing": "python3 is needed to read Alembic migrations (lint-migrations)",
    "python-syntax": "a migration that is not valid Python (lint-migrations)",
    "revision-identifiers": "a migration whose revision identifiers cannot be read (lint-migrations)",
    "duplicate-revision": "two migrations with one revision (lint-migrations)",
    "unknown-revision": "a down_revision no migration has (lint-migrations)",
    "revision-cycle": "migrations whose revisions form a cycle (lint-migrations)",
    failed: "any other failure the command could not get past: the message names it",
    internal: "a bug in raptor-roles: report it",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const isErrorCode = (c: unknown): c is ErrorCode =>
    typeof c === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, c);

/** A failure the operator can act on: what is wrong (naming the value and where it came from) and the fix. */
export class CliError extends Error {
    constructor(
        /** Stable, for machines: one of ERROR_CODES. */
        readonly code: ErrorCode,
        message: string,
        /** The command or edit that fixes it. */
        readonly fix: string,
    ) {
        super(message);
        this.name = "CliError";
    }
}

/** Bad usage (a flag missing, unknown, repeated or malformed): exit 1, with the command's --help as the fix. */
export class UsageError extends CliError {
    constructor(message: string, fix = "") {
        super("usage", message, fix);
        this.name = "UsageError";
    }
}

export interface ErrorDocument {
    error: { code: ErrorCode; message: string; fix: string };
}

/** True when the command line asks for JSON: `--json`, or diff's `--format json` / `--format=json`. */
export function wantsJson(argv: readonly string[]): boolean {
    return argv.some((a, i) => a === "--json" || a === "--format=json" || (a === "--format" && argv[i + 1] === "json"));
}

/** Known error classes of the core and offline modules, by name: their code and the fix their message carries. */
const CODES: Readonly<Record<string, ErrorCode>> = {
    ProjectDirError: "no-project",
    StackFileError: "stack-file",
    StackConfigError: "config",
    LiveReadError: "could-not-check",
    SettingsError: "config",
    ClassificationError: "classification",
    ClassificationSourceError: "classification",
    DiffError: "git",
    VerifyError: "verify",
    WorkloadFileError: "workload-file",
    PackConfigError: "policy-config",
};

/**
 * Any thrown value as the contract's error: a CliError as is; a known error with its message; else, when the
 * command says what its other failures are (`otherwise`: e.g. check's "failed", with its fix), that; else "internal".
 */
export function asCliError(e: unknown, command: string, otherwise?: { code: ErrorCode; fix: string }): CliError {
    if (e instanceof CliError) {
        return e;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    // An error that carries its own code (lint-migrations' MigrationError and PythonError) keeps it.
    const carried = (err as { code?: unknown }).code;
    const code = isErrorCode(carried) ? carried : CODES[err.name];
    const own = (err as { fix?: unknown }).fix;
    if (code !== undefined && typeof own === "string" && own !== "") {
        return new CliError(code, err.message, own);
    }
    if (code !== undefined) {
        // These messages already end in their fix ("...; use e.g. staging or prod"): repeat the last clause as it.
        const cut = Math.max(err.message.lastIndexOf("; "), err.message.lastIndexOf(": "));
        return new CliError(code, err.message, cut > 0 ? err.message.slice(cut + 2) : `raptor-roles ${command} --help`);
    }
    if (otherwise !== undefined) {
        return new CliError(otherwise.code, err.message, otherwise.fix);
    }
    return new CliError(
        "internal",
        `unexpected error: ${err.message}`,
        "this is a bug in raptor-roles: report it with the command line (no secrets) and this message",
    );
}

/**
 * Prints a failure as the contract says: the message and the fix on stderr; with --json also the error
 * document on stdout. Returns EXIT.ERROR.
 */
export function reportError(io: Io, command: string, e: CliError, json: boolean): number {
    const prefix = command === "" ? "raptor-roles" : `raptor-roles ${command}`;
    io.err(`${prefix}: ${e.message}\n${e.fix ? `fix: ${e.fix}\n` : ""}`);
    if (json) {
        const doc: ErrorDocument = { error: { code: e.code, message: e.message, fix: e.fix } };
        io.out(`${JSON.stringify(doc, null, 2)}\n`);
    }
    return EXIT.ERROR;
}

/**
 * A failure as the contract prints it (reportError): a CliError (UsageError included) keeps its code and fix, a
 * known error its class's code, any other gets `otherwise`. For commands that print their own result documents.
 */
export function failure(
    io: Io,
    json: boolean,
    command: string,
    e: unknown,
    otherwise: { code: ErrorCode; fix: string },
) {
    return reportError(io, command, asCliError(e, command, otherwise), json);
}

/** A bad option value (--since, --watch) as a usage error; a parse error already is one. */
export function usage(e: unknown, command: string): UsageError {
    return e instanceof UsageError ? e : new UsageError((e as Error).message, `raptor-roles ${command} --help`);
}

/**
 * Runs CPython's own parser over Python files (python-ast.py beside this
 * file) and returns their syntax trees as JSON, one child process for all of
 * them.
 *
 * Why CPython rather than a parser from npm: Alembic imports revision files
 * with CPython, so its `ast` accepts exactly the files Alembic can run, in the
 * Python version the application uses, and reports a real SyntaxError with
 * its line. The npm parsers (@lezer/python, tree-sitter-python) recover from
 * errors into a tree instead of failing, and trail new syntax. Any repository
 * with Alembic migrations has Python 3 on its CI runners.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PyNode } from "../core/migrations/alembic";

export type PyParse = { path: string; ast: PyNode } | { path: string; error: string; line: number | null };

/** Python could not run the parser: the lint cannot start (exit 1). Shaped like MigrationError for --json. */
export class PythonError extends Error {
    readonly code = "python-missing";

    constructor(
        readonly reason: string,
        readonly fix: string,
    ) {
        super(`${reason}; ${fix}`);
        this.name = "PythonError";
    }
}

const SCRIPT = path.join(__dirname, "python-ast.py");

/** The interpreter: RAPTOR_PYTHON, else python3 on PATH. */
export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
    return env["RAPTOR_PYTHON"] || "python3";
}

export function parsePythonFiles(files: readonly string[], python = pythonCommand()): PyParse[] {
    if (files.length === 0) {
        return [];
    }
    const run = spawnSync(python, [SCRIPT], {
        input: JSON.stringify(files),
        encoding: "utf8",
        maxBuffer: 1024 * 1024 * 1024,
    });
    if (run.error) {
        const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
        throw new PythonError(
            missing
                ? `${python} not found: Alembic revision files are read with CPython's own parser`
                : `${python} failed to start: ${run.error.message}`,
            "install Python 3.8 or newer, or point RAPTOR_PYTHON at one",
        );
    }
    if (run.status !== 0) {
        throw new PythonError(
            `${python} ${SCRIPT} exited ${run.status}: ${run.stderr.trim()}`,
            "point RAPTOR_PYTHON at Python 3.8 or newer",
        );
    }
    return JSON.parse(run.stdout) as PyParse[];
}

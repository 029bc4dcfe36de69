/**
 * `raptor-roles lint-migrations PATH... [--json]`: the application's
 * migrations against the privilege matrix, before they reach a database.
 * Reading and parsing happen here; the analysis is core/migrations/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import { ResourceReader, Revision, readRevision } from "../core/migrations/alembic";
import { LintReport, lintMigrations } from "../core/migrations/lint";
import { SqlTool, orderRevisions, orderSql, sqlMigration } from "../core/migrations/order";
import { isClean, renderLint } from "../core/migrations/report";
import { loadSqlParser, parseSqlOps } from "../core/migrations/sql";
import { Migration, MigrationError, MigrationTree } from "../core/migrations/types";
import { ErrorCode, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { PythonError, parsePythonFiles } from "./python-ast";

export const LINT_MIGRATIONS_HELP = `usage: raptor-roles lint-migrations PATH... [--json] [--schema NAME] [--role NAME]

Reads the application's migrations and checks them against the privilege
matrix in core/classification.ts. Each PATH is a directory (searched
recursively) or a file: Alembic revision files (*.py, ordered by their
down_revision chain) and SQL migrations (*.sql: dbmate, golang-migrate, goose,
sql-migrate, Flyway or plain numbered files, ordered by version). PATHs are
applied in the order given.

Findings: a relation left in the schema that no set classifies; a classified
table the migrations drop or rename; a GRANT or REVOKE to the app role that
contradicts the matrix; privileges handed around the matrix (ownership,
membership, default privileges, WITH GRANT OPTION); a table name only known at
run time; SQL PostgreSQL's grammar refuses (unparsable-sql) or a template not
yet rendered (templated-sql), while every other statement and file is still
read. Each names the file and line and the fix. What cannot be read (a DO
block, SQL only known at run time) is listed as a note, with its line.

SQL inside Alembic files is parsed as the driver receives it: SQLAlchemy's
:name and psycopg's %(name)s and %s binds become placeholders ($1, $2, ...),
never inside string constants, quoted identifiers or comments, and :: stays a
cast.

Exit 0: clean; 2: findings; 1: the lint could not run (a path it cannot read,
a Python file CPython cannot parse, a broken revision graph, bad usage).

Options:
  --json         the report as JSON: {clean, schema, role, trees, findings, notes, relations, notCreated};
                 when the lint cannot run, {"error": {code, message, fix}} (exit 1)
  --schema NAME  the schema the matrix governs; unqualified names are in it (default public)
  --role NAME    the application role (default raptor_app)
  -h, --help     this help
Alembic files are parsed by CPython's ast: python3 (or RAPTOR_PYTHON) must be on PATH.
`;

const SKIP_DIRS = new Set(["__pycache__", "node_modules"]);
/** goose's Go migrations (00002_backfill.go) sit beside its SQL ones and run in order with them. */
const GO_MIGRATION = /^\d+_\w*\.go$/;
const FIX_PATH = "pass the Alembic versions directory and/or the SQL migrations directory";

/** Every .py and .sql file under a PATH, sorted (the order is decided later, from revisions and versions). */
function filesUnder(p: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(p);
    } catch (e) {
        throw new MigrationError(p, undefined, `cannot read it: ${(e as Error).message}`, "unreadable-path", FIX_PATH);
    }
    if (!stat.isDirectory()) {
        return [p];
    }
    return fs
        .readdirSync(p, { withFileTypes: true })
        .filter((d) => !d.name.startsWith(".") && !SKIP_DIRS.has(d.name))
        .flatMap((d) =>
            d.isDirectory()
                ? filesUnder(path.join(p, d.name))
                : /\.(py|sql)$/.test(d.name) || GO_MIGRATION.test(d.name)
                  ? [path.join(p, d.name)]
                  : [],
        )
        .sort();
}

function readText(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new MigrationError(
            file,
            undefined,
            `cannot read it: ${(e as Error).message}`,
            "unreadable-path",
            FIX_PATH,
        );
    }
}

/**
 * Finds a package data file a revision reads (`read_text("app.migrations.data", "schema.sql")`): the
 * package is a folder on the way up from the revision (app/migrations/versions/x.py is in package
 * app.migrations, whose data folder is beside versions/).
 */
function resourceReader(revisionFile: string): ResourceReader {
    return (pkg, name) => {
        const home = path.dirname(path.resolve(revisionFile));
        let dir = home;
        for (;;) {
            const candidate = path.join(dir, ...pkg.split("."), ...name.split("/"));
            if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) {
                // Named as the revision is (relative stays relative), so findings point at it.
                const file = path.join(path.dirname(revisionFile), path.relative(home, candidate));
                return { file, text: readText(candidate) };
            }
            const up = path.dirname(dir);
            if (up === dir) {
                return undefined;
            }
            dir = up;
        }
    };
}

function alembicTree(root: string, files: readonly string[]): MigrationTree {
    const revisions: Revision[] = [];
    for (const parsed of parsePythonFiles(files)) {
        if ("error" in parsed) {
            throw new MigrationError(
                parsed.path,
                parsed.line ?? undefined,
                `cannot parse it: ${parsed.error}`,
                "python-syntax",
                "correct the file: Alembic cannot load it either",
            );
        }
        const r = readRevision(parsed.path, parsed.ast, resourceReader(parsed.path));
        if (r) {
            revisions.push(r);
        }
    }
    if (revisions.length === 0) {
        throw new MigrationError(
            root,
            undefined,
            "has .py files but no Alembic revision (no `revision = ...`)",
            "no-migrations",
            "pass the versions directory",
        );
    }
    return orderRevisions(root, revisions);
}

/** A goose Go migration: in the order, counted, and noted as not read (its SQL is built by Go code). */
function goMigration(file: string): Migration & { version?: string; tool: SqlTool } {
    const version = /^(\d+)/.exec(path.basename(file))?.[1] as string;
    const what = "a goose Go migration (its Go code runs at migration time; the lint reads SQL files only)";
    return { file, id: version, version, tool: "goose", ops: [{ op: "opaque", file, line: 1, what }] };
}

function sqlTree(root: string, files: readonly string[]): MigrationTree | undefined {
    const migrations: Array<Migration & { version?: string; tool: SqlTool }> = [];
    for (const file of files) {
        if (file.endsWith(".go")) {
            if (/\bgoose\b/.test(readText(file))) {
                migrations.push(goMigration(file));
            }
            continue;
        }
        const m = sqlMigration({ file, text: readText(file) });
        if (m) {
            const ops = parseSqlOps(m.up, { file, firstLine: 1 });
            migrations.push({
                file,
                id: m.version ?? path.basename(file),
                ops,
                tool: m.tool,
                ...(m.version ? { version: m.version } : {}),
            });
        }
    }
    return migrations.length > 0 ? orderSql(root, migrations) : undefined;
}

/** Reads, parses and orders the migrations under each PATH. Throws MigrationError or PythonError naming the file. */
export async function readTrees(paths: readonly string[]): Promise<MigrationTree[]> {
    await loadSqlParser();
    const trees: MigrationTree[] = [];
    for (const root of paths) {
        const files = filesUnder(root);
        const py = files.filter((f) => f.endsWith(".py"));
        const sql = files.filter((f) => !f.endsWith(".py"));
        if (py.length === 0 && !sql.some((f) => f.endsWith(".sql"))) {
            throw new MigrationError(root, undefined, "holds no .py or .sql migration", "no-migrations", FIX_PATH);
        }
        if (py.length > 0) {
            trees.push(alembicTree(root, py));
        }
        const t = sql.some((f) => f.endsWith(".sql")) ? sqlTree(root, sql) : undefined;
        if (t) {
            trees.push(t);
        }
    }
    return trees;
}

export async function lintPaths(
    paths: readonly string[],
    o: { schema?: string; role?: string; classification?: Classification } = {},
): Promise<LintReport> {
    return lintMigrations(await readTrees(paths), {
        classification: o.classification ?? RAPTOR_CLASSIFICATION,
        schema: o.schema ?? "public",
        role: o.role ?? "raptor_app",
    });
}

/** A failure that stops the run (exit 1): one line on stderr and, with --json, the error document on stdout. */
function failed(io: Io, json: boolean, e: { code: ErrorCode; reason: string; fix: string }): number {
    io.err(`raptor-roles lint-migrations: ${e.reason}; ${e.fix}\n`);
    if (json) {
        io.out(`${JSON.stringify({ error: { code: e.code, message: e.reason, fix: e.fix } }, null, 2)}\n`);
    }
    return 1;
}

function parseLintArgs(argv: string[]) {
    const { values, positionals } = parseArgs({
        args: argv,
        options: {
            json: { type: "boolean" },
            schema: { type: "string" },
            role: { type: "string" },
            help: { type: "boolean", short: "h" },
        },
        allowPositionals: true,
        strict: true,
    });
    if (!values.help && positionals.length === 0) {
        throw new UsageError(
            "name at least one PATH: the Alembic versions directory and/or the SQL migrations directory",
        );
    }
    return { values, positionals };
}

export const lintMigrationsCommand: Subcommand = async (argv: string[], io: Io) => {
    const json = argv.includes("--json");
    let parsed;
    try {
        parsed = parseLintArgs(argv);
    } catch (e) {
        if (!json) {
            throw e instanceof UsageError ? e : new UsageError((e as Error).message);
        }
        const fix = "see raptor-roles lint-migrations --help";
        return failed(io, json, { code: "usage", reason: (e as Error).message, fix });
    }
    const { values, positionals } = parsed;
    if (values.help) {
        io.out(LINT_MIGRATIONS_HELP);
        return 0;
    }
    let report: LintReport;
    try {
        report = await lintPaths(positionals, {
            ...(values.schema ? { schema: values.schema } : {}),
            ...(values.role ? { role: values.role } : {}),
        });
    } catch (e) {
        if (e instanceof MigrationError || e instanceof PythonError) {
            return failed(io, json, e);
        }
        throw e;
    }
    io.out(json ? `${JSON.stringify({ clean: isClean(report), ...report }, null, 2)}\n` : renderLint(report));
    return isClean(report) ? 0 : 2;
};

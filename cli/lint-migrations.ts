/**
 * `raptor-roles lint-migrations PATH... [--json]`: the application's
 * migrations against the privilege matrix, before they reach a database.
 * Reading and parsing happen here; the analysis is core/migrations/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import { Revision, readRevision } from "../core/migrations/alembic";
import { LintReport, lintMigrations } from "../core/migrations/lint";
import { SqlTool, orderRevisions, orderSql, sqlMigration } from "../core/migrations/order";
import { isClean, renderLint } from "../core/migrations/report";
import { loadSqlParser, parseSqlOps } from "../core/migrations/sql";
import { Migration, MigrationError, MigrationTree } from "../core/migrations/types";
import { Io, Subcommand, UsageError } from "./io";
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
run time. Each names the file and line and the fix.

Exit 0: clean; 2: findings; 1: an unreadable or unparsable file (named), or bad usage.

Options:
  --json         the report as JSON: {clean, schema, role, trees, findings, notes, notCreated}
  --schema NAME  the schema the matrix governs; unqualified names are in it (default public)
  --role NAME    the application role (default raptor_app)
  -h, --help     this help
Alembic files are parsed by CPython's ast: python3 (or RAPTOR_PYTHON) must be on PATH.
`;

const SKIP_DIRS = new Set(["__pycache__", "node_modules"]);

/** Every .py and .sql file under a PATH, sorted (the order is decided later, from revisions and versions). */
function filesUnder(p: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(p);
    } catch (e) {
        throw new MigrationError(p, undefined, `cannot read it: ${(e as Error).message}`);
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
                : /\.(py|sql)$/.test(d.name)
                  ? [path.join(p, d.name)]
                  : [],
        )
        .sort();
}

function readText(file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new MigrationError(file, undefined, `cannot read it: ${(e as Error).message}`);
    }
}

function alembicTree(root: string, files: readonly string[]): MigrationTree {
    const revisions: Revision[] = [];
    for (const parsed of parsePythonFiles(files)) {
        if ("error" in parsed) {
            throw new MigrationError(parsed.path, parsed.line ?? undefined, `cannot parse it: ${parsed.error}`);
        }
        const r = readRevision(parsed.path, parsed.ast);
        if (r) {
            revisions.push(r);
        }
    }
    if (revisions.length === 0) {
        throw new MigrationError(
            root,
            undefined,
            "has .py files but no Alembic revision (no `revision = ...`); pass the versions directory",
        );
    }
    return orderRevisions(root, revisions);
}

function sqlTree(root: string, files: readonly string[]): MigrationTree | undefined {
    const migrations: Array<Migration & { version?: string; tool: SqlTool }> = [];
    for (const file of files) {
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
        const sql = files.filter((f) => f.endsWith(".sql"));
        if (py.length === 0 && sql.length === 0) {
            throw new MigrationError(
                root,
                undefined,
                "holds no .py or .sql migration; pass the Alembic versions directory or the SQL migrations directory",
            );
        }
        if (py.length > 0) {
            trees.push(alembicTree(root, py));
        }
        const t = sql.length > 0 ? sqlTree(root, sql) : undefined;
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

export const lintMigrationsCommand: Subcommand = async (argv: string[], io: Io) => {
    let parsed;
    try {
        parsed = parseArgs({
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
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        io.out(LINT_MIGRATIONS_HELP);
        return 0;
    }
    if (positionals.length === 0) {
        throw new UsageError(
            "name at least one PATH: the Alembic versions directory and/or the SQL migrations directory",
        );
    }
    let report: LintReport;
    try {
        report = await lintPaths(positionals, {
            ...(values.schema ? { schema: values.schema } : {}),
            ...(values.role ? { role: values.role } : {}),
        });
    } catch (e) {
        if (e instanceof MigrationError || e instanceof PythonError) {
            io.err(`raptor-roles lint-migrations: ${e.message}\n`);
            return 1;
        }
        throw e;
    }
    io.out(values.json ? `${JSON.stringify({ clean: isClean(report), ...report }, null, 2)}\n` : renderLint(report));
    return isClean(report) ? 0 : 2;
};

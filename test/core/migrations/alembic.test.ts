/**
 * The patterns real Alembic histories use, each shown by a fixture of our own
 * under test/fixtures/migrations/patterns/ (met in Redash, Prefect and GeoNature;
 * see docs/review.md's table of real histories): each is read, or noted as not
 * analysed with its file and line, and none fails the run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lintMigrationsCommand, lintPaths } from "../../../cli/lint-migrations";
import { Classification, RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { LintReport } from "../../../core/migrations/lint";
import { recorder } from "../../support/io";

const PATTERNS = path.join(__dirname, "..", "..", "fixtures", "migrations", "patterns");
const at = (dir: string) => path.join(PATTERNS, dir);

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-lint-"));
    dirs.push(d);
    Object.entries(files).forEach(([f, text]) => fs.writeFileSync(path.join(d, f), text));
    return d;
}

function withApplication(...tables: string[]): Classification {
    return { ...RAPTOR_CLASSIFICATION, application: [...RAPTOR_CLASSIFICATION.application, ...tables] };
}

const findings = (r: LintReport) => r.findings.map((f) => `${f.kind} ${f.table} ${path.basename(f.file)}:${f.line}`);
const notes = (r: LintReport) => r.notes.map((n) => `${path.basename(n.file)}:${n.line} ${n.message}`);

describe("op.get_bind() and connection.execute / session.execute with SQL", () => {
    it("reads every statement: :name, %(name)s and %s binds, a data-only revision, an ORM session", async () => {
        const r = await lintPaths([at("get-bind")], { classification: withApplication("ledger_entries") });
        expect(r.trees).toEqual([{ root: at("get-bind"), tool: "alembic", migrations: 3, heads: ["0003"] }]);
        expect(notes(r)).toEqual([]);
        expect(findings(r)).toEqual(["unclassified-table ledger_totals 0003_ledger_totals.py:21"]);
    });

    it("exits 2, not 1, on the history the issue describes (its binds no longer stop the run)", async () => {
        const io = recorder();
        expect(await lintMigrationsCommand([at("get-bind")], io)).toBe(2);
        expect(io.stderr).toBe("");
    });
});

describe("sa.text(...).bindparams(...)", () => {
    it("is read through .bindparams() and .columns(): the table and the view it creates", async () => {
        const r = await lintPaths([at("bindparams")]);
        expect(notes(r)).toEqual([]);
        expect(findings(r)).toEqual([
            "unclassified-table fx_rates 0001_fx_rates.py:17",
            "unclassified-table fx_latest 0001_fx_rates.py:24",
        ]);
    });
});

describe("op.bulk_insert(sa.table(...), rows)", () => {
    it("inserts rows only: the table op.create_table made is the one finding, and nothing is noted", async () => {
        const r = await lintPaths([at("bulk-insert")]);
        expect(notes(r)).toEqual([]);
        expect(findings(r)).toEqual(["unclassified-table currencies 0001_currencies.py:17"]);
    });
});

describe("SQLAlchemy Core expressions", () => {
    it("update(), insert().from_select(), sa.delete(), sa.select() in a variable: rows only, clean", async () => {
        const r = await lintPaths([at("core-expressions")]);
        expect(notes(r)).toEqual([]);
        expect(r.findings).toEqual([]);
    });
});

describe('batch_alter_table(recreate="always")', () => {
    it("is noted at its line (the copy has none of the grants); the default recreate is not", async () => {
        const r = await lintPaths([at("batch-recreate")]);
        expect(r.findings).toEqual([]);
        expect(notes(r)).toEqual([
            '0001_users_recreate.py:16 not analysed: batch_alter_table("users", recreate="always") copies the ' +
                "table into a new one, which has none of its grants: the app is refused until `pulumi up` grants " +
                "them again",
        ]);
    });
});

describe("SQL shipped as package data (GeoNature's importlib.resources.read_text)", () => {
    const versions = at(path.join("package-data", "shop", "migrations", "versions"));

    it("reads the files beside the package, with their binds and their SET search_path", async () => {
        const r = await lintPaths([versions]);
        expect(findings(r)).toEqual(["unclassified-table shop_settings schema.sql:17"]);
        expect(r.findings[0]?.file).toBe(path.join(versions, "..", "data", "schema.sql"));
        expect(r.relations).toEqual({ ledger: 2, public: 2 });
    });

    it("a file it cannot find is noted at the revision's line", async () => {
        const r = await lintPaths([versions]);
        expect(notes(r)).toEqual([
            "0001_initial_schema.py:28 not analysed: SQL read from the package data file shop.migrations.data: " +
                "seed.sql, which is not beside this revision's package",
        ]);
    });
});

describe("SQL the lint cannot read in a revision", () => {
    it("a statement PostgreSQL refuses is an unparsable-sql finding at its line; the other ops stay", async () => {
        const d = tree({
            "0001_x.py":
                'from alembic import op\n\nrevision = "0001"\ndown_revision = None\n\n\ndef upgrade():\n' +
                '    op.execute("CREAT TABLE typo (id int)")\n    op.create_table("ledger")\n',
        });
        const r = await lintPaths([d]);
        expect(findings(r)).toEqual(["unparsable-sql  0001_x.py:8", "unclassified-table ledger 0001_x.py:9"]);
    });
});

describe("SQL built in Python (Prefect's batches, Redash's imported expressions)", () => {
    it("an f-string of module constants is read: the table it creates", async () => {
        const r = await lintPaths([at("run-time-sql")]);
        expect(findings(r)).toEqual(["unclassified-table flow_runs 0001_flow_run_states.py:29"]);
    });

    it("what is only known at run time is noted once per line, naming what made it", async () => {
        const r = await lintPaths([at("run-time-sql")]);
        const why = ", only known at run time (write it as a literal or a module constant to have it read)";
        expect(notes(r)).toEqual([
            `0001_flow_run_states.py:30 not analysed: SQL in a variable only known at run time (write it as a ` +
                `literal or a module constant to have it read)`,
            `0001_flow_run_states.py:35 not analysed: SQL from a batch_update(...) call${why}`,
            `0001_flow_run_states.py:37 not analysed: SQL from an expression${why}`,
            "0001_flow_run_states.py:39 not analysed: SQL read from a package data file whose name is only known " +
                "at run time (app.migrations: data/{...})",
        ]);
    });
});

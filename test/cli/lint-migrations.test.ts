/**
 * raptor-roles lint-migrations on migration trees written for the tests: the
 * Raptor history the runbook describes (0001-0020 with a branch and a merge,
 * plus its SQL grant migrations), and small trees for each finding.
 * Alembic files go through the real CPython `ast`; SQL through libpg-query (@libpg-query/parser).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lintMigrationsCommand, lintPaths } from "../../cli/lint-migrations";
import { Classification, RAPTOR_CLASSIFICATION } from "../../core/classification";
import { recorder } from "../support/io";

const FIX = path.join(__dirname, "..", "fixtures", "migrations");
const RAPTOR_ALEMBIC = path.join(FIX, "raptor", "alembic", "versions");
const RAPTOR_SQL = path.join(FIX, "raptor", "sql");
/** The five tables besides order_strategy_links that 0011-0020 create (names invented: the runbook gives none). */
const FIVE = ["broker_accounts", "order_fill_history", "strategy_backtests", "strategy_signal_events", "watchlists"];

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>, copyFrom?: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-lint-"));
    dirs.push(d);
    if (copyFrom) {
        fs.cpSync(copyFrom, d, { recursive: true });
    }
    Object.entries(files).forEach(([f, text]) => fs.writeFileSync(path.join(d, f), text));
    return d;
}

function withApplication(...tables: string[]): Classification {
    return { ...RAPTOR_CLASSIFICATION, application: [...RAPTOR_CLASSIFICATION.application, ...tables] };
}

/** An Alembic revision file as `alembic revision` writes it. */
function revision(rev: string, down: string | null, upgrade: string): string {
    return (
        `"""${rev}\n\nRevision ID: ${rev}\nRevises: ${down ?? ""}\n"""\nfrom alembic import op\nimport ` +
        `sqlalchemy as sa\n\n` +
        `revision = "${rev}"\ndown_revision = ${down === null ? "None" : `"${down}"`}\nbranch_labels = ` +
        `None\ndepends_on = None\n\n\n` +
        `def upgrade():\n${upgrade}\n\n\ndef downgrade():\n    pass\n`
    );
}

describe("the Raptor history (runbook: 0011-0020 add order_strategy_links and five more tables)", () => {
    it("reports exactly the five tables the matrix misses, each at its migration's line; exit 2", async () => {
        const io = recorder();
        expect(await lintMigrationsCommand([RAPTOR_ALEMBIC, "--json"], io)).toBe(2);
        const report = JSON.parse(io.stdout);
        expect(report.clean).toBe(false);
        expect(report.trees).toEqual([{ root: RAPTOR_ALEMBIC, tool: "alembic", migrations: 20, heads: ["0020"] }]);
        const found = report.findings.map((f: { kind: string; table: string; file: string; line: number }) => [
            f.kind,
            f.table,
            path.basename(f.file),
            f.line,
        ]);
        expect(found).toEqual([
            ["unclassified-table", "strategy_backtests", "0012_strategy_backtests.py", 21],
            ["unclassified-table", "broker_accounts", "0014_broker_accounts.py", 21],
            ["unclassified-table", "strategy_signal_events", "0017_rename_strategy_signals.py", 21],
            ["unclassified-table", "order_fill_history", "0018_order_fill_history.py", 20],
            ["unclassified-table", "watchlists", "0019_watchlists.py", 20],
        ]);
        expect(report.notCreated).toEqual(["schema_migrations"]);
    });

    it(
        "is clean once the five are classified: the raw SQL, the rename, the helper and the merge all " + "resolve",
        async () => {
            const report = await lintPaths([RAPTOR_ALEMBIC], { classification: withApplication(...FIVE) });
            expect(report.findings).toEqual([]);
            expect(report.notCreated).toEqual(["schema_migrations"]);
        },
    );

    it(
        "with the SQL tree after it, finds Block A revoking order_strategy_links, which Block B never " + "re-grants",
        async () => {
            const report = await lintPaths([RAPTOR_ALEMBIC, RAPTOR_SQL]);
            expect(report.trees.map((t) => [t.tool, t.migrations])).toEqual([
                ["alembic", 20],
                ["dbmate", 2],
            ]);
            expect(
                report.findings
                    .filter((f) => f.kind === "unclassified-table")
                    .map((f) => f.table)
                    .sort(),
            ).toEqual(FIVE);
            expect(report.findings.filter((f) => f.kind !== "unclassified-table")).toEqual([
                {
                    kind: "revoke-contradicts-matrix",
                    file: path.join(RAPTOR_SQL, "031_audit_role_split.sql"),
                    line: 5,
                    schema: "public",
                    table: "order_strategy_links",
                    message:
                        'revokes SELECT, INSERT, UPDATE, DELETE on application table "order_strategy_links" from ' +
                        "raptor_app, which the matrix gives it",
                    fix:
                        "remove the revoke (the app is refused until pulumi up re-grants it), or move " +
                        '"order_strategy_links" to another set in core/classification.ts',
                },
            ]);
            expect(report.notes).toEqual([
                {
                    file: path.join(RAPTOR_SQL, "015_raptor_app_role.sql"),
                    line: 4,
                    message: "not analysed: a DO block (PL/pgSQL runs at migration time; its statements are not read)",
                },
            ]);
            expect(report.notCreated).toEqual([]);
        },
    );

    it("suggests appendOnly from a *_history or *_events name but never decides", async () => {
        const report = await lintPaths([RAPTOR_ALEMBIC]);
        const hints = Object.fromEntries(report.findings.map((f) => [f.table, f.suggestion]));
        expect(hints["order_fill_history"]).toBe(
            "the name (*_history) looks like an audit or history table: appendOnly may fit; decide from how the " +
                "app uses it",
        );
        expect(hints["strategy_signal_events"]).toContain("(*_events)");
        expect(hints["watchlists"]).toBeUndefined();
        expect(
            report.findings.every((f) =>
                f.fix.startsWith(`add "${f.table}" to application, appendOnly or locked in core/classification.ts`),
            ),
        ).toBe(true);
    });
});

describe("a new migration (the issue's done-when)", () => {
    const addRiskLimits = () =>
        tree(
            {
                "0021_risk_limits.py": revision(
                    "0021",
                    "0020",
                    '    op.create_table(\n        "risk_limits",\n        sa.Column("id", sa.BigInteger(), ' +
                        "primary_key=True),\n    )",
                ),
            },
            RAPTOR_ALEMBIC,
        );

    it("adding an unclassified table fails with its file and line", async () => {
        const d = addRiskLimits();
        const io = recorder();
        const code = await lintPathsText(d, withApplication(...FIVE), io);
        expect(code).toBe(2);
        expect(io.stdout).toContain(`unclassified-table  ${path.join(d, "0021_risk_limits.py")}:16\n`);
        expect(io.stdout).toContain(
            '  fix: add "risk_limits" to application, appendOnly or locked in core/classification.ts\n',
        );
    });

    it("the same change passes once risk_limits is classified", async () => {
        const report = await lintPaths([addRiskLimits()], { classification: withApplication(...FIVE, "risk_limits") });
        expect(report.findings).toEqual([]);
    });
});

async function lintPathsText(
    d: string,
    classification: Classification,
    io: ReturnType<typeof recorder>,
): Promise<number> {
    const report = await lintPaths([d], { classification });
    const { renderLint, isClean } = await import("../../core/migrations/report");
    io.out(renderLint(report));
    return isClean(report) ? 0 : 2;
}

describe("order", () => {
    it(
        "follows down_revision, not the file order: create then rename, though the rename's file sorts " + "first",
        async () => {
            const report = await lintPaths([path.join(FIX, "chain-order")], {
                classification: withApplication("ledger_entries"),
            });
            expect(report.findings).toEqual([]);
            expect(report.trees[0]?.heads).toEqual(["e5f6a7b8c9d0"]);
        },
    );

    it("a branch left unmerged has two heads, both applied", async () => {
        const d = tree({
            "a.py": revision("a", null, '    op.create_table("alpha")'),
            "b.py": revision("b", "a", '    op.create_table("beta")'),
            "c.py": revision("c", "a", '    op.create_table("gamma")'),
        });
        const report = await lintPaths([d]);
        expect(report.trees[0]?.heads).toEqual(["b", "c"]);
        expect(report.findings.map((f) => f.table)).toEqual(["alpha", "beta", "gamma"]);
    });

    it("depends_on orders a revision after another branch's revision", async () => {
        // b renames what c creates; only depends_on puts c first (file and id order would put b first).
        const b = revision("b", "a", '    op.rename_table("ledger_tmp", "ledger_entries")').replace(
            "depends_on = None",
            'depends_on = "c"',
        );
        const d = tree({
            "a.py": revision("a", null, "    pass"),
            "b.py": b,
            "c.py": revision("c", "a", '    op.create_table("ledger_tmp")'),
        });
        const report = await lintPaths([d], { classification: withApplication("ledger_entries") });
        expect(report.findings).toEqual([]);
    });

    it("two files declaring one revision id is an error naming both (exit 1)", async () => {
        const d = tree({ "a.py": revision("a", null, "    pass"), "a_copy.py": revision("a", null, "    pass") });
        const io = recorder();
        expect(await lintMigrationsCommand([d], io)).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles lint-migrations: ${path.join(d, "a_copy.py")}: revision "a" is also declared in ` +
                `${path.join(d, "a.py")}; give one of them a new id\n`,
        );
    });

    it("a down_revision naming no revision is an error naming the file (exit 1)", async () => {
        const d = tree({ "b.py": revision("b", "zzz", "    pass") });
        const io = recorder();
        expect(await lintMigrationsCommand([d], io)).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles lint-migrations: ${path.join(d, "b.py")}: revision "b" revises "zzz", ` +
                `which no file under ${d} declares; ` +
                "lint the whole versions directory\n",
        );
    });
});

describe("a run the lint cannot make (exit 1, file named)", () => {
    const syntaxError = () => tree({ "a.py": 'revision = "a"\ndown_revision = None\n\ndef upgrade(:\n    pass\n' });

    it("a Python syntax error names the file and line: Alembic could not load it either", async () => {
        const d = syntaxError();
        const io = recorder();
        expect(await lintMigrationsCommand([d], io)).toBe(1);
        expect(io.stderr).toBe(
            `raptor-roles lint-migrations: ${path.join(d, "a.py")}:4: cannot parse it: Python syntax error: ` +
                `invalid syntax; correct the file: Alembic cannot load it either\n`,
        );
        expect(io.stdout).toBe("");
    });

    it("with --json, the error document goes to stdout as well", async () => {
        const d = syntaxError();
        const io = recorder();
        expect(await lintMigrationsCommand([d, "--json"], io)).toBe(1);
        expect(JSON.parse(io.stdout)).toEqual({
            error: {
                code: "python-syntax",
                message: `${path.join(d, "a.py")}:4: cannot parse it: Python syntax error: invalid syntax`,
                fix: "correct the file: Alembic cannot load it either",
            },
        });
    });

    it("a missing PATH is named", async () => {
        const io = recorder();
        expect(await lintMigrationsCommand(["/nonexistent/versions"], io)).toBe(1);
        expect(io.stderr).toContain("raptor-roles lint-migrations: /nonexistent/versions: cannot read it: ENOENT");
        expect(io.stderr).toContain("; pass the Alembic versions directory and/or the SQL migrations directory\n");
    });

    it("bad usage with --json: the error document, code usage", async () => {
        const io = recorder();
        expect(await lintMigrationsCommand(["--json"], io)).toBe(1);
        expect(JSON.parse(io.stdout)).toEqual({
            error: {
                code: "usage",
                message: "name at least one PATH: the Alembic versions directory and/or the SQL migrations directory",
                fix: "see raptor-roles lint-migrations --help",
            },
        });
    });
});

describe("SQL the lint cannot read is a finding; the run goes on (exit 2)", () => {
    const PATTERNS = path.join(FIX, "patterns");

    it("a statement PostgreSQL refuses: unparsable-sql (file, line, parser's message); all else is read", async () => {
        const d = path.join(PATTERNS, "sql-unparsable");
        const io = recorder();
        expect(await lintMigrationsCommand([d, "--json"], io)).toBe(2);
        const report = JSON.parse(io.stdout);
        expect(
            report.findings.map((f: { kind: string; table: string; file: string; line: number }) => [
                f.kind,
                f.table,
                path.basename(f.file),
                f.line,
            ]),
        ).toEqual([
            ["unclassified-table", "widgets", "000001_init.up.sql", 1],
            ["unparsable-sql", "", "000001_init.up.sql", 3],
            ["unclassified-table", "sprockets", "000001_init.up.sql", 5],
            ["unclassified-table", "gears", "000002_gears.up.sql", 1],
        ]);
        expect(report.findings[1].message).toBe(
            'PostgreSQL cannot parse this SQL: syntax error at or near "CREAT"; nothing in this statement is checked',
        );
    });

    it("Go's {{ ... }}: templated-sql at each templated statement, with the hint to render it first", async () => {
        const d = path.join(PATTERNS, "sql-templated");
        const report = await lintPaths([d]);
        expect(report.findings.map((f) => `${f.kind} ${f.table} :${f.line}`)).toEqual([
            "unclassified-table widgets :2",
            "templated-sql  :4",
            "templated-sql  :9",
        ]);
        expect(report.findings[1]?.fix).toBe(
            "render the templates first (with the values the tool uses) and lint the rendered SQL",
        );
    });

    it("a goose Go migration is in the order and noted; the SQL ones around it are read", async () => {
        const d = path.join(PATTERNS, "goose-go");
        const report = await lintPaths([d]);
        expect(report.trees).toEqual([{ root: d, tool: "goose", migrations: 3 }]);
        expect(report.notes).toEqual([
            {
                file: path.join(d, "00002_backfill_totals.go"),
                line: 1,
                message:
                    "not analysed: a goose Go migration (its Go code runs at migration time; " +
                    "the lint reads SQL files only)",
            },
        ]);
        expect(report.findings.map((f) => f.table)).toEqual(["goose_db_version", "orders", "order_lines"]);
    });
});

describe("through the binary (tsx's hook, the Python child process, the WebAssembly parser)", () => {
    const run = (env: NodeJS.ProcessEnv, ...args: string[]) =>
        spawnSync(
            process.execPath,
            [path.join(__dirname, "..", "..", "bin", "raptor-roles.js"), "lint-migrations", ...args],
            {
                encoding: "utf8",
                env: { ...process.env, ...env },
                timeout: 120_000,
            },
        );

    it("exits 2 on the Raptor history, naming five unclassified tables", () => {
        const r = run({}, RAPTOR_ALEMBIC, RAPTOR_SQL);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(2);
        expect(r.stdout.split("\n")[0]).toBe(
            "lint-migrations: FINDINGS: 6 finding(s) in 22 migration(s): " +
                "unclassified-table 5, revoke-contradicts-matrix 1",
        );
    });
});

describe("without Python", () => {
    it("exits 1 and says how to get it", async () => {
        const saved = process.env["RAPTOR_PYTHON"];
        process.env["RAPTOR_PYTHON"] = "/nonexistent/python3";
        try {
            const io = recorder();
            expect(await lintMigrationsCommand([RAPTOR_ALEMBIC], io)).toBe(1);
            expect(io.stderr).toBe(
                "raptor-roles lint-migrations: /nonexistent/python3 not found: " +
                    "Alembic revision files are read with CPython's own parser; " +
                    "install Python 3.8 or newer, or point RAPTOR_PYTHON at one\n",
            );
        } finally {
            if (saved === undefined) {
                delete process.env["RAPTOR_PYTHON"];
            } else {
                process.env["RAPTOR_PYTHON"] = saved;
            }
        }
    });
});

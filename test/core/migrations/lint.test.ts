/**
 * lint-migrations, one behaviour per test, on small migration trees: grants
 * that contradict the matrix, privileges handed around it, drops and renames
 * of classified tables, schemas, dynamic names, and each SQL tool's layout.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lintPaths } from "../../../cli/lint-migrations";
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { Finding } from "../../../core/migrations/lint";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-lint-"));
    dirs.push(d);
    Object.entries(files).forEach(([f, text]) => fs.writeFileSync(path.join(d, f), text));
    return d;
}

/** One Alembic revision whose upgrade() body is given (line 8 is its first line). */
function alembic(upgrade: string, extra = ""): string {
    return tree({
        "0001_x.py":
            `from alembic import op\n${extra}\nrevision = "0001"\ndown_revision = None\n\n\ndef ` +
            `upgrade():\n${upgrade}\n`,
    });
}

/** One dbmate SQL migration (line 2 is the first statement's line). */
function sql(up: string, name = "20260601000000_x.sql"): string {
    return tree({ [name]: `-- migrate:up\n${up}\n-- migrate:down\nDROP TABLE IF EXISTS never_read;\n` });
}

const brief = (fs: readonly Finding[]) => fs.map((f) => `${f.kind} ${f.table} :${f.line} ${f.message}`);

describe("grants and revokes against the matrix", () => {
    it("UPDATE on an append-only table contradicts it, named with its line", async () => {
        const r = await lintPaths([
            alembic('    op.execute("GRANT SELECT, INSERT, UPDATE ON customer_audit_events TO raptor_app")'),
        ]);
        expect(brief(r.findings)).toEqual([
            "grant-contradicts-matrix customer_audit_events :8 grants raptor_app UPDATE on appendOnly table " +
                '"customer_audit_events"; ' +
                "the matrix gives it only SELECT, INSERT",
        ]);
    });

    it("anything on a locked table contradicts it", async () => {
        const r = await lintPaths([sql("GRANT SELECT ON alembic_version TO raptor_app;")]);
        expect(brief(r.findings)).toContain(
            "grant-contradicts-matrix alembic_version :2 grants raptor_app SELECT on locked table " +
                '"alembic_version"; the matrix gives it nothing',
        );
    });

    it("the matrix's own grants on an application table pass", async () => {
        const r = await lintPaths([sql("GRANT SELECT, INSERT, UPDATE, DELETE ON users TO raptor_app;")]);
        expect(r.findings).toEqual([]);
    });

    it("a grant to PUBLIC reaches the app role", async () => {
        const r = await lintPaths([sql("GRANT DELETE ON dsr_log TO PUBLIC;")]);
        expect(brief(r.findings)).toEqual([
            "grant-contradicts-matrix dsr_log :2 grants raptor_app DELETE to PUBLIC on appendOnly table " +
                '"dsr_log"; the matrix gives it only SELECT, INSERT',
        ]);
    });

    it("a grant to another role is not the matrix's business", async () => {
        const r = await lintPaths([sql("GRANT ALL ON dsr_log TO reporting;")]);
        expect(r.findings).toEqual([]);
    });

    it("a column grant of UPDATE on an append-only table contradicts it", async () => {
        const r = await lintPaths([sql("GRANT UPDATE (detail) ON customer_audit_events TO raptor_app;")]);
        expect(brief(r.findings)).toEqual([
            "grant-contradicts-matrix customer_audit_events :2 grants raptor_app UPDATE (detail) on appendOnly " +
                'table "customer_audit_events"; ' +
                "the matrix gives it only SELECT, INSERT",
        ]);
    });

    it(
        "the runbook's re-apply block (ON ALL TABLES) gives UPDATE and DELETE on every append-only table that " +
            "exists",
        async () => {
            const r = await lintPaths([
                sql(
                    "CREATE TABLE users (id int);\nCREATE TABLE dsr_log (id int);\n" +
                        "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO raptor_app;",
                ),
            ]);
            expect(brief(r.findings)).toEqual([
                "grant-contradicts-matrix schema_migrations :4 grants raptor_app INSERT, UPDATE, DELETE on locked " +
                    'table "schema_migrations"; ' +
                    "the matrix gives it nothing",
                'grant-contradicts-matrix dsr_log :4 grants raptor_app UPDATE, DELETE on appendOnly table "dsr_log"; ' +
                    "the matrix gives it only SELECT, INSERT",
            ]);
        },
    );

    it("a grant revoked again in the same migration is not reported", async () => {
        const r = await lintPaths([
            sql(
                "GRANT ALL ON dsr_log TO raptor_app;\nREVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, " +
                    "MAINTAIN ON dsr_log FROM raptor_app;",
            ),
        ]);
        expect(r.findings).toEqual([]);
    });

    it("revoking what the matrix gives, and not granting it back, contradicts it", async () => {
        const r = await lintPaths([sql("REVOKE DELETE ON users FROM raptor_app;")]);
        expect(brief(r.findings)).toEqual([
            'revoke-contradicts-matrix users :2 revokes DELETE on application table "users" from raptor_app, ' +
                "which the matrix gives it",
        ]);
    });

    it("WITH GRANT OPTION contradicts it even for a privilege the set allows", async () => {
        const r = await lintPaths([sql("GRANT SELECT ON users TO raptor_app WITH GRANT OPTION;")]);
        expect(brief(r.findings)).toEqual([
            "grant-contradicts-matrix users :2 grants raptor_app SELECT WITH GRANT OPTION on application table " +
                '"users"; ' +
                "the matrix gives it only SELECT, INSERT, UPDATE, DELETE",
        ]);
    });
});

describe("privileges around the matrix", () => {
    it.each([
        [
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO raptor_app;",
            "default privileges on future tables",
        ],
        ["GRANT app_owner TO raptor_app;", "membership in role(s) app_owner"],
        ["ALTER TABLE users OWNER TO raptor_app;", "ownership of users (an owner holds every privilege)"],
    ])("%s is reported", async (statement, what) => {
        const r = await lintPaths([sql(statement)]);
        expect(brief(r.findings)).toEqual([
            `privileges-around-matrix  :2 gives raptor_app ${what}, which the matrix never grants`,
        ]);
    });
});

describe("tables the classification lists", () => {
    it("dropping one is reported with the fix in core/classification.ts", async () => {
        const r = await lintPaths([alembic('    op.drop_table("quebec_waitlist")')]);
        expect(r.findings.map((f) => [f.kind, f.line, f.fix])).toEqual([
            [
                "classified-table-dropped",
                8,
                'remove "quebec_waitlist" from the application set in core/classification.ts in the same change',
            ],
        ]);
    });

    it("dropping one and creating it again is not", async () => {
        const r = await lintPaths([
            alembic('    op.drop_table("quebec_waitlist")\n    op.create_table("quebec_waitlist")'),
        ]);
        expect(r.findings).toEqual([]);
    });

    it("renaming one is reported with both names, and the new name is not reported again as unclassified", async () => {
        const r = await lintPaths([alembic('    op.rename_table("dsr_log", "dsr_requests_log")')]);
        expect(r.findings.map((f) => [f.kind, f.table, f.fix])).toEqual([
            [
                "classified-table-renamed",
                "dsr_log",
                'rename "dsr_log" to "dsr_requests_log" in the appendOnly set of core/classification.ts in the ' +
                    "same change",
            ],
        ]);
    });

    it("the rename passes once the classification carries the new name", async () => {
        const classification = {
            ...RAPTOR_CLASSIFICATION,
            appendOnly: RAPTOR_CLASSIFICATION.appendOnly.map((t) => (t === "dsr_log" ? "dsr_requests_log" : t)),
        };
        const r = await lintPaths([alembic('    op.rename_table("dsr_log", "dsr_requests_log")')], { classification });
        expect(r.findings).toEqual([]);
    });
});

describe("what the lint reads", () => {
    it("a table in another schema (schema=) is outside the matrix", async () => {
        const r = await lintPaths([alembic('    op.create_table("ledger", schema="accounting")')]);
        expect(r.findings).toEqual([]);
    });

    it('schema="public" is the matrix\'s schema', async () => {
        const r = await lintPaths([alembic('    op.create_table("ledger", schema="public")')]);
        expect(r.findings.map((f) => [f.kind, f.table])).toEqual([["unclassified-table", "ledger"]]);
    });

    it("a table moved out with SET SCHEMA leaves the matrix's schema", async () => {
        const r = await lintPaths([sql("CREATE TABLE ledger (id int);\nALTER TABLE ledger SET SCHEMA archive;")]);
        expect(r.findings).toEqual([]);
    });

    it("a table name built at run time is reported, not guessed", async () => {
        const r = await lintPaths([
            alembic('    op.execute(f"CREATE TABLE {PREFIX}_ledger (id int)")', "PREFIX = get_prefix()"),
        ]);
        expect(r.findings.map((f) => [f.kind, f.line])).toEqual([["dynamic-table-name", 8]]);
    });

    it("a loop over literal names creates each", async () => {
        const r = await lintPaths([
            alembic('    for name in ("ledger_a", "ledger_b"):\n        op.create_table(name)'),
        ]);
        expect(r.findings.map((f) => f.table)).toEqual(["ledger_a", "ledger_b"]);
    });

    it("temporary tables and partitions are not relations the matrix classifies; a view is", async () => {
        const r = await lintPaths([
            sql(
                "CREATE TEMP TABLE scratch (id int);\nCREATE TABLE users_2026 PARTITION OF users FOR VALUES IN (1);\n" +
                    "CREATE VIEW active_users AS SELECT 1;",
            ),
        ]);
        expect(brief(r.findings)).toEqual([
            'unclassified-table active_users :4 view "public"."active_users" is created here and left in the ' +
                "schema, but no set of " +
                "core/classification.ts lists it: raptor_app is refused on it (runbook failure mode C)",
        ]);
    });

    it('batch_alter_table(recreate="always") is noted: the copy has none of the grants', async () => {
        const r = await lintPaths([
            alembic(
                '    with op.batch_alter_table("users", recreate="always") as batch_op:\n        ' +
                    'batch_op.drop_column("x")',
            ),
        ]);
        expect(r.findings).toEqual([]);
        expect(r.notes.map((n) => n.line)).toEqual([8]);
        expect(r.notes[0]?.message).toContain(
            'batch_alter_table("users", recreate="always") copies the table into a new one',
        );
    });
});

describe("SQL tools", () => {
    it("golang-migrate: only .up.sql files, in numeric version order (2 before 10)", async () => {
        const d = tree({
            "10_rename.up.sql": "ALTER TABLE ledger_tmp RENAME TO ledger;",
            "2_create.up.sql": "CREATE TABLE ledger_tmp (id int);",
            "2_create.down.sql": "CREATE TABLE never_applied (id int);",
        });
        const r = await lintPaths([d]);
        expect(r.trees).toEqual([{ root: d, tool: "golang-migrate", migrations: 2 }]);
        expect(brief(r.findings)).toEqual([
            'unclassified-table ledger :1 table "public"."ledger" is renamed from "ledger_tmp" here and left in ' +
                "the schema, but no set of " +
                "core/classification.ts lists it: raptor_app is refused on it (runbook failure mode C)",
        ]);
    });

    it("goose: the Up section only", async () => {
        const r = await lintPaths([
            tree({
                "00001_x.sql":
                    "-- +goose Up\nCREATE TABLE users (id int);\n-- +goose Down\nCREATE TABLE nope (id int);\n",
            }),
        ]);
        expect(r.trees[0]?.tool).toBe("goose");
        expect(brief(r.findings).map((f) => f.split(" :")[0])).toEqual(["unclassified-table goose_db_version"]);
    });

    it("Flyway: its history table is a table in the schema too, and the matrix does not know it", async () => {
        const r = await lintPaths([tree({ "V1__init.sql": "CREATE TABLE users (id int);" })]);
        expect(r.findings.map((f) => [f.kind, f.table, path.basename(f.file), f.line])).toEqual([
            ["unclassified-table", "flyway_schema_history", "V1__init.sql", 1],
        ]);
    });
});

describe("SQL the lint cannot read", () => {
    it("SQL held in a variable built at run time is noted, not silently skipped", async () => {
        const r = await lintPaths([
            alembic("    op.execute(users.update().values(active=True))\n    stmt = build()\n    op.execute(stmt)"),
        ]);
        expect(r.findings).toEqual([]);
        expect(r.notes.map((n) => [n.line, n.message])).toEqual([
            [
                10,
                "not analysed: SQL from a build(...) call, only known at run time " +
                    "(write it as a literal or a module constant to have it read)",
            ],
        ]);
    });
});

/**
 * The revision graph real Alembic histories have (GeoNature: branch labels,
 * depends_on other packages' revisions, a computed depends_on, merges, eight
 * heads), shown by test/fixtures/migrations/patterns/branches:
 *
 *   0001 ─┬─ 0002 ─┬─ 0004 (merge) ── 0005 (depends_on the "billing" label)
 *         └─ 0003 ─┘
 *   b001 (branch_labels "billing", depends_on 0001)
 *   p001 (branch_labels "plugin", depends_on a revision of another package) ── p002 (depends_on computed)
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { lintPaths } from "../../../cli/lint-migrations";
import { Revision } from "../../../core/migrations/alembic";
import { orderRevisions } from "../../../core/migrations/order";

const BRANCHES = path.join(__dirname, "..", "..", "fixtures", "migrations", "patterns", "branches");

function rev(revision: string, down: string[], more: Partial<Revision> = {}): Revision {
    return {
        file: `${revision}.py`,
        revision,
        downRevisions: down,
        dependsOn: [],
        dependsOnLine: 12,
        branchLabels: [],
        ops: [],
        ...more,
    };
}

describe("the branches fixture", () => {
    it("has three heads: the merged main line, the labelled billing base, the plugin branch", async () => {
        const r = await lintPaths([BRANCHES]);
        expect(r.trees).toEqual([{ root: BRANCHES, tool: "alembic", migrations: 8, heads: ["b001", "0005", "p002"] }]);
    });

    it("0005 renames what the billing branch created, because depends_on the label orders it after b001", async () => {
        const r = await lintPaths([BRANCHES]);
        expect(r.findings.map((f) => `${f.table} ${path.basename(f.file)}:${f.line}`)).toEqual([
            "accounts 0001_accounts.py:17",
            "report_runs 0002_report_runs.py:17",
            "export_jobs 0003_export_jobs.py:17",
            "billing_invoices 0005_rename_invoices.py:17",
            "plugin_settings p001_plugin.py:17",
        ]);
    });

    it("a depends_on outside the paths and a computed depends_on are noted, at their lines", async () => {
        const r = await lintPaths([BRANCHES]);
        expect(r.notes.map((n) => `${path.basename(n.file)}:${n.line} ${n.message}`)).toEqual([
            `p001_plugin.py:13 not analysed: depends_on "e1f2a3b4c5d6", which no file under ${BRANCHES} declares ` +
                "(another package's migrations): what those create is not known here; pass their versions " +
                "directory too to lint them together",
            "p002_plugin_samples.py:18 not analysed: depends_on is computed when the module loads; the lint reads " +
                "the strings written in it (0005), not what the code adds at run time",
        ]);
    });
});

describe("orderRevisions", () => {
    it("puts a revision after the revision a depends_on label names, whatever the ids", () => {
        const t = orderRevisions("v", [
            rev("a", [], { dependsOn: ["zz-branch"] }),
            rev("zz", [], { branchLabels: ["zz-branch"] }),
        ]);
        expect(t.migrations.map((m) => m.id)).toEqual(["zz", "a"]);
        expect(t.heads).toEqual(["zz", "a"]);
    });

    it("a merge comes after both its parents, and is the one head", () => {
        const t = orderRevisions("v", [rev("m", ["b", "c"]), rev("c", ["a"]), rev("b", ["a"]), rev("a", [])]);
        expect(t.migrations.map((m) => m.id)).toEqual(["a", "b", "c", "m"]);
        expect(t.heads).toEqual(["m"]);
    });

    it("a down_revision naming no revision still stops the run: the directory is incomplete", () => {
        expect(() => orderRevisions("v", [rev("b", ["zzz"])])).toThrow(
            'b.py: revision "b" revises "zzz", which no file under v declares; lint the whole versions directory',
        );
    });
});

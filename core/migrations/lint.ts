/**
 * Replays migrations against the matrix. The schema is simulated statement by
 * statement (creates, renames, drops, moves between schemas) and so are the
 * app role's privileges (its own and PUBLIC's). Findings:
 * - a relation left in the matrix's schema that core/classification.ts does
 *   not classify (the app is refused on it: runbook failure mode C);
 * - a table the classification still lists that the migrations drop or rename;
 * - a migration whose grants or revokes leave the app role with more, or
 *   fewer, privileges than its set gives (judged at the end of each migration,
 *   so a revoke-then-regrant such as the runbook's Block A-D is consistent);
 * - anything that hands the role privileges around the matrix: ownership,
 *   membership, default privileges, WITH GRANT OPTION;
 * - a table whose name is only known at run time.
 */
import { TableSet } from "../classification";
import { TOOL_TABLES } from "./order";
import { DYNAMIC } from "./alembic";
import { LintOptions, LintReport } from "./findings";
import { Replay, key } from "./replay";
import { MigrationTree, Where } from "./types";

export * from "./findings";

const LOOKS_APPEND_ONLY = ["_history", "_log", "_events"];

function suggest(name: string): string | undefined {
    const suffix = LOOKS_APPEND_ONLY.find((s) => name.endsWith(s));
    return suffix
        ? `the name (*${suffix}) looks like an audit or history table: appendOnly may fit; decide from how the ` +
              `app uses it`
        : undefined;
}

/** The end of the chain: unclassified relations left, classified tables gone. */
function conclude(r: Replay): string[] {
    const o = r.o;
    for (const rel of r.rels.values()) {
        const renamedClassified =
            rel.renamedFrom !== undefined && r.gone.has(rel.renamedFrom) && !r.rels.has(key(o.schema, rel.renamedFrom));
        if (rel.schema !== o.schema || r.sets.has(rel.name) || rel.name.startsWith(DYNAMIC) || renamedClassified) {
            continue; // a renamed classified table is reported once, as renamed
        }
        r.finding(
            "unclassified-table",
            rel.origin,
            rel.schema,
            rel.name,
            `${rel.kind} "${rel.schema}"."${rel.name}" is ${rel.origin.how} here and left in the schema, but no ` +
                `set of ` +
                `core/classification.ts lists it: ${o.role} is refused on it (runbook failure mode C)`,
            `add "${rel.name}" to application, appendOnly or locked in core/classification.ts`,
            suggest(rel.name),
        );
    }
    for (const [name, { at, to }] of r.gone) {
        if (r.rels.has(key(o.schema, name))) {
            continue; // dropped or renamed, then created again under the classified name
        }
        const set = r.sets.get(name) as TableSet;
        if (to === undefined) {
            r.finding(
                "classified-table-dropped",
                at,
                o.schema,
                name,
                `drops "${name}", which the ${set} set still lists`,
                `remove "${name}" from the ${set} set in core/classification.ts in the same change`,
            );
        } else {
            r.finding(
                "classified-table-renamed",
                at,
                o.schema,
                name,
                `renames "${name}" to "${to}", but the ${set} set still lists "${name}"`,
                `rename "${name}" to "${to.split(".").pop()}" in the ${set} set of core/classification.ts in ` +
                    `the same change` +
                    (to.includes(".") ? ` (or remove it: it leaves schema "${o.schema}")` : ""),
            );
        }
    }
    const gone = new Set(r.gone.keys());
    return [...r.sets.keys()].filter((t) => !r.rels.has(key(o.schema, t)) && !gone.has(t)).sort();
}

/** Lints migration trees, applied in the order given (each in its own migration order). */
export function lintMigrations(trees: readonly MigrationTree[], o: LintOptions): LintReport {
    const r = new Replay(o);
    const order = new Map<string, number>();
    for (const tree of trees) {
        const first = tree.migrations[0];
        const table = TOOL_TABLES[tree.tool];
        if (first && !r.rels.has(key(o.schema, table))) {
            r.rels.set(key(o.schema, table), {
                schema: o.schema,
                name: table,
                kind: "table",
                origin: {
                    file: first.file,
                    line: 1,
                    how: `created by ${tree.tool} itself (its version table) when it applies`,
                },
            });
        }
        for (const m of tree.migrations) {
            order.set(m.file, order.size);
            r.migration = m.file;
            for (const op of m.ops) {
                // A SQL file the migration reads ranks with the migration.
                order.set(op.file, order.get(op.file) ?? (order.get(m.file) as number));
                r.apply(op);
            }
            r.endOfMigration(m.file);
        }
    }
    const notCreated = conclude(r);
    const relations: Record<string, number> = {};
    for (const rel of r.rels.values()) {
        relations[rel.schema] = (relations[rel.schema] ?? 0) + 1;
    }
    const rank = (w: Where) => (order.get(w.file) ?? 0) * 1e7 + w.line;
    return {
        schema: o.schema,
        role: o.role,
        trees: trees.map((t) => ({
            root: t.root,
            tool: t.tool,
            migrations: t.migrations.length,
            ...(t.heads ? { heads: t.heads } : {}),
        })),
        findings: [...r.findings].sort((a, b) => rank(a) - rank(b)),
        notes: [...r.notes].sort((a, b) => rank(a) - rank(b)),
        relations: Object.fromEntries(Object.entries(relations).sort(([a], [b]) => (a < b ? -1 : 1))),
        notCreated,
    };
}

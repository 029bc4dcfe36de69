/**
 * Migration order. Alembic: the revision graph (`down_revision`, merges,
 * `depends_on`), never the file order. SQL tools: the version at the start of
 * each file's name, compared as numbers, and only each file's "up" part.
 */
import * as path from "node:path";
import { Revision } from "./alembic";
import { Migration, MigrationError, MigrationTree } from "./types";

/**
 * Orders revisions so each comes after everything it revises or depends on
 * (ties, i.e. parallel branches, by revision id). Throws a MigrationError for
 * a duplicate id, a down_revision naming no revision, or a cycle.
 */
export function orderRevisions(root: string, given: readonly Revision[]): MigrationTree {
    const byId = new Map<string, Revision>();
    const labels = new Map<string, string>();
    for (const r of given) {
        const twin = byId.get(r.revision);
        if (twin) {
            throw new MigrationError(
                r.file,
                undefined,
                `revision "${r.revision}" is also declared in ${twin.file}`,
                "duplicate-revision",
                "give one of them a new id",
            );
        }
        byId.set(r.revision, r);
        r.branchLabels.forEach((l) => labels.set(l, r.revision));
    }
    const revisions = given.map((r) => withoutForeignDependencies(root, r, byId, labels));
    revisions.forEach((r) => byId.set(r.revision, r));
    const after = new Map<string, string[]>(revisions.map((r) => [r.revision, []]));
    const waiting = new Map<string, number>();
    for (const r of revisions) {
        const needs = [...r.downRevisions, ...r.dependsOn.map((d) => labels.get(d) ?? d)];
        for (const d of needs) {
            if (!byId.has(d)) {
                throw new MigrationError(
                    r.file,
                    undefined,
                    `revision "${r.revision}" revises "${d}", which no file under ${root} declares`,
                    "unknown-revision",
                    "lint the whole versions directory",
                );
            }
            after.get(d)?.push(r.revision);
        }
        waiting.set(r.revision, new Set(needs).size);
    }
    const ready = revisions
        .filter((r) => waiting.get(r.revision) === 0)
        .map((r) => r.revision)
        .sort();
    const ordered: Revision[] = [];
    while (ready.length > 0) {
        const id = ready.shift() as string;
        ordered.push(byId.get(id) as Revision);
        for (const next of new Set(after.get(id))) {
            const left = (waiting.get(next) ?? 0) - 1;
            waiting.set(next, left);
            if (left === 0) {
                ready.push(next);
                ready.sort();
            }
        }
    }
    if (ordered.length < revisions.length) {
        const stuck = revisions.filter((r) => !ordered.includes(r)).map((r) => r.revision);
        const first = revisions.find((r) => !ordered.includes(r)) as Revision;
        throw new MigrationError(
            first.file,
            undefined,
            `the revisions ${stuck.join(", ")} form a cycle through down_revision/depends_on`,
            "revision-cycle",
            "one of them must revise an earlier revision instead",
        );
    }
    const revised = new Set(revisions.flatMap((r) => r.downRevisions));
    return {
        root,
        tool: "alembic",
        migrations: ordered.map((r) => ({ file: r.file, id: r.revision, ops: r.ops })),
        heads: ordered.filter((r) => !revised.has(r.revision)).map((r) => r.revision),
    };
}

/**
 * A revision whose depends_on names a revision or branch label no file under root declares: another
 * package's migrations (GeoNature's modules depend on taxhub's and usershub's). Alembic would need them
 * installed; the lint orders without them and says so, where a missing down_revision stays an error.
 */
function withoutForeignDependencies(
    root: string,
    r: Revision,
    byId: ReadonlyMap<string, Revision>,
    labels: ReadonlyMap<string, string>,
): Revision {
    const foreign = r.dependsOn.filter((d) => !byId.has(d) && !labels.has(d));
    if (foreign.length === 0) {
        return r;
    }
    const what =
        `depends_on ${foreign.map((d) => `"${d}"`).join(", ")}, which no file under ${root} declares ` +
        "(another package's migrations): what those create is not known here; pass their versions " +
        "directory too to lint them together";
    return {
        ...r,
        dependsOn: r.dependsOn.filter((d) => !foreign.includes(d)),
        ops: [{ op: "opaque", file: r.file, line: r.dependsOnLine, what }, ...r.ops],
    };
}

export type SqlTool = Exclude<MigrationTree["tool"], "alembic">;

/** Each tool's "up" and "down" markers, as its own docs write them. */
const MARKERS: ReadonlyArray<{ tool: SqlTool; up: string; down: string }> = [
    { tool: "dbmate", up: "-- migrate:up", down: "-- migrate:down" },
    { tool: "goose", up: "-- +goose up", down: "-- +goose down" },
    { tool: "sql-migrate", up: "-- +migrate up", down: "-- +migrate down" },
];

/** The table each tool records applied migrations in: it exists in the schema although no migration creates it. */
export const TOOL_TABLES: Readonly<Record<MigrationTree["tool"], string>> = {
    alembic: "alembic_version",
    dbmate: "schema_migrations",
    "golang-migrate": "schema_migrations",
    goose: "goose_db_version",
    "sql-migrate": "gorp_migrations",
    flyway: "flyway_schema_history",
    sql: "schema_migrations",
};

export interface SqlFile {
    readonly file: string;
    readonly text: string;
}

/**
 * A SQL file's tool, version and "up" text (lines outside it blanked, so line numbers stay true);
 * undefined for a down file.
 */
export function sqlMigration(f: SqlFile): { tool: SqlTool; version?: string; up: string } | undefined {
    const base = path.basename(f.file);
    if (/\.down\.sql$/i.test(base) || /^U\d/.test(base)) {
        return undefined; // golang-migrate's down files, Flyway's undo files
    }
    const lines = f.text.split("\n");
    const marker = MARKERS.find((m) => lines.some((l) => l.trim().toLowerCase().startsWith(m.up)));
    const flyway = /^V(\d+(?:[._]\d+)*)__/.exec(base);
    const version = flyway?.[1] ?? /^(\d+)/.exec(base)?.[1];
    const tool: SqlTool = marker?.tool ?? (/\.up\.sql$/i.test(base) ? "golang-migrate" : flyway ? "flyway" : "sql");
    if (!marker) {
        return { tool, up: f.text, ...(version ? { version } : {}) };
    }
    let inUp = false;
    const up = lines.map((l) => {
        const t = l.trim().toLowerCase();
        if (t.startsWith(marker.up) || t.startsWith(marker.down)) {
            inUp = t.startsWith(marker.up);
            return "";
        }
        return inUp ? l : "";
    });
    return { tool, up: up.join("\n"), ...(version ? { version } : {}) };
}

/** Numeric comparison of versions such as 0015, 20260601120000 or 1.2 (Flyway). */
export function compareVersions(a: string | undefined, b: string | undefined): number {
    if (a === undefined || b === undefined) {
        return a === b ? 0 : a === undefined ? 1 : -1;
    }
    const pa = a.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ""));
    const pb = b.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ""));
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const x = pa[i] ?? "0";
        const y = pb[i] ?? "0";
        if (x.length !== y.length) {
            return x.length - y.length;
        }
        if (x !== y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

/** Orders parsed SQL migrations by version (files without one last, by name). */
export function orderSql(
    root: string,
    files: ReadonlyArray<Migration & { version?: string; tool: SqlTool }>,
): MigrationTree {
    const sorted = [...files].sort(
        (a, b) => compareVersions(a.version, b.version) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0),
    );
    const tools = [...new Set(sorted.map((f) => f.tool))];
    const tool = tools.find((t) => t !== "sql") ?? "sql";
    return { root, tool, migrations: sorted.map(({ file, id, ops }) => ({ file, id, ops })) };
}

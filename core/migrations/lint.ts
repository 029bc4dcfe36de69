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
import { Classification, SET_PRIVILEGES, TableSet, classify } from "../classification";
import { DYNAMIC } from "./alembic";
import { TOOL_TABLES } from "./order";
import { Grantee, MigrationTree, Op, RelationKind, TableName, Where } from "./types";

export const FINDING_KINDS = [
    "unclassified-table", "classified-table-dropped", "classified-table-renamed", "grant-contradicts-matrix",
    "revoke-contradicts-matrix", "privileges-around-matrix", "dynamic-table-name",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding extends Where {
    readonly kind: FindingKind;
    readonly schema: string;
    /** The relation concerned; empty when the statement names none (a role membership). */
    readonly table: string;
    readonly message: string;
    readonly fix: string;
    /** A hint from the name only: the set is the reviewer's decision. */
    readonly suggestion?: string;
}

export interface Note extends Where {
    readonly message: string;
}

export interface LintOptions {
    readonly classification: Classification;
    /** The schema the matrix governs; unqualified names are taken to be in it. */
    readonly schema: string;
    /** The application role. */
    readonly role: string;
}

export interface LintReport {
    readonly schema: string;
    readonly role: string;
    readonly trees: ReadonlyArray<{ root: string; tool: string; migrations: number; heads?: readonly string[] }>;
    readonly findings: readonly Finding[];
    readonly notes: readonly Note[];
    /** Classified tables no migration here creates (informational: another tree may). */
    readonly notCreated: readonly string[];
}

interface Rel {
    readonly schema: string;
    readonly name: string;
    readonly kind: RelationKind;
    readonly origin: Where & { readonly how: string };
    /** The name it had before a rename in the matrix's schema. */
    readonly renamedFrom?: string;
}

interface Held extends Where {
    readonly who: "role" | "PUBLIC";
    readonly privilege: string;
    readonly columns?: readonly string[];
    readonly grantOption: boolean;
}

const key = (schema: string, name: string) => `${schema}.${name}`;
const LOOKS_APPEND_ONLY = ["_history", "_log", "_events"];

class Replay {
    readonly rels = new Map<string, Rel>();
    readonly held = new Map<string, Held[]>();
    readonly findings: Finding[] = [];
    readonly notes: Note[] = [];
    /** Last drop or rename of a name the classification lists. */
    readonly gone = new Map<string, { at: Where; to?: string }>();
    readonly sets: ReadonlyMap<string, TableSet>;

    constructor(readonly o: LintOptions) {
        this.sets = new Map(classify(o.classification).map((t) => [t.table, t.set]));
    }

    schemaOf(t: TableName): string {
        return t.schema ?? this.o.schema;
    }

    isApp(g: Grantee): boolean {
        return g.kind === "public" || g.name === this.o.role;
    }

    move(from: string, to: Rel): void {
        this.rels.delete(from);
        this.rels.set(key(to.schema, to.name), to);
        const acl = this.held.get(from);
        this.held.delete(from);
        if (acl) {
            this.held.set(key(to.schema, to.name), acl); // an ACL follows its table through RENAME and SET SCHEMA
        }
    }

    leaves(t: TableName, at: Where, to?: string): void {
        if (this.schemaOf(t) === this.o.schema && this.sets.has(t.name)) {
            this.gone.set(t.name, { at, ...(to !== undefined ? { to } : {}) });
        }
    }

    apply(op: Op): void {
        const at = { file: op.file, line: op.line };
        switch (op.op) {
            case "create": {
                const schema = this.schemaOf(op.table);
                if (op.table.name.startsWith(DYNAMIC)) {
                    this.dynamic(op.table, at);
                } else if (!this.rels.has(key(schema, op.table.name))) {
                    this.rels.set(key(schema, op.table.name), { schema, name: op.table.name, kind: op.kind, origin: { ...at, how: "created" } });
                }
                return;
            }
            case "drop":
                this.rels.delete(key(this.schemaOf(op.table), op.table.name));
                this.held.delete(key(this.schemaOf(op.table), op.table.name));
                this.leaves(op.table, at);
                return;
            case "rename":
            case "set-schema": {
                const schema = this.schemaOf(op.table);
                const from = key(schema, op.table.name);
                const old = this.rels.get(from);
                const [toSchema, toName] = op.op === "rename" ? [schema, op.to] : [op.to, op.table.name];
                if (toName.startsWith(DYNAMIC)) {
                    this.dynamic({ schema: toSchema, name: toName }, at);
                }
                const how = op.op === "rename" ? `renamed from "${op.table.name}"` : `moved from schema "${schema}"`;
                const renamedFrom = op.op === "rename" && schema === this.o.schema ? { renamedFrom: op.table.name } : {};
                this.move(from, { schema: toSchema, name: toName, kind: old?.kind ?? "table", origin: { ...at, how }, ...renamedFrom });
                this.leaves(op.table, at, op.op === "rename" ? op.to : `${op.to}.${op.table.name}`);
                return;
            }
            case "privileges":
                this.privileges(op);
                return;
            case "widening":
                if (op.grantees.some((g) => this.isApp(g))) {
                    this.finding("privileges-around-matrix", at, "", "",
                        `gives ${this.o.role} ${op.what}, which the matrix never grants`,
                        `remove it: ${this.o.role} gets privileges only from the matrix in core/classification.ts, applied by pulumi up`);
                }
                return;
            case "opaque":
                this.notes.push({ ...at, message: `not analysed: ${op.what}` });
                return;
        }
    }

    dynamic(t: TableName, at: Where): void {
        this.finding("dynamic-table-name", at, this.schemaOf(t), t.name,
            "names a table only known when the migration runs, so the lint cannot check it against the matrix",
            "write the table name as a string literal (or a module-level constant) in the migration");
    }

    privileges(op: Extract<Op, { op: "privileges" }>): void {
        const at = { file: op.file, line: op.line };
        const whos = op.grantees.filter((g) => this.isApp(g)).map((g) => (g.kind === "public" ? "PUBLIC" as const : "role" as const));
        if (whos.length === 0) {
            return;
        }
        const keys = "tables" in op.target
            ? op.target.tables.map((t) => key(this.schemaOf(t), t.name))
            : [...this.rels.values()].filter((r) => (op.target as { allInSchemas: string[] }).allInSchemas.includes(r.schema))
                .map((r) => key(r.schema, r.name));
        for (const k of keys) {
            let acl = this.held.get(k) ?? [];
            for (const who of whos) {
                for (const privilege of op.privileges) {
                    const same = (h: Held) => h.who === who && h.privilege === privilege;
                    if (op.grant) {
                        acl.push({ ...at, who, privilege, grantOption: op.grantOption, ...(op.columns ? { columns: op.columns } : {}) });
                    } else if (op.grantOption) {
                        acl = acl.map((h) => (same(h) ? { ...h, grantOption: false } : h));
                    } else {
                        // A table-level REVOKE also takes the privilege off every column.
                        const cols = op.columns;
                        acl = acl.filter((h) => !(same(h) && (!cols || (h.columns ?? []).some((c) => cols.includes(c)))));
                        this.revoked.push({ key: k, privilege, at, who });
                    }
                }
            }
            this.held.set(k, acl);
        }
    }

    readonly revoked: Array<{ key: string; privilege: string; at: Where; who: "role" | "PUBLIC" }> = [];

    /** Judges the app role's privileges at the end of a migration file against the matrix. */
    endOfMigration(file: string): void {
        for (const [k, acl] of this.held) {
            const [schema, table] = [k.slice(0, k.indexOf(".")), k.slice(k.indexOf(".") + 1)];
            const set = schema === this.o.schema ? this.sets.get(table) : undefined;
            if (set === undefined) {
                continue; // unclassified: reported as such at the end; other schemas: outside the matrix
            }
            const allowed = SET_PRIVILEGES[set];
            const byLine = new Map<string, { at: Where; what: string[] }>();
            for (const h of acl.filter((x) => x.file === file)) {
                const excess = !allowed.includes(h.privilege as never) ? h.privilege : h.grantOption ? `${h.privilege} WITH GRANT OPTION` : undefined;
                if (excess) {
                    const entry = byLine.get(`${h.line}`) ?? { at: { file: h.file, line: h.line }, what: [] };
                    entry.what.push(`${excess}${h.columns ? ` (${h.columns.join(", ")})` : ""}${h.who === "PUBLIC" ? " to PUBLIC" : ""}`);
                    byLine.set(`${h.line}`, entry);
                }
            }
            const gives = allowed.length > 0 ? `only ${allowed.join(", ")}` : "nothing";
            for (const { at, what } of byLine.values()) {
                this.finding("grant-contradicts-matrix", at, schema, table,
                    `grants ${this.o.role} ${what.join(", ")} on ${set} table "${table}"; the matrix gives it ${gives}`,
                    `remove the grant from the migration (pulumi up applies the matrix), or move "${table}" to another set in core/classification.ts`);
            }
        }
        const lost = new Map<string, { at: Where; key: string; set: TableSet; privileges: string[] }>();
        for (const r of this.revoked.splice(0)) {
            const [schema, table] = [r.key.slice(0, r.key.indexOf(".")), r.key.slice(r.key.indexOf(".") + 1)];
            const set = schema === this.o.schema ? this.sets.get(table) : undefined;
            const stillHeld = (this.held.get(r.key) ?? []).some((h) => h.who === "role" && h.privilege === r.privilege && !h.columns);
            if (set === undefined || r.who !== "role" || !SET_PRIVILEGES[set].includes(r.privilege as never) || stillHeld) {
                continue;
            }
            const id = `${r.at.line}:${r.key}`;
            const entry = lost.get(id) ?? { at: r.at, key: r.key, set, privileges: [] };
            entry.privileges = [...new Set([...entry.privileges, r.privilege])];
            lost.set(id, entry);
        }
        for (const { at, key: k, set, privileges } of lost.values()) {
            const table = k.slice(k.indexOf(".") + 1);
            this.finding("revoke-contradicts-matrix", at, k.slice(0, k.indexOf(".")), table,
                `revokes ${privileges.join(", ")} on ${set} table "${table}" from ${this.o.role}, which the matrix gives it`,
                `remove the revoke (the app is refused until pulumi up re-grants it), or move "${table}" to another set in core/classification.ts`);
        }
    }

    finding(kind: FindingKind, at: Where, schema: string, table: string, message: string, fix: string, suggestion?: string): void {
        const same = this.findings.find((f) => f.kind === kind && f.file === at.file && f.line === at.line && f.table === table && f.message === message);
        if (!same) {
            this.findings.push({ kind, ...at, schema, table, message, fix, ...(suggestion ? { suggestion } : {}) });
        }
    }
}

function suggest(name: string): string | undefined {
    const suffix = LOOKS_APPEND_ONLY.find((s) => name.endsWith(s));
    return suffix ? `the name (*${suffix}) looks like an audit or history table: appendOnly may fit; decide from how the app uses it` : undefined;
}

/** The end of the chain: unclassified relations left, classified tables gone. */
function conclude(r: Replay): string[] {
    const o = r.o;
    for (const rel of r.rels.values()) {
        const renamedClassified = rel.renamedFrom !== undefined && r.gone.has(rel.renamedFrom) && !r.rels.has(key(o.schema, rel.renamedFrom));
        if (rel.schema !== o.schema || r.sets.has(rel.name) || rel.name.startsWith(DYNAMIC) || renamedClassified) {
            continue; // a renamed classified table is reported once, as renamed
        }
        r.finding("unclassified-table", rel.origin, rel.schema, rel.name,
            `${rel.kind} "${rel.schema}"."${rel.name}" is ${rel.origin.how} here and left in the schema, but no set of ` +
                `core/classification.ts lists it: ${o.role} is refused on it (runbook failure mode C)`,
            `add "${rel.name}" to application, appendOnly or locked in core/classification.ts`,
            suggest(rel.name));
    }
    for (const [name, { at, to }] of r.gone) {
        if (r.rels.has(key(o.schema, name))) {
            continue; // dropped or renamed, then created again under the classified name
        }
        const set = r.sets.get(name) as TableSet;
        if (to === undefined) {
            r.finding("classified-table-dropped", at, o.schema, name, `drops "${name}", which the ${set} set still lists`,
                `remove "${name}" from the ${set} set in core/classification.ts in the same change`);
        } else {
            r.finding("classified-table-renamed", at, o.schema, name, `renames "${name}" to "${to}", but the ${set} set still lists "${name}"`,
                `rename "${name}" to "${to.split(".").pop()}" in the ${set} set of core/classification.ts in the same change` +
                    (to.includes(".") ? ` (or remove it: it leaves schema "${o.schema}")` : ""));
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
                schema: o.schema, name: table, kind: "table",
                origin: { file: first.file, line: 1, how: `created by ${tree.tool} itself (its version table) when it applies` },
            });
        }
        for (const m of tree.migrations) {
            order.set(m.file, order.size);
            m.ops.forEach((op) => r.apply(op));
            r.endOfMigration(m.file);
        }
    }
    const notCreated = conclude(r);
    const rank = (w: Where) => (order.get(w.file) ?? 0) * 1e7 + w.line;
    return {
        schema: o.schema,
        role: o.role,
        trees: trees.map((t) => ({ root: t.root, tool: t.tool, migrations: t.migrations.length, ...(t.heads ? { heads: t.heads } : {}) })),
        findings: [...r.findings].sort((a, b) => rank(a) - rank(b)),
        notes: [...r.notes].sort((a, b) => rank(a) - rank(b)),
        notCreated,
    };
}

/**
 * The simulation behind lint-migrations: the relations in each schema and the
 * app role's privileges (its own and PUBLIC's), statement by statement, with
 * the findings each statement or migration gives.
 */
import { SET_PRIVILEGES, TableSet, classify } from "../classification";
import { DYNAMIC } from "./alembic";
import { Finding, FindingKind, LintOptions, Note } from "./findings";
import { Grantee, Op, RelationKind, TableName, Where } from "./types";

export interface Rel {
    readonly schema: string;
    readonly name: string;
    readonly kind: RelationKind;
    readonly origin: Where & { readonly how: string };
    /** The name it had before a rename in the matrix's schema. */
    readonly renamedFrom?: string;
}

interface Held extends Where {
    /** The migration whose replay granted it (a grant may sit in a SQL file the migration reads). */
    readonly migration: string;
    readonly who: "role" | "PUBLIC";
    readonly privilege: string;
    readonly columns?: readonly string[];
    readonly grantOption: boolean;
}

export const key = (schema: string, name: string) => `${schema}\u0000${name}`;
const splitKey = (k: string) => ({ schema: k.slice(0, k.indexOf("\u0000")), table: k.slice(k.indexOf("\u0000") + 1) });

export class Replay {
    readonly rels = new Map<string, Rel>();
    readonly held = new Map<string, Held[]>();
    readonly findings: Finding[] = [];
    readonly notes: Note[] = [];
    /** Last drop or rename of a name the classification lists. */
    readonly gone = new Map<string, { at: Where; to?: string }>();
    readonly sets: ReadonlyMap<string, TableSet>;

    /** The migration file being replayed. */
    migration = "";

    constructor(readonly o: LintOptions) {
        this.sets = new Map(classify(o.classification).map((t) => [t.table, t.set]));
    }

    /** SET search_path in the migration being replayed; undefined: the default (the matrix's schema). */
    searchPath: readonly string[] | undefined;

    /** Where a name lives: its own schema, else the first schema on the search path that holds it. */
    schemaOf(t: TableName): string {
        if (t.schema) {
            return t.schema;
        }
        const onPath = this.searchPath?.find((s) => this.rels.has(key(s, t.name)));
        return onPath ?? this.creationSchema();
    }

    /** Where an unqualified CREATE puts a table: the first schema on the path ("$user" is taken not to exist). */
    creationSchema(): string {
        return this.searchPath?.find((s) => s !== "$user" && s !== "pg_temp") ?? this.o.schema;
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
            case "search-path":
                this.searchPath = op.schemas;
                return;
            case "create": {
                const schema = op.table.schema ?? this.creationSchema();
                if (op.table.name.startsWith(DYNAMIC)) {
                    this.dynamic(op.table, at);
                } else if (!this.rels.has(key(schema, op.table.name))) {
                    this.rels.set(key(schema, op.table.name), {
                        schema,
                        name: op.table.name,
                        kind: op.kind,
                        origin: { ...at, how: "created" },
                    });
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
                const renamedFrom =
                    op.op === "rename" && schema === this.o.schema ? { renamedFrom: op.table.name } : {};
                this.move(from, {
                    schema: toSchema,
                    name: toName,
                    kind: old?.kind ?? "table",
                    origin: { ...at, how },
                    ...renamedFrom,
                });
                this.leaves(op.table, at, op.op === "rename" ? op.to : `${op.to}.${op.table.name}`);
                return;
            }
            case "privileges":
                this.privileges(op);
                return;
            case "widening":
                if (op.grantees.some((g) => this.isApp(g))) {
                    this.finding(
                        "privileges-around-matrix",
                        at,
                        "",
                        "",
                        `gives ${this.o.role} ${op.what}, which the matrix never grants`,
                        `remove it: ${this.o.role} gets privileges only from the matrix in ` +
                            `core/classification.ts, applied by pulumi up`,
                    );
                }
                return;
            case "opaque": {
                // A loop over literals replays its body once per element: one note per line and reason.
                const message = `not analysed: ${op.what}`;
                if (!this.notes.some((n) => n.file === at.file && n.line === at.line && n.message === message)) {
                    this.notes.push({ ...at, message });
                }
                return;
            }
            case "unreadable":
                this.finding(op.kind, at, "", "", op.message, op.fix);
                return;
        }
    }

    dynamic(t: TableName, at: Where): void {
        this.finding(
            "dynamic-table-name",
            at,
            this.schemaOf(t),
            t.name,
            "names a table only known when the migration runs, so the lint cannot check it against the matrix",
            "write the table name as a string literal (or a module-level constant) in the migration",
        );
    }

    privileges(op: Extract<Op, { op: "privileges" }>): void {
        const at = { file: op.file, line: op.line };
        const whos = op.grantees
            .filter((g) => this.isApp(g))
            .map((g) => (g.kind === "public" ? ("PUBLIC" as const) : ("role" as const)));
        if (whos.length === 0) {
            return;
        }
        const keys =
            "tables" in op.target
                ? op.target.tables.map((t) => key(this.schemaOf(t), t.name))
                : [...this.rels.values()]
                      .filter((r) => (op.target as { allInSchemas: string[] }).allInSchemas.includes(r.schema))
                      .map((r) => key(r.schema, r.name));
        for (const k of keys) {
            let acl = this.held.get(k) ?? [];
            for (const who of whos) {
                for (const privilege of op.privileges) {
                    const same = (h: Held) => h.who === who && h.privilege === privilege;
                    if (op.grant) {
                        acl.push({
                            ...at,
                            migration: this.migration,
                            who,
                            privilege,
                            grantOption: op.grantOption,
                            ...(op.columns ? { columns: op.columns } : {}),
                        });
                    } else if (op.grantOption) {
                        acl = acl.map((h) => (same(h) ? { ...h, grantOption: false } : h));
                    } else {
                        // A table-level REVOKE also takes the privilege off every column.
                        const cols = op.columns;
                        acl = acl.filter(
                            (h) => !(same(h) && (!cols || (h.columns ?? []).some((c) => cols.includes(c)))),
                        );
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
        this.excessGrants(file);
        this.lostPrivileges();
        this.searchPath = undefined;
    }

    /** Privileges this migration granted beyond the table's set, one finding per statement and table. */
    private excessGrants(file: string): void {
        for (const [k, acl] of this.held) {
            const { schema, table } = splitKey(k);
            const set = schema === this.o.schema ? this.sets.get(table) : undefined;
            if (set === undefined) {
                continue; // unclassified: reported as such at the end; other schemas: outside the matrix
            }
            const allowed = SET_PRIVILEGES[set];
            const byLine = new Map<number, { at: Where; what: string[] }>();
            for (const h of acl.filter((x) => x.migration === file)) {
                const excess = !allowed.includes(h.privilege as never)
                    ? h.privilege
                    : h.grantOption
                      ? `${h.privilege} WITH GRANT OPTION`
                      : undefined;
                if (excess) {
                    const entry = byLine.get(h.line) ?? { at: { file: h.file, line: h.line }, what: [] };
                    const cols = h.columns ? ` (${h.columns.join(", ")})` : "";
                    entry.what.push(`${excess}${cols}${h.who === "PUBLIC" ? " to PUBLIC" : ""}`);
                    byLine.set(h.line, entry);
                }
            }
            const gives = allowed.length > 0 ? `only ${allowed.join(", ")}` : "nothing";
            for (const { at, what } of byLine.values()) {
                this.finding(
                    "grant-contradicts-matrix",
                    at,
                    schema,
                    table,
                    `grants ${this.o.role} ${what.join(", ")} on ${set} table "${table}"; the matrix gives it ${gives}`,
                    "remove the grant from the migration (pulumi up applies the matrix), " +
                        `or move "${table}" to another set in core/classification.ts`,
                );
            }
        }
    }

    /** Privileges the set gives that a revoke in this migration took and nothing granted back. */
    private lostPrivileges(): void {
        const lost = new Map<string, { at: Where; key: string; set: TableSet; privileges: string[] }>();
        for (const r of this.revoked.splice(0)) {
            const { schema, table } = splitKey(r.key);
            const set = schema === this.o.schema ? this.sets.get(table) : undefined;
            const stillHeld = (this.held.get(r.key) ?? []).some(
                (h) => h.who === "role" && h.privilege === r.privilege && !h.columns,
            );
            if (
                set === undefined ||
                r.who !== "role" ||
                !SET_PRIVILEGES[set].includes(r.privilege as never) ||
                stillHeld
            ) {
                continue;
            }
            const id = `${r.at.line}:${r.key}`;
            const entry = lost.get(id) ?? { at: r.at, key: r.key, set, privileges: [] };
            entry.privileges = [...new Set([...entry.privileges, r.privilege])];
            lost.set(id, entry);
        }
        for (const { at, key: k, set, privileges } of lost.values()) {
            const { schema, table } = splitKey(k);
            this.finding(
                "revoke-contradicts-matrix",
                at,
                schema,
                table,
                `revokes ${privileges.join(", ")} on ${set} table "${table}" from ${this.o.role}, which the ` +
                    `matrix gives it`,
                "remove the revoke (the app is refused until pulumi up re-grants it), " +
                    `or move "${table}" to another set in core/classification.ts`,
            );
        }
    }

    finding(
        kind: FindingKind,
        at: Where,
        schema: string,
        table: string,
        message: string,
        fix: string,
        suggestion?: string,
    ): void {
        const same = this.findings.find(
            (f) =>
                f.kind === kind &&
                f.file === at.file &&
                f.line === at.line &&
                f.table === table &&
                f.message === message,
        );
        if (!same) {
            this.findings.push({ kind, ...at, schema, table, message, fix, ...(suggestion ? { suggestion } : {}) });
        }
    }
}

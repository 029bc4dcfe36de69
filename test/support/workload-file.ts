/**
 * Workload files (`workload --export FILE`) written by the tests, from ExportedStatement objects with their
 * requirements as the export resolves them, for plan --workload and diff --workload without a database.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WORKLOAD_FORMAT, WorkloadExport } from "../../core/workload/export";
import { Requirement } from "../../core/workload/requirements";
import { ExportedStatement } from "../../core/workload/verdict";

type Privilege = Requirement["privilege"];

/** Privileges on public.TABLE, as the statement names it directly. */
export const on = (table: string, ...privileges: Privilege[]): Requirement[] =>
    privileges.map((privilege) => ({
        privilege,
        kind: "table",
        object: { schema: "public", name: table },
        runtime: false,
    }));

/** USAGE on the sequence behind TABLE.id's default. */
export const sequenceOf = (table: string): Requirement => ({
    privilege: "USAGE",
    kind: "sequence",
    object: { schema: "public", name: `${table}_id_seq` },
    via: `default of ${table}.id`,
    runtime: true,
});

export const statement = (
    queryid: string,
    calls: number,
    query: string,
    ...requirements: Requirement[][]
): ExportedStatement => ({ queryid, calls, query, requirements: requirements.flat() });

/**
 * The app's statements: four on paper_orders (application today), one on users, one UPDATE on an append-only
 * table (denied today), the migration tool's own, and a utility statement exported as not judged.
 */
export const STATEMENTS: readonly ExportedStatement[] = [
    statement(
        "101",
        41_000,
        "UPDATE paper_orders SET payload = $1 WHERE id = $2",
        on("paper_orders", "SELECT", "UPDATE"),
    ),
    statement("102", 150, "DELETE FROM paper_orders WHERE id = $1", on("paper_orders", "SELECT", "DELETE")),
    statement(
        "103",
        50,
        "SELECT id FROM paper_orders WHERE id = $1 FOR UPDATE",
        on("paper_orders", "SELECT", "UPDATE"),
    ),
    statement("104", 9_000, "INSERT INTO paper_orders (payload) VALUES ($1)", on("paper_orders", "INSERT"), [
        sequenceOf("paper_orders"),
    ]),
    statement("105", 120_000, "SELECT id, payload FROM users WHERE id = $1", on("users", "SELECT")),
    statement(
        "106",
        7,
        "UPDATE customer_audit_events SET payload = $1 WHERE id = $2",
        on("customer_audit_events", "SELECT", "UPDATE"),
    ),
    statement("107", 3, "INSERT INTO alembic_version (version_num) VALUES ($1)", on("alembic_version", "INSERT")),
];

export function workloadExport(statements: readonly ExportedStatement[] = STATEMENTS): WorkloadExport {
    return {
        format: WORKLOAD_FORMAT,
        role: "raptor_app",
        owner: "owner_x",
        of: "owner",
        server: "17.10",
        statements,
        notJudged: [
            {
                queryid: "900",
                calls: 2,
                query: "<ALTER ROLE: a utility statement, its text is not shown>",
                reason: "a utility statement (ALTER ROLE): EXPLAIN cannot judge it",
            },
        ],
    };
}

/** Writes `doc` (an object, or text as is) to a file in a fresh temporary directory; `cleanup` removes them all. */
export function workloadFile(doc: WorkloadExport | string, name = "workload.json"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-workload-"));
    made.push(dir);
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof doc === "string" ? doc : `${JSON.stringify(doc, null, 2)}\n`);
    return file;
}

const made: string[] = [];
export const cleanupWorkloadFiles = () => made.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));

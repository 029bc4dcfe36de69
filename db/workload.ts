/**
 * The database side of the workload proof: pg_stat_statements read as the role whose statements are judged, the
 * catalog (sequences behind defaults and identity columns, enabled triggers and their functions) read as the
 * owner, and PostgreSQL's own judgement: EXPLAIN (GENERIC_PLAN) of every statement as the role, in one READ ONLY
 * transaction that is rolled back, in one DO block, so the round trips do not grow with the statement count.
 * No app statement is ever executed; a judgement that meets a lock gives up after lock_timeout instead of queueing
 * ahead of the app, and is tried once more.
 *
 * Every statement this module sends carries MARK, so a later read of the role's statistics leaves it out.
 */
import type { Client } from "pg";
import {
    ColumnInfo,
    QualifiedName,
    RelationInfo,
    Requirement,
    TriggerInfo,
    WorkloadCatalog,
} from "../core/workload/requirements";
import { Explained, StatRow } from "../core/workload/verdict";

export const MARK = "/* raptor-roles workload */";

/**
 * `sql` with MARK after each statement's first word: PostgreSQL 18's pg_stat_statements keeps a statement's text
 * from its first token, so a leading comment would be cut off and the statement would read as the app's.
 */
export function marked(sql: string): string {
    return sql
        .split(/;\s*/)
        .map((s) => s.trim().replace(/^(\S+)/, `$1 ${MARK}`))
        .join("; ");
}

export class WorkloadError extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
        this.name = "WorkloadError";
    }
}

export interface Who {
    readonly user: string;
    readonly databaseOwner: string;
    readonly superuser: boolean;
    /** server_version_num, e.g. 170010. */
    readonly versionNum: number;
}

export async function who(c: Client): Promise<Who> {
    const r = await c.query(
        marked(`SELECT current_user AS "user", current_setting('server_version_num')::int AS num,
            (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS dbowner,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`),
    );
    const row = r.rows[0] as { user: string; num: number; dbowner: string; su: boolean };
    return { user: row.user, databaseOwner: row.dbowner, superuser: row.su, versionNum: row.num };
}

/** The schema pg_stat_statements is installed in, or an error whose fix is CREATE EXTENSION. */
export async function statsSchema(owner: Client): Promise<string> {
    const r = await owner.query(
        marked(`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname = 'pg_stat_statements'`),
    );
    if (r.rows.length === 0) {
        throw new WorkloadError(
            "pg_stat_statements is not installed in this database, so there is no workload to read",
            "as the owner: CREATE EXTENSION pg_stat_statements; then let the app run (docs/operating.md: `workload`)",
        );
    }
    return (r.rows[0] as { nspname: string }).nspname;
}

/** The statements `reader` ran in this database (top level only), one row per queryid. */
export async function readStatements(reader: Client, schema: string): Promise<StatRow[]> {
    const view = `"${schema.replace(/"/g, '""')}".pg_stat_statements`;
    try {
        const r = await reader.query(
            marked(`SELECT queryid::text AS queryid, sum(calls)::float8 AS calls, min(query) AS query
               FROM ${view}
              WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND toplevel AND queryid IS NOT NULL AND position($1 in query) = 0
              GROUP BY queryid ORDER BY queryid`),
            ["raptor-roles workload"],
        );
        return (r.rows as { queryid: string; calls: number; query: string }[]).map((x) => ({
            queryid: x.queryid,
            calls: Number(x.calls),
            query: x.query ?? "",
        }));
    } catch (e) {
        const err = e as Error & { code?: string };
        if (/shared_preload_libraries/.test(err.message)) {
            throw new WorkloadError(
                "pg_stat_statements is installed but not loaded (shared_preload_libraries), so it keeps nothing",
                "add pg_stat_statements to shared_preload_libraries and restart PostgreSQL (Heroku loads it already)",
            );
        }
        throw e;
    }
}

/** How often the role behind `reader` has run each statement so far: two reads bracket a window. */
export async function readCalls(reader: Client, schema: string): Promise<Map<string, StatRow>> {
    return new Map((await readStatements(reader, schema)).map((r) => [r.queryid, r]));
}

const EVENT_BITS: readonly [number, TriggerInfo["events"][number]][] = [
    [4, "INSERT"],
    [8, "DELETE"],
    [16, "UPDATE"],
    [32, "TRUNCATE"],
];

const RELKIND: Readonly<Record<string, string>> = {
    r: "table",
    p: "partitioned table",
    v: "view",
    m: "materialized view",
    f: "foreign table",
    S: "sequence",
};

/** Reads the relations `names` (as statements wrote them: `t` or `s.t`) as the owner, resolving as the app would. */
export async function readRelations(
    owner: Client,
    names: readonly string[],
): Promise<Record<string, RelationInfo | null>> {
    const split = names.map((n) => {
        const dot = n.indexOf(".");
        return dot < 0 ? ["", n] : [n.slice(0, dot), n.slice(dot + 1)];
    });
    const r = await owner.query(
        marked(`WITH n AS (
            SELECT s, t,
                   to_regclass(CASE WHEN s = '' THEN quote_ident(t)
                                    ELSE quote_ident(s) || '.' || quote_ident(t) END) AS oid
              FROM unnest($1::text[], $2::text[]) AS u(s, t))
         SELECT n.s, n.t, c.relname, ns.nspname, c.relkind,
           (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'identity', a.attidentity,
                 'seq', (SELECT json_build_object('schema', sn.nspname, 'name', sq.relname)
                           FROM pg_class sq JOIN pg_namespace sn ON sn.oid = sq.relnamespace
                          WHERE sq.relkind = 'S' AND sq.oid = coalesce(
                            (SELECT d.refobjid FROM pg_attrdef ad JOIN pg_depend d
                                ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                                AND d.refclassid = 'pg_class'::regclass
                              WHERE ad.adrelid = c.oid AND ad.adnum = a.attnum
                                AND (SELECT relkind FROM pg_class WHERE oid = d.refobjid) = 'S' LIMIT 1),
                            CASE WHEN a.attidentity <> '' THEN
                              pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname),
                                                     a.attname)::regclass
                            END)))
               ORDER BY a.attnum), '[]')
              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
           (SELECT coalesce(json_agg(json_build_object('name', tg.tgname, 'type', tg.tgtype,
                 'fschema', pn.nspname, 'fname', p.proname, 'language', l.lanname, 'secdef', p.prosecdef,
                 'owner', pg_get_userbyid(p.proowner), 'source', p.prosrc) ORDER BY tg.tgname), '[]')
              FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
              JOIN pg_language l ON l.oid = p.prolang
             WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal AND tg.tgenabled <> 'D') AS triggers
         FROM n LEFT JOIN pg_class c ON c.oid = n.oid LEFT JOIN pg_namespace ns ON ns.oid = c.relnamespace`),
        [split.map((s) => s[0]), split.map((s) => s[1])],
    );
    const out: Record<string, RelationInfo | null> = {};
    for (const row of r.rows as RelationRow[]) {
        out[row.s === "" ? row.t : `${row.s}.${row.t}`] = row.relname === null ? null : relationInfo(row);
    }
    return out;
}

interface RelationRow {
    s: string;
    t: string;
    relname: string | null;
    nspname: string;
    relkind: string;
    columns: { name: string; identity: string; seq: QualifiedName | null }[];
    triggers: {
        name: string;
        type: number;
        fschema: string;
        fname: string;
        language: string;
        secdef: boolean;
        owner: string;
        source: string;
    }[];
}

function relationInfo(row: RelationRow): RelationInfo {
    const columns: ColumnInfo[] = row.columns.map((c) => ({
        name: c.name,
        ...(c.seq ? { sequence: c.seq } : {}),
        ...(c.identity === "a"
            ? { identity: "always" as const }
            : c.identity === "d"
              ? { identity: "by default" as const }
              : {}),
    }));
    const triggers: TriggerInfo[] = row.triggers.map((t) => ({
        name: t.name,
        events: EVENT_BITS.filter(([bit]) => (t.type & bit) !== 0).map(([, e]) => e),
        function: {
            schema: t.fschema,
            name: t.fname,
            language: t.language,
            securityDefiner: t.secdef,
            owner: t.owner,
            source: t.source,
        },
    }));
    return { schema: row.nspname, name: row.relname!, kind: RELKIND[row.relkind] ?? row.relkind, columns, triggers };
}

export const requirementKey = (r: Requirement): string =>
    `${r.kind}\u0000${r.object.schema}\u0000${r.object.name}\u0000${r.privilege}`;

/** Whether `role` holds each requirement now, read as the owner (has_table_privilege and has_sequence_privilege). */
export async function readHoldings(owner: Client, role: string, reqs: readonly Requirement[]): Promise<Set<string>> {
    const unique = [...new Map(reqs.map((r) => [requirementKey(r), r])).values()];
    if (unique.length === 0) {
        return new Set();
    }
    const r = await owner.query(
        marked(`SELECT k, s, n, p FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(k, s, n, p)
          WHERE CASE k
            WHEN 'sequence' THEN has_sequence_privilege($1, quote_ident(s) || '.' || quote_ident(n), p)
            ELSE has_table_privilege($1, quote_ident(s) || '.' || quote_ident(n), p)
              OR (p IN ('SELECT', 'INSERT', 'UPDATE')
                  AND has_any_column_privilege($1, quote_ident(s) || '.' || quote_ident(n), p))
          END`),
        [
            role,
            unique.map((x) => x.kind),
            unique.map((x) => x.object.schema),
            unique.map((x) => x.object.name),
            unique.map((x) => x.privilege),
        ],
    );
    return new Set(
        (r.rows as { k: Requirement["kind"]; s: string; n: string; p: Requirement["privilege"] }[]).map((x) =>
            requirementKey({ kind: x.k, object: { schema: x.s, name: x.n }, privilege: x.p, runtime: false }),
        ),
    );
}

/**
 * The DO block: EXPLAIN (GENERIC_PLAN) of each statement in its own subtransaction, the SQLSTATE and message of any
 * failure kept, all results handed back through a transaction-local setting. OTHERS catches everything but a
 * cancel, so one bad statement cannot stop the batch. The results grow as a PL/pgSQL array, appended in place:
 * `jsonb || jsonb` copies the whole list each time, which took 3.3 of 4.3 s for 5,000 statements (npm run bench).
 */
const JUDGE_BLOCK = `DO ${MARK} $raptor$
DECLARE s text; out jsonb[] := '{}'; st text; msg text;
BEGIN
  FOR s IN SELECT jsonb_array_elements_text(current_setting('raptor_workload.statements')::jsonb) LOOP
    BEGIN
      EXECUTE 'EXPLAIN (GENERIC_PLAN) ' || s;
      out := array_append(out, jsonb_build_object('ok', true));
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      out := array_append(out, jsonb_build_object('ok', false, 'code', st, 'message', msg));
    END;
  END LOOP;
  PERFORM set_config('raptor_workload.verdicts', to_jsonb(out)::text, true);
END $raptor$`;

export interface ExplainOptions {
    /** For the whole batch (one DO block): default 120 s. */
    readonly statementTimeoutMs?: number;
    /** For each lock a judgement would wait for: default 200 ms. */
    readonly lockTimeoutMs?: number;
}

async function explainOnce(role: Client, texts: readonly string[], o: ExplainOptions): Promise<Explained[]> {
    await role.query(
        marked(
            `BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.trunc(o.statementTimeoutMs ?? 120_000)}; ` +
                `SET LOCAL lock_timeout = ${Math.trunc(o.lockTimeoutMs ?? 200)}`,
        ),
    );
    try {
        // A trailing newline ends a statement's own trailing `--` comment before nothing else is appended.
        await role.query(marked("SELECT set_config('raptor_workload.statements', $1, true)"), [
            JSON.stringify(texts.map((t) => `${t}\n`)),
        ]);
        await role.query(JUDGE_BLOCK);
        const r = await role.query(marked("SELECT current_setting('raptor_workload.verdicts') AS v"));
        return JSON.parse((r.rows[0] as { v: string }).v) as Explained[];
    } finally {
        await role.query(marked("ROLLBACK"));
    }
}

/** EXPLAIN as the role for every text, in one batch; those that met a lock are tried once more, in a second. */
export async function explainAll(role: Client, texts: readonly string[], o: ExplainOptions = {}): Promise<Explained[]> {
    if (texts.length === 0) {
        return [];
    }
    const first = await explainOnce(role, texts, o);
    const locked = first.flatMap((e, i) => (!e.ok && e.code === "55P03" ? [i] : []));
    if (locked.length > 0) {
        const again = await explainOnce(
            role,
            locked.map((i) => texts[i]),
            o,
        );
        locked.forEach((i, j) => (first[i] = again[j]));
    }
    return first;
}

export type { WorkloadCatalog };

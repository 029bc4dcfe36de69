/**
 * `raptor-roles workload`: before the flip, PostgreSQL itself judges every statement the app runs, as the role.
 * Reads pg_stat_statements (the owner's statements before the flip, the role's own after it), asks PostgreSQL
 * (EXPLAIN (GENERIC_PLAN) as the role, READ ONLY, rolled back) and the catalog (sequences, triggers) whether the
 * role may run each, and prints one verdict per statement with the fix. Exit 0 every judged statement permitted,
 * 2 any denied, 1 could not run. Never prints a URL, a password, a literal or a utility statement's text.
 */
import * as fs from "node:fs";
import { Client } from "pg";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { GrantPlan, buildPlan } from "../core/plan";
import { loadSqlParser } from "../core/migrations/sql";
import { Derived, Requirement, WorkloadCatalog, deriveRequirements } from "../core/workload/requirements";
import { buildWorkloadReport, renderWorkload, WorkloadReport, workloadExitCode } from "../core/workload/report";
import { Analysis, analyseStatement } from "../core/workload/statement";
import { ExportedStatement, JudgedStatement, StatRow, judge, printable } from "../core/workload/verdict";
import { WORKLOAD_FORMAT, WorkloadExport } from "../core/workload/export";
import { ConnectionError, Target, connectionError, connectionTarget, redact } from "../db/connection";
import {
    MARK,
    WorkloadError,
    explainAll,
    readHoldings,
    readRelations,
    readStatements,
    requirementKey,
    statsSchema,
    who,
} from "../db/workload";
import { parse } from "./args";
import { CliError, EXIT, UsageError } from "./contract";
import { urlFrom } from "./database-url";
import { Io, Subcommand } from "./io";

export const WORKLOAD_HELP = `usage: raptor-roles workload (--database-url-env NAME | --database-url URL)
                            (--role-url-env NAME | --role-url URL) [--stack NAME]
                            [--of owner|role] [--export FILE] [--json]

Before the flip, PostgreSQL itself judges every statement the app runs, as the role. Reads
pg_stat_statements and, for each statement, asks PostgreSQL (EXPLAIN (GENERIC_PLAN) as the role, in a
READ ONLY transaction that is rolled back: nothing is executed) and the catalog (sequences behind
defaults, tables written by triggers) whether the role may run it. One verdict per statement:
  permitted    the role may run it
  denied       each missing privilege, how the statement reaches it, and the fix (the matrix change
               and its SQL, or "the app must change" where the matrix forbids it)
  owner-only   the migration tool's statements on the locked tables (alembic_version,
               schema_migrations): they run as the owner by design
  not-judged   with the reason (a utility statement, a relation gone, a lock, ...): counted, never dropped

  --database-url-env NAME  the owner's URL (DATABASE_URL) from environment variable NAME (recommended)
  --database-url URL       the owner's URL itself
  --role-url-env NAME      the role's own URL (RAPTOR_APP_DATABASE_URL) from environment variable NAME
  --role-url URL           the role's URL itself
  --stack NAME             role and schema from Pulumi.NAME.yaml; --of follows its raptor:roleSeparation
  --of owner|role          whose statements: the owner's (what the app runs before the flip; default) or
                           the role's own (after the flip; default when the stack's flag is on)
  --export FILE            also write the normalised statements, their counts and what each needs, for
                           plan --workload FILE and diff --workload FILE (no literal, no utility text)
  --json                   {role, owner, of, server, statements: [{queryid, calls, query, verdict,
                           missing: [{privilege, object, via}], fix}], counts: {permitted, denied,
                           ownerOnly, notJudged}, deniedCalls}

Needs PostgreSQL 16 or later (EXPLAIN GENERIC_PLAN) and pg_stat_statements in the database.
Exit status: 0 every judged statement permitted, 2 any denied, 1 could not run.
`;

export interface WorkloadOptions {
    readonly ownerUrl: string;
    readonly roleUrl: string;
    readonly ownerSource?: string;
    readonly roleSource?: string;
    readonly plan: GrantPlan;
    readonly of: "owner" | "role";
    readonly stack?: string;
    readonly lockTimeoutMs?: number;
}

export interface WorkloadResult {
    readonly report: WorkloadReport;
    readonly exported: WorkloadExport;
}

type Dml = Extract<Analysis, { kind: "dml" | "truncate" }>;
const isDml = (a: Analysis): a is Dml => a.kind === "dml" || a.kind === "truncate";

async function connect(t: Target): Promise<Client> {
    const c = new Client({ ...t.config, application_name: "raptor-roles workload" });
    c.on("error", () => undefined);
    try {
        await c.connect();
    } catch (e) {
        throw connectionError(e, t);
    }
    return c;
}

/** Refuses what would make the judgement meaningless, before anything is read. */
async function checkRoles(owner: Client, role: Client, plan: GrantPlan) {
    const [o, r] = await Promise.all([who(owner), who(role)]);
    if (o.versionNum < 160000) {
        const v = `${Math.floor(o.versionNum / 10000)}.${o.versionNum % 10000}`;
        throw new WorkloadError(
            `PostgreSQL ${v} cannot judge statements with $n parameters (EXPLAIN (GENERIC_PLAN) is new in 16)`,
            "upgrade the database to 16 or later (heroku pg:upgrade; Heroku runs 16 and 17)",
        );
    }
    const roleVar = "RAPTOR_APP_DATABASE_URL";
    if (r.user === o.user || r.user === r.databaseOwner || r.superuser) {
        const what = r.superuser ? "a superuser" : "the database's owner";
        throw new WorkloadError(
            `the role URL connects as ${r.user}, ${what}: judged as it, every statement would pass`,
            `give ${plan.role}'s own credential as the role URL (${roleVar}, heroku config:get ${roleVar} -a APP)`,
        );
    }
    if (r.user !== plan.role) {
        throw new WorkloadError(
            `the role URL connects as ${r.user}, not ${plan.role}, the role the matrix grants to`,
            `give ${plan.role}'s URL (${roleVar}), or --stack NAME for a stack whose raptor:role is ${r.user}`,
        );
    }
    return { owner: o, role: r };
}

/** Derives every statement's requirements, reading the relations they (and their triggers) name as they appear. */
async function deriveAll(owner: Client, analyses: readonly Analysis[]): Promise<(Derived | undefined)[]> {
    let catalog: WorkloadCatalog = {};
    for (let round = 0; ; round++) {
        const derived = analyses.map((a) => (isDml(a) ? deriveRequirements(a, catalog) : undefined));
        const unknown = [...new Set(derived.flatMap((d) => d?.unknown ?? []))];
        if (unknown.length === 0 || round === 6) {
            return derived;
        }
        catalog = { ...catalog, ...(await readRelations(owner, unknown)) };
    }
}

function exportOf(
    report: WorkloadReport,
    rows: readonly StatRow[],
    analyses: readonly Analysis[],
    derived: readonly (Derived | undefined)[],
): WorkloadExport {
    // The judged statements' printable texts: scanning each text again would double the proof's time.
    const shown = new Map(report.statements.map((s) => [s.queryid, s.query]));
    const statements: ExportedStatement[] = [];
    rows.forEach((row, i) => {
        const d = derived[i];
        if (d !== undefined && d.missingRelations.length === 0) {
            statements.push({
                queryid: row.queryid,
                calls: row.calls,
                query: shown.get(row.queryid) ?? printable(row.query, analyses[i]),
                requirements: d.requirements,
            });
        }
    });
    const notJudged = report.statements
        .filter((s) => !statements.some((x) => x.queryid === s.queryid))
        .map((s) => ({ queryid: s.queryid, calls: s.calls, query: s.query, reason: s.reason ?? s.verdict }));
    return {
        format: WORKLOAD_FORMAT,
        role: report.role,
        owner: report.owner,
        of: report.of,
        server: report.server,
        statements,
        notJudged,
    };
}

export async function runWorkload(o: WorkloadOptions): Promise<WorkloadResult> {
    const ownerT = connectionTarget(o.ownerUrl, o.ownerSource ?? "--database-url", 15_000);
    const roleT = connectionTarget(o.roleUrl, o.roleSource ?? "--role-url", 15_000, "RAPTOR_APP_DATABASE_URL");
    const owner = await connect(ownerT);
    let role: Client | undefined;
    try {
        role = await connect(roleT);
        const ids = await checkRoles(owner, role, o.plan);
        const rows = await readStatements(o.of === "owner" ? owner : role, await statsSchema(owner));
        await loadSqlParser();
        const analyses = rows.map((r) => analyseStatement(r.query));
        const derived = await deriveAll(owner, analyses);
        const reqs: Requirement[] = derived.flatMap((d) => d?.requirements ?? []);
        const held = await readHoldings(owner, ids.role.user, reqs);
        const explainAt = analyses.flatMap((a, i) =>
            a.kind === "dml" && derived[i]?.missingRelations.length === 0 ? [i] : [],
        );
        const results = await explainAll(
            role,
            explainAt.map((i) => rows[i].query),
            { lockTimeoutMs: o.lockTimeoutMs },
        );
        const explained = new Map(explainAt.map((i, j) => [i, results[j]]));
        const judged: JudgedStatement[] = rows.map((row, i) =>
            judge({
                row,
                analysis: analyses[i],
                derived: derived[i],
                explained: explained.get(i),
                holds: (r) => held.has(requirementKey(r)),
                plan: o.plan,
                of: o.of,
                stack: o.stack,
            }),
        );
        const v = ids.owner.versionNum;
        const report = buildWorkloadReport(
            { role: ids.role.user, owner: ids.owner.user, of: o.of, server: `${Math.floor(v / 10000)}.${v % 10000}` },
            judged,
        );
        return { report, exported: exportOf(report, rows, analyses, derived) };
    } catch (e) {
        if (e instanceof WorkloadError || e instanceof ConnectionError) {
            throw e;
        }
        const msg = redact((e as Error).message, [...ownerT.secrets, ...roleT.secrets]);
        throw new WorkloadError(`reading the workload failed: ${msg}`, "check that both URLs reach the same database");
    } finally {
        await Promise.all([owner.end().catch(() => undefined), role?.end().catch(() => undefined)]);
    }
}

export const workload: Subcommand = async (argv: string[], io: Io): Promise<number> => {
    const hide = (m: string) =>
        redact(
            m,
            argv.filter((a) => /:\/\//.test(a)),
        );
    const { values } = parse(
        argv,
        {
            "database-url": { type: "string" },
            "database-url-env": { type: "string" },
            "role-url": { type: "string" },
            "role-url-env": { type: "string" },
            stack: { type: "string" },
            of: { type: "string" },
            export: { type: "string" },
            json: { type: "boolean" },
        },
        "workload",
        hide,
    );
    if (values.help) {
        io.out(WORKLOAD_HELP);
        return EXIT.OK;
    }
    if (values.of !== undefined && values.of !== "owner" && values.of !== "role") {
        throw new UsageError(
            `--of ${JSON.stringify(values.of)} is not owner or role`,
            "use --of owner (before the flip) or --of role",
        );
    }
    const example =
        "raptor-roles workload --database-url-env DATABASE_URL --role-url-env RAPTOR_APP_DATABASE_URL --stack staging";
    const ownerUrl = urlFrom(values, "database-url", "DATABASE_URL", example);
    const roleUrl = urlFrom(values, "role-url", "RAPTOR_APP_DATABASE_URL", example);
    let role = "raptor_app";
    let schema = "public";
    let flagOn = false;
    if (values.stack !== undefined) {
        const { stackSettings } = await import("../offline/stack-file");
        const s = stackSettings(values.stack);
        ({ role, schema } = s);
        flagOn = s.roleSeparation;
    }
    const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role, schema });
    const of = (values.of as "owner" | "role" | undefined) ?? (flagOn ? "role" : "owner");
    let result: WorkloadResult;
    try {
        result = await runWorkload({
            ownerUrl: ownerUrl.url,
            roleUrl: roleUrl.url,
            ownerSource: ownerUrl.source,
            roleSource: roleUrl.source,
            plan,
            of,
            stack: values.stack,
        });
    } catch (e) {
        const secrets = [ownerUrl.url, roleUrl.url];
        if (e instanceof WorkloadError) {
            throw new CliError("workload", redact(e.message, secrets), redact(e.fix, secrets));
        }
        if (e instanceof ConnectionError) {
            throw new CliError(e.code, redact(e.message, secrets), redact(e.fix, secrets));
        }
        const text =
            e instanceof Error && e.name === "VerifyError" ? e.message : `unexpected error: ${(e as Error).message}`;
        throw new CliError("workload", redact(text, secrets), "check both URLs: postgres://USER:PASSWORD@HOST:PORT/DB");
    }
    if (values.export !== undefined) {
        fs.writeFileSync(values.export, `${JSON.stringify(result.exported, null, 2)}\n`);
    }
    io.out(values.json ? `${JSON.stringify(result.report, null, 2)}\n` : renderWorkload(result.report));
    return workloadExitCode(result.report);
};

export { MARK };

/**
 * check's `workload` finding: the workload proof (cli/workload.ts) with the app's own URLs. Before the flip it
 * judges the owner's statements (what the app runs now) as the role; after it, the role's own. With the flag on it
 * also reads the owner's statement counts before and after a window (the rest of check) and reports the
 * statements on classified tables that the owner ran meanwhile: the runbook's "flag is 1 but Raptor logs show
 * DATABASE_URL connections", a code path still on the owner. Never throws; no URL or password in any field.
 */
import { Client } from "pg";
import { Finding } from "../core/check/report";
import { buildPlan, GrantPlan } from "../core/plan";
import { RAPTOR_CLASSIFICATION } from "../core/classification";
import { describeMissing, setOf } from "../core/workload/judge";
import { loadSqlParser } from "../core/migrations/sql";
import { analyseStatement } from "../core/workload/statement";
import { printable } from "../core/workload/verdict";
import { APP_URL_VAR, FLAG_VAR } from "../core/settings";
import { ConnectionError, connectionTarget, redact, urlSecrets } from "../db/connection";
import { readCalls, statsSchema, WorkloadError } from "../db/workload";
import { withSslMode, ProbeContext } from "./check-probes";
import { runWorkload } from "./workload";

/** The shortest span over which, with the flag on, the owner must run no statement on a classified table. */
export const OWNER_WINDOW_MS = 3_000;

const command = (ctx: ProbeContext, ownerVar: string) =>
    `raptor-roles workload --database-url-env ${ownerVar} --role-url-env ${APP_URL_VAR} --stack ${ctx.stack}`;

/** The workload finding; `window` ends the span in which the owner must not run app statements (flag on). */
export async function workloadFinding(
    ctx: ProbeContext,
    config: Record<string, string>,
    window: Promise<unknown>,
): Promise<Finding> {
    const { database, role, schema } = ctx.settings;
    const ownerVar = `${database}_URL`;
    const ownerUrl = config[ownerVar];
    const roleUrl = config[APP_URL_VAR];
    if (!ownerUrl || !roleUrl) {
        const missing = !ownerUrl ? ownerVar : APP_URL_VAR;
        return { check: "workload", status: "skipped", detail: `skipped: ${missing} is not set (see its own finding)` };
    }
    const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role, schema });
    const flagOn = config[FLAG_VAR] === "1";
    const secrets = [...urlSecrets(ownerUrl), ...urlSecrets(roleUrl)];
    try {
        const owner = ownerUse(ctx, ownerUrl, plan, flagOn, window);
        const { report } = await runWorkload({
            ownerUrl: withSslMode(ownerUrl, ctx.env),
            roleUrl: withSslMode(roleUrl, ctx.env),
            ownerSource: `${ownerVar} of ${ctx.settings.app}`,
            roleSource: `${APP_URL_VAR} of ${ctx.settings.app}`,
            plan,
            of: flagOn ? "role" : "owner",
            stack: ctx.stack,
        });
        const stillOwner = await owner;
        if (report.counts.denied > 0) {
            const denied = report.statements.filter((s) => s.verdict === "denied");
            return {
                check: "workload",
                status: "unhealthy",
                detail:
                    `${denied.length} statement(s) the app ran ${report.deniedCalls.toLocaleString("en-US")} time(s) ` +
                    `would be denied as ${role}`,
                lines: denied.map(
                    (s) => `${s.query}: missing ${s.missing.map(describeMissing).join(", ")}; fix: ${s.fix}`,
                ),
                fix: `fix each as its line says before the flag goes to 1; \`${command(ctx, ownerVar)}\` lists them`,
            };
        }
        if (stillOwner.length > 0) {
            return {
                check: "workload",
                status: "unhealthy",
                detail:
                    `the flag is 1, but the owner ran ${stillOwner.length} statement(s) on classified tables during ` +
                    "check: a code path still connects with DATABASE_URL",
                lines: stillOwner,
                fix:
                    `find the process that still uses ${ownerVar} (runbook: "flag is 1 but Raptor logs show ` +
                    `DATABASE_URL connections"); every app connection must read ${APP_URL_VAR}`,
            };
        }
        const c = report.counts;
        return {
            check: "workload",
            status: "ok",
            detail:
                `${c.permitted} statement(s) ${flagOn ? role : "the owner"} ran are permitted for ${role} ` +
                `(${c.ownerOnly} owner-only, ${c.notJudged} not judged)`,
        };
    } catch (e) {
        const err = e as Error & { fix?: string };
        return {
            check: "workload",
            status: "error",
            detail: `cannot judge the workload: ${redact(err.message, secrets)}`,
            fix:
                e instanceof WorkloadError || e instanceof ConnectionError
                    ? redact(e.fix, secrets)
                    : "check that the database is reachable from here",
        };
    }
}

/**
 * With the flag on: the owner's statements on classified tables whose count grew between now and the end of
 * `window`. Empty with the flag off (the owner is expected then).
 */
async function ownerUse(
    ctx: ProbeContext,
    ownerUrl: string,
    plan: GrantPlan,
    flagOn: boolean,
    window: Promise<unknown>,
): Promise<string[]> {
    if (!flagOn) {
        return [];
    }
    const t = connectionTarget(withSslMode(ownerUrl, ctx.env), "DATABASE_URL", 15_000);
    const c = new Client({ ...t.config, application_name: "raptor-roles check" });
    c.on("error", () => undefined);
    try {
        await c.connect();
        const schema = await statsSchema(c);
        const before = await readCalls(c, schema);
        // The rest of check, and never less than OWNER_WINDOW_MS: a fast check must still watch long enough.
        await Promise.all([window.catch(() => undefined), new Promise((r) => setTimeout(r, OWNER_WINDOW_MS))]);
        const after = await readCalls(c, schema);
        await loadSqlParser();
        const grew = [...after.values()].filter((r) => r.calls > (before.get(r.queryid)?.calls ?? 0));
        return grew.flatMap((r) => {
            const a = analyseStatement(r.query);
            const classified =
                a.kind === "dml" &&
                a.accesses.some((x) => setOf(plan, x.relation.schema ?? plan.schema, x.relation.name));
            const ran = r.calls - (before.get(r.queryid)?.calls ?? 0);
            return classified ? [`${printable(r.query, a)} (run ${ran} time(s) during check)`] : [];
        });
    } finally {
        await c.end().catch(() => undefined);
    }
}

/**
 * Sentry, the runbook's first soak check ("shows zero new OperationalError or permission denied events"):
 * the project's issues seen since T, through Sentry's web API (`GET /api/0/projects/{org}/{project}/issues/`,
 * docs.sentry.io "List a Project's Issues": `query` in Sentry's search syntax, issues carry `title`, `culprit`,
 * `lastSeen`, `count`, `permalink`). The token comes from SENTRY_AUTH_TOKEN, the base URL from SENTRY_URL
 * (default https://sentry.io), the project from raptor:sentryProject (ORG/PROJECT). Without token or project
 * the check is skipped, and says so.
 */
import { Finding } from "../core/check/report";

const MATCH = /OperationalError|permission denied/i;

interface Issue {
    title?: string;
    culprit?: string;
    lastSeen?: string;
    count?: string | number;
    permalink?: string;
}

export async function sentryFinding(
    project: string | undefined,
    since: Date,
    env: NodeJS.ProcessEnv,
): Promise<Finding> {
    const token = env.SENTRY_AUTH_TOKEN;
    if (!project || !token) {
        const missing = [!project ? "raptor:sentryProject" : "", !token ? "SENTRY_AUTH_TOKEN" : ""].filter(Boolean);
        return { check: "sentry", status: "skipped", detail: `skipped: ${missing.join(" and ")} not set` };
    }
    const [org, proj] = project.split("/");
    if (!org || !proj) {
        return {
            check: "sentry",
            status: "error",
            detail: `raptor:sentryProject = ${JSON.stringify(project)} is not ORG/PROJECT`,
            fix: "pulumi config set raptor:sentryProject raxx/raxx-backend -s STACK",
        };
    }
    const base = (env.SENTRY_URL ?? "https://sentry.io").replace(/\/$/, "");
    const query = `lastSeen:>=${since.toISOString().replace(/\.\d{3}Z$/, "")}`;
    const path = `/api/0/projects/${encodeURIComponent(org)}/${encodeURIComponent(proj)}/issues/`;
    const url = `${base}${path}?query=${encodeURIComponent(query)}`;
    try {
        const r = await fetch(url, {
            headers: { Authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(15_000),
        });
        if (!r.ok) {
            return {
                check: "sentry",
                status: "error",
                detail: `Sentry answered ${r.status} for project ${project}`,
                fix: "check SENTRY_AUTH_TOKEN (scope event:read) and raptor:sentryProject",
            };
        }
        const issues = ((await r.json()) as Issue[]).filter(
            (i) => MATCH.test(`${i.title ?? ""} ${i.culprit ?? ""}`) && Date.parse(i.lastSeen ?? "") >= since.getTime(),
        );
        if (issues.length === 0) {
            return {
                check: "sentry",
                status: "ok",
                detail: `no OperationalError or permission denied issue in ${project}`,
            };
        }
        return {
            check: "sentry",
            status: "unhealthy",
            detail: `${issues.length} Sentry issue(s) in ${project} match OperationalError or permission denied`,
            lines: issues.map((i) =>
                `${i.title ?? "?"} (${i.count ?? "?"} events, last ${i.lastSeen}) ${i.permalink ?? ""}`.trim(),
            ),
            fix: "read the issues; a permission denied is grant drift: raptor-roles verify prints the fix",
        };
    } catch (e) {
        return {
            check: "sentry",
            status: "error",
            detail: `Sentry did not answer: ${(e as Error).message}`,
            fix: "check SENTRY_URL and the network, then run check again",
        };
    }
}

/**
 * Sentry, the runbook's first soak check ("shows zero new OperationalError or permission denied events"):
 * the project's issues seen in the window, through Sentry's web API (`GET /api/0/projects/{org}/{project}/issues/`,
 * docs.sentry.io "List a Project's Issues": `query` in Sentry's search syntax, `environment`, `start`/`end`; issues
 * carry `title`, `culprit`, `lastSeen`, `count`, `permalink`). The token comes from SENTRY_AUTH_TOKEN, the base URL
 * from SENTRY_URL (default https://sentry.io), the project from raptor:sentryProject (ORG/PROJECT), the environment
 * from raptor:sentryEnvironment (default: the stack's name; raxx-backend receives staging's and prod's events).
 * Without token or project the check is skipped, and says so.
 *
 * Every page is read: Sentry pages with a `Link` header (docs.sentry.io "Paginating Results": `<url>; rel="next";
 * results="true"; cursor="..."`), and only a `results="false"` next link ends the list. The finding's coverage is
 * complete only then. A 429 is retried once after its Retry-After; a second one is an error.
 */
import { Finding } from "../core/check/report";
import { isoSeconds } from "../core/coverage";

const MATCH = /OperationalError|permission denied/i;
/** Pages read at most (Sentry gives 100 issues a page); past that the coverage is incomplete, and says so. */
const MAX_PAGES = 50;
/** The longest Retry-After waited for; a longer one is an error at once (the soak job has a time limit). */
const MAX_RETRY_AFTER_S = 60;

interface Issue {
    title?: string;
    culprit?: string;
    lastSeen?: string;
    count?: string | number;
    permalink?: string;
}

export interface SentryQuery {
    /** raptor:sentryProject, ORG/PROJECT. */
    readonly project: string | undefined;
    /** raptor:sentryEnvironment, or the stack's name. */
    readonly environment: string;
    readonly since: Date;
    readonly now: Date;
}

/** The `cursor` of the `rel="next"` link, and whether it has results; undefined without one. */
export function nextCursor(link: string | null): { cursor: string; results: boolean } | undefined {
    for (const part of (link ?? "").split(/,(?=\s*<)/)) {
        const attrs = Object.fromEntries(
            [...part.matchAll(/;\s*([a-z]+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
        );
        if (attrs["rel"] === "next" && attrs["cursor"] !== undefined) {
            return { cursor: attrs["cursor"], results: attrs["results"] === "true" };
        }
    }
    return undefined;
}

/** Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); undefined when unreadable. */
function retryAfterSeconds(value: string | null, now: number): number | undefined {
    if (value === null || value.trim() === "") {
        return undefined;
    }
    if (/^\d+$/.test(value.trim())) {
        return Number(value.trim());
    }
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

class SentryError extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
    }
}

/** One GET, a 429 retried once after its Retry-After. */
async function get(url: string, token: string, project: string): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
        const r = await fetch(url, {
            headers: { Authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(15_000),
        });
        if (r.status !== 429) {
            return r;
        }
        await r.body?.cancel();
        const wait = retryAfterSeconds(r.headers.get("retry-after"), Date.now()) ?? 1;
        if (attempt > 0 || wait > MAX_RETRY_AFTER_S) {
            throw new SentryError(
                `Sentry rate-limited the issue list of ${project} (429${attempt > 0 ? " twice" : ""}, Retry-After ` +
                    `${r.headers.get("retry-after") ?? "not given"})`,
                "run check again later; the soak workflow's next run reads the same window again",
            );
        }
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
}

export async function sentryFinding(q: SentryQuery, env: NodeJS.ProcessEnv): Promise<Finding> {
    const { project, environment, since, now } = q;
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
    const from = isoSeconds(since);
    const to = isoSeconds(now);
    const params = new URLSearchParams({
        environment,
        start: from.replace(/Z$/, ""),
        end: to.replace(/Z$/, ""),
        query: `lastSeen:>=${from.replace(/Z$/, "")}`,
    });
    const first = `${base}/api/0/projects/${encodeURIComponent(org)}/${encodeURIComponent(proj)}/issues/?${params}`;
    const where = `${project} (environment ${environment})`;
    const issues: Issue[] = [];
    let complete = false;
    let pages = 0;
    try {
        for (let url = first; pages < MAX_PAGES;) {
            const r = await get(url, token, project);
            pages++;
            if (!r.ok) {
                await r.body?.cancel();
                throw new SentryError(
                    `Sentry answered ${r.status} for project ${project} (page ${pages})`,
                    "check SENTRY_AUTH_TOKEN (scope event:read) and raptor:sentryProject",
                );
            }
            issues.push(...((await r.json()) as Issue[]));
            const next = nextCursor(r.headers.get("link"));
            if (next === undefined || !next.results) {
                complete = true;
                break;
            }
            url = `${first}&cursor=${encodeURIComponent(next.cursor)}`;
        }
    } catch (e) {
        return {
            check: "sentry",
            status: "error",
            detail: e instanceof SentryError ? e.message : `Sentry did not answer: ${(e as Error).message}`,
            fix: e instanceof SentryError ? e.fix : "check SENTRY_URL and the network, then run check again",
        };
    }
    const coverage = { from, to, complete };
    const read = complete ? `${pages} page(s)` : `only the first ${pages} page(s) of ${where}; more were not read`;
    const hits = issues.filter(
        (i) => MATCH.test(`${i.title ?? ""} ${i.culprit ?? ""}`) && Date.parse(i.lastSeen ?? "") >= since.getTime(),
    );
    if (hits.length === 0) {
        return {
            check: "sentry",
            status: "ok",
            detail: `no OperationalError or permission denied issue in ${where} (${read})`,
            coverage,
        };
    }
    return {
        check: "sentry",
        status: "unhealthy",
        detail: `${hits.length} Sentry issue(s) in ${where} match OperationalError or permission denied (${read})`,
        lines: hits.map((i) =>
            `${i.title ?? "?"} (${i.count ?? "?"} events, last ${i.lastSeen}) ${i.permalink ?? ""}`.trim(),
        ),
        fix: "read the issues; a permission denied is grant drift: raptor-roles verify prints the fix",
        coverage,
    };
}

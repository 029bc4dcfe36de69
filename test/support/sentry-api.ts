/**
 * A local stand-in of Sentry's web API, the one endpoint `raptor-roles check` reads, shaped from Sentry's published
 * reference (docs.sentry.io "List a Project's Issues" and "Paginating Results"):
 *
 *   GET /api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/
 *     Authorization: Bearer <token>                      (401 without the token it was started with)
 *     environment   repeatable; only issues with an event in one of them (none given: every environment)
 *     statsPeriod   `24h`, `14d`, ... back from now; or start and end (ISO 8601; a time without zone is UTC)
 *     query         Sentry search syntax; this stand-in knows `lastSeen:>=T`, `lastSeen:<=T`, `is:unresolved`
 *                   (implied when query is absent) and answers 400 to any other term, so a query it cannot judge
 *                   fails the test instead of passing silently
 *     cursor        `<value>:<offset>:<is_prev>`, as the Link header hands it out
 *   200: a JSON list of issues {id, shortId, title, culprit, permalink, status, count, firstSeen, lastSeen},
 *   `pageSize` a page (Sentry: 100), newest lastSeen first, and
 *   Link: <url>; rel="previous"; results="true|false"; cursor="...",
 *         <url>; rel="next"; results="true|false"; cursor="..."
 *
 * `rateLimit(n, retryAfter)` answers the next n requests 429 with `Retry-After`, as Sentry's rate limits do.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export interface SentryIssue {
    readonly id: string;
    readonly title: string;
    readonly culprit?: string;
    /** The environments its events came from. */
    readonly environments: readonly string[];
    readonly firstSeen: string;
    readonly lastSeen: string;
    readonly count?: number;
    readonly status?: "unresolved" | "resolved" | "ignored";
}

export interface SentryStandIn {
    readonly url: string;
    readonly token: string;
    /** Every request: method, path with query, status. */
    readonly requests: { method: string; url: string; status: number }[];
    /** Issues of ORG/PROJECT. */
    issues(project: string): SentryIssue[];
    rateLimit(times: number, retryAfter: string): void;
    close(): Promise<void>;
}

const UNITS: Record<string, number> = { m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
const utc = (t: string) => Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(t) ? t : `${t}Z`);

class BadRequest extends Error {}

/** The window [start, end] in ms from statsPeriod or start/end. */
function window(q: URLSearchParams): [number, number] {
    const period = q.get("statsPeriod");
    if (period !== null && period !== "") {
        const m = /^(\d+)([mhdw])$/.exec(period);
        if (!m) {
            throw new BadRequest(`Invalid statsPeriod: ${period}`);
        }
        return [Date.now() - Number(m[1]) * UNITS[m[2]], Date.now()];
    }
    const start = q.get("start");
    const end = q.get("end");
    if ((start === null) !== (end === null)) {
        throw new BadRequest("start and end are both required");
    }
    if (start === null || end === null) {
        return [Date.now() - 14 * UNITS.d, Date.now()];
    }
    const [s, e] = [utc(start), utc(end)];
    if (Number.isNaN(s) || Number.isNaN(e)) {
        throw new BadRequest("start and end must be ISO 8601");
    }
    return [s, e];
}

/** A predicate per term of `query`. */
function search(query: string | null): ((i: SentryIssue) => boolean)[] {
    const terms = (query ?? "is:unresolved").split(/\s+/).filter((t) => t !== "");
    return terms.map((t) => {
        const seen = /^lastSeen:(>=|<=)(.+)$/.exec(t);
        if (seen) {
            const at = utc(seen[2]);
            if (Number.isNaN(at)) {
                throw new BadRequest(`Invalid date: ${seen[2]}`);
            }
            return seen[1] === ">=" ? (i) => Date.parse(i.lastSeen) >= at : (i) => Date.parse(i.lastSeen) <= at;
        }
        if (t === "is:unresolved") {
            return (i) => (i.status ?? "unresolved") === "unresolved";
        }
        throw new BadRequest(`the stand-in does not know the search term ${t}`);
    });
}

export async function startSentry(opts: { pageSize?: number; token?: string } = {}): Promise<SentryStandIn> {
    const pageSize = opts.pageSize ?? 100;
    const token = opts.token ?? "sentry-test-token";
    const projects = new Map<string, SentryIssue[]>();
    const limits: string[] = [];
    const requests: SentryStandIn["requests"] = [];
    const server = http.createServer((req, res) => {
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            requests.push({ method: req.method ?? "", url: req.url ?? "", status });
            res.writeHead(status, { "content-type": "application/json", ...headers });
            res.end(JSON.stringify(body));
        };
        const u = new URL(req.url ?? "/", "http://sentry.local");
        const m = /^\/api\/0\/projects\/([^/]+)\/([^/]+)\/issues\/$/.exec(u.pathname);
        if (req.method !== "GET" || !m) {
            return reply(404, { detail: "The requested resource does not exist" });
        }
        if (req.headers.authorization !== `Bearer ${token}`) {
            return reply(401, { detail: "Invalid token" });
        }
        const retryAfter = limits.shift();
        if (retryAfter !== undefined) {
            return reply(429, { detail: "Request was throttled." }, { "retry-after": retryAfter });
        }
        const project = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
        if (!projects.has(project)) {
            return reply(404, { detail: "The requested resource does not exist" });
        }
        try {
            const [start, end] = window(u.searchParams);
            const envs = u.searchParams.getAll("environment");
            const terms = search(u.searchParams.get("query"));
            const cursor = u.searchParams.get("cursor") ?? "0:0:0";
            const offset = Number(/^\d+:(\d+):[01]$/.exec(cursor)?.[1] ?? NaN);
            if (Number.isNaN(offset)) {
                throw new BadRequest(`Invalid cursor parameter: ${cursor}`);
            }
            const all = projects
                .get(project)!
                .filter((i) => envs.length === 0 || i.environments.some((e) => envs.includes(e)))
                .filter((i) => Date.parse(i.lastSeen) >= start && Date.parse(i.firstSeen) <= end)
                .filter((i) => terms.every((t) => t(i)))
                .sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen));
            const page = all.slice(offset, offset + pageSize);
            const link = (rel: string, at: number, results: boolean) => {
                const c = `0:${Math.max(0, at)}:${rel === "previous" ? 1 : 0}`;
                const q = new URLSearchParams(u.searchParams);
                q.set("cursor", c);
                return `<http://${req.headers.host}${u.pathname}?${q}>; rel="${rel}"; results="${results}"; cursor="${c}"`;
            };
            const links = [
                link("previous", offset - pageSize, offset > 0),
                link("next", offset + pageSize, offset + pageSize < all.length),
            ];
            return reply(
                200,
                page.map((i) => ({
                    id: i.id,
                    shortId: `RAXX-BACKEND-${i.id}`,
                    title: i.title,
                    culprit: i.culprit ?? "",
                    permalink: `http://${req.headers.host}/organizations/${m[1]}/issues/${i.id}/`,
                    status: i.status ?? "unresolved",
                    count: String(i.count ?? 1),
                    firstSeen: i.firstSeen,
                    lastSeen: i.lastSeen,
                })),
                { link: links.join(", ") },
            );
        } catch (e) {
            if (e instanceof BadRequest) {
                return reply(400, { detail: e.message });
            }
            throw e;
        }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        token,
        requests,
        issues: (project) => {
            const list = projects.get(project) ?? [];
            projects.set(project, list);
            return list;
        },
        rateLimit: (times, retryAfter) => limits.push(...Array<string>(times).fill(retryAfter)),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

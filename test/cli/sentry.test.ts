/**
 * The Sentry check against the local stand-in of Sentry's web API (test/support/sentry-api.ts, from its published
 * reference): the query it sends (environment, window), what counts, every page read through the Link header's
 * cursor, a 429 retried once after Retry-After, and the coverage each answer earns.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextCursor, sentryFinding } from "../../cli/sentry";
import { SentryStandIn, startSentry } from "../support/sentry-api";

const SINCE = new Date("2026-12-02T10:00:00Z");
const NOW = new Date("2026-12-02T11:00:00Z");
const WINDOW = { from: "2026-12-02T10:00:00Z", to: "2026-12-02T11:00:00Z" };
let sentry: SentryStandIn;

beforeAll(async () => {
    sentry = await startSentry({ pageSize: 2 });
});
afterAll(() => sentry.close());

const env = () => ({ SENTRY_AUTH_TOKEN: sentry.token, SENTRY_URL: sentry.url });
const read = (project: string, environment = "staging") =>
    sentryFinding({ project, environment, since: SINCE, now: NOW }, env());
const issue = (id: string, title: string, environments: string[], lastSeen = "2026-12-02T10:30:00Z") => ({
    id,
    title,
    environments,
    firstSeen: "2026-12-01T08:00:00Z",
    lastSeen,
});
const requestsFor = (project: string) => sentry.requests.filter((r) => r.url.includes(`/projects/${project}/`));

describe("the Sentry check", () => {
    it("asks for the stack's environment and the window, with the token", async () => {
        sentry.issues("raxx/quiet");
        const f = await read("raxx/quiet");
        expect(f).toEqual({
            check: "sentry",
            status: "ok",
            detail: "no OperationalError or permission denied issue in raxx/quiet (environment staging) (1 page(s))",
            coverage: { ...WINDOW, complete: true },
        });
        expect(requestsFor("raxx/quiet")).toEqual([
            {
                method: "GET",
                url:
                    "/api/0/projects/raxx/quiet/issues/?environment=staging&start=2026-12-02T10%3A00%3A00&" +
                    "end=2026-12-02T11%3A00%3A00&query=lastSeen%3A%3E%3D2026-12-02T10%3A00%3A00",
                status: 200,
            },
        ]);
    });

    it("does not block on an error in another environment only (raxx-backend gets prod's events too)", async () => {
        sentry
            .issues("raxx/both")
            .push(issue("1", "OperationalError: permission denied for table orders", ["production"]));
        const f = await read("raxx/both");
        expect(f.status).toBe("ok");
        expect(f.coverage).toEqual({ ...WINDOW, complete: true });
        // The same issue, seen from prod's side, is an error.
        expect((await read("raxx/both", "production")).status).toBe("unhealthy");
    });

    it("blocks on a staging error on the second page, after following the Link cursor", async () => {
        sentry
            .issues("raxx/paged")
            .push(
                issue("1", "KeyError: 'a'", ["staging"], "2026-12-02T10:50:00Z"),
                issue("2", "TimeoutError", ["staging"], "2026-12-02T10:40:00Z"),
                issue("3", "ProgrammingError: permission denied for table paper_orders", ["staging"]),
            );
        const f = await read("raxx/paged");
        expect(f.status).toBe("unhealthy");
        expect(f.detail).toBe(
            "1 Sentry issue(s) in raxx/paged (environment staging) match OperationalError or permission denied " +
                "(2 page(s))",
        );
        expect(f.lines).toEqual([
            "ProgrammingError: permission denied for table paper_orders (1 events, last 2026-12-02T10:30:00Z) " +
                `${sentry.url}/organizations/raxx/issues/3/`,
        ]);
        expect(f.coverage).toEqual({ ...WINDOW, complete: true });
        const urls = requestsFor("raxx/paged").map((r) => r.url);
        expect(urls).toHaveLength(2);
        expect(urls[1]).toBe(`${urls[0]}&cursor=0%3A2%3A0`);
    });

    it("reads the list after a 429, waiting its Retry-After once", async () => {
        sentry.issues("raxx/limited").push(issue("1", "OperationalError: SSL connection closed", ["staging"]));
        sentry.rateLimit(1, "1");
        const started = Date.now();
        const f = await read("raxx/limited");
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
        expect(f.status).toBe("unhealthy");
        expect(f.coverage).toEqual({ ...WINDOW, complete: true });
        expect(requestsFor("raxx/limited").map((r) => r.status)).toEqual([429, 200]);
    });

    it("is an error after a second 429, with nothing counted as read", async () => {
        sentry.issues("raxx/throttled");
        sentry.rateLimit(2, "0");
        const f = await read("raxx/throttled");
        expect(f).toEqual({
            check: "sentry",
            status: "error",
            detail: "Sentry rate-limited the issue list of raxx/throttled (429 twice, Retry-After 0)",
            fix: "run check again later; the soak workflow's next run reads the same window again",
        });
        expect(requestsFor("raxx/throttled").map((r) => r.status)).toEqual([429, 429]);
    });

    it("is an error when the token is refused", async () => {
        sentry.issues("raxx/quiet");
        const f = await sentryFinding(
            { project: "raxx/quiet", environment: "staging", since: SINCE, now: NOW },
            { SENTRY_AUTH_TOKEN: "wrong", SENTRY_URL: sentry.url },
        );
        expect(f).toMatchObject({ status: "error", detail: "Sentry answered 401 for project raxx/quiet (page 1)" });
    });

    it("is skipped, and says why, without a token", async () => {
        const f = await sentryFinding(
            { project: "raxx/raxx-backend", environment: "staging", since: SINCE, now: NOW },
            {},
        );
        expect(f).toEqual({ check: "sentry", status: "skipped", detail: "skipped: SENTRY_AUTH_TOKEN not set" });
    });
});

describe("the Link header", () => {
    it("gives the next cursor and whether it has results, as Sentry's pagination reference shows it", () => {
        const link =
            '<https://sentry.io/api/0/projects/raxx/raxx-backend/issues/?&cursor=1420837590:0:1>; rel="previous"; ' +
            'results="false"; cursor="1420837590:0:1", ' +
            '<https://sentry.io/api/0/projects/raxx/raxx-backend/issues/?&cursor=1420837533:0:0>; rel="next"; ' +
            'results="true"; cursor="1420837533:0:0"';
        expect(nextCursor(link)).toEqual({ cursor: "1420837533:0:0", results: true });
        expect(nextCursor(link.replace('results="true"', 'results="false"'))).toEqual({
            cursor: "1420837533:0:0",
            results: false,
        });
        expect(nextCursor(null)).toBeUndefined();
    });
});

/**
 * The Sentry check against a local server that answers only the documented issues endpoint (any other
 * request fails the test): the query it sends, what counts, and the skip without token or project.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sentryFinding } from "../../cli/sentry";

const SINCE = new Date("2026-12-02T10:00:00Z");
const seen: string[] = [];
let base = "";
let server: http.Server;

beforeAll(async () => {
    server = http.createServer((req, res) => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        if (req.url?.startsWith("/api/0/projects/raxx/raxx-backend/issues/?")) {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(
                JSON.stringify([
                    { title: "OperationalError: connection failed", lastSeen: "2026-12-02T11:00:00Z", count: "3" },
                    { title: "KeyError: 'x'", lastSeen: "2026-12-02T11:00:00Z", count: "1" },
                    { title: "ProgrammingError: permission denied for table t", lastSeen: "2026-12-02T09:00:00Z" },
                ]),
            );
            return;
        }
        res.writeHead(500).end();
        throw new Error(`unmocked Sentry request ${req.method} ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("the Sentry check", () => {
    it("counts matching issues seen since T and asks with the token", async () => {
        const f = await sentryFinding("raxx/raxx-backend", SINCE, { SENTRY_AUTH_TOKEN: "tok", SENTRY_URL: base });
        expect(f.status).toBe("unhealthy");
        expect(f.detail).toBe("1 Sentry issue(s) in raxx/raxx-backend match OperationalError or permission denied");
        expect(seen).toEqual([
            "GET /api/0/projects/raxx/raxx-backend/issues/?query=lastSeen%3A%3E%3D2026-12-02T10%3A00%3A00 Bearer tok",
        ]);
    });

    it("is skipped, and says why, without a token", async () => {
        const f = await sentryFinding("raxx/raxx-backend", SINCE, {});
        expect(f).toEqual({ check: "sentry", status: "skipped", detail: "skipped: SENTRY_AUTH_TOKEN not set" });
    });
});

/**
 * The listener: one HTTP server for both APIs (the CLI sends data API calls to HEROKU_HOST's protocol and
 * port with HEROKU_DATA_HOST's host name), authentication, the request log and fault injection.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly id: string,
        message: string,
    ) {
        super(message);
    }
}

/** The API's 404 bodies: "Couldn't find that app." and so on (Platform API reference, error `not_found`). */
export function notFound(resource: "app" | "addon" | "addon-attachment" | "database" | "credential"): ApiError {
    const what = {
        app: "app",
        addon: "add-on",
        "addon-attachment": "add-on attachment",
        database: "database",
        credential: "credential",
    }[resource];
    return new ApiError(404, "not_found", `Couldn't find that ${what}.`);
}

export interface Reply {
    status?: number;
    json: unknown;
}

export interface Route {
    method: string;
    path: RegExp;
    handle(req: { params: string[]; body: unknown; headers: http.IncomingHttpHeaders }): Reply | Promise<Reply>;
}

/** One request as the API saw it. Authorization is never kept. */
export interface LoggedRequest {
    method: string;
    path: string;
    /** "platform" or "data", from the path. */
    api: "platform" | "data";
    host: string;
    body: unknown;
    status: number;
    /** The fault injected instead of (or after) the normal answer, if any. */
    fault?: FaultKind;
    /**
     * The first request of a CLI process: the CLI sends every request id it has seen so far in `Request-Id`
     * (heroku-cli-command request-id.ts), so only a process's first request carries a single id.
     */
    firstOfProcess: boolean;
}

/**
 * html-503: the router's HTML error page (the CLI cannot parse it: exit 1). json-503 / json-500: an API
 * error body. 429: the API's rate limit (`rate_limit`). lost-response: the request is applied, then the
 * connection is dropped before any answer (http-call retries it, POSTs included).
 */
export type FaultKind = "html-503" | "json-503" | "json-500" | "429" | "lost-response";

export interface Fault {
    method?: string;
    path: RegExp;
    kind: FaultKind;
    /** How many matching requests it hits. Default 1. */
    times?: number;
}

const HTML_503 =
    "<!DOCTYPE html>\n<html><head><title>Application Error</title></head><body>" +
    '<iframe src="//www.herokucdn.com/error-pages/application-error.html"></iframe></body></html>\n';

export interface Listener {
    port: number;
    log: LoggedRequest[];
    faults: Fault[];
    close(): Promise<void>;
}

function authorized(headers: http.IncomingHttpHeaders, apiKey: string): boolean {
    const auth = headers.authorization ?? "";
    return auth === `Bearer ${apiKey}` || auth === `Basic ${Buffer.from(`:${apiKey}`).toString("base64")}`;
}

function takeFault(faults: Fault[], method: string, path: string): Fault | undefined {
    const f = faults.find(
        (x) => (x.method === undefined || x.method === method) && x.path.test(path) && (x.times ?? 1) > 0,
    );
    if (f) {
        f.times = (f.times ?? 1) - 1;
    }
    return f;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
        "content-type": typeof body === "string" ? "text/html" : "application/json",
        "request-id": "rig",
    });
    res.end(text);
}

async function answer(
    routes: Route[],
    method: string,
    path: string,
    body: unknown,
    headers: http.IncomingHttpHeaders,
): Promise<Reply> {
    for (const r of routes) {
        const m = r.method === method ? r.path.exec(path) : null;
        if (m) {
            try {
                return await r.handle({ params: m.slice(1), body, headers });
            } catch (e) {
                if (e instanceof ApiError) {
                    return { status: e.status, json: { id: e.id, message: e.message } };
                }
                return { status: 500, json: { id: "internal_server_error", message: `rig: ${(e as Error).message}` } };
            }
        }
    }
    return {
        status: 404,
        json: {
            id: "not_found",
            message: `The requested API endpoint was not found (rig models no ${method} ${path}).`,
        },
    };
}

export async function listen(routes: Route[], apiKey: string): Promise<Listener> {
    const log: LoggedRequest[] = [];
    const faults: Fault[] = [];
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (d: Buffer) => (raw += d.toString()));
        req.on("end", () => {
            const method = req.method ?? "GET";
            const path = (req.url ?? "/").split("?")[0];
            let body: unknown = raw;
            try {
                body = raw === "" ? undefined : JSON.parse(raw);
            } catch {
                // kept as text
            }
            const entry: LoggedRequest = {
                method,
                path,
                body,
                api: /^\/(postgres|data)\//.test(path) ? "data" : "platform",
                host: req.headers.host ?? "",
                status: 0,
                firstOfProcess: !String(req.headers["request-id"] ?? "").includes(","),
            };
            log.push(entry);
            void (async () => {
                if (!authorized(req.headers, apiKey)) {
                    entry.status = 401;
                    return send(res, 401, { id: "unauthorized", message: "Invalid credentials provided." });
                }
                const fault = takeFault(faults, method, path);
                if (fault && fault.kind !== "lost-response") {
                    entry.fault = fault.kind;
                    entry.status = fault.kind === "429" ? 429 : fault.kind === "json-500" ? 500 : 503;
                    return send(
                        res,
                        entry.status,
                        fault.kind === "html-503"
                            ? HTML_503
                            : fault.kind === "429"
                              ? {
                                    id: "rate_limit",
                                    message:
                                        "Your account reached the API rate limit\nPlease wait a few minutes before " +
                                        "making new requests",
                                }
                              : {
                                    id: fault.kind === "json-500" ? "internal_server_error" : "unavailable",
                                    message: "Heroku is temporarily unavailable.",
                                },
                    );
                }
                const reply = await answer(routes, method, path, body, req.headers);
                entry.status = reply.status ?? 200;
                if (fault) {
                    entry.fault = "lost-response";
                    req.socket.destroy();
                    return;
                }
                send(res, entry.status, reply.json);
            })();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        log,
        faults,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

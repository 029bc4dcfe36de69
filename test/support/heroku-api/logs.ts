/**
 * `heroku logs` against the rig: the app's log buffer, `POST /apps/{app}/log-sessions`, and the log stream the
 * session's `logplex_url` points at, served as Server-Sent Events on a listener of its own (on Heroku the
 * stream is another host, and its URL carries its own token: the CLI sends no API key there).
 *
 * Shaped from heroku/cli 11.10 dist/lib/run/log-displayer.js: the CLI reads the app's generation first
 * (`GET /apps/{app}`), posts `{source, dyno, lines, tail}` (Cedar) with `Accept: ...version=3.sdk`, opens
 * `logplex_url` with the npm `eventsource` client and prints each line of each `message` event. Without
 * --tail it stops when the stream ends; with --tail the client reconnects when a stream closes without an
 * error status, and a 403/404 becomes "Log stream timed out. Please try again." (exit 1). The Platform API
 * reference (log-session) gives the session object: id, logplex_url, created_at, updated_at.
 *
 * Heroku keeps the last 1,500 lines of an app (devcenter "Logging": the log history); so does this buffer.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { App, Model } from "./model";
import { ApiError, Route, notFound } from "./http";

export const LOG_HISTORY = 1500;

export interface LogLine {
    readonly at: Date;
    /** `app` (the dynos' output) or `heroku` (the platform: router, dyno manager, API). */
    readonly source: "app" | "heroku";
    /** e.g. web.1, router, api. */
    readonly dyno: string;
    readonly text: string;
}

/** 2026-12-02T10:00:00.123000+00:00 app[web.1]: text, as Heroku prints a line (microseconds, +00:00). */
export function formatLine(l: LogLine): string {
    const iso = l.at.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
    return `${iso} ${l.source}[${l.dyno}]: ${l.text}`;
}

interface Session {
    appId: string;
    source?: string;
    dyno?: string;
    lines: number;
    tail: boolean;
}

/** Every app's log buffer and the live streams reading it. */
export class LogStore {
    private readonly buffers = new Map<string, LogLine[]>();
    private readonly readers = new Set<{ appId: string; push: (l: LogLine) => void }>();

    /** Adds one line per line of `text` (a line never carries a newline on the stream). */
    add(app: App, source: LogLine["source"], dyno: string, text: string, at: Date = new Date()): void {
        const buf = this.buffers.get(app.id) ?? [];
        this.buffers.set(app.id, buf);
        for (const t of text.split(/\r?\n/).filter((x) => x !== "")) {
            const line = { at, source, dyno, text: t };
            buf.push(line);
            this.readers.forEach((r) => r.appId === app.id && r.push(line));
        }
        buf.splice(0, Math.max(0, buf.length - LOG_HISTORY));
    }

    lines(app: App): readonly LogLine[] {
        return this.buffers.get(app.id) ?? [];
    }

    /** Calls `push` for every new line of the app until the returned function is called. */
    follow(appId: string, push: (l: LogLine) => void): () => void {
        const r = { appId, push };
        this.readers.add(r);
        return () => this.readers.delete(r);
    }
}

/** `--source` and `--dyno`/`--process-type` as logplex filters them: a dyno name or a process type prefix. */
function matches(s: Session, l: LogLine): boolean {
    if (s.source !== undefined && s.source !== l.source) {
        return false;
    }
    return s.dyno === undefined || l.dyno === s.dyno || l.dyno.split(".")[0] === s.dyno;
}

export interface Logplex {
    readonly url: string;
    /** Ends every open stream cleanly, as logplex does at a session's end: a tailing CLI reconnects. */
    endStreams(): void;
    /** Resets every open stream's connection: the CLI's eventsource reports the error and `heroku logs` exits 1. */
    dropStreams(): void;
    /** Resolves once a tailing stream is open (at once if one is): a test's signal to end or drop it. */
    streamOpen(): Promise<void>;
    close(): Promise<void>;
}

/** The stream listener. A session's URL can be read any number of times (a tail reconnects to it). */
export async function startLogplex(store: LogStore, sessions: Map<string, Session>): Promise<Logplex> {
    const open = new Set<http.ServerResponse>();
    let waiting: (() => void)[] = [];
    const server = http.createServer((req, res) => {
        const id = /^\/sessions\/([^/?]+)/.exec(req.url ?? "")?.[1];
        const s = id === undefined ? undefined : sessions.get(id);
        if (!s) {
            res.writeHead(404, { "content-type": "text/plain" });
            res.end("not found\n");
            return;
        }
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const send = (l: LogLine) => res.writableEnded || res.write(`data: ${formatLine(l)}\n\n`);
        const history = store.lines({ id: s.appId } as App).filter((l) => matches(s, l));
        history.slice(Math.max(0, history.length - s.lines)).forEach(send);
        if (!s.tail) {
            res.end();
            return;
        }
        // The CLI's eventsource is open once it has the headers; a drop after that is a lost stream, not a refusal.
        res.flushHeaders();
        open.add(res);
        waiting.forEach((go) => go());
        waiting = [];
        const stop = store.follow(s.appId, (l) => matches(s, l) && send(l));
        res.on("close", () => {
            stop();
            open.delete(res);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        url,
        endStreams: () => open.forEach((r) => r.end()),
        dropStreams: () => open.forEach((r) => r.destroy()),
        streamOpen: () => (open.size > 0 ? Promise.resolve() : new Promise<void>((go) => waiting.push(go))),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** `POST /apps/{app}/log-sessions`: a session on the stream listener. */
export function logRoutes(m: Model, sessions: Map<string, Session>, logplexUrl: () => string): Route[] {
    return [
        {
            method: "POST",
            path: /^\/apps\/([^/]+)\/log-sessions$/,
            handle: ({ params, body }) => {
                const app = m.app(decodeURIComponent(params[0]));
                if (!app) {
                    throw notFound("app");
                }
                const b = (body ?? {}) as { source?: string; dyno?: string; lines?: number; tail?: boolean };
                const lines = b.lines ?? 100;
                if (!Number.isInteger(lines) || lines < 1 || lines > LOG_HISTORY) {
                    throw new ApiError(422, "invalid_params", `lines must be between 1 and ${LOG_HISTORY}.`);
                }
                const id = randomUUID();
                sessions.set(id, { appId: app.id, source: b.source, dyno: b.dyno, lines, tail: b.tail === true });
                const now = new Date().toISOString();
                return {
                    status: 201,
                    json: {
                        id,
                        logplex_url: `${logplexUrl()}/sessions/${id}?srv=${Date.now()}`,
                        created_at: now,
                        updated_at: now,
                    },
                };
            },
        },
    ];
}

export type { Session as LogSession };

/**
 * `heroku logs` and `heroku restart` of the real CLI (heroku 11.10) against the rig: what the CLI asks
 * (dist/lib/run/log-displayer.js: the generation, then a log session) and what it prints.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { APP, requests, rig, usePostgres } from "../heroku-scenario";
import { runBash } from "../run-commands";
import { formatLine } from "./logs";

usePostgres();

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[[\w.-]+\]: /;

describe.concurrent("heroku logs and heroku restart against the rig", { timeout: 300_000 }, () => {
    it("formats a line as Heroku prints it", () => {
        const at = new Date("2026-12-02T10:00:00.123Z");
        expect(formatLine({ at, source: "app", dyno: "web.1", text: "hi" })).toBe(
            "2026-12-02T10:00:00.123000+00:00 app[web.1]: hi",
        );
    });

    it("-n N prints the last N lines after reading the generation and opening a Cedar session", async () => {
        const { api } = await rig();
        const app = api.model.app(APP)!;
        for (let i = 1; i <= 5; i++) {
            api.logs.add(app, "app", "web.1", `line ${i}`);
        }
        const r = await runBash(api, `heroku logs -a ${APP} -n 3`);
        expect(r.code).toBe(0);
        const lines = r.stdout.trim().split("\n");
        expect(lines.map((l) => l.replace(LINE, ""))).toEqual(["line 3", "line 4", "line 5"]);
        expect(lines.every((l) => LINE.test(l))).toBe(true);
        expect(requests(api, "GET", /^\/apps\/raxx-api-staging$/)).toHaveLength(1);
        const session = requests(api, "POST", /\/log-sessions$/);
        expect(session.map((q) => q.body)).toEqual([{ lines: 3, tail: false }]);
    });

    it("--source heroku keeps only the platform's lines", async () => {
        const { api } = await rig();
        const app = api.model.app(APP)!;
        api.logs.add(app, "app", "web.1", "from the app");
        api.logs.add(app, "heroku", "router", "at=info method=GET path=/");
        const r = await runBash(api, `heroku logs -a ${APP} --source heroku`);
        expect(r.code).toBe(0);
        expect(
            r.stdout
                .trim()
                .split("\n")
                .map((l) => l.replace(LINE, "")),
        ).toEqual(["at=info method=GET path=/"]);
    });

    // eventsource 4: a stream that ends is reconnected (an error event without code or message, which the CLI
    // ignores with --tail); a reset connection is an error with a message, which the CLI reports (exit 1).
    it("--tail prints lines as written, reconnects after a clean end and exits 1 on a reset", async () => {
        const { api } = await rig();
        const app = api.model.app(APP)!;
        const child = spawn("heroku", ["logs", "--tail", "-a", APP], {
            env: api.env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        try {
            // The CLI takes seconds to start on a loaded machine.
            await until(() => requests(api, "POST", /\/log-sessions$/).length === 1, 100_000);
            await until(() => {
                api.logs.add(app, "app", "web.1", "first");
                return out.includes("first");
            });
            api.endLogStreams();
            await until(() => {
                api.logs.add(app, "app", "web.1", "second");
                return out.includes("second");
            });
            api.dropLogStreams();
            expect(await exited).toBe(1);
            expect(err).toContain("Logs eventsource failed with:");
            expect(requests(api, "POST", /\/log-sessions$/).map((q) => q.body)).toEqual([{ lines: 100, tail: true }]);
        } finally {
            child.kill("SIGTERM");
        }
    });

    it("heroku restart restarts the app's process, and a config change does too", async () => {
        const { api } = await rig();
        const app = api.model.app(APP)!;
        await api.runApp(APP, {
            argv: [process.execPath, "-e", "require('http').createServer().listen(process.env.PORT)"],
        });
        expect(api.dynos.starts(app)).toBe(1);
        const r = await runBash(api, `heroku restart -a ${APP}`);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain(`Restarting all dynos on ${APP}... done`);
        await api.dynos.settled(app);
        expect(api.dynos.starts(app)).toBe(2);
        const set = await runBash(api, `heroku config:set X=1 -a ${APP}`);
        expect(set.code).toBe(0);
        await api.dynos.settled(app);
        expect(api.dynos.starts(app)).toBe(3);
        const texts = api.logs.lines(app).map((l) => `${l.source}[${l.dyno}]: ${l.text}`);
        expect(texts.filter((t) => t === "heroku[web.1]: Stopping all processes with SIGTERM")).toHaveLength(2);
        expect(texts.filter((t) => t === "heroku[web.1]: State changed from starting to up")).toHaveLength(3);
    });
});

async function until(ok: () => boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok()) {
        if (Date.now() > deadline) {
            throw new Error("condition not met in time");
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

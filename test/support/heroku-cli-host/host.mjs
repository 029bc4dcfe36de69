// The real heroku CLI, loaded once and run many times: `node host.mjs SOCKET`.
//
// Why: a `heroku` process spends about a CPU-second loading oclif, the CLI and its plugins before it sends its
// first request, and the tests start hundreds of them. This process loads them once and runs each command the way
// bin/run.js does (oclif's `run`, then `flush`, and `handle` for an error), for a client (client.mjs) that sends
// its argv, environment and working directory over a Unix socket and gets back stdout, stderr and the exit code.
//
// What a process of its own would give each command, and this process gives it by hand, one command at a time:
// its environment, working directory and argv; empty stdout and stderr; an exit code (process.exitCode, or what
// oclif's handle passes to Exit.exit); and the CLI's one per-process state, the Request-Id list that
// @heroku-cli/command keeps (request-id.ts: every id the process has seen, sent with each request), emptied.
// Stdin is /dev/null, so commands that read stdin, stream or spawn stay with the real process (the `heroku` shim
// beside this file decides). test/support/heroku-cli-host.test.ts runs the same commands both ways and holds
// stdout, stderr, exit code and the API's request log equal.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const socketPath = process.argv[2];
// process.exit as node made it: a command gets one that records its code instead, and this one back after it.
const hostExit = process.exit;

// The timers a command arms, cleared when it ends, as its process's exit would. heroku 11.10's `logs` leaves
// eventsource's 3 s reconnect timer armed after it closes the stream (docs/development.md): its process waits it out
// and exits with nothing more printed; here it would fire during a later command.
let armed;
for (const name of ["setTimeout", "setInterval"]) {
    const own = globalThis[name];
    globalThis[name] = (...args) => {
        const timer = own(...args);
        armed?.add(timer);
        return timer;
    };
}

// Each stream's write goes to the running command's client, or to the host's own stream between commands. Set
// before oclif loads: its action singleton keeps the write functions it finds at load (ux/action/base.js
// stdmockOrigs) and writes "Restarting all dynos... " through them.
let current;
for (const [fd, stream] of [
    [1, process.stdout],
    [2, process.stderr],
]) {
    const own = stream.write.bind(stream);
    stream.write = (chunk, encoding, callback) => {
        if (!current) {
            return own(chunk, encoding, callback);
        }
        const cb = typeof encoding === "function" ? encoding : callback;
        const enc = typeof encoding === "string" ? encoding : "utf8";
        const buf = typeof chunk === "string" ? Buffer.from(chunk, enc) : Buffer.from(chunk);
        if (buf.length > 0) {
            current(fd, buf);
        }
        if (cb) {
            process.nextTick(cb);
        }
        return true;
    };
}
const here = path.dirname(fileURLToPath(import.meta.url));
const runJs = path.resolve(here, "../../../node_modules/heroku/bin/run.js");
// Resolved from the CLI's own directory, so these are the very modules bin/run.js imports.
const fromCli = createRequire(runJs);
const oclif = fromCli("@oclif/core");
// Not in the packages' exports maps: reached by file path, which is the same module instance.
const handleModule = fromCli(path.join(path.dirname(fromCli.resolve("@oclif/core")), "errors/handle.js"));
const commandLib = path.dirname(fromCli.resolve("@heroku-cli/command"));
const { RequestId } = await import(path.join(commandLib, "request-id.js"));

const config = await oclif.Config.load(runJs);

class ProcessExit extends Error {
    constructor(code) {
        super(`process.exit(${code})`);
        this.code = code;
    }
}

/** One command, as bin/run.js would run it in a process of its own. */
async function runOne(request, send) {
    for (const k of Object.keys(process.env)) {
        delete process.env[k];
    }
    Object.assign(process.env, request.env);
    // bin/run.js sets this before anything else.
    process.env.HEROKU_UPDATE_INSTRUCTIONS ||= 'update with: "npm update -g heroku"';
    process.chdir(request.cwd);
    process.argv = [process.execPath, runJs, ...request.argv];
    process.exitCode = undefined;
    RequestId.empty();
    let exitCode;
    current = send;
    armed = new Set();
    const listening = listenersNow();
    handleModule.Exit.exit = (code = 0) => {
        exitCode ??= code;
    };
    process.exit = (code) => {
        exitCode ??= code ?? process.exitCode ?? 0;
        throw new ProcessExit(exitCode);
    };
    try {
        try {
            await oclif.run(request.argv, config);
            await oclif.flush();
        } catch (error) {
            if (!(error instanceof ProcessExit)) {
                await handleModule.handle(error);
            }
        }
        // What the process would still print before its event loop empties.
        await new Promise((resolve) => setImmediate(resolve));
    } finally {
        for (const timer of armed) {
            clearTimeout(timer);
        }
        armed = undefined;
        dropListenersSince(listening);
        current = undefined;
        process.exit = hostExit;
    }
    return exitCode ?? process.exitCode ?? 0;
}

// The listeners a command adds to process and its streams go with its process; oclif's flush adds a 'drain'
// listener to stdout on every run, and the eleventh would print node's MaxListenersExceededWarning.
const EMITTERS = [process, process.stdout, process.stderr];

function listenersNow() {
    return EMITTERS.map((e) => new Map(e.eventNames().map((name) => [name, new Set(e.rawListeners(name))])));
}

function dropListenersSince(before) {
    EMITTERS.forEach((e, i) => {
        for (const name of e.eventNames()) {
            for (const listener of e.rawListeners(name)) {
                if (!before[i].get(name)?.has(listener)) {
                    e.removeListener(name, listener);
                }
            }
        }
    });
}

function hasFd(fd) {
    try {
        fs.fstatSync(fd);
        return true;
    } catch {
        return false;
    }
}

/** Frames to the client: one byte (1 stdout, 2 stderr, 3 exit code), a 4-byte length, the bytes. */
function frame(kind, buf) {
    const head = Buffer.alloc(5);
    head.writeUInt8(kind, 0);
    head.writeUInt32BE(buf.length, 1);
    return Buffer.concat([head, buf]);
}

/**
 * What the CLI decides once, as it loads, from its environment: colours (supports-color), debug output, the
 * terminal width, node's own options. A command whose values differ from this host's goes to a host started with
 * its environment (one per set of values, for this host's life), so it sees what a process of its own would.
 */
const LOAD_TIME = ["FORCE_COLOR", "NO_COLOR", "DEBUG", "COLUMNS", "OCLIF_COLUMNS", "NODE_OPTIONS", "TERM"];
const signature = (env) => JSON.stringify(LOAD_TIME.map((k) => env[k] ?? null));
const ownSignature = signature(process.env);
const siblings = new Map();

function sibling(env) {
    const key = signature(env);
    let ready = siblings.get(key);
    if (!ready) {
        const sock = `${socketPath}.${siblings.size + 1}`;
        const child = spawn(process.execPath, ["--no-deprecation", fileURLToPath(import.meta.url), sock], {
            env,
            stdio: ["ignore", "pipe", "inherit", "pipe"],
        });
        ready = new Promise((resolve, reject) => {
            child.stdout.on("data", (d) => d.toString().includes("ready\n") && resolve(sock));
            child.on("exit", (code) => reject(new Error(`a host for ${key} exited ${code}`)));
        });
        siblings.set(key, ready);
    }
    return ready;
}

function forward(request, headerLine, socket) {
    sibling(request.env).then(
        (sock) => {
            const upstream = net.connect(sock, () => upstream.write(headerLine));
            upstream.on("error", () => socket.destroy());
            upstream.pipe(socket);
        },
        (error) => {
            socket.end(frame(2, Buffer.from(`heroku-cli-host: ${error.message}\n`)));
        },
    );
}

// One command at a time: each owns process.env, the working directory and the two streams while it runs.
let queue = Promise.resolve();
const server = net.createServer((socket) => {
    let header = "";
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    const onData = (data) => {
        header += data;
        const nl = header.indexOf("\n");
        if (nl < 0) {
            return;
        }
        socket.off("data", onData);
        const request = JSON.parse(header.slice(0, nl));
        fs.writeSync(1, "served\n");
        if (signature(request.env) !== ownSignature) {
            forward(request, header.slice(0, nl + 1), socket);
            return;
        }
        queue = queue.then(async () => {
            const send = (kind, buf) => socket.write(frame(kind, buf));
            let code;
            try {
                code = await runOne(request, send);
            } catch (error) {
                send(2, Buffer.from(`heroku-cli-host: ${error?.stack ?? error}\n`));
                code = 1;
            }
            const c = Buffer.alloc(4);
            c.writeInt32BE(Number(code) || 0, 0);
            await new Promise((resolve) => socket.end(frame(3, c), resolve));
        });
    };
    socket.on("data", onData);
});
// A command's stray rejection must not take the host down for the commands after it.
process.on("unhandledRejection", (reason) => {
    fs.writeSync(2, `heroku-cli-host: unhandled rejection: ${reason?.stack ?? reason}\n`);
});
// The parent holds fd 3 open for the host's life: when it ends, so does the host, and its siblings with it (none
// outlives a crashed run).
if (hasFd(3)) {
    new net.Socket({ fd: 3, readable: true, writable: false }).on("close", () => hostExit.call(process, 0)).resume();
}
server.listen(socketPath, () => {
    fs.writeSync(1, "ready\n");
});

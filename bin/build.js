#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`; and bin/raptor-roles.js by itself when the sources changed):
// compiles the CLI with tsc into a scratch directory, links the data files the compiled code reads, stamps the
// sources' content hash (bin/source-hash.js) and swaps the result in as dist/, so a command running meanwhile
// never sees half a build.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { sourceHash } = require("./source-hash");

// Data files the compiled code reads beside itself: links to the checkout's own files, never copies, so editing
// policy/config.json (how an operator is added) takes effect at once and never makes the build stale.
const LINKED = ["policy/config.json", "policy/package.json", "cli/python-ast.py"];

function build(root, { quiet = false } = {}) {
    const hash = sourceHash(root);
    const tmp = path.join(root, `dist.tmp-${process.pid}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    const tsc = require.resolve("typescript/bin/tsc");
    const args = [
        tsc,
        "-p",
        path.join(root, "tsconfig.build.json"),
        "--outDir",
        tmp,
        ...(quiet ? ["--pretty", "false"] : []),
    ];
    const r = spawnSync(process.execPath, args, {
        cwd: root,
        stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit",
        encoding: "utf8",
    });
    if (r.status !== 0) {
        fs.rmSync(tmp, { recursive: true, force: true });
        const out = quiet ? `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() : "";
        const e = new Error(`tsc -p tsconfig.build.json failed (exit ${r.status})${out ? `:\n${out}` : ""}`);
        e.firstError = firstError(out) ?? `tsc -p tsconfig.build.json failed (exit ${r.status})`;
        throw e;
    }
    for (const data of LINKED) {
        const at = path.join(tmp, data);
        fs.mkdirSync(path.dirname(at), { recursive: true });
        fs.symlinkSync(path.relative(path.dirname(path.join(root, "dist", data)), path.join(root, data)), at);
    }
    fs.writeFileSync(
        path.join(tmp, "BUILT"),
        `${JSON.stringify({ sources: hash, builtAt: new Date().toISOString() })}\n`,
    );
    // From scratch, then swapped in: tsc never deletes outputs, and a stale dist/core/verify.js would shadow
    // dist/core/verify/index.js.
    const dist = path.join(root, "dist");
    const old = path.join(root, `dist.old-${process.pid}`);
    try {
        fs.renameSync(dist, old);
    } catch (e) {
        if (e.code !== "ENOENT") throw e; // none yet, or another build is swapping its own in
    }
    try {
        fs.renameSync(tmp, dist);
    } catch (e) {
        // Another build of the same sources won the race: keep its dist/, drop ours.
        if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    fs.rmSync(old, { recursive: true, force: true });
    // bin/raptor-roles.js's record of a failed build (of some sources): these built.
    fs.rmSync(path.join(root, "dist.failed"), { force: true });
    return hash;
}

/**
 * The compiler's first error as `file:line: message` (tsc --pretty false prints `file(line,col): error TSnnnn: msg`),
 * or undefined when the output holds none (tsc could not start, say).
 */
function firstError(output) {
    const m = /^(.+?)\((\d+),\d+\): error TS\d+: (.*)$/m.exec(output);
    return m === null ? undefined : `${m[1]}:${m[2]}: ${m[3]}`;
}

/**
 * npm links a dependency's bin into node_modules/.bin, but never the project's own: link it, so that in this
 * checkout `./node_modules/.bin/raptor-roles` (or `raptor-roles`, with node_modules/.bin on PATH) starts in node's
 * time, as it does where raptor-roles is installed as a dependency or globally. `npx` adds npm's own 2-7 s.
 */
function linkBin(root) {
    const bin = path.join(root, "node_modules", ".bin");
    const link = path.join(bin, "raptor-roles");
    if (!fs.existsSync(bin) || fs.existsSync(link)) {
        return;
    }
    try {
        fs.symlinkSync(path.relative(bin, path.join(root, "bin", "raptor-roles.js")), link);
    } catch {
        // A read-only or shared node_modules: bin/raptor-roles.js still works.
    }
}

module.exports = { build, firstError, linkBin };

if (require.main === module) {
    try {
        linkBin(path.join(__dirname, ".."));
        build(path.join(__dirname, ".."));
    } catch (e) {
        process.stderr.write(`bin/build.js: ${e.message}\n`);
        process.exit(1);
    }
}

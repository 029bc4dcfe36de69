#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script, or `npm run build`):
// starting is node's own start plus the one command's modules, with no TypeScript to transpile.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");

/** The first source newer than the build (or the missing build itself), else null. */
function staleBy() {
    let built;
    try {
        built = fs.statSync(path.join(dist, "BUILT")).mtimeMs;
    } catch {
        return "dist/ (not built)";
    }
    const sources = ["program.ts", "config.ts", "policy/config.json"];
    for (const dir of ["cli", "core", "db", "offline", "policy", "components"]) {
        for (const f of fs.readdirSync(path.join(root, dir), { recursive: true })) {
            if (String(f).endsWith(".ts")) {
                sources.push(path.join(dir, String(f)));
            }
        }
    }
    return sources.find((f) => fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs > built) ?? null;
}

const stale = staleBy();
if (stale !== null) {
    process.stderr.write(`raptor-roles: the compiled CLI is older than ${stale}: run npm run build (npm ci runs it)\n`);
    process.exit(1);
}
const { main } = require(path.join(dist, "cli", "main.js"));
main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
}).then(
    (code) => {
        process.exitCode = code;
    },
    (e) => {
        process.stderr.write(`raptor-roles: ${e && e.message ? e.message : e}\n`);
        process.exitCode = 1;
    },
);

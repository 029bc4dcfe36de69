#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`): compiles the CLI to a fresh dist/ with tsc, copies the data
// files the compiled code reads beside itself, and stamps the build so bin/raptor-roles.js can tell
// when a source is newer than what it would run.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
// From scratch: tsc never deletes outputs, and a stale dist/core/verify.js would shadow dist/core/verify/index.js.
fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
const tsc = require.resolve("typescript/bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (r.status !== 0) {
    process.exit(r.status ?? 1);
}
for (const data of ["policy/config.json", "policy/package.json", "cli/python-ast.py"]) {
    fs.copyFileSync(path.join(root, data), path.join(root, "dist", data));
}
fs.writeFileSync(path.join(root, "dist", "BUILT"), `${new Date().toISOString()}\n`);

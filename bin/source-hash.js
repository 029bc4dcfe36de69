// The content hash of what the compiled CLI is built from: every TypeScript source tsc may compile for it and the
// tsconfig files. bin/build.js stamps it into dist/BUILT; bin/raptor-roles.js compares it before running dist/.
// Content, never modification times: git checkout, git pull and editors touch mtimes without changing a byte, and
// data files (policy/config.json, Pulumi.*.yaml) are read from the checkout at run time, so they are not in it.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const SOURCE_DIRS = ["cli", "core", "db", "offline", "policy", "components"];
const SOURCE_FILES = ["program.ts", "config.ts", "tsconfig.json", "tsconfig.build.json"];

function tsFilesUnder(root, dir, out) {
    let entries;
    try {
        entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
        return;
    }
    for (const e of entries) {
        const rel = path.posix.join(dir, e.name);
        if (e.isDirectory() && e.name !== "node_modules") {
            tsFilesUnder(root, rel, out);
        } else if (e.isFile() && e.name.endsWith(".ts")) {
            out.push(rel);
        }
    }
}

/** sha256 over each source's path and bytes, in a fixed order. */
function sourceHash(root) {
    const files = [...SOURCE_FILES];
    for (const dir of SOURCE_DIRS) {
        tsFilesUnder(root, dir, files);
    }
    const h = crypto.createHash("sha256");
    for (const f of files.sort()) {
        let bytes;
        try {
            bytes = fs.readFileSync(path.join(root, f));
        } catch {
            continue;
        }
        h.update(`${f}\0${bytes.length}\0`);
        h.update(bytes);
    }
    return `sha256:${h.digest("hex")}`;
}

/** The hash dist/BUILT records, or undefined when there is no complete build. */
function builtHash(dist) {
    try {
        return JSON.parse(fs.readFileSync(path.join(dist, "BUILT"), "utf8")).sources;
    } catch {
        return undefined;
    }
}

module.exports = { sourceHash, builtHash };

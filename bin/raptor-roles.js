#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script): starting is node's own start plus
// the one command's modules, with no TypeScript to transpile. When the TypeScript sources differ from what dist/
// was built from (by content: bin/source-hash.js), it rebuilds dist/ once, saying so on stderr; if that cannot
// be done (a read-only checkout, a type error, RAPTOR_ROLES_NO_REBUILD=1) it runs the sources through tsx.
"use strict";
const path = require("node:path");
const { builtHash, sourceHash } = require("./source-hash");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");

/** dist/cli/bin.js when dist/ is built from these sources (rebuilt here if not), else undefined. */
function compiled() {
    const sources = sourceHash(root);
    const built = builtHash(dist);
    if (built === sources) {
        return path.join(dist, "cli", "bin.js");
    }
    const why = built === undefined ? "dist/ is not built" : "the sources changed since dist/ was built";
    if (process.env.RAPTOR_ROLES_NO_REBUILD !== "1") {
        process.stderr.write(`raptor-roles: ${why}; rebuilding it once (npm run build)...\n`);
        try {
            require("./build").build(root, { quiet: true });
            return path.join(dist, "cli", "bin.js");
        } catch (e) {
            process.stderr.write(`raptor-roles: the rebuild failed (${String(e.message).split("\n")[0]})\n`);
        }
    }
    process.stderr.write(`raptor-roles: ${why}; running the TypeScript sources (slower; npm run build to fix)\n`);
    return undefined;
}

const entry = compiled();
if (entry !== undefined) {
    require(entry);
} else {
    // tsx's own CLI: main.ts loads each command with import(), which tsx's require hook alone does not cover.
    const { spawnSync } = require("node:child_process");
    const tsx = require.resolve("tsx/cli");
    const r = spawnSync(process.execPath, [tsx, path.join(root, "cli", "bin.ts"), ...process.argv.slice(2)], {
        stdio: "inherit",
    });
    process.exitCode = r.status ?? 1;
}

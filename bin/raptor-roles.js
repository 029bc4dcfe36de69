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

function entry() {
    const sources = sourceHash(root);
    const built = builtHash(dist);
    if (built === sources) {
        return path.join(dist, "cli", "main.js");
    }
    const why = built === undefined ? "dist/ is not built" : "the sources changed since dist/ was built";
    if (process.env.RAPTOR_ROLES_NO_REBUILD !== "1") {
        process.stderr.write(`raptor-roles: ${why}; rebuilding it once (npm run build)...\n`);
        try {
            require("./build").build(root, { quiet: true });
            return path.join(dist, "cli", "main.js");
        } catch (e) {
            process.stderr.write(`raptor-roles: the rebuild failed (${String(e.message).split("\n")[0]})\n`);
        }
    }
    process.stderr.write(`raptor-roles: ${why}; running the TypeScript sources (slower; npm run build to fix)\n`);
    require("tsx/cjs");
    return path.join(root, "cli", "main.ts");
}

const { main } = require(entry());
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

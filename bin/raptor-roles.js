#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script): starting is node's own start plus
// the one command's modules, with no TypeScript to transpile. When the TypeScript sources differ from what dist/
// was built from (by content: bin/source-hash.js), it rebuilds dist/ once, saying so on stderr; if that cannot
// be done (a read-only checkout, a type error, RAPTOR_ROLES_NO_REBUILD=1) it runs the sources through tsx.
// A failed build is tried once per content of the sources: dist.failed records their hash and the compiler's
// first error, so until a source changes every command runs from source at once, with a one-line notice, instead
// of spending ~10 s on the same failing tsc and hiding what it said.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { builtHash, sourceHash } = require("./source-hash");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
const failedMark = path.join(root, "dist.failed");
const say = (line) => process.stderr.write(`raptor-roles: ${line}\n`);

/** The first error of the last failed build when it was of exactly these sources, else undefined. */
function failedBefore(sources) {
    try {
        const mark = JSON.parse(fs.readFileSync(failedMark, "utf8"));
        return mark.sources === sources ? mark.firstError : undefined;
    } catch {
        return undefined;
    }
}

/** Builds dist/ from these sources; on a failure says why once and remembers it. True when dist/ is now built. */
function rebuild(sources, why) {
    say(`${why}; rebuilding it once (npm run build)...`);
    try {
        require("./build").build(root, { quiet: true });
        return true;
    } catch (e) {
        const first = e.firstError ?? String(e.message).split("\n")[0];
        say(`the build failed: ${first}`);
        say("running the TypeScript sources meanwhile (slower); fix that error, then npm run build");
        try {
            fs.writeFileSync(failedMark, `${JSON.stringify({ sources, firstError: first })}\n`);
        } catch {
            // A read-only checkout: it tries again next time, which is all it can do.
        }
        return false;
    }
}

/** dist/cli/bin.js when dist/ is built from these sources (rebuilt here if not), else undefined. */
function compiled() {
    const sources = sourceHash(root);
    const built = builtHash(dist);
    if (built === sources) {
        return path.join(dist, "cli", "bin.js");
    }
    const why = built === undefined ? "dist/ is not built" : "the sources changed since dist/ was built";
    const failed = failedBefore(sources);
    if (failed !== undefined) {
        say(
            `running the TypeScript sources: the build of these sources failed (${failed}); fix it, then npm run build`,
        );
        return undefined;
    }
    if (process.env.RAPTOR_ROLES_NO_REBUILD !== "1") {
        return rebuild(sources, why) ? path.join(dist, "cli", "bin.js") : undefined;
    }
    say(`${why}; running the TypeScript sources (slower; npm run build to fix)`);
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

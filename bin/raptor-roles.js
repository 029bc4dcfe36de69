#!/usr/bin/env node
// The CLI is TypeScript; tsx's require hook runs it directly, so `npx raptor-roles`
// works straight after `npm ci` with no build step to forget.
"use strict";
require("tsx/cjs");
const { main } = require("../cli/main.ts");

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

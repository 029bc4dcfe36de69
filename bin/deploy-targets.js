#!/usr/bin/env node
// deploy.yml's trigger rule, as a script a test can run: which stacks a push from BEFORE to AFTER deploys.
//   node bin/deploy-targets.js BEFORE AFTER   ->   "staging=true|false" and "prod=true|false", one per line
// staging: every push to main that changes anything but prose and the soak marks (raptor:soakEvidence in a stack
// file); a commit that only adds soak marks is no deploy. prod: a push that changes Pulumi.prod.yaml's
// raptor:signoff (the second human act: the signed change, reviewed and merged). Prod by hand is workflow_dispatch.
"use strict";
const { execFileSync } = require("node:child_process");
const { parse } = require("yaml");

const git = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8" });
const PROSE = /\.md$/;

/** A stack file's config without the keys that are not a deploy (the soak marks), or undefined when absent. */
function config(cwd, rev, file) {
    try {
        return parse(git(cwd, "show", `${rev}:${file}`))?.config ?? {};
    } catch {
        return undefined;
    }
}

function targets(before, after, cwd = process.cwd()) {
    const changed = git(cwd, "diff", "--name-only", before, after).split("\n").filter(Boolean);
    let staging = false;
    for (const f of changed) {
        if (PROSE.test(f)) continue;
        if (/^Pulumi\.[^/]+\.yaml$/.test(f)) {
            const [a, b] = [config(cwd, before, f), config(cwd, after, f)];
            const strip = (c) => (c === undefined ? c : { ...c, "raptor:soakEvidence": undefined });
            if (JSON.stringify(strip(a)) === JSON.stringify(strip(b))) continue;
        }
        staging = true;
    }
    const signoff = (rev) => JSON.stringify(config(cwd, rev, "Pulumi.prod.yaml")?.["raptor:signoff"] ?? null);
    const prod = signoff(before) !== signoff(after) && signoff(after) !== "null";
    return { staging, prod };
}

module.exports = { targets };

if (require.main === module) {
    const [before, after] = process.argv.slice(2);
    if (!before || !after) {
        process.stderr.write("usage: node bin/deploy-targets.js BEFORE AFTER\n");
        process.exit(1);
    }
    // A new branch's first push has no BEFORE (all zeros): deploy staging, and prod only by hand.
    const t = /^0+$/.test(before) ? { staging: true, prod: false } : targets(before, after);
    process.stdout.write(`staging=${t.staging}\nprod=${t.prod}\n`);
}

/**
 * One failure, one exit code and one error code, whichever command meets it (issue 30: an unreachable Heroku was
 * exit 1 in check and exit 2 in cutover). A stand-in `heroku` first on PATH fails as the real CLI does when
 * api.heroku.com cannot be resolved; the Pulumi steps are a driver that must not be reached.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkIn } from "../../cli/check";
import { cutoverIn } from "../../cli/cutover";
import { deployIn } from "../../cli/deploy";
import { PulumiDriver } from "../../cli/pulumi-driver";
import { soakIn } from "../../cli/soak";
import { recorder } from "../support/io";

const APP = "raxx-api-staging";
const root = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-same-failure-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const bin = path.join(root, "bin");
fs.mkdirSync(bin);
fs.writeFileSync(
    path.join(bin, "heroku"),
    "#!/bin/sh\necho ' ›   Error: getaddrinfo ENOTFOUND api.heroku.com' >&2\nexit 1\n",
    { mode: 0o755 },
);
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };

const dir = path.join(root, "project");
fs.mkdirSync(dir);
fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: raptor\nruntime: nodejs\n");
fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), `config:\n  raptor:app: ${APP}\n`);
fs.writeFileSync(
    path.join(dir, "Pulumi.prod.yaml"),
    "config:\n  raptor:app: raxx-api-prod\n  raptor:soakStack: organization/raptor/staging\n",
);
const key = path.join(root, "soak-key");
fs.writeFileSync(key, "not read: nothing is signed when the check cannot run\n");

const calls: string[] = [];
const unreached = (step: string) => async () => {
    calls.push(step);
    throw new Error(`pulumi ${step} must not run`);
};
const pulumi: PulumiDriver = {
    getStop: async () => undefined,
    setStop: unreached("setStop"),
    clearStop: unreached("clearStop"),
    setRoleSeparation: unreached("setRoleSeparation"),
    preview: unreached("preview"),
    up: unreached("up"),
};
const now = () => new Date("2026-12-07T12:00:00Z");

type ErrorDoc = { error: { code: string; message: string; fix: string } };

describe("Heroku unreachable: exit 1, code could-not-check, in every command that reads Heroku", () => {
    const runs: Array<[string, (io: ReturnType<typeof recorder>) => Promise<number>, string]> = [
        [
            "check",
            (io) => checkIn(dir, ["--stack", "staging", "--json"], io, { env, now }),
            "the credential check could not run: heroku pg:credentials DATABASE -a raxx-api-staging failed: ",
        ],
        [
            "soak",
            (io) =>
                soakIn(dir, ["--stack", "staging", "--key", key, "--signer", "soak-bot@raxx.app", "--json"], io, {
                    env,
                    now,
                    enabledAt: async () => "2026-12-06T12:00:00Z",
                }),
            "the check could not run everything, so no mark was recorded: the credential check could not run: " +
                "heroku pg:credentials DATABASE -a raxx-api-staging failed: ",
        ],
        [
            "cutover",
            (io) => cutoverIn(dir, ["--stack", "staging", "--watch", "30s", "--json"], io, { env, now, pulumi }),
            "the credential check could not run: heroku pg:credentials DATABASE -a raxx-api-staging failed: ",
        ],
        [
            "deploy",
            (io) => deployIn(dir, ["--stack", "staging", "--json"], io, { env, now, pulumi }),
            "heroku config -a raxx-api-staging --json failed: ",
        ],
    ];

    it.each(runs)("%s", async (command, run, start) => {
        const io = recorder();
        expect(await run(io)).toBe(1);
        const doc = JSON.parse(io.stdout) as ErrorDoc;
        expect(Object.keys(doc)).toEqual(["error"]);
        expect(doc.error.code).toBe("could-not-check");
        expect(doc.error.message.startsWith(start)).toBe(true);
        expect(doc.error.message).toContain("getaddrinfo ENOTFOUND api.heroku.com");
        // A name that does not resolve is told apart from a login refused (cli/heroku-cli.ts herokuFailure).
        expect(doc.error.fix).toContain("check this machine's DNS and network (`getent hosts api.heroku.com`)");
        expect(io.stderr).toBe(`raptor-roles ${command}: ${doc.error.message}\nfix: ${doc.error.fix}\n`);
        expect(calls).toEqual([]);
    });

    it("without --json, check and cutover print the report for people, then the same error", async () => {
        for (const [command, run] of [
            ["check", (io: ReturnType<typeof recorder>) => checkIn(dir, ["--stack", "staging"], io, { env, now })],
            [
                "cutover",
                (io: ReturnType<typeof recorder>) => cutoverIn(dir, ["--stack", "staging"], io, { env, now, pulumi }),
            ],
        ] as const) {
            const io = recorder();
            expect(await run(io)).toBe(1);
            expect(io.stdout).toContain(
                "  [ERR ] credential: heroku pg:credentials DATABASE -a raxx-api-staging failed",
            );
            expect(io.stdout.trimEnd().endsWith("could not check everything (see ERR)")).toBe(true);
            if (command === "check") {
                expect(io.stderr).toBe(""); // the report is the whole answer
            } else {
                expect(io.stderr).toMatch(/^raptor-roles cutover: the credential check could not run: .*\nfix: .+\n$/);
            }
        }
    });
});

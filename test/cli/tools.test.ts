/** A missing pulumi or heroku CLI, told by name with the pinned install; the heroku CLI's error under its notices. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cliError, heroku, herokuFailure, tailLogs } from "../../cli/heroku-cli";
import { PINNED, missingToolIn, otherwise, toolMissing } from "../../cli/tools";

describe("missingToolIn", () => {
    it.each([
        ["spawn pulumi ENOENT", "pulumi"],
        ["code: -2\n stdout: \n stderr: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT", "pulumi"],
        ["spawn heroku ENOENT", "heroku"],
        ["error: no stack named 'staging' found", undefined],
    ])("%j -> %s", (message, tool) => {
        expect(missingToolIn(new Error(message))).toBe(tool);
    });
});

describe("toolMissing", () => {
    it("names the tool and the pinned version's install", () => {
        const e = toolMissing("heroku", "heroku config");
        expect([e.code, e.message, e.fix]).toEqual([
            "tool-missing",
            "cannot run heroku config: the heroku CLI is not on PATH",
            "install heroku 11.10.0: npm install -g heroku@11.10.0; `heroku --version` then shows 11.10.0",
        ]);
        expect(toolMissing("pulumi", "pulumi stack select prod").fix).toBe(
            "install pulumi 3.248.0: curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0 and " +
                'export PATH="$HOME/.pulumi/bin:$PATH"; `pulumi version` then shows 3.248.0',
        );
    });

    it("pins what package.json pins", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
            devDependencies: Record<string, string>;
        };
        expect(pkg.devDependencies.heroku).toBe(PINNED.heroku.version);
        expect(pkg.dependencies["@pulumi/pulumi"]).toBe(`~${PINNED.pulumi.version.replace(/\.\d+$/, ".0")}`);
    });
});

describe("the heroku CLI not on PATH", () => {
    it("a call rejects with tool-missing; the log tail ends saying so instead of ending the process", async () => {
        const env = { PATH: "/nonexistent" };
        await expect(heroku(["config", "-a", "a1"], env)).rejects.toMatchObject({
            code: "tool-missing",
            message: "cannot run heroku config: the heroku CLI is not on PATH",
        });
        await expect(tailLogs("a1", env, () => undefined).exited).resolves.toEqual({
            code: -1,
            stderr: "Error: cannot run heroku logs: the heroku CLI is not on PATH\n",
        });
    });
});

describe("otherwise: the fix of a failure no code names", () => {
    it("keeps a failure's own fix, points a pulumi step at running it by hand, and says when it is unknown", () => {
        expect(otherwise(Object.assign(new Error("x"), { fix: "do y" }), "soak", "staging")).toEqual({
            code: "failed",
            fix: "do y",
        });
        expect(otherwise(new Error("pulumi stack select prod failed: error: no stack"), "cutover", "prod")).toEqual({
            code: "failed",
            fix:
                "run `pulumi stack select prod` by hand for pulumi's whole output; `pulumi whoami` and `pulumi " +
                "stack ls` show the login and the stacks; then run raptor-roles cutover again",
        });
        expect(otherwise(new Error("boom"), "check", "staging").fix).toBe(
            "raptor-roles does not know this failure: run `raptor-roles check --stack staging` again, and if it " +
                "repeats, report it (the command line and this message; neither holds a secret)",
        );
    });
});

describe("the heroku CLI's error, never its notices", () => {
    // What heroku 11.10.0 prints on a first run (a fresh HOME) with HEROKU_HOST on a name that does not resolve.
    const firstRun = {
        code: 1,
        stdout: "",
        stderr:
            " ›   Warning: Our terms of service have changed: \n ›   https://dashboard.heroku.com/terms-of-service\n" +
            "    Error: getaddrinfo ENOTFOUND localhost.invalid\n    Code: ENOTFOUND\n",
    };

    it("cliError takes the Error: line, not the terms-of-service notice", () => {
        expect(cliError(firstRun)).toBe("Error: getaddrinfo ENOTFOUND localhost.invalid (exit 1)");
    });

    it("herokuFailure tells DNS, refused, login and app apart", () => {
        expect(herokuFailure(firstRun, "heroku config -a a1 --json", "a1")).toEqual({
            detail:
                "heroku config -a a1 --json failed: the Heroku API host localhost.invalid does not resolve " +
                "(ENOTFOUND): Error: getaddrinfo ENOTFOUND localhost.invalid (exit 1)",
            fix:
                "check this machine's DNS and network (`getent hosts localhost.invalid`); HEROKU_HOST, when set, " +
                "must name the API host (unset it for api.heroku.com)",
        });
        const refused = { code: 1, stdout: "", stderr: "    Error: connect ECONNREFUSED 127.0.0.1:9\n" };
        expect(herokuFailure(refused, "heroku logs -a a1", "a1").fix).toBe(
            "check the network, a proxy (HTTPS_PROXY) and HEROKU_HOST, when set (unset it for api.heroku.com)",
        );
        const login = { code: 1, stdout: "", stderr: " ›   Error: Invalid credentials provided.\n" };
        expect(herokuFailure(login, "heroku logs -a a1", "a1").fix).toBe(
            'log in: export HEROKU_API_KEY="$(heroku auth:token)" (or `heroku login`); `heroku auth:whoami` checks it',
        );
        const app = { code: 1, stdout: "", stderr: " ›   Error: Couldn't find that app.\n ›   Error ID: not_found\n" };
        expect(herokuFailure(app, "heroku logs -a a1", "a1")).toEqual({
            detail: "heroku logs -a a1 failed: Error: Couldn't find that app. (exit 1)",
            fix: "check raptor:app (a1) in the stack file: `heroku apps` lists the apps you can reach",
        });
    });
});

/** cli/contract.ts: the one contract every command keeps (docs/operating.md, "The command contract"). */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CliError, ERROR_CODES, UsageError, asCliError, reportError, wantsJson } from "../../cli/contract";
import { ProjectDirError } from "../../offline/project";
import { StackConfigError, StackFileError } from "../../offline/stack-file";
import { recorder } from "../support/io";

describe("wantsJson", () => {
    it.each([
        [["--stack", "prod", "--json"], true],
        [["--format", "json"], true],
        [["--format=json"], true],
        [["--format", "markdown"], false],
        [["--stack", "json"], false],
    ])("%j -> %s", (argv, want) => {
        expect(wantsJson(argv)).toBe(want);
    });
});

describe("asCliError", () => {
    it("keeps a known error's own fix and gives it a stable code", () => {
        const e = asCliError(new StackFileError("no stack file /x/Pulumi.qa.yaml", "use --stack staging"), "plan");
        expect(e).toMatchObject({
            code: "stack-file",
            message: "no stack file /x/Pulumi.qa.yaml",
            fix: "use --stack staging",
        });
    });

    it("an unknown error is internal, and says it is a bug", () => {
        const e = asCliError(new TypeError("x is undefined"), "plan");
        expect(e).toMatchObject({ code: "internal", message: "unexpected error: x is undefined" });
        expect(e.fix).toContain("this is a bug in raptor-roles");
    });

    it("a CliError passes through unchanged", () => {
        const e = new UsageError("--stack is required", "raptor-roles plan --stack staging");
        expect(asCliError(e, "plan")).toBe(e);
    });
});

describe("reportError", () => {
    it("writes the message and the fix to stderr, and with --json the error document to stdout; returns 1", () => {
        const io = recorder();
        expect(reportError(io, "sql", new CliError("stack-file", "no stack file", "use --stack staging"), true)).toBe(
            1,
        );
        expect(io.stderr).toBe("raptor-roles sql: no stack file\nfix: use --stack staging\n");
        expect(JSON.parse(io.stdout)).toEqual({
            error: { code: "stack-file", message: "no stack file", fix: "use --stack staging" },
        });
    });

    it("writes nothing to stdout without --json", () => {
        const io = recorder();
        reportError(io, "sql", new CliError("stack-file", "no stack file", "use --stack staging"), false);
        expect(io.stdout).toBe("");
    });
});

describe("docs/operating.md's list of error codes", () => {
    it("is ERROR_CODES, line for line: every code the CLI can print, and no other", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "operating.md"), "utf8");
        const list = /<!-- error-codes:begin -->\n([\s\S]*?)\n *<!-- error-codes:end -->/.exec(doc);
        expect(list, "docs/operating.md has no <!-- error-codes:begin --> ... end block").not.toBeNull();
        expect(list![1].split("\n")).toEqual(
            Object.entries(ERROR_CODES).map(([code, meaning]) => `  - \`${code}\`: ${meaning}`),
        );
    });

    it("the codes the errors map to are in it", () => {
        expect(asCliError(new StackConfigError("x", "y"), "plan").code).toBe("config");
        expect(asCliError(new ProjectDirError("/tmp/x"), "plan").code).toBe("no-project");
        expect(asCliError(Object.assign(new Error("m"), { code: "python-missing", fix: "f" }), "lint").code).toBe(
            "python-missing",
        );
        expect(asCliError(Object.assign(new Error("m"), { code: "ENOENT" }), "plan").code).toBe("internal");
    });
});

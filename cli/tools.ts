/**
 * The two programs soak, cutover, deploy and check run, `pulumi` and `heroku`: when one is not on PATH the operator
 * is told which, and how to install the version this project pins, instead of the Automation API's raw output
 * ("code: -2 stdout: stderr: Command failed with ENOENT: pulumi version ...") or a bare "spawn heroku ENOENT".
 */
import { CliError, ErrorCode } from "./contract";

export type Tool = "pulumi" | "heroku";

/** The pinned versions (package.json's @pulumi/pulumi ~3.248 and the heroku CLI in devDependencies). */
export const PINNED: Readonly<Record<Tool, { readonly version: string; readonly install: string }>> = {
    pulumi: { version: "3.248.0", install: "curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0" },
    heroku: { version: "11.10.0", install: "npm install -g heroku@11.10.0" },
};

/** The tool a failure says could not be started (ENOENT on spawning it), if any. */
export function missingToolIn(e: unknown): Tool | undefined {
    const err = e as { code?: unknown; message?: unknown; path?: unknown };
    const text = `${String(err?.message ?? e)} ${String(err?.path ?? "")}`;
    for (const tool of ["pulumi", "heroku"] as const) {
        if (
            new RegExp(`(spawn ${tool} ENOENT|ENOENT: ${tool}\\b)`).test(text) ||
            (err?.code === "ENOENT" && err?.path === tool)
        ) {
            return tool;
        }
    }
    return undefined;
}

/** The error for a tool that is not on PATH: code tool-missing, and the command that installs the pinned version. */
export function toolMissing(tool: Tool, doing: string): CliError {
    const { version, install } = PINNED[tool];
    const check = tool === "pulumi" ? "pulumi version" : "heroku --version";
    const path = tool === "pulumi" ? ' and export PATH="$HOME/.pulumi/bin:$PATH"' : "";
    return new CliError(
        "tool-missing",
        `cannot run ${doing}: the ${tool} CLI is not on PATH`,
        `install ${tool} ${version}: ${install}${path}; \`${check}\` then shows ${version}`,
    );
}

/** A failure as toolMissing's error when it is one, else unchanged. */
export function withMissingTool(e: unknown, doing: string): unknown {
    const tool = missingToolIn(e);
    return tool === undefined ? e : toolMissing(tool, doing);
}

/**
 * The `otherwise` of soak, cutover, deploy and check (cli/contract.ts's failure): a failure that carries its own
 * fix (a heroku call, a connection) keeps it under `code`; a pulumi step's points at running it by hand; anything
 * else is one raptor-roles does not know, and says so, instead of "fix what the message names".
 */
export function otherwise(e: unknown, command: string, stack: string | undefined): { code: ErrorCode; fix: string } {
    const code = "failed";
    const own = (e as { fix?: unknown }).fix;
    if (typeof own === "string" && own !== "") {
        return { code, fix: own };
    }
    const message = e instanceof Error ? e.message : String(e);
    const step = /^(pulumi [^:]*?) failed: /.exec(message)?.[1];
    if (step !== undefined) {
        return {
            code,
            fix:
                `run \`${step}\` by hand for pulumi's whole output; \`pulumi whoami\` and \`pulumi stack ls\` show ` +
                `the login and the stacks; then run raptor-roles ${command} again`,
        };
    }
    const again = `raptor-roles ${command}${stack === undefined ? "" : ` --stack ${stack}`}`;
    return {
        code,
        fix:
            `raptor-roles does not know this failure: run \`${again}\` again, and if it repeats, report it (the ` +
            "command line and this message; neither holds a secret)",
    };
}

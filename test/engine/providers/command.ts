/**
 * A model of pulumi-resource-command 1.2.1 (`local:Command` and the `command:local:run` invoke), served to the
 * real engine as the plugin `pulumi-resource-command`. Behaviour taken from pulumi/pulumi-command's
 * provider/pkg/provider/local/: commandController.go (Create runs `create`; Update runs `update`, else `create`,
 * keeping the previous outputs; Delete runs `delete`; nothing runs in a preview), commandOutputs.go `run`
 * (interpreter default /bin/sh -c; the provider's environment plus `environment`; PULUMI_COMMAND_STDOUT/STDERR
 * from the previous outputs unless addPreviousOutputInEnv is false; stdout/stderr with one trailing newline
 * trimmed; a failure says `exit status N: running "<command>":` and the combined output), command.go
 * (`triggers` is replaceOnChanges), logging.go (`logging` chooses what is logged; default stdoutAndStderr).
 * Every output depends on every input (commandController.go, WireDependencies): a secret input makes
 * stdout/stderr secret. The real provider logs through the engine; this one writes the same lines to its own
 * stderr, which the engine shows as the plugin's output.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type * as provider from "@pulumi/pulumi/provider";
import { Props, hasSecret, hasUnknown, plain, secret, serve, urnName } from "./serve";

/** The inputs of local:Command and command:local:run that this model reads (command.go, run.go). */
const INPUTS = [
    "create",
    "update",
    "delete",
    "dir",
    "environment",
    "interpreter",
    "triggers",
    "addPreviousOutputInEnv",
    "logging",
    "stdin",
    "assetPaths",
    "archivePaths",
];

interface Ran {
    stdout: string;
    stderr: string;
}

/** Runs one script as commandOutputs.go's `run` does; rejects with its error text on a non-zero exit. */
export function run(command: string, args: Props, previous?: Ran): Promise<Ran> {
    const a = plain(args) as {
        interpreter?: string[];
        dir?: string;
        environment?: Record<string, string>;
        stdin?: string;
        addPreviousOutputInEnv?: boolean;
        logging?: string;
    };
    const argv = a.interpreter && a.interpreter.length > 0 ? [...a.interpreter, command] : ["/bin/sh", "-c", command];
    const env: NodeJS.ProcessEnv = { ...process.env, ...a.environment };
    if (previous && a.addPreviousOutputInEnv !== false) {
        if (previous.stdout !== "") {
            env.PULUMI_COMMAND_STDOUT = previous.stdout;
        }
        if (previous.stderr !== "") {
            env.PULUMI_COMMAND_STDERR = previous.stderr;
        }
    }
    const logging = a.logging ?? "stdoutAndStderr";
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), {
            cwd: a.dir ?? process.cwd(),
            env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let both = "";
        const log = (stream: "stdout" | "stderr", d: Buffer) => {
            if (logging === "stdoutAndStderr" || logging === stream) {
                process.stderr.write(d);
            }
        };
        child.stdout.on("data", (d: Buffer) => ((stdout += d), (both += d), log("stdout", d)));
        child.stderr.on("data", (d: Buffer) => ((stderr += d), (both += d), log("stderr", d)));
        child.stdin.end(a.stdin ?? "");
        child.on("error", reject);
        child.on("close", (code, signal) => {
            if (code === 0) {
                resolve({ stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") });
            } else {
                const status = signal ? `signal: ${signal}` : `exit status ${code}`;
                reject(new Error(`${status}: running ${JSON.stringify(command)}:\n${both}`));
            }
        });
    });
}

function outputs(inputs: Props, ran: Ran): Props {
    const wrap = (s: string) => (hasSecret(inputs) ? secret(s) : s);
    return { ...inputs, stdout: wrap(ran.stdout), stderr: wrap(ran.stderr) };
}

function previousOf(olds: Props): Ran {
    return { stdout: String(plain(olds.stdout) ?? ""), stderr: String(plain(olds.stderr) ?? "") };
}

const differs = (a: unknown, b: unknown) => hasUnknown(b) || JSON.stringify(plain(a)) !== JSON.stringify(plain(b));

export const commandProvider: provider.Provider = {
    version: "1.2.1",
    async diff(_id, _urn, olds: Props, news: Props) {
        const changed = INPUTS.filter((k) => differs(olds[k], news[k]));
        return { changes: changed.length > 0, replaces: changed.filter((k) => k === "triggers") };
    },
    async create(urn, inputs: Props) {
        const id = `${urnName(urn)}${randomBytes(4).toString("hex")}`;
        const script = plain(inputs.create) as string | undefined;
        const ran = script === undefined ? { stdout: "", stderr: "" } : await run(script, inputs);
        return { id, outs: outputs(inputs, ran) };
    },
    async update(_id, _urn, olds: Props, news: Props) {
        const script = (plain(news.update) ?? plain(news.create)) as string | undefined;
        const previous = previousOf(olds);
        const ran = script === undefined ? previous : await run(script, news, previous);
        return { outs: outputs(news, ran) };
    },
    async delete(_id, _urn, props: Props) {
        const script = plain(props.delete) as string | undefined;
        if (script !== undefined) {
            await run(script, props, previousOf(props));
        }
    },
    async invoke(token, args: Props) {
        if (token !== "command:local:run") {
            throw new Error(`this model of pulumi-resource-command has no function ${token}`);
        }
        const ran = await run(plain(args.command) as string, args);
        return { outputs: outputs(args, ran) };
    },
};

if (require.main === module) {
    void serve(commandProvider);
}

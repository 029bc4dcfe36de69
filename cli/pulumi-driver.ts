/**
 * The Pulumi steps of `cutover`, through the Automation API (`@pulumi/pulumi/automation`), as the README runs
 * them: `pulumi config set raptor:roleSeparation BOOL`, `pulumi preview` and `pulumi up`, each with
 * `--policy-pack policy --policy-pack-config policy/config.json`. The preview is a step of its own because the
 * Automation API's `up` always passes `--skip-preview` (automation/stack.ts), and a stack policy
 * (soak-before-prod) then runs only after the flag is set. test/cli injects a driver of its own; test/engine runs
 * this one on the real engine.
 */
import * as path from "node:path";
import { STOP_TAG, StopRecord, clearedTagValue, parseStopTag, stopTagValue } from "../core/deploy/stop";
import { missingToolIn, toolMissing } from "./tools";

export interface PulumiDriver {
    setRoleSeparation(stack: string, on: boolean): Promise<void>;
    /** The sticky stop (core/deploy/stop.ts), a stack tag in the backend: read, record, clear. */
    getStop(stack: string): Promise<StopRecord | undefined>;
    setStop(stack: string, stop: StopRecord): Promise<void>;
    clearStop(stack: string): Promise<void>;
    /** Rejects when the preview fails, a mandatory policy violation included; changes nothing. */
    preview(stack: string): Promise<void>;
    up(stack: string): Promise<void>;
}

/** Where the Automation API finds pulumi and its state; the defaults are the README's (`pulumi` on PATH). */
export interface AutomationOptions {
    /** Each run's output (default: this process's stderr, so the operator sees the update). */
    readonly onOutput?: (s: string) => void;
    /** More environment for every pulumi run, over this process's (e.g. PULUMI_HOME, PULUMI_BACKEND_URL). */
    readonly envVars?: Readonly<Record<string, string>>;
    /** An install root holding bin/pulumi, instead of the pulumi on PATH. */
    readonly pulumiRoot?: string;
    /** The policy pack and its config; default `policy` and `policy/config.json` under the project. */
    readonly policyPack?: string;
    readonly policyPackConfig?: string;
}

/**
 * The Automation API's CommandError message is the whole run ("code: 1\n stdout: ...\n stderr: ...\n err?: ..."),
 * its warnings included: what the operator needs is each mandatory policy violation and the CLI's own `error:`
 * lines, once each. The CLI prints a violation as `[mandatory]  NAME  (TYPE: NAME)`, then the policy's
 * description, then the violation's message (pulumi v3.248 backend/display/diff.go renderDiffPolicyViolationEvent;
 * the analyzer joins description and message with a newline): the message says what was found and the fix.
 */
export function pulumiFailure(what: string, e: unknown): Error {
    const text = e instanceof Error ? e.message : String(e);
    const lines = text.split("\n").map((l) => l.replace(/^\s*(stdout|stderr): /, "").trim());
    const found: string[] = [];
    lines.forEach((l, i) => {
        const policy = /\[mandatory\](?: \[severity: \w+\])?\s+([\w-]+)/.exec(l)?.[1];
        if (policy !== undefined) {
            const [description = "", message = ""] = lines.slice(i + 1, i + 3);
            const said = message === "" || /\[(mandatory|advisory)\]/.test(message) ? description : message;
            found.push(`mandatory policy ${policy}: ${said}`);
        } else if (l.startsWith("error: ")) {
            found.push(l);
        }
    });
    const unique = [...new Set(found)];
    const why = unique.length > 0 ? unique.join("; ") : (lines.find((l) => l !== "") ?? "no output");
    return new Error(`${what} failed: ${why}`);
}

export function automationDriver(dir: string, opts: AutomationOptions = {}): PulumiDriver {
    const onOutput = opts.onOutput ?? ((s: string) => process.stderr.write(s));
    const select = async (stack: string) => {
        const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
        const pulumiCommand =
            opts.pulumiRoot === undefined ? undefined : await PulumiCommand.get({ root: opts.pulumiRoot });
        // Refresh with the owner URL the program reads now (README, Configuration): Heroku rotates it.
        const envVars = { ...opts.envVars, PULUMI_RUN_PROGRAM: "true" };
        try {
            return await LocalWorkspace.selectStack({ stackName: stack, workDir: dir }, { envVars, pulumiCommand });
        } catch (e) {
            // Without pulumi on PATH the Automation API's error is its whole raw run ("code: -2 stdout: ...").
            throw missingToolIn(e) === "pulumi"
                ? toolMissing("pulumi", `pulumi stack select ${stack}`)
                : pulumiFailure(`pulumi stack select ${stack}`, e);
        }
    };
    const gate = {
        policyPacks: [opts.policyPack ?? path.join(dir, "policy")],
        policyPackConfigs: [opts.policyPackConfig ?? path.join(dir, "policy", "config.json")],
    };
    return {
        async setRoleSeparation(stack, on) {
            try {
                await (await select(stack)).setConfig("raptor:roleSeparation", { value: String(on) });
            } catch (e) {
                throw pulumiFailure(`pulumi config set raptor:roleSeparation ${on} -s ${stack}`, e);
            }
        },
        async getStop(stack) {
            const ws = (await select(stack)).workspace;
            const tags = await ws.listTags(stack).catch((e: unknown) => {
                throw pulumiFailure(`pulumi stack tag ls -s ${stack}`, e);
            });
            const value = tags[STOP_TAG];
            return value === undefined ? undefined : parseStopTag(value);
        },
        async setStop(stack, stop) {
            try {
                await (await select(stack)).workspace.setTag(stack, STOP_TAG, stopTagValue(stop));
            } catch (e) {
                throw pulumiFailure(`pulumi stack tag set ${STOP_TAG} -s ${stack}`, e);
            }
        },
        async clearStop(stack) {
            const by = process.env.GITHUB_ACTOR ?? process.env.USER ?? "unknown";
            try {
                const ws = (await select(stack)).workspace;
                await ws.setTag(stack, STOP_TAG, clearedTagValue(new Date().toISOString(), by));
            } catch (e) {
                throw pulumiFailure(`pulumi stack tag set ${STOP_TAG} -s ${stack}`, e);
            }
        },
        async preview(stack) {
            try {
                await (await select(stack)).preview({ ...gate, onOutput });
            } catch (e) {
                throw pulumiFailure(`pulumi preview -s ${stack}`, e);
            }
        },
        async up(stack) {
            try {
                await (await select(stack)).up({ ...gate, onOutput });
            } catch (e) {
                throw pulumiFailure(`pulumi up -s ${stack}`, e);
            }
        },
    };
}

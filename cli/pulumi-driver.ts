/**
 * The Pulumi steps of `cutover`, through the Automation API (`@pulumi/pulumi/automation`), as the README runs
 * them: `pulumi config set raptor:roleSeparation BOOL` and `pulumi up --policy-pack policy
 * --policy-pack-config policy/config.json`. Tests inject a driver of their own.
 */
import * as path from "node:path";

export interface PulumiDriver {
    setRoleSeparation(stack: string, on: boolean): Promise<void>;
    up(stack: string): Promise<void>;
}

export function automationDriver(dir: string, onOutput: (s: string) => void = (s) => process.stderr.write(s)) {
    const select = async (stack: string) => {
        const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
        // Refresh with the owner URL the program reads now (README, Configuration): Heroku rotates it.
        return LocalWorkspace.selectStack(
            { stackName: stack, workDir: dir },
            { envVars: { PULUMI_RUN_PROGRAM: "true" } },
        );
    };
    const driver: PulumiDriver = {
        async setRoleSeparation(stack, on) {
            await (await select(stack)).setConfig("raptor:roleSeparation", { value: String(on) });
        },
        async up(stack) {
            await (
                await select(stack)
            ).up({
                policyPacks: [path.join(dir, "policy")],
                policyPackConfigs: [path.join(dir, "policy", "config.json")],
                onOutput,
            });
        },
    };
    return driver;
}

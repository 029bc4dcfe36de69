/**
 * Runs the scripts of the command resources the program declares, for real,
 * through their own interpreter and environment, against the fake heroku:
 * what the engine's command provider would do, minus the engine.
 */
import { spawnSync } from "node:child_process";
import { Recorded, Scenario, runProgram } from "./mocks";
import { FakeHeroku, ScriptResult } from "./fake-heroku";
import { Step, stepOf } from "../../core/resources";

/** Fast retries and polls for tests; the scripts read these from the environment. */
export const FAST = { RAPTOR_RETRY_SECONDS: "0", POLL_SECONDS: "0" };

export type Phase = "create" | "update" | "delete";

export async function declaredSteps(s: Scenario): Promise<Partial<Record<Step, Recorded>>> {
    const { resources, error } = await runProgram(s);
    if (error) {
        throw error;
    }
    const steps: Partial<Record<Step, Recorded>> = {};
    for (const r of resources) {
        const step = stepOf(r);
        if (step) {
            steps[step] = r;
        }
    }
    return steps;
}

/** Runs one phase of a command resource. `env` overrides the declared environment (e.g. VAR_VALUE). */
export function runPhase(fake: FakeHeroku, r: Recorded, phase: Phase, env: Record<string, string> = {}): ScriptResult {
    const script = r.props[phase] as string | undefined;
    if (script === undefined) {
        throw new Error(`${r.name} declares no ${phase} script`);
    }
    const [bin, ...args] = r.props.interpreter as string[];
    const declared = Object.fromEntries(Object.entries((r.props.environment ?? {}) as Record<string, string>));
    const out = spawnSync(bin, [...args, script], {
        env: { ...fake.env, ...declared, ...FAST, ...env },
        encoding: "utf8",
        input: "",
        timeout: 60_000,
    });
    if (out.error) {
        throw out.error;
    }
    return { code: out.status ?? -1, signal: out.signal, stdout: out.stdout, stderr: out.stderr };
}

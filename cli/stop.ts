/**
 * `raptor-roles stop --stack NAME [--reason TEXT] [--json]`: the emergency stop by hand, the runbook's fastest
 * path (`heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=0`: the app restarts on DATABASE_URL), then the record of
 * it in the stack's backend (stack tag raptor:stopped, core/deploy/stop.ts), the same record a tripped cutover or
 * deploy leaves. The record is what keeps the stop stopped: the stack file in git still says true until a pull
 * request says otherwise, and without the record the next merge's deploy would turn the flag on again. Nothing
 * gates it: no preview, no policy pack, no check; the flag first, the record second.
 */
import { describeStop } from "../core/deploy/stop";
import { FLAG_VAR } from "../core/settings";
import { projectDir, stackSettings } from "../offline/stack-file";
import { parse } from "./args";
import { CliError, failure, reportError, usage, UsageError } from "./contract";
import { CutoverDeps, actor, emergencyStop } from "./cutover";
import { Io, Subcommand } from "./io";
import { automationDriver } from "./pulumi-driver";
import { withMissingTool } from "./tools";

export const STOP_HELP = `usage: raptor-roles stop --stack NAME [--reason TEXT] [--json]

The emergency stop by hand: heroku config:set ${FLAG_VAR}=0 on the stack's app (the app
restarts on DATABASE_URL, the owner), tried 3 times, then the stop is recorded in the stack's backend (stack
tag raptor:stopped: when, why, by whom). Until a person runs raptor-roles deploy --stack NAME --resume, no
deploy or cutover turns the flag on again, whatever Pulumi.NAME.yaml says. Nothing gates the stop: no preview,
no policy pack, no check.
Options:
  --stack NAME    the stack (required): Pulumi.<NAME>.yaml gives the app
  --reason TEXT   why, for the record (default "stopped by hand")
  --json          {result, stack, app, stop} on success; the error document otherwise
Needs: the heroku CLI with HEROKU_API_KEY (or its netrc login); pulumi logged in to the stack's backend.
Exit status: 0 the flag is 0 and the stop is recorded; 1 the flag could not be set (unchanged), or it is 0 but
the record failed (the error says which, and the command that records it by hand).
`;

export async function stopIn(dir: string, argv: string[], io: Io, deps: CutoverDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    try {
        ({ values } = parse(
            argv,
            { stack: { type: "string" }, reason: { type: "string" }, json: { type: "boolean" } },
            "stop",
        ));
        if (!values.help && !values.stack) {
            throw new UsageError("--stack is required", "e.g. raptor-roles stop --stack staging --reason 'p95 up'");
        }
    } catch (e) {
        return reportError(io, "stop", usage(e, "stop"), json);
    }
    if (values.help || values.stack === undefined) {
        io.out(STOP_HELP);
        return 0;
    }
    const stack = values.stack;
    try {
        const { app } = stackSettings(stack, dir);
        const stopped = await emergencyStop({ app, deps });
        if (stopped.at === undefined) {
            throw new CliError(
                "heroku",
                `heroku config:set ${FLAG_VAR}=0 -a ${app} failed 3 times: ${stopped.error}; the flag is unchanged`,
                `run it by hand: heroku config:set ${FLAG_VAR}=0 -a ${app}, then raptor-roles stop --stack ${stack}`,
            );
        }
        const stop = {
            at: stopped.at.toISOString(),
            why: values.reason ?? "stopped by hand",
            by: `${actor(deps.env)} via raptor-roles stop`,
        };
        await deps.pulumi.setStop(stack, stop).catch((e: unknown) => {
            throw new CliError(
                "stop-record",
                `the flag IS 0 on ${app}, but the stop was not recorded: ${(e as Error).message.split("\n")[0]}; ` +
                    "the next deploy could turn the flag on again",
                `log in to the stack's backend (pulumi whoami) and run raptor-roles stop --stack ${stack} again`,
            );
        });
        io.out(
            json
                ? `${JSON.stringify({ result: "stopped", stack, app, stop }, null, 2)}\n`
                : `Flag 0 on ${app}: ${describeStop(stop)}.\n` +
                      `No deploy turns it on again until raptor-roles deploy --stack ${stack} --resume. To make it ` +
                      `the stack's own state, merge raptor:roleSeparation false (pulumi config set ` +
                      `raptor:roleSeparation false -s ${stack}) in a pull request.\n`,
        );
        return 0;
    } catch (e) {
        // No heroku on PATH is tool-missing with the pinned install, as in every command that drives the CLI.
        const err = withMissingTool(e, "raptor-roles stop");
        return failure(io, json, "stop", err, {
            code: "failed",
            fix: `set the flag by hand: heroku config:set ${FLAG_VAR}=0 -a <app>, then run stop again to record it`,
        });
    }
}

export const stop: Subcommand = (argv, io) =>
    stopIn(projectDir(), argv, io, { env: process.env, now: () => new Date(), pulumi: automationDriver(projectDir()) });

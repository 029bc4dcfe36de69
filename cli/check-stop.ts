/**
 * check's `stop` finding: the sticky stop (stack tag raptor:stopped, core/deploy/stop.ts) against the stack file. A
 * stack that is stopped while Pulumi.<stack>.yaml says raptor:roleSeparation true is the state a tripped deploy
 * leaves when its commit of `false` never lands (no workflow pushes to main): the flag is 0 and deploys are refused,
 * so the stack neither runs as the role nor soaks until a person resumes or merges `false`.
 */
import { Finding } from "../core/check/report";
import { StopRecord, describeStop } from "../core/deploy/stop";

/** Reads the stack's stop record; rejects when the backend cannot be read. */
export type StopReader = (stack: string) => Promise<StopRecord | undefined>;

export async function stopFinding(stack: string, configSaysOn: boolean, read: StopReader): Promise<Finding> {
    let stop: StopRecord | undefined;
    try {
        stop = await read(stack);
    } catch (e) {
        const why = (e as Error).message.split("\n")[0];
        return {
            check: "stop",
            status: "skipped",
            detail: `the stack's backend was not read (${why}), so a recorded emergency stop is unknown`,
        };
    }
    if (stop === undefined) {
        return { check: "stop", status: "ok", detail: "no emergency stop recorded (stack tag raptor:stopped)" };
    }
    if (!configSaysOn) {
        return {
            check: "stop",
            status: "ok",
            detail: `${describeStop(stop)}; raptor:roleSeparation false in Pulumi.${stack}.yaml agrees`,
        };
    }
    return {
        check: "stop",
        status: "unhealthy",
        detail:
            `stack ${stack} was ${describeStop(stop)}, but Pulumi.${stack}.yaml says raptor:roleSeparation true: ` +
            "the flag stays 0 and every deploy that would turn it on is refused",
        fix:
            `fix the cause (the reason above), then raptor-roles deploy --stack ${stack} --resume; or, to keep it ` +
            `off, merge raptor:roleSeparation false (pulumi config set raptor:roleSeparation false -s ${stack})`,
    };
}

/**
 * `raptor-roles soak --stack staging --key PATH --signer NAME [--into STACK] [--marks DIR] [--json]`: records one soak
 * mark, the `check` result at this moment, bound to the soak stack's current roleSeparationEnabledAt (read
 * with the Automation API, `stack.outputs()`), signed with `ssh-keygen -Y sign -n raptor-soak` and chained to
 * the mark before it (core/soak-marks.ts). The mark is for every stack whose raptor:soakStack names this one (prod),
 * whose soak-before-prod policy reads it: in the soak-marks store with --marks (cli/soak-store.ts: the soak workflow's
 * branch, so that no workflow pushes to main), else in raptor:soakEvidence of their stack files. Its log window starts
 * at the previous complete mark of the same enable time (or the enable time), so the marks together cover the soak,
 * and a stretch an incomplete mark left open is read again by the next mark's Sentry query.
 * The mark records what the logs and Sentry read (their coverage): it is complete only when one of them read its
 * whole window. Exit 0: a clean, complete mark; 2: an unhealthy or an incomplete mark (recorded either way; the
 * message names what was seen or the gap and how to close it); 1: no mark (the check could not run, or bad input).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    ERROR_SOURCES,
    MarkCoverage,
    SOAK_NAMESPACE,
    SoakEvidence,
    SoakMark,
    isComplete,
    markDigest,
    markMessage,
    parseEvidence,
    windowReadBy,
} from "../core/soak-marks";
import { CheckReport, exitCodeOf, renderCheck } from "../core/check/report";
import { projectDir, readStackFile } from "../offline/stack-file";
import { parse } from "./args";
import { CliError, failure, reportError, usage, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { couldNotCheck, runCheck } from "./check";
import { missingToolIn, otherwise, toolMissing, withMissingTool } from "./tools";
import { pulumiFailure } from "./pulumi-driver";
import { MARKS_BRANCH, readMarks, writeEvidence, writeMarks } from "./soak-store";

export const SOAK_HELP = `usage: raptor-roles soak --stack NAME --key PATH --signer NAME [--into STACK] [--marks DIR]
                           [--json]

Runs \`raptor-roles check --stack NAME\` and records the result as a signed soak mark, bound to the
stack's current roleSeparationEnabledAt, for the stack(s) whose raptor:soakStack names NAME (prod): in
DIR/<stack>.json with --marks DIR (the soak workflow's checkout of branch raptor-soak-marks, which it
pushes; no commit to main), else in raptor:soakEvidence of their stack files. A mark is clean only when
nothing unhealthy was seen AND the logs or Sentry read its whole window (since the previous complete
mark); Heroku keeps only the last 1,500 log lines. Prod's soak-before-prod policy needs clean, complete
marks whose windows chain from the enable time to now, one at 24, 48 and 72 h, and no unhealthy mark; the
soak workflow runs this every hour.
Options:
  --stack NAME    the soak stack (staging)
  --key PATH      the SSH key to sign with (a private key, or a .pub whose key is in ssh-agent)
  --signer NAME   the principal soak-before-prod.markSigners lists for that key (e.g. soak-bot@raxx.app)
  --into STACK    the stack to record for (default: every stack whose raptor:soakStack ends in /NAME)
  --marks DIR     the soak-marks store: read the chain from and write the mark to DIR/<into>.json
  --json          {mark, into, report, gap}; a failure is {"error": {code, message, fix}}
  --cwd DIR       act on the project in DIR (default: the current directory)
Needs: the pulumi CLI and the soak stack's backend login (PULUMI_ACCESS_TOKEN, or PULUMI_CONFIG_PASSPHRASE on a
file backend: it reads the stack's roleSeparationEnabledAt output); the heroku CLI with HEROKU_API_KEY (or its
netrc login); ssh-keygen (to sign); git, for --marks.
Reads: of the soak stack raptor:app, raptor:database, raptor:role, raptor:schema, raptor:roleSeparation,
raptor:healthUrl, raptor:logPatterns, raptor:sentryProject with SENTRY_AUTH_TOKEN, raptor:sentryEnvironment; of
the stacks it records for raptor:soakStack and raptor:soakEvidence.
Exit status: 0 clean, complete mark recorded; 2 unhealthy or incomplete mark recorded (an incomplete one names
the gap and how to close it); 1 nothing recorded (bad input, a check that could not run, pulumi failing).
`;

export interface SoakDeps {
    readonly env: NodeJS.ProcessEnv;
    readonly now: () => Date;
    /** The soak stack's roleSeparationEnabledAt output (Automation API by default). */
    readonly enabledAt: (stack: string, dir: string) => Promise<unknown>;
}

/** `pulumi stack output roleSeparationEnabledAt`, through the Automation API. */
export async function stackEnabledAt(stack: string, dir: string): Promise<unknown> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    try {
        const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: dir });
        return (await s.outputs())["roleSeparationEnabledAt"]?.value;
    } catch (e) {
        // Without pulumi on PATH the Automation API's error is its whole raw run ("code: -2 stdout: ...").
        throw missingToolIn(e) === "pulumi"
            ? toolMissing("pulumi", `pulumi stack output -s ${stack}`)
            : pulumiFailure(`pulumi stack output roleSeparationEnabledAt -s ${stack}`, e);
    }
}

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

const CLOSE_GAP =
    "Close the gap: run the soak more often (the workflow's hourly schedule, .github/workflows/soak.yml), configure " +
    "Sentry for staging (raptor:sentryProject and SENTRY_AUTH_TOKEN; the next mark then reads it from the last " +
    "complete mark), or add a log drain";

/** Why a mark is incomplete, source by source, and how to close the gap; undefined for a complete mark. */
export function gapOf(m: SoakMark): string | undefined {
    if (isComplete(m)) {
        return undefined;
    }
    const why = ERROR_SOURCES.map((s) => {
        const c = m.coverage[s];
        const name = s === "logs" ? "the logs" : "Sentry";
        if (c === undefined) {
            return s === "logs" ? "the logs were not read" : "Sentry is not configured (skipped)";
        }
        if (!c.complete) {
            return s === "logs"
                ? `the logs reach back only to ${c.from} (Heroku keeps the last 1,500 lines)`
                : "Sentry was not read to its last page";
        }
        return `${name} read ${c.from} to ${c.to} only`;
    });
    return (
        `no source read the whole window ${m.since} to ${m.at}: ${why.join(", and ")}. The mark does not count for ` +
        `prod: what happened in the unread part of the window is unknown. ${CLOSE_GAP}.`
    );
}
/** Stacks whose raptor:soakStack names `stack` (org/project/stack or stack). */
function consumers(dir: string, stack: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined && s !== stack)
        .filter((s) => (readStackFile(s, dir).raw["soakStack"] ?? "").split("/").pop() === stack);
}

function sign(key: string, message: string): string {
    try {
        return execFileSync("ssh-keygen", ["-Y", "sign", "-n", SOAK_NAMESPACE, "-f", key], {
            input: message,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
        });
    } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? "").trim();
        throw new Error(`ssh-keygen -Y sign -n ${SOAK_NAMESPACE} -f ${key} failed: ${stderr || String(e)}`);
    }
}

/** Whether the evidence holds a mark of format v1 (before coverage): no `coverage`, no `complete`. */
function holdsV1(raw: unknown): boolean {
    try {
        const v = (typeof raw === "string" ? JSON.parse(raw) : raw) as { marks?: unknown } | null;
        return Array.isArray(v?.marks) && v.marks.some((m) => !!m && typeof m === "object" && !("coverage" in m));
    } catch {
        return false;
    }
}

/** Where a stack's marks are read from and written to: the store's `<into>.json`, else the stack file. */
const whereOf = (dir: string, into: string, store?: string) =>
    store === undefined ? `raptor:soakEvidence in Pulumi.${into}.yaml` : path.join(store, `${into}.json`);

function existing(dir: string, into: string, stack: string, app: string, store?: string): SoakEvidence {
    const raw = store === undefined ? readStackFile(into, dir).raw["soakEvidence"] : readMarks(store, into);
    if (raw === undefined) {
        return { stack, app, marks: [] };
    }
    if (holdsV1(raw)) {
        throw new Error(
            `${whereOf(dir, into, store)} holds marks of format v1, recorded before a mark said what ` +
                "it read; the gate refuses them and they cannot be extended. Remove them (`pulumi config rm " +
                `raptor:soakEvidence -s ${into}\`, then commit) and run soak again: the next mark reads from the ` +
                "enable time",
        );
    }
    const { evidence, problem } = parseEvidence(raw);
    if (evidence === undefined || evidence.stack !== stack) {
        throw new Error(
            `${whereOf(dir, into, store)} cannot be extended: ` + (problem ?? `it is for ${evidence?.stack}`),
        );
    }
    return evidence;
}

interface Recorded {
    readonly mark: SoakMark;
    readonly into: string[];
    readonly report: CheckReport;
}

/** Checks and records one mark; only the report (nothing recorded) when the check could not run. */
async function record(
    dir: string,
    o: { stack: string; key: string; signer: string; into: string[]; store?: string },
    deps: SoakDeps,
): Promise<Recorded | { report: CheckReport }> {
    const enabled = await deps.enabledAt(o.stack, dir);
    if (typeof enabled !== "string" || Number.isNaN(Date.parse(enabled))) {
        throw new Error(
            `stack ${o.stack} has no roleSeparationEnabledAt (${JSON.stringify(enabled ?? null)}): its flag is not ` +
                `on, so there is nothing to soak; turn it on with raptor-roles cutover --stack ${o.stack}`,
        );
    }
    const app = readStackFile(o.stack, dir).raw["app"] ?? "";
    const chains = o.into.map((s) => existing(dir, s, o.stack, app, o.store));
    // From the last complete mark: a stretch an incomplete mark left open is read again (Sentry keeps it).
    const prevSame = chains[0].marks.filter((m) => m.enabledAt === enabled && isComplete(m)).at(-1);
    const since = new Date(prevSame?.at ?? enabled);
    const now = deps.now();
    const report = await runCheck({ stack: o.stack, dir, since, env: deps.env, now });
    if (exitCodeOf(report.findings) === 1) {
        return { report };
    }
    const findings = report.findings
        .filter((f) => f.status === "unhealthy" || f.status === "error")
        .map((f) => `${f.check}:${f.status}`);
    const coverage: MarkCoverage = Object.fromEntries(
        ERROR_SOURCES.flatMap((s) => {
            const c = report.findings.find((f) => f.check === s && f.coverage !== undefined)?.coverage;
            return c === undefined ? [] : [[s, { from: c.from, to: c.to, complete: c.complete }]];
        }),
    );
    const window = { since: seconds(since), at: seconds(now), coverage };
    const marks: SoakMark[] = [];
    for (const [i, s] of o.into.entries()) {
        const last = chains[i].marks.at(-1);
        const head = { stack: o.stack, app };
        const unsigned = {
            at: seconds(now),
            enabledAt: enabled,
            since: seconds(since),
            healthy: report.healthy,
            complete: windowReadBy(window).length > 0,
            findings,
            coverage,
            signer: o.signer,
            prev: last === undefined ? "none" : markDigest(head, last),
        };
        const mark = { ...unsigned, signature: sign(o.key, markMessage(head, unsigned)) };
        const evidence = { ...head, marks: [...chains[i].marks, mark] };
        if (o.store === undefined) {
            writeEvidence(readStackFile(s, dir).path, evidence);
        } else {
            writeMarks(o.store, s, evidence);
        }
        marks.push(mark);
    }
    return { mark: marks[0], into: o.into, report };
}

export async function soakIn(dir: string, argv: string[], io: Io, deps: SoakDeps): Promise<number> {
    const json = argv.includes("--json");
    let values;
    try {
        ({ values } = parse(
            argv,
            {
                stack: { type: "string" },
                key: { type: "string" },
                signer: { type: "string" },
                into: { type: "string" },
                marks: { type: "string" },
                json: { type: "boolean" },
            },
            "soak",
        ));
    } catch (e) {
        return reportError(io, "soak", usage(e, "soak"), json);
    }
    if (values.help) {
        io.out(SOAK_HELP);
        return 0;
    }
    const example = "e.g. raptor-roles soak --stack staging --key ~/.ssh/soak --signer soak-bot@raxx.app";
    if (!values.stack || !values.key || !values.signer) {
        return reportError(io, "soak", new UsageError("--stack, --key and --signer are required", example), json);
    }
    if (!fs.existsSync(values.key)) {
        return reportError(io, "soak", new UsageError(`--key ${values.key}: no such file`, example), json);
    }
    try {
        const into = values.into ? [values.into] : consumers(dir, values.stack);
        if (into.length === 0) {
            throw new UsageError(
                `no stack file names ${values.stack} in raptor:soakStack, so no stack would read the mark`,
                `pass --into prod (the stack whose soak-before-prod gate reads it), or set raptor:soakStack: ` +
                    `${values.stack} in that stack's file`,
            );
        }
        if (values.marks !== undefined && !fs.statSync(values.marks, { throwIfNoEntry: false })?.isDirectory()) {
            throw new UsageError(
                `--marks ${values.marks} is not a directory`,
                `check out branch ${MARKS_BRANCH} there (git worktree add ${values.marks} origin/${MARKS_BRANCH}), ` +
                    "or create it empty for the first mark",
            );
        }
        const o = { stack: values.stack, key: values.key, signer: values.signer, into, store: values.marks };
        const r = await record(dir, o, deps);
        if (!("mark" in r)) {
            // Could not check: exit 1 and code could-not-check, as check itself; the report only for people.
            if (!json) {
                io.out(renderCheck(r.report));
            }
            const e = couldNotCheck(r.report);
            const why = "the check could not run everything, so no mark was recorded";
            return reportError(io, "soak", new CliError(e.code, `${why}: ${e.message}`, e.fix), json);
        }
        const files = r.into
            .map((s) => (o.store === undefined ? path.basename(readStackFile(s, dir).path) : whereOf(dir, s, o.store)))
            .join(", ");
        const gap = r.mark.healthy ? gapOf(r.mark) : undefined;
        const what = !r.mark.healthy ? "an UNHEALTHY" : gap !== undefined ? "an INCOMPLETE" : "a clean, complete";
        io.out(
            json
                ? `${JSON.stringify({ ...r, ...(gap === undefined ? {} : { gap }) }, null, 2)}\n`
                : `${renderCheck(r.report)}Recorded ${what} soak mark (at ${r.mark.at}, enable time ` +
                      `${r.mark.enabledAt}) in ${files}. ` +
                      (o.store === undefined ? "Commit it.\n" : `Push it to branch ${MARKS_BRANCH}.\n`),
        );
        if (gap !== undefined) {
            io.err(`raptor-roles soak: the mark is incomplete: ${gap}\n`);
        }
        return r.mark.healthy && gap === undefined ? 0 : 2;
    } catch (e) {
        const err = withMissingTool(e, "raptor-roles soak");
        return failure(io, json, "soak", err, otherwise(err, "soak", values.stack));
    }
}

export const soak: Subcommand = (argv, io) =>
    soakIn(projectDir(), argv, io, { env: process.env, now: () => new Date(), enabledAt: stackEnabledAt });

/**
 * `raptor-roles plan --stack NAME [--json]`: what a change does and what the
 * policies say, with no cloud account. Evaluates the real program under
 * mocks with the stack's own config, runs the policy pack over the declared
 * resources, and prints resources, the privilege matrix, the verdicts and the
 * sign-off fingerprint. What only Heroku can answer comes from marked
 * stand-ins, listed under "not checked live".
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Classification, RAPTOR_CLASSIFICATION, TABLE_PRIVILEGES, classify } from "../core/classification";
import { canonicalExtra, fingerprint } from "../core/deployment";
import { buildPlan } from "../core/plan";
import { TYPES, deploymentFromResources } from "../core/resources";
import { describeMissing } from "../core/workload/judge";
import { PlannedWorkload, judgeWorkload, plannedSummary, plural } from "../core/workload/planned";
import { groupVerdicts, verdictHeadline } from "../core/review/verdicts";
import { runProgram, Recorded, STAND_IN_ADDON } from "../offline/run-program";
import { PLACEHOLDER, projectDir, readStackFile, stackSettings } from "../offline/stack-file";
import { evaluatePolicies, loadPackConfigFile, Violation } from "../offline/evaluate";
import { parse } from "./args";
import { CliError, EXIT, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { ResourceView, renderInputs, resourceView } from "./plan-inputs";
import { checkWorkloadRole, readWorkloadFile } from "./workload-file";

export const PLAN_HELP = `usage: raptor-roles plan --stack NAME [--json] [--inputs] [--matrix]
                         [--addon-plan PLAN] [--staging-enabled-at ISO] [--workload FILE]

Evaluates the program offline for a stack (its Pulumi.<NAME>.yaml), runs the
policy pack over the declared resources and prints, on one screen: the
resources by type, the privilege matrix by set, the policy verdicts (each
distinct verdict once, with the resources it is on), the sign-off fingerprint
and what came from stand-ins.
Exit 0: no mandatory violation; 2: a mandatory violation (prod before its
sign-off, as expected), or with --workload a statement the plan denies;
1: bad input, a bad workload file or a stack the program refuses.

Facts only Heroku can answer are stand-ins, marked [stand-in] where printed:
  --addon-plan PLAN          the add-on's plan (default heroku-postgresql:standard-0)
  --staging-enabled-at ISO   staging's roleSeparationEnabledAt (default: no evidence)
Options:
  --stack NAME   the stack (required)
  --inputs       also every resource's inputs and Heroku calls, as pulumi preview --diff shows them
  --matrix       also the matrix one table per row
  --workload FILE  also judge the statements of FILE (raptor-roles workload --export FILE) against
                 this plan's matrix, with no database: each denied statement with its calls, what
                 it lacks and the fix; --json adds workload: {counts, deniedCalls, denied}
  --json         a stable JSON document: resources (with inputs), matrix, violations, fingerprint
  -h, --help     this help
`;

export interface PlanOptions {
    stack: string;
    addonPlan?: string;
    stagingEnabledAt?: string;
    classification?: Classification;
    dir?: string;
    now?: Date;
}

export interface MatrixRow {
    table: string;
    set: string;
    privileges: string[];
}

export interface PlanDocument {
    stack: string;
    app?: string;
    fingerprint?: string;
    /** Resources outside the Raptor model, by digest: a sign-off lists exactly these as raptor:signoff.extras. */
    signoffExtras?: Array<{ type: string; name: string; props: string }>;
    /** Each resource with its inputs (secrets masked) and, for a command, its Heroku calls. */
    resources: ResourceView[];
    matrix: MatrixRow[];
    violations: Violation[];
    /** Facts that came from stand-ins, not from Heroku. */
    notCheckedLive: string[];
    /** Values in `resources` that are stand-ins (the add-on's name and id), not read from Heroku. */
    standIns: string[];
    /** With --workload FILE: the file's statements judged against this stack's planned matrix. */
    workload?: PlannedWorkload;
    error?: string;
}

const DEFAULT_ADDON_PLAN = "heroku-postgresql:standard-0";

function matrixOf(resources: readonly Recorded[], classification: Classification): MatrixRow[] {
    const sets = new Map(classify(classification).map((t) => [t.table, t.set as string]));
    const rows = new Map<string, MatrixRow>();
    for (const r of resources) {
        if (r.type !== TYPES.grant || r.props.objectType !== "table") {
            continue;
        }
        const objects = (r.props.objects as string[] | undefined) ?? [];
        // An empty objects list is ON ALL TABLES: shown as such so it cannot hide in the matrix.
        for (const table of objects.length > 0 ? objects : ["<ALL TABLES>"]) {
            const row = rows.get(table) ?? { table, set: sets.get(table) ?? "unclassified", privileges: [] };
            row.privileges = [...new Set([...row.privileges, ...((r.props.privileges as string[]) ?? [])])];
            rows.set(table, row);
        }
    }
    return [...rows.values()].sort((a, b) => (a.table < b.table ? -1 : 1));
}

/** The pack config the prod command line passes with --policy-pack-config policy/config.json. */
function readPolicyConfig(dir: string) {
    const file = path.join(dir, "policy", "config.json");
    return fs.existsSync(file) ? loadPackConfigFile(file) : {};
}

export async function planDocument(opts: PlanOptions): Promise<PlanDocument> {
    const dir = opts.dir ?? projectDir();
    const file = readStackFile(opts.stack, dir);
    const classification = opts.classification ?? RAPTOR_CLASSIFICATION;
    const addonPlan = opts.addonPlan ?? DEFAULT_ADDON_PLAN;
    const notCheckedLive = [
        `add-on ${STAND_IN_ADDON.name}[stand-in] on plan ${addonPlan}: stand-ins for what ` +
            "`heroku addons --app APP --json` answers at deploy time (the name appears in the Heroku calls)",
        "owner URL: a stand-in (the grants' provider reads DATABASE_URL from Heroku at deploy time)",
        opts.stagingEnabledAt
            ? `staging roleSeparationEnabledAt: ${opts.stagingEnabledAt} (stand-in for the StackReference)`
            : "staging roleSeparationEnabledAt: no evidence (the StackReference is read at deploy time)",
        ...file.placeholders.map((k) => `raptor:${k}: secure value, replaced by ${PLACEHOLDER}`),
    ];
    // The program's own settings only: signoff is the policy pack's, and a secure owner URL cannot be decrypted here.
    const { signoff, ownerDatabaseUrl: _owner, ...config } = file.raw;
    const run = await runProgram({
        stack: opts.stack,
        config,
        plan: addonPlan,
        classification,
        ...(opts.stagingEnabledAt ? { soakOutputs: { roleSeparationEnabledAt: opts.stagingEnabledAt } } : {}),
    });
    const doc: PlanDocument = {
        stack: opts.stack,
        resources: run.resources.map(resourceView),
        matrix: matrixOf(run.resources, classification),
        violations: [],
        notCheckedLive,
        standIns: [STAND_IN_ADDON.name, STAND_IN_ADDON.id],
    };
    if (run.error) {
        return { ...doc, error: run.error.message };
    }
    doc.app = run.outputs.app as string;
    const { deployment } = deploymentFromResources(run.resources);
    if (deployment) {
        doc.fingerprint = fingerprint(deployment);
        if (deployment.extras.length > 0) {
            doc.signoffExtras = deployment.extras.map(canonicalExtra);
        }
    }
    doc.violations = await evaluatePolicies(run.resources, {
        stack: opts.stack,
        stackConfig: { ...config, ...(signoff !== undefined ? { signoff } : {}) },
        policyConfig: readPolicyConfig(dir),
        stackOutputs: run.outputs,
        ...(opts.now ? { now: opts.now } : {}),
    });
    return doc;
}

/** Denied statements shown one by one in the text; --json lists them all. */
const WORKLOAD_ROWS = 10;

function workloadSection(w: PlannedWorkload): string[] {
    const c = w.counts;
    const whose = w.of === "owner" ? "the owner ran (the app, before the flip)" : "the role ran";
    const lines = [
        `Workload ${w.file}:`,
        `  ${plural(c.permitted + c.denied + c.ownerOnly + c.notJudged, "statement")} ${whose}, judged against ` +
            "this plan's matrix",
        `  permitted ${c.permitted} · denied ${c.denied} · owner-only ${c.ownerOnly} · not-judged ${c.notJudged}`,
    ];
    for (const s of w.denied.slice(0, WORKLOAD_ROWS)) {
        lines.push(
            ...wordWrapped(`  DENIED  ${s.query}`, "          "),
            `          run ${plural(s.calls, "time")} (queryid ${s.queryid})`,
            ...s.missing.map((m) => `          missing: ${describeMissing(m)}`),
            ...wordWrapped(`          fix: ${s.fix ?? ""}`, "            "),
        );
    }
    if (w.denied.length > WORKLOAD_ROWS) {
        lines.push(`  and ${plural(w.denied.length - WORKLOAD_ROWS, "more denied statement")} (--json lists them all)`);
    }
    lines.push(`  ${plannedSummary(w)}`);
    return lines;
}

export function isBlocked(doc: PlanDocument): boolean {
    return doc.error !== undefined || doc.violations.some((v) => v.level === "mandatory");
}

/** Prod with no raptor:signoff at all, blocked by nothing but prod-signoff: what review before sign-off looks like. */
export function awaitsSignoff(doc: PlanDocument, signoffSet: boolean): boolean {
    const mandatory = doc.violations.filter((v) => v.level === "mandatory");
    return !signoffSet && mandatory.length > 0 && mandatory.every((v) => v.policy === "prod-signoff");
}

const MATRIX_COLUMNS = TABLE_PRIVILEGES.slice(0, 5);
const WIDTH = 120;
export const NEXT_SIGNOFF = "raptor-roles signoff --stack prod --ticket <ticket> --key <your key>";

/** The stand-in add-on's name and id, marked wherever a line prints them. */
export function markStandIns(line: string): string {
    return line
        .split(STAND_IN_ADDON.name)
        .join(`${STAND_IN_ADDON.name}[stand-in]`)
        .split(STAND_IN_ADDON.id)
        .join(`${STAND_IN_ADDON.id}[stand-in]`);
}

/** `head` then `words` joined by ", ", wrapped at WIDTH columns under an indent as wide as `indent`. */
function wrapped(head: string, words: readonly string[], indent: string): string[] {
    const lines: string[] = [];
    let line = head;
    words.forEach((w, i) => {
        const piece = `${w}${i < words.length - 1 ? "," : ""}`;
        if (line.length + 1 + piece.length > WIDTH && line.trim() !== "") {
            lines.push(line);
            line = `${indent}${piece}`;
        } else {
            line = line.endsWith(" ") || line === "" ? `${line}${piece}` : `${line} ${piece}`;
        }
    });
    return [...lines, line];
}

/** A long line broken at spaces to WIDTH columns, continuation lines under `indent`. */
export function wordWrapped(text: string, indent: string): string[] {
    const lead = /^ */.exec(text)?.[0] ?? "";
    const lines: string[] = [];
    let line = lead;
    for (const word of text.slice(lead.length).split(" ")) {
        if (line.trim() !== "" && line.length + 1 + word.length > WIDTH) {
            lines.push(line);
            line = `${indent}${word}`;
        } else {
            line = line === lead ? `${lead}${word}` : `${line} ${word}`;
        }
    }
    return [...lines, line];
}

function resourcesSection(doc: PlanDocument, inputs: boolean): string[] {
    if (inputs) {
        return [
            `Resources (${doc.resources.length}), with their inputs:`,
            ...doc.resources.flatMap((r) => [`  ${r.type.padEnd(52)} ${r.name}`, ...renderInputs(r).map(markStandIns)]),
        ];
    }
    const byType = new Map<string, number>();
    doc.resources.forEach((r) => byType.set(r.type, (byType.get(r.type) ?? 0) + 1));
    const counts = [...byType.entries()].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t}`);
    return [
        ...wrapped(`Resources (${doc.resources.length}): `, counts, "  "),
        "  (--inputs lists each with its inputs and Heroku calls; --json carries them too)",
    ];
}

function matrixSection(doc: PlanDocument, full: boolean): string[] {
    const lines = [`Privilege matrix for the app role (${doc.matrix.length} tables):`];
    if (full) {
        const width = Math.max(5, ...doc.matrix.map((m) => m.table.length));
        const row = (cells: string[]) => cells.map((c) => c.padEnd(8)).join(" ");
        lines.push(`  ${"table".padEnd(width)}  ${"set".padEnd(12)} ${row(MATRIX_COLUMNS)}`.trimEnd());
        for (const m of doc.matrix) {
            const cells = MATRIX_COLUMNS.map((c) => (m.privileges.includes(c) ? "yes" : "-"));
            lines.push(`  ${m.table.padEnd(width)}  ${m.set.padEnd(12)} ${row(cells)}`.trimEnd());
        }
        return lines;
    }
    const groups = new Map<string, MatrixRow[]>();
    for (const m of doc.matrix) {
        const key = `${m.set}\0${m.privileges.join(", ") || "nothing"}`;
        groups.set(key, [...(groups.get(key) ?? []), m]);
    }
    for (const [key, rows] of groups) {
        const [set, privileges] = key.split("\0");
        const head = `  ${set} (${rows.length}): ${privileges} on `;
        lines.push(
            ...wrapped(
                head,
                rows.map((r) => r.table),
                "    ",
            ),
        );
    }
    lines.push("  (--matrix prints one table per row)");
    return lines;
}

function verdictsSection(doc: PlanDocument): string[] {
    const groups = groupVerdicts(doc.violations);
    const lines = [
        "Policy verdicts: " +
            (doc.violations.length === 0
                ? "no violations"
                : `${doc.violations.length} violation(s), ${groups.length} distinct`),
    ];
    lines.push(...groups.flatMap((g) => wordWrapped(`  ${verdictHeadline(g)}`, "    ")));
    return lines;
}

export function renderPlan(
    doc: PlanDocument,
    opts: { inputs?: boolean; matrix?: boolean; signoffSet?: boolean } = {},
): string {
    const lines: string[] = [`raptor plan for stack ${doc.stack}${doc.app ? ` (app ${doc.app})` : ""}`, ""];
    lines.push(...resourcesSection(doc, opts.inputs === true), "");
    lines.push(...matrixSection(doc, opts.matrix === true), "");
    lines.push(...verdictsSection(doc), "");
    lines.push(`Sign-off fingerprint: ${doc.fingerprint ?? "(none: the program did not complete)"}`);
    if (doc.signoffExtras !== undefined) {
        lines.push(
            "Sign-off extras (resources outside the model; raptor:signoff.extras lists exactly these):",
            ...doc.signoffExtras.map((e) => `  ${JSON.stringify(e)}`),
        );
    }
    if (doc.workload !== undefined) {
        lines.push("", ...workloadSection(doc.workload));
    }
    lines.push(
        "",
        "Not checked live (stand-ins):",
        ...doc.notCheckedLive.flatMap((n) => wordWrapped(`  - ${n}`, "    ")),
        "",
    );
    const denied = doc.workload !== undefined && doc.workload.counts.denied > 0;
    if (!isBlocked(doc) && denied) {
        lines.push(`Result: WORKLOAD DENIED: ${plannedSummary(doc.workload!)} (no mandatory violation)`);
    } else if (!isBlocked(doc)) {
        lines.push("Result: OK (no mandatory violation)");
    } else if (awaitsSignoff(doc, opts.signoffSet === true)) {
        lines.push(
            `Result: BLOCKED: expected before sign-off; next: ${NEXT_SIGNOFF}`,
            "  (prod-signoff is the only mandatory verdict; after signing, plan --stack prod must say OK)",
        );
    } else {
        lines.push("Result: BLOCKED (a mandatory policy is violated)");
    }
    return `${lines.join("\n")}\n`;
}

const ADDON_PLAN = /^heroku-postgresql:[a-z0-9][a-z0-9-]*$/;

/** The flags' values, checked before anything is evaluated. */
function planInputs(values: { "addon-plan"?: string; "staging-enabled-at"?: string }) {
    const addonPlan = values["addon-plan"];
    if (addonPlan !== undefined && !ADDON_PLAN.test(addonPlan)) {
        throw new UsageError(
            `--addon-plan ${JSON.stringify(addonPlan)} is not a Heroku Postgres plan`,
            "--addon-plan heroku-postgresql:PLAN, e.g. --addon-plan heroku-postgresql:standard-0 " +
                "(heroku addons --app APP shows the real one)",
        );
    }
    const stagingEnabledAt = values["staging-enabled-at"];
    if (stagingEnabledAt !== undefined && Number.isNaN(Date.parse(stagingEnabledAt))) {
        throw new UsageError(
            `--staging-enabled-at ${JSON.stringify(stagingEnabledAt)} is not an ISO 8601 time`,
            "--staging-enabled-at 2026-11-20T09:00:00Z (pulumi stack output roleSeparationEnabledAt -s staging)",
        );
    }
    return { ...(addonPlan ? { addonPlan } : {}), ...(stagingEnabledAt ? { stagingEnabledAt } : {}) };
}

/** The subcommand for the project in `dir` (tests pass a copy). */
export async function planIn(dir: string, argv: string[], io: Io): Promise<number> {
    const { values } = parse(
        argv,
        {
            stack: { type: "string" },
            json: { type: "boolean" },
            inputs: { type: "boolean" },
            matrix: { type: "boolean" },
            "addon-plan": { type: "string" },
            "staging-enabled-at": { type: "string" },
            workload: { type: "string" },
        },
        "plan",
    );
    if (values.help) {
        io.out(PLAN_HELP);
        return EXIT.OK;
    }
    if (!values.stack) {
        throw new UsageError("--stack is required", "raptor-roles plan --stack staging (or --stack prod)");
    }
    const flags = planInputs(values);
    // Every key checked first, naming the stack file: the program would report the same problems without the file.
    const settings = stackSettings(values.stack, dir);
    // The file first: a bad one is reported before the program is evaluated.
    const workload = values.workload !== undefined ? readWorkloadFile(values.workload) : undefined;
    const doc = await planDocument({ stack: values.stack, dir, ...flags });
    if (doc.error !== undefined) {
        throw new CliError(
            "program",
            `the program stops before declaring resources for stack ${values.stack}: ${doc.error}`,
            flags.addonPlan !== undefined
                ? "that is the program's answer for --addon-plan; the fix it names applies to an add-on on that plan"
                : "the fix the message names",
        );
    }
    if (workload !== undefined) {
        checkWorkloadRole(workload, values.workload!, values.stack, settings.role);
        const matrix = buildPlan({
            classification: RAPTOR_CLASSIFICATION,
            role: settings.role,
            schema: settings.schema,
        });
        doc.workload = judgeWorkload(workload, values.workload!, matrix, values.stack);
    }
    if (values.json) {
        io.out(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
        const signoffSet = readStackFile(values.stack, dir).raw["signoff"] !== undefined;
        io.out(renderPlan(doc, { inputs: values.inputs === true, matrix: values.matrix === true, signoffSet }));
    }
    return isBlocked(doc) || (doc.workload?.counts.denied ?? 0) > 0 ? EXIT.FINDING : EXIT.OK;
}

export const plan: Subcommand = (argv: string[], io: Io) => planIn(projectDir(), argv, io);

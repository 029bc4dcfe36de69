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
import { TYPES, deploymentFromResources } from "../core/resources";
import { runProgram, Recorded } from "../offline/run-program";
import { PLACEHOLDER, projectDir, readStackFile } from "../offline/stack-file";
import { evaluatePolicies, loadPackConfigFile, Violation } from "../offline/evaluate";
import { parse } from "./args";
import { Io, Subcommand, UsageError } from "./io";
import { ResourceView, renderInputs, resourceView } from "./plan-inputs";

export const PLAN_HELP = `usage: raptor-roles plan --stack NAME [--json] [--addon-plan PLAN] [--staging-enabled-at ISO]

Evaluates the program offline for a stack (its Pulumi.<NAME>.yaml), runs the
policy pack over the declared resources and prints the resources, the
privilege matrix, the policy verdicts and the sign-off fingerprint.
Exit 0: no mandatory violation; 1: a mandatory violation or an error.

Facts only Heroku can answer are stand-ins, reported as not checked live:
  --addon-plan PLAN          the add-on's plan (default heroku-postgresql:standard-0)
  --staging-enabled-at ISO   staging's roleSeparationEnabledAt (default: no evidence)
Options:
  --stack NAME   the stack (required)
  --json         a stable JSON document: resources, matrix, violations, fingerprint
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
        `add-on plan: ${addonPlan} (stand-in for \`heroku addons --app APP --json\`)`,
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

export function isBlocked(doc: PlanDocument): boolean {
    return doc.error !== undefined || doc.violations.some((v) => v.level === "mandatory");
}

const MATRIX_COLUMNS = TABLE_PRIVILEGES.slice(0, 5);

export function renderPlan(doc: PlanDocument): string {
    const lines: string[] = [`raptor plan for stack ${doc.stack}${doc.app ? ` (app ${doc.app})` : ""}`, ""];
    if (doc.error) {
        lines.push(`ERROR: the program stops before declaring resources:\n  ${doc.error.replace(/\n/g, "\n  ")}`, "");
    }
    lines.push(`Resources (${doc.resources.length}):`);
    for (const r of doc.resources) {
        lines.push(`  ${r.type.padEnd(52)} ${r.name}`, ...renderInputs(r));
    }
    const width = Math.max(5, ...doc.matrix.map((m) => m.table.length));
    lines.push("", `Privilege matrix for the app role (${doc.matrix.length} tables):`);
    lines.push(
        `  ${"table".padEnd(width)}  ${"set".padEnd(12)} ${MATRIX_COLUMNS.map((c) => c.padEnd(8)).join(" ")}`.trimEnd(),
    );
    for (const m of doc.matrix) {
        const cells = MATRIX_COLUMNS.map((c) => (m.privileges.includes(c) ? "yes" : "-").padEnd(8));
        lines.push(`  ${m.table.padEnd(width)}  ${m.set.padEnd(12)} ${cells.join(" ")}`.trimEnd());
    }
    lines.push("", "Policy verdicts:");
    if (doc.violations.length === 0) {
        lines.push("  no violations");
    }
    for (const v of doc.violations) {
        lines.push(`  [${v.level}] ${v.policy}${v.urn ? ` (${v.urn.split("::").pop()})` : ""}: ${v.message}`);
    }
    lines.push("", `Sign-off fingerprint: ${doc.fingerprint ?? "(none: the program did not complete)"}`);
    if (doc.signoffExtras !== undefined) {
        lines.push(
            "Sign-off extras (resources outside the model; raptor:signoff.extras lists exactly these):",
            ...doc.signoffExtras.map((e) => `  ${JSON.stringify(e)}`),
        );
    }
    lines.push("", "Not checked live (stand-ins):", ...doc.notCheckedLive.map((n) => `  - ${n}`));
    lines.push(
        "",
        isBlocked(doc)
            ? "Result: BLOCKED (a mandatory policy is violated or the program failed)"
            : "Result: OK (no mandatory violation)",
        "",
    );
    return lines.join("\n");
}

export const plan: Subcommand = async (argv: string[], io: Io) => {
    const { values } = parse(argv, {
        stack: { type: "string" },
        json: { type: "boolean" },
        "addon-plan": { type: "string" },
        "staging-enabled-at": { type: "string" },
    });
    if (values.help) {
        io.out(PLAN_HELP);
        return 0;
    }
    if (!values.stack) {
        throw new UsageError("--stack is required (e.g. --stack staging)");
    }
    const stagingEnabledAt = values["staging-enabled-at"];
    if (stagingEnabledAt !== undefined && Number.isNaN(Date.parse(stagingEnabledAt))) {
        throw new UsageError(
            `--staging-enabled-at ${JSON.stringify(stagingEnabledAt)} is not an ISO 8601 time, e.g. ` +
                `2026-11-20T09:00:00Z`,
        );
    }
    const doc = await planDocument({
        stack: values.stack,
        ...(values["addon-plan"] ? { addonPlan: values["addon-plan"] } : {}),
        ...(stagingEnabledAt ? { stagingEnabledAt } : {}),
    });
    io.out(values.json ? `${JSON.stringify(doc, null, 2)}\n` : renderPlan(doc));
    return isBlocked(doc) ? 1 : 0;
};

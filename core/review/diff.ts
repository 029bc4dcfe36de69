/**
 * What a change does, between two revisions of this repository: tables
 * added, removed or moved between sets; each privilege that changes per table
 * and stack; each resource added, removed or changed (inputs and Heroku
 * calls); the policy verdicts at the head; prod's fingerprint before and after
 * and whether the committed sign-off covers the head. Pure: the caller
 * evaluates each revision's plans.
 */
import { Classification, TableSet, classify } from "../classification";
import type { WorkloadChange } from "../workload/planned";

export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly herokuCalls?: Readonly<Partial<Record<string, readonly string[]>>>;
}

export interface StackPlan {
    readonly stack: string;
    readonly fingerprint?: string;
    readonly matrix: ReadonlyArray<{ table: string; set: string; privileges: readonly string[] }>;
    readonly resources: readonly PlannedResource[];
    readonly violations: ReadonlyArray<{ policy: string; level: string; message: string; urn?: string }>;
    readonly error?: string;
}

export interface Side {
    /** The revision as the user named it, and its commit. */
    readonly rev: string;
    readonly commit: string;
    readonly classification: Classification;
    readonly stacks: Readonly<Record<string, StackPlan>>;
    /** raptor:signoff in Pulumi.prod.yaml at this revision, as written. */
    readonly prodSignoff?: Readonly<Record<string, unknown>>;
}

export interface TableChange {
    readonly table: string;
    readonly before?: TableSet;
    readonly after?: TableSet;
}

export interface PrivilegeChange {
    readonly table: string;
    readonly granted: readonly string[];
    readonly revoked: readonly string[];
}

export interface InputChange {
    readonly key: string;
    readonly before?: string;
    readonly after?: string;
}

export interface ResourceChange {
    readonly change: "added" | "removed" | "changed";
    readonly type: string;
    readonly name: string;
    readonly inputs: readonly InputChange[];
    /** Per script, the Heroku calls before and after, where they differ. */
    readonly herokuCalls: ReadonlyArray<{ script: string; before: readonly string[]; after: readonly string[] }>;
}

export interface StackDiff {
    readonly stack: string;
    readonly presence: "both" | "added" | "removed";
    readonly privileges: readonly PrivilegeChange[];
    readonly resources: readonly ResourceChange[];
    /** At the head; undefined for a removed stack. */
    readonly head?: {
        readonly blocked: boolean;
        readonly error?: string;
        readonly violations: StackPlan["violations"];
    };
}

export interface ProdSignoff {
    readonly before?: string;
    readonly after?: string;
    readonly signed?: {
        readonly operator?: string;
        readonly ticket?: string;
        readonly approvedAt?: string;
        readonly fingerprint?: string;
    };
    readonly covers: boolean;
    /** Why it does or does not cover the head. */
    readonly reason: string;
}

export interface ReviewDiff {
    readonly base: { readonly rev: string; readonly commit: string };
    readonly head: { readonly rev: string; readonly commit: string };
    readonly tables: readonly TableChange[];
    readonly stacks: readonly StackDiff[];
    readonly prod?: ProdSignoff;
    /** With `--workload FILE`: what the change newly denies and permits of the statements the app ran. */
    readonly workload?: WorkloadChange;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function tableChanges(base: Classification, head: Classification): TableChange[] {
    const before = new Map(classify(base).map((t) => [t.table, t.set]));
    const after = new Map(classify(head).map((t) => [t.table, t.set]));
    return [...new Set([...before.keys(), ...after.keys()])]
        .sort(byString)
        .filter((t) => before.get(t) !== after.get(t))
        .map((table) => ({
            table,
            ...(before.has(table) ? { before: before.get(table) } : {}),
            ...(after.has(table) ? { after: after.get(table) } : {}),
        }));
}

export function privilegeChanges(base: StackPlan | undefined, head: StackPlan | undefined): PrivilegeChange[] {
    const rows = (p?: StackPlan) => new Map((p?.matrix ?? []).map((m) => [m.table, m.privileges]));
    const [b, h] = [rows(base), rows(head)];
    return [...new Set([...b.keys(), ...h.keys()])].sort(byString).flatMap((table) => {
        const was = b.get(table) ?? [];
        const now = h.get(table) ?? [];
        const granted = now.filter((p) => !was.includes(p));
        const revoked = was.filter((p) => !now.includes(p));
        return granted.length + revoked.length > 0 ? [{ table, granted, revoked }] : [];
    });
}

/** Inputs as dotted paths to their JSON text. */
function flatten(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
        Object.entries(v as Record<string, unknown>).forEach(([k, x]) =>
            flatten(x, prefix ? `${prefix}.${k}` : k, out),
        );
    } else if (prefix) {
        out.set(prefix, typeof v === "string" ? v : JSON.stringify(v));
    }
    return out;
}

const SCRIPT_KEYS = ["create", "update", "delete"];

function resourceChange(
    change: ResourceChange["change"],
    b: PlannedResource | undefined,
    h: PlannedResource | undefined,
): ResourceChange {
    const r = (h ?? b) as PlannedResource;
    const [fb, fh] = [flatten(b?.inputs ?? {}, "", new Map()), flatten(h?.inputs ?? {}, "", new Map())];
    const scripted = (k: string) => r.herokuCalls !== undefined && SCRIPT_KEYS.includes(k);
    const inputs = [...new Set([...fb.keys(), ...fh.keys()])]
        .sort(byString)
        .filter((k) => fb.get(k) !== fh.get(k))
        .map((key) =>
            scripted(key)
                ? { key, ...(fb.has(key) ? { before: "(script)" } : {}), ...(fh.has(key) ? { after: "(script)" } : {}) }
                : {
                      key,
                      ...(fb.has(key) ? { before: fb.get(key) } : {}),
                      ...(fh.has(key) ? { after: fh.get(key) } : {}),
                  },
        );
    const herokuCalls = SCRIPT_KEYS.flatMap((script) => {
        const before = b?.herokuCalls?.[script] ?? [];
        const after = h?.herokuCalls?.[script] ?? [];
        return JSON.stringify(before) !== JSON.stringify(after) ? [{ script, before, after }] : [];
    });
    return { change, type: r.type, name: r.name, inputs, herokuCalls };
}

export function resourceChanges(base: StackPlan | undefined, head: StackPlan | undefined): ResourceChange[] {
    const b = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
    const h = new Map((head?.resources ?? []).map((r) => [r.urn, r]));
    const out: ResourceChange[] = [];
    for (const urn of [...new Set([...b.keys(), ...h.keys()])].sort(byString)) {
        const change = !b.has(urn) ? "added" : !h.has(urn) ? "removed" : "changed";
        const c = resourceChange(change, b.get(urn), h.get(urn));
        if (change !== "changed" || c.inputs.length > 0 || c.herokuCalls.length > 0) {
            out.push(c);
        }
    }
    return out;
}

function prodSignoff(base: Side, head: Side): ProdSignoff | undefined {
    const [b, h] = [base.stacks["prod"], head.stacks["prod"]];
    if (!h) {
        return undefined;
    }
    const s = head.prodSignoff;
    const text = (k: string) => (typeof s?.[k] === "string" ? (s[k] as string) : undefined);
    const signed = s
        ? Object.fromEntries(
              ["operator", "ticket", "approvedAt", "fingerprint"].flatMap((k) => (text(k) ? [[k, text(k)]] : [])),
          )
        : undefined;
    const verdict = h.violations.filter((v) => v.policy === "prod-signoff");
    const common = {
        ...(b?.fingerprint ? { before: b.fingerprint } : {}),
        ...(h.fingerprint ? { after: h.fingerprint } : {}),
        ...(signed ? { signed } : {}),
    };
    if (!s) {
        return { ...common, covers: false, reason: "Pulumi.prod.yaml at the head has no raptor:signoff" };
    }
    if (h.error) {
        return {
            ...common,
            covers: false,
            reason: `the program fails at the head, so there is nothing to sign: ${h.error}`,
        };
    }
    if (verdict.length > 0) {
        return { ...common, covers: false, reason: verdict.map((v) => v.message).join(" ") };
    }
    const exact = text("fingerprint") === h.fingerprint;
    return {
        ...common,
        covers: true,
        reason: exact
            ? "the signed fingerprint is the head's"
            : "prod-signoff accepts it (the flag is turned off: the emergency stop)",
    };
}

export function reviewDiff(base: Side, head: Side): ReviewDiff {
    const stacks = [...new Set([...Object.keys(base.stacks), ...Object.keys(head.stacks)])]
        .sort(byString)
        .map((stack): StackDiff => {
            const [b, h] = [base.stacks[stack], head.stacks[stack]];
            return {
                stack,
                presence: b && h ? "both" : h ? "added" : "removed",
                privileges: privilegeChanges(b, h),
                resources: resourceChanges(b, h),
                ...(h
                    ? {
                          head: {
                              blocked: h.error !== undefined || h.violations.some((v) => v.level === "mandatory"),
                              ...(h.error ? { error: h.error } : {}),
                              violations: h.violations,
                          },
                      }
                    : {}),
            };
        });
    const prod = prodSignoff(base, head);
    return {
        base: { rev: base.rev, commit: base.commit },
        head: { rev: head.rev, commit: head.commit },
        tables: tableChanges(base.classification, head.classification),
        stacks,
        ...(prod ? { prod } : {}),
    };
}

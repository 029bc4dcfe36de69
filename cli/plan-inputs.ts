/**
 * Each resource's inputs for `plan` and `plan --json`, as `pulumi preview
 * --diff` shows them: every input, secrets masked as [secret], and for a
 * command the Heroku CLI calls its scripts make with its environment filled in.
 */
import * as pulumi from "@pulumi/pulumi";
import { herokuCalls } from "../core/heroku-calls";
import { TYPES } from "../core/resources";
import type { Recorded } from "../offline/run-program";

export const SECRET_MASK = "[secret]";
const SCRIPTS = ["create", "update", "delete"] as const;
type ScriptKey = (typeof SCRIPTS)[number];

export interface ResourceView {
    type: string;
    name: string;
    urn: string;
    /** Every input the program passes, secrets replaced by [secret]. */
    inputs: Record<string, unknown>;
    /** A command's Heroku calls per script, in order, each once. */
    herokuCalls?: Partial<Record<ScriptKey, string[]>>;
}

/** `environment.VAR_VALUE`, `password`, `a[0].b` into path segments. */
function segments(p: string): string[] {
    return p.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
}

const child = (v: unknown, k: string): unknown =>
    v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
    v !== null &&
    typeof v === "object" &&
    Object.getPrototypeOf(v) === Object.prototype &&
    !pulumi.Output.isInstance(v);
const isLiteral = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * What replaces a secret input. The engine marks a whole map secret when one
 * value in it is (a command's environment holding the URL): its keys the
 * program wrote as plain literals stay readable, every other value is masked.
 */
function masked(value: unknown, raw: unknown): unknown {
    if (!isPlainObject(raw) || !isPlainObject(value)) {
        return SECRET_MASK;
    }
    return Object.fromEntries(Object.keys(value).map((k) => [k, isLiteral(raw[k]) ? value[k] : SECRET_MASK]));
}

/** A deep copy with every secret path masked; rawProps are the program's own inputs, to tell literals from Outputs. */
export function maskSecrets(
    props: Readonly<Record<string, unknown>>,
    secretPaths: readonly string[],
    rawProps?: unknown,
): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(props ?? {})) as Record<string, unknown>;
    for (const p of secretPaths) {
        const parts = segments(p);
        if (parts.length === 0) {
            return Object.fromEntries(Object.keys(copy).map((k) => [k, SECRET_MASK])); // the whole input bag was secret
        }
        let node: Record<string, unknown> | undefined = copy;
        let raw: unknown = rawProps;
        for (const part of parts.slice(0, -1)) {
            const next: unknown = node?.[part];
            node = next !== null && typeof next === "object" ? (next as Record<string, unknown>) : undefined;
            raw = child(raw, part);
        }
        const last = parts[parts.length - 1] as string;
        if (node && last in node) {
            node[last] = masked(node[last], child(raw, last));
        }
    }
    return copy;
}

export function resourceView(r: Recorded): ResourceView {
    const inputs = maskSecrets(r.props, r.secretPaths, r.rawProps);
    const view: ResourceView = { type: r.type, name: r.name, urn: r.urn, inputs };
    if (r.type === TYPES.command) {
        const env = Object.fromEntries(
            Object.entries((inputs["environment"] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        );
        const calls = SCRIPTS.filter((k) => typeof inputs[k] === "string").map(
            (k) => [k, herokuCalls(inputs[k] as string, env)] as const,
        );
        view.herokuCalls = Object.fromEntries(calls);
    }
    return view;
}

/** One input as text: lists joined, objects as k=v, scalars as written. */
export function inputText(v: unknown): string {
    if (Array.isArray(v)) {
        return v.length === 0 ? "(none)" : v.map(inputText).join(", ");
    }
    if (v !== null && typeof v === "object") {
        return Object.entries(v as Record<string, unknown>)
            .map(([k, x]) => `${k}=${inputText(x)}`)
            .join(" ");
    }
    return String(v);
}

/** The lines under a resource in `plan`'s text output. */
export function renderInputs(r: ResourceView, indent = "      "): string[] {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(r.inputs).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (r.herokuCalls && (SCRIPTS as readonly string[]).includes(k)) {
            const calls = r.herokuCalls[k as ScriptKey] ?? [];
            lines.push(`${indent}${k}: ${calls.length === 0 ? "(no Heroku call)" : calls[0]}`);
            calls.slice(1).forEach((c) => lines.push(`${indent}${" ".repeat(k.length + 2)}${c}`));
        } else {
            lines.push(`${indent}${k}: ${inputText(v)}`);
        }
    }
    return lines;
}

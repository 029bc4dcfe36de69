/**
 * `--policy-pack-config` as the engine reconciles it (pulumi v3.248
 * pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig): each policy
 * starts from its configSchema's defaults and its own enforcement level; an
 * "all" entry sets every level; then each policy's OWN section of the file
 * overlays its level and properties. Nothing is shared between sections: a
 * key under the wrong policy reaches only that policy. The result is
 * validated against each configSchema, and an invalid config stops the run.
 */
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import {
    PackConfigError as FileError,
    describeValue,
    keyPosition,
    parsePackConfigText,
} from "../core/pack-config-file";
import { createPolicies } from "../policy/policies";

/** A `--policy-pack-config` file: policy name -> enforcement level, or {enforcementLevel?, ...properties}. */
export type PackConfigFile = Readonly<Record<string, string | Readonly<Record<string, unknown>>>>;

/** What the engine sends each policy in ConfigureAnalyzer. */
export interface ReconciledPolicyConfig {
    readonly enforcementLevel?: EnforcementLevel;
    readonly properties: Readonly<Record<string, unknown>>;
}

export class PackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`the policy pack configuration is invalid: ${problems.join("; ")}`);
        this.name = "PackConfigError";
    }
}

export const PACK_CONFIG_FILE = join(__dirname, "..", "policy", "config.json");

/** The file as the operator edits it (a dist/ link resolved), relative to the working directory when inside it. */
export function shownPath(file: string): string {
    let real = file;
    try {
        real = realpathSync(file);
    } catch {
        // unreadable: the read says so
    }
    const rel = relative(process.cwd(), real);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : real;
}

/** Examples of each key's form, for the fix of a wrong-typed value (the schema gives only the type). */
const EXAMPLES: Readonly<Record<string, string>> = {
    allowedSigners: '["op@raxx.app namespaces=\\"raptor-signoff\\" ssh-ed25519 AAAAC3Nz..."]',
    markSigners: '["soak@raxx.app namespaces=\\"raptor-soak\\" ssh-ed25519 AAAAC3Nz..."]',
    operators: '["op@raxx.app"]',
    requireSignature: "true",
    maxAgeHours: "168",
    soakHours: "72",
    appendOnly: '["audit_integrity_log", ...]',
    locked: '["alembic_version", "schema_migrations"]',
    appRole: '"raptor_app"',
};

/** A JSON Schema as the form a value takes, e.g. "an array of non-empty strings", "a number of at least 1". */
function formOf(schema: Readonly<Record<string, unknown>>): string {
    const bound = typeof schema["minimum"] === "number" ? ` of at least ${schema["minimum"]}` : "";
    const item = schema["items"] as Readonly<Record<string, unknown>> | undefined;
    switch (schema["type"]) {
        case "array":
            return `an array of ${item === undefined ? "values" : formOf(item).replace(/^an? /, "").concat("s")}`;
        case "string":
            return typeof schema["minLength"] === "number" && schema["minLength"] > 0
                ? "a non-empty string"
                : "a string";
        case "boolean":
            return "true or false";
        default:
            return `a ${String(schema["type"])}${bound}`;
    }
}

/**
 * policy/config.json (or FILE) as `--policy-pack-config` passes it, checked as the engine checks it: a JSON syntax
 * error, or a key of the wrong form in a policy's section, throws PackConfigError naming the file as edited, the
 * line and column, the key and its expected form.
 */
export function loadPackConfigFile(path: string = PACK_CONFIG_FILE): PackConfigFile {
    const text = readFileSync(path, "utf8");
    const shown = shownPath(path);
    const file = parsePackConfigText(text, shown) as PackConfigFile;
    const wrong: { message: string; fix: string }[] = [];
    for (const p of createPolicies()) {
        const section = file[p.name];
        for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            const v = typeof section === "object" ? section[key] : undefined;
            if (v !== undefined && schemaProblems(schema, v, key).length > 0) {
                const { line, column } = keyPosition(text, p.name, key);
                const form = formOf(schema as Record<string, unknown>);
                wrong.push({
                    message: `${shown}:${line}:${column}: ${p.name}.${key} is ${describeValue(v)}; expected ${form}`,
                    fix: `write it as "${key}": ${EXAMPLES[key] ?? form} under "${p.name}" in ${shown}`,
                });
            }
        }
    }
    if (wrong.length > 0) {
        throw new FileError(
            wrong.map((w) => w.message).join("\n  "),
            `${wrong.map((w) => w.fix).join("; ")}, then run the command again`,
        );
    }
    return file;
}

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];

/** JSON Schema, the subset the pack's configSchemas use (type, items, minLength, minimum, enum). */
function schemaProblems(schema: object, v: unknown, at: string): string[] {
    const s = schema as Record<string, unknown>;
    const type = s["type"];
    const is: Record<string, (x: unknown) => boolean> = {
        string: (x) => typeof x === "string",
        number: (x) => typeof x === "number" && Number.isFinite(x),
        integer: (x) => Number.isInteger(x),
        boolean: (x) => typeof x === "boolean",
        array: (x) => Array.isArray(x),
        object: (x) => x !== null && typeof x === "object" && !Array.isArray(x),
    };
    if (typeof type === "string" && is[type] && !is[type](v)) {
        return [
            `${at}: Invalid type. Expected: ${type}, ` +
                `given: ${Array.isArray(v) ? "array" : v === null ? "null" : typeof v}`,
        ];
    }
    const out: string[] = [];
    if (typeof s["minLength"] === "number" && typeof v === "string" && v.length < s["minLength"]) {
        out.push(`${at}: String length must be greater than or equal to ${s["minLength"]}`);
    }
    if (typeof s["minimum"] === "number" && typeof v === "number" && v < s["minimum"]) {
        out.push(`${at}: Must be greater than or equal to ${s["minimum"]}`);
    }
    if (Array.isArray(s["enum"]) && !s["enum"].includes(v)) {
        out.push(`${at}: must be one of ${JSON.stringify(s["enum"])}`);
    }
    if (Array.isArray(v) && s["items"] !== undefined) {
        v.forEach((x, i) => out.push(...schemaProblems(s["items"] as Record<string, unknown>, x, `${at}.${i}`)));
    }
    return out;
}

/** Each policy's reconciled config, as ConfigureAnalyzer carries it; throws PackConfigError as the engine refuses. */
export function reconcilePackConfig(
    policies: Policies,
    file: PackConfigFile = {},
): Record<string, ReconciledPolicyConfig> {
    const result: Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> = {};
    for (const p of policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, v]) => "default" in v);
        result[p.name] = {
            ...(p.enforcementLevel !== undefined ? { enforcementLevel: p.enforcementLevel } : {}),
            properties: Object.fromEntries(defaults.map(([k, v]) => [k, v.default])),
        };
    }
    const problems: string[] = [];
    const levelOf = (name: string, v: unknown): EnforcementLevel | undefined => {
        if (v === undefined) {
            return undefined;
        }
        if (typeof v !== "string" || !LEVELS.includes(v)) {
            problems.push(`${name}: enforcementLevel ${JSON.stringify(v)} is not one of ${LEVELS.join(", ")}`);
            return undefined;
        }
        return v as EnforcementLevel;
    };
    const all = file["all"];
    const allLevel = levelOf("all", typeof all === "string" ? all : all?.["enforcementLevel"]);
    if (allLevel !== undefined) {
        Object.values(result).forEach((c) => (c.enforcementLevel = allLevel));
    }
    for (const [name, given] of Object.entries(file)) {
        if (name === "all") {
            continue;
        }
        const entry = (result[name] ??= { properties: {} });
        const { enforcementLevel, ...properties } = typeof given === "string" ? { enforcementLevel: given } : given;
        const level = levelOf(name, enforcementLevel);
        if (level !== undefined) {
            entry.enforcementLevel = level;
        }
        Object.assign(entry.properties, properties);
    }
    for (const p of policies) {
        for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            const v = result[p.name].properties[k];
            problems.push(...(v === undefined ? [] : schemaProblems(schema, v, `${p.name}: ${k}`)));
        }
        for (const k of p.configSchema?.required ?? []) {
            if (result[p.name].properties[k] === undefined) {
                problems.push(`${p.name}: ${k} is required`);
            }
        }
    }
    if (problems.length > 0) {
        throw new PackConfigError(problems);
    }
    return result;
}

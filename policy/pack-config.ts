/**
 * The pack's own configuration (what `--policy-pack-config policy/config.json`
 * sets) and its defaults. The engine gives each policy only its own section,
 * with its configSchema's defaults filled in (offline/pack-config.ts does the same).
 *
 * The append-only and locked lists default to the pack's own committed
 * policy/config.json, never to the program's classification: a table moved
 * out of append-only in core/classification.ts alone stays protected, even
 * when the pack runs without `--policy-pack-config`.
 */
import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { PackConfigError, describeValue, keyPosition, parsePackConfigText } from "./core/pack-config-file";

export interface PolicyConfig {
    /** Who may be recorded as the approver of an UNSIGNED prod sign-off (only with requireSignature false). */
    readonly operators: readonly string[];
    /** ssh-keygen allowed_signers lines: who may sign a prod sign-off, with which key. */
    readonly allowedSigners: readonly string[];
    /** Refuse a sign-off without an SSH signature (default true; false only while migrating). */
    readonly requireSignature: boolean;
    /** A sign-off older than this is refused (default 168 h, a week). */
    readonly maxAgeHours: number;
    /** Hours staging's flag must have been on before prod may turn it on. */
    readonly soakHours: number;
    /** ssh-keygen allowed_signers lines: who may sign soak marks (`raptor-roles soak`), e.g. the soak workflow. */
    readonly markSigners: readonly string[];
    /** Tables no role may UPDATE, DELETE or TRUNCATE. */
    readonly appendOnly: readonly string[];
    /** Tables no role may have any privilege on. */
    readonly locked: readonly string[];
    /** The application role no role membership may touch (the stack's raptor:role counts too). */
    readonly appRole: string;
}

export type ConfigKey = keyof PolicyConfig;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const VALID: Record<ConfigKey, (v: unknown) => boolean> = {
    operators: isStrings,
    allowedSigners: isStrings,
    requireSignature: (v) => typeof v === "boolean",
    maxAgeHours: (v) => typeof v === "number" && Number.isFinite(v) && v > 0,
    soakHours: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    markSigners: isStrings,
    appendOnly: isStrings,
    locked: isStrings,
    appRole: (v) => typeof v === "string" && v !== "",
};

/** The committed pack config, next to this module. */
export const PACK_CONFIG_FILE = join(__dirname, "config.json");

/**
 * The append-only and locked lists of the committed policy/config.json; without them the pack refuses to load (fails
 * closed).
 */
function committedTableLists(): Pick<PolicyConfig, "appendOnly" | "locked"> {
    const text = readFileSync(PACK_CONFIG_FILE, "utf8");
    const shown = shownPath(PACK_CONFIG_FILE);
    const section = parsePackConfigText(text, shown)["append-only-invariant"];
    const lists = (typeof section === "object" && section !== null ? section : {}) as Record<string, unknown>;
    for (const key of ["appendOnly", "locked"] as const) {
        if (!isStrings(lists[key])) {
            const { line, column } = keyPosition(text, "append-only-invariant", key in lists ? key : undefined);
            throw new PackConfigError(
                `${shown}:${line}:${column}: append-only-invariant.${key} is ` +
                    `${key in lists ? describeValue(lists[key]) : "missing"}; expected an array of table names ` +
                    "(the pack's defaults, kept equal to core/classification.ts by test/policy/policies.test.ts)",
                `write "${key}": ["table_name", ...] under "append-only-invariant" in ${shown} ` +
                    `(\`git diff ${shown}\` shows what was edited), then run the command again`,
            );
        }
    }
    return { appendOnly: lists.appendOnly as string[], locked: lists.locked as string[] };
}

/**
 * The file as the operator edits it: the compiled CLI reads it through the dist/policy/config.json link, so the
 * link is resolved; relative to the working directory when inside it.
 */
function shownPath(file: string): string {
    let real = file;
    try {
        real = realpathSync(file);
    } catch {
        // unreadable: readFileSync has already said so
    }
    const rel = relative(process.cwd(), real);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : real;
}

/**
 * Without the pack config nobody can sign off prod (no operators: the gate
 * fails closed); the table lists are the committed policy/config.json's.
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
    operators: [],
    allowedSigners: [],
    requireSignature: true,
    maxAgeHours: 168,
    soakHours: 72,
    markSigners: [],
    ...committedTableLists(),
    appRole: "raptor_app",
};

/**
 * The effective config of one policy: what `args.getConfig()` returned,
 * value by value, else the default. A wrong-typed value falls back to the
 * default, which is always the strict choice (the engine also rejects it
 * against the policy's configSchema first).
 */
export function configOf<K extends ConfigKey>(raw: object, keys: readonly K[]): Pick<PolicyConfig, K> {
    const given = raw as Partial<Record<ConfigKey, unknown>>;
    const out: Partial<Record<ConfigKey, unknown>> = {};
    for (const k of keys) {
        out[k] = VALID[k](given[k]) ? given[k] : DEFAULT_POLICY_CONFIG[k];
    }
    return out as Pick<PolicyConfig, K>;
}

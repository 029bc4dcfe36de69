/**
 * The pack's own configuration (what `--policy-pack-config policy/config.json`
 * sets), its defaults, and the reader the offline `raptor-roles plan` uses to
 * load the same file.
 *
 * The append-only and locked lists default to the pack's own committed
 * policy/config.json, never to the program's classification: a table moved
 * out of append-only in core/classification.ts alone stays protected, even
 * when the pack runs without `--policy-pack-config`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface PolicyConfig {
    /** Who may be recorded as the approver of a prod change (`raptor:signoff.operator`). */
    readonly operators: readonly string[];
    /** Hours staging's flag must have been on before prod may turn it on. */
    readonly soakHours: number;
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
    soakHours: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    appendOnly: isStrings,
    locked: isStrings,
    appRole: (v) => typeof v === "string" && v !== "",
};

/** The committed pack config, next to this module. */
export const PACK_CONFIG_FILE = join(__dirname, "config.json");

/** The append-only and locked lists of the committed policy/config.json; without them the pack refuses to load (fails closed). */
function committedTableLists(): Pick<PolicyConfig, "appendOnly" | "locked"> {
    const { appendOnly, locked } = loadPackConfig(PACK_CONFIG_FILE);
    if (appendOnly === undefined || locked === undefined) {
        throw new Error(
            `${PACK_CONFIG_FILE} must list append-only-invariant.appendOnly and .locked (arrays of table names): they are the ` +
                "pack's defaults, kept equal to core/classification.ts by test/policy.test.ts",
        );
    }
    return { appendOnly, locked };
}

/**
 * Without the pack config nobody can sign off prod (no operators: the gate
 * fails closed); the table lists are the committed policy/config.json's.
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
    operators: [],
    soakHours: 72,
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

/**
 * Flattens a `--policy-pack-config` file ({policy-name: {key: value}}) into
 * the keys the policies read; enforcementLevel entries are not config.
 */
export function packConfigFromFile(file: unknown): Partial<PolicyConfig> {
    const out: Partial<Record<ConfigKey, unknown>> = {};
    if (file === null || typeof file !== "object") {
        return {};
    }
    for (const entry of Object.values(file as Record<string, unknown>)) {
        if (entry !== null && typeof entry === "object") {
            for (const [k, v] of Object.entries(entry)) {
                if (k in VALID && VALID[k as ConfigKey](v)) {
                    out[k as ConfigKey] = v;
                }
            }
        }
    }
    return out as Partial<PolicyConfig>;
}

/** Reads and flattens a pack config file (default: policy/config.json). */
export function loadPackConfig(path: string = PACK_CONFIG_FILE): Partial<PolicyConfig> {
    return packConfigFromFile(JSON.parse(readFileSync(path, "utf8")));
}

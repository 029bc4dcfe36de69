/**
 * Reading policy/config.json, the file operators edit by hand (to add a signer): its mistakes are reported with the
 * file as the operator knows it, the line and column, the key and the form it takes, never as a bare JSON.parse
 * "position 120". Pure: the callers read the file (the CLI through offline/pack-config.ts, the pack itself through
 * policy/pack-config.ts) and pass its text and the name to show.
 */

/** A mistake in the pack config file: the message names file:line:column and the key; `fix` is the edit. */
export class PackConfigError extends Error {
    constructor(
        message: string,
        readonly fix: string,
    ) {
        super(message);
        this.name = "PackConfigError";
    }
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
    const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
    const lines = before.split("\n");
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * Where `"key"` of the section `"section"` starts (the first `"key":` after `"section":`), or of the section itself
 * when `key` is undefined; line 1 column 1 when neither is found (a key given twice: JSON.parse keeps the last).
 */
export function keyPosition(text: string, section: string, key?: string): { line: number; column: number } {
    const find = (name: string, from: number) => {
        const m = new RegExp(`"${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:`).exec(text.slice(from));
        return m === null ? -1 : from + m.index;
    };
    const at = find(section, 0);
    const keyAt = at < 0 || key === undefined ? at : find(key, at);
    return positionOf(text, Math.max(keyAt, 0));
}

/** JSON.parse's offset ("... in JSON at position 120"), or the end of the text (an unterminated file). */
function offsetOf(message: string, text: string): number {
    const m = /at position (\d+)/.exec(message);
    return m === null ? text.length : Number(m[1]);
}

/**
 * The file's sections (policy name -> level or {enforcementLevel?, ...properties}); a JSON syntax error or a file
 * that is not an object of sections throws PackConfigError naming `shown`, the line and the column.
 */
export function parsePackConfigText(text: string, shown: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        const reason = (e as Error).message.replace(/\s*in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
        const { line, column } = positionOf(text, offsetOf((e as Error).message, text));
        throw new PackConfigError(
            `${shown}:${line}:${column}: not valid JSON: ${reason}`,
            `correct line ${line}, column ${column} of ${shown} (JSON: keys and strings in double quotes, a comma ` +
                `between entries and none after the last), then run the command again; \`git diff ${shown}\` ` +
                "shows what was edited",
        );
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new PackConfigError(
            `${shown}: is ${parsed === null ? "null" : Array.isArray(parsed) ? "an array" : typeof parsed}, ` +
                "not an object of policy sections",
            `restore it (\`git checkout ${shown}\`): an object such as {"prod-signoff": {"allowedSigners": [...]}}`,
        );
    }
    const sections = parsed as Record<string, unknown>;
    for (const [name, v] of Object.entries(sections)) {
        if (typeof v !== "string" && (v === null || typeof v !== "object" || Array.isArray(v))) {
            const { line, column } = keyPosition(text, name);
            throw new PackConfigError(
                `${shown}:${line}:${column}: "${name}" is ${describeValue(v)}; expected an object of its ` +
                    'settings or an enforcement level ("advisory", "mandatory", "disabled")',
                `write "${name}" as an object, e.g. "${name}": { ... } in ${shown}, then run the command again`,
            );
        }
    }
    return sections;
}

/** A value as a type in words, for "KEY is a string; expected ...". */
export function describeValue(v: unknown): string {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return v.every((x) => typeof x === "string") ? "an array of strings" : "an array holding a non-string";
    }
    if (typeof v === "object") {
        return "an object";
    }
    const shown = JSON.stringify(v);
    const kind = typeof v === "string" ? "a string" : `a ${typeof v}`;
    return `${kind} (${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown})`;
}

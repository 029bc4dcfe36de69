/**
 * Reads a stack's `Pulumi.<stack>.yaml` without the Pulumi CLI, for the
 * offline tools. Secure values cannot be decrypted here: they become marked
 * placeholders, and the caller is told which keys they were.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { RaptorSettings, SettingsError, parseSettings } from "../core/settings";
import { ProjectDirError, projectDir, stackFileRead } from "./project";

export { projectDir };

export interface StackFile {
    readonly stack: string;
    readonly path: string;
    /** `raptor:*` values without the prefix, as strings (objects JSON-encoded, as Pulumi passes them). */
    readonly raw: Record<string, string>;
    /** Keys whose value was `secure:` in the file and is a placeholder here. */
    readonly placeholders: string[];
}

export const PLACEHOLDER = "PLACEHOLDER-secure-value-not-decrypted-offline";

export class StackFileError extends Error {
    constructor(
        message: string,
        /** The command or edit that fixes it (raptor-roles prints it as `fix:` and in --json's error.fix). */
        readonly fix: string = "",
    ) {
        super(message);
        this.name = "StackFileError";
    }
}

export function readStackFile(stack: string, dir: string = projectDir()): StackFile {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new StackFileError(`stack ${JSON.stringify(stack)} is not a stack name`, "use e.g. --stack staging");
    }
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file) && !fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        throw new ProjectDirError(dir); // not a project at all: say so, rather than "no stack file"
    }
    if (!fs.existsSync(file)) {
        const known = fs
            .readdirSync(dir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter(Boolean);
        throw new StackFileError(
            `no stack file ${file}; known stacks: ${known.join(", ") || "none"}`,
            known.length > 0 ? `use --stack ${known.join(" or --stack ")}` : `create it: pulumi stack init ${stack}`,
        );
    }
    let doc: { config?: Record<string, unknown> };
    try {
        doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    } catch (e) {
        // The YAML parser names the line and column but not the file.
        throw new StackFileError(
            `${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`,
            `fix that line of ${path.basename(file)} (git diff ${path.basename(file)} shows what changed)`,
        );
    }
    const raw: Record<string, string> = {};
    const placeholders: string[] = [];
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (!key.startsWith("raptor:")) {
            continue;
        }
        const k = key.slice("raptor:".length);
        if (value !== null && typeof value === "object" && "secure" in (value as object)) {
            raw[k] = PLACEHOLDER;
            placeholders.push(k);
        } else {
            raw[k] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    stackFileRead(file);
    return { stack, path: file, raw, placeholders };
}

/** The validated settings of a stack file (the same validation as `pulumi up`). */
export function stackSettings(stack: string, dir?: string): RaptorSettings {
    const f = readStackFile(stack, dir);
    const { ownerDatabaseUrl: _o, signoff: _s, ...rest } = f.raw;
    try {
        return parseSettings(stack, rest);
    } catch (e) {
        throw e instanceof SettingsError ? settingsErrorIn(f.path, e) : e;
    }
}

/**
 * A stack file that reads but whose raptor:* keys do not validate: code `config` (README's table of codes), where
 * StackFileError's `stack-file` is the file itself (missing, not YAML).
 */
export class StackConfigError extends StackFileError {
    constructor(message: string, fix: string) {
        super(message, fix);
        this.name = "StackConfigError";
    }
}

/** A SettingsError from a stack file, naming the file and carrying the first problem's fix. */
export function settingsErrorIn(file: string, e: SettingsError): StackConfigError {
    const first = e.problems[0] ?? "";
    const fix = first.slice(first.indexOf(": ") + 2);
    return new StackConfigError(`${file}: ${e.message}`, e.problems.length > 1 ? `${fix} (and each line above)` : fix);
}

/**
 * node:util parseArgs with the project's usage errors and --help handling. A flag given twice is refused
 * (parseArgs would silently keep the last one, so `--stack staging ... --stack prod` would act on prod).
 */
import { parseArgs, ParseArgsConfig } from "node:util";
import { UsageError } from "./contract";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `redact` rewrites parseArgs' own message before it is shown: it quotes the argument it rejects, which may be a
 * URL with a password in it (verify).
 */
export function parse<O extends Options>(
    argv: string[],
    options: O,
    command: string,
    redact: (message: string) => string = (m) => m,
) {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: { ...options, help: { type: "boolean", short: "h" } },
            allowPositionals: false,
            strict: true,
            tokens: true,
        });
    } catch (e) {
        throw new UsageError(redact((e as Error).message), `raptor-roles ${command} --help lists the options`);
    }
    const seen = new Set<string>();
    for (const t of parsed.tokens) {
        if (t.kind !== "option") {
            continue;
        }
        if (seen.has(t.name) && options[t.name]?.multiple !== true) {
            throw new UsageError(
                `--${t.name} is given more than once; each option may be given once`,
                `keep the one --${t.name} you mean and drop the others`,
            );
        }
        seen.add(t.name);
    }
    return { values: parsed.values, positionals: parsed.positionals };
}

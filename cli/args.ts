/** node:util parseArgs with the project's usage errors and --help handling. */
import { parseArgs, ParseArgsConfig } from "node:util";
import { UsageError } from "./io";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(argv: string[], options: O) {
    try {
        return parseArgs({
            args: argv,
            options: { ...options, help: { type: "boolean", short: "h" } },
            allowPositionals: false,
            strict: true,
        });
    } catch (e) {
        throw new UsageError((e as Error).message);
    }
}

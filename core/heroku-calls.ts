/**
 * The Heroku CLI calls a command resource's script can make, with its
 * environment filled in, for `plan` to show what will run (the way
 * `pulumi preview --diff` shows inputs).
 *
 * Reads the scripts of core/heroku-scripts.ts, which keep one layout: a
 * function is `name() {` ... `}` at column 0 (or one line), and a call is
 * `heroku`, or the scripts' `hk` wrapper around it, at the start of a command
 * (line start, `$(`, `retry`, after `|`, `;`, `&&`, `{` or a case arm's `)`,
 * past any `VAR=value` prefixes); it is shown as `heroku`. Calls inside
 * functions count only when the script uses the function. Messages that
 * mention heroku inside quotes are not calls.
 */

// A regular expression literal cannot be split across lines; rebuilding it from strings would hide its escapes.
/* eslint-disable @stylistic/max-len */
const CALL =
    /(?:^\s*|\$\(|\bretry\s+|[;|{]\s*|\)\s+|&&\s*)(?:[A-Z_]+=\S*\s+)*((?:heroku|hk)\s+[a-z][\w:-]*(?:\s+(?:"[^"]*"|'[^']*'|[^\s|;&)>"']+))*)/g;
/* eslint-enable @stylistic/max-len */

interface Script {
    readonly functions: ReadonlyMap<string, readonly string[]>;
    readonly main: readonly string[];
}

function split(script: string): Script {
    const functions = new Map<string, string[]>();
    const main: string[] = [];
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        const oneLine = /^(\w+)\(\)\s*\{(.*)\}\s*;?\s*$/.exec(line);
        const opens = /^(\w+)\(\)\s*\{\s*$/.exec(line);
        if (oneLine) {
            functions.set(oneLine[1] as string, [oneLine[2] as string]);
        } else if (opens) {
            const body: string[] = [];
            while (++i < lines.length && lines[i] !== "}") {
                body.push(lines[i] as string);
            }
            functions.set(opens[1] as string, body);
        } else {
            main.push(line);
        }
    }
    return { functions, main };
}

/** `"$APP"` and `"${DATABASE}_URL"` with the environment's values; unquoted where the value has no space. */
function fill(call: string, env: Readonly<Record<string, string>>): string {
    return call
        .replace(
            /\$\{(\w+)\}|\$(\w+)/g,
            (whole, a: string | undefined, b: string | undefined) => env[(a ?? b) as string] ?? whole,
        )
        .replace(/"([^"\s]*)"/g, "$1");
}

/** The Heroku calls of a script, in the order they appear, each once. */
export function herokuCalls(script: string, env: Readonly<Record<string, string>> = {}): string[] {
    const { functions, main } = split(script);
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (lines: readonly string[], active: Set<string>) => {
        for (const line of lines) {
            // Calls and uses of functions, by position on the line.
            const events: Array<[number, () => void]> = [];
            for (const m of line.matchAll(CALL)) {
                const call = fill((m[1] as string).trim().replace(/^hk\b/, "heroku"), env);
                events.push([
                    m.index ?? 0,
                    () => {
                        if (!seen.has(call)) {
                            seen.add(call);
                            out.push(call);
                        }
                    },
                ]);
            }
            for (const [name, body] of functions) {
                const use = new RegExp(`(^|[\\s$(;|&])${name}(?=$|[\\s);|&])`).exec(line);
                if (use && !active.has(name)) {
                    events.push([use.index, () => visit(body, new Set([...active, name]))]);
                }
            }
            events.sort((a, b) => a[0] - b[0]).forEach(([, run]) => run());
        }
    };
    visit(main, new Set());
    return out;
}

/**
 * Bind parameters in SQL written inside Python, turned into PostgreSQL's own
 * placeholders ($1, $2, ...) so the statement reaches the grammar as the driver
 * would send it:
 * - SQLAlchemy's `:name` (text(), Session.execute(str), and op.execute(str),
 *   which Alembic wraps in text()); `\:` is SQLAlchemy's escaped colon;
 * - psycopg's pyformat, `%(name)s` and `%s` (psycopg 3 adds %b and %t), with
 *   `%%` standing for one `%`.
 * Only code is rewritten (sql-lexer.ts): a string constant, a quoted identifier
 * or a comment keeps its text, and `::` stays a cast, so `:id::int` is the bind
 * `:id` cast to int.
 */
import { isIdentChar, lexSql } from "./sql-lexer";

export interface Rewritten {
    readonly sql: string;
    /** The binds found, in order of first use (`:name`, `%(name)s`, `%s`). */
    readonly binds: readonly string[];
}

const PYFORMAT = /%(?:\((\w+)\))?[sbt]/y;
const NAME = /\w+/y;

/** Rewrites one run of code, numbering named binds through `numbers` so a name used twice is one placeholder. */
function rewriteCode(sql: string, from: number, to: number, numbers: Map<string, number>, binds: string[]): string {
    const placeholder = (key: string, shown: string) => {
        if (!numbers.has(key)) {
            numbers.set(key, numbers.size + 1);
            binds.push(shown);
        }
        return `$${numbers.get(key)}`;
    };
    let out = "";
    let i = from;
    while (i < to) {
        const c = sql[i];
        if (c === ":" && sql[i + 1] === ":") {
            out += "::"; // a cast: the type name after it is never a bind
            i += 2;
        } else if (c === "\\" && sql[i + 1] === ":") {
            out += ":";
            i += 2;
        } else if (c === ":" && !isIdentChar(sql[i - 1]) && sql[i - 1] !== ":") {
            NAME.lastIndex = i + 1;
            const name = NAME.exec(sql)?.[0];
            if (name && i + 1 + name.length <= to) {
                out += placeholder(`:${name}`, `:${name}`);
                i += 1 + name.length;
            } else {
                out += c;
                i++;
            }
        } else if (c === "%" && sql[i + 1] === "%") {
            out += "%";
            i += 2;
        } else if (c === "%") {
            PYFORMAT.lastIndex = i;
            const m = PYFORMAT.exec(sql);
            if (m && i + m[0].length <= to) {
                // Each positional %s is its own parameter; a named one is numbered once.
                out += m[1] ? placeholder(`%(${m[1]})`, m[0]) : placeholder(`%${numbers.size}`, m[0]);
                i += m[0].length;
            } else {
                out += c;
                i++;
            }
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

/** The SQL with every bind parameter in code replaced by a PostgreSQL placeholder. */
export function rewriteBinds(sql: string): Rewritten {
    const numbers = new Map<string, number>();
    const binds: string[] = [];
    const parts = lexSql(sql).map((r) =>
        r.kind === "code" ? rewriteCode(sql, r.from, r.to, numbers, binds) : sql.slice(r.from, r.to),
    );
    return { sql: parts.join(""), binds };
}

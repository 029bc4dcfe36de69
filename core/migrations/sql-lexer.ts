/**
 * Where SQL text is code and where it is not, by PostgreSQL's lexical rules
 * (https://www.postgresql.org/docs/17/sql-syntax-lexical.html): string
 * constants ('...' with '' escapes, E'...' with backslash escapes, $tag$...$tag$),
 * quoted identifiers ("..."), comments (-- to the end of the line, nested
 * /* ... *\/). Binds are rewritten (binds.ts) and statements split only in code,
 * so a `:x` inside '12:30', "a:b" or a comment is never touched.
 */

export type RegionKind = "code" | "string" | "identifier" | "comment";

/** A run of the text, [from, to) in UTF-16 offsets. */
export interface Region {
    readonly kind: RegionKind;
    readonly from: number;
    readonly to: number;
}

/** Characters that continue an identifier or keyword (PostgreSQL: letters, digits, _, $, and any non-ASCII). */
export const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[\w$\u0080-\uffff]/.test(c);

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/** End of a '...' string starting at i (the quote); backslash escapes only in an E'...' string. */
function stringEnd(sql: string, i: number, backslash: boolean): number {
    let j = i + 1;
    while (j < sql.length) {
        if (backslash && sql[j] === "\\") {
            j += 2;
        } else if (sql[j] === "'") {
            if (sql[j + 1] !== "'") {
                return j + 1;
            }
            j += 2;
        } else {
            j++;
        }
    }
    return sql.length;
}

function quotedIdentifierEnd(sql: string, i: number): number {
    let j = i + 1;
    while (j < sql.length) {
        if (sql[j] === '"') {
            if (sql[j + 1] !== '"') {
                return j + 1;
            }
            j += 2;
        } else {
            j++;
        }
    }
    return sql.length;
}

function blockCommentEnd(sql: string, i: number): number {
    let depth = 0;
    let j = i;
    while (j < sql.length) {
        if (sql.startsWith("/*", j)) {
            depth++;
            j += 2;
        } else if (sql.startsWith("*/", j)) {
            depth--;
            j += 2;
            if (depth === 0) {
                return j;
            }
        } else {
            j++;
        }
    }
    return sql.length;
}

/** The region that starts at i, or undefined when i is plain code. */
function regionAt(sql: string, i: number): Region | undefined {
    const c = sql[i];
    if (c === "'") {
        // E'...' (or e'...') takes backslash escapes; the E must be a token of its own, not the end of a name.
        const e = (sql[i - 1] === "E" || sql[i - 1] === "e") && !isIdentChar(sql[i - 2]);
        return { kind: "string", from: i, to: stringEnd(sql, i, e) };
    }
    if (c === '"') {
        return { kind: "identifier", from: i, to: quotedIdentifierEnd(sql, i) };
    }
    if (c === "-" && sql[i + 1] === "-") {
        const nl = sql.indexOf("\n", i);
        return { kind: "comment", from: i, to: nl < 0 ? sql.length : nl };
    }
    if (c === "/" && sql[i + 1] === "*") {
        return { kind: "comment", from: i, to: blockCommentEnd(sql, i) };
    }
    if (c === "$" && !isIdentChar(sql[i - 1])) {
        DOLLAR_TAG.lastIndex = i;
        const tag = DOLLAR_TAG.exec(sql)?.[0];
        if (tag) {
            const close = sql.indexOf(tag, i + tag.length);
            return { kind: "string", from: i, to: close < 0 ? sql.length : close + tag.length };
        }
    }
    return undefined;
}

/** Splits SQL into code, strings, quoted identifiers and comments, in order, covering the whole text. */
export function lexSql(sql: string): Region[] {
    const out: Region[] = [];
    let code = 0;
    let i = 0;
    while (i < sql.length) {
        const r = regionAt(sql, i);
        if (!r) {
            i++;
            continue;
        }
        if (code < r.from) {
            out.push({ kind: "code", from: code, to: r.from });
        }
        out.push(r);
        i = code = r.to;
    }
    if (code < sql.length) {
        out.push({ kind: "code", from: code, to: sql.length });
    }
    return out;
}

/**
 * The statements of a text, split at semicolons in code, each with its offset. Used only after
 * PostgreSQL's grammar refused the whole text, so each statement can be read on its own.
 */
export function splitStatements(sql: string): Array<{ text: string; from: number }> {
    const cuts: number[] = [];
    for (const r of lexSql(sql).filter((x) => x.kind === "code")) {
        for (let i = r.from; i < r.to; i++) {
            if (sql[i] === ";") {
                cuts.push(i + 1);
            }
        }
    }
    const out: Array<{ text: string; from: number }> = [];
    let from = 0;
    for (const to of [...cuts, sql.length]) {
        const text = sql.slice(from, to);
        if (lexSql(text).some((r) => r.kind === "code" && /[^\s;]/.test(text.slice(r.from, r.to)))) {
            out.push({ text, from });
        }
        from = to;
    }
    return out;
}

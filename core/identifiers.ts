/**
 * Postgres identifier rules shared by the classification, the SQL renderer and
 * the live verifier.
 */

/** Longest identifier Postgres keeps without truncating (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * A plain identifier is one Postgres would store exactly as written without
 * quotes: lower case letters, digits, `_` and `$`, not starting with a digit.
 * The classification only accepts these so that a typo such as `Users` or
 * `audit-log` is caught at plan time instead of becoming a grant on a table
 * that does not exist.
 */
export function isPlainIdentifier(name: string): boolean {
    return /^[a-z_][a-z0-9_$]*$/.test(name) && Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES;
}

/** Quote any identifier (plain, mixed case, with spaces or quotes) for SQL. */
export function quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table`, both parts quoted. */
export function qualified(schema: string, table: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

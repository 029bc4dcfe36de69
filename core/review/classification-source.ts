/**
 * Reads RAPTOR_CLASSIFICATION out of core/classification.ts as it is at some
 * git revision, with the TypeScript compiler's own parser and without running
 * it: `raptor-roles diff` compares the matrix of two revisions, and a
 * revision's file is read, never executed.
 */
import * as ts from "typescript";
import { Classification, TableSet, classify } from "../classification";

export const CLASSIFICATION_FILE = "core/classification.ts";
const SETS: readonly TableSet[] = ["application", "appendOnly", "locked"];

export class ClassificationSourceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ClassificationSourceError";
    }
}

/** `x as const`, `x satisfies T`, `(x)` down to x. */
function unwrap(e: ts.Expression): ts.Expression {
    while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e)) {
        e = e.expression;
    }
    return e;
}

function tablesOf(p: ts.ObjectLiteralElementLike, where: string): string[] {
    if (!ts.isPropertyAssignment(p)) {
        throw new ClassificationSourceError(
            `${where} is not written as \`name: [...]\`; keep each set a plain list of table names`,
        );
    }
    const list = unwrap(p.initializer);
    if (!ts.isArrayLiteralExpression(list)) {
        throw new ClassificationSourceError(
            `${where} is not a list literal; keep each set a plain list of table names`,
        );
    }
    return list.elements.map((e) => {
        if (!ts.isStringLiteral(e) && !ts.isNoSubstitutionTemplateLiteral(e)) {
            throw new ClassificationSourceError(
                `${where} holds ${e.getText()}, not a string literal; write each table name as a literal`,
            );
        }
        return e.text;
    });
}

/**
 * The classification a revision's source declares. Throws a
 * ClassificationSourceError naming what it cannot read, or classify()'s
 * error when the sets themselves are invalid.
 */
export function classificationFromSource(source: string, label: string): Classification {
    const file = ts.createSourceFile(CLASSIFICATION_FILE, source, ts.ScriptTarget.ES2020, true);
    let literal: ts.ObjectLiteralExpression | undefined;
    for (const s of file.statements) {
        if (!ts.isVariableStatement(s)) {
            continue;
        }
        for (const d of s.declarationList.declarations) {
            if (ts.isIdentifier(d.name) && d.name.text === "RAPTOR_CLASSIFICATION" && d.initializer) {
                const init = unwrap(d.initializer);
                if (!ts.isObjectLiteralExpression(init)) {
                    throw new ClassificationSourceError(`${label}: RAPTOR_CLASSIFICATION is not an object literal`);
                }
                literal = init;
            }
        }
    }
    if (!literal) {
        throw new ClassificationSourceError(`${label}: ${CLASSIFICATION_FILE} declares no RAPTOR_CLASSIFICATION`);
    }
    const sets: Partial<Record<TableSet, string[]>> = {};
    for (const p of literal.properties) {
        const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
        if (name && (SETS as readonly string[]).includes(name)) {
            sets[name as TableSet] = tablesOf(p, `${label}: RAPTOR_CLASSIFICATION.${name}`);
        }
    }
    const c = { application: sets.application ?? [], appendOnly: sets.appendOnly ?? [], locked: sets.locked ?? [] };
    classify(c); // same validation as the program: an invalid matrix at either revision is an error, not a diff
    return c;
}

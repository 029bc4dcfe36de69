/** diff reads a revision's core/classification.ts with the TypeScript parser and never runs it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { classificationFromSource } from "../../../core/review/classification-source";

const SOURCE = fs.readFileSync(path.join(__dirname, "..", "..", "..", "core", "classification.ts"), "utf8");

describe("classificationFromSource", () => {
    it("reads this checkout's file as the module itself exports it", () => {
        expect(classificationFromSource(SOURCE, "HEAD:core/classification.ts")).toEqual(RAPTOR_CLASSIFICATION);
    });

    it("refuses a set it would have to run to know", () => {
        const spread = SOURCE.replace(
            'locked: ["alembic_version", "schema_migrations"]',
            'locked: ["alembic_version", ...MORE]',
        );
        expect(() => classificationFromSource(spread, "abc:core/classification.ts")).toThrow(
            "abc:core/classification.ts: RAPTOR_CLASSIFICATION.locked holds ...MORE, not a string literal; write " +
                "each table name as a literal",
        );
    });

    it("validates the sets as the program does: a table in two sets is an error, not a diff", () => {
        const twice = SOURCE.replace(
            'locked: ["alembic_version", "schema_migrations"]',
            'locked: ["alembic_version", "schema_migrations", "dsr_log"]',
        );
        expect(() => classificationFromSource(twice, "x")).toThrow(
            'table "dsr_log" is in both the appendOnly and the locked sets',
        );
    });
});

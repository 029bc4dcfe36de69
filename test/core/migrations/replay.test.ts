/**
 * The replay's schema simulation on what pg_dump-style schema files do (met in
 * GeoNature's package-data SQL): SET search_path decides where unqualified
 * names are created and found, for the rest of the migration.
 */
import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION } from "../../../core/classification";
import { lintMigrations } from "../../../core/migrations/lint";
import { Op } from "../../../core/migrations/types";

const o = { classification: RAPTOR_CLASSIFICATION, schema: "public", role: "raptor_app" };
const at = (line: number) => ({ file: "0001.sql", line });
const create = (line: number, name: string, schema?: string): Op => ({
    op: "create",
    ...at(line),
    table: { ...(schema ? { schema } : {}), name },
    kind: "table",
    ifNotExists: false,
});

function lint(...migrations: Op[][]) {
    return lintMigrations(
        [
            {
                root: "m",
                tool: "sql",
                migrations: migrations.map((ops, i) => ({ file: `000${i + 1}.sql`, id: `${i + 1}`, ops })),
            },
        ],
        o,
    );
}

describe("SET search_path", () => {
    it("puts an unqualified CREATE in the path's first schema; RESET brings the matrix's schema back", () => {
        const r = lint([
            { op: "search-path", ...at(1), schemas: ["ledger", "pg_catalog"] },
            create(2, "entries"),
            { op: "search-path", ...at(3) },
            create(4, "settings"),
        ]);
        expect(r.relations).toEqual({ ledger: 1, public: 2 });
        expect(r.findings.map((f) => `${f.schema}.${f.table}`)).toEqual(["public.settings"]);
    });

    it('skips "$user" (no such schema) to the next one', () => {
        const r = lint([{ op: "search-path", ...at(1), schemas: ["$user", "reports"] }, create(2, "monthly")]);
        expect(r.relations).toEqual({ public: 1, reports: 1 });
    });

    it("finds an unqualified name in the first schema on the path that holds it: a DROP there", () => {
        const r = lint([
            create(1, "entries", "ledger"),
            { op: "search-path", ...at(2), schemas: ["public", "ledger"] },
            { op: "drop", ...at(3), table: { name: "entries" }, kind: "table" },
        ]);
        expect(r.relations).toEqual({ public: 1 });
    });

    it("ends with its migration: the next one creates in the matrix's schema again", () => {
        const r = lint([{ op: "search-path", ...at(1), schemas: ["ledger"] }], [create(1, "entries")]);
        expect(r.relations).toEqual({ public: 2 });
    });
});

/** The catalog reader without a database: one query, its parameters, and the shape check of its result. */
import { describe, expect, it } from "vitest";
import { CATALOG_SQL, planParameter, readCatalog } from "../../db/catalog";
import { catalog, plan } from "../support/catalog-fixtures";

describe("readCatalog", () => {
    it("makes exactly one query, with the role, the schema and the plan as one text", async () => {
        const calls: { text: string; values: unknown[] }[] = [];
        const db = {
            async query(text: string, values: unknown[]) {
                calls.push({ text, values });
                return {
                    rows: [
                        {
                            catalog: {
                                serverVersion: 170010,
                                currentUser: "owner",
                                database: {
                                    name: "d",
                                    owner: "owner",
                                    connect: true,
                                    create: false,
                                    ownedBy: null,
                                    acl: [],
                                },
                                role: null,
                                schemaExists: true,
                                relations: [],
                                missingTables: [],
                                checked: { tables: 0, sequences: 0, unclassified: 0 },
                                schemas: [],
                                memberships: [],
                                reached: [],
                                owned: [],
                                defaultAcl: [],
                            },
                        },
                    ],
                };
            },
        };
        const c = await readCatalog(db, plan);
        expect(calls).toHaveLength(1);
        expect(calls[0].text).toBe(CATALOG_SQL);
        expect(calls[0].values.slice(0, 2)).toEqual(["raptor_app", "public"]);
        expect(String(calls[0].values[2]).split(",").slice(0, 3)).toEqual([
            "Lalembic_version",
            "Oaudit_archival_runs",
            "Oaudit_integrity_log",
        ]);
        expect(c.role).toBeNull();
        expect(c.relations).toEqual([]);
    });

    it("refuses a table name the parameter cannot carry", () => {
        expect(() => planParameter([{ table: "a,b", set: "locked" }])).toThrow(/cannot check table/);
    });
});

describe("parseCatalog", () => {
    it("names the field whose JSON type is not the Catalog's", async () => {
        const doc = { ...catalog(), relations: null };
        const db = { query: async () => ({ rows: [{ catalog: doc }] }) };
        await expect(readCatalog(db, plan)).rejects.toThrow(
            "the catalog query returned relations as null, expected array",
        );
    });
});

/** A catalog snapshot that matches the plan, and relation groups to put drift in, for the pure verify tests. */
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import type { Catalog, CatalogRelation } from "../../core/catalog";
import { buildPlan } from "../../core/plan";
import { computeDrift } from "../../core/verify";

export const plan = buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" });

export function catalog(over: Partial<Catalog> = {}): Catalog {
    return {
        serverVersion: 170010,
        currentUser: "owner",
        database: { name: "d", owner: "owner", connect: true, create: false, ownedBy: null, acl: [] },
        role: {
            name: "raptor_app",
            canLogin: true,
            superuser: false,
            createRole: false,
            createDb: false,
            replication: false,
            bypassRls: false,
            connectionLimit: -1,
            expired: false,
        },
        schemaExists: true,
        relations: [],
        missingTables: [],
        checked: { tables: 40, sequences: 38, unclassified: 0 },
        schemas: [{ name: "public", usage: true, create: false, owner: null, ownedByDatabaseOwner: true, acl: [] }],
        memberships: [],
        reached: [],
        owned: [],
        defaultAcl: [{ owner: "owner", schema: "public", objectType: "S", grantee: "raptor_app", privilege: "USAGE" }],
        ...over,
    };
}

export function rel(name: string, over: Partial<CatalogRelation> = {}): CatalogRelation {
    return {
        names: [name],
        kind: "r",
        partition: false,
        owner: null,
        privileges: [],
        columnPrivileges: [],
        grantOptions: [],
        acl: [],
        linkedTable: null,
        ...over,
    };
}

export const fixesOf = (c: Catalog) => computeDrift(plan, c).drifts.map((d) => [d.class, d.fix]);

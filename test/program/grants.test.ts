/**
 * The program's grant graph under Pulumi mocks, for both stacks: exact
 * counts, per-table privileges, names stable by table, provider settings,
 * secrecy, and equivalence with the SQL plan.
 */
import { describe, expect, it } from "vitest";
import { RAPTOR_CLASSIFICATION, classify } from "../../core/classification";
import { buildPlan } from "../../core/plan";
import { renderSql } from "../../core/sql";
import { TYPES } from "../../core/resources";
import { OWNER_PASSWORD, PROD, Recorded, STAGING, isSecret, runProgram } from "../support/mocks";

const STACKS = [
    ["staging", STAGING],
    ["prod", PROD],
] as const;
const tableGrants = (rs: Recorded[]) => rs.filter((r) => r.type === TYPES.grant && r.props.objectType === "table");

describe.each(STACKS)("the %s stack's grants", (stack, config) => {
    it("declares one Grant per classified table, plus the schema and sequence grants", async () => {
        const { resources, error } = await runProgram({ stack, config });
        expect(error).toBeUndefined();
        expect(tableGrants(resources)).toHaveLength(40);
        expect(resources.filter((r) => r.type === TYPES.grant)).toHaveLength(42);
        expect(resources.filter((r) => r.type === TYPES.defaultPrivileges)).toHaveLength(1);
    });

    it("gives each table exactly its set's privileges, one table per grant, never empty objects", async () => {
        const { resources } = await runProgram({ stack, config });
        const expected = new Map(classify(RAPTOR_CLASSIFICATION).map((t) => [t.table, t.privileges]));
        for (const g of tableGrants(resources)) {
            const objects = g.props.objects as string[];
            expect(objects).toHaveLength(1);
            expect(g.props.privileges, objects[0]).toEqual(expected.get(objects[0]));
            expect(g.props.role).toBe("raptor_app");
            expect(g.props.schema).toBe("public");
            expect(g.props.database).toBe("d8raptor");
        }
    });

    it("grants USAGE on the schema and on its sequences, now and by default", async () => {
        const { resources } = await runProgram({ stack, config });
        const schema = resources.find((r) => r.type === TYPES.grant && r.props.objectType === "schema")!;
        expect(schema.props).toMatchObject({ schema: "public", privileges: ["USAGE"], role: "raptor_app" });
        const seq = resources.find((r) => r.type === TYPES.grant && r.props.objectType === "sequence")!;
        expect(seq.props).toMatchObject({ schema: "public", privileges: ["USAGE"] });
        const dp = resources.find((r) => r.type === TYPES.defaultPrivileges)!;
        expect(dp.props).toMatchObject({
            objectType: "sequence",
            privileges: ["USAGE"],
            owner: "owner_u1",
            role: "raptor_app",
        });
    });

    it("configures the provider for a non-superuser owner over SSL with few connections", async () => {
        const { resources } = await runProgram({ stack, config });
        const providers = resources.filter((r) => r.type === TYPES.postgresProvider);
        expect(providers).toHaveLength(1);
        // Provider config reaches the engine JSON-encoded, as strings.
        expect(providers[0].props).toMatchObject({
            host: "owner-host.invalid",
            port: "5432",
            username: "owner_u1",
            database: "d8raptor",
            sslmode: "require",
            superuser: "false",
            maxConnections: "2",
        });
        for (const g of resources.filter((r) => r.type === TYPES.grant || r.type === TYPES.defaultPrivileges)) {
            expect(g.opts.provider, g.name).toBeDefined();
        }
    });

    it("follows the owner URL's sslmode: a local database's sslmode=disable reaches the provider", async () => {
        const ownerUrl = "postgres://owner_u1:pw-local-1@127.0.0.1:5432/d8raptor?sslmode=disable";
        const { resources } = await runProgram({ stack, config, ownerUrl });
        const provider = resources.find((r) => r.type === TYPES.postgresProvider)!;
        expect(provider.props).toMatchObject({ host: "127.0.0.1", sslmode: "disable" });
    });

    it("keeps the owner password secret in the provider", async () => {
        const { resources } = await runProgram({ stack, config });
        const provider = resources.find((r) => r.type === TYPES.postgresProvider)!;
        expect(provider.props.password).toBe(OWNER_PASSWORD);
        expect(provider.secretPaths).toContain("password");
        expect(await isSecret(provider.rawProps.password)).toBe(true);
    });
});

describe("grant names are stable by table", () => {
    it("adding one table adds exactly one resource and changes no other resource's inputs", async () => {
        const before = await runProgram({ stack: "staging", config: STAGING });
        const withNew = {
            ...RAPTOR_CLASSIFICATION,
            application: [...RAPTOR_CLASSIFICATION.application, "strategy_backtests"],
        };
        const after = await runProgram({ stack: "staging", config: STAGING, classification: withNew });
        const key = (r: Recorded) => r.urn;
        const beforeByUrn = new Map(before.resources.map((r) => [key(r), r]));
        const added = after.resources.filter((r) => !beforeByUrn.has(key(r)));
        expect(added.map((r) => r.name)).toEqual(["raptor-grants-table-strategy_backtests"]);
        expect(after.resources).toHaveLength(before.resources.length + 1);
        for (const r of after.resources.filter((x) => beforeByUrn.has(key(x)))) {
            // The flag's inputs do not list the grants; dependsOn is an option, not an input.
            expect(r.props, r.name).toEqual(beforeByUrn.get(key(r))!.props);
        }
    });
});

describe("the declared grants and the SQL script", () => {
    it("carry the same (table, privileges) pairs", async () => {
        const { resources } = await runProgram({ stack: "staging", config: STAGING });
        const declared = tableGrants(resources)
            .map((g) => `${(g.props.objects as string[])[0]}:${(g.props.privileges as string[]).join(",")}`)
            .sort();
        const sql = renderSql(
            buildPlan({ classification: RAPTOR_CLASSIFICATION, role: "raptor_app", schema: "public" }),
        );
        const fromSql = [...sql.matchAll(/^REVOKE ALL ON TABLE "public"\."([^"]+)" FROM "raptor_app";$/gm)]
            .map((m) => {
                const grant = new RegExp(`^GRANT ([A-Z, ]+) ON TABLE "public"\\."${m[1]}" TO`, "m").exec(sql);
                return `${m[1]}:${grant ? grant[1].split(", ").join(",") : ""}`;
            })
            .sort();
        expect(fromSql).toHaveLength(40);
        expect(declared).toEqual(fromSql);
    });
});

/**
 * The deploy-time gate's rule on verify's catalog: what stops `pulumi up` before any change (a classified table
 * gone, a table in no set on which the role holds privileges) and what is only reported (a new table the role
 * cannot touch, failure mode C).
 */
import { describe, expect, it } from "vitest";
import { liveMatrixStopMessage, liveMatrixVerdict, liveMatrixWarning } from "../../core/live-matrix";
import { catalog, plan, rel } from "../support/catalog-fixtures";

describe("liveMatrixVerdict", () => {
    it("passes a catalog that matches the plan, with nothing to say", () => {
        expect(liveMatrixVerdict(plan, catalog())).toEqual({ stops: [], notices: [] });
    });

    it("stops on a classified table that a migration dropped, naming the fix in core/classification.ts", () => {
        const { stops, notices } = liveMatrixVerdict(plan, catalog({ missingTables: ["symbols"] }));
        expect(notices).toEqual([]);
        expect(stops).toEqual([
            {
                table: "symbols",
                problem: "missing",
                held: [],
                fix:
                    'remove "symbols" from its set in core/classification.ts if a migration dropped or renamed it ' +
                    "(and add the new name), or run the migration that creates it",
            },
        ]);
    });

    it("stops on a renamed table that kept its ACL: the role holds DML on a table no set lists", () => {
        const renamed = rel("waitlist_quebec", { privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] });
        const { stops } = liveMatrixVerdict(
            plan,
            catalog({ missingTables: ["quebec_waitlist"], relations: [renamed] }),
        );
        expect(stops.map((s) => [s.table, s.problem])).toEqual([
            ["quebec_waitlist", "missing"],
            ["waitlist_quebec", "unlisted-privileges"],
        ]);
        expect(stops[1].held).toEqual(["SELECT", "INSERT", "UPDATE", "DELETE"]);
        expect(stops[1].fix).toBe(
            'add "waitlist_quebec" to application, appendOnly or locked in core/classification.ts, ' +
                'or run REVOKE ALL ON TABLE "public"."waitlist_quebec" FROM "raptor_app"',
        );
    });

    it("counts a column-level privilege as held", () => {
        const { stops } = liveMatrixVerdict(
            plan,
            catalog({ relations: [rel("notes", { columnPrivileges: ["SELECT"] })] }),
        );
        expect(stops.map((s) => [s.table, s.held])).toEqual([["notes", ["SELECT"]]]);
    });

    it("only reports a new table the role holds nothing on", () => {
        const { stops, notices } = liveMatrixVerdict(plan, catalog({ relations: [rel("feature_flags")] }));
        expect(stops).toEqual([]);
        expect(notices).toEqual([
            {
                table: "feature_flags",
                problem: "unclassified",
                held: [],
                fix: 'add "feature_flags" to application, appendOnly or locked in core/classification.ts',
            },
        ]);
    });

    it("says a name that cannot be classified must be renamed", () => {
        const { notices } = liveMatrixVerdict(plan, catalog({ relations: [rel("Mixed Case")] }));
        expect(notices[0].fix).toBe('rename "Mixed Case" to a lower-case name (it cannot be classified as it is)');
    });

    it("ignores sequences, classified tables with drift, and partitions that hold nothing", () => {
        const relations = [
            rel("users_id_seq", { kind: "S", privileges: ["USAGE", "UPDATE"] }),
            rel("users", { privileges: ["SELECT"] }),
            rel("events_2026", { partition: true }),
        ];
        expect(liveMatrixVerdict(plan, catalog({ relations }))).toEqual({ stops: [], notices: [] });
    });
});

describe("the gate's messages", () => {
    it("name every table, what is wrong and its fix, and say that nothing was changed", () => {
        const { stops } = liveMatrixVerdict(
            plan,
            catalog({ missingTables: ["symbols"], relations: [rel("waitlist_quebec", { privileges: ["SELECT"] })] }),
        );
        const text = liveMatrixStopMessage(plan, stops);
        expect(text.split("\n")).toEqual([
            'the live schema "public" no longer matches the matrix in core/classification.ts (2 tables); ' +
                "nothing was changed:",
            `- symbols: classified, but not in the database; fix: ${stops[0].fix}`,
            `- waitlist_quebec: in no set, yet raptor_app holds SELECT on it; fix: ${stops[1].fix}`,
            "The provider cannot see this (its refresh keeps a Grant whose table is gone); `raptor-roles verify` " +
                "shows the same. Turning the flag off (raptor:roleSeparation false) still deploys.",
        ]);
    });

    it("word a warning with its reason first", () => {
        const { notices } = liveMatrixVerdict(plan, catalog({ relations: [rel("feature_flags")] }));
        expect(liveMatrixWarning(plan, notices, "tables in no set")).toBe(
            "tables in no set:\n- feature_flags: in no set, raptor_app holds nothing on it; " +
                'fix: add "feature_flags" to application, appendOnly or locked in core/classification.ts',
        );
    });
});

/** What a deploy changes, from verify's drifts and the flag: the rollback first, then the flip, then the matrix. */
import { describe, expect, it } from "vitest";
import { classifyChange, watched } from "../../../core/deploy/change";

const drift = (cls: Parameters<typeof classifyChange>[0][number]["class"], object: string) => ({
    class: cls,
    object,
    detail: "d",
});

describe("classifyChange", () => {
    const narrow = drift("append-only-writable", "trades_history");
    const widen = drift("table-privilege-missing", "users");

    it("the flag going off outranks everything, and is not watched", () => {
        const c = classifyChange([narrow, widen], true, false);
        expect([c.kind, watched(c)]).toEqual(["flag-off", false]);
    });

    it("the flag going on is watched", () => {
        const c = classifyChange([], false, true);
        expect([c.kind, watched(c)]).toEqual(["flag-on", true]);
    });

    it("a revoke makes a narrowing even beside a grant; watched only while the app runs as the role", () => {
        const on = classifyChange([widen, narrow], true, true);
        expect([on.kind, on.narrowing, on.widening, watched(on)]).toEqual([
            "narrowing",
            ["trades_history: d"],
            ["users: d"],
            true,
        ]);
        expect(watched(classifyChange([narrow], false, false))).toBe(false);
    });

    it("grants only are a widening; drift outside the matrix (an unclassified table) changes nothing", () => {
        expect(classifyChange([widen], true, true).kind).toBe("widening");
        expect(classifyChange([drift("unclassified-table", "t")], true, true).kind).toBe("nothing");
    });
});

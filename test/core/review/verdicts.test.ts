/** core/review/verdicts.ts: identical verdicts read as one, with the resources counted and named in short. */
import { describe, expect, it } from "vitest";
import { groupVerdicts, namedInShort, shortName, verdictHeadline } from "../../../core/review/verdicts";

const urn = (name: string, type = "postgresql:index/grant:Grant") => `urn:pulumi:prod::raptor::${type}::${name}`;
const STACK = "urn:pulumi:prod::raptor::pulumi:pulumi:Stack::raptor-prod";

describe("groupVerdicts", () => {
    it("one group for the same policy, level and message, counting every report and naming each resource once", () => {
        const v = (name: string, message = "no sign-off") => ({
            policy: "prod-signoff",
            level: "mandatory",
            message,
            urn: name,
        });
        const groups = groupVerdicts([v(urn("a")), v(urn("b")), v(urn("b")), v(STACK), v(urn("c"), "other")]);
        expect(groups).toEqual([
            {
                policy: "prod-signoff",
                level: "mandatory",
                message: "no sign-off",
                count: 4,
                resources: ["a", "b", "the stack"],
            },
            { policy: "prod-signoff", level: "mandatory", message: "other", count: 1, resources: ["c"] },
        ]);
    });

    it("mandatory before advisory, whatever the counts", () => {
        const groups = groupVerdicts([
            { policy: "p", level: "advisory", message: "m", urn: urn("a") },
            { policy: "p", level: "advisory", message: "m", urn: urn("b") },
            { policy: "q", level: "mandatory", message: "m", urn: urn("c") },
        ]);
        expect(groups.map((g) => g.level)).toEqual(["mandatory", "advisory"]);
    });
});

describe("naming in short", () => {
    it("shortName takes the URN's last part; the stack is 'the stack'", () => {
        expect(shortName(urn("raptor-grants-table-users"))).toBe("raptor-grants-table-users");
        expect(shortName(STACK)).toBe("the stack");
        expect(shortName(undefined)).toBe("the stack");
    });

    it("namedInShort names three, then counts the rest", () => {
        expect(namedInShort(["a", "b", "c"])).toBe("a, b, c");
        expect(namedInShort(["a", "b", "c", "d", "e"])).toBe("a, b, c and 2 more");
    });

    it("verdictHeadline says how many resources", () => {
        const one = { policy: "p", level: "mandatory", message: "m", count: 1, resources: ["a"] };
        expect(verdictHeadline(one)).toBe("[mandatory] p, on a: m");
        expect(verdictHeadline({ ...one, count: 5, resources: ["a", "b", "c", "d", "e"] })).toBe(
            "[mandatory] p, on 5 resources (a, b, c and 2 more): m",
        );
    });
});

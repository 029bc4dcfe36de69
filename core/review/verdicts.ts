/**
 * Policy verdicts grouped for people: the same message from the same policy at the same level is one verdict,
 * with the resources it was reported on counted and named in short. Prod before sign-off reports the same
 * mandatory violation on every resource; printed once each, that is a wall no reviewer reads.
 */
export interface VerdictLike {
    readonly policy: string;
    readonly level: string;
    readonly message: string;
    readonly urn?: string;
}

export interface VerdictGroup {
    readonly policy: string;
    readonly level: string;
    readonly message: string;
    /** How many times it was reported. */
    readonly count: number;
    /** The resources' names (the URN's last part), in report order, each once; the stack's as "the stack". */
    readonly resources: readonly string[];
}

/** `urn:pulumi:prod::raptor::type::name` -> name; a stack URN -> "the stack". */
export function shortName(urn: string | undefined): string {
    if (urn === undefined || urn === "") {
        return "the stack";
    }
    const type = urn.split("::")[2] ?? "";
    return type === "pulumi:pulumi:Stack" ? "the stack" : (urn.split("::").pop() ?? urn);
}

export function groupVerdicts(violations: readonly VerdictLike[]): VerdictGroup[] {
    const groups = new Map<
        string,
        { policy: string; level: string; message: string; count: number; names: string[] }
    >();
    for (const v of violations) {
        const key = JSON.stringify([v.level, v.policy, v.message]);
        const g = groups.get(key) ?? { policy: v.policy, level: v.level, message: v.message, count: 0, names: [] };
        g.count++;
        const name = shortName(v.urn);
        if (!g.names.includes(name)) {
            g.names.push(name);
        }
        groups.set(key, g);
    }
    // Mandatory first, then by how often: the verdict that blocks the most is read first.
    const rank = (l: string) => (l === "mandatory" ? 0 : 1);
    return [...groups.values()]
        .sort((a, b) => rank(a.level) - rank(b.level) || b.count - a.count)
        .map((g) => ({ policy: g.policy, level: g.level, message: g.message, count: g.count, resources: g.names }));
}

/** "raptor-grant-table-a, raptor-grant-table-b and 44 more": at most `shown` names, then the count of the rest. */
export function namedInShort(names: readonly string[], shown = 3): string {
    if (names.length <= shown) {
        return names.join(", ");
    }
    return `${names.slice(0, shown).join(", ")} and ${names.length - shown} more`;
}

/** One line per group: `[level] policy, on N resources (a, b, c and N more): message`. */
export function verdictHeadline(g: VerdictGroup): string {
    const on = g.count === 1 ? `on ${g.resources[0]}` : `on ${g.count} resources (${namedInShort(g.resources)})`;
    return `[${g.level}] ${g.policy}, ${on}: ${g.message}`;
}

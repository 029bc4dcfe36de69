/**
 * Typed, unknown-aware views of the props a policy receives.
 *
 * The engine hands every policy its props wrapped in @pulumi/policy's
 * unknown-checking proxy (server.ts: `unknownCheckingProxy(deserializeProperties(...))`).
 * Reading a value that is not known at preview throws UnknownValueError, and
 * the server then reports the policy as ADVISORY ("can't run policy ... during
 * preview"), which would open a mandatory gate. A view reads the plain value
 * behind the proxy instead, sees each unknown as such, and lets the policy
 * report it itself, as mandatory, naming the resource, the property and why.
 */

/** @pulumi/policy proxy.ts: reading this key on the proxy returns the wrapped plain object. */
const PROXY_TARGET = "__getSpecialProxyTarget";

/** @pulumi/policy proxy.ts (and @pulumi/pulumi rpc): the sentinels the engine sends for values unknown at preview. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export const isUnknown = (v: unknown): boolean => typeof v === "string" && UNKNOWN_SENTINELS.has(v);

/** The plain object behind an unknown-checking proxy (its nested values are plain too), or the value itself. */
export function unwrapProxy(v: unknown): unknown {
    if (v !== null && typeof v === "object") {
        const target = (v as Record<string, unknown>)[PROXY_TARGET];
        if (target !== undefined) {
            return target;
        }
    }
    return v;
}

function walkUnknowns(v: unknown, path: string, out: string[]): void {
    if (isUnknown(v)) {
        out.push(path);
    } else if (Array.isArray(v)) {
        v.forEach((x, i) => walkUnknowns(x, `${path}[${i}]`, out));
    } else if (v !== null && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
            walkUnknowns(x, path === "" ? k : `${path}.${k}`, out);
        }
    }
}

/** A resource as a policy sees it: its type and name, and props that may be proxied. */
export interface Viewed {
    readonly type: string;
    readonly name: string;
    readonly props: Readonly<Record<string, unknown>>;
}

/** The plain props of a resource, read without tripping the proxy, and where they are unknown. */
export class PropsView {
    readonly plain: Readonly<Record<string, unknown>>;

    constructor(readonly resource: Viewed) {
        const raw = unwrapProxy(resource.props);
        this.plain = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
    }

    /** The value at a dotted path (`environment.APP`): undefined when absent, the sentinel when unknown. */
    get(path: string): unknown {
        let v: unknown = this.plain;
        for (const key of path.split(".")) {
            if (v === null || typeof v !== "object" || isUnknown(v)) {
                return isUnknown(v) ? v : undefined;
            }
            v = (v as Record<string, unknown>)[key];
        }
        return v;
    }

    /** The unknown paths at or under each of `paths`; with no paths, everywhere. */
    unknown(...paths: string[]): string[] {
        const out: string[] = [];
        if (paths.length === 0) {
            walkUnknowns(this.plain, "", out);
        }
        for (const p of paths) {
            walkUnknowns(this.get(p), p, out);
        }
        return out;
    }

    /** A string value; undefined when absent, unknown or of another type. */
    str(path: string): string | undefined {
        const v = this.get(path);
        return typeof v === "string" && !isUnknown(v) ? v : undefined;
    }

    /** The string items of a list; [] when absent. */
    strs(path: string): string[] {
        const v = this.get(path);
        return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && !isUnknown(x)) : [];
    }

    /** Paths among `paths` whose value is present but not of the type `expected` ("string", "string[]", "boolean"). */
    wrongType(expected: "string" | "string[]" | "boolean", ...paths: string[]): string[] {
        const ok = (v: unknown) =>
            expected === "string[]" ? Array.isArray(v) && v.every((x) => typeof x === "string") : typeof v === expected;
        return paths
            .filter((p) => {
                const v = this.get(p);
                return v !== undefined && v !== null && !isUnknown(v) && !ok(v);
            })
            .map((p) => `${p} (${Array.isArray(this.get(p)) ? "a list" : typeof this.get(p)}, not ${expected})`);
    }
}

/**
 * The message of a mandatory check that cannot decide: which check, on which
 * resource, which properties, and why (unknown at preview, missing, wrong type).
 */
export function cannotDecide(
    check: string,
    r: Viewed,
    unknown: readonly string[],
    other: readonly string[] = [],
): string {
    const parts = [
        ...(unknown.length > 0
            ? [
                  `${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} unknown (at preview it ` +
                      "comes from another resource's output)",
              ]
            : []),
        ...other,
    ];
    return (
        `Cannot check ${check} for ${r.type} ${r.name}: ${parts.join("; ")}. Required: values the policy can read ` +
        "before the step runs. Fix: set them from config or literals, not from another resource's output."
    );
}

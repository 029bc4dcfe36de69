/**
 * What the two provider models share: the ResourceProvider gRPC server from @pulumi/pulumi/provider, the
 * provider's configuration (which that server's `configure` drops), and the wire form of secrets and unknowns.
 *
 * These models exist because the Go module proxy here refuses the real providers' modules (engine/targets.tsv);
 * see README.md in this folder for what they leave unproven.
 */
import * as path from "node:path";
import * as provider from "@pulumi/pulumi/provider";

/** The engine's marker for a secret value on the wire (sdk/go/common/resource/properties.go SecretSig). */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The engine's marker for an unknown value in a preview (sdk/go/common/resource/plugin/rpc.go UnknownStringValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Props)[SIG] === SECRET_SIG;
}

export function secret(value: unknown): unknown {
    return { [SIG]: SECRET_SIG, value };
}

/** The plain value, secrets unwrapped at every depth. */
export function plain(v: unknown): unknown {
    if (isSecret(v)) {
        return plain(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

export function hasSecret(v: unknown): boolean {
    if (isSecret(v)) {
        return true;
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(hasSecret);
    }
    return false;
}

export function hasUnknown(v: unknown): boolean {
    if (v === UNKNOWN) {
        return true;
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).some(hasUnknown);
    }
    return false;
}

/** Set equality for the string sets the providers compare (TypeSet in the TF schema). */
export function sameSet(a: unknown, b: unknown): boolean {
    const x = new Set((plain(a) as string[] | undefined) ?? []);
    const y = new Set((plain(b) as string[] | undefined) ?? []);
    return x.size === y.size && [...x].every((e) => y.has(e));
}

/** The resource's name: the last `::` segment of its URN. */
export function urnName(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/**
 * Serves `impl` as a resource provider. `onConfigure` receives the provider's configuration (secrets
 * unwrapped): @pulumi/pulumi's server answers Configure without reading it, so the request is seen here first,
 * by wrapping the service implementation handed to the same grpc-js that server uses.
 */
export async function serve(impl: provider.Provider, onConfigure?: (config: Props) => void): Promise<void> {
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (
        service: unknown,
        methods: Record<string, (call: never, callback: unknown) => unknown>,
    ) {
        const configure = methods.configure;
        methods.configure = (call: { request: ConfigureRequest }, callback: unknown) => {
            onConfigure?.(configOf(call.request));
            return configure.call(methods, call as never, callback);
        };
        return addService.call(this, service, methods);
    };
    await provider.main(impl, process.argv.slice(2));
}

interface ConfigureRequest {
    hasArgs(): boolean;
    getArgs(): { toJavaScript(): Props };
    getVariablesMap(): { entries(): Iterable<[string, string]> };
}

/** `args` when the engine sends them; otherwise the `pkg:config:key` variables (JSON for non-strings). */
function configOf(req: ConfigureRequest): Props {
    if (req.hasArgs()) {
        return plain(req.getArgs().toJavaScript()) as Props;
    }
    const out: Props = {};
    for (const [k, v] of req.getVariablesMap().entries()) {
        const key = k.split(":").pop() as string;
        try {
            out[key] = JSON.parse(v);
        } catch {
            out[key] = v;
        }
    }
    return out;
}

/**
 * Runs the real Raptor program offline, under Pulumi's mocks, and records
 * every resource it declares: type, name, URN, plain inputs, the input paths
 * that are secret, state, raw props and options (retainOnDelete, protect,
 * dependsOn...). `raptor-roles plan`, the policy harness and the tests use it.
 *
 * What only Heroku knows (the add-on's plan, the owner URL, staging's soak
 * export) comes from the scenario's stand-ins. Any other invoke throws, so an
 * unexpected live call can never pass silently.
 */
import * as pulumi from "@pulumi/pulumi";
import { READ_ADDONS, READ_OWNER_URL, READ_OWNER_URL_ADVANCED } from "../core/heroku-scripts";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import type { Catalog } from "../core/catalog";
import { TYPES, DeclaredResource } from "../core/resources";
// Static imports are safe: program.ts and config.ts declare nothing when loaded, only when called,
// which happens below after the mocks and config are set. (index.ts does run at load: its test
// imports it after setting mocks.)
import { raptor } from "../program";
import { readStackConfig } from "../config";

// Stand-ins are marked as such: `plan` prints resources built from them.
export const OWNER_PASSWORD = "STANDIN-owner-pw-4e1f9c2b7a";
export const OWNER_URL = `postgres://owner_u1:${OWNER_PASSWORD}@owner-host.invalid:5432/d8raptor`;
export const APP_PASSWORD = "STANDIN-app-pw-93bd0c5e11";
export const APP_URL = `postgres://raptor_app:${APP_PASSWORD}@owner-host.invalid:5432/d8raptor`;
export const ENABLED_AT = "2026-11-20T09:00:00Z";

export interface Scenario {
    stack: string;
    /** `raptor:*` values without the prefix; the stack's usual values are NOT added implicitly. */
    config: Record<string, string>;
    /** Keys (without prefix) to mark secret. */
    secretKeys?: string[];
    /** Plan of the add-on `heroku addons --json` reports. */
    plan?: string;
    /** Raw `heroku addons --json` output, overriding `plan`. */
    addonsJson?: string;
    /** What `heroku config:get DATABASE_URL` prints. */
    ownerUrl?: string;
    /** Outputs of the soak StackReference. */
    soakOutputs?: Record<string, unknown>;
    classification?: Classification;
    /** The live schema the deploy-time gate reads (db/live-tables.ts); without it the gate is off, as in `plan`. */
    liveCatalog?: Catalog;
    /** What reading the live schema throws instead (a connection failure). */
    liveCatalogError?: Error;
    /**
     * Run as `pulumi preview` does: outputs not known before the update (a command's stdout and stderr, a
     * resource's id) are unknown, and so is every input computed from them; recorded as the engine's sentinel.
     */
    preview?: boolean;
}

export interface Recorded extends DeclaredResource {
    readonly custom: boolean;
    readonly parentUrn?: string;
    /** Input paths (e.g. `password`, `environment.VAR_VALUE`) that reached the engine as secrets. */
    readonly secretPaths: readonly string[];
    /** The resource's outputs as the stand-ins report them (a StackReference's `outputs`, a command's `stdout`). */
    readonly state: Readonly<Record<string, unknown>>;
    /** Props as the program passed them (Inputs/Outputs), to check what is secret. */
    readonly rawProps: pulumi.Inputs;
    readonly opts: pulumi.CustomResourceOptions;
}

export interface Run {
    resources: Recorded[];
    /** The stack's exports; at preview one not yet known is UNKNOWN. */
    outputs: Record<string, unknown>;
    error?: Error;
    invokes: string[];
}

/** The stand-in add-on's name and id: `raptor-roles plan` marks them wherever it prints them. */
export const STAND_IN_ADDON = { name: "postgresql-adjacent-27271", id: "6a1b2c3d-0000-4000-8000-000000027271" };

/** Stand-in for `heroku addons --app APP --json`: the fields the program reads, shaped as heroku/cli 11 prints them. */
export function addonsJson(plan: string, attachment = "DATABASE", app = "raxx-api-staging"): string {
    const appRef = { id: "01234567-89ab-4def-8123-456789abcdef", name: app };
    const addonId = STAND_IN_ADDON.id;
    return JSON.stringify([
        {
            id: addonId,
            name: STAND_IN_ADDON.name,
            app: appRef,
            plan: { name: plan },
            state: "provisioned",
            addon_service: { name: "heroku-postgresql" },
            attachments: [
                {
                    id: "7b2c3d4e-0000-4000-8000-000000000001",
                    name: attachment,
                    app: appRef,
                    namespace: null,
                    addon: { id: addonId, name: STAND_IN_ADDON.name },
                },
            ],
        },
        {
            id: "8c3d4e5f-0000-4000-8000-000000001234",
            name: "papertrail-rigid-1234",
            app: appRef,
            plan: { name: "papertrail:choklad" },
            state: "provisioned",
            attachments: [],
        },
    ]);
}

export const STAGING: Record<string, string> = { app: "raxx-api-staging" };
export const PROD: Record<string, string> = { app: "raxx-api-prod", soakStack: "organization/raptor/staging" };

/** Awaits an Output (or any Input) to its plain value. */
export function promiseOf<T>(v: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) =>
        pulumi.output(v).apply((x) => {
            resolve(x as T);
            return x;
        }),
    );
}

/** True if the Input is an Output marked secret (plain values are not). */
export async function isSecret(v: unknown): Promise<boolean> {
    return pulumi.Output.isInstance(v) ? pulumi.isSecret(v as pulumi.Output<unknown>) : false;
}

/** How the engine sends a value not known until the update (pulumi rpc `unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Strips Pulumi's secret wrappers from mock inputs, collecting the dotted paths that were secret. */
export function unwrapSecrets(v: unknown, path: string, secrets: string[]): unknown {
    if (pulumi.isUnknown(v)) {
        return UNKNOWN;
    }
    if (Array.isArray(v)) {
        return v.map((x, i) => unwrapSecrets(x, `${path}[${i}]`, secrets));
    }
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SECRET_SIG] === SECRET_VALUE) {
            secrets.push(path);
            return unwrapSecrets(o.value, path, []);
        }
        return Object.fromEntries(
            Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x, path ? `${path}.${k}` : k, secrets)]),
        );
    }
    return v;
}

/**
 * The stack's outputs as the engine records them on the `pulumi:pulumi:Stack` resource: each export resolved on
 * its own, one not known at preview (derived from a command's stdout) as the unknown sentinel, not dropped.
 */
async function stackOutputsOf(out: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        Object.entries(out).map(async ([k, v]) => {
            // Output's own (internal) accessors: apply() never runs on an unknown, so it cannot say "unknown".
            type Internal = { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<unknown> };
            const o = pulumi.output(v) as unknown as Internal;
            const value = (await o.isKnown) ? await o.promise(true) : UNKNOWN;
            return [k, unwrapSecrets(value, k, [])] as const;
        }),
    );
    return Object.fromEntries(entries);
}

/** A URN as the engine makes it: parent types chained with `$`, the root stack's type left out. */
function urnFor(stack: string, qualifiedType: string, name: string): string {
    return `urn:pulumi:${stack}::raptor::${qualifiedType}::${name}`;
}

/**
 * Pulumi's runtime captures a stack trace for every promise and resource
 * (`new Error().stack`), and with source maps on (tsx, vitest) formatting each
 * one costs milliseconds: 10,000 tables took minutes. Nothing reads them under
 * mocks, so capture is off while the program runs, and restored afterwards.
 */
export async function runProgram(s: Scenario): Promise<Run> {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return await runProgramOnce(s);
    } finally {
        Error.stackTraceLimit = limit;
    }
}

async function runProgramOnce(s: Scenario): Promise<Run> {
    const plain = new Map<
        string,
        { props: Record<string, unknown>; secretPaths: string[]; state: Record<string, unknown> }
    >();
    const invokes: string[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const secretPaths: string[] = [];
                const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
                const env = (inputs.environment ?? {}) as Record<string, string>;
                const state: Record<string, unknown> = { ...inputs };
                plain.set(`${args.type}::${args.name}`, { props: inputs, secretPaths, state });
                if (args.type === TYPES.command && s.preview === true) {
                    state.stdout = UNKNOWN;
                    state.stderr = UNKNOWN;
                } else if (args.type === TYPES.command) {
                    const step = env.RAPTOR_STEP;
                    state.stdout =
                        step === "credential-url"
                            ? `Connection information for raptor_app credential.\nConnection URL:\n  ${APP_URL}\n`
                            : step === "flag" && env.FLAG_VALUE === "1"
                              ? `${ENABLED_AT}\n`
                              : "";
                    state.stderr = "";
                }
                if (args.type === TYPES.stackReference) {
                    state.outputs = s.soakOutputs ?? {};
                    state.secretOutputNames = [];
                }
                return { id: s.preview === true ? "" : `${args.name}-id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                if (args.token === "command:local:run") {
                    const cmd = args.inputs.command as string;
                    invokes.push(cmd);
                    if (cmd === READ_ADDONS) {
                        const app = String((args.inputs.environment as Record<string, unknown> | undefined)?.APP ?? "");
                        return {
                            stdout:
                                s.addonsJson ?? addonsJson(s.plan ?? "heroku-postgresql:standard-0", "DATABASE", app),
                            stderr: "",
                        };
                    }
                    if (cmd === READ_OWNER_URL) {
                        return { stdout: `${s.ownerUrl ?? OWNER_URL}\n`, stderr: "" };
                    }
                    if (cmd === READ_OWNER_URL_ADVANCED) {
                        // data:pg:credentials:url's block for the owner credential (heroku 11.10 credentials/url.js).
                        const url = s.ownerUrl ?? OWNER_URL;
                        return {
                            stdout: `=== Connection information for owner credential:\n\nConnection URL:\n${url}\n`,
                            stderr: "",
                        };
                    }
                }
                throw new Error(`unmocked invoke ${args.token}: ${JSON.stringify(args.inputs)}`);
            },
        },
        "raptor",
        s.stack,
        s.preview === true,
    );

    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.config)) {
        config[`raptor:${k}`] = v;
    }
    pulumi.runtime.setAllConfig(
        config,
        (s.secretKeys ?? []).map((k) => `raptor:${k}`),
    );

    const captured: Array<{
        resource: pulumi.Resource;
        type: string;
        name: string;
        props: pulumi.Inputs;
        opts: pulumi.CustomResourceOptions;
        custom: boolean;
    }> = [];
    let outputs: Record<string, unknown> = {};
    let exported: object | undefined;
    let error: Error | undefined;
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                captured.push({
                    resource: args.resource,
                    type: args.type,
                    name: args.name,
                    props: args.props,
                    opts: args.opts,
                    custom: args.resource instanceof pulumi.CustomResource,
                });
                return undefined;
            });
            // Caught here, not outside: a rejected stack init also surfaces as an unhandled rejection.
            try {
                // Kept as returned: the stack's combined output is unknown at preview if any one export is.
                const config = readStackConfig();
                const live = s.liveCatalog;
                const failure = s.liveCatalogError;
                const deps = failure
                    ? { readLiveCatalog: async (): Promise<Catalog> => Promise.reject(failure) }
                    : live
                      ? { readLiveCatalog: async () => live }
                      : {};
                exported = await raptor(config, s.classification ?? RAPTOR_CLASSIFICATION, deps);
                return exported;
            } catch (e) {
                error = e as Error;
                return {};
            }
        });
        outputs = await stackOutputsOf((exported ?? {}) as unknown as Record<string, unknown>);
    } catch (e) {
        error = e as Error;
    }
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const byResource = new Map(captured.map((c) => [c.resource, c]));
    const qualified = new Map<pulumi.Resource, string>();
    const qualifiedType = (c: (typeof captured)[number]): string => {
        const parent = c.opts.parent ? byResource.get(c.opts.parent) : undefined;
        const q = parent ? `${qualified.get(parent.resource) ?? qualifiedType(parent)}$${c.type}` : c.type;
        qualified.set(c.resource, q);
        return q;
    };
    const resources: Recorded[] = captured.map((c) => {
        const parent = c.opts.parent ? byResource.get(c.opts.parent) : undefined;
        return {
            type: c.type,
            name: c.name,
            urn: urnFor(s.stack, qualifiedType(c), c.name),
            props: plain.get(`${c.type}::${c.name}`)?.props ?? {},
            secretPaths: plain.get(`${c.type}::${c.name}`)?.secretPaths ?? [],
            state: plain.get(`${c.type}::${c.name}`)?.state ?? {},
            rawProps: c.props,
            opts: c.opts,
            custom: c.custom,
            ...(parent ? { parentUrn: urnFor(s.stack, qualifiedType(parent), parent.name) } : {}),
        };
    });
    return { resources, outputs, invokes, ...(error ? { error } : {}) };
}

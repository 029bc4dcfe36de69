/**
 * What the stack policies know about the stack being deployed: its name, its
 * `raptor:*` config and the time. The real engine answers through the Pulumi
 * runtime the analyzer host sets up; `evaluatePolicies` supplies its own.
 */
import * as pulumi from "@pulumi/pulumi";
import { KNOWN_STACK_APPS } from "./core/settings";
import { DeclaredResource, envOf, stepOf } from "./core/resources";

export interface StackContext {
    readonly stack: string;
    /**
     * A `raptor:*` value by key without the prefix: a string (structured values JSON-encoded) or, offline, an object.
     */
    config(key: string): unknown;
    readonly now: Date;
}

export type StackContextProvider = () => StackContext;

/** Inside a policy pack `pulumi.getStack()` and `pulumi.Config` read the stack under analysis. */
export const pulumiStackContext: StackContextProvider = () => {
    const config = new pulumi.Config("raptor");
    return { stack: pulumi.getStack(), config: (key) => config.get(key), now: new Date() };
};

export const PROD_STACK = "prod";

/**
 * Why this deployment counts as prod, or undefined. Any one signal is enough
 * (the stack name, the stack in the URNs, the prod app in a command), so a
 * stack renamed or a runtime that cannot name its stack does not open the gate.
 */
export function prodReason(ctx: StackContext, resources: readonly DeclaredResource[]): string | undefined {
    if (ctx.stack === PROD_STACK) {
        return `stack ${PROD_STACK}`;
    }
    const urnStack = resources.map((r) => /^urn:pulumi:([^:]+)::/.exec(r.urn)?.[1]).find((s) => s === PROD_STACK);
    if (urnStack !== undefined) {
        return `stack ${PROD_STACK} (from the URNs)`;
    }
    const app = KNOWN_STACK_APPS[PROD_STACK];
    const onProdApp = resources.some((r) => stepOf(r) !== undefined && envOf(r)["APP"] === app);
    return onProdApp ? `app ${app}` : undefined;
}

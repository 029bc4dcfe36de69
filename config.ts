/**
 * Reads the stack's `raptor:*` configuration in one place and validates it
 * with the shared core, so a typo or bad value stops the program before any
 * resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { RaptorSettings, parseSettings } from "./core/settings";

export interface StackConfig {
    readonly stack: string;
    readonly settings: RaptorSettings;
    /** raptor:ownerDatabaseUrl, a secret override of Heroku's DATABASE_URL for local use. */
    readonly ownerDatabaseUrl?: pulumi.Output<string>;
}

const PREFIX = "raptor:";

export function readStackConfig(): StackConfig {
    const stack = pulumi.getStack();
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(PREFIX)) {
            raw[key.slice(PREFIX.length)] = value;
        }
    }
    const settings = parseSettings(stack, raw);
    const ownerDatabaseUrl = new pulumi.Config("raptor").getSecret("ownerDatabaseUrl");
    return { stack, settings, ...(ownerDatabaseUrl !== undefined ? { ownerDatabaseUrl } : {}) };
}

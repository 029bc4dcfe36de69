/**
 * Every policy of the Raptor pack. Importing this module starts nothing, so
 * tests and `raptor-roles plan` use it; index.ts hands it to the PolicyPack.
 */
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { StackContextProvider, pulumiStackContext } from "./context";
import { prodSignoff } from "./signoff";
import { soakBeforeProd } from "./soak";
import { appendOnlyInvariant, noAllTablesGrant } from "./grants";
import { credentialRetained, noCredentialOnEssential } from "./credential";
import { secretsStaySecret } from "./secrets";

export {
    prodSignoff,
    soakBeforeProd,
    appendOnlyInvariant,
    noAllTablesGrant,
    credentialRetained,
    noCredentialOnEssential,
    secretsStaySecret,
};
export type { StackContext, StackContextProvider } from "./context";

export const PACK_NAME = "raptor";
export const PACK_ENFORCEMENT: EnforcementLevel = "mandatory";

/** The pack's policies; stack policies read the stack through `context` (the Pulumi runtime by default). */
export function createPolicies(context: StackContextProvider = pulumiStackContext): Policies {
    return [
        prodSignoff(context),
        soakBeforeProd(context),
        appendOnlyInvariant(context),
        noAllTablesGrant,
        noCredentialOnEssential,
        secretsStaySecret,
        credentialRetained,
    ];
}

export const policies: Policies = createPolicies();

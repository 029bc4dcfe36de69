/**
 * The Raptor policy pack, run by the Pulumi CLI:
 * `pulumi up -s prod --policy-pack policy --policy-pack-config policy/config.json`.
 * Constructing the PolicyPack starts its gRPC server, so nothing else lives here.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: PACK_ENFORCEMENT });

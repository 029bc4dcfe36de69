/**
 * Entry point for the Pulumi CLI (`pulumi preview`, `pulumi up -s staging`).
 * Everything lives in program.ts so that tests and `raptor-roles plan` run the
 * same code under mocks.
 */
import { readStackConfig } from "./config";
import { raptor } from "./program";
import { RAPTOR_CLASSIFICATION } from "./core/classification";
import { readLiveCatalog } from "./db/live-tables";

// The live schema is read at deploy time, at preview too: a table a migration dropped or renamed stops the update.
export = raptor(readStackConfig(), RAPTOR_CLASSIFICATION, { readLiveCatalog });

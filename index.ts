/**
 * Entry point for the Pulumi CLI (`pulumi preview`, `pulumi up -s staging`).
 * Everything lives in program.ts so that tests and `raptor-roles plan` run the
 * same code under mocks.
 */
import { readStackConfig } from "./config";
import { raptor } from "./program";

export = raptor(readStackConfig());

/**
 * Reads the schema as it is at deploy time, for the program's live-matrix gate (core/live-matrix.ts): verify's
 * one catalog query, as the owner, over the same connection rules as `raptor-roles verify` (SSL unless the URL
 * says sslmode=disable). Errors never carry the URL or its password.
 */
import { Client } from "pg";
import type { Catalog } from "../core/catalog";
import type { GrantPlan } from "../core/plan";
import { VerifyError } from "../core/verify/report";
import { connectionMessage, connectionTarget, redact } from "./connection";
import { readCatalog } from "./catalog";

export type LiveCatalogReader = (url: string, plan: GrantPlan, source: string) => Promise<Catalog>;

export const readLiveCatalog: LiveCatalogReader = async (url, plan, source) => {
    const target = connectionTarget(url, source, 30_000);
    const client = new Client({ ...target.config, application_name: "raptor-roles pulumi" });
    // A dropped connection emits 'error' on the client; without a listener it would end the program.
    client.on("error", () => undefined);
    try {
        try {
            await client.connect();
        } catch (e) {
            throw new VerifyError(
                `reading the live tables (owner URL from ${source}): ${connectionMessage(e, target)}`,
            );
        }
        try {
            return await readCatalog(client, plan);
        } catch (e) {
            const msg = redact(e instanceof Error ? e.message : String(e), target.secrets);
            throw new VerifyError(`reading the live tables of ${target.where}: ${msg}`);
        }
    } finally {
        await client.end().catch(() => undefined);
    }
};

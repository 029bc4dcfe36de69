/**
 * The Heroku Postgres data API routes the `pg:credentials*` commands call (heroku/cli 11.10
 * src/commands/pg/credentials.ts, credentials/create|url|rotate|destroy.ts): `/postgres/v0/databases/{addon}/...`.
 * Creating a credential creates a LOGIN role on the real PostgreSQL; rotating changes its password.
 * Advanced-tier `/data/postgres/v1/...` is in advanced.ts.
 */
import { Addon, Credential, CredentialStoreState, Model, credentialJson, newPassword } from "./model";
import { ApiError, Route, notFound } from "./http";
import { RealPostgres } from "./postgres";

export interface DataOptions {
    /** Reads of a new credential that still see `provisioning`. Default 1. */
    provisioningReads: number;
    /** Reads that see `rotating` after a rotation starts. Default 1. */
    rotationReads: number;
}

function addonOr404(m: Model, ref: string): Addon {
    const addon = m.addon(decodeURIComponent(ref));
    if (!addon) {
        throw notFound("database");
    }
    return addon;
}

function credOr404(addon: Addon, name: string): Credential {
    const c = addon.credentials.find((x) => x.name === decodeURIComponent(name));
    if (!c) {
        throw new ApiError(404, "not_found", `Couldn't find that credential.`);
    }
    return c;
}

/** A read moves a provisioning or rotating credential along, as time does on Heroku. */
export function advance(c: Credential): void {
    if (c.state !== "provisioning" && c.state !== "rotating" && c.state !== "wait_for_provisioning") {
        return;
    }
    if (c.readsLeft > 0) {
        c.readsLeft--;
        return;
    }
    c.state = "active";
    delete c.previous;
}

export function dataRoutes(m: Model, pg: RealPostgres, opts: DataOptions): Route[] {
    const base = "^\\/postgres\\/v0\\/databases\\/([^/]+)\\/credentials";
    return [
        {
            method: "GET",
            path: new RegExp(`${base}$`),
            handle: ({ params }) => {
                const addon = addonOr404(m, params[0]);
                addon.credentials.forEach(advance);
                return { json: addon.credentials.map((c) => credentialJson(addon, c)) };
            },
        },
        {
            method: "GET",
            path: new RegExp(`${base}\\/([^/]+)$`),
            handle: ({ params }) => {
                const addon = addonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                advance(c);
                return { json: credentialJson(addon, c) };
            },
        },
        {
            method: "POST",
            path: new RegExp(`${base}$`),
            handle: async ({ params, body }) => {
                const addon = addonOr404(m, params[0]);
                const name = String((body as { name?: unknown })?.name ?? "");
                if (!/^[a-z][a-z0-9_]{0,49}$/.test(name)) {
                    throw new ApiError(
                        422,
                        "invalid_params",
                        `Name ${name} is invalid: use lower-case letters, digits and underscores.`,
                    );
                }
                if (addon.credentials.some((c) => c.name === name)) {
                    // Wording ASSUMED; the status and the fact that a second create fails are what matter.
                    throw new ApiError(422, "invalid_params", `Credential ${name} already exists on ${addon.name}.`);
                }
                const password = await pg.createRole(name);
                const state: CredentialStoreState = opts.provisioningReads > 0 ? "provisioning" : "active";
                addon.credentials.push({ name, user: name, password, state, readsLeft: opts.provisioningReads });
                return { status: 201, json: { message: `Credential ${name} created.` } };
            },
        },
        {
            method: "POST",
            path: new RegExp(`${base}\\/([^/]+)\\/credentials_rotation$`),
            handle: async ({ params }) => {
                const addon = addonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                if (c.state !== "active") {
                    throw new ApiError(422, "invalid_params", `Credential ${c.name} is ${c.state}; try again later.`);
                }
                await rotate(pg, c, opts.rotationReads);
                return { json: { message: `Rotating ${c.name}.` } };
            },
        },
        {
            method: "DELETE",
            path: new RegExp(`${base}\\/([^/]+)$`),
            handle: ({ params }) => {
                const addon = addonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                if (c.name === "default") {
                    throw new ApiError(422, "invalid_params", "Default credential cannot be destroyed.");
                }
                c.state = "revoking";
                addon.credentials.splice(addon.credentials.indexOf(c), 1);
                return { json: { message: `Destroying ${c.name}.` } };
            },
        },
    ];
}

/** Starts a rotation: a new password at once (the old one keeps its `revoking` entry), `rotating` for `reads` reads. */
export async function rotate(pg: RealPostgres, c: Credential, reads: number): Promise<void> {
    c.previous = { user: c.user, password: c.password };
    c.password = newPassword();
    await pg.setPassword(c.user, c.password);
    c.state = reads > 0 ? "rotating" : "active";
    c.readsLeft = reads;
}

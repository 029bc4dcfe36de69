/**
 * Heroku Postgres Advanced in the local Heroku API: the routes the `data:pg:*` commands call, shaped from the
 * CLI's source (heroku 11.10 dist/commands/data/pg/credentials/{index,create,url,rotate,destroy}.js,
 * attachments/create.js, info.js; the types in dist/lib/data/types.d.ts; the fixtures in heroku/cli
 * test/fixtures/data/pg/fixtures.ts). Only the fields the CLI reads, with realistic values; nothing copied.
 *
 * - `POST /actions/addons/resolve` (heroku-cli-util AddonResolver, which every data:pg command uses);
 * - `/data/postgres/v1/{addon id}/credentials`: `{items: [...]}`, each credential with `type` (`owner` or
 *   `additional`), an AdvancedCredentialState (`active`, `enabling`, `revoking`, `rotating`) and its logins
 *   in `roles`; create (a real LOGIN role, `enabling` first), rotate one or all, destroy (never the owner);
 * - `/data/postgres/v1/{addon id}/info` with the add-on's `pools`;
 * - `POST /addon-attachments` with `namespace_config: {pool, proxy, role}` (attachments:create.js), stored as
 *   the namespace `role:NAME|proxy:false|pool:POOL` the CLI's fixtures show.
 *
 * Credentials live in the add-on's classic store (model.ts) and are shown with the Advanced state: provisioning
 * is `enabling`, rotating `rotating`, revoking `revoking`, active `active`. Error wording marked ASSUMED is ours;
 * the CLI's texts around it are its own.
 */
import { Addon, Credential, CredentialStoreState, Model, addonJson, credentialIn } from "./model";
import { ApiError, Route, notFound } from "./http";
import { RealPostgres } from "./postgres";
import { DataOptions, advance, rotate } from "./data";

/** `AdvancedCredentialState` (dist/lib/data/types.js). */
export type AdvancedState = "active" | "enabling" | "revoking" | "rotating";

/** The store state each Advanced state is kept as, and back. */
export const STORED: Readonly<Record<AdvancedState, CredentialStoreState>> = {
    active: "active",
    enabling: "provisioning",
    revoking: "revoking",
    rotating: "rotating",
};
export function advancedState(c: Credential): AdvancedState {
    switch (c.state) {
        case "provisioning":
        case "wait_for_provisioning":
            return "enabling";
        case "rotating":
            return "rotating";
        case "revoking":
        case "archived":
            return "revoking";
        default:
            return "active";
    }
}

/** heroku-cli-util isAdvancedDatabase (dist/utils/addons/helpers.js). */
export const isAdvancedPlan = (plan: string): boolean =>
    plan.split(":")[0] === "heroku-postgresql" && /^(advanced|performance)/.test(plan.split(":")[1] ?? "");

/** `AdvancedCredentialInfo`: an enabling credential's role is not usable yet; a rotating one keeps the old login. */
export function advancedCredentialJson(addon: Addon, c: Credential): Record<string, unknown> {
    const state = advancedState(c);
    const roles: Array<Record<string, unknown>> = [
        { user: c.user, password: c.password, state: state === "rotating" ? "active" : state },
    ];
    if (state === "rotating" && c.previous) {
        roles.push({ ...c.previous, state: "revoking" });
    }
    return {
        id: `${addon.id}-${c.name}`,
        name: c.name,
        type: c.type ?? "additional",
        state,
        database: addon.db.database,
        host: addon.db.host,
        port: String(addon.db.port),
        roles,
    };
}

/** `InfoResponse` with what data:pg:info and attachments:create read (pools, status, features, limits). */
function infoJson(m: Model, addon: Addon): Record<string, unknown> {
    const app = m.app(addon.appId)!;
    return {
        addon: { id: addon.id, name: addon.name },
        app: { id: app.id, name: app.name },
        created_at: addon.createdAt,
        features: {
            continuous_protection: { enabled: true },
            credentials: { current_count: addon.credentials.length, enabled: true },
            data_encryption: { enabled: true },
            fork: { enabled: true },
            highly_available: { enabled: true },
            rollback: { earliest_time: null, enabled: true, latest_time: null },
        },
        forked_from: null,
        plan_limits: [{ current: 40, limit: 4000, name: "table-limit" }],
        pools: (addon.pools ?? []).map((p, i) => ({
            compute_instances: [
                {
                    id: `i${i}leader`,
                    level: "4G-Performance",
                    name: `i${i}leader`,
                    role: p.name === "leader" ? "leader" : "follower",
                    status: "up",
                    updated_at: addon.createdAt,
                },
            ],
            connections_used: 3,
            endpoints: [{ host: addon.db.host, port: addon.db.port, status: "available" }],
            expected_connection_limit: 400,
            expected_count: 1,
            expected_level: "4G-Performance",
            id: `${addon.id}-pool-${p.name}`,
            metrics_sources: { cluster: null, database: null, leader: null },
            name: p.name,
            status: p.status,
            wait_status: { message: null, waiting: false },
        })),
        quotas: [],
        region: "us",
        status: "available",
        tier: "advanced",
        version: "17.5",
    };
}

function advancedAddonOr404(m: Model, id: string): Addon {
    const addon = m.addon(decodeURIComponent(id));
    if (!addon) {
        throw notFound("database");
    }
    if (!isAdvancedPlan(addon.plan)) {
        // ASSUMED: the data API's answer for a classic database; the CLI checks the tier before calling.
        throw new ApiError(404, "not_found", `${addon.name} is not a Postgres Advanced database.`);
    }
    return addon;
}

function credOr404(addon: Addon, name: string): Credential {
    const c = addon.credentials.find((x) => x.name === decodeURIComponent(name));
    if (!c) {
        throw notFound("credential");
    }
    return c;
}

/** Platform API add-on resolution: the add-on's id or name, or an attachment's name on `app` (ASSUMED precedence). */
function resolveAddon(m: Model, ref: string, appName: string | undefined): Record<string, unknown>[] {
    const app = appName === undefined ? undefined : m.app(appName);
    if (appName !== undefined && !app) {
        throw notFound("app");
    }
    const mine = app ? m.attachmentsOf(app) : [];
    const byAttachment = mine.filter((x) => x.name === ref || `${x.name}_URL` === ref).map((x) => m.addon(x.addonId));
    const byRef = m.addons.filter(
        (a) => (a.id === ref || a.name === ref) && (!app || a.appId === app.id || mine.some((x) => x.addonId === a.id)),
    );
    const found = [...new Set([...byAttachment, ...byRef].filter((a): a is Addon => a !== undefined))];
    if (found.length === 0) {
        throw new ApiError(404, "not_found", "Couldn't find that add-on.");
    }
    return found.map((a) => addonJson(m, a));
}

/**
 * `POST /addon-attachments` as attachments:create.js sends it: `namespace_config` becomes the namespace; an unknown
 * credential or pool is refused with the words the CLI looks for ("invalid credential provided", "invalid pool
 * provided"). Anything else is the platform's attach, which does the rest (confirm, hand-set vars, release).
 */
function advancedAttach(m: Model, platformAttach: Route["handle"]): Route["handle"] {
    return (req) => {
        const b = req.body as { addon?: { name?: string }; namespace_config?: Record<string, string | undefined> };
        const cfg = b.namespace_config;
        if (cfg === undefined) {
            return platformAttach(req);
        }
        const addon = m.addon(b.addon?.name ?? "");
        if (!addon) {
            throw notFound("addon");
        }
        const factors = [
            cfg.role !== undefined ? `role:${cfg.role}` : "",
            cfg.proxy !== undefined ? `proxy:${cfg.proxy}` : "",
            cfg.pool !== undefined ? `pool:${cfg.pool}` : "",
        ].filter((f) => f !== "");
        const namespace = factors.length > 0 ? factors.join("|") : null;
        if (!credentialIn(addon, namespace)) {
            throw new ApiError(422, "invalid_params", `invalid credential provided: ${String(cfg.role)}`);
        }
        if (cfg.pool !== undefined && !(addon.pools ?? []).some((p) => p.name === cfg.pool)) {
            throw new ApiError(422, "invalid_params", `invalid pool provided: ${cfg.pool}`);
        }
        return platformAttach({ ...req, body: { ...b, namespace_config: undefined, namespace } });
    };
}

export function advancedRoutes(
    m: Model,
    pg: RealPostgres,
    opts: DataOptions,
    platformAttach: Route["handle"],
): Route[] {
    const base = "^\\/data\\/postgres\\/v1\\/([^/]+)";
    return [
        {
            method: "POST",
            path: /^\/actions\/addons\/resolve$/,
            handle: ({ body }) => {
                const b = body as { addon?: string; app?: string };
                return { json: resolveAddon(m, b.addon ?? "", b.app ?? undefined) };
            },
        },
        { method: "POST", path: /^\/addon-attachments$/, handle: advancedAttach(m, platformAttach) },
        {
            method: "GET",
            path: new RegExp(`${base}\\/info$`),
            handle: ({ params }) => ({ json: infoJson(m, advancedAddonOr404(m, params[0])) }),
        },
        {
            method: "GET",
            path: new RegExp(`${base}\\/credentials$`),
            handle: ({ params }) => {
                const addon = advancedAddonOr404(m, params[0]);
                addon.credentials.forEach(advance);
                return { json: { items: addon.credentials.map((c) => advancedCredentialJson(addon, c)) } };
            },
        },
        {
            method: "GET",
            path: new RegExp(`${base}\\/credentials\\/([^/]+)$`),
            handle: ({ params }) => {
                const addon = advancedAddonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                advance(c);
                return { json: advancedCredentialJson(addon, c) };
            },
        },
        {
            method: "POST",
            path: new RegExp(`${base}\\/credentials$`),
            handle: async ({ params, body }) => {
                const addon = advancedAddonOr404(m, params[0]);
                const name = String((body as { name?: unknown })?.name ?? "");
                if (!/^[a-z][a-z0-9_]{0,49}$/.test(name)) {
                    throw new ApiError(422, "invalid_params", `Name ${name} is invalid.`); // ASSUMED wording
                }
                if (addon.credentials.some((c) => c.name === name)) {
                    throw new ApiError(422, "invalid_params", `Credential ${name} already exists.`); // ASSUMED wording
                }
                const password = await pg.createRole(name);
                const state: CredentialStoreState = opts.provisioningReads > 0 ? "provisioning" : "active";
                const c: Credential = { name, user: name, password, state, readsLeft: opts.provisioningReads };
                addon.credentials.push(c);
                return { status: 201, json: advancedCredentialJson(addon, c) };
            },
        },
        {
            method: "POST",
            path: new RegExp(`${base}\\/credentials\\/([^/]+)\\/rotate$`),
            handle: async ({ params }) => {
                const addon = advancedAddonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                await rotate(pg, c, opts.rotationReads);
                return { json: advancedCredentialJson(addon, c) };
            },
        },
        {
            method: "POST",
            path: new RegExp(`${base}\\/rotate_credentials$`),
            handle: async ({ params }) => {
                const addon = advancedAddonOr404(m, params[0]);
                for (const c of addon.credentials) {
                    await rotate(pg, c, opts.rotationReads);
                }
                return { json: { items: addon.credentials.map((c) => advancedCredentialJson(addon, c)) } };
            },
        },
        {
            method: "DELETE",
            path: new RegExp(`${base}\\/credentials\\/([^/]+)$`),
            handle: ({ params }) => {
                const addon = advancedAddonOr404(m, params[0]);
                const c = credOr404(addon, params[1]);
                if (c.type === "owner") {
                    throw new ApiError(422, "invalid_params", "The owner credential cannot be destroyed."); // ASSUMED
                }
                addon.credentials.splice(addon.credentials.indexOf(c), 1);
                return { json: { ...advancedCredentialJson(addon, c), state: "revoking" } };
            },
        },
    ];
}

/** Attaches ROLE's credential with a pool, as data:pg:attachments:create does (no request logged). */
export function attachAdvanced(m: Model, app: string, addon: Addon, as: string, role: string, pool = "leader"): void {
    const a = m.app(app);
    if (!a) {
        throw new Error(`rig: no app ${app}`);
    }
    const taken = m.attachmentsOf(a).find((x) => x.name === as);
    if (taken) {
        m.detach(taken);
    }
    m.attach(a, addon, as, `role:${role}|proxy:false|pool:${pool}`);
    m.release(a, `Attach ${as} (@ref:${addon.name})`);
}

/**
 * Platform API routes the CLI's add-on, attachment and config commands call (heroku/cli 11.10:
 * addons/index.ts, addons/attach.ts, addons/detach.ts, config/get|set|unset.ts, and the
 * attachment resolver of @heroku/heroku-cli-util utils/addons/attachment-resolver.ts).
 * Error bodies are the API's `{id, message}`; the CLI prints `message` and `Error ID: id`, exit 2.
 */
import { App, Model, addonJson, attachmentJson, credentialIn } from "./model";
import { ApiError, Route, notFound } from "./http";

export interface PlatformOptions {
    /**
     * What attaching NAME does when the app has a hand-set NAME_URL. Not documented by Heroku; "refuse"
     * (the default, the cautious reading) answers 422, "overwrite" lets the attachment take the var over.
     */
    plainVarOnAttach: "refuse" | "overwrite";
}

const CEDAR_ID = "8e2b0a4c-0c1f-4c55-9b8a-4a0b6d1f0c01";

function appOr404(m: Model, name: string): App {
    const app = m.app(decodeURIComponent(name));
    if (!app) {
        throw notFound("app");
    }
    return app;
}

/** Heroku's attachment resolver: an app's attachment by name, NAME_URL, id, or its add-on's name. */
function resolve(m: Model, ref: string, appName: string | undefined): Record<string, unknown>[] {
    const apps = appName === undefined ? m.apps : [appOr404(m, appName)];
    const found = apps
        .flatMap((a) => m.attachmentsOf(a))
        .filter((x) => x.name === ref || `${x.name}_URL` === ref || x.id === ref || m.addon(x.addonId)?.name === ref);
    if (found.length === 0) {
        throw new ApiError(404, "not_found", "Couldn't find that add on attachment.");
    }
    return found.map((x) => attachmentJson(m, x));
}

export function attachHandler(m: Model, opts: PlatformOptions): Route["handle"] {
    return ({ body }) => {
        const b = body as {
            addon?: { name?: string };
            app?: { name?: string };
            confirm?: string;
            name?: string;
            namespace?: string;
        };
        const addon = m.addon(b.addon?.name ?? "");
        if (!addon) {
            throw notFound("addon");
        }
        const app = appOr404(m, b.app?.name ?? "");
        const name = b.name ?? `HEROKU_POSTGRESQL_${["AMBER", "BLUE", "CYAN"][m.attachments.length % 3]}`;
        if (!credentialIn(addon, b.namespace ?? null)) {
            const cred = (b.namespace ?? "").replace(/^credential:/, "");
            throw new ApiError(422, "invalid_params", `Couldn't find credential ${cred} on ${addon.name}.`);
        }
        const taken = m.attachmentsOf(app).find((x) => x.name === name);
        if (taken && b.confirm !== app.name) {
            throw new ApiError(
                422,
                "confirmation_required",
                `This action will replace the attachment ${name} on ${app.name}.\nTo proceed, type ${app.name} or ` +
                    `re-run this command with --confirm ${app.name}`,
            );
        }
        if (!taken && app.vars[`${name}_URL`] !== undefined) {
            if (opts.plainVarOnAttach === "refuse") {
                throw new ApiError(
                    422,
                    "invalid_params",
                    `${name}_URL is already set on ${app.name}; unset it or attach under another name.`,
                );
            }
            delete app.vars[`${name}_URL`];
        }
        if (taken) {
            m.detach(taken);
        }
        const x = m.attach(app, addon, name, b.namespace ?? null);
        m.release(app, `Attach ${name} (@ref:${addon.name})`);
        return { status: 201, json: attachmentJson(m, x) };
    };
}

export function platformRoutes(m: Model, opts: PlatformOptions): Route[] {
    return [
        {
            method: "GET",
            path: /^\/account$/,
            handle: () => ({ json: { id: "00000000-0000-0000-0000-000000000001", email: "rig@example.com" } }),
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)$/,
            handle: ({ params }) => {
                const app = appOr404(m, params[0]);
                // `heroku logs` reads `generation` (lib/apps/generation.js): a Cedar app gets lines/tail sessions.
                return { json: { id: app.id, name: app.name, generation: { id: CEDAR_ID, name: "cedar" } } };
            },
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)\/addons$/,
            handle: ({ params }) => {
                const app = appOr404(m, params[0]);
                const mine = new Set(m.attachmentsOf(app).map((x) => x.addonId));
                return {
                    json: m.addons.filter((a) => a.appId === app.id || mine.has(a.id)).map((a) => addonJson(m, a)),
                };
            },
        },
        { method: "GET", path: /^\/addons$/, handle: () => ({ json: m.addons.map((a) => addonJson(m, a)) }) },
        {
            method: "GET",
            path: /^\/addons\/([^/]+)$/,
            handle: ({ params }) => {
                const addon = m.addon(decodeURIComponent(params[0]));
                if (!addon) {
                    throw notFound("addon");
                }
                return { json: addonJson(m, addon) };
            },
        },
        {
            method: "GET",
            path: /^\/addons\/([^/]+)\/addon-attachments$/,
            handle: ({ params }) => {
                const addon = m.addon(decodeURIComponent(params[0]));
                if (!addon) {
                    throw notFound("addon");
                }
                return { json: m.attachments.filter((x) => x.addonId === addon.id).map((x) => attachmentJson(m, x)) };
            },
        },
        {
            method: "GET",
            path: /^\/addons\/([^/]+)\/config\/([^/]+)$/,
            handle: ({ params }) => {
                const addon = m.addon(decodeURIComponent(params[0]));
                if (!addon) {
                    throw notFound("addon");
                }
                const cred = decodeURIComponent(params[1]).replace(/^credential:/, "");
                return {
                    json: addon.credentials.some((c) => c.name === cred) ? [{ name: "URL", value: "[redacted]" }] : [],
                };
            },
        },
        {
            method: "GET",
            path: /^\/addon-attachments$/,
            handle: () => ({ json: m.attachments.map((x) => attachmentJson(m, x)) }),
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)\/addon-attachments$/,
            handle: ({ params }) => ({
                json: m.attachmentsOf(appOr404(m, params[0])).map((x) => attachmentJson(m, x)),
            }),
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)\/addon-attachments\/([^/]+)$/,
            handle: ({ params }) => {
                const ref = decodeURIComponent(params[1]);
                const x = m.attachmentsOf(appOr404(m, params[0])).find((a) => a.name === ref || a.id === ref);
                if (!x) {
                    throw notFound("addon-attachment");
                }
                return { json: attachmentJson(m, x) };
            },
        },
        {
            method: "POST",
            path: /^\/actions\/addon-attachments\/resolve$/,
            handle: ({ body }) => {
                const b = body as { addon_attachment?: string; app?: string };
                return { json: resolve(m, b.addon_attachment ?? "", b.app) };
            },
        },
        { method: "POST", path: /^\/addon-attachments$/, handle: attachHandler(m, opts) },
        {
            method: "DELETE",
            path: /^\/addon-attachments\/([^/]+)$/,
            handle: ({ params }) => {
                const x = m.attachments.find((a) => a.id === decodeURIComponent(params[0]));
                if (!x) {
                    throw notFound("addon-attachment");
                }
                const json = attachmentJson(m, x);
                m.detach(x);
                m.release(m.app(x.appId)!, `Detach ${x.name}`);
                return { json };
            },
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)\/config-vars$/,
            handle: ({ params }) => ({ json: m.configOf(appOr404(m, params[0])) }),
        },
        {
            method: "PATCH",
            path: /^\/apps\/([^/]+)\/config-vars$/,
            handle: ({ params, body }) => {
                const app = appOr404(m, params[0]);
                const changes = body as Record<string, string | null>;
                const owned = new Set(m.attachmentsOf(app).map((x) => `${x.name}_URL`));
                const blocked = Object.keys(changes).filter((k) => owned.has(k));
                if (blocked.length > 0) {
                    // The API's own text (seen in xavdid/heroku-config#32: "Cannot overwrite attachment values
                    // DATABASE_URL").
                    throw new ApiError(
                        422,
                        "invalid_params",
                        `Cannot overwrite attachment values ${blocked.join(", ")}.`,
                    );
                }
                for (const [k, v] of Object.entries(changes)) {
                    if (v === null) {
                        delete app.vars[k];
                    } else {
                        app.vars[k] = String(v);
                    }
                }
                m.release(app, `Set ${Object.keys(changes).join(", ")} config vars`);
                return { json: m.configOf(app) };
            },
        },
        {
            method: "GET",
            path: /^\/apps\/([^/]+)\/releases$/,
            handle: ({ params }) => {
                const app = appOr404(m, params[0]);
                return {
                    status: 206,
                    json: [...app.releases].reverse().map((r) => ({ version: r.version, description: r.description })),
                };
            },
        },
    ];
}

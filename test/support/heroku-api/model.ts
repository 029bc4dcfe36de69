/**
 * The state behind the local Heroku API, and the JSON the API returns for it.
 *
 * Shapes follow the Platform API reference (devcenter "Platform API Reference": add-on, add-on attachment,
 * config vars, release) and what heroku/cli 11.10 reads from them (src/commands/addons/*.ts, config/*.ts,
 * pg/credentials*.ts; @heroku/heroku-cli-util utils/pg/databases.ts and utils/addons/*.ts). Credential
 * objects follow the CLI's `NonAdvancedCredentialInfo` (src/lib/data/types.ts). Nothing here is copied from
 * Heroku: only the fields the CLI reads, with realistic values.
 */
import { randomBytes, randomUUID } from "node:crypto";

/** Store states of a credential (types.ts `NonAdvancedCredentialStoreState`). */
export type CredentialStoreState =
    "active" | "archived" | "provisioning" | "revoking" | "rotating" | "rotation_completed" | "wait_for_provisioning";

export interface Credential {
    name: string;
    /** Advanced only (`AdvancedCredentialInfo.type`): the owner credential; the others are `additional`. */
    type?: "owner";
    user: string;
    password: string;
    state: CredentialStoreState;
    /** During a rotation: the user/password being revoked (still connected). */
    previous?: { user: string; password: string };
    /** Credential reads left before `provisioning` / `rotating` turns `active`. */
    readsLeft: number;
}

export interface Addon {
    id: string;
    name: string;
    /** The app that owns (bills) the add-on. */
    appId: string;
    plan: string;
    planId: string;
    serviceId: string;
    state: "provisioned" | "provisioning" | "deprovisioned";
    /** Where its credentials' URLs point: a real database. */
    db: { host: string; port: number; database: string };
    credentials: Credential[];
    createdAt: string;
    /** Advanced only: the instance pools `/data/postgres/v1/{id}/info` lists (test/support/heroku-api/advanced.ts). */
    pools?: Array<{ name: string; status: "available" | "modifying" | "provisioning" | "unknown" }>;
}

export interface Attachment {
    id: string;
    name: string;
    appId: string;
    addonId: string;
    /**
     * null for the default (owner) credential, `credential:NAME` for a named one; on Advanced, factors
     * `role:NAME|proxy:false|pool:POOL` (heroku 11.10 dist/lib/data/parse-attachment-factors.js).
     */
    namespace: string | null;
    createdAt: string;
}

/** One release: the app's whole config after a change, and what made it. */
export interface Release {
    version: number;
    description: string;
    config: Record<string, string>;
    /** When the release was made: a config change takes effect (and the app restarts) from here. */
    at: Date;
}

export interface App {
    id: string;
    name: string;
    /** Config vars set by hand (config:set); attachment vars are derived, see `configOf`. */
    vars: Record<string, string>;
    releases: Release[];
}

export class Model {
    readonly apps: App[] = [];
    readonly addons: Addon[] = [];
    readonly attachments: Attachment[] = [];
    /** Called after every release (the dyno manager restarts the app, as Heroku does on a config change). */
    readonly onRelease: Array<(app: App, r: Release) => void> = [];

    app(idOrName: string): App | undefined {
        return this.apps.find((a) => a.id === idOrName || a.name === idOrName);
    }

    /** `/addons/{id_or_name}`: the add-on's id or its globally unique name, never an attachment name. */
    addon(idOrName: string): Addon | undefined {
        return this.addons.find((a) => a.id === idOrName || a.name === idOrName);
    }

    attachmentsOf(app: App): Attachment[] {
        return this.attachments.filter((x) => x.appId === app.id);
    }

    credentialOf(attachment: Attachment): Credential | undefined {
        const addon = this.addon(attachment.addonId);
        return addon ? credentialIn(addon, attachment.namespace) : undefined;
    }

    /** The app's config as Heroku serves it: hand-set vars plus NAME_URL of every attachment. */
    configOf(app: App): Record<string, string> {
        const config = { ...app.vars };
        for (const x of this.attachmentsOf(app)) {
            const addon = this.addon(x.addonId);
            const cred = this.credentialOf(x);
            if (addon && cred) {
                config[`${x.name}_URL`] = credentialUrl(addon, cred);
            }
        }
        return config;
    }

    /** Records a release with the config as it now is (every config change restarts the app). */
    release(app: App, description: string): Release {
        const r = {
            version: (app.releases.at(-1)?.version ?? 0) + 1,
            description,
            config: this.configOf(app),
            at: new Date(),
        };
        app.releases.push(r);
        this.onRelease.forEach((f) => f(app, r));
        return r;
    }

    addApp(name: string): App {
        const app: App = { id: randomUUID(), name, vars: {}, releases: [] };
        this.apps.push(app);
        this.release(app, "Initial release");
        return app;
    }

    attach(app: App, addon: Addon, name: string, namespace: string | null): Attachment {
        const x: Attachment = {
            id: randomUUID(),
            name,
            appId: app.id,
            addonId: addon.id,
            namespace,
            createdAt: new Date().toISOString(),
        };
        this.attachments.push(x);
        return x;
    }

    detach(x: Attachment): void {
        this.attachments.splice(this.attachments.indexOf(x), 1);
    }
}

/** The credential an attachment namespace names: `credential:NAME`, a `role:NAME` factor, or else the owner's. */
export function credentialIn(addon: Addon, namespace: string | null): Credential | undefined {
    const factors = new Map(
        (namespace ?? "").split("|").flatMap((f) => {
            const m = /^([^:]+):(.*)$/.exec(f);
            return m ? [[m[1].trim(), m[2].trim()] as const] : [];
        }),
    );
    const name = factors.get("credential") ?? factors.get("role");
    return addon.credentials.find((c) =>
        name === undefined ? c.name === "default" || c.type === "owner" : c.name === name,
    );
}

/** The URL `pg:credentials:url` builds and attachments set: postgres://USER:PASSWORD@HOST:PORT/DB (WHATWG-encoded). */
export function credentialUrl(addon: Addon, cred: Pick<Credential, "user" | "password">): string {
    const url = new URL(`postgres://${addon.db.host}/${addon.db.database}`);
    url.port = String(addon.db.port);
    url.username = cred.user;
    url.password = cred.password;
    return url.toString();
}

export const newPassword = (): string => randomBytes(24).toString("hex");

const ref = (x: { id: string; name: string }) => ({ id: x.id, name: x.name });

/** Platform API add-on, with `addon_service` and `plan` expanded (the CLI sends Accept-Expansion for both). */
export function addonJson(m: Model, addon: Addon): Record<string, unknown> {
    const owner = m.app(addon.appId)!;
    return {
        id: addon.id,
        name: addon.name,
        app: ref(owner),
        addon_service: { id: addon.serviceId, name: addon.plan.split(":")[0], human_name: "Heroku Postgres" },
        plan: { id: addon.planId, name: addon.plan, price: { cents: 5000, unit: "month", contract: false } },
        billed_price: { cents: 5000, contract: false, unit: "month" },
        state: addon.state,
        config_vars: ["DATABASE_URL"],
        provider_id: addon.id,
        actions: [],
        created_at: addon.createdAt,
        updated_at: addon.createdAt,
        web_url: `https://data.heroku.com/datastores/${addon.id}`,
    };
}

/** Platform API add-on attachment, with `addon:plan` and `config_vars` included as the pg resolver asks. */
export function attachmentJson(m: Model, x: Attachment): Record<string, unknown> {
    const app = m.app(x.appId)!;
    const addon = m.addon(x.addonId)!;
    return {
        id: x.id,
        name: x.name,
        app: ref(app),
        addon: {
            id: addon.id,
            name: addon.name,
            app: ref(m.app(addon.appId)!),
            plan: { id: addon.planId, name: addon.plan },
        },
        namespace: x.namespace,
        config_vars: [`${x.name}_URL`],
        created_at: x.createdAt,
        updated_at: x.createdAt,
        web_url: `https://data.heroku.com/datastores/${addon.id}`,
        log_input_url: null,
    };
}

/** Data API credential store (`NonAdvancedCredentialInfo`). Provisioning has no usable user yet. */
export function credentialJson(addon: Addon, c: Credential): Record<string, unknown> {
    const users: Array<Record<string, unknown>> = [];
    if (c.state === "provisioning" || c.state === "wait_for_provisioning") {
        users.push({ user: c.user, password: c.password, state: "enabling", connections: 0 });
    } else if (c.state === "revoking" || c.state === "archived") {
        users.push({
            user: c.user,
            password: c.password,
            state: c.state === "archived" ? "revoked" : "revoking",
            connections: 0,
        });
    } else {
        users.push({ user: c.user, password: c.password, state: "active", connections: 0 });
        if (c.previous) {
            users.push({ ...c.previous, state: "revoking", connections: 1 });
        }
    }
    return {
        uuid: `${addon.id}-${c.name}`,
        name: c.name,
        state: c.state,
        database: addon.db.database,
        host: addon.db.host,
        port: String(addon.db.port),
        credentials: users,
    };
}

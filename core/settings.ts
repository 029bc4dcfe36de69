/**
 * Stack settings: every `raptor:*` key, its default and its validation, in one
 * place. The Pulumi program and the offline `raptor-roles plan` both feed raw
 * string values through `parseSettings`, so a bad value fails the same way in
 * review as in `pulumi up`: before any resource exists.
 */
import { isPlainIdentifier } from "./identifiers";

export type UrlDelivery = "attachment" | "config-var";
export const URL_DELIVERIES: readonly UrlDelivery[] = ["attachment", "config-var"];

export interface RaptorSettings {
    /** The Heroku app, e.g. raxx-api-staging. */
    readonly app: string;
    /** The Postgres attachment the credential is created on (positional DATABASE of the CLI). */
    readonly database: string;
    /** The application role / Heroku credential name. */
    readonly role: string;
    /** The schema holding Raptor's tables. */
    readonly schema: string;
    /** How RAPTOR_APP_DATABASE_URL reaches the app. */
    readonly urlDelivery: UrlDelivery;
    /** FLAG_RAPTOR_APP_ROLE_SEPARATION: true = 1, false = 0 (rollback / emergency stop). */
    readonly roleSeparation: boolean;
    /** Fully qualified staging stack whose `roleSeparationEnabledAt` export proves the soak (prod only). */
    readonly soakStack?: string;
    /** Heroku Postgres Advanced only: the instance pool the app's attachment names (`data:pg:attachments:create`). */
    readonly pool?: string;
}

/** Each key of the `raptor` namespace and its default (documented in Pulumi.yaml's config block). */
export const SETTING_KEYS = {
    app: { default: undefined },
    database: { default: "DATABASE" },
    role: { default: "raptor_app" },
    schema: { default: "public" },
    urlDelivery: { default: "attachment" },
    roleSeparation: { default: "false" },
    soakStack: { default: undefined },
    pool: { default: undefined },
    ownerDatabaseUrl: { default: undefined },
    signoff: { default: undefined },
    // Read by raptor-roles check, soak and cutover and by the soak gate, not by the program.
    healthUrl: { default: undefined },
    logPatterns: { default: undefined },
    sentryProject: { default: undefined },
    // Read by raptor-roles deploy: the app's smoke suite, run in its checkout (--app-repo) after a flip or narrowing.
    smokeCommand: { default: undefined },
    /** Sentry's `environment` of this stack's events; undefined: the stack's name. */
    sentryEnvironment: { default: undefined },
    soakEvidence: { default: undefined },
} as const;
export type SettingKey = keyof typeof SETTING_KEYS;

/** Apps each known stack must point at: a prod stack aimed at staging (or back) is a wiring mistake. */
export const KNOWN_STACK_APPS: Readonly<Record<string, string>> = {
    staging: "raxx-api-staging",
    prod: "raxx-api-prod",
};

/** The attachment Heroku manages for the app role in `attachment` delivery. */
export const APP_ATTACHMENT = "RAPTOR_APP_DATABASE";
export const APP_URL_VAR = `${APP_ATTACHMENT}_URL`;
export const FLAG_VAR = "FLAG_RAPTOR_APP_ROLE_SEPARATION";

export class SettingsError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "SettingsError";
    }
}

const HEROKU_APP = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;
const ATTACHMENT = /^[A-Z][A-Z0-9_]*$/;
/** Pool names as `data:pg:info` lists them (leader, analytics, ...; heroku/cli test/fixtures/data/pg/fixtures.ts). */
const POOL = /^[a-z][a-z0-9_-]{0,62}$/;
const STACK_REF = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Validates raw config values (key without the `raptor:` prefix -> string) for
 * a stack. Collects every problem, then throws one SettingsError naming each
 * key, its value and the fix.
 */
export function parseSettings(stack: string, raw: Readonly<Record<string, string | undefined>>): RaptorSettings {
    const problems: string[] = [];
    const known = new Set(Object.keys(SETTING_KEYS));
    for (const key of Object.keys(raw)) {
        if (!known.has(key) && raw[key] !== undefined) {
            problems.push(`raptor:${key} is not a setting of this project; known keys: ${[...known].join(", ")}`);
        }
    }
    const get = (k: SettingKey): string | undefined => {
        const v = raw[k];
        return v === undefined || v === "" ? SETTING_KEYS[k].default : v;
    };
    const bad = (k: SettingKey, value: string | undefined, fix: string) =>
        problems.push(`raptor:${k} = ${JSON.stringify(value ?? null)}: ${fix}`);

    const app = get("app");
    if (app === undefined) {
        bad(
            "app",
            raw["app"], // "" is reported as "", not as a missing key
            `set it: pulumi config set raptor:app ${KNOWN_STACK_APPS[stack] ?? "<heroku-app>"} -s ${stack}`,
        );
    } else if (!HEROKU_APP.test(app)) {
        bad("app", app, "a Heroku app name is 3-30 lower-case letters, digits and dashes, starting with a letter");
    } else if (KNOWN_STACK_APPS[stack] !== undefined && KNOWN_STACK_APPS[stack] !== app) {
        bad(
            "app",
            app,
            `stack ${stack} must manage ${KNOWN_STACK_APPS[stack]}; fix the value or select the right stack`,
        );
    }

    let database = get("database") as string;
    if (database.endsWith("_URL")) {
        database = database.slice(0, -"_URL".length);
    }
    if (!ATTACHMENT.test(database)) {
        bad("database", get("database"), "use the add-on's attachment name as Heroku shows it, e.g. DATABASE");
    }

    const role = get("role") as string;
    if (!isPlainIdentifier(role)) {
        bad("role", role, "use a lower-case Postgres identifier such as raptor_app");
    } else if (role === "default" || role === "owner" || role.startsWith("pg_") || role === "postgres") {
        // `default` is the classic owner credential, `owner` the Advanced one's name in Dev Center.
        bad("role", role, "that name is reserved by Heroku or Postgres; use raptor_app");
    }

    const schema = get("schema") as string;
    if (!isPlainIdentifier(schema)) {
        bad("schema", schema, "use a lower-case Postgres identifier such as public");
    }

    const urlDelivery = get("urlDelivery") as string;
    if (!(URL_DELIVERIES as readonly string[]).includes(urlDelivery)) {
        bad(
            "urlDelivery",
            urlDelivery,
            `use one of ${URL_DELIVERIES.join(" or ")} (attachment keeps the URL current across rotations)`,
        );
    }

    const rs = get("roleSeparation") as string;
    if (rs !== "true" && rs !== "false") {
        bad("roleSeparation", rs, "use true (flag 1) or false (flag 0, rollback)");
    }

    const soakStack = get("soakStack");
    if (soakStack !== undefined && !STACK_REF.test(soakStack)) {
        bad("soakStack", soakStack, "use the fully qualified staging stack, e.g. my-org/raptor/staging");
    } else if (soakStack !== undefined && soakStack.split("/")[2] === stack) {
        bad(
            "soakStack",
            soakStack,
            "a stack cannot prove its own soak; name the staging stack, e.g. my-org/raptor/staging",
        );
    } else if (soakStack !== undefined && stack === "prod" && !soakStack.endsWith("/raptor/staging")) {
        bad(
            "soakStack",
            soakStack,
            "prod's soak evidence must come from this project's staging stack: <org>/raptor/staging",
        );
    }

    const pool = get("pool");
    if (pool !== undefined && !POOL.test(pool)) {
        bad("pool", pool, "use a pool name as `heroku data:pg:info` lists it, e.g. leader, or leave it unset");
    }

    if (problems.length > 0) {
        throw new SettingsError(problems);
    }
    return {
        app: app as string,
        database,
        role,
        schema,
        urlDelivery: urlDelivery as UrlDelivery,
        roleSeparation: rs === "true",
        ...(soakStack !== undefined ? { soakStack } : {}),
        ...(pool !== undefined ? { pool } : {}),
    };
}

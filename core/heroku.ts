/**
 * Heroku facts the program acts on: which Postgres plans allow custom
 * credentials, how to find the add-on behind an attachment, and how to read
 * the CLI's output. Pure: the program, the policy pack and the tests share it.
 */

export interface PostgresAddon {
    /** The add-on's id: what ties the credential and its attachment to this database (a promote changes it). */
    readonly id: string;
    /** The globally unique add-on name: what `addons:attach` and `pg:credentials*` take. */
    readonly name: string;
    readonly plan: string;
    readonly state: string;
}

export class TierError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "TierError";
    }
}

/**
 * The one tier rule (the program's gate and the policy pack use it; the scripts hold none). Plans after
 * `heroku-postgresql:` that allow `pg:credentials:create` (Dev Center, "Heroku Postgres Credentials").
 */
export const CUSTOM_CREDENTIAL_TIERS = ["standard", "premium", "private", "shield"] as const;
const CUSTOM_CREDENTIAL_PLANS = new RegExp(`^(${CUSTOM_CREDENTIAL_TIERS.join("|")})-[a-z0-9-]+$`);
/** Essential and the legacy hobby plans: no custom credentials, and no addons:upgrade out of the tier. */
const ESSENTIAL_PLANS = /^(essential-[a-z0-9-]+|dev|basic|mini|hobby-dev|hobby-basic)$/;
/**
 * heroku-cli-util `isAdvancedDatabase` (dist/utils/addons/helpers.js): `^(advanced|performance)` on the plan.
 * Such a database takes custom credentials too, but through `heroku data:pg:*` and /data/postgres/v1 (heroku
 * 11.10 dist/commands/data/pg/credentials/create.js). The CLI's own fixtures name the plan
 * `heroku-postgresql:advanced` (heroku/cli test/fixtures/data/pg/fixtures.ts).
 */
const ADVANCED_PLANS = /^(advanced|performance)/;

/** `allowed`: classic `pg:credentials:*`; `advanced`: `data:pg:*`. Both take the app role. */
export type TierVerdict = "allowed" | "advanced" | "essential" | "unknown";

export function tierOf(plan: string): TierVerdict {
    const short = plan.replace(/^heroku-postgresql:/, "");
    if (CUSTOM_CREDENTIAL_PLANS.test(short)) {
        return "allowed";
    }
    if (ADVANCED_PLANS.test(short)) {
        return "advanced";
    }
    return ESSENTIAL_PLANS.test(short) ? "essential" : "unknown";
}

/** True when the plan takes the app role at all (Standard or better, or Advanced/Performance). */
export const takesCustomCredentials = (plan: string): boolean => {
    const verdict = tierOf(plan);
    return verdict === "allowed" || verdict === "advanced";
};

/** Which family of commands manages the plan's credentials and attachments. */
export type CommandFamily = "classic" | "advanced";
export const commandFamily = (plan: string): CommandFamily => (tierOf(plan) === "advanced" ? "advanced" : "classic");

/** The plans the program takes, as an operator reads them in a refusal. */
export const SUPPORTED_PLANS = `${CUSTOM_CREDENTIAL_TIERS.map((t) => `${t}-*`).join(", ")}, advanced*, performance*`;

const WHY: Record<"essential" | "unknown", string> = {
    essential:
        "is on the Essential tier, which cannot have custom credentials (pg:credentials:create fails with " +
        '"You can\'t create a custom credential on Essential-tier databases.")',
    unknown: "is on a plan this program does not know to support custom credentials",
};

/**
 * The refusal an operator reads when the tier is wrong. It names the app, the
 * plan and the real fix: leaving Essential takes pg:copy to a new Standard or
 * Advanced database (downtime), not `addons:upgrade`, and it is a cost decision.
 */
export function tierProblem(app: string, addon: Pick<PostgresAddon, "name" | "plan">): string | undefined {
    const verdict = tierOf(addon.plan);
    if (verdict === "allowed" || verdict === "advanced") {
        return undefined;
    }
    const fix =
        "`heroku addons:upgrade` cannot leave the Essential tier: provision a Standard-0 (or Advanced) database, " +
        "copy the data with `heroku pg:copy` (downtime), then `heroku pg:promote` it. A tier change is the " +
        "operator's cost decision (runbook: Escalation). Nothing was created.";
    const found = `${app}: Postgres add-on ${addon.name} (plan ${addon.plan}) ${WHY[verdict]}`;
    return `${found}. Required: ${SUPPORTED_PLANS}. ${fix}`;
}

/** raptor:pool on a plan without instance pools: only Advanced attachments name one (data:pg:attachments:create). */
export function poolProblem(
    app: string,
    addon: Pick<PostgresAddon, "name" | "plan">,
    pool: string | undefined,
): string | undefined {
    if (pool === undefined || commandFamily(addon.plan) === "advanced") {
        return undefined;
    }
    return (
        `${app}: raptor:pool = ${JSON.stringify(pool)}, but Postgres add-on ${addon.name} (plan ${addon.plan}) has ` +
        "no instance pools: only Heroku Postgres Advanced plans do. Unset raptor:pool " +
        `(pulumi config rm raptor:pool). Nothing was created.`
    );
}

interface RawAttachment {
    name?: unknown;
    app?: { name?: unknown };
}

interface RawAddon {
    id?: unknown;
    name?: unknown;
    plan?: { name?: unknown } | unknown;
    state?: unknown;
    attachments?: RawAttachment[];
}

const planName = (a: RawAddon): string => {
    const p = a.plan as { name?: unknown } | undefined;
    return typeof p?.name === "string" ? p.name : typeof a.plan === "string" ? a.plan : "";
};

/**
 * Picks the Postgres add-on that THIS app reaches as `attachment`, from `heroku addons --app APP --json`.
 * The list also holds add-ons of other apps attached here and add-ons attached elsewhere (shared
 * databases), so only an attachment whose `app.name` is this app counts (heroku/cli addons/index.ts).
 */
export function findPostgresAddon(addonsJson: string, app: string, attachment: string): PostgresAddon {
    let parsed: unknown;
    try {
        parsed = JSON.parse(addonsJson);
    } catch {
        throw new TierError(
            `${app}: \`heroku addons --app ${app} --json\` did not print JSON; check the Heroku CLI and HEROKU_API_KEY`,
        );
    }
    if (!Array.isArray(parsed)) {
        throw new TierError(`${app}: \`heroku addons --app ${app} --json\` did not print a list of add-ons`);
    }
    const postgres = (parsed as RawAddon[]).filter((a) => planName(a).startsWith("heroku-postgresql:"));
    const ours = (x: RawAttachment) => x.app?.name === app;
    const chosen = postgres.filter((a) => (a.attachments ?? []).some((x) => ours(x) && x.name === attachment));
    if (chosen.length === 0) {
        const names = postgres.flatMap((a) => (a.attachments ?? []).filter(ours).map((x) => String(x.name)));
        throw new TierError(
            `${app} has no heroku-postgresql add-on attached as ${attachment} (its Postgres attachments: ` +
                `${names.join(", ") || "none"}); ` +
                "set raptor:database to the attachment of the app's database",
        );
    }
    if (chosen.length > 1) {
        // One app cannot hold two attachments of one name; a list saying so is not one this program understands.
        throw new TierError(
            `${app}: \`heroku addons --json\` lists ${attachment} on ${chosen.length} add-ons ` +
                `(${chosen.map((a) => String(a.name)).join(", ")}); check \`heroku addons -a ${app}\``,
        );
    }
    const a = chosen[0];
    if (typeof a.id !== "string" || typeof a.name !== "string") {
        throw new TierError(
            `${app}: the add-on attached as ${attachment} has no id or name in \`heroku addons --json\``,
        );
    }
    return { id: a.id, name: a.name, plan: planName(a), state: typeof a.state === "string" ? a.state : "unknown" };
}

/**
 * The `Connection URL:` value from `heroku pg:credentials:url`. The error
 * never quotes the output: it carries a password.
 */
export function parseCredentialUrl(stdout: string): string {
    const lines = stdout.split(/\r?\n/);
    const at = lines.findIndex((l) => l.trim() === "Connection URL:");
    const url = at >= 0 ? (lines.slice(at + 1).find((l) => l.trim() !== "") ?? "").trim() : "";
    if (!/^postgres(ql)?:\/\/\S+$/.test(url)) {
        throw new Error(
            "heroku pg:credentials:url printed no `Connection URL:` line followed by a postgres:// URL (output " +
                "withheld: it may carry a password); is the credential active? `heroku pg:credentials DATABASE -a APP`",
        );
    }
    return url;
}

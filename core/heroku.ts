/**
 * Heroku facts the program acts on: which Postgres plans allow custom
 * credentials, how to find the add-on behind an attachment, and how to read
 * the CLI's output. Pure: the program, the policy pack and the tests share it.
 */

export interface PostgresAddon {
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

/** Plans (after `heroku-postgresql:`) that allow `pg:credentials:create`. */
const CUSTOM_CREDENTIAL_PLANS = /^(standard|premium|private|shield)-[a-z0-9-]+$|^advanced/;
/** Essential and the legacy hobby plans: no custom credentials, and no addons:upgrade out of the tier. */
const ESSENTIAL_PLANS = /^(essential-[a-z0-9-]+|dev|basic|mini|hobby-dev|hobby-basic)$/;

export type TierVerdict = "allowed" | "essential" | "unknown";

export function tierOf(plan: string): TierVerdict {
    const short = plan.replace(/^heroku-postgresql:/, "");
    if (CUSTOM_CREDENTIAL_PLANS.test(short)) {
        return "allowed";
    }
    return ESSENTIAL_PLANS.test(short) ? "essential" : "unknown";
}

/**
 * The refusal an operator reads when the tier is wrong. It names the app, the
 * plan and the real fix: leaving Essential takes pg:copy to a new Standard
 * database (downtime), not `addons:upgrade`, and it is a cost decision.
 */
export function tierProblem(app: string, addon: PostgresAddon): string | undefined {
    const verdict = tierOf(addon.plan);
    if (verdict === "allowed") {
        return undefined;
    }
    const what = verdict === "essential"
        ? "is on the Essential tier, which cannot have custom credentials (pg:credentials:create fails with " +
          "\"You can't create a custom credential on Essential-tier databases.\")"
        : "is on a plan this program does not know to support custom credentials";
    return (
        `${app}: Postgres add-on ${addon.name} (plan ${addon.plan}) ${what}. Standard-0 or better is required ` +
        "(standard-*, premium-*, private-*, shield-*, advanced). `heroku addons:upgrade` cannot leave the Essential tier: " +
        "provision a Standard-0 database, copy the data with `heroku pg:copy` (downtime), then `heroku pg:promote` it. " +
        "A tier change is the operator's cost decision (runbook: Escalation). Nothing was created."
    );
}

interface RawAddon {
    name?: unknown;
    plan?: { name?: unknown } | unknown;
    state?: unknown;
    addon_service?: { name?: unknown };
    attachments?: Array<{ name?: unknown }>;
}

/**
 * Picks the Postgres add-on behind `attachment` from `heroku addons --app APP --json`.
 * Falls back to the only heroku-postgresql add-on when the JSON has no attachment data.
 */
export function findPostgresAddon(addonsJson: string, app: string, attachment: string): PostgresAddon {
    let parsed: unknown;
    try {
        parsed = JSON.parse(addonsJson);
    } catch {
        throw new TierError(`${app}: \`heroku addons --app ${app} --json\` did not print JSON; check the Heroku CLI and HEROKU_API_KEY`);
    }
    if (!Array.isArray(parsed)) {
        throw new TierError(`${app}: \`heroku addons --app ${app} --json\` did not print a list of add-ons`);
    }
    const planName = (a: RawAddon): string => {
        const p = a.plan as { name?: unknown } | undefined;
        return typeof p?.name === "string" ? p.name : typeof a.plan === "string" ? a.plan : "";
    };
    const postgres = (parsed as RawAddon[]).filter((a) => planName(a).startsWith("heroku-postgresql:"));
    const byAttachment = postgres.filter((a) => (a.attachments ?? []).some((x) => x.name === attachment));
    // Without attachment data (older CLIs) the app's only Postgres add-on is the one; with it, the name must match.
    const hasAttachmentData = postgres.some((a) => Array.isArray(a.attachments));
    if (hasAttachmentData && byAttachment.length === 0 && postgres.length > 0) {
        const names = postgres.flatMap((a) => (a.attachments ?? []).map((x) => String(x.name)));
        throw new TierError(
            `${app} has no heroku-postgresql add-on attached as ${attachment} (attachments: ${names.join(", ") || "none"}); ` +
                "set raptor:database to the attachment of the app's database",
        );
    }
    const chosen = byAttachment.length === 1 ? byAttachment : postgres;
    if (chosen.length === 0) {
        throw new TierError(`${app} has no heroku-postgresql add-on; create one on Standard-0 or better first`);
    }
    if (chosen.length > 1) {
        throw new TierError(
            `${app} has ${chosen.length} heroku-postgresql add-ons (${chosen.map((a) => String(a.name)).join(", ")}) ` +
                `and none is attached as ${attachment}; set raptor:database to the attachment of the app's database`,
        );
    }
    const a = chosen[0];
    return { name: String(a.name), plan: planName(a), state: typeof a.state === "string" ? a.state : "unknown" };
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
            "heroku pg:credentials:url printed no `Connection URL:` line followed by a postgres:// URL " +
                "(output withheld: it may carry a password); is the credential active? `heroku pg:credentials DATABASE -a APP`",
        );
    }
    return url;
}

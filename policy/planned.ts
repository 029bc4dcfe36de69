/**
 * The deployment the reviewed program plans for this stack, recomputed from
 * the stack's config and the shared classification exactly as program.ts
 * does. The per-step sign-off check compares each resource with it, because a
 * step sees only itself, never the whole set the fingerprint covers.
 */
import { RAPTOR_CLASSIFICATION } from "./core/classification";
import { Deployment, DeploymentExtra, deploymentFromPlan } from "./core/deployment";
import { buildPlan } from "./core/plan";
import { SETTING_KEYS, parseSettings } from "./core/settings";
import { StackContext } from "./context";

/** Settings the plan depends on; the sign-off and the secret owner URL are not among them. */
const PLAN_KEYS = Object.keys(SETTING_KEYS).filter((k) => k !== "signoff" && k !== "ownerDatabaseUrl");

const memo = new Map<string, { deployment: Deployment } | { problem: string }>();

/** The config values as the program reads them: strings (`pulumi config set` of true gives "true"). */
function rawSettings(ctx: StackContext): Record<string, string | undefined> {
    const raw: Record<string, string | undefined> = {};
    for (const k of PLAN_KEYS) {
        const v = ctx.config(k);
        raw[k] = v === undefined || v === null ? undefined : typeof v === "string" ? v : JSON.stringify(v);
    }
    return raw;
}

/** The planned deployment, or why the stack's config cannot give one (the program would refuse it too). */
export function plannedDeployment(ctx: StackContext): { deployment: Deployment } | { problem: string } {
    const raw = rawSettings(ctx);
    const key = JSON.stringify([ctx.stack, raw]);
    let found = memo.get(key);
    if (found === undefined) {
        try {
            const settings = parseSettings(ctx.stack, raw);
            const plan = buildPlan({
                classification: RAPTOR_CLASSIFICATION,
                role: settings.role,
                schema: settings.schema,
            });
            found = { deployment: deploymentFromPlan(settings, plan) };
        } catch (e) {
            found = { problem: (e as Error).message.replace(/\n\s*/g, " ") };
        }
        memo.set(key, found);
    }
    return found;
}

/** The planned deployment with the extras the sign-off lists (by digest) added: what the sign-off must cover. */
export function withExtras(d: Deployment, extras: readonly DeploymentExtra[]): Deployment {
    return { ...d, extras: [...extras] };
}

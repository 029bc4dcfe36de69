/**
 * The scenario table of the policy pack, run twice: offline by
 * test/policy/policies.test.ts and through Pulumi's real `run-policy-pack` by
 * test/policy/grpc.test.ts, which must agree row by row. Every row runs as an
 * update and as a preview (outputs unknown, and every input computed from
 * them), with the sign-off and the evidence dated from `now`.
 */
import { RAPTOR_CLASSIFICATION } from "../../core/classification";
import { TYPES } from "../../core/resources";
import { PackConfigFile } from "../../offline/evaluate";
import { Recorded, Run, Scenario as ProgramScenario, UNKNOWN } from "./mocks";
import {
    GRANT_ROLE,
    PROD_CONFIG,
    PSQL_GRANT_UPDATE,
    STAGING_CONFIG,
    Signing,
    added,
    declared,
    edit,
    fingerprintOf,
    hoursBefore,
    signoffOf,
    step,
    tableGrant,
    testPackConfig,
    variant,
} from "./policy-harness";
import { cleanSoak } from "./soak-evidence";

export type Mode = "update" | "preview";

export interface Setup {
    resources: Recorded[];
    stack: string;
    /** `raptor:*` values as Pulumi.<stack>.yaml holds them (a --path object as an object). */
    stackConfig: Record<string, unknown>;
    /** The program's exports: what the engine shows the stack phase on the `pulumi:pulumi:Stack` resource. */
    outputs: Record<string, unknown>;
    /** The --policy-pack-config file (default: policy/config.json with the test operator's keys as allowed signers). */
    policyConfig: PackConfigFile;
}

export interface PolicyScenario {
    name: string;
    setup: (mode: Mode, now: Date) => Promise<Setup>;
    /** Omitted: passes (no mandatory violation). Else the policies that block it, the first one asserted on. */
    blockedBy?: string[];
    /** Each must occur in one message of blockedBy[0]. */
    says?: (s: Setup, mode: Mode) => (string | RegExp)[];
    /** The first step that changes Heroku or the database is already blocked (so `up --skip-preview` is too). */
    blocksFirstStep?: boolean;
}

const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
const AUDIT_MOVED = {
    ...RAPTOR_CLASSIFICATION,
    application: [...RAPTOR_CLASSIFICATION.application, "customer_audit_events"],
    appendOnly: RAPTOR_CLASSIFICATION.appendOnly.filter((t) => t !== "customer_audit_events"),
};

const program = (mode: Mode, s: ProgramScenario) => declared({ ...s, preview: mode === "preview" });
const setup = (run: Run, stack: string, stackConfig: Record<string, unknown>, resources = run.resources): Setup => ({
    resources,
    stack,
    stackConfig,
    outputs: run.outputs,
    policyConfig: testPackConfig(),
});

/** Prod with a sign-off of exactly what it declares. */
async function signedProd(mode: Mode, now: Date, config: Record<string, string>, extra: Partial<ProgramScenario> = {}) {
    const run = await program(mode, { stack: "prod", config, ...extra });
    // Clean soak marks for staging's enable time, as the soak workflow records them.
    const enabledAt = extra.soakOutputs?.roleSeparationEnabledAt;
    const marks = typeof enabledAt === "string" ? { soakEvidence: cleanSoak(enabledAt, now) } : {};
    return setup(run, "prod", { ...config, signoff: signoffOf(run.resources, {}, now), ...marks });
}
/** The program's prod change under a sign-off with `over` fields, signed as `signing` says. */
async function resigned(mode: Mode, now: Date, over: Record<string, unknown>, signing: Signing = {}): Promise<Setup> {
    const s = await signedProd(mode, now, PROD_CONFIG);
    return { ...s, stackConfig: { ...PROD_CONFIG, signoff: signoffOf(s.resources, over, now, signing) } };
}
const SIGN_AGAIN = "Sign again: `raptor-roles signoff --stack prod --ticket";
/** A key no allowedSigners line lists: signing again cannot help; the fix is a reviewed line in the pack config. */
const ADD_THE_LINE =
    'add this line to prod-signoff.allowedSigners in policy/config.json: "operator@raxx.app namespaces=';
const staging = async (mode: Mode, config: Record<string, string> = STAGING_CONFIG) =>
    setup(await program(mode, { stack: "staging", config }), "staging", config);
/** The program's own prod change, signed, with `change` applied after the sign-off was given. */
async function changedAfterSignoff(mode: Mode, now: Date, change: (rs: Recorded[]) => Recorded[]): Promise<Setup> {
    const s = await signedProd(mode, now, PROD_CONFIG);
    return { ...s, resources: change(s.resources) };
}
const sneakyCommand = (mode: Mode, environment: Record<string, unknown> = {}, opts: Record<string, unknown> = {}) =>
    added(
        "prod",
        TYPES.command,
        "raptor-sneaky",
        { interpreter: ["/bin/bash", "-c"], create: PSQL_GRANT_UPDATE, environment, logging: "none" },
        opts,
        mode === "preview",
    );
/** Prod turning the flag on, signed, with `hours` of staging soak, and its resources as AnalyzeStack gets them. */
async function asTheEngineSees(mode: Mode, now: Date, hours: number): Promise<Setup> {
    const at = hoursBefore(hours, now);
    const s = await signedProd(mode, now, FLAG_ON, { soakOutputs: { roleSeparationEnabledAt: at } });
    if (s.outputs.soakStackEnabledAt !== at) {
        throw new Error(`no soak evidence exported: ${JSON.stringify(s.outputs.soakStackEnabledAt)}`);
    }
    return { ...s, resources: s.resources.filter((r) => r.type !== TYPES.stackReference) };
}
const current = (s: Setup) => fingerprintOf(s.resources);
const signed = (s: Setup) => (s.stackConfig.signoff as { fingerprint: string }).fingerprint;

export const SCENARIOS: PolicyScenario[] = [
    {
        name: "staging without sign-off (flag on) passes",
        setup: (mode) => staging(mode, { ...STAGING_CONFIG, roleSeparation: "true" }),
    },
    {
        name: "prod without sign-off is blocked before its first step",
        setup: async (mode, now) => ({ ...(await signedProd(mode, now, PROD_CONFIG)), stackConfig: PROD_CONFIG }),
        blockedBy: ["prod-signoff"],
        says: (s) => [
            "raptor:signoff is not set",
            current(s),
            "review `raptor-roles plan --stack prod`",
            "raptor:signoff.fingerprint",
        ],
        blocksFirstStep: true,
    },
    {
        name: "prod with another change's fingerprint is blocked before its first step",
        setup: async (mode, now) => {
            const other = await program(mode, { stack: "prod", config: { ...PROD_CONFIG, urlDelivery: "config-var" } });
            const s = await signedProd(mode, now, PROD_CONFIG);
            return { ...s, stackConfig: { ...PROD_CONFIG, signoff: signoffOf(other.resources, {}, now) } };
        },
        blockedBy: ["prod-signoff"],
        says: (s) => ["sign-off is for another change", signed(s), `have fingerprint ${current(s)}`],
        blocksFirstStep: true,
    },
    {
        name: "prod with a matching sign-off by an allowed operator passes",
        setup: (mode, now) => signedProd(mode, now, PROD_CONFIG),
    },
    {
        name: "prod with the ticket as `config set --path` stores bare digits (a number) passes",
        setup: (mode, now) => resigned(mode, now, { ticket: 1568 }),
    },
    ...(["ed25519", "ecdsa", "rsa"] as const).map((key): PolicyScenario => ({
        name: `prod signed with the operator's allowed ${key} key passes`,
        setup: (mode, now) => resigned(mode, now, {}, { key }),
    })),
    {
        name: "prod with an unsigned sign-off is refused, showing the signoff command",
        setup: (mode, now) => resigned(mode, now, {}, { unsigned: true }),
        blockedBy: ["prod-signoff"],
        says: () => ["is not signed, and an unsigned sign-off is refused (prod-signoff.requireSignature)", SIGN_AGAIN],
        blocksFirstStep: true,
    },
    {
        name: "prod with an unsigned sign-off by a listed operator passes while migrating (requireSignature false)",
        setup: async (mode, now) => {
            const s = await resigned(mode, now, {}, { unsigned: true });
            const file = s.policyConfig as Record<string, Record<string, unknown>>;
            return {
                ...s,
                policyConfig: {
                    ...file,
                    "prod-signoff": { requireSignature: false, operators: ["operator@raxx.app"] },
                },
            };
        },
    },
    {
        name: "prod with a signature that is not an SSH signature is refused",
        setup: (mode, now) =>
            resigned(
                mode,
                now,
                { signature: "-----BEGIN SSH SIGNATURE-----\nbm90IGEgc2lnbmF0dXJl\n-----END SSH SIGNATURE-----" },
                { unsigned: true },
            ),
        blockedBy: ["prod-signoff"],
        says: () => ["its signature is not an SSH signature: it does not start with the SSHSIG preamble", SIGN_AGAIN],
        blocksFirstStep: true,
    },
    {
        name: "prod signed with a key that is not allowed is refused",
        setup: (mode, now) => resigned(mode, now, {}, { key: "mallory" }),
        blockedBy: ["prod-signoff"],
        says: () => [
            'no line of prod-signoff.allowedSigners allows that key for "operator@raxx.app"',
            ADD_THE_LINE,
            "goes through review",
        ],
        blocksFirstStep: true,
    },
    {
        name: "prod signed by the operator's key under another name is refused",
        setup: (mode, now) => resigned(mode, now, { operator: "mallory@raxx.app" }),
        blockedBy: ["prod-signoff"],
        says: () => ['no line of prod-signoff.allowedSigners allows that key for "mallory@raxx.app"'],
        blocksFirstStep: true,
    },
    {
        name: "prod signed in another namespace (a git commit signature) is refused",
        setup: (mode, now) => resigned(mode, now, {}, { namespace: "git" }),
        blockedBy: ["prod-signoff"],
        says: () => ['its signature is for namespace "git", not raptor-signoff'],
        blocksFirstStep: true,
    },
    ...(
        [
            ["fingerprint", { fingerprint: `sha256:${"0".repeat(64)}` }],
            ["ticket", { ticket: "RM-11" }],
            ["stack", { stack: "staging" }],
            ["approval time", { approvedAt: "2026-01-01T00:00:00Z" }],
        ] as const
    ).map(([what, over]): PolicyScenario => ({
        name: `prod under a signature over another ${what} is refused`,
        setup: (mode, now) => resigned(mode, now, {}, { over }),
        blockedBy: ["prod-signoff"],
        says: () => [
            "its signature does not verify over stack prod, app raxx-api-prod",
            "one of them is not what was signed",
        ],
        blocksFirstStep: true,
    })),
    {
        name: "prod with a signed sign-off older than maxAgeHours is refused",
        setup: (mode, now) => resigned(mode, now, { approvedAt: hoursBefore(169, now) }),
        blockedBy: ["prod-signoff"],
        says: () => ["169 h ago, older than prod-signoff.maxAgeHours (168 h)", SIGN_AGAIN],
        blocksFirstStep: true,
    },
    {
        name: "the emergency stop under a signed sign-off of the enabled state older than maxAgeHours passes",
        setup: async (mode, now) => {
            const { resources: on } = await program(mode, {
                stack: "prod",
                config: FLAG_ON,
                soakOutputs: { roleSeparationEnabledAt: hoursBefore(400, now) },
            });
            const off = await program(mode, { stack: "prod", config: PROD_CONFIG });
            return setup(off, "prod", {
                ...PROD_CONFIG,
                signoff: signoffOf(on, { approvedAt: hoursBefore(300, now) }, now),
            });
        },
    },
    {
        name: "prod with a signed sign-off approved in the future is refused",
        setup: (mode, now) => resigned(mode, now, { approvedAt: hoursBefore(-2, now) }),
        blockedBy: ["prod-signoff"],
        says: () => [/approvedAt \S+ is in the future/],
        blocksFirstStep: true,
    },
    {
        name: "prod with the allowed signers under the wrong policy in the pack config is blocked",
        setup: async (mode, now) => {
            const s = await signedProd(mode, now, PROD_CONFIG);
            const { "prod-signoff": moved, ...rest } = s.policyConfig as Record<string, Record<string, unknown>>;
            return { ...s, policyConfig: { ...rest, "soak-before-prod": { ...rest["soak-before-prod"], ...moved } } };
        },
        blockedBy: ["prod-signoff"],
        says: () => ["prod-signoff.allowedSigners lists no usable key"],
        blocksFirstStep: true,
    },
    {
        name: "the emergency stop (flag off) under the enabled state's sign-off passes, at preview too",
        setup: async (mode, now) => {
            const enabled = await signedProd(mode, now, FLAG_ON, {
                soakOutputs: { roleSeparationEnabledAt: hoursBefore(73, now) },
            });
            const off = await program(mode, { stack: "prod", config: PROD_CONFIG });
            return setup(off, "prod", { ...PROD_CONFIG, signoff: enabled.stackConfig.signoff });
        },
    },
    {
        name: "flag on in prod without soak evidence is blocked",
        setup: (mode, now) => signedProd(mode, now, FLAG_ON, { soakOutputs: {} }),
        blockedBy: ["soak-before-prod"],
        says: () => [
            "organization/raptor/staging has no roleSeparationEnabledAt",
            "at least 72 h",
            "pulumi stack output roleSeparationEnabledAt",
        ],
    },
    {
        name: "flag on in prod with 73 h of staging soak passes",
        setup: (mode, now) =>
            signedProd(mode, now, FLAG_ON, { soakOutputs: { roleSeparationEnabledAt: hoursBefore(73, now) } }),
    },
    {
        name: "flag on in prod with only 10 h of staging soak is blocked",
        setup: (mode, now) =>
            signedProd(mode, now, FLAG_ON, { soakOutputs: { roleSeparationEnabledAt: hoursBefore(10, now) } }),
        blockedBy: ["soak-before-prod"],
        says: () => ["only 10.0 h ago"],
    },
    {
        // What the real engine hands AnalyzeStack: no StackReference (a read), the Stack resource with the exports.
        name: "flag on in prod, the engine's view (no StackReference; the stack exports 73 h of soak), passes",
        setup: (mode, now) => asTheEngineSees(mode, now, 73),
    },
    {
        name: "flag on in prod, the engine's view (no StackReference; the stack exports 10 h of soak), is blocked",
        setup: (mode, now) => asTheEngineSees(mode, now, 10),
        blockedBy: ["soak-before-prod"],
        says: () => ["organization/raptor/staging turned it on at", "only 10.0 h ago", "at least 72 h"],
    },
    {
        name: "UPDATE on customer_audit_events is blocked even with a valid sign-off of the edited program",
        // The program's classification moves the table; the pack's config keeps it append-only, and the pack's
        // bundled classification plans it append-only, so no step of the edited program is covered either.
        setup: (mode, now) => signedProd(mode, now, PROD_CONFIG, { classification: AUDIT_MOVED }),
        blockedBy: ["append-only-invariant", "prod-signoff"],
        says: () => ["gives UPDATE, DELETE on append-only table public.customer_audit_events", "policy/config.json"],
        blocksFirstStep: true,
    },
    {
        name: "prod under the program's sign-off with every Grant to public WITH GRANT OPTION is blocked",
        setup: (mode, now) =>
            changedAfterSignoff(mode, now, (rs) =>
                edit(
                    rs,
                    (r) => r.type === TYPES.grant,
                    (r) => variant(r, r.name, { role: "public", withGrantOption: true }),
                ),
            ),
        blockedBy: ["prod-signoff"],
        says: (s) => [
            "sign-off is for another change",
            `have fingerprint ${current(s)}`,
            'to "public" WITH GRANT OPTION',
            "is not part of the signed change",
        ],
    },
    {
        name:
            "prod under the program's sign-off with a GrantRole (id unknown at preview) making raptor_app a member " +
            "of the owner is blocked",
        setup: (mode, now) =>
            changedAfterSignoff(mode, now, (rs) => [
                ...rs,
                added(
                    "prod",
                    GRANT_ROLE,
                    "raptor-app-owner",
                    { role: "raptor_app", grantRole: "owner_u1", withAdminOption: false },
                    {},
                    mode === "preview",
                ),
            ]),
        blockedBy: ["prod-signoff", "append-only-invariant"],
        says: () => [
            "sign-off is for another change",
            `outside the Raptor model, each covered by the fingerprint: ${GRANT_ROLE} raptor-app-owner`,
            "not among the sign-off's extras",
        ],
    },
    {
        name:
            "prod under the program's sign-off with an extra command (stdout unknown at preview) running psql GRANT " +
            "UPDATE is blocked",
        setup: (mode, now) => changedAfterSignoff(mode, now, (rs) => [...rs, sneakyCommand(mode)]),
        blockedBy: ["prod-signoff"],
        says: () => [
            "sign-off is for another change",
            "command:local:Command raptor-sneaky",
            "not among the sign-off's extras",
        ],
    },
    {
        name: "prod under the program's sign-off with that command disguised as a RAPTOR_STEP is blocked",
        setup: (mode, now) =>
            changedAfterSignoff(mode, now, (rs) => [
                ...rs,
                sneakyCommand(
                    mode,
                    { RAPTOR_STEP: "credential-url", APP: "raxx-api-prod", DATABASE: "DATABASE", ROLE: "raptor_app" },
                    { additionalSecretOutputs: ["stdout", "stderr"] },
                ),
            ]),
        blockedBy: ["prod-signoff"],
        says: () => ["command:local:Command raptor-sneaky"],
    },
    {
        name:
            "prod under the program's sign-off with a Grant whose role is unknown at preview (another role in the " +
            "update) is blocked",
        setup: (mode, now) =>
            changedAfterSignoff(mode, now, (rs) => [
                ...rs,
                variant(tableGrant(rs, "users"), "raptor-grants-table-users-2", {
                    role: mode === "preview" ? UNKNOWN : "raptor_reporting",
                }),
            ]),
        blockedBy: ["prod-signoff"],
        says: (_s, mode) =>
            mode === "preview"
                ? [
                      "Cannot check the sign-off's fingerprint for postgresql:index/grant:Grant " +
                          "raptor-grants-table-users-2: role is unknown",
                  ]
                : ["sign-off is for another change", 'to "raptor_reporting"'],
    },
    {
        name: "prod with a resource outside the model passes when the sign-off lists exactly that set",
        setup: async (mode, now) => {
            const run = await program(mode, { stack: "prod", config: PROD_CONFIG });
            const withExtra = [
                ...run.resources,
                added(
                    "prod",
                    TYPES.command,
                    "raptor-notify",
                    { interpreter: ["/bin/bash", "-c"], create: "echo deployed" },
                    {},
                    mode === "preview",
                ),
            ];
            return setup(run, "prod", { ...PROD_CONFIG, signoff: signoffOf(withExtra, {}, now) }, withExtra);
        },
    },
    {
        name: "a table grant with empty objects is blocked, and reported once",
        setup: async (mode) => {
            const s = await staging(mode);
            return {
                ...s,
                resources: [
                    ...s.resources,
                    variant(tableGrant(s.resources, "users"), "raptor-grants-table-all", { objects: [] }),
                ],
            };
        },
        blockedBy: ["no-all-tables-grant"],
        says: () => ["raptor-grants-table-all", "ON ALL TABLES IN SCHEMA public"],
    },
    {
        name: "a credential on an Essential plan is blocked",
        setup: async (mode) => {
            const s = await staging(mode);
            const cred = step(s.resources, "credential");
            const env = { ...(cred.props.environment as object), ADDON_PLAN: "heroku-postgresql:essential-0" };
            return {
                ...s,
                resources: edit(
                    s.resources,
                    (r) => r === cred,
                    (r) => variant(r, r.name, { environment: env }),
                ),
            };
        },
        blockedBy: ["no-credential-on-essential"],
        says: () => ["heroku-postgresql:essential-0, an Essential-tier plan", "pg:copy"],
    },
    {
        // heroku-postgresql:advanced, the plan of heroku/cli's fixtures: data:pg scripts, same grants and gate.
        name: "prod on Advanced, signed, soaked, flag on, passes",
        setup: async (mode, now) => {
            const soak = { roleSeparationEnabledAt: hoursBefore(73, now) };
            const s = await signedProd(mode, now, FLAG_ON, { plan: "heroku-postgresql:advanced", soakOutputs: soak });
            return { ...s, resources: s.resources.filter((r) => r.type !== TYPES.stackReference) };
        },
    },
    {
        name: "config-var delivery passes (its VAR_VALUE unknown at preview)",
        setup: (mode) => staging(mode, { ...STAGING_CONFIG, urlDelivery: "config-var" }),
    },
    {
        name: "a config-var command that logs its output is blocked",
        setup: async (mode) => {
            const s = await staging(mode, { ...STAGING_CONFIG, urlDelivery: "config-var" });
            const cv = step(s.resources, "config-var");
            return {
                ...s,
                resources: edit(
                    s.resources,
                    (r) => r === cv,
                    (r) => variant(r, r.name, { logging: "stdoutAndStderr" }),
                ),
            };
        },
        blockedBy: ["secrets-stay-secret"],
        says: () => ["raptor-url-config-var", 'logging is "stdoutAndStderr"', 'logging "none"'],
    },
    {
        // The engine never shows a policy retainOnDelete: the unprotected credential is judged by its delete script.
        name: "a credential whose delete script destroys the role, without protect, is blocked",
        setup: async (mode) => {
            const s = await staging(mode);
            const cred = step(s.resources, "credential");
            const destroy = 'heroku pg:credentials:destroy "$DATABASE" --name "$ROLE" -a "$APP" --confirm "$APP"';
            return {
                ...s,
                resources: edit(
                    s.resources,
                    (r) => r === cred,
                    (r) => variant(r, r.name, { delete: destroy }),
                ),
            };
        },
        blockedBy: ["credential-retained"],
        says: () => ["this engine does not report retainOnDelete to policies", "retainOnDelete: true or protect: true"],
    },
];

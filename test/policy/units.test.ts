/**
 * Edge cases of each policy, and the engine-shaped arguments evaluatePolicies
 * builds, one behaviour per test, over the real program's resources.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type {
    Policies,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
} from "@pulumi/policy";
import { TYPES, deploymentFromResources } from "../../core/resources";
import { canonicalDeployment } from "../../core/deployment";
import { ADVANCED_CREDENTIAL_CREATE } from "../../core/heroku-scripts";
import { EvaluationContext, Violation, runPolicies, stackUrn } from "../../offline/evaluate";
import { StackContextProvider } from "../../policy/context";
import {
    appendOnlyInvariant,
    credentialRetained,
    noAllTablesGrant,
    noCredentialOnEssential,
    prodSignoff,
    secretsStaySecret,
    soakBeforeProd,
} from "../../policy/policies";
import { APP_PASSWORD, APP_URL, ENABLED_AT, Recorded, UNKNOWN } from "../support/mocks";
import {
    GRANT_ROLE,
    NOW,
    OPERATOR,
    PROD_CONFIG,
    PSQL_GRANT_UPDATE,
    ROLE,
    STAGING_CONFIG,
    added,
    declared,
    edit,
    fingerprintOf,
    hoursBefore,
    signoff,
    step,
    tableGrant,
    variant,
} from "../support/policy-harness";
import { cleanSoak, markSignerLine } from "../support/soak-evidence";

let staging: Recorded[];
let prodOn: Recorded[];
let prodOnOutputs: Record<string, unknown>;
let prodOff: Recorded[];
let configVar: Recorded[];
const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };

beforeAll(async () => {
    staging = (await declared({ stack: "staging", config: STAGING_CONFIG })).resources;
    ({ resources: prodOn, outputs: prodOnOutputs } = await declared({
        stack: "prod",
        config: FLAG_ON,
        soakOutputs: { roleSeparationEnabledAt: hoursBefore(73) },
    }));
    prodOff = (await declared({ stack: "prod", config: PROD_CONFIG })).resources;
    configVar = (await declared({ stack: "staging", config: { ...STAGING_CONFIG, urlDelivery: "config-var" } }))
        .resources;
});

const run = (
    make: (c: StackContextProvider) => Policies,
    rs: readonly Recorded[],
    ctx: Partial<EvaluationContext> = {},
) =>
    runPolicies(make, rs, {
        stack: "staging",
        stackConfig: {},
        now: NOW,
        policyConfig: { "prod-signoff": { operators: [OPERATOR], requireSignature: false } },
        ...ctx,
    });
const messages = (vs: Violation[]) => vs.map((v) => v.message);

describe("the sign-off fingerprint covers what gets deployed", () => {
    const base = () => fingerprintOf(prodOff);
    const changeGrant = (table: string, props: Record<string, unknown>) =>
        edit(
            prodOff,
            (r) => r === tableGrant(prodOff, table),
            (r) => variant(r, r.name, props),
        );

    it.each([
        ["the grantee", { role: "public" }],
        ["the grant option", { withGrantOption: true }],
    ])("changes with %s of one Grant", (_what, props) => {
        expect(fingerprintOf(changeGrant("users", props))).not.toBe(base());
    });

    it("changes with the columns of a column grant", () => {
        const column = (columns: string[]) =>
            fingerprintOf(changeGrant("users", { objectType: "column", columns, privileges: ["UPDATE"] }));
        expect(column(["email"])).not.toBe(column(["email", "password_hash"]));
    });

    it(
        "is the same for withGrantOption false and absent, columns [] and absent, as the engine and the mocks " +
            "differ",
        () => {
            const explicit = edit(
                prodOff,
                (r) => r.type === TYPES.grant,
                (r) => variant(r, r.name, { withGrantOption: false, columns: [] }),
            );
            expect(fingerprintOf(explicit)).toBe(base());
        },
    );

    it("changes with a resource outside the model, and names it in the deployment", () => {
        const rs = [...prodOff, added("prod", GRANT_ROLE, "m", { role: "raptor_app", grantRole: "owner_u1" })];
        expect(fingerprintOf(rs)).not.toBe(base());
        expect(deploymentFromResources(rs).deployment!.extras.map((e) => `${e.type} ${e.name}`)).toEqual([
            `${GRANT_ROLE} m`,
        ]);
    });

    it("counts a command with a step marker but other scripts as an extra", () => {
        const rs = edit(
            prodOff,
            (r) => r === step(prodOff, "flag"),
            (r) => variant(r, r.name, { create: PSQL_GRANT_UPDATE }),
        );
        expect(fingerprintOf(rs)).not.toBe(base());
        expect(deploymentFromResources(rs).deployment!.extras.map((e) => e.name)).toEqual(["raptor-flag-flag"]);
    });

    it("counts a second command with the same step as a problem, whatever its scripts", () => {
        const second = variant(step(prodOff, "credential"), "raptor-credential-again", {});
        expect(deploymentFromResources([...prodOff, second]).problems).toEqual([
            "2 command resources carry RAPTOR_STEP=credential; expected one",
        ]);
    });

    it("reads an extra command's inputs, not the stdout it printed", () => {
        const cmd = (stdout: string) => ({
            ...added("prod", TYPES.command, "c", { create: "echo hi" }),
            props: { create: "echo hi", stdout },
        });
        expect(fingerprintOf([...prodOff, cmd("a")])).toBe(fingerprintOf([...prodOff, cmd("b")]));
    });

    it("ignores what the engine adds and deploys nothing by itself: default providers, the stack", () => {
        const engine = [
            added("prod", "pulumi:providers:command", "default_1_2_1", { version: "1.2.1" }),
            added("prod", "pulumi:pulumi:Stack", "raptor-prod", { fingerprint: "sha256:x" }),
        ];
        expect(fingerprintOf([...prodOff, ...engine])).toBe(base());
    });

    it("keeps an extra's secret inputs out of the canonical text, but not out of the fingerprint", () => {
        const withPassword = (password: string) => [
            ...prodOff,
            added("prod", ROLE, "r", { name: "reporting", password }),
        ];
        const { deployment } = deploymentFromResources(withPassword("hunter2-9f8e7d"));
        expect(canonicalDeployment(deployment!)).not.toContain("hunter2-9f8e7d");
        expect(fingerprintOf(withPassword("hunter2-9f8e7d"))).not.toBe(fingerprintOf(withPassword("other-1a2b3c")));
    });
});

describe("prod-signoff", () => {
    // The complete (stack) layer; the per-step layer has its own tests below.
    const check = async (rs: Recorded[], sign: unknown, ctx: Partial<EvaluationContext> = {}) =>
        (
            await run((c) => [prodSignoff(c)], rs, {
                stack: "prod",
                stackConfig: { ...PROD_CONFIG, signoff: sign },
                ...ctx,
            })
        ).filter((v) => v.phase === "stack");

    it("accepts the sign-off as the JSON string the runtime holds", async () => {
        expect(await check(prodOff, JSON.stringify(signoff(fingerprintOf(prodOff))))).toEqual([]);
    });

    // Seen with the real engine: at preview the stack's roleSeparationEnabledAt and the flag component's
    // enabledAt come from the flag command's stdout, unknown; the fingerprint reads neither.
    it("accepts while outputs it does not read are unknown at preview: the stack's and a component's", async () => {
        const stack = {
            ...added("prod", TYPES.stack, "raptor-prod", { roleSeparationEnabledAt: UNKNOWN }),
            custom: false,
        };
        const flag = {
            ...added("prod", "raptor:heroku:RoleSeparationFlag", "raptor-flag", { enabledAt: UNKNOWN }),
            custom: false,
        };
        expect(await check([...prodOff, stack, flag], signoff(fingerprintOf(prodOff)))).toEqual([]);
    });

    it("rejects a string that is not JSON", async () => {
        expect(messages(await check(prodOff, "approved by alice"))).toEqual([
            expect.stringContaining("is a string that is not JSON"),
        ]);
    });

    it("accepts a ticket of bare digits, which `pulumi config set --path` stores as a number", async () => {
        const sign = JSON.stringify({ ...signoff(fingerprintOf(prodOff)), ticket: 1568 });
        expect(await check(prodOff, sign)).toEqual([]);
    });

    it("rejects a sign-off without a ticket", async () => {
        const sign = signoff(fingerprintOf(prodOff), { ticket: undefined });
        expect(messages(await check(prodOff, sign))).toEqual([
            expect.stringContaining("ticket is missing; a non-empty string or number is required"),
        ]);
    });

    it("rejects an approvedAt that is not ISO 8601", async () => {
        const sign = signoff(fingerprintOf(prodOff), { approvedAt: "yesterday" });
        expect(messages(await check(prodOff, sign))).toEqual([
            expect.stringContaining('approvedAt "yesterday" is not an ISO 8601 time'),
        ]);
    });

    it("rejects an approvedAt in the future", async () => {
        const sign = signoff(fingerprintOf(prodOff), { approvedAt: "2026-12-01T00:00:00Z" });
        expect(messages(await check(prodOff, sign))).toEqual([
            expect.stringContaining("approvedAt 2026-12-01T00:00:00Z is in the future"),
        ]);
    });

    it("rejects a fingerprint not in the plan's sha256 form", async () => {
        expect(messages(await check(prodOff, signoff("e2889a59")))).toEqual([
            expect.stringContaining('fingerprint "e2889a59" is not sha256:<64 hex digits>'),
        ]);
    });

    it("with no operators configured, names the missing pack config", async () => {
        const vs = await check(prodOff, signoff(fingerprintOf(prodOff)), {
            policyConfig: { "prod-signoff": { requireSignature: false } },
        });
        expect(messages(vs)).toEqual([
            expect.stringContaining("which is empty: run with --policy-pack-config policy/config.json"),
        ]);
    });

    it("turning the flag on under the flag-off state's sign-off is blocked: the exception is one-way", async () => {
        const vs = await check(prodOn, signoff(fingerprintOf(prodOff)));
        expect(messages(vs)).toEqual([expect.stringContaining("sign-off is for another change")]);
    });

    it("applies to the prod app deployed from a stack of another name", async () => {
        const { resources } = await declared({ stack: "prod-eu", config: PROD_CONFIG });
        const vs = (
            await run((c) => [prodSignoff(c)], resources, { stack: "prod-eu", stackConfig: PROD_CONFIG })
        ).filter((v) => v.phase === "stack");
        expect(messages(vs)).toEqual([expect.stringMatching(/^Prod \(app raxx-api-prod\) has no sign-off/)]);
    });

    it("says what is missing when the resources are not a complete deployment", async () => {
        const noFlag = prodOff.filter((r) => r !== step(prodOff, "flag"));
        const vs = await check(noFlag, signoff(fingerprintOf(prodOff)));
        expect(messages(vs)).toEqual([
            expect.stringContaining("cannot be recomputed from the declared resources (no flag command resource"),
        ]);
    });

    it("does not apply to staging, whatever its config says", async () => {
        expect(await run((c) => [prodSignoff(c)], staging, { stackConfig: { signoff: "nonsense" } })).toEqual([]);
    });
});

describe("soak-before-prod", () => {
    // As the engine shows it: the StackReference is a read, so the evidence is the stack's soakStackEnabledAt export.
    const exported = (value: unknown): Partial<EvaluationContext> => ({
        stackOutputs: { ...prodOnOutputs, soakStackEnabledAt: value },
    });
    // Clean signed marks for the enable time the test exports (73 h ago unless it says otherwise).
    const marked = (enabledAt: string) => ({ ...FLAG_ON, soakEvidence: cleanSoak(enabledAt, NOW) });
    const check = (rs: Recorded[], ctx: Partial<EvaluationContext> = {}) =>
        run((c) => [soakBeforeProd(c)], rs, {
            stack: "prod",
            stackConfig: marked(hoursBefore(73)),
            stackOutputs: prodOnOutputs,
            policyConfig: { "soak-before-prod": { markSigners: [markSignerLine()] } },
            ...ctx,
        });

    it("reads the program's own export of staging's value (73 h, from the StackReference)", async () => {
        expect(prodOnOutputs.soakStackEnabledAt).toBe(hoursBefore(73));
        expect(await check(prodOn)).toEqual([]);
    });

    it("passes at exactly soakHours", async () => {
        expect(await check(prodOn, { ...exported(hoursBefore(72)), stackConfig: marked(hoursBefore(72)) })).toEqual([]);
    });

    it("takes soakHours from the pack config", async () => {
        const vs = await check(prodOn, { policyConfig: { "soak-before-prod": { soakHours: 100 } } });
        expect(messages(vs)).toEqual([
            expect.stringContaining("only 73.0 h ago. Required: staging's flag on for at least 100 h"),
        ]);
    });

    it("blocks when raptor:soakStack is not set", async () => {
        const vs = await check(prodOn, { stackConfig: { ...FLAG_ON, soakStack: undefined } });
        expect(messages(vs)).toEqual([expect.stringContaining("raptor:soakStack is not set")]);
    });

    it("blocks when the stack exports no soakStackEnabledAt and no StackReference is visible", async () => {
        const vs = await check(prodOn, { stackOutputs: {} });
        expect(messages(vs)).toEqual([
            expect.stringContaining(
                "the stack exports no soakStackEnabledAt and no StackReference to organization/raptor/staging is " +
                    "visible",
            ),
        ]);
    });

    it("cannot decide, and blocks, while the export is unknown", async () => {
        const vs = await check(prodOn, exported(UNKNOWN));
        expect(vs.map((v) => [v.level, v.urn])).toEqual([["mandatory", stackUrn("prod")]]);
        expect(messages(vs)).toEqual([
            expect.stringContaining(
                "Cannot check the staging soak for pulumi:pulumi:Stack raptor-prod: soakStackEnabledAt is unknown",
            ),
        ]);
    });

    it("blocks when staging's export is null (its flag is off)", async () => {
        expect(messages(await check(prodOn, exported(null)))).toEqual([
            expect.stringContaining("has no roleSeparationEnabledAt"),
        ]);
    });

    it("blocks an export that is not a time", async () => {
        expect(messages(await check(prodOn, exported("soon")))).toEqual([
            expect.stringContaining('exports roleSeparationEnabledAt "soon", which is not an ISO 8601 time'),
        ]);
    });

    it("blocks an export in the future", async () => {
        expect(messages(await check(prodOn, exported("2027-01-01T00:00:00Z")))).toEqual([
            expect.stringContaining("in the future"),
        ]);
    });

    it("prefers a visible StackReference to the soak stack over the export (an engine that passes reads)", async () => {
        const visible = (r: Recorded) => ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: Object.keys(r.state).length > 0 ? r.state : r.props,
        });
        const ref = prodOn.find((r) => r.type === TYPES.stackReference)!;
        const resources = [
            ...prodOn.map(visible),
            {
                type: TYPES.stack,
                name: "raptor-prod",
                urn: stackUrn("prod"),
                props: { soakStackEnabledAt: hoursBefore(100) },
            },
        ].map((r) =>
            r.urn === ref.urn
                ? { ...r, props: { ...r.props, outputs: { roleSeparationEnabledAt: hoursBefore(10) } } }
                : r,
        );
        const found: string[] = [];
        const context = () => ({ stack: "prod", config: (k: string) => FLAG_ON[k as keyof typeof FLAG_ON], now: NOW });
        const args = { resources, getConfig: () => ({ soakHours: 72 }) } as unknown as StackValidationArgs;
        await soakBeforeProd(context).validateStack(args, (m) => found.push(m));
        expect(found).toEqual([expect.stringContaining("only 10.0 h ago")]);
    });

    it("blocks a soak stack that is prod itself", async () => {
        const vs = await check(prodOn, { stackConfig: { ...FLAG_ON, soakStack: "organization/raptor/prod" } });
        expect(messages(vs)).toEqual([expect.stringContaining("is this stack itself")]);
    });

    it("does not apply while prod's flag is off", async () => {
        expect(await check(prodOff, { stackConfig: PROD_CONFIG })).toEqual([]);
    });
});

describe("append-only-invariant", () => {
    const check = (rs: Recorded[], ctx: Partial<EvaluationContext> = {}) =>
        run((c) => [appendOnlyInvariant(c)], rs, ctx);
    const withGrant = (table: string, props: Record<string, unknown>) => [
        ...staging,
        variant(tableGrant(staging, table), `extra-${table}`, props),
    ];

    it("blocks UPDATE on an append-only table granted to public", async () => {
        const vs = await check(withGrant("users_history", { role: "public", privileges: ["SELECT", "UPDATE"] }));
        expect(messages(vs)).toEqual([
            expect.stringContaining('gives UPDATE on append-only table public.users_history to "public"'),
        ]);
    });

    it("blocks column-level UPDATE on an append-only table", async () => {
        const vs = await check(
            withGrant("customer_audit_events", { objectType: "column", columns: ["payload"], privileges: ["UPDATE"] }),
        );
        expect(messages(vs)).toEqual([
            expect.stringContaining("gives column-level UPDATE on append-only table public.customer_audit_events"),
        ]);
    });

    it("blocks ALL PRIVILEGES on an append-only table as UPDATE, DELETE, TRUNCATE", async () => {
        const vs = await check(withGrant("dsr_log", { privileges: ["ALL"] }));
        expect(messages(vs)).toEqual([
            expect.stringContaining("gives UPDATE, DELETE, TRUNCATE on append-only table public.dsr_log"),
        ]);
    });

    it("blocks any privilege on a locked table", async () => {
        const vs = await check(withGrant("alembic_version", { privileges: ["SELECT"] }));
        expect(messages(vs)).toEqual([expect.stringContaining("gives SELECT on locked table public.alembic_version")]);
    });

    it("blocks table default privileges (a blanket future-table grant)", async () => {
        const dp = staging.find((r) => r.type === TYPES.defaultPrivileges)!;
        const vs = await check([
            ...staging,
            variant(dp, "default-tables", { objectType: "table", privileges: ["SELECT", "INSERT"] }),
        ]);
        expect(messages(vs)).toEqual([expect.stringContaining("blanket future-table grant")]);
    });

    it("reads its lists from the pack config, not the program", async () => {
        const vs = await check(staging, { policyConfig: { "append-only-invariant": { appendOnly: ["users"] } } });
        expect(messages(vs)).toEqual([
            expect.stringContaining("gives UPDATE, DELETE on append-only table public.users"),
        ]);
    });

    const grantRole = (role: string, grantRole: string) =>
        added("staging", GRANT_ROLE, "membership", { role, grantRole });

    it("blocks a GrantRole that makes the app role a member of the owner", async () => {
        const vs = await check([...staging, grantRole("raptor_app", "owner_u1")]);
        expect(messages(vs)).toEqual([
            expect.stringContaining('GrantRole membership makes the app role "raptor_app" a member of "owner_u1"'),
        ]);
    });

    it("blocks a GrantRole that makes another role a member of the app role", async () => {
        const vs = await check([...staging, grantRole("analyst", "RAPTOR_APP")]);
        expect(messages(vs)).toEqual([
            expect.stringContaining('makes "analyst" a member of the app role "RAPTOR_APP"'),
        ]);
    });

    it("takes the app role from the stack's raptor:role as well as the pack's appRole", async () => {
        const rs = [...staging, grantRole("raptor_svc", "owner_u1")];
        expect(await check(rs)).toEqual([]);
        expect(messages(await check(rs, { stackConfig: { role: "raptor_svc" } }))).toEqual([
            expect.stringContaining('app role "raptor_svc"'),
        ]);
        expect(
            messages(await check(rs, { policyConfig: { "append-only-invariant": { appRole: "raptor_svc" } } })),
        ).toEqual([expect.stringContaining('app role "raptor_svc"')]);
    });

    it("blocks a Role resource that declares the app role itself", async () => {
        const vs = await check([
            ...staging,
            added("staging", ROLE, "app", { name: "raptor_app", superuser: true, login: true }),
        ]);
        expect(messages(vs)).toEqual([expect.stringContaining('Role app declares the app role "raptor_app" itself')]);
    });

    it("blocks a Role made a member of the app role", async () => {
        const vs = await check([
            ...staging,
            added("staging", ROLE, "shadow", { name: "shadow", roles: ["raptor_app"] }),
        ]);
        expect(messages(vs)).toEqual([
            expect.stringContaining('Role shadow ("shadow") is made a member of the app role raptor_app'),
        ]);
    });

    it("leaves memberships and roles without the app role alone", async () => {
        const rs = [
            ...staging,
            grantRole("analyst", "readonly"),
            added("staging", ROLE, "reporting", { name: "reporting", roles: ["readonly"] }),
        ];
        expect(await check(rs)).toEqual([]);
    });
});

describe("no-all-tables-grant", () => {
    it("reports an empty-objects table grant once: the invariant leaves it to this policy", async () => {
        const all = variant(tableGrant(staging, "users"), "all-tables", {
            objects: [],
            privileges: ["SELECT", "UPDATE", "DELETE"],
        });
        const vs = await run((c) => [appendOnlyInvariant(c), noAllTablesGrant], [...staging, all]);
        expect(vs.map((v) => v.policy)).toEqual(["no-all-tables-grant"]);
    });

    it("blocks a table grant with objects missing", async () => {
        const g = tableGrant(staging, "users");
        const { objects: _dropped, ...props } = g.props;
        const vs = await run(() => [noAllTablesGrant], [...staging, { ...g, name: "no-objects", props }]);
        expect(messages(vs)).toEqual([
            expect.stringContaining('Grant no-objects to "raptor_app" has objectType "table" and no objects'),
        ]);
    });
});

describe("no-credential-on-essential", () => {
    const withPlan = (plan: string | undefined) =>
        edit(
            staging,
            (r) => r === step(staging, "credential"),
            (r) => variant(r, r.name, { environment: { ...(r.props.environment as object), ADDON_PLAN: plan } }),
        );

    it.each([
        ["no plan", undefined, "carries no ADDON_PLAN"],
        ["a legacy hobby plan", "heroku-postgresql:mini", "heroku-postgresql:mini, an Essential-tier plan"],
        ["an unknown plan", "heroku-postgresql:turbo-9", "not known to allow custom credentials"],
    ])("blocks %s", async (_what, plan, says) => {
        expect(messages(await run(() => [noCredentialOnEssential], withPlan(plan)))).toEqual([
            expect.stringContaining(says),
        ]);
    });

    // heroku 11.10 data/pg/credentials/create.js: Advanced plans take data:pg:credentials:create.
    it("blocks an Advanced plan whose credential runs the classic pg:credentials script", async () => {
        expect(
            messages(await run(() => [noCredentialOnEssential], withPlan("heroku-postgresql:performance-l"))),
        ).toEqual([
            "Credential command raptor-credential-raptor_app is on plan heroku-postgresql:performance-l, an " +
                "Advanced plan, but runs the classic `heroku pg:credentials:create` script. Required: the data:pg " +
                "script for Advanced plans. Fix: let components/credential.ts pick it from the plan.",
        ]);
    });

    it("passes an Advanced plan with the data:pg script", async () => {
        const advanced = edit(
            staging,
            (r) => r === step(staging, "credential"),
            (r) =>
                variant(r, r.name, {
                    environment: { ...(r.props.environment as object), ADDON_PLAN: "heroku-postgresql:advanced" },
                    create: ADVANCED_CREDENTIAL_CREATE,
                    update: ADVANCED_CREDENTIAL_CREATE,
                }),
        );
        expect(await run(() => [noCredentialOnEssential], advanced)).toEqual([]);
    });
});

describe("secrets-stay-secret", () => {
    const check = (rs: Recorded[]) => run(() => [secretsStaySecret], rs);
    const changeStep = (s: string, change: (r: Recorded) => Recorded) =>
        edit(configVar, (r) => r === step(configVar, s), change);

    it("blocks a script carrying a URL with a password, without quoting it", async () => {
        const vs = await check(
            changeStep("flag", (r) => variant(r, r.name, { create: `psql '${APP_URL}' -c 'select 1'` })),
        );
        expect(messages(vs)).toEqual([
            expect.stringContaining("create script contains a postgres:// URL with a password"),
        ]);
        expect(messages(vs).join("\n")).not.toContain(APP_PASSWORD);
    });

    it("blocks a script with VAR_VALUE's literal value spliced in, without quoting it", async () => {
        // Not URL-shaped, so only the literal-value check can see it.
        const token = "tok-7f3a9c1e55";
        const vs = await check(
            changeStep("config-var", (r) =>
                variant(r, r.name, {
                    environment: { ...(r.props.environment as object), VAR_VALUE: token },
                    update: `heroku config:set RAPTOR_APP_DATABASE_URL=${token}`,
                }),
            ),
        );
        expect(messages(vs)).toEqual([
            expect.stringContaining("update script contains the literal value of environment.VAR_VALUE"),
        ]);
        expect(messages(vs).join("\n")).not.toContain(token);
    });

    it("blocks a URL-reading command whose stdout and stderr are not additional secret outputs", async () => {
        const vs = await check(
            changeStep("credential-url", (r) => variant(r, r.name, {}, { additionalSecretOutputs: [] })),
        );
        expect(messages(vs)).toEqual([expect.stringContaining("stdout and stderr are not in additionalSecretOutputs")]);
    });

    it("blocks a VAR_VALUE that is not secret", async () => {
        const vs = await check(changeStep("config-var", (r) => ({ ...r, secretPaths: [] })));
        expect(messages(vs)).toEqual([
            expect.stringContaining("environment.VAR_VALUE carries a credential but is not secret"),
        ]);
    });

    it("blocks a provider password that is not secret", async () => {
        const vs = await check(
            edit(
                configVar,
                (r) => r.type === TYPES.postgresProvider,
                (r) => ({ ...r, secretPaths: ["host"] }),
            ),
        );
        expect(messages(vs)).toEqual([expect.stringContaining("has a password that is not secret")]);
    });

    it("skips secretness where it is unknown, as in the engine", async () => {
        expect(await check(configVar.map((r) => ({ ...r, secretPaths: undefined as unknown as string[] })))).toEqual(
            [],
        );
    });
});

describe("credential-retained", () => {
    /** Options exactly as @pulumi/policy 1.21 builds them: no retainOnDelete field. */
    const engineCheck = async (props: Record<string, unknown>, protect: boolean) => {
        const cred = step(staging, "credential");
        const found: string[] = [];
        const args = {
            type: cred.type,
            name: cred.name,
            urn: cred.urn,
            props: { ...cred.props, ...props },
            stackTags: new Map(),
            opts: {
                protect,
                ignoreChanges: [],
                aliases: [],
                additionalSecretOutputs: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            },
            getConfig: () => ({}),
            notApplicable: () => {
                throw new Error("n/a");
            },
        } as unknown as ResourceValidationArgs;
        await (credentialRetained.validateResource as (a: ResourceValidationArgs, r: ReportViolation) => void)(
            args,
            (m) => found.push(m),
        );
        return found;
    };

    it("accepts protect instead of retainOnDelete", async () => {
        const rs = edit(
            staging,
            (r) => r === step(staging, "credential"),
            (r) => variant(r, r.name, {}, { retainOnDelete: false, protect: true }),
        );
        expect(await run(() => [credentialRetained], rs)).toEqual([]);
    });

    it("in the engine, which hides retainOnDelete, accepts the shared non-destructive delete script", async () => {
        expect(await engineCheck({}, false)).toEqual([]);
    });

    it("in the engine, blocks a delete script that could drop the role", async () => {
        const found = await engineCheck(
            { delete: 'heroku pg:credentials:destroy "$DATABASE" --name "$ROLE" -a "$APP" --confirm "$APP"' },
            false,
        );
        expect(found).toEqual([expect.stringContaining("this engine does not report retainOnDelete to policies")]);
    });
});

describe("evaluatePolicies' engine-shaped arguments", () => {
    const probe = (seen: ResourceValidationArgs[]): ResourceValidationPolicy => ({
        name: "probe",
        description: "Records its arguments.",
        enforcementLevel: "advisory",
        configSchema: { properties: { soakHours: { type: "number" } } },
        validateResource: (args, report) => {
            seen.push(args);
            if (args.name === "raptor-flag-flag") {
                report("seen");
            }
        },
    });

    it("gives each resource its stack's URN, its parent's URN, its options and only its schema's config", async () => {
        const seen: ResourceValidationArgs[] = [];
        await run(() => [probe(seen)], staging);
        expect(seen).toHaveLength(staging.length);
        const cred = seen.find((a) => a.name === "raptor-credential-raptor_app")!;
        expect(cred.urn).toBe(
            "urn:pulumi:staging::raptor::raptor:heroku:RaptorCredential$command:local:Command::" +
                "raptor-credential-raptor_app",
        );
        expect(cred.opts).toMatchObject({
            parent: "urn:pulumi:staging::raptor::raptor:heroku:RaptorCredential::raptor-credential",
            protect: false,
        });
        expect(cred.opts).not.toHaveProperty("retainOnDelete");
        expect(cred.getConfig()).toEqual({});
        expect(cred.stackTags).toBeInstanceOf(Map);
        expect(seen.filter((a) => a.type.startsWith("raptor:"))).toHaveLength(5);
    });

    it("reports with the policy's name, its level and the resource's URN", async () => {
        const vs = await run(() => [probe([])], prodOn, { stack: "prod" });
        expect(vs).toEqual([
            { policy: "probe", level: "advisory", message: "seen", urn: step(prodOn, "flag").urn, phase: "resource" },
        ]);
    });

    it("never analyzes a read (the StackReference), as GenerateReadSteps does not", async () => {
        const seen: ResourceValidationArgs[] = [];
        await run(() => [probe(seen)], prodOn, { stack: "prod" });
        expect(seen.map((a) => a.type)).not.toContain(TYPES.stackReference);
        expect(seen).toHaveLength(prodOn.length - 1);
    });

    it("gives stack policies the outputs, with parents linked", async () => {
        let resources: PolicyResource[] = [];
        await run(
            () => [
                {
                    name: "stack-probe",
                    description: "Records the stack.",
                    validateStack: (a) => {
                        resources = a.resources;
                    },
                },
            ],
            prodOn,
        );
        const flag = resources.find((r) => r.name === "raptor-flag-flag")!;
        expect(flag.props.stdout).toBe(`${ENABLED_AT}\n`);
        expect(flag.parent?.name).toBe("raptor-flag");
    });

    it("gives stack policies the managed resources and the Stack with the exports, never a read", async () => {
        let resources: PolicyResource[] = [];
        const probeStack = {
            name: "stack-probe",
            description: "Records the stack.",
            validateStack: (a: StackValidationArgs) => {
                resources = a.resources;
            },
        };
        await run(() => [probeStack], prodOn, { stack: "prod", stackOutputs: prodOnOutputs });
        expect(resources.map((r) => r.type)).not.toContain(TYPES.stackReference);
        expect(resources).toHaveLength(prodOn.length);
        const stack = resources.filter((r) => r.type === TYPES.stack);
        expect(stack.map((r) => [r.urn, r.name])).toEqual([[stackUrn("prod"), "raptor-prod"]]);
        expect(stack[0].props).toEqual(prodOnOutputs);
        expect(stack[0].props.soakStackEnabledAt).toBe(hoursBefore(73));
    });

    it("treats notApplicable() as no verdict", async () => {
        const vs = await run(
            () => [{ name: "na", description: "Never applies.", validateResource: (a) => a.notApplicable("no") }],
            staging,
        );
        expect(vs).toEqual([]);
    });

    it("turns a policy that throws into a mandatory violation naming the error, at the stack's URN", async () => {
        const vs = await run(
            () => [
                {
                    name: "boom",
                    description: "Throws.",
                    enforcementLevel: "advisory",
                    validateStack: () => {
                        throw new Error("kaput");
                    },
                },
            ],
            staging,
        );
        expect(vs).toEqual([
            {
                policy: "boom",
                level: "mandatory",
                message: "policy failed: Error: kaput",
                urn: "urn:pulumi:staging::raptor::pulumi:pulumi:Stack::raptor-staging",
                phase: "stack",
            },
        ]);
    });

    it(
        "gives a stack policy's violation the stack's URN when it names no resource, and keeps the one it " + "names",
        async () => {
            const ref = prodOn.find((r) => r.type === TYPES.stackReference)!;
            const vs = await run(
                () => [
                    {
                        name: "stack-report",
                        description: "Reports twice.",
                        validateStack: (_a, report) => {
                            report("whole");
                            report("one", ref.urn);
                        },
                    },
                ],
                prodOn,
                { stack: "prod" },
            );
            expect(vs.map((v) => [v.message, v.urn])).toEqual([
                ["whole", "urn:pulumi:prod::raptor::pulumi:pulumi:Stack::raptor-prod"],
                ["one", ref.urn],
            ]);
            expect(stackUrn("prod")).toBe("urn:pulumi:prod::raptor::pulumi:pulumi:Stack::raptor-prod");
        },
    );

    it("skips disabled policies", async () => {
        const vs = await run(
            () => [
                {
                    name: "off",
                    description: "Disabled.",
                    enforcementLevel: "disabled",
                    validateStack: (_a, r) => r("x"),
                },
            ],
            staging,
        );
        expect(vs).toEqual([]);
    });
});

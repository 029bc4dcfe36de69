/**
 * The pack as the engine runs it: started by @pulumi/pulumi's own policy-pack
 * runner (ts-node, type-checked) from policy/, with the stack and its config
 * in the runtime's environment, and called over the Analyzer gRPC protocol
 * with resources the program declares. Its verdicts must equal
 * evaluatePolicies' on the same resources.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Violation, evaluatePolicies, loadPackConfig, stackUrn } from "../policy/evaluate";
import { Recorded } from "./support/mocks";
import {
    GRANT_ROLE, PROD_CONFIG, added, declared, edit, fingerprintOf, hoursBefore, signoff, step, tableGrant, variant,
} from "./support/policy-harness";

const ROOT = join(__dirname, "..");
const RUNNER = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
const FLAG_ON = { ...PROD_CONFIG, roleSeparation: "true" };
/** How the engine sends a value not known until the update (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const LEVELS: Record<number, Violation["level"]> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };

let child: ChildProcess | undefined;
let client: rpc.AnalyzerClient;
let signed: Recorded[];
let stackConfig: Record<string, string>;

const plain = (v: unknown) => Struct.fromJavaScript(JSON.parse(JSON.stringify(v ?? {})));

function options(r: Recorded): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.opts.protect === true);
    o.setAdditionalsecretoutputsList([...(r.opts.additionalSecretOutputs ?? [])]);
    o.setParent(r.parentUrn ?? "");
    return o;
}

const unary = <Req, Res>(call: (req: Req, cb: (e: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req) =>
    new Promise<Res>((resolve, reject) => call.call(client, req, (e, res) => (e ? reject(e) : resolve(res))));

/**
 * Diagnostics as the CLI shows them: @pulumi/policy prefixes each message with
 * the policy's description, and the engine attaches the analyzed resource's
 * URN, or for a stack policy that names none, the stack's.
 */
const verdicts = (res: pb.AnalyzeResponse, fallbackUrn: string): Violation[] =>
    res.getDiagnosticsList().map((d) => {
        const urn = d.getUrn() || fallbackUrn;
        const prefix = `${d.getDescription()}\n`;
        const message = d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage();
        return { policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message, urn };
    });

/** What the engine would report for these resources: each one's inputs, then the stack's outputs. */
async function engineVerdicts(resources: Recorded[]): Promise<Violation[]> {
    const out: Violation[] = [];
    for (const r of resources) {
        const req = new pb.AnalyzeRequest();
        req.setType(r.type).setName(r.name).setUrn(r.urn).setProperties(plain(r.props)).setOptions(options(r));
        out.push(...verdicts(await unary(client.analyze, req), r.urn));
    }
    const stack = new pb.AnalyzeStackRequest();
    stack.setResourcesList(resources.map((r) => {
        const a = new pb.AnalyzerResource();
        a.setType(r.type).setName(r.name).setUrn(r.urn).setParent(r.parentUrn ?? "").setOptions(options(r));
        return a.setProperties(plain(Object.keys(r.state).length > 0 ? r.state : r.props));
    }));
    out.push(...verdicts(await unary(client.analyzeStack, stack), stackUrn("prod")));
    return out;
}

const key = (v: Violation) => `${v.policy}|${v.level}|${v.urn ?? ""}|${v.message}`;
const sorted = (vs: Violation[]) => vs.map(key).sort();

async function startPack(env: Record<string, string>): Promise<number> {
    child = spawn(process.execPath, [RUNNER, "127.0.0.1:1", "."], {
        cwd: join(ROOT, "policy"), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    return new Promise<number>((resolve, reject) => {
        let out = "";
        child!.stdout!.on("data", (d) => {
            out += d;
            const port = /^(\d+)\s*$/m.exec(out);
            if (port) {
                resolve(Number(port[1]));
            }
        });
        child!.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
    });
}

beforeAll(async () => {
    const live = new Date();
    signed = (await declared({ stack: "prod", config: FLAG_ON, soakOutputs: { roleSeparationEnabledAt: hoursBefore(73, live) } })).resources;
    stackConfig = { ...FLAG_ON, signoff: JSON.stringify(signoff(fingerprintOf(signed), { approvedAt: hoursBefore(1, live) })) };
    const config = Object.fromEntries(Object.entries(stackConfig).map(([k, v]) => [`raptor:${k}`, v]));
    const port = await startPack({ PULUMI_NODEJS_STACK: "prod", PULUMI_NODEJS_PROJECT: "raptor", PULUMI_CONFIG: JSON.stringify(config) });
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const configure = new pb.ConfigureAnalyzerRequest();
    const file = JSON.parse(readFileSync(join(ROOT, "policy", "config.json"), "utf8")) as Record<string, object>;
    for (const [policy, entry] of Object.entries(file)) {
        // The CLI sends each configured policy's effective level with its properties.
        configure.getPolicyconfigMap().set(policy, new pb.PolicyConfig().setEnforcementlevel(pb.EnforcementLevel.MANDATORY).setProperties(plain(entry)));
    }
    await unary(client.configure, configure);
});

afterAll(() => {
    client?.close();
    child?.kill();
});

describe("the pack served by Pulumi's policy-pack runner", () => {
    it("passes the signed prod change, reading the sign-off from stack config and the stack from the runtime", async () => {
        expect(await engineVerdicts(signed)).toEqual([]);
    });

    it("blocks another change with the same verdicts as evaluatePolicies", async () => {
        let changed = edit(signed, (r) => r.type === "pulumi:pulumi:StackReference", (r) =>
            ({ ...r, state: { ...r.state, outputs: { roleSeparationEnabledAt: hoursBefore(10, new Date()) } } }));
        changed = [...changed, variant(tableGrant(signed, "customer_audit_events"), "raptor-grants-extra", { privileges: ["UPDATE"] })];
        changed = [...changed, added("prod", GRANT_ROLE, "raptor-app-owner", { role: "raptor_app", grantRole: "owner_u1" })];
        changed = edit(changed, (r) => r === step(changed, "credential"), (r) =>
            variant(r, r.name, { environment: { ...(r.props.environment as object), ADDON_PLAN: "heroku-postgresql:essential-0" } }));
        const engine = await engineVerdicts(changed);
        expect([...new Set(engine.map((v) => v.policy))].sort()).toEqual([
            "append-only-invariant", "no-credential-on-essential", "prod-signoff", "soak-before-prod",
        ]);
        expect(engine.find((v) => v.policy === "prod-signoff")!.message).toContain("sign-off is for another change");
        // The resource policy reads the app role through the runtime's stack config, as the stack policies do.
        expect(engine.filter((v) => v.policy === "append-only-invariant").map((v) => v.urn.split("::").pop())).toEqual([
            "raptor-grants-extra", "raptor-app-owner",
        ]);
        expect(engine.every((v) => v.urn !== "")).toBe(true);
        const offline = await evaluatePolicies(changed, { stack: "prod", stackConfig, policyConfig: loadPackConfig() });
        expect(sorted(engine)).toEqual(sorted(offline));
    });

    it("sees no retainOnDelete in the options, so it judges the credential by its delete script", async () => {
        const cred = step(signed, "credential");
        expect(cred.opts.retainOnDelete).toBe(true);
        const destructive = edit(signed, (r) => r === cred, (r) => variant(r, r.name, { delete: "heroku pg:credentials:destroy" }));
        const vs = (await engineVerdicts(destructive)).filter((v) => v.policy === "credential-retained");
        expect(vs.map((v) => v.message)).toEqual([expect.stringContaining("this engine does not report retainOnDelete to policies")]);
    });

    it("in preview, reports a logging config-var command before its unknown VAR_VALUE ends the check", async () => {
        const { resources } = await declared({ stack: "prod", config: { ...PROD_CONFIG, urlDelivery: "config-var" } });
        const cv = step(resources, "config-var");
        const req = new pb.AnalyzeRequest();
        const props = { ...cv.props, logging: "stdoutAndStderr", environment: { ...(cv.props.environment as object), VAR_VALUE: UNKNOWN } };
        req.setType(cv.type).setName(cv.name).setUrn(cv.urn).setProperties(plain(props)).setOptions(options(cv));
        const vs = verdicts(await unary(client.analyze, req), cv.urn).filter((v) => v.policy === "secrets-stay-secret");
        expect(vs.map((v) => [v.level, v.message])).toEqual([
            ["mandatory", expect.stringContaining('logging is "stdoutAndStderr"')],
            ["advisory", expect.stringContaining("can't run policy 'secrets-stay-secret'")],
        ]);
    });
});

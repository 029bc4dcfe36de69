/**
 * The pack as the engine runs it: started by @pulumi/pulumi's own policy-pack
 * runner (ts-node, type-checked) from policy/, with the stack and its config
 * in the runtime's environment as the Node.js language host sets them
 * (PULUMI_CONFIG: strings, a --path object as JSON text), configured with the
 * reconciled --policy-pack-config, and called over the Analyzer gRPC protocol
 * as the engine calls it: Analyze on each resource's inputs before its step,
 * AnalyzeStack on the outputs after all steps (pulumi v3.248
 * pkg/resource/deploy/step_generator.go analyzeAll / AnalyzeResources), props
 * marshalled with unknowns and secrets kept (analyzer_plugin.go). A read (the
 * StackReference) is in neither: GenerateReadSteps never analyzes, and its
 * state goes to `deployment.reads`, not the `news` AnalyzeStack is built from
 * (step_executor.go); the `pulumi:pulumi:Stack` resource is, with the exports.
 * Every row of the scenario table must get exactly the offline verdicts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
    PackConfigFile,
    Violation,
    asRuntimeConfig,
    evaluatePolicies,
    reconcilePackConfig,
    stackUrn,
    wireProperties,
} from "../../offline/evaluate";
import { TYPES } from "../../core/resources";
import { createPolicies } from "../../policy/policies";
import { Recorded, UNKNOWN } from "../support/mocks";
import { PROD_CONFIG, declared, edit, step, variant } from "../support/policy-harness";
import { Mode, SCENARIOS, Setup } from "../support/policy-scenarios";

const ROOT = join(__dirname, "..", "..");
const RUNNER = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
const LEVELS: Record<number, Violation["level"]> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_OF = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 } as const;

interface Pack {
    child: ChildProcess;
    client: rpc.AnalyzerClient;
}
const packs = new Map<string, Promise<Pack>>();

function options(r: Recorded): pb.AnalyzerResourceOptions {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.opts.protect === true);
    o.setAdditionalsecretoutputsList([...(r.opts.additionalSecretOutputs ?? [])]);
    o.setParent(r.parentUrn ?? "");
    return o;
}

const unary = <Req, Res>(
    client: rpc.AnalyzerClient,
    call: (req: Req, cb: (e: grpc.ServiceError | null, res: Res) => void) => unknown,
    req: Req,
) => new Promise<Res>((resolve, reject) => call.call(client, req, (e, res) => (e ? reject(e) : resolve(res))));

/**
 * Diagnostics as the CLI shows them: @pulumi/policy prefixes each message with
 * the policy's description, and the engine attaches the analyzed resource's
 * URN, or for a stack policy that names none, the stack's.
 */
const verdicts = (res: pb.AnalyzeResponse, fallbackUrn: string, phase: Violation["phase"]): Violation[] =>
    res.getDiagnosticsList().map((d) => {
        const prefix = `${d.getDescription()}\n`;
        const message = d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage();
        return {
            policy: d.getPolicyname(),
            level: LEVELS[d.getEnforcementlevel()],
            message,
            urn: d.getUrn() || fallbackUrn,
            phase,
        };
    });

async function analyzeOne(pack: Pack, r: Recorded, props: Record<string, unknown> = r.props): Promise<Violation[]> {
    const req = new pb.AnalyzeRequest();
    req.setType(r.type)
        .setName(r.name)
        .setUrn(r.urn)
        .setProperties(wireProperties(props, r.secretPaths))
        .setOptions(options(r));
    return verdicts(await unary(pack.client, pack.client.analyze, req), r.urn, "resource");
}

/** The `pulumi:pulumi:Stack` resource as the engine holds it in `news`: no inputs, the program's exports as outputs. */
function stackResource(stack: string, outputs: Record<string, unknown>): Recorded {
    const urn = stackUrn(stack);
    return {
        type: TYPES.stack,
        name: urn.split("::").pop()!,
        urn,
        props: {},
        state: outputs,
        secretPaths: [],
        rawProps: {},
        opts: {},
        custom: false,
    };
}

/** What the engine would report: each managed resource's inputs in order, then the stack's outputs. */
async function engineVerdicts(
    pack: Pack,
    stack: string,
    declared: Recorded[],
    outputs: Record<string, unknown>,
): Promise<Violation[]> {
    const resources = declared.filter((r) => r.type !== TYPES.stackReference);
    const out: Violation[] = [];
    for (const r of resources) {
        out.push(...(await analyzeOne(pack, r)));
    }
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(
        [stackResource(stack, outputs), ...resources].map((r) => {
            const a = new pb.AnalyzerResource();
            a.setType(r.type)
                .setName(r.name)
                .setUrn(r.urn)
                .setParent(r.parentUrn ?? "")
                .setOptions(options(r));
            return a.setProperties(wireProperties(Object.keys(r.state).length > 0 ? r.state : r.props, r.secretPaths));
        }),
    );
    out.push(...verdicts(await unary(pack.client, pack.client.analyzeStack, req), stackUrn(stack), "stack"));
    return out;
}

const key = (v: Violation) => `${v.phase}|${v.policy}|${v.level}|${v.urn}|${v.message}`;
const sorted = (vs: Violation[]) => vs.map(key).sort();

async function startPack(env: Record<string, string>): Promise<Pack> {
    const child = spawn(process.execPath, [RUNNER, "127.0.0.1:1", "."], {
        cwd: join(ROOT, "policy"),
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const found = /^(\d+)\s*$/m.exec(out);
            if (found) {
                resolve(Number(found[1]));
            }
        });
        child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
    });
    return { child, client: new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

/** The ConfigureAnalyzer request the engine sends: every policy's reconciled level and properties. */
function configureRequest(file: PackConfigFile): pb.ConfigureAnalyzerRequest {
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [policy, c] of Object.entries(reconcilePackConfig(createPolicies(), file))) {
        const level = LEVEL_OF[c.enforcementLevel ?? "mandatory"];
        req.getPolicyconfigMap().set(
            policy,
            new pb.PolicyConfig()
                .setEnforcementlevel(level)
                .setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(c.properties)))),
        );
    }
    return req;
}

/** Starts at most this many packs at once: each one type-checks the pack with ts-node for a few seconds. */
const STARTING = 4;
let starting = 0;
const waiting: Array<() => void> = [];
async function limited<T>(start: () => Promise<T>): Promise<T> {
    if (starting >= STARTING) {
        await new Promise<void>((resolve) => waiting.push(resolve));
    }
    starting++;
    try {
        return await start();
    } finally {
        starting--;
        waiting.shift()?.();
    }
}

/** A pack for this stack, config and pack config (the runtime reads config once, at start), reused across rows. */
function packFor(stack: string, stackConfig: Record<string, unknown>, file: PackConfigFile): Promise<Pack> {
    const config = Object.fromEntries(
        Object.entries(stackConfig)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [`raptor:${k}`, asRuntimeConfig(v)]),
    );
    const env = { PULUMI_NODEJS_STACK: stack, PULUMI_NODEJS_PROJECT: "raptor", PULUMI_CONFIG: JSON.stringify(config) };
    const id = JSON.stringify([env, file]);
    let found = packs.get(id);
    if (found === undefined) {
        found = limited(async () => {
            const pack = await startPack(env);
            await unary(pack.client, pack.client.configure, configureRequest(file));
            return pack;
        });
        packs.set(id, found);
    }
    return found;
}

afterAll(async () => {
    for (const p of packs.values()) {
        const pack = await p.catch(() => undefined);
        pack?.client.close();
        pack?.child.kill();
    }
});

// The pack reads the wall clock: the sign-offs and the evidence are dated from now.
const now = new Date();
const setups = new Map<string, Setup>();

beforeAll(async () => {
    // Every row's setup first, then every pack it needs, started a few at a time while the rows run.
    for (const mode of ["update", "preview"] as const) {
        for (const c of SCENARIOS) {
            const s = await c.setup(mode, now);
            setups.set(`${mode}|${c.name}`, s);
            void packFor(s.stack, s.stackConfig, s.policyConfig).catch(() => undefined);
        }
    }
});

describe.each(["update", "preview"] as const)("run-policy-pack agrees with the offline harness (%s)", (mode: Mode) => {
    it.each(SCENARIOS.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
        const s = setups.get(`${mode}|${c.name}`)!;
        const pack = await packFor(s.stack, s.stackConfig, s.policyConfig);
        const engine = await engineVerdicts(pack, s.stack, s.resources, s.outputs);
        // At the pack's clock (the rows run minutes after their setups were dated): ages it reports match to the ms.
        const offline = await evaluatePolicies(s.resources, {
            stack: s.stack,
            stackConfig: s.stackConfig,
            policyConfig: s.policyConfig,
            stackOutputs: s.outputs,
            now: new Date(),
        });
        expect(sorted(engine)).toEqual(sorted(offline));
        expect(engine.some((v) => v.level === "mandatory")).toBe(c.blockedBy !== undefined);
    });
});

describe("the engine's view of a preview", () => {
    it(
        "reports a logging config-var command as mandatory although its VAR_VALUE is unknown, never " + "advisory",
        async () => {
            const { resources } = await declared({
                stack: "prod",
                config: { ...PROD_CONFIG, urlDelivery: "config-var" },
                preview: true,
            });
            const cv = step(resources, "config-var");
            expect((cv.props.environment as Record<string, unknown>).VAR_VALUE).toBe(UNKNOWN);
            const changed = edit(
                resources,
                (r) => r === cv,
                (r) => variant(r, r.name, { logging: "stdoutAndStderr" }),
            );
            const pack = await packFor("prod", PROD_CONFIG, {});
            const vs = (await analyzeOne(pack, step(changed, "config-var"))).filter(
                (v) => v.policy === "secrets-stay-secret",
            );
            expect(vs.map((v) => [v.level, v.message])).toEqual([
                ["mandatory", expect.stringContaining('logging is "stdoutAndStderr"')],
            ]);
        },
    );

    it("reports a policy that reads an unknown through the proxy as advisory, as @pulumi/policy does", async () => {
        // Not a Raptor policy: the server's own behaviour, which the views above exist to avoid.
        const { resources } = await declared({
            stack: "prod",
            config: { ...PROD_CONFIG, urlDelivery: "config-var" },
            preview: true,
        });
        const cv = step(resources, "config-var");
        const offline = await evaluatePolicies([cv], { stack: "prod", stackConfig: PROD_CONFIG });
        expect(offline.filter((v) => v.level === "advisory")).toEqual([]);
        const { runPolicies } = await import("../../offline/evaluate");
        const naive = await runPolicies(
            () => [
                {
                    name: "naive",
                    description: "Reads the value.",
                    enforcementLevel: "mandatory",
                    validateResource: (a, report) =>
                        report(String((a.props.environment as Record<string, unknown>).VAR_VALUE)),
                },
            ],
            [cv],
            { stack: "prod", stackConfig: PROD_CONFIG },
        );
        expect(naive.map((v) => [v.level, v.message])).toEqual([
            [
                "advisory",
                "can't run policy 'naive' from policy pack 'raptor@v0.1.0' during preview: string value at " +
                    ".environment.VAR_VALUE can't be known during preview",
            ],
        ]);
    });
});

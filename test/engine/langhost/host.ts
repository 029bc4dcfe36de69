/**
 * `pulumi-language-nodejs` for the engine scenario: the REAL language host built from pulumi sdk/v3 v3.68.0
 * (engine/nodejs-host), behind a thin gRPC relay that adds the one call it lacks.
 *
 * The 3.248 CLI starts a Node.js policy pack with the language host's RunPlugin (sdk/go/common/resource/plugin/
 * analyzer_plugin.go, the branch taken when a nodejs language plugin exists). The 3.68 host answers RunPlugin with
 * "not supported" (sdk/v3@v3.68.0 nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin), so `--policy-pack`
 * fails to start. Every call is relayed unchanged to the 3.68 host except RunPlugin for kind "analyzer", which is
 * done here as the 3.248 host does it (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin):
 * node runs `@pulumi/pulumi/cmd/run-policy-pack` resolved from the pack's directory, with the request's args then
 * the pack directory, in the pack directory; first, a proxy analyzer takes the engine's ConfigureStack and passes
 * organization, project, stack, dry-run and the stack config to the pack as PULUMI_NODEJS_ORGANIZATION,
 * PULUMI_NODEJS_PROJECT, PULUMI_NODEJS_STACK, PULUMI_NODEJS_DRY_RUN and PULUMI_CONFIG (sdk.NewPolicyProxy),
 * which is how `pulumi.Config` and `pulumi.getStack()` work inside the pack.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const langproto = require("@pulumi/pulumi/proto/language_pb");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

type Impl = Record<string, (...a: any[]) => void>;

/** A server implementation relaying every method of `service` to `client()` (awaited per call). */
function relay(service: Record<string, any>, client: () => Promise<any>): Impl {
    const impl: Impl = {};
    for (const [name, m] of Object.entries(service)) {
        if (!m.requestStream && !m.responseStream) {
            impl[name] = (call: any, cb: any) => void client().then((c) => c[name](call.request, cb), cb);
        } else if (!m.requestStream) {
            impl[name] = (call: any) =>
                void client().then((c) => {
                    const s = c[name](call.request);
                    s.on("data", (d: unknown) => call.write(d));
                    s.on("end", () => call.end());
                    s.on("error", (e: Error) => call.destroy(e));
                });
        } else {
            impl[name] = (call: any) =>
                void client().then((c) => {
                    const s = c[name]();
                    call.on("data", (d: unknown) => s.write(d));
                    call.on("end", () => s.end());
                    s.on("data", (d: unknown) => call.write(d));
                    s.on("end", () => call.end());
                    s.on("error", (e: Error) => call.destroy(e));
                });
        }
    }
    return impl;
}

/** Starts a plugin process and resolves with a client on the port it prints first; the rest of stdout goes to `out`. */
function startPlugin(child: ChildProcess, service: any, out: (line: string) => void): Promise<any> {
    const Client = grpc.makeGenericClientConstructor(service);
    return new Promise((resolve, reject) => {
        const lines = readline.createInterface({ input: child.stdout! });
        let port: string | undefined;
        lines.on("line", (line) => {
            if (port === undefined) {
                port = line.trim();
                resolve(new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
            } else {
                out(`${line}\n`);
            }
        });
        child.on(
            "exit",
            (code) => port === undefined && reject(new Error(`plugin exited (${code}) before printing its port`)),
        );
    });
}

async function listen(service: any, impl: Impl): Promise<{ server: any; port: number }> {
    const server = new grpc.Server();
    server.addService(service, impl);
    const port: number = await new Promise((res, rej) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e: Error | null, p: number) =>
            e ? rej(e) : res(p),
        ),
    );
    return { server, port };
}

/** RunPlugin for a policy pack, as the 3.248 host runs it (see the file comment). */
async function runPolicyPack(call: any): Promise<void> {
    const req = call.request;
    const info = req.getInfo();
    const packDir: string = info.getProgramDirectory();
    const send = (set: (r: any) => void) => {
        const r = new langproto.RunPluginResponse();
        set(r);
        call.write(r);
    };
    const stdout = (s: string) => send((r) => r.setStdout(Buffer.from(s)));
    const stderr = (s: string | Buffer) => send((r) => r.setStderr(Buffer.from(s)));
    const runPath = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const kv of req.getEnvList() as string[]) {
        const i = kv.indexOf("=");
        env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const options = info.getOptions()?.toJavaScript() ?? {};
    if (options.typescript !== false) {
        env.PULUMI_NODEJS_TYPESCRIPT = "true";
    }
    let pack: Promise<any> | undefined;
    let child: ChildProcess | undefined;
    const start = (stack: any) => {
        const add = (k: string, v: string) => v !== "" && (env[k] = v);
        add("PULUMI_NODEJS_ORGANIZATION", stack.getOrganization());
        add("PULUMI_NODEJS_PROJECT", stack.getProject());
        add("PULUMI_NODEJS_STACK", stack.getStack());
        add("PULUMI_NODEJS_DRY_RUN", String(stack.getDryRun()));
        add("PULUMI_CONFIG", JSON.stringify(Object.fromEntries(stack.getConfigMap().entries())));
        child = spawn(process.execPath, [runPath, ...req.getArgsList(), packDir], {
            cwd: packDir,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stderr!.on("data", (d: Buffer) => stderr(d));
        child.on("exit", (code) => {
            send((r) => r.setExitcode(code ?? 1));
            call.end();
            proxy.server.forceShutdown();
        });
        return startPlugin(child, analyzerrpc.AnalyzerService, stdout);
    };
    const impl = relay(
        analyzerrpc.AnalyzerService,
        () => pack ?? Promise.reject(new Error("ConfigureStack not yet received")),
    );
    // Before the pack runs there is nothing to hand a handshake to; the engine falls back when it is unimplemented.
    impl.handshake = (_call: any, cb: any) =>
        pack
            ? relay(analyzerrpc.AnalyzerService, () => pack!).handshake(_call, cb)
            : cb({ code: grpc.status.UNIMPLEMENTED, details: "handshake is not relayed before ConfigureStack" });
    const configureStack = impl.configureStack;
    impl.configureStack = (c: any, cb: any) => {
        try {
            pack ??= start(c.request);
        } catch (e) {
            return cb(e);
        }
        pack.catch((e: Error) => stderr(`policy pack did not start: ${e.message}\n`));
        configureStack(c, cb);
    };
    const proxy = await listen(analyzerrpc.AnalyzerService, impl);
    call.on("cancelled", () => child?.kill());
    stdout(`${proxy.port}\n`);
}

async function main(): Promise<void> {
    const real = process.env.RAPTOR_LANGUAGE_HOST;
    if (!real) {
        throw new Error("RAPTOR_LANGUAGE_HOST must name the pulumi-language-nodejs that engine/build.sh built");
    }
    const child = spawn(real, process.argv.slice(2), { stdio: ["ignore", "pipe", "inherit"] });
    const host = startPlugin(child, langrpc.LanguageRuntimeService, (s) => process.stdout.write(s));
    const impl = relay(langrpc.LanguageRuntimeService, () => host);
    const runPlugin = impl.runPlugin;
    impl.runPlugin = (call: any) =>
        call.request.getKind() === "analyzer"
            ? void runPolicyPack(call).catch((e: Error) => call.destroy(e))
            : runPlugin(call);
    const { port } = await listen(langrpc.LanguageRuntimeService, impl);
    await host;
    process.on("SIGTERM", () => child.kill("SIGTERM"));
    child.on("exit", (code) => process.exit(code ?? 0));
    process.stdout.write(`${port}\n`);
}

void main();

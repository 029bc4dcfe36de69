/**
 * raptor-roles signoff: the operator signs the change `plan` shows with a real
 * SSH key (ssh-keygen -Y sign), the file gets what `pulumi config set --path`
 * would write, and the gate then passes that change and nothing else.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { planDocument } from "../../cli/plan";
import { signoffIn } from "../../cli/signoff";
import { signoffMessage } from "../../core/signoff-message";
import { evaluatePolicies, loadPackConfigFile } from "../../offline/evaluate";
import { readStackFile } from "../../offline/stack-file";
import { recorder } from "../support/io";
import { declared } from "../support/policy-harness";
import { keyPath, publicKey } from "../support/ssh-keys";

const ROOT = path.resolve(__dirname, "..", "..");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A project copy: the real Pulumi.prod.yaml, and policy/config.json allowing the operator's ed25519 key. */
function project(signers = [`operator@raxx.app ${publicKey("ed25519")}`]): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-signoff-"));
    dirs.push(d);
    fs.mkdirSync(path.join(d, "policy"));
    const config = loadPackConfigFile() as Record<string, Record<string, unknown>>;
    const withSigners = { ...config, "prod-signoff": { ...config["prod-signoff"], allowedSigners: signers } };
    fs.writeFileSync(path.join(d, "policy", "config.json"), JSON.stringify(withSigners, null, 2));
    fs.copyFileSync(path.join(ROOT, "Pulumi.prod.yaml"), path.join(d, "Pulumi.prod.yaml"));
    return d;
}

describe("raptor-roles signoff", () => {
    it("writes the signed sign-off as config set --path would, keeping the file's comments", async () => {
        const d = project();
        const io = recorder();
        expect(await signoffIn(d, ["--stack", "prod", "--ticket", "1568", "--key", keyPath("ed25519")], io)).toBe(0);
        const text = fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8");
        expect(text).toContain("# Stays false until staging has soaked");
        const written = (parse(text) as { config: Record<string, Record<string, unknown>> }).config["raptor:signoff"];
        const plan = await planDocument({ stack: "prod", dir: d });
        expect(written).toEqual({
            operator: "operator@raxx.app",
            ticket: 1568,
            approvedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            fingerprint: plan.fingerprint,
            signature: expect.stringContaining("-----BEGIN SSH SIGNATURE-----"),
        });
        expect(io.stdout).toContain(
            signoffMessage({
                stack: "prod",
                app: "raxx-api-prod",
                fingerprint: plan.fingerprint!,
                ticket: "1568",
                approvedAt: String(written.approvedAt),
            }),
        );
    });

    // The Pulumi CLI reads the stack file as YAML 1.1: an unquoted approvedAt became a timestamp, which reached the
    // pack as "2026-11-30 11:08:51 +0000 UTC" and was refused as no ISO 8601 time (seen with the real engine).
    it("writes approvedAt so that a YAML 1.1 reader still gets the ISO text", async () => {
        const d = project();
        expect(
            await signoffIn(d, ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519")], recorder()),
        ).toBe(0);
        const text = fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8");
        const yaml11 = parse(text, { version: "1.1" }) as { config: Record<string, Record<string, unknown>> };
        expect(yaml11.config["raptor:signoff"].approvedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it("produces a sign-off the gate accepts for that change, and refuses for another", async () => {
        const d = project();
        await signoffIn(d, ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519")], recorder());
        const stackConfig = readStackFile("prod", d).raw;
        const policyConfig = loadPackConfigFile(path.join(d, "policy", "config.json"));
        const { resources } = await declared({
            stack: "prod",
            config: { app: "raxx-api-prod", soakStack: "organization/raptor/staging" },
        });
        expect(await evaluatePolicies(resources, { stack: "prod", stackConfig, policyConfig })).toEqual([]);
        const other = await declared({ stack: "prod", config: { app: "raxx-api-prod", urlDelivery: "config-var" } });
        const vs = await evaluatePolicies(other.resources, { stack: "prod", stackConfig, policyConfig });
        expect(vs.filter((v) => v.phase === "stack").map((v) => v.message)).toEqual([
            expect.stringContaining("sign-off is for another change"),
        ]);
    });

    it("signs with a key held by ssh-agent, given only its public half", async () => {
        const d = project();
        const sock = path.join(d, "agent.sock");
        const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
        const saved = process.env.SSH_AUTH_SOCK;
        try {
            await new Promise<void>((resolve) => {
                const wait = () => (fs.existsSync(sock) ? resolve() : setTimeout(wait, 20));
                wait();
            });
            execFileSync("ssh-add", [keyPath("ed25519")], {
                env: { ...process.env, SSH_AUTH_SOCK: sock },
                stdio: "pipe",
            });
            // Only the public key in this folder: the private half is in the agent alone.
            const pub = path.join(d, "operator.pub");
            fs.copyFileSync(`${keyPath("ed25519")}.pub`, pub);
            process.env.SSH_AUTH_SOCK = sock;
            expect(await signoffIn(d, ["--stack", "prod", "--ticket", "RM-10", "--key", pub], recorder())).toBe(0);
        } finally {
            process.env.SSH_AUTH_SOCK = saved;
            agent.kill();
        }
        const { resources } = await declared({
            stack: "prod",
            config: { app: "raxx-api-prod", soakStack: "organization/raptor/staging" },
        });
        const policyConfig = loadPackConfigFile(path.join(d, "policy", "config.json"));
        expect(
            await evaluatePolicies(resources, {
                stack: "prod",
                stackConfig: readStackFile("prod", d).raw,
                policyConfig,
            }),
        ).toEqual([]);
    });

    it("keeps a ticket with a leading zero a string, as config set --path does", async () => {
        const io = recorder();
        await signoffIn(
            project(),
            ["--stack", "prod", "--ticket", "0042", "--key", keyPath("ed25519"), "--dry-run"],
            io,
        );
        expect(io.stdout).toContain('"ticket": "0042"');
    });

    it("with --dry-run prints what it would write and writes nothing", async () => {
        const d = project();
        const before = fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8");
        const io = recorder();
        expect(
            await signoffIn(d, ["--stack", "prod", "--ticket", "RM-10", "--key", keyPath("ed25519"), "--dry-run"], io),
        ).toBe(0);
        expect(fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8")).toBe(before);
        expect(io.stdout).toContain("--dry-run: Pulumi.prod.yaml not written; raptor:signoff would be:");
        expect(io.stdout).toContain('"ticket": "RM-10"');
    });

    it("refuses a key no allowedSigners line lists, even with --operator, and writes nothing", async () => {
        const d = project();
        const before = fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8");
        const argv = ["--stack", "prod", "--ticket", "1", "--key", keyPath("mallory"), "--operator", "op@raxx.app"];
        const run = signoffIn(d, argv, recorder());
        await expect(run).rejects.toMatchObject({
            code: "signer-not-allowed",
            fix:
                "add this line to prod-signoff.allowedSigners in policy/config.json: " +
                `${JSON.stringify(`op@raxx.app namespaces="raptor-signoff" ${publicKey("mallory")}`)}. That change ` +
                "goes through review (commit it on a branch; it counts once merged), then run this command again",
        });
        expect(fs.readFileSync(path.join(d, "Pulumi.prod.yaml"), "utf8")).toBe(before);
    });

    it("refuses a key listed for another operator than --operator", async () => {
        const argv = ["--stack", "prod", "--ticket", "1", "--key", keyPath("ed25519"), "--operator", "eve@raxx.app"];
        await expect(signoffIn(project(), argv, recorder())).rejects.toThrow(
            "is not listed for eve@raxx.app in policy/config.json's prod-signoff.allowedSigners",
        );
    });

    it("--force is refused unless the pack is in migration mode (requireSignature false)", async () => {
        const argv = ["--stack", "prod", "--ticket", "1", "--operator", "operator@raxx.app", "--force"];
        await expect(signoffIn(project(), argv, recorder())).rejects.toMatchObject({
            code: "force-refused",
            message: expect.stringContaining("prod-signoff.requireSignature is true"),
        });
    });

    it("--force in migration mode writes an unsigned sign-off the gate accepts for a listed operator", async () => {
        const d = project();
        const file = path.join(d, "policy", "config.json");
        const config = JSON.parse(fs.readFileSync(file, "utf8"));
        config["prod-signoff"] = {
            ...config["prod-signoff"],
            requireSignature: false,
            operators: ["operator@raxx.app"],
        };
        fs.writeFileSync(file, JSON.stringify(config));
        const argv = ["--stack", "prod", "--ticket", "1", "--operator", "operator@raxx.app", "--force"];
        const io = recorder();
        expect(await signoffIn(d, argv, io)).toBe(0);
        expect(io.stdout).toContain("UNSIGNED sign-off for operator@raxx.app (--force, migration mode");
        const written = readStackFile("prod", d).raw["signoff"];
        expect(JSON.parse(written)).not.toHaveProperty("signature");
        const doc = await planDocument({ stack: "prod", dir: d });
        expect(doc.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    });

    it("a file that is not a key: one clear error naming it, not ssh-keygen's banner", async () => {
        const d = project();
        const notKey = path.join(d, "notes.txt");
        fs.writeFileSync(notKey, "not a key\n");
        await expect(
            signoffIn(d, ["--stack", "prod", "--ticket", "1", "--key", notKey], recorder()),
        ).rejects.toMatchObject({
            code: "not-a-key",
            message: expect.stringMatching(
                new RegExp(`^--key ${notKey} is not an SSH key: ssh-keygen -y cannot read it`),
            ),
        });
    });

    it("requires --ticket", async () => {
        await expect(
            signoffIn(project(), ["--stack", "prod", "--key", keyPath("ed25519")], recorder()),
        ).rejects.toThrow("--ticket is required");
    });
});

/**
 * Real SSH keys and signatures for the sign-off tests: generated and made by
 * the real ssh-keygen (Debian's openssh-client; .ci/run installs it), once per
 * test worker, in a private temp directory removed at exit.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SSH_KEYGEN = "ssh-keygen";
/** Keys by name: the operator's three kinds, and one nobody allowed. */
const KINDS = {
    ed25519: ["-t", "ed25519"],
    ecdsa: ["-t", "ecdsa", "-b", "256"],
    rsa: ["-t", "rsa", "-b", "3072"],
    mallory: ["-t", "ed25519"],
} as const;
export type KeyName = keyof typeof KINDS;

let dir: string | undefined;

/** The private key file of `name`, generated on first use. */
export function keyPath(name: KeyName): string {
    if (dir === undefined) {
        dir = mkdtempSync(join(tmpdir(), "raptor-keys-"));
        const made = dir;
        process.on("exit", () => rmSync(made, { recursive: true, force: true }));
    }
    const path = join(dir, name);
    try {
        readFileSync(path);
    } catch {
        execFileSync(SSH_KEYGEN, ["-q", ...KINDS[name], "-N", "", "-C", `${name}@test`, "-f", path], { stdio: "pipe" });
    }
    return path;
}

/** `keytype base64` of a key's public half. */
export const publicKey = (name: KeyName) =>
    readFileSync(`${keyPath(name)}.pub`, "utf8")
        .trim()
        .split(/\s+/)
        .slice(0, 2)
        .join(" ");

/** `ssh-keygen -Y sign -n NAMESPACE` of `message` with key `name`: the armored signature. */
export function sshSign(name: KeyName, message: string, namespace = "raptor-signoff"): string {
    return execFileSync(SSH_KEYGEN, ["-Y", "sign", "-n", namespace, "-f", keyPath(name)], {
        input: message,
        stdio: "pipe",
    }).toString();
}

/**
 * `prod-signoff.allowedSigners`: lines in ssh-keygen's allowed_signers format
 * (ssh-keygen(1), ALLOWED SIGNERS): `principals [options] keytype base64-key [comment]`,
 * e.g. `operator@raxx.app ssh-ed25519 AAAA... laptop`. Principals are a comma
 * list of patterns (`*` and `?`); the `namespaces="..."` option limits a key
 * to those namespaces. Options the pack cannot honour (cert-authority,
 * valid-after, valid-before) make the line refused, never ignored.
 */
import { SshSigError, publicKeyOf } from "./sshsig";

export interface AllowedSigner {
    readonly principals: readonly string[];
    readonly namespaces?: readonly string[];
    readonly key: Buffer;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;

/** Splits on blanks, keeping double-quoted parts (`namespaces="a,b"`) whole. */
const tokens = (line: string) => line.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];

function options(text: string): { namespaces?: string[]; problem?: string } {
    const out: { namespaces?: string[]; problem?: string } = {};
    for (const opt of text.match(/(?:[^,"]+|"[^"]*")+/g) ?? []) {
        const [name, value] = [opt.split("=")[0].toLowerCase(), opt.slice(opt.indexOf("=") + 1).replace(/^"|"$/g, "")];
        if (name === "namespaces" && opt.includes("=")) {
            out.namespaces = value
                .split(",")
                .map((n) => n.trim())
                .filter((n) => n !== "");
        } else {
            out.problem = `option ${name} is not supported by the pack; remove it`;
        }
    }
    return out;
}

/** The signers, and a problem per line that cannot be used (each names the line). */
export function parseAllowedSigners(lines: readonly string[]): { signers: AllowedSigner[]; problems: string[] } {
    const signers: AllowedSigner[] = [];
    const problems: string[] = [];
    lines.forEach((raw, i): void => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            return;
        }
        const t = tokens(line);
        const withOptions = t.length > 1 && !KEY_TYPE.test(t[1]);
        const [principals, opts, type, b64] = withOptions ? [t[0], t[1], t[2], t[3]] : [t[0], "", t[1], t[2]];
        const o = options(opts);
        const bad = (why: string): void =>
            void problems.push(`allowedSigners line ${i + 1} (${principals ?? ""}): ${why}`);
        if (o.problem !== undefined) {
            return bad(o.problem);
        }
        if (principals === undefined || type === undefined || !KEY_TYPE.test(type) || b64 === undefined) {
            return bad("expected `principals [options] keytype base64-key`, as ssh-keygen's allowed_signers");
        }
        const key = Buffer.from(b64, "base64");
        try {
            if (publicKeyOf(key).type !== type) {
                return bad(`the key is not a ${type} key`);
            }
        } catch (e) {
            return bad(e instanceof SshSigError ? e.message : `the key does not decode (${String(e)})`);
        }
        signers.push({
            principals: principals.replace(/^"|"$/g, "").split(","),
            ...(o.namespaces ? { namespaces: o.namespaces } : {}),
            key,
        });
    });
    return { signers, problems };
}

const glob = (pattern: string) =>
    new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
    );

/** True when `s` lets `key` sign for `principal` in `namespace`. */
export function allows(s: AllowedSigner, principal: string, key: Buffer, namespace: string): boolean {
    return (
        s.key.equals(key) &&
        s.principals.some((p) => glob(p).test(principal)) &&
        (s.namespaces === undefined || s.namespaces.includes(namespace))
    );
}

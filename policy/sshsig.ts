/**
 * SSH signatures (`ssh-keygen -Y sign`), verified with node:crypto only, so
 * the pack never shells out and runs the same inside the engine.
 *
 * Format, from OpenSSH's PROTOCOL.sshsig: the armored blob is
 *   byte[6] "SSHSIG", uint32 version (1), string publickey, string namespace,
 *   string reserved, string hash_algorithm, string signature
 * and the signature is over
 *   byte[6] "SSHSIG", string namespace, string reserved, string hash_algorithm, string H(message).
 * Keys and signature blobs use the SSH wire encoding (RFC 4253 6.6, RFC 5656 3.1, RFC 8332, RFC 8709).
 */
import { KeyObject, createHash, createPublicKey, verify } from "node:crypto";

export interface SshSignature {
    readonly publicKey: Buffer;
    readonly namespace: string;
    readonly hashAlgorithm: string;
    readonly sigAlgorithm: string;
    readonly sigBytes: Buffer;
}

export class SshSigError extends Error {}

/** Reads SSH wire strings off a buffer; every read past the end is an error. */
class Wire {
    private at = 0;
    constructor(private readonly buf: Buffer) {}
    bytes(n: number): Buffer {
        if (this.at + n > this.buf.length) {
            throw new SshSigError("truncated");
        }
        this.at += n;
        return this.buf.subarray(this.at - n, this.at);
    }
    uint32(): number {
        return this.bytes(4).readUInt32BE(0);
    }
    string(): Buffer {
        return this.bytes(this.uint32());
    }
    text(): string {
        return this.string().toString("utf8");
    }
    done(): boolean {
        return this.at === this.buf.length;
    }
}

const str = (b: Buffer | string) => {
    const body = typeof b === "string" ? Buffer.from(b, "utf8") : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length, 0);
    return Buffer.concat([len, body]);
};

/** The armored signature (or its bare base64 body) parsed; throws SshSigError naming what is wrong. */
export function parseSshSignature(text: string): SshSignature {
    const body = text.replace(/-----(BEGIN|END) SSH SIGNATURE-----/g, "").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]+=*$/.test(body)) {
        throw new SshSigError("it is not base64 between -----BEGIN/END SSH SIGNATURE----- lines");
    }
    const w = new Wire(Buffer.from(body, "base64"));
    if (w.bytes(6).toString("latin1") !== "SSHSIG") {
        throw new SshSigError("it does not start with the SSHSIG preamble");
    }
    const version = w.uint32();
    if (version !== 1) {
        throw new SshSigError(`its version is ${version}, not 1`);
    }
    const publicKey = w.string();
    const namespace = w.text();
    w.string(); // reserved
    const hashAlgorithm = w.text();
    const sig = new Wire(w.string());
    const sigAlgorithm = sig.text();
    const sigBytes = sig.string();
    if (!w.done()) {
        throw new SshSigError("it has trailing bytes");
    }
    return { publicKey, namespace, hashAlgorithm, sigAlgorithm, sigBytes };
}

const b64url = (b: Buffer) => b.toString("base64url");
/** An SSH mpint as unsigned big-endian bytes (a leading 0 only marks a positive sign). */
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);

const CURVES: Readonly<Record<string, { crv: string; size: number; hash: string }>> = {
    nistp256: { crv: "P-256", size: 32, hash: "sha256" },
    nistp384: { crv: "P-384", size: 48, hash: "sha384" },
    nistp521: { crv: "P-521", size: 66, hash: "sha512" },
};

/** A public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp*`, `ssh-rsa`) as a node:crypto key. */
export function publicKeyOf(blob: Buffer): { type: string; key: KeyObject; curve?: string } {
    const w = new Wire(blob);
    const type = w.text();
    if (type === "ssh-ed25519") {
        return {
            type,
            key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(w.string()) }, format: "jwk" }),
        };
    }
    if (type.startsWith("ecdsa-sha2-")) {
        const curve = w.text();
        const point = w.string();
        const c = CURVES[curve];
        if (c === undefined || point[0] !== 4 || point.length !== 1 + 2 * c.size) {
            throw new SshSigError(`unsupported ECDSA key on curve ${curve}`);
        }
        const x = b64url(point.subarray(1, 1 + c.size));
        const y = b64url(point.subarray(1 + c.size));
        return { type, curve, key: createPublicKey({ key: { kty: "EC", crv: c.crv, x, y }, format: "jwk" }) };
    }
    if (type === "ssh-rsa") {
        const e = unsigned(w.string());
        const n = unsigned(w.string());
        return { type, key: createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }) };
    }
    throw new SshSigError(`unsupported key type ${type}`);
}

/** `SHA256:...` as `ssh-keygen -l` prints a key's fingerprint. */
export const keyFingerprint = (blob: Buffer) =>
    `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;

/** ECDSA r and s (SSH mpints) as the fixed-width r||s node:crypto takes with dsaEncoding ieee-p1363. */
function p1363(sigBytes: Buffer, size: number): Buffer {
    const w = new Wire(sigBytes);
    const [r, s] = [unsigned(w.string()), unsigned(w.string())];
    if (r.length > size || s.length > size) {
        throw new SshSigError("its ECDSA signature is malformed");
    }
    return Buffer.concat([Buffer.alloc(size - r.length), r, Buffer.alloc(size - s.length), s]);
}

/** True when `sig` is a valid signature of `message` under its own public key, namespace and hash. */
export function verifySshSignature(sig: SshSignature, message: string): boolean {
    if (sig.hashAlgorithm !== "sha256" && sig.hashAlgorithm !== "sha512") {
        throw new SshSigError(`its hash algorithm ${sig.hashAlgorithm} is not sha256 or sha512`);
    }
    const digest = createHash(sig.hashAlgorithm).update(message, "utf8").digest();
    const signed = Buffer.concat([
        Buffer.from("SSHSIG"),
        str(sig.namespace),
        str(""),
        str(sig.hashAlgorithm),
        str(digest),
    ]);
    const { type, key, curve } = publicKeyOf(sig.publicKey);
    if (type === "ssh-ed25519" && sig.sigAlgorithm === "ssh-ed25519") {
        return verify(null, signed, key, sig.sigBytes);
    }
    if (type.startsWith("ecdsa-sha2-") && sig.sigAlgorithm === type) {
        const c = CURVES[curve!];
        return verify(c.hash, signed, { key, dsaEncoding: "ieee-p1363" }, p1363(sig.sigBytes, c.size));
    }
    // SHA-1 RSA signatures ("ssh-rsa") are refused, as ssh-keygen -Y verify refuses them.
    if (type === "ssh-rsa" && (sig.sigAlgorithm === "rsa-sha2-256" || sig.sigAlgorithm === "rsa-sha2-512")) {
        return verify(sig.sigAlgorithm === "rsa-sha2-256" ? "sha256" : "sha512", signed, key, sig.sigBytes);
    }
    throw new SshSigError(`its signature algorithm ${sig.sigAlgorithm} does not fit a ${type} key`);
}

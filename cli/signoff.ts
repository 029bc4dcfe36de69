/**
 * `raptor-roles signoff --stack prod --ticket T --key PATH [--operator EMAIL] [--dry-run]`:
 * the operator's signed approval of exactly the change `plan` shows. Works out
 * the fingerprint as `plan` does, signs the canonical message with
 * `ssh-keygen -Y sign -n raptor-signoff` (a key file, or a public key whose
 * private half is in ssh-agent), and writes `raptor:signoff` into
 * Pulumi.<stack>.yaml as `pulumi config set --path` would.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Scalar, parseDocument } from "yaml";
import { SIGNOFF_NAMESPACE, signoffMessage } from "../core/signoff-message";
import { loadPackConfigFile } from "../offline/evaluate";
import { projectDir, readStackFile } from "../offline/stack-file";
import { allows, parseAllowedSigners } from "../policy/allowed-signers";
import { keyFingerprint } from "../policy/sshsig";
import { parse } from "./args";
import { CliError, EXIT, UsageError } from "./contract";
import { Io, Subcommand } from "./io";
import { planDocument } from "./plan";

export const SIGNOFF_HELP = `usage: raptor-roles signoff --stack NAME --ticket T --key PATH
                           [--operator EMAIL] [--dry-run] [--json]
       raptor-roles signoff --stack NAME --ticket T --operator EMAIL --force   (migration mode only)

Signs the change \`raptor-roles plan --stack NAME\` shows: its fingerprint, the
ticket, the time, the stack and the app, with \`ssh-keygen -Y sign -n ${SIGNOFF_NAMESPACE}\`,
and writes raptor:signoff into Pulumi.<NAME>.yaml. Review the plan first; commit the file after.
The key must be one policy/config.json's prod-signoff.allowedSigners lists (for --operator, if given):
otherwise nothing is written, and the line to add to that file (a reviewed change) is printed.
Options:
  --stack NAME      the stack (required)
  --ticket T        the change ticket (required); digits are stored as a number, as config set --path does
  --key PATH        your SSH key (required): a private key file, or a .pub whose key is in ssh-agent
  --operator EMAIL  the principal to sign as (default: the key's principal in allowedSigners)
  --dry-run         print what would be signed and written, write nothing
  --force           write an UNSIGNED sign-off: only while migrating to signed sign-offs, when
                    prod-signoff.requireSignature is false and --operator is in prod-signoff.operators
  --json            {stack, operator, ticket, approvedAt, fingerprint, signed, file, written, signoff}
  -h, --help        this help
Exit status: 0 written (or --dry-run printed), 1 bad input, a key not allowed, or nothing to sign.
`;

/** policy/config.json's prod-signoff section, as the gate reads it (the CLI checks the same before signing). */
interface SignerConfig {
    readonly allowedSigners: string[];
    readonly requireSignature: boolean;
    readonly operators: string[];
}

function signerConfig(dir: string): SignerConfig {
    const file = path.join(dir, "policy", "config.json");
    const section = fs.existsSync(file) ? loadPackConfigFile(file)["prod-signoff"] : undefined;
    const o = (typeof section === "object" && section !== null ? section : {}) as Record<string, unknown>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    return {
        allowedSigners: strings(o["allowedSigners"]),
        requireSignature: o["requireSignature"] !== false,
        operators: strings(o["operators"]),
    };
}

/** The key's public half, `keytype base64`, as allowed_signers lists it; a CliError naming the file if it is none. */
function publicKeyOf(key: string): string {
    const pub = key.endsWith(".pub") ? key : fs.existsSync(`${key}.pub`) ? `${key}.pub` : undefined;
    let text: string;
    try {
        text =
            pub !== undefined
                ? fs.readFileSync(pub, "utf8")
                : execFileSync("ssh-keygen", ["-y", "-f", key], {
                      encoding: "utf8",
                      stdio: ["ignore", "pipe", "pipe"],
                  });
    } catch (e) {
        const why = String((e as { stderr?: unknown }).stderr ?? (e as Error).message)
            .trim()
            .split("\n")[0];
        throw notAKey(key, `ssh-keygen -y cannot read it: ${why}`);
    }
    const [type, b64] = text.trim().split(/\s+/);
    if (type === undefined || b64 === undefined || !/^(ssh-|ecdsa-)/.test(type)) {
        throw notAKey(pub ?? key, "it does not hold an OpenSSH public key (keytype base64)");
    }
    return `${type} ${b64}`;
}

const notAKey = (file: string, why: string) =>
    new CliError(
        "not-a-key",
        `--key ${file} is not an SSH key: ${why}`,
        "pass your SSH private key (e.g. --key ~/.ssh/id_ed25519), or its .pub with the private key in ssh-agent",
    );

/**
 * Whom this key may sign for, by the gate's own test (`allows`): [operator] or [] when --operator is given, else
 * the literal principals of the lines that list the key for the raptor-signoff namespace.
 */
function principalsFor(config: SignerConfig, publicKey: string, operator: string | undefined): string[] {
    const blob = Buffer.from(publicKey.split(" ")[1] ?? "", "base64");
    const usable = parseAllowedSigners(config.allowedSigners).signers.filter(
        (sg) => sg.key.equals(blob) && (sg.namespaces === undefined || sg.namespaces.includes(SIGNOFF_NAMESPACE)),
    );
    if (operator !== undefined) {
        return usable.some((sg) => allows(sg, operator, blob, SIGNOFF_NAMESPACE)) ? [operator] : [];
    }
    const literal = usable.flatMap((sg) => sg.principals.filter((p) => !/[*?]/.test(p)));
    if (literal.length === 0 && usable.length > 0) {
        throw new UsageError(
            `--key's allowedSigners line names only patterns (${usable.flatMap((sg) => sg.principals).join(", ")})`,
            "pass --operator EMAIL, an address those patterns match",
        );
    }
    return literal;
}

/** The email to put in a suggested allowedSigners line: --operator, else git's user.email, else a placeholder. */
function suggestedPrincipal(dir: string, operator: string | undefined): string {
    if (operator !== undefined) {
        return operator;
    }
    try {
        const email = execFileSync("git", ["-C", dir, "config", "user.email"], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        }).trim();
        return email || "<your email>";
    } catch {
        return "<your email>";
    }
}

function notAllowed(dir: string, key: string, publicKey: string, operator: string | undefined): CliError {
    const principal = suggestedPrincipal(dir, operator);
    const line = `${principal} namespaces="${SIGNOFF_NAMESPACE}" ${publicKey}`;
    const fp = keyFingerprint(Buffer.from(publicKey.split(" ")[1] ?? "", "base64"));
    return new CliError(
        "signer-not-allowed",
        `--key ${key} (${fp}) is not listed${operator !== undefined ? ` for ${operator}` : ""} in ` +
            "policy/config.json's prod-signoff.allowedSigners, so the prod gate would refuse its sign-off; nothing " +
            "was written",
        `add this line to prod-signoff.allowedSigners in policy/config.json: ${JSON.stringify(line)}. That change ` +
            "goes through review (commit it on a branch; it counts once merged), then run this command again",
    );
}

/** `ssh-keygen -Y sign`: the armored signature of `message`, or a usage error naming ssh-keygen's complaint. */
function sign(key: string, message: string): string {
    try {
        return execFileSync("ssh-keygen", ["-Y", "sign", "-n", SIGNOFF_NAMESPACE, "-f", key], {
            input: message,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
        });
    } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? "").trim();
        throw new CliError(
            "sign-failed",
            `ssh-keygen -Y sign -n ${SIGNOFF_NAMESPACE} -f ${key} failed: ${stderr.split("\n")[0] || String(e)}`,
            "check the key: ssh-add -l lists the keys ssh-agent holds; a private key file must be readable by you",
        );
    }
}

/** Writes raptor:signoff into the stack file, keeping everything else (comments included). */
function writeSignoff(file: string, value: Record<string, unknown>): void {
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const node = doc.createNode(value);
    // Quoted: the Pulumi CLI reads stack files as YAML 1.1, where a plain 2026-11-30T11:08:51Z is a timestamp,
    // and hands it to the pack as "2026-11-30 11:08:51 +0000 UTC", which is no ISO 8601 time (seen with the real
    // engine; values written by `pulumi config set --path` reached the pack as the ISO text).
    (node.get("approvedAt", true) as Scalar).type = Scalar.QUOTE_DOUBLE;
    doc.setIn(["config", "raptor:signoff"], node);
    fs.writeFileSync(file, doc.toString());
}

/** The sign-off for the plan of `stack` in `dir`, or a CliError when the program does not complete. */
async function signable(stack: string, dir: string) {
    const doc = await planDocument({ stack, dir });
    if (doc.error !== undefined || doc.fingerprint === undefined || doc.app === undefined) {
        throw new CliError(
            "program",
            `nothing to sign: the program does not complete for stack ${stack}: ${doc.error ?? "no fingerprint"}`,
            `raptor-roles plan --stack ${stack} shows the problem; fix it first`,
        );
    }
    return { ...doc, fingerprint: doc.fingerprint, app: doc.app };
}

/** Bare digits become a number, as `pulumi config set --path` stores them; with a leading zero they stay text. */
const ticketValue = (t: string) => (/^(0|[1-9]\d*)$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : t);

/** Who signs: the operator the key is listed for; --force (unsigned) only in migration mode, for a listed operator. */
function signerOf(dir: string, values: { key?: string; operator?: string; force?: boolean }) {
    const config = signerConfig(dir);
    if (values.force) {
        if (config.requireSignature || values.operator === undefined || !config.operators.includes(values.operator)) {
            throw new CliError(
                "force-refused",
                "--force writes an unsigned sign-off, which the gate accepts only in migration mode: " +
                    `policy/config.json's prod-signoff.requireSignature is ${config.requireSignature}` +
                    (values.operator === undefined
                        ? " and no --operator was given"
                        : ` and operators lists ${JSON.stringify(config.operators)}, ` +
                          `not ${JSON.stringify(values.operator)}`),
                "drop --force and sign with a key listed in prod-signoff.allowedSigners (raptor-roles signoff " +
                    "prints the line to add for yours)",
            );
        }
        return { operator: values.operator, key: undefined, publicKey: undefined };
    }
    const key = values.key as string;
    if (!fs.existsSync(key)) {
        throw new CliError(
            "not-a-key",
            `--key ${key}: no such file`,
            "pass your SSH private key (e.g. --key ~/.ssh/id_ed25519), or its .pub with the private key in ssh-agent",
        );
    }
    const publicKey = publicKeyOf(key);
    const operator = principalsFor(config, publicKey, values.operator)[0];
    if (operator === undefined) {
        throw notAllowed(dir, key, publicKey, values.operator);
    }
    return { operator, key, publicKey };
}

/** The subcommand for the project in `dir` (tests pass a copy). */
export async function signoffIn(dir: string, argv: string[], io: Io): Promise<number> {
    const { values } = parse(
        argv,
        {
            stack: { type: "string" },
            ticket: { type: "string" },
            key: { type: "string" },
            operator: { type: "string" },
            "dry-run": { type: "boolean" },
            force: { type: "boolean" },
            json: { type: "boolean" },
        },
        "signoff",
    );
    if (values.help) {
        io.out(SIGNOFF_HELP);
        return EXIT.OK;
    }
    for (const k of values.force ? (["stack", "ticket", "operator"] as const) : (["stack", "ticket", "key"] as const)) {
        if (values[k] === undefined || values[k] === "") {
            throw new UsageError(
                `--${k} is required${values.force ? " with --force" : ""}`,
                "raptor-roles signoff --stack prod --ticket 1568 --key ~/.ssh/id_ed25519",
            );
        }
    }
    const stack = values.stack as string;
    const signer = signerOf(dir, values);
    const doc = await signable(stack, dir);
    const approvedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const ticket = ticketValue(values.ticket as string);
    const message = signoffMessage({
        stack,
        app: doc.app,
        fingerprint: doc.fingerprint,
        ticket: String(ticket),
        approvedAt,
    });
    const value = {
        operator: signer.operator,
        ticket,
        approvedAt,
        fingerprint: doc.fingerprint,
        ...(doc.signoffExtras !== undefined ? { extras: doc.signoffExtras } : {}),
        ...(signer.key !== undefined ? { signature: sign(signer.key, message) } : {}),
    };
    const file = readStackFile(stack, dir).path;
    const written = values["dry-run"] !== true;
    if (written) {
        writeSignoff(file, value);
    }
    if (values.json) {
        const out = { stack, operator: signer.operator, ticket, approvedAt, fingerprint: doc.fingerprint };
        io.out(
            `${JSON.stringify({ ...out, signed: signer.key !== undefined, file, written, signoff: value }, null, 2)}\n`,
        );
        return EXIT.OK;
    }
    io.out(
        signer.publicKey !== undefined
            ? `Signed as ${signer.operator} with ${signer.publicKey.split(" ")[0]} ` +
                  `(namespace ${SIGNOFF_NAMESPACE}):\n${message}`
            : `UNSIGNED sign-off for ${signer.operator} (--force, migration mode: requireSignature is false):\n` +
                  message,
    );
    io.out(
        written
            ? `Wrote raptor:signoff to ${file}. Commit it for review, then: pulumi up -s ${stack} ` +
                  "--policy-pack policy --policy-pack-config policy/config.json\n"
            : `--dry-run: ${path.basename(file)} not written; raptor:signoff would be:\n` +
                  `${JSON.stringify(value, null, 2)}\n`,
    );
    return EXIT.OK;
}

export const signoff: Subcommand = (argv: string[], io: Io) => signoffIn(projectDir(), argv, io);

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
import { parse } from "./args";
import { Io, Subcommand, UsageError } from "./io";
import { planDocument } from "./plan";

export const SIGNOFF_HELP = `usage: raptor-roles signoff --stack NAME --ticket T --key PATH
                           [--operator EMAIL] [--dry-run]

Signs the change \`raptor-roles plan --stack NAME\` shows: its fingerprint, the
ticket, the time, the stack and the app, with \`ssh-keygen -Y sign -n ${SIGNOFF_NAMESPACE}\`,
and writes raptor:signoff into Pulumi.<NAME>.yaml. Review the plan first; commit the file after.
Options:
  --stack NAME      the stack (required)
  --ticket T        the change ticket (required); digits are stored as a number, as config set --path does
  --key PATH        your SSH key (required): a private key file, or a .pub whose key is in ssh-agent
  --operator EMAIL  the principal to sign as (default: the key's principal in policy/config.json's allowedSigners)
  --dry-run         print what would be signed and written, write nothing
  -h, --help        this help
`;

/** The key's public half, `keytype base64`, as allowed_signers lists it. */
function publicKeyOf(key: string): string {
    const pub = key.endsWith(".pub") ? key : fs.existsSync(`${key}.pub`) ? `${key}.pub` : undefined;
    const text =
        pub !== undefined
            ? fs.readFileSync(pub, "utf8")
            : execFileSync("ssh-keygen", ["-y", "-f", key], { encoding: "utf8" });
    return text.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** The first principal that policy/config.json's allowedSigners lists for this key. */
function principalOf(dir: string, publicKey: string): string | undefined {
    const file = path.join(dir, "policy", "config.json");
    const lines = fs.existsSync(file) ? loadPackConfigFile(file)["prod-signoff"] : undefined;
    const signers =
        typeof lines === "object" && Array.isArray(lines["allowedSigners"])
            ? (lines["allowedSigners"] as string[])
            : [];
    const line = signers.find((l) => l.includes(` ${publicKey}`) || l.includes(`"${publicKey}`));
    return line?.trim().split(/\s+/)[0].split(",")[0].replace(/^"|"$/g, "");
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
        throw new UsageError(`ssh-keygen -Y sign -n ${SIGNOFF_NAMESPACE} -f ${key} failed: ${stderr || String(e)}`);
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

/** The subcommand for the project in `dir` (tests pass a copy). */
export async function signoffIn(dir: string, argv: string[], io: Io): Promise<number> {
    const { values } = parse(argv, {
        stack: { type: "string" },
        ticket: { type: "string" },
        key: { type: "string" },
        operator: { type: "string" },
        "dry-run": { type: "boolean" },
    });
    if (values.help) {
        io.out(SIGNOFF_HELP);
        return 0;
    }
    for (const k of ["stack", "ticket", "key"] as const) {
        if (values[k] === undefined || values[k] === "") {
            throw new UsageError(`--${k} is required (e.g. --stack prod --ticket 1568 --key ~/.ssh/id_ed25519)`);
        }
    }
    const [stack, ticketText, key] = [values.stack!, values.ticket!, values.key!];
    if (!fs.existsSync(key)) {
        throw new UsageError(
            `--key ${key}: no such file; pass your SSH private key, or its .pub with the key in ssh-agent`,
        );
    }
    const publicKey = publicKeyOf(key);
    const operator = values.operator ?? principalOf(dir, publicKey);
    if (operator === undefined) {
        throw new UsageError(
            `key ${publicKey.slice(0, 40)}... is not in policy/config.json's allowedSigners: pass --operator EMAIL`,
        );
    }
    const doc = await planDocument({ stack, dir });
    if (doc.error !== undefined || doc.fingerprint === undefined || doc.app === undefined) {
        io.err(
            "raptor-roles signoff: nothing to sign: the program does not complete for stack " +
                `${stack}: ${doc.error ?? "no fingerprint"}\n`,
        );
        return 1;
    }
    const approvedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    // Bare digits become a number, as `pulumi config set --path` stores them; with a leading zero they stay text.
    const digits = /^(0|[1-9]\d*)$/.test(ticketText) && Number.isSafeInteger(Number(ticketText));
    const ticket = digits ? Number(ticketText) : ticketText;
    const message = signoffMessage({
        stack,
        app: doc.app,
        fingerprint: doc.fingerprint,
        ticket: String(ticket),
        approvedAt,
    });
    const signature = sign(key, message);
    const value = {
        operator,
        ticket,
        approvedAt,
        fingerprint: doc.fingerprint,
        ...(doc.signoffExtras !== undefined ? { extras: doc.signoffExtras } : {}),
        signature,
    };
    const file = readStackFile(stack, dir).path;
    io.out(`Signed as ${operator} with ${publicKey.split(" ")[0]} (namespace ${SIGNOFF_NAMESPACE}):\n${message}`);
    if (values["dry-run"]) {
        io.out(
            `--dry-run: ${path.basename(file)} not written; raptor:signoff would be:\n` +
                `${JSON.stringify(value, null, 2)}\n`,
        );
        return 0;
    }
    writeSignoff(file, value);
    io.out(
        `Wrote raptor:signoff to ${file}. Commit it for review, then: pulumi up -s ${stack} --policy-pack policy ` +
            "--policy-pack-config policy/config.json\n",
    );
    return 0;
}

export const signoff: Subcommand = (argv: string[], io: Io) => signoffIn(projectDir(), argv, io);

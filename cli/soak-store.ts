/**
 * Where soak marks live. The soak workflow records a mark every hour; if it committed them to main, a protected main
 * would refuse the push (the marks lost, prod never passing its gate) and an unprotected one would get a bot commit
 * an hour. So the workflow keeps them in a store of their own: a directory holding `<stack>.json` per stack that
 * reads them (prod), the SoakEvidence document, which the workflow checks out from and pushes to branch
 * raptor-soak-marks (MARKS_BRANCH), a branch only it writes. Trust does not come from where the marks are: each
 * is signed and chained to the one before (core/soak-marks.ts), so an edit or a removal from the middle fails the
 * gate, and dropping the newest marks only leaves the gate without a recent one (it refuses). Before prod's preview,
 * `deploy --marks DIR` copies the store's marks into the working copy's raptor:soakEvidence (never committed),
 * where the soak-before-prod policy reads them. Without --marks, soak and deploy use the stack file, as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Scalar, isScalar, parseDocument, visit } from "yaml";
import { SoakEvidence } from "../core/soak-marks";
import { readStackFile } from "../offline/stack-file";
import { CliError } from "./contract";

export const MARKS_BRANCH = "raptor-soak-marks";

export const marksFile = (store: string, stack: string) => path.join(store, `${stack}.json`);

/** The store's raw evidence for `stack` (parsed JSON), or undefined when it holds none yet. */
export function readMarks(store: string, stack: string): unknown {
    const file = marksFile(store, stack);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    } catch (e) {
        throw new CliError(
            "soak-marks",
            `${file} is not JSON: ${(e as Error).message}`,
            `restore it from branch ${MARKS_BRANCH} (git checkout ${MARKS_BRANCH} -- ${stack}.json)`,
        );
    }
}

export function writeMarks(store: string, stack: string, e: SoakEvidence): string {
    const file = marksFile(store, stack);
    fs.writeFileSync(file, `${JSON.stringify(e, null, 2)}\n`);
    return file;
}

const ISO = /^\d{4}-\d\d-\d\dT/;

/** Writes raptor:soakEvidence into a stack file, times quoted (YAML 1.1 would read a bare one as a timestamp). */
export function writeEvidence(file: string, e: SoakEvidence): void {
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    const node = doc.createNode(e);
    visit(node, {
        Scalar: (_k, n) => {
            if (isScalar(n) && typeof n.value === "string" && ISO.test(n.value)) {
                n.type = Scalar.QUOTE_DOUBLE;
            }
        },
    });
    doc.setIn(["config", "raptor:soakEvidence"], node);
    fs.writeFileSync(file, doc.toString());
}

/**
 * Before a deploy of `stack`: the store's marks into the working copy's stack file, where the soak gate reads them.
 * A stack that reads no soak (no raptor:soakStack) is left alone; one that does must find its file in the store.
 * Returns what was loaded, for the deploy's report.
 */
export function loadMarks(store: string, dir: string, stack: string): { file: string; marks: number } | undefined {
    const stackFile = readStackFile(stack, dir);
    if (!fs.existsSync(store) || !fs.statSync(store).isDirectory()) {
        throw new CliError(
            "soak-marks",
            `--marks ${store} is not a directory`,
            `check out branch ${MARKS_BRANCH} there: git worktree add ${store} origin/${MARKS_BRANCH}`,
        );
    }
    if (stackFile.raw["soakStack"] === undefined) {
        return undefined;
    }
    const raw = readMarks(store, stack);
    if (raw === undefined) {
        throw new CliError(
            "soak-marks",
            `${marksFile(store, stack)} does not exist: the store holds no soak marks for ${stack}`,
            `record one (raptor-roles soak --stack staging --marks ${store} ...; the soak workflow does it hourly), ` +
                `or give the checkout of branch ${MARKS_BRANCH} that holds ${stack}.json`,
        );
    }
    writeEvidence(stackFile.path, raw as SoakEvidence);
    const marks = (raw as { marks?: unknown }).marks;
    return { file: marksFile(store, stack), marks: Array.isArray(marks) ? marks.length : 0 };
}

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CliError } from "../../cli/contract";
import { loadMarks, writeMarks } from "../../cli/soak-store";

function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "raptor-store-"));
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config:\n  raptor:app: raxx-api-staging\n");
    fs.writeFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        "config:\n  raptor:app: raxx-api-prod\n  # read by the gate\n  raptor:soakStack: organization/raptor/staging\n",
    );
    return dir;
}
const store = () => fs.mkdtempSync(path.join(os.tmpdir(), "raptor-marks-"));
const evidence = { stack: "staging", app: "raxx-api-staging", marks: [] };

function thrown(f: () => unknown): { code: string; message: string; fix: string } {
    try {
        f();
    } catch (e) {
        const { code, message, fix } = e as CliError;
        return { code, message, fix };
    }
    throw new Error("did not throw");
}

describe("the soak-marks store, into the working copy before a deploy", () => {
    it("writes the store's prod.json into Pulumi.prod.yaml's raptor:soakEvidence, keeping the file's comments", () => {
        const dir = project();
        const s = store();
        writeMarks(s, "prod", evidence);
        expect(loadMarks(s, dir, "prod")).toEqual({ file: path.join(s, "prod.json"), marks: 0 });
        const text = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
        expect(text).toContain("# read by the gate");
        expect(parse(text).config["raptor:soakEvidence"]).toEqual(evidence);
    });

    it("a stack that reads no soak (no raptor:soakStack) is left as it is", () => {
        const dir = project();
        const before = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
        expect(loadMarks(store(), dir, "staging")).toBeUndefined();
        expect(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8")).toBe(before);
    });

    it("a store without the stack's file is an error naming the file and how to get marks", () => {
        const s = store();
        expect(thrown(() => loadMarks(s, project(), "prod"))).toEqual({
            code: "soak-marks",
            message: `${path.join(s, "prod.json")} does not exist: the store holds no soak marks for prod`,
            fix:
                `record one (raptor-roles soak --stack staging --marks ${s} ...; the soak workflow does it hourly), ` +
                "or give the checkout of branch raptor-soak-marks that holds prod.json",
        });
    });

    it("a --marks that is not a directory names it and the checkout that fixes it", () => {
        expect(thrown(() => loadMarks("/nonexistent/marks", project(), "prod"))).toEqual({
            code: "soak-marks",
            message: "--marks /nonexistent/marks is not a directory",
            fix:
                "check out branch raptor-soak-marks there: " +
                "git worktree add /nonexistent/marks origin/raptor-soak-marks",
        });
    });

    it("a prod.json that is not JSON names the file and restores it from the branch", () => {
        const s = store();
        fs.writeFileSync(path.join(s, "prod.json"), "{ not json");
        const e = thrown(() => loadMarks(s, project(), "prod"));
        expect([e.code, e.message.startsWith(`${path.join(s, "prod.json")} is not JSON: `), e.fix]).toEqual([
            "soak-marks",
            true,
            "restore it from branch raptor-soak-marks (git checkout raptor-soak-marks -- prod.json)",
        ]);
    });
});

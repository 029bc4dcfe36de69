/** policy/config.json's mistakes, named by file, line, column and key (core/pack-config-file.ts, offline's loader). */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PackConfigError, keyPosition, parsePackConfigText, positionOf } from "../../core/pack-config-file";
import { PACK_CONFIG_FILE, loadPackConfigFile } from "../../offline/pack-config";

const committed = fs.readFileSync(PACK_CONFIG_FILE, "utf8");

describe("parsePackConfigText", () => {
    it("a trailing comma: file:line:column and the fix, not JSON.parse's position", () => {
        const text = committed.replace('"maxAgeHours": 168', '"maxAgeHours": 168,');
        expect(() => parsePackConfigText(text, "policy/config.json")).toThrow(
            new PackConfigError(
                "policy/config.json:6:5: not valid JSON: Expected double-quoted property name",
                "correct line 6, column 5 of policy/config.json (JSON: keys and strings in double quotes, a comma " +
                    "between entries and none after the last), then run the command again; `git diff " +
                    "policy/config.json` shows what was edited",
            ),
        );
    });

    it("a file cut short points at its end", () => {
        const text = '{\n  "prod-signoff": {\n';
        expect(() => parsePackConfigText(text, "c.json")).toThrow(/^c\.json:3:1: not valid JSON: /);
    });

    it("a section that is neither an object nor a level names the section", () => {
        expect(() => parsePackConfigText('{\n  "prod-signoff": [1]\n}', "c.json")).toThrow(
            new PackConfigError(
                'c.json:2:3: "prod-signoff" is an array holding a non-string; expected an object of its settings or ' +
                    'an enforcement level ("advisory", "mandatory", "disabled")',
                'write "prod-signoff" as an object, e.g. "prod-signoff": { ... } in c.json, then run the command again',
            ),
        );
    });

    it("positions are 1-based lines and columns; a key is found in its own section", () => {
        expect(positionOf("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
        const text = '{\n "a": {"x": 1},\n "b": {\n   "x": 2}}';
        expect(keyPosition(text, "b", "x")).toEqual({ line: 4, column: 4 });
    });
});

describe("loadPackConfigFile: wrong-typed keys, checked against the policies' own schemas", () => {
    it("names each key with its line, what it is, the form expected, and an example to write", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-config-"));
        const file = path.join(dir, "config.json");
        const config = JSON.parse(committed) as Record<string, Record<string, unknown>>;
        config["prod-signoff"].allowedSigners = "op@raxx.app ssh-ed25519 AAAA";
        config["soak-before-prod"].soakHours = "72";
        fs.writeFileSync(file, `${JSON.stringify(config, null, 4)}\n`);
        try {
            expect(() => loadPackConfigFile(file)).toThrow(
                new PackConfigError(
                    `${file}:3:9: prod-signoff.allowedSigners is a string ("op@raxx.app ssh-ed25519 AAAA"); ` +
                        "expected an array of non-empty strings\n" +
                        `  ${file}:8:9: soak-before-prod.soakHours is a string ("72"); expected a number of at least 0`,
                    `write it as "allowedSigners": ["op@raxx.app namespaces=\\"raptor-signoff\\" ssh-ed25519 ` +
                        `AAAAC3Nz..."] under "prod-signoff" in ${file}; write it as "soakHours": 72 under ` +
                        `"soak-before-prod" in ${file}, then run the command again`,
                ),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the committed file loads", () => {
        expect(Object.keys(loadPackConfigFile())).toEqual([
            "prod-signoff",
            "soak-before-prod",
            "append-only-invariant",
        ]);
    });
});

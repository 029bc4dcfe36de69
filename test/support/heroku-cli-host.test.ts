/**
 * The CLI host (test/support/heroku-cli-host) against the CLI as a process of its own: the same commands, on two
 * rigs set up alike, one through the host and one as processes, must print the same stdout and stderr, exit with
 * the same code and make the same requests. Every other rig test runs the CLI through the host, so this file is
 * what says the host changes nothing they assert on: what the scripts and raptor-roles use, the CLI's errors
 * (usage, unknown command, API errors, HTTP faults, an unknown app, a host that does not resolve), its action
 * output, and colours under FORCE_COLOR (which the host hands to a host loaded with that environment).
 */
import { describe, expect, it } from "vitest";
import { ADDON, APP, Rig, rig, usePostgres } from "./heroku-scenario";
import { runBash } from "./run-commands";
import { HerokuApi } from "./heroku-api";
import { commandsServed } from "./heroku-cli-host";

usePostgres();

const attach = `--credential raptor_app --as RAPTOR_APP_DATABASE -a ${APP} --confirm ${APP}`;

/** Each a bash line, run in this order on each rig; `before` sets the rig up for it; viaHost: its host calls. */
const COMMANDS: { line: string; before?: (api: HerokuApi) => void; viaHost: number }[] = [
    { line: "heroku --version", viaHost: 1 },
    { line: `heroku addons -a ${APP} --json`, viaHost: 1 },
    { line: `heroku config:get DATABASE_URL -a ${APP}`, viaHost: 1 },
    { line: `heroku config:get -a ${APP}`, viaHost: 1 },
    { line: "heroku no-such-command", viaHost: 1 },
    { line: `heroku config:get X -a no-such-app`, viaHost: 1 },
    { line: `heroku pg:credentials:create ${ADDON} --name raptor_app -a ${APP}`, viaHost: 1 },
    { line: `heroku pg:credentials ${ADDON} -a ${APP}`, viaHost: 1 },
    { line: `heroku pg:credentials:url ${ADDON} --name raptor_app -a ${APP}`, viaHost: 1 },
    { line: `heroku addons:attach DATABASE ${attach}`, viaHost: 1 },
    { line: `heroku addons:attach ${ADDON} ${attach}`, viaHost: 1 },
    { line: `heroku config:set FLAG_RAPTOR_APP_ROLE_SEPARATION=1 -a ${APP}`, viaHost: 1 },
    { line: `heroku config --json -a ${APP}`, viaHost: 1 },
    { line: `heroku restart -a ${APP}`, viaHost: 1 },
    {
        line: `heroku config:get X -a ${APP}`,
        before: (api) => api.inject({ method: "GET", path: /config-vars$/, kind: "html-503" }),
        viaHost: 1,
    },
    {
        line: `heroku config:get X -a ${APP}`,
        before: (api) => api.inject({ method: "GET", path: /config-vars$/, kind: "429" }),
        viaHost: 1,
    },
    { line: `FORCE_COLOR=1 heroku pg:credentials ${ADDON} -a ${APP} | cat`, viaHost: 1 },
    { line: `HEROKU_HOST=http://no-such-host.invalid heroku config:get X -a ${APP}`, viaHost: 1 },
    { line: `heroku pg:credentials:destroy ${ADDON} --name raptor_app -a ${APP} --confirm ${APP}`, viaHost: 1 },
    { line: `heroku logs -n 5 -a ${APP}`, viaHost: 1 },
    { line: `heroku logs -n 5 -a ${APP} && heroku logs -n 2 -a ${APP}`, viaHost: 2 },
];

interface Outcome {
    line: string;
    code: number;
    stdout: string;
    stderr: string;
    requests: string[];
}

/** What differs between two rigs by construction (ports, keys, ids, passwords, database names, times). */
function normalizer(r: Rig): (text: string) => string {
    const { api } = r;
    const values = new Map<string, string>([
        [String(api.port), "<port>"],
        [api.apiKey, "<api-key>"],
    ]);
    for (const a of api.model.apps) {
        values.set(a.id, "<app-id>");
    }
    for (const x of api.model.attachments) {
        values.set(x.id, `<attachment-id ${x.name}>`);
    }
    for (const addon of api.model.addons) {
        values.set(addon.db.database, "<database>");
        values.set(addon.planId, "<plan-id>");
        for (const c of addon.credentials) {
            values.set(c.password, `<password ${c.name}>`);
            values.set(c.user, `<user ${c.name}>`);
        }
    }
    return (text) => {
        let out = text;
        for (const [value, name] of values) {
            out = out.split(value).join(name);
        }
        return out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, "<time>");
    };
}

async function runAll(r: Rig): Promise<Outcome[]> {
    const raw: (Omit<Outcome, "requests"> & { from: number; to: number })[] = [];
    for (const c of COMMANDS) {
        c.before?.(r.api);
        const from = r.api.requests.length;
        const res = await runBash(r.api, c.line);
        raw.push({
            line: c.line,
            code: res.code,
            stdout: res.stdout,
            stderr: res.stderr,
            from,
            to: r.api.requests.length,
        });
    }
    // Normalized at the end, when every id and password the rig handed out is known.
    const norm = normalizer(r);
    return raw.map((o) => ({
        line: o.line,
        code: o.code,
        stdout: norm(o.stdout),
        stderr: norm(o.stderr),
        requests: r.api.requests
            .slice(o.from, o.to)
            .map((q) => norm(`${q.method} ${q.path} ${q.status} first=${q.firstOfProcess} ${JSON.stringify(q.body)}`)),
    }));
}

describe("the heroku CLI host", { timeout: 900_000 }, () => {
    it("prints, exits and calls the API as the CLI's own process does, command by command", async () => {
        // node_modules/.bin/heroku on PATH, as `npm install -g heroku@11.10.0` gives an operator: a process a call.
        const asProcess = await runAll(await rig({ cliHost: false }));
        const served = commandsServed();
        // A host even under RAPTOR_HEROKU_CLI=process: this file is the host's proof.
        const viaHost = await runAll(await rig({ cliHost: true }));
        expect(viaHost).toEqual(asProcess);
        expect(commandsServed() - served).toBe(COMMANDS.reduce((n, c) => n + c.viaHost, 0));
    });
});

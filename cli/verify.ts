/**
 * `raptor-roles verify`: connects to the live database (as the owner, or any
 * role that can read the catalog), reads it in ONE catalog query and reports
 * every drift from the grant plan on effective privileges, each with the SQL
 * that fixes it. Exit 0 clean, 2 drift, 1 error. No message ever carries the
 * URL or its password.
 */
import { Client } from "pg";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import { GrantPlan, buildPlan } from "../core/plan";
import { VerifyContext, VerifyError, VerifyReport, computeDrift, renderReport } from "../core/verify";
import type { Catalog } from "../core/catalog";
import { readCatalog } from "../db/catalog";
import { ConnectionError, connectionError, connectionTarget, redact, urlSecrets } from "../db/connection";
import { parse } from "./args";
import { CliError, EXIT } from "./contract";
import { urlFrom } from "./database-url";
import { Io, Subcommand } from "./io";

export { VerifyError } from "../core/verify";
export { redact } from "../db/connection";

export const VERIFY_HELP = `usage: raptor-roles verify (--database-url-env NAME | --database-url URL)
                           [--stack NAME] [--json]

Checks the live database against the grant plan on EFFECTIVE privileges (direct grants, PUBLIC,
inherited role memberships, column grants, ownership, role attributes) and prints each drift with
the exact SQL that fixes it. One catalog query, read-only.

  --database-url-env NAME  read the owner URL from environment variable NAME (recommended: the URL
                           carries the owner's password and then stays out of argv and shell history),
                           e.g. DATABASE_URL=$(heroku config:get DATABASE_URL -a APP) raptor-roles verify \\
                                  --database-url-env DATABASE_URL --stack staging
  --database-url URL       the owner URL itself (postgres://USER:PASSWORD@HOST:PORT/DB)
  --stack NAME             take role and schema from Pulumi.NAME.yaml (default: raptor_app in public)
  --json                   one JSON document: {role, schema, database, server, clean, drifts: [{class,
                           object, detail, fix}], counts, checked}; the text output shows the first
                           few drifts of each class, --json every one
  -h, --help               this text

Exactly one of --database-url-env and --database-url.

SSL is on unless the URL says sslmode=disable: Heroku requires SSL and its URLs carry no sslmode.
  no sslmode, allow, prefer, require   SSL, the certificate not verified (psql's sslmode=require, as
                                       Heroku needs). allow and prefer never fall back to plain text.
  verify-ca, verify-full               SSL, the certificate verified (verify-ca needs sslrootcert=FILE)
  disable                              no SSL: only for a local database without SSL (?sslmode=disable)
Exit status: 0 clean, 2 drift found, 1 error (bad URL, unreachable database, authentication): the
message and its fix on stderr, and with --json {"error": {code, message, fix}} on stdout.
`;

export interface VerifyOptions {
    /** The connection URL (owner, or any role that can read the catalog). */
    readonly url: string;
    /** Default raptor_app. */
    readonly role?: string;
    /** Default public. */
    readonly schema?: string;
    /** Default RAPTOR_CLASSIFICATION. */
    readonly classification?: Classification;
    readonly heroku?: VerifyContext["heroku"];
    /** How the URL was given, for messages (never the URL itself). */
    readonly source?: string;
    /** The Heroku config var that holds the URL, for fixes; default DATABASE_URL. */
    readonly herokuVar?: string;
    /** Connect timeout, default 15 s. */
    readonly connectTimeoutMs?: number;
}

export interface VerifyResult {
    readonly report: VerifyReport;
    /** 0 clean, 2 drift. */
    readonly exitCode: 0 | 2;
    /** Milliseconds: connect (incl. authentication), the one catalog query, the drift computation, all. */
    readonly timings: {
        readonly connectMs: number;
        readonly queryMs: number;
        readonly computeMs: number;
        readonly totalMs: number;
    };
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

/**
 * Connects, reads the catalog in one query and computes the drift. Throws
 * VerifyError (message without the URL or password) when it cannot check.
 */
export async function runVerify(opts: VerifyOptions): Promise<VerifyResult> {
    const t0 = process.hrtime.bigint();
    const source = opts.source ?? "--database-url";
    const target = connectionTarget(opts.url, source, opts.connectTimeoutMs ?? 15_000, opts.herokuVar);
    let plan: GrantPlan;
    try {
        plan = buildPlan({
            classification: opts.classification ?? RAPTOR_CLASSIFICATION,
            role: opts.role ?? "raptor_app",
            schema: opts.schema ?? "public",
        });
    } catch (e) {
        throw new VerifyError((e as Error).message);
    }
    const client = new Client(target.config);
    client.on("error", () => undefined); // a dropped connection surfaces through the pending call instead
    try {
        try {
            await client.connect();
        } catch (e) {
            throw connectionError(e, target);
        }
        const connectMs = ms(t0);
        const t1 = process.hrtime.bigint();
        let catalog: Catalog;
        try {
            catalog = await readCatalog(client, plan);
        } catch (e) {
            throw new VerifyError(
                `the catalog query failed on ${target.where}: ${redact((e as Error).message, target.secrets)} ` +
                    "(raptor-roles verify needs PostgreSQL 16, 17 or 18, as Heroku runs, " +
                    "and a role that can read pg_catalog)",
            );
        }
        const queryMs = ms(t1);
        const t2 = process.hrtime.bigint();
        const report = computeDrift(plan, catalog, { heroku: opts.heroku });
        const computeMs = ms(t2);
        return { report, exitCode: report.clean ? 0 : 2, timings: { connectMs, queryMs, computeMs, totalMs: ms(t0) } };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** The stable JSON document (key order fixed). */
export function reportJson(report: VerifyReport): string {
    return `${JSON.stringify(
        {
            role: report.role,
            schema: report.schema,
            database: report.database,
            server: report.server,
            clean: report.clean,
            drifts: report.drifts.map((d) => ({ class: d.class, object: d.object, detail: d.detail, fix: d.fix })),
            counts: report.counts,
            checked: report.checked,
        },
        null,
        2,
    )}\n`;
}

export const verify: Subcommand = async (argv: string[], io: Io): Promise<number> => {
    // parseArgs quotes unexpected arguments, which may be a URL with a password in it.
    const hide = (m: string) =>
        redact(
            m,
            argv.filter((a) => /:\/\//.test(a)),
        );
    const { values } = parse(
        argv,
        {
            "database-url": { type: "string" },
            "database-url-env": { type: "string" },
            stack: { type: "string" },
            json: { type: "boolean" },
        },
        "verify",
        hide,
    );
    if (values.help) {
        io.out(VERIFY_HELP);
        return EXIT.OK;
    }
    const { url, source } = urlFrom(
        values,
        "database-url",
        "DATABASE_URL",
        "raptor-roles verify --database-url-env DATABASE_URL --stack staging",
    );

    let role = "raptor_app";
    let schema = "public";
    let heroku: VerifyContext["heroku"];
    if (values.stack !== undefined) {
        // Loaded only for --stack: the YAML parser is the slowest module to load, and verify runs without it.
        const { stackSettings } = await import("../offline/stack-file");
        const s = stackSettings(values.stack);
        role = s.role;
        schema = s.schema;
        heroku = { app: s.app, attachment: s.database };
    }

    try {
        const { report, exitCode } = await runVerify({ url, role, schema, heroku, source });
        io.out(values.json ? reportJson(report) : renderReport(report));
        return exitCode;
    } catch (e) {
        const secrets = urlSecrets(url);
        if (e instanceof ConnectionError) {
            throw new CliError(e.code, redact(e.message, secrets), redact(e.fix, secrets));
        }
        const message = e instanceof VerifyError ? e.message : `unexpected error: ${(e as Error).message}`;
        const text = redact(message, secrets);
        // The other messages end in their fix, in parentheses ("(raptor-roles verify needs PostgreSQL 16 ...)").
        const fix =
            /\(([^()]*)\)\s*$/.exec(text)?.[1] ??
            "check the URL (heroku config:get DATABASE_URL -a APP) and that the database is reachable from here";
        throw new CliError(e instanceof VerifyError ? "verify" : "internal", text, fix);
    }
};

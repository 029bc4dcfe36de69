/**
 * The URL options verify and workload share: `--X-url-env NAME` (recommended: the URL carries a password, which then
 * stays out of argv and shell history) or `--X-url URL`, exactly one. Their errors name the option and the variable,
 * and their fix is the command that fills it.
 */
import { CliError, UsageError } from "./contract";

export interface GivenUrl {
    readonly url: string;
    /** For messages: "environment variable DATABASE_URL" or "--database-url". */
    readonly source: string;
    /** The Heroku config var that holds it (DATABASE_URL, RAPTOR_APP_DATABASE_URL), for fixes. */
    readonly herokuVar: string;
}

/** The URL from `--${flag}-env NAME` or `--${flag} URL`; `example` is a whole command line that works. */
export function urlFrom(
    values: Record<string, unknown>,
    flag: string,
    herokuVar: string,
    example: string,
    env: NodeJS.ProcessEnv = process.env,
): GivenUrl {
    const envName = values[`${flag}-env`] as string | undefined;
    const direct = values[flag] as string | undefined;
    if ((envName === undefined) === (direct === undefined)) {
        throw new UsageError(`give exactly one of --${flag}-env NAME (recommended) and --${flag} URL`, example);
    }
    if (direct !== undefined) {
        return { url: direct, source: `--${flag}`, herokuVar };
    }
    const v = env[envName!];
    if (v === undefined || v.trim() === "") {
        throw new CliError(
            "no-url",
            `environment variable ${envName} (--${flag}-env) is empty or not set`,
            `export ${envName}="$(heroku config:get ${herokuVar} -a APP)"`,
        );
    }
    return { url: v, source: `environment variable ${envName}`, herokuVar };
}

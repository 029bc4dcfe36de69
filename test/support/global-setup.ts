/**
 * Starts one PostgreSQL server for the whole test run (17, or the major
 * RAPTOR_PG_MAJOR names: 16, 17 or 18) and hands its coordinates and major
 * to the test files through vitest's provide/inject.
 */
import type { TestProject } from "vitest/node";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { startPostgres } from "./pg-server";

declare module "vitest" {
    export interface ProvidedContext {
        /** major: 16, 17 or 18; server: its version as verify reports it, e.g. "17.10". */
        pg: {
            major: number;
            server: string;
            port: number;
            superuser: string;
            password: string;
            appRole: string;
            appPassword: string;
        };
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const server = await startPostgres();
    // raptor_app is cluster-wide: made once, as pg:credentials:create leaves it (LOGIN, a password, no grants).
    // Test files each get their own database, so its privileges never collide between files.
    const appRole = "raptor_app";
    const appPassword = randomBytes(12).toString("hex");
    const c = new Client({
        host: "127.0.0.1",
        port: server.port,
        user: server.superuser,
        password: server.password,
        database: "postgres",
    });
    await c.connect();
    await c.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${appPassword}'`);
    const num = Number((await c.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
    await c.end();
    const major = Math.floor(num / 10000);
    project.provide("pg", {
        major,
        server: `${major}.${num % 10000}`,
        port: server.port,
        superuser: server.superuser,
        password: server.password,
        appRole,
        appPassword,
    });
    return () => server.stop();
}

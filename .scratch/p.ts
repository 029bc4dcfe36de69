import { Client } from "pg";
import { startPostgres } from "/work/main/test/support/pg-server";
(async () => {
  const s = await startPostgres("17");
  const su = new Client({ host: "127.0.0.1", port: s.port, user: "postgres", password: s.password, database: "postgres" });
  await su.connect();
  for (const q of ["CREATE ROLE own LOGIN PASSWORD 'o'", "CREATE ROLE app LOGIN PASSWORD 'a'", "CREATE DATABASE d OWNER own"]) await su.query(q);
  const o = new Client({ host: "127.0.0.1", port: s.port, user: "own", password: "o", database: "d" }); await o.connect();
  await o.query(`CREATE TABLE users (id bigserial primary key, note text); CREATE TABLE hist (id bigserial primary key, note text);
   GRANT USAGE ON SCHEMA public TO app; GRANT SELECT, INSERT ON users, hist TO app;`);
  const sud = new Client({ host: '127.0.0.1', port: s.port, user: 'postgres', password: s.password, database: 'd' }); await sud.connect(); await sud.query('CREATE EXTENSION pg_stat_statements'); await sud.end();
  await o.query(`UPDATE users SET note = $1 WHERE id = $2`, ['x', 1]);
  await o.query(`ALTER ROLE own PASSWORD 'o'`);
  const a = new Client({ host: "127.0.0.1", port: s.port, user: "app", password: "a", database: "d" }); await a.connect();
  const stmts = ["UPDATE users SET note = $1 WHERE id = $2", "SELECT * FROM users WHERE id = $1 FOR UPDATE", "INSERT INTO users (note) VALUES ($1)", "SELECT * FROM nosuch", "SELECT $1 + $2"];
  await a.query("BEGIN READ ONLY"); await a.query("SET LOCAL statement_timeout = '5s'; SET LOCAL lock_timeout = '100ms'");
  await a.query("SELECT set_config('raptor.stmts', $1, true)", [JSON.stringify(stmts)]);
  await a.query(`DO $do$
  DECLARE s text; out jsonb := '[]'; st text; msg text;
  BEGIN
    FOR s IN SELECT jsonb_array_elements_text(current_setting('raptor.stmts')::jsonb) LOOP
      BEGIN
        EXECUTE 'EXPLAIN (GENERIC_PLAN) ' || s;
        out := out || jsonb_build_object('ok', true);
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        out := out || jsonb_build_object('ok', false, 'code', st, 'msg', msg);
      END;
    END LOOP;
    PERFORM set_config('raptor.out', out::text, true);
  END $do$`);
  console.log((await a.query("SELECT current_setting('raptor.out') AS o")).rows[0].o);
  await a.query("ROLLBACK");
  console.log((await o.query("SELECT userid::regrole, query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname='d')")).rows);
  await a.end(); await o.end(); await su.end(); await s.stop();
})().catch(e => { console.error(e); process.exit(1); });

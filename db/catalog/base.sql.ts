/**
 * The catalog query's inputs: the server version, the role, the database,
 * the roles the role reaches through memberships, the schema and the plan.
 * $1 = role name, $2 = schema name, $3 = the plan as one text (planParameter).
 */
export const BASE_SQL = String.raw`
-- MAINTAIN (a table privilege) and the pg_maintain role exist from PostgreSQL 17 on: naming MAINTAIN on
-- 16 is an error ("unrecognized privilege type"), so every use of it is conditional on this.
ver AS (
    SELECT pg_catalog.current_setting('server_version_num')::int AS num,
        pg_catalog.current_setting('server_version_num')::int >= 170000 AS maintain
),
app AS (
    SELECT r.oid, r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,
           r.rolbypassrls, r.rolconnlimit, coalesce(r.rolvaliduntil < now(), false) AS expired
    FROM pg_catalog.pg_roles r WHERE r.rolname = $1
),
db AS (
    SELECT d.oid, d.datname, d.datdba, coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba)) AS acl
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
),
-- Every role reachable from the app role's direct memberships; inh = its privileges flow without SET ROLE
-- (pg_auth_members.inherit_option, PostgreSQL 16+).
reach(via, roleid, inh) AS (
    SELECT m.roleid, m.roleid, m.inherit_option
    FROM pg_catalog.pg_auth_members m JOIN app ON m.member = app.oid
    UNION
    SELECT reach.via, m.roleid, reach.inh AND m.inherit_option
    FROM reach JOIN pg_catalog.pg_auth_members m ON m.member = reach.roleid
),
-- Whose grants reach the app role: itself, PUBLIC (0), and the roles it inherits from.
grantees AS (
    SELECT app.oid FROM app UNION SELECT 0::oid FROM app UNION SELECT reach.roleid FROM reach WHERE reach.inh
),
ns AS (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $2),
-- The plan, $3 = 'Aname,Oname,Lname,...': A application, O appendOnly, L locked. (One text, not two
-- arrays: it binds and parses several times faster; classified names are plain identifiers, no commas.)
exp AS (
    SELECT substr(x, 2)::name AS name, left(x, 1) AS tset
    FROM pg_catalog.string_to_table($3, ',') AS x WHERE x <> ''
),
`;

/** The role's direct memberships, and every role it reaches through them with what that role can do. */
export const ROLES_SQL = String.raw`
mem AS (
    SELECT coalesce(json_agg(json_build_object(
        'role', pg_catalog.pg_get_userbyid(m.roleid), 'grantor', pg_catalog.pg_get_userbyid(m.grantor),
        'admin', m.admin_option, 'inherit', m.inherit_option, 'set', m.set_option
    ) ORDER BY pg_catalog.pg_get_userbyid(m.roleid), pg_catalog.pg_get_userbyid(m.grantor)), '[]') AS j
    FROM pg_catalog.pg_auth_members m JOIN app ON m.member = app.oid
),
reached AS (
    SELECT coalesce(json_agg(json_build_object(
        'via', pg_catalog.pg_get_userbyid(x.via), 'role', r.rolname, 'inherit', x.inh,
        'superuser', r.rolsuper, 'createRole', r.rolcreaterole, 'createDb', r.rolcreatedb,
        'replication', r.rolreplication, 'bypassRls', r.rolbypassrls,
        'databaseOwner', r.oid = (SELECT datdba FROM db), 'predefined', r.oid < 16384 AND r.rolname LIKE 'pg\_%',
        'ownsRelations', (SELECT count(*) FROM pg_catalog.pg_shdepend s
                 WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid AND s.deptype = 'o'
                   AND s.dbid = (SELECT oid FROM db))
    ) ORDER BY pg_catalog.pg_get_userbyid(x.via), r.rolname), '[]') AS j
    FROM (SELECT reach.via, reach.roleid, bool_or(reach.inh) AS inh FROM reach GROUP BY reach.via, reach.roleid) x
    JOIN pg_catalog.pg_roles r ON r.oid = x.roleid
),
`;

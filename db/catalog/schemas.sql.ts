/**
 * The plan's schema (plus any other user schema the role can CREATE in or
 * owns) and the database: effective USAGE/CREATE/CONNECT through
 * has_*_privilege, and the ACL items that reach the role.
 */

/** AclEntry JSON (column null) for the items of `acl` that reach the role, the owner's own left out. */
export function aclEntries(acl: string, owner: string): string {
    return `(SELECT coalesce(json_agg(json_build_object('grantee', x.grantee, 'column', NULL, 'privileges', x.p,
                'grantable', x.go) ORDER BY x.grantee NULLS FIRST), '[]')
            FROM (SELECT CASE WHEN a.grantee = 0 THEN NULL
                         ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END AS grantee,
                    array_agg(a.privilege_type) AS p,
                    coalesce(array_agg(a.privilege_type) FILTER (WHERE a.is_grantable), '{}') AS go
                  FROM pg_catalog.aclexplode(${acl}) a
                  WHERE a.grantee <> ${owner} AND a.grantee IN (SELECT oid FROM grantees) GROUP BY a.grantee) x)`;
}

export const SCHEMAS_SQL = String.raw`
-- The public schema is owned by pg_database_owner on PostgreSQL 15+: its effective owner is the
-- database owner.
sch AS (
    SELECT n.oid, n.nspname, coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl, n.nspowner,
        CASE WHEN n.nspowner = 'pg_database_owner'::regrole THEN db.datdba ELSE n.nspowner END AS eowner,
        pg_catalog.has_schema_privilege(app.oid, n.oid, 'USAGE') AS usage,
        pg_catalog.has_schema_privilege(app.oid, n.oid, 'CREATE') AS cre
    FROM pg_catalog.pg_namespace n CROSS JOIN db LEFT JOIN app ON true
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
),
schemas AS (
    SELECT coalesce(json_agg(json_build_object(
        'name', sch.nspname, 'usage', coalesce(sch.usage, false), 'create', coalesce(sch.cre, false),
        'owner', CASE WHEN sch.eowner IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(sch.eowner) END,
        'ownedByDatabaseOwner', sch.nspowner = 'pg_database_owner'::regrole,
        'acl', ${aclEntries("sch.acl", "sch.nspowner")}
    ) ORDER BY sch.nspname), '[]') AS j
    FROM sch
    WHERE sch.nspname = $2 OR sch.cre OR sch.eowner IN (SELECT oid FROM grantees)
),
dbj AS (
    SELECT json_build_object(
        'name', db.datname, 'owner', pg_catalog.pg_get_userbyid(db.datdba),
        'connect', coalesce(pg_catalog.has_database_privilege(app.oid, db.oid, 'CONNECT'), false),
        'create', coalesce(pg_catalog.has_database_privilege(app.oid, db.oid, 'CREATE'), false),
        'ownedBy', CASE WHEN db.datdba IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(db.datdba) END,
        'acl', ${aclEntries("db.acl", "db.datdba")}
    ) AS j
    FROM db LEFT JOIN app ON true
),
`;

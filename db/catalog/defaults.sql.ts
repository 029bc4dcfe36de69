/** Default privileges (pg_default_acl, the plan's schema or global) that reach the role or PUBLIC. */
export const DEFAULTS_SQL = String.raw`
defacl AS (
    SELECT coalesce(json_agg(json_build_object(
        'owner', pg_catalog.pg_get_userbyid(d.defaclrole), 'schema', n.nspname, 'objectType', d.defaclobjtype,
        'grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
        'privilege', a.privilege_type
    ) ORDER BY pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname NULLS FIRST, d.defaclobjtype, a.grantee,
        a.privilege_type), '[]') AS j
    FROM pg_catalog.pg_default_acl d
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
    CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
    JOIN app ON a.grantee IN (app.oid, 0)
    WHERE d.defaclnamespace = 0 OR n.nspname = $2
)
`;

/**
 * Where privileges on a relation come from: the ACL items (object and
 * column level) of the role, PUBLIC and the roles it inherits from; the
 * owner's own items are left out (ownership is reported as such). For a
 * plain role (the `aclpath` of pass.sql.ts) these items ARE its effective
 * privileges, so `aclpriv` sums them up without a has_* call.
 */
export const ACL_SQL = String.raw`
src AS (
    SELECT r.oid AS rel, NULL::text AS col, a.grantee, a.privilege_type AS priv, a.is_grantable AS go
    FROM rel r CROSS JOIN LATERAL pg_catalog.aclexplode(r.relacl) a
    WHERE r.oid IS NOT NULL AND NOT r.proven AND r.relacl IS NOT NULL
      AND (r.aclpath OR r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
      AND a.grantee <> r.relowner AND a.grantee IN (SELECT oid FROM grantees)
    UNION ALL
    SELECT r.oid, att.attname::text, a.grantee, a.privilege_type, a.is_grantable
    FROM rel r JOIN pg_catalog.pg_attribute att
        ON att.attrelid = r.oid AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL
    CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
    WHERE r.oid IS NOT NULL AND NOT r.proven AND r.relkind <> 'S'
      AND (r.aclpath OR r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
      AND a.grantee <> r.relowner AND a.grantee IN (SELECT oid FROM grantees)
),
-- A plain role's effective privileges: object level, column level, and those WITH GRANT OPTION.
aclpriv AS (
    SELECT src.rel,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.col IS NULL), '{}') AS p,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.col IS NOT NULL), '{}') AS c,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.go), '{}') AS g
    FROM src GROUP BY src.rel
),
-- The same items as AclEntry JSON, one per grantee and column, for the fix to name the real source.
relsrc AS (
    SELECT x.rel, json_agg(json_build_object('grantee', x.grantee, 'column', x.col, 'privileges', x.p,
        'grantable', x.go) ORDER BY x.grantee NULLS FIRST, x.col NULLS FIRST) AS acl
    FROM (
        SELECT src.rel, src.col,
            CASE WHEN src.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(src.grantee)::text END AS grantee,
            array_agg(src.priv) AS p, coalesce(array_agg(src.priv) FILTER (WHERE src.go), '{}') AS go
        FROM src GROUP BY src.rel, src.col, src.grantee
    ) x
    GROUP BY x.rel
),
`;

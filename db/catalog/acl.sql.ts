/**
 * Where privileges on a relation come from: the ACL items (object and
 * column level) of the role, PUBLIC and the roles it inherits from; the
 * owner's own items are left out (ownership is reported as such). For a
 * plain role (the `aclpath` of pass.sql.ts) these items ARE its effective
 * privileges, summed up here without a has_* call.
 */

/** AclEntry JSON of `rows` (rel, col, grantee oid, priv, go), one entry per grantee and column, per `key`. */
const entries = (rows: string, key: string) => `
    SELECT x.${key}, json_agg(json_build_object('grantee', x.grantee, 'column', x.col, 'privileges', x.p,
        'grantable', x.go) ORDER BY x.grantee NULLS FIRST, x.col NULLS FIRST) AS acl
    FROM (
        SELECT ${rows}.${key}, ${rows}.col,
            CASE WHEN ${rows}.grantee = 0 THEN NULL
                 ELSE pg_catalog.pg_get_userbyid(${rows}.grantee)::text END AS grantee,
            array_agg(${rows}.priv) AS p, coalesce(array_agg(${rows}.priv) FILTER (WHERE ${rows}.go), '{}') AS go
        FROM ${rows} GROUP BY ${rows}.${key}, ${rows}.col, ${rows}.grantee
    ) x
    GROUP BY x.${key}`;

export const ACL_SQL = String.raw`
-- A plain role's relations without column ACLs, grouped by their ACL and the rest of what the report says
-- of them (kind, set, partition): one aclexplode per group however many relations share it (a blanket GRANT
-- leaves the same items on thousands). The owner is never the role or PUBLIC here, so no item is left out.
aclgroup AS (
    SELECT row_number() OVER () AS k, g.*
    FROM (
        SELECT r.relacl, r.relkind, r.tset, r.relispartition, array_agg(r.relname::text) AS names
        FROM cand r
        WHERE r.oid IS NOT NULL AND r.aclpath AND NOT r.proven AND NOT r.colacl
        GROUP BY r.relacl, r.relkind, r.tset, r.relispartition
    ) g
),
groupx AS (
    SELECT g.k, NULL::text AS col, a.grantee, a.privilege_type AS priv, a.is_grantable AS go
    FROM aclgroup g CROSS JOIN LATERAL pg_catalog.aclexplode(g.relacl) a
    WHERE a.grantee IN (SELECT oid FROM grantees)
),
groupacl AS (${entries("groupx", "k")}
),
groupsum AS (
    SELECT g.k, g.names, g.relkind, g.tset, g.relispartition,
        coalesce(x.p, '{}') AS p, coalesce(x.g, '{}') AS g, coalesce(ga.acl, '[]') AS acl
    FROM aclgroup g
    LEFT JOIN (
        SELECT groupx.k, array_agg(DISTINCT groupx.priv) AS p,
            coalesce(array_agg(DISTINCT groupx.priv) FILTER (WHERE groupx.go), '{}') AS g
        FROM groupx GROUP BY groupx.k
    ) x ON x.k = g.k
    LEFT JOIN groupacl ga ON ga.k = g.k
),
-- Every other relation that is not proven: one by one (column ACLs, or a role the ACL alone cannot decide).
src AS (
    SELECT r.oid AS rel, NULL::text AS col, a.grantee, a.privilege_type AS priv, a.is_grantable AS go
    FROM cand r CROSS JOIN LATERAL pg_catalog.aclexplode(r.relacl) a
    WHERE r.oid IS NOT NULL AND NOT r.proven AND r.relacl IS NOT NULL
      AND CASE WHEN r.aclpath THEN r.colacl ELSE r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag) END
      AND a.grantee <> r.relowner AND a.grantee IN (SELECT oid FROM grantees)
    UNION ALL
    SELECT r.oid, x.attname, x.grantee, x.privilege_type, x.is_grantable
    FROM cand r CROSS JOIN LATERAL (
        SELECT att.attname::text AS attname, a.grantee, a.privilege_type, a.is_grantable
        FROM pg_catalog.pg_attribute att CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
        WHERE att.attrelid = r.oid AND att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL
    ) x
    WHERE r.oid IS NOT NULL AND NOT r.proven AND r.colacl
      AND (r.aclpath OR r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
      AND x.grantee <> r.relowner AND x.grantee IN (SELECT oid FROM grantees)
),
-- A plain role's effective privileges on those: object level, column level, and WITH GRANT OPTION.
aclpriv AS (
    SELECT src.rel,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.col IS NULL), '{}') AS p,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.col IS NOT NULL), '{}') AS c,
        coalesce(array_agg(DISTINCT src.priv) FILTER (WHERE src.go), '{}') AS g
    FROM src GROUP BY src.rel
),
relsrc AS (${entries("src", "rel")}
),
`;

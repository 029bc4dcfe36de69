/**
 * ONE pass over the plan's schema, with the plan joined by name: every
 * relation once, every classified table that does not exist once (oid NULL),
 * aggregated, never materialised: the counts for the report, and the few
 * relations that are not proven to match (`cand`, which the later fragments
 * read; none on a clean database).
 */
export const PASS_SQL = String.raw`
-- Per relation, with no catalog-cache lookup (on a fresh session every has_* call is a cache miss):
--  colacl:  some column of the table has an ACL (one index probe of pg_attribute; LIMIT 1 keeps it a probe:
--           as EXISTS the planner may hash a parallel scan of all of pg_attribute, slower than 10,000 probes).
--  proven:  the role is plain (see item), the relation is the database owner's, its ACL is exactly what
--           renderSql leaves and no column has an ACL. Its effective privileges are then the plan's by
--           Postgres's own rule; nothing more is read about it.
pass AS (
    SELECT coalesce(array_agg(r.ename) FILTER (WHERE r.oid IS NULL), '{}') AS missing,
        count(*) FILTER (WHERE r.relkind <> 'S' AND r.tset IS NOT NULL) AS tables,
        count(*) FILTER (WHERE r.relkind = 'S') AS sequences,
        count(*) FILTER (WHERE r.oid IS NOT NULL AND r.tset IS NULL) AS unclassified,
        coalesce(array_agg(r.oid) FILTER (WHERE r.oid IS NOT NULL AND NOT r.proven), '{}') AS oids,
        coalesce(array_agg(r.tset) FILTER (WHERE r.oid IS NOT NULL AND NOT r.proven), '{}') AS tsets,
        coalesce(array_agg(r.colacl) FILTER (WHERE r.oid IS NOT NULL AND NOT r.proven), '{}') AS colacls
    FROM (
        SELECT c.oid, c.ename, c.relkind, c.tset, c.colacl,
            -- Scalar subqueries, not a join with item: evaluated once, not rescanned for every relation.
            coalesce((SELECT plain FROM item) AND c.relowner = (SELECT owner FROM item) AND NOT c.colacl
                AND (c.relacl = s.acl OR (c.tset = 'L' AND c.relacl IS NULL)), false) AS proven
        FROM (
            SELECT c.oid, c.relkind, c.relowner, c.relacl, e.name AS ename,
                CASE WHEN c.relkind = 'S' THEN 'S' ELSE e.tset END AS tset,
                c.relkind <> 'S' AND (SELECT true FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL LIMIT 1) IS NOT NULL AS colacl
            FROM (
                SELECT c.oid, c.relkind, c.relowner, c.relacl, CASE WHEN c.relkind <> 'S' THEN c.relname END AS jname
                FROM pg_catalog.pg_class c
                WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  -- An extension's own relations (pg_stat_statements' views, granted to PUBLIC by the extension,
                  -- where Heroku installs it in public) are not the app's tables: not classified, not drift.
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                      AND d.objid = c.oid AND d.objsubid = 0 AND d.deptype = 'e')
            ) c
            FULL JOIN exp e ON e.name = c.jname
            OFFSET 0 -- computes colacl once per relation: flattened, each of its three uses would probe again
        ) c
        LEFT JOIN sets s ON s.tset = c.tset
    ) r
),
-- The relations not proven. aclpath: the role is plain and does not own it, so its effective privileges
-- are exactly what the ACL items of the role and of PUBLIC give, read with aclexplode (acl.sql.ts), no
-- has_* call. Anything else (a superuser, an owner, inherited roles) asks Postgres itself (has.sql.ts).
cand AS (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relispartition, x.tset, s.privs, x.colacl,
        coalesce(it.plain AND c.relowner <> it.role, false) AS aclpath, false AS proven
    FROM pass CROSS JOIN LATERAL unnest(pass.oids, pass.tsets, pass.colacls) AS x(oid, tset, colacl)
    JOIN pg_catalog.pg_class c ON c.oid = x.oid
    LEFT JOIN sets s ON s.tset = x.tset
    LEFT JOIN item it ON true
),
`;

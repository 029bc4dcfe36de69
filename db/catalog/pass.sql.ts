/**
 * ONE pass over the plan's schema, with the plan joined by name: every
 * relation once, every classified table that does not exist once (oid NULL),
 * and what each is decided by. The counts for the report come from here.
 */
export const PASS_SQL = String.raw`
-- Per relation, with no catalog-cache lookup (on a fresh session every has_* call is a cache miss):
--  colacl:  some column of the table has an ACL (one index probe of pg_attribute).
--  proven:  the role is plain (see item), the relation is the database owner's, its ACL is exactly what
--           renderSql leaves and no column has an ACL. Its effective privileges are then the plan's by
--           Postgres's own rule; nothing more is read about it.
--  aclpath: the role is plain and does not own it, so its effective privileges are exactly what the ACL
--           items of the role and of PUBLIC give: read with aclexplode (acl.sql.ts), no has_* call.
-- Anything else (a superuser, an owner, inherited roles) asks Postgres itself (has.sql.ts).
rel AS (
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.relacl, r.relispartition, r.ename, r.tset, s.privs, r.colacl,
        coalesce(it.plain AND r.relowner <> it.role, false) AS aclpath,
        coalesce(it.plain AND r.relowner = it.owner AND NOT r.colacl
            AND (r.relacl = s.acl OR (r.tset = 'L' AND r.relacl IS NULL)), false) AS proven
    FROM (
        SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relispartition, e.name AS ename,
            CASE WHEN c.relkind = 'S' THEN 'S' ELSE e.tset END AS tset,
            -- LIMIT 1 keeps this an index probe per table: as EXISTS the planner may hash a parallel scan of all
            -- of pg_attribute instead, whose worker start-up alone costs more than 10,000 probes.
            c.relkind <> 'S' AND (SELECT true FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL LIMIT 1) IS NOT NULL AS colacl
        FROM (
            SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relispartition,
                CASE WHEN c.relkind <> 'S' THEN c.relname END AS jname
            FROM pg_catalog.pg_class c
            WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        ) c
        FULL JOIN exp e ON e.name = c.jname
    ) r
    LEFT JOIN sets s ON s.tset = r.tset
    LEFT JOIN item it ON true
),
counts AS (
    SELECT coalesce(array_agg(rel.ename ORDER BY rel.ename) FILTER (WHERE rel.oid IS NULL), '{}') AS missing,
        count(*) FILTER (WHERE rel.relkind <> 'S' AND rel.tset IS NOT NULL) AS tables,
        count(*) FILTER (WHERE rel.relkind = 'S') AS sequences,
        count(*) FILTER (WHERE rel.oid IS NOT NULL AND rel.tset IS NULL) AS unclassified
    FROM rel
),
`;

/**
 * The relations that differ from the plan (or that it does not classify),
 * as CatalogRelation JSON (grouped: one entry, many names): effective privileges from the ACL for a plain
 * role (acl.sql.ts), from Postgres otherwise (has.sql.ts, tabpriv.sql.ts).
 * Relations that match the plan are not listed, so a clean database of any
 * size comes back as a few hundred bytes. Unordered: sorting thousands of
 * wide rows would spill to disk, and the report sorts its drifts anyway.
 */
export const RELATIONS_SQL = String.raw`
off AS (
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.relispartition, r.tset, a.p, a.c, a.g, a.acl
    FROM cand r
    LEFT JOIN aclpriv x ON x.rel = r.oid
    LEFT JOIN relsrc ON relsrc.rel = r.oid
    CROSS JOIN LATERAL (SELECT coalesce(x.p, '{}') AS p, coalesce(x.c, '{}') AS c, coalesce(x.g, '{}') AS g,
        coalesce(relsrc.acl, '[]') AS acl) a
    -- With column ACLs, one by one; the others are in groupsum (acl.sql.ts).
    WHERE r.oid IS NOT NULL AND r.aclpath AND NOT r.proven AND r.colacl
      AND (r.tset IS NULL OR NOT (a.p @> r.privs AND a.p <@ r.privs) OR NOT a.c <@ r.privs OR cardinality(a.g) > 0)
    UNION ALL
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.relispartition, r.tset, coalesce(tabpriv.p, seqpriv.p, '{}'),
        coalesce(tabpriv.c, '{}'), coalesce(tabpriv.g, seqpriv.g, '{}'), coalesce(relsrc.acl, '[]')
    FROM cand r LEFT JOIN tabpriv ON tabpriv.oid = r.oid LEFT JOIN seqpriv ON seqpriv.oid = r.oid
    LEFT JOIN relsrc ON relsrc.rel = r.oid
    WHERE r.oid IS NOT NULL AND NOT r.aclpath AND (r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
),
-- Relations that differ in the same way are one group with many names (a blanket GRANT makes thousands
-- alike): the document stays small and the verifier explains each group once.
rels AS (
    SELECT coalesce(json_agg(x.j), '[]') AS j
    FROM (
        SELECT json_build_object('names', gs.names, 'kind', gs.relkind, 'partition', gs.relispartition,
            'owner', NULL, 'privileges', gs.p, 'columnPrivileges', '{}'::text[], 'grantOptions', gs.g,
            'acl', gs.acl, 'linkedTable', NULL) AS j
        FROM groupsum gs LEFT JOIN sets s ON s.tset = gs.tset
        WHERE gs.tset IS NULL OR NOT (gs.p @> s.privs AND gs.p <@ s.privs) OR cardinality(gs.g) > 0
        UNION ALL
        SELECT json_build_object(
            'names', g.names, 'kind', g.relkind, 'partition', g.relispartition, 'owner', g.owner,
            'privileges', g.p, 'columnPrivileges', g.c, 'grantOptions', g.g, 'acl', g.acl::json,
            'linkedTable', g.lt::json)
        FROM (
            SELECT array_agg(o.relname) AS names, o.relkind, o.relispartition, o.owner, o.p, o.c, o.g, o.acl, o.lt
            FROM (
                SELECT off.relname::text AS relname, off.relkind, off.relispartition, off.tset, off.p, off.g,
                    off.acl::text AS acl,
                    CASE WHEN off.relowner IN (SELECT oid FROM grantees)
                         THEN pg_catalog.pg_get_userbyid(off.relowner)::text END AS owner,
                    CASE WHEN cardinality(off.c) = 0 THEN off.c
                         ELSE ARRAY(SELECT x FROM unnest(off.c) x WHERE x <> ALL (off.p) ORDER BY x) END AS c,
                    -- Only needed to hand a sequence back (ALTER TABLE of its table): when the role's side owns it.
                    CASE WHEN off.relkind = 'S' AND off.relowner IN (SELECT oid FROM grantees) THEN (
                        SELECT json_build_object('schema', tn.nspname, 'name', t.relname)::text
                        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
                        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = off.oid
                          AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
                        LIMIT 1) END AS lt
                FROM off
            ) o
            GROUP BY o.relkind, o.relispartition, o.tset, o.owner, o.p, o.c, o.g, o.acl, o.lt
        ) g
    ) x
),
`;

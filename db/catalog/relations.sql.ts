/**
 * The relations that differ from the plan (or that it does not classify),
 * as CatalogRelation JSON: effective privileges from the ACL for a plain
 * role (acl.sql.ts), from Postgres otherwise (has.sql.ts, tabpriv.sql.ts).
 * Relations that match the plan are not listed, so a clean database of any
 * size comes back as a few hundred bytes.
 */
export const RELATIONS_SQL = String.raw`
off AS (
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.relispartition, a.p, a.c, a.g
    FROM rel r LEFT JOIN aclpriv x ON x.rel = r.oid
    CROSS JOIN LATERAL (SELECT coalesce(x.p, '{}') AS p, coalesce(x.c, '{}') AS c, coalesce(x.g, '{}') AS g) a
    WHERE r.oid IS NOT NULL AND r.aclpath AND NOT r.proven
      AND (r.tset IS NULL OR NOT (a.p @> r.privs AND a.p <@ r.privs) OR NOT a.c <@ r.privs OR cardinality(a.g) > 0)
    UNION ALL
    SELECT r.oid, r.relname, r.relkind, r.relowner, r.relispartition,
        coalesce(tabpriv.p, seqpriv.p, '{}'), coalesce(tabpriv.c, '{}'), coalesce(tabpriv.g, seqpriv.g, '{}')
    FROM rel r LEFT JOIN tabpriv ON tabpriv.oid = r.oid LEFT JOIN seqpriv ON seqpriv.oid = r.oid
    WHERE r.oid IS NOT NULL AND NOT r.aclpath AND (r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
),
rels AS (
    SELECT coalesce(json_agg(json_build_object(
        'name', off.relname, 'kind', off.relkind, 'partition', off.relispartition,
        'owner', CASE WHEN off.relowner IN (SELECT oid FROM grantees) THEN pg_catalog.pg_get_userbyid(off.relowner) END,
        'privileges', off.p,
        'columnPrivileges', ARRAY(SELECT x FROM unnest(off.c) x WHERE x <> ALL (off.p) ORDER BY x),
        'grantOptions', off.g,
        'acl', coalesce(relsrc.acl, '[]'),
        'linkedTable', CASE WHEN off.relkind = 'S' THEN (
            SELECT json_build_object('schema', tn.nspname, 'name', t.relname)
            FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = off.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) END
    ) ORDER BY off.relname), '[]') AS j
    FROM off LEFT JOIN relsrc ON relsrc.rel = off.oid
),
`;

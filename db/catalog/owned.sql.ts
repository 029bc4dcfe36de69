/**
 * Objects the role itself owns in this database, from the owner dependencies
 * (pg_shdepend, indexed) that REASSIGN OWNED uses, as OwnedObject JSON.
 */
export const OWNED_SQL = String.raw`
-- Objects the role itself owns in this database, from the owner dependencies (pg_shdepend, indexed)
-- that REASSIGN OWNED uses. A sequence linked to a column moves with its table.
own AS (
    SELECT s.classid, s.objid, s.objsubid FROM pg_catalog.pg_shdepend s JOIN app ON s.refobjid = app.oid
    WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.deptype = 'o' AND s.dbid = (SELECT oid FROM db)
),
owned AS (
    SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                WHEN 'm' THEN 'materialized view'
                WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'type' END AS kind,
           n.nspname::text AS schema, c.relname::text AS name, NULL::text AS args,
           (SELECT json_agg(json_build_object('schema', sn.nspname, 'name', sq.relname) ORDER BY sq.relname)
            FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class sq ON sq.oid = d.objid
            JOIN pg_catalog.pg_namespace sn ON sn.oid = sq.relnamespace
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
              AND sq.relkind = 'S') AS linked
    FROM own JOIN pg_catalog.pg_class c ON own.classid = 'pg_catalog.pg_class'::regclass AND c.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
            WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT 'schema', NULL, n.nspname::text, NULL, NULL
    FROM own JOIN pg_catalog.pg_namespace n ON own.classid = 'pg_catalog.pg_namespace'::regclass AND n.oid = own.objid
    UNION ALL
    SELECT 'routine', n.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid), NULL
    FROM own JOIN pg_catalog.pg_proc p ON own.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    UNION ALL
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname::text, t.typname::text, NULL, NULL
    FROM own JOIN pg_catalog.pg_type t ON own.classid = 'pg_catalog.pg_type'::regclass AND t.oid = own.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r')
    UNION ALL
    SELECT 'other', NULL, pg_catalog.pg_describe_object(own.classid, own.objid, own.objsubid), NULL, NULL
    FROM own WHERE own.classid NOT IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_namespace'::regclass,
        'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_type'::regclass)
    UNION ALL
    SELECT 'database', NULL, db.datname::text, NULL, NULL FROM db JOIN app ON db.datdba = app.oid
),
ownedj AS (
    SELECT coalesce(json_agg(json_build_object('kind', kind, 'schema', schema, 'name', name, 'args', args,
        'linked', coalesce(linked, '[]')) ORDER BY kind, schema, name, args), '[]') AS j
    FROM owned
),
`;

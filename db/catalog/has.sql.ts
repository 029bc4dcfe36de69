/**
 * Relations the ACL alone cannot decide (the role is a superuser, owns the
 * relation or inherits from other roles): Postgres's own answer through
 * has_*_privilege with the role's oid, so grants to PUBLIC, inherited
 * memberships, predefined roles, ownership and column grants all count.
 * When the role does not exist there is no `item` row and nothing is asked.
 */
export const HAS_SQL = String.raw`
-- A cheap check per relation first: the set's privileges are all there (an aclcontains shortcut for the
-- role's own item, else one call each) and nothing else is (one any-of call, grant options included;
-- has_any_column_privilege only where columns have ACLs).
hasflag AS (
    SELECT r.oid FROM cand r JOIN sets s ON s.tset = r.tset CROSS JOIN item it
    WHERE r.oid IS NOT NULL AND NOT r.aclpath AND (
        NOT (coalesce(r.relowner = it.owner AND r.relacl @> s.roleitem, false)
             OR NOT EXISTS (SELECT 1 FROM unnest(s.privs) AS p(priv) WHERE NOT CASE WHEN r.relkind = 'S'
                 THEN pg_catalog.has_sequence_privilege(it.role, r.oid, p.priv)
                 ELSE pg_catalog.has_table_privilege(it.role, r.oid, p.priv) END))
        OR CASE WHEN r.relkind = 'S' THEN pg_catalog.has_sequence_privilege(it.role, r.oid, s.excess)
                ELSE pg_catalog.has_table_privilege(it.role, r.oid, s.excess) END
        OR (r.relkind <> 'S' AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = r.oid AND a.attnum > 0 AND a.attacl IS NOT NULL)
            AND pg_catalog.has_any_column_privilege(it.role, r.oid, s.colexcess)))
),
-- Sequences' privileges, only for what is flagged (tables' are in tabpriv.sql.ts).
seqpriv AS (
    SELECT r.oid,
        array_remove(ARRAY[
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'USAGE') THEN 'USAGE' END,
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'SELECT') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'UPDATE') THEN 'UPDATE' END], NULL) AS p,
        array_remove(ARRAY[
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'USAGE WITH GRANT OPTION') THEN 'USAGE' END,
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'SELECT WITH GRANT OPTION') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_sequence_privilege(it.role, r.oid, 'UPDATE WITH GRANT OPTION') THEN 'UPDATE' END],
            NULL) AS g
    FROM cand r CROSS JOIN item it
    WHERE r.relkind = 'S' AND NOT r.aclpath AND r.oid IN (SELECT oid FROM hasflag)
),
`;

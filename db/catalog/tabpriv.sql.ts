/**
 * Every table privilege of the role, asked of Postgres, for the relations
 * has.sql.ts flagged and the unclassified ones (when the ACL alone cannot
 * decide): object level, column level beyond the object's, and those held
 * WITH GRANT OPTION (on the table or some column). MAINTAIN only on 17+.
 */
export const TABPRIV_SQL = String.raw`
tabpriv AS (
    SELECT t.oid,
        array_remove(ARRAY[CASE WHEN t.s THEN 'SELECT' END, CASE WHEN t.i THEN 'INSERT' END,
            CASE WHEN t.u THEN 'UPDATE' END, CASE WHEN t.d THEN 'DELETE' END, CASE WHEN t.tr THEN 'TRUNCATE' END,
            CASE WHEN t.rf THEN 'REFERENCES' END, CASE WHEN t.tg THEN 'TRIGGER' END,
            CASE WHEN t.mt THEN 'MAINTAIN' END], NULL) AS p,
        array_remove(ARRAY[
            CASE WHEN NOT t.s AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'SELECT') THEN 'SELECT' END,
            CASE WHEN NOT t.i AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'INSERT') THEN 'INSERT' END,
            CASE WHEN NOT t.u AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'UPDATE') THEN 'UPDATE' END,
            CASE WHEN NOT t.rf AND pg_catalog.has_any_column_privilege(t.role, t.oid, 'REFERENCES')
                 THEN 'REFERENCES' END], NULL) AS c,
        array_remove(ARRAY[
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'SELECT WITH GRANT OPTION') THEN 'SELECT' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'INSERT WITH GRANT OPTION') THEN 'INSERT' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'UPDATE WITH GRANT OPTION') THEN 'UPDATE' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'DELETE WITH GRANT OPTION') THEN 'DELETE' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'TRUNCATE WITH GRANT OPTION') THEN 'TRUNCATE' END,
            CASE WHEN pg_catalog.has_any_column_privilege(t.role, t.oid, 'REFERENCES WITH GRANT OPTION')
                 THEN 'REFERENCES' END,
            CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid, 'TRIGGER WITH GRANT OPTION') THEN 'TRIGGER' END,
            CASE WHEN t.maintain THEN CASE WHEN pg_catalog.has_table_privilege(t.role, t.oid,
                 'MAINTAIN WITH GRANT OPTION') THEN 'MAINTAIN' END END], NULL) AS g
    FROM (
        SELECT r.oid, it.role, ver.maintain,
            pg_catalog.has_table_privilege(it.role, r.oid, 'SELECT') AS s,
            pg_catalog.has_table_privilege(it.role, r.oid, 'INSERT') AS i,
            pg_catalog.has_table_privilege(it.role, r.oid, 'UPDATE') AS u,
            pg_catalog.has_table_privilege(it.role, r.oid, 'DELETE') AS d,
            pg_catalog.has_table_privilege(it.role, r.oid, 'TRUNCATE') AS tr,
            pg_catalog.has_table_privilege(it.role, r.oid, 'REFERENCES') AS rf,
            pg_catalog.has_table_privilege(it.role, r.oid, 'TRIGGER') AS tg,
            -- CASE, not AND: only CASE guarantees MAINTAIN is never named to a PostgreSQL 16.
            CASE WHEN ver.maintain THEN pg_catalog.has_table_privilege(it.role, r.oid, 'MAINTAIN') ELSE false END AS mt
        FROM cand r CROSS JOIN item it CROSS JOIN ver
        WHERE r.oid IS NOT NULL AND r.relkind <> 'S' AND NOT r.aclpath
          AND (r.tset IS NULL OR r.oid IN (SELECT oid FROM hasflag))
    ) t
),
`;

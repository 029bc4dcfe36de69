/**
 * What a correct grant leaves, per set (A application, O appendOnly,
 * L locked, S every sequence): the privileges the role must hold, the exact
 * ACL renderSql produces on a relation the database owner owns (the owner's
 * default item, then the role's), and the privileges that must be absent
 * (has.sql.ts asks for them in one any-of call). Made once per query.
 */
export const EXPECTED_SQL = String.raw`
-- Postgres adds to what a role's and PUBLIC's ACL items give only for a superuser, an owner, and the
-- roles it inherits from (owner roles, predefined roles; a database owner inherits pg_database_owner).
-- For a "plain" role, none of these, a relation's ACL alone decides its privileges (aclmask).
item AS (
    SELECT db.datdba AS owner, app.oid AS role,
        NOT app.rolsuper AND app.oid <> db.datdba AND NOT EXISTS (SELECT 1 FROM reach WHERE reach.inh) AS plain
    FROM db CROSS JOIN app
),
sets AS (
    SELECT s.tset, s.privs::text[] AS privs,
        CASE WHEN s.grants <> '' THEN pg_catalog.makeaclitem(app.oid, db.datdba, s.grants, false) END AS roleitem,
        ARRAY[pg_catalog.makeaclitem(db.datdba, db.datdba, replace(s.owner_privs, '%M', s.m), false)]
            || CASE WHEN s.grants = '' THEN '{}'::aclitem[]
                    ELSE ARRAY[pg_catalog.makeaclitem(app.oid, db.datdba, s.grants, false)] END AS acl,
        replace(s.excess, '%M', s.m) AS excess, replace(s.colexcess, '%M', s.m) AS colexcess
    FROM (
        SELECT v.*, CASE WHEN ver.maintain THEN ', MAINTAIN' ELSE '' END AS m,
            CASE WHEN v.tset = 'S' THEN 'SELECT, UPDATE, USAGE'
                 ELSE 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER%M' END AS owner_privs
        FROM (VALUES
            ('A', '{SELECT,INSERT,UPDATE,DELETE}', 'SELECT, INSERT, UPDATE, DELETE',
             'TRUNCATE, REFERENCES, TRIGGER%M, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION, '
                 'UPDATE WITH GRANT OPTION, DELETE WITH GRANT OPTION',
             'REFERENCES, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION, UPDATE WITH GRANT OPTION'),
            ('O', '{SELECT,INSERT}', 'SELECT, INSERT',
             'UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER%M, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION',
             'UPDATE, REFERENCES, SELECT WITH GRANT OPTION, INSERT WITH GRANT OPTION'),
            ('L', '{}', '', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER%M',
             'SELECT, INSERT, UPDATE, REFERENCES'),
            ('S', '{USAGE}', 'USAGE', 'SELECT, UPDATE, USAGE WITH GRANT OPTION', '')
        ) AS v(tset, privs, grants, excess, colexcess)
        CROSS JOIN ver
    ) s
    CROSS JOIN db LEFT JOIN app ON true
),
`;

-- snapshot_pg.sql: mig's PostgreSQL snapshot, one set-based query over the
-- catalogs (no query per object).  Built into core/ as a C string
-- (core/snapshot_pg.h, by the Makefile) and run by the extension with
-- search_path = '' (so every name the server prints is schema-qualified);
-- the client can run the same text over libpq.  It returns one row: a JSON
-- array of objects; core/schema_pg.c checks and sorts them into the
-- canonical snapshot.  $1: 1 to include owners, 0 not.
--
-- Left out: the system schemas, mig's own schema, temporary schemas,
-- objects that belong to an extension (CREATE EXTENSION makes them), rows of
-- tables, implicit objects (array types, table row types, the indexes of
-- constraints, identity sequences, partitions' cloned indexes, triggers and
-- constraints).
--
-- Cost follows the catalogs, not their square: every per-object lookup
-- goes through an index (pg_depend by its referenced object, comments by
-- pg_description's key, not obj_description per object), and the result
-- is built as text (bench/schema_pg.sh: 10,000 tables in about 1.2x the
-- time of pg_dump --schema-only).
WITH
nsp AS (
    SELECT n.oid, n.nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'mig')
      AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objid = n.oid
                        AND d.deptype = 'e')
),
-- members of extensions: never in a snapshot
ext_member AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
),
-- grants: an object's ACL against the default its owner would have;
-- entries added (GRANT) and default entries taken away (REVOKE)
rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.relpersistence, c.relispartition,
           c.relrowsecurity, c.relforcerowsecurity, c.reloptions, c.relispopulated, n.nspname
    FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'c', 'f')
      AND NOT EXISTS (SELECT 1 FROM ext_member e
                      WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid)
),
objs AS (
-- schemas
SELECT pg_catalog.jsonb_build_object(
    'kind', 'schema', 'name', n.nspname,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(s.nspowner) END,
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = n.oid AND ds.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND ds.objsubid = 0),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(s.nspacl) a
        WHERE s.nspacl IS NOT NULL AND a.grantee <> s.nspowner) x))
FROM nsp n JOIN pg_catalog.pg_namespace s ON s.oid = n.oid
UNION ALL
-- extensions (but mig itself)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'extension', 'name', x.extname, 'extension_schema', en.nspname, 'version', x.extversion,
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = x.oid AND ds.classoid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND ds.objsubid = 0))
FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace en ON en.oid = x.extnamespace
WHERE x.extname <> 'mig'
UNION ALL
-- tables (ordinary, partitioned, foreign tables are left out)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'table', 'schema', c.nspname, 'name', c.relname,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(c.relowner) END,
    'unlogged', CASE WHEN c.relpersistence = 'u' THEN true END,
    'partition_by', CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
    'partition_of', (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.relname)
                     FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                     JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                     WHERE i.inhrelid = c.oid AND c.relispartition),
    'partition_bound', CASE WHEN c.relispartition THEN
                     (SELECT pg_catalog.pg_get_expr(k.relpartbound, k.oid) FROM pg_catalog.pg_class k WHERE k.oid = c.oid) END,
    'inherits', (SELECT pg_catalog.jsonb_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.relname)
                                             ORDER BY i.inhseqno)
                 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                 JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                 WHERE i.inhrelid = c.oid AND NOT c.relispartition),
    'row_security', CASE WHEN c.relrowsecurity THEN true END,
    'force_row_security', CASE WHEN c.relforcerowsecurity THEN true END,
    'options', (SELECT pg_catalog.jsonb_agg(o ORDER BY o) FROM pg_catalog.unnest(c.reloptions) o),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0),
    'columns', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'name', a.attname,
            'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
            'not_null', CASE WHEN a.attnotnull THEN true END,
            'default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END,
            'generated', CASE WHEN a.attgenerated = 's' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END,
            'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
            'identity_options', CASE WHEN a.attidentity <> '' THEN (
                SELECT pg_catalog.format('START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s',
                           sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache,
                           CASE WHEN sq.seqcycle THEN ' CYCLE' ELSE '' END)
                FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = d.objid
                WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid
                  AND d.refobjsubid = a.attnum
                  AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'i' LIMIT 1) END,
            'collation', CASE WHEN a.attcollation <> t.typcollation THEN
                (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                 FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                 WHERE co.oid = a.attcollation) END,
            'inherited', CASE WHEN NOT a.attislocal THEN true END,
            'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
            'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum),
            'grants', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                           'privilege', x.privilege_type,
                           'grantee', CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END,
                           'grantable', CASE WHEN x.is_grantable THEN true END))
                           ORDER BY x.privilege_type, x.grantee)
                       FROM pg_catalog.aclexplode(a.attacl) x)))
            ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
    'constraints', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'name', k.conname,
            'type', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check'
                                   WHEN 'f' THEN 'foreign key' WHEN 'x' THEN 'exclude' END,
            'def', pg_catalog.pg_get_constraintdef(k.oid),
            'references', CASE WHEN k.contype = 'f' THEN
                (SELECT pg_catalog.quote_ident(rn.nspname) || '.' || pg_catalog.quote_ident(r.relname)
                 FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
                 WHERE r.oid = k.confrelid) END,
            'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = k.oid AND ds.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND ds.objsubid = 0)))
            ORDER BY k.conname)
        FROM pg_catalog.pg_constraint k
        WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f', 'x') AND k.conislocal
          AND (k.conparentid = 0 OR k.contype = 'c')),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(c.relacl) a
        WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner
        ) x))
FROM rel c
WHERE c.relkind IN ('r', 'p')
UNION ALL
-- views and materialized views
SELECT pg_catalog.jsonb_build_object(
    'kind', 'view', 'schema', c.nspname, 'name', c.relname,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(c.relowner) END,
    'materialized', CASE WHEN c.relkind = 'm' THEN true END,
    'options', (SELECT pg_catalog.jsonb_agg(o ORDER BY o) FROM pg_catalog.unnest(c.reloptions) o),
    'select', pg_catalog.pg_get_viewdef(c.oid),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0),
    'column_comments', (SELECT pg_catalog.jsonb_object_agg(a.attname, (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum))
                        FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attnum > 0 AND (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum) IS NOT NULL),
    'depends_on', (SELECT pg_catalog.jsonb_agg(DISTINCT dep)
        FROM (SELECT CASE WHEN d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN
                          pg_catalog.quote_ident(rn.nspname) || '.' || pg_catalog.quote_ident(r.relname)
                          || CASE WHEN d.refobjsubid > 0 THEN
                                  '.' || pg_catalog.quote_ident((SELECT a.attname FROM pg_catalog.pg_attribute a
                                                                 WHERE a.attrelid = r.oid AND a.attnum = d.refobjsubid))
                             ELSE '' END
                     WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
                          d.refobjid::pg_catalog.regprocedure::text
                     WHEN d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass THEN
                          pg_catalog.format_type(d.refobjid, NULL)
                     END AS dep
              FROM pg_catalog.pg_rewrite rw
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
              LEFT JOIN pg_catalog.pg_class r ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND r.oid = d.refobjid
              LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
              WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid AND d.deptype = 'n') z
        WHERE dep IS NOT NULL),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(c.relacl) a
        WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner) x))
FROM rel c
WHERE c.relkind IN ('v', 'm')
UNION ALL
-- indexes (not those of constraints, not a partition's index attached to its parent's)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'index', 'schema', c.nspname, 'name', c.relname,
    'table', t.relname,
    'def', pg_catalog.pg_get_indexdef(c.oid),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0))
FROM rel c
JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
WHERE c.relkind IN ('i', 'I')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)
UNION ALL
-- sequences (not those of identity columns)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'sequence', 'schema', c.nspname, 'name', c.relname,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(c.relowner) END,
    'unlogged', CASE WHEN c.relpersistence = 'u' THEN true END,
    'type', pg_catalog.format_type(s.seqtypid, NULL),
    'start', s.seqstart::text, 'increment', s.seqincrement::text,
    'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text,
    'cycle', CASE WHEN s.seqcycle THEN true END,
    'owned_by', (SELECT pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.relname) || '.'
                        || pg_catalog.quote_ident(a.attname)
                 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                 JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a' LIMIT 1),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = c.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = 0),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(c.relacl) a
        WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner) x))
FROM rel c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
WHERE c.relkind = 'S'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'i')
UNION ALL
-- types: enums, domains, composite types, ranges
SELECT pg_catalog.jsonb_build_object(
    'kind', 'type', 'schema', n.nspname, 'name', t.typname,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(t.typowner) END,
    'type_kind', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range' END,
    'labels', CASE WHEN t.typtype = 'e' THEN
        (SELECT pg_catalog.jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END,
    'base_type', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END,
    'not_null', CASE WHEN t.typtype = 'd' AND t.typnotnull THEN true END,
    'default', CASE WHEN t.typtype = 'd' THEN t.typdefault END,
    'collation', CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN
        (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
         FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = t.typcollation) END,
    'constraints', CASE WHEN t.typtype = 'd' THEN
        (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', k.conname, 'def', pg_catalog.pg_get_constraintdef(k.oid))
                                     ORDER BY k.conname)
         FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c') END,
    'attributes', CASE WHEN t.typtype = 'c' THEN
        (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                    'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                    'collation', CASE WHEN a.attcollation <> at.typcollation THEN
                        (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                         FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                         WHERE co.oid = a.attcollation) END)) ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
         WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
    'range', CASE WHEN t.typtype = 'r' THEN
        (SELECT pg_catalog.concat_ws(', ',
                    'SUBTYPE = ' || pg_catalog.format_type(r.rngsubtype, NULL),
                    CASE WHEN r.rngsubopc <> 0 AND NOT oc.opcdefault THEN
                         'SUBTYPE_OPCLASS = ' || pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END,
                    CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN
                         'COLLATION = ' || (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                                            FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                                            WHERE co.oid = r.rngcollation) END,
                    CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL = ' || r.rngcanonical::pg_catalog.regproc::text END,
                    CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF = ' || r.rngsubdiff::pg_catalog.regproc::text END)
         FROM pg_catalog.pg_range r
         JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
         LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = r.rngsubopc
         LEFT JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
         WHERE r.rngtypid = t.oid) END,
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = t.oid AND ds.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ds.objsubid = 0),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(t.typacl) a
        WHERE t.typacl IS NOT NULL AND a.grantee <> t.typowner AND a.grantee <> 0
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('privilege', 'USAGE', 'grantee', 'PUBLIC', 'revoked', true)
        WHERE t.typacl IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(t.typacl) b WHERE b.grantee = 0)) x))
FROM pg_catalog.pg_type t
JOIN nsp n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
WHERE (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT k.relkind FROM pg_catalog.pg_class k WHERE k.oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM ext_member e
                  WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid = t.oid)
UNION ALL
-- functions and procedures (aggregates are left out)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'function', 'schema', n.nspname,
    'name', p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')',
    'arguments', pg_catalog.pg_get_function_identity_arguments(p.oid),
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(p.proowner) END,
    'procedure', CASE WHEN p.prokind = 'p' THEN true END,
    'returns', CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END,
    'def', pg_catalog.pg_get_functiondef(p.oid),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = p.oid AND ds.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ds.objsubid = 0),
    'grants', (SELECT pg_catalog.jsonb_agg(g ORDER BY g) FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('privilege', a.privilege_type,
                   'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                   'grantable', CASE WHEN a.is_grantable THEN true END)) AS g
        FROM pg_catalog.aclexplode(p.proacl) a
        WHERE p.proacl IS NOT NULL AND a.grantee <> p.proowner AND a.grantee <> 0
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('privilege', 'EXECUTE', 'grantee', 'PUBLIC', 'revoked', true)
        WHERE p.proacl IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) b WHERE b.grantee = 0)) x))
FROM pg_catalog.pg_proc p
JOIN nsp n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid
                    AND e.deptype IN ('e', 'i'))
UNION ALL
-- triggers (not internal ones, not a partition's clone of its parent's)
SELECT pg_catalog.jsonb_build_object(
    'kind', 'trigger', 'schema', c.nspname, 'name', g.tgname, 'table', c.relname,
    'def', pg_catalog.pg_get_triggerdef(g.oid),
    'enabled', CASE g.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END,
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = g.oid AND ds.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND ds.objsubid = 0))
FROM pg_catalog.pg_trigger g
JOIN rel c ON c.oid = g.tgrelid
WHERE NOT g.tgisinternal AND g.tgparentid = 0
UNION ALL
-- event triggers
SELECT pg_catalog.jsonb_build_object(
    'kind', 'event_trigger', 'name', e.evtname,
    'event', e.evtevent,
    'tags', (SELECT pg_catalog.jsonb_agg(x ORDER BY x) FROM pg_catalog.unnest(e.evttags) x),
    'function', e.evtfoid::pg_catalog.regproc::text,
    'enabled', CASE e.evtenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END,
    'owner', CASE WHEN $1 = 1 THEN pg_catalog.pg_get_userbyid(e.evtowner) END,
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = e.oid AND ds.classoid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass AND ds.objsubid = 0))
FROM pg_catalog.pg_event_trigger e
WHERE NOT EXISTS (SELECT 1 FROM ext_member m
                  WHERE m.classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass AND m.objid = e.oid)
UNION ALL
-- row-level security policies
SELECT pg_catalog.jsonb_build_object(
    'kind', 'policy', 'schema', c.nspname, 'name', p.polname, 'table', c.relname,
    'permissive', CASE WHEN NOT p.polpermissive THEN false END,
    'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
    'roles', (SELECT pg_catalog.jsonb_agg(rn ORDER BY rn)
              FROM (SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END AS rn
                    FROM pg_catalog.unnest(p.polroles) r) z),
    'using', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
    'with_check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
    'comment', (SELECT ds.description FROM pg_catalog.pg_description ds WHERE ds.objoid = p.oid AND ds.classoid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND ds.objsubid = 0))
FROM pg_catalog.pg_policy p
JOIN rel c ON c.oid = p.polrelid
)
SELECT '[' || COALESCE(pg_catalog.string_agg(pg_catalog.jsonb_strip_nulls(o)::text, ', '), '') || ']' FROM objs AS x(o)

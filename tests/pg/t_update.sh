#!/bin/bash
# Extension versions: 0.1 (released) stays installable, and
# ALTER EXTENSION mig UPDATE (0.1 -> 0.2 -> 0.3 -> 0.4) keeps the revisions, the
# version state and the history, makes the procedure mig_run, the lock
# functions and the schema functions available, and leaves the same objects (signatures, privileges,
# tables, columns, constraints, ...) as a fresh install of the default
# version.  A dump of the updated database restores.
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
db=$PGDATABASE
fresh=${PGDATABASE}_fresh
restored=${PGDATABASE}_restored
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"; dropdb --if-exists "$fresh" >/dev/null 2>&1; dropdb --if-exists "$restored" >/dev/null 2>&1' EXIT

default=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_ext/mig.control)
check "the control file's default version is 0.4" 0.4 "$default"
check "the update paths 0.1 -> 0.2 -> 0.3 -> 0.4 exist" "0.1--0.2--0.3--0.4" \
    "$(q -c "SELECT path FROM pg_extension_update_paths('mig') WHERE source = '0.1' AND target = '0.4'")"

# ---- a 0.1 database with state ------------------------------------------------------------------------
q >/dev/null <<'SQL' || exit 1
CREATE EXTENSION mig VERSION '0.1';
CREATE SCHEMA acme;
SELECT mig_put_revision($r$-- mig:revision u1
-- mig:message first
-- mig:upgrade
CREATE TABLE u1_t (id int);
-- mig:downgrade
DROP TABLE u1_t;
$r$);
SELECT mig_put_revision($r$-- mig:revision u2
-- mig:down_revision u1
-- mig:upgrade
CREATE TABLE u2_t (id int);
-- mig:downgrade
DROP TABLE u2_t;
$r$);
SELECT mig_upgrade('head');
SELECT mig_downgrade('-1');
SELECT mig_upgrade('head');
SELECT mig_upgrade('u1', '{"tenant": "acme"}');
SQL
check "installed as 0.1" 0.1 "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'mig'")"
check "0.1 has no procedure mig_run" 0 "$(q -c "SELECT count(*) FROM pg_proc WHERE proname = 'mig_run'")"
state_sql="SELECT concat_ws(' | ', 'current=' || mig_current(), 'acme=' || mig_current('{\"tenant\": \"acme\"}'),
    'check=' || mig_check(),
    'revisions=' || (SELECT md5(string_agg(concat_ws(',', env, revision, checksum, source, seq, uploaded_at), ';' ORDER BY env, revision)) FROM mig.mig_revision),
    'versions=' || (SELECT string_agg(concat_ws(',', env, tenant, version_num), ';' ORDER BY env, tenant, version_num) FROM mig.mig_version),
    'history=' || (SELECT md5(string_agg(concat_ws(',', id, env, tenant, revision, direction, checksum, applied_by, started_at, duration_ms), ';' ORDER BY id)) FROM mig.mig_history),
    'nhistory=' || (SELECT count(*) FROM mig.mig_history))"
before=$(q -c "$state_sql")
echo "# before: $before"

# ---- ALTER EXTENSION mig UPDATE ---------------------------------------------------------------------------------
if q -c "ALTER EXTENSION mig UPDATE"; then echo "ok - ALTER EXTENSION mig UPDATE"; else echo "not ok - ALTER EXTENSION mig UPDATE"; fail=1; fi
check "the extension is at $default" "$default" "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'mig'")"
check "revisions, version rows and history are kept" "$before" "$(q -c "$state_sql")"
check "mig_current() is u2" u2 "$(q -c "SELECT mig_current()")"

# the procedure works after the update
q -c "SELECT mig_put_revision(\$r\$-- mig:revision u3
-- mig:down_revision u2
-- mig:upgrade
CREATE TABLE u3_t (id int);
\$r\$)" -c "SELECT mig_put_revision(\$r\$-- mig:revision u4
-- mig:down_revision u3
-- mig:upgrade
CREATE TABLE u4_t (id int);
\$r\$)" >/dev/null || exit 1
check "CALL mig_run('upgrade', 'head', each) works after the update" u4 \
    "$(q -c "CALL mig_run('upgrade', 'head', '{\"transaction\": \"each\"}')" -c "SELECT mig_current()")"
check "... committing u3 and u4 separately" "2|2" \
    "$(q -c "SELECT count(*), count(DISTINCT xmin::text) FROM mig.mig_history WHERE revision IN ('u3', 'u4')")"
check "the history ids continue after the old ones" t \
    "$(q -c "SELECT min(id) FILTER (WHERE revision = 'u3') > max(id) FILTER (WHERE revision <> 'u3' AND revision <> 'u4') FROM mig.mig_history")"

# ---- the objects equal those of a fresh $default install ------------------------------------------------------------
createdb "$fresh" || exit 1
q -d "$fresh" -c "CREATE EXTENSION mig" || exit 1
check "a fresh install is $default" "$default" "$(q -d "$fresh" -c "SELECT extversion FROM pg_extension WHERE extname = 'mig'")"
objects_sql=$(cat <<'SQL'
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'mig'),
members AS (SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, ext
            WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rels AS (SELECT objid AS oid FROM members WHERE classid = 'pg_class'::regclass)
SELECT 'member: ' || pg_describe_object(classid, objid, objsubid) FROM members
UNION ALL
SELECT format('routine: %s kind=%s result=%s args=(%s) volatile=%s strict=%s secdef=%s parallel=%s cost=%s rows=%s lang=%s src=%s bin=%s acl=%s config=%s',
              p.oid::regprocedure, p.prokind, pg_get_function_result(p.oid), pg_get_function_arguments(p.oid),
              p.provolatile, p.proisstrict, p.prosecdef, p.proparallel, p.procost, p.prorows, l.lanname, p.prosrc,
              p.probin, p.proacl, p.proconfig)
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
UNION ALL
SELECT format('relation: %s kind=%s acl=%s persistence=%s options=%s', c.oid::regclass, c.relkind, c.relacl,
              c.relpersistence, c.reloptions)
FROM pg_class c JOIN rels r ON r.oid = c.oid
UNION ALL
SELECT format('column: %s.%s %s notnull=%s default=%s identity=%s collation=%s acl=%s', a.attrelid::regclass,
              a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
              a.attidentity, a.attcollation, a.attacl)
FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT format('constraint: %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(co.oid))
FROM pg_constraint co JOIN rels r ON r.oid = co.conrelid
UNION ALL
SELECT format('index: %s', pg_get_indexdef(i.indexrelid))
FROM pg_index i JOIN rels r ON r.oid = i.indrelid
UNION ALL
SELECT format('sequence: %s type=%s start=%s inc=%s min=%s max=%s cache=%s cycle=%s owned_by=%s',
              s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
              s.seqcycle, pg_get_serial_sequence('mig.mig_revision', 'seq') || ',' || pg_get_serial_sequence('mig.mig_history', 'id'))
FROM pg_sequence s JOIN rels r ON r.oid = s.seqrelid
UNION ALL
SELECT format('schema: %s owner=%s acl=%s', n.nspname, n.nspowner::regrole, n.nspacl)
FROM pg_namespace n JOIN members m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
UNION ALL
SELECT format('init privileges: %s %s %s', pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), ip.privtype, ip.initprivs)
FROM pg_init_privs ip JOIN members m ON m.classid = ip.classoid AND m.objid = ip.objoid
UNION ALL
SELECT format('extension: schema=%s relocatable=%s config=%s conditions=%s', e.extnamespace::regnamespace,
              e.extrelocatable, e.extconfig::regclass[], e.extcondition)
FROM pg_extension e WHERE e.extname = 'mig'
ORDER BY 1
SQL
)
q -c "$objects_sql" >"$tmp/updated.txt" || fail=1
q -d "$fresh" -c "$objects_sql" >"$tmp/fresh.txt" || fail=1
echo "# $(wc -l <"$tmp/fresh.txt") catalog lines describe a fresh $default install"
check "the catalog description covers the 17 routines and 29 columns (of tables and sequences)" "17|29" \
    "$(echo "$(grep -c '^routine:' "$tmp/fresh.txt")|$(grep -c '^column:' "$tmp/fresh.txt")")"
check "mig_run is a procedure with PUBLIC revoked in a fresh install" 1 \
    "$(grep -c "^routine: mig_run(text,text,text) kind=p .*acl={postgres=X/postgres}" "$tmp/fresh.txt")"
check "mig_lock and mig_unlock have PUBLIC revoked in a fresh install" 2 \
    "$(grep -c "^routine: mig_\(un\)\?lock(text) kind=f .*acl={postgres=X/postgres}" "$tmp/fresh.txt")"
check "mig_snapshot runs with an empty search_path, in UTC, with pg_dump's output settings" 1 \
    "$(grep -c '^routine: mig_snapshot(text) kind=f .* config={"search_path=\\"\\"",TimeZone=UTC,"DateStyle=ISO, YMD",IntervalStyle=postgres,extra_float_digits=3,jit=off}$' "$tmp/fresh.txt")"
if diff -u "$tmp/fresh.txt" "$tmp/updated.txt" >"$tmp/diff.txt"; then
    echo "ok - the objects of the updated 0.1 -> $default database equal those of a fresh $default install"
else
    echo "not ok - the objects of the updated 0.1 -> $default database differ from a fresh $default install"
    sed 's/^/# /' "$tmp/diff.txt"
    fail=1
fi

# ---- dump and restore of the updated database -----------------------------------------------------------------------
pg_dump -Fc -f "$tmp/db.dump" "$db" || { echo "not ok - pg_dump -Fc of the updated database"; exit 1; }
createdb "$restored" || exit 1
if pg_restore --exit-on-error -d "$restored" "$tmp/db.dump" 2>"$tmp/restore.err"; then
    echo "ok - pg_restore of the updated database"
else
    echo "not ok - pg_restore of the updated database"; sed 's/^/# /' "$tmp/restore.err"; fail=1
fi
check "the restored extension is $default" "$default" "$(q -d "$restored" -c "SELECT extversion FROM pg_extension WHERE extname = 'mig'")"
check "the restored state equals the updated one" "$(q -c "$state_sql")" "$(q -d "$restored" -c "$state_sql")"
check "the restored objects equal a fresh $default install" "$(md5sum <"$tmp/fresh.txt")" \
    "$(q -d "$restored" -c "$objects_sql" | md5sum)"
exit $fail

#!/bin/bash
# SPEC §4: the state tables are registered with pg_extension_config_dump, so
# pg_dump -Fc / pg_restore into a new database keeps revisions, version
# state and history (and their sequences).
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
src=$PGDATABASE
dst=${PGDATABASE}_restored
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"; dropdb --if-exists "$dst" >/dev/null 2>&1' EXIT

q >/dev/null <<'SQL' || exit 1
CREATE EXTENSION mig;
CREATE SCHEMA acme;
SELECT mig_put_revision($r$-- mig:revision d1
-- mig:message first
-- mig:upgrade
CREATE TABLE d1_t (id int PRIMARY KEY);
INSERT INTO d1_t VALUES (1), (2);
-- mig:downgrade
DROP TABLE d1_t;
$r$);
SELECT mig_put_revision($r$-- mig:revision d2
-- mig:down_revision d1
-- mig:message second
-- mig:upgrade
CREATE TABLE d2_t (v text);
-- mig:downgrade
DROP TABLE d2_t;
$r$);
SELECT mig_put_revision($r$-- mig:revision d3
-- mig:down_revision d2
-- mig:message third
-- mig:upgrade
INSERT INTO d2_t VALUES ('three');
-- mig:downgrade
DELETE FROM d2_t WHERE v = 'three';
$r$);
SELECT mig_put_revision($r$-- mig:revision o1
-- mig:upgrade
CREATE TABLE o1_t (x int);
$r$, '{"env": "other"}');
SELECT mig_upgrade('head');
SELECT mig_downgrade('-1');
SELECT mig_upgrade('d3');
SELECT mig_downgrade('d2');
SELECT mig_upgrade('d1', '{"tenant": "acme"}');
SELECT mig_upgrade('head', '{"env": "other"}');
SQL

summary() { # the state of database $1 as one line
    q -d "$1" -c "SELECT concat_ws(' | ',
        'current=' || mig_current(), 'acme=' || mig_current('{\"tenant\":\"acme\"}'),
        'other=' || mig_current('{\"env\":\"other\"}'), 'check=' || mig_check(),
        'revisions=' || (SELECT count(*) FROM mig.mig_revision),
        'history=' || (SELECT count(*) FROM mig.mig_history),
        'versions=' || (SELECT count(*) FROM mig.mig_version))"
}
before=$(summary "$src")
echo "# before: $before"
check "the original is at d2, acme at d1, other at o1" "current=d2 | acme=d1 | other=o1 | check=false | revisions=4 | history=8 | versions=3" "$before"
fp_sql="SELECT md5(string_agg(concat_ws(',', env, revision, checksum, source, seq), ';' ORDER BY env, revision)) FROM mig.mig_revision"
fp_hist="SELECT md5(string_agg(concat_ws(',', id, env, tenant, revision, direction, checksum, applied_by, started_at), ';' ORDER BY id)) FROM mig.mig_history"
rev_fp=$(q -c "$fp_sql")
hist_fp=$(q -c "$fp_hist")

pg_dump -Fc -f "$tmp/db.dump" "$src" || { echo "not ok - pg_dump -Fc failed"; exit 1; }
echo "ok - pg_dump -Fc"
createdb "$dst" || exit 1
if pg_restore --exit-on-error -d "$dst" "$tmp/db.dump" 2>"$tmp/restore.err"; then
    echo "ok - pg_restore into a new database"
else
    echo "not ok - pg_restore into a new database"; sed 's/^/# /' "$tmp/restore.err"; fail=1
fi
check "the extension was recreated by pg_restore" 1 "$(q -d "$dst" -c "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")"
after=$(summary "$dst")
echo "# after:  $after"
check "mig_current(), the counts of mig_revision, mig_history, mig_version are equal" "$before" "$after"
check "mig_current() equals" "$(q -c 'SELECT mig_current()')" "$(q -d "$dst" -c 'SELECT mig_current()')"
check "count(*) of mig.mig_revision equals" "$(q -c 'SELECT count(*) FROM mig.mig_revision')" \
    "$(q -d "$dst" -c 'SELECT count(*) FROM mig.mig_revision')"
check "count(*) of mig.mig_history equals" "$(q -c 'SELECT count(*) FROM mig.mig_history')" \
    "$(q -d "$dst" -c 'SELECT count(*) FROM mig.mig_history')"
check "the stored revisions (sources, checksums, upload order) are identical" "$rev_fp" "$(q -d "$dst" -c "$fp_sql")"
check "the history rows are identical" "$hist_fp" "$(q -d "$dst" -c "$fp_hist")"
check "the migrated data came along" "2|0" "$(q -d "$dst" -c "SELECT (SELECT count(*) FROM d1_t) || '|' || (SELECT count(*) FROM d2_t)")"
check "the state tables are still extension members (not plain tables)" 3 \
    "$(q -d "$dst" -c "SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'mig' AND d.classid = 'pg_class'::regclass AND d.objid IN ('mig.mig_revision'::regclass, 'mig.mig_version'::regclass, 'mig.mig_history'::regclass)")"

# the restored database keeps working: its sequences came along too
check "mig_upgrade(head) works in the restored database" d3 "$(q -d "$dst" -c "SELECT mig_upgrade('head')" 2>&1)"
check "... and added one history row" "$(( $(q -c 'SELECT count(*) FROM mig.mig_history') + 1 ))" \
    "$(q -d "$dst" -c 'SELECT count(*) FROM mig.mig_history')"
check "the new history id is above the restored ones" t \
    "$(q -d "$dst" -c "SELECT max(id) > $(q -c 'SELECT max(id) FROM mig.mig_history') FROM mig.mig_history WHERE revision = 'd3'")"
check "mig_put_revision works in the restored database" n1 \
    "$(q -d "$dst" -c "SELECT mig_put_revision(E'-- mig:revision n1\n-- mig:down_revision d3\n-- mig:upgrade\nSELECT 1;\n')" 2>&1)"
check "the new revision sorts after the restored ones (seq)" n1 \
    "$(q -d "$dst" -c "SELECT revision FROM mig.mig_revision ORDER BY seq DESC LIMIT 1")"
check "the original is unchanged" "$before" "$(summary "$src")"
exit $fail

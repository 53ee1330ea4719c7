#!/bin/bash
# SQLite: the SQL API of SPEC §4 through the sqlite3 shell — every function
# with and without opts, envs, x-arguments and `if NAME` sections, dialect
# sections, stamp, remove, offline SQL, mig_plan, option errors,
# "transaction": "each", refused revision bodies, nested calls, and the set
# of registered functions.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

# ---- registered functions ------------------------------------------------
documented="mig_batch/2 mig_batch/3 mig_check/0 mig_check/1 mig_current/0 mig_current/1 mig_diff/2 mig_diff/3 mig_downgrade/1 mig_downgrade/2 mig_heads/0 mig_heads/1
mig_put_revision/1 mig_put_revision/2 mig_remove_revision/1 mig_remove_revision/2 mig_sql/2 mig_sql/3 mig_stamp/1
mig_snapshot/0 mig_snapshot/1 mig_snapshot_sql/1 mig_snapshot_sql/2 mig_stamp/2 mig_upgrade/1 mig_upgrade/2 mig_x/1"
got=$(q "$T/fresh.db" "SELECT DISTINCT name || '/' || narg FROM pragma_function_list WHERE name LIKE 'mig%' ORDER BY 1;")
missing=$(comm -23 <(tr ' ' '\n' <<<"$documented" | sort) <(sort <<<"$got") | tr '\n' ' ')
is "$missing" "" "every documented function is registered with its argument counts"
extra=$(comm -13 <(tr ' ' '\n' <<<"$documented" | sort) <(sort <<<"$got") | tr '\n' ' ')
is "$extra" "" "no undocumented mig function"
is "$(q "$T/fresh.db" "SELECT name FROM pragma_module_list WHERE name LIKE 'mig%';")" "mig_plan" \
    "mig_plan is a table-valued function (a module)"
is "$(q "$T/fresh.db" "SELECT mig_current() || '|' || mig_heads() || '|' || mig_check(); SELECT count(*) FROM mig_plan('upgrade', 'heads');
    SELECT count(*) FROM sqlite_master;")" "$(printf '||0\n0\n0')" \
    "read-only functions on a new database work and create no table"
like "$(q "$T/fresh.db" "SELECT mig_upgrade();")" "wrong number of arguments to function mig_upgrade\\(\\)" \
    "a wrong argument count is an error"
sql "$T/fresh.db" <<'EOF'
CREATE VIEW v_up AS SELECT mig_upgrade('head') AS h;
SELECT * FROM v_up;
CREATE TABLE trg (x);
CREATE TRIGGER trg_stamp AFTER INSERT ON trg BEGIN SELECT mig_stamp('base'); END;
INSERT INTO trg VALUES (1);
EOF
like "$ERR" 'unsafe use of mig_upgrade\(\)' "a state-changing function cannot run from a view"
like "$ERR" 'unsafe use of mig_stamp\(\)' "nor from a trigger"

# ---- the graph used below -------------------------------------------------
#   a1 -> b1 (left) -> d1 (depends on c1)
#   a1 -> c1 (right)
#   a1 -> xs (x-arguments and dialects)
cat >a1.sql <<'EOF'
-- mig:revision a1
-- mig:message the log table
-- mig:upgrade
CREATE TABLE log (step TEXT, val TEXT);
INSERT INTO log VALUES ('+a1', NULL);
-- mig:downgrade
DROP TABLE log;
EOF
for r in b1:a1:left c1:a1:right d1:b1:; do
    IFS=: read -r id down label <<<"$r"
    {
        printf -- '-- mig:revision %s\n-- mig:down_revision %s\n-- mig:message step %s\n' "$id" "$down" "$id"
        [ -n "$label" ] && printf -- '-- mig:branch_labels %s\n' "$label"
        [ "$id" = d1 ] && printf -- '-- mig:depends_on c1\n'
        printf -- "-- mig:upgrade\nINSERT INTO log VALUES ('+%s', NULL);\n" "$id"
        printf -- "-- mig:downgrade\nINSERT INTO log VALUES ('-%s', NULL);\n" "$id"
    } >"$id.sql"
done
cat >xs.sql <<'EOF'
-- mig:revision xs
-- mig:down_revision a1
-- mig:message x-arguments and dialects

-- mig:upgrade
INSERT INTO log VALUES ('+xs', mig_x('who'));
-- mig:upgrade if data
INSERT INTO log VALUES ('data', mig_x('data'));
-- mig:upgrade dialect=postgresql
CREATE INDEX CONCURRENTLY log_ix ON log (step);
-- mig:upgrade dialect=sqlite
INSERT INTO log VALUES ('sqlite section', NULL);
-- mig:upgrade if data dialect=sqlite
INSERT INTO log VALUES ('data and sqlite', NULL);
-- mig:upgrade dialect=postgresql if data
INSERT INTO log VALUES ('data and postgresql', NULL);
-- mig:downgrade
INSERT INTO log VALUES ('-xs', mig_x('who'));
EOF

sql "$DB" <<'EOF'
SELECT mig_put_revision(readfile('a1.sql'));
SELECT mig_put_revision(readfile('b1.sql'), '{}');
SELECT mig_put_revision(readfile('c1.sql'), '{"env": "default"}');
SELECT mig_put_revision(readfile('d1.sql'));
SELECT mig_put_revision(readfile('xs.sql'));
EOF
is "$OUT|$ERR" "$(printf 'a1\nb1\nc1\nd1\nxs|')" "mig_put_revision(src) and (src, opts) return the ids"
is "$(q "$DB" "SELECT revision, down_revisions, branch_labels, depends_on, message, transactional FROM mig_revision ORDER BY revision;")" \
    "$(printf 'a1||||the log table|1\nb1|a1|left||step b1|1\nc1|a1|right||step c1|1\nd1|b1||c1|step d1|1\nxs|a1|||x-arguments and dialects|1')" \
    "mig_revision holds the parsed header"
is "$(q "$DB" "SELECT mig_heads(); SELECT mig_heads('{\"env\": \"default\"}'); SELECT mig_current(); SELECT mig_current('{}');")" \
    "$(printf 'd1 xs\nd1 xs\n\n')" "mig_heads() and mig_current() with and without opts"

# ---- targets and errors -----------------------------------------------------
sql "$DB" <<<"SELECT mig_upgrade('head');"
like "$ERR" "Multiple head revisions.*The heads are c1, d1, xs\." "'head' with several heads is an error naming them (as Alembic, c1 counts: only a dependency points at it)"
sql "$DB" <<<"SELECT mig_upgrade('nosuch');"
ilike "$ERR" "nosuch" "an unknown target is an error naming it"
sql "$DB" <<<"SELECT mig_upgrade(NULL);"
like "$ERR" "must not be NULL" "a NULL target is an error"

# ---- mig_plan ---------------------------------------------------------------
snapshot "$DB" >before.snap
is "$(q "$DB" "SELECT * FROM mig_plan('upgrade', 'd1');")" \
    "$(printf '1|upgrade|a1|the log table\n2|upgrade|c1|step c1\n3|upgrade|b1|step b1\n4|upgrade|d1|step d1')" \
    "mig_plan('upgrade', 'd1'): step, direction, revision, message (dependency c1 first)"
is "$(q "$DB" "SELECT step, revision FROM mig_plan('upgrade', 'right@head', '{\"env\": \"default\"}');")" \
    "$(printf '1|a1\n2|c1')" "mig_plan with a label target and opts"
like "$(q "$DB" "SELECT count(*) FROM mig_plan('upgrade', 'd1', '{\"env\": \"other\"}');")" \
    "^Runtime error near line 2: upgrade d1: Can.t locate revision identified by .d1." \
    "mig_plan in another env does not see these revisions"
same_snapshot "$DB" before.snap "mig_plan changed nothing"
is "$(q "$DB" "SELECT mig_upgrade('d1'); SELECT group_concat(step, ' ') FROM log;")" \
    "$(printf 'd1\n+a1 +c1 +b1 +d1')" "mig_upgrade runs the planned steps in the planned order"
is "$(q "$DB" "SELECT * FROM mig_plan('downgrade', 'a1');")" \
    "$(printf '1|downgrade|d1|step d1\n2|downgrade|b1|step b1\n3|downgrade|c1|step c1')" \
    "mig_plan('downgrade', 'a1')"
is "$(q "$DB" "SELECT direction, revision FROM mig_plan('stamp', 'b1');")" "stamp|b1" "mig_plan('stamp', ...)"
is "$(q "$DB" "SELECT count(*) FROM mig_plan('upgrade', 'd1');")" 0 "nothing to plan at the target"
sql "$DB" <<<"SELECT * FROM mig_plan('sideways', 'head');"
like "$ERR" "direction must be 'upgrade', 'downgrade' or 'stamp'" "mig_plan: a bad direction is an error"
sql "$DB" <<<"SELECT * FROM mig_plan('upgrade');"
like "$ERR" "needs a direction and a target" "mig_plan: the target is required"

# ---- downgrade with and without opts ------------------------------------------
is "$(q "$DB" "DELETE FROM log; SELECT mig_downgrade('b1'); SELECT mig_downgrade('a1', '{\"env\": \"default\"}'); SELECT group_concat(step, ' ') FROM log;")" \
    "$(printf 'b1 c1\na1\n-d1 -b1 -c1')" "mig_downgrade(target) and (target, opts) return the heads after"
is "$(q "$DB" "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id);")" \
    "a1:upgrade c1:upgrade b1:upgrade d1:upgrade d1:downgrade b1:downgrade c1:downgrade" "mig_history records each step"
is "$(q "$DB" "SELECT count(*) FROM mig_history WHERE env = 'default' AND tenant = '' AND checksum GLOB '[0-9a-f]*'
                AND started_at LIKE '20%' AND duration_ms >= 0 AND applied_by IS NOT NULL;")" 7 \
    "history rows carry env, tenant, checksum, applied_by, started_at, duration_ms"

# ---- x-arguments, if-sections and dialects -------------------------------------
up_x() { # JSON-VALUE: upgrade xs with x data=VALUE, print the log, go back
    q "$DB" "DELETE FROM log;
             SELECT mig_upgrade('xs', '{\"x\": {\"data\": $1, \"who\": \"me\"}}');
             SELECT group_concat(step || '=' || coalesce(val, ''), ' ') FROM (SELECT * FROM log ORDER BY rowid);
             SELECT mig_downgrade('a1');"
}
# Alembic's `if x.get('data')`: any value but the false ones selects the section
for v in '"1"' '"true"' '"TRUE"' '"True"' '"yes"' '"YES"' '"on"' '"On"' 'true' '1' '"y"' '"2"' '"enabled"' \
    '"root@shop.example"'; do
    is "$(up_x "$v")" "$(printf 'xs\n+xs=me data=%s sqlite section= data and sqlite=\na1' "$(tr -d '"' <<<"$v")")" \
        "x data=$v selects: 'if data' sections run, dialect=postgresql ones do not"
done
for v in '"0"' '"false"' '"FALSE"' '"no"' '"No"' '"off"' '"OFF"' '""' 'false' '0' 'null'; do
    is "$(up_x "$v")" "$(printf 'xs\n+xs=me sqlite section=\na1')" "x data=$v is false: no 'if data' section runs"
done
is "$(q "$DB" "DELETE FROM log; SELECT mig_upgrade('xs'); SELECT group_concat(step || '=' || coalesce(val, 'NULL'), ' ') FROM log;")" \
    "$(printf 'xs\n+xs=NULL sqlite section=NULL')" "without x-arguments mig_x() is NULL and 'if' sections are skipped"
is "$(q "$DB" "SELECT mig_x('who'); SELECT typeof(mig_x('who'));")" "$(printf '\nnull')" "mig_x() outside a run is NULL"
is "$(q "$DB" "DELETE FROM log; SELECT mig_downgrade('a1', '{\"x\": {\"who\": 42}}'); SELECT val FROM log;")" \
    "$(printf 'a1\n42')" "x-arguments reach downgrade bodies (a number becomes text)"
sql "$DB" <<<"SELECT mig_upgrade('xs', '{\"x\": {\"data\": [1]}}');"
like "$ERR" 'x-argument "data" must be a string, number or boolean' "an x-argument that is an array is an error"
sql "$DB" <<<"SELECT mig_upgrade('xs', '{\"x\": \"data\"}');"
like "$ERR" 'option "x" must be an object' "x must be an object"

# ---- offline SQL -------------------------------------------------------------
snapshot "$DB" >before.snap
sql "$DB" <<<"SELECT mig_sql('upgrade', 'd1');"
script=$OUT
is "$ERR" "" "mig_sql('upgrade', 'd1') works"
same_snapshot "$DB" before.snap "mig_sql changed nothing"
like "$script" "-- Running upgrade a1 -> c1, step c1"$'\n'"INSERT INTO log VALUES \('\+c1', NULL\);" "the script holds the bodies with a header per step"
like "$script" "UPDATE main.mig_version SET version_num = 'd1' WHERE env = 'default' AND tenant = '' AND version_num = 'c1';" \
    "and the version bookkeeping"
like "$script" "INSERT INTO main.mig_history" "and the history rows"
unlike "$script" "'\+a1'" "a1, already applied, is not in it"
# the script applied to a copy of the database gives what mig_upgrade gives
cp "$DB" copy.db
raw copy.db "DELETE FROM log;"
printf '%s\n' "$script" | "$SQLITE3" -batch -bail copy.db 2>&1
ok $? "the script runs in the plain sqlite3 shell (no extension)"
is "$(q copy.db "SELECT mig_current(); SELECT group_concat(step, ' ') FROM log;")" \
    "$(printf 'd1\n+c1 +b1 +d1')" "and leaves the database at d1"
is "$(q "$DB" "SELECT mig_sql('upgrade', 'a1:b1');" | grep -c '^-- Running')" 1 "mig_sql with a FROM:TO range"
like "$(q "$DB" "SELECT mig_sql('downgrade', 'base');")" "-- Running downgrade a1 -> , the log table"$'\n'"DROP TABLE log;" "a downgrade script"
x_script=$(q "$DB" "SELECT mig_sql('upgrade', 'xs', '{\"x\": {\"data\": \"on\"}}');")
like "$x_script" "'data and sqlite'" "mig_sql with x: the 'if data' sections are in"
unlike "$x_script" "CONCURRENTLY|data and postgresql" "the dialect=postgresql sections are not"
unlike "$(q "$DB" "SELECT mig_sql('upgrade', 'xs');")" "'data and sqlite'" "without x they are not"
sql "$DB" <<<"SELECT mig_sql('sideways', 'head');"
like "$ERR" "direction must be" "mig_sql: a bad direction is an error"
# a script for PostgreSQL, written by the SQLite engine (what the client does offline)
pg_script=$(q "$DB" "SELECT mig_sql('upgrade', 'base:xs', '{\"dialect\": \"postgresql\", \"tenant\": \"acme\", \"x\": {\"data\": \"on\"}}');")
like "$pg_script" "^-- mig offline script: upgrade base:xs \(env default, postgresql\)"$'\n'"SET standard_conforming_strings = on;"$'\n'"BEGIN;"$'\n'"CREATE EXTENSION IF NOT EXISTS mig;"$'\n'"SET LOCAL search_path = \"acme\", public;" \
    "mig_sql with dialect postgresql: PostgreSQL's preamble, the tenant's search_path"
like "$pg_script" "data and postgresql" "... the dialect=postgresql sections are in"
unlike "$pg_script" "data and sqlite|main\.mig_|\.bail" "... and no SQLite section or state table"
like "$pg_script" "UPDATE mig\.mig_version SET version_num = 'xs' WHERE env = 'default' AND tenant = 'acme' AND version_num = 'a1';" \
    "... the version recorded in the extension's table, for the tenant"
sql "$DB" <<<"SELECT mig_sql('upgrade', 'xs', '{\"dialect\": \"postgresql\"}');"
like "$ERR" "needs a FROM:TO range" "a script for another database without FROM:TO: an error (this database's state is not that one's)"
sql "$DB" <<<"SELECT mig_upgrade('xs', '{\"dialect\": \"postgresql\"}');"
like "$ERR" "only for mig_sql\(\) with a FROM:TO range" "option dialect on mig_upgrade: an error"
sql "$DB" <<<"SELECT mig_sql('upgrade', 'base:xs', '{\"dialect\": \"oracle\"}');"
like "$ERR" "\"dialect\" must be \"sqlite\" or \"postgresql\"" "an unknown dialect: an error"
sql "$DB" <<<"SELECT mig_sql('upgrade', 'base:xs', '{\"tenant\": \"acme\"}');"
like "$ERR" "tenant.*PostgreSQL only" "a tenant in a SQLite script: still an error"

# ---- stamp ---------------------------------------------------------------------
hist=$(q "$DB" "SELECT max(id) FROM mig_history;")
is "$(q "$DB" "DELETE FROM log; SELECT mig_stamp('d1'); SELECT mig_current(); SELECT count(*) FROM log;")" "$(printf 'd1\nd1\n0')" \
    "mig_stamp('d1') moves the state and runs nothing"
is "$(q "$DB" "SELECT group_concat(coalesce(revision, 'NULL') || ':' || direction, ' ') FROM mig_history WHERE id > $hist;")" \
    "d1:stamp" "a stamp is recorded in mig_history as direction stamp"
is "$(q "$DB" "SELECT mig_stamp('c1 xs'); SELECT mig_stamp('b1,xs', '{}');")" "$(printf 'c1 xs\nb1 c1 xs')" \
    "several targets, separated by a space or a comma"
is "$(q "$DB" "SELECT mig_stamp('b1', '{\"purge\": true}');")" "b1" "purge: only the given target remains"
is "$(q "$DB" "SELECT mig_stamp('xs', '{\"purge\": false}');")" "b1 xs" "purge false: the other heads stay"
is "$(q "$DB" "SELECT mig_stamp('base');")" "" "mig_stamp('base') empties the state"
sql "$DB" <<<"SELECT mig_stamp('xs', '{\"purge\": \"yes\"}');"
like "$ERR" 'option "purge" must be true or false' "purge must be a boolean"
q "$DB" "SELECT mig_stamp('a1', '{\"purge\": true}');" >/dev/null

# ---- mig_remove_revision ---------------------------------------------------------
sql "$DB" <<<"SELECT mig_remove_revision('a1');"
like "$ERR" "revision a1 is applied in env \"default\" and cannot be removed" "an applied revision cannot be removed"
sql "$DB" <<<"SELECT mig_remove_revision('b1');"
like "$ERR" "revision b1 is the down_revision of d1" "a revision that is a down_revision cannot be removed"
sql "$DB" <<<"SELECT mig_remove_revision('c1');"
like "$ERR" "revision d1 depends on c1" "a revision another depends on cannot be removed"
sql "$DB" <<<"SELECT mig_remove_revision('zz9');"
like "$ERR" "no revision zz9 is stored" "an unknown revision is an error"
is "$(q "$DB" "SELECT mig_remove_revision('d1'); SELECT mig_remove_revision('b1', '{\"env\": \"default\"}'); SELECT mig_heads();")" \
    "$(printf 'd1\nb1\nc1 xs')" "unapplied leaves are removed, with and without opts"
is "$(q "$DB" "SELECT count(*) FROM mig_revision WHERE revision IN ('b1', 'd1');")" 0 "they are gone from mig_revision"
q "$DB" "SELECT mig_put_revision(readfile('b1.sql')); SELECT mig_put_revision(readfile('d1.sql'));" >/dev/null

# ---- envs are independent ---------------------------------------------------------
rev blue.sql e1 "" "CREATE TABLE blue (x);"
rev green.sql e1 "" "CREATE TABLE green (x);" "INSERT INTO green VALUES (1);"
rev green2.sql e2 e1 "INSERT INTO green VALUES (2);"
sql "$DB" <<'EOF'
SELECT mig_put_revision(readfile('blue.sql'), '{"env": "blue"}');
SELECT mig_put_revision(readfile('green.sql'), '{"env": "green"}');
SELECT mig_put_revision(readfile('green2.sql'), '{"env": "green"}');
SELECT mig_heads('{"env": "blue"}') || '|' || mig_heads('{"env": "green"}') || '|' || mig_heads();
SELECT mig_upgrade('head', '{"env": "blue"}');
SELECT mig_current('{"env": "blue"}') || '|' || mig_current('{"env": "green"}') || '|' || mig_current();
SELECT mig_check('{"env": "blue"}') || mig_check('{"env": "green"}');
SELECT mig_upgrade('e1', '{"env": "green"}');
SELECT group_concat(env || ':' || version_num, ' ') FROM (SELECT * FROM mig_version ORDER BY env);
EOF
is "$OUT|$ERR" "$(printf 'e1\ne1\ne2\ne1|e2|d1 xs\ne1\ne1||a1\n10\ne1\nblue:e1 default:a1 green:e1|')" \
    "the same id in two envs with different bodies; each env sees its own graph and state"
is "$(raw "$DB" "SELECT count(*) FROM blue; SELECT count(*) FROM green;")" "$(printf '0\n1')" "each env ran its own body of e1"
sql "$DB" <<<"SELECT mig_remove_revision('e2');"
like "$ERR" "no revision e2 is stored in env \"default\"" "envs do not see each other's revisions"
is "$(q "$DB" "SELECT mig_remove_revision('e2', '{\"env\": \"green\"}'); SELECT mig_stamp('base', '{\"env\": \"blue\"}'); SELECT mig_current('{\"env\": \"blue\"}') || '|' || mig_current();")" \
    "$(printf 'e2\n\n|a1')" "remove and stamp in one env leave the others alone"
is "$(q "$DB" "SELECT count(*) FROM mig_plan('upgrade', 'heads', '{\"env\": \"blue\"}'); SELECT mig_sql('upgrade', 'e1', '{\"env\": \"blue\"}') LIKE '%CREATE TABLE blue%';")" \
    "$(printf '1\n1')" "mig_plan and mig_sql with an env"

# ---- option errors, for every function ---------------------------------------------
calls=("mig_put_revision(readfile('a1.sql'), %s)" "mig_remove_revision('d1', %s)" "mig_upgrade('head', %s)"
    "mig_downgrade('base', %s)" "mig_stamp('base', %s)" "mig_current(%s)" "mig_heads(%s)" "mig_check(%s)"
    "mig_sql('upgrade', 'heads', %s)" "count(*) FROM mig_plan('upgrade', 'heads', %s)")
snapshot "$DB" >before.snap
for c in "${calls[@]}"; do
    f=${c%%(*}
    f=${f#count(\*) FROM }
    # shellcheck disable=SC2059
    sql "$DB" <<EOF
SELECT $(printf "$c" "'{\"bogus\": 1}'");
SELECT $(printf "$c" "'{\"env\": '");
SELECT $(printf "$c" "'[1, 2]'");
SELECT $(printf "$c" "'{\"tenant\": \"s1\"}'");
SELECT $(printf "$c" "'{\"transaction\": \"some\"}'");
SELECT $(printf "$c" "'{\"lock_timeout\": \"soon\"}'");
SELECT $(printf "$c" "'{\"env\": \"\"}'");
SELECT $(printf "$c" "'{\"force\": 1}'");
EOF
    like "$ERR" 'unknown option "bogus"' "$f: an unknown option key is an error"
    like "$ERR" 'invalid options JSON at line 1' "$f: invalid JSON is an error"
    like "$ERR" 'options must be a JSON object' "$f: JSON that is not an object is an error"
    like "$ERR" 'option "tenant" is supported by PostgreSQL only' "$f: tenant is an error on SQLite"
    is "$(count_errors "$ERR")|$OUT" "8|" "$f: eight bad opts, eight errors, no result"
done
like "$ERR" 'option "transaction" must be "all" or "each".*option "lock_timeout" must be a duration.*option "env" must be a non-empty string.*option "force" must be true or false' \
    "bad values of transaction, lock_timeout, env and force are errors"
same_snapshot "$DB" before.snap "none of those calls changed anything"
is "$(q "$DB" "SELECT mig_current('{\"lock_timeout\": \"2s\", \"transaction\": \"all\", \"force\": false, \"purge\": false, \"x\": {}}');")" \
    "a1" "every known option is accepted"

# ---- transaction "each" ------------------------------------------------------------
for i in 1 2 3 4 5; do
    rev "each$i.sql" "n$i" "$([ $i -gt 1 ] && echo "n$((i - 1))")" "CREATE TABLE each_$i (x);" \
        "$([ $i = 3 ] && echo "INSERT INTO no_such_table VALUES (3);")"
done
for env in each all; do
    q "$DB" "$(for i in 1 2 3 4 5; do printf "SELECT mig_put_revision(readfile('each%d.sql'), '{\"env\": \"%s\"}');\n" $i $env; done)" >/dev/null
done
snapshot "$DB" >before.snap
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"env\": \"all\", \"transaction\": \"all\"}');"
like "$ERR" "revision n3 \(upgrade\) failed at line 7: no such table: no_such_table" "transaction all: revision 3 of 5 fails"
same_snapshot "$DB" before.snap "transaction all: nothing applied"
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"env\": \"each\", \"transaction\": \"each\"}');"
like "$ERR" "revision n3 \(upgrade\) failed at line 7: no such table: no_such_table" "transaction each: revision 3 of 5 fails"
is "$(q "$DB" "SELECT mig_current('{\"env\": \"each\"}'); SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'each_%' ORDER BY name);
               SELECT group_concat(revision, ' ') FROM (SELECT revision FROM mig_history WHERE env = 'each' ORDER BY id);")" \
    "$(printf 'n2\neach_1 each_2\nn1 n2')" "transaction each: revisions 1 and 2 stay applied and recorded"
sql "$DB" <<<"BEGIN;
SELECT mig_upgrade('head', '{\"env\": \"each\", \"transaction\": \"each\"}');
COMMIT;"
like "$ERR" '"each" cannot commit inside the caller.s open transaction' "transaction each inside BEGIN is an error"

# ---- refused revision bodies -----------------------------------------------------------
refused_body() { # NAME WORD LINE < body
    local name=$1 word=$2 line=$3
    { printf -- '-- mig:revision %s\n-- mig:down_revision a1\n-- mig:upgrade\n' "$name"; cat; } >"$name.sql"
    q "$DB" "SELECT mig_put_revision(readfile('$name.sql'));" >/dev/null
    snapshot "$DB" >before.snap
    sql "$DB" <<<"SELECT mig_upgrade('$name');"
    like "$ERR" "revision $name \(upgrade\), line $line: $word is not allowed in a revision" "$name: $word is refused, naming the line"
    same_snapshot "$DB" before.snap "$name: nothing ran"
    q "$DB" "SELECT mig_remove_revision('$name');" >/dev/null
}
refused_body has_commit COMMIT 5 <<'EOF'
CREATE TABLE hc (x);
COMMIT;
EOF
refused_body has_begin BEGIN 4 <<'EOF'
BEGIN TRANSACTION;
CREATE TABLE hb (x);
EOF
refused_body has_end END 6 <<'EOF'
CREATE TABLE he (x);
/* a comment */
end;
EOF
refused_body has_rollback ROLLBACK 5 <<'EOF'
CREATE TABLE hr (x);
  rollback transaction;
EOF
# what looks like transaction control but is not
cat >not_txn.sql <<'EOF'
-- mig:revision not_txn
-- mig:down_revision a1
-- mig:upgrade
INSERT INTO log VALUES ('COMMIT; BEGIN;', NULL); -- COMMIT;
/* ROLLBACK; */
CREATE TRIGGER log_trg AFTER INSERT ON log WHEN new.step = 'trg' BEGIN
    INSERT INTO log VALUES ('fired', NULL);
END;
INSERT INTO log VALUES ('trg', NULL);
SAVEPOINT inner_sp;
INSERT INTO log VALUES ('undone', NULL);
ROLLBACK TO inner_sp;
RELEASE inner_sp;
EOF
is "$(q "$DB" "DELETE FROM log; SELECT mig_put_revision(readfile('not_txn.sql')); SELECT mig_upgrade('not_txn');
               SELECT group_concat(step, '|') FROM log;")" "$(printf 'not_txn\nnot_txn\nCOMMIT; BEGIN;|trg|fired')" \
    "keywords in strings and comments, CREATE TRIGGER ... BEGIN ... END, SAVEPOINT/ROLLBACK TO are allowed"
q "$DB" "SELECT mig_downgrade('a1'); SELECT mig_remove_revision('not_txn');" >/dev/null

# transactional false
cat >nontx.sql <<'EOF'
-- mig:revision nontx
-- mig:down_revision a1
-- mig:transactional false
-- mig:upgrade
CREATE TABLE nontx (x);
EOF
is "$(q "$DB" "SELECT mig_put_revision(readfile('nontx.sql')); SELECT transactional FROM mig_revision WHERE revision = 'nontx';")" \
    "$(printf 'nontx\n0')" "a 'transactional false' revision is stored, flagged"
snapshot "$DB" >before.snap
sql "$DB" <<<"SELECT mig_upgrade('nontx');"
like "$ERR" "revision nontx is marked 'transactional false' and cannot run inside mig_upgrade\(\)" "running it in mig_upgrade() is refused"
like "$ERR" $'\nHINT: .*mig client' "with a hint to use the mig client"
same_snapshot "$DB" before.snap "nothing ran"
q "$DB" "SELECT mig_remove_revision('nontx');" >/dev/null

# ---- nested calls ----------------------------------------------------------------------
for call in "mig_upgrade('head')" "mig_stamp('base')" "mig_put_revision('-- mig:revision zz')" "mig_current()" "mig_sql('upgrade', 'heads')"; do
    printf -- '-- mig:revision nested\n-- mig:down_revision a1\n-- mig:upgrade\nCREATE TABLE nested (x);\nSELECT %s;\n' "$call" >nested.sql
    q "$DB" "SELECT mig_put_revision(readfile('nested.sql'));" >/dev/null
    snapshot "$DB" >before.snap
    sql "$DB" <<<"SELECT mig_upgrade('nested');
SELECT 'after: ' || mig_current();"
    like "$ERR" "revision nested \(upgrade\) failed at line 5: .*cannot run while another mig call is running" \
        "a revision calling $call: an error"
    is "$RC|$OUT" "1|after: a1" "a revision calling $call: no crash, the connection still works"
    same_snapshot "$DB" before.snap "a revision calling $call: nothing changed"
    q "$DB" "SELECT mig_remove_revision('nested');" >/dev/null
done

# ---- empty targets -------------------------------------------------------------------
q "$DB" "SELECT mig_stamp('a1', '{\"purge\": true}');" >/dev/null
snapshot "$DB" >before.snap
for f in mig_upgrade mig_downgrade mig_stamp; do
    sql "$DB" <<<"SELECT $f('');"
    like "$ERR" "no target given" "$f('') is an error, not a silent no-op or stamp to base"
done
same_snapshot "$DB" before.snap "the empty targets changed nothing"

# ---- loading the extension twice on one connection ---------------------------------------
q "$DB" "SELECT mig_stamp('a1', '{\"purge\": true}');" >/dev/null
sql "$DB" <<<".load $EXT
SELECT mig_current();
SELECT count(*) FROM mig_plan('upgrade', 'heads');"
is "$OUT|$ERR" "$(printf 'a1\n4')|" "loading the extension a second time on a connection works"

done_testing

#!/bin/bash
# SQLite: mig_diff(from, to [, opts]) through the sqlite3 shell.  Each case
# builds a database at schema A with rows, diffs A's snapshot against B's
# (mig_snapshot_sql of B's statements), applies the body as a revision
# (mig_put_revision, mig_upgrade), checks that the database's snapshot is
# B's and the rows are kept, downgrades, and checks A's snapshot and rows
# again.  Then: a failing statement changes nothing, option and hint
# errors, and mig_batch's "create" option that the diff writes.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

# snap_db DB: the database's snapshot; snap_sql FILE: the snapshot of the schema FILE creates
snap_db() { q "$1" "SELECT mig_snapshot();"; }
snap_sql() { q "$T/probe.db" "SELECT mig_snapshot_sql(readfile('$1'));"; }

N=0
# case NAME A_SCHEMA A_ROWS B_SCHEMA ROWS_QUERY [OPTS] [ROWS_AFTER_UP] [ROWS_AFTER_DOWN]
# The rows query's output must be the same before, after the upgrade and
# after the downgrade, unless ROWS_AFTER_UP / ROWS_AFTER_DOWN say otherwise.
case_rt() {
    local name=$1 a=$2 rows=$3 b=$4 query=$5 opts=${6:-} want_up=${7-__same__} want_down=${8-__same__}
    local db=$T/$name.db rows0 sa sb body now
    N=$((N + 1))
    printf '%s\n' "$a" >"$T/$name.a.sql"
    printf '%s\n' "$b" >"$T/$name.b.sql"
    raw "$db" "PRAGMA foreign_keys = ON; $a
$rows" >/dev/null
    rows0=$(q "$db" "$query")
    [ "$want_up" == __same__ ] && want_up=$rows0
    [ "$want_down" == __same__ ] && want_down=$rows0
    sa=$(snap_sql "$T/$name.a.sql")
    sb=$(snap_sql "$T/$name.b.sql")
    printf '%s' "$sa" >"$T/$name.a.json"
    printf '%s' "$sb" >"$T/$name.b.json"
    is "$(snap_db "$db")" "$sa" "$name: the database is at A"
    if [ -n "$opts" ]; then
        body=$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/$name.a.json'), readfile('$T/$name.b.json'), '$opts');")
    else
        body=$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/$name.a.json'), readfile('$T/$name.b.json'));")
    fi
    printf -- '-- mig:revision r%s\n-- mig:message %s\n%s\n' "$N" "$name" "$body" >"$T/$name.rev.sql"
    sql "$db" <<EOF
PRAGMA foreign_keys = ON;
SELECT mig_put_revision(readfile('$T/$name.rev.sql'));
SELECT mig_upgrade('head');
EOF
    is "$ERR" "" "$name: the revision applies"
    now=$(snap_db "$db")
    if [ "$now" == "$sb" ]; then pass "$name: the snapshot after the upgrade is B's"; else
        fail "$name: the snapshot after the upgrade is B's" "$(printf 'got:  %s\nwant: %s\nbody:\n%s' "$now" "$sb" "$body")"
    fi
    is "$(q "$db" "$query")" "$want_up" "$name: rows after the upgrade"
    sql "$db" <<EOF
PRAGMA foreign_keys = ON;
SELECT mig_downgrade('base');
EOF
    is "$ERR" "" "$name: the downgrade applies"
    now=$(snap_db "$db")
    if [ "$now" == "$sa" ]; then pass "$name: the snapshot after the downgrade is A's"; else
        fail "$name: the snapshot after the downgrade is A's" "$(printf 'got:  %s\nwant: %s\nbody:\n%s' "$now" "$sa" "$body")"
    fi
    is "$(q "$db" "$query")" "$want_down" "$name: rows after the downgrade"
    is "$(q "$db" "PRAGMA foreign_key_check; PRAGMA integrity_check;")" "ok" "$name: foreign keys and integrity hold"
    BODY=$body
}

T_A="CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT);
CREATE INDEX ix_b ON t (b);
CREATE VIEW v AS SELECT id, a FROM t WHERE b > 0;
CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = coalesce(b, 0) WHERE id = new.id; END;"
T_ROWS="INSERT INTO t VALUES (1, 'one', 1), (2, 'two', 2), (3, NULL, 3);"
T_Q="SELECT group_concat(id || ':' || ifnull(a, '-') || ':' || ifnull(b, '-'), ' ') FROM (SELECT * FROM t ORDER BY id);
SELECT group_concat(id, ' ') FROM v;
SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') AND name NOT LIKE '%mig%' ORDER BY name;"

# ---- equal ----------------------------------------------------------------------
printf '%s\n' "$T_A" >"$T/eq.sql"
snap_sql "$T/eq.sql" >"$T/eq.json"
is "$(q "$T/probe.db" "SELECT length(mig_diff(readfile('$T/eq.json'), readfile('$T/eq.json')));")" "0" \
    "equal snapshots: an empty body"

# ---- one change of each kind -------------------------------------------------------
# t with a column more: B's statements
t_b() { # t_b COLUMNS: A's objects with t's columns replaced
    printf 'CREATE TABLE t (%s);\n%s\n' "$1" "${T_A#*;
}"
}
case_rt add_column "$T_A" "$T_ROWS" "$(t_b "id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT DEFAULT 'x'")" "$T_Q"
like "$BODY" "ALTER TABLE t ADD COLUMN c TEXT DEFAULT \('x'\);" "add_column: SQLite's own ADD COLUMN"
like "$BODY" "-- loses data: column t.c" "add_column: the downgrade's DROP COLUMN is marked"
unlike "${BODY%%-- mig:downgrade*}" "DROP VIEW" "add_column: views and triggers are left alone"

case_rt add_not_null "$T_A" "$T_ROWS" "$(t_b "id INTEGER PRIMARY KEY, a TEXT, b INT, c INT NOT NULL DEFAULT 7 CHECK (c > 0)")" \
    "SELECT * FROM t ORDER BY id;" "" "$(printf '1|one|1|7\n2|two|2|7\n3||3|7')"
like "$BODY" "SELECT mig_batch\('t', 'ADD COLUMN c INT NOT NULL DEFAULT \(7\), ADD CHECK \(c > 0\)'\);" \
    "add_not_null: mig_batch ADD COLUMN and ADD CHECK"

case_rt drop_column "$T_A" "$T_ROWS" "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
CREATE VIEW v AS SELECT id, a FROM t WHERE id > 0;" \
    "SELECT group_concat(id || ':' || ifnull(a, '-'), ' ') FROM (SELECT * FROM t ORDER BY id);"
like "$BODY" "-- loses data: column t.b
SELECT mig_batch\('t', 'DROP COLUMN b'\);" "drop_column: mig_batch DROP COLUMN, marked"
like "$BODY" "DROP INDEX ix_b;
DROP TRIGGER tr|DROP TRIGGER tr;.*DROP INDEX ix_b;" "drop_column: the index and the trigger on b go first"

T_ROWS2="INSERT INTO t VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);"
case_rt alter_column "$T_A" "$T_ROWS2" "$(t_b "id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '?', b TEXT")" \
    "SELECT group_concat(id || ':' || a || ':' || b, ' ') FROM (SELECT * FROM t ORDER BY id);"
like "$BODY" "-- loses data: column t.b changes type from INT to TEXT" "alter_column: the type change is marked"
like "$BODY" "mig_batch\('t', 'ALTER COLUMN a SET NOT NULL, ALTER COLUMN a SET DEFAULT \(''\?''\), ALTER COLUMN b TYPE TEXT'|ALTER COLUMN b TYPE TEXT" \
    "alter_column: ALTER COLUMN actions"

case_rt reorder_collate "$T_A" "$T_ROWS" "CREATE TABLE t (id INTEGER PRIMARY KEY, b INT, a TEXT COLLATE NOCASE);
CREATE INDEX ix_b ON t (b);
CREATE VIEW v AS SELECT id, a FROM t WHERE b > 0;
CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = coalesce(b, 0) WHERE id = new.id; END;" "$T_Q"
like "$BODY" "mig_batch\('t', '', '\{\"create\": \"CREATE TABLE t \(id INTEGER PRIMARY KEY, b INT, a TEXT COLLATE NOCASE" \
    "reorder_collate: mig_batch's rebuild to the new CREATE TABLE"

case_rt strict_generated "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT);" "$T_ROWS2" \
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, twice INT GENERATED ALWAYS AS (b * 2) VIRTUAL, b INT) STRICT;" \
    "SELECT group_concat(id || ':' || a || ':' || b, ' ') FROM (SELECT * FROM t ORDER BY id);"

case_rt without_rowid "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB, n INT);" \
    "INSERT INTO kv VALUES ('a', x'00ff', 1), ('b', NULL, 2);" \
    "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB, n INT) WITHOUT ROWID;" \
    "SELECT group_concat(k || ':' || ifnull(hex(v), '-') || ':' || n, ' ') FROM (SELECT * FROM kv ORDER BY k);"

# ---- tables, indexes, views ------------------------------------------------------------
case_rt new_objects "$T_A" "$T_ROWS" "$T_A
CREATE TABLE tag (id INTEGER PRIMARY KEY, t_id INT REFERENCES t (id) ON DELETE CASCADE, name TEXT UNIQUE);
CREATE INDEX ix_tag ON tag (t_id);
CREATE VIEW tagged AS SELECT t.a, tag.name FROM t JOIN tag ON tag.t_id = t.id;
CREATE INDEX ix_a ON t (a) WHERE a IS NOT NULL;" "$T_Q" "" \
    "$(printf '1:one:1 2:two:2 3:-:3\n1 2 3\nix_a\nix_b\nix_tag\nsqlite_autoindex_tag_1\ntagged\ntr\nv')"
like "$BODY" "CREATE TABLE tag .*CREATE INDEX ix_tag .*CREATE VIEW tagged " "new_objects: the table before its index and view"
like "$BODY" "DROP VIEW tagged;.*-- loses data: table tag
DROP TABLE tag;" "new_objects: back, the view first, the table marked"

case_rt fk_parent_rebuilt "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT REFERENCES p (id));" \
    "INSERT INTO p VALUES (1, 'x'), (2, 'y'); INSERT INTO c VALUES (10, 1), (11, 2), (12, 2);" \
    "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT, name TEXT COLLATE NOCASE);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT REFERENCES p (id));" \
    "SELECT group_concat(c.id || '>' || p.name, ' ') FROM c JOIN p ON p.id = c.p_id;"

# ---- rename hints ---------------------------------------------------------------------
case_rt renames "$T_A" "$T_ROWS" "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, b INT);
CREATE INDEX ix_b ON items (b);
CREATE VIEW v AS SELECT id, label AS a FROM items WHERE b > 0;
CREATE TRIGGER tr AFTER INSERT ON items BEGIN UPDATE items SET b = coalesce(b, 0) WHERE id = new.id; END;" \
    "SELECT group_concat(id, ' ') FROM v;" \
    '{"renames": [{"table": "t", "to": "items"}, {"table": "items", "column": "a", "to": "label"}]}'
like "$BODY" "ALTER TABLE t RENAME TO items;
ALTER TABLE items RENAME COLUMN a TO label;" "renames: RENAME TO and RENAME COLUMN"
unlike "$BODY" "DROP TABLE|DROP COLUMN|loses data" "renames: nothing dropped"

# ---- a failing statement changes nothing -------------------------------------------------
db=$T/fail.db
raw "$db" "$T_A
$T_ROWS" >/dev/null
t_b "id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INT" >"$T/fail.b.sql"
printf '%s\n' "$T_A" >"$T/fail.a.sql"
snap_sql "$T/fail.a.sql" >"$T/fail.a.json"
snap_sql "$T/fail.b.sql" >"$T/fail.b.json"
q "$T/probe.db" "SELECT '-- mig:revision f1' || char(10) || mig_diff(readfile('$T/fail.a.json'), readfile('$T/fail.b.json'));" >"$T/fail.rev.sql"
sql "$db" <<EOF
SELECT mig_put_revision(readfile('$T/fail.rev.sql'));
EOF
snapshot "$db" >"$T/fail.before"
sql "$db" <<EOF
SELECT mig_upgrade('head');
EOF
like "$ERR" "NOT NULL constraint failed" "a NULL where NOT NULL comes: the upgrade fails"
same_snapshot "$db" "$T/fail.before" "and leaves schema, rows, views, triggers, version and history as they were"

# ---- errors ---------------------------------------------------------------------------
A=$(snap_sql "$T/add_column.a.sql")
printf '%s' "$A" >"$T/a.json"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), readfile('$T/a.json'), '{\"rename\": []}');")" \
    'unknown option "rename"' "an unknown option is an error naming it"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), readfile('$T/a.json'), '{\"renames\": [{\"table\": \"t\", \"to\": \"u\", \"x\": 1}]}');")" \
    'renames"\[0\]: unknown key "x"' "an unknown key in a hint is an error"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), readfile('$T/a.json'), '{\"renames\": [{\"table\": \"nope\", \"to\": \"t\"}]}');")" \
    'table "nope" to "t": there is no table "nope"' "a hint that matches nothing is an error naming it"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), readfile('$T/a.json'), '{\"renames\": [{\"table\": \"t\", \"column\": \"a\", \"to\": \"b\"}]}');")" \
    'column "t"."a" to "b": "b" already exists' "a hint whose target exists is an error naming it"
like "$(q "$T/probe.db" "SELECT mig_diff(NULL, readfile('$T/a.json'));")" "from must be a snapshot" "NULL from: an error"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), '{\"x\": 1}');")" "mig_diff: to: " \
    "a document that is not a snapshot: an error naming the argument"
like "$(q "$T/probe.db" "SELECT mig_diff(readfile('$T/a.json'), readfile('$T/a.json'), 'nope');")" \
    "invalid options JSON" "options that are not JSON: an error"

# ---- mig_batch's "create" option -------------------------------------------------------
db=$T/create.db
raw "$db" "$T_A
$T_ROWS
CREATE TABLE ch (t_id INT REFERENCES t (id));
INSERT INTO ch VALUES (1);" >/dev/null
is "$(q "$db" "PRAGMA foreign_keys = ON;
SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY, b INT, extra TEXT DEFAULT ''e'', a TEXT) STRICT\"}');
SELECT group_concat(id || a || b || extra, ' ') FROM t;
SELECT name FROM sqlite_master WHERE tbl_name = 't' AND type <> 'table' ORDER BY 1;
PRAGMA foreign_key_check;")" "$(printf 'rebuild\n1one1e 2two2e\nix_b\ntr')" \
    "create: the columns of both sides copied by name, indexes, triggers kept (a row with a NULL drops out of ||)"
like "$(q "$db" "SELECT mig_batch('t', 'DROP COLUMN a', '{\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY)\"}');")" \
    "actions must be empty" "create: with actions, an error"
like "$(q "$db" "SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE u (id INTEGER PRIMARY KEY)\"}');")" \
    'creates table "u", not "t"' "create: another table's name, an error"
like "$(q "$db" "SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY); DROP TABLE ch\"}');")" \
    "unexpected text after the end of the statement" "create: a second statement, an error"
like "$(q "$db" "SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)\"}');")" \
    "CREATE INDEX main.ix_b ON t \(b\): no such column: b" "create: an index on a column that goes, an error naming it"
is "$(q "$db" "SELECT group_concat(id || a || b || extra, ' ') FROM t; SELECT count(*) FROM sqlite_master WHERE name LIKE '_mig_old%';")" \
    "$(printf '1one1e 2two2e\n0')" "create: after the errors, the table is as it was"

done_testing

#!/bin/bash
# mig_batch: the Alembic bug scenario through the sqlite3 shell.  Revision
# 90823bd3809e creates foo (foo_id INTEGER NOT NULL, bar VARCHAR(512) NOT
# NULL, PRIMARY KEY (foo_id)) with rows; revision 8e32f2af1bd2 makes bar
# nullable with mig_batch and runs a data migration.  When any statement of
# 8e32f2af1bd2 fails (before mig_batch, after it, mig_batch itself, inside
# the caller's transaction that is then rolled back or committed),
# mig_upgrade fails and leaves no temporary table (Alembic leaves
# _alembic_tmp_foo), bar NOT NULL, the version, the rows and the history as
# they were; the fixed revision, uploaded again, then applies.
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup
REVS=$BATCH_DIR/alembic
BASE=$T/base.db
DB=$T/app.db

sql "$BASE" <<EOF
CREATE TABLE notes (x TEXT);
SELECT mig_put_revision(readfile('$REVS/90823bd3809e.sql'));
SELECT mig_upgrade('90823bd3809e');
EOF
is "$OUT|$ERR" "$(printf '90823bd3809e\n90823bd3809e|')" "revision 90823bd3809e uploaded and applied"
ROWS0=$(printf "1,'one'\n2,''\n3,'three'\n4,''")
rows_of_foo() {
    printf '.mode quote\nSELECT rowid, bar FROM foo ORDER BY rowid;\n' | "$SQLITE3" -batch "$1" 2>&1
}
is "$(rows_of_foo "$BASE")" "$ROWS0" "foo has its rows"

# bad_rev LINE...: revision 8e32f2af1bd2 with these upgrade lines, as 8e32f2af1bd2.sql
bad_rev() {
    {
        sed -n '1,/^-- mig:upgrade/p' "$REVS/8e32f2af1bd2.sql"
        printf '%s\n' "$@"
    } >8e32f2af1bd2.sql
}

# no_tmp_table DB: names of leftover temporary tables (main and temp), if any
leftovers() {
    raw "$1" "SELECT name FROM sqlite_master WHERE name LIKE '\_mig\_old%' ESCAPE '\' OR name LIKE '\_alembic\_tmp%' ESCAPE '\'
              UNION ALL SELECT name FROM sqlite_temp_master;"
}

# after_failure DESC: the checks of the issue after a failed mig_upgrade
after_failure() {
    local desc=$1
    is "$(leftovers "$DB")" "" "$desc: no temporary table left (nothing like _mig_old% or _alembic_tmp%)"
    is "$(raw "$DB" "SELECT \"notnull\" FROM pragma_table_info('foo') WHERE name = 'bar';")" 1 \
        "$desc: bar is still NOT NULL (pragma_table_info)"
    is "$(q "$DB" "SELECT mig_current();")" 90823bd3809e "$desc: the version is unchanged"
    is "$(rows_of_foo "$DB")" "$ROWS0" "$desc: all rows are there, unchanged"
    is "$(raw "$DB" "SELECT revision || ' ' || direction FROM mig_history ORDER BY id;")" "90823bd3809e upgrade" \
        "$desc: the history is unchanged"
    is "$(raw "$DB" "PRAGMA integrity_check;")" ok "$desc: integrity_check ok"
    same_snapshot "$DB" "$T/before.snap" "$desc: the whole database is as before the call"
}

# fix_and_apply DESC: upload the fixed revision and upgrade
fix_and_apply() {
    local desc=$1
    sql "$DB" <<EOF
SELECT mig_put_revision(readfile('$REVS/8e32f2af1bd2.sql'));
SELECT mig_upgrade('head');
EOF
    is "$OUT|$ERR" "$(printf '8e32f2af1bd2\n8e32f2af1bd2|')" "$desc: the fixed revision, uploaded again, applies"
    is "$(raw "$DB" "SELECT \"notnull\" FROM pragma_table_info('foo') WHERE name = 'bar';")" 0 "$desc: then bar is nullable"
    is "$(rows_of_foo "$DB")" "$(printf "1,'one'\n2,NULL\n3,'three'\n4,NULL")" "$desc: then the data migration ran"
    is "$(raw "$DB" "SELECT revision || ' ' || direction FROM mig_history ORDER BY id;")" \
        "$(printf '90823bd3809e upgrade\n8e32f2af1bd2 upgrade')" "$desc: then the history records it"
    is "$(leftovers "$DB")" "" "$desc: then no temporary table either"
    is "$(raw "$DB" "SELECT sql FROM sqlite_master WHERE name = 'foo';" | norm)" \
        "CREATE TABLE foo (foo_id INTEGER NOT NULL, bar VARCHAR(512), PRIMARY KEY (foo_id))" \
        "$desc: then foo's CREATE TABLE is the old one without NOT NULL on bar"
}

# scenario DESC ERE LINE...: the revision with these lines fails with ERE
scenario() {
    local desc=$1 ere=$2
    shift 2
    cp "$BASE" "$DB"
    bad_rev "$@"
    sql "$DB" <<<"SELECT mig_put_revision(readfile('8e32f2af1bd2.sql'));"
    is "$OUT|$ERR" "8e32f2af1bd2|" "$desc: the failing revision is uploaded"
    snapshot "$DB" >"$T/before.snap"
    sql "$DB" <<<"SELECT mig_upgrade('head');"
    like "$ERR" "8e32f2af1bd2.*$ere" "$desc: mig_upgrade('head') fails with the revision id and the cause"
    is "$(count_errors "$ERR")|$OUT" "1|" "$desc: one error, no result"
    after_failure "$desc"
    fix_and_apply "$desc"
}

BATCH="SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');"
scenario "failure after mig_batch (a data migration that breaks the primary key)" "UNIQUE constraint failed: foo.foo_id" \
    "$BATCH" "UPDATE foo SET bar = NULL WHERE bar = '';" "INSERT INTO foo (foo_id, bar) VALUES (1, 'again');"
scenario "failure after mig_batch (a statement that does not compile)" "no such table: foo_archive" \
    "$BATCH" "UPDATE foo SET bar = NULL WHERE bar = '';" "INSERT INTO foo_archive SELECT * FROM foo;"
scenario "failure before mig_batch" "UNIQUE constraint failed: foo.foo_id" \
    "UPDATE foo SET bar = upper(bar);" "INSERT INTO foo (foo_id, bar) VALUES (1, 'again');" "$BATCH" \
    "UPDATE foo SET bar = NULL WHERE bar = '';"
scenario "failure in a second mig_batch after a first one" "CHECK constraint failed" \
    "$BATCH" "UPDATE foo SET bar = NULL WHERE bar = '';" \
    "SELECT mig_batch('foo', 'ADD CONSTRAINT bar_short CHECK (length(bar) < 4)');"
scenario "failure of mig_batch itself" 'column "baz" of table foo does not exist' \
    "UPDATE foo SET bar = upper(bar);" "SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL, ALTER COLUMN baz DROP NOT NULL');"

# ---- inside the caller's transaction ------------------------------------------------------
for end in ROLLBACK COMMIT; do
    desc="inside BEGIN ... $end"
    cp "$BASE" "$DB"
    bad_rev "$BATCH" "UPDATE foo SET bar = NULL WHERE bar = '';" "INSERT INTO foo (foo_id, bar) VALUES (1, 'again');"
    q "$DB" "SELECT mig_put_revision(readfile('8e32f2af1bd2.sql'));" >/dev/null
    snapshot "$DB" >"$T/before.snap"
    sql "$DB" <<EOF
BEGIN;
INSERT INTO notes VALUES ('the caller''s own write');
SELECT mig_upgrade('head');
SELECT 'in the transaction: ' || mig_current() || ', ' || (SELECT "notnull" FROM pragma_table_info('foo') WHERE name = 'bar')
       || ', ' || (SELECT count(*) FROM sqlite_master WHERE name LIKE '\_mig\_old%' ESCAPE '\') || ', '
       || (SELECT group_concat(x) FROM notes);
$end;
EOF
    like "$ERR" "8e32f2af1bd2.*UNIQUE constraint failed" "$desc: mig_upgrade fails"
    is "$(count_errors "$ERR")" 1 "$desc: only that error (the caller's transaction was still open for $end)"
    is "$OUT" "in the transaction: 90823bd3809e, 1, 0, the caller's own write" \
        "$desc: inside the transaction: version, NOT NULL, no temporary table, the caller's write kept"
    if [ $end == COMMIT ]; then
        is "$(raw "$DB" "SELECT group_concat(x) FROM notes;")" "the caller's own write" "$desc: the caller's write is committed"
        raw "$DB" "DELETE FROM notes;" >/dev/null
    else
        is "$(raw "$DB" "SELECT count(*) FROM notes;")" 0 "$desc: the caller's write is rolled back"
    fi
    after_failure "$desc"
    fix_and_apply "$desc"
done

# and the fixed revision inside the caller's transaction, committed
cp "$BASE" "$DB"
sql "$DB" <<EOF
BEGIN;
SELECT mig_put_revision(readfile('$REVS/8e32f2af1bd2.sql'));
SELECT mig_upgrade('head');
COMMIT;
EOF
is "$OUT|$ERR" "$(printf '8e32f2af1bd2\n8e32f2af1bd2|')" "the good revision inside BEGIN ... COMMIT applies"
is "$(raw "$DB" "SELECT \"notnull\" FROM pragma_table_info('foo') WHERE name = 'bar'; SELECT count(*) FROM foo WHERE bar IS NULL;")" \
    "$(printf '0\n2')" "and is committed"

# and the downgrade (mig_batch SET NOT NULL) restores the old table
sql "$DB" <<<"SELECT mig_downgrade('90823bd3809e');"
is "$OUT|$ERR" "90823bd3809e|" "the downgrade runs mig_batch('foo', 'ALTER COLUMN bar SET NOT NULL')"
is "$(raw "$DB" "SELECT sql FROM sqlite_master WHERE name = 'foo';" | norm)" \
    "CREATE TABLE foo (foo_id INTEGER NOT NULL, bar VARCHAR(512) NOT NULL, PRIMARY KEY (foo_id))" \
    "and foo is NOT NULL again"
is "$(rows_of_foo "$DB")" "$ROWS0" "with the original rows"

done_testing

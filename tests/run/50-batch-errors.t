#!/bin/bash
# mig_batch: bad actions are errors that point at the position in the
# actions text; unknown tables, columns and constraints are errors that
# name them; data that the change refuses is an error; nothing changes on
# any error (snapshot) and no transaction is left open.  Calls from a
# statement that is reading on the same connection are a clear error (or,
# where SQLite allows them, succeed correctly), never a crash.  mig_batch is
# registered with 2 and 3 arguments and cannot run from triggers or views.
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup
DB=$T/app.db

raw "$DB" "
CREATE TABLE foo (foo_id INTEGER NOT NULL, bar VARCHAR(512) NOT NULL, note TEXT, n INTEGER, PRIMARY KEY (foo_id), UNIQUE (bar, note));
CREATE INDEX foo_note ON foo (note);
CREATE VIEW v_foo AS SELECT bar FROM foo;
CREATE TABLE fooref (r INTEGER PRIMARY KEY, fid INTEGER REFERENCES foo (foo_id));
CREATE TABLE some_table (x);
INSERT INTO foo VALUES (1, 'one', NULL, 1), (2, 'two', 'dup', 2), (3, 'three', 'dup', 3);
INSERT INTO fooref VALUES (1, 1), (2, 3);
INSERT INTO some_table VALUES ('just one row');" >/dev/null
is "$(raw "$DB" "SELECT count(*) FROM foo; PRAGMA foreign_key_check;")" 3 "setup"

lit() { printf "'%s'" "${1//\'/\'\'}"; }

# err DESC ACTIONS ERE [TABLE [FK]]: mig_batch(TABLE, ACTIONS) fails with ERE; nothing changes
err() {
    local desc=$1 actions=$2 ere=$3 table=${4:-foo} fk=${5:-ON}
    snapshot "$DB" >"$T/before.snap"
    cp "$DB" "$T/before.db"
    sql "$DB" <<EOF
PRAGMA foreign_keys = $fk;
SELECT mig_batch($(lit "$table"), $(lit "$actions"));
BEGIN;
COMMIT;
EOF
    like "$ERR" "$ere" "$desc: the error says where or names it (/$ere/)"
    is "$(count_errors "$ERR")|$OUT" "1|" "$desc: one error, no result, no transaction left open"
    same_snapshot "$DB" "$T/before.snap" "$desc: nothing changed"
    cp "$T/before.db" "$DB" # the next case starts from the same state, whatever this one did
}

# ---- syntax: the position in the actions text ---------------------------------------------
err "DROP NUL" 'ALTER COLUMN bar DROP NUL' 'position 23.*"NUL"'
err "SETT" 'ALTER COLUMN bar SETT NOT NULL' 'position 18.*"SETT'
err "an error in the second action" 'ADD COLUMN z INT, ALTER COLUMN bar FROB' 'position 36.*"FROB"'
err "an unknown verb" 'FROB bar' 'position 1.*"FROB'
err "RENAME COLUMN without TO" 'RENAME COLUMN bar baz' 'position 19.*"baz".*TO'
err "a missing type" 'ALTER COLUMN bar TYPE' 'position 22.*(end|type)'
err "USING without an expression" 'ALTER COLUMN bar TYPE INT USING' 'position.*expression'
err "SET DEFAULT without an expression" 'ALTER COLUMN bar SET DEFAULT' 'position 29.*(end|expression)'
err "DROP COLUMN without a name" 'DROP COLUMN' 'position 12.*column'
err "ADD CONSTRAINT without a kind" 'ADD CONSTRAINT c1 FOO (x)' 'position 19.*"FOO'
err "no action" '' 'no action'
err "only white space and a comment" '  -- nothing' 'no action'
err "an empty action after a comma" 'ADD COLUMN z INT,' 'empty action.*position 1[78]'
err "an empty action between commas" 'ADD COLUMN z INT, , DROP COLUMN n' 'position 19'
err "RENAME TO not last" 'ADD COLUMN z INT, RENAME TO foo2, ADD COLUMN y INT' 'RENAME TO.*position 19.*last'
err "CASCADE" 'ADD COLUMN z INT, DROP COLUMN note CASCADE' 'CASCADE.*position 36'
err "unbalanced parentheses" 'ADD CHECK (length(bar) > 0' 'CHECK|parenthes|position'
err "trailing text after a constraint" 'ADD CHECK (length(bar) > 0) junk' 'junk|position'
err "trailing text after DROP NOT NULL" 'ALTER COLUMN bar DROP NOT NULL junk' 'position 32.*"junk"'
err "an unterminated quoted name" 'ALTER COLUMN "bar DROP NOT NULL' 'bar DROP NOT NULL|position|unterminated'
err "two column definitions in one ADD" 'ADD COLUMN z INT, w INT' 'position 19|"w'

# ---- unknown and duplicate names ------------------------------------------------------------
err "an unknown table" 'ALTER COLUMN bar DROP NOT NULL' '"nosuch"' nosuch
err "a view is not a table" 'ALTER COLUMN bar DROP NOT NULL' '"v_foo"' v_foo
err "sqlite_master" 'ADD COLUMN z INT' 'sqlite_master' sqlite_master
err "an unknown column (DROP NOT NULL)" 'ALTER COLUMN nosuch DROP NOT NULL' '"nosuch".*foo'
err "an unknown column (DROP COLUMN)" 'DROP COLUMN nosuch' '"nosuch".*foo'
err "an unknown column (RENAME COLUMN)" 'RENAME COLUMN nosuch TO x' '"nosuch".*foo'
err "an unknown column (TYPE)" 'ALTER nosuch TYPE INT' '"nosuch".*foo'
err "an unknown column (SET DEFAULT)" 'ALTER nosuch SET DEFAULT 1' '"nosuch".*foo'
err "an unknown column (ADD UNIQUE)" 'ADD UNIQUE (bar, nosuch)' '"nosuch".*foo'
err "an unknown column after a rename of it" 'RENAME COLUMN note TO remark, ALTER COLUMN remark SET DEFAULT 1, ALTER COLUMN note DROP NOT NULL' '"note".*foo'
err "an unknown constraint" 'DROP CONSTRAINT nosuch' '"nosuch".*foo'
err "a PostgreSQL name that is not foo's: UNIQUE (bar, note) is foo_bar_note_key, not foo_bar_key" 'DROP CONSTRAINT foo_bar_key' '"foo_bar_key"'
err "a foreign key to an unknown table (foreign_keys on)" 'ADD FOREIGN KEY (n) REFERENCES nosuchtable (x)' 'nosuchtable'
err "ADD COLUMN of an existing column" 'ADD COLUMN bar TEXT' '"bar".*exists'
err "ADD COLUMN of an existing column, other case" 'ADD COLUMN BAR TEXT' '"BAR|bar".*exists'
err "RENAME COLUMN onto an existing column" 'RENAME COLUMN bar TO note' '"note".*exists'
err "RENAME TO an existing table" 'RENAME TO fooref' 'fooref'
err "two constraints of one name" 'ADD CONSTRAINT dup CHECK (n > 0), ADD CONSTRAINT dup CHECK (n < 9)' '"dup".*exists'
err "a second primary key" 'ADD PRIMARY KEY (bar)' 'primary key'

# ---- data the change refuses --------------------------------------------------------------
err "SET NOT NULL on a column with NULLs" 'ALTER COLUMN note SET NOT NULL' 'NOT NULL constraint failed'
err "ADD CHECK that rows violate" 'ADD CHECK (length(bar) > 3)' 'CHECK constraint failed'
err "ADD UNIQUE that rows violate" 'ADD UNIQUE (note)' 'UNIQUE constraint failed'
err "ADD COLUMN NOT NULL without a default on a table with rows" 'ADD COLUMN z INT NOT NULL' 'NOT NULL|z'
err "USING with an unknown column" 'ALTER COLUMN bar TYPE INT USING (nosuchcol + 1)' 'nosuchcol'
err "a rename, then RENAME TO that is not last" 'RENAME COLUMN bar TO baz, RENAME TO foo2, DROP COLUMN nosuch' 'last'
err "a rename, then an error: the rename is undone" 'RENAME COLUMN bar TO baz, DROP COLUMN nosuch' '"nosuch"'
err "native actions, then an error" 'ADD COLUMN z INT, DROP COLUMN n, ALTER COLUMN nosuch DROP NOT NULL' '"nosuch"'
err "a rename, then DROP COLUMN of it while view v_foo reads it" 'RENAME COLUMN bar TO baz, ADD COLUMN bar2 INT, DROP COLUMN baz' 'v_foo'
raw "$DB" "CREATE VIEW v_cols (a, b, c, d) AS SELECT * FROM foo;" >/dev/null
err "a rebuild after which view v_cols (a, b, c, d) AS SELECT * no longer compiles" 'ALTER COLUMN bar DROP NOT NULL, DROP COLUMN n' 'v_cols'
raw "$DB" "DROP VIEW v_cols;" >/dev/null

# ---- arguments ------------------------------------------------------------------------------
sql "$DB" <<'EOF'
SELECT mig_batch(NULL, 'ADD COLUMN z INT');
SELECT mig_batch('foo', NULL);
SELECT mig_batch('foo', 'ADD COLUMN z INT', 'not json');
SELECT mig_batch('foo', 'ADD COLUMN z INT', '{"nosuch": 1}');
SELECT mig_batch('foo');
EOF
like "$ERR" "must not be NULL.*must not be NULL" "NULL table or actions are errors"
like "$ERR" "JSON|json" "opts that are not JSON are an error"
like "$ERR" "nosuch" "an unknown opts key is an error naming it"
like "$ERR" "wrong number of arguments to function mig_batch" "mig_batch with one argument is an error"
is "$(count_errors "$ERR")|$OUT" "5|" "five errors, no result"
is "$(q "$DB" "SELECT mig_batch('foo', 'ADD COLUMN z INT', '{}'); SELECT mig_batch('foo', 'DROP COLUMN z', '{\"env\": \"default\"}');")" \
    "$(printf 'native\nnative')" "opts '{}' and {\"env\": ...} are accepted"
is "$(q "$T/fresh.db" "SELECT name || '/' || narg FROM pragma_function_list WHERE name = 'mig_batch' ORDER BY narg;")" \
    "$(printf 'mig_batch/2\nmig_batch/3')" "mig_batch is registered with 2 and 3 arguments"

# ---- not from a trigger or a view; TEMP tables; a TEMP table of the same name ----------------
sql "$DB" <<'EOF'
CREATE TABLE trg (x);
CREATE TRIGGER trg_batch AFTER INSERT ON trg BEGIN SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL'); END;
CREATE VIEW v_batch AS SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL') AS s;
EOF
snapshot "$DB" >"$T/before.snap"
sql "$DB" <<'EOF'
INSERT INTO trg VALUES (1);
SELECT * FROM v_batch;
EOF
like "$ERR" "unsafe use of mig_batch\(\).*unsafe use of mig_batch\(\)" "mig_batch cannot run from a trigger or a view"
same_snapshot "$DB" "$T/before.snap" "nothing changed"
raw "$DB" "DROP TRIGGER trg_batch; DROP VIEW v_batch; DROP TABLE trg;" >/dev/null

snapshot "$DB" >"$T/before.snap"
sql "$DB" <<'EOF'
CREATE TEMP TABLE tt (a INTEGER NOT NULL);
SELECT mig_batch('tt', 'ALTER COLUMN a DROP NOT NULL');
EOF
like "$ERR" '"tt"' "a TEMP table is not mig_batch's (main database only): an error naming it"
cp "$DB" "$T/temp.db"
sql "$T/temp.db" <<'EOF'
CREATE TEMP TABLE foo (foo_id INTEGER PRIMARY KEY, bar TEXT NOT NULL, tmp INTEGER);
INSERT INTO temp.foo VALUES (9, 'temp row', 0);
SELECT mig_batch('foo', 'ADD COLUMN z INT');
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');
SELECT 'temp: ' || group_concat(name) FROM pragma_table_info('foo', 'temp');
SELECT 'main: ' || group_concat(name || ':' || "notnull") FROM pragma_table_info('foo', 'main');
EOF
like "$OUT|$ERR" "^temp: foo_id,bar,tmp.main: foo_id:1,bar:1,note:0,n:0\|.*TEMP table \"foo\" shadows main.foo" \
    "with a TEMP table foo in the session, mig_batch('foo', ...) refuses, naming the TEMP table, and changes nothing"

# ---- another statement reading on the same connection -------------------------------------------
snapshot "$DB" >"$T/before.snap"
sql "$DB" <<'EOF'
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL') FROM some_table;
EOF
is "$RC:$OUT" "1:" "SELECT mig_batch(<a rebuild>) FROM some_table: the shell reports an error (no crash)"
like "$ERR" "statement of its own" "SELECT mig_batch(<a rebuild>) FROM some_table: a clear error saying what to do"
same_snapshot "$DB" "$T/before.snap" "SELECT mig_batch(<a rebuild>) FROM some_table: nothing changed"
sql "$DB" <<'EOF'
SELECT foo_id FROM foo WHERE mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL') = 'rebuild';
EOF
is "$RC:$OUT" "1:" "SELECT ... FROM foo WHERE mig_batch(<a rebuild of foo>): an error (no crash)"
like "$ERR" "statement of its own" "SELECT ... FROM foo WHERE mig_batch(<a rebuild of foo>): a clear error"
same_snapshot "$DB" "$T/before.snap" "SELECT ... FROM foo WHERE mig_batch(<a rebuild of foo>): nothing changed"
sql "$DB" <<'EOF'
BEGIN;
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL') FROM some_table;
SELECT 'still in the transaction';
ROLLBACK;
EOF
is "$OUT" "still in the transaction" "inside BEGIN: the same error leaves the caller's transaction open"
like "$ERR" "statement of its own" "inside BEGIN: the same clear error"
same_snapshot "$DB" "$T/before.snap" "inside BEGIN: nothing changed"
sql "$DB" <<'EOF'
SELECT mig_batch('foo', 'ADD COLUMN z INT') FROM some_table;
SELECT mig_batch('foo', 'ADD COLUMN c' || value || ' INT DEFAULT ' || value) FROM json_each('[1, 2]');
SELECT group_concat(name) FROM pragma_table_info('foo');
SELECT foo_id, z, c1, c2 FROM foo ORDER BY 1;
PRAGMA integrity_check;
EOF
is "$OUT|$ERR" "$(printf 'native\nnative\nnative\nfoo_id,bar,note,n,z,c1,c2\n1||1|2\n2||1|2\n3||1|2\nok|')" \
    "native actions from a reading statement are allowed by SQLite and succeed correctly (one call per row)"

# PostgreSQL's default constraint names are read with the names the actions were written with: an action
# before a RENAME COLUMN names the column (and so its unnamed constraints) by its old name, as PostgreSQL does
sql "$DB" <<'EOF'
CREATE TABLE foo2 (id INTEGER PRIMARY KEY, bar TEXT UNIQUE CHECK (length(bar) > 0));
INSERT INTO foo2 VALUES (1, 'x');
SELECT mig_batch('foo2', 'DROP CONSTRAINT foo2_bar_key, DROP CONSTRAINT foo2_bar_check, RENAME COLUMN bar TO baz');
INSERT INTO foo2 VALUES (2, 'x'), (3, '');
SELECT group_concat(name) FROM pragma_table_info('foo2');
SELECT count(*) FROM foo2;
EOF
is "$OUT|$ERR" "$(printf 'rebuild\nid,baz\n3|')" \
    "DROP CONSTRAINT foo2_bar_key (PostgreSQL's name of bar's UNIQUE) before RENAME COLUMN bar TO baz drops it"
sql "$DB" <<'EOF'
CREATE TABLE foo3 (id INTEGER PRIMARY KEY, bar TEXT CONSTRAINT foo3_bar_key UNIQUE);
SELECT mig_batch('foo3', 'RENAME COLUMN bar TO baz, DROP CONSTRAINT foo3_bar_key');
EOF
like "$OUT|$ERR" "^(native|rebuild)\|$" "an explicitly named constraint keeps its name after a RENAME COLUMN before it"

done_testing

#!/bin/bash
# SQLite: mig_snapshot() and mig_snapshot_sql() (docs/schema.md).  No false
# positives: one schema written in many styles, built by SQL, by ALTER TABLE,
# restored from `.schema`, vacuumed, rebuilt by mig_batch, renamed and back,
# always gives the same snapshot, and mig_snapshot_sql of the text gives it
# too; real differences show.  mig's state tables are left out; filters and
# option errors; mig_snapshot_sql never touches the caller's database.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

# snap DB [OPTS]: mig_snapshot() of a database file
snap() {
    if [ $# -gt 1 ]; then q "$1" "SELECT mig_snapshot('$2');"; else q "$1" "SELECT mig_snapshot();"; fi
}
# snap_sql FILE: mig_snapshot_sql() of a script, in a throwaway connection
snap_sql() {
    q "$T/scratch.db" "SELECT mig_snapshot_sql(readfile('$1'));"
}
# build DB FILE: create a database from a script with the plain shell
build() {
    rm -f "$1"
    "$SQLITE3" -batch -bail "$1" <"$2" 2>&1
}
# same_json GOT WANT DESC: equal snapshots, with the first differing object on failure
same_json() {
    if [ "$1" == "$2" ]; then
        pass "$3"
    else
        fail "$3" "$(diff <(sed 's/},{"kind"/},\n{"kind"/g' <<<"$2") <(sed 's/},{"kind"/},\n{"kind"/g' <<<"$1") | head -20)"
    fi
}
# names JSON: "kind:name" of each object
names() {
    printf '%s' "$1" >"$T/names.json"
    q "$T/scratch.db" "SELECT group_concat(value->>'kind' || ':' || (value->>'name'), ' ')
                       FROM json_each(CAST(readfile('$T/names.json') AS TEXT), '\$.objects');"
}

# ---- the reference schema ---------------------------------------------------
cat >base.sql <<'EOF'
CREATE TABLE parent(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  kind TEXT DEFAULT 'x' CHECK (kind IN ('x', 'y'))
);
CREATE TABLE child(
  id INTEGER PRIMARY KEY,
  pid INTEGER REFERENCES parent(id) ON DELETE CASCADE,
  qty INT NOT NULL DEFAULT 0 CHECK (qty >= 0),
  total INT AS (qty * 2) STORED,
  note VARCHAR(20) COLLATE NOCASE
);
CREATE TABLE tag(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE st(a INTEGER, b TEXT) STRICT;
CREATE INDEX child_pid ON child(pid);
CREATE UNIQUE INDEX child_note ON child(lower(note) DESC) WHERE note IS NOT NULL;
CREATE VIEW v(cid, pname) AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 0;
CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;
EOF
out=$(build ref.db base.sql)
is "$out" "" "the reference schema builds"
REF=$(snap ref.db)
like "$REF" '^\{"mig_snapshot":1,"dialect":"sqlite","objects":\[\{"kind":"table","name":"child",' \
    "mig_snapshot() is the canonical JSON document"
is "$(names "$REF")" "table:child table:parent table:st table:tag index:child_note index:child_pid view:v trigger:tr" \
    "every object, by kind then name; no sqlite_sequence, no automatic index"
like "$REF" '"name":"total","type":"INT","generated":"stored","generated_expr":"qty \* 2"' "a generated column"
like "$REF" '"primary_key":\{"parts":\[\{"column":"id"\}\],"autoincrement":true\}' "AUTOINCREMENT"
like "$REF" '"parts":\[\{"expr":"lower\(note\)","desc":true\}\],"where":"note IS NOT NULL"' "an expression index, partial"
is "$(snap_sql base.sql)" "$REF" "mig_snapshot_sql of the script equals the snapshot of the database it builds"

# ---- one schema, many styles -----------------------------------------------
cat >quoted.sql <<'EOF'
-- quoted names in every way SQLite has, lower case, odd spacing, comments,
-- IF NOT EXISTS, a schema prefix, table-level constraints, DEFAULT (0)
create table if not exists "parent" (
  [id] integer ,
  `name` text not null,
  "kind" text check("kind" in ('x','y')) default ('x'),
  primary key ("id" autoincrement), /* the key */
  unique (name)
);
create table if not exists main.child (id integer primary key, pid integer, qty int default (0) not null,
  total int generated always as ( qty*2 ) stored, note varchar ( 20 ) collate nocase,
  foreign key (pid) references "parent" ("id") on delete cascade, check ( qty>=0 ));
create table [tag] ([k] text, [v] blob, primary key (k)) without rowid;
create table "st" (a integer, b text) strict;
create index if not exists "child_pid" on "child" ("pid" asc);
create unique index child_note on child (LOWER( "note" ) desc) where "note" is not null;
create view if not exists "v" ("cid", [pname]) as select c.id, p."name" from "child" c join "parent" p on p.id == c.pid where c.qty>0;
create trigger if not exists tr after insert on "child" for each row begin update "child" set qty=qty+1 where id = new."id"; end;
EOF
cat >altered.sql <<'EOF'
-- the text SQLite leaves after ALTER TABLE DROP COLUMN, RENAME TO (which
-- rewrites REFERENCES elsewhere), ADD COLUMN and RENAME COLUMN
CREATE TABLE parent_old(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, kind TEXT DEFAULT 'x' CHECK (kind IN ('x', 'y')), junk INT);
ALTER TABLE parent_old DROP COLUMN junk;
CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent_old(id) ON DELETE CASCADE, qty INT NOT NULL DEFAULT 0 CHECK (qty >= 0), total INT AS (qty * 2) STORED);
ALTER TABLE parent_old RENAME TO parent;
ALTER TABLE child ADD COLUMN note VARCHAR(20) COLLATE NOCASE;
CREATE TABLE tag(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE st(a INTEGER, bb TEXT) STRICT;
ALTER TABLE st RENAME COLUMN bb TO b;
CREATE INDEX child_pid ON child(pid);
CREATE UNIQUE INDEX child_note ON child(lower(note) DESC) WHERE note IS NOT NULL;
CREATE VIEW v(cid, pname) AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 0;
CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;
EOF
cat >ordered.sql <<'EOF'
-- objects in another order, constraints in another order and form
CREATE TABLE st(a INTEGER, b TEXT) STRICT;
CREATE TABLE tag(v BLOB, k TEXT, PRIMARY KEY (k)) WITHOUT ROWID;
EOF
# (tag's column order differs: that one must NOT be equal; fixed below)
cat >ordered.sql <<'EOF'
CREATE TABLE st(a INTEGER, b TEXT) STRICT;
CREATE TABLE tag(k TEXT, v BLOB, PRIMARY KEY (k)) WITHOUT ROWID;
CREATE TABLE parent(id INTEGER, name TEXT UNIQUE NOT NULL, kind TEXT CHECK (kind IN ('x', 'y')) DEFAULT "x",
  CONSTRAINT pk PRIMARY KEY (id AUTOINCREMENT));
CREATE TABLE child(id INTEGER PRIMARY KEY ASC, pid INTEGER CONSTRAINT fk REFERENCES parent ON DELETE CASCADE,
  qty INT CHECK (qty >= 0) DEFAULT +0 NOT NULL ON CONFLICT ABORT, total INT AS (qty * 2) STORED, note VARCHAR(20) COLLATE NOCASE);
CREATE VIEW v(cid, pname) AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 0;
CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = new.id; END;
CREATE UNIQUE INDEX child_note ON child(lower(note) DESC) WHERE note IS NOT NULL;
CREATE INDEX child_pid ON child(pid);
EOF
for style in quoted altered; do
    out=$(build "$style.db" "$style.sql")
    is "$out" "" "$style: builds"
    same_json "$(snap "$style.db")" "$REF" "$style: same snapshot as the reference"
    same_json "$(snap_sql "$style.sql")" "$REF" "$style: mig_snapshot_sql of its text too"
done
# ordered.sql names its primary key and foreign key, and writes REFERENCES parent without (id): real
# differences; everything else is a spelling
out=$(build ordered.db ordered.sql)
is "$out" "" "ordered: builds"
ORD=$(snap ordered.db)
is "$(snap_sql ordered.sql)" "$ORD" "ordered: mig_snapshot_sql equals mig_snapshot"
norm=$(sed -e 's/"primary_key":{"name":"pk",/"primary_key":{/' -e 's/{"name":"fk","columns":\["pid"\],"ref_table":"parent",/{"columns":["pid"],"ref_table":"parent","ref_columns":["id"],/' <<<"$ORD")
same_json "$norm" "$REF" "ordered: same snapshot but for the constraint names and REFERENCES parent (the primary key)"

# ---- dump and restore, VACUUM ------------------------------------------------
"$SQLITE3" -batch ref.db .schema >dump.sql
rm -f restored.db
"$SQLITE3" -batch restored.db <dump.sql >restore.out 2>&1
like "$(cat restore.out)" "sqlite_sequence|^$" "the .schema dump restores (its CREATE TABLE sqlite_sequence is refused by the shell)"
same_json "$(snap restored.db)" "$REF" ".schema dump and restore: same snapshot"
same_json "$(snap_sql dump.sql)" "$REF" "mig_snapshot_sql of the .schema dump (CREATE TABLE sqlite_sequence skipped): same"
cp ref.db vac.db
raw vac.db "INSERT INTO parent(name) VALUES ('a'); INSERT INTO child(pid) VALUES (1); DELETE FROM child; VACUUM;" >/dev/null
same_json "$(snap vac.db)" "$REF" "after rows, deletes and VACUUM: same snapshot"

# ---- mig_batch rebuilds and renames that end in the same schema ---------------
cp ref.db batch.db
sql batch.db <<'EOF'
SELECT mig_batch('child', 'ALTER COLUMN qty DROP NOT NULL');
SELECT mig_batch('child', 'ALTER COLUMN qty SET NOT NULL');
SELECT mig_batch('child', 'ALTER COLUMN note TYPE TEXT, ADD COLUMN extra INT');
SELECT mig_batch('child', 'ALTER COLUMN note TYPE VARCHAR(20), DROP COLUMN extra');
SELECT mig_batch('parent', 'DROP CONSTRAINT parent_kind_check');
SELECT mig_batch('parent', 'ADD CHECK (kind IN (''x'', ''y''))');
EOF
is "$RC:$ERR" "0:" "mig_batch: six calls, rebuilds among them"
is "$(raw batch.db "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%NOT NULL%' AND name = 'child'")" 1 "the table really was rebuilt (still NOT NULL)"
same_json "$(snap batch.db)" "$REF" "after mig_batch rebuilds that end in the same schema: same snapshot"
cp ref.db create.db
sql create.db <<'EOF'
SELECT mig_batch('st', '', '{"create": "CREATE TABLE st(a INTEGER, b TEXT) STRICT"}');
EOF
is "$RC:$ERR" "0:" "mig_batch's \"create\" rebuild to the same statement"
same_json "$(snap create.db)" "$REF" "after it: same snapshot"
cp ref.db rename.db
raw rename.db "ALTER TABLE parent RENAME TO parent2; ALTER TABLE child RENAME TO child2;
ALTER TABLE parent2 RENAME TO parent; ALTER TABLE child2 RENAME TO child;
ALTER TABLE child RENAME COLUMN qty TO quantity; ALTER TABLE child RENAME COLUMN quantity TO qty;" >/dev/null
like "$(raw rename.db "SELECT sql FROM sqlite_master WHERE name = 'tr'")" 'ON "child"' "RENAME TO left quoted names behind"
same_json "$(snap rename.db)" "$REF" "ALTER TABLE RENAME TO and back, RENAME COLUMN and back: same snapshot"

# ---- real differences are seen --------------------------------------------------
differs() { # differs DESC SQL: run SQL on a copy of ref.db; the snapshot must change
    cp ref.db diff.db
    raw diff.db "$2" >/dev/null
    isnt "$(snap diff.db)" "$REF" "a difference is seen: $1"
}
differs "a column added" "ALTER TABLE st ADD COLUMN c INT"
differs "an index dropped" "DROP INDEX child_pid"
differs "a view's SELECT" "DROP VIEW v; CREATE VIEW v(cid, pname) AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.pid WHERE c.qty > 1"
differs "a trigger's body" "DROP TRIGGER tr; CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 2 WHERE id = new.id; END"
differs "a column renamed" "ALTER TABLE st RENAME COLUMN b TO c"
differs "a string that was an identifier" "DROP TRIGGER tr; CREATE TRIGGER tr AFTER INSERT ON child BEGIN UPDATE child SET qty = qty + 1 WHERE id = \"new.id\"; END"
a=$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(x INTEGER PRIMARY KEY DESC)');")
b=$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(x INTEGER, PRIMARY KEY (x DESC))');")
isnt "$a" "$b" "x INTEGER PRIMARY KEY DESC (no rowid alias) differs from PRIMARY KEY (x DESC) (an alias)"

# ---- mig's state tables ----------------------------------------------------------
cp ref.db migged.db
rev r1.sql r1 "" "CREATE TABLE extra(x);"
sql migged.db <<'EOF'
SELECT mig_put_revision(readfile('r1.sql'));
SELECT mig_upgrade('head');
EOF
is "$(raw migged.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'mig_%'")" 5 "the database has mig's state tables and indexes"
got=$(snap migged.db)
unlike "$got" '"mig_(revision|version|history)' "mig_snapshot leaves mig's state tables and their indexes out"
same_json "$(q "$T/scratch.db" "SELECT mig_snapshot_sql(readfile('base.sql') || 'CREATE TABLE extra(x);');")" "$got" \
    "and is the snapshot of the schema the revision built"

# ---- filters ---------------------------------------------------------------------
is "$(names "$(snap ref.db '{"kinds": ["table"]}')")" "table:child table:parent table:st table:tag" "kinds: tables"
is "$(names "$(snap ref.db '{"kinds": ["view", "trigger"]}')")" "view:v trigger:tr" "kinds: views and triggers"
is "$(names "$(snap ref.db '{"include": ["child*"]}')")" "table:child index:child_note index:child_pid" "include: GLOB on the names"
is "$(names "$(snap ref.db '{"exclude": ["child"]}')")" "table:parent table:st table:tag view:v" \
    "exclude: a table's indexes and triggers go with it"
is "$(names "$(snap ref.db '{"include": ["*"], "exclude": ["p*", "t[a-z]g", "s?"]}')")" "table:child index:child_note index:child_pid view:v trigger:tr" \
    "include and exclude together, GLOB classes"
is "$(names "$(snap ref.db '{"include": ["CHILD"]}')")" "" "GLOB is case-sensitive, as SQLite's"
is "$(names "$(q "$T/scratch.db" "SELECT mig_snapshot_sql(readfile('base.sql'), '{\"kinds\": [\"index\"]}');")")" \
    "index:child_note index:child_pid" "mig_snapshot_sql takes the same options"
is "$(q ref.db "SELECT mig_snapshot(NULL);")" "$REF" "opts SQL NULL: no filter"

# ---- option errors ------------------------------------------------------------------
opt_error() {
    like "$(snap ref.db "$1")" "$2" "option error: $3"
}
opt_error '{"kind": ["table"]}' 'mig_snapshot: unknown option "kind" \(known: kinds, include, exclude\)' "unknown key"
opt_error '{"kinds": ["tables"]}' 'option "kinds": element 0 must be "table", "index", "view" or "trigger"' "unknown kind"
opt_error '{"kinds": []}' 'option "kinds" must be a non-empty array' "empty kinds"
opt_error '{"include": "child*"}' 'option "include" must be an array of name patterns' "include not an array"
opt_error '{"exclude": [""]}' 'option "exclude": element 0 must be a non-empty string' "an empty pattern"
opt_error '{"schemas": ["main"]}' 'option "schemas" is for PostgreSQL' "schemas on SQLite"
opt_error '{"kinds": ' 'mig_snapshot: invalid options JSON at line 1' "invalid JSON"
opt_error '[1]' 'options must be a JSON object' "not an object"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(a)', '{\"x\": 1}');")" 'mig_snapshot_sql: unknown option "x"' \
    "mig_snapshot_sql checks its options too"
like "$(q "$T/scratch.db" "SELECT mig_snapshot('{}', 1);")" 'wrong number of arguments' "mig_snapshot takes at most one argument"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql(NULL);")" 'mig_snapshot_sql: the first argument must be SQL text' "mig_snapshot_sql(NULL)"

# ---- mig_snapshot_sql never touches the caller's database ----------------------------
cp ref.db caller.db
snapshot caller.db >caller.before
sql caller.db <<'EOF'
SELECT length(mig_snapshot_sql('CREATE TABLE brand_new(x); DROP TABLE IF EXISTS parent; DROP TABLE IF EXISTS child;')) > 0;
SELECT mig_snapshot_sql('CREATE TABLE a(x);
CREATE TABLE b(y);
  CREATE TABLE c(z REFERENCES);
CREATE TABLE d(w);');
EOF
like "$OUT" '^1$' "a script that creates and drops tables: a snapshot"
like "$ERR" 'mig_snapshot_sql: statement 3 \(line 3\) failed: near "\)": syntax error: CREATE TABLE c\(z REFERENCES\)' \
    "a failing statement is an error naming it, its number and its line"
same_snapshot caller.db caller.before "the caller's database is exactly as before"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(a); CREATE TABLE t(b);');")" \
    'statement 2 \(line 1\) failed: table t already exists' "a second CREATE of one table fails (nothing merges)"
rm -f "$T/side.db" "$T/side2.db"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('ATTACH ''$T/side.db'' AS s; CREATE TABLE s.t(a);');")" \
    'statement 1 \(line 1\) failed: not authorized' "ATTACH is refused in the private database"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(a); VACUUM INTO ''$T/side2.db'';');")" \
    'statement 2 \(line 1\) failed' "VACUUM INTO is refused"
[ ! -e "$T/side.db" ] && [ ! -e "$T/side2.db" ]
ok $? "no file was written"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE t(a); SELECT ''unterminated');")" \
    'mig_snapshot_sql: unterminated quoted string starting at line 1' "an unterminated string is an error"
is "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('');")" '{"mig_snapshot":1,"dialect":"sqlite","objects":[]}' "an empty script: an empty snapshot"

# ---- unsupported objects, calls from views ------------------------------------------
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE VIRTUAL TABLE ft USING fts5(x);');")" \
    'table "ft": virtual tables are not in snapshots yet' "a virtual table is an error naming it"
is "$(names "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE VIRTUAL TABLE ft USING fts5(x); CREATE TABLE t(a);', '{\"exclude\": [\"ft\", \"ft_*\"]}');")")" \
    "table:t" "and the exclude option leaves it and its shadow tables out"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE \"\" (a);');")" \
    'a table without a name \(""\) cannot go into a snapshot' "a table named \"\" is an error"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE \"\" (a); CREATE TABLE t(b); CREATE INDEX i ON \"\"(a);', '{\"kinds\": [\"index\"]}');")" \
    'index "i": a table without a name \(""\) cannot go into a snapshot' "an index on it is an error naming the index"
like "$(q "$T/scratch.db" "SELECT mig_snapshot_sql('CREATE TABLE \"\" (a); CREATE TRIGGER g AFTER UPDATE ON [] BEGIN SELECT 1; END;', '{\"kinds\": [\"trigger\"]}');")" \
    'trigger "g": a table without a name \(""\) cannot go into a snapshot' "so is a trigger on it"
like "$(q "$T/scratch.db" "CREATE VIEW vs AS SELECT mig_snapshot() AS s; SELECT * FROM vs;")" 'unsafe use of mig_snapshot\(\)' \
    "mig_snapshot cannot run from a view (SQLITE_DIRECTONLY)"

done_testing

#!/bin/bash
# mig_batch (SPEC §5), every action on a table that has everything a rebuild
# must keep (tests/batch/parent.sql: indexes incl. partial and expression
# ones, a trigger, a view, named and unnamed CHECKs, AUTOINCREMENT with
# sqlite_sequence above max(id), COLLATE NOCASE, a generated column, an
# ON DELETE CASCADE child), with PRAGMA foreign_keys=ON.  Each action runs
# on a fresh copy; afterwards the table is what the action says (its
# CREATE TABLE, and the same by pragma_table_xinfo/index_list/
# foreign_key_list) and everything else is as before: other objects'
# sqlite_master rows, every table's rows (no cascade), sqlite_sequence,
# integrity_check, foreign_key_check, the view, the trigger, AUTOINCREMENT,
# the collation and the cascade still working.  The strategy is 'native'
# where SQLite's own ALTER is correct, else one rebuild at most.
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup

BASE=$T/base.db
"$SQLITE3" -batch -bail "$BASE" <"$BATCH_DIR/parent.sql" || bail "cannot create the fixture"
is "$(raw "$BASE" "SELECT seq FROM sqlite_sequence WHERE name = 'parent'; SELECT max(id) FROM parent; SELECT count(*) FROM child;")" \
    "$(printf '4\n3\n4')" "fixture: sqlite_sequence 4 above max(id) 3, four child rows"

# act DESC TABLE ACTIONS STRATEGY WANT_CREATE WANT_ROWS
#   WANT_CREATE: the table's CREATE TABLE after (compared with white space normalised)
#   WANT_ROWS:   a query on the untouched database that gives the table's rows after
# Optional, set for one call:  A_NEWNAME (after RENAME TO), A_OBJ_SED (sed script:
#   other objects before -> after), A_SEQ_SED (sqlite_sequence), A_VIEW (view rows
#   after), A_POST (what the closing checks print).
act() {
    local desc=$1 table=$2 actions=$3 strategy=$4 want_create=$5 want_rows=$6
    local newname=${A_NEWNAME:-$table} db=$T/a.db trace=$T/trace.txt p=parent
    [ "$table" == parent ] && p=$newname
    cp "$BASE" "$db"
    rm -f "$trace"
    sql "$db" <<EOF
PRAGMA foreign_keys = ON;
.trace $trace --stmt
SELECT mig_batch('${table//\'/\'\'}', '${actions//\'/\'\'}');
.trace off
PRAGMA foreign_keys;
PRAGMA legacy_alter_table;
EOF
    is "$OUT|$ERR" "$(printf '%s\n1\n0|' "$strategy")" \
        "$desc: returns '$strategy'; foreign_keys still on, legacy_alter_table still off"
    if [ "$strategy" == rebuild ]; then
        is "$(count_stmts "$trace" 'CREATE TABLE')/$(count_stmts "$trace" 'DROP TABLE')" 1/1 \
            "$desc: exactly one table rebuild (one CREATE TABLE, one DROP TABLE)"
    else
        is "$(count_stmts "$trace" 'CREATE TABLE')/$(count_stmts "$trace" 'DROP TABLE')" 0/0 \
            "$desc: no table rebuilt"
    fi
    is "$(table_sql "$db" "$newname")" "$(norm <<<"$want_create")" "$desc: the new CREATE TABLE"
    is "$(struct "$db" "$newname")" "$(want_struct "$want_create")" \
        "$desc: columns, constraint indexes and foreign keys (pragmas) are what that CREATE TABLE says"
    is "$(objects "$db" "$newname")" "$(objects "$BASE" "$table" | sed -e "${A_OBJ_SED:-}")" \
        "$desc: every other table, index, trigger and view unchanged${A_OBJ_SED:+ (but: $A_OBJ_SED)}"
    is "$(rows "$db" "$newname")" "$(printf '.mode quote\n%s;\n' "$want_rows" | "$SQLITE3" -batch "$BASE" 2>&1)" \
        "$desc: all rows of $table, rowids kept"
    is "$(other_rows "$db" "$newname")" "$(other_rows "$BASE" "$table")" \
        "$desc: all rows of every other table (child rows neither cascaded nor deleted)"
    is "$(seq_rows "$db")" "$(seq_rows "$BASE" | sed -e "${A_SEQ_SED:-}")" "$desc: sqlite_sequence"
    is "$(raw "$db" "PRAGMA foreign_keys = ON; PRAGMA integrity_check; PRAGMA foreign_key_check;")" "ok" \
        "$desc: integrity_check ok, foreign_key_check empty"
    is "$(raw "$db" "SELECT * FROM v_parent ORDER BY id;")" "${A_VIEW:-$(raw "$BASE" "SELECT * FROM v_parent ORDER BY id;")}" \
        "$desc: the view still works"
    is "$(raw "$db" "PRAGMA foreign_keys = ON;
        INSERT INTO \"$p\" (name, qty, price, grade) VALUES ('Elder', 1, 2, 3);
        SELECT max(id) FROM \"$p\"; SELECT what FROM audit ORDER BY rowid DESC LIMIT 1;
        SELECT count(*) FROM \"$p\" WHERE name = 'APPLE';
        DELETE FROM \"$p\" WHERE id = 1; SELECT count(*) FROM child;")" "${A_POST:-$(printf '5\nins Elder\n1\n2')}" \
        "$desc: then an insert gets id 5 (AUTOINCREMENT) and fires the trigger, NOCASE holds, a delete cascades"
    unset A_NEWNAME A_OBJ_SED A_SEQ_SED A_VIEW A_POST
}

P="CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE NOT NULL,
  qty INTEGER NOT NULL DEFAULT 0, price REAL CONSTRAINT price_positive CHECK (price >= 0), code TEXT UNIQUE,
  note TEXT, extra TEXT, grade INTEGER CHECK (grade BETWEEN 1 AND 5),
  total REAL GENERATED ALWAYS AS (qty * price) VIRTUAL, CHECK (qty >= 0))"
P=$(norm <<<"$P")

# sub TEXT OLD NEW [OLD NEW...]: TEXT with the first OLD replaced by NEW (literally), in turn.
sub() {
    local s=$1 old new
    shift
    while [ $# -ge 2 ]; do
        old=$1 new=$2
        shift 2
        [[ $s == *"$old"* ]] || bail "sub: '$old' not in '$s'"
        s=${s/"$old"/"$new"}
    done
    printf '%s' "$s"
}
ROWS="SELECT rowid, * FROM parent ORDER BY rowid"
COLS="id, name, qty, price, code, note, extra, grade, total"
C="CREATE TABLE child (cid INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE,
  label TEXT, ccode TEXT, UNIQUE (pid, label), CONSTRAINT child_label_uq UNIQUE (label),
  CONSTRAINT child_ccode_fk FOREIGN KEY (ccode) REFERENCES codes (code))"
C=$(norm <<<"$C")
CROWS="SELECT rowid, * FROM child ORDER BY rowid"

# ---- ADD COLUMN -------------------------------------------------------------------------
act "ADD COLUMN z INT" parent 'ADD COLUMN z INT' native \
    "${P/ VIRTUAL,/ VIRTUAL, z INT,}" "SELECT rowid, *, NULL FROM parent ORDER BY rowid"
act "ADD COLUMN IF NOT EXISTS (a new column)" parent 'ADD COLUMN IF NOT EXISTS z INT DEFAULT 5' native \
    "${P/ VIRTUAL,/ VIRTUAL, z INT DEFAULT 5,}" "SELECT rowid, *, 5 FROM parent ORDER BY rowid"
act "ADD COLUMN IF NOT EXISTS (the column exists: nothing to do)" parent 'ADD COLUMN IF NOT EXISTS note INTEGER' native \
    "$P" "$ROWS"
act "ADD (no COLUMN keyword) NOT NULL with a literal default" parent 'ADD w INTEGER NOT NULL DEFAULT 7' native \
    "${P/ VIRTUAL,/ VIRTUAL, w INTEGER NOT NULL DEFAULT 7,}" "SELECT rowid, *, 7 FROM parent ORDER BY rowid"
act "ADD COLUMN ... UNIQUE (SQLite cannot)" parent 'ADD COLUMN u TEXT UNIQUE' rebuild \
    "${P/ VIRTUAL,/ VIRTUAL, u TEXT UNIQUE,}" "SELECT rowid, *, NULL FROM parent ORDER BY rowid"
act "ADD COLUMN with an expression default (SQLite cannot)" parent "ADD COLUMN s TEXT DEFAULT (lower('X'))" rebuild \
    "$(sub "$P" ' VIRTUAL,' " VIRTUAL, s TEXT DEFAULT (lower('X')),")" "SELECT rowid, *, 'x' FROM parent ORDER BY rowid"

# ---- DROP COLUMN ------------------------------------------------------------------------
act "DROP COLUMN of an unindexed, unconstrained column" parent 'DROP COLUMN extra' native \
    "${P/ extra TEXT,/}" "SELECT rowid, ${COLS/ extra,/} FROM parent ORDER BY rowid"
act "DROP COLUMN IF EXISTS (it exists)" parent 'DROP COLUMN IF EXISTS extra' native \
    "${P/ extra TEXT,/}" "SELECT rowid, ${COLS/ extra,/} FROM parent ORDER BY rowid"
act "DROP COLUMN IF EXISTS (it does not: nothing to do)" parent 'DROP COLUMN IF EXISTS nosuch' native "$P" "$ROWS"
act "DROP COLUMN of a UNIQUE column (its constraint goes with it)" parent 'DROP COLUMN code' rebuild \
    "${P/ code TEXT UNIQUE,/}" "SELECT rowid, ${COLS/ code,/} FROM parent ORDER BY rowid"
A_OBJ_SED="/'ix_parent_note'/d" act "DROP (no COLUMN keyword) of an indexed column (its partial index goes)" \
    parent 'DROP note' rebuild "${P/ note TEXT,/}" "SELECT rowid, ${COLS/ note,/} FROM parent ORDER BY rowid"

# ---- ALTER TYPE -------------------------------------------------------------------------
act "ALTER COLUMN TYPE without USING (values take the new affinity)" parent 'ALTER COLUMN price TYPE NUMERIC(10,2)' rebuild \
    "${P/price REAL/price NUMERIC(10,2)}" \
    "SELECT rowid, id, name, qty, CASE WHEN price = CAST(price AS INTEGER) THEN CAST(price AS INTEGER) ELSE price END,
            code, note, extra, grade, total FROM parent ORDER BY rowid"
act "ALTER TYPE TEXT without USING" parent 'ALTER qty TYPE TEXT' rebuild \
    "${P/qty INTEGER/qty TEXT}" \
    "SELECT rowid, id, name, CAST(qty AS TEXT), price, code, note, extra, grade, total FROM parent ORDER BY rowid"
act "ALTER COLUMN SET DATA TYPE ... USING" parent 'ALTER COLUMN extra SET DATA TYPE VARCHAR(10) USING upper(extra)' rebuild \
    "${P/extra TEXT/extra VARCHAR(10)}" \
    "SELECT rowid, id, name, qty, price, code, note, upper(extra), grade, total FROM parent ORDER BY rowid"

# ---- NOT NULL, DEFAULT ------------------------------------------------------------------
act "ALTER COLUMN SET NOT NULL" parent 'ALTER COLUMN price SET NOT NULL' rebuild \
    "${P/(price >= 0),/(price >= 0) NOT NULL,}" "$ROWS"
act "ALTER COLUMN DROP NOT NULL (COLLATE kept)" parent 'ALTER COLUMN name DROP NOT NULL' rebuild \
    "${P/NOCASE NOT NULL/NOCASE}" "$ROWS"
act "ALTER COLUMN DROP NOT NULL of a nullable column (nothing to do)" parent 'ALTER COLUMN note DROP NOT NULL' native \
    "$P" "$ROWS"
act "ALTER COLUMN SET DEFAULT (a literal)" parent "ALTER COLUMN note SET DEFAULT 'none'" rebuild \
    "$(sub "$P" 'note TEXT' "note TEXT DEFAULT 'none'")" "$ROWS"
act "ALTER SET DEFAULT (an expression, replacing the old default)" parent 'ALTER qty SET DEFAULT abs(-2)' rebuild \
    "${P/NOT NULL DEFAULT 0/NOT NULL DEFAULT (abs(-2))}" "$ROWS"
act "ALTER COLUMN DROP DEFAULT" parent 'ALTER COLUMN qty DROP DEFAULT' rebuild \
    "${P/ DEFAULT 0/}" "$ROWS"

# ---- RENAME COLUMN ------------------------------------------------------------------------
act "RENAME COLUMN" parent 'RENAME COLUMN extra TO more' native "${P/extra TEXT/\"more\" TEXT}" "$ROWS"
A_OBJ_SED='s/(note) WHERE note IS/("remark") WHERE "remark" IS/' act \
    "RENAME (no COLUMN keyword) of an indexed column (SQLite renames it in the index)" parent 'RENAME note TO remark' native \
    "${P/note TEXT/\"remark\" TEXT}" "$ROWS"

# ---- ADD CONSTRAINT -------------------------------------------------------------------------
K="CREATE TABLE kv (k TEXT NOT NULL, v INTEGER)"
act "ADD PRIMARY KEY (unnamed; rowids kept)" kv 'ADD PRIMARY KEY (k)' rebuild \
    "${K%)}, PRIMARY KEY (k))" "SELECT rowid, * FROM kv ORDER BY rowid"
act "ADD CONSTRAINT name PRIMARY KEY (two columns)" kv 'ADD CONSTRAINT kv_pk PRIMARY KEY (k, v)' rebuild \
    "${K%)}, CONSTRAINT kv_pk PRIMARY KEY (k, v))" "SELECT rowid, * FROM kv ORDER BY rowid"
act "ADD CONSTRAINT name UNIQUE" parent 'ADD CONSTRAINT parent_name_uq UNIQUE (name)' rebuild \
    "${P%)}, CONSTRAINT parent_name_uq UNIQUE (name))" "$ROWS"
act "ADD UNIQUE (unnamed, two columns)" parent 'ADD UNIQUE (code, note)' rebuild \
    "${P%)}, UNIQUE (code, note))" "$ROWS"
act "ADD CONSTRAINT name CHECK" parent 'ADD CONSTRAINT qty_small CHECK (qty < 100)' rebuild \
    "${P%)}, CONSTRAINT qty_small CHECK (qty < 100))" "$ROWS"
act "ADD CHECK (unnamed)" parent 'ADD CHECK (length(name) > 1)' rebuild \
    "${P%)}, CHECK (length(name) > 1))" "$ROWS"
act "ADD CONSTRAINT name FOREIGN KEY ... ON DELETE" parent \
    'ADD CONSTRAINT parent_code_fk FOREIGN KEY (code) REFERENCES codes (code) ON DELETE SET NULL' rebuild \
    "${P%)}, CONSTRAINT parent_code_fk FOREIGN KEY (code) REFERENCES codes (code) ON DELETE SET NULL)" "$ROWS"
act "ADD FOREIGN KEY (unnamed, to the primary key)" parent 'ADD FOREIGN KEY (code) REFERENCES codes' rebuild \
    "${P%)}, FOREIGN KEY (code) REFERENCES codes)" "$ROWS"

# ---- DROP CONSTRAINT --------------------------------------------------------------------------
act "DROP CONSTRAINT of a named column CHECK" parent 'DROP CONSTRAINT price_positive' rebuild \
    "${P/ CONSTRAINT price_positive CHECK (price >= 0)/}" "$ROWS"
act "DROP CONSTRAINT of an unnamed column CHECK by PostgreSQL's name (parent_grade_check)" parent \
    'DROP CONSTRAINT parent_grade_check' rebuild "${P/ CHECK (grade BETWEEN 1 AND 5)/}" "$ROWS"
act "DROP CONSTRAINT of an unnamed table CHECK on one column by PostgreSQL's name (parent_qty_check)" parent \
    'DROP CONSTRAINT parent_qty_check' rebuild "${P/, CHECK (qty >= 0)/}" "$ROWS"
act "DROP CONSTRAINT of an unnamed UNIQUE by PostgreSQL's name (parent_code_key)" parent \
    'DROP CONSTRAINT parent_code_key' rebuild "${P/code TEXT UNIQUE/code TEXT}" "$ROWS"
act "DROP CONSTRAINT of a named table PRIMARY KEY" tags 'DROP CONSTRAINT tags_pk' rebuild \
    "CREATE TABLE tags (tag TEXT, n INTEGER)" "SELECT rowid, * FROM tags ORDER BY rowid"
act "DROP CONSTRAINT of an unnamed PRIMARY KEY by PostgreSQL's name (colors_pkey)" colors 'DROP CONSTRAINT colors_pkey' rebuild \
    "CREATE TABLE colors (color TEXT, hex TEXT)" "SELECT rowid, * FROM colors ORDER BY rowid"
A_POST=$(printf '5\nins Elder\n1\n4') act \
    "DROP CONSTRAINT of an unnamed FOREIGN KEY by PostgreSQL's name (child_pid_fkey)" child 'DROP CONSTRAINT child_pid_fkey' \
    rebuild "${C/ REFERENCES parent (id) ON DELETE CASCADE/}" "$CROWS"
act "DROP CONSTRAINT of a named FOREIGN KEY" child 'DROP CONSTRAINT child_ccode_fk' rebuild \
    "${C/, CONSTRAINT child_ccode_fk FOREIGN KEY (ccode) REFERENCES codes (code)/}" "$CROWS"
act "DROP CONSTRAINT of a named UNIQUE" child 'DROP CONSTRAINT child_label_uq' rebuild \
    "${C/, CONSTRAINT child_label_uq UNIQUE (label)/}" "$CROWS"
act "DROP CONSTRAINT of an unnamed two-column UNIQUE by PostgreSQL's name (child_pid_label_key)" child \
    'DROP CONSTRAINT child_pid_label_key' rebuild "${C/ UNIQUE (pid, label),/}" "$CROWS"
act "DROP CONSTRAINT IF EXISTS of a missing constraint (nothing to do)" parent 'DROP CONSTRAINT IF EXISTS nosuch' native \
    "$P" "$ROWS"

# ---- RENAME TO -------------------------------------------------------------------------------
A_NEWNAME=p2 A_SEQ_SED='s/^parent=/p2=/' \
    A_OBJ_SED="s/'parent'/'p2'/; s/ ON parent / ON \"p2\" /; s/ FROM parent'/ FROM \"p2\"'/; s/REFERENCES parent (id)/REFERENCES \"p2\" (id)/" \
    act "RENAME TO (SQLite renames it in indexes, trigger, view, child's foreign key)" parent 'RENAME TO p2' native \
    "${P/CREATE TABLE parent/CREATE TABLE \"p2\"}" "$ROWS"

# ---- several actions: one rebuild at most -----------------------------------------------------
act "several rebuilding actions in one call" parent \
    'ALTER COLUMN name DROP NOT NULL, ALTER price SET NOT NULL, ADD COLUMN z INT, DROP COLUMN extra,
     ALTER qty SET DEFAULT 1, DROP CONSTRAINT parent_grade_check, ADD CONSTRAINT qty_small CHECK (qty < 100)' rebuild \
    "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT COLLATE NOCASE, qty INTEGER NOT NULL DEFAULT 1,
     price REAL CONSTRAINT price_positive CHECK (price >= 0) NOT NULL, code TEXT UNIQUE, note TEXT, grade INTEGER,
     total REAL GENERATED ALWAYS AS (qty * price) VIRTUAL, z INT, CHECK (qty >= 0), CONSTRAINT qty_small CHECK (qty < 100))" \
    "SELECT rowid, id, name, qty, price, code, note, grade, total, NULL FROM parent ORDER BY rowid"
A_OBJ_SED='s/(note) WHERE note IS/("remark") WHERE "remark" IS/' act "several native actions in one call stay native" parent \
    "ADD COLUMN z INT, DROP COLUMN extra, RENAME COLUMN note TO remark, ADD y TEXT DEFAULT 'y'" native \
    "$(sub "$P" ' note TEXT, extra TEXT,' ' "remark" TEXT,' ' VIRTUAL,' " VIRTUAL, z INT, y TEXT DEFAULT 'y',")" \
    "SELECT rowid, ${COLS/ extra,/}, NULL, 'y' FROM parent ORDER BY rowid"
act "a rename between rebuilding actions that name the column by its old and new name" parent \
    "ALTER COLUMN extra SET DEFAULT 'e', RENAME COLUMN extra TO more, ALTER COLUMN more TYPE VARCHAR(9)" rebuild \
    "$(sub "$P" 'extra TEXT' "\"more\" VARCHAR(9) DEFAULT 'e'")" "$ROWS"
A_NEWNAME=p2 A_SEQ_SED='s/^parent=/p2=/' \
    A_OBJ_SED="s/'parent'/'p2'/; s/ ON parent / ON \"p2\" /; s/ FROM parent'/ FROM \"p2\"'/; s/REFERENCES parent (id)/REFERENCES \"p2\" (id)/" \
    act "a rebuild followed by RENAME TO" parent 'ALTER COLUMN name DROP NOT NULL, RENAME TO p2' rebuild \
    "CREATE TABLE \"p2\" $(P2=${P/NOCASE NOT NULL/NOCASE}; echo "${P2#CREATE TABLE parent }")" "$ROWS"

done_testing

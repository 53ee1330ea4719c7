#!/bin/bash
# mig_batch: PostgreSQL's semantics of DROP COLUMN (indexes and table
# constraints on the column go with it; a view, a trigger, a generated
# column or a foreign key elsewhere that needs it is an error naming that
# object, and nothing changes), foreign keys during a rebuild (with
# foreign_keys on a rebuild that would leave a violation fails and rolls
# back; off it succeeds), and table options (WITHOUT ROWID, STRICT) kept.
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup

BASE=$T/base.db
"$SQLITE3" -batch -bail "$BASE" <"$BATCH_DIR/dropcol.sql" || bail "cannot create the fixture"
DB=$T/t.db
TC=$(table_sql "$BASE" t)
COLS="id, a, b, c, d, e, f, g, h, k, m, gen, n, note, p"

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

# batch DB FK ACTIONS [TABLE]: run mig_batch with PRAGMA foreign_keys=FK (sets OUT, ERR, RC)
batch() {
    sql "$1" <<EOF
PRAGMA foreign_keys = $2;
SELECT mig_batch('${4:-t}', '${3//\'/\'\'}');
EOF
}

# drop_ok COL STRATEGY WANT_CREATE GONE-INDEX...: DROP COLUMN COL succeeds and takes exactly these with it
drop_ok() {
    local col=$1 strategy=$2 want=$3 ix sed=""
    shift 3
    for ix in "$@"; do sed+="/'$ix'/d;"; done
    cp "$BASE" "$DB"
    batch "$DB" ON "DROP COLUMN $col"
    is "$OUT|$ERR" "$strategy|" "DROP COLUMN $col: returns '$strategy'"
    is "$(table_sql "$DB" t)" "$want" "DROP COLUMN $col: the new CREATE TABLE (the column's constraints gone with it)"
    is "$(struct "$DB" t)" "$(want_struct "$want")" "DROP COLUMN $col: pragma_table_xinfo, index_list, foreign_key_list agree"
    is "$(objects "$DB" t)" "$(objects "$BASE" t | sed -e "$sed")" \
        "DROP COLUMN $col: ${*:-no index} gone with it, every other index, trigger, view and table unchanged"
    local cols=", $COLS,"
    cols=${cols/", $col,"/,}
    cols=${cols#, }
    is "$(rows "$DB" t)" "$(printf '.mode quote\nSELECT rowid, %s FROM t ORDER BY rowid;\n' "${cols%,}" |
        "$SQLITE3" -batch "$BASE")" "DROP COLUMN $col: the other columns' data, rowids kept"
    is "$(raw "$DB" "PRAGMA foreign_keys = ON; PRAGMA integrity_check; PRAGMA foreign_key_check; SELECT * FROM v_b; SELECT * FROM v_join;")" \
        "$(raw "$BASE" "PRAGMA integrity_check; SELECT * FROM v_b; SELECT * FROM v_join;")" \
        "DROP COLUMN $col: integrity_check ok, foreign_key_check empty, the views work"
}

# refused DESC FK ACTIONS ERE [TABLE]: an error matching ERE, nothing changed
refused() {
    local desc=$1 fk=$2 actions=$3 ere=$4 table=${5:-t}
    snapshot "$DB" >"$T/before.snap"
    cp "$DB" "$T/before.db"
    batch "$DB" "$fk" "$actions" "$table"
    like "$ERR" "$ere" "$desc: an error naming it"
    is "$(count_errors "$ERR")|$OUT" "1|" "$desc: one error, no result"
    same_snapshot "$DB" "$T/before.snap" "$desc: nothing changed"
    cp "$T/before.db" "$DB" # the next case starts from the same state, whatever this one did
}

# ---- DROP COLUMN: what goes with the column ------------------------------------------------
drop_ok a rebuild "$(sub "$TC" " a TEXT," "")" ix_t_a ix_t_expr
drop_ok f rebuild "$(sub "$TC" " f TEXT," "")" ix_t_f
drop_ok d rebuild "$(sub "$TC" " d INTEGER," "" ", UNIQUE (d, e)" "" ", CONSTRAINT de_order CHECK (d < e)" "")"
drop_ok e rebuild "$(sub "$TC" " e INTEGER," "" " CHECK (p > e)" "" ", UNIQUE (d, e)" "" ", CONSTRAINT de_order CHECK (d < e)" "")"
drop_ok g native "$(sub "$TC" " g INTEGER CONSTRAINT g_pos CHECK (g > 0)," "")"
drop_ok n rebuild "$(sub "$TC" " n TEXT REFERENCES other (x)," "")"
drop_ok p native "$(sub "$TC" " p INTEGER CHECK (p > e)," "")"
# v_join reads other.note, not t.note: PostgreSQL drops t.note
drop_ok note native "$(sub "$TC" " note TEXT," "")"

# ---- DROP COLUMN: what needs the column elsewhere is an error --------------------------------
cp "$BASE" "$DB"
refused "DROP COLUMN b used by view v_b" ON 'DROP COLUMN b' 'v_b'
refused "DROP COLUMN c used by trigger tr_c on the table" ON 'DROP COLUMN c' 'tr_c'
refused "DROP COLUMN k used by trigger tr_log on another table" ON 'DROP COLUMN k' 'tr_log'
refused "DROP COLUMN m used by generated column gen" ON 'DROP COLUMN m' '"?gen"?'
refused "DROP COLUMN h referenced by ref.th (foreign_keys on)" ON 'DROP COLUMN h' 'ref'
refused "DROP COLUMN h referenced by ref.th (foreign_keys off)" OFF 'DROP COLUMN h' 'ref'
refused "DROP CONSTRAINT t_h_key, the UNIQUE that ref.th's foreign key needs (foreign_keys on)" ON 'DROP CONSTRAINT t_h_key' 'ref'
refused "DROP CONSTRAINT t_h_key, the UNIQUE that ref.th's foreign key needs (foreign_keys off)" OFF 'DROP CONSTRAINT t_h_key' 'ref'
refused "DROP COLUMN b after other actions in the same call" ON 'ADD COLUMN z INT, DROP COLUMN a, DROP COLUMN b' 'v_b'
refused "DROP COLUMN ... CASCADE" ON 'DROP COLUMN b CASCADE' 'CASCADE'
MAIN_DB=$DB DB=$T/pk.db
sql "$DB" <<<"CREATE TABLE pk (pid INTEGER PRIMARY KEY, v TEXT); CREATE TABLE pkref (r INTEGER PRIMARY KEY, pref INTEGER REFERENCES pk);
INSERT INTO pk VALUES (1, 'one'); INSERT INTO pkref VALUES (1, 1);"
refused "DROP COLUMN of a primary key referenced by pkref's foreign key without a column list (foreign_keys on)" \
    ON 'DROP COLUMN pid' 'pkref' pk
refused "DROP COLUMN of a primary key referenced by pkref's foreign key without a column list (foreign_keys off)" \
    OFF 'DROP COLUMN pid' 'pkref' pk
refused "DROP CONSTRAINT pk_pkey, the primary key that pkref's foreign key needs (foreign_keys off)" \
    OFF 'DROP CONSTRAINT pk_pkey' 'pkref' pk
DB=$MAIN_DB
sql "$DB" <<<"CREATE TABLE log_only (x);"
refused "DROP COLUMN of the only column" ON 'DROP COLUMN x' 'only column' log_only

# ---- names that are also other names: a column named like its table or like an index ------------
sql "$DB" <<'EOF'
CREATE TABLE item (id INTEGER PRIMARY KEY, item TEXT, x INTEGER);
CREATE INDEX ix_item_x ON item (x);
CREATE TABLE t2 (id INTEGER PRIMARY KEY, note TEXT, x INTEGER);
CREATE INDEX note ON t2 (x);
CREATE TABLE tagged (id INTEGER PRIMARY KEY, tagged TEXT, y INTEGER);
CREATE TRIGGER tagged_ai AFTER INSERT ON tagged BEGIN SELECT 1; END;
INSERT INTO item VALUES (1, 'i', 10);
INSERT INTO t2 VALUES (1, 'n', 20);
INSERT INTO tagged VALUES (1, 't', 30);
EOF
is "$ERR" "" "setup: a column named like its table, a column named like an index on another column"
for spec in "item|item|index ix_item_x|id,x" "t2|note|index note|id,x" "tagged|tagged|trigger tagged_ai|id,y"; do
    IFS='|' read -r t c obj cols <<<"$spec"
    cp "$DB" "$T/names.db"
    batch "$T/names.db" ON "DROP COLUMN $c" "$t"
    is "$OUT|$ERR" "native|" "DROP COLUMN $c of table $t (no index, constraint, view or trigger uses it): native"
    is "$(raw "$T/names.db" "SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name = '$t' AND type <> 'table';
                            SELECT group_concat(name) FROM pragma_table_info('$t');")" \
        "$(printf '%s\n%s' "$obj" "$cols")" "DROP COLUMN $c of table $t: $obj kept, the column gone"
done

# ---- a rename after actions that name the column by its old name (docs/batch.md) -------------------
raw "$DB" "CREATE TABLE rn (id INTEGER PRIMARY KEY, bar TEXT NOT NULL); INSERT INTO rn VALUES (1, 'x'), (2, 'y');" >/dev/null
for spec in "ADD CONSTRAINT bar_ne CHECK (bar <> ''), RENAME COLUMN bar TO baz|INSERT INTO rn VALUES (3, '');|CHECK constraint failed: bar_ne|x y" \
    "ALTER COLUMN bar TYPE TEXT USING upper(bar), RENAME COLUMN bar TO baz|SELECT 1;|1|X Y" \
    "ADD UNIQUE (bar), RENAME COLUMN bar TO baz|INSERT INTO rn VALUES (3, 'x');|UNIQUE constraint failed: rn.baz|x y"; do
    IFS='|' read -r actions probe want values <<<"$spec"
    cp "$DB" "$T/rn.db"
    batch "$T/rn.db" ON "$actions" rn
    is "$OUT|$ERR" "rebuild|" "'$actions': the earlier action uses the old name"
    is "$(raw "$T/rn.db" "$probe" | sed -E 's/^Runtime error near line 1: //; s/ \(19\)$//')|$(raw "$T/rn.db" "SELECT group_concat(baz, ' ') FROM rn;")" \
        "$want|$values" "'$actions': the result works on the new name"
done

# ---- foreign keys during a rebuild ------------------------------------------------------------
sql "$DB" <<'EOF'
CREATE TABLE par (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE kid (kid INTEGER PRIMARY KEY, pid INTEGER REFERENCES par (id) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE orphan (oid INTEGER PRIMARY KEY, pid INTEGER);
CREATE TABLE tree (id INTEGER PRIMARY KEY, up INTEGER REFERENCES tree (id) ON DELETE CASCADE, label TEXT NOT NULL);
INSERT INTO par VALUES (1, 'p1'), (2, 'p2');
INSERT INTO kid VALUES (1, 1), (2, 2), (3, NULL);
INSERT INTO orphan VALUES (1, 1), (2, 99);
INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, 'b');
EOF
is "$ERR" "" "setup: par, kid (ON DELETE/UPDATE CASCADE), orphan, tree (self-referencing)"
refused "ALTER COLUMN id TYPE TEXT USING ('x' || id) on a parent with children, foreign_keys on" \
    ON "ALTER COLUMN id TYPE TEXT USING ('x' || id)" 'FOREIGN KEY.*kid' par
refused "ADD FOREIGN KEY that rows violate, foreign_keys on" \
    ON 'ADD CONSTRAINT orphan_fk FOREIGN KEY (pid) REFERENCES par (id)' 'FOREIGN KEY.*orphan' orphan
refused "a violating rebuild after a good one in the same call, foreign_keys on" \
    ON "ALTER COLUMN v DROP NOT NULL, ALTER COLUMN id TYPE TEXT USING ('x' || id)" 'FOREIGN KEY' par

snapshot "$DB" >"$T/before.snap"
sql "$DB" <<'EOF'
PRAGMA foreign_keys = ON;
BEGIN;
SELECT mig_batch('par', 'ALTER COLUMN id TYPE TEXT USING (''x'' || id)');
PRAGMA foreign_keys;
PRAGMA legacy_alter_table;
SELECT count(*) FROM kid;
ROLLBACK;
EOF
like "$ERR" "FOREIGN KEY" "inside BEGIN with foreign_keys on: the violating rebuild fails"
is "$(count_errors "$ERR")|$OUT" "$(printf '1|1\n0\n3')" \
    "inside BEGIN: foreign_keys still on, legacy_alter_table off, the children there, the transaction still open for ROLLBACK"
same_snapshot "$DB" "$T/before.snap" "inside BEGIN: nothing changed"

cp "$DB" "$T/fk.db"
batch "$T/fk.db" OFF "ALTER COLUMN id TYPE TEXT USING ('x' || id)" par
is "$OUT|$ERR" "rebuild|" "the same ALTER TYPE with foreign_keys off succeeds"
is "$(raw "$T/fk.db" "SELECT rowid, id, v FROM par ORDER BY rowid; SELECT * FROM kid ORDER BY kid;")" \
    "$(printf '1|x1|p1\n2|x2|p2\n1|1\n2|2\n3|')" "with foreign_keys off: the new ids, the children untouched (no cascade)"
is "$(raw "$T/fk.db" "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check('kid') ORDER BY rowid;")" \
    "$(printf 'kid|1|par\nkid|2|par')" "with foreign_keys off: the violations are the user's to see"
cp "$DB" "$T/fk.db"
batch "$T/fk.db" OFF 'ADD CONSTRAINT orphan_fk FOREIGN KEY (pid) REFERENCES par (id)' orphan
is "$OUT|$ERR|$(raw "$T/fk.db" "SELECT count(*) FROM orphan; SELECT count(*) FROM pragma_foreign_key_list('orphan');")" \
    "rebuild||$(printf '2\n1')" "ADD FOREIGN KEY that rows violate with foreign_keys off succeeds, rows kept"

cp "$DB" "$T/fk.db"
batch "$T/fk.db" ON 'ALTER COLUMN v DROP NOT NULL' par
is "$OUT|$ERR" "rebuild|" "a rebuild of a parent with ON DELETE CASCADE children, foreign_keys on"
is "$(raw "$T/fk.db" "SELECT * FROM kid ORDER BY kid; PRAGMA foreign_key_check;")" "$(printf '1|1\n2|2\n3|')" \
    "the children are neither deleted nor changed"
batch "$T/fk.db" ON 'ALTER COLUMN label DROP NOT NULL' tree
is "$OUT|$ERR" "rebuild|" "a rebuild of a self-referencing table with ON DELETE CASCADE, foreign_keys on"
is "$(raw "$T/fk.db" "SELECT * FROM tree ORDER BY id; PRAGMA foreign_key_check; SELECT sql FROM sqlite_master WHERE name = 'tree';" | norm)" \
    "1||root 2|1|a 3|2|b CREATE TABLE tree (id INTEGER PRIMARY KEY, up INTEGER REFERENCES tree (id) ON DELETE CASCADE, label TEXT)" \
    "its rows all kept, its foreign key to itself kept"
is "$(raw "$T/fk.db" "PRAGMA foreign_keys = ON; DELETE FROM tree WHERE id = 2; SELECT group_concat(id) FROM tree;")" "1" \
    "and the self-reference still cascades"

cp "$DB" "$T/fk.db"
sql "$T/fk.db" <<'EOF'
PRAGMA foreign_keys = ON;
BEGIN;
SELECT mig_batch('par', 'ALTER COLUMN v DROP NOT NULL');
SELECT count(*) FROM kid;
COMMIT;
SELECT count(*) FROM kid;
EOF
is "$OUT|$ERR" "$(printf 'rebuild\n3\n3|')" "a rebuild of a parent inside BEGIN with foreign_keys on: no child deleted"
cat >r1.sql <<'EOF'
-- mig:revision r1
-- mig:upgrade
SELECT mig_batch('par', 'ALTER COLUMN v SET DEFAULT ''?''');
SELECT mig_batch('kid', 'ADD COLUMN note TEXT DEFAULT (upper(''n''))');
EOF
sql "$T/fk.db" <<'EOF'
PRAGMA foreign_keys = ON;
SELECT mig_put_revision(readfile('r1.sql'));
SELECT mig_upgrade('head');
SELECT * FROM kid ORDER BY kid;
PRAGMA foreign_key_check;
PRAGMA foreign_keys;
EOF
is "$OUT|$ERR" "$(printf 'r1\nr1\n1|1|N\n2|2|N\n3||N\n1|')" \
    "rebuilds of a parent and its child in a revision run by mig_upgrade with foreign_keys on: no child deleted"

cp "$DB" "$T/fk.db"
sql "$T/fk.db" <<'EOF'
PRAGMA foreign_keys = ON;
SELECT mig_batch('par', 'RENAME COLUMN id TO par_id');
SELECT "to" FROM pragma_foreign_key_list('kid');
PRAGMA foreign_key_check;
EOF
is "$OUT|$ERR" "$(printf 'native\npar_id|')" "RENAME COLUMN of a referenced primary key: the child's foreign key follows"

cp "$DB" "$T/fk.db"
sql "$T/fk.db" <<'EOF'
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
SELECT mig_batch('par', 'ALTER COLUMN v DROP NOT NULL');
PRAGMA foreign_keys;
PRAGMA legacy_alter_table;
EOF
is "$OUT|$ERR" "$(printf 'rebuild\n0\n1|')" "after a rebuild the caller's foreign_keys=OFF and legacy_alter_table=ON are restored"

cp "$DB" "$T/fk.db"
sql "$T/fk.db" <<'EOF'
CREATE VIEW v_par AS SELECT id, v FROM par;
PRAGMA legacy_alter_table = ON;
SELECT mig_batch('par', 'RENAME TO par2');
PRAGMA legacy_alter_table;
SELECT count(*) FROM v_par;
SELECT "table" FROM pragma_foreign_key_list('kid');
EOF
is "$OUT|$ERR" "$(printf 'native\n1\n2\npar2|')" \
    "RENAME TO with the caller's legacy_alter_table=ON: the view and the child's foreign key follow, the setting is kept"

# ---- rowids and generated columns ---------------------------------------------------------------
sql "$DB" <<'EOF'
CREATE TABLE q (id INTEGER PRIMARY KEY DESC, v TEXT NOT NULL);
INSERT INTO q (rowid, id, v) VALUES (100, 1, 'a'), (200, 2, 'b');
CREATE TABLE r (rowid TEXT, v INTEGER NOT NULL);
INSERT INTO r (_rowid_, rowid, v) VALUES (50, 'x', 1), (60, 'y', 2);
CREATE TABLE nopk (a TEXT NOT NULL, b INTEGER);
INSERT INTO nopk (rowid, a, b) VALUES (7, 'seven', 7), (3, 'three', 3);
CREATE TABLE gs (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, s INTEGER GENERATED ALWAYS AS (a * 10) STORED);
INSERT INTO gs (id, a) VALUES (1, 1), (2, 2);
EOF
is "$ERR" "" "setup: tables whose rowids are not an INTEGER PRIMARY KEY, a STORED generated column"
for spec in "nopk|a|SELECT _rowid_, * FROM nopk ORDER BY 1" "q|v|SELECT _rowid_, * FROM q ORDER BY 1" \
    "r|v|SELECT _rowid_, * FROM r ORDER BY 1"; do
    IFS='|' read -r t c query <<<"$spec"
    cp "$DB" "$T/rid.db"
    batch "$T/rid.db" ON "ALTER COLUMN $c DROP NOT NULL" "$t"
    is "$OUT|$ERR|$(raw "$T/rid.db" "$query")" "rebuild||$(raw "$DB" "$query")" \
        "a rebuild of $t ($(table_sql "$DB" "$t" | cut -d'(' -f2- | cut -c1-40)...) keeps the rowids"
done
cp "$DB" "$T/rid.db"
batch "$T/rid.db" ON "ALTER COLUMN a DROP NOT NULL, ADD COLUMN t INTEGER GENERATED ALWAYS AS (a + s) STORED" gs
is "$OUT|$ERR|$(raw "$T/rid.db" "UPDATE gs SET a = 5 WHERE id = 2; SELECT * FROM gs ORDER BY id;")" \
    "rebuild||$(printf '1|1|10|11\n2|5|50|55')" "a rebuild keeps a STORED generated column computing, adds another"
refused "ALTER TYPE of a generated column" ON 'ALTER COLUMN s TYPE TEXT' 'generated' gs

# ---- table options --------------------------------------------------------------------------
sql "$DB" <<'EOF'
CREATE TABLE w (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n ANY) STRICT;
CREATE TABLE ws (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID, STRICT;
INSERT INTO w VALUES ('b', 2), ('a', 1);
INSERT INTO s VALUES (3, 'x', 1.5), (7, 'y', x'01');
INSERT INTO ws VALUES ('z', 26);
EOF
is "$ERR" "" "setup: WITHOUT ROWID and STRICT tables"
for t in w s ws; do
    cp "$DB" "$T/opt.db"
    batch "$T/opt.db" ON 'ALTER COLUMN v DROP NOT NULL' $t
    is "$OUT|$ERR" "rebuild|" "ALTER COLUMN v DROP NOT NULL on $t: a rebuild"
    is "$(table_sql "$T/opt.db" $t)" "$(table_sql "$DB" $t | sed -E 's/ v (TEXT|INTEGER) NOT NULL/ v \1/')" "$t: the table options kept"
    is "$(raw "$T/opt.db" "SELECT * FROM $t ORDER BY 1; PRAGMA integrity_check;")" \
        "$(raw "$DB" "SELECT * FROM $t ORDER BY 1; PRAGMA integrity_check;")" "$t: the rows kept"
done
is "$(raw "$T/opt.db" "INSERT INTO ws VALUES ('q', 'not an integer');")" \
    "Runtime error near line 1: cannot store TEXT value in INTEGER column ws.v (19)" "ws: still STRICT"
refused "DROP NOT NULL of the primary key of a WITHOUT ROWID table" ON 'ALTER COLUMN k DROP NOT NULL' 'primary key' w

done_testing

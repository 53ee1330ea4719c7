#!/bin/bash
# SQLite: a call that fails leaves the database exactly as it was (schema,
# data, sqlite_sequence, user_version, mig_version, mig_history), whichever
# statement of which revision failed; after the revision is fixed and
# uploaded again the same upgrade applies.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

# expect_failure TARGET ERE DESC [FUNC]: snapshot, run mig_upgrade(TARGET)
# (or FUNC), expect an error matching ERE and an unchanged database.
expect_failure() {
    local target=$1 ere=$2 desc=$3 func=${4:-mig_upgrade}
    snapshot "$DB" >"$T/before"
    sql "$DB" <<<"SELECT $func('$target');"
    like "$ERR" "$ere" "$desc: the error names revision, direction, line and cause"
    is "$(count_errors "$ERR")/$OUT" "1/" "$desc: one error, no result"
    same_snapshot "$DB" "$T/before" "$desc: schema, data, version and history unchanged"
}

expect_success() {
    local target=$1 want=$2 desc=$3 func=${4:-mig_upgrade}
    sql "$DB" <<<"SELECT $func('$target');"
    is "$OUT${ERR:+ ERR: $ERR}" "$want" "$desc"
}

put() {
    sql "$DB" <<<"SELECT mig_put_revision(readfile('$1')${2:+, '$2'});"
    is "$OUT${ERR:+ ERR: $ERR}" "$(sed -n 's/^-- mig:revision //p' "$1")" "upload $1${2:+ with $2}"
}

# ---- the base schema: a table with AUTOINCREMENT, an index, a trigger, a view
cat >base0.sql <<'EOF'
-- mig:revision base0
-- mig:message base schema

-- mig:upgrade
CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL);
CREATE INDEX t_v ON t (v);
CREATE TABLE audit (n INTEGER);
CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN
    INSERT INTO audit VALUES (new.id);
END;
CREATE VIEW tv AS SELECT v FROM t;
INSERT INTO t (v) VALUES ('a'), ('b'), ('c');
PRAGMA user_version = 7;

-- mig:downgrade
DROP VIEW tv;
DROP TABLE audit;
DROP TABLE t;
EOF
put base0.sql
expect_success head base0 "the base revision applies"
is "$(raw "$DB" "SELECT group_concat(v, ',') FROM t; SELECT count(*) FROM audit; PRAGMA user_version;")" \
    "$(printf 'a,b,c\n3\n7')" "base0 created its table, trigger rows and user_version"
raw "$DB" "INSERT INTO t (v) VALUES ('user data');" >/dev/null

# ---- 1. the first statement fails
cat >a1.sql <<'EOF'
-- mig:revision a1
-- mig:down_revision base0
-- mig:message fails at its first statement

-- mig:upgrade
INSERT INTO t (v) VALUES (NULL);
CREATE TABLE a1 (x);
INSERT INTO t (v) VALUES ('a1');
EOF
put a1.sql
expect_failure head '^Runtime error near line 2: revision a1 \(upgrade\) failed at line 6: NOT NULL constraint failed: t\.v' \
    "first statement fails"
sed -i 's/VALUES (NULL)/VALUES ('"'first'"')/' a1.sql
put a1.sql
expect_success head a1 "fixed a1 applies"
is "$(raw "$DB" "SELECT count(*) FROM a1; SELECT group_concat(v, ',') FROM t WHERE id > 4;")" \
    "$(printf '0\nfirst,a1')" "a1's statements all ran"

# ---- 2. a statement in the middle fails, after DDL, DML, ALTER, DROP VIEW
# and a header change
cat >b1.sql <<'EOF'
-- mig:revision b1
-- mig:down_revision a1
-- mig:message fails in the middle

-- mig:upgrade
CREATE TABLE b1 (x INTEGER UNIQUE);
INSERT INTO b1 VALUES (1), (2);
ALTER TABLE t ADD COLUMN w TEXT DEFAULT 'w';
UPDATE t SET v = v || '!';
INSERT INTO t (v) VALUES ('more');
DROP VIEW tv;
PRAGMA user_version = 8;
INSERT INTO b1
    VALUES (2);
CREATE TABLE b2 (y);
INSERT INTO t (v) VALUES ('b');
EOF
put b1.sql
expect_failure b1 'revision b1 \(upgrade\) failed at line 13: UNIQUE constraint failed: b1\.x' \
    "middle statement fails"
sed -i 's/VALUES (2);/VALUES (3);/' b1.sql
put b1.sql
expect_success head b1 "fixed b1 applies"
is "$(raw "$DB" "PRAGMA user_version; SELECT count(*) FROM b1; SELECT count(*) FROM sqlite_master WHERE name = 'tv';")" \
    "$(printf '8\n3\n0')" "b1's statements all ran"

# ---- 3. the last statement fails (a trigger's RAISE(ABORT)), after DELETE,
# DROP INDEX and DROP TRIGGER
cat >c1.sql <<'EOF'
-- mig:revision c1
-- mig:down_revision b1
-- mig:message fails at its last statement

-- mig:upgrade
CREATE TABLE c1 (x);
CREATE TRIGGER c1_guard BEFORE INSERT ON c1 WHEN new.x < 0 BEGIN
    SELECT RAISE(ABORT, 'negative x');
END;
INSERT INTO c1 VALUES (1);
DELETE FROM t WHERE id = 1;
DROP INDEX t_v;
DROP TRIGGER t_ins;
DELETE FROM sqlite_sequence;
INSERT INTO c1 VALUES (-1);
EOF
put c1.sql
expect_failure c1 'revision c1 \(upgrade\) failed at line 15: negative x' "last statement fails"
sed -i 's/VALUES (-1)/VALUES (2)/' c1.sql
put c1.sql
expect_success head c1 "fixed c1 applies"

# ---- 4. three good revisions, then a failing one, in the same upgrade
cat >d1.sql <<'EOF'
-- mig:revision d1
-- mig:down_revision c1
-- mig:upgrade
CREATE TABLE d1 (x);
INSERT INTO d1 VALUES ('d1');
-- mig:downgrade
DROP TABLE d1;
EOF
cat >d2.sql <<'EOF'
-- mig:revision d2
-- mig:down_revision d1
-- mig:upgrade
ALTER TABLE d1 ADD COLUMN y;
UPDATE d1 SET y = 'd2';
INSERT INTO t (v) VALUES ('d2');
-- mig:downgrade
DELETE FROM t WHERE v = 'd2';
ALTER TABLE d1 DROP COLUMN y;
EOF
cat >d3.sql <<'EOF'
-- mig:revision d3
-- mig:down_revision d2
-- mig:upgrade
DROP TABLE audit;
ALTER TABLE c1 RENAME TO c1_renamed;
PRAGMA user_version = 9;
-- mig:downgrade
PRAGMA user_version = 8;
ALTER TABLE c1_renamed RENAME TO c1;
CREATE TABLE audit (n INTEGER);
EOF
cat >d4.sql <<'EOF'
-- mig:revision d4
-- mig:down_revision d3
-- mig:upgrade
CREATE TABLE d4 (x);
INSERT INTO d4 SELECT * FROM no_such_table;
-- mig:downgrade
DROP TABLE d4;
EOF
for f in d1 d2 d3 d4; do put $f.sql; done
expect_failure d4 'revision d4 \(upgrade\) failed at line 5: no such table: no_such_table' \
    "d4 fails after d1, d2, d3 ran in the same call"
is "$(q "$DB" "SELECT mig_current(); SELECT count(*) FROM mig_history WHERE revision IN ('d1','d2','d3');")" \
    "$(printf 'c1\n0')" "d1..d3 are not recorded"
sed -i "s/SELECT \* FROM no_such_table/SELECT x FROM d1/" d4.sql
put d4.sql
hist0=$(raw "$DB" "SELECT count(*) FROM mig_history")
expect_success head d4 "after the fix the whole chain d1..d4 applies"
is "$(raw "$DB" "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id) WHERE id > $hist0; SELECT count(*) FROM d4; PRAGMA user_version;")" \
    "$(printf 'd1:upgrade d2:upgrade d3:upgrade d4:upgrade\n1\n9')" "history holds d1..d4 once each; their bodies ran"

# ---- 5. a downgrade over several revisions whose last step fails
cat >d1.sql <<'EOF'
-- mig:revision d1
-- mig:down_revision c1
-- mig:upgrade
CREATE TABLE d1 (x);
INSERT INTO d1 VALUES ('d1');
-- mig:downgrade
DELETE FROM d1;
INSERT INTO d1 VALUES (json('{'));
DROP TABLE d1;
EOF
put d1.sql '{"force": true}'
expect_failure c1 'revision d1 \(downgrade\) failed at line 8: malformed JSON' \
    "downgrade fails at d1 after d4, d3, d2 went down" mig_downgrade
sed -i "/json/d" d1.sql
put d1.sql '{"force": true}'
expect_success c1 c1 "fixed downgrade runs" mig_downgrade
is "$(raw "$DB" "SELECT count(*) FROM sqlite_master WHERE name IN ('d1','d4','c1_renamed'); PRAGMA user_version;")" \
    "$(printf '0\n8')" "the downgrades ran"

# ---- 6. RAISE(ROLLBACK) and INSERT OR ROLLBACK end SQLite's transaction
# themselves: still an error and nothing changed
cat >e1.sql <<'EOF'
-- mig:revision e1
-- mig:down_revision c1
-- mig:upgrade
CREATE TABLE e1 (x);
CREATE TRIGGER e1_rb BEFORE INSERT ON e1 WHEN new.x = 'boom' BEGIN
    SELECT RAISE(ROLLBACK, 'rolled back by a trigger');
END;
INSERT INTO e1 VALUES ('ok');
INSERT INTO e1 VALUES ('boom');
CREATE TABLE e1_after (x);
EOF
put e1.sql
expect_failure e1 'revision e1 \(upgrade\) failed at line 9: rolled back by a trigger' "RAISE(ROLLBACK) in a trigger"
cat >e1.sql <<'EOF'
-- mig:revision e1
-- mig:down_revision c1
-- mig:upgrade
CREATE TABLE e1 (x UNIQUE);
INSERT INTO e1 VALUES (1);
INSERT OR ROLLBACK INTO e1 VALUES (1);
EOF
put e1.sql
expect_failure e1 'revision e1 \(upgrade\) failed at line 6: UNIQUE constraint failed: e1\.x' "INSERT OR ROLLBACK"
sed -i 's/OR ROLLBACK INTO e1 VALUES (1)/OR ROLLBACK INTO e1 VALUES (3)/' e1.sql
put e1.sql
expect_success e1 e1 "fixed e1 applies"

# ---- 7. a syntax error (a prepare-time failure) in the middle of a body
cat >f1.sql <<'EOF'
-- mig:revision f1
-- mig:down_revision e1
-- mig:upgrade
CREATE TABLE f1 (x);
INSERT INTO f1 VALUES (1);
INSERT INTO f1 VALUES (2)) ;
INSERT INTO f1 VALUES (3);
EOF
put f1.sql
expect_failure f1 'revision f1 \(upgrade\) failed at line 6: near "\)": syntax error' "syntax error in the middle"

# ---- 8. the failing statement's line when comments precede it
cat >g1.sql <<'EOF'
-- mig:revision g1
-- mig:down_revision e1
-- mig:upgrade
CREATE TABLE g1 (x NOT NULL);
-- the next statement fails;
-- the error must point at it, not at these comments

INSERT INTO g1
    VALUES (NULL);
EOF
put g1.sql
expect_failure g1 'revision g1 \(upgrade\) failed at line 8: NOT NULL constraint failed: g1\.x' \
    "failing statement after comment lines"
like "$ERR" $'\nDETAIL: The failing statement: INSERT INTO g1\n    VALUES \\(NULL\\)$' \
    "the failing statement is the detail, without its semicolon"

# ---- 9. a long failing statement: cut at 400 bytes, never inside a UTF-8 character
long=$(printf 'é%.0s' $(seq 1 300))
cat >g2.sql <<EOF
-- mig:revision g2
-- mig:down_revision e1
-- mig:upgrade
CREATE TABLE g2 (x NOT NULL);
INSERT INTO g2 SELECT NULL WHERE 'x$long' <> '';
EOF
put g2.sql
expect_failure g2 'revision g2 \(upgrade\) failed at line 5' "a long failing statement"
detail=$(printf '%s\n' "$ERR" | sed -n 's/^DETAIL: The failing statement: //p')
like "$detail" "^INSERT INTO g2 SELECT NULL WHERE 'xé+\\.\\.\\.\$" "... its first bytes in the detail, then ..."
is "$(printf '%s' "$detail" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && echo valid)" valid "... cut between characters (valid UTF-8)"
is "$(printf '%s' "${detail%...}" | wc -c)" 399 "... 399 bytes (400 would split an é), then the ellipsis"

done_testing

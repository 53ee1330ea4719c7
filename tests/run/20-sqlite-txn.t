#!/bin/bash
# SQLite: a mig call inside the caller's open transaction nests in it as a
# savepoint: the caller's ROLLBACK undoes it, COMMIT keeps it, and a failing
# call undoes only itself, leaving the caller's own earlier writes and the
# transaction open.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

rev r1.sql r1 "" "CREATE TABLE t1 (x);" "INSERT INTO t1 VALUES (1);"
rev r2.sql r2 r1 "CREATE TABLE t2 (x);" "INSERT INTO t2 VALUES (2);"
rev bad.sql r3 r2 "CREATE TABLE t3 (x);" "INSERT INTO no_such_table VALUES (3);"

sql "$DB" <<'EOF'
CREATE TABLE mine (x);
SELECT mig_put_revision(readfile('r1.sql'));
SELECT mig_put_revision(readfile('r2.sql'));
EOF
is "$OUT|$ERR" "$(printf 'r1\nr2|')" "setup: two revisions uploaded"
snapshot "$DB" >base.snap

# ---- ROLLBACK undoes the call
sql "$DB" <<'EOF'
BEGIN;
SELECT 'in txn: ' || mig_upgrade('head');
SELECT 'current: ' || mig_current();
SELECT 'tables: ' || count(*) FROM sqlite_master WHERE name IN ('t1', 't2');
SELECT 'history: ' || count(*) FROM mig_history;
ROLLBACK;
SELECT 'after: ' || mig_current();
EOF
is "$OUT|$ERR" "$(printf 'in txn: r2\ncurrent: r2\ntables: 2\nhistory: 2\nafter: |')" \
    "inside BEGIN the upgrade is visible; after ROLLBACK current is empty"
same_snapshot "$DB" base.snap "ROLLBACK undid schema, data, version and history"

# the same for every state-changing function
sql "$DB" <<'EOF'
BEGIN;
SELECT mig_put_revision(readfile('bad.sql'));
SELECT mig_stamp('r1');
SELECT mig_upgrade('r2');
SELECT mig_downgrade('base');
SELECT mig_remove_revision('r3');
SELECT mig_stamp('r2', '{"purge": true}');
ROLLBACK;
EOF
is "$OUT|$ERR" "$(printf 'r3\nr1\nr2\n\nr3\nr2|')" "put, stamp, upgrade, downgrade, remove inside one transaction"
same_snapshot "$DB" base.snap "ROLLBACK undid all of them"

# a transaction opened with SAVEPOINT instead of BEGIN
sql "$DB" <<'EOF'
SAVEPOINT outer_sp;
SELECT mig_upgrade('head');
ROLLBACK TO outer_sp;
RELEASE outer_sp;
EOF
is "$OUT|$ERR" "r2|" "upgrade inside the caller's SAVEPOINT"
same_snapshot "$DB" base.snap "ROLLBACK TO the caller's savepoint undid it"

# ---- COMMIT keeps it
sql "$DB" <<'EOF'
BEGIN;
INSERT INTO mine VALUES ('before');
SELECT mig_upgrade('r1');
INSERT INTO mine VALUES ('between');
SELECT mig_upgrade('r2');
COMMIT;
EOF
is "$OUT|$ERR" "$(printf 'r1\nr2|')" "two upgrades in the caller's transaction"
is "$(q "$DB" "SELECT mig_current(); SELECT group_concat(x) FROM t1 UNION ALL SELECT group_concat(x) FROM t2; SELECT group_concat(x) FROM mine;
               SELECT group_concat(revision || ':' || direction, ' ') FROM mig_history;")" \
    "$(printf 'r2\n1\n2\nbefore,between\nr1:upgrade r2:upgrade')" "COMMIT kept the upgrades and the caller's rows"

# ---- a failing call leaves the caller's earlier writes and the transaction
q "$DB" "SELECT mig_put_revision(readfile('bad.sql'));" >/dev/null
snapshot "$DB" >before.snap
sql "$DB" <<'EOF'
BEGIN;
INSERT INTO mine VALUES ('kept 1');
SELECT mig_upgrade('r3');
SELECT 'still in txn: ' || (NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 't3'));
INSERT INTO mine VALUES ('kept 2');
COMMIT;
EOF
like "$ERR" '^Runtime error near line 4: revision r3 \(upgrade\) failed at line 7: no such table: no_such_table' \
    "the failing call reports its error"
is "$(count_errors "$ERR")" 1 "only that error: the caller's COMMIT still had its transaction"
is "$OUT" "still in txn: 1" "the failed call's CREATE TABLE is gone inside the transaction"
is "$(q "$DB" "SELECT group_concat(x, ',') FROM mine; SELECT mig_current(); SELECT count(*) FROM mig_history;")" \
    "$(printf 'before,between,kept 1,kept 2\nr2\n2')" "the caller's writes were committed; mig state unchanged"
raw "$DB" "DELETE FROM mine WHERE x LIKE 'kept%';" >/dev/null
same_snapshot "$DB" before.snap "apart from the caller's rows the database is unchanged"

# fail, fix and succeed inside one transaction
rev good.sql r3 r2 "CREATE TABLE t3 (x);" "INSERT INTO t3 VALUES (3);"
sql "$DB" <<'EOF'
BEGIN;
INSERT INTO mine VALUES ('a');
SELECT mig_upgrade('r3');
SELECT mig_put_revision(readfile('good.sql'));
SELECT mig_upgrade('r3');
INSERT INTO mine VALUES ('b');
COMMIT;
EOF
is "$OUT" "$(printf 'r3\nr3')" "after a failed call the same transaction can upload and upgrade"
is "$(count_errors "$ERR")" 1 "exactly the one failure"
is "$(q "$DB" "SELECT mig_current(); SELECT group_concat(x, ',') FROM mine WHERE x IN ('a', 'b'); SELECT count(*) FROM t3;
               SELECT count(*) FROM mig_history WHERE revision = 'r3';")" \
    "$(printf 'r3\na,b\n1\n1')" "all of it committed, r3 recorded once"

# a failing call in a transaction that the caller then rolls back
snapshot "$DB" >before.snap
sql "$DB" <<'EOF'
BEGIN;
INSERT INTO mine VALUES ('gone');
SELECT mig_downgrade('r1');
SELECT mig_upgrade('no_such_rev');
SELECT mig_current();
ROLLBACK;
EOF
is "$OUT" "$(printf 'r1\nr1')" "a failing call after a successful one keeps the successful one in the transaction"
like "$ERR" "no_such_rev" "the unknown target is reported"
same_snapshot "$DB" before.snap "the caller's ROLLBACK undid everything"

# refusals inside the caller's transaction: "each", transaction control
cat >commit.sql <<'EOF'
-- mig:revision r4
-- mig:down_revision r3
-- mig:upgrade
CREATE TABLE t4 (x);
COMMIT;
EOF
q "$DB" "SELECT mig_put_revision(readfile('commit.sql'));" >/dev/null
snapshot "$DB" >before.snap
sql "$DB" <<'EOF'
BEGIN;
INSERT INTO mine VALUES ('c');
SELECT mig_upgrade('head', '{"transaction": "each"}');
SELECT mig_upgrade('head');
INSERT INTO mine VALUES ('d');
COMMIT;
EOF
like "$ERR" '"each" cannot commit inside the caller.s open transaction' "transaction each is refused in a transaction"
like "$ERR" 'revision r4 \(upgrade\), line 5: COMMIT is not allowed' "COMMIT in a revision is refused"
is "$(count_errors "$ERR")" 2 "two errors, and the caller's COMMIT worked"
is "$(raw "$DB" "SELECT group_concat(x, ',') FROM mine WHERE x IN ('c', 'd'); SELECT count(*) FROM sqlite_master WHERE name = 't4';")" \
    "$(printf 'c,d\n0')" "the caller's rows committed, r4's table not"
raw "$DB" "DELETE FROM mine WHERE x IN ('c', 'd');" >/dev/null
same_snapshot "$DB" before.snap "otherwise unchanged"

# A revision must not be able to end mig's own savepoint either: after
# `RELEASE mig_call` a later failure cannot undo what came before it.
cat >release.sql <<'EOF'
-- mig:revision r4
-- mig:down_revision r3
-- mig:upgrade
CREATE TABLE t4 (x);
RELEASE mig_call;
INSERT INTO no_such_table VALUES (4);
EOF
q "$DB" "SELECT mig_put_revision(readfile('release.sql'));" >/dev/null
snapshot "$DB" >before.snap
sql "$DB" <<'EOF'
BEGIN;
SELECT mig_upgrade('r4');
COMMIT;
EOF
like "$ERR" 'revision r4 \(upgrade\)' "a revision that releases mig's savepoint fails"
same_snapshot "$DB" before.snap "and leaves nothing behind (no table t4)"

done_testing

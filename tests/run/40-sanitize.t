#!/bin/bash
# Sanitizers and valgrind (TAP).
#
#  (a) the core unit tests (tests/core/test_*.c) built with
#      -fsanitize=address,undefined and run with leak detection;
#  (b) an ASan/UBSan build of the SQLite extension, loaded by the C harness
#      tests/sanitize/drive_sqlite.c (which links libsqlite3 and the
#      sanitizer runtime): uploads, upgrade/downgrade/stamp/plan/sql/check/
#      current/heads, a failing revision, malformed input, bad opts, a
#      second connection holding the write lock; then allocation-failure
#      injection into SQLite's allocator (a sample of the fault points:
#      MIG_SANITIZE_OOM_STRIDE, default 7; 1 tries them all, 0 skips);
#  (c) the normal sqlite_ext/mig.so under valgrind through the sqlite3
#      shell: exit 0 (1 for the script of failing calls) and no definite
#      leak (suppressions: tests/sanitize/valgrind.supp).
#
# Everything is built into tests/tmp/sanitize/.  Compiler: $CC if set, else
# clang, else gcc.
cd "$(dirname "$0")/../.." || exit 1
T=tests/tmp/sanitize
R=$T/revs
STRIDE=${MIG_SANITIZE_OOM_STRIDE:-7}
n=0
fails=0

ok() { # ok STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
indent() { sed -e 's/^# /    # /' -e t -e 's/^/    # /'; }

rm -rf "$T"
mkdir -p "$T/obj" "$R"

CCS=${CC:-}
if [ -z "$CCS" ]; then
    if command -v clang >/dev/null 2>&1; then CCS=clang; elif command -v gcc >/dev/null 2>&1; then CCS=gcc; fi
fi
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CFLAGS_SAN="-std=c11 -g -O1 -D_GNU_SOURCE -Icore -fPIC $SAN"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

tests=(tests/core/test_*.c)
ntests=${#tests[@]}
[ -e "${tests[0]}" ] || ntests=0
plan=$((ntests + 7))
echo "1..$plan"

have_san=0
if [ -n "$CCS" ] && echo 'int main(void){return 0;}' >"$T/probe.c" &&
    $CCS $SAN "$T/probe.c" -o "$T/probe" >/dev/null 2>&1 && "$T/probe"; then
    have_san=1
fi

# ---- (a) core unit tests ------------------------------------------------------
core_ok=0
if [ $have_san = 1 ]; then
    for f in core/*.c; do
        $CCS $CFLAGS_SAN -c "$f" -o "$T/obj/$(basename "$f" .c).o" 2>"$T/obj/build.log" ||
            { cat "$T/obj/build.log" | indent; core_ok=1; }
    done
fi
for t in "${tests[@]:0:$ntests}"; do
    name=$(basename "$t" .c)
    if [ $have_san = 0 ]; then
        n=$((n + 1)); echo "ok $n # SKIP no compiler with ASan/UBSan"; continue
    fi
    if [ $core_ok != 0 ] || ! $CCS $CFLAGS_SAN -o "$T/$name" "$t" "$T"/obj/*.o -lcrypto -ljansson 2>"$T/$name.build"; then
        indent <"$T/$name.build"
        ok 1 "$name under ASan/UBSan (build failed)"
        continue
    fi
    args=()
    [ "$name" = test_scenarios ] && args=(tests/scenarios/*.scn)
    "$T/$name" "${args[@]}" >"$T/$name.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        grep -v '^ok ' "$T/$name.log" | tail -40 | indent
    fi
    ok $rc "$name under ASan/UBSan ($(grep -c '^ok ' "$T/$name.log") checks passed)"
done

# ---- revision files and scripts for (b) and (c) ------------------------------------
cat >"$R/a1.sql" <<'EOF'
-- mig:revision a1
-- mig:message create account

-- mig:upgrade
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE INDEX ix_account_name ON account (name);

-- mig:downgrade
DROP TABLE account;
EOF
cat >"$R/b1.sql" <<'EOF'
-- mig:revision b1
-- mig:down_revision a1
-- mig:message add email; seed data
-- mig:branch_labels main

-- mig:upgrade
ALTER TABLE account ADD COLUMN email TEXT;

-- mig:upgrade if data
INSERT INTO account (name, email) VALUES (coalesce(mig_x('who'), 'nobody'), 'x@example.org');

-- mig:upgrade dialect=postgresql
CREATE INDEX CONCURRENTLY never_on_sqlite ON account (email);

-- mig:downgrade
ALTER TABLE account DROP COLUMN email;
EOF
cat >"$R/c1.sql" <<'EOF'
-- mig:revision c1
-- mig:down_revision a1
-- mig:branch_labels audit
-- mig:message audit log with a trigger

-- mig:upgrade
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER account_ins AFTER INSERT ON account BEGIN
  INSERT INTO audit (what) VALUES ('insert; ' || new.name);
END;

-- mig:downgrade
DROP TRIGGER account_ins;
DROP TABLE audit;
EOF
cat >"$R/m1.sql" <<'EOF'
-- mig:revision m1
-- mig:down_revision b1, c1
-- mig:message merge main and audit

-- mig:upgrade
CREATE VIEW v_account AS SELECT a.name, count(u.id) AS n FROM account a LEFT JOIN audit u ON u.what LIKE '%' || a.name GROUP BY a.name;

-- mig:downgrade
DROP VIEW v_account;
EOF
cat >"$R/d1.sql" <<'EOF'
-- mig:revision d1
-- mig:depends_on audit
-- mig:message independent lineage that depends on the audit branch

-- mig:upgrade
CREATE TABLE report (id INTEGER PRIMARY KEY, body TEXT);

-- mig:downgrade
DROP TABLE report;
EOF
cat >"$R/e1.sql" <<'EOF'
-- mig:revision e1
-- mig:down_revision m1
-- mig:depends_on d1
-- mig:message after the merge

-- mig:upgrade
CREATE TABLE e (x INTEGER);
-- mig:downgrade
DROP TABLE e;
EOF
cat >"$R/bad1.sql" <<'EOF'
-- mig:revision bad1
-- mig:down_revision m1
-- mig:message fails half way

-- mig:upgrade
CREATE TABLE half (x INTEGER);
INSERT INTO half VALUES (1);
INSERT INTO no_such_table VALUES (1);

-- mig:downgrade
DROP TABLE half;
EOF
cat >"$R/a1_edited.sql" <<'EOF'
-- mig:revision a1
-- mig:message create account

-- mig:upgrade
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT);

-- mig:downgrade
DROP TABLE account;
EOF
cat >"$R/txn.sql" <<'EOF'
-- mig:revision txn1
-- mig:down_revision m1

-- mig:upgrade
COMMIT;
EOF
printf 'garbage without a header\n' >"$R/garbage.sql"
printf -- '-- mig:revision x9\n-- mig:colour blue\n' >"$R/badkey.sql"

# Every call here succeeds; "--! = X" / "--! ~ X" check the result (the
# sqlite3 shell reads them as comments).
cat >"$T/ok.sql" <<EOF
--! = 
SELECT mig_current();
--! = a1
SELECT mig_put_revision(readfile('$R/a1.sql'));
--! = a1
SELECT mig_put_revision(readfile('$R/a1.sql'));
SELECT mig_put_revision(readfile('$R/b1.sql'));
SELECT mig_put_revision(readfile('$R/c1.sql'));
SELECT mig_put_revision(readfile('$R/m1.sql'));
--! = d1
SELECT mig_put_revision(readfile('$R/d1.sql'), '{"env": "default"}');
--! = d1 m1
SELECT mig_heads();
--! = 0
SELECT mig_check();
--! = NULL
SELECT mig_x('data');
--! = 1|upgrade|a1|create account; 2|upgrade|b1|add email; seed data
SELECT step, direction, revision, message FROM mig_plan('upgrade', 'b1');
--! ~ Running upgrade a1 -> b1, add email; seed data
SELECT mig_sql('upgrade', 'heads');
--! = b1
SELECT mig_upgrade('b1', '{"x": {"data": "yes", "who": "alice"}, "lock_timeout": "2s"}');
--! = alice|x@example.org
SELECT name, email FROM account;
--! = b1 c1
SELECT mig_upgrade('c1');
--! = m1
SELECT mig_upgrade('m1', '{"transaction": "each"}');
--! = d1 m1
SELECT mig_upgrade('heads');
--! = 1
SELECT mig_check();
--! = d1 m1
SELECT mig_current();
--! = 3
SELECT count(*) FROM mig_history WHERE direction = 'upgrade' AND revision IN ('a1', 'b1', 'c1');
--! = m1
SELECT mig_downgrade('d1@base');
--! = b1 c1
SELECT mig_downgrade('c1');
BEGIN;
--! = d1 m1
SELECT mig_upgrade('heads');
ROLLBACK;
--! = b1 c1
SELECT mig_current();
--! = a1
SELECT mig_downgrade('a1');
--! = 
SELECT mig_downgrade('base');
--! = m1
SELECT mig_stamp('m1');
--! = 
SELECT mig_stamp('base', '{"purge": true}');
--! = a1
SELECT mig_upgrade('main@+1');
--! = b1
SELECT mig_upgrade('main@+1');
--! = a1
SELECT mig_downgrade('-1');
--! = 
SELECT mig_downgrade('base');
--! = d1
SELECT mig_remove_revision('d1');
--! = m1
SELECT mig_heads();
--! ~ INSERT INTO main.mig_version
SELECT mig_sql('upgrade', 'head');
--! = 2
SELECT count(*) FROM mig_plan('upgrade', 'c1');
--! = 0
SELECT count(*) FROM sqlite_master WHERE name IN ('account', 'audit', 'report');
CREATE TABLE s1 (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT 'x', CHECK (a <> ''));
CREATE INDEX s1_a ON s1 (a);
CREATE VIEW s1v AS SELECT a FROM s1;
--! = 1
SELECT mig_snapshot() = mig_snapshot_sql('CREATE TABLE s1 (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT ''x'', CHECK (a <> '''')); CREATE INDEX s1_a ON s1 (a); CREATE VIEW s1v AS SELECT a FROM s1;');
--! = 
SELECT mig_diff(mig_snapshot(), mig_snapshot());
--! ~ mig_batch('s1'
SELECT mig_diff(mig_snapshot(), mig_snapshot_sql('CREATE TABLE s1 (id INTEGER PRIMARY KEY, a TEXT, b INT);'));
--! ~ ALTER TABLE s1 RENAME TO s2
SELECT mig_diff(mig_snapshot('{"kinds": ["table"]}'), mig_snapshot_sql('CREATE TABLE s2 (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT ''x'', CHECK (a <> ''''));', '{"kinds": ["table"]}'), '{"renames": [{"table": "s1", "to": "s2"}]}');
EOF

# Failing calls, each checked for its message, and the state after them.
cat >"$T/errors.sql" <<EOF
SELECT mig_put_revision(readfile('$R/a1.sql'));
SELECT mig_put_revision(readfile('$R/b1.sql'));
SELECT mig_put_revision(readfile('$R/c1.sql'));
SELECT mig_put_revision(readfile('$R/m1.sql'));
SELECT mig_put_revision(readfile('$R/bad1.sql'));
SELECT mig_upgrade('m1');
--! error no such table: no_such_table
SELECT mig_upgrade('bad1');
--! = m1
SELECT mig_current();
--! = 0
SELECT count(*) FROM sqlite_master WHERE name = 'half';
--! error checksum
SELECT mig_put_revision(readfile('$R/a1_edited.sql'));
--! = a1
SELECT mig_put_revision(readfile('$R/a1_edited.sql'), '{"force": true}');
--! error SQL before the first section
SELECT mig_put_revision(readfile('$R/garbage.sql'));
--! error syntax error
SELECT mig_snapshot_sql('CREATE TABLE ok1 (a); CREATE TABLE (');
--! error snapshot
SELECT mig_diff('{"not": "a snapshot"}', mig_snapshot());
--! error there is no table "nosuch" to rename
SELECT mig_diff(mig_snapshot(), mig_snapshot(), '{"renames": [{"table": "nosuch", "to": "x"}]}');
--! error unknown header key
SELECT mig_put_revision(readfile('$R/badkey.sql'));
--! = txn1
SELECT mig_put_revision(readfile('$R/txn.sql'));
--! error not allowed
SELECT mig_upgrade('txn1');
--! error Can't locate revision
SELECT mig_upgrade('nosuch');
--! error Multiple revisions start with
SELECT mig_put_revision('-- mig:revision abcd1' || char(10)) || mig_put_revision('-- mig:revision abcd2' || char(10)) || mig_upgrade('abcd');
--! error Multiple head revisions
SELECT mig_upgrade('head');
--! error invalid options JSON
SELECT mig_upgrade('heads', '{bad json');
--! error unknown option
SELECT mig_upgrade('heads', '{"nope": 1}');
--! error PostgreSQL only
SELECT mig_upgrade('heads', '{"tenant": "acme"}');
--! error must be true or false
SELECT mig_stamp('base', '{"purge": "yes"}');
--! error lock_timeout
SELECT mig_upgrade('heads', '{"lock_timeout": "soon"}');
--! error must be a JSON object
SELECT mig_current('[1, 2]');
--! error must not be NULL
SELECT mig_upgrade(NULL);
--! error is not a valid downgrade target
SELECT mig_downgrade('bad1');
--! error Ambiguous walk
SELECT mig_downgrade('-9');
--! error cannot be removed
SELECT mig_remove_revision('m1');
--! error no revision
SELECT mig_remove_revision('zzzz');
--! error direction must be
SELECT * FROM mig_plan('sideways', 'head');
--! error needs a direction and a target
SELECT * FROM mig_plan('upgrade');
--! error direction must be
SELECT mig_sql('sideways', 'head');
--! error no target given
SELECT mig_upgrade('');
BEGIN;
--! error "each"
SELECT mig_upgrade('heads', '{"transaction": "each"}');
ROLLBACK;
--! = m1
SELECT mig_current();
EOF

# A second connection holds the write lock (drive_sqlite only).
cat >"$T/lock.sql" <<'EOF'
--! conn 2
BEGIN IMMEDIATE;
--! conn 1
--! error database is locked
SELECT mig_upgrade('heads', '{"lock_timeout": "50ms"}');
--! conn 2
ROLLBACK;
--! conn 1
--! ~ m1
SELECT mig_current();
EOF

# ---- (b) the sanitized extension, driven from C --------------------------------------
so="$T/mig_asan.so"
drv="$T/drive_sqlite"
built=1
if [ $have_san = 1 ]; then
    if $CCS $CFLAGS_SAN -shared -o "$so" sqlite_ext/*.c "$T"/obj/*.o -lcrypto -ljansson 2>"$T/so.build" &&
        $CCS -std=c11 -g -O1 -D_GNU_SOURCE $SAN -o "$drv" tests/sanitize/drive_sqlite.c -lsqlite3 2>>"$T/so.build"; then
        built=0
    else
        indent <"$T/so.build"
    fi
fi
if [ $have_san = 0 ]; then
    for i in 1 2 3; do n=$((n + 1)); echo "ok $n # SKIP no compiler with ASan/UBSan"; done
elif [ $built != 0 ]; then
    ok 1 "sanitized extension (build failed)"
    ok 1 "sanitized extension: failing calls (build failed)"
    ok 1 "sanitized extension: allocation failures (build failed)"
else
    "$drv" "$so" :memory: "$T/ok.sql" >"$T/ok.log" 2>&1
    rc=$?
    indent <"$T/ok.log"
    ok $rc "sanitized extension: uploads, upgrade, downgrade, stamp, plan, sql, check, current, heads"

    rm -f "$T/test.db"
    "$drv" "$so" "$T/test.db" "$T/errors.sql" "$T/lock.sql" >"$T/errors.log" 2>&1
    rc=$?
    indent <"$T/errors.log"
    ok $rc "sanitized extension: failing revision, malformed input, bad opts, a locked database"

    if [ "$STRIDE" = 0 ]; then
        n=$((n + 1)); echo "ok $n # SKIP MIG_SANITIZE_OOM_STRIDE=0"
    else
        DRIVE_OOM_STRIDE=$STRIDE "$drv" --oom "$so" "$R" >"$T/oom.log" 2>&1
        rc=$?
        grep -E '^# |^oom:' "$T/oom.log" | grep -v '^#   ' | cut -c1-300 | indent
        grep -E 'runtime error|ERROR: (Address|Leak)Sanitizer' "$T/oom.log" | sort | uniq -c | head -20 | indent
        # every sampled allocation failure: a clean error, nothing changed
        # (after the documented ROLLBACK when SQLite refused the rollback)
        n=$((n + 1))
        if [ $rc -eq 0 ]; then
            echo "ok $n - sanitized extension: allocation failures (every ${STRIDE}th fault point)"
        else
            echo "not ok $n - sanitized extension: allocation failures (every ${STRIDE}th fault point)"
        fi
    fi
fi

# ---- (c) the normal extension under valgrind ----------------------------------------------
if ! command -v valgrind >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1; then
    for i in 1 2 3 4; do n=$((n + 1)); echo "ok $n # SKIP valgrind or sqlite3 missing"; done
elif ! make -s all >"$T/make.log" 2>&1; then
    indent <"$T/make.log"
    ok 1 "valgrind: mig.so (make all failed)"
    ok 1 "valgrind: failing calls (make all failed)"
    ok 1 "valgrind: mig_batch (make all failed)"
    ok 1 "valgrind: refused mig_batch calls (make all failed)"
else
    VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=tests/sanitize/valgrind.supp"
    vg() { # vg SCRIPT DB EXPECTED_RC NAME
        { echo ".load ./sqlite_ext/mig"; cat "$1"; } >"$T/vg.in"
        $VG sqlite3 "$2" <"$T/vg.in" >"$T/vg.out" 2>"$T/vg.err"
        local rc=$?
        if [ $rc -ne "$3" ] || ! grep -q 'definitely lost: 0 bytes\|no leaks are possible' "$T/vg.err"; then
            grep -v '^==[0-9]*== *$' "$T/vg.err" | tail -60 | indent
            ok 1 "$4 (exit $rc, want $3)"
        else
            ok 0 "$4"
        fi
    }
    vg "$T/ok.sql" :memory: 0 "valgrind: sqlite_ext/mig.so through the sqlite3 shell, exit 0, no definite leak"
    rm -f "$T/vg.db"
    vg "$T/errors.sql" "$T/vg.db" 1 "valgrind: failing calls through the sqlite3 shell, no memory error, no definite leak"
    # mig_batch: native actions, rebuilds (foreign keys on, a child, a view,
    # indexes, a trigger, AUTOINCREMENT), and refused ones
    cat >"$T/batch.sql" <<'SQL'
PRAGMA foreign_keys = ON;
CREATE TABLE foo (id INTEGER PRIMARY KEY AUTOINCREMENT, bar TEXT NOT NULL COLLATE NOCASE, n INT CHECK (n >= 0), note TEXT);
CREATE TABLE kid (id INTEGER PRIMARY KEY, foo_id INTEGER REFERENCES foo (id) ON DELETE CASCADE);
CREATE INDEX ix_bar ON foo (bar) WHERE bar > 'a';
CREATE INDEX ix_expr ON foo (lower(bar));
CREATE VIEW v AS SELECT id, bar FROM foo;
CREATE TRIGGER tr AFTER INSERT ON foo BEGIN INSERT INTO kid (foo_id) VALUES (new.id); END;
INSERT INTO foo (bar, n) VALUES ('a', 1), ('b', 2), ('c', 3);
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');
SELECT mig_batch('foo', 'RENAME COLUMN note TO memo, ADD COLUMN z INTEGER DEFAULT 0');
SELECT mig_batch('foo', 'ALTER COLUMN n TYPE TEXT USING (n * 10), DROP CONSTRAINT foo_n_check, ADD CONSTRAINT u UNIQUE (bar)');
SELECT mig_batch('foo', 'DROP COLUMN memo, RENAME TO foo2');
SELECT count(*) FROM kid;
PRAGMA integrity_check;
PRAGMA foreign_key_check;
SQL
    vg "$T/batch.sql" :memory: 0 "valgrind: mig_batch native and rebuild, no memory error, no definite leak"
    cat >"$T/batch_err.sql" <<'SQL'
CREATE TABLE foo (id INTEGER PRIMARY KEY, bar TEXT NOT NULL);
CREATE VIEW v AS SELECT bar FROM foo;
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NUL');
SELECT mig_batch('nosuch', 'DROP COLUMN x');
SELECT mig_batch('foo', 'DROP COLUMN bar');
SELECT mig_batch('foo', 'DROP CONSTRAINT nope');
SELECT mig_batch('foo', 'ADD FOREIGN KEY (bar) REFERENCES nowhere (x)');
SQL
    vg "$T/batch_err.sql" :memory: 1 "valgrind: refused mig_batch calls, no memory error, no definite leak"
fi

exit $((fails > 0))

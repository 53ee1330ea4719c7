#!/bin/bash
# The client under memory checkers (TAP):
#  (a) an ASan+UBSan build of client/mig (the Makefile's CLIENT_SRC,
#      SQLITE_SRC and CORE_SRC, built into tests/tmp/client-san/) runs the
#      SQLite newcomer session, the usage errors and the error paths of
#      tests/client/sqlite.sh with leak detection, and the PostgreSQL
#      newcomer session and a failing transactional false revision of
#      tests/client/pg.sh in a throwaway cluster (when the extension can be
#      installed), revision --autogenerate / dump (tests/client/autogen.sh)
#      check's drift and mig test (tests/client/drift.sh), and baseline /
#      squash (tests/client/squash.sh) on both, the client's own engine
#      with its snapshots and diffs (tests/client/pg_engine.sh, and
#      autogen.sh with MIG_TEST_ENGINE=client), and the replay cache
#      (tests/client/replay.sh, SQLite);
#  (b) client/mig under valgrind --error-exitcode=99 (memcheck errors and
#      definite leaks are failures) runs the SQLite newcomer session, the
#      dump and error sections of tests/client/autogen.sh, the drift and
#      mig test sections of tests/client/drift.sh on SQLite, and the SQLite
#      baseline and refusals of tests/client/squash.sh, and the replay
#      cache's loop and damaged caches (tests/client/replay.sh).
# Each run of mig is checked for a report (tests/client/lib.sh, MIG_CHECKER).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
S=tests/tmp/client-san
n=0
fails=0

ok() { # ok STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# relay PREFIX < TAP: a sub-suite's TAP, renumbered into this one (run it
# with < <(...), not in a pipeline, so that the counts survive); a
# sub-suite that stops before its plan is a failure
relay() {
    local planned=0
    local line re='^(not )?ok [0-9]+ ?(- )?(.*)$'
    while IFS= read -r line; do
        if [[ $line =~ $re ]]; then
            n=$((n + 1))
            [ -n "${BASH_REMATCH[1]}" ] && fails=$((fails + 1))
            echo "${BASH_REMATCH[1]}ok $n - $1: ${BASH_REMATCH[3]}"
        elif [[ $line == "#"* ]]; then
            echo "$line"
        elif [[ $line == "Bail out!"* ]]; then
            n=$((n + 1)); fails=$((fails + 1))
            echo "not ok $n - $1: ${line#Bail out! }"
        elif [[ $line =~ ^1\.\.[0-9]+ ]]; then
            planned=1
        else
            echo "# $line"
        fi
    done
    if [ $planned = 0 ]; then
        n=$((n + 1)); fails=$((fails + 1))
        echo "not ok $n - $1: the sub-suite ended before its plan (crashed?)"
    fi
}

make -s all >&2 || { echo "not ok 1 - make all"; echo "1..1"; exit 1; }
rm -rf "$S"
mkdir -p "$S"

# ---- (a) ASan + UBSan ------------------------------------------------------------------
CCS=${CC:-clang}
command -v "$CCS" >/dev/null || CCS=gcc
SRC=$(make -s --no-print-directory --eval 'print-client-src: ; @echo $(CLIENT_SRC) $(SQLITE_SRC) $(CORE_SRC)' print-client-src)
PQ_INC=$(pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
# shellcheck disable=SC2086
if $CCS -std=c11 -g -O1 -D_GNU_SOURCE -DSQLITE_CORE -Isqlite_ext -Icore $PQ_INC \
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -o "$S/mig" $SRC -lsqlite3 -lpq -linih -ljansson -lcrypto -ldl >"$S/build.log" 2>&1; then
    ok 0 "ASan+UBSan build of the client ($CCS)"
    relay "asan sqlite" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="newcomer cache usage errors" bash tests/client/sqlite.sh 2>&1)
    relay "asan autogen sqlite" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan NO_PG=- SECTIONS="sqlite_steps sqlite_dump sqlite_errors sqlite_usage" bash tests/client/autogen.sh 2>&1)
    relay "asan drift sqlite" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan NO_PG=- SECTIONS="sqlite_drift sqlite_desired sqlite_test_fail" bash tests/client/drift.sh 2>&1)
    relay "asan squash sqlite" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan NO_PG=- SECTIONS="sqlite_baseline sqlite_squash sqlite_refusals" bash tests/client/squash.sh 2>&1)
    relay "asan replay cache" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan bash tests/client/replay.sh 2>&1)
    if [ "$(id -u)" = 0 ] && make -s -C pg_ext install >"$S/install.log" 2>&1; then
        relay "asan pg" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="newcomer nontx_stmt" tests/pg/cluster.sh bash tests/client/pg.sh 2>&1)
        relay "asan autogen pg" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="pg_dump pg_errors pg_scratch" tests/pg/cluster.sh bash tests/client/autogen.sh 2>&1)
        relay "asan drift pg" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="pg_drift pg_test" tests/pg/cluster.sh bash tests/client/drift.sh 2>&1)
        relay "asan squash pg" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="pg_refusals pg_scratch" tests/pg/cluster.sh bash tests/client/squash.sh 2>&1)
        # the client's engine: snapshots and diffs made in the client (client_snapshot, mig_pg_diff)
        relay "asan pg_engine" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan SECTIONS="basic schemas lock role_carry tenants" tests/pg/cluster.sh bash tests/client/pg_engine.sh 2>&1)
        relay "asan autogen pg, client's engine" < <(MIG=$ROOT/$S/mig MIG_CHECKER=asan MIG_TEST_ENGINE=client SECTIONS="pg_steps pg_dump" tests/pg/cluster.sh bash tests/client/autogen.sh 2>&1)
    else
        skip "asan pg: the PostgreSQL extension cannot be installed here (needs root)"
    fi
else
    sed 's/^/# /' "$S/build.log" | head -40
    ok 1 "ASan+UBSan build of the client ($CCS)"
fi

# ---- (b) valgrind ----------------------------------------------------------------------
if command -v valgrind >/dev/null; then
    relay "valgrind sqlite" < <(MIG_CHECKER=valgrind SECTIONS="newcomer" bash tests/client/sqlite.sh 2>&1)
    relay "valgrind autogen sqlite" < <(MIG_CHECKER=valgrind NO_PG=- SECTIONS="sqlite_dump sqlite_errors" bash tests/client/autogen.sh 2>&1)
    relay "valgrind drift sqlite" < <(MIG_CHECKER=valgrind NO_PG=- SECTIONS="sqlite_drift sqlite_test" bash tests/client/drift.sh 2>&1)
    relay "valgrind squash sqlite" < <(MIG_CHECKER=valgrind NO_PG=- SECTIONS="sqlite_baseline sqlite_refusals" bash tests/client/squash.sh 2>&1)
    relay "valgrind replay cache" < <(MIG_CHECKER=valgrind SECTIONS="sqlite_loop sqlite_invalid" bash tests/client/replay.sh 2>&1)
else
    skip "valgrind is not installed"
fi

echo "1..$n"
exit $((fails > 0))

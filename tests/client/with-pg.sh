#!/bin/bash
# with-pg.sh SUITE: run tests/client/SUITE.sh (TAP) on SQLite, and on
# PostgreSQL in a throwaway cluster (tests/pg/cluster.sh) after installing
# the extension (make -C pg_ext install, as root).  Without root and without
# an installed extension the suite runs with NO_PG set, which skips its
# PostgreSQL sections; PG_ONLY=1 (a suite that is all PostgreSQL: pg.sh,
# pg_engine.sh) skips the whole file instead.  MIG_TEST_ENGINE passes
# through to the suite.  For tests/run/7*-client-*.t.
cd "$(dirname "$0")/../.." || exit 1
suite=$1
log=tests/tmp/.client-$suite${MIG_TEST_ENGINE:+-$MIG_TEST_ENGINE}-install.log
make -s all >&2 || { echo "1..1"; echo "not ok 1 - make all"; exit 1; }
mkdir -p tests/tmp
if ! make -s -C pg_ext install >"$log" 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "1..1"
        sed 's/^/# /' "$log"
        echo "not ok 1 - make -C pg_ext install"
        exit 1
    elif [ -f "$(pg_config --sharedir 2>/dev/null)/extension/mig.control" ]; then
        echo "# not root: testing with the extension already installed"
    else
        rm -f "$log"
        if [ "${PG_ONLY:-}" = 1 ]; then
            echo "1..0 # SKIP the extension is not installed and installing it needs root"
            exit 0
        fi
        NO_PG="the extension is not installed and installing it needs root" exec bash "tests/client/$suite.sh"
    fi
fi
rm -f "$log"
exec tests/pg/cluster.sh bash "tests/client/$suite.sh"

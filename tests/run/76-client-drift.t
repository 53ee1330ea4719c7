#!/bin/bash
# mig check's drift and desired checks and mig test end to end (tests/client/drift.sh):
# on SQLite, and on PostgreSQL in a throwaway cluster (tests/pg/cluster.sh)
# after installing the extension (make -C pg_ext install, as root).  Without
# root and without an installed extension the PostgreSQL sections are
# skipped, as 71-client-pg.t skips.
cd "$(dirname "$0")/../.." || exit 1
make -s all >&2 || { echo "1..1"; echo "not ok 1 - make all"; exit 1; }
mkdir -p tests/tmp
if ! make -s -C pg_ext install >tests/tmp/.client-drift-install.log 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "1..1"
        sed 's/^/# /' tests/tmp/.client-drift-install.log
        echo "not ok 1 - make -C pg_ext install"
        exit 1
    elif [ -f "$(pg_config --sharedir 2>/dev/null)/extension/mig.control" ]; then
        echo "# not root: testing with the extension already installed"
    else
        rm -f tests/tmp/.client-drift-install.log
        NO_PG="the extension is not installed and installing it needs root" exec bash tests/client/drift.sh
    fi
fi
rm -f tests/tmp/.client-drift-install.log
exec tests/pg/cluster.sh bash tests/client/drift.sh

#!/bin/bash
# The client's own engine on PostgreSQL, without the extension (managed
# PostgreSQL): tests/client/pg_engine.sh in a throwaway cluster
# (tests/pg/cluster.sh).  The extension is installed too (make -C pg_ext
# install, as root): the sections that switch engines create it.
cd "$(dirname "$0")/../.." || exit 1
make -s all >&2 || { echo "1..1"; echo "not ok 1 - make all"; exit 1; }
mkdir -p tests/tmp
if ! make -s -C pg_ext install >tests/tmp/.client-pg-engine-install.log 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "1..1"
        sed 's/^/# /' tests/tmp/.client-pg-engine-install.log
        echo "not ok 1 - make -C pg_ext install"
        exit 1
    elif [ -f "$(pg_config --sharedir 2>/dev/null)/extension/mig.control" ]; then
        echo "# not root: testing with the extension already installed"
    else
        echo "1..0 # SKIP the extension is not installed and installing it needs root"
        exit 0
    fi
fi
rm -f tests/tmp/.client-pg-engine-install.log
exec tests/pg/cluster.sh bash tests/client/pg_engine.sh

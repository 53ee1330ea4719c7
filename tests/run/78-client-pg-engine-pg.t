#!/bin/bash
# tests/client/pg.sh, the suite of 71-client-pg.t, with the client's own
# engine (MIG_TEST_ENGINE=client: --engine client on every run): the same
# output, the same state, but the sections that need the extension itself
# (roles: a deployer with EXECUTE grants only).  A throwaway cluster
# (tests/pg/cluster.sh); the extension is installed for the offline checks'
# comparisons (make -C pg_ext install, as root).
cd "$(dirname "$0")/../.." || exit 1
make -s all >&2 || { echo "1..1"; echo "not ok 1 - make all"; exit 1; }
mkdir -p tests/tmp
if ! make -s -C pg_ext install >tests/tmp/.client-pg-engine-pg-install.log 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "1..1"
        sed 's/^/# /' tests/tmp/.client-pg-engine-pg-install.log
        echo "not ok 1 - make -C pg_ext install"
        exit 1
    elif [ ! -f "$(pg_config --sharedir 2>/dev/null)/extension/mig.control" ]; then
        echo "1..0 # SKIP the extension is not installed and installing it needs root"
        exit 0
    fi
fi
rm -f tests/tmp/.client-pg-engine-pg-install.log
exec env MIG_TEST_ENGINE=client tests/pg/cluster.sh bash tests/client/pg.sh

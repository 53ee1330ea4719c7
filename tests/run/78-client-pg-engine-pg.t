#!/bin/bash
# tests/client/pg.sh, the suite of 71-client-pg.t, with the client's own
# engine (MIG_TEST_ENGINE=client: --engine client on every run): the same
# output, the same state, but the sections that need the extension itself
# (roles: a deployer with EXECUTE grants only).  A throwaway cluster
# (tests/pg/cluster.sh); the extension is installed for the offline checks'
# comparisons (make -C pg_ext install, as root).
exec env PG_ONLY=1 MIG_TEST_ENGINE=client bash "$(dirname "$0")/../client/with-pg.sh" pg

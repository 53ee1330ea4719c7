#!/bin/bash
# The real client/mig binary end to end against PostgreSQL: installs the
# extension (make -C pg_ext install, as root), starts a throwaway cluster
# (tests/pg/cluster.sh) and runs tests/client/pg.sh in it.
exec env PG_ONLY=1 bash "$(dirname "$0")/../client/with-pg.sh" pg

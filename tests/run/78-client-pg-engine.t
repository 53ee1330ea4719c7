#!/bin/bash
# The client's own engine on PostgreSQL, without the extension (managed
# PostgreSQL): tests/client/pg_engine.sh in a throwaway cluster
# (tests/pg/cluster.sh).  The extension is installed too (make -C pg_ext
# install, as root): the sections that switch engines create it.
exec env PG_ONLY=1 bash "$(dirname "$0")/../client/with-pg.sh" pg_engine

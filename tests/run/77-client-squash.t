#!/bin/bash
# mig baseline and mig squash end to end (tests/client/squash.sh), on
# SQLite and on PostgreSQL (tests/client/with-pg.sh).
exec bash "$(dirname "$0")/../client/with-pg.sh" squash

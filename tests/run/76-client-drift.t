#!/bin/bash
# mig check's drift and desired checks and mig test end to end
# (tests/client/drift.sh), on SQLite and on PostgreSQL (tests/client/with-pg.sh).
exec bash "$(dirname "$0")/../client/with-pg.sh" drift

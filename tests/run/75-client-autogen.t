#!/bin/bash
# mig revision --autogenerate and mig dump end to end (tests/client/autogen.sh),
# on SQLite and on PostgreSQL (tests/client/with-pg.sh).
exec bash "$(dirname "$0")/../client/with-pg.sh" autogen

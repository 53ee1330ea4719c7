#!/bin/bash
# mig history -r RANGE against Alembic 1.8.1 itself: a hand-written branched
# graph, then random branched graphs (several roots, merges, branch labels,
# depends_on) written as both an Alembic and a mig project, compared range by
# range, current: and --indicate-current included (tests/client/history.sh).
exec bash "$(dirname "$0")/../client/history.sh"

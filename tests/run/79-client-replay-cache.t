#!/bin/bash
# The replay cache (client/replay.c) end to end on SQLite
# (tests/client/replay.sh): the everyday autogenerate loop replays only the
# newest revision, an edited applied revision, a damaged cache, another
# binary or other -x values are not trusted, replays to other targets
# (check at an older revision, a branch) start from empty, and every result
# is the same as with MIG_CACHE=off.
exec bash "$(dirname "$0")/../client/replay.sh"

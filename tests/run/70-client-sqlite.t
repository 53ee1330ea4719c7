#!/bin/bash
# The real client/mig binary end to end against SQLite files in temporary
# folders: a newcomer's session, configuration, branches, x-arguments,
# push, atomicity, transactional false revisions, concurrent deployers,
# offline SQL, --json, plugins, usage errors and error paths
# (tests/client/sqlite.sh).
exec bash "$(dirname "$0")/../client/sqlite.sh"

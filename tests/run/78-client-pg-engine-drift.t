#!/bin/bash
# tests/client/drift.sh's PostgreSQL sections with the client's own engine
# (MIG_TEST_ENGINE=client: --engine client on every run): schema snapshots
# and diffs made by the client over libpq (no mig extension in the
# databases), checked against the extension's own snapshots where the
# suite compares with a database built directly.  A throwaway cluster
# (tests/client/with-pg.sh; the extension is installed for those
# comparisons, as root).
exec env MIG_TEST_ENGINE=client bash "$(dirname "$0")/../client/with-pg.sh" drift

#!/bin/bash
# PGXS's installcheck of pg_ext/ (pg_regress: pg_ext/sql/mig.sql against
# pg_ext/expected/mig.out) on the cluster of tests/pg/cluster.sh, which
# sets PGHOST, PGPORT and PGUSER; pg_regress makes its own database
# (contrib_regression).  On a difference the diff is shown.
set -u
cd "$(dirname "$0")/../.." || exit 1
if make -s -C pg_ext installcheck >/dev/null 2>&1; then
    echo "ok - make -C pg_ext installcheck"
    exit 0
fi
echo "not ok - make -C pg_ext installcheck"
cat pg_ext/regression.out pg_ext/regression.diffs 2>/dev/null
exit 1

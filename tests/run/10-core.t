#!/bin/sh
# Core unit tests: the C test programs print TAP themselves.  This wrapper
# runs each as a subtest so prove reports them in one place.
cd "$(dirname "$0")/../.." || exit 1
make -s tests/core/test_scenarios tests/core/test_revfile tests/core/test_sqltok tests/core/test_ddl tests/core/test_batch >&2 || { echo "1..0 # SKIP build failed"; exit 1; }
echo "1..5"
n=0
for t in "tests/core/test_scenarios tests/scenarios/*.scn" tests/core/test_revfile tests/core/test_sqltok tests/core/test_ddl tests/core/test_batch; do
    n=$((n + 1))
    out=$($t 2>&1); rc=$?
    echo "$out" | sed 's/^/    /'
    if [ $rc -eq 0 ]; then echo "ok $n - ${t%% *}"; else echo "not ok $n - ${t%% *}"; fi
done

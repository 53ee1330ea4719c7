#!/bin/bash
# PostgreSQL: build and install the extension with PGXS, start a throwaway
# cluster as user postgres on a private socket (tests/pg/cluster.sh), run the
# pgTAP files tests/pg/*.sql with pg_prove and the shell tests
# tests/pg/t_*.sh, stop the cluster.
cd "$(dirname "$0")/../.." || exit 1
files=(tests/pg/*.sql tests/pg/t_*.sh)
count=0
for f in "${files[@]}"; do [ -e "$f" ] && count=$((count + 1)); done
echo "1..$((count + 2))"
if ! make -s -C pg_ext install >tests/pg/.install.log 2>&1; then
    sed 's/^/    # /' tests/pg/.install.log
    echo "not ok 1 - build and install pg_ext (make -C pg_ext install; as root)"
    exit 1
fi
rm -f tests/pg/.install.log
echo "ok 1 - build and install pg_ext"
# the PGXN metadata carries the control file's version
v=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_ext/mig.control)
if grep -q "\"version\": \"$v\"" META.json && [ -f "sql/mig--$v.sql" ]; then
    echo "ok 2 - META.json and sql/mig--$v.sql match the control file's version $v"
else
    echo "not ok 2 - META.json or sql/mig--$v.sql does not match the control file's version $v"
fi
N0=2 tests/pg/cluster.sh tests/pg/run_all.sh

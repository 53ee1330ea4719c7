#!/bin/bash
# Run inside tests/pg/cluster.sh: each pgTAP file tests/pg/*.sql with
# pg_prove (in a fresh database with the extensions), then each shell test
# tests/pg/t_*.sh; one TAP line per file, their output as diagnostics.
set -u
cd "$(dirname "$0")/../.." || exit 1
n=${N0:-0}
fails=0
for f in tests/pg/*.sql tests/pg/t_*.sh; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    db="migtest_$n"
    psql -q -X -d postgres -c "CREATE DATABASE $db" >/dev/null || { echo "not ok $n - $f (createdb)"; continue; }
    psql -q -X -d "$db" -c "CREATE EXTENSION pgtap" >/dev/null 2>&1
    case $f in
        *.sql) out=$(pg_prove -v -d "$db" "$f" 2>&1); rc=$? ;;
        *.sh) out=$(PGDATABASE=$db bash "$f" 2>&1); rc=$? ;;
    esac
    echo "$out" | sed 's/^/    # /'
    if [ $rc -eq 0 ]; then echo "ok $n - $f"; else echo "not ok $n - $f"; fails=$((fails + 1)); fi
    psql -q -X -d postgres -c "DROP DATABASE $db" >/dev/null 2>&1
done
exit $((fails > 0))

#!/bin/bash
# PostgreSQL: a chain of N revisions with trivial bodies (N=10000 by
# default) on a throwaway cluster (tests/pg/cluster.sh; run as root after
# `make install`): SELECT mig_upgrade('head') against a PL/pgSQL DO loop
# running the same N statements (the floor), and the cost of a step at the
# start and at the end of the chain.  Prints seconds and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
if [ -z "${PGHOST:-}" ] || [ "${BENCH_IN_CLUSTER:-}" != 1 ]; then
    exec env BENCH_IN_CLUSTER=1 N="$N" tests/pg/cluster.sh bash "$0"
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
# the revisions, uploaded in one transaction
awk -v n="$N" 'BEGIN {
    print "BEGIN;";
    for (i = 1; i <= n; i++) {
        printf "SELECT mig_put_revision($r$-- mig:revision r%06d\n", i;
        if (i > 1) printf "-- mig:down_revision r%06d\n", i - 1;
        printf "-- mig:upgrade\nINSERT INTO bench_log (n) VALUES (%d);\n-- mig:downgrade\nDELETE FROM bench_log WHERE n = %d;\n$r$);\n", i, i;
    }
    print "COMMIT;";
}' >"$W/upload.sql"
psql -q -X -c "CREATE EXTENSION mig; CREATE TABLE bench_log (n int);" >/dev/null
t0=$(now); psql -q -X -f "$W/upload.sql" >/dev/null; t1=$(now)
upload=$(secs "$t0" "$t1")
M=$((N / 10))
t0=$(now); psql -q -X -At -c "SELECT mig_upgrade('r$(printf %06d "$M")')" >/dev/null; t1=$(now)
upgrade_m=$(secs "$t0" "$t1")
psql -q -X -At -c "SELECT mig_downgrade('base')" >/dev/null
t0=$(now); psql -q -X -At -c "SELECT mig_upgrade('head')" >/dev/null; t1=$(now)
upgrade=$(secs "$t0" "$t1")
psql -q -X -c "TRUNCATE bench_log" >/dev/null
t0=$(now)
psql -q -X -c "DO \$\$ BEGIN FOR i IN 1..$N LOOP EXECUTE format('INSERT INTO bench_log (n) VALUES (%s)', i); END LOOP; END \$\$" >/dev/null
t1=$(now)
floor=$(secs "$t0" "$t1")
echo "PostgreSQL 15, a chain of $N revisions (one INSERT each)"
printf '  %-52s %8s s\n' "upload, $N x mig_put_revision, one transaction" "$upload"
printf '  %-52s %8s s\n' "SELECT mig_upgrade('head')" "$upgrade"
printf '  %-52s %8s s\n' "floor: DO loop, the same $N statements" "$floor"
awk -v u="$upgrade" -v f="$floor" 'BEGIN { printf "  %-52s %8.2fx  goal <= 5x: %s\n", "mig_upgrade / floor", u / f, (u / f <= 5 ? "met" : "MISSED") }'
awk -v a="$upgrade_m" -v m="$M" -v b="$upgrade" -v n="$N" 'BEGIN {
    pa = a / m * 1e6; pb = b / n * 1e6;
    printf "  %-52s %8.1f us\n", "per step, upgrade of the first " m " steps", pa;
    printf "  %-52s %8.1f us\n", "per step, upgrade of all " n " steps in one call", pb;
    printf "  %-52s %8.2fx  goal ~1x: %s\n", "per-step cost, " n " vs " m " steps", pb / pa, (pb / pa <= 1.5 ? "met" : "MISSED") }'

#!/bin/bash
# PostgreSQL: the client's own engine (client/pg_engine.c, for managed
# PostgreSQL without the extension) against the extension, on the same
# chain of N revisions (N=10000 by default, one INSERT each), on a
# throwaway cluster (tests/pg/cluster.sh; run as root after `make install`).
# Times `mig push` (the upload) and `mig upgrade` (the run) of the real
# client with --engine extension and --engine client, each on a fresh
# database, and prints the ratios (goal: the client's engine within 3x).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
if [ -z "${PGHOST:-}" ] || [ "${BENCH_IN_CLUSTER:-}" != 1 ]; then
    make -s all
    exec env BENCH_IN_CLUSTER=1 N="$N" tests/pg/cluster.sh bash "$0"
fi
MIG=$PWD/client/mig
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export XDG_CACHE_HOME=$W/.cache
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mkdir -p "$W/versions"
awk -v n="$N" -v d="$W/versions" 'BEGIN {
    for (i = 1; i <= n; i++) {
        f = sprintf("%s/r%06d.sql", d, i);
        printf "-- mig:revision r%06d\n", i >f;
        if (i > 1) printf "-- mig:down_revision r%06d\n", i - 1 >f;
        printf "-- mig:message step %d\n\n-- mig:upgrade\nINSERT INTO bench_log (n) VALUES (%d);\n\n-- mig:downgrade\nDELETE FROM bench_log WHERE n = %d;\n", i, i, i >f;
        close(f);
    }
}'
cd "$W"
declare -A T
for e in extension client; do
    psql -q -X -d postgres -c "CREATE DATABASE bench_$e" >/dev/null
    psql -q -X -d "bench_$e" -c "CREATE TABLE bench_log (n int PRIMARY KEY)" >/dev/null
    [ "$e" = extension ] && psql -q -X -d "bench_$e" -c "CREATE EXTENSION mig" >/dev/null
    printf '[mig]\nurl = postgresql:///bench_%s?host=%s&port=%s&user=postgres\nversions = versions\nengine = %s\n' \
        "$e" "$PGHOST" "$PGPORT" "$e" >mig.ini
    t0=$(now); "$MIG" -q push; t1=$(now)
    T[$e.push]=$(secs "$t0" "$t1")
    t0=$(now); "$MIG" -q upgrade; t1=$(now)
    T[$e.upgrade]=$(secs "$t0" "$t1")
    t0=$(now); "$MIG" -q downgrade base; t1=$(now)
    T[$e.downgrade]=$(secs "$t0" "$t1")
    [ "$(psql -X -At -d "bench_$e" -c "SELECT count(*) FROM mig.mig_history")" = $((2 * N)) ] || { echo "pg_engine.sh: $e: history is not 2 x $N rows" >&2; exit 1; }
done
echo "PostgreSQL, a chain of $N revisions (one INSERT each): the mig client with --engine extension / client"
T[extension.push+upgrade]=$(awk -v a="${T[extension.push]}" -v b="${T[extension.upgrade]}" 'BEGIN { printf "%.3f", a + b }')
T[client.push+upgrade]=$(awk -v a="${T[client.push]}" -v b="${T[client.upgrade]}" 'BEGIN { printf "%.3f", a + b }')
for k in push upgrade downgrade push+upgrade; do
    awk -v k="$k" -v a="${T[extension.$k]}" -v b="${T[client.$k]}" 'BEGIN {
        r = b / a;
        printf "  %-12s extension %8.3f s   client %8.3f s   ratio %5.2fx  goal <= 3x: %s\n", k, a, b, r, (r <= 3 ? "met" : "MISSED") }'
done

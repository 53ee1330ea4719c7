#!/bin/bash
# PostgreSQL: a chain of N revisions with trivial bodies (N=10000 by
# default) on a throwaway cluster (tests/pg/cluster.sh; run as root after
# `make install`): SELECT mig_upgrade('head') against a PL/pgSQL DO loop
# running the same N statements (the floor), and the cost of a step at the
# start and at the end of the chain.  Then the reference: Alembic (Debian's
# python3-alembic 1.8.1, psycopg2) upgrading a fresh database of the same
# cluster through the same chain, and `alembic current`.  Prints seconds and
# ratios.  SKIP_ALEMBIC=1 skips Alembic; PY is the python that has alembic
# (default /usr/bin/python3, Debian's; a pyenv python3 on PATH may lack it).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
PY=${PY:-/usr/bin/python3}
if [ -z "${PGHOST:-}" ] || [ "${BENCH_IN_CLUSTER:-}" != 1 ]; then
    if [ "$SKIP_ALEMBIC" != 1 ]; then
        "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null || {
            echo "pg_chain.sh: $PY has no alembic/sqlalchemy (apt-get install python3-alembic, set PY, or SKIP_ALEMBIC=1)" >&2
            exit 1
        }
        if ! "$PY" -c 'import psycopg2' 2>/dev/null; then
            echo "pg_chain.sh: installing python3-psycopg2 for the Alembic reference" >&2
            if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
                || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-psycopg2 >/dev/null; then
                echo "pg_chain.sh: $PY has no psycopg2: install python3-psycopg2 (as root: apt-get install python3-psycopg2), or SKIP_ALEMBIC=1" >&2
                exit 1
            fi
        fi
    fi
    exec env BENCH_IN_CLUSTER=1 N="$N" SKIP_ALEMBIC="$SKIP_ALEMBIC" PY="$PY" tests/pg/cluster.sh bash "$0"
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
# mig_current() once, in its own psql, to set against `alembic current`
t0=$(now); cur=$(psql -q -X -At -c "SELECT mig_current()"); t1=$(now)
mig_cur=$(secs "$t0" "$t1")
[ "$cur" = "r$(printf %06d "$N")" ] || { echo "pg_chain.sh: mig_current() is '$cur'" >&2; exit 1; }
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

[ "$SKIP_ALEMBIC" = 1 ] && exit 0
# Alembic: a project of N scripts (ids r000001.., the same bodies), a fresh
# database of the same cluster; bytecode compiled before the timer, as in a
# project in use.  Times include starting python and importing Alembic,
# SQLAlchemy and psycopg2, and reading the N scripts (every command does).
ADB=alembic_bench
psql -q -X -d postgres -c "CREATE DATABASE $ADB" >/dev/null
psql -q -X -d "$ADB" -c "CREATE TABLE bench_log (n int)" >/dev/null
URL="postgresql+psycopg2:///$ADB?host=$PGHOST&port=$PGPORT&user=postgres"
"$PY" bench/pg_alembic.py "$W/alembic" "$N" "$URL"
"$PY" -m compileall -q "$W/alembic/versions" >/dev/null
alembic() { (cd "$W" && "$PY" -m alembic -c "$W/alembic/alembic.ini" "$@"); }
t0=$(now); alembic upgrade head >"$W/aup.out" 2>&1 || { cat "$W/aup.out" >&2; exit 1; }; t1=$(now)
a_upgrade=$(secs "$t0" "$t1")
got=$(psql -q -X -At -d "$ADB" -c "SELECT count(*) || ' ' || sum(n) FROM bench_log")
[ "$got" = "$N $((N * (N + 1) / 2))" ] || { echo "pg_chain.sh: Alembic's bench_log: '$got'" >&2; exit 1; }
t0=$(now); alembic current >"$W/acur.out" 2>&1 || { cat "$W/acur.out" >&2; exit 1; }; t1=$(now)
a_current=$(secs "$t0" "$t1")
grep -q "^r$(printf %06d "$N") (head)" "$W/acur.out" || { cat "$W/acur.out" >&2; exit 1; }
echo "Alembic $("$PY" -c 'import alembic; print(alembic.__version__)'), SQLAlchemy $("$PY" -c 'import sqlalchemy; print(sqlalchemy.__version__)'), psycopg2 $("$PY" -c 'import psycopg2; print(psycopg2.__version__.split()[0])') on the same chain (fresh database, one run each)"
printf '  %-52s %8s s\n' "alembic upgrade head (one transaction)" "$a_upgrade"
awk -v a="$a_upgrade" -v u="$upgrade" -v p="$upload" -v f="$floor" 'BEGIN {
    printf "  %-52s %8.1fx\n", "  vs SELECT mig_upgrade('"'"'head'"'"')", a / u;
    printf "  %-52s %8.1fx\n", "  vs mig upload + mig_upgrade", a / (u + p);
    printf "  %-52s %8.1fx\n", "  vs floor", a / f }'
printf '  %-52s %8s s\n' "alembic current" "$a_current"
printf '  %-52s %8s s\n' "  psql -c \"SELECT mig_current()\" (one process)" "$mig_cur"
awk -v a="$a_current" -v c="$mig_cur" 'BEGIN { printf "  %-52s %8.0fx\n", "  alembic current / mig_current()", a / c }'

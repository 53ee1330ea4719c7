#!/usr/bin/env bash
# bench/schema_pg.sh — mig_snapshot() and mig_diff() on a large
# PostgreSQL schema (10,000 tables with their indexes, constraints, a view
# per 10 tables and a trigger per 10 tables, over 2 schemas), against the
# floor `pg_dump --schema-only` of the same database, and against Alembic
# 1.8.1's autogenerate compare (MetaData.reflect + compare_metadata) at
# 1,000 tables; all measured in one run, on a throwaway cluster (user
# postgres when run as root, a private socket, fsync off) stopped at exit.
# Needs the extension installed in the system PostgreSQL (make -s -C pg_ext
# install, as root; `make bench-schema-pg` does both).  See bench/README.md
# ("schema_pg.sh").
#
# Environment (all optional):
#   NS="10000"          schema sizes (tables) measured for mig and pg_dump
#   ALEMBIC_NS="1000"   sizes Alembic is measured at (added to NS: the ratio
#                       mig / Alembic needs mig at the same size)
#   REPEAT=3            runs of each mig phase and of pg_dump, interleaved;
#                       the lowest time is kept
#   ALEMBIC_REPEAT=1    reflect + compare runs inside the Alembic process
#   SKIP_ALEMBIC=1      no Alembic rows
#   PY=/usr/bin/python3 python for the generator and Alembic
#   SERVER_OPTS=        more server options, e.g. "-c jit=off"
#   CLOCK=wall          the figure the best run, the ratios and the goals use:
#                       wall (the whole client call) or cpu (client CPU +
#                       the backend's CPU; steadier on a busy machine)
#   MIG_SO=             a private build of the extension's library (e.g.
#                       /tmp/x/pg_ext/mig.so, to try a change of
#                       core/snapshot_pg.sql without installing it): the
#                       snapshot rows call its pg_mig_snapshot; mig_diff and
#                       everything else stay the installed extension
#   MIG=client/mig      the client, for the row of its own snapshot
#                       (--engine client: the catalog query over libpq,
#                       the document made in the client, no extension used)
#   KEEP=1              keep the work directory (the cluster is stopped; its
#                       data directory, the SQL, the snapshots, the diff stay)
set -euo pipefail

NS=${NS:-10000}
ALEMBIC_NS=${ALEMBIC_NS:-1000}
REPEAT=${REPEAT:-3}
ALEMBIC_REPEAT=${ALEMBIC_REPEAT:-1}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
PY=${PY:-/usr/bin/python3}
SERVER_OPTS=${SERVER_OPTS:-}
KEEP=${KEEP:-0}
CLOCK=${CLOCK:-wall}
MIG_SO=${MIG_SO:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIG=${MIG:-$HERE/../client/mig}
case $MIG in /*) ;; *) MIG=$PWD/$MIG ;; esac
PORT=54338
GOAL=2     # (snapshot A + snapshot B + diff) / (2 x pg_dump)

# shellcheck source=bench/lib.sh disable=SC1091
. "$HERE/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, thou, cpu_ms, srv_ms

for v in REPEAT ALEMBIC_REPEAT; do is_int "${!v}" || die "$v must be a positive integer"; done
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac
if [ -n "$MIG_SO" ]; then
    case $MIG_SO in /*) ;; *) MIG_SO=$PWD/$MIG_SO ;; esac
    [ -r "$MIG_SO" ] || die "MIG_SO: no file $MIG_SO"
fi
[ "$SKIP_ALEMBIC" = 1 ] && ALEMBIC_NS=""
SIZES=$(for n in $NS $ALEMBIC_NS; do echo "$n"; done | sort -un)
for n in $SIZES; do
    if ! is_int "$n" || [ "$n" -lt 10 ]; then die "sizes must be integers of at least 10 (NS, ALEMBIC_NS): '$n'"; fi
done
[ -n "$SIZES" ] || die "no size to measure (NS)"

PGBIN=$(pg_config --bindir 2>/dev/null || true)
# (libpq-dev's pg_config, without a server's: the newest server installed)
# shellcheck disable=SC2012
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL server (initdb) found"
for c in psql pg_dump; do command -v "$c" >/dev/null || die "no $c"; done
[ -x "$PY" ] || die "no python at $PY (set PY)"
ALEMBIC=skipped
if [ -n "$ALEMBIC_NS" ]; then
    "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null \
        || die "$PY has no alembic/sqlalchemy (apt-get install python3-alembic, set PY, or SKIP_ALEMBIC=1)"
    if ! "$PY" -c 'import psycopg2' 2>/dev/null; then
        progress "installing python3-psycopg2 for the Alembic reference"
        if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
            || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-psycopg2 >/dev/null; then
            die "$PY has no psycopg2: install python3-psycopg2 (as root: apt-get install python3-psycopg2), or SKIP_ALEMBIC=1"
        fi
    fi
    ALEMBIC=$("$PY" -c 'import alembic, sqlalchemy, psycopg2; print("Alembic", alembic.__version__, "/ SQLAlchemy", sqlalchemy.__version__, "/ psycopg2", psycopg2.__version__.split()[0])')
fi

# ---------------------------------------------------------------- cluster

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench-schema-pg.XXXXXX")
chmod 755 "$W"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$W"
STARTED=0
cleanup() {
    [ "$STARTED" = 1 ] && as_pg "'$PGBIN/pg_ctl' -D '$W/data' -m fast -w stop" >/dev/null 2>&1
    if [ "$KEEP" = 1 ]; then echo "schema_pg.sh: files kept in $W (the cluster is stopped; $PGBIN/pg_ctl -D $W/data -o \"-k $W -p $PORT\" start)" >&2
    else rm -rf "$W"; fi
}
trap cleanup EXIT
progress "a throwaway cluster in $W"
as_pg "'$PGBIN/initdb' -D '$W/data' -A trust -U postgres -E UTF8 --no-sync" >"$W/initdb.log" 2>&1 \
    || { cat "$W/initdb.log" >&2; die "initdb failed"; }
# max_locks_per_transaction: pg_dump locks every table in one transaction;
# autovacuum off: the server's children are the measured backends only
as_pg "'$PGBIN/pg_ctl' -D '$W/data' -l '$W/server.log' -w -t 60 -o \"-k '$W' -c listen_addresses='' -c port=$PORT -c fsync=off -c max_locks_per_transaction=1024 -c autovacuum=off $SERVER_OPTS\" start" >/dev/null 2>&1 \
    || { cat "$W/server.log" >&2; die "the server did not start"; }
STARTED=1
export PGHOST=$W PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
unset PGOPTIONS PGSERVICE
PM=$(head -n 1 "$W/data/postmaster.pid")

# q DB SQL...: psql, errors fatal, output into $W/out
q() {
    local db=$1
    shift
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@" >"$W/out" 2>"$W/err" || fail "psql -d $db $*"
}
q postgres -c "SELECT 1"
SERVER_VERSION=$(psql -X -At -d postgres -c "SHOW server_version")
JIT=$(psql -X -At -d postgres -c "SHOW jit")

# Server CPU: the backends are children of the postmaster, which adds the
# CPU of each one it reaps to its cutime + cstime (/proc/PM/stat, clock
# ticks); autovacuum is off, so nothing else comes and goes.  srv_ms waits
# until the last backend has been reaped.
TICK_MS=$(( 1000 / $(getconf CLK_TCK) ))
sleep 1   # the backend of the last psql reaped
BASE_CHILDREN=$(ps --ppid "$PM" --no-headers | wc -l)
verdict() { if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi; }

# the extension, as installed in the system PostgreSQL
q postgres -c "CREATE DATABASE probe" -c "\\c probe" -c "CREATE EXTENSION mig" \
    -c "SELECT extversion FROM pg_extension WHERE extname = 'mig'" \
    -c "SELECT count(*) FROM pg_proc WHERE proname IN ('mig_snapshot', 'mig_diff')"
EXT_VERSION=$(sed -n 1p "$W/out")
[ "$(sed -n 2p "$W/out")" = 2 ] \
    || die "the installed extension mig $EXT_VERSION has no mig_snapshot/mig_diff: make -s -C pg_ext install (as root), or make bench-schema-pg"
EXT_SO="$("$PGBIN"/pg_config --pkglibdir 2>/dev/null || pg_config --pkglibdir)/mig.so"
EXT_SHA=$(sha1sum <"$EXT_SO" | cut -c1-12)
EXT_BUILT=$(date -r "$EXT_SO" '+%Y-%m-%d %H:%M')

# The timed SQL phases: one psql call each, a session-local function
# (pg_temp: not in the snapshot, nor in pg_dump) runs the statement between
# two readings of clock_timestamp() and of the backend's own CPU
# (/proc/self/schedstat, ns) and returns the result (sent to psql, which
# writes it to a file) with the two times after it.
TIMER_FN="CREATE FUNCTION pg_temp.bench(sql text, OUT res text, OUT wall_ms float8, OUT cpu_ms float8)
LANGUAGE plpgsql AS \$f\$
DECLARE c0 timestamptz; s0 bigint;
BEGIN
    s0 := split_part(pg_catalog.pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint;
    c0 := pg_catalog.clock_timestamp();
    EXECUTE sql INTO res;
    wall_ms := 1000 * extract(epoch FROM pg_catalog.clock_timestamp() - c0);
    cpu_ms := (split_part(pg_catalog.pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - s0) / 1e6;
END \$f\$;"
US=$'\x1f'
SNAP_SQL="SELECT mig_snapshot()"
SNAP_FN="SET application_name = 'schema_pg.sh'"
if [ -n "$MIG_SO" ]; then
    # a session-local function bound to the private build: a snapshot
    # session loads that library only (the installed one is not called)
    SNAP_FN="CREATE FUNCTION pg_temp.mig_snapshot(opts text) RETURNS text AS '$MIG_SO', 'pg_mig_snapshot' LANGUAGE C STABLE SET search_path = ''"
    SNAP_SQL="SELECT pg_temp.mig_snapshot(NULL)"
fi
# run_sql DB SQL OUTFILE: one timed psql call; sets WALL (whole call), CCPU
# (psql's CPU), SCPU (the backend's CPU, from its start to its exit), IWALL
# and ICPU (inside the server, around the statement); the result into OUTFILE
run_sql() {
    local db=$1 sql=$2 outf=$3 c0 s0 w0 tailv pre="SET application_name = 'schema_pg.sh'"
    [ "$sql" = "$SNAP_SQL" ] && pre=$SNAP_FN
    srv_ms; s0=$SRV_MS; cpu_ms; c0=$CPU_MS; wall_us; w0=$WALL_US
    if ! psql -X -q -At -F "$US" -v ON_ERROR_STOP=1 -d "$db" -c "$TIMER_FN" -c "$pre" \
        -c "SELECT * FROM pg_temp.bench(\$q\$$sql\$q\$)" >"$outf" 2>"$W/err"; then
        cp "$outf" "$W/out" 2>/dev/null || true
        return 1
    fi
    wall_us; cpu_ms; srv_ms
    WALL=$(( (WALL_US - w0) / 1000 )); CCPU=$(( CPU_MS - c0 )); SCPU=$(( SRV_MS - s0 ))
    tailv=$(tail -c 200 "$outf" | tail -n 1)
    IWALL=$(awk -F "$US" '{ printf "%.0f", $(NF - 1) }' <<<"$tailv")
    ICPU=$(awk -F "$US" '{ printf "%.0f", $NF }' <<<"$tailv")
}
# result_of FILE: the result column alone (drops the two times and the newline)
result_of() { "$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[:d.rstrip(b"\n").rfind(b"\x1f")].rsplit(b"\x1f", 1)[0])' "$1"; }
# run_dump DB: pg_dump --schema-only > /dev/null, the same figures (no IWALL/ICPU)
run_dump() {
    local c0 s0 w0
    srv_ms; s0=$SRV_MS; cpu_ms; c0=$CPU_MS; wall_us; w0=$WALL_US
    if ! pg_dump --schema-only -d "$1" >/dev/null 2>"$W/err" || [ -s "$W/err" ]; then
        : >"$W/out"; fail "pg_dump --schema-only -d $1"
    fi
    wall_us; cpu_ms; srv_ms
    WALL=$(( (WALL_US - w0) / 1000 )); CCPU=$(( CPU_MS - c0 )); SCPU=$(( SRV_MS - s0 )); IWALL=; ICPU=
}

# run_client DB OUTFILE: the client's own snapshot (mig --engine client dump
# --snapshot: no extension function used), the same figures (no IWALL/ICPU)
run_client() {
    local c0 s0 w0
    srv_ms; s0=$SRV_MS; cpu_ms; c0=$CPU_MS; wall_us; w0=$WALL_US
    if ! (cd "$W" && "$MIG" -q --engine client --url "postgresql:///$1?host=$PGHOST&port=$PGPORT&user=postgres" \
        dump --snapshot >"$2" 2>"$W/err"); then
        cp "$2" "$W/out" 2>/dev/null || true; fail "mig --engine client dump --snapshot on $1"
    fi
    wall_us; cpu_ms; srv_ms
    WALL=$(( (WALL_US - w0) / 1000 )); CCPU=$(( CPU_MS - c0 )); SCPU=$(( SRV_MS - s0 )); IWALL=; ICPU=
}

# ---------------------------------------------------------------- per size

declare -A R INFO
DIFF_STATE=""   # "" until tried; "ok" or the message that makes the diff rows n/a
NOTES=()
setbest() {  # setbest KEY: keep the figures of the best run (lowest CLOCK)
    local k=$1 m=$WALL
    [ "$CLOCK" = cpu ] && m=$(( CCPU + SCPU ))
    if [ -z "${R[$k,m]:-}" ] || [ "$m" -lt "${R[$k,m]}" ]; then
        R[$k,m]=$m; R[$k,wall]=$WALL; R[$k,ccpu]=$CCPU; R[$k,scpu]=$SCPU; R[$k,iwall]=$IWALL; R[$k,icpu]=$ICPU
    fi
}

for n in $SIZES; do
    A=a_$n B=b_$n D=docs_$n
    progress "$n tables: generating"
    "$PY" "$HERE/schema_pg_gen.py" schema "$n" >"$W/schema_$n.sql" || die "schema_pg_gen.py schema $n failed"
    "$PY" "$HERE/schema_pg_gen.py" edit "$n" >"$W/edit_$n.sql" || die "schema_pg_gen.py edit $n failed"
    INFO[$n,expect]=$("$PY" "$HERE/schema_pg_gen.py" expect "$n")
    q postgres -c "CREATE DATABASE $A" -c "\\c $A" -c "CREATE EXTENSION mig"
    progress "$n tables: loading A (psql -f, a transaction per 500 tables)"
    wall_us; w0=$WALL_US
    q "$A" -f "$W/schema_$n.sql"
    wall_us; INFO[$n,load]=$(( (WALL_US - w0) / 1000 ))
    progress "$n tables: B = a copy of A, edited; ANALYZE (catalog statistics, as autovacuum would keep them)"
    q postgres -c "CREATE DATABASE $B TEMPLATE $A"
    q "$B" -f "$W/edit_$n.sql"
    q "$A" -c "ANALYZE"
    q "$B" -c "ANALYZE"
    q postgres -c "CREATE DATABASE $D" -c "\\c $D" -c "CREATE EXTENSION mig" \
        -c "CREATE TABLE docs (k text PRIMARY KEY, doc text NOT NULL)"
    q "$A" -c "SELECT c.relkind, count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
               WHERE s.nspname IN ('app', 'ops') GROUP BY 1 ORDER BY 1" \
        -c "SELECT 't', count(*) FROM pg_trigger WHERE NOT tgisinternal" \
        -c "SELECT 'k' || contype::text, count(*) FROM pg_constraint WHERE connamespace IN ('app'::regnamespace, 'ops'::regnamespace) GROUP BY 1"
    INFO[$n,objs]=$(awk -F'|' '{ c[$1] = $2 } END {
        printf "%d tables, %d indexes (%d of them of constraints), %d views, %d triggers, %d sequences; %d foreign keys, %d unique, %d check",
            c["r"], c["i"], c["kp"] + c["ku"], c["v"], c["t"], c["S"], c["kf"], c["ku"], c["kc"] }' "$W/out")

    # once, untimed: the snapshots into the documents table, the diff checked
    progress "$n tables: the snapshots and the diff once, checked"
    for x in a b; do
        db=a_$n; [ "$x" = b ] && db=$B
        run_sql "$db" "$SNAP_SQL" "$W/raw.out" || fail "SELECT mig_snapshot() on $db"
        result_of "$W/raw.out" >"$W/${x}_$n.json"
        head -c 1 "$W/${x}_$n.json" | grep -q '[{[]' || { cp "$W/${x}_$n.json" "$W/out"; : >"$W/err"; fail "mig_snapshot() on $db is not a JSON document"; }
        chmod 644 "$W/${x}_$n.json"   # the server reads it
        q "$D" -c "INSERT INTO docs VALUES ('$x', pg_read_file('$W/${x}_$n.json'))"
    done
    cmp -s "$W/a_$n.json" "$W/b_$n.json" && { : >"$W/out"; : >"$W/err"; fail "the snapshots of A and B are equal: the edit was not seen"; }
    INFO[$n,doc]=$(wc -c <"$W/a_$n.json")
    INFO[$n,docb]=$(wc -c <"$W/b_$n.json")
    run_dump "$A"
    pg_dump --schema-only -d "$A" >"$W/dump_$n.sql"
    INFO[$n,dump]=$(wc -c <"$W/dump_$n.sql")
    if run_sql "$D" "SELECT mig_diff(a.doc, b.doc) FROM docs a, docs b WHERE a.k = 'a' AND b.k = 'b'" "$W/raw.out"; then
        result_of "$W/raw.out" >"$W/diff_$n.sql"
        [ -s "$W/diff_$n.sql" ] || { : >"$W/out"; : >"$W/err"; fail "mig_diff(a, b) is empty: the edit of ${INFO[$n,expect]} was not seen"; }
        INFO[$n,diffrows]=$(grep -c . "$W/diff_$n.sql" || true)
        INFO[$n,diffbytes]=$(wc -c <"$W/diff_$n.sql")
        run_sql "$D" "SELECT mig_diff(a.doc, a.doc) FROM docs a WHERE a.k = 'a'" "$W/raw.out" || fail "mig_diff(a, a)"
        [ -z "$(result_of "$W/raw.out")" ] || NOTES+=("$n tables: mig_diff(a, a) is not empty")
        DIFF_STATE=ok
    elif grep -Eq 'not (built|implemented) yet' "$W/err"; then
        INFO[$n,diffrows]=n/a
        [ -n "$DIFF_STATE" ] || DIFF_STATE="mig_diff: $(grep -Eo 'mig_diff: .*' "$W/err" | head -n 1)"
    else
        fail "SELECT mig_diff(a, b)"
    fi

    progress "$n tables: measuring, $REPEAT runs of each phase, interleaved"
    for ((r = 1; r <= REPEAT; r++)); do
        run_dump "$A"; setbest "$n,dump"
        run_sql "$A" "$SNAP_SQL" "$W/raw.out" || fail "SELECT mig_snapshot() on $A"
        cmp -s <(result_of "$W/raw.out") "$W/a_$n.json" || NOTES+=("$n tables: mig_snapshot() of A differs between two runs")
        setbest "$n,snapa"
        if [ -z "$MIG_SO" ]; then
            run_client "$A" "$W/client.json"
            head -c -1 "$W/client.json" | cmp -s - "$W/a_$n.json" \
                || NOTES+=("$n tables: the client's snapshot of A differs from mig_snapshot()'s")
            setbest "$n,snapc"
        fi
        run_sql "$B" "$SNAP_SQL" "$W/raw.out" || fail "SELECT mig_snapshot() on $B"
        setbest "$n,snapb"
        if [ "${INFO[$n,diffrows]}" != n/a ]; then
            run_sql "$D" "SELECT mig_diff(a.doc, b.doc) FROM docs a, docs b WHERE a.k = 'a' AND b.k = 'b'" "$W/raw.out" \
                || fail "SELECT mig_diff(a, b)"
            setbest "$n,diff"
        fi
    done

    if [[ " $ALEMBIC_NS " == *" $n "* ]]; then
        progress "$n tables: Alembic reflect B + compare_metadata against A ($ALEMBIC_REPEAT run(s))"
        url() { echo "postgresql+psycopg2:///$1?host=$PGHOST&port=$PGPORT&user=postgres"; }
        srv_ms; s0=$SRV_MS
        if ! "$PY" "$HERE/schema_pg_alembic.py" "$(url "$B")" "$(url "$A")" "$ALEMBIC_REPEAT" app ops >"$W/out" 2>"$W/err"; then
            fail "Alembic reflect + compare ($B against $A)"
        fi
        srv_ms; R[$n,al,scpu]=$(( SRV_MS - s0 ))
        line=$(tail -n 1 "$W/out")
        for f in wall_ms cpu_ms reflect_wall_ms reflect_cpu_ms diffs tables rss_kb kinds; do
            v=$(sed -n "s/.*\\b$f=\\([^ ]*\\).*/\\1/p" <<<"$line")
            [ -n "$v" ] || fail "Alembic: no $f in '$line'"
            R[$n,al,$f]=$v
        done
        [ "${R[$n,al,diffs]}" -gt 0 ] || fail "Alembic found no difference between B and A"
    fi
done

# ---------------------------------------------------------------- report

ms() { if [ -z "$1" ]; then printf -- '-'; else thou "$(printf '%.0f' "$1")"; fi; }
x2() { printf '%.2fx' "$1"; }
echo
echo "schema snapshot and diff on PostgreSQL — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) cores"
echo "PostgreSQL $SERVER_VERSION (fsync off, jit $JIT${SERVER_OPTS:+, $SERVER_OPTS}); extension mig $EXT_VERSION ($EXT_SO, built $EXT_BUILT, sha1 $EXT_SHA)"
[ -z "$MIG_SO" ] || echo "mig_snapshot: the private build MIG_SO=$MIG_SO (built $(date -r "$MIG_SO" '+%Y-%m-%d %H:%M'), sha1 $(sha1sum <"$MIG_SO" | cut -c1-12))"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOAD > $(nproc)) }"; then
    echo "WARNING: load average $LOAD on $(nproc) cores: other work is running, the wall times are inflated"
fi
[ "$DIFF_STATE" = ok ] || [ -z "$DIFF_STATE" ] || echo "mig_diff rows n/a: $DIFF_STATE"
GOALS=()
row() { printf '  %-44s %9s %9s %9s %9s %9s %9s\n' "$@"; }
# ratio N KEY...: the sum of the KEYs' figures on the clock C (wall, or
# cpu: client + server) over pg_dump's, into RATIO; their sum into SUM
ratio() {
    local n=$1 c=$2 k f
    shift 2
    SUM=0
    for k in "$@"; do
        if [ "$c" = wall ]; then SUM=$(( SUM + ${R[$n,$k,wall]} )); else SUM=$(( SUM + ${R[$n,$k,ccpu]} + ${R[$n,$k,scpu]} )); fi
    done
    if [ "$c" = wall ]; then f=${R[$n,dump,wall]}; else f=$(( ${R[$n,dump,ccpu]} + ${R[$n,dump,scpu]} )); fi
    [ "$f" -gt 0 ] || f=1
    RATIO=$(calc "$SUM / $f")
}
OTHER=cpu; [ "$CLOCK" = cpu ] && OTHER=wall
for n in $SIZES; do
    echo
    echo "$(thou "$n") tables: ${INFO[$n,objs]}"
    echo "  loaded in $(ms "${INFO[$n,load]}") ms; B: ${INFO[$n,expect]}"
    echo "  pg_dump --schema-only $(thou "${INFO[$n,dump]}") bytes; snapshot A $(thou "${INFO[$n,doc]}") bytes, B $(thou "${INFO[$n,docb]}") bytes; diff: $(if [ "${INFO[$n,diffrows]}" = n/a ]; then echo n/a; else echo "$(thou "${INFO[$n,diffrows]}") lines, $(thou "${INFO[$n,diffbytes]}") bytes"; fi)"
    echo "  ms, best of $REPEAT (by $CLOCK); wall and client CPU: the whole psql/pg_dump call; server CPU: its backend,"
    echo "  start to exit; in-server: around the statement (clock_timestamp, /proc/self/schedstat); / pg_dump: $CLOCK$([ "$CLOCK" = cpu ] && echo " (client + server)")"
    row "measure" "wall" "/ pg_dump" "client" "server" "in-srv" "in-srv"
    row "" "" "" "CPU" "CPU" "wall" "CPU"
    prow() {  # prow KEY LABEL
        local k=$1
        if [ -z "${R[$n,$k,wall]:-}" ]; then row "$2" n/a n/a n/a n/a n/a n/a; return; fi
        ratio "$n" "$CLOCK" "$k"
        row "$2" "$(ms "${R[$n,$k,wall]}")" "$(x2 "$RATIO")" "$(ms "${R[$n,$k,ccpu]}")" \
            "$(ms "${R[$n,$k,scpu]}")" "$(ms "${R[$n,$k,iwall]}")" "$(ms "${R[$n,$k,icpu]}")"
    }
    prow dump "floor: pg_dump --schema-only -d A > /dev/null"
    prow snapa "SELECT mig_snapshot() on A$([ -n "$MIG_SO" ] && echo " (MIG_SO)")"
    prow snapb "SELECT mig_snapshot() on B$([ -n "$MIG_SO" ] && echo " (MIG_SO)")"
    [ -n "$MIG_SO" ] || prow snapc "mig --engine client dump --snapshot on A"
    prow diff "SELECT mig_diff(a, b) (documents in a table)"
    keys=(snapa snapb); [ -n "${R[$n,diff,wall]:-}" ] && keys+=(diff)
    ratio "$n" wall "${keys[@]}"; twall=$SUM; rwall=$RATIO
    ratio "$n" cpu "${keys[@]}"; tcpu=$SUM; rcpu=$RATIO
    lab="snapshot A + snapshot B + diff"; [ "${#keys[@]}" = 3 ] || lab="snapshot A + snapshot B (+ diff: n/a)"
    if [ "$CLOCK" = wall ]; then r=$rwall; else r=$rcpu; fi
    row "$lab" "$(ms "$twall")" "$(x2 "$r")" "" "" "" ""
    for c in "$CLOCK" "$OTHER"; do
        ratio "$n" "$c" "${keys[@]}"; r2=$(calc "$RATIO / 2")
        ratio "$n" "$c" snapa; r1=$RATIO
        if [ "${#keys[@]}" = 3 ]; then t=$(x2 "$r2"); else t=">= $(x2 "$r2")"; fi
        echo "  $c$([ "$c" = cpu ] && echo " (client + server)"): (snapshot A + snapshot B + diff) / (2 x pg_dump): $t   snapshot / pg_dump: $(x2 "$r1")"
        if [ "$c" = "$CLOCK" ]; then
            v=$(verdict "$r2 <= $GOAL")
            # without the diff the ratio is a lower bound: already over the goal is a miss
            [ "${#keys[@]}" = 3 ] || [ "$v" = MISSED ] || v="n/a (no diff)"
            GOALS+=("$(thou "$n") tables: (snap A + snap B + diff) / (2 x pg_dump), $CLOCK|$t|<= ${GOAL}x|$v")
        fi
    done
    if [ -n "${R[$n,al,wall_ms]:-}" ]; then
        echo "  $ALEMBIC: reflect B (the models) + compare_metadata against A, compare_type and"
        echo "  compare_server_default on, best of $ALEMBIC_REPEAT; python start + imports left out"
        printf '  %-44s %9s %9s %9s\n' "" "wall" "CPU" "server CPU"
        printf '  %-44s %9s %9s %9s\n' "Alembic reflect + compare" "$(ms "${R[$n,al,wall_ms]}")" "$(ms "${R[$n,al,cpu_ms]}")" "$(ms "${R[$n,al,scpu]}")"
        printf '  %-44s %9s %9s\n' "  of which MetaData.reflect of B" "$(ms "${R[$n,al,reflect_wall_ms]}")" "$(ms "${R[$n,al,reflect_cpu_ms]}")"
        echo "  Alembic found ${R[$n,al,diffs]} differences (${R[$n,al,kinds]}) in ${R[$n,al,tables]} tables; peak RSS $(( ${R[$n,al,rss_kb]} / 1024 )) MB;"
        echo "  server CPU: all of the process's backends, imports included"
        [ "${#keys[@]}" = 3 ] && lab="snap A + snap B + diff" || lab="snap A + snap B, diff n/a"
        raw=$(calc "$twall / ${R[$n,al,wall_ms]}")
        rac=$(calc "$tcpu / (${R[$n,al,cpu_ms]} + ${R[$n,al,scpu]})")
        echo "  mig ($lab) / Alembic: wall $(x2 "$raw") (Alembic $(printf '%.1f' "$(calc "1 / $raw")")x mig's time), CPU (client + server) $(x2 "$rac")"
        if [ "$CLOCK" = wall ]; then ra=$raw; else ra=$rac; fi
        GOALS+=("$(thou "$n") tables: mig / Alembic, $CLOCK|$(x2 "$ra")|< 1x|$(verdict "$ra < 1")")
    fi
done

if [ "${#NOTES[@]}" -gt 0 ]; then
    echo
    for x in "${NOTES[@]}"; do echo "NOTE: $x"; done
fi
echo
echo "goals"
missed=0
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got gl v <<<"$g"
    [ "$v" = MISSED ] && missed=$((missed + 1))
    printf '  %-62s %10s  %-7s %s\n' "$what" "$got" "$gl" "$v"
done
echo "  ${#GOALS[@]} goals, $missed MISSED; run took ${SECONDS} s"

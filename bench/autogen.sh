#!/usr/bin/env bash
# bench/autogen.sh — `mig revision --autogenerate` on a 1,000-table project
# of 200 revisions, on SQLite and on PostgreSQL, against Alembic 1.8.1's
# `alembic revision --autogenerate` on the same schema (SQLAlchemy models
# generated for it); goal: mig 10x faster.  Each run's output is checked: the
# new revision (mig) or script (Alembic) must hold the edit and nothing else.
# On SQLite the replay row runs with the replay cache (client/replay.c) the
# run before left (the same revisions: warm), and two more rows give the
# daily loop (a cache of REVISIONS-1, one revision replayed over it) and
# MIG_CACHE=off (the replay from empty).
# PostgreSQL runs on a throwaway cluster (tests/pg/cluster.sh, as
# bench/pg_chain.sh) with the extension installed in the system PostgreSQL
# (make -s -C pg_ext install, as root; `make bench-autogen` does both).
# See bench/README.md ("autogen.sh").
#
# Environment (all optional):
#   TABLES=1000 REVISIONS=200  the project's size
#   REPEAT=3          runs of each mig row; the lowest time (by CLOCK) is kept
#   ALEMBIC_REPEAT=1  runs of Alembic
#   CLOCK=wall        wall: elapsed time of the command; cpu: its user + system
#                     time, plus on PostgreSQL the CPU of the server's
#                     backends (steadier on a busy machine)
#   SKIP_PG=1         SQLite only      SKIP_ALEMBIC=1  no Alembic rows
#   MIG=<repo>/client/mig  PY=/usr/bin/python3  KEEP=1 (keep the files)
# shellcheck disable=SC2015   # "A && B || fail": fail when either fails
set -euo pipefail

TABLES=${TABLES:-1000}
REVISIONS=${REVISIONS:-200}
REPEAT=${REPEAT:-3}
ALEMBIC_REPEAT=${ALEMBIC_REPEAT:-1}
CLOCK=${CLOCK:-wall}
SKIP_PG=${SKIP_PG:-0}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG=${MIG:-$ROOT/client/mig}
GOAL=10   # Alembic's time / mig's
# the client must read the projects' mig.ini, nothing else
unset MIG_URL DATABASE_URL MIG_CONFIG MIG_NAME MIG_ENV MIG_VERSIONS MIG_OPTS MIG_TENANT

# shellcheck source=bench/lib.sh disable=SC1091
. "$HERE/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, thou, cpu_ms, srv_ms

for v in TABLES REVISIONS REPEAT ALEMBIC_REPEAT; do is_int "${!v}" || die "$v must be a positive integer"; done
[ "$TABLES" -ge 10 ] && [ "$REVISIONS" -le "$TABLES" ] || die "TABLES must be at least 10 and REVISIONS at most TABLES"
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac
[ -x "$MIG" ] || die "no client at $MIG; build it with: make -C $ROOT"
[ -x "$PY" ] || die "no python at $PY (set PY)"
if [ "$SKIP_ALEMBIC" != 1 ]; then
    "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null \
        || die "$PY has no alembic/sqlalchemy (apt-get install python3-alembic, set PY, or SKIP_ALEMBIC=1)"
    if [ "$SKIP_PG" != 1 ] && ! "$PY" -c 'import psycopg2' 2>/dev/null; then
        die "$PY has no psycopg2: apt-get install python3-psycopg2, SKIP_PG=1 or SKIP_ALEMBIC=1"
    fi
fi

# PostgreSQL: the whole script again inside a throwaway cluster
if [ "$SKIP_PG" != 1 ] && [ "${BENCH_IN_CLUSTER:-}" != 1 ]; then
    exec env BENCH_IN_CLUSTER=1 "$ROOT/tests/pg/cluster.sh" bash "$0"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench-autogen.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "autogen.sh: files kept in $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# the header cache (client/cache.c) in the work folder: the first run fills it
export XDG_CACHE_HOME=$W/cache
# a private copy of the client, so a rebuild during the run cannot mix two builds
cp "$MIG" "$W/mig"
MIG_SRC=$MIG
MIG=$W/mig

DBS=sqlite
PM=""
if [ "$SKIP_PG" != 1 ]; then
    DBS="sqlite pg"
    # autovacuum off: the server's children are the measured backends only;
    # max_locks_per_transaction: the upgrade to head (mig's replay, Alembic's
    # upgrade) creates every table in one transaction, a lock each with its
    # indexes and TOAST tables: more than the 64 x 40 (max_connections) of
    # tests/pg/cluster.sh's server.  A restart applies it.
    psql -X -q -d postgres -c "ALTER SYSTEM SET autovacuum = off" \
        -c "ALTER SYSTEM SET max_locks_per_transaction = 1024" >/dev/null || die "cannot reach the throwaway cluster"
    PGBIN=$(pg_config --bindir 2>/dev/null || true)
    # shellcheck disable=SC2012
    [ -x "$PGBIN/pg_ctl" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    as_pg="sh -c"; [ "$(id -u)" = 0 ] && as_pg="su postgres -s /bin/sh -c"
    $as_pg "'$PGBIN/pg_ctl' -D '$PGHOST/data' -m fast -w restart" >/dev/null 2>&1 || die "the throwaway cluster did not restart"
    [ "$(psql -X -At -d postgres -c "SHOW max_locks_per_transaction")" = 1024 ] || die "max_locks_per_transaction not set"
    PG_SERVER=$(psql -X -At -d postgres -c "SHOW server_version")
    PG_EXT=$(psql -X -At -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'mig'")
    [ -n "$PG_EXT" ] || die "the server has no mig extension: make -s -C pg_ext install (as root), or make bench-autogen"
    PG_SO="$(pg_config --pkglibdir)/mig.so"
    PM=$(head -n 1 "$PGHOST/data/postmaster.pid")
    TICK_MS=$(( 1000 / $(getconf CLK_TCK) ))
    sleep 1
    BASE_CHILDREN=$(ps --ppid "$PM" --no-headers | wc -l)
fi

# run DB DIR CMD...: one timed command in DIR; WALL, CPU (ms; CPU = the
# command's + on pg the server's); output in $W/out and $W/err
run() {
    local db=$1 dir=$2 s0 c0 w0 rc=0
    shift 2
    srv_ms; s0=$SRV_MS; cpu_ms; c0=$CPU_MS; wall_us; w0=$WALL_US
    (cd "$dir" && "$@") >"$W/out" 2>"$W/err" || rc=$?
    wall_us; cpu_ms
    [ "$db" = pg ] && srv_ms || SRV_MS=$s0
    WALL=$(( (WALL_US - w0) / 1000 )); CPU=$(( CPU_MS - c0 + SRV_MS - s0 ))
    return $rc
}
declare -A R INFO
# keep KEY: the best run's figures (lowest by CLOCK)
keep() {
    local m=$WALL
    [ "$CLOCK" = cpu ] && m=$CPU
    if [ -z "${R[$1,m]:-}" ] || [ "$m" -lt "${R[$1,m]}" ]; then R[$1,m]=$m; R[$1,wall]=$WALL; R[$1,cpu]=$CPU; fi
}

for db in $DBS; do
    G=$W/$db
    progress "$db: generating $TABLES tables in $REVISIONS revisions (mig and Alembic)"
    INFO[$db,what]=$("$PY" "$HERE/autogen_gen.py" gen "$G" "$db" "$TABLES" "$REVISIONS") || die "autogen_gen.py failed"
    if [ "$db" = pg ]; then
        for d in mig_bench al_bench; do
            psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d" >/dev/null || die "CREATE DATABASE $d"
        done
        MURL="postgresql://postgres@/mig_bench?host=$PGHOST&port=$PGPORT"
        AURL="postgresql+psycopg2://postgres@/al_bench?host=$PGHOST&port=$PGPORT"
    else
        MURL="sqlite:$G/mig.db"
        AURL="sqlite:///$G/al.db"
    fi
    printf '[mig]\nurl = %s\nversions = versions\nschema = schema\n' "$MURL" >"$G/mig/mig.ini"
    printf '[alembic]\nscript_location = %s\nsqlalchemy.url = %s\n' "$G/al" "$AURL" >"$G/al/alembic.ini"

    # the live databases at head (not timed): --from-db and Alembic read them
    progress "$db: mig upgrade (the live database, for --from-db)"
    run "$db" "$G/mig" "$MIG" -q upgrade || fail "mig upgrade, $db"
    INFO[$db,up]=$WALL
    run "$db" "$G/mig" "$MIG" current || fail "mig current, $db"
    grep -q "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$G/expect.json")" "$W/out" \
        || fail "mig current, $db: not at the head"

    # mig_rev KEY ARGS...: one `mig revision --autogenerate`, checked, its file
    # removed; PRE: what runs it (env, or env MIG_CACHE=off)
    PRE=(env)
    mig_rev() {
        local k=$1 path
        shift
        run "$db" "$G/mig" "${PRE[@]}" "$MIG" --json revision --autogenerate -m bench "$@" || fail "mig revision --autogenerate $*, $db"
        path=$(sed -n 's/^ *"path": "\(.*\)",\{0,1\}$/\1/p' "$W/out")
        [ -n "$path" ] && [ -f "$G/mig/$path" ] || fail "mig revision --autogenerate $*, $db: no revision written"
        cp "$G/mig/$path" "$W/$k.sql"
        rm -f "$G/mig/$path"
        keep "$k"
        "$PY" "$HERE/autogen_gen.py" check-mig "$G" "$W/$k.sql" >"$W/out" 2>"$W/err" \
            || { cp "$W/$k.sql" "$W/kept_$k.sql"; KEEP=1; fail "mig revision --autogenerate $*, $db: a wrong revision (kept as $W/kept_$k.sql)"; }
    }
    # SQLite's replay cache (client/replay.c): the replay row runs with the
    # cache of the run before (the same revisions: nothing is replayed; the
    # first run fills it); the daily-loop row with a cache made at 199
    # revisions (an untimed autogenerate with the head's file moved away),
    # so that the 200th is replayed over it; MIG_CACHE=off is the replay
    # from empty
    HEADF=$(grep -l "^-- mig:revision $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["head"])' "$G/expect.json")\$" "$G"/mig/versions/*.sql)
    [ -f "$HEADF" ] || die "no file of the head revision"
    loop_prep() {
        mv "$HEADF" "$W/head.sql"
        local path
        (cd "$G/mig" && "$MIG" --json revision --autogenerate -m prep) >"$W/out" 2>"$W/err" || fail "mig revision --autogenerate at N-1, $db"
        path=$(sed -n 's/^ *"path": "\(.*\)",\{0,1\}$/\1/p' "$W/out")
        [ -n "$path" ] && [ -f "$G/mig/$path" ] || fail "mig revision --autogenerate at N-1, $db: no revision written"
        rm -f "$G/mig/$path"
        mv "$W/head.sql" "$HEADF"
    }
    progress "$db: mig revision --autogenerate (replay) and --from-db$([ "$db" = sqlite ] && echo ", the daily loop and MIG_CACHE=off"), $REPEAT runs each, interleaved"
    for ((r = 1; r <= REPEAT; r++)); do
        mig_rev "$db,mig"
        mig_rev "$db,migdb" --from-db
        if [ "$db" = sqlite ]; then
            loop_prep
            mig_rev "$db,migloop"
            PRE=(env MIG_CACHE=off)
            mig_rev "$db,mignc"
            PRE=(env)
        fi
    done
    INFO[$db,lines]=$(sed -n '/^-- mig:upgrade/,/^-- mig:downgrade/p' "$W/$db,mig.sql" | grep -c ';$' || true)

    if [ "$SKIP_ALEMBIC" != 1 ]; then
        progress "$db: alembic upgrade head (the live database, not timed)"
        run "$db" "$G/al" "$PY" -m alembic -c alembic.ini upgrade head || fail "alembic upgrade head, $db"
        INFO[$db,alup]=$WALL
        progress "$db: alembic revision --autogenerate, $ALEMBIC_REPEAT run(s)"
        for ((r = 1; r <= ALEMBIC_REPEAT; r++)); do
            run "$db" "$G/al" "$PY" -m alembic -c alembic.ini revision --autogenerate -m bench \
                || fail "alembic revision --autogenerate, $db"
            path=$(sed -n 's/^Generating \(.*\) \.\.\.  done$/\1/p' "$W/out" "$W/err" | head -n 1)
            [ -n "$path" ] && [ -f "$path" ] || fail "alembic revision --autogenerate, $db: no script written"
            cp "$path" "$W/$db,alembic.py"
            rm -f "$path"
            keep "$db,alembic"
            "$PY" "$HERE/autogen_gen.py" check-alembic "$G" "$W/$db,alembic.py" >"$W/out" 2>"$W/err" \
                || { KEEP=1; fail "alembic revision --autogenerate, $db: a wrong script (kept as $W/$db,alembic.py)"; }
        done
    fi
done

# ---------------------------------------------------------------- report

s() { printf '%.2f' "$(calc "$1 / 1000")"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
dbname() { if [ "$1" = pg ]; then echo PostgreSQL; else echo SQLite; fi; }
echo
echo "mig revision --autogenerate — $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "client: $MIG_SRC ($(date -r "$MIG_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$MIG" | cut -c1-12)); SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
[ "$SKIP_PG" = 1 ] || echo "PostgreSQL $PG_SERVER (tests/pg/cluster.sh, fsync off, autovacuum off), extension mig $PG_EXT ($(date -r "$PG_SO" '+installed %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$PG_SO" | cut -c1-12))"
[ "$SKIP_ALEMBIC" = 1 ] || echo "$("$PY" -c 'import alembic, sqlalchemy; print("Alembic", alembic.__version__, "/ SQLAlchemy", sqlalchemy.__version__)') ($PY -m alembic, compare_type on)"
echo "project: ${INFO[sqlite,what]}"
echo "mig's revision: ${INFO[sqlite,lines]} statements in the upgrade section (SQLite)"
echo "seconds, whole commands; best of $REPEAT (mig) and $ALEMBIC_REPEAT (Alembic) by $CLOCK; CPU = the command's$([ "$SKIP_PG" = 1 ] || echo ", + the server's on PostgreSQL")"
echo "ratio = Alembic's $CLOCK time / the row's; goal: mig ${GOAL}x faster than Alembic"
echo
printf '  %-56s %-11s %8s %8s %8s %6s %s\n' "tool" "DB" "wall" "CPU" "ratio" "goal" ""
missed=0
for db in $DBS; do
    for t in mig migloop mignc migdb alembic; do
        k=$db,$t
        [ -n "${R[$k,m]:-}" ] || continue
        case $t in
            mig) label="mig revision --autogenerate (scratch replay)$([ "$db" = sqlite ] && echo ", cache warm")" ;;
            migloop) label="... cache at N-1, one revision replayed" ;;
            mignc) label="... MIG_CACHE=off (replay from empty)" ;;
            migdb) label="mig revision --autogenerate --from-db" ;;
            alembic) label="alembic revision --autogenerate" ;;
        esac
        ratio="" goal="" v=""
        if [ -n "${R[$db,alembic,m]:-}" ]; then
            m=${R[$k,m]}; [ "$m" -gt 0 ] || m=1
            ratio=$(printf '%.1fx' "$(calc "${R[$db,alembic,m]} / $m")")
            if [ "$t" != alembic ] && [ "$t" != mignc ]; then # (mignc: for comparison)
                goal=">=${GOAL}x"
                v=$(verdict "${R[$db,alembic,m]} / $m >= $GOAL")
                [ "$v" = MISSED ] && missed=$((missed + 1))
            fi
        fi
        printf '  %-56s %-11s %8s %8s %8s %6s %s\n' "$label" "$(dbname "$db")" "$(s "${R[$k,wall]}")" "$(s "${R[$k,cpu]}")" "$ratio" "$goal" "$v"
    done
done
echo
for db in $DBS; do
    echo "  not timed, $(dbname "$db"): mig upgrade to head $(s "${INFO[$db,up]}") s wall$([ -n "${INFO[$db,alup]:-}" ] && echo "; alembic upgrade head $(s "${INFO[$db,alup]}") s wall")"
done
echo "  $missed goal(s) MISSED; run took ${SECONDS} s"

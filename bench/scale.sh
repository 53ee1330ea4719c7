#!/usr/bin/env bash
# bench/scale.sh — the mig client (client/mig) on chains of 1,000, 10,000
# and 100,000 revision files, on SQLite and on PostgreSQL: a full `mig
# upgrade` from an empty database against the floor (the same statements in
# one transaction, in the sqlite3 shell / in a psql script), `mig check`, a
# no-op `mig upgrade` and `mig current`, the client's peak memory, and Alembic
# 1.8.1 and knex 3 on the same chains as references, all measured in one run.
# See bench/README.md ("scale.sh") for what each line means.
#
# Environment (all optional):
#   NS="1000 10000 100000"  chain lengths
#   REF_NS="1000 10000"     chain lengths of the references (Alembic, knex);
#                           REF_NS="1000 10000 100000" adds 100,000 (Alembic
#                           needs many minutes there: see the README)
#   REPEAT=3         runs of each full upgrade and floor (interleaved); best kept
#                    (one run at 100,000 and above)
#   REPS=5           runs of check, no-op upgrade and current (interleaved);
#                    median kept (3 runs at 100,000 and above)
#   SKIP_PG=1        SQLite only (no PostgreSQL cluster)
#   SKIP_ALEMBIC=1   no Alembic rows
#   SKIP_KNEX=1      no knex rows
#   CLOCK=wall       wall: elapsed time; cpu: user + system time of the
#                    process (on PostgreSQL, plus the CPU of the server's
#                    processes)
#   TIMEOUT=300      seconds after which one process is stopped (reported
#                    `timeout`, a missed goal, not a failure)
#   MEM_LIMIT_MB=4096  address-space limit (ulimit -v) of each mig, sqlite3
#                    and psql process and of the PostgreSQL server; a mig
#                    that runs out is reported `oom`, a missed goal
#   MIG=<repo>/client/mig  the client (a private copy is run)
#   SQLITE3=sqlite3  PY=/usr/bin/python3  KEEP=1 (keep the temporary directory)
#   KNEX_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/mig-bench  where knex and its
#                    drivers are installed from npm (never in the repository)
#   PG_PORT=54331    port (socket name) of the throwaway cluster
# shellcheck disable=SC2015   # "A && B || die": die when either fails
set -euo pipefail

NS=${NS:-"1000 10000 100000"}
REF_NS=${REF_NS-"1000 10000"}
REPEAT=${REPEAT:-3}
REPS=${REPS:-5}
SKIP_PG=${SKIP_PG:-0}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
SKIP_KNEX=${SKIP_KNEX:-0}
CLOCK=${CLOCK:-wall}
TIMEOUT=${TIMEOUT:-300}
MEM_LIMIT_MB=${MEM_LIMIT_MB:-4096}
SQLITE3=${SQLITE3:-sqlite3}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
PG_PORT=${PG_PORT:-54331}
KNEX_DIR=${KNEX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mig-bench}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG=${MIG:-$ROOT/client/mig}
# the client must read the projects' mig.ini, nothing else
unset MIG_URL DATABASE_URL MIG_CONFIG MIG_NAME MIG_ENV MIG_VERSIONS MIG_OPTS MIG_TENANT

# goals (the issue's figures)
GOAL_UP_SQLITE=5      # full upgrade / floor, SQLite
GOAL_UP_PG=3          # full upgrade / floor, PostgreSQL
GOAL_STORE_SQLITE=2   # full upgrade / store floor, SQLite (not the issue's: see the README)
GOAL_CMD_S=0.5        # check, no-op upgrade, current at the largest size (SQLite)
GOAL_RSS_MB=100       # peak RSS of the client at the largest size

# ---------------------------------------------------------------- helpers

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, thou, cpu_ms
has() { local x; for x in $2; do [ "$x" = "$1" ] && return 0; done; return 1; }
# CPU of the PostgreSQL cluster: the postmaster (with its reaped children:
# the backends of finished sessions) and its live children, in ms
PG_PID=""
pg_cpu_ms() {
    local f line a sum=0
    PG_CPU_MS=0
    [ -n "$PG_PID" ] || return 0
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        # shellcheck disable=SC2206
        a=(${line##*) })    # fields after "pid (comm) ": state ppid ... utime(11) stime cutime cstime
        if [ "$f" = "/proc/$PG_PID/stat" ] || [ "${a[1]}" = "$PG_PID" ]; then
            sum=$(( sum + a[11] + a[12] + a[13] + a[14] ))
        fi
    done
    PG_CPU_MS=$(( sum * 1000 / CLK_TCK ))
}
imax() { if [ -z "$1" ] || [ "$2" -gt "$1" ]; then echo "$2"; else echo "$1"; fi; }
# median FILE: the median of the numbers in FILE, one a line
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%.12g", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
big() { [ "$1" -ge 100000 ]; }

for v in REPEAT REPS TIMEOUT MEM_LIMIT_MB PG_PORT; do is_int "${!v}" || die "$v must be a positive integer"; done
for n in $NS $REF_NS; do is_int "$n" || die "bad size '$n'"; done
[ -n "$NS" ] || die "NS is empty"
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac
# every reference size is also measured for mig
# shellcheck disable=SC2086
SIZES=$(printf '%s\n' $NS $REF_NS | sort -un | tr '\n' ' ')
SIZES=${SIZES% }
MAXN=${SIZES##* }
# the size before the largest (for the check scaling goal)
# shellcheck disable=SC2086
PREVN=$(printf '%s\n' $SIZES | tail -n 2 | head -n 1)
[ "$SKIP_ALEMBIC" = 1 ] && ALEMBIC_NS="" || ALEMBIC_NS=$REF_NS
[ "$SKIP_KNEX" = 1 ] && KNEX_NS="" || KNEX_NS=$REF_NS
DBS="sqlite"
[ "$SKIP_PG" = 1 ] || DBS="sqlite pg"

# ---------------------------------------------------------------- tools

apt_install() {  # apt_install PACKAGE WHY
    echo "scale.sh: installing $1 ($2)" >&2
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
        || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; then
        return 1
    fi
}
command -v "$SQLITE3" >/dev/null || apt_install sqlite3 "the sqlite3 shell" || die "no sqlite3 shell ($SQLITE3)"
[ -x /usr/bin/time ] || apt_install time "GNU time, for the peak memory" || die "no /usr/bin/time: apt-get install time"
command -v timeout >/dev/null || die "no timeout (coreutils)"
[ -x "$PY" ] || die "no python at $PY (set PY)"
[ -x "$MIG" ] || die "no client at $MIG; build it with: make -C $ROOT"
if [ -n "$ALEMBIC_NS" ] && ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
    apt_install python3-alembic "the Alembic reference" && "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null \
        || die "$PY has no alembic/sqlalchemy (apt-get install python3-alembic, set PY, or SKIP_ALEMBIC=1)"
fi
if [ "$SKIP_PG" != 1 ]; then
    PGBIN=$(pg_config --bindir 2>/dev/null || true)
    [ -x "$PGBIN/initdb" ] || PGBIN=/usr/lib/postgresql/15/bin
    [ -x "$PGBIN/initdb" ] || die "no PostgreSQL server (apt-get install postgresql-15), or SKIP_PG=1"
    command -v psql >/dev/null || die "no psql, or SKIP_PG=1"
    PG_EXT_DIR=$(pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/15)/extension
    if [ ! -f "$PG_EXT_DIR/mig.control" ]; then
        echo "scale.sh: the PostgreSQL extension is not installed: make -s -C pg_ext install" >&2
        [ "$(id -u)" = 0 ] && make -s -C "$ROOT/pg_ext" install >&2 \
            || die "install the extension (as root: make -C $ROOT/pg_ext install), or SKIP_PG=1"
    fi
    if [ -n "$ALEMBIC_NS" ] && ! "$PY" -c 'import psycopg2' 2>/dev/null; then
        apt_install python3-psycopg2 "Alembic on PostgreSQL" && "$PY" -c 'import psycopg2' 2>/dev/null \
            || die "$PY has no psycopg2 (apt-get install python3-psycopg2, or SKIP_ALEMBIC=1)"
    fi
fi

# knex 3 and its drivers, from npm, into KNEX_DIR (outside the repository)
KNEX_SQLITE=""      # the SQLite driver knex uses: better-sqlite3, sqlite3, or none
if [ -n "$KNEX_NS" ]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        { apt_install nodejs "knex" && apt_install npm "knex"; } \
            || die "no node/npm (apt-get install nodejs npm, or SKIP_KNEX=1)"
    fi
    export NODE_PATH=$KNEX_DIR/node_modules
    node_has() { node -e "require('$1')" >/dev/null 2>&1; }
    mkdir -p "$KNEX_DIR"
    [ -f "$KNEX_DIR/package.json" ] || echo '{ "name": "mig-bench-references", "private": true }' >"$KNEX_DIR/package.json"
    npm_i() {  # npm_i SPEC...: install into KNEX_DIR
        echo "scale.sh: npm install $* (into $KNEX_DIR)" >&2
        npm install --prefix "$KNEX_DIR" --no-audit --no-fund --loglevel=error "$@" >&2
    }
    if ! node_has knex || ! node_has pg \
        || [ "$(node -p "require('knex/package.json').version.split('.')[0]" 2>/dev/null)" != 3 ]; then
        npm_i knex@3 pg@8 || die "npm install knex@3 pg@8 failed (or SKIP_KNEX=1)"
    fi
    # a SQLite driver: better-sqlite3 (knex's "better-sqlite3" client) or
    # sqlite3; both build native code when no prebuilt binary can be fetched
    for d in better-sqlite3 sqlite3; do
        node_has "$d" && { KNEX_SQLITE=$d; break; }
    done
    if [ -z "$KNEX_SQLITE" ]; then
        for d in better-sqlite3 sqlite3; do
            if npm_i "$d" && node_has "$d"; then KNEX_SQLITE=$d; break; fi
        done
    fi
    if [ -z "$KNEX_SQLITE" ]; then
        echo "scale.sh: no SQLite driver for knex could be installed: knex runs on PostgreSQL only" >&2
        KNEX_SQLITE=none
    fi
fi

CLK_TCK=$(getconf CLK_TCK)
W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench-scale.XXXXXX")
# mig's header cache (client/cache.c) starts empty, in the work folder: the
# full upgrade from empty fills it, the commands at head use it; the row
# "mig current, no cache" is the first run after a checkout
export XDG_CACHE_HOME=$W/cache
# the floor of reading the files: open, read, close each, nothing else
cc -O2 -o "$W/readall" "$HERE/readall.c" || die "cannot compile bench/readall.c"
# the store floor (SQLite): what keeping mig's rows costs, with no migration logic
cc -O2 -o "$W/storefloor" "$HERE/storefloor.c" -lsqlite3 -lcrypto || die "cannot compile bench/storefloor.c"
PGDIR=""
cleanup() {
    if [ -n "$PGDIR" ]; then
        as_pg "'$PGBIN/pg_ctl' -D '$PGDIR/data' -m fast -w stop" >/dev/null 2>&1 || true
        rm -rf "$PGDIR"
    fi
    if [ "$KEEP" = 1 ]; then echo "scale.sh: files kept in $W" >&2
    else
        progress "removing $W"
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a private copy of the client, so a rebuild during the run cannot mix two builds
MIG_SRC=$MIG
cp "$MIG" "$W/mig"
MIG=$W/mig


# xrun DB LIMIT CMD...: run CMD once, timed, stdin from $XIN (default
# /dev/null), stdout to $W/out, stderr to $W/err, stopped after TIMEOUT
# seconds, under ulimit -v MEM_LIMIT_MB when LIMIT is 1, its peak RSS taken
# by GNU time. Sets T (seconds, by CLOCK; on PostgreSQL the CPU clock adds
# the server's), RSS (KB), RC and ST: ok, timeout, oom (a message "out of
# memory"), error (any other non-zero exit). The subshell execs, so the
# chain is one fork as for a plain command: timeout, time, CMD.
XIN=/dev/null
xrun() {
    local db=$1 lim=$2 w0 c0 p0=0 vlim=unlimited
    shift 2
    [ "$lim" = 1 ] && vlim=$((MEM_LIMIT_MB * 1024))
    if [ "$CLOCK" = cpu ]; then
        cpu_ms; c0=$CPU_MS
        [ "$db" = pg ] && { pg_cpu_ms; p0=$PG_CPU_MS; }
    fi
    wall_us; w0=$WALL_US
    RC=0
    ( ulimit -v "$vlim" && exec timeout -k 10 "$TIMEOUT" /usr/bin/time -f %M -o "$W/rss" "$@" ) \
        <"$XIN" >"$W/out" 2>"$W/err" || RC=$?
    wall_us
    if [ "$CLOCK" = cpu ]; then
        cpu_ms
        if [ "$db" = pg ]; then
            sleep 0.05    # let the session's backend exit and be reaped
            pg_cpu_ms
            T=$(calc "($CPU_MS - $c0 + $PG_CPU_MS - $p0) / 1000")
        else
            T=$(calc "($CPU_MS - $c0) / 1000")
        fi
    else
        T=$(calc "($WALL_US - $w0) / 1000000")
    fi
    RSS=$(tail -n 1 "$W/rss" 2>/dev/null || echo 0)
    [[ $RSS =~ ^[0-9]+$ ]] || RSS=0
    if [ "$RC" = 0 ]; then ST=ok
    elif [ "$RC" = 124 ] || [ "$RC" = 137 ]; then ST=timeout
    elif grep -qi 'out of memory\|cannot allocate memory\|std::bad_alloc' "$W/err"; then ST=oom
    else ST=error
    fi
}
# must_ok LABEL: the last xrun succeeded and wrote nothing on stderr
must_ok() { if [ "$ST" != ok ] || [ -s "$W/err" ]; then fail "$1 (exit $RC)"; fi; }

# sqlite / PostgreSQL helpers (untimed)
sq() {  # sq DB SQL: one statement in the sqlite3 shell, its output
    "$SQLITE3" -bail -batch "$1" "$2" 2>"$W/err" || { : >"$W/out"; fail "sqlite3 $1: $2"; }
}
pq() {  # pq DB SQL: one psql command, its output
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>"$W/err" || { : >"$W/out"; fail "psql $1: $2"; }
}
fresh_sqlite() {
    rm -f "$1" "$1-journal" "$1-wal" "$1-shm"
    sq "$1" "CREATE TABLE bench_log(n INTEGER);" >/dev/null
}
fresh_pg() {
    pq postgres "DROP DATABASE IF EXISTS $1" >/dev/null
    pq postgres "CREATE DATABASE $1" >/dev/null
    pq "$1" "CREATE TABLE bench_log(n INTEGER)" >/dev/null
}
fresh() { if [ "$1" = pg ]; then fresh_pg "$2"; else fresh_sqlite "$2"; fi; }
# check_log DB(kind) TARGET n LABEL: bench_log holds exactly the n bodies' rows
check_log() {
    local got want="$3 $(( $3 * ($3 + 1) / 2 ))" sql="SELECT count(*) || ' ' || coalesce(sum(n), 0) FROM bench_log"
    if [ "$1" = pg ]; then got=$(pq "$2" "$sql"); else got=$(sq "$2" "$sql;"); fi
    [ "$got" = "$want" ] || { echo "bench_log count sum: got '$got', want '$want'" >"$W/err"; : >"$W/out"; fail "$4: wrong bench_log contents"; }
}
id_at() { sed -n "${1}p" "$W/gen/ids.txt"; }

# ---------------------------------------------------------------- generate

progress "generating a chain of $(thou "$MAXN") revisions and the floors ($SIZES) in $W"
mkdir "$W/gen"
"$PY" "$HERE/gen_chain.py" "$W/gen" --revs "$MAXN" --floor "$SIZES" || die "generation failed"
# project p_n: its folder of revision files, VERSIONS[n] (the first n
# generated files, as hard links; the largest project uses the generated
# folder itself: fewer files to remove at the end), one mig.ini per database
# (xargs: 100,000 names do not fit on one command line)
REVFILES=("$W/gen/revs/"*.sql)    # sorted: 000001_<id>.sql, ...
declare -A VERSIONS
for n in $SIZES; do
    p=$W/p_$n
    mkdir "$p"
    if [ "$n" = "$MAXN" ]; then
        VERSIONS[$n]=$W/gen/revs
    else
        VERSIONS[$n]=$p/versions
        mkdir "$p/versions"
        printf '%s\n' "${REVFILES[@]:0:$n}" | xargs -d '\n' cp -l -t "$p/versions/"
    fi
    got=$(find "${VERSIONS[$n]}" -name '*.sql' | wc -l)
    [ "$got" = "$n" ] || die "project $n: $got files"
    printf '[mig]\nurl = sqlite:mig.db\nversions = %s\n' "${VERSIONS[$n]}" >"$p/sqlite.ini"
done
mkdir "$W/store_versions"
printf '[mig]\nurl = sqlite:%s\nversions = %s\n' "$W/store.db" "$W/store_versions" >"$W/store.ini"
for n in $ALEMBIC_NS; do
    progress "generating the Alembic project of $(thou "$n") revisions"
    mkdir "$W/al_$n"
    "$PY" "$HERE/gen_chain.py" "$W/al_$n" --alembic "$n" || die "Alembic generation failed"
    # bytecode compiled untimed, as in a project in use
    "$PY" -m compileall -q "$W/al_$n/alembic/versions" >/dev/null || die "compileall failed"
done
if [ -n "$KNEX_NS" ]; then
    # shellcheck disable=SC2086
    KMAX=$(printf '%s\n' $KNEX_NS | sort -n | tail -n 1)
    progress "generating the knex migrations ($(thou "$KMAX"))"
    mkdir "$W/kgen"
    "$PY" "$HERE/gen_chain.py" "$W/kgen" --knex "$KMAX" || die "knex generation failed"
    # k_<n>: the first n (hard links; the largest is the generated folder)
    KFILES=("$W/kgen/knex/"*.js)
    for n in $KNEX_NS; do
        if [ "$n" = "$KMAX" ]; then ln -s "$W/kgen/knex" "$W/k_$n"; continue; fi
        mkdir "$W/k_$n"
        printf '%s\n' "${KFILES[@]:0:$n}" | xargs -d '\n' cp -l -t "$W/k_$n/"
    done
fi
progress "sync"
sync

# ---------------------------------------------------------------- PostgreSQL

as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
start_pg() {
    PGDIR=$(mktemp -d /tmp/mig-bench-pg.XXXXXX)
    chmod 755 "$PGDIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    as_pg "'$PGBIN/initdb' -D '$PGDIR/data' -A trust -U postgres -E UTF8 --no-sync" >"$W/initdb.log" 2>&1 \
        || { cat "$W/initdb.log" >&2; die "initdb failed"; }
    # the server under the same address-space limit as the client, and no
    # statement running longer than TIMEOUT (a client stopped by the timeout
    # does not leave its backend working)
    as_pg "ulimit -v $((MEM_LIMIT_MB * 1024)); '$PGBIN/pg_ctl' -D '$PGDIR/data' -l '$PGDIR/server.log' -w -t 60 -o \"-k '$PGDIR' -c listen_addresses='' -c port=$PG_PORT -c fsync=off -c max_connections=20 -c statement_timeout=${TIMEOUT}s\" start" >/dev/null 2>&1 \
        || { cat "$PGDIR/server.log" >&2; die "the PostgreSQL server did not start"; }
    export PGHOST=$PGDIR PGPORT=$PG_PORT PGUSER=postgres
    PG_PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
    PG_SERVER=$(pq postgres "SHOW server_version")
    PG_EXT=$(pq postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'mig'")
    [ -n "$PG_EXT" ] || die "the server does not see the mig extension"
    for n in $SIZES; do
        printf '[mig]\nurl = postgresql://postgres@/mig_%s?host=%s&port=%s\nversions = %s\n' \
            "$n" "$PGDIR" "$PG_PORT" "${VERSIONS[$n]}" >"$W/p_$n/pg.ini"
    done
}
if [ "$SKIP_PG" != 1 ]; then
    progress "starting a throwaway PostgreSQL cluster (user postgres, socket in /tmp/mig-bench-pg.*)"
    start_pg
fi

# ---------------------------------------------------------------- header

echo "mig scale benchmark  NS=\"$NS\"  REF_NS=\"$REF_NS\"  REPEAT=$REPEAT  REPS=$REPS  $(date -u '+%Y-%m-%d %H:%M UTC')"
# shellcheck disable=SC1091
echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), SQLite $("$SQLITE3" --version | cut -d' ' -f1)"
echo "client: $MIG_SRC ($(date -r "$MIG_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$MIG" | cut -c1-12))"
if [ "$SKIP_PG" != 1 ]; then
    PG_SO=$("$PGBIN/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir)/mig.so
    echo "PostgreSQL $PG_SERVER (throwaway cluster, fsync off), extension mig $PG_EXT ($(date -r "$PG_SO" '+installed %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$PG_SO" | cut -c1-12))"
fi
[ -n "$ALEMBIC_NS" ] && echo "Alembic $("$PY" -c 'import alembic; print(alembic.__version__)'), SQLAlchemy $("$PY" -c 'import sqlalchemy; print(sqlalchemy.__version__)') ($PY -m alembic)"
if [ -n "$KNEX_NS" ]; then
    kv="knex $(node -p "require('knex/package.json').version"), pg $(node -p "require('pg/package.json').version")"
    if [ "$KNEX_SQLITE" = none ]; then kv="$kv, no SQLite driver (knex on PostgreSQL only)"
    elif [ "$KNEX_SQLITE" = better-sqlite3 ]; then
        kv="$kv, better-sqlite3 $(node -p "require('better-sqlite3/package.json').version") (SQLite $(node -p "new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version() v').get().v"))"
    else kv="$kv, sqlite3 $(node -p "require('sqlite3/package.json').version")"
    fi
    echo "$kv, node $(node --version)"
fi
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOAD > $(nproc)) }"; then
    echo "WARNING: load average $LOAD on $(nproc) cores: other work is running, the figures are noisy"
fi
if [ "$CLOCK" = cpu ]; then
    echo "times: CPU (user + system) of the process, and of the PostgreSQL server for PostgreSQL rows; seconds"
else
    echo "times: wall clock, seconds; each a whole process (mig, sqlite3, psql, python, node)"
fi
echo "limits: each process stopped after ${TIMEOUT} s (timeout); mig, sqlite3, psql and the server under ulimit -v ${MEM_LIMIT_MB} MB (oom)"

# ---------------------------------------------------------------- measure mig

declare -A FLOOR FLOOR1 STORE UP UPST CMDT CMDST RSSMAX
# results: FLOOR[db,n]; UP[db,n] with UPST[db,n]; CMDT[db,n,cmd] with
# CMDST[db,n,cmd] for cmd in check noop current; RSSMAX[db,n,cmd] (KB, cmd
# also upgrade)

# target DB n: the database of the mig project (file or PostgreSQL name)
target() { if [ "$1" = pg ]; then echo "mig_$2"; else echo "$W/p_$2/mig.db"; fi; }
ini() { echo "$W/p_$2/$1.ini"; }
dbname() { if [ "$1" = pg ]; then echo PostgreSQL; else echo SQLite; fi; }

run_floor() {  # run_floor DB n: one run, the best kept in FLOOR
    local db=$1 n=$2
    if [ "$db" = pg ]; then
        fresh_pg floor_db
        xrun pg 1 psql -X -q -v ON_ERROR_STOP=1 -d floor_db -f "$W/gen/floor_$n.sql"
    else
        fresh_sqlite "$W/floor.db"
        XIN=$W/gen/floor_$n.sql xrun sqlite 1 "$SQLITE3" -bail -batch "$W/floor.db"
        XIN=/dev/null
    fi
    must_ok "floor, $db, $n"
    if [ "$db" = pg ]; then check_log pg floor_db "$n" "floor $n"; else check_log sqlite "$W/floor.db" "$n" "floor $n"; fi
    FLOOR[$db,$n]=$(fmin "${FLOOR[$db,$n]:-}" "$T")
    if [ "$db" = pg ]; then
        # the server's own cost: the same script as one request (no round trips)
        fresh_pg floor_db
        xrun pg 1 psql -X -q -v ON_ERROR_STOP=1 -d floor_db -f "$W/gen/floor1_$n.sql"
        must_ok "one-request floor, $n"
        check_log pg floor_db "$n" "one-request floor $n"
        FLOOR1[$n]=$(fmin "${FLOOR1[$n]:-}" "$T")
        return 0
    fi
    # the store floor: read the files and keep the rows mig keeps for each
    # revision, with the same bodies, by bench/storefloor.c (prepared
    # statements, one transaction) in a database where mig created its
    # tables (untimed)
    fresh_sqlite "$W/store.db"
    "$MIG" -q -c "$W/store.ini" stamp base >"$W/out" 2>"$W/err" || fail "store floor: mig stamp base"
    xrun sqlite 0 "$W/storefloor" "$W/store.db" "${VERSIONS[$n]}" "$W/gen/manifest.tsv" "$n"
    must_ok "store floor, $n"
    check_log sqlite "$W/store.db" "$n" "store floor $n"
    STORE[$n]=$(fmin "${STORE[$n]:-}" "$T")
}

note_rss() {  # note_rss KEY: the peak RSS of the last run, max kept
    RSSMAX[$1]=$(imax "${RSSMAX[$1]:-}" "$RSS")
}

run_upgrade() {  # run_upgrade DB n: one full `mig upgrade` from empty
    local db=$1 n=$2 got
    fresh "$db" "$(target "$db" "$n")"
    xrun "$db" 1 "$MIG" -c "$(ini "$db" "$n")" upgrade
    note_rss "$db,$n,upgrade"
    case $ST in
    ok)
        [ -s "$W/err" ] && fail "mig upgrade, $db, $n: message on stderr"
        got=$(grep -c '^Running upgrade ' "$W/out" || true)
        [ "$got" = "$n" ] || { echo "$got 'Running upgrade' lines, want $n" >"$W/err"; fail "mig upgrade, $db, $n"; }
        check_log "$db" "$(target "$db" "$n")" "$n" "mig upgrade, $db, $n"
        UP[$db,$n]=$(fmin "${UP[$db,$n]:-}" "$T"); UPST[$db,$n]=ok ;;
    timeout|oom)
        progress "mig upgrade, $db, $n: $ST after $(printf '%.1f' "$T") s"
        UP[$db,$n]=$T; UPST[$db,$n]=$ST ;;
    *) fail "mig upgrade, $db, $n (exit $RC)" ;;
    esac
}

# run_cmd DB n CMD: one run of check / noop (`mig upgrade`, nothing to do) /
# current on the database at head; times appended to $W/t_DB_n_CMD
run_cmd() {
    local db=$1 n=$2 cmd=$3 head ok=1
    head=$(id_at "$n")
    case $cmd in
    check)   xrun "$db" 1 "$MIG" -c "$(ini "$db" "$n")" check --no-drift ;;
    noop)    xrun "$db" 1 "$MIG" -c "$(ini "$db" "$n")" upgrade ;;
    current) xrun "$db" 1 "$MIG" -c "$(ini "$db" "$n")" current ;;
    cold)    MIG_CACHE=off xrun "$db" 1 "$MIG" -c "$(ini "$db" "$n")" current ;;
    read)    xrun "$db" 0 "$W/readall" "${VERSIONS[$n]}" ;;
    esac
    note_rss "$db,$n,$cmd"
    case $ST in
    ok)
        [ -s "$W/err" ] && ok=0
        case $cmd in
        check)   grep -q "^No pending revisions: .* is at $head\$" "$W/out" || ok=0 ;;
        noop)    grep -q "^Nothing to upgrade: .* is at $head\$" "$W/out" || ok=0 ;;
        current | cold) [ "$(cat "$W/out")" = "$head (head)" ] || ok=0 ;;
        read)    ;;
        esac
        [ "$ok" = 1 ] || fail "mig $cmd, $db, $n: unexpected output"
        echo "$T" >>"$W/t_${db}_${n}_$cmd"
        CMDST[$db,$n,$cmd]=ok ;;
    timeout|oom)
        progress "mig $cmd, $db, $n: $ST after $(printf '%.1f' "$T") s"
        CMDT[$db,$n,$cmd]=$T; CMDST[$db,$n,$cmd]=$ST ;;
    *) fail "mig $cmd, $db, $n (exit $RC)" ;;
    esac
}

measure_db() {
    local db=$1 n r reps cmd
    for n in $SIZES; do
        reps=$REPEAT; big "$n" && reps=1
        progress "$(dbname "$db") $(thou "$n"): floor and full mig upgrade x $reps"
        for ((r = 0; r < reps; r++)); do
            run_floor "$db" "$n"
            [ "${UPST[$db,$n]:-ok}" = ok ] && run_upgrade "$db" "$n"
        done
        if [ "${UPST[$db,$n]}" != ok ]; then
            # the upgrade did not finish: no database at head to measure on
            for cmd in check noop current cold read; do CMDST[$db,$n,$cmd]=skipped; done
            continue
        fi
        reps=$REPS; big "$n" && reps=3
        progress "$(dbname "$db") $(thou "$n"): check, no-op upgrade, current x $reps"
        for cmd in check noop current cold read; do : >"$W/t_${db}_${n}_$cmd"; done
        for ((r = 0; r < reps; r++)); do
            for cmd in check noop current cold read; do
                [ "${CMDST[$db,$n,$cmd]:-ok}" = ok ] && run_cmd "$db" "$n" "$cmd"
            done
        done
        check_log "$db" "$(target "$db" "$n")" "$n" "after the no-op upgrades, $db, $n"
        for cmd in check noop current cold read; do
            [ "${CMDST[$db,$n,$cmd]}" = ok ] && CMDT[$db,$n,$cmd]=$(median "$W/t_${db}_${n}_$cmd")
        done
    done
    return 0
}

for db in $DBS; do measure_db "$db"; done

# ---------------------------------------------------------------- measure references

declare -A REF REFST
# REF[tool,db,n,cmd] seconds, REFST[...] ok / timeout / n/a; cmd: upgrade noop current check

ref_result() {  # ref_result KEY LABEL: after xrun of a reference
    case $ST in
    ok) [ -s "$W/err" ] && fail "$2: message on stderr"; REF[$1]=$T; REFST[$1]=ok ;;
    timeout) progress "$2: timeout"; REF[$1]=$T; REFST[$1]=timeout ;;
    *) fail "$2 (exit $RC)" ;;
    esac
}

run_alembic() {  # run_alembic DB n
    local db=$1 n=$2 ini k head tgt
    head=$(id_at "$n")
    if [ "$db" = pg ]; then
        tgt=alembic_db
        ini=$W/al_$n/alembic_pg.ini
        printf '[alembic]\nscript_location = %s\nsqlalchemy.url = postgresql+psycopg2://postgres@/%s?host=%s&port=%s\n' \
            "$W/al_$n/alembic" "$tgt" "$PGDIR" "$PG_PORT" >"$ini"
    else
        tgt=$W/al_$n/alembic.db    # the URL gen_chain.py wrote
        ini=$W/al_$n/alembic/alembic.ini
    fi
    fresh "$db" "$tgt"
    k="alembic,$db,$n"
    progress "Alembic, $(dbname "$db") $(thou "$n"): upgrade head (one transaction), no-op upgrade, current"
    BENCH_ALEMBIC_TXN=all xrun "$db" 0 "$PY" -m alembic -c "$ini" upgrade head
    ref_result "$k,upgrade" "alembic upgrade head, $db, $n"
    [ "${REFST[$k,upgrade]}" = ok ] || { REFST[$k,noop]=skipped; REFST[$k,current]=skipped; REFST[$k,check]=n/a; return 0; }
    check_log "$db" "$tgt" "$n" "alembic upgrade head, $db, $n"
    BENCH_ALEMBIC_TXN=all xrun "$db" 0 "$PY" -m alembic -c "$ini" upgrade head
    ref_result "$k,noop" "alembic upgrade head (no-op), $db, $n"
    check_log "$db" "$tgt" "$n" "alembic upgrade head (no-op), $db, $n"
    xrun "$db" 0 "$PY" -m alembic -c "$ini" current
    ref_result "$k,current" "alembic current, $db, $n"
    if [ "${REFST[$k,current]}" = ok ]; then
        grep -qx "$head (head)" "$W/out" || fail "alembic current, $db, $n: unexpected output"
    fi
    REFST[$k,check]=n/a    # `alembic check` came with Alembic 1.9
}

run_knex() {  # run_knex DB n
    local db=$1 n=$2 k drv tgt want
    k="knex,$db,$n"
    if [ "$db" = pg ]; then drv=pg tgt=knex_db
    else
        drv=$KNEX_SQLITE tgt=$W/knex_$n.db
        if [ "$drv" = none ]; then
            for c in upgrade noop current check; do REFST[$k,$c]="no driver"; done
            return 0
        fi
    fi
    fresh "$db" "$tgt"
    progress "knex, $(dbname "$db") $(thou "$n"): migrate.latest, again (no-op), status, currentVersion"
    kn() { xrun "$db" 0 node "$HERE/scale_knex.js" "$1" "$drv" "$tgt" "$W/k_$n"; }
    kn latest
    ref_result "$k,upgrade" "knex migrate.latest, $db, $n"
    [ "${REFST[$k,upgrade]}" = ok ] || { for c in noop current check; do REFST[$k,$c]=skipped; done; return 0; }
    [ "$(cat "$W/out")" = "$n" ] || fail "knex migrate.latest, $db, $n: ran $(cat "$W/out"), want $n"
    check_log "$db" "$tgt" "$n" "knex migrate.latest, $db, $n"
    kn latest
    ref_result "$k,noop" "knex migrate.latest (no-op), $db, $n"
    [ "${REFST[$k,noop]}" != ok ] || [ "$(cat "$W/out")" = 0 ] || fail "knex migrate.latest (no-op), $db, $n: ran $(cat "$W/out")"
    kn status
    ref_result "$k,check" "knex migrate.status, $db, $n"
    [ "${REFST[$k,check]}" != ok ] || [ "$(cat "$W/out")" = 0 ] || fail "knex migrate.status, $db, $n: $(cat "$W/out")"
    kn current
    ref_result "$k,current" "knex migrate.currentVersion, $db, $n"
    want=$(printf '%06d' "$n")
    [ "${REFST[$k,current]}" != ok ] || [ "$(cat "$W/out")" = "$want" ] || fail "knex currentVersion, $db, $n: $(cat "$W/out"), want $want"
    check_log "$db" "$tgt" "$n" "knex, $db, $n"
}

for db in $DBS; do
    for n in $ALEMBIC_NS; do run_alembic "$db" "$n"; done
    for n in $KNEX_NS; do run_knex "$db" "$n"; done
done
progress "measured; writing the tables"

# ---------------------------------------------------------------- report

GOALS=()
goal() { GOALS+=("$1|$2|$3|$4"); }
verdict() { if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi; }
sec() { printf '%.4f' "$1"; }
# tval T ST: a time, or what stopped the run
tval() {
    case $2 in
    ok) sec "$1" ;;
    timeout) printf '>%s (timeout)' "$(printf '%.0f' "$1")" ;;
    oom) printf 'oom after %.1f' "$1" ;;
    *) printf '%s' "$2" ;;
    esac
}
mb() { printf '%.1f' "$(calc "$1 / 1024")"; }
row() { printf '  %-11s %9s  %-24s %16s %16s %10s  %s\n' "$@"; }

echo
echo "1. full upgrade from an empty database (bench_log created first): client \`mig upgrade\`"
echo "   against the floor, the same n bodies in one transaction (sqlite3 shell / psql script);"
echo "   best of $REPEAT (one run at 100,000)"
row1() { printf '  %-11s %9s %10s %16s %10s  %s\n' "$@"; }
row1 "database" "revisions" "floor s" "mig upgrade s" "mig/floor" "goal"
for db in $DBS; do
    [ "$db" = pg ] && g=$GOAL_UP_PG || g=$GOAL_UP_SQLITE
    for n in $SIZES; do
        f=${FLOOR[$db,$n]} u=${UP[$db,$n]} st=${UPST[$db,$n]}
        if [ "$st" = ok ]; then
            r=$(calc "$u / $f"); v=$(verdict "$r <= $g"); rs=$(printf '%.2fx' "$r")
        else
            v=MISSED; rs=$(printf '>%.1fx' "$(calc "$u / $f")")
        fi
        row1 "$(dbname "$db")" "$(thou "$n")" "$(sec "$f")" "$(tval "$u" "$st")" "$rs" "<= ${g}x: $v"
        goal "$(dbname "$db") $(thou "$n"): mig upgrade / floor" "$rs" "<= ${g}x" "$v"
    done
done

if [[ " $DBS " == *" sqlite "* ]]; then
    echo
    echo "   SQLite, the store floor: what keeping mig's rows costs SQLite itself, with no migration"
    echo "   logic (bench/storefloor.c, one transaction, prepared statements): read each file, take its"
    echo "   SHA-256, store it (mig_revision: text, checksum, header columns), run each body, write its"
    echo "   history row, then the version row. Below 5x of the floor above is out of reach for any tool"
    echo "   that keeps them (store floor / floor): the goal is against the store floor"
    row1 "database" "revisions" "store floor s" "store/floor" "mig/store" "goal"
    for n in $SIZES; do
        f=${STORE[$n]:-}
        if [ -n "$f" ] && [ "${UPST[sqlite,$n]}" = ok ]; then
            r=$(calc "${UP[sqlite,$n]} / $f"); v=$(verdict "$r <= $GOAL_STORE_SQLITE"); rs=$(printf '%.2fx' "$r")
            row1 "SQLite" "$(thou "$n")" "$(sec "$f")" "$(printf '%.2fx' "$(calc "$f / ${FLOOR[sqlite,$n]}")")" \
                "$rs" "<= ${GOAL_STORE_SQLITE}x: $v"
            goal "SQLite $(thou "$n"): mig upgrade / store floor" "$rs" "<= ${GOAL_STORE_SQLITE}x" "$v"
        fi
    done
fi

if [[ " $DBS " == *" pg "* ]]; then
    echo
    echo "   PostgreSQL, the server floor: the same script sent as one request (psql, statements ended"
    echo "   by \\;), what the server itself spends on the bodies; the psql script above waits for a"
    echo "   reply to each statement, so its time is mostly the round trips. No goal: a reference."
    row1 "database" "revisions" "server floor s" "script/server" "mig/server" ""
    for n in $SIZES; do
        f=${FLOOR1[$n]:-}
        if [ -n "$f" ] && [ "${UPST[pg,$n]}" = ok ]; then
            row1 "PostgreSQL" "$(thou "$n")" "$(sec "$f")" "$(printf '%.2fx' "$(calc "${FLOOR[pg,$n]} / $f")")" \
                "$(printf '%.2fx' "$(calc "${UP[pg,$n]} / $f")")" ""
        fi
    done
fi

echo
echo "2. the database at head: \`mig check\`, \`mig upgrade\` with nothing to do, \`mig current\`;"
echo "   median of $REPS runs (3 at 100,000); the goal of ${GOAL_CMD_S} s is SQLite's, at $(thou "$MAXN")"
row2() { printf '  %-11s %9s  %-24s %16s  %s\n' "$@"; }
row2 "database" "revisions" "command" "seconds" "goal"
for db in $DBS; do
    for n in $SIZES; do
        for cmd in check noop current cold read; do
            case $cmd in noop) label="mig upgrade (no-op)" ;; cold) label="mig current, no cache" ;; read) label="read the files (floor)" ;; *) label="mig $cmd" ;; esac
            st=${CMDST[$db,$n,$cmd]}
            gtxt=""
            if [ "$db" = sqlite ] && [ "$n" = "$MAXN" ] && [ "$cmd" != read ] && [ "$cmd" != cold ]; then
                if [ "$st" = ok ]; then v=$(verdict "${CMDT[$db,$n,$cmd]} < $GOAL_CMD_S"); else v=MISSED; fi
                gtxt="< ${GOAL_CMD_S} s: $v"
                goal "SQLite $(thou "$n"): $label" "$(tval "${CMDT[$db,$n,$cmd]:-0}" "$st")" "< ${GOAL_CMD_S} s" "$v"
            fi
            [ "$cmd" = read ] && gtxt="(reading every revision file: what any command that reads them costs at least)"
            [ "$cmd" = cold ] && gtxt="(MIG_CACHE=off: the first run after a checkout)"
            row2 "$(dbname "$db")" "$(thou "$n")" "$label" "$(tval "${CMDT[$db,$n,$cmd]:-0}" "$st")" "$gtxt"
        done
    done
    if [ "$PREVN" != "$MAXN" ]; then
        lim=$(calc "1.2 * $MAXN / $PREVN")
        limtxt=$(printf '%.3g' "$lim")
        sa=${CMDST[$db,$MAXN,check]} sb=${CMDST[$db,$PREVN,check]}
        if [ "$sa" = ok ] && [ "$sb" = ok ]; then
            r=$(calc "${CMDT[$db,$MAXN,check]} / ${CMDT[$db,$PREVN,check]}")
            rs=$(printf '%.2fx' "$r"); v=$(verdict "$r <= $lim")
        elif [ "$sb" = ok ] && { [ "$sa" = oom ] || [ "$sa" = timeout ]; }; then
            rs=$(printf '>%.1fx' "$(calc "${CMDT[$db,$MAXN,check]} / ${CMDT[$db,$PREVN,check]}")"); v="MISSED ($sa at $(thou "$MAXN"))"
        else
            rs="n/a"; v=MISSED
        fi
        row2 "$(dbname "$db")" "" "check $(thou "$MAXN") / $(thou "$PREVN")" "$rs" "<= ${limtxt}x: $v"
        goal "$(dbname "$db"): mig check, $(thou "$MAXN") / $(thou "$PREVN")" "$rs" "<= ${limtxt}x" "$v"
    fi
done

echo
echo "3. peak memory of the client process (max RSS by GNU time, MB; the largest of all runs)"
printf '  %-11s %9s %10s %10s %10s %10s  %s\n' "database" "revisions" "upgrade" "check" "no-op" "current" "goal"
for db in $DBS; do
    for n in $SIZES; do
        peak=0 cells=()
        for cmd in upgrade check noop current; do
            kb=${RSSMAX[$db,$n,$cmd]:-}
            if [ -z "$kb" ] || [ "$kb" = 0 ]; then cells+=("-"); continue; fi
            st=ok
            if [ "$cmd" = upgrade ]; then st=${UPST[$db,$n]}; else st=${CMDST[$db,$n,$cmd]}; fi
            if [ "$st" = oom ]; then cells+=(">$(mb "$kb") oom"); else cells+=("$(mb "$kb")"); fi
            peak=$(imax "$peak" "$kb")
        done
        gtxt=""
        if [ "$n" = "$MAXN" ]; then
            v=$(verdict "$peak < $GOAL_RSS_MB * 1024")
            if [ "${UPST[$db,$n]}" != ok ]; then v=MISSED; fi
            for cmd in check noop current; do [ "${CMDST[$db,$n,$cmd]}" = ok ] || v=MISSED; done
            gtxt="< ${GOAL_RSS_MB} MB: $v"
            goal "$(dbname "$db") $(thou "$n"): peak client RSS" "$(mb "$peak") MB" "< ${GOAL_RSS_MB} MB" "$v"
        fi
        printf '  %-11s %9s %10s %10s %10s %10s  %s\n' "$(dbname "$db")" "$(thou "$n")" "${cells[@]}" "$gtxt"
    done
done

if [ -n "$ALEMBIC_NS$KNEX_NS" ]; then
    echo
    echo "4. references on the same chains (one run each; Alembic and knex run the whole upgrade in one"
    echo "   transaction, as mig does): mig's time against theirs; goal: mig ahead (faster) on every row"
    row "database" "revisions" "command" "reference s" "mig s" "mig/ref" "mig ahead"
    for db in $DBS; do
        for n in $REF_NS; do
            for tool in alembic knex; do
                { [ "$tool" = alembic ] && has "$n" "$ALEMBIC_NS"; } || { [ "$tool" = knex ] && has "$n" "$KNEX_NS"; } || continue
                for cmd in upgrade noop current check; do
                    k="$tool,$db,$n,$cmd"
                    rst=${REFST[$k]:-}
                    case $tool,$cmd in
                    alembic,upgrade) label="alembic upgrade head" ;;
                    alembic,noop) label="alembic upgrade (no-op)" ;;
                    alembic,current) label="alembic current" ;;
                    alembic,check) label="alembic check" ;;
                    knex,upgrade) label="knex migrate.latest" ;;
                    knex,noop) label="knex latest (no-op)" ;;
                    knex,current) label="knex currentVersion" ;;
                    knex,check) label="knex migrate.status" ;;
                    esac
                    if [ "$cmd" = upgrade ]; then mt=${UP[$db,$n]} mst=${UPST[$db,$n]}
                    else mt=${CMDT[$db,$n,$cmd]:-0} mst=${CMDST[$db,$n,$cmd]}
                    fi
                    if [ "$rst" != ok ] && [ "$rst" != timeout ]; then
                        # not measured: n/a (no such command), no driver, skipped
                        row "$(dbname "$db")" "$(thou "$n")" "$label" "$rst" "$(tval "$mt" "$mst")" "" "-"
                        continue
                    fi
                    rt=${REF[$k]}
                    if [ "$mst" = ok ] && [ "$rst" = ok ]; then
                        rs=$(printf '%.3fx' "$(calc "$mt / $rt")"); v=$(verdict "$mt < $rt")
                    elif [ "$mst" = ok ]; then
                        rs=$(printf '<%.3fx' "$(calc "$mt / $rt")"); v=$(verdict "$mt < $rt")
                    elif [ "$rst" = ok ]; then
                        rs=$(printf '>%.3fx' "$(calc "$mt / $rt")"); v=MISSED
                    else
                        rs="n/a"; v=MISSED
                    fi
                    row "$(dbname "$db")" "$(thou "$n")" "$label" "$(tval "$rt" "$rst")" "$(tval "$mt" "$mst")" "$rs" "$v"
                    goal "$(dbname "$db") $(thou "$n"): mig vs $label" "$rs" "< 1x" "$v"
                done
            done
        done
    done
fi

echo
echo "goals"
missed=0
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got gl v <<<"$g"
    [ "$v" = ok ] || missed=$((missed + 1))
    printf '  %-50s %18s  %-10s %s\n' "$what" "$got" "$gl" "$v"
done
echo "  ${#GOALS[@]} goals, $missed MISSED; run took ${SECONDS} s"

#!/usr/bin/env bash
# bench/stmts.sh — cost of ONE revision with many statements in mig's SQLite
# extension: mig_upgrade('head') running an N-statement upgrade section,
# against the sqlite3 shell running the same N statements between BEGIN and
# COMMIT (the floor), measured in one run at several sizes to show whether
# the cost per statement stays flat (linear) as the body grows.
# See bench/README.md for what each line means.
#
# Environment (all optional):
#   N=200000         statements of the largest body
#   NS="50000 100000"  the smaller sizes (N is always added)
#   REPEAT=3         runs of each phase below 100,000 statements; the best
#                    (lowest) time is kept (runs at 100,000 and above are done once)
#   CLOCK=wall       wall: elapsed time; cpu: user + system time of the
#                    sqlite3 process
#   SQLITE3=sqlite3  the sqlite3 shell to use
#   MIG_EXT=<repo>/sqlite_ext/mig   the extension to .load
#   KEEP=1           keep the temporary directory (its path is printed)
set -euo pipefail

N=${N:-200000}
NS=${NS:-"50000 100000"}
REPEAT=${REPEAT:-3}
SQLITE3=${SQLITE3:-sqlite3}
KEEP=${KEEP:-0}
CLOCK=${CLOCK:-wall}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG_EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig}

# ---------------------------------------------------------------- helpers

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, cpu_ms

for v in N REPEAT; do is_int "${!v}" || die "$v must be a positive integer"; done
for n in $NS; do is_int "$n" || die "bad size '$n' in NS"; done
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac
command -v "$SQLITE3" >/dev/null || die "no sqlite3 shell ($SQLITE3)"
if [ -f "$MIG_EXT.so" ]; then EXT_FILE=$MIG_EXT.so
elif [ -f "$MIG_EXT" ]; then EXT_FILE=$MIG_EXT
else die "extension $MIG_EXT(.so) not found; build it with: make -C $ROOT sqlite_ext/mig.so"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-stmts.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "stmts.sh: files kept in $W" >&2
    else rm -rf "$W"; fi
}
trap cleanup EXIT

# load a private copy, so a rebuild during the run cannot mix two builds
EXT_SRC=$EXT_FILE
cp "$EXT_FILE" "$W/mig.so"
MIG_EXT=$W/mig


# sq LABEL DB SCRIPT [load]: run SCRIPT in the sqlite3 shell on DB, with the
# mig extension loaded first when a fourth argument is given. Any error
# (exit status or a message on stderr) fails the benchmark.
sq() {
    local label=$1 db=$2 script=$3 args=(-bail -batch)
    [ $# -ge 4 ] && args+=(-cmd ".load \"$MIG_EXT\"")
    if ! "$SQLITE3" "${args[@]}" "$db" <"$script" >"$W/out" 2>"$W/err" \
        || [ -s "$W/err" ]; then
        fail "$label"
    fi
}

# q LABEL DB SQL [load]: run one query (untimed), print its output
q() {
    printf '%s\n' "$3" >"$W/q.sql"
    sq "$1" "$2" "$W/q.sql" ${4:+load}
    cat "$W/out"
}

# measure VAR CMD...: run CMD in this shell, its seconds (by CLOCK) into VAR
measure() {
    local __var=$1 w0 c0
    shift
    wall_us; w0=$WALL_US
    cpu_ms; c0=$CPU_MS
    "$@"
    wall_us
    cpu_ms
    if [ "$CLOCK" = cpu ]; then
        printf -v "$__var" '%s' "$(calc "($CPU_MS - $c0) / 1000")"
    else
        printf -v "$__var" '%s' "$(calc "($WALL_US - $w0) / 1000000")"
    fi
}

# timed VAR LABEL DB SCRIPT [load]: sq, its seconds into VAR
timed() { local __v=$1; shift; measure "$__v" sq "$@"; }

reps_for() { if [ "$1" -ge 100000 ]; then echo 1; else echo "$REPEAT"; fi; }

fresh_db() {
    rm -f "$1" "$1-journal" "$1-wal" "$1-shm"
    printf 'CREATE TABLE t (x INTEGER);\n' >"$W/schema.sql"
    sq "schema for $1" "$1" "$W/schema.sql"
}

# check_t LABEL DB n: t holds exactly the rows 1..n
check_t() {
    local got want
    got=$(q "$1: check" "$2" "SELECT count(*) || ' ' || coalesce(sum(x), 0) FROM t;")
    want="$3 $(( $3 * ($3 + 1) / 2 ))"
    [ "$got" = "$want" ] || { echo "count sum: got '$got', want '$want'" >"$W/err"; : >"$W/out"; fail "$1: wrong contents of t"; }
}

# output: one table row
row() { printf '  %-56s %10s %11s %9s  %s\n' "$@"; }
sec() { printf '%.4f' "$1"; }
perstmt() { printf '%.2f' "$(calc "$1 * 1000000 / $2")"; }
ratio() { printf '%.2fx' "$(calc "$1 / $2")"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }

# ---------------------------------------------------------------- inputs

# the sizes, smallest first, N last
# shellcheck disable=SC2086
SIZES=$(printf '%s\n' $NS "$N" | sort -un | tr '\n' ' ' | sed 's/ $//')

progress "generating bodies ($SIZES) in $W"
for n in $SIZES; do
    # the revision: one upload, one upgrade section of n one-line statements
    {
        printf -- '-- mig:revision s%s\n-- mig:message %s statements\n\n-- mig:upgrade\n' "$n" "$n"
        seq 1 "$n" | awk '{ print "INSERT INTO t VALUES (" $1 ");" }'
    } >"$W/rev_$n.sql"
    # the floor: the same statements in one transaction, straight into the shell
    {
        echo 'BEGIN;'
        seq 1 "$n" | awk '{ print "INSERT INTO t VALUES (" $1 ");" }'
        echo 'COMMIT;'
    } >"$W/floor_$n.sql"
    printf "SELECT mig_put_revision(readfile('%s'));\n" "$W/rev_$n.sql" >"$W/upload_$n.sql"
done
printf 'SELECT mig_upgrade('\''head'\'');\n' >"$W/upgrade.sql"
printf 'SELECT 1;\n' >"$W/one.sql"
# flush the generated files now, so that the timed runs' fsyncs do not wait for them
progress "sync"
sync
progress "measuring"

# ---------------------------------------------------------------- measure

declare -A FLOOR UPLOAD UPGRADE

run_floor() {  # best of reps, fresh file DB each time
    local n=$1 r t best=""
    for ((r = 0; r < $(reps_for "$n"); r++)); do
        fresh_db "$W/floor.db"
        timed t "floor n=$n" "$W/floor.db" "$W/floor_$n.sql"
        check_t "floor n=$n" "$W/floor.db" "$n"
        best=$(fmin "$best" "$t")
    done
    FLOOR[$n]=$best
}

run_mig() {  # upload (timed apart), then the upgrade; best of reps, fresh file DB each time
    local n=$1 r t got bu="" bg="" db="$W/mig.db"
    for ((r = 0; r < $(reps_for "$n"); r++)); do
        fresh_db "$db"
        timed t "mig_put_revision n=$n" "$db" "$W/upload_$n.sql" load
        [ "$(cat "$W/out")" = "s$n" ] || { cp "$W/out" "$W/err"; fail "mig_put_revision n=$n returned '$(cat "$W/out")'"; }
        bu=$(fmin "$bu" "$t")
        progress "mig_upgrade n=$n (run $((r + 1)))"
        timed t "mig_upgrade n=$n" "$db" "$W/upgrade.sql" load
        got=$(cat "$W/out")
        [ "$got" = "s$n" ] || { echo "mig_upgrade returned '$got', want 's$n'" >"$W/err"; fail "mig_upgrade n=$n"; }
        check_t "mig_upgrade n=$n" "$db" "$n"
        got=$(q "mig_current n=$n" "$db" "SELECT mig_current();" load)
        [ "$got" = "s$n" ] || { echo "mig_current is '$got', want 's$n'" >"$W/err"; fail "mig_current n=$n"; }
        bg=$(fmin "$bg" "$t")
    done
    UPLOAD[$n]=$bu
    UPGRADE[$n]=$bg
}

# ---------------------------------------------------------------- report

echo "mig statements benchmark  N=$N  sizes: $SIZES REPEAT=$REPEAT  $(date -u '+%Y-%m-%d %H:%M UTC')"
# shellcheck disable=SC1091
echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), SQLite $("$SQLITE3" --version | cut -d' ' -f1)"
echo "extension: $EXT_SRC ($(date -r "$EXT_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$W/mig.so" | cut -c1-12))"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOAD > $(nproc)) }"; then
    echo "WARNING: load average $LOAD on $(nproc) cores: other work is running, the figures are noisy"
fi
if [ "$CLOCK" = cpu ]; then
    echo "times: CPU (user + system) of the process, seconds; each a whole sqlite3 shell"
else
    echo "times: wall clock, seconds; each a whole sqlite3 shell"
fi
echo "       on a fresh file DB holding CREATE TABLE t (x INTEGER) (startup and .load included);"
echo "       best of $REPEAT runs below 100,000 statements, 1 run at 100,000 and above"

SHELL0=""
fresh_db "$W/empty.db"
for ((k = 0; k < 5; k++)); do
    timed t "sqlite3 shell + .load" "$W/empty.db" "$W/one.sql" load
    SHELL0=$(fmin "$SHELL0" "$t")
done

echo
echo "one revision of n statements (INSERT INTO t VALUES (i);), one per line"
row "" "seconds" "us/stmt" "ratio" ""
FIRST="" FIRST_N="" LAST_N="" LAST_PS=""
for n in $SIZES; do
    progress "n=$n: floor"
    run_floor "$n"
    progress "n=$n: mig"
    run_mig "$n"
    ps=$(calc "${UPGRADE[$n]} / $n")
    [ -n "$FIRST" ] || { FIRST=$ps; FIRST_N=$n; }
    row "n=$n: floor: BEGIN; n statements; COMMIT (shell)" "$(sec "${FLOOR[$n]}")" "$(perstmt "${FLOOR[$n]}" "$n")" "" ""
    row "n=$n: mig_put_revision (upload, not in the ratio)" "$(sec "${UPLOAD[$n]}")" "$(perstmt "${UPLOAD[$n]}" "$n")" "" ""
    row "n=$n: mig_upgrade('head')" "$(sec "${UPGRADE[$n]}")" "$(perstmt "${UPGRADE[$n]}" "$n")" "$(ratio "$ps" "$FIRST")" "us/stmt vs n=$FIRST_N"
    row "n=$n: mig_upgrade / floor" "" "" "$(ratio "${UPGRADE[$n]}" "${FLOOR[$n]}")" ""
    LAST_N=$n LAST_PS=$ps
done
row "(sqlite3 shell start + .load alone)" "$(sec "$SHELL0")" "" "" ""

echo
echo "summary"
if [ "$LAST_N" != "$FIRST_N" ]; then
    R=$(calc "$LAST_PS / $FIRST")
    row "mig_upgrade us/stmt, n=$LAST_N / n=$FIRST_N" "" "" "$(printf '%.2fx' "$R")" "goal ~1x (<= 1.5x, linear): $(verdict "$R <= 1.5")"
    RF=$(calc "(${FLOOR[$LAST_N]} / $LAST_N) / (${FLOOR[$FIRST_N]} / $FIRST_N)")
    row "floor us/stmt, n=$LAST_N / n=$FIRST_N (for reference)" "" "" "$(printf '%.2fx' "$RF")" ""
fi
row "mig_upgrade / floor at n=$N" "" "" "$(ratio "${UPGRADE[$N]}" "${FLOOR[$N]}")" ""

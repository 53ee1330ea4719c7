#!/usr/bin/env bash
# bench/chain.sh — cost of a long linear chain of revisions in mig's SQLite
# extension, against a raw-SQL floor and against Alembic, measured in one run.
# See bench/README.md for what each line means.
#
# Environment (all optional):
#   N=10000          chain length of the main comparison (sections 1, 2, 5)
#   FULL=1           also time mig_upgrade at 100,000 steps
#   SKIP_ALEMBIC=1   skip the Alembic reference (section 5)
#   REPEAT=3         runs of each cheap phase; the best (lowest) time is kept
#                    (runs at 100,000 revisions are done once)
#   CURRENT_REPS=10000 SELECT mig_current() calls per shell in section 4
#   SCALE_NS="1000 10000"   sizes for the per-step scaling (FULL adds 100000)
#   PLAN_NS="10000 100000"  sizes for the mig_plan timing
#   CURRENT_AT="10 10000"   applied-revision counts for the mig_current timing
#   ALEMBIC_TXN=all  the Alembic upgrades to time, e.g. "all each". all: one transaction
#                    for the whole upgrade, as mig does; each: Alembic's own
#                    SQLite default, a commit after every revision
#   SQLITE3=sqlite3  the sqlite3 shell to use
#   MIG_EXT=<repo>/sqlite_ext/mig   the extension to .load
#   PY=/usr/bin/python3   python with alembic + sqlalchemy (Debian's)
#   CLOCK=wall       wall: elapsed time; cpu: user + system time of the
#                    sqlite3 / python process (steadier on a busy machine,
#                    leaves out waiting for the disk)
#   KEEP=1           keep the temporary directory (its path is printed)
set -euo pipefail

N=${N:-10000}
FULL=${FULL:-0}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
REPEAT=${REPEAT:-3}
CURRENT_REPS=${CURRENT_REPS:-10000}
ALEMBIC_TXN=${ALEMBIC_TXN:-all}
SQLITE3=${SQLITE3:-sqlite3}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
CLOCK=${CLOCK:-wall}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG_EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig}
if [ -z "${SCALE_NS:-}" ]; then
    SCALE_NS="1000 10000"
    [ "$FULL" = 1 ] && SCALE_NS="$SCALE_NS 100000"
fi
PLAN_NS=${PLAN_NS:-"10000 100000"}
CURRENT_AT=${CURRENT_AT:-"10 10000"}

# ---------------------------------------------------------------- helpers

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, cpu_ms
has() { local x; for x in $2; do [ "$x" = "$1" ] && return 0; done; return 1; }

for v in N REPEAT CURRENT_REPS; do is_int "${!v}" || die "$v must be a positive integer"; done
for n in $SCALE_NS $PLAN_NS $CURRENT_AT; do is_int "$n" || die "bad size '$n'"; done
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac
for mode in $ALEMBIC_TXN; do
    case $mode in all|each) ;; *) die "ALEMBIC_TXN: a list of all and each" ;; esac
done

command -v "$SQLITE3" >/dev/null || die "no sqlite3 shell ($SQLITE3)"
[ -x "$PY" ] || die "no python at $PY"
if [ -f "$MIG_EXT.so" ]; then EXT_FILE=$MIG_EXT.so
elif [ -f "$MIG_EXT" ]; then EXT_FILE=$MIG_EXT
else die "extension $MIG_EXT(.so) not found; build it with: make -C $ROOT"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "chain.sh: files kept in $W" >&2
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

# runs of one phase: tiny runs are dominated by the noisy fsync, so more
reps_for() {
    if [ "$1" -ge 100000 ]; then echo 1
    elif [ "$1" -le 10 ]; then echo $((3 * REPEAT))
    else echo "$REPEAT"; fi
}
id_at() { sed -n "${1}p" "$W/ids.txt"; }

fresh_db() {
    rm -f "$1" "$1-journal" "$1-wal" "$1-shm"
    sq "schema for $1" "$1" "$W/schema.sql"
}

# check_log LABEL DB n: bench_log holds exactly the n bodies' rows
check_log() {
    local got want
    got=$(q "$1: check" "$2" "SELECT count(*) || ' ' || coalesce(sum(n),0) FROM bench_log;")
    want="$3 $(( $3 * ($3 + 1) / 2 ))"
    [ "$got" = "$want" ] || { echo "count sum: got '$got', want '$want'" >"$W/err"; : >"$W/out"; fail "$1: wrong bench_log contents"; }
}

# output: one table row
row() { printf '  %-50s %10s %11s %9s  %s\n' "$@"; }
sec() { printf '%.4f' "$1"; }
# netstep SECONDS n SECONDS_AT_1: us per step beyond the fixed cost of a run
netstep() { calc "($1 - $3) * 1000000 / ($2 - 1)"; }
perstep() { printf '%.2f' "$(calc "$1 * 1000000 / $2")"; }
ratio() { printf '%.2fx' "$(calc "$1 / $2")"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
GOALS=()

# ---------------------------------------------------------------- plan

# which mig chains to build, and what to measure on each
# (size 1 gives the fixed cost of a run: shell start, .load, transaction, fsync)
# (the size lists are split on purpose; they were checked to be integers)
# shellcheck disable=SC2086
MIG_NS=$(printf '%s\n' 1 "$N" $SCALE_NS $PLAN_NS $CURRENT_AT | sort -un | tr '\n' ' ')
# shellcheck disable=SC2086
FLOOR_NS=$(printf '%s\n' 1 "$N" $SCALE_NS | sort -un | tr '\n' ' ')
ALEMBIC_N=0
[ "$SKIP_ALEMBIC" = 1 ] || ALEMBIC_N=$N

if [ "$SKIP_ALEMBIC" != 1 ]; then
    "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null \
        || die "$PY has no alembic/sqlalchemy (set PY, or SKIP_ALEMBIC=1)"
    ALEMBIC_VERSION=$("$PY" -c 'import alembic; print(alembic.__version__)')
fi

progress "generating chains ($MIG_NS) in $W"
"$PY" "$HERE/gen_chain.py" "$W" --upload "$MIG_NS" --floor "$FLOOR_NS" \
    --revs "$N" --alembic "$ALEMBIC_N" || die "generation failed"
# flush the generated files now: otherwise the first fsyncs of the timed runs
# wait for this writeback (ext4 commits the journal for everyone)
progress "sync"
sync
progress "measuring"

printf 'SELECT mig_upgrade('\''head'\'');\n' >"$W/upgrade.sql"
printf 'SELECT count(*) FROM mig_plan('\''upgrade'\'','\''head'\'');\n' >"$W/plan.sql"
printf 'SELECT mig_current();\n' >"$W/current1.sql"
for ((i = 0; i < CURRENT_REPS; i++)); do echo 'SELECT mig_current();'; done >"$W/current.sql"
for ((i = 0; i < CURRENT_REPS; i++)); do echo 'SELECT 1;'; done >"$W/select1.sql"

# ---------------------------------------------------------------- measure

declare -A FLOOR UPLOAD UPGRADE PLAN CUR NET

run_floor() {  # best of reps, fresh file DB each time
    local n=$1 r t best=""
    for ((r = 0; r < $(reps_for "$n"); r++)); do
        fresh_db "$W/floor.db"
        timed t "floor n=$n" "$W/floor.db" "$W/floor_$n.sql"
        check_log "floor n=$n" "$W/floor.db" "$n"
        best=$(fmin "$best" "$t")
    done
    FLOOR[$n]=$best
}

run_mig() {  # upload, [plan], [upgrade]; best of reps, fresh file DB each time
    local n=$1
    local r t k db="$W/mig_$n.db" head got
    local bu="" bg="" bp=""
    local want_plan=0 want_up=0
    has "$n" "$PLAN_NS" && want_plan=1
    { [ "$n" = 1 ] || [ "$n" = "$N" ] || has "$n" "$SCALE_NS" || has "$n" "$CURRENT_AT"; } && want_up=1
    head=$(id_at "$n")
    progress "mig chain n=$n (plan=$want_plan upgrade=$want_up)"
    for ((r = 0; r < $(reps_for "$n"); r++)); do
        fresh_db "$db"
        timed t "mig upload n=$n" "$db" "$W/upload_$n.sql" load
        bu=$(fmin "$bu" "$t")
        got=$(q "mig upload n=$n: check" "$db" "SELECT count(*) FROM mig_revision;" load)
        [ "$got" = "$n" ] || { echo "mig_revision has $got rows, want $n" >"$W/err"; fail "mig upload n=$n"; }
        if [ "$want_plan" = 1 ] && [ "$r" = 0 ]; then
            for ((k = 0; k < REPEAT; k++)); do
                timed t "mig_plan n=$n" "$db" "$W/plan.sql" load
                got=$(cat "$W/out")
                [ "$got" = "$n" ] || { echo "mig_plan returned $got rows, want $n" >"$W/err"; fail "mig_plan n=$n"; }
                bp=$(fmin "$bp" "$t")
            done
        fi
        if [ "$want_up" = 1 ]; then
            timed t "mig_upgrade n=$n" "$db" "$W/upgrade.sql" load
            got=$(cat "$W/out")
            [ "$got" = "$head" ] || { echo "mig_upgrade returned '$got', want '$head'" >"$W/err"; fail "mig_upgrade n=$n"; }
            check_log "mig_upgrade n=$n" "$db" "$n"
            got=$(q "mig_current n=$n" "$db" "SELECT mig_current();" load)
            [ "$got" = "$head" ] || { echo "mig_current is '$got', want '$head'" >"$W/err"; fail "mig_current n=$n"; }
            bg=$(fmin "$bg" "$t")
        else
            break   # nothing repeated needs another upload
        fi
    done
    UPLOAD[$n]=$bu
    [ -n "$bp" ] && PLAN[$n]=$bp
    [ -n "$bg" ] && UPGRADE[$n]=$bg
    return 0
}

# best of REPEAT: CURRENT_REPS x SELECT mig_current() in one shell
run_current() {
    local n=$1 k t best="" db="$W/mig_$1.db" head
    head=$(id_at "$n")
    for ((k = 0; k < REPEAT; k++)); do
        timed t "mig_current loop n=$n" "$db" "$W/current.sql" load
        [ "$(tail -n 1 "$W/out")" = "$head" ] \
            || { echo "mig_current gave '$(tail -n 1 "$W/out")', want '$head'" >"$W/err"; fail "mig_current n=$n"; }
        best=$(fmin "$best" "$t")
    done
    CUR[$n]=$best
}

# alembic_cmd LABEL TXN ARGS...: python -m alembic ARGS on the generated project
alembic_cmd() {
    local label=$1 txn=$2
    shift 2
    BENCH_ALEMBIC_TXN=$txn "$PY" -m alembic -c "$W/alembic/alembic.ini" "$@" \
        >"$W/out" 2>"$W/err" || fail "alembic $label"
}

# ---------------------------------------------------------------- report

echo "mig chain benchmark  N=$N  FULL=$FULL  REPEAT=$REPEAT  $(date -u '+%Y-%m-%d %H:%M UTC')"
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
echo "       run on a fresh file DB (startup and .load included);"
echo "       best of $REPEAT runs (1 run at 100,000 revisions)"

# shell startup + .load, for reading the small figures
SHELL0=""
printf 'SELECT 1;\n' >"$W/one.sql"
for ((k = 0; k < 5; k++)); do
    timed t "sqlite3 shell + .load" "$W/empty.db" "$W/one.sql" load
    SHELL0=$(fmin "$SHELL0" "$t")
done

echo
echo "1-2. one chain of N=$N revisions (body: INSERT INTO bench_log(n) VALUES (i);)"
row "" "seconds" "us/step" "ratio" ""
run_floor "$N"
run_mig "$N"
T_MIG=$(calc "${UPLOAD[$N]} + ${UPGRADE[$N]}")
row "floor: BEGIN; N bodies; COMMIT (raw sqlite3 shell)" "$(sec "${FLOOR[$N]}")" "$(perstep "${FLOOR[$N]}" "$N")"
row "mig upload: BEGIN; N x mig_put_revision; COMMIT" "$(sec "${UPLOAD[$N]}")" "$(perstep "${UPLOAD[$N]}" "$N")"
row "mig upgrade: SELECT mig_upgrade('head')" "$(sec "${UPGRADE[$N]}")" "$(perstep "${UPGRADE[$N]}" "$N")"
row "mig upload + upgrade" "$(sec "$T_MIG")" "$(perstep "$T_MIG" "$N")"
R=$(calc "$T_MIG / ${FLOOR[$N]}")
row "(upload + upgrade) / floor" "" "" "$(ratio "$T_MIG" "${FLOOR[$N]}")" "goal <= 25x: $(verdict "$R <= 25")"
GOALS+=("(upload+upgrade)/floor at N=$N|$(printf '%.2fx' "$R")|<= 25x|$(verdict "$R <= 25")")
row "upgrade / floor" "" "" "$(ratio "${UPGRADE[$N]}" "${FLOOR[$N]}")" ""
row "(sqlite3 shell start + .load alone)" "$(sec "$SHELL0")" "" "" ""

echo
echo "3a. scaling of mig_upgrade: cost per step must not grow with the chain"
echo "    (us/step here is net of the fixed cost of a run, i.e. (t(n) - t(1)) / (n - 1))"
row "" "seconds" "us/step" "vs first" ""
[ -n "${UPGRADE[1]:-}" ] || run_mig 1
[ -n "${FLOOR[1]:-}" ] || run_floor 1
row "mig_upgrade('head'), 1 step (fixed cost)" "$(sec "${UPGRADE[1]}")" "" "" ""
row "  floor, 1 body (fixed cost)" "$(sec "${FLOOR[1]}")" "" "" ""
FIRST=""
for n in $SCALE_NS; do
    [ "$n" -gt 1 ] || die "SCALE_NS sizes must be > 1"
    [ -n "${UPGRADE[$n]:-}" ] || run_mig "$n"
    [ -n "${FLOOR[$n]:-}" ] || run_floor "$n"
    ps=$(netstep "${UPGRADE[$n]}" "$n" "${UPGRADE[1]}")
    [ -n "$FIRST" ] || FIRST=$ps
    row "mig_upgrade('head'), $n steps" "$(sec "${UPGRADE[$n]}")" "$(printf '%.2f' "$ps")" "$(ratio "$ps" "$FIRST")" ""
    row "  floor, $n bodies (for reference)" "$(sec "${FLOOR[$n]}")" "$(printf '%.2f' "$(netstep "${FLOOR[$n]}" "$n" "${FLOOR[1]}")")" "" ""
    LAST_N=$n LAST_PS=$ps
done
FIRST_N=${SCALE_NS%% *}
if [ "$LAST_N" != "$FIRST_N" ]; then
    if awk "BEGIN { exit !($FIRST > 0 && $LAST_PS > 0) }"; then
        R=$(calc "$LAST_PS / $FIRST")
        row "per-step cost, $LAST_N / $FIRST_N steps" "" "" "$(printf '%.2fx' "$R")" "goal ~1x (<= 1.5x): $(verdict "$R <= 1.5")"
        GOALS+=("upgrade per-step cost, $LAST_N vs $FIRST_N steps|$(printf '%.2fx' "$R")|~1x (<= 1.5x)|$(verdict "$R <= 1.5")")
    else
        row "per-step cost, $LAST_N / $FIRST_N steps" "" "" "n/a" "below the noise: use larger SCALE_NS"
        GOALS+=("upgrade per-step cost, $LAST_N vs $FIRST_N steps|n/a|~1x (<= 1.5x)|below the noise")
    fi
fi

echo
echo "3b. planning: SELECT count(*) FROM mig_plan('upgrade','head'), nothing applied"
row "" "seconds" "us/rev" "vs first" ""
FIRST="" FIRST_N=""
for n in $PLAN_NS; do
    [ -n "${PLAN[$n]:-}" ] || run_mig "$n"
    [ -n "$FIRST" ] || { FIRST=${PLAN[$n]}; FIRST_N=$n; }
    row "upload of $n revisions (one transaction)" "$(sec "${UPLOAD[$n]}")" "$(perstep "${UPLOAD[$n]}" "$n")" "" ""
    row "mig_plan over $n revisions" "$(sec "${PLAN[$n]}")" "$(perstep "${PLAN[$n]}" "$n")" "$(ratio "${PLAN[$n]}" "$FIRST")" ""
    LAST_N=$n
done
if [ "$LAST_N" != "$FIRST_N" ]; then
    R=$(calc "${PLAN[$LAST_N]} / $FIRST")
    lim=$(calc "1.2 * $LAST_N / $FIRST_N")
    row "mig_plan, $LAST_N / $FIRST_N revisions" "" "" "$(printf '%.2fx' "$R")" "goal <= $(printf '%g' "$lim")x: $(verdict "$R <= $lim")"
    GOALS+=("mig_plan, $LAST_N vs $FIRST_N revisions|$(printf '%.2fx' "$R")|<= $(printf '%g' "$lim")x|$(verdict "$R <= $lim")")
fi

echo
echo "4. mig_current(): $CURRENT_REPS x SELECT mig_current(); in one shell"
echo "    (us/call is net of the same shell running $CURRENT_REPS x SELECT 1; the ratio too)"
row "" "seconds" "us/call" "vs first" ""
T_SEL1=""
for ((k = 0; k < REPEAT; k++)); do
    timed t "SELECT 1 loop" "$W/empty.db" "$W/select1.sql" load
    T_SEL1=$(fmin "$T_SEL1" "$t")
done
row "$CURRENT_REPS x SELECT 1 (reference)" "$(sec "$T_SEL1")" "$(perstep "$T_SEL1" "$CURRENT_REPS")" "" ""
FIRST="" FIRST_N=""
for n in $CURRENT_AT; do
    if [ ! -f "$W/mig_$n.db" ] || [ -z "${UPGRADE[$n]:-}" ]; then run_mig "$n"; fi
    run_current "$n"
    net=$(calc "(${CUR[$n]} - $T_SEL1) / $CURRENT_REPS")
    [ -n "$FIRST" ] || { FIRST=$net; FIRST_N=$n; }
    NET[$n]=$net
    row "mig_current() at $n applied revisions" "$(sec "${CUR[$n]}")" "$(printf '%.2f' "$(calc "$net * 1000000")")" "$(ratio "$net" "$FIRST")" ""
    LAST_N=$n
done
if [ "$LAST_N" != "$FIRST_N" ]; then
    R=$(calc "${NET[$LAST_N]} / $FIRST")
    row "mig_current(), $LAST_N / $FIRST_N applied" "" "" "$(printf '%.2fx' "$R")" "goal ~1x (<= 1.5x): $(verdict "$R <= 1.5")"
    GOALS+=("mig_current(), $LAST_N vs $FIRST_N applied|$(printf '%.2fx' "$R")|~1x (<= 1.5x)|$(verdict "$R <= 1.5")")
fi

if [ "$SKIP_ALEMBIC" != 1 ]; then
    echo
    echo "5. Alembic $ALEMBIC_VERSION on the same chain (N=$N, op.execute of the same body), 1 run each"
    row "" "seconds" "us/step" "Alembic/mig" ""
    cd "$W"
    # bytecode of the N scripts compiled untimed, as in a project in use
    "$PY" -m compileall -q "$W/alembic/versions" >"$W/out" 2>"$W/err" \
        || fail "compiling the Alembic scripts"
    ADB="$W/alembic.db"
    for mode in $ALEMBIC_TXN; do
        fresh_db "$ADB"
        progress "alembic upgrade head, transactions: $mode (N=$N; takes a while)"
        measure T_AUP alembic_cmd "upgrade head ($mode)" "$mode" upgrade head
        check_log "alembic upgrade ($mode)" "$ADB" "$N"
        if [ "$mode" = all ]; then
            row "alembic upgrade head, one transaction (as mig)" "$(sec "$T_AUP")" "$(perstep "$T_AUP" "$N")" "" ""
        else
            row "alembic upgrade head, commit per step (default)" "$(sec "$T_AUP")" "$(perstep "$T_AUP" "$N")" "" ""
        fi
        row "  vs mig upload + upgrade ($(sec "$T_MIG") s)" "" "" "$(ratio "$T_AUP" "$T_MIG")" ""
        row "  vs mig upgrade alone ($(sec "${UPGRADE[$N]}") s)" "" "" "$(ratio "$T_AUP" "${UPGRADE[$N]}")" ""
        row "  vs floor ($(sec "${FLOOR[$N]}") s)" "" "" "$(ratio "$T_AUP" "${FLOOR[$N]}")" ""
    done
    progress "alembic current (N=$N; takes a while)"
    measure T_ACUR alembic_cmd current all current
    grep -q "^$(id_at "$N") (head)" "$W/out" || { cp "$W/out" "$W/err"; fail "alembic current: unexpected output"; }
    # mig_current() once, in its own shell, as `alembic current` is one process
    best=""
    for ((k = 0; k < REPEAT; k++)); do
        timed t "mig_current once" "$W/mig_$N.db" "$W/current1.sql" load
        best=$(fmin "$best" "$t")
    done
    row "alembic current" "$(sec "$T_ACUR")" "" "" ""
    row "  vs sqlite3 shell: .load + SELECT mig_current()" "$(sec "$best")" "" "$(ratio "$T_ACUR" "$best")" ""
fi

echo
echo "goals"
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got goal ok <<<"$g"
    printf '  %-50s %10s  %-14s %s\n' "$what" "$got" "$goal" "$ok"
done

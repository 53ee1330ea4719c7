#!/usr/bin/env bash
# bench/client.sh — the mig client (client/mig) on SQLite, on projects of 10
# and 10,000 revision files: `mig current`, a no-op `mig upgrade head`, a
# full `mig upgrade head` against the extension alone doing the same work in
# the sqlite3 shell, and `alembic current` on the same chain, measured in one
# run. See bench/README.md for what each line means.
#
# Environment (all optional):
#   N=10000          revisions of the large project
#   SMALL=10         revisions of the small project
#   REPS=100         runs of each `mig current` (and `mig --version`), interleaved
#                    between the sizes; the median is kept (the best is shown)
#   NOOP_REPS=10     runs of the no-op `mig upgrade head` and of `mig heads`
#   REPEAT=3         runs of each full upgrade (client and extension alone,
#                    interleaved); the best is kept
#   ALEMBIC_AT=100   sizes at which `alembic current` is timed (FULL=1: 100 1000 N,
#                    about 1.5 minutes more)
#   ALEMBIC_REPS=3   runs of `alembic current` at sizes up to 100 (one above); best kept
#   SKIP_ALEMBIC=1   skip Alembic (section 2)
#   CLOCK=wall       wall: elapsed time; cpu: user + system of the process
#                    (the times builtin: 1 ms resolution, so the per-run
#                    figures of sections 1 and 3 are means, not medians)
#   MIG=<repo>/client/mig            the client (a private copy is run)
#   MIG_EXT=<repo>/sqlite_ext/mig    the extension for the sqlite3 reference
#   SQLITE3=sqlite3  the sqlite3 shell
#   PY=/usr/bin/python3   python for generating the projects and for Alembic
#   KEEP=1           keep the temporary directory (its path is printed)
set -euo pipefail

N=${N:-10000}
SMALL=${SMALL:-10}
REPS=${REPS:-100}
NOOP_REPS=${NOOP_REPS:-10}
REPEAT=${REPEAT:-3}
FULL=${FULL:-0}
ALEMBIC_REPS=${ALEMBIC_REPS:-3}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
CLOCK=${CLOCK:-wall}
SQLITE3=${SQLITE3:-sqlite3}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG=${MIG:-$ROOT/client/mig}
MIG_EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig}
if [ -z "${ALEMBIC_AT:-}" ]; then
    ALEMBIC_AT=100
    [ "$FULL" = 1 ] && ALEMBIC_AT="100 1000 $N"
fi
[ "$SKIP_ALEMBIC" = 1 ] && ALEMBIC_AT=""
# the client must read the projects' mig.ini, nothing else
unset MIG_URL DATABASE_URL MIG_CONFIG

# ---------------------------------------------------------------- helpers

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, cpu_ms

for v in N SMALL REPS NOOP_REPS REPEAT ALEMBIC_REPS; do is_int "${!v}" || die "$v must be a positive integer"; done
for n in $ALEMBIC_AT; do is_int "$n" || die "bad size '$n' in ALEMBIC_AT"; done
[ "$SMALL" -lt "$N" ] || die "SMALL must be less than N"
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac

# missing tools: installed as root on Debian, as the other scripts of the project do
apt_install() {  # apt_install PACKAGE WHY
    echo "client.sh: installing $1 ($2)" >&2
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null \
        || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; then
        return 1
    fi
}
command -v "$SQLITE3" >/dev/null || apt_install sqlite3 "the sqlite3 shell" \
    || die "no sqlite3 shell ($SQLITE3): apt-get install sqlite3"
[ -x "$PY" ] || die "no python at $PY (set PY)"
if [ -n "$ALEMBIC_AT" ] && ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
    if ! apt_install python3-alembic "the Alembic reference" || ! "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
        die "$PY has no alembic/sqlalchemy (apt-get install python3-alembic, set PY, or SKIP_ALEMBIC=1)"
    fi
fi
[ -x "$MIG" ] || die "no client at $MIG; build it with: make -C $ROOT"
if [ -f "$MIG_EXT.so" ]; then EXT_FILE=$MIG_EXT.so
elif [ -f "$MIG_EXT" ]; then EXT_FILE=$MIG_EXT
else die "extension $MIG_EXT(.so) not found; build it with: make -C $ROOT"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench-client.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "client.sh: files kept in $W" >&2
    else rm -rf "$W"; fi
}
trap cleanup EXIT

# private copies, so a rebuild during the run cannot mix two builds
MIG_SRC=$MIG EXT_SRC=$EXT_FILE
cp "$MIG" "$W/mig"
cp "$EXT_FILE" "$W/mig.so"
MIG=$W/mig
MIG_EXT=$W/mig


# run LABEL CMD...: CMD with stdout/stderr to $W/out and $W/err; failing
# (exit status or anything on stderr) fails the benchmark
run() {
    local label=$1
    shift
    if ! "$@" >"$W/out" 2>"$W/err" || [ -s "$W/err" ]; then fail "$label"; fi
}
# sq LABEL DB SCRIPT [load]: SCRIPT in the sqlite3 shell on DB, mig loaded with a 4th argument
sq() {
    local label=$1 db=$2 script=$3 args=(-bail -batch)
    [ $# -ge 4 ] && args+=(-cmd ".load \"$MIG_EXT\"")
    run "$label" "$SQLITE3" "${args[@]}" "$db" <"$script"
}
# q DB SQL: one query (untimed), its output
q() {
    printf '%s\n' "$2" >"$W/q.sql"
    sq "query on $1" "$1" "$W/q.sql"
    cat "$W/out"
}
# measure VAR CMD...: run CMD in this shell, its seconds (by CLOCK) into VAR
# (the CPU clock is read outside the wall clock's window: reading it writes a file)
measure() {
    local __var=$1 w0 c0
    shift
    cpu_ms; c0=$CPU_MS
    wall_us; w0=$WALL_US
    "$@"
    wall_us
    cpu_ms
    if [ "$CLOCK" = cpu ]; then
        printf -v "$__var" '%s' "$(calc "($CPU_MS - $c0) / 1000")"
    else
        printf -v "$__var" '%s' "$(calc "($WALL_US - $w0) / 1000000")"
    fi
}
# stats FILE: "median best" of the numbers in FILE, one a line
stats() { sort -g "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.12g %.12g\n", m, v[1] }'; }
id_at() { sed -n "${1}p" "$W/gen/ids.txt"; }
fresh_db() {
    rm -f "$1" "$1-journal" "$1-wal" "$1-shm"
    sq "schema for $1" "$1" "$W/gen/schema.sql"
}
# check_log LABEL DB n: bench_log holds exactly the n bodies' rows
check_log() {
    local got want
    got=$(q "$2" "SELECT count(*) || ' ' || coalesce(sum(n),0) FROM bench_log;")
    want="$3 $(( $3 * ($3 + 1) / 2 ))"
    [ "$got" = "$want" ] || { echo "bench_log count sum: got '$got', want '$want'" >"$W/err"; : >"$W/out"; fail "$1: wrong bench_log contents"; }
}
# check_current LABEL n: the last output is `<id of n> (head)`
check_current() {
    local want
    want="$(id_at "$2") (head)"
    [ "$(cat "$W/out")" = "$want" ] || { echo "mig current printed '$(cat "$W/out")', want '$want'" >"$W/err"; fail "$1"; }
}

row() { printf '  %-52s %10s %10s %9s  %s\n' "$@"; }
ms() { printf '%.2f' "$(calc "$1 * 1000")"; }
sec() { printf '%.4f' "$1"; }
ratio() { printf '%.2fx' "$(calc "$1 / $2")"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
GOALS=()

# ---------------------------------------------------------------- generate

# mig projects: SMALL, N, and every Alembic size (for a like-for-like ratio)
# shellcheck disable=SC2086
SIZES=$(printf '%s\n' "$SMALL" "$N" $ALEMBIC_AT | sort -un | tr '\n' ' ')
progress "generating a chain of $N revisions in $W"
mkdir "$W/gen"
"$PY" "$HERE/gen_chain.py" "$W/gen" --upload "$N" --revs "$N" || die "generation failed"
# the extension-only reference: the same uploads and the upgrade in one transaction
sed '$d' "$W/gen/upload_$N.sql" >"$W/ext_upgrade.sql"
[ "$(tail -n 1 "$W/gen/upload_$N.sql")" = "COMMIT;" ] || die "unexpected end of upload_$N.sql"
printf '%s\n' "SELECT mig_upgrade('head');" "COMMIT;" >>"$W/ext_upgrade.sql"

# project P_n: mig.ini and versions/ with the first n revision files
make_project() {
    local n=$1 p=$W/p_$1
    mkdir -p "$p/versions"
    printf '[mig]\nurl = sqlite:mig.db\nversions = versions\n' >"$p/mig.ini"
    local files=("$W/gen/revs/"*.sql)   # sorted: 000001_<id>.sql, ...
    cp -t "$p/versions/" "${files[@]:0:$n}"
    files=("$p/versions/"*.sql)
    [ "${#files[@]}" = "$n" ] || die "project $n: wrong number of files"
}
for n in $SIZES; do make_project "$n"; done
for n in $ALEMBIC_AT; do
    progress "generating the Alembic project of $n revisions"
    mkdir "$W/al_$n"
    "$PY" "$HERE/gen_chain.py" "$W/al_$n" --alembic "$n" || die "Alembic generation failed"
    # bytecode compiled untimed, as in a project in use
    run "compiling the Alembic scripts ($n)" "$PY" -m compileall -q "$W/al_$n/alembic/versions"
done
progress "sync"
sync

# ---------------------------------------------------------------- header

echo "mig client benchmark  N=$N  SMALL=$SMALL  REPS=$REPS  REPEAT=$REPEAT  $(date -u '+%Y-%m-%d %H:%M UTC')"
# shellcheck disable=SC1091
echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), SQLite $("$SQLITE3" --version | cut -d' ' -f1)"
echo "client: $MIG_SRC ($(date -r "$MIG_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$MIG" | cut -c1-12))"
echo "extension: $EXT_SRC ($(date -r "$EXT_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$W/mig.so" | cut -c1-12))"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOAD > $(nproc)) }"; then
    echo "WARNING: load average $LOAD on $(nproc) cores: other work is running, the figures are noisy"
fi
if [ "$CLOCK" = cpu ]; then
    echo "times: CPU (user + system) of the process; each a whole process (mig, sqlite3 or python)"
else
    echo "times: wall clock; each a whole process (mig, sqlite3 or python)"
fi

# ---------------------------------------------------------------- setup

for n in $SIZES; do
    progress "mig upgrade head on the project of $n revisions"
    fresh_db "$W/p_$n/mig.db"
    run "setup: mig upgrade head ($n)" "$MIG" -c "$W/p_$n/mig.ini" -q upgrade head
    check_log "setup: mig upgrade head ($n)" "$W/p_$n/mig.db" "$n"
    run "setup: mig current ($n)" "$MIG" -c "$W/p_$n/mig.ini" current
    check_current "setup: mig current ($n)" "$n"
done

# ---------------------------------------------------------------- 1. mig current

echo
echo "1. mig current: one process per run, $REPS runs at each size, interleaved"
if [ "$CLOCK" = cpu ]; then
    row "" "mean ms" "" "vs $SMALL" ""
else
    row "" "median ms" "best ms" "vs $SMALL" ""
fi
progress "mig current x $REPS at $SIZES"
declare -A CUR CURBEST
for n in $SIZES version; do : >"$W/t_$n"; done
for ((k = 0; k < REPS; k++)); do
    for n in $SIZES version; do
        if [ "$n" = version ]; then
            measure t run "mig --version" "$MIG" --version
        else
            measure t run "mig current ($n)" "$MIG" -c "$W/p_$n/mig.ini" current
            check_current "mig current ($n)" "$n"
        fi
        echo "$t" >>"$W/t_$n"
    done
done
for n in version $SIZES; do
    if [ "$CLOCK" = cpu ]; then
        CUR[$n]=$(awk '{ s += $1 } END { printf "%.12g", s / NR }' "$W/t_$n"); CURBEST[$n]=""
    else
        read -r "CUR[$n]" "CURBEST[$n]" < <(stats "$W/t_$n")
    fi
done
row "mig --version (process start, no database)" "$(ms "${CUR[version]}")" "${CURBEST[version]:+$(ms "${CURBEST[version]}")}" "" ""
for n in $SIZES; do
    row "mig current at $n applied revisions" "$(ms "${CUR[$n]}")" "${CURBEST[$n]:+$(ms "${CURBEST[$n]}")}" "$(ratio "${CUR[$n]}" "${CUR[$SMALL]}")" ""
done
R=$(calc "${CUR[$N]} / ${CUR[$SMALL]}")
row "mig current, $N / $SMALL revisions" "" "" "$(printf '%.2fx' "$R")" "goal <= 1.5x: $(verdict "$R <= 1.5")"
GOALS+=("mig current, $N vs $SMALL revisions|$(printf '%.2fx' "$R")|<= 1.5x|$(verdict "$R <= 1.5")")

# ---------------------------------------------------------------- 2. Alembic

if [ -n "$ALEMBIC_AT" ]; then
    ALEMBIC_VERSION=$("$PY" -c 'import alembic; print(alembic.__version__)')
    echo
    echo "2. alembic current (Alembic $ALEMBIC_VERSION, $PY -m alembic) on the same chain, against mig current"
    row "" "seconds" "mig ms" "Alembic/mig" ""
    for n in $ALEMBIC_AT; do
        A=$W/al_$n
        fresh_db "$A/alembic.db"
        progress "alembic upgrade head ($n, untimed)"
        run "alembic upgrade head ($n)" "$PY" -m alembic -c "$A/alembic/alembic.ini" upgrade head
        check_log "alembic upgrade head ($n)" "$A/alembic.db" "$n"
        reps=$ALEMBIC_REPS
        [ "$n" -le 100 ] || reps=1
        best=""
        progress "alembic current ($n) x $reps"
        for ((k = 0; k < reps; k++)); do
            measure t run "alembic current ($n)" "$PY" -m alembic -c "$A/alembic/alembic.ini" current
            grep -qx "$(id_at "$n") (head)" "$W/out" || { cp "$W/out" "$W/err"; fail "alembic current ($n): unexpected output"; }
            best=$(fmin "$best" "$t")
        done
        row "alembic current at $n revisions (best of $reps)" "$(sec "$best")" "$(ms "${CUR[$n]}")" "$(ratio "$best" "${CUR[$n]}")" ""
        if [ "$n" = 100 ]; then
            R=$(calc "$best / ${CUR[$n]}")
            row "alembic current / mig current, at 100" "" "" "$(printf '%.1fx' "$R")" "goal >= 100x: $(verdict "$R >= 100")"
            GOALS+=("alembic current / mig current, at 100|$(printf '%.1fx' "$R")|>= 100x|$(verdict "$R >= 100")")
        fi
    done
fi

# ---------------------------------------------------------------- 3. no-op upgrade

echo
echo "3. no-op mig upgrade head at $N revisions (the database at head, the files unchanged)"
P=$W/p_$N
state() {  # rows of mig_history and mig_revision, last upload, version rows
    q "$P/mig.db" "SELECT (SELECT count(*) FROM mig_history) || '|' || (SELECT count(*) FROM mig_revision) || '|' || (SELECT max(uploaded_at) FROM mig_revision) || '|' || (SELECT group_concat(version_num) FROM mig_version);"
}
S0=$(state)
H0=$(sha1sum <"$P/mig.db")
run "no-op mig upgrade head --json" "$MIG" -c "$P/mig.ini" upgrade head --json
"$PY" - "$W/out" <<'EOF' >"$W/err" 2>&1 || fail "no-op mig upgrade head --json: pushed or ran something"
import json, sys
r = json.load(open(sys.argv[1]))
bad = [k for k in ("pushed", "ran") if r.get(k) != []]
if bad or r.get("steps") != 0:
    print("pushed=%r ran=%r steps=%r" % (r.get("pushed"), r.get("ran"), r.get("steps")))
    sys.exit(1)
EOF
progress "no-op mig upgrade head x $NOOP_REPS, mig heads x $NOOP_REPS"
: >"$W/t_noop"; : >"$W/t_heads"
for ((k = 0; k < NOOP_REPS; k++)); do
    measure t run "no-op mig upgrade head" "$MIG" -c "$P/mig.ini" upgrade head
    grep -q '^Nothing to upgrade' "$W/out" || fail "no-op mig upgrade head: unexpected output"
    echo "$t" >>"$W/t_noop"
    measure t run "mig heads" "$MIG" -c "$P/mig.ini" heads
    echo "$t" >>"$W/t_heads"
done
S1=$(state)
H1=$(sha1sum <"$P/mig.db")
[ "$S0" = "$S1" ] || { echo "before: $S0; after: $S1" >"$W/err"; : >"$W/out"; fail "no-op mig upgrade head changed the state"; }
if [ "$CLOCK" = cpu ]; then
    T_NOOP=$(awk '{ s += $1 } END { printf "%.12g", s / NR }' "$W/t_noop")
    T_HEADS=$(awk '{ s += $1 } END { printf "%.12g", s / NR }' "$W/t_heads")
    row "" "mean ms" "" "us/file" ""
else
    read -r T_NOOP _ < <(stats "$W/t_noop")
    read -r T_HEADS _ < <(stats "$W/t_heads")
    row "" "median ms" "" "us/file" ""
fi
row "mig heads (read + parse the files, graph; no database)" "$(ms "$T_HEADS")" "" "$(printf '%.1f' "$(calc "$T_HEADS * 1000000 / $N")")" ""
row "mig upgrade head, nothing to do" "$(ms "$T_NOOP")" "" "$(printf '%.1f' "$(calc "$T_NOOP * 1000000 / $N")")" ""
row "  of which the database (difference)" "$(ms "$(calc "$T_NOOP - $T_HEADS")")" "" "" ""
IFS='|' read -r h r u v <<<"$S1"
row "--json: \"pushed\": [], \"ran\": [], \"steps\": 0" "" "" "" "ok"
row "mig_history rows, mig_revision rows (unchanged)" "" "" "" "$h, $r: ok"
row "max(uploaded_at) in mig_revision (unchanged)" "" "" "" "$u: ok"
if [ "$H0" = "$H1" ]; then
    row "the database file, byte for byte" "" "" "" "unchanged"
else
    row "the database file, byte for byte" "" "" "" "CHANGED (same rows: a rewritten page or header)"
fi

# ---------------------------------------------------------------- 4. full upgrade

echo
echo "4. full upgrade of $N revisions into a fresh SQLite file (bench_log created first), best of $REPEAT"
DB=$W/full.db
B_CLI="" B_CLIQ="" B_EXT=""
for ((k = 0; k < REPEAT; k++)); do
    progress "full upgrade, run $((k + 1)) of $REPEAT"
    fresh_db "$DB"
    measure t run "sqlite3: upload + mig_upgrade('head'), one transaction" \
        "$SQLITE3" -bail -batch -cmd ".load \"$MIG_EXT\"" "$DB" <"$W/ext_upgrade.sql"
    [ "$(tail -n 1 "$W/out")" = "$(id_at "$N")" ] || fail "sqlite3 mig_upgrade: unexpected result"
    check_log "sqlite3 mig_upgrade" "$DB" "$N"
    B_EXT=$(fmin "$B_EXT" "$t")

    fresh_db "$P/mig.db"
    measure t run "mig upgrade head (full)" "$MIG" -c "$P/mig.ini" upgrade head
    [ "$(grep -c '^Running upgrade ' "$W/out")" = "$N" ] || fail "mig upgrade head: not $N steps printed"
    check_log "mig upgrade head (full)" "$P/mig.db" "$N"
    B_CLI=$(fmin "$B_CLI" "$t")

    fresh_db "$P/mig.db"
    measure t run "mig -q upgrade head (full)" "$MIG" -c "$P/mig.ini" -q upgrade head
    check_log "mig -q upgrade head (full)" "$P/mig.db" "$N"
    B_CLIQ=$(fmin "$B_CLIQ" "$t")
done
run "mig current after the full upgrade" "$MIG" -c "$P/mig.ini" current
check_current "mig current after the full upgrade" "$N"
row "" "seconds" "us/rev" "ratio" ""
row "sqlite3 + .load mig: $N x mig_put_revision, mig_upgrade" "$(sec "$B_EXT")" "$(printf '%.1f' "$(calc "$B_EXT * 1000000 / $N")")" "1.00x" ""
row "mig upgrade head (reads the files; prints each step)" "$(sec "$B_CLI")" "$(printf '%.1f' "$(calc "$B_CLI * 1000000 / $N")")" "$(ratio "$B_CLI" "$B_EXT")" ""
row "mig -q upgrade head (the same, quiet)" "$(sec "$B_CLIQ")" "$(printf '%.1f' "$(calc "$B_CLIQ * 1000000 / $N")")" "$(ratio "$B_CLIQ" "$B_EXT")" ""
R=$(calc "$B_CLI / $B_EXT")
row "mig upgrade head / extension alone" "" "" "$(printf '%.2fx' "$R")" "goal <= 2x: $(verdict "$R <= 2")"
GOALS+=("full upgrade, client / extension alone, $N|$(printf '%.2fx' "$R")|<= 2x|$(verdict "$R <= 2")")

echo
echo "goals"
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got goal ok <<<"$g"
    printf '  %-52s %10s  %-10s %s\n' "$what" "$got" "$goal" "$ok"
done

#!/usr/bin/env bash
# bench/schema.sh — the cost of mig_snapshot(), mig_snapshot_sql() and
# mig_diff() on a large SQLite schema (2,000 tables, 6,000 indexes, 200
# views), against the floor (the sqlite3 shell printing the same schema with
# .schema) and against Alembic 1.8.1's autogenerate compare (MetaData.reflect
# + compare_metadata), all measured in one run. See bench/README.md
# ("Schema snapshot and diff").
#
# Environment (all optional):
#   TABLES=2000        tables of the generated schema (3 indexes each, a view
#                      per 10 tables)
#   EDIT_PCT=1         percent of the tables changed in the edited schema
#                      (one column added, one index dropped on each)
#   REPEAT=5           runs of each mig phase, interleaved; the lowest CPU
#                      time is kept
#   ALEMBIC_REPEAT=1   reflect + compare runs inside each Alembic process
#                      (about 20 s each at 2,000 tables); the lowest is kept
#   SKIP_ALEMBIC=1     no Alembic rows
#   SQLITE3=sqlite3    the shell
#   MIG_EXT=<repo>/sqlite_ext/mig   the extension to .load (a private copy
#                      is loaded)
#   PY=/usr/bin/python3  python for the generator and Alembic
#   KEEP=1             keep the temporary directory (its path is printed)
set -euo pipefail

TABLES=${TABLES:-2000}
EDIT_PCT=${EDIT_PCT:-1}
REPEAT=${REPEAT:-5}
ALEMBIC_REPEAT=${ALEMBIC_REPEAT:-1}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
SQLITE3=${SQLITE3:-sqlite3}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG_EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig}
TIME=/usr/bin/time

GOAL_FLOOR=5      # snapshot, and snapshot + diff (autogenerate), against .schema

# ---------------------------------------------------------------- helpers

. "$HERE/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, thou, cpu_ms
verdict() { if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi; }

for v in TABLES EDIT_PCT REPEAT ALEMBIC_REPEAT; do is_int "${!v}" || die "$v must be a positive integer"; done
[ "$TABLES" -ge 10 ] || die "TABLES must be at least 10"
[ "$EDIT_PCT" -le 100 ] || die "EDIT_PCT must be at most 100"

command -v "$SQLITE3" >/dev/null || die "no sqlite3 shell ($SQLITE3)"
[ -x "$PY" ] || die "no python at $PY (set PY)"
if [ -f "$MIG_EXT.so" ]; then EXT_FILE=$MIG_EXT.so
elif [ -f "$MIG_EXT" ]; then EXT_FILE=$MIG_EXT
else die "extension $MIG_EXT(.so) not found; build it with: make -C $ROOT"
fi
HAVE_TIME=1
[ -x "$TIME" ] || HAVE_TIME=0
ALEMBIC=skipped
if [ "$SKIP_ALEMBIC" != 1 ]; then
    if "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null; then
        ALEMBIC=$("$PY" -c 'import alembic, sqlalchemy; print("Alembic", alembic.__version__, "/ SQLAlchemy", sqlalchemy.__version__)')
    else
        ALEMBIC="skipped (Alembic not installed)"
    fi
else
    ALEMBIC="skipped (SKIP_ALEMBIC=1)"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-bench-schema.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "schema.sh: files kept in $W" >&2
    else rm -rf "$W"; fi
}
trap cleanup EXIT

# load a private copy, so a rebuild during the run cannot mix two builds
cp "$EXT_FILE" "$W/mig.so"
EXT=$W/mig
EXT_BUILT=$(date -r "$EXT_FILE" '+built %Y-%m-%d %H:%M')

# sq LABEL DB ARG...: one sqlite3 shell on DB with the arguments (dot
# commands, SQL), stdout into $W/out; any error (exit status or a message on
# stderr) fails the benchmark
sq() {
    local label=$1 db=$2
    shift 2
    if ! "$SQLITE3" -bail -batch "$db" "$@" >"$W/out" 2>"$W/err" || [ -s "$W/err" ]; then
        fail "$label"
    fi
}

# The functions measured must exist: until they land, say which is missing.
sq "load the extension" :memory: ".load \"$EXT\"" \
    "SELECT name FROM pragma_function_list WHERE name IN ('mig_snapshot', 'mig_snapshot_sql', 'mig_diff')"
missing=()
for f in mig_snapshot mig_snapshot_sql mig_diff; do
    grep -qx "$f" "$W/out" || missing+=("$f()")
done
[ "${#missing[@]}" = 0 ] \
    || die "missing from the extension $EXT_FILE: ${missing[*]} (not built yet? make builds the current tree)"

# ---------------------------------------------------------------- inputs

progress "generating $TABLES tables into $W"
"$PY" "$HERE/schema_gen.py" schema "$TABLES" >"$W/gen.sql" || die "schema_gen.py failed"
"$PY" "$HERE/schema_gen.py" edit "$TABLES" "$EDIT_PCT" >"$W/edit.sql" || die "schema_gen.py edit failed"
{ echo "BEGIN;"; cat "$W/gen.sql"; echo "COMMIT;"; } >"$W/build.sql"
"$SQLITE3" -bail -batch "$W/a.db" <"$W/build.sql" >"$W/out" 2>"$W/err" && ! [ -s "$W/err" ] || fail "building the schema"
cp "$W/a.db" "$W/b.db"
{ echo "BEGIN;"; cat "$W/edit.sql"; echo "COMMIT;"; } >"$W/edit_tx.sql"
"$SQLITE3" -bail -batch "$W/b.db" <"$W/edit_tx.sql" >"$W/out" 2>"$W/err" && ! [ -s "$W/err" ] || fail "editing the schema"
# the desired schemas as text, as .schema prints them
sq ".schema of a.db" "$W/a.db" .schema; mv "$W/out" "$W/a.schema.sql"
sq ".schema of b.db" "$W/b.db" .schema; mv "$W/out" "$W/b.schema.sql"
sq "counting" "$W/a.db" "SELECT type, count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' GROUP BY type ORDER BY type"
NTAB=$(awk -F'|' '$1 == "table" { print $2 }' "$W/out")
NIDX=$(awk -F'|' '$1 == "index" { print $2 }' "$W/out")
NVIEW=$(awk -F'|' '$1 == "view" { print $2 }' "$W/out")
EDITED=$(grep -c '^ALTER TABLE' "$W/edit.sql")

# the snapshots and diffs once, untimed, to check what the timed runs return
progress "checking the results once"
sq "mig_snapshot() of a.db" "$W/a.db" ".load \"$EXT\"" "SELECT writefile('$W/a.json', mig_snapshot())"
sq "mig_snapshot() of b.db" "$W/b.db" ".load \"$EXT\"" "SELECT writefile('$W/b.json', mig_snapshot())"
sq "mig_snapshot_sql(.schema of a.db)" :memory: ".load \"$EXT\"" \
    "SELECT writefile('$W/a_sql.json', mig_snapshot_sql(CAST(readfile('$W/a.schema.sql') AS TEXT)))"
sq "mig_diff(a, a)" :memory: ".load \"$EXT\"" \
    "SELECT writefile('$W/diff0.sql', mig_diff(CAST(readfile('$W/a.json') AS TEXT), CAST(readfile('$W/a.json') AS TEXT)))"
sq "mig_diff(a, b)" :memory: ".load \"$EXT\"" \
    "SELECT writefile('$W/diff1.sql', mig_diff(CAST(readfile('$W/a.json') AS TEXT), CAST(readfile('$W/b.json') AS TEXT)))"
sq "autogenerate, a.db to the .schema of b.db" "$W/a.db" ".load \"$EXT\"" \
    "SELECT writefile('$W/auto1.sql', mig_diff(mig_snapshot(), mig_snapshot_sql(CAST(readfile('$W/b.schema.sql') AS TEXT))))"
SNAP_BYTES=$(wc -c <"$W/a.json")
[ "$SNAP_BYTES" -gt 2 ] || { echo "empty snapshot" >"$W/err"; fail "mig_snapshot() of a.db"; }
[ ! -s "$W/diff0.sql" ] || { cp "$W/diff0.sql" "$W/out"; : >"$W/err"; fail "mig_diff(a, a) is not empty"; }
[ -s "$W/diff1.sql" ] || { : >"$W/out"; : >"$W/err"; fail "mig_diff(a, b) is empty: the edit of $EDITED tables was not seen"; }
for t in $(awk '/^ALTER TABLE/ { print $3 }' "$W/edit.sql"); do
    grep -qw "$t" "$W/diff1.sql" || { cp "$W/diff1.sql" "$W/out"; : >"$W/err"; fail "mig_diff(a, b) does not name edited table $t"; }
done
NOTES=()
cmp -s "$W/a.json" "$W/a_sql.json" \
    || NOTES+=("mig_snapshot_sql(.schema of a.db) is not byte-equal to mig_snapshot() of a.db (the spec wants equal models to give equal text)")
cmp -s "$W/diff1.sql" "$W/auto1.sql" \
    || NOTES+=("mig_diff(snapshot(a), snapshot_sql(b.schema)) differs from mig_diff(snapshot(a), snapshot(b))")
DIFF_BYTES=$(wc -c <"$W/diff1.sql")
sync "$W"

# ---------------------------------------------------------------- phases

# The timed phases, each one whole sqlite3 process with the extension loaded
A=$W/a.db
RA="CAST(readfile('$W/a.json') AS TEXT)"
RB="CAST(readfile('$W/b.json') AS TEXT)"
SA="CAST(readfile('$W/a.schema.sql') AS TEXT)"
SB="CAST(readfile('$W/b.schema.sql') AS TEXT)"
declare -A LABEL DB SQL WANT BEST
KEYS=()
US=$'\x1f'   # separates the shell arguments of a phase
phase() {  # phase KEY LABEL DB WANT ARGS: WANT is the expected output ('>0': a positive number);
           # ARGS: the shell's arguments after the .load (SQL, dot commands), separated by US
    KEYS+=("$1"); LABEL[$1]=$2; DB[$1]=$3; WANT[$1]=$4; SQL[$1]=$5
}
phase start "sqlite3 shell start + .load alone" ":memory:" 1 "SELECT 1"
phase build "SQLite alone: the .schema text run in :memory:" ":memory:" ">0" "BEGIN$US.read '$W/a.schema.sql'${US}COMMIT${US}SELECT count(*) FROM sqlite_schema"
phase snap "mig_snapshot()" "$A" ">0" "SELECT length(mig_snapshot())"
phase snapsql "mig_snapshot_sql(.schema text)" ":memory:" ">0" "SELECT length(mig_snapshot_sql($SA))"
phase diff0 "mig_diff(a, a): no change" ":memory:" 0 "SELECT length(mig_diff($RA, $RA))"
phase diff1 "mig_diff(a, b): ${EDIT_PCT}% changed" ":memory:" ">0" "SELECT length(mig_diff($RA, $RB))"
phase auto0 "snapshot + snapshot_sql + diff: no change" "$A" 0 "SELECT length(mig_diff(mig_snapshot(), mig_snapshot_sql($SA)))"
phase auto1 "snapshot + snapshot_sql + diff: ${EDIT_PCT}% changed" "$A" ">0" "SELECT length(mig_diff(mig_snapshot(), mig_snapshot_sql($SB)))"

# run_floor: `sqlite3 db .schema > /dev/null`
run_floor() {
    "$SQLITE3" -bail -batch "$A" .schema >/dev/null 2>"$W/err" && ! [ -s "$W/err" ] || fail "floor: sqlite3 db .schema"
}
# run_phase KEY: one run of the phase (under "${PRE[@]}" when set)
PRE=()
run_phase() {
    local k=$1 db=${DB[$1]} args
    IFS=$US read -r -a args <<<"${SQL[$k]}"
    if ! "${PRE[@]}" "$SQLITE3" -bail -batch "$db" ".load \"$EXT\"" "${args[@]}" >"$W/out" 2>"$W/err" || [ -s "$W/err" ]; then
        fail "${LABEL[$k]}"
    fi
}
check_out() {  # check_out KEY: the output is what the phase wants
    local k=$1 got
    got=$(cat "$W/out")
    case ${WANT[$k]} in
    ">0") [[ $got =~ ^[1-9][0-9]*$ ]] || fail "${LABEL[$k]}: returned '$got', want a positive length" ;;
    *) [ "$got" = "${WANT[$k]}" ] || fail "${LABEL[$k]}: returned '$got', want ${WANT[$k]}" ;;
    esac
}
# timed CMD...: CPU ms of CMD (run in this shell) into T_MS
timed() {
    local c0
    cpu_ms; c0=$CPU_MS
    "$@"
    cpu_ms
    T_MS=$(( CPU_MS - c0 ))
}

progress "measuring: $REPEAT runs of each mig phase, interleaved"
for ((r = 1; r <= REPEAT; r++)); do
    timed run_floor; BEST[floor]=$(fmin "${BEST[floor]:-}" "$T_MS")
    for k in "${KEYS[@]}"; do
        timed run_phase "$k"
        check_out "$k"
        BEST[$k]=$(fmin "${BEST[$k]:-}" "$T_MS")
    done
done

# peak RSS (KB) of one run each, under GNU time
declare -A RSS
if [ "$HAVE_TIME" = 1 ]; then
    progress "peak memory"
    "$TIME" -f %M -o "$W/rss" "$SQLITE3" -bail -batch "$A" .schema >/dev/null 2>"$W/err" || fail "floor under $TIME"
    RSS[floor]=$(tail -n 1 "$W/rss")
    PRE=("$TIME" -f %M -o "$W/rss")
    for k in start snap snapsql auto1; do
        run_phase "$k"
        RSS[$k]=$(tail -n 1 "$W/rss")
    done
    PRE=()
fi

# Alembic: reflect b.db (or a.db) into a MetaData, compare with a.db
declare -A AL
if [[ $ALEMBIC == Alembic* ]]; then
    progress "Alembic: python start + imports"
    timed "$PY" "$HERE/schema_alembic.py" import
    AL[import]=$T_MS
    for c in 0 1; do
        [ "$c" = 0 ] && models=a || models=b
        progress "Alembic: reflect $models.db + compare_metadata against a.db ($ALEMBIC_REPEAT run(s), about 20 s each)"
        if ! "$PY" "$HERE/schema_alembic.py" "$W/$models.db" "$W/a.db" "$ALEMBIC_REPEAT" >"$W/out" 2>"$W/err"; then
            fail "Alembic reflect + compare ($models.db against a.db)"
        fi
        line=$(tail -n 1 "$W/out")
        for f in best_ms reflect_ms diffs rss_kb; do
            v=$(sed -n "s/.*\\b$f=\\([0-9.]*\\).*/\\1/p" <<<"$line")
            [ -n "$v" ] || fail "Alembic: no $f in '$line'"
            AL[$c,$f]=$v
        done
    done
    [ "${AL[0,diffs]}" = 0 ] || fail "Alembic found ${AL[0,diffs]} differences between a.db and itself"
    [ "${AL[1,diffs]}" = $((2 * EDITED)) ] || fail "Alembic found ${AL[1,diffs]} differences for the edit, want $((2 * EDITED))"
fi

# ---------------------------------------------------------------- report

GOALS=()
goal() { GOALS+=("$1|$2|$3|$4"); }
ms() { printf '%.0f' "$1"; }
mb() { printf '%.1f' "$(calc "$1 / 1024")"; }
F=${BEST[floor]}
[ "$F" -gt 0 ] || F=1

echo
echo "schema snapshot and diff — $(date '+%Y-%m-%d %H:%M'), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) cores"
echo "sqlite3 $("$SQLITE3" -version | cut -d' ' -f1); extension $EXT_FILE ($EXT_BUILT, sha1 $(sha1sum <"$W/mig.so" | cut -c1-12))"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOAD > $(nproc)) }"; then
    echo "WARNING: load average $LOAD on $(nproc) cores: other work is running, the figures are noisy"
fi
echo "schema: $(thou "$NTAB") tables of 10 columns, $(thou "$NIDX") indexes, $(thou "$NVIEW") views; .schema text $(thou "$(wc -c <"$W/a.schema.sql")") bytes,"
echo "  snapshot JSON $(thou "$SNAP_BYTES") bytes; edited (b): $EDITED tables (${EDIT_PCT}%) with a column added and an index dropped,"
echo "  diff $(thou "$DIFF_BYTES") bytes"
echo
echo "1. CPU ms (user + system) of one sqlite3 process, best of $REPEAT; the floor is \`sqlite3 db .schema\`"
row() { printf '  %-52s %9s %9s  %s\n' "$@"; }
row "measure" "ms" "/ floor" "goal"
row "floor: sqlite3 db .schema > /dev/null" "$(ms "$F")" "1.00x" ""
for k in "${KEYS[@]}"; do
    r=$(calc "${BEST[$k]} / $F")
    g=""
    case $k in
    snap|auto0|auto1)
        v=$(verdict "$r <= $GOAL_FLOOR"); g="<= ${GOAL_FLOOR}x: $v"
        goal "${LABEL[$k]} / floor" "$(printf '%.2fx' "$r")" "<= ${GOAL_FLOOR}x" "$v" ;;
    esac
    row "${LABEL[$k]}" "$(ms "${BEST[$k]}")" "$(printf '%.2fx' "$r")" "$g"
done
# what SQLite alone spends on the work of an autogenerate: read one schema, build the other
sw=$(( BEST[floor] + BEST[build] ))
echo "  SQLite's own share of an autogenerate (floor + the build in :memory:): $(ms "$sw") ms; the 1% autogenerate"
echo "  is $(printf '%.2fx' "$(calc "${BEST[auto1]} / $sw")") of it (mig's own work: $(ms "$(calc "${BEST[auto1]} - $sw")") ms)"

echo
if [[ $ALEMBIC == Alembic* ]]; then
    echo "2. $ALEMBIC: MetaData.reflect + compare_metadata, CPU ms in the process,"
    echo "   best of $ALEMBIC_REPEAT, python start + imports ($(ms "${AL[import]}") ms) left out; mig: the snapshot + snapshot_sql
   + diff rows of 1, whole sqlite3 processes (shell start + .load included)"
    row2() { printf '  %-26s %11s %11s %9s %9s  %s\n' "$@"; }
    row2 "comparison" "Alembic ms" "(reflect)" "mig ms" "speedup" "goal"
    for c in 0 1; do
        [ "$c" = 0 ] && { lab="no change"; k=auto0; } || { lab="${EDIT_PCT}% changed"; k=auto1; }
        sp=$(calc "${AL[$c,best_ms]} / ${BEST[$k]}")
        v=$(verdict "${BEST[$k]} < ${AL[$c,best_ms]}")
        row2 "$lab" "$(ms "${AL[$c,best_ms]}")" "$(ms "${AL[$c,reflect_ms]}")" "$(ms "${BEST[$k]}")" "$(printf '%.0fx' "$sp")" "mig ahead: $v"
        goal "mig vs Alembic, $lab" "$(printf '%.0fx faster' "$sp")" "mig ahead" "$v"
    done
else
    echo "2. Alembic: $ALEMBIC"
fi

echo
if [ "$HAVE_TIME" = 1 ]; then
    echo "3. peak RSS (MB): one run each under GNU time${AL[0,rss_kb]:+; Alembic from getrusage in its process}"
    printf '  %-52s %9s\n' "floor: sqlite3 db .schema" "$(mb "${RSS[floor]}")"
    for k in start snap snapsql auto1; do printf '  %-52s %9s\n' "${LABEL[$k]}" "$(mb "${RSS[$k]}")"; done
    [ -z "${AL[1,rss_kb]:-}" ] || printf '  %-52s %9s\n' "Alembic reflect + compare, ${EDIT_PCT}% changed" "$(mb "${AL[1,rss_kb]}")"
else
    echo "3. peak RSS: skipped (no $TIME: apt-get install time)"
fi

if [ "${#NOTES[@]}" -gt 0 ]; then
    echo
    for n in "${NOTES[@]}"; do echo "NOTE: $n"; done
fi

echo
echo "goals"
missed=0
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got gl v <<<"$g"
    [ "$v" = ok ] || missed=$((missed + 1))
    printf '  %-56s %14s  %-10s %s\n' "$what" "$got" "$gl" "$v"
done
echo "  ${#GOALS[@]} goals, $missed MISSED; run took ${SECONDS} s"

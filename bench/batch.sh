#!/usr/bin/env bash
# bench/batch.sh — cost of mig_batch() on a large SQLite table, against the
# hand-written SQL (the floor), SQLite's own ALTER TABLE and Alembic's
# batch_alter_table, measured in one run. See bench/README.md.
#
# Environment (all optional):
#   ROWS=1000000     rows of table foo
#   REPEAT=3         runs of each phase, interleaved; the best (lowest) time is
#                    kept, wall and CPU each (the millisecond phases, SQLite's
#                    and mig's native RENAME/DROP COLUMN: 3 x REPEAT runs)
#   SKIP_ALEMBIC=1   skip the Alembic reference (rows of section 2, two goals)
#   MEM_NS="<ROWS/10> <ROWS>"   table sizes of the peak-memory section
#   CLOCK=wall       the clock of the goals: wall (elapsed) or cpu (user +
#                    system of the process; steadier on a busy machine, leaves
#                    out waiting for fsync). Both are printed either way.
#   INTEGRITY=1      PRAGMA integrity_check on the first result of the mig
#                    rebuild (untimed, about 5 s at 1,000,000 rows); 0: skip
#   SQLITE3=sqlite3  the sqlite3 shell to use
#   MIG_EXT=<repo>/sqlite_ext/mig   the extension to .load
#   PY=/usr/bin/python3   python with alembic + sqlalchemy (Debian's)
#   KEEP=1           keep the temporary directory (its path is printed)
set -euo pipefail

ROWS=${ROWS:-1000000}
REPEAT=${REPEAT:-3}
SKIP_ALEMBIC=${SKIP_ALEMBIC:-0}
CLOCK=${CLOCK:-wall}
INTEGRITY=${INTEGRITY:-1}
SQLITE3=${SQLITE3:-sqlite3}
PY=${PY:-/usr/bin/python3}
KEEP=${KEEP:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MIG_EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig}
TIME=/usr/bin/time

# ---------------------------------------------------------------- helpers

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # die, progress, calc, is_int, wall_us, fmin, fail, cpu_ms

for v in ROWS REPEAT; do is_int "${!v}" || die "$v must be a positive integer"; done
[ "$ROWS" -ge 10 ] || die "ROWS must be at least 10"
MEM_NS=${MEM_NS:-"$((ROWS / 10)) $ROWS"}
for n in $MEM_NS; do is_int "$n" || die "MEM_NS: bad size '$n'"; done
case $CLOCK in wall|cpu) ;; *) die "CLOCK must be wall or cpu" ;; esac

command -v "$SQLITE3" >/dev/null || die "no sqlite3 shell ($SQLITE3)"
[ -x "$TIME" ] || die "no $TIME (GNU time, Debian package time): needed for peak memory"
if [ -f "$MIG_EXT.so" ]; then EXT_FILE=$MIG_EXT.so
elif [ -f "$MIG_EXT" ]; then EXT_FILE=$MIG_EXT
else die "extension $MIG_EXT(.so) not found; build it with: make -C $ROOT"
fi
if [ "$SKIP_ALEMBIC" != 1 ]; then
    [ -x "$PY" ] || die "no python at $PY (set PY, or SKIP_ALEMBIC=1)"
    "$PY" -c 'import alembic, sqlalchemy' 2>/dev/null \
        || die "$PY has no alembic/sqlalchemy (set PY, or SKIP_ALEMBIC=1)"
    ALEMBIC_VERSION=$("$PY" -c 'import alembic, sqlalchemy; print(alembic.__version__, "/ SQLAlchemy", sqlalchemy.__version__)')
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/mig-batch-bench.XXXXXX")
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "batch.sh: files kept in $W" >&2
    else rm -rf "$W"; fi
}
trap cleanup EXIT

# load a private copy, so a rebuild during the run cannot mix two builds
EXT_SRC=$EXT_FILE
cp "$EXT_FILE" "$W/mig.so"
MIG_EXT=$W/mig


# sq LABEL DB SCRIPT [load]: run SCRIPT in the sqlite3 shell on DB, with the
# mig extension loaded first when a fourth argument is given. Any error
# (exit status or a message on stderr) fails the benchmark. With RSS_FILE
# set, the shell runs under /usr/bin/time, its peak RSS (KB) into that file.
RSS_FILE=
sq() {
    local label=$1 db=$2 script=$3
    local args=(-bail -batch)
    [ -n "${4:-}" ] && args+=(-cmd ".load \"$MIG_EXT\"")
    local pre=()
    [ -n "$RSS_FILE" ] && pre=("$TIME" -f %M -o "$RSS_FILE")
    if ! "${pre[@]}" "$SQLITE3" "${args[@]}" "$db" <"$script" >"$W/out" 2>"$W/err" \
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

# measure CMD...: run CMD in this shell; its wall and CPU seconds into
# M_WALL and M_CPU
measure() {
    local w0 c0
    wall_us; w0=$WALL_US
    cpu_ms; c0=$CPU_MS
    "$@"
    wall_us
    cpu_ms
    M_WALL=$(calc "($WALL_US - $w0) / 1000000")
    M_CPU=$(calc "($CPU_MS - $c0) / 1000")
}


# fresh DB: a copy of the generated file of n rows, flushed to disk before
# the timer starts (otherwise the run waits for the copy's writeback)
fresh() {
    local db=$W/run.db
    rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
    cp "$W/base_$1.db" "$db"
    sync "$db"
}

# ---------------------------------------------------------------- inputs

# The table. The third index is on (baz, bar), not on qux: SQLite's own
# DROP COLUMN refuses an indexed column, and the drop is meant to be the
# native case (with qux indexed, mig and Alembic both rebuild).
cat >"$W/create.sql" <<'EOF'
CREATE TABLE foo (
    foo_id INTEGER PRIMARY KEY,
    bar VARCHAR(512) NOT NULL,
    baz INTEGER,
    qux TEXT
);
EOF
cat >"$W/indexes.sql" <<'EOF'
CREATE INDEX ix_foo_bar ON foo (bar);
CREATE INDEX ix_foo_baz ON foo (baz);
CREATE INDEX ix_foo_baz_bar ON foo (baz, bar);
EOF

# gen_sql n: the whole generation, one recursive CTE. bar is 36 characters,
# unique (i * 7919 mod the prime 1000003 is a permutation), in no particular
# order; baz 0..99999; qux NULL on every tenth row.
gen_sql() {
    echo "PRAGMA journal_mode = OFF;"
    echo "PRAGMA synchronous = OFF;"
    cat "$W/create.sql"
    cat <<EOF
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
INSERT INTO foo (foo_id, bar, baz, qux)
SELECT i,
       printf('bar %07d %s', (i * 7919) % 1000003,
              substr('abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz', 1 + i % 26, 24)),
       (i * 104729) % 100000,
       CASE WHEN i % 10 = 0 THEN NULL ELSE printf('qux %d', i % 5000) END
FROM n;
EOF
    cat "$W/indexes.sql"
    echo "COMMIT;"
}

# hand_rebuild NEW_COLUMNS COPY_SQL BAR: the hand-written rebuild, as one
# transaction in the sqlite3 shell: create, copy, drop, rename, reindex
hand_rebuild() {
    cat <<EOF
BEGIN;
CREATE TABLE foo_new (
$1
);
$2
DROP TABLE foo;
ALTER TABLE foo_new RENAME TO foo;
EOF
    sed "s/\bbar\b/$3/g" "$W/indexes.sql"
    echo "COMMIT;"
}
COLS_NULL='    foo_id INTEGER PRIMARY KEY,
    bar VARCHAR(512),
    baz INTEGER,
    qux TEXT'
COLS_BAR2='    foo_id INTEGER PRIMARY KEY,
    bar2 VARCHAR(512) NOT NULL,
    baz INTEGER,
    qux TEXT'
COLS_NOQUX='    foo_id INTEGER PRIMARY KEY,
    bar VARCHAR(512) NOT NULL,
    baz INTEGER'
hand_rebuild "$COLS_NULL" "INSERT INTO foo_new SELECT * FROM foo;" bar >"$W/rb_floor.sql"
hand_rebuild "$COLS_NULL" "INSERT INTO foo_new (foo_id, bar, baz, qux) SELECT foo_id, bar, baz, qux FROM foo;" bar >"$W/rb_cols.sql"
hand_rebuild "$COLS_BAR2" "INSERT INTO foo_new SELECT * FROM foo;" bar2 >"$W/rn_hand.sql"
hand_rebuild "$COLS_NOQUX" "INSERT INTO foo_new SELECT foo_id, bar, baz FROM foo;" bar >"$W/dr_hand.sql"
echo "SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');" >"$W/rb_mig.sql"
echo "SELECT mig_batch('foo', 'RENAME COLUMN bar TO bar2');" >"$W/rn_mig.sql"
echo "SELECT mig_batch('foo', 'DROP COLUMN qux');" >"$W/dr_mig.sql"
echo "ALTER TABLE foo RENAME COLUMN bar TO bar2;" >"$W/rn_native.sql"
echo "ALTER TABLE foo DROP COLUMN qux;" >"$W/dr_native.sql"
echo "SELECT 1;" >"$W/one.sql"

# the checks after every run: columns (name:notnull:pk:type), indexes with
# their columns, no other object left, and the data (row count, rowids,
# each column's values tied to their rowid)
check_sql() {  # BAR [qux]
    local b=$1 qx="''"
    [ -n "${2:-}" ] && qx="total(length(qux)) || ' ' || total((foo_id % 1000) * length(qux))"
    cat <<EOF
SELECT (SELECT group_concat(name || ':' || "notnull" || ':' || pk || ':' || type, ',') FROM pragma_table_info('foo'));
SELECT group_concat(name || '(' || cols || ')', ' ') FROM (SELECT m.name, (SELECT group_concat(name, ',') FROM
    (SELECT name FROM pragma_index_info(m.name) ORDER BY seqno)) AS cols
    FROM sqlite_master AS m WHERE m.type = 'index' AND m.tbl_name = 'foo' ORDER BY m.name);
SELECT group_concat(type || ':' || name, ' ') FROM sqlite_master WHERE type <> 'index';
SELECT count(*) || ' ' || sum(foo_id) || ' ' || total((foo_id % 1000) * baz) || ' '
    || sum(length($b)) || ' ' || total((foo_id % 1000) * unicode(substr($b, 11, 1))) || ' ' || $qx FROM foo;
EOF
}
check_sql bar qux >"$W/check_full.sql"
check_sql bar2 qux >"$W/check_bar2.sql"
check_sql bar >"$W/check_noqux.sql"

# phases: key -> label, script (or alembic:ACTION), load mig?, expected
# output, check script, kind of expected schema
declare -A LABEL SCRIPT LOAD OUT CHECK KIND BW BC
def() { LABEL[$1]=$2 SCRIPT[$1]=$3 LOAD[$1]=$4 OUT[$1]=$5 CHECK[$1]=$6 KIND[$1]=$7; }
def rb_floor   "floor: hand-written rebuild, INSERT ... SELECT *" "$W/rb_floor.sql" "" "" check_full nullable
def rb_cols    "  same, INSERT (cols) SELECT cols (mig, changed columns)" "$W/rb_cols.sql" "" "" check_full nullable
def rb_mig     "mig_batch: ALTER COLUMN bar DROP NOT NULL"       "$W/rb_mig.sql" load rebuild check_full nullable
def rn_native  "SQLite: ALTER TABLE foo RENAME COLUMN (floor)"   "$W/rn_native.sql" "" "" check_bar2 bar2
def rn_mig     "mig_batch: RENAME COLUMN bar TO bar2"            "$W/rn_mig.sql" load native check_bar2 bar2
def rn_hand    "hand-written rebuild (reference)"                "$W/rn_hand.sql" "" "" check_bar2 bar2
def rn_alembic "Alembic batch_alter_table: alter_column"         alembic:rename "" "" check_bar2 bar2
def dr_native  "SQLite: ALTER TABLE foo DROP COLUMN (floor)"     "$W/dr_native.sql" "" "" check_noqux noqux
def dr_mig     "mig_batch: DROP COLUMN qux"                      "$W/dr_mig.sql" load native check_noqux noqux
def dr_hand    "hand-written rebuild (reference)"                "$W/dr_hand.sql" "" "" check_noqux noqux
def dr_alembic "Alembic batch_alter_table: drop_column"          alembic:drop "" "" check_noqux noqux
PHASES="rb_floor rb_cols rb_mig rn_native rn_mig rn_hand rn_alembic dr_native dr_mig dr_hand dr_alembic"
CHEAP="rn_native rn_mig dr_native dr_mig"    # milliseconds to a second: more runs
[ "$SKIP_ALEMBIC" = 1 ] && PHASES=${PHASES//rn_alembic/} && PHASES=${PHASES//dr_alembic/}

# ---------------------------------------------------------------- generate

# shellcheck disable=SC2086  # (the sizes were checked to be integers)
SIZES=$(printf '%s\n' "$ROWS" $MEM_NS | sort -un | tr '\n' ' ')
declare -A GEN_S
for n in $SIZES; do
    progress "generating foo with $n rows"
    gen_sql "$n" >"$W/gen_$n.sql"
    wall_us; w0=$WALL_US
    sq "generating $n rows" "$W/base_$n.db" "$W/gen_$n.sql"
    wall_us
    GEN_S[$n]=$(calc "($WALL_US - $w0) / 1000000")
done
progress "sync"
sync

# the expected check output of each kind, from the generated table
q "check of the generated table" "$W/base_$ROWS.db" "$(cat "$W/check_full.sql")" >"$W/base.check"
mapfile -t B <"$W/base.check"
IDX="ix_foo_bar(bar) ix_foo_baz(baz) ix_foo_baz_bar(baz,bar)"
if ! { [ "${B[0]}" = "foo_id:0:1:INTEGER,bar:1:0:VARCHAR(512),baz:0:0:INTEGER,qux:0:0:TEXT" ] \
    && [ "${B[1]}" = "$IDX" ] && [ "${B[2]}" = "table:foo" ] && [[ ${B[3]} == "$ROWS "* ]]; }; then
    cp "$W/base.check" "$W/out"; : >"$W/err"; fail "the generated table is not as expected"
fi
read -r c1 c2 c3 c4 c5 q1 q2 <<<"${B[3]}"
DATA="$c1 $c2 $c3 $c4 $c5"
declare -A EXPECT
EXPECT[nullable]="foo_id:0:1:INTEGER,bar:0:0:VARCHAR(512),baz:0:0:INTEGER,qux:0:0:TEXT
$IDX
table:foo
$DATA $q1 $q2"
EXPECT[bar2]="foo_id:0:1:INTEGER,bar2:1:0:VARCHAR(512),baz:0:0:INTEGER,qux:0:0:TEXT
${IDX//bar)/bar2)}
table:foo
$DATA $q1 $q2"
EXPECT[noqux]="foo_id:0:1:INTEGER,bar:1:0:VARCHAR(512),baz:0:0:INTEGER
$IDX
table:foo
$DATA "

# ---------------------------------------------------------------- measure

# run_phase KEY [n]: one run on a fresh copy; best times into BW/BC[KEY].
# With n (the peak-memory runs): on the table of n rows, its time not kept.
run_phase() {
    local key=$1 n=${2:-$ROWS} db=$W/run.db got
    fresh "$n"
    if [[ ${SCRIPT[$key]} == alembic:* ]]; then
        measure alembic_run "$key" "$db" "${SCRIPT[$key]#alembic:}"
    else
        measure sq "${LABEL[$key]}" "$db" "${SCRIPT[$key]}" "${LOAD[$key]}"
        got=$(cat "$W/out")
        [ "$got" = "${OUT[$key]}" ] || { echo "returned '$got', want '${OUT[$key]}'" >"$W/err"; fail "${LABEL[$key]}"; }
    fi
    [ -z "${2:-}" ] || return 0
    BW[$key]=$(fmin "${BW[$key]:-}" "$M_WALL")
    BC[$key]=$(fmin "${BC[$key]:-}" "$M_CPU")
    sq "check after ${LABEL[$key]}" "$db" "$W/${CHECK[$key]}.sql"
    if [ "$(cat "$W/out")" != "${EXPECT[${KIND[$key]}]}" ]; then
        printf 'want:\n%s\n' "${EXPECT[${KIND[$key]}]}" >"$W/err"
        fail "wrong result after: ${LABEL[$key]}"
    fi
    if [ "$key" = rb_mig ] && [ "$INTEGRITY" = 1 ] && [ -z "${CHECKED:-}" ]; then
        progress "PRAGMA integrity_check after the mig rebuild"
        [ "$(q "integrity_check after mig rebuild" "$db" "PRAGMA integrity_check;")" = ok ] \
            || fail "integrity_check after the mig rebuild"
        CHECKED=1
    fi
}

# alembic_run KEY DB ACTION
alembic_run() {
    "$PY" "$HERE/batch_alembic.py" "$2" "$3" >"$W/out" 2>"$W/err" || fail "${LABEL[$1]}"
}

echo "mig batch benchmark  ROWS=$ROWS  REPEAT=$REPEAT  $(date -u '+%Y-%m-%d %H:%M UTC')"
# shellcheck disable=SC1091
echo "machine: $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), SQLite $("$SQLITE3" --version | cut -d' ' -f1)"
echo "extension: $EXT_SRC ($(date -r "$EXT_SRC" '+built %Y-%m-%d %H:%M'), sha1 $(sha1sum <"$W/mig.so" | cut -c1-12))"
[ "$SKIP_ALEMBIC" = 1 ] || echo "Alembic $ALEMBIC_VERSION ($PY)"
echo "table foo: $ROWS rows, 3 indexes, $(( $(stat -c %s "$W/base_$ROWS.db") / 1048576 )) MB file; generated in $(printf '%.2f' "${GEN_S[$ROWS]}") s (one recursive CTE)"
LOADAVG=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk "BEGIN { exit !($LOADAVG > $(nproc)) }"; then
    echo "WARNING: load average $LOADAVG on $(nproc) cores: other work is running, the figures are noisy (CLOCK=cpu is steadier)"
fi
echo "times: seconds of one whole process (sqlite3 shell, or python for Alembic), on a"
echo "       fresh copy of the generated file; best of $REPEAT interleaved runs"
echo "       (3 x $REPEAT for the native RENAME/DROP COLUMN); wall = elapsed,"
echo "       cpu = user + system; goals judged on: $CLOCK"

# fixed costs
S0W="" S0C=""
for ((k = 0; k < 5; k++)); do
    measure sq "sqlite3 shell + .load" "$W/empty.db" "$W/one.sql" load
    S0W=$(fmin "$S0W" "$M_WALL"); S0C=$(fmin "$S0C" "$M_CPU")
done
if [ "$SKIP_ALEMBIC" != 1 ]; then
    P0W="" P0C=""
    for ((k = 0; k < REPEAT; k++)); do
        measure alembic_run rn_alembic "$W/empty.db" import
        P0W=$(fmin "$P0W" "$M_WALL"); P0C=$(fmin "$P0C" "$M_CPU")
    done
fi

for ((r = 0; r < 3 * REPEAT; r++)); do
    progress "run $((r + 1)) of $((3 * REPEAT)) ($([ "$r" -lt "$REPEAT" ] && echo all phases || echo native RENAME/DROP COLUMN only))"
    for key in $PHASES; do
        if [ "$r" -lt "$REPEAT" ] || [[ " $CHEAP " == *" $key "* ]]; then
            run_phase "$key"
        fi
    done
done

# peak memory: one run each (RSS hardly varies between runs)
declare -A RSS
RSS_FILE=$W/rss
for n in $MEM_NS; do
    progress "peak memory at $n rows"
    measure sq "shell" "$W/empty.db" "$W/one.sql"
    RSS[plain,$n]=$(cat "$RSS_FILE")
    measure sq "shell + .load" "$W/empty.db" "$W/one.sql" load
    RSS[shell,$n]=$(cat "$RSS_FILE")
    for key in rb_floor rb_mig; do
        run_phase "$key" "$n"
        RSS[$key,$n]=$(cat "$RSS_FILE")
    done
done
RSS_FILE=

# ---------------------------------------------------------------- report

GOALS=()
row() { printf '  %-52s %9s %9s %10s %10s  %s\n' "$@"; }
sec() { printf '%.3f' "$1"; }
ratio() { printf '%.2fx' "$(calc "$1 / $2")"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
# r KEY: the goal clock's best time of KEY
r() { if [ "$CLOCK" = cpu ]; then echo "${BC[$1]}"; else echo "${BW[$1]}"; fi; }
# line KEY [BASE_KEY [NOTE]]: a phase, with its ratios to BASE_KEY
line() {
    local k=$1 b=${2:-}
    if [ -n "$b" ]; then
        row "${LABEL[$k]}" "$(sec "${BW[$k]}")" "$(sec "${BC[$k]}")" \
            "$(ratio "${BW[$k]}" "${BW[$b]}")" "$(ratio "${BC[$k]}" "${BC[$b]}")" "${3:-}"
    else
        row "${LABEL[$k]}" "$(sec "${BW[$k]}")" "$(sec "${BC[$k]}")" "" "" "${3:-}"
    fi
}
# vs A B WHAT: a row with A / B only
vs() {
    row "$3" "" "" "$(ratio "${BW[$1]}" "${BW[$2]}")" "$(ratio "${BC[$1]}" "${BC[$2]}")" "${4:-}"
}

echo
echo "1. rebuild: ALTER COLUMN bar DROP NOT NULL ($ROWS rows)"
row "" "wall s" "cpu s" "vs floor" "(cpu)" ""
line rb_floor rb_floor
line rb_cols rb_floor "no transfer optimization"
R=$(calc "$(r rb_mig) / $(r rb_floor)")
line rb_mig rb_floor "goal <= 1.05x ($CLOCK): $(verdict "$R <= 1.05")"
GOALS+=("rebuild: mig / hand-written floor|$(printf '%.2fx' "$R")|<= 1.05x|$(verdict "$R <= 1.05")")
row "  mig / the same with INSERT (cols)" "" "" "$(ratio "${BW[rb_mig]}" "${BW[rb_cols]}")" "$(ratio "${BC[rb_mig]}" "${BC[rb_cols]}")" ""
row "(sqlite3 shell start + .load alone)" "$(sec "$S0W")" "$(sec "$S0C")" "" "" ""

for what in rn dr; do
    echo
    if [ "$what" = rn ]; then
        echo "2a. RENAME COLUMN bar TO bar2 (SQLite renames natively; mig_batch returns 'native')"
        goal=20
    else
        echo "2b. DROP COLUMN qux (not indexed: SQLite drops it natively, rewriting every row; 'native')"
        goal=3
    fi
    row "" "wall s" "cpu s" "vs floor" "(cpu)" ""
    line ${what}_native ${what}_native
    line ${what}_mig ${what}_native
    line ${what}_hand ${what}_native
    if [ "$SKIP_ALEMBIC" != 1 ]; then
        line ${what}_alembic ${what}_native
        R=$(calc "$(r ${what}_alembic) / $(r ${what}_mig)")
        vs ${what}_alembic ${what}_mig "  Alembic / mig" "goal >= ${goal}x ($CLOCK): $(verdict "$R >= $goal")"
        vs ${what}_alembic ${what}_hand "  Alembic / hand-written rebuild"
        vs ${what}_hand ${what}_mig "  hand-written rebuild / mig"
        GOALS+=("${LABEL[${what}_mig]#mig_batch: }: Alembic / mig|$(printf '%.1fx' "$R")|>= ${goal}x|$(verdict "$R >= $goal")")
    else
        GOALS+=("${LABEL[${what}_mig]#mig_batch: }: Alembic / mig|n/a|>= ${goal}x|skipped (SKIP_ALEMBIC=1)")
    fi
done
if [ "$SKIP_ALEMBIC" != 1 ]; then
    row "(python start + import alembic, sqlalchemy alone)" "$(sec "$P0W")" "$(sec "$P0C")" "" "" ""
fi

echo
echo "3. peak memory (max RSS, /usr/bin/time -f %M, KB), one run each"
# shellcheck disable=SC2086
set -- $MEM_NS
FIRST_N=$1
LAST_N=${!#}
printf '  %-52s' ""
for n in $MEM_NS; do printf ' %12s' "$n rows"; done
printf ' %12s\n' "last/first"
for key in plain shell rb_floor rb_mig; do
    case $key in
        plain) label="sqlite3 shell, SELECT 1" ;;
        shell) label="sqlite3 shell + .load, SELECT 1" ;;
        rb_floor) label="floor: hand-written rebuild" ;;
        rb_mig) label="mig_batch rebuild (DROP NOT NULL)" ;;
    esac
    printf '  %-52s' "$label"
    for n in $MEM_NS; do printf ' %12s' "${RSS[$key,$n]}"; done
    printf ' %12s' "$(ratio "${RSS[$key,$LAST_N]}" "${RSS[$key,$FIRST_N]}")"
    if [ "$key" = rb_mig ] && [ "$LAST_N" != "$FIRST_N" ]; then
        R=$(calc "${RSS[rb_mig,$LAST_N]} / ${RSS[rb_mig,$FIRST_N]}")
        printf '  goal ~1x (<= 1.1x): %s' "$(verdict "$R <= 1.1")"
        GOALS+=("rebuild peak RSS, $LAST_N vs $FIRST_N rows|$(printf '%.2fx' "$R")|~1x (<= 1.1x)|$(verdict "$R <= 1.1")")
    fi
    printf '\n'
done
printf '  %-52s' "mig rebuild - floor"
for n in $MEM_NS; do printf ' %12s' "$(( RSS[rb_mig,$n] - RSS[rb_floor,$n] ))"; done
printf '\n'
printf '  %-52s' "  of which .load (shell + .load - shell)"
for n in $MEM_NS; do printf ' %12s' "$(( RSS[shell,$n] - RSS[plain,$n] ))"; done
printf '\n'

echo
echo "goals ($CLOCK clock)"
for g in "${GOALS[@]}"; do
    IFS='|' read -r what got goal ok <<<"$g"
    printf '  %-50s %10s  %-14s %s\n' "$what" "$got" "$goal" "$ok"
done

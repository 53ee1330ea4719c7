#!/bin/bash
# libFuzzer targets (TAP): each target of tests/fuzz/ is built with
# clang -fsanitize=fuzzer,address,undefined into tests/tmp/fuzz/ and run
# from its seed corpus
# tests/fuzz/corpus/<target>/ (which also holds the regression inputs of
# fixed bugs) with its dictionary tests/fuzz/<target>.dict when there is one.
# One test per target.  split_sqlite and split_pg are differential: they
# compare core/sqltok's split with SQLite's and PostgreSQL's own tokenizers
# (libsqlite3, libpg_query from libpg-query-dev).  schema and schemadiff
# check the schema model's JSON round trip and the diff's CREATE renderer
# (its statements read back to the same model).
#
# Then one TODO test per reproducer of an open, reported core bug in
# tests/fuzz/corpus/known/<target>/, and one test per regression
# program tests/fuzz/repro_*.c of a fixed bug (each must exit 0).
#
# By default (make test) each target runs every input of its corpus once,
# the seeds and the regression inputs of fixed bugs: the same inputs and
# the same outcome on every machine.  Mutating from a fixed seed is not
# reproducible across runs (libFuzzer's choices follow the comparisons it
# traces, and those follow heap addresses), so it found bugs on one
# machine and not on another; it runs only when asked:
#   MIG_LONG=1 (or MIG_FUZZ_RUNS=1)  a fixed number of mutations per target
#                                    from -seed=1 (RUNS below, 5 to 20 s each)
#   MIG_FUZZ_TIME=N                  N seconds per target from a random seed,
#                                    to look for new bugs
# (see tests/fuzz/README.md); what they find goes into the corpus.
#
# Skips cleanly only when clang is missing.
cd "$(dirname "$0")/../.." || exit 1
T=tests/tmp/fuzz
TIME=${MIG_FUZZ_TIME:-}
MUTATE=${MIG_FUZZ_RUNS:-${MIG_LONG:-}}
declare -A RUNS=([sqltok]=150000 [revfile]=100000 [target]=25000 [opts]=300000 [ddl]=200000 [batch]=300000
    [split_sqlite]=100000 [split_pg]=400000 [schema]=80000 [schemadiff]=25000 [schemadiff_pg]=8000)
CC_FUZZ=${CLANG:-clang}
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -Icore"

targets=(sqltok revfile target opts ddl batch split_sqlite split_pg schema schemadiff schemadiff_pg)
declare -A SRC=(
    [sqltok]="core/sqltok.c"
    [revfile]="core/mig_base.c core/revfile.c"
    [target]="core/mig_base.c core/graph.c core/plan.c"
    [opts]="core/mig_base.c core/opts.c core/revfile.c"
    [ddl]="core/mig_base.c core/ddl.c"
    [batch]="core/mig_base.c core/ddl.c core/batch.c"
    [split_sqlite]="core/sqltok.c"
    [split_pg]="core/sqltok.c"
    [schema]="core/mig_base.c core/sqltok.c core/ddl.c core/schema.c"
    [schemadiff]="core/mig_base.c core/sqltok.c core/ddl.c core/schema.c core/schemadiff.c"
    [schemadiff_pg]="core/mig_base.c core/schemadiff_pg.c"
)
LIBS="-lcrypto -ljansson"
# extra libraries of a target
declare -A LINK=(
    [split_sqlite]="-lsqlite3"
    [split_pg]="-lpg_query"
)
# targets built with the project's warnings as errors
declare -A STRICT=([sqltok]=1 [split_sqlite]=1 [split_pg]=1)
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2"

known=()
for t in "${targets[@]}"; do
    for f in tests/fuzz/corpus/known/"$t"/*; do
        [ -f "$f" ] && known+=("$t:$f")
    done
done
repros=(tests/fuzz/repro_*.c)
[ -e "${repros[0]}" ] || repros=()

plan=$((${#targets[@]} + ${#known[@]} + ${#repros[@]}))
echo "1..$plan"

if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
    for i in $(seq 1 $plan); do echo "ok $i # SKIP clang missing"; done
    exit 0
fi

rm -rf "$T"
mkdir -p "$T"
n=0
fails=0
indent() { sed -e 's/^# /    # /' -e t -e 's/^/    # /'; }

build() { # build TARGET
    local t=$1 w=
    [ -n "${STRICT[$t]}" ] && w=$WARN
    # shellcheck disable=SC2086
    $CC_FUZZ $FLAGS $w -o "$T/fuzz_$t" "tests/fuzz/fuzz_$t.c" ${SRC[$t]} $LIBS ${LINK[$t]} >"$T/$t.build" 2>&1
}

for t in "${targets[@]}"; do
    n=$((n + 1))
    if ! build "$t"; then
        indent <"$T/$t.build"
        echo "not ok $n - fuzz_$t (build failed)"
        fails=$((fails + 1))
        continue
    fi
    work="$T/$t.corpus"
    mkdir -p "$work"
    # The seeds go in as a sorted list (-seed_inputs): libFuzzer orders a
    # directory's files by size and then by the directory's own order,
    # which differs between file systems, so with a directory the same
    # seed took other paths on another machine.
    seeds=()
    if [ -d "tests/fuzz/corpus/$t" ]; then
        find "tests/fuzz/corpus/$t" -type f | LC_ALL=C sort | paste -sd, >"$T/$t.seeds"
        [ -s "$T/$t.seeds" ] && seeds=("-seed_inputs=@$T/$t.seeds")
    fi
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
    start=$(date +%s)
    if [ -n "$TIME" ]; then
        budget=(-max_total_time="$TIME")
    elif [ -n "$MUTATE" ] && [ "$MUTATE" != 0 ]; then
        budget=(-seed=1 -runs="${RUNS[$t]:-20000}" -max_total_time=120)
    else
        budget=(-runs=0)
    fi
    what=
    [ "${budget[0]}" = -runs=0 ] && what=" (its corpus)"
    "$T/fuzz_$t" "${dict[@]}" "${budget[@]}" "${seeds[@]}" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$T/$t-" "$work" >"$T/$t.log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$t.log")
    if [ $rc -ne 0 ]; then
        grep -v '^#[0-9]' "$T/$t.log" | tail -60 | indent
        for a in "$T/$t"-*; do
            [ -f "$a" ] && echo "    # reproducer: $a ($(od -An -c "$a" | head -c 300 | tr -s ' \n' ' '))"
        done
        echo "not ok $n - fuzz_$t found a problem after ${secs}s (rc $rc)"
        fails=$((fails + 1))
    else
        echo "ok $n - fuzz_$t: ${execs:-?} executions in ${secs}s, no crash, no invariant violated$what"
    fi
done

for k in "${known[@]}"; do
    t=${k%%:*}
    f=${k#*:}
    n=$((n + 1))
    if [ ! -x "$T/fuzz_$t" ]; then
        echo "not ok $n - known bug $f # TODO fuzz_$t did not build"
        continue
    fi
    if MIG_FUZZ_STRICT=1 "$T/fuzz_$t" "$f" >"$T/known.log" 2>&1; then
        echo "ok $n - known bug $f no longer reproduces # TODO fixed? move it to tests/fuzz/corpus/$t/ and drop the workaround in fuzz_$t.c"
    else
        grep -E 'runtime error|invariant violated|fuzz target exited|ERROR: AddressSanitizer' "$T/known.log" | head -3 | indent
        echo "not ok $n - known bug $f still reproduces # TODO reported core bug"
    fi
done

for r in "${repros[@]}"; do
    n=$((n + 1))
    b="$T/$(basename "$r" .c)"
    if ! $CC_FUZZ -g -D_GNU_SOURCE -Icore -o "$b" "$r" core/*.c $LIBS >"$b.build" 2>&1; then
        indent <"$b.build"
        echo "not ok $n - $r # TODO does not build"
    elif "$b" >"$b.log" 2>&1; then
        echo "ok $n - $r: regression of a fixed out-of-memory bug"
    else
        echo "not ok $n - $r reproduces again (status $?)"
    fi
done

exit $((fails > 0))

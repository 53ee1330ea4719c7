#!/bin/bash
# Static analysis (TAP): clang's static analyzer (clang --analyze) and
# cppcheck over core/, client/, sqlite_ext/ and pg_ext/.  Any finding fails.
#
#  1-4  clang --analyze, one test per part; each C file is analyzed with the
#       flags it is built with (the client with SQLITE_CORE and the SQLite
#       extension compiled in; pg_ext with PostgreSQL's server headers from
#       `pg_config --includedir-server` and USE_ASSERT_CHECKING, so that an
#       Assert() tells the analyzer what the code relies on);
#  5    cppcheck, one whole-program run over the same files with the same
#       flags (a compile_commands.json in tests/tmp/analyze/), so that it
#       also finds functions nothing calls (unusedFunction; the unit tests
#       tests/core/*.c count as callers) and cross-file uses.
#
# Suppressions are for false positives only; each says why: in the code as
# a `cppcheck-suppress ID` comment on the line before, or below (SUPPRESS).
# A tool that is missing skips its tests (make deps installs both: clang,
# cppcheck).  Run by hand: prove -v tests/run/05-analyze.t
cd "$(dirname "$0")/../.." || exit 1
T=tests/tmp/analyze
CLANG=${CLANG:-clang}
CPPCHECK=${CPPCHECK:-cppcheck}
PG_CONFIG=${PG_CONFIG:-pg_config}
n=0
fails=0
echo "1..5"

ok() { # ok STATUS DESCRIPTION [OUTPUT]
    n=$((n + 1))
    [ -n "${3:-}" ] && sed 's/^/    # /' <<<"$3"
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

rm -rf "$T"
mkdir -p "$T"

# The parts: NAME, files, flags (beyond -std=c11 -D_GNU_SOURCE -Icore).
PQ_INC=$(pkg-config --cflags-only-I libpq 2>/dev/null || echo -I/usr/include/postgresql)
PG_INC=$("$PG_CONFIG" --includedir-server 2>/dev/null)
[ -f "$PG_INC/postgres.h" ] || PG_INC=
parts=(core sqlite_ext client pg_ext)
declare -A FILES=(
    [core]="$(echo core/*.c)"
    [sqlite_ext]="$(echo sqlite_ext/*.c)"
    [client]="$(echo client/*.c sqlite_ext/*.c)"
    [pg_ext]="$(echo pg_ext/*.c)"
)
declare -A FLAGS=(
    [core]=""
    [sqlite_ext]=""
    [client]="-DSQLITE_CORE -Isqlite_ext $PQ_INC"
    [pg_ext]="-DUSE_ASSERT_CHECKING -I$PG_INC"
)
BASE="-std=c11 -D_GNU_SOURCE -Icore"

# ---- 1-4: clang --analyze ---------------------------------------------------
# every file of every part at once (xargs -P: a file takes up to 10 s), then
# one test per part from the reports in $T/clang/
if command -v "$CLANG" >/dev/null 2>&1; then
    mkdir -p "$T/clang"
    for part in "${parts[@]}"; do
        [ "$part" = pg_ext ] && [ -z "$PG_INC" ] && continue
        for f in ${FILES[$part]}; do
            printf '%s\0%s\0%s\0' "$part" "$f" "$BASE ${FLAGS[$part]}"
        done
    done | xargs -0 -n 3 -P "$(nproc 2>/dev/null || echo 2)" sh -c '
        # $0 clang, $1 the output folder, $2 part, $3 file, $4 flags
        out="$1/$2.$(echo "$3" | tr / _).txt"
        # shellcheck disable=SC2086
        "$0" --analyze --analyzer-output text $4 "$3" -o /dev/null >"$out" 2>&1 ||
            echo "$3: clang exited with status $?" >>"$out"' "$CLANG" "$T/clang"
fi
for part in "${parts[@]}"; do
    if ! command -v "$CLANG" >/dev/null 2>&1; then
        skip "clang --analyze $part/: clang missing"
        continue
    fi
    if [ "$part" = pg_ext ] && [ -z "$PG_INC" ]; then
        skip "clang --analyze pg_ext/: no PostgreSQL server headers (pg_config --includedir-server)"
        continue
    fi
    out=$(cat "$T/clang/$part."*.txt 2>/dev/null)
    rc=0
    [ -n "$out" ] && rc=1 # a clean file prints nothing
    ok $rc "clang --analyze $part/ (${FILES[$part]}): no finding" "$out"
done

# ---- 5: cppcheck --------------------------------------------------------------
# Not enabled, for the whole tree:
#   variableScope  a preference (declare a variable in the innermost block),
#                  not a defect: the code declares at the top of a block.
# Not reported:
#   tests/         the unit tests are analyzed as callers of core/ (for
#                  unusedFunction) only; the analysis covers the four parts.
#   /usr/          PostgreSQL's and the system's headers.
SUPPRESS=(
    variableScope
    "*:tests/*"
    "*:/usr/*"
)
# The functions the databases call by name (dlsym), which no C file calls:
# SQLite's sqlite3_load_extension() the entry point sqlite3_mig_init,
# PostgreSQL _PG_init when it loads the library.  And jansson's loop macros
# as jansson.h defines them (cppcheck reads no system header: without them a
# loop body is an "unknown macro" or its conditions look constant).
cat >"$T/entrypoints.cfg" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <entrypoint name="sqlite3_mig_init"/>
  <entrypoint name="_PG_init"/>
  <define name="json_array_foreach(array, index, value)" value="for (index = 0; index &lt; json_array_size(array) &amp;&amp; (value = json_array_get(array, index)); index++)"/>
  <define name="json_object_foreach(object, key, value)" value="for (key = json_object_iter_key(json_object_iter(object)); key &amp;&amp; (value = json_object_iter_value(json_object_key_to_iter(key))); key = json_object_iter_key(json_object_iter_next(object, json_object_key_to_iter(key))))"/>
</def>
EOF
if ! command -v "$CPPCHECK" >/dev/null 2>&1; then
    skip "cppcheck: cppcheck missing"
else
    # one entry per translation unit, with the flags clang used above (a
    # client build compiles sqlite_ext/*.c again, with SQLITE_CORE: those
    # entries carry their own names, as cppcheck keys its results by file)
    {
        echo "["
        sep=""
        for part in core sqlite_ext client pg_ext tests; do
            case $part in
            pg_ext) [ -n "$PG_INC" ] || continue
                    # cppcheck defines no compiler macros: PostgreSQL's s_lock.h needs
                    # the architecture and compiler ones to choose its spinlocks
                    flags="${FLAGS[pg_ext]} -D__GNUC__=12 -D__x86_64__"
                    files=${FILES[pg_ext]} ;;
            client) flags=${FLAGS[client]}; files=$(echo client/*.c) ;;
            tests) flags=""; files=$(echo tests/core/test_*.c) ;;
            *) flags=${FLAGS[$part]}; files=${FILES[$part]} ;;
            esac
            for f in $files; do
                printf '%s  {"directory": "%s", "file": "%s", "command": "cc %s %s -c %s"}\n' \
                    "$sep" "$PWD" "$f" "$BASE" "$flags" "$f"
                sep=","
            done
        done
        echo "]"
    } >"$T/compile_commands.json"
    args=()
    for s in "${SUPPRESS[@]}"; do args+=("--suppress=$s"); done
    # -j would turn unusedFunction off: one process
    out=$("$CPPCHECK" --project="$T/compile_commands.json" --library="$T/entrypoints.cfg" --enable=warning,style,performance,portability,unusedFunction \
        --inconclusive --inline-suppr --error-exitcode=1 -q --template='{file}:{line}: {severity}: {message} [{id}]' \
        "${args[@]}" 2>&1)
    rc=$?
    grep -qE '\[[A-Za-z]+\]$' <<<"$out" && rc=1
    ok $rc "cppcheck (warning, style, performance, portability, unusedFunction): no finding" "$out"
fi
exit $((fails > 0))

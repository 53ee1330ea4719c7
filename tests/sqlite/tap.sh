# tap.sh — a tiny TAP producer and sqlite3-shell helpers for the SQLite
# tests in tests/run/20-sqlite-*.t.  Source it from a bash test script:
#
#     . "$(dirname "$0")/../sqlite/tap.sh"
#     tap_setup            # builds the extension, makes $T (temp dir, removed on exit)
#     sql "$T/db" <<'EOF'  # runs the sqlite3 shell with `.load` first;
#     SELECT mig_current();  # sets $OUT, $ERR and $RC
#     EOF
#     is "$OUT" "" "at base"
#     done_testing
#
# Assertions: ok RC DESC, pass DESC, fail DESC [DIAG], is GOT WANT DESC,
# isnt GOT UNWANTED DESC, like GOT ERE DESC, unlike GOT ERE DESC,
# ilike GOT ERE DESC (case-insensitive), same_snapshot DB SNAPFILE DESC.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXT=${MIG_EXT:-$ROOT/sqlite_ext/mig} # what `.load` takes (the shell adds .so); MIG_EXT: another build
SQLITE3=${SQLITE3:-sqlite3}

_tap_n=0
_tap_failed=0

diag() {
    local line
    while IFS= read -r line; do printf '#   %s\n' "$line"; done <<<"$*"
}

pass() {
    _tap_n=$((_tap_n + 1))
    printf 'ok %d - %s\n' "$_tap_n" "$1"
}

fail() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$1"
    [ $# -gt 1 ] && diag "$2"
    return 0
}

# ok RC DESC [DIAG]: passes when RC is 0, e.g.  [ -f x ]; ok $? "x exists"
ok() {
    if [ "$1" -eq 0 ] 2>/dev/null; then pass "$2"; else fail "$2" "${3:-}"; fi
}

is() {
    if [ "$1" == "$2" ]; then pass "$3"; else fail "$3" "$(printf 'got:      %s\nexpected: %s' "$1" "$2")"; fi
}

isnt() {
    if [ "$1" != "$2" ]; then pass "$3"; else fail "$3" "$(printf 'got:     %s\nexpected anything else' "$1")"; fi
}

like() {
    if [[ $1 =~ $2 ]]; then pass "$3"; else fail "$3" "$(printf 'got:     %s\nexpected to match: %s' "$1" "$2")"; fi
}

ilike() {
    local rc
    shopt -s nocasematch
    [[ $1 =~ $2 ]]
    rc=$?
    shopt -u nocasematch
    if [ $rc -eq 0 ]; then pass "$3"; else fail "$3" "$(printf 'got:     %s\nexpected to match (any case): %s' "$1" "$2")"; fi
}

unlike() {
    if [[ $1 =~ $2 ]]; then fail "$3" "$(printf 'got:     %s\nexpected not to match: %s' "$1" "$2")"; else pass "$3"; fi
}

done_testing() {
    printf '1..%d\n' "$_tap_n"
    [ "$_tap_failed" -eq 0 ]
    exit $?
}

bail() {
    printf 'Bail out! %s\n' "$*"
    exit 255
}

# tap_setup: build what the tests need (once) and make a private temp dir $T
# under tests/tmp, removed when the script exits.
tap_setup() {
    make -s -C "$ROOT" all >&2 || bail "make all failed"
    [ -f "$EXT.so" ] || bail "$EXT.so was not built"
    command -v "$SQLITE3" >/dev/null || bail "no sqlite3 shell"
    mkdir -p "$ROOT/tests/tmp"
    T=$(mktemp -d "$ROOT/tests/tmp/$(basename "$0" .t).XXXXXX") || bail "mktemp failed"
    trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"' EXIT
    cd "$T" || bail "cd $T"
}

# sql DB [SHELL-ARGS...] < script: run the sqlite3 shell as a user would,
# with `.load` of the extension first.  Sets OUT (stdout), ERR (stderr), RC.
sql() {
    local db=$1
    shift
    { printf '.load %s\n' "$EXT"; cat; } | "$SQLITE3" -batch "$@" "$db" >"$T/.sql.out" 2>"$T/.sql.err"
    RC=$?
    OUT=$(cat "$T/.sql.out")
    ERR=$(cat "$T/.sql.err")
}

# q DB SQL: print the result of one statement (extension loaded).
q() {
    printf '.load %s\n%s\n' "$EXT" "$2" | "$SQLITE3" -batch "$1" 2>&1
}

# raw DB SQL: the shell without the extension.
raw() {
    printf '%s\n' "$2" | "$SQLITE3" -batch "$1" 2>&1
}

# snapshot DB: everything a failed call must leave as it was: sqlite_master
# (schema of every table, index, trigger and view), the rows of every table
# (the mig state tables included), and the header fields a user can set.
snapshot() {
    "$SQLITE3" -batch "$1" <<'EOF' 2>&1
.headers off
SELECT 'master', type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name;
SELECT 'user_version', user_version FROM pragma_user_version;
SELECT 'application_id', application_id FROM pragma_application_id;
.dump
EOF
}

# same_snapshot DB FILE DESC: the database matches a snapshot taken before.
same_snapshot() {
    local now
    now=$(snapshot "$1")
    if [ "$now" == "$(cat "$2")" ]; then
        pass "$3"
    else
        fail "$3" "$(diff <(cat "$2") <(printf '%s\n' "$now") | head -40)"
    fi
}

# count_errors TEXT: how many shell error reports (one per failed statement).
count_errors() {
    grep -cE '^(Runtime|Parse) error|^Error:' <<<"$1"
}

# rev FILE ID DOWN [BODY...]: write a simple revision file; each BODY argument
# becomes one line of the upgrade section.
rev() {
    local f=$1 id=$2 down=$3
    shift 3
    {
        printf -- '-- mig:revision %s\n' "$id"
        [ -n "$down" ] && printf -- '-- mig:down_revision %s\n' "$down"
        printf -- '-- mig:message %s\n\n-- mig:upgrade\n' "rev $id"
        printf '%s\n' "$@"
    } >"$f"
}

#!/bin/bash
# SQLite: an application program (tests/sqlite/app.c) that loads the
# extension with sqlite3_load_extension() and drives mig through the C API.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -o "$T/app" "$ROOT/tests/sqlite/app.c" -lsqlite3 2>"$T/cc.err"
ok $? "app.c compiles with -Wall -Wextra -Werror" "$(cat "$T/cc.err")"
[ -x "$T/app" ] || done_testing

"$T/app" "$T/app.db" "$EXT.so" >"$T/app.out" 2>"$T/app.err"
rc=$?
n=0
while IFS= read -r line; do
    case $line in
    "ok - "*) pass "app: ${line#ok - }"; n=$((n + 1)) ;;
    "not ok - "*) fail "app: ${line#not ok - }"; n=$((n + 1)) ;;
    "#"*) printf '%s\n' "$line" ;;
    esac
done <"$T/app.out"
is "$(tail -n 1 "$T/app.out")" "done $n" "the app ran to its end (no crash)" 
is "$rc" 0 "the app exits 0" 
is "$(cat "$T/app.err")" "" "nothing on stderr"

# what the app left behind, seen from the sqlite3 shell
is "$(q "$T/app.db" "SELECT mig_current(); SELECT group_concat(x, ',') FROM app_log; SELECT count(*) FROM items;")" \
    "$(printf 'app2\nbefore upgrade,inside\n2')" "the shell sees the app's committed state"

done_testing

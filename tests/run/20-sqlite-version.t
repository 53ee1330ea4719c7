#!/bin/bash
# SQLite: the extension checks the library's version when it is loaded
# (sqlite3_mig_init): on an SQLite older than it needs, .load fails with a
# message that names both versions and registers nothing.  An old library
# is simulated by building the extension with a minimum above the running
# one (MIG_SQLITE_MIN_VERSION_NUMBER).
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

have=$("$SQLITE3" :memory: "SELECT sqlite_version();")
like "$have" '^3\.[0-9]+\.[0-9]+' "the sqlite3 shell reports its library's version ($have)"

"$SQLITE3" :memory: ".load $EXT" "SELECT 'loaded';" >out 2>err
is "$(cat out)|$(cat err)" "loaded|" "the extension loads into SQLite $have"

mkdir old
CFLAGS_V="-std=c11 -D_GNU_SOURCE -I$ROOT/core -I$ROOT/sqlite_ext -fPIC -shared"
cc $CFLAGS_V -DMIG_SQLITE_MIN_VERSION_NUMBER=99000000 -DMIG_SQLITE_MIN_VERSION='"99.0.0"' -o old/mig.so \
    "$ROOT"/sqlite_ext/*.c "$ROOT/core/libmigcore.a" -lcrypto -ljansson \
    2>cc.err
ok $? "a build that needs SQLite 99.0.0 compiles" "$(cat cc.err)"

"$SQLITE3" :memory: ".load ./old/mig" >out 2>err
rc=$?
is "$(cat out)|$(cat err)" "|Error: error during initialization: mig needs SQLite 99.0.0 or later; this SQLite library is $have" \
    "loading it into SQLite $have fails, naming both versions"
isnt "$rc" 0 "the sqlite3 shell exits non-zero"
printf '%s\n' ".load ./old/mig" "SELECT count(*) FROM pragma_function_list WHERE name LIKE 'mig%';" |
    "$SQLITE3" :memory: >out 2>/dev/null
is "$(cat out)" "0" "no mig function is registered"

done_testing

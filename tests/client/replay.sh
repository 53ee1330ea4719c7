#!/bin/bash
# End-to-end tests of the replay cache (client/replay.c) on SQLite (TAP):
# tests/run/79-client-replay-cache.t.  The scratch database of a replay is
# kept in $XDG_CACHE_HOME/mig/replay/ and the next replay (revision
# --autogenerate, check's drift, mig test) starts from it when it can.
# Every result with the cache is compared with the same command's under
# MIG_CACHE=off; `-v` says what the replay did ("mig: replay: ...").
# SECTIONS="sqlite_loop ..." runs a subset; MIG / MIG_CHECKER: see lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="sqlite_loop sqlite_invalid sqlite_targets sqlite_unapplied"

# replay_file: the replay cache's file ("" when none)
replay_file() {
    find "$XDG_CACHE_HOME/mig/replay" -maxdepth 1 -type f ! -name '*.tmp' 2>/dev/null
}

# body FILE: a revision's sections (its header has the id and the date)
body() {
    sed -n '/^-- mig:upgrade/,$p' "$1"
}

# gen DESC: revision --autogenerate -v with the cache, then again with
# MIG_CACHE=off (that file removed); the two bodies must be the same.
# Sets VERR (the first run's stderr), GEN (its file) and GBODY.
gen() {
    local desc=$1 nocache=""
    m -v revision --autogenerate -m "$desc"
    is_rc 0 "$desc: revision --autogenerate exits 0"
    VERR=$ERR GEN=""
    [[ $OUT =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]] && GEN=${BASH_REMATCH[1]}
    GBODY=$(body "$GEN")
    mv "$GEN" "$T/.gen.sql"
    MIG_CACHE=off m revision --autogenerate -m "$desc"
    [[ $OUT =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]] && nocache=${BASH_REMATCH[1]}
    is "$(body "$nocache")" "$GBODY" "$desc: the same revision as with MIG_CACHE=off"
    rm -f "$nocache"
    mv "$T/.gen.sql" "$GEN"
}

# setup_project NAME: a SQLite project with schema = schema
setup_project() {
    project "$1"
    mkdir schema
    echo "schema = schema" >>mig.ini
}

t_sqlite_loop() {
    setup_project loop
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);" >schema/a.sql
    gen "first revision"
    like "$VERR" "mig: replay: 0 revisions run from empty" "first revision: nothing to replay"
    is "$(replay_file)" "" "first revision: nothing replayed, no cache written"
    m upgrade
    echo "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));" >schema/b.sql
    gen "second revision"
    like "$VERR" "mig: replay: no cache of an earlier replay" "second revision: no cache yet"
    like "$VERR" "mig: replay: 1 revision run from empty" "second revision: one revision replayed from empty"
    isnt "$(replay_file)" "" "second revision: the cache is written"
    is "$(stat -c %a "$(replay_file)")" 600 "... private to the user (0600)"
    m upgrade
    # the everyday loop: each replay runs only the newest revision
    echo "CREATE INDEX ix_b_a ON b (a_id);" >>schema/b.sql
    gen "third revision"
    like "$VERR" "mig: replay: 1 revision from the cache, 1 run" "third revision: one from the cache, one run"
    m upgrade
    echo "ALTER TABLE a ADD COLUMN note TEXT;" >schema/c.sql
    gen "fourth revision"
    like "$VERR" "mig: replay: 2 revisions from the cache, 1 run" "fourth revision: two from the cache, one run"
    like "$GBODY" "ADD COLUMN note" "fourth revision: the column added"
    m upgrade
    m -v revision --autogenerate -m none
    is "$OUT" "No changes in schema detected; no revision written" "nothing changed: no revision"
    like "$ERR" "mig: replay: 3 revisions from the cache, 1 run" "... the newest revision run over the cache"
    m -v revision --autogenerate -m none
    like "$ERR" "mig: replay: 4 revisions from the cache, 0 run" "again: everything from the cache"
    # the cache serves check's replay too, with the same report
    m -v check
    is_rc 0 "check at the head: exit 0"
    like "$ERR" "mig: replay: 4 revisions from the cache, 0 run" "check: its replay comes from the cache"
    local with=$OUT
    MIG_CACHE=off m check
    is "$OUT" "$with" "check: the same report with MIG_CACHE=off"
    # MIG_CACHE=off neither reads nor writes it
    local before
    before=$(sha1sum <"$(replay_file)")
    echo "CREATE TABLE d (id INTEGER PRIMARY KEY);" >schema/d.sql
    MIG_CACHE=off m -v revision --autogenerate -m off
    is_rc 0 "MIG_CACHE=off: exit 0"
    unlike "$ERR" "mig: replay:" "MIG_CACHE=off: the replay says nothing of a cache"
    is "$(sha1sum <"$(replay_file)")" "$before" "MIG_CACHE=off: the cache file is untouched"
    rm -f versions/*_off.sql
    # a new project with MIG_CACHE=off writes none
    setup_project loop_off
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY);" >schema/a.sql
    rm -rf "$XDG_CACHE_HOME/mig/replay"
    MIG_CACHE=off m revision --autogenerate -m one
    MIG_CACHE=off m upgrade
    echo "CREATE TABLE b (id INTEGER PRIMARY KEY);" >>schema/a.sql
    MIG_CACHE=off m revision --autogenerate -m two
    is_rc 0 "MIG_CACHE=off from the start: exit 0"
    is "$(replay_file)" "" "MIG_CACHE=off from the start: no replay cache written"
}

t_sqlite_invalid() {
    setup_project inv
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY);" >schema/a.sql
    gen one
    local first=$GEN
    m upgrade
    echo "CREATE TABLE b (id INTEGER PRIMARY KEY);" >schema/b.sql
    gen two
    m upgrade
    echo "CREATE TABLE c (id INTEGER PRIMARY KEY);" >schema/c.sql
    gen three
    like "$VERR" "mig: replay: 1 revision from the cache, 1 run" "three: from the cache"
    rm -f "$GEN"
    # an applied revision edited: its table gets a column the schema does not have
    sed -i 's/^CREATE TABLE a (id INTEGER PRIMARY KEY)/CREATE TABLE a (id INTEGER PRIMARY KEY, extra TEXT)/' "$first"
    grep -q "extra TEXT" "$first"
    ok $? "revision one edited (a column added to its table)"
    gen "after the edit"
    like "$VERR" "the cache is not used: a revision applied in it was edited or removed" "an edited applied revision: the cache is not used"
    like "$GBODY" "extra" "... the edit is seen: the revision drops the column"
    rm -f "$GEN"
    m -v revision --autogenerate -m again
    like "$ERR" "mig: replay: 2 revisions from the cache, 0 run" "the cache made after the edit is used again"
    rm -f versions/*_again.sql
    # damaged caches: bytes of the image changed, the file cut short, random bytes
    local f
    f=$(replay_file)
    cp "$f" "$T/.good"
    printf 'XXXXXXXX' | dd of="$f" bs=1 seek=$(( $(stat -c %s "$f") - 100 )) conv=notrunc 2>/dev/null
    gen "an image changed"
    like "$VERR" "the cache is not used: its file is damaged" "a changed image: the cache is not used"
    rm -f "$GEN"
    cp "$T/.good" "$f"
    truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"
    gen "a cut file"
    like "$VERR" "the cache is not used: its file is damaged" "a cut file: the cache is not used"
    rm -f "$GEN"
    head -c 5000 /dev/urandom >"$f"
    gen "random bytes"
    like "$VERR" "no cache of an earlier replay" "random bytes: taken for no cache"
    rm -f "$GEN"
    cp "$T/.good" "$f"
    sed -i '1s/^mig-replay-cache 1 [^ ]*/mig-replay-cache 1 0:0:0:0:0/' "$f"
    gen "another binary"
    like "$VERR" "no cache of an earlier replay" "a cache of another client binary is not trusted"
    rm -f "$GEN"
    cp "$T/.good" "$f"
    chmod 666 "$f"
    gen "writable by others"
    like "$VERR" "no cache of an earlier replay" "a cache others can write is not trusted"
    rm -f "$GEN"
    cp "$T/.good" "$f"
    chmod 600 "$f"
    # another env's options (-x) make another key
    m -v -x k=v revision --autogenerate -m xarg
    like "$ERR" "no cache of an earlier replay" "other -x values: another key"
    rm -f versions/*_xarg.sql
}

t_sqlite_targets() {
    # a branch: b0 makes t; a1 (branch a) and b1 (branch b) each add a column
    # to it (no desired schema: check replays the current revisions only)
    project tg
    rev_file versions/b0.sql b0 "" "CREATE TABLE t (id INTEGER PRIMARY KEY);" "DROP TABLE t;"
    rev_file versions/a1.sql a1 b0 "ALTER TABLE t ADD COLUMN a TEXT;" "ALTER TABLE t DROP COLUMN a;" "-- mig:branch_labels la"
    rev_file versions/b1.sql b1 b0 "ALTER TABLE t ADD COLUMN b TEXT;" "ALTER TABLE t DROP COLUMN b;" "-- mig:branch_labels lb"
    # the cache made by check with the database at b1: b0, b1
    m upgrade b1
    is_rc 0 "upgrade b1: exit 0"
    m -v check
    like "$ERR" "mig: replay: 2 revisions run from empty" "check at b1: b0 and b1 replayed"
    isnt "$(replay_file)" "" "... and cached"
    # at both heads the replay from empty runs b0, a1 then b1: the cache (b0,
    # b1) is not its prefix (t's columns would come in another order)
    m upgrade heads
    m -v check
    like "$ERR" "the cache is not used: its 2 revisions are not where this replay starts" "check at both heads: b0, b1 is not the start of b0, a1, b1"
    local with=$OUT
    MIG_CACHE=off m check
    is "$OUT" "$with" "check at both heads: the same report with MIG_CACHE=off"
    m -v check
    like "$ERR" "mig: replay: 3 revisions from the cache, 0 run" "the longer replay replaced the cache"
    # a replay below the cache (the database back at a1) starts from empty and keeps the cache
    m downgrade lb@-1
    is_rc 0 "downgrade of branch b: exit 0"
    m -v check
    like "$ERR" "the cache is not used: its 3 revisions are not where this replay starts" "check at a1: below the cache, from empty"
    with=$OUT
    MIG_CACHE=off m check
    is "$OUT" "$with" "check at a1: the same report with MIG_CACHE=off"
    m upgrade heads
    m -v check
    like "$ERR" "mig: replay: 3 revisions from the cache, 0 run" "the head's cache was kept"
    # mig test: its replay to the heads may use the cache; its results are the same
    m test
    with=$OUT
    MIG_CACHE=off m test
    is "$OUT" "$with" "mig test: the same report with MIG_CACHE=off"
}

t_sqlite_unapplied() {
    # a cache made at r1 holds r2 uploaded but not applied; r2 is then
    # edited (header and sections): the next replay over the cache uploads
    # the new r2 and runs it, as a replay from empty would
    project un
    rev_file versions/r1.sql r1 "" "CREATE TABLE t (id INTEGER PRIMARY KEY);" "DROP TABLE t;"
    rev_file versions/r2.sql r2 r1 "CREATE TABLE u (id INTEGER PRIMARY KEY);" "DROP TABLE u;"
    m upgrade r1
    m -v check
    like "$ERR" "mig: replay: 1 revision run from empty" "check at r1: r1 replayed and cached (r2 uploaded with it)"
    rev_file versions/r2.sql r2 r1 "CREATE TABLE w (id INTEGER PRIMARY KEY);" "DROP TABLE w;" "-- mig:branch_labels br"
    mkdir schema
    echo "CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE u (id INTEGER PRIMARY KEY);" >schema/a.sql
    echo "schema = schema" >>mig.ini
    gen "r2 edited before it ran"
    like "$VERR" "mig: replay: 1 revision from the cache, 1 run" "r2 edited: r1 from the cache, the new r2 run"
    like "$GBODY" "DROP TABLE w" "... the new r2's table is the one dropped"
}

run_sections "$ALL_SECTIONS"

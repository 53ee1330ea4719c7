#!/bin/bash
# mig_batch: a kill -9 in the middle of a rebuild of a table of 300k rows
# leaves the database, once reopened, exactly in its old state (schema, row
# count, a checksum of the data, integrity_check ok, no _mig_old table), and
# the rebuild then succeeds.  Several delays, rollback journal and WAL; at
# least one kill must have hit the process while it was writing (a hot
# journal or WAL frames left behind).
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup

ROWS=300000
make_big() {
    "$SQLITE3" -batch -bail "$1" <<EOF
PRAGMA journal_mode = $2;
PRAGMA synchronous = OFF;
CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0);
CREATE INDEX big_n ON big (n);
CREATE TABLE big_log (id INTEGER);
CREATE TRIGGER big_ins AFTER INSERT ON big BEGIN INSERT INTO big_log VALUES (new.id); END;
CREATE VIEW big_v AS SELECT id, v FROM big WHERE n = 7;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS)
INSERT INTO big (id, v, n) SELECT i, printf('value %d %s', i, hex(randomblob(6))), i % 1000 FROM c;
EOF
}

# state DB: what must survive: the other objects' schema, the rows (count,
# sum, a checksum of all data), the view, integrity_check
state() {
    "$SQLITE3" -batch "$1" 2>&1 <<'SQL'
SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> 'big' ORDER BY type, name;
SELECT count(*), sum(id), hex(sha3_query('SELECT * FROM big ORDER BY id')) FROM big;
SELECT count(*) FROM big_v;
PRAGMA integrity_check;
SQL
}

# shape DB: the table's CREATE TABLE and whether v is NOT NULL
shape() {
    printf '%s|%s' "$(table_sql "$1" big)" \
        "$("$SQLITE3" -batch "$1" "SELECT \"notnull\" FROM pragma_table_info('big') WHERE name = 'v';" 2>&1)"
}

OLD_CREATE="CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)"
NEW_CREATE="CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, n INTEGER NOT NULL DEFAULT 0)"
hot_kills=0
for mode in delete wal; do
    BIG=$T/big-$mode.db
    make_big "$BIG" $mode >/dev/null || bail "cannot create the $mode database"
    OLD=$(state "$BIG")
    like "$OLD" "(^|$(printf '\n'))$ROWS\|" "$mode: a table of $ROWS rows, with an index, a trigger and a view"
    is "$(shape "$BIG")" "$OLD_CREATE|1" "$mode: v is NOT NULL"
    # how long an uninterrupted run takes here: kill at fractions of it
    cp "$BIG" "$T/timing.db"
    t0=$(date +%s%N)
    "$SQLITE3" -batch -cmd ".load $EXT" "$T/timing.db" "SELECT mig_batch('big', 'ALTER COLUMN v DROP NOT NULL');" >/dev/null 2>&1
    ms=$((($(date +%s%N) - t0) / 1000000))
    rm -f "$T/timing.db"*
    if [ $mode == delete ]; then fractions="15 35 55 75"; else fractions="25 50"; fi
    for f in $fractions; do
        d=$(printf '%d.%03d' $((ms * f / 100 / 1000)) $((ms * f / 100 % 1000)))
        db=$T/k.db
        rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
        cp "$BIG" "$db"
        "$SQLITE3" -batch -cmd ".load $EXT" "$db" "SELECT mig_batch('big', 'ALTER COLUMN v DROP NOT NULL');" >"$T/kill.out" 2>&1 &
        pid=$!
        sleep "$d"
        running=no
        kill -0 "$pid" 2>/dev/null && running=yes
        kill -9 "$pid" 2>/dev/null
        { wait "$pid"; } 2>/dev/null
        rc=$?
        journal=no
        [ -s "$db-journal" ] && journal=yes
        at="$mode, kill -9 after ${d}s of ${ms}ms"
        now=$(shape "$db")
        is "$(state "$db")" "$OLD" "$at: reopened: the old rows (count, checksum), objects, integrity_check ok"
        is "$(raw "$db" "SELECT count(*) FROM sqlite_master WHERE name LIKE '%mig%';")" 0 "$at: no _mig_old table"
        if [ "$now" == "$OLD_CREATE|1" ]; then
            if [ $running == yes ] && [ $rc -eq 137 ]; then
                hot_kills=$((hot_kills + 1))
                pass "$at: killed mid-rebuild (hot journal: $journal): the old CREATE TABLE, v NOT NULL"
            else
                fail "$at: the process was not killed (running=$running, exit $rc) but nothing changed" "$(cat "$T/kill.out")"
            fi
            [ $mode == delete ] && is "$journal" yes "$at: the kill left a hot journal (it was writing)"
            sql "$db" <<<"SELECT mig_batch('big', 'ALTER COLUMN v DROP NOT NULL');"
            is "$OUT|$ERR" "rebuild|" "$at: then the batch succeeds"
        elif [ "$now" == "$NEW_CREATE|0" ]; then
            pass "$at: killed after the commit (running=$running, exit $rc): the new table, complete"
            sql "$db" <<<"SELECT mig_batch('big', 'ALTER COLUMN v DROP NOT NULL');"
            is "$OUT|$ERR" "native|" "$at: then the batch has nothing to do"
        else
            fail "$at: neither the old nor the new table" "$now"
        fi
        is "$(state "$db")" "$OLD" "$at: then the same rows, index, trigger and view"
        is "$(shape "$db")" "$NEW_CREATE|0" "$at: and v nullable"
    done
done
is "$([ $hot_kills -ge 2 ] && echo yes)" yes "at least two kills hit the rebuild before its commit ($hot_kills did)"

done_testing

#!/bin/bash
# SQLite: several sqlite3 processes upload and upgrade the same database at
# once.  The write lock serialises them: every revision runs exactly once
# (its body's log row and its mig_history row appear once), and the state
# ends at the head.  Rounds: .timeout with a rollback journal, the
# lock_timeout option with WAL, "transaction": "each", and upgrades racing
# downgrades.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

N=50     # revisions in the chain
PROCS=4  # racing processes

# the chain r01..r50; each body logs itself and the process that ran it
for i in $(seq 1 $N); do
    id=$(printf 'r%02d' "$i")
    down=$([ "$i" -gt 1 ] && printf 'r%02d' $((i - 1)))
    {
        printf -- '-- mig:revision %s\n' "$id"
        [ -n "$down" ] && printf -- '-- mig:down_revision %s\n' "$down"
        printf -- '-- mig:upgrade\n'
        printf "INSERT INTO log (step, who) VALUES ('+%s', mig_x('who'));\n" "$id"
        [ "$i" -eq 1 ] && printf 'CREATE TABLE made_by_r01 (x);\n'
        printf -- '-- mig:downgrade\n'
        printf "INSERT INTO log (step, who) VALUES ('-%s', mig_x('who'));\n" "$id"
        [ "$i" -eq 1 ] && printf 'DROP TABLE made_by_r01;\n'
    } >"$id.sql"
done
HEAD=$(printf 'r%02d' $N)

# racer SCRIPT-FILE CALL...: a sqlite3 script that uploads every revision
# and then makes the given calls
racer() {
    local f=$1
    shift
    {
        printf '.load %s\n' "$EXT"
        printf '%s\n' "$PREFIX"
        for i in $(seq 1 $N); do printf "SELECT mig_put_revision(readfile('r%02d.sql')${PUT_OPTS});\n" "$i"; done
        printf '%s\n' "$@"
    } >"$f"
}

# race DB: run racer scripts p1..pN.sql at once (a barrier lets them start
# together); outputs in pK.out / pK.err
race() {
    local db=$1 k
    rm -f go
    for k in $(seq 1 $PROCS); do
        (while [ ! -e go ]; do sleep 0.005; done; "$SQLITE3" -batch "$db" <"p$k.sql" >"p$k.out" 2>"p$k.err") &
    done
    sleep 0.1
    touch go
    wait
}

# the invariants after a round of upgrades to head
check_upgraded() {
    local db=$1 what=$2 errs=$3
    is "$(raw "$db" "SELECT count(*), count(DISTINCT step) FROM log WHERE step LIKE '+%';")" "$N|$N" \
        "$what: every revision's body ran exactly once"
    is "$(raw "$db" "SELECT count(*), count(DISTINCT revision) FROM mig_history WHERE direction = 'upgrade';")" "$N|$N" \
        "$what: every revision is in mig_history once, as an upgrade"
    is "$(raw "$db" "SELECT group_concat(revision, ' ') FROM (SELECT revision FROM mig_history ORDER BY id);")" \
        "$(raw "$db" "SELECT group_concat(substr(step, 2), ' ') FROM (SELECT step FROM log ORDER BY rowid);")" \
        "$what: history and the bodies' log agree in order"
    is "$(q "$db" "SELECT mig_current(); SELECT count(*) FROM mig_version; SELECT mig_check();")" \
        "$(printf '%s\n1\n1' "$HEAD")" "$what: mig_current() is the head, one version row, mig_check() = 1"
    is "$(cat p*.err | grep -vE "$errs" | grep -cE '^(Runtime|Parse) error|^Error')" 0 \
        "$what: no unexpected error in any process" 
}

round=0
for mode in timeout timeout lock_timeout-wal; do
    round=$((round + 1))
    db=race$round.db
    raw "$db" "CREATE TABLE log (step TEXT, who TEXT);" >/dev/null
    if [ "$mode" = timeout ]; then
        PREFIX=".timeout 20000"
        PUT_OPTS=""
        call="SELECT 'RESULT ' || mig_upgrade('head', '{\"x\": {\"who\": \"%s\"}}');"
    else
        raw "$db" "PRAGMA journal_mode = WAL;" >/dev/null
        PREFIX=""
        PUT_OPTS=", '{\"lock_timeout\": \"20s\"}'"
        call="SELECT 'RESULT ' || mig_upgrade('head', '{\"x\": {\"who\": \"%s\"}, \"lock_timeout\": \"20s\"}');"
    fi
    for k in $(seq 1 $PROCS); do
        # shellcheck disable=SC2059
        racer "p$k.sql" "$(printf "$call" "p$k")"
    done
    race "$db"
    check_upgraded "$db" "round $round ($mode)" '^$'
    is "$(cat p*.out | grep -c "^RESULT $HEAD\$")" "$PROCS" "round $round: every process's mig_upgrade returned $HEAD"
    is "$(cat p*.out | grep -vE "^(RESULT $HEAD|r[0-9]+|)\$" | head -3)" "" "round $round: no other output"
    is "$(raw "$db" "SELECT count(DISTINCT who) FROM log;")" 1 \
        "round $round: one process ran the whole upgrade (one transaction)"
    is "$(raw "$db" "SELECT count(*) FROM mig_revision;")" "$N" "round $round: $N revisions stored once"
done

# "transaction": "each" commits per revision, so racers interleave; a racer
# that finds the state moved under it stops with an error.  Still: once.
round=$((round + 1))
db=race$round.db
raw "$db" "CREATE TABLE log (step TEXT, who TEXT);" >/dev/null
PREFIX=".timeout 20000"
PUT_OPTS=""
for k in $(seq 1 $PROCS); do
    racer "p$k.sql" "SELECT 'RESULT ' || mig_upgrade('head', '{\"transaction\": \"each\", \"x\": {\"who\": \"p$k\"}}');"
done
race "$db"
check_upgraded "$db" "round $round (transaction each)" 'version state of env "default" changed while this run was committing|^$'
like "$(cat p*.out)" "RESULT $HEAD" "round $round: at least one process reached the head"

# upgrades racing downgrades, several calls per process
round=$((round + 1))
db=race$round.db
raw "$db" "CREATE TABLE log (step TEXT, who TEXT);" >/dev/null
for k in $(seq 1 $PROCS); do
    if [ $((k % 2)) -eq 1 ]; then
        racer "p$k.sql" "SELECT mig_upgrade('head');" "SELECT mig_downgrade('base');" "SELECT mig_upgrade('r25');"
    else
        racer "p$k.sql" "SELECT mig_downgrade('base');" "SELECT mig_upgrade('head');" "SELECT mig_downgrade('r10');"
    fi
done
race "$db"
is "$(cat p*.err)" "" "round $round (mixed): no errors"
# per revision, history must alternate upgrade, downgrade, upgrade, ...
bad=$(raw "$db" "
    WITH h AS (SELECT revision, direction,
                      row_number() OVER (PARTITION BY revision ORDER BY id) AS n FROM mig_history)
    SELECT revision || ' #' || n || ' ' || direction FROM h
     WHERE direction <> CASE n % 2 WHEN 1 THEN 'upgrade' ELSE 'downgrade' END LIMIT 5;")
is "$bad" "" "round $round: each revision's history alternates upgrade/downgrade, starting with an upgrade"
is "$(raw "$db" "SELECT group_concat(CASE direction WHEN 'upgrade' THEN '+' ELSE '-' END || revision, ' ') FROM (SELECT * FROM mig_history ORDER BY id);")" \
    "$(raw "$db" "SELECT group_concat(step, ' ') FROM (SELECT step FROM log ORDER BY rowid);")" \
    "round $round: the bodies that ran are exactly the recorded steps, in order"
# the state is what the applied steps add up to
want=$(raw "$db" "SELECT revision FROM (SELECT revision, direction, max(id) FROM mig_history GROUP BY revision)
                  WHERE direction = 'upgrade' ORDER BY revision DESC LIMIT 1;")
is "$(q "$db" "SELECT mig_current();")" "$want" "round $round: mig_current() is the highest revision whose last step was an upgrade"
is "$(raw "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'made_by_r01';")" \
    "$([ -n "$want" ] && echo 1 || echo 0)" "round $round: r01's table exists exactly when r01 is applied"

# A reader holding a read transaction (rollback journal) lets mig take the
# write lock and run, but not COMMIT: after lock_timeout the call fails
# cleanly, nothing is applied, and it succeeds once the reader is gone.
db=reader.db
raw "$db" "CREATE TABLE log (step TEXT, who TEXT);" >/dev/null
PREFIX="" PUT_OPTS=""
racer up.sql
q "$db" "$(cat up.sql)" >/dev/null
snapshot "$db" >before.snap
rm -f held
printf 'BEGIN;\nSELECT count(*) FROM mig_revision;\n.system touch held\n.system sleep 2\nCOMMIT;\n' |
    "$SQLITE3" -batch "$db" >/dev/null 2>&1 &
reader=$!
for _ in $(seq 200); do [ -e held ] && break; sleep 0.01; done
sql "$db" <<<"SELECT mig_upgrade('head', '{\"lock_timeout\": \"300ms\"}');"
like "$ERR" "cannot commit: database is locked" "a COMMIT blocked by a reader fails after lock_timeout"
same_snapshot "$db" before.snap "and nothing was applied"
wait "$reader"
is "$(q "$db" "SELECT mig_upgrade('head'); SELECT count(*) FROM log;")" "$(printf '%s\n%s' "$HEAD" "$N")" \
    "without the reader the same call applies every revision once"

done_testing

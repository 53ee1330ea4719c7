#!/bin/bash
# SPEC §4: concurrent calls on the same env/tenant are serialised (an
# advisory lock), so no revision is ever applied twice; lock_timeout turns
# the wait into a 55P03 error.
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

N=30
q -c "CREATE EXTENSION mig" -c "CREATE TABLE conc_log (rev text NOT NULL, pid int NOT NULL)" || exit 1
{
    prev=
    for i in $(seq -w 1 $N); do
        echo "SELECT mig_put_revision(\$r\$-- mig:revision r$i"
        [ -n "$prev" ] && echo "-- mig:down_revision $prev"
        echo "-- mig:message step $i"
        echo "-- mig:upgrade"
        echo "INSERT INTO conc_log VALUES ('r$i', pg_backend_pid());"
        echo "SELECT pg_sleep(0.005);"
        echo "-- mig:downgrade"
        echo "DELETE FROM conc_log WHERE rev = 'r$i';"
        echo "\$r\$);"
        prev=r$i
    done
} >"$tmp/revs.sql"
q -f "$tmp/revs.sql" >/dev/null || exit 1
check "the chain of $N revisions is stored" "$N" "$(q -c 'SELECT count(*) FROM mig.mig_revision')"
check "its head is r$N" "r$N" "$(q -c 'SELECT mig_heads()')"

# ---- 8 sessions upgrade at once --------------------------------------------------
pids=()
for s in 1 2 3 4 5 6 7 8; do
    psql -X -q -t -A -v ON_ERROR_STOP=1 -c "SELECT mig_upgrade('head')" >"$tmp/out.$s" 2>"$tmp/err.$s" &
    pids+=($!)
done
nfail=0
for s in 1 2 3 4 5 6 7 8; do
    if ! wait "${pids[$((s - 1))]}"; then
        nfail=$((nfail + 1))
        sed "s/^/# session $s: /" "$tmp/err.$s"
    fi
done
check "none of the 8 concurrent mig_upgrade('head') calls failed" 0 "$nfail"
for s in 1 2 3 4 5 6 7 8; do
    check "session $s returned the head" "r$N" "$(cat "$tmp/out.$s")"
done
check "each revision appears once in the log" "$N|$N" "$(q -c 'SELECT count(*), count(DISTINCT rev) FROM conc_log')"
check "every revision is in the log" "" "$(q -c "SELECT string_agg(r, ',') FROM (SELECT 'r' || lpad(i::text, 2, '0') r FROM generate_series(1, $N) i EXCEPT SELECT rev FROM conc_log) m")"
check "the log rows of one run come from one session" 1 "$(q -c 'SELECT count(DISTINCT pid) FROM conc_log')"
check "each revision appears once in mig_history (upgrade)" "$N|$N" \
    "$(q -c "SELECT count(*), count(DISTINCT revision) FROM mig.mig_history WHERE direction = 'upgrade'")"
check "mig_history has no other rows" "$N" "$(q -c 'SELECT count(*) FROM mig.mig_history')"
check "mig_current() is the head" "r$N" "$(q -c 'SELECT mig_current()')"
check "mig_version has one row" 1 "$(q -c 'SELECT count(*) FROM mig.mig_version')"

# ---- lock_timeout ------------------------------------------------------------------------------
q -c "SELECT mig_put_revision(\$r\$-- mig:revision r99
-- mig:down_revision r$N
-- mig:upgrade
INSERT INTO conc_log VALUES ('r99', pg_backend_pid());
\$r\$)" >/dev/null || exit 1
# session A takes the lock and keeps its transaction open until the test opens the gate
# (deterministic: no sleep decides the order)
. "$(dirname "$0")/gate.sh"
gate_create
gate_close
psql -X -q -t -A -v ON_ERROR_STOP=1 -c "BEGIN" -c "SELECT mig_upgrade('head')" -c "LOCK TABLE gate IN SHARE MODE" -c "COMMIT" \
    >"$tmp/a.out" 2>"$tmp/a.err" &
apid=$!
wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28009 AND granted)
          AND EXISTS (SELECT FROM pg_locks WHERE relation = 'gate'::regclass AND NOT granted)" \
    "session A holds the deploy lock and waits at the gate"
check "session A holds the deploy lock" 1 "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28009 AND granted")"
out=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -c '\set VERBOSITY verbose' -c "SELECT mig_upgrade('head', '{\"lock_timeout\": \"200ms\"}')" 2>&1)
rc=$?
check "session B with lock_timeout 200ms fails while A is still open" 1 "$([ $rc -ne 0 ] && echo 1 || echo 0)"
check "... with SQLSTATE 55P03" 1 "$(echo "$out" | grep -c 'ERROR:  55P03')"
echo "# session B said: $(echo "$out" | head -3 | tr '\n' ' ')"
out=$(q -c "SELECT mig_put_revision(E'-- mig:revision o1\n-- mig:upgrade\nSELECT 1;\n', '{\"env\": \"other\", \"lock_timeout\": \"200ms\"}')" 2>&1)
check "a call on another env is not blocked by A's lock" "o1" "$out"
out=$(q -c "SELECT mig_current()" 2>&1)
check "mig_current() (read-only) is not blocked and sees A's uncommitted work as not there" "r$N" "$out"
gate_open
wait $apid
check "session A committed fine" 0 "$?"
check "session A upgraded to r99" "r99" "$(sed -n 1p "$tmp/a.out")"
check "mig_current() is r99 after A" "r99" "$(q -c 'SELECT mig_current()')"
check "r99 ran once" 1 "$(q -c "SELECT count(*) FROM conc_log WHERE rev = 'r99'")"
check "the lock_timeout setting does not outlive the call" "r99|0" \
    "$(q -c "SELECT mig_stamp('r99', '{\"lock_timeout\": \"1s\"}')" -c "SHOW lock_timeout" | paste -sd'|')"
check "a failed call does not leave its lock_timeout behind either" "0" \
    "$(psql -X -q -t -A -c "SELECT mig_upgrade('nope', '{\"lock_timeout\": \"1s\"}')" -c "SHOW lock_timeout" 2>/dev/null)"
exit $fail

# gate.sh — deterministic ordering for the PostgreSQL shell tests (sourced).
#
# A test that needs "session B acts while session A is in the middle of its
# work" must not sleep and hope: A's revision waits on a gate the test
# holds, the test polls until A is really there (a state in pg_locks or a
# table, never a time), acts, then opens the gate.
#
#   gate_create            # CREATE TABLE gate (the revisions' statement: LOCK TABLE gate IN SHARE MODE)
#   gate_close             # a held-open session takes ACCESS EXCLUSIVE on gate
#   wait_for "SQL" [WHAT]  # polls until SQL returns t (60 s at most; fails the test then)
#   gate_open              # that session commits: every waiter goes on
gate_create() {
    psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS gate (x int)" >/dev/null
}

gate_close() {
    coproc GATE { psql -X -q -t -A -v ON_ERROR_STOP=1 2>&1; }
    # bash unsets GATE and GATE_PID once the coprocess is reaped: keep copies
    gate_pid=$GATE_PID gate_in=${GATE[1]} gate_out=${GATE[0]}
    echo "BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE; SELECT 'gate closed';" >&"$gate_in"
    local line
    read -r line <&"$gate_out"
    [ "$line" = "gate closed" ] || { echo "not ok - closing the gate: $line"; fail=1; }
}

gate_open() {
    echo "COMMIT;" >&"$gate_in"
    eval "exec $gate_in>&-"
    wait "$gate_pid" 2>/dev/null
}

# wait_for SQL [WHAT]: until the query returns t; a generous bound only
# guards against a hang, it decides nothing.
wait_for() {
    local i
    for i in $(seq 1 1200); do
        [ "$(psql -X -q -t -A -c "$1" 2>/dev/null)" = t ] && return 0
        sleep 0.05
    done
    echo "not ok - timed out waiting for: ${2:-$1}"
    fail=1
    return 1
}

#!/bin/bash
# SPEC §4 "transaction": "each" in PostgreSQL: the procedure mig_run, CALLed
# as a statement of its own, commits after every revision; a failure in
# revision k leaves 1..k-1 committed and k rolled back.  Inside a
# transaction block (BEGIN, a function, a query string of several
# statements) it is a clear error, as are the function forms with "each".
# Error paths must never take the backend down.
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
# the SQLSTATE and message of the first error of a psql run, or "ok"
err() {
    local out
    if out=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -c '\set VERBOSITY verbose' "$@" 2>&1 >/dev/null); then
        echo ok
    else
        echo "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)/\1 \2/p' | head -1
    fi
}
# the SQLSTATE alone
state() { err "$@" | cut -c1-5; }
EACH='{"transaction": "each"}'
. "$(dirname "$0")/gate.sh"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
start=$(q -c "SELECT pg_postmaster_start_time()")

# rev ID DOWN UPGRADE-BODY [ENV [DOWNGRADE-BODY]]: store a revision
rev() {
    local down="" downgrade=""
    [ -n "$2" ] && down="-- mig:down_revision $2"$'\n'
    [ -n "${5:-}" ] && downgrade="-- mig:downgrade"$'\n'"$5"
    q -c "SELECT mig_put_revision(\$r\$-- mig:revision $1
$down-- mig:upgrade
$3
$downgrade
\$r\$, '{\"env\": \"${4:-default}\"}')" >/dev/null || { echo "not ok - storing revision $1"; fail=1; }
}

q >/dev/null <<'SQL' || exit 1
CREATE EXTENSION mig;
CREATE TABLE log (env text, rev text, xid bigint, pid int DEFAULT pg_backend_pid());
SQL

# ---- the happy path: one transaction per revision --------------------------------------------
rev e1 "" "CREATE TABLE e1_t (id int); INSERT INTO log VALUES ('default', 'e1', txid_current());" default "DROP TABLE e1_t;"
rev e2 e1 "CREATE TABLE e2_t (id int); INSERT INTO log VALUES ('default', 'e2', txid_current());" default "DROP TABLE e2_t;"
rev e3 e2 "CREATE TABLE e3_t (id int); INSERT INTO log VALUES ('default', 'e3', txid_current());" default "DROP TABLE e3_t;"
check "CALL mig_run('upgrade', 'head', each) succeeds" ok "$(err -c "CALL mig_run('upgrade', 'head', '$EACH')")"
check "mig_current() is e3" e3 "$(q -c "SELECT mig_current()")"
check "the three revisions ran in three transactions" "3|3" "$(q -c "SELECT count(*), count(DISTINCT xid) FROM log")"
check "history has one upgrade row per revision" "e1 e2 e3" \
    "$(q -c "SELECT string_agg(revision, ' ' ORDER BY id) FROM mig.mig_history WHERE direction = 'upgrade'")"
check "a version row and history row were written in each revision's transaction" 3 \
    "$(q -c "SELECT count(DISTINCT xmin::text) FROM mig.mig_history")"
check "no advisory lock is left behind" 0 "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")"

# downgrade, and stamp, through the procedure
q -c "DELETE FROM log" || exit 1
check "CALL mig_run('downgrade', 'e1', each) succeeds" ok "$(err -c "CALL mig_run('downgrade', 'e1', '$EACH')")"
check "mig_current() is e1" e1 "$(q -c "SELECT mig_current()")"
check "e2_t and e3_t are gone" "|" "$(q -c "SELECT coalesce(to_regclass('e2_t')::text, '') || '|' || coalesce(to_regclass('e3_t')::text, '')")"
check "downgrade history rows in order" "e3 e2" \
    "$(q -c "SELECT string_agg(revision, ' ' ORDER BY id) FROM mig.mig_history WHERE direction = 'downgrade'")"
check "the two downgrade rows were committed separately" 2 \
    "$(q -c "SELECT count(DISTINCT xmin::text) FROM mig.mig_history WHERE direction = 'downgrade'")"
check "CALL mig_run('stamp', 'e3') moves the version only" "e3|" \
    "$(q -c "CALL mig_run('stamp', 'e3')" -c "SELECT mig_current() || '|' || coalesce(to_regclass('e3_t')::text, '')")"
check "CALL mig_run('stamp', 'e1', each) works too (a stamp is one unit)" e1 \
    "$(q -c "CALL mig_run('stamp', 'e1', '$EACH')" -c "SELECT mig_current()")"
check "\"all\" through the procedure: one transaction" "e3|1" \
    "$(q -c "DELETE FROM log" -c "CALL mig_run('upgrade', 'head')" \
        -c "SELECT mig_current() || '|' || count(DISTINCT xid) FROM log")"

# ---- a failure in revision 3 of 3: 1 and 2 stay committed, 3 leaves no trace -------------------
rev f1 "" "CREATE TABLE f1_t (id int); INSERT INTO log VALUES ('fail', 'f1', txid_current());" fail
rev f2 f1 "CREATE TABLE f2_t (id int); INSERT INTO log VALUES ('fail', 'f2', txid_current());" fail
rev f3 f2 "CREATE TABLE f3_t (id int);
INSERT INTO log VALUES ('fail', 'f3', txid_current());
UPDATE f1_t SET id = 1/0;
SELECT 1/0;" fail
out=$(err -c "CALL mig_run('upgrade', 'head', '{\"env\": \"fail\", \"transaction\": \"each\"}')")
echo "# f3 failed with: $out"
check "the failure is the statement's own SQLSTATE (22012)" 22012 "${out:0:5}"
check "the message names revision f3 and the direction" 1 "$(echo "$out" | grep -c 'revision f3 (upgrade)')"
check "f1 and f2 are committed: mig_current() is f2" f2 "$(q -c "SELECT mig_current('{\"env\": \"fail\"}')")"
check "history has the 2 committed revisions" "f1 f2" \
    "$(q -c "SELECT string_agg(revision, ' ' ORDER BY id) FROM mig.mig_history WHERE env = 'fail'")"
check "f1_t and f2_t exist" "f1_t|f2_t" "$(q -c "SELECT to_regclass('f1_t') || '|' || to_regclass('f2_t')")"
check "f3's table does not exist" "" "$(q -c "SELECT to_regclass('f3_t')")"
check "f3's log row is not there" "f1 f2" "$(q -c "SELECT string_agg(rev, ' ' ORDER BY rev) FROM log WHERE env = 'fail'")"
check "one version row" 1 "$(q -c "SELECT count(*) FROM mig.mig_version WHERE env = 'fail'")"
check "no advisory lock is left behind after the failure" 0 \
    "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")"
# the failing session keeps its connection: its lock must be gone at once
out=$(psql -X -q -t -A -c "CALL mig_run('upgrade', 'head', '{\"env\": \"fail\", \"transaction\": \"each\"}')" \
    -c "SELECT 'locks:' || count(*) FROM pg_locks WHERE locktype = 'advisory'" 2>/dev/null)
check "the session that failed holds no advisory lock and stays usable" "locks:0" "$out"

# a revision fixed, the run continues from f2
q -c "SELECT mig_put_revision(\$r\$-- mig:revision f3
-- mig:down_revision f2
-- mig:upgrade
CREATE TABLE f3_t (id int);
INSERT INTO log VALUES ('fail', 'f3', txid_current());
\$r\$, '{\"env\": \"fail\"}')" >/dev/null
check "after fixing f3 the run continues from f2" f3 \
    "$(q -c "CALL mig_run('upgrade', 'head', '{\"env\": \"fail\", \"transaction\": \"each\"}')" \
        -c "SELECT mig_current('{\"env\": \"fail\"}')")"

# ---- a deferred constraint that fails at COMMIT ---------------------------------------------------
q -c "CREATE TABLE parent (id int PRIMARY KEY)" || exit 1
rev d1 "" "CREATE TABLE d1_t (id int);" defer
rev d2 d1 "CREATE TABLE child (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
INSERT INTO child VALUES (42);" defer
out=$(err -c "CALL mig_run('upgrade', 'head', '{\"env\": \"defer\", \"transaction\": \"each\"}')")
echo "# d2 failed with: $out"
check "a deferred FK violation fails at d2's COMMIT (23503)" 23503 "${out:0:5}"
check "... and says the COMMIT failed" 1 "$(echo "$out" | grep -c 'COMMIT failed')"
check "d1 is committed, d2 is not" "d1|d1_t|" \
    "$(q -c "SELECT mig_current('{\"env\": \"defer\"}') || '|' || to_regclass('d1_t') || '|' || coalesce(to_regclass('child')::text, '')")"
check "history has d1 only" d1 "$(q -c "SELECT string_agg(revision, ' ') FROM mig.mig_history WHERE env = 'defer'")"

# ---- refused inside a transaction block ------------------------------------------------------------
rev b1 "" "CREATE TABLE b1_t (id int);" block
out=$(err -c "BEGIN" -c "CALL mig_run('upgrade', 'head', '{\"env\": \"block\", \"transaction\": \"each\"}')")
echo "# in BEGIN: $out"
check "each inside BEGIN ... is 25001" 25001 "${out:0:5}"
check "... and the message says it cannot commit inside a transaction block" 1 \
    "$(echo "$out" | grep -c 'cannot commit inside a transaction block')"
check "each in a query string of several statements is 25001" 25001 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"block\", \"transaction\": \"each\"}'); SELECT 1")"
q -c "CREATE FUNCTION call_each() RETURNS void LANGUAGE plpgsql AS \$f\$ BEGIN CALL mig_run('upgrade', 'head', '{\"env\": \"block\", \"transaction\": \"each\"}'); END \$f\$" || exit 1
check "each from a function is 25001" 25001 "$(state -c "SELECT call_each()")"
q -c "CREATE PROCEDURE call_atomic() LANGUAGE plpgsql SET work_mem = '8MB' AS \$f\$ BEGIN CALL mig_run('upgrade', 'head', '{\"env\": \"block\", \"transaction\": \"each\"}'); END \$f\$" || exit 1
check "each from a procedure with a SET clause (atomic) is 25001" 25001 "$(state -c "CALL call_atomic()")"
check "nothing ran" "|" "$(q -c "SELECT mig_current('{\"env\": \"block\"}') || '|' || coalesce(to_regclass('b1_t')::text, '')")"
check "\"all\" inside BEGIN nests and the caller's ROLLBACK undoes it" "b1|" \
    "$(q -c "BEGIN" -c "CALL mig_run('upgrade', 'head', '{\"env\": \"block\"}')" -c "SELECT mig_current('{\"env\": \"block\"}')" \
        -c "ROLLBACK" -c "SELECT mig_current('{\"env\": \"block\"}')" | paste -sd'|')"
for f in "mig_upgrade('head'" "mig_downgrade('base'" "mig_stamp('head'"; do
    out=$(err -c "SELECT $f, '$EACH')")
    check "the function form $f, each) is still 0A000" 0A000 "${out:0:5}"
done
out=$(psql -X -q -t -A -c '\set VERBOSITY verbose' -c "SELECT mig_upgrade('head', '$EACH')" 2>&1)
check "... with a hint naming CALL mig_run" 1 "$(echo "$out" | grep -c "HINT: .*CALL mig_run('upgrade'")"

# ---- nested CALLs that may commit: DO and a procedure without SET -------------------------------------
rev n1 "" "CREATE TABLE n1_t (id int); INSERT INTO log VALUES ('nest', 'n1', txid_current());" nest
rev n2 n1 "CREATE TABLE n2_t (id int); INSERT INTO log VALUES ('nest', 'n2', txid_current());" nest
check "each from a DO block commits per revision" "n2|2" \
    "$(q -c "DO \$\$BEGIN CALL mig_run('upgrade', 'head', '{\"env\": \"nest\", \"transaction\": \"each\"}'); END\$\$" \
        -c "SELECT mig_current('{\"env\": \"nest\"}') || '|' || count(DISTINCT xid) FROM log WHERE env = 'nest'")"
q -c "CREATE PROCEDURE deploy(t text) LANGUAGE plpgsql AS \$p\$ BEGIN CALL mig_run('downgrade', t, '{\"env\": \"nest\", \"transaction\": \"each\"}'); END \$p\$" || exit 1
check "each from a PL/pgSQL procedure" "" \
    "$(q -c "CALL deploy('base')" -c "SELECT mig_current('{\"env\": \"nest\"}')")"
# a block with an EXCEPTION clause is a subtransaction: no COMMIT is possible there
check "each in a DO block with an EXCEPTION clause is 25001, which the block can catch" "refused|" \
    "$(q -c "DO \$\$BEGIN CALL mig_run('upgrade', 'head', '{\"env\": \"nest\", \"transaction\": \"each\"}'); EXCEPTION WHEN active_sql_transaction THEN RAISE NOTICE 'refused'; END\$\$" 2>&1 | grep -o refused)|$(q -c "SELECT mig_current('{\"env\": \"nest\"}')")"

# ---- tenants: the search_path of every unit, restored at the end --------------------------------------
q -c "CREATE SCHEMA acme" || exit 1
rev t1 "" "CREATE TABLE tt1 (id int);" tenant
rev t2 t1 "CREATE TABLE tt2 (id int);" tenant
rev t3 t2 "CREATE TABLE tt3 (id int); SELECT set_config('lock_timeout', '7s', false);" tenant
out=$(q -c "SET lock_timeout = '3s'" \
    -c "CALL mig_run('upgrade', 'head', '{\"env\": \"tenant\", \"tenant\": \"acme\", \"transaction\": \"each\", \"lock_timeout\": \"2s\"}')" \
    -c "SHOW search_path" -c "SHOW lock_timeout" | paste -sd'|')
check "after a tenant run the session's search_path and lock_timeout are its own" "\"\$user\", public|3s" "$out"
check "all three tables were created in the tenant schema (search_path set again after each COMMIT)" "acme.tt1 acme.tt2 acme.tt3" \
    "$(q -c "SELECT string_agg(n.nspname || '.' || c.relname, ' ' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'tt_'")"
check "the tenant's version state" "t3|" \
    "$(q -c "SELECT mig_current('{\"env\": \"tenant\", \"tenant\": \"acme\"}') || '|' || mig_current('{\"env\": \"tenant\"}')")"
check "history rows carry the tenant" "3|3" \
    "$(q -c "SELECT count(*), count(DISTINCT xmin::text) FROM mig.mig_history WHERE env = 'tenant' AND tenant = 'acme'")"
check "an unknown tenant schema is an error (22023)" 22023 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"tenant\", \"tenant\": \"nope\", \"transaction\": \"each\"}')")"

# ---- x-arguments survive the commits --------------------------------------------------------------------
rev x1 "" "INSERT INTO log VALUES ('x', mig_x('tag'), txid_current());" x
rev x2 x1 "INSERT INTO log VALUES ('x', mig_x('tag'), txid_current());" x
rev x3 x2 "INSERT INTO log VALUES ('x', mig_x('tag'), txid_current());" x
q -c "CALL mig_run('upgrade', 'head', '{\"env\": \"x\", \"transaction\": \"each\", \"x\": {\"tag\": \"hello\"}}')" || fail=1
check "mig_x() is readable in every revision" "hello hello hello|3" \
    "$(q -c "SELECT string_agg(rev, ' ') || '|' || count(DISTINCT xid) FROM log WHERE env = 'x'")"
check "mig_x() is NULL after the run" "null" "$(q -c "SELECT coalesce(mig_x('tag'), 'null')")"

# ---- statements that end transactions stay refused ---------------------------------------------------------
rev c1 "" "CREATE TABLE c1_t (id int);" ctl
rev c2 c1 "CREATE TABLE c2_t (id int);
COMMIT;" ctl
check "a COMMIT in a revision is refused (0A000) even with each" 0A000 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"ctl\", \"transaction\": \"each\"}')")"
check "... c1 committed, c2 not" "c1|" \
    "$(q -c "SELECT mig_current('{\"env\": \"ctl\"}') || '|' || coalesce(to_regclass('c2_t')::text, '')")"
q -c "SELECT mig_put_revision(\$r\$-- mig:revision c2
-- mig:down_revision c1
-- mig:upgrade
CREATE TABLE c2_t (id int);
DO \$\$BEGIN COMMIT; END\$\$;
\$r\$, '{\"env\": \"ctl\"}')" >/dev/null
check "a COMMIT in a DO block of a revision fails (2D000)" 2D000 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"ctl\", \"transaction\": \"each\"}')")"
check "... and c2 is rolled back" "c1|" \
    "$(q -c "SELECT mig_current('{\"env\": \"ctl\"}') || '|' || coalesce(to_regclass('c2_t')::text, '')")"
q -c "SELECT mig_put_revision(\$r\$-- mig:revision c2
-- mig:down_revision c1
-- mig:upgrade
CALL mig_run('upgrade', 'head');
\$r\$, '{\"env\": \"ctl\"}')" >/dev/null
check "a revision cannot CALL mig_run itself (0A000)" 0A000 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"ctl\", \"transaction\": \"each\"}')")"

# ---- a cancel in the middle of a run ---------------------------------------------------
gate_create
gate_close
rev s1 "" "INSERT INTO log VALUES ('sleep', 's1', txid_current());" sleep
rev s2 s1 "INSERT INTO log VALUES ('sleep', 's2', txid_current());" sleep
rev s3 s2 "INSERT INTO log VALUES ('sleep', 's3', txid_current()); LOCK TABLE gate IN SHARE MODE;" sleep
err -c "CALL mig_run('upgrade', 'head', '{\"env\": \"sleep\", \"transaction\": \"each\"}')" >"$tmp/cancel.out" &
cpid=$!
# s3 waits at the gate: cancel it there (what statement_timeout or pg_cancel_backend does)
wait_for "SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'gate'::regclass AND NOT granted)" "s3 waits at the gate"
q -c "SELECT pg_cancel_backend(pid) FROM pg_locks WHERE relation = 'gate'::regclass AND NOT granted" >/dev/null
wait $cpid
out=$(cat "$tmp/cancel.out")
gate_open
check "a cancel stops the run (57014)" 57014 "${out:0:5}"
check "... after s1 and s2 were committed" "s2|s1 s2" \
    "$(q -c "SELECT mig_current('{\"env\": \"sleep\"}') || '|' || (SELECT string_agg(rev, ' ' ORDER BY rev) FROM log WHERE env = 'sleep')")"

# ---- a long chain: plans prepared again after every COMMIT, memory of the call survives -------------------
{
    prev=
    for i in $(seq 1 200); do
        echo "SELECT mig_put_revision(\$r\$-- mig:revision l$i"
        [ -n "$prev" ] && echo "-- mig:down_revision $prev"
        echo "-- mig:message step $i of a long chain"
        echo "-- mig:upgrade"
        echo "INSERT INTO log VALUES ('long', 'l$i', txid_current());"
        echo "-- mig:downgrade"
        echo "DELETE FROM log WHERE env = 'long' AND rev = 'l$i';"
        echo "\$r\$, '{\"env\": \"long\"}');"
        prev=l$i
    done
} >"$tmp/long.sql"
q -f "$tmp/long.sql" >/dev/null || exit 1
check "200 revisions with each: 200 transactions" "l200|200|200" \
    "$(q -c "CALL mig_run('upgrade', 'head', '{\"env\": \"long\", \"transaction\": \"each\"}')" \
        -c "SELECT mig_current('{\"env\": \"long\"}') || '|' || count(*) || '|' || count(DISTINCT xid) FROM log WHERE env = 'long'")"
check "and back down to base" "|0|200" \
    "$(q -c "CALL mig_run('downgrade', 'base', '{\"env\": \"long\", \"transaction\": \"each\"}')" \
        -c "SELECT mig_current('{\"env\": \"long\"}') || '|' || (SELECT count(*) FROM log WHERE env = 'long') || '|' || (SELECT count(*) FROM mig.mig_history WHERE env = 'long' AND direction = 'downgrade')")"

# ---- concurrent CALLs: the whole run is serialised, each revision runs once ----------------------------------
{
    prev=
    for i in $(seq -w 1 20); do
        echo "SELECT mig_put_revision(\$r\$-- mig:revision k$i"
        [ -n "$prev" ] && echo "-- mig:down_revision $prev"
        echo "-- mig:upgrade"
        echo "INSERT INTO log VALUES ('conc', 'k$i', txid_current());"
        echo "SELECT pg_sleep(0.01);"
        echo "\$r\$, '{\"env\": \"conc\"}');"
        prev=k$i
    done
} >"$tmp/conc.sql"
q -f "$tmp/conc.sql" >/dev/null || exit 1
pids=()
for s in 1 2 3 4 5 6; do
    psql -X -q -t -A -v ON_ERROR_STOP=1 -c "CALL mig_run('upgrade', 'head', '{\"env\": \"conc\", \"transaction\": \"each\"}')" \
        >"$tmp/out.$s" 2>"$tmp/err.$s" &
    pids+=($!)
done
nfail=0
for s in 1 2 3 4 5 6; do
    if ! wait "${pids[$((s - 1))]}"; then nfail=$((nfail + 1)); sed "s/^/# session $s: /" "$tmp/err.$s"; fi
done
check "none of 6 concurrent CALLs failed" 0 "$nfail"
check "each revision ran once, in its own transaction" "20|20|20" \
    "$(q -c "SELECT count(*) || '|' || count(DISTINCT rev) || '|' || count(DISTINCT xid) FROM log WHERE env = 'conc'")"
check "one session ran them all (the others found nothing to do)" 1 \
    "$(q -c "SELECT count(DISTINCT pid) FROM log WHERE env = 'conc'")"
check "history: 20 rows" 20 "$(q -c "SELECT count(*) FROM mig.mig_history WHERE env = 'conc'")"
check "mig_current() is k20" k20 "$(q -c "SELECT mig_current('{\"env\": \"conc\"}')")"

# a function call waits for a run in progress (the same lock), between two of its commits too.
# Deterministic: w2 waits on a gate the test holds, so the run is certainly in progress (w1
# committed, its session lock held) while the other calls are tried; no sleep decides anything.
gate_create
gate_close
rev w1 "" "SELECT 1;" wait
rev w2 w1 "LOCK TABLE gate IN SHARE MODE;" wait
rev w3 w2 "SELECT 1;" wait
psql -X -q -c "CALL mig_run('upgrade', 'head', '{\"env\": \"wait\", \"transaction\": \"each\"}')" >/dev/null 2>&1 &
apid=$!
wait_for "SELECT EXISTS (SELECT FROM mig.mig_history WHERE env = 'wait' AND revision = 'w1')
          AND EXISTS (SELECT FROM pg_locks WHERE relation = 'gate'::regclass AND NOT granted)" \
    "the run committed w1 and waits in w2"
check "while the run is in progress, mig_upgrade with lock_timeout 100ms fails (55P03)" 55P03 \
    "$(state -c "SELECT mig_upgrade('head', '{\"env\": \"wait\", \"lock_timeout\": \"100ms\"}')")"
check "... and so does CALL mig_run with lock_timeout 100ms (55P03)" 55P03 \
    "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"wait\", \"transaction\": \"each\", \"lock_timeout\": \"100ms\"}')")"
q -c "CALL mig_run('upgrade', 'head', '{\"env\": \"wait\", \"transaction\": \"each\"}')" \
    -c "SELECT mig_current('{\"env\": \"wait\"}')" >"$tmp/second.out" 2>&1 &
bpid=$!
wait_for "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28009 AND NOT granted" \
    "the second CALL waits for the deploy lock"
gate_open
wait $bpid
check "a second CALL waits and then finds nothing to do" w3 "$(cat "$tmp/second.out")"
wait $apid
check "the first run succeeded" 0 "$?"
check "w1..w3 ran once each" 3 "$(q -c "SELECT count(*) FROM mig.mig_history WHERE env = 'wait'")"

# ---- privileges ---------------------------------------------------------------------------------------------
q -c "DO \$\$BEGIN CREATE ROLE each_plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" || exit 1
check "PUBLIC cannot CALL mig_run (42501)" 42501 "$(state -U each_plain -c "CALL mig_run('upgrade', 'head')")"
q -c "GRANT EXECUTE ON PROCEDURE mig_run(text, text, text) TO each_plain" -c "GRANT USAGE ON SCHEMA mig TO each_plain" \
    -c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mig TO each_plain" \
    -c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA mig TO each_plain" -c "GRANT INSERT ON log TO each_plain" || exit 1
rev g1 "" "INSERT INTO log VALUES ('grant', current_user, txid_current());" grant
check "after GRANT EXECUTE ON PROCEDURE the role can run, as itself" "g1|each_plain" \
    "$(psql -X -q -t -A -U each_plain -c "CALL mig_run('upgrade', 'head', '{\"env\": \"grant\", \"transaction\": \"each\"}')" \
        -c "SELECT mig_current('{\"env\": \"grant\"}')" 2>&1)|$(q -c "SELECT rev FROM log WHERE env = 'grant'")"
check "mig_run is not SECURITY DEFINER" f "$(q -c "SELECT prosecdef FROM pg_proc WHERE proname = 'mig_run'")"
q -c "DROP OWNED BY each_plain" && psql -X -q -d postgres -c "DROP ROLE each_plain" >/dev/null 2>&1

check "the backend survived" 1 "$(q -c 'SELECT 1')"
check "the postmaster did not restart" "$start" "$(q -c "SELECT pg_postmaster_start_time()")"
exit $fail

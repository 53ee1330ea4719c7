#!/bin/bash
# Review regressions (mig_pg.c): robustness of the PostgreSQL frontend.
# Each check runs in its own psql session; the backend must survive and the
# postmaster must not restart.
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A "$@" 2>/dev/null; }
start=$(q -c "SELECT pg_postmaster_start_time()")
q -c "CREATE EXTENSION mig" >/dev/null

# errors inside revision bodies, statement_timeout, self-cancel, PL/pgSQL EXCEPTION blocks
q >/dev/null <<'SQL'
SELECT mig_put_revision($r$-- mig:revision r1
-- mig:upgrade
CREATE TABLE t1 (id int);
-- mig:downgrade
DROP TABLE t1;
$r$);
SELECT mig_put_revision($r$-- mig:revision r2
-- mig:down_revision r1
-- mig:upgrade
DO $$BEGIN PERFORM 1/0; END$$;
$r$);
SELECT mig_put_revision($r$-- mig:revision s1
-- mig:upgrade
SELECT pg_sleep(5);
$r$, '{"env": "sleep"}');
SELECT mig_put_revision($r$-- mig:revision c1
-- mig:upgrade
SELECT pg_cancel_backend(pg_backend_pid());
SELECT pg_sleep(0.2);
$r$, '{"env": "cancel"}');
SQL
out=$(q <<'SQL'
DO $$BEGIN PERFORM mig_upgrade('head'); EXCEPTION WHEN division_by_zero THEN NULL; END$$;
SET statement_timeout = '200ms';
SELECT mig_upgrade('head', '{"env": "sleep"}');
DO $$BEGIN PERFORM mig_upgrade('head', '{"env": "sleep"}'); EXCEPTION WHEN query_canceled THEN NULL; END$$;
RESET statement_timeout;
SELECT mig_upgrade('head', '{"env": "cancel"}');
SELECT mig_upgrade('r1');
SELECT 'alive:' || mig_current();
SQL
)
check "errors/timeouts/cancel inside revisions fail cleanly, session usable" "r1
alive:r1" "$out"

# NULL arguments
out=$(q <<'SQL'
SELECT mig_upgrade(NULL);
SELECT * FROM mig_plan(NULL, NULL);
SELECT mig_batch(NULL, NULL);
SELECT coalesce(mig_x(NULL), 'null');
SQL
)
check "NULL arguments are errors, not crashes" "null" "$out"

# mig_plan in a cursor fetched partially
out=$(q <<'SQL'
SELECT mig_downgrade('base');
BEGIN;
DECLARE c CURSOR FOR SELECT revision FROM mig_plan('upgrade', 'r1');
FETCH 1 FROM c;
SELECT mig_current();
COMMIT;
SQL
)
check "mig_plan in a cursor" "
r1" "$out"

# CONFIRMED PROBLEM: a revision's session-level SET search_path / SET ROLE
# outlives the mig_upgrade() call (no tenant option)
q >/dev/null <<'SQL'
CREATE SCHEMA s1;
CREATE ROLE rv_dep;
GRANT USAGE ON SCHEMA mig TO rv_dep;
GRANT ALL ON ALL TABLES IN SCHEMA mig TO rv_dep;
GRANT ALL ON ALL SEQUENCES IN SCHEMA mig TO rv_dep;
SELECT mig_put_revision($r$-- mig:revision p1
-- mig:upgrade
SET search_path = s1;
$r$, '{"env": "sp"}');
SELECT mig_put_revision($r$-- mig:revision p2
-- mig:upgrade
SET ROLE rv_dep;
$r$, '{"env": "role"}');
SQL
out=$(q -c "SELECT public.mig_upgrade('p1', '{\"env\": \"sp\"}')" -c "SHOW search_path")
check "a revision's SET search_path does not leak into the session" "p1
\"\$user\", public" "$out"
out=$(q -c "SELECT mig_upgrade('p2', '{\"env\": \"role\"}')" -c "SELECT current_user")
check "a revision's SET ROLE does not leak into the session" "p2
postgres" "$out"

# CONFIRMED PROBLEM: mig_batch passes the actions to SPI_execute, which runs
# any further statements, and ignores its result
q >/dev/null <<'SQL'
CREATE TABLE bt (a int);
CREATE TABLE victim (a int);
SQL
q -c "SELECT mig_batch('bt', 'ADD COLUMN q int; DROP TABLE victim')" >/dev/null
check "mig_batch runs no statement but ALTER TABLE" "victim" "$(q -c "SELECT to_regclass('victim')")"
out=$(psql -X -q -t -A -c "SELECT mig_batch('bt', 'ADD COLUMN r int; COMMIT')" 2>&1 | grep -c ERROR)
check "mig_batch reports a statement that SPI refuses (COMMIT)" "1" "$out"

check "the backend survived" "1" "$(q -c 'SELECT 1')"
check "the postmaster did not restart" "$start" "$(q -c "SELECT pg_postmaster_start_time()")"
exit $fail

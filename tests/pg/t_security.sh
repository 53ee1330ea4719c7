#!/bin/bash
# Security regressions (PostgreSQL): each hole of the adversarial review, from
# its reproduction, with variants.  A hole is closed when the attack fails AND
# nothing changed: no role gained rights, no table was dropped, the version
# state and history are as before.
#   - a tenant schema's owner cannot get the deployer's (a superuser's) rights
#   - the engine's own queries are immune to the caller's search_path
#     (an operator or function planted in a schema on that path)
#   - mig_batch runs exactly the ALTER TABLE statements it means
#   - the body that runs is the body whose checksum is stored
#   - names that reach mig_sql's script cannot end a comment
#   - a role with no deploy right cannot take the deploy lock
#   - a deployer needs EXECUTE on the functions, not write grants on the tables
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
state() { err "$@" | cut -c1-5; }
is_super() { q -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$1'"; }
# what must not change: the state tables and the objects of the database
snapshot() {
    q -c "SELECT (SELECT string_agg(env || '/' || tenant || '/' || version_num, ',' ORDER BY 1) FROM mig.mig_version)
           || '|' || (SELECT count(*) FROM mig.mig_history)
           || '|' || (SELECT string_agg(n.nspname || '.' || c.relname, ',' ORDER BY 1) FROM pg_class c
                      JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'mig'))
           || '|' || (SELECT string_agg(rolname, ',' ORDER BY 1) FROM pg_roles WHERE rolsuper)"
}
roles="sec_tenant sec_evil sec_deploy sec_nobody"
cleanup() {
    for r in $roles; do q -c "DROP OWNED BY $r CASCADE" >/dev/null 2>&1; done
    for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
}
trap cleanup EXIT
q -c "CREATE EXTENSION mig" || exit 1
for r in $roles; do
    q -c "DO \$\$BEGIN CREATE ROLE $r LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" || exit 1
done
put() { # put ENV SOURCE
    q -c "SELECT mig_put_revision(\$r\$$2\$r\$, '{\"env\": \"$1\"}')" >/dev/null || { echo "not ok - storing a revision in $1"; fail=1; }
}

# ---- 1. a tenant schema's owner does not become superuser ----------------------------------------------
q >/dev/null <<'SQL' || exit 1
CREATE SCHEMA acme AUTHORIZATION sec_tenant;
CREATE TABLE victim (v int);
INSERT INTO victim VALUES (1);
SQL
# the owner of acme plants functions named like mig's own idioms, which would run as the caller
q -U sec_tenant >/dev/null <<'SQL' || exit 1
CREATE FUNCTION acme.mig_x(text) RETURNS text LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE sec_tenant SUPERUSER'; RETURN 'x'; END$f$;
CREATE FUNCTION acme.mig_batch(text, text, text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE sec_tenant SUPERUSER'; RETURN 'x'; END$f$;
CREATE FUNCTION acme.lower(text) RETURNS text LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE sec_tenant SUPERUSER'; RETURN 'x'; END$f$;
SQL
put tenant $'-- mig:revision t1\n-- mig:upgrade\nCREATE TABLE things (id int);\nSELECT mig_x(\'k\');\nSELECT mig_batch(\'things\', \'ADD COLUMN n int\');\n'
before=$(snapshot)
out=$(err -c "SELECT mig_upgrade('head', '{\"env\": \"tenant\", \"tenant\": \"acme\"}')")
check "a superuser's upgrade of a tenant owned by another role is refused (55000 is not it: 0A000)" 0A000 "${out:0:5}"
case $out in *"owned by role \"sec_tenant\""*) echo "ok - the error names the schema's owner";;
    *) echo "not ok - the error names the schema's owner: $out"; fail=1;; esac
check "the tenant's owner did not become superuser" f "$(is_super sec_tenant)"
check "nothing changed (versions, history, tables, superusers)" "$before" "$(snapshot)"
check "... so do downgrade" 0A000 "$(state -c "SELECT mig_downgrade('base', '{\"env\": \"tenant\", \"tenant\": \"acme\"}')")"
check "... and CALL mig_run" 0A000 "$(state -c "CALL mig_run('upgrade', 'head', '{\"env\": \"tenant\", \"tenant\": \"acme\"}')")"
check "the tenant's owner is still not superuser" f "$(is_super sec_tenant)"
# the same schema run by its owner: the planted functions run with the owner's own rights, harmlessly
q -c "GRANT EXECUTE ON FUNCTION mig_upgrade(text, text) TO sec_tenant" -c "GRANT USAGE ON SCHEMA mig TO sec_tenant" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA mig TO sec_tenant" >/dev/null || exit 1
out=$(err -U sec_tenant -c "SELECT mig_upgrade('head', '{\"env\": \"tenant\", \"tenant\": \"acme\"}')")
check "the schema's owner itself may run its tenant's migration: its planted mig_x runs with its own rights (42501)" \
    42501 "${out:0:5}"
check "... so the owner is still not superuser" f "$(is_super sec_tenant)"
# a schema owned by the deployer but open to everyone's CREATE is refused too
q -c "CREATE SCHEMA open_t" -c "GRANT CREATE ON SCHEMA open_t TO PUBLIC" >/dev/null || exit 1
out=$(err -c "SELECT mig_upgrade('head', '{\"env\": \"tenant\", \"tenant\": \"open_t\"}')")
check "a tenant schema in which PUBLIC may CREATE is refused" 0A000 "${out:0:5}"
case $out in *"PUBLIC"*) echo "ok - ... the error says PUBLIC may create there";;
    *) echo "not ok - ... the error says PUBLIC may create there: $out"; fail=1;; esac
q -c "REVOKE CREATE ON SCHEMA open_t FROM PUBLIC" -c "GRANT CREATE ON SCHEMA open_t TO sec_evil" >/dev/null
check "... and one in which a role the caller does not control may CREATE" 0A000 \
    "$(state -c "SELECT mig_upgrade('head', '{\"env\": \"tenant\", \"tenant\": \"open_t\"}')")"
q -c "REVOKE CREATE ON SCHEMA open_t FROM sec_evil" -c "DROP FUNCTION acme.mig_x(text), acme.mig_batch(text, text, text), acme.lower(text)" >/dev/null
check "a tenant schema only the deployer controls runs" "t1|t" \
    "$(q -c "SELECT mig_upgrade('head', '{\"env\": \"tenant\", \"tenant\": \"open_t\"}')" -c "SELECT to_regclass('open_t.things') IS NOT NULL" | paste -sd'|')"

# ---- 2. the engine's queries are immune to the caller's search_path ------------------------------------------
q -c "GRANT CREATE ON SCHEMA public TO sec_evil" >/dev/null || exit 1
q -U sec_evil >/dev/null <<'SQL' || exit 1
CREATE FUNCTION public.evil_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE sec_evil SUPERUSER'; RETURN $1 OPERATOR(pg_catalog.=) $2; END$f$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
CREATE FUNCTION public.hashtext(text) RETURNS int LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE sec_evil SUPERUSER'; RETURN 1; END$f$;
SQL
put default $'-- mig:revision d1\n-- mig:upgrade\nCREATE TABLE d1_t (id int);\n-- mig:downgrade\nDROP TABLE d1_t;\n'
P="SET search_path = public, pg_catalog"
for call in "SELECT mig_current()" "SELECT mig_heads()" "SELECT mig_check()" "SELECT * FROM mig_plan('upgrade', 'head')" \
    "SELECT mig_sql('upgrade', 'head')" "SELECT mig_upgrade('head')" "SELECT mig_downgrade('base')" "SELECT mig_stamp('d1')" \
    "SELECT mig_put_revision(\$r\$-- mig:revision d2
-- mig:down_revision d1
-- mig:upgrade
SELECT 1;
\$r\$)" "SELECT mig_remove_revision('d2')" "CALL mig_run('upgrade', 'head', '{\"transaction\": \"each\"}')" \
    "SELECT mig_lock()"; do
    q -c "$P" -c "$call" >/dev/null 2>&1
    check "the caller's search_path supplies no operator to: ${call%%(*}" f "$(is_super sec_evil)"
done
check "the calls themselves worked under that search_path (d2 uploaded, removed; head is d1)" d1 \
    "$(q -c "$P" -c "SELECT mig_current()")"

# ---- 3. mig_batch runs exactly the ALTER TABLE it means -------------------------------------------------------
q -c "CREATE TABLE foo (x int)" -c "INSERT INTO foo VALUES (1), (2)" >/dev/null || exit 1
before=$(snapshot)
for actions in "ADD COLUMN y text DEFAULT E'\\\\'' ; DROP TABLE victim; -- '" \
    "ADD COLUMN y text DEFAULT \$\$'\$\$ ; DROP TABLE victim; -- '" \
    "ADD COLUMN y text DEFAULT 'a', ALTER COLUMN x TYPE text USING E'\\\\'' ; DROP TABLE victim; -- '" \
    "RENAME COLUMN x TO \"z\" ; DROP TABLE victim; --" \
    "ALTER COLUMN x SET DEFAULT 1; DROP TABLE victim" \
    "ADD COLUMN y int /* ; DROP TABLE victim; */" \
    "DROP CONSTRAINT IF EXISTS c ; DROP TABLE victim"; do
    q -c "SELECT mig_batch('foo', \$q\$$actions\$q\$)" >/dev/null 2>&1
    check "mig_batch drops nothing with: $actions" "1|2" \
        "$(q -c "SELECT (SELECT count(*) FROM victim) || '|' || (SELECT count(*) FROM foo)" 2>&1)"
done
check "the one harmless action (a comment inside it) did only its ALTER TABLE" y \
    "$(q -c "SELECT string_agg(column_name, ',') FROM information_schema.columns WHERE table_name = 'foo' AND column_name = 'y'")"
q -c "ALTER TABLE foo DROP COLUMN y" >/dev/null
check "no mig_batch attempt changed anything else" "$before" "$(snapshot)"
put batch $'-- mig:revision b1\n-- mig:upgrade\nSELECT mig_batch(\'foo\', $q$ADD COLUMN y text DEFAULT E\'\\\'\' ; DROP TABLE victim; -- \'$q$);\n'
check "... nor from inside a revision (the run fails)" "42601" \
    "$(state -c "SELECT mig_upgrade('head', '{\"env\": \"batch\"}')")"
check "victim survives" 1 "$(q -c "SELECT count(*) FROM victim")"
check "legitimate actions still work" "alter table (2 statements)" \
    "$(q -c "SELECT mig_batch('foo', 'ADD COLUMN note text DEFAULT E''it''''s; fine'', RENAME COLUMN note TO memo')")"
check "... and the default is the literal text" "it's; fine" "$(q -c "SELECT column_default FROM information_schema.columns WHERE table_name = 'foo' AND column_name = 'memo'" | sed "s/^'\(.*\)'::text$/\1/; s/''/'/g")"

# ---- 4. the body that runs is the body whose checksum is stored -------------------------------------------------
put sum $'-- mig:revision s1\n-- mig:upgrade\nCREATE TABLE s1_t (id int);\n-- mig:downgrade\nDROP TABLE s1_t;\n'
q -c "UPDATE mig.mig_revision SET source = replace(source, 'CREATE TABLE s1_t (id int);', 'DROP TABLE victim;') WHERE env = 'sum'" >/dev/null
before=$(snapshot)
out=$(err -c "SELECT mig_upgrade('head', '{\"env\": \"sum\"}')")
check "a source changed behind mig's back does not run (55000)" 55000 "${out:0:5}"
case $out in *"checksum"*) echo "ok - ... the error speaks of the checksum";;
    *) echo "not ok - ... the error speaks of the checksum: $out"; fail=1;; esac
check "... victim survives, nothing changed" "$before" "$(snapshot)"
check "... and mig_sql refuses to print it as well" 55000 "$(state -c "SELECT mig_sql('upgrade', 'head', '{\"env\": \"sum\"}')")"
q -c "UPDATE mig.mig_revision SET down_revisions = 'nope' WHERE env = 'sum'" >/dev/null
check "a changed graph column is caught too (graph or checksum error, never a run)" 1 \
    "$(state -c "SELECT mig_upgrade('head', '{\"env\": \"sum\"}')" | grep -c '^55000\|^22000')"

# ---- 5. the deploy right is EXECUTE; the tables need no write grant ----------------------------------------
q >/dev/null <<'SQL' || exit 1
CREATE SCHEMA dep AUTHORIZATION sec_deploy;
GRANT EXECUTE ON FUNCTION mig_put_revision(text, text), mig_remove_revision(text, text), mig_upgrade(text, text),
    mig_downgrade(text, text), mig_stamp(text, text), mig_lock(text), mig_unlock(text) TO sec_deploy;
GRANT EXECUTE ON PROCEDURE mig_run(text, text, text) TO sec_deploy;
SQL
check "a deployer with EXECUTE only can upload and upgrade" "r1|r1" \
    "$(q -U sec_deploy -c "SELECT mig_put_revision(\$r\$-- mig:revision r1
-- mig:upgrade
CREATE TABLE dep.r1_t (who text DEFAULT current_user);
INSERT INTO dep.r1_t DEFAULT VALUES;
\$r\$, '{\"env\": \"dep\"}')" -c "SELECT mig_upgrade('head', '{\"env\": \"dep\"}')" 2>&1 | paste -sd'|')"
check "... the revision ran as the deployer, and is recorded so" "sec_deploy|sec_deploy" \
    "$(q -c "SELECT (SELECT who FROM dep.r1_t) || '|' || (SELECT applied_by FROM mig.mig_history WHERE env = 'dep')")"
check "... yet it cannot write the state tables directly (42501)" 42501 \
    "$(state -U sec_deploy -c "UPDATE mig.mig_revision SET source = 'x'")"
check "a role without the deploy right cannot take the deploy lock (42501)" 42501 \
    "$(state -U sec_nobody -c "SELECT mig_lock()")"
# a tenant schema the deployer has no USAGE on: the server would leave it
# out of the search path and the revisions would run in public
q -c "CREATE SCHEMA hidden_t" >/dev/null || exit 1
before=$(snapshot)
out=$(err -U sec_deploy -c "SELECT mig_put_revision(\$r\$-- mig:revision h1
-- mig:upgrade
CREATE TABLE h1_t (x int);
\$r\$, '{\"env\": \"hid\", \"tenant\": \"hidden_t\"}')" -c "SELECT mig_upgrade('head', '{\"env\": \"hid\", \"tenant\": \"hidden_t\"}')")
check "a tenant schema without USAGE for the deployer is refused (0A000)" 0A000 "${out:0:5}"
case $out in *'no USAGE on tenant schema "hidden_t"'*) echo "ok - ... the error says so";;
    *) echo "not ok - ... the error says so: $out"; fail=1;; esac
check "... nothing created in public, nothing recorded" "$before" "$(snapshot)"

# ---- 6. a role with no deploy right cannot hold deployments up ----------------------------------------------
# the key the extension used to lock, taken by a role that may only log in
# (bash unsets HOLD and HOLD_PID once the coprocess is reaped: keep copies)
coproc HOLD { psql -X -q -t -A -U sec_nobody 2>&1; }
hold_pid=$HOLD_PID hold_in=${HOLD[1]} hold_out=${HOLD[0]}
echo "SELECT pg_advisory_lock(pg_catalog.hashtext('mig:default:')), pg_advisory_lock(pg_catalog.hashtext('mig:dep:')); SELECT 'held';" >&"$hold_in"
read -r line <&"$hold_out"
read -r line <&"$hold_out"
check "a plain role holds the old public lock keys" held "$line"
put default $'-- mig:revision d3\n-- mig:down_revision d1\n-- mig:upgrade\nSELECT 1;\n'
check "a deploy is not blocked by it (lock_timeout 1s not reached)" d3 \
    "$(q -c "SELECT mig_upgrade('head', '{\"lock_timeout\": \"1s\"}')" 2>&1)"
check "nor is CALL mig_run with each" ok \
    "$(err -c "CALL mig_run('downgrade', 'd1', '{\"transaction\": \"each\", \"lock_timeout\": \"1s\"}')")"
check "nor the client's lock" t "$(q -U sec_deploy -c "SELECT mig_lock('{\"env\": \"dep\"}')")"
eval "exec $hold_in>&-"
wait "$hold_pid" 2>/dev/null

# ---- 7. names that reach mig_sql's script cannot end its comments --------------------------------------------------
check "an env with a line break is refused (22023)" 22023 \
    "$(state -c "SELECT mig_sql('upgrade', 'head', E'{\"env\": \"e\\\\nDROP TABLE victim; --\"}')")"
check "... by every function" 22023 \
    "$(state -c "SELECT mig_put_revision('-- mig:revision z', E'{\"env\": \"e\\\\rDROP TABLE victim; --\"}')")"
check "a tenant with a line break is refused (22023)" 22023 \
    "$(state -c "SELECT mig_current(E'{\"tenant\": \"a\\\\nb\"}')")"
q -c "SELECT mig_put_revision(E'-- mig:revision m1\\n-- mig:message hello\\rDROP TABLE victim; --\\n-- mig:upgrade\\nSELECT 1;\\n', '{\"env\": \"msg\"}')" >/dev/null
script=$(q -c "SELECT mig_sql('upgrade', 'head', '{\"env\": \"msg\"}')")
check "a message with a carriage return stays inside its comment" 0 \
    "$(printf '%s' "$script" | tr '\r' '\n' | grep -c '^DROP TABLE victim')"
check "the script sets standard_conforming_strings before its literals" 1 \
    "$(printf '%s\n' "$script" | grep -c '^SET standard_conforming_strings = on;$')"
createdb "${PGDATABASE}_script" >/dev/null && q -d "${PGDATABASE}_script" -c "CREATE EXTENSION mig" -c "CREATE TABLE victim (v int)" >/dev/null
printf '%s\n' "$script" | q -d "${PGDATABASE}_script" >/dev/null 2>&1
check "run by psql, the script drops nothing" "victim" "$(q -d "${PGDATABASE}_script" -c "SELECT string_agg(relname, ',') FROM pg_class WHERE relname = 'victim'")"
dropdb "${PGDATABASE}_script" >/dev/null 2>&1

# ---- 8. an offline script does what it says, or fails as a whole ------------------------------------------------
q -c "SELECT mig_put_revision(E'-- mig:revision w1\n-- mig:upgrade\nCREATE TABLE w1_t (who text DEFAULT mig_x(''who''));\n', '{\"env\": \"off\"}')" >/dev/null
script=$(q -c "SELECT mig_sql('upgrade', 'head', '{\"env\": \"off\", \"tenant\": \"dep\", \"x\": {\"who\": \"O''Brien\"}}')")
createdb "${PGDATABASE}_fresh" >/dev/null
q -d "${PGDATABASE}_fresh" -c "CREATE SCHEMA dep" >/dev/null
printf '%s\n' "$script" | q -d "${PGDATABASE}_fresh" >/dev/null 2>&1
check "a tenant's script runs on a fresh database (it creates the extension) and in the tenant's schema" "dep|off/dep/w1" \
    "$(q -d "${PGDATABASE}_fresh" -c "SELECT (SELECT string_agg(table_schema, ',') FROM information_schema.tables WHERE table_name = 'w1_t') || '|' || (SELECT string_agg(env || '/' || tenant || '/' || version_num, ',') FROM mig.mig_version)" 2>&1)"
check "... the extension in the session's schema (public), not the tenant's" public \
    "$(q -d "${PGDATABASE}_fresh" -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'mig'")"
check "... with the -x value in it, not a mig_x() call that reads NULL offline" "'O''Brien'::text" \
    "$(q -d "${PGDATABASE}_fresh" -c "SELECT column_default FROM information_schema.columns WHERE table_name = 'w1_t'")"
dropdb "${PGDATABASE}_fresh" >/dev/null 2>&1

# ---- 9. an error about a revision names it for programs: CONTEXT "mig revision ID: REASON" ----------------------
q -c "SELECT mig_put_revision(E'-- mig:revision c1\n-- mig:upgrade\nSELECT 1/0;\n', '{\"env\": \"ctx\"}')" >/dev/null
check "a failing step: CONTEXT names the revision and the reason" "CONTEXT:  mig revision c1: step_failed" \
    "$(psql -X -q -t -A -c "SELECT mig_upgrade('heads', '{\"env\": \"ctx\"}')" 2>&1 | grep '^CONTEXT:')"
q -c "SELECT mig_put_revision(E'-- mig:revision c1\n-- mig:upgrade\nSELECT 1;\n', '{\"env\": \"ctx\"}')" \
  -c "SELECT mig_upgrade('heads', '{\"env\": \"ctx\"}')" >/dev/null
check "an applied revision's body changed: CONTEXT says body_changed" "CONTEXT:  mig revision c1: body_changed" \
    "$(psql -X -q -t -A -c "SELECT mig_put_revision(E'-- mig:revision c1\n-- mig:upgrade\nSELECT 2;\n', '{\"env\": \"ctx\"}')" 2>&1 | grep '^CONTEXT:')"
check "an error about no revision has no such line" "" \
    "$(psql -X -q -t -A -c "SELECT mig_upgrade('nosuch', '{\"env\": \"ctx\"}')" 2>&1 | grep '^CONTEXT:')"

check "after all of it, no test role is superuser" "f|f|f|f" \
    "$(for r in $roles; do is_super "$r"; done | paste -sd'|')"
exit $fail

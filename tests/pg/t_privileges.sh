#!/bin/bash
# SPEC §4 privileges: PUBLIC can neither execute the functions that change
# state nor write the state tables; the owner grants them to the roles that
# deploy; revisions run with the privileges of the caller.
set -u
fail=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=1; fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
# the SQLSTATE of a statement run as role plain, or "ok: RESULT"
as_plain() {
    local out
    if out=$(psql -X -q -t -A -v ON_ERROR_STOP=1 -U plain -c '\set VERBOSITY verbose' -c "$1" 2>&1); then
        echo "ok: $out"
    else
        echo "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1
    fi
}

q -c "CREATE EXTENSION mig" || exit 1
q -c "DO \$\$BEGIN CREATE ROLE plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" || exit 1
trap 'q -c "DROP OWNED BY plain CASCADE" >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS plain" >/dev/null 2>&1' EXIT
# a schema plain may write, and one it may not
q -c "CREATE SCHEMA app AUTHORIZATION plain" -c "CREATE SCHEMA locked" -c "GRANT USAGE ON SCHEMA locked TO plain" || exit 1

check "no mig function is SECURITY DEFINER" 0 \
    "$(q -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'mig\_%' AND prosecdef")"

src=$'-- mig:revision p1\n-- mig:upgrade\nCREATE TABLE app.p1_t (who text);\nINSERT INTO app.p1_t VALUES (current_user);\n-- mig:downgrade\nDROP TABLE app.p1_t;\n'

# ---- without grants ----------------------------------------------------------------------
check "plain cannot mig_put_revision (42501)" 42501 "$(as_plain "SELECT mig_put_revision(\$r\$$src\$r\$)")"
check "plain cannot mig_put_revision in another env (42501)" 42501 \
    "$(as_plain "SELECT mig_put_revision(\$r\$$src\$r\$, '{\"env\": \"x\"}')")"
check "plain cannot mig_upgrade (42501)" 42501 "$(as_plain "SELECT mig_upgrade('head')")"
check "plain cannot mig_downgrade (42501)" 42501 "$(as_plain "SELECT mig_downgrade('base')")"
check "plain cannot mig_stamp (42501)" 42501 "$(as_plain "SELECT mig_stamp('base')")"
check "plain cannot mig_remove_revision (42501)" 42501 "$(as_plain "SELECT mig_remove_revision('p1')")"
check "plain cannot INSERT INTO mig.mig_version (42501)" 42501 \
    "$(as_plain "INSERT INTO mig.mig_version (env, tenant, version_num) VALUES ('default', '', 'zz')")"
check "plain cannot INSERT INTO mig.mig_revision (42501)" 42501 \
    "$(as_plain "INSERT INTO mig.mig_revision (env, revision, checksum, source) VALUES ('default', 'zz', 'x', 'x')")"
check "plain cannot DELETE FROM mig.mig_history (42501)" 42501 "$(as_plain "DELETE FROM mig.mig_history")"
check "nothing was stored by plain's attempts" "0|0" \
    "$(q -c "SELECT (SELECT count(*) FROM mig.mig_revision) || '|' || (SELECT count(*) FROM mig.mig_version)")"

# ---- the owner grants the deploy rights -----------------------------------------------------
q <<'SQL' || exit 1
GRANT EXECUTE ON FUNCTION mig_put_revision(text, text), mig_remove_revision(text, text), mig_upgrade(text, text),
    mig_downgrade(text, text), mig_stamp(text, text) TO plain;
GRANT USAGE ON SCHEMA mig TO plain;
GRANT SELECT, INSERT, UPDATE, DELETE ON mig.mig_revision, mig.mig_version, mig.mig_history TO plain;
GRANT USAGE, SELECT ON SEQUENCE mig.mig_revision_seq_seq, mig.mig_history_id_seq TO plain;
SQL
check "after the grants plain can mig_put_revision" "ok: p1" "$(as_plain "SELECT mig_put_revision(\$r\$$src\$r\$)")"
check "after the grants plain can mig_upgrade" "ok: p1" "$(as_plain "SELECT mig_upgrade('head')")"
check "the revision ran as plain (current_user inside it)" plain "$(q -c "SELECT who FROM app.p1_t")"
check "plain owns the table the revision created" plain "$(q -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'p1_t'")"
check "mig_history.applied_by is plain" plain "$(q -c "SELECT applied_by FROM mig.mig_history WHERE revision = 'p1'")"
check "plain can mig_current" "ok: p1" "$(as_plain "SELECT mig_current()")"
check "plain can INSERT INTO mig.mig_version now" "ok: " \
    "$(as_plain "INSERT INTO mig.mig_version (env, tenant, version_num) VALUES ('scratch', '', 'zz')")"
q -c "DELETE FROM mig.mig_version WHERE env = 'scratch'" || exit 1

# ---- revisions run with the caller's rights --------------------------------------------------------
src2=$'-- mig:revision p2\n-- mig:down_revision p1\n-- mig:upgrade\nINSERT INTO app.p1_t VALUES (\'p2\');\nCREATE TABLE locked.p2_t (x int);\n'
check "plain can upload p2" "ok: p2" "$(as_plain "SELECT mig_put_revision(\$r\$$src2\$r\$)")"
check "a revision creating a table in a schema plain cannot write fails (42501)" 42501 "$(as_plain "SELECT mig_upgrade('head')")"
check "locked.p2_t does not exist" "" "$(q -c "SELECT to_regclass('locked.p2_t')")"
check "p2's first statement was rolled back" 1 "$(q -c "SELECT count(*) FROM app.p1_t")"
check "plain's version is still p1" p1 "$(q -c "SELECT mig_current()")"
check "the same revision run by the owner (superuser) works" p2 "$(q -c "SELECT mig_upgrade('head')")"
check "locked.p2_t was created by the owner" postgres "$(q -c "SELECT tableowner FROM pg_tables WHERE schemaname = 'locked' AND tablename = 'p2_t'")"

# a revision the owner uploaded does not gain the owner's rights when plain runs it
q -c "SELECT mig_stamp('p1')" >/dev/null || exit 1
q -c "DROP TABLE locked.p2_t" -c "DELETE FROM app.p1_t WHERE who = 'p2'" || exit 1
check "plain running the owner's upload still cannot write schema locked (42501)" 42501 "$(as_plain "SELECT mig_upgrade('head')")"
check "locked.p2_t still does not exist" "" "$(q -c "SELECT to_regclass('locked.p2_t')")"

# ---- revoking the rights again -------------------------------------------------------------------
q -c "REVOKE EXECUTE ON FUNCTION mig_upgrade(text, text) FROM plain" || exit 1
check "after REVOKE EXECUTE plain cannot mig_upgrade (42501)" 42501 "$(as_plain "SELECT mig_upgrade('head')")"
exit $fail

#!/bin/bash
# SQLite: the two options a client uses to run `transactional false`
# revisions itself.  "nontransactional": "stop" ends the run, committed,
# just before the first such revision of its plan and returns the heads
# reached; "record_only": REV records REV (version + history) without
# running its body, only when REV is the next step and non-transactional,
# and ends the run there (its record commits on its own).
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

rev() { # id down transactional body
    printf -- '-- mig:revision %s\n%s%s\n-- mig:upgrade\n%s\n-- mig:downgrade\n%s\n' "$1" \
        "${2:+-- mig:down_revision $2
}" "${3:+-- mig:transactional $3
}" "$4" "$5" >"$1.sql"
}
rev a "" "" "CREATE TABLE ta (x);" "DROP TABLE ta;"
rev b a false "CREATE TABLE tb (x);" "DROP TABLE tb;"
rev c b "" "CREATE TABLE tc (x);" "DROP TABLE tc;"
sql "$DB" <<'EOF'
SELECT mig_put_revision(readfile('a.sql')) || mig_put_revision(readfile('b.sql')) || mig_put_revision(readfile('c.sql'));
EOF
is "$RC" 0 "three revisions uploaded"

sql "$DB" <<<"SELECT mig_upgrade('head');"
like "$ERR" "revision b is marked 'transactional false'" "without the option the function refuses b"
is "$(raw "$DB" "SELECT count(*) FROM mig_version; SELECT count(*) FROM sqlite_schema WHERE name='ta';")" "0
0" "and nothing of a stays"

sql "$DB" <<<"SELECT mig_upgrade('head', '{\"nontransactional\": \"stop\"}');"
is "$OUT|$ERR" "a|" "stop: the run ends before b and returns the heads reached"
is "$(raw "$DB" "SELECT version_num FROM mig_version; SELECT group_concat(revision) FROM mig_history;")" "a
a" "a is committed and recorded once"

sql "$DB" <<<"SELECT mig_upgrade('head', '{\"nontransactional\": \"stop\", \"record_only\": \"c\"}');"
like "$ERR" "record_only: the next step is upgrade b, not c" "record_only must name the next step"
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"record_only\": \"a\"}');"
like "$ERR" "record_only" "record_only of an applied revision is refused"
is "$(raw "$DB" "SELECT version_num FROM mig_version; SELECT count(*) FROM mig_history;")" "a
1" "refusals change nothing"

# the client would now run b's statements itself
raw "$DB" "CREATE TABLE tb (x);" >/dev/null
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"nontransactional\": \"stop\", \"record_only\": \"b\"}');"
is "$OUT|$ERR" "b|" "record_only b: b recorded, the run ends there"
is "$(raw "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'tc';")" 0 "c is not run by the recording call"
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"nontransactional\": \"stop\"}');"
is "$OUT|$ERR" "c|" "the next call runs c"
is "$(raw "$DB" "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id);")" \
    "a:upgrade b:upgrade c:upgrade" "history has each revision once, in order"
is "$(raw "$DB" "SELECT count(*) FROM sqlite_schema WHERE name IN ('ta','tb','tc');")" 3 "every table exists"

sql "$DB" <<<"SELECT mig_upgrade('c', '{\"record_only\": \"c\"}');"
like "$ERR" "record_only" "record_only at head (an empty plan) is refused"

sql "$DB" <<<"SELECT mig_downgrade('base', '{\"nontransactional\": \"stop\"}');"
is "$OUT|$ERR" "b|" "downgrade stops before b too"
raw "$DB" "DROP TABLE tb;" >/dev/null
sql "$DB" <<<"SELECT mig_downgrade('a', '{\"record_only\": \"b\"}');"
is "$OUT|$ERR" "a|" "record_only in a downgrade"
is "$(raw "$DB" "SELECT count(*) FROM mig_history WHERE direction = 'downgrade';")" 2 "c and b downgrades recorded"

sql "$DB" <<<"SELECT mig_upgrade('head', '{\"nontransactional\": \"later\"}');"
like "$ERR" 'option "nontransactional" must be "error" or "stop"' "bad option value named"
sql "$DB" <<<"SELECT mig_upgrade('head', '{\"record_only\": 3}');"
like "$ERR" 'option "record_only" must be a revision id' "bad record_only named"
done_testing

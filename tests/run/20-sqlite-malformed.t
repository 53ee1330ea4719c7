#!/bin/bash
# SQLite: malformed revision files.  Each gives one clear error that names
# the line ("revision source:LINE: ..."), and nothing is stored.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

# a database with one good revision applied, to compare against
rev good.sql g1 "" "CREATE TABLE g (x);"
sql "$DB" <<<"SELECT mig_put_revision(readfile('good.sql')); SELECT mig_upgrade('head');"
is "$OUT|$ERR" "$(printf 'g1\ng1|')" "setup: a good revision applied"
snapshot "$DB" >good.snap

# refused NAME ERE < file: upload stdin as a file, expect one error matching
# ERE and an unchanged database
refused() {
    local name=$1 ere=$2
    cat >"$name.sql"
    sql "$DB" <<<"SELECT mig_put_revision(readfile('$name.sql'));"
    like "$ERR" "^Runtime error near line 2: $ere" "$name: $ere"
    is "$(count_errors "$ERR")|$(wc -l <<<"$ERR")|$OUT" "1|1|" "$name: one error of one line, no result"
    same_snapshot "$DB" good.snap "$name: nothing stored"
}

refused unknown-key "revision source:3: unknown header key 'messages'" <<'EOF'
-- mig:revision m1
-- mig:down_revision g1
-- mig:messages a typo
-- mig:upgrade
CREATE TABLE m1 (x);
EOF

refused duplicate-key "revision source:4: duplicate header key 'message'" <<'EOF'
-- mig:revision m2
-- mig:message one
-- some comment
-- mig:message two
-- mig:upgrade
CREATE TABLE m2 (x);
EOF

refused duplicate-revision "revision source:2: duplicate header key 'revision'" <<'EOF'
-- mig:revision m3
-- mig:revision m4
-- mig:upgrade
CREATE TABLE m3 (x);
EOF

i=0
for bad in 'ab-cd' 'ab@cd' 'ab cd' 'ab+cd' 'ab:cd' 'head' 'base'; do
    i=$((i + 1))
    # Alembic's wording for its illegal characters (@ - +), ours for the rest
    case $bad in
        *[-@+]*) chars=${bad//[a-z]/}; want="revision source:1: Character\\(s\\) '${chars//+/\\+}' not allowed in revision identifier '${bad//+/\\+}'" ;;
        *) want="revision source:1: malformed revision id '$bad'" ;;
    esac
    refused "malformed-id-$i" "$want" <<EOF
-- mig:revision $bad
-- mig:upgrade
CREATE TABLE m5 (x);
EOF
done

refused malformed-down "revision source:3: Character\\(s\\) '-' not allowed in revision identifier 'g-1' in 'down_revision'" <<'EOF'
-- mig:revision m6
-- mig:message x
-- mig:down_revision g1, g-1
-- mig:upgrade
CREATE TABLE m6 (x);
EOF

refused empty-down-item "revision source:2: empty item in 'down_revision'" <<'EOF'
-- mig:revision m7
-- mig:down_revision g1,,x
-- mig:upgrade
EOF

refused section-before-header "revision source:2: section '-- mig:upgrade' before the header" <<'EOF'
-- a comment first
-- mig:upgrade
CREATE TABLE m8 (x);
-- mig:revision m8
EOF

refused sql-before-section "revision source:4: SQL before the first section" <<'EOF'
-- mig:revision m9
-- mig:down_revision g1

CREATE TABLE m9 (x);
-- mig:upgrade
CREATE TABLE m9b (x);
EOF

refused header-after-section "revision source:5: header line '-- mig:down_revision' after the first section" <<'EOF'
-- mig:revision m10

-- mig:upgrade
CREATE TABLE m10 (x);
-- mig:down_revision g1
EOF

refused bad-transactional "revision source:2: transactional must be true or false, not 'maybe'" <<'EOF'
-- mig:revision m11
-- mig:transactional maybe
-- mig:upgrade
CREATE TABLE m11 (x);
EOF

refused unknown-dialect "revision source:6: unknown dialect 'mysql'" <<'EOF'
-- mig:revision m12
-- mig:down_revision g1

-- mig:upgrade
CREATE TABLE m12 (x);
-- mig:upgrade dialect=mysql
CREATE TABLE m12b (x);
EOF

refused bad-section-word "revision source:2: unexpected 'when' in section marker" <<'EOF'
-- mig:revision m13
-- mig:downgrade when data
EOF

refused if-without-name "revision source:3: 'if' needs the name of an x-argument" <<'EOF'
-- mig:revision m14
-- mig:upgrade
-- mig:upgrade if
CREATE TABLE m14 (x);
EOF

: >empty.sql
sql "$DB" <<<"SELECT mig_put_revision(readfile('empty.sql'));"
like "$ERR" "revision source:1: missing '-- mig:revision ID' header" "empty file: missing revision header, line 1"
same_snapshot "$DB" good.snap "empty file: nothing stored"

refused missing-revision "revision source:1: missing '-- mig:revision ID' header" <<'EOF'
-- mig:message no id
-- mig:down_revision g1
EOF

refused self-loop "revision source: Self-loop is detected in revisions \\(m15\\): it is its own down_revision" <<'EOF'
-- mig:revision m15
-- mig:down_revision m15
-- mig:upgrade
EOF

printf -- '-- mig:revision m16\n-- mig:upgrade\nSELECT 1;\0\n' >nul.sql
sql "$DB" <<<"SELECT mig_put_revision(readfile('nul.sql'));"
like "$ERR" "contains a NUL byte" "a NUL byte in the source is an error"
same_snapshot "$DB" good.snap "NUL byte: nothing stored"

# the first upload on a new database: a malformed file creates nothing,
# not even the state tables
sql "$T/fresh.db" <<<"SELECT mig_put_revision(readfile('unknown-key.sql'));"
like "$ERR" "unknown header key" "malformed file on a new database: error"
is "$(raw "$T/fresh.db" "SELECT count(*) FROM sqlite_master;")" 0 "and no table was created"

# after all those errors the connection works: a good upload
sql "$DB" <<'EOF'
SELECT mig_put_revision(readfile('unknown-key.sql'));
SELECT mig_put_revision(readfile('good.sql'));
SELECT mig_current();
EOF
is "$OUT" "$(printf 'g1\ng1')" "the same session goes on after an error"

done_testing

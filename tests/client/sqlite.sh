#!/bin/bash
# End-to-end tests of the real client/mig binary against SQLite files (TAP).
# Each section works in its own project folder under a temporary directory.
# SECTIONS="newcomer errors" runs a subset (tests/run/72-client-sanitize.t);
# MIG / MIG_CHECKER: see tests/client/lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="newcomer config branches xargs push cache atomic nontx concurrent offline json plugins usage errors"

# ---- 1. a newcomer's first session -------------------------------------------------------
t_newcomer() {
    mkdir -p "$T/newcomer" && cd "$T/newcomer" || bail "cd"
    m init
    is_rc 0 "init: exit 0"
    [ -f mig.ini ] && [ -d versions ]
    ok $? "init: mig.ini and versions/ exist"
    like "$OUT" "versions" "init: says what it created"
    is "$(grep -E '^url *=' mig.ini)" "url = sqlite:mig.db" "init: url = sqlite:mig.db"
    is "$(grep -E '^versions *=' mig.ini)" "versions = versions" "init: versions = versions"
    is "$(grep -c '^\[mig\]$' mig.ini)" 1 "init: a [mig] section"
    m init
    is_rc 1 "init again: exit 1"
    like "$ERR1" "mig.ini already exists" "init again: says mig.ini already exists"
    m current
    is_rc 0 "current before any database: exit 0"
    is "$OUT" "" "current before any database: nothing (base)"
    [ ! -e mig.db ]
    ok $? "current does not create the database file"

    newrev -m "create users"
    is_rc 0 "revision -m 'create users': exit 0"
    A=$REV
    local fa=$REVF
    like "$fa" '^versions/[0-9a-f]{12}_create_users\.sql$' "revision: versions/<12 hex>_create_users.sql ($fa)"
    is "$(ls versions | wc -l)" 1 "revision: one file in versions/"
    is "$(head -n 1 "$fa")" "-- mig:revision $A" "revision: first line is -- mig:revision <id>"
    is "${fa#versions/}" "${A}_create_users.sql" "revision: the file name starts with the id"
    is "$(grep -c '^-- mig:down_revision' "$fa")" 0 "revision: the first revision has no down_revision"
    is "$(grep '^-- mig:message' "$fa")" "-- mig:message create users" "revision: -- mig:message create users"
    like "$(grep '^-- mig:create_date' "$fa")" '^-- mig:create_date [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' \
        "revision: -- mig:create_date YYYY-MM-DD HH:MM:SS"
    is "$(sed -n '/^-- mig:upgrade/,$p' "$fa" | grep -v '^[[:space:]]*$')" "$(printf -- '-- mig:upgrade\n-- mig:downgrade')" \
        "revision: an empty upgrade section then an empty downgrade section"
    fill "$fa" "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);" "DROP TABLE users;"

    newrev -m "Add e-mail, please!"
    is_rc 0 "second revision: exit 0"
    B=$REV
    local fb=$REVF
    like "$fb" "^versions/${B}_add_e_mail_please\.sql$" "second revision: the slug of the message ($fb)"
    is "$(grep '^-- mig:down_revision' "$fb")" "-- mig:down_revision $A" "second revision: down_revision is the first"
    fill "$fb" "ALTER TABLE users ADD COLUMN email TEXT;" "ALTER TABLE users DROP COLUMN email;"

    m heads
    is "$OUT" "$B (head)" "heads: the second revision"

    m upgrade
    is_rc 0 "upgrade: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "$(printf 'Running upgrade  -> %s, create users\nRunning upgrade %s -> %s, Add e-mail, please!' "$A" "$A" "$B")" \
        "upgrade: the two Running lines, in order"
    like "$OUT" "is at $B" "upgrade: says where the database is"
    [ -f "$T/newcomer/mig.db" ]
    ok $? "upgrade: mig.db created next to mig.ini"
    is "$(raw mig.db "SELECT group_concat(name, ',') FROM pragma_table_info('users')")" "id,name,email" \
        "upgrade: users has id, name, email"
    is "$(raw mig.db "SELECT env || ' ' || version_num FROM mig_version")" "default $B" "upgrade: mig_version holds the head"

    m current
    is_rc 0 "current: exit 0"
    is "$OUT" "$B (head)" "current: <id> (head)"

    m downgrade -1
    is_rc 0 "downgrade -1: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running downgrade $B -> $A, Add e-mail, please!" "downgrade -1: one Running line"
    is "$(raw mig.db "SELECT group_concat(name, ',') FROM pragma_table_info('users')")" "id,name" "downgrade -1: the column is gone"
    m current
    is "$OUT" "$A" "current after downgrade: the first revision, not a head"

    m history
    is_rc 0 "history: exit 0"
    is "$OUT" "$(printf '%s -> %s (head), Add e-mail, please!\n<base> -> %s, create users' "$A" "$B" "$A")" \
        "history: newest first, <base> -> ..."
    m history --indicate-current
    is_rc 0 "history --indicate-current: exit 0"
    is "$OUT" "$(printf '%s -> %s (head), Add e-mail, please!\n<base> -> %s (current), create users' "$A" "$B" "$A")" \
        "history --indicate-current: (current) on the current revision"

    m check
    is_rc 1 "check when behind: exit 1"
    like "$ERR" "$B" "check: names the pending revision"
    like "$ERR" "pending" "check: says it is pending"
    m upgrade
    is_rc 0 "upgrade again: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running upgrade $A -> $B, Add e-mail, please!" "upgrade again: only the pending revision runs"
    m check
    is_rc 0 "check at head: exit 0"
    m upgrade
    is_rc 0 "upgrade at head: exit 0"
    is "$(grep -c '^Running' <<<"$OUT")" 0 "upgrade at head: nothing runs"
    is "$(raw mig.db "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id)")" \
        "$A:upgrade $B:upgrade $B:downgrade $B:upgrade" "mig_history: every step once, in order"

    # from another folder, with -c: paths in mig.ini are relative to mig.ini
    mkdir -p "$T/elsewhere" && cd "$T/elsewhere" || bail "cd"
    m -c ../newcomer/mig.ini current
    is_rc 0 "-c ../newcomer/mig.ini current: exit 0"
    is "$OUT" "$B (head)" "-c from another folder: the database next to mig.ini"
    m -c ../newcomer/mig.ini history
    is "$(head -n 1 <<<"$OUT")" "$A -> $B (head), Add e-mail, please!" "-c from another folder: the versions next to mig.ini"
    m -c ../newcomer/mig.ini downgrade base
    is_rc 0 "-c from another folder: downgrade base, exit 0"
    is "$(ls -A)" "" "-c from another folder: nothing created in the current folder"
    is "$(raw "$T/newcomer/mig.db" "SELECT count(*) FROM mig_version")" 0 "-c from another folder: the database next to mig.ini is at base"
    MIG_CONFIG=../newcomer/mig.ini m upgrade
    is_rc 0 "MIG_CONFIG=../newcomer/mig.ini upgrade: exit 0"
    is "$(raw "$T/newcomer/mig.db" "SELECT version_num FROM mig_version")" "$B" "MIG_CONFIG: the database next to that mig.ini"
    is "$(ls -A)" "" "MIG_CONFIG: nothing created in the current folder"

    # quiet, and a revision written from another folder goes next to mig.ini
    m -q -c ../newcomer/mig.ini downgrade -1
    is_rc 0 "-q downgrade -1: exit 0"
    is "$OUT$ERR" "" "-q: prints nothing"
    m -q -c ../newcomer/mig.ini upgrade
    m -c ../newcomer/mig.ini revision -m "from afar"
    is_rc 0 "-c ../newcomer/mig.ini revision: exit 0"
    like "$OUT" "^Generating \.\./newcomer/versions/[0-9a-f]{12}_from_afar\.sql" "revision with -c: the file goes into the versions folder next to mig.ini"
    is "$(ls -A)" "" "revision with -c: nothing in the current folder"
    is "$(grep -l "^-- mig:down_revision $B\$" "$T"/newcomer/versions/*_from_afar.sql | wc -l)" 1 "revision with -c: on the head $B"
}

# ---- configuration: environments, URL precedence -------------------------------------------------
t_config() {
    project config
    rev_file versions/c1.sql c1 "" "CREATE TABLE c1 (x INTEGER);" "DROP TABLE c1;"
    cat >mig.ini <<'EOF'
[mig]
url = sqlite:main.db

[staging]
url = sqlite:dbs/staging.db

[reports]
url = sqlite:main.db
versions = reports
EOF
    mkdir dbs reports
    rev_file reports/r1.sql r1 "" "CREATE TABLE r1 (x INTEGER);" "DROP TABLE r1;"
    m -n staging upgrade
    is_rc 0 "-n staging upgrade: exit 0"
    [ -f dbs/staging.db ] && [ ! -e main.db ]
    ok $? "-n staging: the staging database only"
    is "$(raw dbs/staging.db "SELECT env || ' ' || version_num FROM mig_version")" "staging c1" \
        "-n staging: its own env (the section name) in mig_version"
    m upgrade
    is_rc 0 "[mig] upgrade: exit 0"
    is "$(raw main.db "SELECT env || ' ' || version_num FROM mig_version")" "default c1" "[mig]: env default in main.db"
    m -n reports upgrade
    is_rc 0 "-n reports (same database, another versions folder): exit 0"
    is "$(raw main.db "SELECT env || ' ' || version_num FROM mig_version ORDER BY env")" "$(printf 'default c1\nreports r1')" \
        "-n reports: an independent version state in the same database"
    m -n reports downgrade base
    is_rc 0 "-n reports downgrade base: exit 0"
    m current
    is "$OUT" "c1 (head)" "[mig] is untouched by -n reports downgrade"
    is "$(raw main.db "SELECT count(*) FROM sqlite_master WHERE name IN ('c1', 'r1')")" 1 "-n reports downgrade dropped r1 only"
    m -n reports heads
    is "$OUT" "r1 (head)" "-n reports heads: the reports folder"
    m -n nosuch current
    is_rc 1 "-n with a missing section: exit 1"
    like "$ERR1" "no section \[nosuch\]" "-n with a missing section: names it"

    # init DIR
    mkdir -p "$T/initdir" && cd "$T/initdir" || bail "cd"
    m init sub
    is_rc 0 "init DIR: exit 0"
    [ -f sub/mig.ini ] && [ -d sub/versions ]
    ok $? "init DIR: DIR/mig.ini and DIR/versions"
    like "$OUT" "sub/versions" "init DIR: names what it created"
    m init fresh/proj
    is_rc 0 "init DIR (nested, missing parent): exit 0"
    [ -f fresh/proj/mig.ini ] && [ -d fresh/proj/versions ]
    ok $? "init DIR (nested): DIR/mig.ini and DIR/versions, as alembic init (os.makedirs)" "$ERR"
    cd "$T/config" || bail "cd"

    # precedence: --url > MIG_URL > DATABASE_URL > mig.ini
    local p=$T/config
    m downgrade base
    MIG_URL=sqlite:$p/m.db DATABASE_URL=sqlite:$p/d.db m --url "sqlite:$p/f.db" upgrade
    is_rc 0 "--url with MIG_URL and DATABASE_URL set: exit 0"
    is "$(dbs_in "$p")" "f main" "--url wins over MIG_URL, DATABASE_URL and mig.ini"
    MIG_URL=sqlite:$p/m.db DATABASE_URL=sqlite:$p/d.db m upgrade
    is "$(dbs_in "$p")" "f m main" "MIG_URL wins over DATABASE_URL and mig.ini"
    DATABASE_URL=sqlite:$p/d.db m upgrade
    is "$(dbs_in "$p")" "d f m main" "DATABASE_URL wins over mig.ini"
    MIG_URL="" m upgrade
    is_rc 0 "MIG_URL='' upgrade: exit 0 (mig.ini)"
    is "$(dbs_in "$p")" "d f m main" "an empty MIG_URL is ignored"
    is "$(raw main.db "SELECT version_num FROM mig_version WHERE env = 'default'")" "c1" "mig.ini when nothing overrides it"
    # a section chosen with -n names its database: DATABASE_URL (the app's own) does not redirect it
    printf '\n[prod]\nurl = sqlite:%s/prod.db\n' "$p" >>mig.ini
    DATABASE_URL=sqlite:$p/app.db MIG_URL=sqlite:$p/app.db m -n prod upgrade
    is_rc 0 "-n prod upgrade with DATABASE_URL and MIG_URL set: exit 0"
    [ -e "$p/prod.db" ] && [ ! -e "$p/app.db" ]
    ok $? "-n prod migrates the [prod] url, not DATABASE_URL's or MIG_URL's database"
    # a new section pointed at a database another section migrated: say what happened and how to fix it
    printf '\n[staging]\nurl = sqlite:main.db\n' >>mig.ini
    m -n staging upgrade
    is_rc 1 "a new section on main.db (migrated by [mig]): its own lineage fails on existing tables: exit 1"
    like "$ERR" "env \"default\" is at c1.*add 'env = default' to \[staging\]" \
        "... the hint names the other lineage and the fix"
    printf 'env = default\n' >>mig.ini
    m -n staging upgrade
    is_rc 0 "with env = default the section shares that lineage: exit 0 (nothing to do)"
    DATABASE_URL=sqlite:$p/app.db m -n prod --url "sqlite:$p/f.db" current
    is_rc 0 "--url still wins over the -n section"
    [ ! -e "$p/app.db" ]
    ok $? "... and app.db was never touched"
    m --url "$p/plain.db" upgrade
    is_rc 0 "--url PATH.db (no scheme): exit 0"
    is "$(raw "$p/plain.db" "SELECT version_num FROM mig_version")" c1 "--url PATH.db is a SQLite file"
    m --url "sqlite:///$p/triple.sqlite3" upgrade
    is "$(raw "$p/triple.sqlite3" "SELECT version_num FROM mig_version")" c1 "--url sqlite:///ABSOLUTE works"
    DATABASE_URL="sqlite+pysqlite:///$p/sqla.db" m upgrade
    is_rc 0 "DATABASE_URL in SQLAlchemy's form (sqlite+pysqlite:///...): exit 0"
    is "$(raw "$p/sqla.db" "SELECT version_num FROM mig_version")" c1 "... the driver part is ignored"
}

# dbs_in DIR: which of the databases d, f, m, main exist in DIR
dbs_in() {
    local f out=()
    for f in d f m main; do [ -e "$1/$f.db" ] && out+=("$f"); done
    echo "${out[*]}"
}

# ---- 2. branches and merges -------------------------------------------------------------------------
t_branches() {
    project branches
    newrev -m "base one"
    local A=$REV
    fill "$REVF" "CREATE TABLE t_a (x INTEGER);" "DROP TABLE t_a;"
    newrev -m "second"
    local B=$REV
    fill "$REVF" "CREATE TABLE t_b (x INTEGER);" "DROP TABLE t_b;"
    newrev -m "other root" --head base --branch-label other
    is_rc 0 "revision --head base --branch-label other: exit 0"
    local O=$REV fo=$REVF
    is "$(grep -c '^-- mig:down_revision' "$fo")" 0 "--head base: no down_revision"
    is "$(grep '^-- mig:branch_labels' "$fo")" "-- mig:branch_labels other" "--branch-label: -- mig:branch_labels other"
    fill "$fo" "CREATE TABLE t_o (x INTEGER);" "DROP TABLE t_o;"

    local before
    before=$(ls versions | wc -l)
    newrev -m "where do I go"
    is_rc 1 "revision with two heads: exit 1"
    like "$ERR1" "$B" "two heads: the message names the first head"
    like "$ERR1" "$O" "two heads: the message names the second head"
    like "$ERR1" "--head" "two heads: the message mentions --head"
    like "$ERR1" "merge" "two heads: the message mentions merge"
    is "$(ls versions | wc -l)" "$before" "two heads: no file written"

    m heads
    is_rc 0 "heads: exit 0"
    is "$(sorted "$OUT")" "$(sorted "$(printf '%s (head)\n%s (other) (head)' "$B" "$O")")" "heads: both heads, the label shown"

    m upgrade other@head
    is_rc 0 "upgrade other@head: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running upgrade  -> $O, other root" "upgrade other@head: only the other branch"
    m current
    is "$OUT" "$O (head)" "current: the other branch's head"
    m upgrade heads
    is "$(grep_lines "$OUT" '^Running ' | wc -l)" 2 "upgrade heads: the two revisions of the first branch"
    m current
    is "$(sorted "$OUT")" "$(sorted "$(printf '%s (head)\n%s (head)' "$B" "$O")")" "current: two heads"
    is "$(raw mig.db "SELECT count(*) FROM mig_version")" 2 "mig_version: one row per head"
    m check
    is_rc 0 "check at both heads: exit 0"
    m check --single-head
    is_rc 1 "check --single-head with two heads in the files: exit 1 (for CI)"
    like "$ERR" "the revision files have 2 heads .*mig merge" "... naming the heads and the way to merge them"

    m merge -m "join them" heads
    is_rc 0 "merge -m m heads: exit 0"
    local M fm
    [[ $OUT =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]] && fm=${BASH_REMATCH[1]}
    M=$(sed -n 's/^-- mig:revision //p' "$fm")
    like "$fm" "^versions/${M}_join_them\.sql$" "merge: versions/<id>_join_them.sql"
    is "$(sed -n 's/^-- mig:down_revision //p' "$fm" | tr -d ' ' | tr ',' '\n' | LC_ALL=C sort | tr '\n' ' ')" \
        "$(printf '%s\n%s\n' "$B" "$O" | LC_ALL=C sort | tr '\n' ' ')" "merge: down_revision lists both heads"
    m heads
    is "$OUT" "$M (head)" "heads after the merge: the merge revision"
    m history
    like "$(head -n 1 <<<"$OUT")" "^($B, $O|$O, $B) -> $M \(head\) \(mergepoint\), join them$" "history: the merge point first"
    like "$(tail -n 1 <<<"$OUT")" "^<base> -> ($A, base one|$O \(other\), other root)$" "history: a base last"
    is "$(grep -c '' <<<"$OUT")" 4 "history: four revisions"
    m merge -m "lonely" "$M"
    is_rc 1 "merge of one revision: exit 1"
    m upgrade
    is_rc 0 "upgrade to the merge: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running upgrade $(sed -n 's/^-- mig:down_revision //p' "$fm") -> $M, join them" \
        "upgrade: Running upgrade B, O -> M"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" "$M" "the merge deletes a row of mig_version"

    # --splice
    newrev -m "from the middle" --head "$A"
    is_rc 1 "revision --head <not a head>: exit 1"
    like "$ERR1" "--splice" "--head <not a head>: mentions --splice"
    newrev -m "from the middle" --head "$A" --splice
    is_rc 0 "revision --head A --splice: exit 0"
    local S=$REV
    is "$(grep '^-- mig:down_revision' "$REVF")" "-- mig:down_revision $A" "--splice: down_revision is A"
    m branches
    is_rc 0 "branches: exit 0"
    is "$(head -n 1 <<<"$OUT")" "$A (branchpoint)" "branches: A is a branch point"
    is "$(tail -n +2 <<<"$OUT" | sed 's/^ *//' | LC_ALL=C sort)" \
        "$(printf -- '-> %s (head), from the middle\n-> %s, second\n' "$S" "$B" | LC_ALL=C sort)" "branches: both children of A"

    # --rev-id, --depends-on
    newrev -m "depends" --head "$S" --rev-id dep_1 --depends-on other --depends-on "${B:0:6}"
    is_rc 0 "revision --rev-id dep_1 --depends-on other --depends-on <prefix>: exit 0"
    is "$REVF" "versions/dep_1_depends.sql" "--rev-id: the file is named after the id"
    is "$(grep '^-- mig:depends_on' "$REVF")" "-- mig:depends_on other, $B" "--depends-on: the label as written, the prefix resolved"
    newrev -m "again" --head dep_1 --rev-id dep_1
    is_rc 1 "--rev-id of an existing revision: exit 1"
    like "$ERR1" "dep_1" "--rev-id of an existing revision: names it"
    newrev -m "bad" --head dep_1 --rev-id "bad-id"
    is_rc 1 "--rev-id with a '-': exit 1"
    newrev -m "x" --head dep_1 --branch-label other
    is_rc 1 "--branch-label already used: exit 1"
    like "$ERR1" "other" "--branch-label already used: names the label"
    newrev -m "x" --head nosuch
    is_rc 1 "--head of an unknown revision: exit 1"
    like "$ERR1" "nosuch" "--head of an unknown revision: names it"

    # show
    m show "${O:0:8}"
    is_rc 0 "show <prefix>: exit 0"
    is "$(head -n 1 <<<"$OUT")" "Rev: $O" "show: Rev: <id>"
    like "$OUT" $'\nParent: <base>\n' "show: Parent: <base>"
    like "$OUT" $'\nBranch names: other\n' "show: Branch names: other"
    like "$OUT" $'\nPath: '"$fo"$'\n' "show: the path"
    like "$OUT" "Revision ID: $O" "show: Revision ID"
    like "$OUT" $'\n    other root\n' "show: the message"
    m show "$M"
    like "$(head -n 1 <<<"$OUT")" "^Rev: $M .*\(mergepoint\)" "show <merge>: (mergepoint)"
    like "$OUT" $'\nMerges: ' "show <merge>: Merges: ..."
    m show dep_1
    like "$OUT" $'\nAlso depends on: other, '"$B" "show: Also depends on"
    m show nosuch
    is_rc 1 "show <unknown>: exit 1"
    like "$ERR1" "nosuch" "show <unknown>: names it"

    # depends_on is honoured by upgrade: dep_1 needs S and the other branch (applied)
    m upgrade dep_1
    is_rc 0 "upgrade dep_1: exit 0"
    is "$(grep_lines "$OUT" '^Running ' | sed 's/,.*//')" "$(printf 'Running upgrade %s -> %s\nRunning upgrade %s -> dep_1' "$A" "$S" "$S")" \
        "upgrade dep_1: S, then dep_1"
    is "$(raw mig.db "SELECT count(*) FROM sqlite_master WHERE name IN ('t_a', 't_b', 't_o')")" 3 "the tables of every branch exist"
}

# ---- 3. x-arguments -----------------------------------------------------------------------------------
t_xargs() {
    project xargs
    cat >versions/x1.sql <<'EOF'
-- mig:revision x1
-- mig:message seed

-- mig:upgrade
CREATE TABLE seen (who TEXT, tag TEXT);
INSERT INTO seen VALUES ('always', mig_x('tag'));

-- mig:upgrade if data
INSERT INTO seen VALUES (coalesce(mig_x('who'), 'nobody'), mig_x('tag'));

-- mig:upgrade dialect=postgresql
THIS IS NOT SQLITE;

-- mig:downgrade
DROP TABLE seen;
EOF
    m upgrade
    is_rc 0 "upgrade without -x: exit 0 (a dialect=postgresql section is skipped)"
    is "$(raw mig.db "SELECT who || '|' || coalesce(tag, 'NULL') FROM seen")" "always|NULL" "no -x: the if data section is skipped, mig_x() is NULL"
    m downgrade base
    m -x data=yes -x who=alice -x tag=t1 upgrade
    is_rc 0 "upgrade -x data=yes -x who=alice: exit 0"
    is "$(raw mig.db "SELECT who || '|' || tag FROM seen ORDER BY rowid" | tr '\n' ' ')" "always|t1 alice|t1 " "-x data=yes: the if data section ran, mig_x() sees the values"
    m downgrade base
    m upgrade -x data=TRUE -x who=bob
    is "$(raw mig.db "SELECT group_concat(who) FROM seen")" "always,bob" "-x after the command, data=TRUE (any case) is truthy"
    m downgrade base
    m -x data=0 -x who=carol upgrade
    is "$(raw mig.db "SELECT group_concat(who) FROM seen")" "always" "-x data=0 is false"
    m downgrade base
    m -x data=off -x data=yes -x who=dave upgrade
    is "$(raw mig.db "SELECT group_concat(who) FROM seen")" "always,dave" "the last -x of a key wins"
    # Alembic users test presence (if x.get('admin_email')): any value but the false ones selects
    m downgrade base
    m -x data=root@shop.example -x who=erin upgrade
    is "$(raw mig.db "SELECT group_concat(who) FROM seen")" "always,erin" "-x data=root@shop.example (not a boolean word) selects 'if data'"
    unlike "$ERR" "warning" "... and no warning for keys the files use"
    for v in "" no OFF False 0; do
        m downgrade base
        m -x "data=$v" -x who=frank upgrade
        is "$(raw mig.db "SELECT group_concat(who) FROM seen")" "always" "-x data='$v' is false"
    done
    m downgrade base
    m -x dta=1 upgrade
    is_rc 0 "-x with a key no file uses: the run goes on (exit 0)"
    like "$ERR" "warning: -x dta: no revision file has a section 'if dta' or calls mig_x\('dta'\)" "... with a warning naming the key"
    m -x noequals upgrade
    is_rc 2 "-x without '=': exit 2"
    m -x =v upgrade
    is_rc 2 "-x with an empty key: exit 2"
    m -x who=a=b -x data=1 upgrade base:x1 --sql
    like "$OUT" "INSERT INTO seen VALUES \(coalesce" "-x data=1 upgrade base:x1 --sql: the if data section is in the script"
    like "$OUT" "CREATE TABLE seen.*INSERT INTO seen VALUES \('always'" "upgrade base:x1 --sql: the unconditional section too"
    m upgrade base:x1 --sql
    unlike "$OUT" "coalesce" "upgrade base:x1 --sql without -x data: no if data section"
}

# ---- 4. push ------------------------------------------------------------------------------------------------
t_push() {
    project push
    rev_file versions/p1.sql p1 "" "CREATE TABLE p1 (x INTEGER);" "DROP TABLE p1;"
    rev_file versions/p2.sql p2 p1 "CREATE TABLE p2 (x INTEGER);" "DROP TABLE p2;"
    m push
    is_rc 0 "push: exit 0"
    is "$(grep_lines "$OUT" '^  ' | sed 's/  */ /g')" "$(printf ' added p1 (versions/p1.sql)\n added p2 (versions/p2.sql)')" "push: each added file"
    like "$OUT" "2 added, 0 changed, 0 unchanged, 0 removed" "push: the summary"
    is "$(raw mig.db "SELECT group_concat(revision) FROM (SELECT revision FROM mig_revision ORDER BY revision)")" "p1,p2" "push: both stored"
    is "$(raw mig.db "SELECT source FROM mig_revision WHERE revision = 'p2'")" "$(cat versions/p2.sql)" "push: the stored source is the file"
    is "$(raw mig.db "SELECT count(*) FROM mig_version")" 0 "push does not upgrade"
    local snap
    snap=$(snapshot_db mig.db)
    m push
    is_rc 0 "second push: exit 0"
    like "$OUT" "0 added, 0 changed, 2 unchanged, 0 removed" "second push: all unchanged"
    is "$(grep -c '^  ' <<<"$OUT")" 0 "second push: no per-file line"
    is "$(snapshot_db mig.db)" "$snap" "second push: nothing uploaded (the database is identical, uploaded_at too)"

    # an unapplied revision changed, one removed, one added
    rev_file versions/p2.sql p2 p1 "CREATE TABLE p2 (x INTEGER, y TEXT);" "DROP TABLE p2;"
    rev_file versions/p3.sql p3 p2 "CREATE TABLE p3 (x INTEGER);" "DROP TABLE p3;"
    m push
    is_rc 0 "push with a changed unapplied revision: exit 0"
    like "$OUT" "changed +p2 \(versions/p2.sql\)" "push: changed p2"
    like "$OUT" "added +p3" "push: added p3"
    like "$OUT" "1 added, 1 changed, 1 unchanged, 0 removed" "push: the summary counts"
    is "$(raw mig.db "SELECT source FROM mig_revision WHERE revision = 'p2'")" "$(cat versions/p2.sql)" "push: the changed source stored"
    rm versions/p3.sql
    m push
    like "$OUT" "removed +p3" "push: an unapplied revision without its file is removed"
    like "$OUT" "0 added, 0 changed, 2 unchanged, 1 removed" "push: the summary counts it removed"
    is "$(raw mig.db "SELECT count(*) FROM mig_revision WHERE revision = 'p3'")" 0 "push: p3 deleted from the store"

    # an applied revision whose body changed is refused
    m upgrade p1
    is_rc 0 "upgrade p1: exit 0"
    local old_ck new_ck
    old_ck=$(raw mig.db "SELECT checksum FROM mig_revision WHERE revision = 'p1'")
    rev_file versions/p1.sql p1 "" "CREATE TABLE p1 (x INTEGER, edited INTEGER);" "DROP TABLE p1;"
    rev_file versions/p4.sql p4 p2 "CREATE TABLE p4 (x INTEGER);" "DROP TABLE p4;"
    snap=$(snapshot_db mig.db)
    m push
    is_rc 1 "push of an edited applied revision: exit 1"
    like "$ERR1" "versions/p1.sql" "refused push: names the file"
    like "$ERR1" "$old_ck" "refused push: the stored checksum"
    new_ck=$(grep -oE '[0-9a-f]{64}' <<<"$ERR1" | grep -v "$old_ck" | head -n 1)
    like "$new_ck" '^[0-9a-f]{64}$' "refused push: the new checksum too"
    like "$ERR" "nothing was uploaded" "refused push: says nothing was uploaded"
    is "$(snapshot_db mig.db)" "$snap" "refused push: nothing uploaded (p1's stored source unchanged, p4 not added)"
    # an edit of an applied revision blocks neither the others' upgrade nor the downgrade that fixes it:
    # the database keeps and runs the body that ran, and says so
    m upgrade
    is_rc 0 "upgrade with an edited applied revision: exit 0 (the rest is applied)"
    like "$ERR" "warning: versions/p1.sql: revision p1 was edited after it was applied; the database keeps and runs the body that ran" \
        "... with a warning naming the file"
    unlike "$(raw mig.db "SELECT source FROM mig_revision WHERE revision = 'p1'")" "edited" "... p1's stored body is still the one that ran"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" "p4" "... and p4 was uploaded and applied"
    m downgrade p2
    is_rc 0 "the downgrade that fixes things is not blocked by the edit either: exit 0"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" "p2" "... at p2"
    m upgrade
    is_rc 0 "upgrade again"
    m check
    is_rc 1 "check with an edited applied revision: exit 1"
    like "$ERR" "p1.*edited" "check: says p1 was edited"
    m push --force
    is_rc 0 "push --force: exit 0"
    like "$OUT" "changed +p1" "push --force: p1 changed"
    is "$(raw mig.db "SELECT source FROM mig_revision WHERE revision = 'p1'")" "$(cat versions/p1.sql)" "push --force: the new body stored"
    is "$(raw mig.db "SELECT checksum FROM mig_revision WHERE revision = 'p1'")" "$new_ck" "push --force: the new checksum (the one the refusal showed)"
    is "$(raw mig.db "SELECT group_concat(name) FROM pragma_table_info('p1')")" "x" "push --force does not rerun the revision"
    m upgrade --force
    is_rc 0 "upgrade --force (nothing to force any more): exit 0"

    # an applied revision without its file is kept, with a warning
    mv versions/p1.sql "$T/p1.sql.away"
    m push
    is_rc 1 "push without the file of an applied revision that others build on: exit 1 (the graph is broken)"
    mv "$T/p1.sql.away" versions/p1.sql

    # a malformed file among valid ones
    rev_file versions/p5.sql p5 p4 "CREATE TABLE p5 (x INTEGER);"
    printf -- '-- mig:revision p6\n-- mig:down_revision p5\n-- mig:colour blue\n\n-- mig:upgrade\nSELECT 1;\n' >versions/p6.sql
    snap=$(snapshot_db mig.db)
    m push
    is_rc 1 "push with a malformed file: exit 1"
    like "$ERR1" "versions/p6.sql" "malformed file: the error names the file"
    like "$ERR1" "(:3:|line 3)" "malformed file: the error names the line"
    like "$ERR1" "colour" "malformed file: the error names the key"
    is "$(snapshot_db mig.db)" "$snap" "malformed file: nothing uploaded (revisions table unchanged)"
    rm versions/p6.sql
    m push
    is_rc 0 "push after removing the malformed file: exit 0"
    like "$OUT" "1 added, 0 changed, 3 unchanged" "push: p5 added (p4 came with push --force)"

    # a file that changes an applied revision's graph (not its body): check and upgrade agree
    m upgrade
    is_rc 0 "upgrade to p5: exit 0"
    cp versions/p2.sql "$T/p2.sql.orig"
    sed -i 's/^-- mig:message rev p2$/-- mig:message rev p2\n-- mig:branch_labels late_label/' versions/p2.sql
    m upgrade
    is_rc 1 "upgrade with a new branch label on applied p2: exit 1 (the push is refused)"
    m check
    is_rc 1 "check agrees: exit 1"
    like "$ERR" "p2 \(versions/p2.sql\) is applied and its file changes its down_revision, branch_labels or depends_on" \
        "check names the revision, its file and what changed"
    cp "$T/p2.sql.orig" versions/p2.sql
    m check
    unlike "$ERR" "p2" "with the file restored, check no longer names p2"
    # p1's body was replaced with push --force after it ran: check names it and the one step out
    is_rc 1 "check after push --force of applied p1: exit 1"
    like "$ERR" "revision p1: its stored body .* is not the one that ran .* mig stamp --accept p1" \
        "check names p1 and says how to accept its new body"
    before=$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")
    m stamp --accept p1
    is_rc 0 "stamp --accept p1: exit 0"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" "$before" "stamp --accept does not move the version state"
    # (these accepted bodies were never run here, so the schema checks
    # would find the drift; --no-drift checks the bookkeeping)
    m check --no-drift
    is_rc 0 "after stamp --accept, check passes"
    m stamp --accept p6
    is_rc 1 "stamp --accept of a revision with no file: exit 1"
    # the revision the database is at: a stamp to it would record nothing
    rev_file versions/p5.sql p5 p4 "CREATE TABLE p5 (x INTEGER, y INTEGER);"
    m push --force
    m check
    like "$ERR" "revision p5: its stored body .* is not the one that ran" "check names the replaced body of the head p5"
    m stamp --accept p5
    is_rc 0 "stamp --accept of the current head: exit 0"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" "p5" "... the database is still at p5"
    m check --no-drift
    is_rc 0 "... and check passes"
    m check
    like "$RC|$ERR" "^1\|.*drift: table p5: column y dropped by hand" \
        "... but without --no-drift, check says the database lacks what the accepted body makes"
    # heads of two branches, and a root that is the only revision
    project accept-heads
    rev_file versions/r1.sql r1 "" "CREATE TABLE r1 (x INTEGER);"
    rev_file versions/h1.sql h1 r1 "CREATE TABLE h1 (x INTEGER);"
    rev_file versions/h2.sql h2 r1 "CREATE TABLE h2 (x INTEGER);"
    m upgrade heads
    rev_file versions/h1.sql h1 r1 "CREATE TABLE h1 (x INTEGER, y INTEGER);"
    m push --force
    m stamp --accept h1
    is_rc 0 "stamp --accept of one of two heads: exit 0"
    is "$(raw mig.db "SELECT group_concat(version_num, ' ') FROM (SELECT version_num FROM mig_version ORDER BY 1)")" "h1 h2" \
        "... both heads kept"
    m check --no-drift
    is_rc 0 "... and check passes"
    project accept-root
    rev_file versions/r1.sql r1 "" "CREATE TABLE r1 (x INTEGER);"
    m upgrade
    rev_file versions/r1.sql r1 "" "CREATE TABLE r1 (x INTEGER, y INTEGER);"
    m push --force
    m stamp --accept r1
    is_rc 0 "stamp --accept of a root the database is at: exit 0"
    m check --no-drift
    is_rc 0 "... and check passes"
    cd "$T/push" || bail "cd $T/push"

    # what counts as changed: the body (checksum) or a header key, compared
    # without reading the stored sources
    rev_file versions/p2.sql p2 p1 "CREATE TABLE p2 (x INTEGER, y TEXT);" "DROP TABLE p2;"
    sed -i 's/^-- mig:message rev p2$/-- mig:message rev p2, renamed/' versions/p2.sql
    m push
    like "$OUT" "changed +p2 \(versions/p2.sql\)" "push: a file whose message changed is uploaded"
    is "$(raw mig.db "SELECT message FROM mig_revision WHERE revision = 'p2'")" "rev p2, renamed" "... with its new message"
    { printf -- '-- p2: a comment above the header\n'; cat versions/p2.sql; } >"$T/p2" && mv "$T/p2" versions/p2.sql
    m push
    like "$OUT" "0 added, 0 changed, [0-9]+ unchanged, 0 removed" "push: a comment outside the header and sections changes nothing mig reads: unchanged"

    # many new files: uploaded in batches of statements, in file order
    local i prev=p2
    for i in $(seq 1 1205); do
        rev_file "versions/b$(printf %04d "$i").sql" "b$(printf %04d "$i")" "$prev" "SELECT $i;" "SELECT -$i;"
        prev=b$(printf %04d "$i")
    done
    m push
    is_rc 0 "push of 1,205 new files (more than one batch): exit 0"
    like "$OUT" "1205 added, 0 changed, [0-9]+ unchanged, 0 removed" "... all added"
    is "$(raw mig.db "SELECT count(*), min(revision), max(revision) FROM mig_revision WHERE revision LIKE 'b%'")" "1205|b0001|b1205" \
        "... all stored"
    is "$(raw mig.db "SELECT group_concat(revision, ',') FROM (SELECT revision FROM mig_revision WHERE revision IN ('b0999', 'b1000', 'b1001', 'b1002') ORDER BY rowid)")" \
        "b0999,b1000,b1001,b1002" "... in file order across the batch boundary"
    is "$(raw mig.db "SELECT count(*) FROM mig_revision r WHERE revision LIKE 'b%' AND source <> CAST(readfile('versions/' || revision || '.sql') AS TEXT)")" 0 \
        "... each stored source is its file"
    rm versions/b*.sql
    m push
    like "$OUT" "0 added, 0 changed, [0-9]+ unchanged, 1205 removed" "... and removed again"
}

# ---- 5. atomicity ------------------------------------------------------------------------------------------
# ---- the header cache (client/cache.c) ------------------------------------------------------
# the header cache's file (the replay cache is in mig/replay/, client/replay.c)
cache_file() {
    find "$XDG_CACHE_HOME"/mig -maxdepth 1 -type f ! -name '*.tmp' 2>/dev/null
}

t_cache() {
    project cache
    local later cf out_off files_before
    export XDG_CACHE_HOME=$PWD/xdg
    rev_file versions/c1.sql c1 "" "CREATE TABLE c1 (x INTEGER);" "DROP TABLE c1;"
    rev_file versions/c2.sql c2 c1 "CREATE TABLE c2 (x INTEGER);" "DROP TABLE c2;"
    files_before=$(find . -path ./xdg -prune -o -print | sort)
    # files changed within two seconds of a run are not cached (two writes in
    # one clock tick have equal times): with the clock at their change time,
    # nothing of them is kept
    MIG_CACHE_CLOCK=$(stat -c %Z versions/c2.sql) m history
    is_rc 0 "history with fresh files: exit 0"
    cf=$(cache_file)
    is "$(tr '\0' '\n' <"$cf" 2>/dev/null | grep -c '^rev c2$')" 0 "a file changed within two seconds of the run is not cached"
    # with a clock a minute later, both are
    later=$(($(date +%s) + 60))
    MIG_CACHE_CLOCK=$later m history
    cf=$(cache_file)
    like "$cf" "^$PWD/xdg/mig/[0-9a-f]{64}\$" "the cache is one file under \$XDG_CACHE_HOME/mig, named by a hash of the folders"
    is "$(stat -c %a "$cf")" 600 "the cache file is private to its user"
    is "$(tr '\0' '\n' <"$cf" | grep -c '^rev c[12]$')" 2 "both headers cached"
    is "$(find . -path ./xdg -prune -o -print | sort)" "$files_before" "nothing is written into the project"
    # the commands read a cached header: a message changed in the cache (same
    # length) shows, which proves the file was not read again
    perl -0pi -e 's/rev c2\0/rev X2\0/' "$cf"
    MIG_CACHE_CLOCK=$later m history
    like "$OUT" "rev X2" "history reads the cached header of an unchanged file"
    # a cache file that others can write is not trusted (a shared cache folder)
    chmod 666 "$cf"
    MIG_CACHE_CLOCK=$later m history
    like "$OUT" "rev c2" "a cache file writable by others is ignored: the files are read"
    is "$(stat -c %a "$(cache_file)")" 600 "... and the cache written again, private"
    # an edit that keeps size and modification time (touch -r) still changes
    # the change time, so the file is read again
    cp -p versions/c2.sql c2.orig
    sed -i 's/rev c2/rev Y2/' versions/c2.sql
    touch -r c2.orig versions/c2.sql
    is "$(stat -c %s,%Y versions/c2.sql)" "$(stat -c %s,%Y c2.orig)" "the edit kept size and modification time"
    MIG_CACHE_CLOCK=$later m history
    like "$OUT" "rev Y2" "an edited file is read again though size and mtime are the same"
    # replaced by another file (an editor's save: write, rename)
    sed 's/rev Y2/rev Z2/' versions/c2.sql >c2.new && touch -r c2.orig c2.new && mv c2.new versions/c2.sql
    MIG_CACHE_CLOCK=$later m history
    like "$OUT" "rev Z2" "a file replaced by rename is read again"
    # mig check sees an edited applied revision through the cache
    MIG_CACHE_CLOCK=$later m upgrade head
    is_rc 0 "upgrade: exit 0"
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "check after upgrade: exit 0"
    cp -p versions/c1.sql c1.orig
    sed -i 's/c1 (x INTEGER)/c1 (y INTEGER)/' versions/c1.sql
    touch -r c1.orig versions/c1.sql
    MIG_CACHE_CLOCK=$later m check
    is_rc 1 "check after an edit of an applied revision (same size and mtime): exit 1"
    like "$OUT$ERR" "c1" "check names the edited revision"
    cp -p c1.orig versions/c1.sql
    # the summary of a listing the cache knows as it is (current, check and a
    # no-op upgrade build no graph from it): written once the graph was built
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "check after the edit was reverted: exit 0"
    MIG_CACHE_CLOCK=$later m history
    like "$(sed -n 2p "$(cache_file)")" "^summary 2 0 0 [0-9a-f]{64} c2\$" "the cache holds the summary of the listing: 2 files, c2 the head"
    MIG_CACHE_CLOCK=$later m current
    is "$OUT" "c2 (head)" "current from the summary: c2 is the head"
    MIG_CACHE_CLOCK=$later m upgrade head
    like "$OUT" "Nothing to upgrade" "a no-op upgrade from the summary"
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "check from the summary: exit 0"
    # a new file: the listing is not the cached one, and c2 is no head any more
    rev_file versions/c3.sql c3 c2 "CREATE TABLE c3 (x INTEGER);" "DROP TABLE c3;"
    touch -d @$((later - 600)) versions/c3.sql
    MIG_CACHE_CLOCK=$later m current
    is "$OUT" "c2" "a new child file: current no longer says (head)"
    MIG_CACHE_CLOCK=$later m check
    is_rc 1 "a new child file: check exit 1"
    like "$ERR" "pending.*c3" "... c3 pending"
    # the summary of three files now; an applied body replaced with push
    # --force: the store holds the files, the database is at the head, and
    # the history says another body ran: check still says so
    MIG_CACHE_CLOCK=$later m upgrade head
    is_rc 0 "upgrade to c3: exit 0"
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "check at c3 (summary written): exit 0"
    like "$(sed -n 2p "$(cache_file)")" "^summary 3 0 0 [0-9a-f]{64} c3\$" "the summary of three files"
    cp -p versions/c3.sql c3.orig
    sed -i 's/c3 (x INTEGER)/c3 (z INTEGER)/' versions/c3.sql
    MIG_CACHE_CLOCK=$later m push --force
    is_rc 0 "push --force of an applied revision: exit 0"
    MIG_CACHE_CLOCK=$((later + 600)) m history
    like "$(sed -n 2p "$(cache_file)")" "^summary 3 " "the summary again, with the new c3"
    MIG_CACHE_CLOCK=$((later + 600)) m check
    is_rc 1 "check after push --force, from the summary: exit 1"
    like "$ERR" "revision c3: its stored body .* is not the one that ran" "... names c3's replaced body"
    # several folders, one read recursively: the summary covers them all,
    # and a file moved from one folder to the other is a new listing
    project cache-locs
    export XDG_CACHE_HOME=$PWD/xdg
    mkdir -p versions/sub other
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = versions other\nrecursive_version_locations = true\n' >mig.ini
    rev_file versions/l1.sql l1 "" "CREATE TABLE l1 (x INTEGER);" "DROP TABLE l1;"
    rev_file versions/sub/l2.sql l2 l1 "CREATE TABLE l2 (x INTEGER);" "DROP TABLE l2;"
    rev_file other/l3.sql l3 l2 "CREATE TABLE l3 (x INTEGER);" "DROP TABLE l3;"
    MIG_CACHE_CLOCK=$later m upgrade head
    is_rc 0 "three folders: upgrade exit 0"
    MIG_CACHE_CLOCK=$later m history
    like "$(sed -n 2p "$(cache_file)")" "^summary 3 0 0 [0-9a-f]{64} l3\$" "three folders: the summary of three files"
    MIG_CACHE_CLOCK=$later m current
    is "$OUT" "l3 (head)" "three folders: current from the summary"
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "three folders: check from the summary, exit 0"
    mv other/l3.sql versions/l3.sql
    MIG_CACHE_CLOCK=$later m current
    is "$OUT" "l3 (head)" "a file moved to another folder: still the head"
    MIG_CACHE_CLOCK=$later m history
    like "$OUT" "l2 -> l3" "... and history reads it"
    rm versions/l3.sql
    MIG_CACHE_CLOCK=$later m check
    is_rc 1 "the head's file removed: check exit 1"
    like "$ERR" "l3, which has no file" "... the database is at a revision without a file"
    # a large listing is checked by several threads (one fstatat per file,
    # in ranges that cross from one folder into the next): an edit anywhere
    # is seen, in the last range too
    project cache-big
    export XDG_CACHE_HOME=$PWD/xdg
    mkdir -p other
    printf '[mig]\nurl = sqlite:mig.db\nversion_locations = versions other\n' >mig.ini
    awk 'BEGIN { for (i = 1; i <= 9000; i++) {
                   f = sprintf("%s/b%05d.sql", i <= 8000 ? "versions" : "other", i)
                   printf "-- mig:revision b%05d\n", i > f
                   if (i > 1) printf "-- mig:down_revision b%05d\n", i - 1 > f
                   printf "\n-- mig:upgrade\nSELECT %d;\n\n-- mig:downgrade\nSELECT %d;\n", i, i > f
                   close(f) } }'
    MIG_CACHE_CLOCK=$later m upgrade head
    is_rc 0 "9,000 files in two folders: upgrade exit 0"
    MIG_CACHE_CLOCK=$later m history
    like "$(sed -n 2p "$(cache_file)")" "^summary 9000 0 0 [0-9a-f]{64} b09000\$" "9,000 files: the summary"
    MIG_CACHE_CLOCK=$later m check
    is_rc 0 "9,000 files: check from the summary, exit 0"
    printf -- '-- mig:revision b08999\n-- mig:down_revision b08998\n\n-- mig:upgrade\nSELECT 0;\n' >other/b08999.sql
    MIG_CACHE_CLOCK=$later m check
    is_rc 1 "a file edited near the end of the last range: check exit 1"
    like "$ERR" "b08999" "... naming it"
    cp versions/b04000.sql b04000.bak
    printf -- '-- mig:revision b04000\n-- mig:down_revision b03999\n\n-- mig:upgrade\nSELECT 1;\n' >versions/b04000.sql
    MIG_CACHE_CLOCK=$later m current
    like "$OUT" "^b09000" "edited files: current still names the head"
    MIG_CACHE_CLOCK=$later m check
    like "$ERR" "b04000" "a file edited in the first folder: check names it too"
    cd "$T/cache" || bail "cd $T/cache"
    export XDG_CACHE_HOME=$PWD/xdg
    # a damaged cache is ignored: the output is what it is without a cache
    MIG_CACHE=off m history
    out_off=$OUT
    truncate -s 100 "$cf"
    MIG_CACHE_CLOCK=$later m history
    is "$OUT" "$out_off" "a truncated cache: the same history as without a cache"
    head -c 300 /dev/urandom >"$cf"
    MIG_CACHE_CLOCK=$later m history
    is "$OUT" "$out_off" "a cache of random bytes: the same history"
    # MIG_CACHE=off writes nothing; an unwritable cache folder is not an error
    export XDG_CACHE_HOME=$PWD/xdg-off
    MIG_CACHE=off MIG_CACHE_CLOCK=$later m history
    is "$(ls xdg-off 2>/dev/null | wc -l)" 0 "MIG_CACHE=off: no cache written"
    export XDG_CACHE_HOME=/proc/no-such-dir
    MIG_CACHE_CLOCK=$later m history
    is_rc 0 "an unwritable cache folder: history still works"
    is "$OUT" "$out_off" "an unwritable cache folder: the same history"
    # an upload keeps the texts it read while listing up to 4 MB in all
    # (FILES_TEXT_ROOM) and reads the others again as it uploads them: three
    # revisions of 1.5 MB, the last `transactional false` (run by the client
    # from its text), all read without a cache
    project cache-texts
    local pad
    pad=$(head -c 1500000 /dev/zero | tr '\0' x)
    rev_file versions/b1.sql b1 "" "CREATE TABLE b1 (x INTEGER); -- $pad" "DROP TABLE b1;"
    rev_file versions/b2.sql b2 b1 "CREATE TABLE b2 (x INTEGER); -- $pad" "DROP TABLE b2;"
    rev_file versions/b3.sql b3 b2 "CREATE TABLE b3 (x INTEGER); -- $pad" "DROP TABLE b3;" "-- mig:transactional false"
    MIG_CACHE=off m upgrade
    is_rc 0 "upgrade of 4.5 MB of revision texts, some read again to be uploaded: exit 0"
    is "$(sqlite3 mig.db "SELECT group_concat(length(source), ' ') FROM (SELECT source FROM mig_revision ORDER BY revision)")" \
        "$(stat -c %s versions/b1.sql versions/b2.sql versions/b3.sql | paste -sd ' ')" "... each text stored whole"
    is "$(sqlite3 mig.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'b_' ORDER BY name)")" \
        "b1 b2 b3" "... and every revision ran"
    export XDG_CACHE_HOME=$T/.cache
}

t_atomic() {
    project atomic
    rev_file versions/a0.sql a0 "" "CREATE TABLE base_t (x INTEGER); INSERT INTO base_t VALUES (1);" "DROP TABLE base_t;"
    m upgrade
    is_rc 0 "upgrade a0: exit 0"
    rev_file versions/a1.sql a1 a0 "CREATE TABLE t1 (x INTEGER); INSERT INTO base_t VALUES (2);" "DROP TABLE t1;"
    rev_file versions/a2.sql a2 a1 "ALTER TABLE base_t ADD COLUMN y TEXT; UPDATE base_t SET y = 'changed';" "ALTER TABLE base_t DROP COLUMN y;"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x INTEGER);
INSERT INTO t3 VALUES (1);
INSERT INTO no_such_table VALUES (1);" "DROP TABLE t3;"
    local snap
    snap=$(snapshot_db mig.db)
    m upgrade
    is_rc 1 "upgrade of 3 revisions whose 3rd fails: exit 1"
    like "$ERR" "a3" "the error names the revision"
    like "$ERR1" "^mig: versions/a3.sql: " "... and its file (read again: the client gave the files back once uploaded)"
    like "$ERR" "upgrade" "the error names the direction"
    like "$ERR" "no such table: no_such_table" "the error carries the statement's message"
    unlike "$ERR1" "^$" "the first line of the error is not empty"
    is "$(snapshot_db mig.db)" "$snap" "schema, data, mig_version, mig_history, mig_revision: as before (the upload rolled back too)"
    is "$(raw mig.db "SELECT group_concat(revision) FROM mig_revision")" "a0" "the three new files are not stored"
    [ ! -e mig.db-journal ] && [ ! -e mig.db-wal ]
    ok $? "no journal left behind"
    # the database refuses one file of the batched upload (a trigger here; a
    # full disk alike): the error names it, and nothing changes
    raw mig.db "CREATE TRIGGER refuse_a2 BEFORE INSERT ON mig_revision WHEN NEW.revision = 'a2' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END" >/dev/null
    snap=$(snapshot_db mig.db)
    m upgrade
    is_rc 1 "upgrade whose upload the database refuses at a2: exit 1"
    like "$ERR1" "^mig: versions/a2.sql: revision a2: refused by a trigger" "the error names the refused file and its revision"
    is "$(snapshot_db mig.db)" "$snap" "schema, data, mig_version, mig_history, mig_revision: as before"
    raw mig.db "DROP TRIGGER refuse_a2" >/dev/null
    m current
    is "$OUT" "a0" "current after the rolled-back upgrade: a0, not '(head)': the files have a1..a3 (head-ness comes from the files)"
    m current -v
    like "$(sed -n 1p <<<"$OUT")" "^Current revision\(s\) for .*: a0$" "current -v: the header comes first"
    m upgrade a2
    is_rc 0 "upgrade a2 (stopping before the failing one): exit 0"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" a2 "at a2"
    # a failing downgrade
    rev_file versions/a2.sql a2 a1 "ALTER TABLE base_t ADD COLUMN y TEXT; UPDATE base_t SET y = 'changed';" "DROP TABLE nope_not_there;"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x INTEGER);" "DROP TABLE t3;"
    m push --force
    m upgrade
    snap=$(snapshot_db mig.db)
    m downgrade a0
    is_rc 1 "downgrade of 3 revisions whose 2nd fails: exit 1"
    like "$ERR" "a2" "failing downgrade: names the revision"
    like "$ERR" "downgrade" "failing downgrade: names the direction"
    like "$ERR" "no such table: nope_not_there" "failing downgrade: the statement's message"
    is "$(snapshot_db mig.db)" "$snap" "failing downgrade: the database as before (t3 still there)"
    # a deleted applied file is written back from the database: show REV --sql
    cp versions/a2.sql "$T/a2.orig"
    rm versions/a2.sql
    m show a2 --sql
    is_rc 0 "show a2 --sql with the file deleted: exit 0 (from the database)"
    printf '%s\n' "$OUT" >versions/a2.sql
    cmp -s versions/a2.sql "$T/a2.orig"
    ok $? "show a2 --sql > versions/a2.sql writes the stored source back byte for byte"
    m check
    unlike "$ERR" "(edited|no file|a2.sql)" "... and check finds the file as it was"
    m show a --sql
    is_rc 1 "show --sql with an ambiguous prefix: exit 1"
    like "$ERR" "ambiguous" "... says it is ambiguous"
    # a revision whose downgrade is empty: said when it is downgraded and by check
    rev_file versions/a4.sql a4 a3 "CREATE TABLE t4 (x INTEGER);" "-- nothing to undo, really?"
    m upgrade
    m check
    like "$ERR" "warning: versions/a4.sql: revision a4 has an empty downgrade" "check warns about an empty downgrade"
    m downgrade -1
    is_rc 0 "downgrade -1 through an empty downgrade: exit 0"
    like "$ERR" "warning: versions/a4.sql: revision a4 has an empty downgrade: its downgrade undoes nothing" \
        "the downgrade warns that it undid nothing"
}

# ---- revisions outside a transaction (SQLite: VACUUM) ----------------------------------------------------
nontx_files() {
    rev_file versions/n1.sql n1 "" "CREATE TABLE big (x INTEGER); INSERT INTO big VALUES (1), (2), (3);" "DROP TABLE big;"
    rev_file versions/n2.sql n2 n1 "CREATE INDEX ix_big_x ON big (x);
VACUUM;" "DROP INDEX ix_big_x;
VACUUM;" "-- mig:transactional false"
    rev_file versions/n3.sql n3 n2 "CREATE TABLE after_ix (x INTEGER);" "DROP TABLE after_ix;"
}

t_nontx() {
    project nontx
    nontx_files
    m upgrade
    is_rc 0 "upgrade across a transactional false revision (VACUUM): exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "$(printf 'Running upgrade  -> n1, rev n1\nRunning upgrade n1 -> n2, rev n2 (outside a transaction)\nRunning upgrade n2 -> n3, rev n3')" \
        "the Running lines, the nontransactional one marked"
    is "$(raw mig.db "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id)")" \
        "n1:upgrade n2:upgrade n3:upgrade" "history: each revision once"
    m downgrade base
    is_rc 0 "downgrade base across it: exit 0"
    is "$(raw mig.db "SELECT count(*) FROM sqlite_master WHERE name IN ('big', 'ix_big_x', 'after_ix')")" 0 "downgrade: everything dropped"
    is "$(raw mig.db "SELECT count(*) FROM mig_version")" 0 "downgrade: at base"

    # a revision after it fails: n1 (first transaction) and n2 (outside one)
    # stay committed and recorded; n3 and n4 share the transaction that fails
    project nontx_after
    nontx_files
    rev_file versions/n4.sql n4 n3 "CREATE TABLE n4 (x INTEGER);
INSERT INTO no_such_table VALUES (1);" "DROP TABLE n4;"
    m upgrade
    is_rc 1 "upgrade n1, n2 (outside a transaction), n3, n4 where n4 fails: exit 1"
    like "$ERR" "n4" "the failure names n4"
    is "$(raw mig.db "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE name IN ('big', 'ix_big_x', 'after_ix', 'n4') ORDER BY name)")" \
        "big,ix_big_x" "n1 and n2 committed, n3 and n4 rolled back together"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" n2 "the revisions before the failing transaction are recorded (at n2)"
    is "$(raw mig.db "SELECT group_concat(revision || ':' || direction, ' ') FROM (SELECT * FROM mig_history ORDER BY id)")" \
        "n1:upgrade n2:upgrade" "history: n1 and n2"
    rev_file versions/n4.sql n4 n3 "CREATE TABLE n4 (x INTEGER);" "DROP TABLE n4;"
    m upgrade
    is_rc 0 "n4 fixed: the next upgrade exits 0 (n2 does not run again)"
    is "$(raw mig.db "SELECT group_concat(revision, ' ') FROM (SELECT * FROM mig_history ORDER BY id)")" "n1 n2 n3 n4" "history: each revision once"

    # a nontransactional revision whose 2nd statement fails
    project nontx_stmt
    rev_file versions/s1.sql s1 "" "CREATE TABLE s1a (x INTEGER);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE s1b (x INTEGER);" "DROP TABLE IF EXISTS s1b;
DROP TABLE IF EXISTS s1a;" "-- mig:transactional false"
    m upgrade
    is_rc 1 "a nontransactional revision whose 2nd statement fails: exit 1"
    like "$ERR1" "versions/s1.sql.*s1.*line 7" "the error names the file, the revision and the line (7)"
    like "$ERR1" "no such table: no_such_table" "the error carries the statement's message"
    like "$ERR" "hint: .*before line 7 were committed" "the hint says what was committed"
    is "$(raw mig.db "SELECT group_concat(name) FROM sqlite_master WHERE name IN ('s1a', 's1b')")" "s1a" \
        "the 1st statement stays committed, the 3rd never ran"
    is "$(raw mig.db "SELECT count(*) FROM mig_version") $(raw mig.db "SELECT count(*) FROM mig_history")" "0 0" "s1 is not recorded"
    if [ "$(raw mig.db "SELECT count(*) FROM mig_revision WHERE revision = 's1'")" = 1 ]; then
        unlike "$ERR" "upload of the revision files was rolled back" \
            "the upload was committed before s1 ran: the error does not say it was rolled back"
    else
        pass "the upload was rolled back"
    fi
}

# ---- concurrent deployers on one SQLite file -------------------------------------------------------------
# conc_round NAME NONTX: four `mig upgrade` at once.  With NONTX=1, c4 is a
# transactional false revision that keeps running a while after its first
# statement, so a deployer that is not serialised with it would run it again.
conc_round() {
    project "concurrent_$1"
    local i prev=""
    for i in 1 2 3 4 5 6; do
        if [ "$i" = 4 ] && [ "$2" = 1 ]; then
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE INDEX ix_c3 ON c3 (x);
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000) SELECT count(*) FROM r;" "DROP INDEX ix_c3;" "-- mig:transactional false"
        else
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE TABLE c$i (x INTEGER);
INSERT INTO c$i WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20000) SELECT n FROM r;" "DROP TABLE c$i;"
        fi
        prev=c$i
    done
    local pids=() rcs=() k
    for k in 1 2 3 4; do
        "${MIGCMD[@]}" upgrade >"$T/conc.$k.out" 2>"$T/conc.$k.err" </dev/null &
        pids+=($!)
    done
    for k in 0 1 2 3; do
        wait "${pids[$k]}"
        rcs+=($?)
    done
    [ -n "$MIG_CHECKER" ] && _check_reports "upgrade (4 at once)"
    if [ "${rcs[*]}" = "0 0 0 0" ]; then
        pass "$1: 4 concurrent mig upgrade on one SQLite file: all exit 0"
    else
        fail "$1: 4 concurrent mig upgrade on one SQLite file: all exit 0" "$(printf 'exit statuses: %s\n' "${rcs[*]}"; cat "$T"/conc.*.err)"
    fi
    is "$(raw mig.db "SELECT group_concat(revision || ':' || n, ' ') FROM (SELECT revision, count(*) AS n FROM mig_history WHERE direction = 'upgrade' GROUP BY revision ORDER BY revision)")" \
        "c1:1 c2:1 c3:1 c4:1 c5:1 c6:1" "$1: each revision in history once"
    is "$(cat "$T"/conc.*.out | grep -c '^Running upgrade')" 6 "$1: six Running lines over the four processes"
    is "$(raw mig.db "SELECT group_concat(version_num) FROM mig_version")" c6 "$1: at the head"
    rm -f "$T"/conc.*
}

t_concurrent() {
    conc_round transactional 0
    conc_round nontransactional 1
    app_holds_lock
}

# an application (not a mig client) holds SQLite's write lock: mig says it waits, then goes on.
# Deterministic: the application holds the lock until the test has seen the message.
app_holds_lock() {
    project applock
    rev_file versions/l1.sql l1 "" "CREATE TABLE l1 (x INTEGER);" "DROP TABLE l1;"
    mkfifo "$T/applock.fifo"
    sqlite3 mig.db "BEGIN IMMEDIATE; CREATE TABLE app_t (x);" ".shell read line < '$T/applock.fifo'" "COMMIT;" \
        >/dev/null 2>&1 &
    local app=$! i
    for i in $(seq 1 600); do [ -e mig.db-journal ] && break; sleep 0.05; done
    "${MIGCMD[@]}" upgrade >"$T/applock.out" 2>"$T/applock.err" </dev/null &
    local migpid=$!
    for i in $(seq 1 600); do grep -q "waiting for another connection" "$T/applock.err" 2>/dev/null && break; sleep 0.05; done
    like "$(cat "$T/applock.err")" "waiting for another connection's write lock on sqlite:mig.db" \
        "an application holds the write lock: mig says it is waiting"
    echo go >"$T/applock.fifo"
    wait "$app"
    wait "$migpid"
    ok $? "... and upgrades once the application commits (exit 0)"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" l1 "... at l1"
}

# ---- 6. offline SQL -----------------------------------------------------------------------------------------
t_offline() {
    project offline
    rev_file versions/o1.sql o1 "" "CREATE TABLE off1 (x INTEGER);" "DROP TABLE off1;"
    rev_file versions/o2.sql o2 o1 "CREATE TABLE off2 (x INTEGER);" "DROP TABLE off2;"
    rev_file versions/o3.sql o3 o2 "CREATE TABLE off3 (x INTEGER);" "DROP TABLE off3;"
    m upgrade --sql
    is_rc 0 "upgrade --sql without a database: exit 0"
    like "$OUT" "CREATE TABLE off1.*CREATE TABLE off2.*CREATE TABLE off3" "upgrade --sql: the revisions' SQL in order"
    like "$OUT" "mig_version" "upgrade --sql: the version bookkeeping"
    [ ! -e mig.db ]
    ok $? "upgrade --sql: the missing SQLite file is not created"
    m upgrade o1
    local sum
    sum=$(cksum <mig.db)
    local ls_before
    ls_before=$(ls -A)
    m upgrade --sql
    is_rc 0 "upgrade --sql from o1: exit 0"
    unlike "$OUT" "CREATE TABLE off1" "upgrade --sql from o1: not the applied revision"
    like "$OUT" "CREATE TABLE off2.*CREATE TABLE off3" "upgrade --sql from o1: the pending ones"
    m downgrade base --sql
    is_rc 0 "downgrade base --sql: exit 0"
    like "$OUT" "DROP TABLE off1" "downgrade --sql: the downgrade SQL"
    like "$OUT" "mig_version" "downgrade --sql: the version bookkeeping"
    m upgrade o1:o3 --sql
    is_rc 0 "upgrade o1:o3 --sql: exit 0"
    like "$OUT" "CREATE TABLE off2.*CREATE TABLE off3" "upgrade A:B --sql: the revisions after A up to B"
    unlike "$OUT" "CREATE TABLE off1" "upgrade A:B --sql: not A itself"
    m upgrade base:o1 --sql
    like "$OUT" "CREATE TABLE off1" "upgrade base:o1 --sql: o1"
    unlike "$OUT" "off2" "upgrade base:o1 --sql: stops at o1"
    m downgrade o3:o1 --sql
    is_rc 0 "downgrade o3:o1 --sql: exit 0"
    like "$OUT" "DROP TABLE off3.*DROP TABLE off2" "downgrade A:B --sql: children first"
    rev_file versions/o4.sql o4 o3 "CREATE TABLE off4 (x INTEGER);"
    m upgrade --sql
    like "$OUT" "off4" "upgrade --sql: a file not pushed yet is in the script"
    is "$(cksum <mig.db)" "$sum" "--sql runs: the existing database is byte-identical"
    is "$(ls -A)" "$ls_before" "--sql runs: no new file (journal, wal) next to it"
    is "$(raw mig.db "SELECT group_concat(revision) FROM mig_revision")" "o1,o2,o3" "--sql: o4 was not uploaded"
    m upgrade o1:o3
    is_rc 2 "upgrade A:B without --sql: exit 2"
    like "$ERR1" "--sql" "upgrade A:B without --sql: points at --sql"
    # a range never opens the database: the script comes from the files alone
    m --url sqlite:absent.db upgrade base:o2 --sql
    is_rc 0 "upgrade base:o2 --sql with a database that does not exist: exit 0"
    [ ! -e absent.db ]
    ok $? "... the database is not created"
    printf '%s\n' "$OUT" | "$SQLITE3" -batch fresh.db
    is "$(raw fresh.db "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema WHERE name LIKE 'off%' ORDER BY name); SELECT version_num FROM mig_version")" \
        "$(printf 'off1,off2\no2')" "... run by the sqlite3 shell, it creates off1, off2 and records o2"
    # stamp --sql
    m stamp o3 --sql
    is_rc 0 "stamp o3 --sql: exit 0"
    like "$OUT" "-- Running stamp -> o3"$'\n'"UPDATE main.mig_version SET version_num = 'o3' WHERE env = 'default' AND tenant = '' AND version_num = 'o1';" \
        "stamp o3 --sql from the database's o1: an UPDATE of the version"
    unlike "$OUT" "CREATE TABLE off" "... no revision body"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" o1 "... and the database is still at o1"
    m stamp base:o2 --sql
    is_rc 0 "stamp base:o2 --sql: exit 0"
    printf '%s\n' "$OUT" | "$SQLITE3" -batch stamped.db
    is "$(raw stamped.db "SELECT version_num FROM mig_version; SELECT count(*) FROM sqlite_schema WHERE name LIKE 'off%'")" \
        "$(printf 'o2\n0')" "stamp base:o2 --sql run by the sqlite3 shell: at o2, no table created"
    m stamp o2 --sql --purge
    is_rc 2 "stamp --sql --purge: exit 2"
    like "$ERR1" "--purge is not for offline scripts" "... says why"
    # the Running line is one rule: live, offline, and outside a transaction
    project running
    rev_file versions/a1.sql a1 "" "CREATE TABLE ra (x INTEGER);" "DROP TABLE ra;"
    rev_file versions/b1.sql b1 "" "CREATE TABLE rb (x INTEGER);" "DROP TABLE rb;" "-- mig:branch_labels other"
    rev_file versions/c1.sql c1 a1 "CREATE TABLE rc (x INTEGER);" "DROP TABLE rc;" "-- mig:depends_on b1"
    rev_file versions/n1.sql n1 c1 "CREATE TABLE rn (x INTEGER);" "DROP TABLE rn;" "-- mig:transactional false"
    m upgrade base:heads --sql
    local offline_lines
    offline_lines=$(printf '%s\n' "$OUT" | sed -n 's/^-- \(Running .*\)/\1/p')
    m upgrade
    is "$(printf '%s\n' "$OUT" | grep '^Running')" "$offline_lines" "upgrade: the same Running lines live as in the --sql script"
    like "$OUT" "Running upgrade a1 -> c1, rev c1"$'\n' "... a revision with depends_on: its down revision only, as Alembic"
    like "$OUT" "Running upgrade c1 -> n1, rev n1 \\(outside a transaction\\)" "... and a transactional false one"
    m downgrade base --sql
    offline_lines=$(printf '%s\n' "$OUT" | sed -n 's/^-- \(Running .*\)/\1/p')
    m downgrade base
    is "$(printf '%s\n' "$OUT" | grep '^Running')" "$offline_lines" "downgrade: the same Running lines live as in the --sql script"
    like "$OUT" "Running downgrade c1 -> a1, rev c1"$'\n' "... c1 -> a1 going down"
}

# ---- 7. --json ---------------------------------------------------------------------------------------------------
t_json() {
    project json
    rev_file versions/j1.sql j1 "" "CREATE TABLE j1 (x INTEGER);" "DROP TABLE j1;" "-- mig:branch_labels main"
    rev_file versions/j2.sql j2 j1 "CREATE TABLE j2 (x INTEGER);" "DROP TABLE j2;"
    local REVKEYS="branch_labels checksum create_date depends_on down_revisions is_branch_point is_head is_merge_point message next_revisions path revision transactional"
    m push --json
    is_rc 0 "push --json: exit 0"
    is "$(json_keys "$OUT")" "added changed compared database kept removed revisions unchanged" "push --json: keys"
    is "$(jq_ "$OUT" '$j->{added} . " " . join(",", map { "$_->{action}:$_->{revision}:$_->{path}" } @{$j->{revisions}})')" \
        "2 added:j1:versions/j1.sql,added:j2:versions/j2.sql" "push --json: what was added"
    is "$(jq_ "$OUT" '$j->{compared}')" rows "push --json: new files, compared row by row"
    m push --json
    is "$(jq_ "$OUT" '$j->{compared} . " " . $j->{unchanged}')" "digest 2" \
        "push --json again: one digest of the store equals the files' (no row fetched)"
    m upgrade j1 --json
    is_rc 0 "upgrade --json: exit 0"
    is "$(json_keys "$OUT")" "current database direction ms pushed ran steps target" "upgrade --json: keys"
    is "$(jq_ "$OUT" 'join("|", $j->{direction}, $j->{target}, $j->{steps}, @{$j->{ran}}, @{$j->{current}})')" \
        "upgrade|j1|1|Running upgrade  -> j1, rev j1|j1" "upgrade --json: values"
    m current --json
    is_rc 0 "current --json: exit 0"
    is "$(json_keys "$OUT")" "current database env" "current --json: keys"
    is "$(json_keys "$OUT" '$j->{current}[0]')" "branch_labels down_revisions is_head message revision" "current --json: keys of a revision"
    is "$(jq_ "$OUT" 'join("|", $j->{env}, $j->{current}[0]{revision}, ($j->{current}[0]{is_head} ? "head" : "not head"), @{$j->{current}[0]{branch_labels}})')" \
        "default|j1|not head|main" "current --json: values"
    m heads --json
    is_rc 0 "heads --json: exit 0"
    is "$(json_keys "$OUT")" "heads" "heads --json: keys"
    is "$(json_keys "$OUT" '$j->{heads}[0]')" "$REVKEYS" "heads --json: keys of a revision"
    is "$(jq_ "$OUT" 'join("|", map { $_->{revision} . ":" . join(",", @{$_->{down_revisions}}) } @{$j->{heads}})')" "j2:j1" "heads --json: values"
    m history --json
    is_rc 0 "history --json: exit 0"
    is "$(jq_ "$OUT" 'join(",", map { $_->{revision} } @{$j->{history}})')" "j2,j1" "history --json: newest first"
    m history --indicate-current --json
    is "$(jq_ "$OUT" 'join(",", map { $_->{revision} . "=" . ($_->{is_current} ? 1 : 0) } @{$j->{history}})')" "j2=0,j1=1" \
        "history --indicate-current --json: is_current"
    m show j1 --json
    is_rc 0 "show --json: exit 0"
    is "$(json_keys "$OUT")" "$REVKEYS" "show --json: one revision object"
    is "$(jq_ "$OUT" 'join("|", $j->{revision}, $j->{path}, $j->{message}, @{$j->{next_revisions}}, ($j->{transactional} ? "tx" : "notx"), length($j->{checksum}))')" \
        "j1|versions/j1.sql|rev j1|j2|tx|64" "show --json: values"
    m check --json
    is_rc 1 "check --json when behind: exit 1"
    is "$(json_keys "$OUT")" "current desired drift ok pending problems" "check --json: keys"
    is "$(jq_ "$OUT" 'join("|", ($j->{ok} ? "ok" : "not ok"), @{$j->{current}}, @{$j->{pending}})')" "not ok|j1|j2" "check --json: pending j2"
    m upgrade --json
    m check --json
    is_rc 0 "check --json at head: exit 0"
    is "$(jq_ "$OUT" '$j->{ok} ? "ok" : "not ok"')" "ok" "check --json: ok"
    m branches --json
    is "$(json_keys "$OUT")" "branch_points" "branches --json: keys"
    m downgrade base --json
    is_rc 0 "downgrade --json: exit 0"
    is "$(jq_ "$OUT" 'join("|", $j->{direction}, $j->{steps}, scalar @{$j->{current}})')" "downgrade|2|0" "downgrade --json: values"
    m revision -m "json made" --json
    is_rc 0 "revision --json: exit 0"
    is "$(json_keys "$OUT")" "path revision" "revision --json: keys"
    m upgrade --sql --json
    is "$(json_keys "$OUT")" "sql" "upgrade --sql --json: keys"
    # a message with quotes and a backslash stays valid JSON
    rev_file versions/j3.sql j3 "" "CREATE TABLE j3 (x INTEGER);" ""
    sed -i 's/^-- mig:message .*/-- mig:message say "hi" \\ tab\there/' versions/j3.sql
    m history --json
    is "$(jq_ "$OUT" 'join(",", map { $_->{message} } grep { $_->{revision} eq "j3" } @{$j->{history}})')" \
        "$(printf 'say "hi" \\ tab\there')" "history --json: a message with quotes, backslash and tab"
}

# ---- 8. plugins ----------------------------------------------------------------------------------------------------
t_plugins() {
    project plugins
    mkdir -p "$T/bin"
    cat >"$T/bin/mig-hello" <<'EOF'
#!/bin/sh
echo "argc=$#"
for a in "$@"; do echo "arg=$a"; done
echo "MIG_URL=$MIG_URL"
echo "MIG_ENV=$MIG_ENV"
echo "MIG_VERSIONS=$MIG_VERSIONS"
echo "MIG_OPTS=$MIG_OPTS"
echo "MIG_CONFIG=${MIG_CONFIG-unset}"
echo "MIG_TENANT=${MIG_TENANT-unset}"
echo "to stderr" >&2
exit 3
EOF
    chmod +x "$T/bin/mig-hello"
    local P=$T/bin:$PATH
    PATH=$P m -x who=alice hello one "two words" --flag -m x
    is "$RC" 3 "plugin: mig hello runs mig-hello from PATH, its exit status is mig's"
    is "$(grep_lines "$OUT" '^arg')" "$(printf 'argc=5\narg=one\narg=two words\narg=--flag\narg=-m\narg=x')" \
        "plugin: receives its arguments untouched"
    is "$(grep_lines "$OUT" '^MIG_URL=')" "MIG_URL=sqlite:mig.db" "plugin: MIG_URL from mig.ini"
    is "$(grep_lines "$OUT" '^MIG_ENV=')" "MIG_ENV=default" "plugin: MIG_ENV"
    is "$(grep_lines "$OUT" '^MIG_VERSIONS=')" "MIG_VERSIONS=versions" "plugin: MIG_VERSIONS"
    is "$(jq_ "$(grep_lines "$OUT" '^MIG_OPTS=' | cut -d= -f2-)" 'join("|", $j->{env}, $j->{x}{who})')" "default|alice" \
        "plugin: MIG_OPTS is the JSON opts (env, x)"
    is "$(grep_lines "$OUT" '^MIG_CONFIG=')" "MIG_CONFIG=mig.ini" "plugin: MIG_CONFIG"
    is "$ERR" "to stderr" "plugin: its stderr passes through"
    printf '\n[staging]\nurl = sqlite:s.db\nversions = sv\n' >>mig.ini
    cd "$T" || bail "cd"
    PATH=$P m -c plugins/mig.ini -n staging --url sqlite:/tmp/x.db --tenant t1 hello
    is "$(grep_lines "$OUT" '^MIG_(URL|ENV|VERSIONS|TENANT)=')" \
        "$(printf 'MIG_URL=sqlite:/tmp/x.db\nMIG_ENV=staging\nMIG_VERSIONS=plugins/sv\nMIG_TENANT=t1')" \
        "plugin: --url, -n staging, its versions folder relative to mig.ini, --tenant"
    PATH=$P m -c plugins/mig.ini hello
    is "$(grep_lines "$OUT" '^MIG_URL=')" "MIG_URL=sqlite:plugins/mig.db" "plugin: a sqlite URL from mig.ini made relative to the caller's folder"
    PATH=$P MIG_URL=sqlite:/from/env.db m -c plugins/mig.ini hello
    is "$(grep_lines "$OUT" '^MIG_URL=')" "MIG_URL=sqlite:/from/env.db" "plugin: MIG_URL from the environment passes through"
    cd "$T/plugins" || bail "cd"
    PATH=$P m nosuchplugin
    is_rc 2 "an unknown command with no plugin: exit 2"
    like "$ERR1" "nosuchplugin" "an unknown command: names it"
    like "$ERR1" "mig-nosuchplugin" "an unknown command: names the plugin it looked for"
    PATH=$P m ../bin/hello
    is_rc 2 "a command with a '/': exit 2, not run"
    printf '#!/bin/sh\nexit 0\n' >"$T/bin/mig-noexec"
    chmod -x "$T/bin/mig-noexec"
    PATH=$P m noexec
    is_rc 1 "a plugin file that is not executable: exit 1"
    like "$ERR1" "mig-noexec" "a plugin file that is not executable: names it"
}

# ---- 9. usage errors ---------------------------------------------------------------------------------------------------
t_usage() {
    project usage
    m --bogus current
    is_rc 2 "unknown global option: exit 2"
    like "$ERR1" "--bogus" "unknown global option: names it"
    m current --bogus
    is_rc 2 "unknown command option: exit 2"
    like "$ERR1" "--bogus" "unknown command option: names it"
    m -c
    is_rc 2 "-c without its argument: exit 2"
    m current --url
    is_rc 2 "--url without its argument: exit 2"
    m revision
    is_rc 2 "revision without -m: exit 2"
    like "$ERR1" "-m" "revision without -m: mentions -m"
    m merge heads
    is_rc 2 "merge without -m: exit 2"
    m downgrade
    is_rc 2 "downgrade without a target: exit 2"
    like "$ERR1" "downgrade" "downgrade without a target: names the command"
    m current --sql
    is_rc 2 "current --sql: exit 2"
    like "$ERR1" "current does not take --sql" "current --sql: says current does not take --sql"
    m upgrade --purge
    is_rc 2 "upgrade --purge: exit 2"
    m history --splice
    is_rc 2 "history --splice: exit 2"
    m show
    is_rc 2 "show without REV: exit 2"
    m current extra
    is_rc 2 "current with an argument: exit 2"
    m upgrade a b
    is_rc 2 "upgrade with two targets: exit 2"
    m -m msg revision
    is_rc 2 "-m before the command: exit 2"
    m
    is_rc 2 "no command: exit 2"
    like "$ERR" "usage: mig" "no command: the usage on stderr"
    m history -r nocolon
    is_rc 2 "history -r without ':': exit 2"
    m --tenant "" current
    is_rc 2 "--tenant '': exit 2"
    [ ! -e mig.db ]
    ok $? "usage errors create no database"
    is "$(ls versions)" "" "usage errors write no revision"

    m --help
    is_rc 0 "--help: exit 0"
    like "$OUT" "^usage: mig " "--help: the usage on stdout"
    like "$OUT" "Exit status: 0 done, 1 failed" "--help: documents the exit codes"
    is "$ERR" "" "--help: nothing on stderr"
    m upgrade --help
    is_rc 0 "upgrade --help: exit 0"
    like "$OUT" "^usage: mig upgrade " "upgrade --help: the usage of upgrade"
    m help downgrade
    is_rc 0 "help downgrade: exit 0"
    like "$OUT" "^usage: mig downgrade TARGET" "help downgrade: the usage of downgrade"
    m -h
    is_rc 0 "-h: exit 0"
    m --version
    is_rc 0 "--version: exit 0"
    like "$OUT" '^mig [0-9]+\.[0-9]+' "--version: mig X.Y"
    local c bad=""
    for c in init revision merge push upgrade downgrade stamp current heads branches history show check; do
        m "$c" --help
        if [ "$RC" != 0 ] || [[ $OUT != "usage: mig $c"* ]]; then
            bad+="$c --help: exit $RC: $(head -n 1 <<<"$OUT")"$'\n'
        fi
    done
    is "$bad" "" "every command's --help: exit 0 and its usage line"
}

# ---- 10. error paths ---------------------------------------------------------------------------------------------------
t_errors() {
    project errors
    rev_file versions/e1.sql e1 "" "CREATE TABLE e1 (x INTEGER);" "DROP TABLE e1;"
    m --url mysql://u:pw@h/db current
    is_rc 1 "a bad URL scheme: exit 1"
    like "$ERR1" "unrecognised database URL from --url" "a bad URL scheme: says so and where the URL came from"
    unlike "$ERR" "pw@" "a bad URL scheme: no password printed"
    m --url "sqlite:$T/missing/folder/x.db" upgrade
    is_rc 1 "a SQLite path in a missing folder: exit 1"
    like "$ERR1" "$T/missing/folder/x.db" "a SQLite path in a missing folder: names the path"
    [ ! -e "$T/missing" ]
    ok $? "a SQLite path in a missing folder: the folder is not created"
    m --url "sqlite:$T/missing/folder/x.db" current
    is_rc 0 "current on a missing SQLite file: exit 0 (at base)"
    [ ! -e "$T/missing" ]
    ok $? "current on a missing SQLite file: nothing created"
    printf 'this is not a database at all, just text that is long enough to be read as a header......\n' >notadb.db
    m --url notadb.db current
    is_rc 1 "a file that is not a database: exit 1"
    like "$ERR1" "notadb.db" "a file that is not a database: names it"
    m --url notadb.db upgrade
    is_rc 1 "upgrade on a file that is not a database: exit 1"
    mkdir adir.db
    m --url adir.db upgrade
    is_rc 1 "a folder as the SQLite file: exit 1"
    like "$ERR1" "adir.db" "a folder as the SQLite file: names it"

    # no database configured
    mkdir -p "$T/nodb" && cd "$T/nodb" || bail "cd"
    m upgrade
    is_rc 1 "no mig.ini, no URL: exit 1"
    like "$ERR1" "(--url|MIG_URL|mig init)" "no mig.ini, no URL: says how to configure one"
    mkdir -p versions
    m current
    is_rc 1 "current with a versions folder but no mig.ini nor URL: exit 1"
    like "$ERR1" "no mig.ini here and no database URL" "... says that mig.ini is missing"
    rmdir versions
    m revision -m x
    is_rc 1 "revision without mig.ini: exit 1"
    like "$ERR1" "mig init" "revision without mig.ini: suggests mig init"
    m -c nosuch.ini current
    is_rc 1 "-c FILE that does not exist: exit 1"
    like "$ERR1" "nosuch.ini" "-c FILE that does not exist: names it"
    cd "$T/errors" || bail "cd"

    # an unreadable revision file
    ln -s "$T/nowhere.sql" versions/zz_dangling.sql
    m heads
    is_rc 1 "a dangling symlink in versions/: exit 1"
    like "$ERR1" "versions/zz_dangling.sql" "a dangling symlink: names the file"
    m upgrade
    is_rc 1 "upgrade with a dangling symlink: exit 1"
    [ ! -e mig.db ]
    ok $? "upgrade with an unreadable file: no database created"
    rm versions/zz_dangling.sql
    if [ "$(id -u)" != 0 ]; then
        rev_file versions/e9.sql e9 e1 "SELECT 1;"
        chmod 000 versions/e9.sql
        m upgrade
        is_rc 1 "an unreadable revision file (chmod 000): exit 1"
        like "$ERR1" "versions/e9.sql" "chmod 000: names the file"
        like "$ERR1" "Permission denied" "chmod 000: says why"
        rm -f versions/e9.sql
    else
        pass "# SKIP chmod 000 does not block root (the dangling symlink covers an unreadable file)"
    fi
    mkdir versions/dir.sql
    m heads
    is_rc 1 "a folder named *.sql in versions/: exit 1"
    like "$ERR1" "versions/dir.sql" "a folder named *.sql: names it"
    rmdir versions/dir.sql
    printf 'a\0b' >versions/nul.sql
    m heads
    is_rc 1 "a binary file: exit 1"
    like "$ERR1" "versions/nul.sql" "a binary file: names it"
    rm versions/nul.sql

    # malformed revision files
    printf -- '-- mig:revision e2\n-- mig:down_revision e1\n-- mig:message ok\n-- mig:message twice\n\n-- mig:upgrade\nSELECT 1;\n' >versions/e2.sql
    m upgrade
    is_rc 1 "a duplicate header key: exit 1"
    like "$ERR1" "versions/e2.sql" "a duplicate header key: names the file"
    like "$ERR1" "(:4:|line 4)" "a duplicate header key: names line 4"
    printf -- '-- mig:revision e2\n-- mig:down_revision e1\n\nCREATE TABLE x (a INT);\n-- mig:upgrade\n' >versions/e2.sql
    m upgrade
    is_rc 1 "SQL before the first section: exit 1"
    like "$ERR1" "versions/e2.sql.*(:4:|line 4)" "SQL before the first section: file and line"
    printf -- '-- mig:revision e-2\n\n-- mig:upgrade\n' >versions/e2.sql
    m upgrade
    is_rc 1 "a malformed id: exit 1"
    like "$ERR1" "versions/e2.sql.*(:1:|line 1)" "a malformed id: file and line"
    printf -- '-- mig:revision e2\n-- mig:down_revision nosuch\n\n-- mig:upgrade\n' >versions/e2.sql
    m upgrade
    is_rc 1 "a down_revision that does not exist: exit 1"
    like "$ERR1" "nosuch" "a missing down_revision: names it"
    printf -- '-- mig:revision e1\n\n-- mig:upgrade\n' >versions/e2.sql
    m heads
    is_rc 1 "the same id in two files: exit 1"
    like "$ERR1" "e1.sql.*e2.sql|e2.sql.*e1.sql" "the same id in two files: names both files"
    printf -- '-- mig:revision e2\n-- mig:down_revision e3\n\n-- mig:upgrade\n' >versions/e2.sql
    printf -- '-- mig:revision e3\n-- mig:down_revision e2\n\n-- mig:upgrade\n' >versions/e3.sql
    m heads
    is_rc 1 "a cycle: exit 1"
    like "$ERR1" "e2|e3" "a cycle: names the revisions"
    rm versions/e2.sql versions/e3.sql
    [ ! -e mig.db ]
    ok $? "malformed files: no database created"

    # unknown targets
    m upgrade nosuchrev
    is_rc 1 "upgrade to an unknown target: exit 1"
    like "$ERR1" "nosuchrev" "unknown target: named"
    is "$([ -e mig.db ] && raw mig.db "SELECT count(*) FROM sqlite_master")" "$([ -e mig.db ] && echo 0)" "unknown target: nothing uploaded either (no table in the database)"
    m downgrade nosuchrev
    is_rc 1 "downgrade to an unknown target: exit 1"
    like "$ERR1" "nosuchrev" "downgrade to an unknown target: named"
    m stamp nosuchrev
    is_rc 1 "stamp to an unknown target: exit 1"
    like "$ERR1" "nosuchrev" "stamp to an unknown target: named"
    m upgrade e1
    m upgrade +5
    is_rc 1 "upgrade +5 past the end: exit 1"
    m downgrade -3
    is_rc 1 "downgrade -3 past base: exit 1"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" e1 "failed relative moves change nothing"

    # stamp
    rev_file versions/e2.sql e2 e1 "CREATE TABLE e2 (x INTEGER);" "DROP TABLE e2;"
    m stamp e2
    is_rc 0 "stamp e2: exit 0"
    is "$(raw mig.db "SELECT version_num FROM mig_version")" e2 "stamp: the version state moved"
    is "$(raw mig.db "SELECT count(*) FROM sqlite_master WHERE name = 'e2'")" 0 "stamp: the revision did not run"
    m stamp base --purge
    is_rc 0 "stamp base --purge: exit 0"
    is "$(raw mig.db "SELECT count(*) FROM mig_version")" 0 "stamp --purge base: empty version state"
    m stamp e1
    rm versions/e2.sql

    # the versions folder
    mv versions versions.away
    m heads
    is_rc 1 "a versions folder that does not exist: exit 1"
    like "$ERR1" "versions" "a missing versions folder: names it"
    m upgrade
    is_rc 1 "upgrade with a missing versions folder: exit 1"
    mv versions.away versions

    # mig.ini problems
    cp mig.ini mig.ini.good
    printf '[mig]\nurl = sqlite:mig.db\nthis line is not ini\n' >mig.ini
    m current
    is_rc 1 "a mig.ini with a bad line: exit 1"
    like "$ERR1" "mig.ini.*line 3" "a bad line in mig.ini: file and line"
    printf '[mig]\nurl = sqlite:mig.db\ncolour = blue\n' >mig.ini
    m current
    is_rc 1 "an unknown key in mig.ini: exit 1"
    like "$ERR1" "colour" "an unknown key in mig.ini: names it"
    printf '[other]\nurl = sqlite:mig.db\n' >mig.ini
    m revision -m x
    is_rc 1 "a mig.ini without [mig]: exit 1"
    like "$ERR1" "\[mig\]" "a mig.ini without [mig]: names the section"
    m -n nope current
    is_rc 1 "-n with a missing section: exit 1"
    like "$ERR1" "\[nope\]" "-n with a missing section: names it"
    printf '[mig]\nurl = sqlite:mig.db\ncolour = blue\n[other]\nflavour = x\n' >mig.ini
    m -n other current
    is_rc 1 "an unknown key in the chosen section: exit 1"
    like "$ERR1" "flavour" "an unknown key in the chosen section: names it"
    mv mig.ini.good mig.ini

    # a password in a PostgreSQL URL is never printed
    local url
    for url in "postgresql://bob:s3cret@127.0.0.1:1/db" "postgresql://bob:s3cret@127.0.0.1:1/db?connect_timeout=2" \
        "host=127.0.0.1 port=1 user=bob password=s3cret dbname=db" \
        "postgresql://bob:s3cret@[::1/db" "postgresql://bob:s3cret%zz@127.0.0.1:1/db" \
        "postgresql://bob:s3cret%00@127.0.0.1:1/db" "postgresql://bob:s3cret@127.0.0.1:1/db?nope=1" \
        "host=127.0.0.1 password='s3cret"; do
        m --url "$url" current
        if [ "$RC" = 1 ] && [[ $ERR != *s3cret* ]] && [ -n "$ERR1" ]; then
            pass "no password printed: $url"
        else
            fail "no password printed: $url" "exit $RC, stderr: $ERR"
        fi
    done
    MIG_URL="postgresql://bob:s3cret@127.0.0.1:1/db" m -v current
    like "$ERR1" "bob@127.0.0.1:1/db" "a connection failure names the URL (user, host, port, database)"
    like "$ERR1" "from MIG_URL" "a connection failure says where the URL came from"
    unlike "$ERR" "s3cret" "MIG_URL with a password: not printed"
}

for s in ${SECTIONS:-$ALL_SECTIONS}; do
    want "$s" || continue
    cd "$T" || bail "cd $T"
    printf '# --- %s\n' "$s"
    "t_$s"
done
checker_summary
done_testing

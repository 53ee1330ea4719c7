#!/bin/bash
# SQLite: security regressions.  Each case is a reproduction of a hole that
# let a revision, a mig_batch() argument, a tampered mig_revision row or an
# option escape what mig promises; each asserts what a user would check:
# the call fails with an error and the database is exactly as before
# (sqlite_master, the rows of every table, mig_current(), mig_version and
# mig_history: tap.sh's snapshot).
#
#  1. A revision must not end mig's transaction or savepoint (COMMIT, END,
#     ROLLBACK, BEGIN, RELEASE mig_call), also not when the statement is
#     hidden from a naive tokenizer between SQLite TCL-style parameters
#     ($a(') ... $b(')), which SQLite lexes as one token each.
#  2. mig_batch() runs the one documented table change and nothing else:
#     no statement smuggled through USING, DEFAULT, CHECK, a column name or
#     the table name.  Called directly and from a revision.
#  3. A revision's stored source is checked against its stored checksum
#     before it runs.
#  4. mig_sql(): an env or a revision message cannot put SQL outside a
#     comment of the offline script (PostgreSQL ends a -- comment at \r too).
#
# The quadratic cost of long revision bodies is measured by bench/stmts.sh,
# not here.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

lit() { printf "'%s'" "${1//\'/\'\'}"; }

# state: what a user looks at after a call: mig_current(), the tables that
# the bad revisions create, mig_history rows of r1, the caller's table mine,
# victim's rows and foo's rows.
state() {
    q "$DB" "SELECT 'current=' || mig_current()
               || ' t=' || (SELECT count(*) FROM sqlite_master WHERE name IN ('t', 't2', 'evil'))
               || ' history_r1=' || (SELECT count(*) FROM mig_history WHERE revision = 'r1')
               || ' mine=' || (SELECT count(*) FROM sqlite_master WHERE name = 'mine')
               || ' victim=' || coalesce((SELECT group_concat(v) FROM victim), '<gone>')
               || ' foo=' || coalesce((SELECT group_concat(x) FROM foo), '<gone>');"
}
STATE0='current=r0 t=0 history_r1=0 mine=0 victim=keep foo=1,2'

# The starting database of every case: r0 applied (table keep), tables foo
# (two rows) and victim (one row).
rev r0.sql r0 "" "CREATE TABLE keep (k);" "INSERT INTO keep VALUES ('k1');"
sql "$DB" <<'EOF'
CREATE TABLE foo (x);
INSERT INTO foo VALUES (1), (2);
CREATE TABLE victim (v);
INSERT INTO victim VALUES ('keep');
SELECT mig_put_revision(readfile('r0.sql'));
SELECT mig_upgrade('head');
EOF
is "$OUT|$ERR" "$(printf 'r0\nr0|')" "setup: r0 applied"
is "$(state)" "$STATE0" "setup: the state every case starts from"
cp "$DB" base.db

# fresh: the database as set up, with the upgrade section BODY... as r1 (child of r0).
fresh() {
    cp base.db "$DB"
    rev r1.sql r1 r0 "$@"
    q "$DB" "SELECT mig_put_revision(readfile('r1.sql'));" >put.out
    [ "$(cat put.out)" = r1 ] || bail "could not upload r1: $(cat put.out)"
}

# ======================================================================
# 1. transaction control hidden in a revision
# ======================================================================

# bad_rev DESC MODE BODY: r1 with BODY fails to upgrade and nothing changes.
# MODE: auto   SELECT mig_upgrade('head') in autocommit mode
#       rollback BEGIN; CREATE TABLE mine (y); SELECT mig_upgrade('head'); ROLLBACK;
#                (nothing of the caller's transaction may have been committed)
#       commit   BEGIN; CREATE TABLE mine (y); SELECT mig_upgrade('head'); COMMIT;
#                (the failed call undid only itself: the caller's table commits)
# one statement a line: the shell skips the rest of a line after an error
bad_rev() {
    local desc=$1 mode=$2 body=$3 want=$STATE0
    fresh "$body"
    case $mode in
    auto)
        snapshot "$DB" >want.snap
        sql "$DB" <<<"SELECT mig_upgrade('head');"
        ;;
    rollback)
        snapshot "$DB" >want.snap
        sql "$DB" <<<"$(printf '%s\n' 'BEGIN;' 'CREATE TABLE mine (y);' "SELECT mig_upgrade('head');" 'ROLLBACK;')"
        ;;
    commit)
        cp "$DB" want.db
        raw want.db "CREATE TABLE mine (y);" >/dev/null
        snapshot want.db >want.snap
        want=${STATE0/mine=0/mine=1}
        sql "$DB" <<<"$(printf '%s\n' 'BEGIN;' 'CREATE TABLE mine (y);' "SELECT mig_upgrade('head');" 'COMMIT;')"
        ;;
    esac
    if [ -n "$ERR" ] && [ -z "$OUT" ]; then
        pass "$desc ($mode): mig_upgrade fails"
    else
        fail "$desc ($mode): mig_upgrade fails" "$(printf 'stdout: %s\nstderr: %s' "$OUT" "$ERR")"
    fi
    is "$(state)" "$want" "$desc ($mode): version, history, tables as before"
    same_snapshot "$DB" want.snap "$desc ($mode): the database is exactly as before"
}

# the reproduction: COMMIT between two TCL-style parameters; r1 fails at its
# last statement after "nothing was applied", and t keeps 2 rows
BODY="CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT \$a(') ; COMMIT; SELECT \$b('); INSERT INTO t VALUES (2); SELECT no_such_function();"
bad_rev "COMMIT hidden by \$a(')" auto "$BODY"
like "$ERR" 'revision r1' "COMMIT hidden by \$a('): the error names the revision"
# no failing statement after it: still refused, nothing recorded
BODY_OK="CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT \$a(') ; COMMIT; SELECT \$b('); INSERT INTO t VALUES (2);"
bad_rev "COMMIT hidden by \$a('), no failing statement after it" auto "$BODY_OK"
# inside the caller's transaction: the caller's work is not committed behind its back
bad_rev "COMMIT hidden by \$a(')" rollback "$BODY"
bad_rev "COMMIT hidden by \$a('), no failing statement after it" rollback "$BODY_OK"
bad_rev "COMMIT hidden by \$a(')" commit "$BODY"

# hide STMT between PRE a(') and PRE b('); after it t is (re)created and
# gets a row, then the revision fails
hidden() { # PRE STMT
    printf "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT %sa(') ; %s; SELECT %sb('); CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (2); SELECT no_such_function();" \
        "$1" "$2" "$1"
}
for pre in ':' '@' '#' "\$a::"; do
    bad_rev "COMMIT hidden by ${pre}a(')" auto "$(hidden "$pre" COMMIT)"
done
bad_rev "END hidden by \$a(')" auto "$(hidden '$' END)"
bad_rev "END TRANSACTION hidden by \$a(')" auto "$(hidden '$' 'END TRANSACTION')"
bad_rev "ROLLBACK hidden by \$a(')" auto "$(hidden '$' ROLLBACK)"
bad_rev "ROLLBACK hidden by \$a(')" commit "$(hidden '$' ROLLBACK)"
bad_rev "BEGIN hidden by \$a(')" auto "$(hidden '$' BEGIN)"
bad_rev "/* x */ commit hidden by \$a(')" auto "$(hidden '$' '/* x */ commit')"
bad_rev "CoMmIt TRANSACTION hidden by \$a(')" auto "$(hidden '$' 'CoMmIt TRANSACTION')"
bad_rev "COMMIT hidden by @a(')" rollback "$(hidden '@' COMMIT)"
# mig's own savepoint when called inside a transaction
bad_rev "RELEASE mig_call hidden by \$a(')" auto "$(hidden '$' 'RELEASE mig_call')"
bad_rev "RELEASE mig_call hidden by \$a(')" rollback "$(hidden '$' 'RELEASE mig_call')"
bad_rev "RELEASE mig_call hidden by \$a(')" commit "$(hidden '$' 'RELEASE mig_call')"
bad_rev "RELEASE mig_call, not hidden" commit "CREATE TABLE t(x); RELEASE mig_call; INSERT INTO t VALUES (2); SELECT no_such_function();"
# what SQLite's tokenizer skips before a keyword: a byte order mark, a -- comment that a lone CR does not end
bad_rev "COMMIT after a UTF-8 BOM" auto "CREATE TABLE t(x); $(printf '\xEF\xBB\xBF');COMMIT; INSERT INTO t VALUES (2); SELECT no_such_function();"
bad_rev "ROLLBACK whose TO is inside a -- comment a CR does not end (SQLite runs a plain ROLLBACK)" commit \
    "SAVEPOINT s; CREATE TABLE t(x); INSERT INTO t VALUES (1); ROLLBACK -- x$(printf '\r')TO s;
INSERT INTO t VALUES (2); SELECT no_such_function();"

# a revision's own savepoint is fine, in autocommit mode and in a transaction
fresh "CREATE TABLE t(x);" "SAVEPOINT s;" "INSERT INTO t VALUES (1);" "RELEASE s;"
sql "$DB" <<<"SELECT mig_upgrade('head');"
is "$OUT|$ERR" "r1|" "a revision with SAVEPOINT s ... RELEASE s runs"
is "$(state)" "current=r1 t=1 history_r1=1 mine=0 victim=keep foo=1,2" "and is applied and recorded"
is "$(raw "$DB" "SELECT group_concat(x) FROM t;")" 1 "its rows are there"
fresh "CREATE TABLE t(x);" "SAVEPOINT s;" "INSERT INTO t VALUES (1);" "RELEASE s;"
sql "$DB" <<<"$(printf '%s\n' 'BEGIN;' 'CREATE TABLE mine (y);' "SELECT mig_upgrade('head');" 'COMMIT;')"
is "$OUT|$ERR" "r1|" "inside the caller's transaction too"
is "$(state)" "current=r1 t=1 history_r1=1 mine=1 victim=keep foo=1,2" "applied, recorded, and the caller's table committed"

# ======================================================================
# 2. mig_batch() runs the one documented change, nothing else
# ======================================================================

# tables whose names need quoting, each with x NOT NULL and two rows
WEIRD=('w"; DROP TABLE victim; --' 'w]; DROP TABLE victim; --' 'w`; DROP TABLE victim; --'
    "w'; DROP TABLE victim; --" 'w/*' 'w--')
for w in "${WEIRD[@]}"; do
    qw=\"${w//\"/\"\"}\"
    raw base.db "CREATE TABLE $qw (x NOT NULL); INSERT INTO $qw VALUES (1), (2);" >/dev/null
done
is "$(raw base.db "SELECT count(*) FROM sqlite_master WHERE name LIKE 'w%';")" "${#WEIRD[@]}" "setup: tables with odd names"

# batch MODE DESC TABLE ACTIONS [CHECK WANT [ROWS]]: mig_batch(TABLE, ACTIONS),
# called directly and from r1 run by mig_upgrade.
# MODE refuse: it fails; the database is exactly as before (victim, foo's rows).
#      either: it fails leaving the database exactly as before, or it does
#              the one documented change: CHECK (SQL) answers WANT.
# Either way victim keeps its row and the table ROWS (default: TABLE, or foo
# when TABLE does not exist) keeps its two rows.
batch() {
    local mode=$1 desc=$2 table=$3 actions=$4 check=${5:-} want=${6:-} rows=${7:-} how call
    if [ -z "$rows" ]; then
        rows=foo
        [ "$(raw base.db "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $(lit "$table");")" = 1 ] && rows=$table
    fi
    for how in direct revision; do
        call="SELECT mig_batch($(lit "$table"), $(lit "$actions"));"
        if [ "$how" = direct ]; then
            cp base.db "$DB"
        else
            fresh "$call"
            call="SELECT mig_upgrade('head');"
        fi
        snapshot "$DB" >want.snap
        sql "$DB" <<<"$call"
        if [ "$mode" = refuse ] || [ -n "$ERR" ]; then
            if [ -n "$ERR" ] && [ -z "$OUT" ]; then
                pass "$desc ($how): fails"
            else
                fail "$desc ($how): fails" "$(printf 'stdout: %s\nstderr: %s' "$OUT" "$ERR")"
            fi
            same_snapshot "$DB" want.snap "$desc ($how): the database is exactly as before"
        else
            pass "$desc ($how): succeeds: $OUT"
            is "$(raw "$DB" "$check")" "$want" "$desc ($how): it made exactly the documented change"
        fi
        is "$(raw "$DB" "SELECT group_concat(v) FROM victim; SELECT count(*) FROM \"${rows//\"/\"\"}\";")" \
            "$(printf 'keep\n2')" "$desc ($how): victim and the rows of $rows are intact"
    done
}
cols() { printf "SELECT group_concat(name, '|') FROM pragma_table_info(%s);" "$(lit "$1")"; }

# the reproduction (SQL literal as written in the report)
batch refuse "USING \$a('')), 1 ; DROP TABLE victim" foo \
    "ALTER COLUMN x TYPE TEXT USING \$a('')), 1 ; DROP TABLE victim; SELECT (\$b('')"
# the same with one quote: mig's tokenizer saw a string, SQLite a parameter
batch refuse "USING \$a(')) FROM main._mig_old_foo; DROP TABLE victim" foo \
    "ALTER COLUMN x TYPE TEXT USING \$a(')) FROM main._mig_old_foo; DROP TABLE victim; SELECT (\$b(')"
batch refuse "USING \$a(')) FROM (SELECT 1 AS rowid); DROP TABLE victim (a row lost too)" foo \
    "ALTER COLUMN x TYPE TEXT USING \$a(')) FROM (SELECT 1 AS rowid); DROP TABLE victim; SELECT (\$b(')"
for pre in ':' '@' '#' "\$a::"; do
    batch refuse "USING ${pre}a(')) ...; DROP TABLE victim" foo \
        "ALTER COLUMN x TYPE TEXT USING ${pre}a(')) FROM main._mig_old_foo; DROP TABLE victim; SELECT (${pre}b(')"
done
batch refuse "ADD COLUMN, then USING \$a(')) ...; DROP TABLE victim" foo \
    "ADD COLUMN y INT DEFAULT 0, ALTER COLUMN x TYPE TEXT USING \$a(')) FROM main._mig_old_foo; DROP TABLE victim; SELECT (\$b(')"
batch refuse "a plain ; in USING" foo "ALTER COLUMN x TYPE TEXT USING x; DROP TABLE victim"
batch refuse "a ; after a -- comment line in USING" foo "ALTER COLUMN x TYPE TEXT USING x -- c
; DROP TABLE victim"

# DEFAULT, CHECK, SET DEFAULT: fail or do exactly the change
batch either "ADD COLUMN ... DEFAULT (\$a(')); DROP TABLE victim" foo \
    "ADD COLUMN y INT DEFAULT (\$a(')); DROP TABLE victim; SELECT (((\$b('))" "$(cols foo)" "x|y"
batch either "ADD COLUMN ... DEFAULT (#a(')); DROP TABLE victim" foo \
    "ADD COLUMN y INT DEFAULT (#a(')); DROP TABLE victim; SELECT (((#b('))" "$(cols foo)" "x|y"
batch either "ADD COLUMN ... CHECK (\$a(')); DROP TABLE victim" foo \
    "ADD COLUMN y INT DEFAULT 0 CHECK (\$a(')); DROP TABLE victim; SELECT (((\$b('))" "$(cols foo)" "x|y"
batch either "ADD CHECK (\$a(')); DROP TABLE victim" foo \
    "ADD CHECK (\$a(')); DROP TABLE victim; SELECT (((\$b('))" "$(cols foo)" "x"
batch either "SET DEFAULT (\$a(')); DROP TABLE victim" foo \
    "ALTER COLUMN x SET DEFAULT (\$a(')); DROP TABLE victim; SELECT (((\$b('))" "$(cols foo)" "x"
batch either "ADD COLUMN ... DEFAULT 0 -- ; DROP TABLE victim" foo \
    "ADD COLUMN y INT DEFAULT 0 -- ; DROP TABLE victim" "$(cols foo)" "x|y"
batch either "ADD COLUMN ... DEFAULT 0 /* unterminated" foo \
    "ADD COLUMN y INT UNIQUE DEFAULT 0 /*, DROP TABLE victim" "$(cols foo)" "x|y"

# column names that need quoting: exactly that name
for name in 'a"; DROP TABLE victim; --' 'a]; DROP TABLE victim; --' 'a`; DROP TABLE victim; --' \
    "a'); DROP TABLE victim; --" 'a--' 'a/*'; do
    q2=\"${name//\"/\"\"}\" q3=\"b${name//\"/\"\"}\"
    batch either "RENAME COLUMN x TO $q2, ADD COLUMN $q3 INT UNIQUE (a rebuild)" foo \
        "RENAME COLUMN x TO $q2, ADD COLUMN $q3 INT UNIQUE" \
        "$(cols foo); SELECT group_concat($q2) FROM foo;" "$(printf '%s|b%s\n1,2' "$name" "$name")"
done
batch either "RENAME COLUMN x TO [a\"; DROP TABLE victim; --] (brackets)" foo \
    "RENAME COLUMN x TO [a\"; DROP TABLE victim; --], ADD COLUMN y INT UNIQUE" \
    "$(cols foo)" 'a"; DROP TABLE victim; --|y'
batch either "ADD COLUMN \`a\"; DROP TABLE victim; --\` (backticks)" foo \
    "ADD COLUMN \`a\"; DROP TABLE victim; --\` INT UNIQUE" "$(cols foo)" 'x|a"; DROP TABLE victim; --'
batch either "RENAME TO a table name that needs quoting" foo \
    "RENAME TO \"f\"\"; DROP TABLE victim; --\"" \
    "SELECT group_concat(name, '|') FROM sqlite_master WHERE name LIKE 'f%';" 'f"; DROP TABLE victim; --' \
    'f"; DROP TABLE victim; --'

# the table name argument: no such table ...
for t in 'foo; DROP TABLE victim; --' 'foo"; DROP TABLE victim; --' '"foo"; DROP TABLE victim; --' \
    '[foo]; DROP TABLE victim; --' '`foo`; DROP TABLE victim; --' "foo' --" 'foo /*' 'foo --'; do
    batch refuse "the table name $t (no such table)" "$t" "ALTER COLUMN x TYPE TEXT"
done
# ... and tables of those names: the change on exactly that table
for w in "${WEIRD[@]}"; do
    batch either "a rebuild of table $w" "$w" "ALTER COLUMN x DROP NOT NULL" \
        "SELECT \"notnull\" FROM pragma_table_info($(lit "$w")); SELECT group_concat(x) FROM \"${w//\"/\"\"}\";" \
        "$(printf '0\n1,2')"
done
for w in "${WEIRD[@]:0:3}"; do
    batch either "a native ADD COLUMN on table $w" "$w" "ADD COLUMN z INT" \
        "$(cols "$w")" "x|z"
done

# ======================================================================
# 3. the stored source must match its checksum when it runs
# ======================================================================

cp base.db "$DB"
cat >r1.sql <<'EOF'
-- mig:revision r1
-- mig:down_revision r0
-- mig:message one

-- mig:upgrade
CREATE TABLE t (x);
INSERT INTO t VALUES ('r1');

-- mig:downgrade
DROP TABLE t;
EOF
sed -e 's/^CREATE TABLE t (x);$/CREATE TABLE evil (x);/' -e "s/^INSERT INTO t VALUES ('r1');$/DELETE FROM victim;/" \
    -e 's/^DROP TABLE t;$/DROP TABLE t; DROP TABLE victim;/' r1.sql >r1-evil.sql
is "$(q "$DB" "SELECT mig_put_revision(readfile('r1.sql'));")" r1 "upload r1"
raw "$DB" "UPDATE mig_revision SET source = CAST(readfile('r1-evil.sql') AS TEXT) WHERE revision = 'r1';" >/dev/null
is "$(raw "$DB" "SELECT count(*) FROM mig_revision WHERE revision = 'r1' AND source LIKE '%evil%';")" 1 \
    "the stored source of r1 replaced behind mig's back (checksum unchanged)"
snapshot "$DB" >want.snap
sql "$DB" <<<"SELECT mig_upgrade('head');"
is "$OUT" "" "upgrade over a tampered source: no result"
like "$ERR" 'checksum' "upgrade over a tampered source: the error says the source does not match its checksum"
is "$(state)" "$STATE0" "upgrade over a tampered source: nothing ran (no table evil, victim's row kept), version unchanged"
same_snapshot "$DB" want.snap "upgrade over a tampered source: the database is exactly as before"
sql "$DB" <<<"$(printf '%s\n' 'BEGIN;' 'CREATE TABLE mine (y);' "SELECT mig_upgrade('head');" 'ROLLBACK;')"
like "$ERR" 'checksum' "the same inside the caller's transaction"
same_snapshot "$DB" want.snap "the same inside the caller's transaction: nothing left"

# the downgrade section of an applied revision, tampered
cp base.db "$DB"
sql "$DB" <<<"SELECT mig_put_revision(readfile('r1.sql')); SELECT mig_upgrade('head');"
is "$OUT|$ERR" "$(printf 'r1\nr1|')" "r1 uploaded and applied"
raw "$DB" "UPDATE mig_revision SET source = CAST(readfile('r1-evil.sql') AS TEXT) WHERE revision = 'r1';" >/dev/null
snapshot "$DB" >want.snap
sql "$DB" <<<"SELECT mig_downgrade('r0');"
is "$OUT" "" "downgrade over a tampered source: no result"
like "$ERR" 'checksum' "downgrade over a tampered source: the error names the checksum"
same_snapshot "$DB" want.snap "downgrade over a tampered source: nothing ran (victim kept), version unchanged"

# ======================================================================
# 4. mig_sql(): nothing outside the script's comments
# ======================================================================

# the script with comments and quoted text blanked out, read as a server
# that ends a -- comment at \r or \n (PostgreSQL) reads it
cat >code_of.pl <<'EOF'
undef $/;
$_ = <STDIN>;
s{--[^\r\n]*|/\*.*?(?:\*/|\z)|'(?:[^']|'')*'|"(?:[^"]|"")*"}{ }gs;
print;
EOF
code_of() { perl code_of.pl; }

# safe_script DESC SCRIPT
safe_script() {
    local desc=$1 s=$2 line bad=""
    while IFS= read -r line; do
        [ "$line" = "BEGIN;" ] && break
        [ "$line" = ".bail on" ] && continue # the script's own guard: stop at the first error
        [[ $line == --* ]] || bad+="$line"$'\n'
    done <<<"$s"
    is "$bad" "" "$desc: every line before BEGIN but the .bail on guard starts with --"
    is "$(printf '%s' "$s" | code_of | grep -iE 'DROP[[:space:]]+TABLE[[:space:]]+victim')" "" \
        "$desc: no DROP TABLE victim outside comments and quoted text"
    rm -f scratch.db
    raw scratch.db "CREATE TABLE victim (v); INSERT INTO victim VALUES ('keep');" >/dev/null
    printf '%s\n' "$s" | "$SQLITE3" -batch scratch.db >/dev/null 2>&1
    is "$(raw scratch.db "SELECT group_concat(v) FROM victim;")" keep \
        "$desc: run by the sqlite3 shell on a scratch database, the script leaves victim alone"
}

# opts_case DESC CALL: CALL (with the bad env in its opts) is refused with an
# error naming env and changes nothing, or it is accepted (then RET=0)
opts_case() {
    local desc=$1 call=$2
    snapshot "$DB" >want.snap
    sql "$DB" <<<"$call"
    RET=1
    if [ -n "$ERR" ]; then
        ilike "$ERR" 'env' "$desc: refused, the error names env"
        is "$OUT" "" "$desc: refused, no result"
        same_snapshot "$DB" want.snap "$desc: refused, nothing changed"
    else
        pass "$desc: accepted"
        RET=0
    fi
}

# revisions of their own for the env (the default env's r0 made table keep)
rev e0.sql e0 "" "CREATE TABLE envt (x);"
rev e1.sql e1 e0 "INSERT INTO envt VALUES (1);"
for nl in '\n' '\r' '\r\n'; do
    OPTS="{\"env\": \"e${nl}DROP TABLE victim; --\"}"
    cp base.db "$DB"
    opts_case "mig_put_revision, env with $nl" "SELECT mig_put_revision(readfile('e0.sql'), $(lit "$OPTS"));"
    opts_case "mig_put_revision (e1), env with $nl" "SELECT mig_put_revision(readfile('e1.sql'), $(lit "$OPTS"));"
    opts_case "mig_sql('upgrade', 'head'), env with $nl" "SELECT mig_sql('upgrade', 'head', $(lit "$OPTS"));"
    [ $RET = 0 ] && safe_script "mig_sql('upgrade', 'head'), env with $nl" "$OUT"
    opts_case "mig_sql('upgrade', 'base:head'), env with $nl" "SELECT mig_sql('upgrade', 'base:head', $(lit "$OPTS"));"
    [ $RET = 0 ] && safe_script "mig_sql('upgrade', 'base:head'), env with $nl" "$OUT"
    opts_case "mig_upgrade('head'), env with $nl" "SELECT mig_upgrade('head', $(lit "$OPTS"));"
    is "$(raw "$DB" "SELECT group_concat(v) FROM victim;")" keep "mig_upgrade('head'), env with $nl: victim intact"
    opts_case "mig_sql('downgrade', 'base'), env with $nl" "SELECT mig_sql('downgrade', 'base', $(lit "$OPTS"));"
    [ $RET = 0 ] && safe_script "mig_sql('downgrade', 'base'), env with $nl" "$OUT"
done

# a revision message with a carriage return followed by SQL
cp base.db "$DB"
printf -- '-- mig:revision r1\n-- mig:down_revision r0\n-- mig:message hello\rDROP TABLE victim; SELECT 1\n\n-- mig:upgrade\nCREATE TABLE t (x);\n' >r1-cr.sql
snapshot "$DB" >want.snap
sql "$DB" <<<"SELECT mig_put_revision(readfile('r1-cr.sql'));"
if [ -n "$ERR" ]; then
    pass "a message with \\r: refused by mig_put_revision ($ERR)"
    same_snapshot "$DB" want.snap "a message with \\r: refused, nothing stored"
else
    is "$OUT" r1 "a message with \\r: stored"
    sql "$DB" <<<"SELECT mig_sql('upgrade', 'head');"
    is "$ERR" "" "a message with \\r: mig_sql('upgrade', 'head') answers"
    safe_script "a message with \\r: mig_sql('upgrade', 'head')" "$OUT"
    sql "$DB" <<<"SELECT mig_sql('upgrade', 'r0:r1');"
    safe_script "a message with \\r: mig_sql('upgrade', 'r0:r1')" "$OUT"
fi

done_testing

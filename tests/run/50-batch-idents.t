#!/bin/bash
# mig_batch: quoted identifiers of any spelling work as table, column,
# constraint, index and view names: spaces, embedded double quotes, mixed
# case, unicode, [brackets], `backticks`, 'strings', keywords; native
# actions, rebuilds, constraint drops and RENAME TO on each; and a user
# table that has the rebuild's temporary name is left alone.
. "$(dirname "$0")/../sqlite/tap.sh"
. "$(dirname "$0")/../batch/lib.sh"
tap_setup

# template: @T@ is the table's spelling in SQL
read -r -d '' TEMPLATE <<'EOF'
CREATE TABLE @T@ (
    "id col" INTEGER PRIMARY KEY,
    "na""me" TEXT NOT NULL,
    [Bracket Col] TEXT,
    `tick col` INTEGER,
    "from" TEXT,
    "ÄÖÜ ü" TEXT,
    MiXed TEXT,
    'str col' TEXT,
    CONSTRAINT "ch""k 1" CHECK ([Bracket Col] <> ''),
    CONSTRAINT [uq one] UNIQUE ("from")
);
CREATE INDEX "ix ""of"" @V@" ON @T@ ("mixed");
CREATE VIEW "v ""of"" @V@" AS SELECT "na""me", [Bracket Col] FROM @T@;
INSERT INTO @T@ VALUES (1, 'n1', 'b1', 10, 'f1', 'u1', 'm1', 's1'), (7, 'n7', 'b7', 70, 'f7', 'u7', 'm7', 's7');
EOF

# spelling in SQL | the name's value | how the test passes it to mig_batch
NAMES=(
    '"my table"|my table|my table'
    '"we""ird ""t"""|we"ird "t"|we"ird "t"'
    '"MixedCase"|MixedCase|MIXEDcase'
    '"ünïcödé tåble"|ünïcödé tåble|ünïcödé tåble'
    '[bracket table]|bracket table|bracket table'
    '`back tick`|back tick|back tick'
    '"select"|select|select'
    "\"it's\"|it's|it's"
    "'str table'|str table|str table"
)

lit() { printf "'%s'" "${1//\'/\'\'}"; }

# columns DB TABLE: name, type, notnull, default of each column
columns() {
    "$SQLITE3" -batch "$1" "SELECT name || '|' || type || '|' || \"notnull\" || '|' || coalesce(dflt_value, '-')
                            FROM pragma_table_info($(lit "$2")) ORDER BY cid;" 2>&1
}

n=0
for entry in "${NAMES[@]}"; do
    IFS='|' read -r ts tv targ <<<"$entry"
    n=$((n + 1))
    DB=$T/id$n.db
    vq=${tv//\"/\"\"} # the value inside "..."
    sqltext=${TEMPLATE//@T@/"$ts"}
    sqltext=${sqltext//@V@/"$vq"}
    printf '%s\n' "$sqltext" | "$SQLITE3" -batch -bail "$DB" 2>&1 || bail "cannot create table $ts"
    ixname="ix \"of\" $tv"
    vname="v \"of\" $tv"

    # 1. native actions: RENAME COLUMN, ADD COLUMN, DROP COLUMN
    sql "$DB" <<EOF
SELECT mig_batch($(lit "$targ"), $(lit 'RENAME COLUMN [Bracket Col] TO "new ""col""", ADD COLUMN "added ""c""" TEXT DEFAULT '"'x'"', DROP COLUMN `tick col`'));
EOF
    is "$OUT|$ERR" "native|" "$ts: RENAME COLUMN [Bracket Col], ADD COLUMN \"added \"\"c\"\"\", DROP COLUMN \`tick col\` are native"
    is "$(columns "$DB" "$tv")" "$(printf '%s\n' 'id col|INTEGER|0|-' 'na"me|TEXT|1|-' 'new "col"|TEXT|0|-' 'from|TEXT|0|-' \
        'ÄÖÜ ü|TEXT|0|-' 'MiXed|TEXT|0|-' 'str col|TEXT|0|-' "added \"c\"|TEXT|0|'x'")" "$ts: the columns after the native actions"

    # 2. a rebuild: DROP NOT NULL, ALTER TYPE, SET DEFAULT (other case), ADD CONSTRAINT, DROP CONSTRAINT
    sql "$DB" <<EOF
PRAGMA foreign_keys = ON;
SELECT mig_batch($(lit "$targ"), $(lit 'ALTER COLUMN "na""me" DROP NOT NULL, ALTER COLUMN "from" TYPE VARCHAR(9), ALTER mixed SET DEFAULT '"'m'"', ADD CONSTRAINT "new ""ck""" CHECK ("ÄÖÜ ü" IS NOT '"'zzz'"'), DROP CONSTRAINT "ch""k 1"'));
EOF
    is "$OUT|$ERR" "rebuild|" "$ts: DROP NOT NULL, TYPE, SET DEFAULT, ADD and DROP CONSTRAINT with quoted names: one rebuild"
    is "$(columns "$DB" "$tv")" "$(printf '%s\n' 'id col|INTEGER|0|-' 'na"me|TEXT|0|-' 'new "col"|TEXT|0|-' 'from|VARCHAR(9)|0|-' \
        'ÄÖÜ ü|TEXT|0|-' "MiXed|TEXT|0|'m'" 'str col|TEXT|0|-' "added \"c\"|TEXT|0|'x'")" "$ts: the columns after the rebuild"
    got=$(table_sql "$DB" "$tv")
    like "$got" "^CREATE TABLE ${ts//[\[\]\"\`\$]/.} \(\"id col\" INTEGER PRIMARY KEY, \"na\"\"me\" TEXT, \"new \"\"col\"\"\" TEXT, \"from\" VARCHAR\(9\), \"ÄÖÜ ü\" TEXT, MiXed TEXT DEFAULT 'm', 'str col' TEXT, \"added \"\"c\"\"\" TEXT DEFAULT 'x', CONSTRAINT \[uq one\] UNIQUE \(\"from\"\), CONSTRAINT \"new \"\"ck\"\"\" CHECK \(\"ÄÖÜ ü\" IS NOT 'zzz'\)\)$" \
        "$ts: the CREATE TABLE keeps every name as written"
    is "$(raw "$DB" "SELECT \"id col\", \"na\"\"me\", \"new \"\"col\"\"\", \"from\", \"ÄÖÜ ü\", mixed, \"str col\", \"added \"\"c\"\"\" FROM $ts ORDER BY 1;
                     SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL;
                     SELECT * FROM \"v \"\"of\"\" $vq\";
                     PRAGMA integrity_check;")" \
        "$(printf '%s\n' '1|n1|b1|f1|u1|m1|s1|x' '7|n7|b7|f7|u7|m7|s7|x' "$ixname" 'n1|b1' 'n7|b7' ok)" \
        "$ts: rows, the index \"$ixname\" and the view \"$vname\" kept"
    is "$(raw "$DB" "INSERT INTO $ts (\"na\"\"me\", \"ÄÖÜ ü\") VALUES (NULL, 'zzz');" | sed -E 's/^Runtime error near line 1: //; s/ \(19\)$//')" \
        "CHECK constraint failed: new \"ck\"" "$ts: the new constraint \"new \"\"ck\"\"\" works, under its name"

    # 3. drop constraints by their quoted names, then RENAME TO a quoted name
    sql "$DB" <<EOF
SELECT mig_batch($(lit "$targ"), $(lit 'DROP CONSTRAINT [uq one], DROP CONSTRAINT "new ""ck""", RENAME TO "renamed ""'"$vq"'"" ✓"'));
EOF
    is "$OUT|$ERR" "rebuild|" "$ts: DROP CONSTRAINT [uq one], DROP CONSTRAINT \"new \"\"ck\"\"\", RENAME TO a quoted name"
    new="renamed \"$tv\" ✓"
    is "$(raw "$DB" "SELECT count(*) FROM pragma_index_list($(lit "$new")) WHERE origin = 'u';
                     SELECT sql LIKE '%CHECK%' FROM sqlite_master WHERE type = 'table' AND name = $(lit "$new");
                     SELECT count(*) FROM \"renamed \"\"$vq\"\" ✓\";
                     SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL;
                     SELECT count(*) FROM \"v \"\"of\"\" $vq\";
                     SELECT count(*) FROM sqlite_master WHERE name LIKE '%mig%';")" \
        "$(printf '%s\n' 0 0 2 "$new" 2 0)" \
        "$ts: constraints gone, table renamed with its rows, index and view following, no temporary table left"
done

# ---- the rebuild's temporary name is taken by a user table --------------------------------------
DB=$T/taken.db
raw "$DB" "CREATE TABLE foo (id INTEGER PRIMARY KEY, bar TEXT NOT NULL); INSERT INTO foo VALUES (1, 'a');
           CREATE TABLE _mig_old_foo (x TEXT); INSERT INTO _mig_old_foo VALUES ('mine');
           CREATE TABLE \"_MIG_OLD_foo_1\" (y TEXT); INSERT INTO \"_MIG_OLD_foo_1\" VALUES ('mine too');" >/dev/null
sql "$DB" <<<"SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');"
is "$OUT|$ERR" "rebuild|" "a rebuild when tables named _mig_old_foo and _MIG_OLD_foo_1 exist"
is "$(raw "$DB" "SELECT * FROM foo; SELECT * FROM _mig_old_foo; SELECT * FROM _mig_old_foo_1; SELECT name FROM sqlite_master ORDER BY name;")" \
    "$(printf '%s\n' '1|a' mine 'mine too' _MIG_OLD_foo_1 _mig_old_foo foo)" "the user's tables are left alone"

done_testing

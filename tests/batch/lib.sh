# tests/batch/lib.sh — helpers for tests/run/50-batch-*.t (mig_batch, SPEC §5).
# Source it after tests/sqlite/tap.sh and tap_setup:
#
#     . "$(dirname "$0")/../sqlite/tap.sh"
#     . "$(dirname "$0")/../batch/lib.sh"
#     tap_setup
#
# Everything runs through the sqlite3 shell as a user would (tap.sh's sql/q/raw).

BATCH_DIR=$ROOT/tests/batch

# norm: SQL text with its white space normalised (runs of blanks and newlines
# become one space, none after "(" or before ")" and ","), so that a
# CREATE TABLE can be compared with an expectation written on one line.
norm() {
    tr '\n\t' '  ' | tr -s ' ' | sed -E 's/^ //; s/ $//; s/\( /(/g; s/ \)/)/g; s/ ,/,/g'
}

# table_sql DB TABLE: the table's sqlite_master.sql, normalised.
table_sql() {
    printf "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '%s';\n" "${2//\'/\'\'}" |
        "$SQLITE3" -batch "$1" 2>&1 | norm
}

# qname NAME: NAME as a double-quoted SQL identifier.
qname() {
    printf '"%s"' "${1//\"/\"\"}"
}

# struct DB TABLE: the table's structure as SQLite's pragmas report it:
# columns (pragma_table_xinfo: name, type, notnull, default, pk, hidden),
# the indexes that constraints made (pragma_index_list origin pk/u, with
# their columns, order and collation) and the foreign keys.
struct() {
    local lit=${2//\'/\'\'}
    "$SQLITE3" -batch "$1" <<EOF 2>&1
.mode quote
SELECT 'column', * FROM pragma_table_xinfo('$lit') ORDER BY cid;
SELECT 'constraint index', il."unique", il.origin, il.partial,
       (SELECT group_concat(coalesce(x.name, '<expr>') || ' ' || x.desc || ' ' || x.coll, ', ')
          FROM pragma_index_xinfo(il.name) AS x WHERE x.key)
  FROM pragma_index_list('$lit') AS il WHERE il.origin <> 'c' ORDER BY 5, 2, 3;
SELECT 'foreign key', * FROM pragma_foreign_key_list('$lit') ORDER BY id, seq;
EOF
}

# want_struct CREATE-TABLE: struct of a scratch database holding only that
# table: what the pragmas must say if the table is what the SQL says.
want_struct() {
    local ref=$T/ref.$$.db name
    rm -f "$ref"
    printf '%s;\n' "$1" | "$SQLITE3" -batch "$ref" 2>&1
    name=$("$SQLITE3" -batch "$ref" "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence';")
    struct "$ref" "$name"
    rm -f "$ref"
}

# objects DB TABLE: every sqlite_master row but the table's own and its
# automatic indexes (other tables, indexes, triggers, views).
objects() {
    local lit=${2//\'/\'\'}
    "$SQLITE3" -batch "$1" <<EOF 2>&1
.mode quote
SELECT type, name, tbl_name, sql FROM sqlite_master
 WHERE NOT (type = 'table' AND name = '$lit') AND name NOT LIKE 'sqlite\_autoindex\_' || '$lit' || '\_%' ESCAPE '\'
 ORDER BY type, name;
EOF
}

# rows DB TABLE: rowid and every column of every row, values quoted (types show).
rows() {
    printf '.mode quote\nSELECT rowid, * FROM %s ORDER BY rowid;\n' "$(qname "$2")" | "$SQLITE3" -batch "$1" 2>&1
}

# tables DB: the names of the tables of the main database.
tables() {
    "$SQLITE3" -batch "$1" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;"
}

# other_rows DB TABLE...: the rows of every table but those named (sqlite_sequence too).
other_rows() {
    local db=$1 t skip
    shift
    while IFS= read -r t; do
        for skip in "$@" sqlite_sequence; do [ "$t" == "$skip" ] && continue 2; done
        printf -- '-- %s\n' "$t"
        rows "$db" "$t"
    done < <(tables "$db")
}

# seq DB: the sqlite_sequence rows.
seq_rows() {
    "$SQLITE3" -batch "$1" "SELECT name || '=' || seq FROM sqlite_sequence ORDER BY name;" 2>&1
}

# count_stmts TRACE ERE: how many statements of a shell .trace --stmt log
# (nested ones start with "-- ") match ERE at their start.
count_stmts() {
    grep -cE "^(-- )?$2" "$1"
}

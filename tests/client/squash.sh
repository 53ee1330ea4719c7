#!/bin/bash
# End-to-end tests of `mig baseline` and `mig squash` (TAP), on SQLite
# always and on PostgreSQL when run inside tests/pg/cluster.sh (PGHOST,
# PGPORT set): tests/run/77-client-squash.t.  The same scenarios run on
# both databases; what is compared is what a user compares: mig current,
# mig check, and the schema snapshot (mig_snapshot) of a database built by
# the new revision against the one it stands for.
# SECTIONS="sqlite_baseline ..." runs a subset; MIG / MIG_CHECKER: see lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="sqlite_baseline sqlite_squash sqlite_refusals pg_baseline pg_squash pg_refusals pg_scratch"
# MIG_TEST_ENGINE=client (tests/run/78-client-pg-engine-squash.t): the PostgreSQL sections with the
# client's own engine (--engine client on every run): snapshots and diffs made by the client
[ "${MIG_TEST_ENGINE:-}" = client ] && ALL_SECTIONS="pg_baseline pg_squash pg_refusals pg_scratch"
NO_PG=${NO_PG:-}
[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || NO_PG=${NO_PG:-"no PostgreSQL cluster (run inside tests/pg/cluster.sh)"}

# ---- one set of helpers for both databases (KIND: sqlite or pg) -----------------------------

# mkdb NAME: a new empty database NAME of KIND; U its URL
mkdb() {
    if [ "$KIND" = pg ]; then
        newdb "sq_$1"
    else
        rm -f "$PWD/$1.db"
        U="sqlite:$PWD/$1.db"
    fi
}
# url NAME: the URL of database NAME
url() {
    if [ "$KIND" = pg ]; then
        echo "postgresql:///sq_$1?host=$PGHOST&port=$PGPORT&user=postgres"
    else
        echo "sqlite:$PWD/$1.db"
    fi
}
# run_sql NAME SQL: run SQL in database NAME (psql, or the sqlite3 shell)
run_sql() {
    if [ "$KIND" = pg ]; then
        psql -q -X -v ON_ERROR_STOP=1 -d "sq_$1" -c "$2" >/dev/null 2>&1 || bail "psql failed: $2"
    else
        "$SQLITE3" -batch "$1.db" "$2" || bail "sqlite3 failed: $2"
    fi
}
# snap NAME: the schema snapshot of database NAME
snap() {
    if [ "$KIND" = pg ] && [ "${MIG_TEST_ENGINE:-}" = client ]; then
        pg_snap "sq_$1"
    elif [ "$KIND" = pg ]; then
        pq "sq_$1" "CREATE EXTENSION IF NOT EXISTS mig" >/dev/null
        pg_ext_snap "sq_$1"
    else
        q "$1.db" "SELECT mig_snapshot();"
    fi
}
# rows NAME TABLE: how many rows TABLE of database NAME has
rows() {
    if [ "$KIND" = pg ]; then
        pq "sq_$1" "SELECT count(*) FROM $2"
    else
        "$SQLITE3" -batch "$1.db" "SELECT count(*) FROM $2"
    fi
}
# state NAME: what mig changes in database NAME (its version rows and stored revisions, its history count)
state() {
    if [ "$KIND" = pg ]; then
        pq "sq_$1" "SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM mig.mig_version;
                    SELECT string_agg(revision || ':' || checksum, ' ' ORDER BY revision) FROM mig.mig_revision;
                    SELECT count(*) FROM mig.mig_history"
    else
        sha256sum "$1.db" | cut -c1-64
    fi
}
# files_sum: the versions folder, names and bytes
files_sum() {
    (cd versions && sha256sum -- * 2>/dev/null)
}
# sqproject NAME [FOLDER]: a project in folder KIND_NAME (or KIND_FOLDER) whose database is NAME (mig.ini's url)
sqproject() {
    project "${KIND}_${2:-$1}"
    mkdb "$1"
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
}

# The schema of a database made by hand (PostgreSQL: also a function, an enum, a sequence).
hand_schema() {
    local s="CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, status TEXT);
CREATE UNIQUE INDEX ix_customers_email ON customers (email);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), total INTEGER);
CREATE INDEX ix_orders_customer ON orders (customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE TABLE audit (what TEXT);"
    if [ "$KIND" = pg ]; then
        s+="
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE feelings (id serial PRIMARY KEY, m mood NOT NULL DEFAULT 'happy');
CREATE SEQUENCE invoice_no START 1000;
CREATE FUNCTION log_order() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO audit VALUES ('order'); RETURN NEW; END \$\$;
CREATE TRIGGER tr_orders AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION log_order();"
    else
        s+="
CREATE TRIGGER tr_orders AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES ('order'); END;"
    fi
    printf '%s\n' "$s"
}

# ---- baseline -------------------------------------------------------------------------------

t_baseline() {
    local before empty sums
    sqproject live
    run_sql live "$(hand_schema)"
    run_sql live "INSERT INTO customers (id, email) VALUES (1, 'ada@example.org')"
    before=$(snap live)
    m baseline -m "from the live database" --json
    is_rc 0 "$KIND baseline: exit 0"
    REV=$(jq_ "$OUT" '$j->{revision}')
    REVF=$(jq_ "$OUT" '$j->{path}')
    is "$(ls versions)" "$(basename "$REVF")" "$KIND baseline: one revision file, the one --json names"
    is "$(grep -c '^-- mig:down_revision' "$REVF")" 0 "$KIND baseline: a root revision"
    m current
    is "$OUT" "$REV (head)" "$KIND baseline: mig current says the database is at it"
    m check
    is_rc 0 "$KIND baseline: mig check passes"
    is "$(snap live)" "$before" "$KIND baseline: the live schema is untouched"
    is "$(rows live customers)" 1 "$KIND baseline: the live data is untouched"
    mkdb fresh
    m --url "$U" upgrade
    is_rc 0 "$KIND baseline: a new database upgrades to it"
    is "$(snap fresh)" "$before" "$KIND baseline: ... and has the live database's snapshot"
    mkdb empty
    empty=$(snap empty)
    m --url "$(url fresh)" downgrade base
    is_rc 0 "$KIND baseline: downgrade base exits 0"
    is "$(snap fresh)" "$empty" "$KIND baseline: ... and leaves an empty database"

    # refusals change nothing
    sums=$(files_sum)
    before=$(state live)
    m baseline -m again
    is_rc 1 "$KIND baseline: refused when the versions folder has a revision"
    like "$ERR" "already has 1 revision" "$KIND baseline: ... saying so"
    is "$(files_sum)" "$sums" "$KIND baseline: ... no file written"
    is "$(state live)" "$before" "$KIND baseline: ... the database untouched"
    mkdir ../aside_$KIND && mv versions/* ../aside_$KIND/
    m baseline -m again
    is_rc 1 "$KIND baseline: refused when the database has applied revisions"
    like "$ERR" "already has applied revisions in env \"default\" \\($REV\\)" "$KIND baseline: ... naming them"
    is "$(ls versions)" "" "$KIND baseline: ... no file written"
    is "$(state live)" "$before" "$KIND baseline: ... the database untouched"
    mv ../aside_$KIND/* versions/

    # mig.ini's filters: what they leave out is not in the baseline
    sqproject filtered
    run_sql filtered "$(hand_schema)"
    printf 'exclude = audit\n' >>mig.ini
    m baseline -m filtered
    is_rc 0 "$KIND baseline with exclude = audit: exit 0"
    REVF=$(ls versions/*.sql)
    is "$(grep -ci 'create table[^(]*audit' "$REVF")" 0 "$KIND baseline: the excluded table is not in the revision"
    like "$(cat "$REVF")" "CREATE TABLE [^(]*customers" "$KIND baseline: ... the others are"

    # a revision that would not reproduce the schema is refused: with
    # kinds = index, the indexes come without their tables
    sqproject partial
    run_sql partial "$(hand_schema)"
    printf 'kinds = index\n' >>mig.ini
    before=$(state partial)
    m baseline -m partial
    is_rc 1 "$KIND baseline with kinds = index: refused (the indexes cannot be made without their tables)"
    like "$ERR" "baseline: the new revision [0-9a-f]+ failed in a scratch database" "$KIND baseline: ... saying why"
    is "$(ls versions)" "" "$KIND baseline: ... no file written"
    is "$(state partial)" "$before" "$KIND baseline: ... the database untouched (not stamped)"

    # PostgreSQL: a database without plpgsql, which every new database has:
    # the replay has one object more, which the refusal names
    [ "$KIND" = pg ] || return 0
    sqproject noplpgsql
    run_sql noplpgsql "CREATE TABLE plain (a int); DROP EXTENSION plpgsql"
    before=$(state noplpgsql)
    m baseline -m noplpgsql
    is_rc 1 "pg baseline without plpgsql: refused"
    like "$ERR" "baseline: the new revision [0-9a-f]+ would not reproduce the schema; nothing was written" \
        "pg baseline without plpgsql: ... saying so"
    like "$ERR" "made but not in the original: extension plpgsql" "pg baseline without plpgsql: ... naming the object"
    is "$(ls versions)" "" "pg baseline without plpgsql: ... no file written"
    is "$(state noplpgsql)" "$before" "pg baseline without plpgsql: ... the database untouched"
}

t_sqlite_baseline() { KIND=sqlite t_baseline; }
t_pg_baseline() { KIND=pg t_baseline; }

# ---- squash ---------------------------------------------------------------------------------

# The project of the squash tests: a1 -> a2; b1 (a second root, label bb);
# m1 merges a2 and b1; a3 -> a4 on top.
squash_project() {
    sqproject sq "${1:-}"
    rev_file versions/a1_one.sql a1 "" "CREATE TABLE t1 (id INTEGER PRIMARY KEY, name TEXT);" "DROP TABLE t1;"
    rev_file versions/a2_two.sql a2 a1 "CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1 INTEGER REFERENCES t1 (id));
CREATE INDEX ix_t2_t1 ON t2 (t1);" "DROP TABLE t2;"
    rev_file versions/b1_billing.sql b1 "" "CREATE TABLE bills (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);" "DROP TABLE bills;" "-- mig:branch_labels bb"
    rev_file versions/m1_merge.sql m1 "a2, b1" "ALTER TABLE t1 ADD COLUMN note TEXT;" ""
    rev_file versions/a3_three.sql a3 m1 "CREATE VIEW v_t2 AS SELECT id FROM t2;" "DROP VIEW v_t2;"
    rev_file versions/a4_four.sql a4 a3 "CREATE TABLE t4 (id INTEGER PRIMARY KEY);" "DROP TABLE t4;"
}

t_squash() {
    local orig sums st_at st_past m1f
    squash_project
    m upgrade
    is_rc 0 "$KIND squash: the original project upgrades"
    orig=$(snap sq)
    mkdb atrev
    m --url "$U" upgrade m1
    mkdb past
    m --url "$U" upgrade a3
    is_rc 0 "$KIND squash: databases at m1 and at a3 made"

    m squash m1 -m "squashed up to m1" --json
    is_rc 0 "$KIND squash m1: exit 0"
    is "$(jq_ "$OUT" '$j->{revision}') $(jq_ "$OUT" 'join(",", sort @{$j->{removed}})')" \
        "m1 versions/a1_one.sql,versions/a2_two.sql,versions/b1_billing.sql" "$KIND squash: --json names the revision and the deleted files"
    is "$(ls versions | tr '\n' ' ')" "a3_three.sql a4_four.sql m1_merge.sql " "$KIND squash: a1, a2, b1 deleted, m1 kept"
    m1f=$(cat versions/m1_merge.sql)
    like "$m1f" "^-- mig:revision m1" "$KIND squash: m1 keeps its id"
    unlike "$m1f" "down_revision" "$KIND squash: ... and has no down_revision"
    like "$m1f" "-- mig:message squashed up to m1" "$KIND squash: ... and the message of -m"
    is "$(ls -A versions | grep -c squash)" 0 "$KIND squash: no temporary file left"

    mkdb fresh
    m --url "$U" upgrade
    is_rc 0 "$KIND squash: a new database upgrades to head"
    is "$(snap fresh)" "$orig" "$KIND squash: ... with the snapshot the original revisions give"
    m --url "$U" check
    is_rc 0 "$KIND squash: ... and mig check passes"
    m --url "$U" downgrade m1
    m --url "$U" downgrade base
    is_rc 0 "$KIND squash: the new database downgrades to base"

    # databases at and past m1: the documented step, then the normal flow
    for db in atrev past sq; do
        U=$(url "$db")
        m --url "$U" upgrade
        is_rc 1 "$KIND squash: $db: upgrade before the step is refused"
        like "$ERR" "revision m1 is applied" "$KIND squash: $db: ... naming m1"
        like "$ERR" "hint: If m1 was squashed \\(mig squash\\), run once 'mig push --force' and then 'mig stamp --accept m1'" \
            "$KIND squash: $db: ... and the step to run"
        m --url "$U" push --force
        is_rc 0 "$KIND squash: $db: mig push --force"
        m --url "$U" stamp --accept m1
        is_rc 0 "$KIND squash: $db: mig stamp --accept m1"
        m --url "$U" upgrade
        is_rc 0 "$KIND squash: $db: mig upgrade to head works"
        m --url "$U" check
        is_rc 0 "$KIND squash: $db: mig check passes"
        is "$(snap "$db")" "$orig" "$KIND squash: $db: the schema of the original head"
        m --url "$U" downgrade a3
        m --url "$U" upgrade
        is_rc 0 "$KIND squash: $db: downgrade and upgrade again"
    done
}

t_sqlite_squash() { KIND=sqlite t_squash; }
t_pg_squash() { KIND=pg t_squash; }

# squash_refused WHY ERE: squash m1 is refused (exit 1) when WHY, with an error
# matching ERE, and the files are unchanged byte for byte
squash_refused() {
    local sums
    sums=$(files_sum)
    m squash m1 -m sq
    is_rc 1 "$KIND squash: refused when $1"
    like "$ERR" "$2" "$KIND squash: ... naming it"
    is "$(files_sum)" "$sums" "$KIND squash: ... the files unchanged"
}

# refusals: nothing changes, files byte for byte, databases untouched
t_refusals() {
    local st
    squash_project refusals
    m upgrade m1
    rev_file versions/c1_side.sql c1 a1 "CREATE TABLE side (id INTEGER PRIMARY KEY);" "DROP TABLE side;"
    st=$(state sq)
    squash_refused "a branch would be orphaned" \
        "revision c1 \\(versions/c1_side.sql\\) has down_revision a1, which the squash removes"
    is "$(state sq)" "$st" "$KIND squash: ... the database untouched"
    rm versions/c1_side.sql
    m squash nosuch -m sq
    is_rc 1 "$KIND squash: an unknown REV is refused"
    like "$ERR" "squash nosuch" "$KIND squash: ... naming it"
    m squash a -m sq
    is_rc 1 "$KIND squash: an ambiguous REV is refused"
    m squash a1 -m sq
    is_rc 1 "$KIND squash: a root has nothing to squash"
    like "$ERR" "revision a1 has no ancestor" "$KIND squash: ... saying so"
    printf -- '-- mig:transactional false\n' >tx.tmp
    sed -i '/^-- mig:message/r tx.tmp' versions/a2_two.sql
    squash_refused "a revision is transactional false" "revision a2 \\(versions/a2_two.sql\\) is .transactional false."
    sed -i '/^-- mig:transactional false/d' versions/a2_two.sql
    printf '\n-- mig:upgrade if seed\nINSERT INTO t1 (id) VALUES (1);\n' >>versions/a2_two.sql
    squash_refused "a revision has an if section" "revision a2 \\(versions/a2_two.sql\\), line [0-9]+: a section for .if seed."
    sed -i '/^-- mig:upgrade if seed/,$d' versions/a2_two.sql
    cp versions/a1_one.sql a1.saved
    sed -i 's/^CREATE TABLE t1 .*/&\nINSERT INTO t1 (id) VALUES (1);/' versions/a1_one.sql
    squash_refused "a revision writes rows" "revision a1 \\(versions/a1_one.sql\\), line 6: INSERT writes rows"
    mv a1.saved versions/a1_one.sql
    is "$(state sq)" "$st" "$KIND squash: the database untouched by every refusal"
    m squash m1
    is_rc 2 "$KIND squash without -m: a usage error"

    # REV on one branch, the other branch (a root of its own) merged later:
    # only REV's ancestors go, the merge keeps its parents
    m upgrade m1
    mkdb want
    m --url "$U" upgrade m1
    m squash a2 -m "a only"
    is_rc 0 "$KIND squash a2 (the merge m1 comes later): exit 0"
    is "$(ls versions | tr '\n' ' ')" "a2_two.sql a3_three.sql a4_four.sql b1_billing.sql m1_merge.sql " \
        "$KIND squash a2: only a1 deleted"
    like "$(cat versions/m1_merge.sql)" "down_revision a2, b1" "$KIND squash a2: the merge keeps its parents"
    mkdb fresh
    m --url "$U" upgrade m1
    is_rc 0 "$KIND squash a2: a new database upgrades to m1"
    is "$(snap fresh)" "$(snap want)" "$KIND squash a2: ... with the snapshot the original revisions give"
    U=$(url sq)
    m --url "$U" push --force
    m --url "$U" stamp --accept a2
    m --url "$U" upgrade
    is_rc 0 "$KIND squash a2: the database past a2, after the step: upgrade works"
    m --url "$U" check
    is_rc 0 "$KIND squash a2: ... and check passes"
}

t_sqlite_refusals() { KIND=sqlite t_refusals; }
t_pg_refusals() { KIND=pg t_refusals; }

# PostgreSQL: no scratch database left after success, failure and SIGTERM
t_pg_scratch() {
    local point sums st
    KIND=pg
    squash_project scratch
    m upgrade
    sums=$(files_sum)
    st=$(state sq)
    for point in scratch-created replayed; do
        { MIG_TEST_SIGNAL_AT=$point m squash m1 -m killed; } 2>/dev/null # (no "Terminated" from bash)
        is "$RC" 143 "pg squash, SIGTERM at $point: the client dies of SIGTERM (143)"
        is "$(scratch_dbs)" 0 "pg squash, SIGTERM at $point: no scratch database left"
        is "$(files_sum)" "$sums" "pg squash, SIGTERM at $point: the files unchanged"
    done
    rev_file versions/a2_two.sql a2 a1 "CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1 INTEGER REFERENCES nosuch (id));" ""
    m squash m1 -m broken
    is_rc 1 "pg squash: a revision that fails in the replay: exit 1"
    is "$(scratch_dbs)" 0 "pg squash: ... no scratch database left"
    rev_file versions/a2_two.sql a2 a1 "CREATE TABLE t2 (id INTEGER PRIMARY KEY);" ""
    m squash m1 -m fine
    is_rc 0 "pg squash: exit 0"
    is "$(scratch_dbs)" 0 "pg squash: ... no scratch database left"

    sqproject killed
    run_sql killed "$(hand_schema)"
    st=$(state killed)
    for point in scratch-created replayed; do
        { MIG_TEST_SIGNAL_AT=$point m baseline -m killed; } 2>/dev/null
        is "$RC" 143 "pg baseline, SIGTERM at $point: the client dies of SIGTERM (143)"
        is "$(scratch_dbs)" 0 "pg baseline, SIGTERM at $point: no scratch database left"
        is "$(ls versions)" "" "pg baseline, SIGTERM at $point: no file written"
    done
    m current
    is "$OUT" "" "pg baseline: the killed runs stamped nothing"
    m baseline -m fine
    is_rc 0 "pg baseline: exit 0"
    is "$(scratch_dbs)" 0 "pg baseline: ... no scratch database left"
}

run_sections "$ALL_SECTIONS"

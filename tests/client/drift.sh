#!/bin/bash
# End-to-end tests of the schema checks of `mig check` (drift: the live
# database against what its applied revisions produce; desired: mig.ini's
# schema = ... against the revisions) and of `mig test` (single head,
# upgrade from base, desired schema, every revision up, down and up
# again), on SQLite always and on PostgreSQL when run inside
# tests/pg/cluster.sh (PGHOST, PGPORT set): tests/run/76-client-drift.t.
# SECTIONS="sqlite_drift ..." runs a subset; MIG / MIG_CHECKER: see lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="sqlite_drift sqlite_desired sqlite_test sqlite_test_fail pg_drift pg_desired pg_test"
# MIG_TEST_ENGINE=client (tests/run/78-client-pg-engine-drift.t): the PostgreSQL sections with the
# client's own engine (--engine client on every run): snapshots and diffs made by the client
[ "${MIG_TEST_ENGINE:-}" = client ] && ALL_SECTIONS="pg_drift pg_desired pg_test"
NO_PG=${NO_PG:-}
[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || NO_PG=${NO_PG:-"no PostgreSQL cluster (run inside tests/pg/cluster.sh)"}

# drift_case RUN DO UNDO ERE DESC: RUN (sq_live or pg_live) makes a change
# by hand (DO): check exits 1 naming it (ERE); DO undone (UNDO): exit 0.
drift_case() {
    "$1" "$2" >/dev/null
    m check
    is_rc 1 "$5: check exits 1"
    like "$ERR" "$4" "$5: ... naming it"
    "$1" "$3" >/dev/null
    m check
    is_rc 0 "$5: undone: check exits 0"
}
sq_live() {
    q mig.db "$1"
}
pg_live() {
    pq "$DB" "$1"
}

# ---- SQLite ---------------------------------------------------------------------------------

t_sqlite_drift() {
    project sq_drift
    rev_file versions/a1.sql a1 "" "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);" "DROP TABLE orders;"
    m upgrade
    m check
    is_rc 0 "a freshly upgraded database: check exits 0"
    like "$OUT" "is at a1; no drift$" "... and says there is no drift"

    q mig.db "ALTER TABLE orders ADD COLUMN note TEXT;" >/dev/null
    m check
    is_rc 1 "a column added by hand: check exits 1"
    like "$ERR" "mig: check: drift: table orders: column note added by hand \(the live database has it, the revisions do not\)" \
        "... naming the table and the column"
    m check --no-drift
    is_rc 0 "--no-drift: check exits 0 despite the drift"
    m --json check --no-drift
    is "$(jq_ "$OUT" 'join "|", map { defined $j->{$_} ? "set" : "null" } qw(drift desired)')" "null|null" \
        "--json --no-drift: drift and desired are null (not checked)"
    echo "check_drift = false" >>mig.ini
    m check
    is_rc 0 "check_drift = false in mig.ini: exit 0 despite the drift"
    sed -i 's/^check_drift = false/check_drift = maybe/' mig.ini
    m check
    is "$RC|$ERR1" "1|mig: mig.ini: check_drift = maybe: expected true or false" "check_drift = maybe: an error naming the key"
    sed -i '/^check_drift/d' mig.ini
    m -v check
    like "$ERR" "ALTER TABLE orders ADD COLUMN note TEXT" "-v: the SQL of the drift is printed"
    m --json check
    is_rc 1 "--json: exit 1 on drift"
    is "$(jq_ "$OUT" 'join "|", $j->{ok} ? "true" : "false", map { "$_->{object}/$_->{part}/$_->{change}" } @{$j->{drift}}')" \
        "false|table orders/column note/added" "--json: ok false, the drift as object, part and change"
    like "$(jq_ "$OUT" '$j->{drift_sql}')" "ADD COLUMN note" "--json: drift_sql holds the SQL"
    q mig.db "ALTER TABLE orders DROP COLUMN note;" >/dev/null
    m check
    is_rc 0 "the column dropped again: check exits 0"

    drift_case sq_live "CREATE INDEX ix_orders_total ON orders (total);" "DROP INDEX ix_orders_total;" \
        "drift: index ix_orders_total added by hand" "an index created by hand"

    q mig.db "DROP TABLE orders; CREATE TABLE orders (id INTEGER PRIMARY KEY, total TEXT);" >/dev/null
    m check
    like "$ERR" "drift: table orders: column total \(type\) changed by hand" "a column's type changed by hand: named with the key"
    q mig.db "DROP TABLE orders; CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);" >/dev/null
    m --json check
    is "$RC|$(jq_ "$OUT" 'scalar @{$j->{drift}}')" "0|0" "reverted: exit 0, --json drift is an empty list"

    # pending revisions: drift compares with what is applied
    rev_file versions/b1.sql b1 a1 "CREATE TABLE items (id INTEGER PRIMARY KEY);" "DROP TABLE items;"
    m check
    is_rc 1 "a pending revision: exit 1"
    unlike "$ERR" "drift" "... and no drift: the live database is what its applied revisions make"
}

t_sqlite_desired() {
    project sq_desired
    mkdir schema
    echo "schema = schema" >>mig.ini
    echo "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);" >schema/10_users.sql
    m revision --autogenerate -m users
    m upgrade
    m check
    is_rc 0 "desired schema = revisions = live: check exits 0"
    like "$OUT" "no drift; the desired schema is the revisions'" "... and says so"
    local before
    before=$(snapshot_db mig.db)
    echo "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);" >schema/10_users.sql
    echo "CREATE INDEX ix_users_email ON users (email);" >schema/20_index.sql
    m check
    is_rc 1 "the desired schema edited without a revision: check exits 1"
    like "$ERR" "desired: table users: column name is in the desired schema but no revision makes it" "... naming the column"
    like "$ERR" "desired: index ix_users_email is in the desired schema but no revision makes it" "... and the index"
    like "$ERR" "run mig revision --autogenerate" "... and saying what to run"
    unlike "$ERR" "drift:" "... with no drift"
    m --json check
    is "$(jq_ "$OUT" 'join "|", map { "$_->{object}/" . ($_->{part} // "") . "/$_->{change}" } @{$j->{desired}}')" \
        "table users/column name/added|index ix_users_email//added" "--json: the desired findings"
    like "$(jq_ "$OUT" '$j->{desired_sql}')" "ADD COLUMN name" "--json: desired_sql is what autogenerate would write"
    m check --no-drift
    is_rc 0 "--no-drift skips the desired check too"
    is "$(snapshot_db mig.db)" "$before" "check changed nothing in the live database"
    m revision --autogenerate -m "name and index"
    m check
    is_rc 1 "after revision --autogenerate, before upgrade: exit 1 (pending)"
    unlike "$ERR" "desired:" "... and the desired schema is what the revisions at head make"
    m upgrade
    m check
    is_rc 0 "after upgrade: check exits 0"
}

# a project whose revisions branch and merge: a1 <- b1 (index), a1 <- c1 (view), m1 merges them
branchy() {
    project "$1"
    rev_file versions/a1.sql a1 "" "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);" "DROP TABLE t;"
    rev_file versions/b1.sql b1 a1 "CREATE INDEX ix_t_x ON t (x);" "DROP INDEX ix_t_x;" "-- mig:branch_labels left"
    rev_file versions/c1.sql c1 a1 "CREATE VIEW v AS SELECT id FROM t;" "DROP VIEW v;"
    rev_file versions/m1.sql m1 "b1, c1" "ALTER TABLE t ADD COLUMN y TEXT;" "SELECT mig_batch('t', 'DROP COLUMN y');"
}

t_sqlite_test() {
    branchy sq_test
    m test
    is_rc 0 "mig test on a clean project with a branch and a merge: exit 0"
    is "$(grep -c '^ok  ' <<<"$OUT")" 6 "... six checks ok (single head, upgrade, four revisions)"
    like "$OUT" "ok      revision m1: upgrade, downgrade to b1, upgrade again" "... the merge is downgraded to its parents"
    like "$OUT" "6 checks, 0 failed" "... and the summary"
    [ ! -e mig.db ]
    ok $? "... no live database was created (mig test uses scratch databases only)"
    m --json test
    is "$(jq_ "$OUT" 'join "|", ($j->{ok} ? "true" : "false"), $j->{passed}, $j->{failed}, scalar @{$j->{checks}}')" "true|6|0|6" \
        "--json: ok, passed, failed, checks"
    like "$(jq_ "$OUT" 'join ",", map { $_->{revision} // "-" } @{$j->{checks}}')" "^-,-,a1,(b1,c1|c1,b1),m1$" \
        "--json: the revisions in upgrade order"
    m test extra
    is_rc 2 "an argument: usage error"
    m test --no-drift
    is_rc 2 "an option of another command: usage error"
}

t_sqlite_test_fail() {
    branchy sq_fail
    m upgrade
    local before
    before=$(snapshot_db mig.db)
    # a downgrade that forgets the column
    rev_file versions/d1.sql d1 m1 "ALTER TABLE t ADD COLUMN c TEXT;" "SELECT 1;"
    m test
    is_rc 1 "a downgrade that forgets a column: exit 1"
    like "$OUT" "FAILED  revision d1: downgrade does not undo: table t: column c left behind" "... naming the revision and the column"
    like "$OUT" "ok      revision m1" "... the other revisions pass"
    like "$OUT" "7 checks, 1 failed" "... the summary counts it"
    is "$(snapshot_db mig.db)" "$before" "... the live database is untouched"
    rev_file versions/d1.sql d1 m1 "CREATE INDEX ix_t_y ON t (y);" "SELECT 1;"
    m test
    like "$OUT" "FAILED  revision d1: downgrade does not undo: index ix_t_y left behind" "a downgrade that forgets an index: named"
    rev_file versions/d1.sql d1 m1 "CREATE VIEW w AS SELECT y FROM t;" "SELECT 1;"
    m test
    like "$OUT" "FAILED  revision d1: downgrade does not undo: view w left behind" "a downgrade that forgets a view: named"
    rev_file versions/d1.sql d1 m1 "CREATE TABLE u (id INTEGER PRIMARY KEY);" "DROP TABLE u; DROP INDEX ix_t_x;"
    m test
    is_rc 1 "a downgrade that drops too much: exit 1"
    like "$OUT" "FAILED  revision d1: downgrade undoes too much: index ix_t_x dropped" "... naming the index it dropped"
    rev_file versions/d1.sql d1 m1 "CREATE TABLE u (id INTEGER PRIMARY KEY);" "DROP TABLE nosuch;"
    m test
    like "$OUT" "FAILED  revision d1: the downgrade to m1 failed" "a downgrade that fails: named"
    like "$ERR" "no such table: nosuch" "... with the database's error"
    m --json test
    is "$(jq_ "$OUT" 'join "|", map { "$_->{revision}:" . join(";", @{$_->{problems}}) } grep { !$_->{ok} } @{$j->{checks}}')" \
        "d1:the downgrade to m1 failed (the error is above)" "--json: the failing check and its problem"
    rev_file versions/d1.sql d1 m1 "CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT REFERENCES nosuch);" "DROP TABLE u;"
    rev_file versions/e1.sql e1 m1 "CREATE TABLE e (id INTEGER PRIMARY KEY);" "DROP TABLE e;"
    m test
    is_rc 1 "two heads: exit 1"
    like "$OUT" "FAILED  single head: the revision files have 2 heads \((d1, e1|e1, d1)\)" "... naming the heads"
    rm versions/e1.sql
    rev_file versions/d1.sql d1 m1 "CREATE TABLE u (id INTEGER PRIMARY KEY); SELECT no_such_function();" "DROP TABLE u;"
    m test
    is_rc 1 "an upgrade that fails: exit 1"
    like "$OUT" "FAILED  upgrade from base to heads: " "... the upgrade check fails"
    like "$ERR" "d1.*no such function: no_such_function" "... the error names the revision"
    like "$OUT" "FAILED  revision d1: the upgrade failed" "... and the revision's own check names it"
    rev_file versions/e1.sql e1 d1 "CREATE TABLE e (id INTEGER PRIMARY KEY);" "DROP TABLE e;"
    m test
    like "$OUT" "skip    revision e1: .*: it builds on d1, whose upgrade failed" "... a revision built on it is skipped"
    rm versions/e1.sql
    is "$(snapshot_db mig.db)" "$before" "after every failure the live database is untouched"
    # the desired schema
    rm versions/d1.sql
    mkdir -p schema
    echo "schema = schema" >>mig.ini
    echo "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, y TEXT); CREATE INDEX ix_t_x ON t (x); CREATE VIEW v AS SELECT id FROM t;" >schema/all.sql
    m test
    is_rc 0 "the desired schema is what the revisions make: exit 0"
    like "$OUT" "ok      the desired schema is what the revisions produce" "... its check passes"
    echo "CREATE TABLE z (id INTEGER);" >>schema/all.sql
    m test
    is_rc 1 "the desired schema has a table no revision makes: exit 1"
    like "$OUT" "FAILED  the desired schema is what the revisions produce: table z is in the desired schema but no revision makes it" \
        "... naming the table"
}

# ---- PostgreSQL -----------------------------------------------------------------------------

pgproject() {
    project "$1"
    newdb "$2"
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
}

t_pg_drift() {
    pgproject pg_drift dr_drift
    rev_file versions/a1.sql a1 "" "CREATE TABLE orders (id serial PRIMARY KEY, total int);
CREATE FUNCTION total_of(o orders) RETURNS int LANGUAGE sql AS \$\$ SELECT o.total \$\$;
CREATE VIEW big AS SELECT id FROM orders WHERE total > 100;" "DROP VIEW big; DROP FUNCTION total_of(orders); DROP TABLE orders;"
    m upgrade
    m check
    is_rc 0 "pg: a freshly upgraded database: check exits 0 (no false drift)"
    like "$OUT" "no drift$" "pg: ... says no drift"
    is "$(scratch_dbs)" 0 "pg: no scratch database left"

    pq "$DB" "ALTER TABLE orders ADD COLUMN note text" >/dev/null
    m check
    is_rc 1 "pg: a column added by hand: exit 1"
    like "$ERR" "drift: table public.orders: column note added by hand" "pg: ... naming the table and the column"
    m check --no-drift
    is_rc 0 "pg: --no-drift: exit 0"
    pq "$DB" "ALTER TABLE orders DROP COLUMN note" >/dev/null
    m check
    is_rc 0 "pg: the column dropped again: exit 0"

    drift_case pg_live "CREATE INDEX ix_orders_total ON orders (total)" "DROP INDEX ix_orders_total" \
        "drift: index public.ix_orders_total added by hand" "pg: an index created by hand"

    pq "$DB" "CREATE OR REPLACE FUNCTION total_of(o orders) RETURNS int LANGUAGE sql AS \$\$ SELECT o.total * 2 \$\$" >/dev/null
    m check
    is_rc 1 "pg: a function body replaced by hand: exit 1"
    like "$ERR" "drift: function public.total_of\(public.orders\): definition changed by hand" "pg: ... naming the function"
    m --json check
    like "$(jq_ "$OUT" 'join "|", map { "$_->{object}/$_->{change}" } @{$j->{drift}}')" "^function public.total_of\(.*\)/changed$" \
        "pg --json: the function as changed"
    like "$(jq_ "$OUT" '$j->{drift_sql}')" "o.total \* 2" "pg --json: drift_sql has the live body"
    pq "$DB" "CREATE OR REPLACE FUNCTION total_of(o orders) RETURNS int LANGUAGE sql AS \$\$ SELECT o.total \$\$" >/dev/null
    m check
    is_rc 0 "pg: the body put back: exit 0"
    is "$(scratch_dbs)" 0 "pg: no scratch database left after the checks"
    local point
    for point in scratch-created replayed; do
        { MIG_TEST_SIGNAL_AT=$point m check; } 2>/dev/null
        is "$RC" 143 "pg: SIGTERM at $point during check: the client dies of SIGTERM (143)"
        is "$(scratch_dbs)" 0 "pg: SIGTERM at $point during check: no scratch database left"
    done
}

t_pg_desired() {
    pgproject pg_desired dr_desired
    mkdir schema
    echo "schema = schema" >>mig.ini
    echo "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);" >schema/10.sql
    m revision --autogenerate -m users
    m upgrade
    m check
    is_rc 0 "pg: desired = revisions = live: exit 0"
    echo "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name text);" >schema/10.sql
    m check
    is_rc 1 "pg: the desired schema edited without a revision: exit 1"
    like "$ERR" "desired: table public.users: column name is in the desired schema but no revision makes it" "pg: ... naming the column"
    m revision --autogenerate -m name
    m upgrade
    m check
    is_rc 0 "pg: after revision --autogenerate and upgrade: exit 0"
    m test
    is_rc 0 "pg: mig test passes on it"
    is "$(scratch_dbs)" 0 "pg: no scratch database left"
}

t_pg_test() {
    pgproject pg_test dr_test
    rev_file versions/a1.sql a1 "" "CREATE TABLE t (id int PRIMARY KEY, x int);" "DROP TABLE t;"
    rev_file versions/b1.sql b1 a1 "CREATE INDEX ix_t_x ON t (x);" "DROP INDEX ix_t_x;"
    rev_file versions/c1.sql c1 a1 "CREATE VIEW v AS SELECT id FROM t;" "DROP VIEW v;"
    rev_file versions/m1.sql m1 "b1, c1" "ALTER TABLE t ADD COLUMN y text;" "ALTER TABLE t DROP COLUMN y;"
    m upgrade
    local before
    before=$(pg_snap "$DB")
    m test
    is_rc 0 "pg: mig test on a clean project with a branch and a merge: exit 0"
    like "$OUT" "6 checks, 0 failed" "pg: ... six checks pass"
    is "$(scratch_dbs)" 0 "pg: no scratch database left after success"
    rev_file versions/d1.sql d1 m1 "ALTER TABLE t ADD COLUMN c text; CREATE INDEX ix_t_y ON t (y); CREATE VIEW w AS SELECT y FROM t;" "SELECT 1;"
    m test
    is_rc 1 "pg: a downgrade that forgets a column, an index and a view: exit 1"
    like "$OUT" "FAILED  revision d1: downgrade does not undo: table public.t: column c left behind" "pg: ... the column named"
    like "$OUT" "FAILED  revision d1: downgrade does not undo: index public.ix_t_y left behind" "pg: ... the index named"
    like "$OUT" "FAILED  revision d1: downgrade does not undo: view public.w left behind" "pg: ... the view named"
    is "$(scratch_dbs)" 0 "pg: no scratch database left after a failure"
    rev_file versions/d1.sql d1 m1 "CREATE TABLE u (id int);" "DROP TABLE u; DROP INDEX ix_t_x;"
    m test
    like "$OUT" "FAILED  revision d1: downgrade undoes too much: index public.ix_t_x dropped" "pg: a downgrade that drops too much: named"
    local point
    for point in test-upgraded scratch-created; do
        { MIG_TEST_SIGNAL_AT=$point m test; } 2>/dev/null
        is "$RC" 143 "pg: SIGTERM at $point: mig test dies of SIGTERM (143)"
        is "$(scratch_dbs)" 0 "pg: SIGTERM at $point: no scratch database left"
    done
    is "$(pg_snap "$DB")" "$before" "pg: the live database is untouched by mig test"
}

run_sections "$ALL_SECTIONS"

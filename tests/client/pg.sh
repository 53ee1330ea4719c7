#!/bin/bash
# End-to-end tests of the real client/mig binary against PostgreSQL (TAP).
# Run inside tests/pg/cluster.sh (PGHOST, PGPORT, PGUSER set), with the
# extension installed (make -C pg_ext install): tests/run/71-client-pg.t.
. "$(dirname "$0")/lib.sh"
[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || bail "run me inside tests/pg/cluster.sh"
client_setup

ALL_SECTIONS="newcomer roles searchpath tenants nontx nontx_after nontx_stmt concurrent atomic"
# MIG_TEST_ENGINE=client (tests/run/78-client-pg-engine-pg.t): the same sections with the
# client's own engine, but roles (its deployer has the extension's grants, EXECUTE only)
[ "${MIG_TEST_ENGINE:-}" = client ] && ALL_SECTIONS=${ALL_SECTIONS/roles /}

# pgproject NAME DB: a project whose mig.ini points at DB.
pgproject() {
    project "$1"
    newdb "$2"
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
}

# ---- the newcomer's session, on PostgreSQL ------------------------------------------------------
t_newcomer() {
    pgproject newcomer client_newcomer
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "a fresh database has no mig extension"
    newrev -m "create users"
    local A=$REV
    fill "$REVF" "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);" "DROP TABLE users;"
    newrev -m "add email"
    local B=$REV
    is "$(grep '^-- mig:down_revision' "$REVF")" "-- mig:down_revision $A" "second revision: down_revision is the first"
    fill "$REVF" "ALTER TABLE users ADD COLUMN email text;
CREATE INDEX ix_users_email ON users (email);" "ALTER TABLE users DROP COLUMN email;"
    m upgrade
    is_rc 0 "upgrade: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "$(printf 'Running upgrade  -> %s, create users\nRunning upgrade %s -> %s, add email' "$A" "$A" "$B")" \
        "upgrade: the two Running lines, in order"
    if [ "${MIG_TEST_ENGINE:-}" = client ]; then
        is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "--engine client: no extension"
    else
        is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 1 "the client created the extension (as a superuser)"
    fi
    is "$(pq "$DB" "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'users'")" \
        "id,name,email" "upgrade: users has id, name, email"
    is "$(pq "$DB" "SELECT env || ' ' || tenant || '|' || version_num FROM mig.mig_version")" "default |$B" "mig_version: the head"
    m current
    is_rc 0 "current: exit 0"
    is "$OUT" "$B (head)" "current: <id> (head)"
    m downgrade -1
    is_rc 0 "downgrade -1: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running downgrade $B -> $A, add email" "downgrade -1: one Running line"
    is "$(pq "$DB" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'")" 0 \
        "downgrade -1: the column is gone"
    m history --indicate-current
    is "$OUT" "$(printf '%s -> %s (head), add email\n<base> -> %s (current), create users' "$A" "$B" "$A")" "history --indicate-current"
    m check
    is_rc 1 "check when behind: exit 1"
    like "$ERR" "$B" "check: names the pending revision"
    m upgrade
    is_rc 0 "upgrade again: exit 0"
    m check
    is_rc 0 "check at head: exit 0"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "$A:upgrade $B:upgrade $B:downgrade $B:upgrade" "mig_history: every step once, in order"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_history WHERE applied_by IS NULL OR duration_ms IS NULL")" 0 \
        "mig_history: applied_by and duration_ms filled in"

    # a URL with a password: never printed, even on success (trust auth ignores it)
    local PU="postgresql://postgres:s3cret@/$DB?host=$PGHOST&port=$PGPORT"
    m --url "$PU" -v current
    is_rc 0 "a URL with a password: exit 0"
    unlike "$OUT$ERR" "s3cret" "current -v: the password is not printed"
    m --url "$PU" upgrade --json
    unlike "$OUT$ERR" "s3cret" "upgrade --json: the password is not printed"
    like "$(jq_ "$OUT" '$j->{database}')" "^postgresql://postgres@.*/$DB" "upgrade --json: the database without the password"
    m --url "$PU" push --json
    unlike "$OUT$ERR" "s3cret" "push: the password is not printed"
    is "$(jq_ "$OUT" '$j->{compared}')" digest \
        "push after upgrade: PostgreSQL's digest of the store equals the client's digest of the files"
    DATABASE_URL="postgresql+psycopg2://postgres:s3cret@/$DB?host=$PGHOST&port=$PGPORT" m current
    is_rc 0 "DATABASE_URL in SQLAlchemy's form (postgresql+psycopg2://): exit 0"
    unlike "$OUT$ERR" "s3cret" "... the password is not printed"
    m --url "$PU" nosuch_cmd_for_pg
    is_rc 2 "an unknown command with a PostgreSQL URL: exit 2"
    unlike "$ERR" "s3cret" "an unknown command: the password is not printed"

    # server down
    m --url "postgresql://postgres:s3cret@/$DB?host=$PGHOST&port=1" upgrade
    is_rc 1 "server down: exit 1"
    like "$ERR1" "postgresql://postgres@.*:1/$DB" "server down: names the URL (user, port, database)"
    unlike "$ERR" "s3cret" "server down: the password is not printed"
    m --url "host=$PGHOST port=1 dbname=$DB user=postgres password=s3cret" current
    is_rc 1 "server down (libpq key=value string): exit 1"
    unlike "$ERR" "s3cret" "server down (key=value): the password is not printed"
    m --url "postgresql:///no_such_db?host=$PGHOST&port=$PGPORT&user=postgres" upgrade
    is_rc 1 "a database that does not exist: exit 1"
    like "$ERR1" "no_such_db" "a database that does not exist: named"

    # offline: changes nothing, creates no extension
    newdb client_offline
    m --url "$U" upgrade --sql
    is_rc 0 "upgrade --sql on a database without the extension: exit 0"
    like "$OUT" "CREATE TABLE users.*ALTER TABLE users ADD COLUMN email" "upgrade --sql: the revisions' SQL"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "upgrade --sql: no extension created"
    is "$(pq "$DB" "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")" 0 \
        "upgrade --sql: no table created"
    m downgrade "$B:base" --sql
    is_rc 0 "downgrade B:base --sql: exit 0"
    like "$OUT" "ALTER TABLE users DROP COLUMN email.*DROP TABLE users" "downgrade B:base --sql: children first"

    # offline without a server: a range needs none (Alembic's offline mode)
    local online down="postgresql://postgres@/$DB?host=$PGHOST&port=1"
    m --url "$U" upgrade base:heads --sql
    online=$OUT
    m --url "$down" upgrade base:heads --sql
    is_rc 0 "upgrade base:heads --sql with the server down: exit 0"
    is "$OUT" "$online" "... the same script as PostgreSQL's own engine writes"
    m --url "$down" upgrade --sql
    is_rc 1 "upgrade --sql without a range, server down: exit 1 (the script starts from the database's state)"
    like "$ERR" "hint: with a range, such as upgrade base:heads --sql" "... the hint names the range form"
    newdb client_offline_fresh
    m --url "$down" upgrade "base:$B" --sql
    printf '%s\n' "$OUT" | psql -q -X -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>&1
    ok $? "the server-less script runs in psql on a fresh database"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")|$(pq "$DB" "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'")" \
        "$B|email,id,name" "... it creates the extension, the table with its column, and records the head"
    m --url "$SU_URL" current
    like "$OUT" "^$B" "mig current agrees"
    newdb client_offline_stamp
    m --url "$down" stamp "base:$B" --sql
    is_rc 0 "stamp base:B --sql with the server down: exit 0"
    printf '%s\n' "$OUT" | psql -q -X -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>&1
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")|$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'users'")" \
        "$B|0" "the stamp script in psql: at B, no table created"
}

# ---- roles -------------------------------------------------------------------------------------------------
t_roles() {
    project roles
    rev_file versions/r1.sql r1 "" "CREATE TABLE r1 (x int);" "DROP TABLE r1;"
    newdb client_roles
    psql -q -X -d postgres -c "DROP ROLE IF EXISTS mig_alice" >/dev/null 2>&1
    psql -q -X -d postgres -c "CREATE ROLE mig_alice LOGIN" >/dev/null || bail "create role"
    pq "$DB" "GRANT CREATE ON DATABASE $DB TO mig_alice; GRANT CREATE ON SCHEMA public TO mig_alice" >/dev/null
    local AU="postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=mig_alice"
    m --url "$AU" current
    is_rc 0 "a non-superuser, no extension: current exits 0 (at base)"
    is "$OUT" "" "a non-superuser, no extension: current prints nothing"
    # --engine extension: the extension or nothing (without it, the client
    # would run the engine itself: tests/client/pg_engine.sh)
    m --url "$AU" --engine extension upgrade
    is_rc 1 "a non-superuser, no extension: upgrade exits 1"
    like "$ERR1" "$DB" "no extension: names the database"
    like "$ERR1" "mig_alice" "no extension: names the role"
    like "$ERR" "CREATE EXTENSION mig" "no extension: says the administrator must run CREATE EXTENSION mig"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "no extension created"
    m --url "$AU" --engine extension push
    is_rc 1 "a non-superuser, no extension: push exits 1"
    # what the hint says is enough for the role to deploy
    local sql
    sql=$(sed -n 's/.*An administrator must run, in database "[^"]*": \(.*\)/\1/p' <<<"$ERR" | sed 's/ *(see [^)]*) *$//')
    like "$sql" "^CREATE EXTENSION mig;" "the hint gives the SQL to run"
    [ -n "$sql" ] && psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -c "$sql" >"$T/hint.out" 2>&1
    ok $? "the hint's SQL runs as the administrator" "$(cat "$T/hint.out" 2>/dev/null)"
    m --url "$AU" upgrade
    is_rc 0 "after the administrator ran the hint: the role upgrades (exit 0)"
    is "$(pq "$DB" "SELECT tableowner FROM pg_tables WHERE tablename = 'r1'")" "mig_alice" "the revision ran as the calling role"
    m --url "$AU" downgrade base
    is_rc 0 "the role downgrades: exit 0"
}

# ---- the session's search_path supplies nothing to the client's own queries ------------------------------------
t_searchpath() {
    pgproject searchpath client_searchpath
    rev_file versions/s1.sql s1 "" "CREATE TABLE s1_t (x int);" "DROP TABLE s1_t;"
    rev_file versions/s2.sql s2 s1 "CREATE INDEX CONCURRENTLY s2_ix ON s1_t (x);" "DROP INDEX CONCURRENTLY s2_ix;" \
        "-- mig:transactional false"
    psql -q -X -d postgres -c "DROP ROLE IF EXISTS mig_evil" >/dev/null 2>&1
    psql -q -X -d postgres -c "CREATE ROLE mig_evil LOGIN" >/dev/null || bail "create role"
    pq "$DB" "GRANT CREATE ON SCHEMA public TO mig_evil" >/dev/null
    psql -q -X -U mig_evil -d "$DB" >/dev/null 2>&1 <<'SQL' || bail "plant"
CREATE FUNCTION public.evil_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $f$BEGIN EXECUTE 'ALTER ROLE mig_evil SUPERUSER'; RETURN $1 OPERATOR(pg_catalog.=) $2; END$f$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.evil_eq);
SQL
    local c
    for c in "upgrade" "current" "check" "history -i" "downgrade base" "upgrade" "stamp s1" "show s1 --sql"; do
        # shellcheck disable=SC2086
        PGOPTIONS="-c search_path=public,pg_catalog" m $c
        is "$(pq "$DB" "SELECT rolsuper FROM pg_roles WHERE rolname = 'mig_evil'")" f \
            "search_path=public,pg_catalog: mig $c runs none of another role's operators"
    done
    is "$(pq "$DB" "SELECT string_agg(schemaname || '.' || tablename, ',') FROM pg_tables WHERE tablename = 's1_t'")" \
        "public.s1_t" "the revisions themselves ran with the session's search_path (s1_t in public)"
    pq "$DB" "DROP OWNED BY mig_evil" >/dev/null
    psql -q -X -d postgres -c "DROP ROLE mig_evil" >/dev/null 2>&1
}

# ---- tenants -------------------------------------------------------------------------------------------------
t_tenants() {
    pgproject tenants client_tenants
    rev_file versions/t1.sql t1 "" "CREATE TABLE items (id int PRIMARY KEY);" "DROP TABLE items;"
    rev_file versions/t2.sql t2 t1 "ALTER TABLE items ADD COLUMN name text;" "ALTER TABLE items DROP COLUMN name;"
    pq "$DB" "CREATE SCHEMA acme AUTHORIZATION $DBOWNER; CREATE SCHEMA beta AUTHORIZATION $DBOWNER" >/dev/null
    m --tenant acme upgrade
    is_rc 0 "--tenant acme upgrade: exit 0"
    is "$(grep_lines "$OUT" '^Running ' | wc -l)" 2 "--tenant acme: two revisions ran"
    m --tenant beta upgrade t1
    is_rc 0 "--tenant beta upgrade t1: exit 0"
    is "$(pq "$DB" "SELECT string_agg(tenant || '=' || version_num, ' ' ORDER BY tenant) FROM mig.mig_version")" "acme=t2 beta=t1" \
        "separate version state per tenant"
    is "$(pq "$DB" "SELECT string_agg(table_schema || '.' || column_name, ' ' ORDER BY table_schema, ordinal_position) FROM information_schema.columns WHERE table_name = 'items'")" \
        "acme.id acme.name beta.id" "the tables in each tenant's schema (nothing in public)"
    m --tenant acme current
    is "$OUT" "t2 (head)" "--tenant acme current: t2"
    m --tenant beta current
    is "$OUT" "t1" "--tenant beta current: t1"
    m current
    is "$OUT" "" "no tenant: at base"
    m --tenant beta check
    is_rc 1 "--tenant beta check: exit 1 (t2 pending)"
    m --tenant acme downgrade base
    is_rc 0 "--tenant acme downgrade base: exit 0"
    is "$(pq "$DB" "SELECT string_agg(table_schema, ' ' ORDER BY table_schema) FROM information_schema.tables WHERE table_name = 'items'")" "beta" \
        "acme's table dropped, beta's kept"
    is "$(pq "$DB" "SELECT string_agg(tenant || ':' || revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "acme:t1:upgrade acme:t2:upgrade beta:t1:upgrade acme:t2:downgrade acme:t1:downgrade" "mig_history records the tenant"
    m --tenant nosuchschema upgrade
    is_rc 1 "--tenant with a schema that does not exist: exit 1"
    like "$ERR1" "nosuchschema" "--tenant with a missing schema: names it"
    unlike "$ERR1" "versions/" "--tenant with a missing schema: the error blames no revision file"

    # a transactional false revision runs in the tenant's schema too
    rev_file versions/t3.sql t3 t2 "CREATE INDEX CONCURRENTLY ix_items_name ON items (name);" "DROP INDEX CONCURRENTLY ix_items_name;" \
        "-- mig:transactional false"
    m --tenant beta upgrade
    is_rc 0 "--tenant beta upgrade through a transactional false revision: exit 0"
    is "$(pq "$DB" "SELECT string_agg(schemaname, ' ') FROM pg_indexes WHERE indexname = 'ix_items_name'")" "beta" \
        "the concurrent index is created in the tenant's schema"
    is "$(pq "$DB" "SELECT string_agg(tenant || '=' || version_num, ' ' ORDER BY tenant) FROM mig.mig_version")" "beta=t3" "beta at t3, acme at base"
    m --tenant beta downgrade t2
    is_rc 0 "--tenant beta downgrade across it: exit 0"
    is "$(pq "$DB" "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_items_name'")" 0 "the tenant's concurrent index dropped"
}

# ---- revisions outside a transaction ----------------------------------------------------------------------------------
# nontx_files: n1 (a table), n2 (transactional false: two CREATE INDEX
# CONCURRENTLY), n3 (a table).
nontx_files() {
    rev_file versions/n1.sql n1 "" "CREATE TABLE big (x int); INSERT INTO big SELECT generate_series(1, 1000);" "DROP TABLE big;"
    rev_file versions/n2.sql n2 n1 "CREATE INDEX CONCURRENTLY ix_big_x ON big (x);
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_big_x2 ON big ((x + 1));" "DROP INDEX CONCURRENTLY ix_big_x2;
DROP INDEX CONCURRENTLY ix_big_x;" "-- mig:transactional false"
    rev_file versions/n3.sql n3 n2 "CREATE TABLE after_ix (x int);" "DROP TABLE after_ix;"
}

IXQ="SELECT string_agg(c.relname || '=' || i.indisvalid, ' ' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_big%'"

t_nontx() {
    pgproject nontx client_nontx
    nontx_files
    m upgrade
    is_rc 0 "upgrade across a transactional false revision: exit 0"
    is "$(grep_lines "$OUT" '^Running ' | sed 's/, rev n.*//')" "$(printf 'Running upgrade  -> n1\nRunning upgrade n1 -> n2\nRunning upgrade n2 -> n3')" \
        "each revision's Running line, in order"
    is "$(pq "$DB" "$IXQ")" "ix_big_x=true ix_big_x2=true" "CREATE INDEX CONCURRENTLY: the indexes are valid"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" "n1:upgrade n2:upgrade n3:upgrade" \
        "history: each revision once"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n3 "at n3"
    m downgrade base
    is_rc 0 "downgrade base across it: exit 0"
    is "$(grep_lines "$OUT" '^Running ' | sed 's/, rev n.*//')" "$(printf 'Running downgrade n3 -> n2\nRunning downgrade n2 -> n1\nRunning downgrade n1 -> ')" \
        "downgrade: each revision's Running line, children first"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('big', 'ix_big_x', 'ix_big_x2', 'after_ix')")" 0 "downgrade: everything dropped"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_version")" 0 "downgrade: at base"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history WHERE direction = 'downgrade'")" \
        "n3:downgrade n2:downgrade n1:downgrade" "history: each downgrade once"
    m upgrade n1
    m upgrade +2
    is_rc 0 "upgrade +2 across it (a relative target): exit 0"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n3 "upgrade +2 from n1: at n3"
    m downgrade -2
    is_rc 0 "downgrade -2 across it: exit 0"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n1 "downgrade -2 from n3: at n1"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname LIKE 'ix_big%'")" 0 "downgrade -2: the indexes dropped"
    m upgrade --sql
    is_rc 0 "upgrade --sql with a transactional false revision: exit 0"
    like "$OUT" "CREATE INDEX CONCURRENTLY ix_big_x" "upgrade --sql: the concurrent index in the script"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n1 "upgrade --sql: nothing ran"
}

# a revision after it fails: the ones before it (n1 in the first
# transaction, n2 outside one) stay committed and recorded; n3 and n4 share
# the transaction that fails
t_nontx_after() {
    pgproject nontx_after client_nontx_after
    nontx_files
    rev_file versions/n4.sql n4 n3 "CREATE TABLE n4 (x int);
INSERT INTO n4 VALUES ('not a number');" "DROP TABLE n4;"
    m upgrade
    is_rc 1 "upgrade n1, n2 (outside a transaction), n3, n4 where n4 fails: exit 1"
    like "$ERR" "n4" "the failure names n4"
    like "$ERR" "invalid input syntax" "the failure carries the statement's message"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname = 'big'")" 1 "n1 is committed"
    is "$(pq "$DB" "$IXQ")" "ix_big_x=true ix_big_x2=true" "n2's concurrent indexes are there and valid"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('after_ix', 'n4')")" 0 "n3 and n4 rolled back together"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n2 "the revisions before the failing transaction are recorded (at n2)"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "n1:upgrade n2:upgrade" "history: n1 and n2 once each"
    rev_file versions/n4.sql n4 n3 "CREATE TABLE n4 (x int);" "DROP TABLE n4;"
    m upgrade
    is_rc 0 "n4 fixed: the next upgrade exits 0 (n2 does not run again)"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n4 "n4 fixed: at n4"
    is "$(pq "$DB" "SELECT string_agg(revision, ' ' ORDER BY id) FROM mig.mig_history")" "n1 n2 n3 n4" "history: each revision once"
}

# a nontransactional revision whose 2nd statement fails
t_nontx_stmt() {
    pgproject nontx_stmt client_nontx_stmt
    nontx_files
    rev_file versions/n5.sql n5 n3 "CREATE TABLE n5a (x int);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE n5b (x int);" "DROP TABLE IF EXISTS n5b;
DROP TABLE IF EXISTS n5a;" "-- mig:transactional false"
    m upgrade n3
    m upgrade
    is_rc 1 "a nontransactional revision whose 2nd statement fails: exit 1"
    like "$ERR1" "n5" "the error names the revision"
    like "$ERR1" "versions/n5.sql" "the error names the file"
    like "$ERR1" "line 8" "the error names the line of the statement (line 8 of the file)"
    like "$ERR" "no_such_table" "the error carries the statement's message"
    like "$ERR" "hint: .*before line 8 were committed" "the hint says what was committed"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n3 "n5 is not recorded"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_history WHERE revision = 'n5'")" 0 "n5 not in history"
    is "$(pq "$DB" "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relname IN ('n5a', 'n5b')")" "n5a" \
        "the 1st statement stays committed, the 3rd never ran"
    rev_file versions/n5.sql n5 n3 "CREATE TABLE IF NOT EXISTS n5a (x int);
CREATE TABLE IF NOT EXISTS no_such_table (x int);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE n5b (x int);" "DROP TABLE IF EXISTS n5b;
DROP TABLE IF EXISTS no_such_table;
DROP TABLE IF EXISTS n5a;" "-- mig:transactional false"
    m upgrade
    is_rc 0 "fixed and made repeatable: upgrade exits 0 (the unapplied file may change)"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n5 "at n5"
    m downgrade n1
    is_rc 0 "downgrade across two transactional false revisions: exit 0"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('n5a', 'n5b', 'no_such_table', 'ix_big_x', 'after_ix')")" 0 \
        "downgrade: their objects dropped"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" n1 "downgrade: at n1"
}

# ---- concurrent deployers ---------------------------------------------------------------------------------------------------
# conc_round NAME KIND: four `mig upgrade` at once on a fresh database.
#   fresh      no extension yet, transactional revisions only
#   installed  the extension created first, transactional revisions only
#   cic        the extension created first, a CREATE INDEX CONCURRENTLY revision among them
conc_round() {
    local round=$1
    pgproject "concurrent_$round" "client_conc_$round"
    # (the client's engine: its state is made by the role that deploys, below)
    [ "$round" != fresh ] && [ "${MIG_TEST_ENGINE:-}" != client ] && pq "$DB" "CREATE EXTENSION mig" >/dev/null
    local i prev=""
    for i in 1 2 3 4 5 6; do
        if [ "$i" = 4 ] && [ "$round" = cic ]; then
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE INDEX CONCURRENTLY ix_c3 ON c3 (x);" "DROP INDEX CONCURRENTLY ix_c3;" "-- mig:transactional false"
        else
            # in the cic round the revisions before c4 take a while, so the
            # other deployers are surely waiting for the lock when c4 runs
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE TABLE c$i (x int); INSERT INTO c$i SELECT generate_series(1, $([ "$round" = cic ] && echo 200000 || echo 2000));" "DROP TABLE c$i;"
        fi
        prev=c$i
    done
    if [ "$round" != fresh ] && [ "${MIG_TEST_ENGINE:-}" = client ]; then
        m -q push
        is_rc 0 "$round: the client's state made first (push)"
    fi
    local pids=() rcs=() k
    # fresh: a session holds pg_extension locked until all four deployers
    # wait on a lock, so they all reach CREATE EXTENSION at once
    [ "$round" = fresh ] && gate_close "$DB"
    for k in 1 2 3 4; do
        "${MIGCMD[@]}" upgrade >"$T/conc.$k.out" 2>"$T/conc.$k.err" </dev/null &
        pids+=($!)
    done
    [ "$round" = fresh ] && gate_open "$DB" 4
    for k in 0 1 2 3; do
        wait "${pids[$k]}"
        rcs+=($?)
    done
    [ -n "$MIG_CHECKER" ] && _check_reports "upgrade (4 at once)"
    if [ "${rcs[*]}" = "0 0 0 0" ]; then
        pass "$round: 4 concurrent mig upgrade: all exit 0"
    else
        fail "$round: 4 concurrent mig upgrade: all exit 0" "$(printf 'exit statuses: %s\n' "${rcs[*]}"; cat "$T"/conc.*.err)"
    fi
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || n, ' ' ORDER BY revision) FROM (SELECT revision, count(*) AS n FROM mig.mig_history WHERE direction = 'upgrade' GROUP BY revision) s")" \
        "c1:1 c2:1 c3:1 c4:1 c5:1 c6:1" "$round: each revision in history once"
    is "$(cat "$T"/conc.*.out | grep -c '^Running upgrade')" 6 "$round: six Running lines over the four processes"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" c6 "$round: at the head"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_revision")" 6 "$round: each revision stored once"
    rm -f "$T"/conc.*
}

# gate_close DB: lock pg_extension in a session of our own (creating an
# extension waits for it; reading the catalog does not).
gate_close() {
    coproc GATE { psql -X -q -A -t -d "$1" 2>&1; }
    echo "BEGIN; LOCK TABLE pg_catalog.pg_extension IN EXCLUSIVE MODE; SELECT 'locked';" >&"${GATE[1]}"
    local line=""
    read -r -t 30 line <&"${GATE[0]}"
    [ "$line" = locked ] || diag "gate_close: $line"
}

# gate_open DB N: once N mig sessions wait on a lock (or 30 s passed), commit.
gate_open() {
    local i w=0
    for ((i = 0; i < 600; i++)); do
        w=$(pq "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1' AND application_name = 'mig' AND wait_event_type = 'Lock'")
        [ "$w" -ge "$2" ] 2>/dev/null && break
        sleep 0.05
    done
    [ "$w" -ge "$2" ] 2>/dev/null || diag "gate_open: only $w of $2 sessions were waiting"
    echo "COMMIT;" >&"${GATE[1]}"
    local pid=$GATE_PID fd=${GATE[1]}
    exec {fd}>&-
    wait "$pid" 2>/dev/null
}

t_concurrent() {
    conc_round installed
    conc_round fresh
    conc_round cic
}

# ---- atomicity ---------------------------------------------------------------------------------------------------------------
t_atomic() {
    pgproject atomic client_atomic
    rev_file versions/a0.sql a0 "" "CREATE TABLE base_t (x int); INSERT INTO base_t VALUES (1);" "DROP TABLE base_t;"
    m upgrade
    rev_file versions/a1.sql a1 a0 "CREATE TABLE t1 (x int); INSERT INTO base_t VALUES (2);" "DROP TABLE t1;"
    rev_file versions/a2.sql a2 a1 "ALTER TABLE base_t ADD COLUMN y text; CREATE INDEX ix_y ON base_t (y);" "ALTER TABLE base_t DROP COLUMN y;"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x int);
SELECT 1 / 0;" "DROP TABLE t3;"
    local snap
    snap=$(pgsnap "$DB")
    m upgrade
    is_rc 1 "upgrade of 3 revisions whose 3rd fails: exit 1"
    like "$ERR" "a3" "the error names the revision"
    like "$ERR" "upgrade" "the error names the direction"
    like "$ERR" "division by zero" "the error carries the statement's message"
    is "$(pgsnap "$DB")" "$snap" "schema, mig_version, mig_history, mig_revision: as before (the upload rolled back too)"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x int);" "DROP TABLE t3;"
    m upgrade
    is_rc 0 "fixed: upgrade exits 0"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" a3 "fixed: at a3"
}

for s in ${SECTIONS:-$ALL_SECTIONS}; do
    want "$s" || continue
    cd "$T" || bail "cd $T"
    printf '# --- %s\n' "$s"
    "t_$s"
done
checker_summary
done_testing

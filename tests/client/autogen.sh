#!/bin/bash
# End-to-end tests of `mig revision --autogenerate` and `mig dump` (TAP),
# on SQLite always and on PostgreSQL when run inside tests/pg/cluster.sh
# (PGHOST, PGPORT set): tests/run/75-client-autogen.t.  A project's desired
# schema (mig.ini: schema = schema) is edited step by step; after each step
# the revision is generated, upgraded, downgraded and upgraded again, and
# the live snapshot is compared with the desired schema's.
# SECTIONS="sqlite_steps ..." runs a subset; MIG / MIG_CHECKER: see lib.sh.
. "$(dirname "$0")/lib.sh"
client_setup

ALL_SECTIONS="sqlite_steps sqlite_branches sqlite_dump sqlite_errors sqlite_usage pg_steps pg_dump pg_errors pg_scratch"
# MIG_TEST_ENGINE=client (tests/run/78-client-pg-engine-autogen.t): the PostgreSQL sections with the
# client's own engine (--engine client on every run): snapshots and diffs made by the client
[ "${MIG_TEST_ENGINE:-}" = client ] && ALL_SECTIONS="pg_steps pg_dump pg_errors pg_scratch"
NO_PG=${NO_PG:-}
[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || NO_PG=${NO_PG:-"no PostgreSQL cluster (run inside tests/pg/cluster.sh)"}

# ---- SQLite helpers ---------------------------------------------------------------------------

# live_snap: the live database's snapshot (SQLite project in the current folder)
live_snap() {
    q mig.db "SELECT mig_snapshot();"
}
# desired_snap: the snapshot of what schema/*.sql creates (in name order)
desired_snap() {
    cat schema/*.sql >"$T/.desired.sql"
    q :memory: "SELECT mig_snapshot_sql(readfile('$T/.desired.sql'));"
}

# step DESC: the revision --autogenerate / upgrade / downgrade -1 / upgrade
# loop of one edit of the desired schema (SQLite); PREV is the snapshot
# before the edit, and becomes the one after.
sq_step() {
    local desc=$1 nfiles want
    nfiles=$(ls versions | wc -l)
    m revision --autogenerate -m "$desc"
    is_rc 0 "$desc: revision --autogenerate exits 0"
    REVF=""
    [[ $OUT =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]] && REVF=${BASH_REMATCH[1]}
    is "$(ls versions | wc -l)" $((nfiles + 1)) "$desc: one new revision file"
    [ -n "$REVF" ] && grep -q '^-- mig:upgrade' "$REVF" && grep -q '^-- mig:downgrade' "$REVF"
    ok $? "$desc: the file ($REVF) has both sections"
    m upgrade head
    is_rc 0 "$desc: upgrade head exits 0"
    want=$(desired_snap)
    is "$(live_snap)" "$want" "$desc: after upgrade, the live snapshot is the desired schema's"
    m downgrade -1
    is_rc 0 "$desc: downgrade -1 exits 0"
    is "$(live_snap)" "$PREV" "$desc: downgrade -1 gives the previous snapshot back"
    m upgrade head
    is "$(live_snap)" "$want" "$desc: upgrade again: the desired schema's snapshot"
    m revision --autogenerate -m "$desc again"
    is_rc 0 "$desc: a second revision --autogenerate exits 0"
    is "$OUT" "No changes in schema detected; no revision written" "$desc: ... says nothing changed"
    is "$(ls versions | wc -l)" $((nfiles + 1)) "$desc: ... and writes no file"
    PREV=$want
}

t_sqlite_steps() {
    project sq_steps
    mkdir schema
    echo "schema = schema" >>mig.ini
    PREV=$(live_snap)
    cat >schema/10_tables.sql <<'EOF'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE INDEX ix_users_email ON users (email);
EOF
    sq_step "create users"
    q mig.db "INSERT INTO users (id, email) VALUES (1, 'ada@example.org');" >/dev/null

    cat >schema/10_tables.sql <<'EOF'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL CHECK (length(title) > 0),
    UNIQUE (user_id, title)
);
EOF
    sq_step "posts, a column, a unique index"

    cat >schema/20_views.sql <<'EOF'
CREATE VIEW user_names AS SELECT id, name FROM users;
CREATE TRIGGER posts_title_trim AFTER INSERT ON posts BEGIN
    UPDATE posts SET title = trim(title) WHERE id = NEW.id;
END;
EOF
    sq_step "a view and a trigger"

    # the view's column changes (NOT NULL, a default): dropped and made again around it
    q mig.db "UPDATE users SET name = 'Ada' WHERE id = 1;" >/dev/null
    sed -i 's/name TEXT)/name TEXT NOT NULL DEFAULT '"''"')/' schema/10_tables.sql
    sq_step "the column under the view changes"
    is "$(q mig.db "SELECT email FROM users WHERE id = 1;")" "ada@example.org" "the row survived the table rebuilds"

    # a column dropped: the revision is written, and the loss is said on stderr
    sed -i 's/, email TEXT NOT NULL//; /ix_users_email/d' schema/10_tables.sql
    m revision --autogenerate -m "drop email"
    is_rc 0 "drop email: exit 0"
    like "$ERR" "warning: upgrade loses data: column users.email" "drop email: the data loss is a warning on stderr"
    m upgrade head
    is "$(live_snap)" "$(desired_snap)" "drop email: after upgrade, the desired schema's snapshot"
    PREV=$(live_snap)

    # a rename, with the hint on the command line: the rows are kept
    sed -i 's/CREATE TABLE posts/CREATE TABLE articles/' schema/10_tables.sql
    sed -i 's/ON posts/ON articles/; s/UPDATE posts/UPDATE articles/' schema/20_views.sql
    q mig.db "INSERT INTO posts (id, user_id, title) VALUES (7, 1, 'hello');" >/dev/null
    m revision --autogenerate -m "posts are articles" --rename-table posts:articles
    is_rc 0 "rename: exit 0"
    unlike "$ERR" "loses data" "rename with --rename-table: nothing is marked as losing data"
    m upgrade head
    is "$(live_snap)" "$(desired_snap)" "rename: after upgrade, the desired schema's snapshot"
    is "$(q mig.db "SELECT title FROM articles WHERE id = 7;")" "hello" "rename: the row is in the renamed table"
    m downgrade -1
    is "$(live_snap)" "$PREV" "rename: downgrade -1 gives the previous snapshot back"
    is "$(q mig.db "SELECT title FROM posts WHERE id = 7;")" "hello" "rename: ... with the row"
    m upgrade head

    # --from-db: the live database instead of the replay
    echo "CREATE INDEX ix_articles_user ON articles (user_id);" >>schema/10_tables.sql
    m revision --autogenerate --from-db -m "index from the live database"
    is_rc 0 "--from-db: exit 0"
    like "$(cat versions/*index_from_the_live_database.sql)" "CREATE INDEX ix_articles_user ON articles" \
        "--from-db: the revision holds the new index"
    m upgrade head
    is "$(live_snap)" "$(desired_snap)" "--from-db: after upgrade, the desired schema's snapshot"

    # filters: exclude a table from both sides
    echo "CREATE TABLE scratchpad (x);" >>schema/20_views.sql
    echo "exclude = scratch*" >>mig.ini
    m revision --autogenerate -m "excluded"
    is "$OUT" "No changes in schema detected; no revision written" "exclude = scratch*: a new excluded table is no change"
    sed -i '/^exclude/d' mig.ini
    m --json revision --autogenerate -m "not excluded"
    is_rc 0 "without the filter: exit 0"
    like "$(jq_ "$OUT" '$j->{path}')" "not_excluded\.sql$" "--json: the path of the new file"
}

t_sqlite_branches() {
    project sq_branches
    mkdir schema
    echo "schema = schema" >>mig.ini
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY);" >schema/a.sql
    m revision --autogenerate -m "a"
    local A
    A=$(sed -n 's/^-- mig:revision //p' versions/*_a.sql)
    echo "CREATE TABLE b (id INTEGER PRIMARY KEY);" >schema/b.sql
    m revision --autogenerate -m "b" --head base --branch-label other
    is_rc 0 "a new branch from base: exit 0"
    like "$(cat versions/*_b.sql)" "CREATE TABLE a .*CREATE TABLE b " "--head base: replayed from base, so a and b are made"
    rm versions/*_b.sql
    echo "CREATE TABLE b (id INTEGER PRIMARY KEY);" >schema/b.sql
    rm schema/a.sql
    m revision -m "b only" --head base --branch-label other
    fill versions/*_b_only.sql "CREATE TABLE b (id INTEGER PRIMARY KEY);" "DROP TABLE b;"
    echo "CREATE TABLE a (id INTEGER PRIMARY KEY);" >schema/a.sql
    echo "CREATE TABLE c (id INTEGER PRIMARY KEY);" >schema/c.sql
    m revision --autogenerate -m "c" --head "$A" --depends-on other
    is_rc 0 "--depends-on: exit 0"
    unlike "$(cat versions/*_c.sql)" "CREATE TABLE (a|b) " "--depends-on: the dependency is replayed too (b is not made again)"
    like "$(cat versions/*_c.sql)" "CREATE TABLE c " "--depends-on: c is made"
    m upgrade heads
    is "$(live_snap)" "$(desired_snap)" "branches: after upgrade heads, the desired schema's snapshot"

    # a transactional false revision replays too (statement by statement)
    local C
    C=$(sed -n 's/^-- mig:revision //p' versions/*_c.sql)
    m revision -m "vacuum" --head "$C"
    sed -i 's/^-- mig:create_date.*/&\n-- mig:transactional false/' versions/*_vacuum.sql
    fill versions/*_vacuum.sql "CREATE TABLE d (id INTEGER PRIMARY KEY);
VACUUM;" "DROP TABLE d;"
    is "$(grep -c '^-- mig:transactional false' versions/*_vacuum.sql)" 1 "the VACUUM revision is transactional false"
    echo "CREATE TABLE d (id INTEGER PRIMARY KEY);" >schema/d.sql
    m revision --autogenerate -m "after vacuum" --head "$(sed -n 's/^-- mig:revision //p' versions/*_vacuum.sql)"
    is "$RC|$OUT" "0|No changes in schema detected; no revision written" \
        "a transactional false revision (VACUUM) is replayed: no change"
}

t_sqlite_dump() {
    project sq_dump
    rev_file versions/d1.sql d1 "" "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x');
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));
CREATE INDEX ix_b_a ON b (a_id);
CREATE VIEW vb AS SELECT b.id, a.v FROM b JOIN a ON a.id = b.a_id;
CREATE TRIGGER tb AFTER DELETE ON a BEGIN DELETE FROM b WHERE a_id = OLD.id; END;" ""
    m upgrade
    m dump
    is_rc 0 "dump: exit 0"
    printf '%s\n' "$OUT" >dump.sql
    unlike "$OUT" "mig_version|mig_revision|mig_history" "dump: none of mig's state tables"
    like "$(head -n 1 dump.sql)" "^CREATE TABLE a " "dump: the parent table first"
    is "$(q fresh.db "SELECT mig_snapshot_sql(readfile('dump.sql'));")" "$(q mig.db "SELECT mig_snapshot();")" \
        "dump: its output builds a database with the same snapshot"
    mkdir -p ../sq_dump2/versions && cp dump.sql ../sq_dump2/ && cd ../sq_dump2 || bail "cd"
    printf '[mig]\nurl = sqlite:mig.db\nversions = versions\nschema = dump.sql\n' >mig.ini
    m revision --autogenerate -m "from the dump"
    is_rc 0 "dump as a desired schema: revision --autogenerate exits 0"
    m upgrade
    is "$(q mig.db "SELECT mig_snapshot();")" "$(q ../sq_dump/mig.db "SELECT mig_snapshot();")" \
        "dump as a desired schema: the new database has the dumped one's snapshot"
    cd ../sq_dump || bail "cd"
    m dump --table b
    is_rc 0 "dump --table b: exit 0"
    is "$(grep -c '^CREATE' <<<"$OUT")" 2 "dump --table b: table b and its index only"
    like "$OUT" "CREATE INDEX ix_b_a" "dump --table b: the index of b"
    m --json dump
    is "$(jq_ "$OUT" '$j->{sql}')" "$(cat dump.sql)" "dump --json: {\"sql\": the same text}"
    m dump --table nosuch
    is "$RC|$OUT" "0|" "dump --table of no table: nothing"
}

t_sqlite_errors() {
    project sq_err
    mkdir schema
    echo "schema = schema" >>mig.ini
    echo "CREATE TABLE t (a INTEGER PRIMARY KEY);" >schema/01.sql
    m revision --autogenerate -m first
    m upgrade
    local before files
    before=$(snapshot_db mig.db)
    files=$(ls versions)
    printf 'CREATE TABLE u (\n  a INTEGER,\n  b TEXT,\n);\n' >schema/02.sql
    m revision --autogenerate -m broken
    is_rc 1 "a syntax error in the desired schema: exit 1"
    like "$ERR1" "schema/02\.sql, line 1: " "... the error names the file and the line"
    like "$ERR" "syntax error" "... and SQLite's message"
    is "$(ls versions)" "$files" "... no revision file written"
    is "$(snapshot_db mig.db)" "$before" "... the live database untouched"
    ls "${TMPDIR:-/tmp}"/mig_scratch_* /mig_scratch_* mig_scratch_* file:* >/dev/null 2>&1
    ok $((!$?)) "... no scratch file anywhere (the replay is in memory)"
    printf 'CREATE TABLE u (a INTEGER);\nCREATE TABLE u (b INTEGER);\n' >schema/02.sql
    m revision --autogenerate -m dup
    like "$ERR1" "schema/02\.sql, line 2: .*already exists" "a failing second statement: its file and line"
    rm schema/02.sql
    mkdir empty
    sed -i 's/^schema = schema/schema = empty/' mig.ini
    m revision --autogenerate -m "empty folder"
    is_rc 1 "a schema folder with no .sql file: exit 1"
    like "$ERR1" "mig.ini \[mig\] schema names no \.sql file" "... says so, naming the key"
    is "$(ls versions)" "$files" "... no revision file written"
    sed -i 's/^schema = empty/schema = nosuch/' mig.ini
    m revision --autogenerate -m missing
    is_rc 1 "a missing schema path: exit 1"
    like "$ERR1" "nosuch .*mig.ini \[mig\] schema.*No such file" "... names the path and the key"
    sed -i '/^schema/d' mig.ini
    m revision --autogenerate -m nokey
    is_rc 1 "no schema key: exit 1"
    like "$ERR1" "schema = PATH" "... says to add schema = PATH"
    echo "schema = schema" >>mig.ini
    m revision --autogenerate -m ren --rename-table t:u
    is_rc 1 "a rename hint that matches nothing: exit 1"
    like "$ERR1" "rename hint: table \"t\" to \"u\"" "... the error names the hint"
    is "$(ls versions)" "$files" "... no revision file written"
}

t_sqlite_usage() {
    project sq_usage
    m revision -m x --from-db
    is_rc 2 "--from-db without --autogenerate: usage error"
    m revision -m x --autogenerate --rename-column nodot:new
    is_rc 1 "--rename-column without TABLE.: exit 1"
    like "$ERR1" "expected TABLE.OLD:NEW" "... says the form"
    m upgrade --table x
    is_rc 2 "--table on upgrade: usage error"
    echo "kinds = table, tables" >>mig.ini
    m dump
    is_rc 1 "a wrong kind in mig.ini: exit 1"
    like "$ERR" "kinds.*element 1.*hint: .*keys schemas, kinds, include and exclude of section \[mig\] of mig.ini" \
        "... mig_snapshot's error, and a hint naming mig.ini's keys"
    sed -i '/^kinds/d' mig.ini
    echo "schemaz = x" >>mig.ini
    m current
    like "$ERR1" "unknown key \"schemaz\".*schema, dev_url" "an unknown key: the known list names schema and dev_url"
}

# ---- PostgreSQL -----------------------------------------------------------------------------

pgproject() {
    project "$1"
    newdb "$2"
    printf '[mig]\nurl = %s\nversions = versions\nschema = schema\n' "$U" >mig.ini
    mkdir -p schema
}
pg_live_snap() {
    pg_snap "$DB"
}
# the desired schema built by psql in a fresh database, then its snapshot
pg_desired_snap() {
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS ag_want" >/dev/null 2>&1
    psql -q -X -d postgres -c "CREATE DATABASE ag_want TEMPLATE template0" >/dev/null || bail "createdb ag_want"
    pq ag_want "CREATE EXTENSION mig" >/dev/null
    cat schema/*.sql | psql -q -X -v ON_ERROR_STOP=1 -d ag_want >/dev/null 2>&1 || echo "psql failed on the desired schema"
    pg_ext_snap ag_want
}
pg_step() {
    local desc=$1 nfiles want
    nfiles=$(ls versions | wc -l)
    m revision --autogenerate -m "$desc"
    is_rc 0 "pg $desc: revision --autogenerate exits 0"
    is "$(ls versions | wc -l)" $((nfiles + 1)) "pg $desc: one new revision file"
    is "$(scratch_dbs)" 0 "pg $desc: no scratch database left"
    m upgrade head
    is_rc 0 "pg $desc: upgrade head exits 0"
    want=$(pg_desired_snap)
    is "$(pg_live_snap)" "$want" "pg $desc: after upgrade, the live snapshot is the desired schema's"
    m downgrade -1
    is_rc 0 "pg $desc: downgrade -1 exits 0"
    is "$(pg_live_snap)" "$PREV" "pg $desc: downgrade -1 gives the previous snapshot back"
    m upgrade head
    is "$(pg_live_snap)" "$want" "pg $desc: upgrade again: the desired schema's snapshot"
    m revision --autogenerate -m "$desc again"
    is "$RC|$OUT" "0|No changes in schema detected; no revision written" "pg $desc: a second --autogenerate writes nothing and says so"
    is "$(ls versions | wc -l)" $((nfiles + 1)) "pg $desc: ... no file"
    PREV=$want
}

t_pg_steps() {
    pgproject pg_steps ag_steps
    m upgrade # the extension, at base
    PREV=$(pg_live_snap)
    cat >schema/10_types.sql <<'EOF'
CREATE TYPE mood AS ENUM ('happy', 'sad');
EOF
    cat >schema/20_tables.sql <<'EOF'
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, m mood);
CREATE INDEX ix_users_email ON users (email);
EOF
    pg_step "create users"
    pq "$DB" "INSERT INTO users (email, m) VALUES ('ada@example.org', 'sad')" >/dev/null

    cat >schema/20_tables.sql <<'EOF'
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, m mood, name varchar(50));
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE TABLE posts (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES users (id),
                    title text NOT NULL CHECK (title <> ''), CONSTRAINT posts_title_u UNIQUE (user_id, title));
EOF
    pg_step "posts, a column, a unique index"

    cat >schema/30_code.sql <<'EOF'
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := trim(NEW.title); RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE INSERT OR UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW user_names AS SELECT id, name FROM users;
EOF
    pg_step "a function, a trigger, a view"

    sed -i 's/name varchar(50)/name varchar(200)/' schema/20_tables.sql
    pg_step "the column under the view changes type"

    # replaceable objects: the function's new body, the view's new query;
    # the downgrade holds the previous ones, written by nobody
    cat >schema/30_code.sql <<'EOF'
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := upper(trim(NEW.title)); RETURN NEW; END $$;
CREATE TRIGGER posts_touch BEFORE INSERT OR UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW user_names AS SELECT id, name FROM users WHERE name IS NOT NULL;
EOF
    pg_step "a new function body, a new view query"
    REVF=$(ls versions/*a_new_function_body*.sql)
    up=$(sed -n '/^-- mig:upgrade/,/^-- mig:downgrade/p' "$REVF")
    down=$(sed -n '/^-- mig:downgrade/,$p' "$REVF")
    like "$up" "CREATE OR REPLACE FUNCTION public.touch" "replaceable: the upgrade replaces the function"
    like "$up" "upper\(trim\(NEW.title\)\)" "replaceable: ... with its new body"
    like "$down" "NEW.title := trim\(NEW.title\)" "replaceable: the downgrade puts the previous body back"
    like "$up" "FROM public.users"$'\n'"  WHERE \\(users.name IS NOT NULL\\);" "replaceable: the upgrade has the view's new query"
    like "$down" "SELECT users.id,"$'\n'"    users.name"$'\n'"   FROM public.users;" \
        "replaceable: the downgrade puts the view's previous query back"

    # a column renamed, with the hint: the index follows, the values stay
    sed -i 's/email text NOT NULL/mail text NOT NULL/; s/ON users (email)/ON users (mail)/' schema/20_tables.sql
    m revision --autogenerate -m "email is mail" --rename-column users.nosuch:mail
    is_rc 1 "pg: a rename hint that matches nothing: exit 1"
    like "$ERR" "hint: Rename hint 0 is --rename-column users.nosuch:mail" "pg: ... the hint is named as it was given"
    m revision --autogenerate -m "email is mail" --rename-column users.email:mail
    is_rc 0 "pg rename column: exit 0"
    unlike "$ERR" "loses data" "pg rename column with --rename-column: nothing marked as losing data"
    like "$(cat versions/*email_is_mail.sql)" "RENAME COLUMN email TO mail" "pg rename column: the revision renames"
    m upgrade head
    is "$(pg_live_snap)" "$(pg_desired_snap)" "pg rename column: the desired schema's snapshot"
    is "$(pq "$DB" "SELECT mail FROM users")" "ada@example.org" "pg rename column: the value is kept"
    m downgrade -1
    is "$(pg_live_snap)" "$PREV" "pg rename column: downgrade -1 gives the previous snapshot back"
    m upgrade head
    PREV=$(pg_live_snap)

    # a new enum value that a default uses: the revision runs outside a transaction
    cat >schema/10_types.sql <<'EOF'
CREATE TYPE mood AS ENUM ('happy', 'meh', 'sad');
EOF
    sed -i "s/m mood,/m mood DEFAULT 'meh',/" schema/20_tables.sql
    m revision --autogenerate -m "enum value used at once"
    is_rc 0 "pg enum value used at once: exit 0"
    is "$(grep -c '^-- mig:transactional false' versions/*enum_value_used_at_once.sql)" 1 \
        "pg enum value used at once: the revision is transactional false"
    m upgrade head
    is_rc 0 "pg enum value used at once: upgrade exits 0"
    is "$(pg_live_snap)" "$(pg_desired_snap)" "pg enum value used at once: the desired schema's snapshot"
    is "$(pq "$DB" "SELECT mail || ' ' || m FROM users")" "ada@example.org sad" "pg: the row kept its values"
    is "$(scratch_dbs)" 0 "pg: no scratch database left after the steps"
}

t_pg_dump() {
    pgproject pg_dump ag_dump
    rev_file versions/p1.sql p1 "" "CREATE TYPE color AS ENUM ('red', 'blue');
CREATE TABLE a (id serial PRIMARY KEY, c color NOT NULL DEFAULT 'red');
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id));
CREATE INDEX ix_b_a ON b (a_id);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RETURN NEW; END \$\$;
CREATE TRIGGER tb BEFORE INSERT ON b FOR EACH ROW EXECUTE FUNCTION f();
CREATE VIEW vb AS SELECT b.id, a.c FROM b JOIN a ON a.id = b.a_id;" ""
    m upgrade
    m dump
    is_rc 0 "pg dump: exit 0"
    printf '%s\n' "$OUT" >dump.sql
    unlike "$OUT" "mig_version|mig_revision|mig_history" "pg dump: none of mig's state tables"
    unlike "$OUT" "CREATE SCHEMA public|CREATE EXTENSION" "pg dump: not what a fresh database has (public, plpgsql)"
    newdb ag_dump_fresh
    [ "${MIG_TEST_ENGINE:-}" = client ] || pq ag_dump_fresh "CREATE EXTENSION mig" >/dev/null
    psql -q -X -v ON_ERROR_STOP=1 -d ag_dump_fresh -f dump.sql >/dev/null 2>&1
    ok $? "pg dump: psql runs it in a fresh database"
    is "$(pg_snap ag_dump_fresh)" "$(pg_snap ag_dump)" \
        "pg dump: its output builds a database with the same snapshot"
    m dump --table b
    is "$(grep -c '^CREATE' <<<"$OUT")" 3 "pg dump --table b: the table, its index and its trigger"
    unlike "$OUT" "DROP" "pg dump --table b: nothing dropped"
}

t_pg_errors() {
    pgproject pg_err ag_err
    echo "CREATE TABLE t (a int PRIMARY KEY);" >schema/01.sql
    m revision --autogenerate -m first
    m upgrade
    local before files
    before=$(pg_live_snap)
    files=$(ls versions)
    printf '\\connect whatever\nCREATE TABLE u (a int);\n\nCREATE TABLE v (\n  a int,\n);\n' >schema/02.sql
    m revision --autogenerate -m broken
    is_rc 1 "pg: a syntax error in the desired schema: exit 1"
    like "$ERR1" "schema/02\.sql, line 4: .*syntax error" "pg: ... names the file and the statement's line"
    is "$(ls versions)" "$files" "pg: ... no revision file written"
    is "$(pg_live_snap)" "$before" "pg: ... the live database untouched"
    is "$(scratch_dbs)" 0 "pg: ... the scratch databases dropped after the failure"
    rm schema/02.sql
    # a revision that fails when it is replayed: named, nothing written, nothing left
    local head
    head=$(sed -n 's/^-- mig:revision //p' versions/*_first.sql)
    rev_file versions/zz_bad.sql zz "$head" "SELECT 1/0;" ""
    files=$(ls versions)
    echo "CREATE TABLE w (a int);" >schema/03.sql
    m revision --autogenerate -m after_bad
    is_rc 1 "pg: a revision that fails in the replay: exit 1"
    like "$ERR" "zz_bad\.sql: .*division by zero" "pg: ... the error names the revision file and the database's message"
    like "$ERR" "could not be replayed in a scratch database" "pg: ... and says it happened in the replay"
    is "$(ls versions)" "$files" "pg: ... no revision file written"
    is "$(pg_live_snap)" "$before" "pg: ... the live database untouched"
    is "$(scratch_dbs)" 0 "pg: ... the scratch database dropped"
}

t_pg_scratch() {
    pgproject pg_scratch ag_scratch
    echo "CREATE TABLE t (a int PRIMARY KEY);" >schema/01.sql
    m revision --autogenerate -m first
    m upgrade
    echo "CREATE TABLE t2 (a int);" >>schema/01.sql
    local files point
    files=$(ls versions)
    for point in scratch-created replayed desired-built; do
        { MIG_TEST_SIGNAL_AT=$point m revision --autogenerate -m killed; } 2>/dev/null # (no "Terminated" from bash)
        is "$RC" 143 "SIGTERM at $point: the client dies of SIGTERM (143)"
        is "$(scratch_dbs)" 0 "SIGTERM at $point: no scratch database left"
        is "$(ls versions)" "$files" "SIGTERM at $point: no file written"
    done
    # a dev_url naming another database of the server
    newdb ag_dev
    printf 'dev_url = %s\n' "$U" >>mig.ini
    m revision --autogenerate -m "with dev_url"
    is_rc 0 "dev_url: exit 0"
    is "$(scratch_dbs)" 0 "dev_url: no scratch database left"
    m upgrade
    is "$(pq ag_scratch "SELECT count(*) FROM pg_tables WHERE tablename = 't2'")" 1 "dev_url: the revision made t2"
    # --from-db: the live database instead of the replay
    echo "CREATE INDEX ix_t2 ON t2 (a);" >>schema/01.sql
    DB=ag_scratch
    m revision --autogenerate --from-db -m "index from the live database"
    is_rc 0 "pg --from-db: exit 0"
    like "$(cat versions/*index_from_the_live_database.sql)" "CREATE INDEX ix_t2 ON public.t2" "pg --from-db: the new index"
    m upgrade
    is "$(pg_live_snap)" "$(pg_desired_snap)" "pg --from-db: after upgrade, the desired schema's snapshot"
    is "$(scratch_dbs)" 0 "pg --from-db: no scratch database left"
    # what a kill -9 leaves behind: the next run drops a marked one over an
    # hour old that nobody uses, and nothing else
    local old=mig_scratch_00000000000000aa young=mig_scratch_00000000000000bb other=mig_scratch_00000000000000cc
    for d in $old $young $other; do pq postgres "CREATE DATABASE $d OWNER $DBOWNER" >/dev/null; done
    pq postgres "COMMENT ON DATABASE $old IS 'mig scratch database, created $(date -u -d '-2 hours' '+%Y-%m-%d %H:%M:%S')'" >/dev/null
    pq postgres "COMMENT ON DATABASE $young IS 'mig scratch database, created $(date -u '+%Y-%m-%d %H:%M:%S')'" >/dev/null
    echo "CREATE TABLE t3 (a int);" >>schema/01.sql
    m revision --autogenerate -m "after a kill -9"
    is_rc 0 "stale scratch: exit 0"
    like "$ERR" "dropped the scratch database $old, left behind over an hour ago" "stale scratch: says which it dropped"
    is "$(pq postgres "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'mig_scratch_%'")" \
        "$young $other" "stale scratch: the one over an hour old is dropped; a young one and an unmarked one are kept"
    for d in $young $other; do pq postgres "DROP DATABASE $d" >/dev/null; done
}

run_sections "$ALL_SECTIONS"

#!/bin/bash
# The client's own engine on PostgreSQL (client/pg_engine.c): managed
# PostgreSQL, where the mig extension cannot be created.  Each database is
# owned by a role that may log in and nothing else (no superuser, no
# CREATE EXTENSION of an untrusted extension), as on a managed service.
# Run inside tests/pg/cluster.sh, with the extension installed for the
# sections that switch engines: tests/run/78-client-pg-engine.t.
. "$(dirname "$0")/lib.sh"
[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || bail "run me inside tests/pg/cluster.sh"
client_setup

ALL_SECTIONS="basic schemas lock role_carry same_output ddl atomic nontx branches tenants mig_x batch concurrent to_extension to_client"

psql -X -q -d postgres -c "DROP ROLE IF EXISTS deployer; CREATE ROLE deployer LOGIN" >/dev/null 2>&1

# ownproject NAME DB: a project on DB, a database owned by role deployer.
ownproject() {
    project "$1"
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $2" >/dev/null 2>&1
    createdb -O deployer "$2" || bail "createdb $2"
    DB=$2
    U="postgresql:///$2?host=$PGHOST&port=$PGPORT&user=deployer"
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
}

# as_deployer DB SQL
as_deployer() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -U deployer -d "$1" -c "$2" 2>&1
}

three_revs() {
    rev_file versions/a1.sql a1 "" "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);" "DROP TABLE users;"
    rev_file versions/a2.sql a2 a1 "ALTER TABLE users ADD COLUMN email text;
CREATE INDEX ix_users_email ON users (email);" "ALTER TABLE users DROP COLUMN email;"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users);" "DROP TABLE orders;"
}

# ---- upgrade, downgrade, stamp, current, history, check --------------------------------------------------------------------
t_basic() {
    ownproject basic eng_basic
    like "$(as_deployer "$DB" "CREATE EXTENSION mig")" "permission denied|must be superuser" \
        "role deployer may not create the extension"
    three_revs
    m upgrade
    is_rc 0 "upgrade: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "$(printf 'Running upgrade  -> a1, rev a1\nRunning upgrade a1 -> a2, rev a2\nRunning upgrade a2 -> a3, rev a3')" \
        "upgrade: the Running lines"
    is "$(grep -c '^mig: engine: client' <<<"$ERR")" 1 "the engine is named once, on standard error"
    like "$ERR" "may not create the mig extension" "... with the reason"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "no extension"
    is "$(pq "$DB" "SELECT string_agg(c.relname || ':' || r.rolname, ' ' ORDER BY c.relname) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.relnamespace = 'mig'::regnamespace AND c.relkind = 'r'")" \
        "mig_history:deployer mig_revision:deployer mig_version:deployer" "the state tables, in schema mig, owned by the deploying role"
    is "$(pq "$DB" "SELECT count(*) FROM information_schema.role_table_grants WHERE table_schema = 'mig' AND grantee = 'PUBLIC'")" 0 \
        "PUBLIC has no grant on them"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" a3 "at a3"
    m current
    is "$OUT" "a3 (head)" "current"
    m -q upgrade
    is "$ERR" "" "-q: the engine line is not printed"
    m --json current
    unlike "$ERR" "engine" "--json: the engine line is not printed"
    m downgrade -1
    is_rc 0 "downgrade -1: exit 0"
    is "$(grep_lines "$OUT" '^Running ')" "Running downgrade a3 -> a2, rev a3" "downgrade -1: one Running line"
    m check
    is_rc 1 "check behind: exit 1"
    m history --indicate-current
    is "$OUT" "$(printf 'a2 -> a3 (head), rev a3\na1 -> a2 (current), rev a2\n<base> -> a1, rev a1')" "history --indicate-current"
    m stamp a3
    is_rc 0 "stamp a3: exit 0"
    is "$(pq "$DB" "SELECT to_regclass('orders') IS NULL")" t "stamp ran nothing"
    m stamp a2
    m downgrade base
    is_rc 0 "stamp a2, downgrade base: exit 0"
    is "$(pq "$DB" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" 0 "nothing left in public"
    is "$(pq "$DB" "SELECT string_agg(direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "upgrade upgrade upgrade downgrade stamp stamp downgrade downgrade" "mig_history: every step, in order"
    m --engine extension current
    is_rc 0 "--engine extension current on a client-made state: exit 0 (reading needs no extension)"
    m --engine nonsense current
    is_rc 2 "--engine nonsense: exit 2"
}

# ---- the same output as the extension ----------------------------------------------------------------------------------------
t_same_output() {
    local outs=() k
    for k in extension client; do
        project "same_$k"
        newdb "eng_same_$k"
        printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
        three_revs
        rev_file versions/a4.sql a4 a3 "CREATE TABLE t4 (x int);
INSERT INTO t4 VALUES ('not a number');" "DROP TABLE t4;"
        local all=""
        m --engine $k upgrade a3
        all+="$RC|$(grep -v '^Upgraded\|^mig: engine' <<<"$OUT"$'\n'"$ERR")"$'\n'
        m --engine $k upgrade
        all+="$RC|$(grep -v '^mig: engine' <<<"$OUT"$'\n'"$ERR")"$'\n'
        rev_file versions/a4.sql a4 a3 "CREATE TABLE t4 (x int;" "DROP TABLE t4;"
        m --engine $k upgrade
        all+="$RC|$(grep -v '^mig: engine' <<<"$OUT"$'\n'"$ERR")"$'\n'
        rev_file versions/a4.sql a4 a3 "CREATE TABLE t4 (x int);
COMMIT;" "DROP TABLE t4;"
        m --engine $k upgrade
        all+="$RC|$(grep -v '^mig: engine' <<<"$OUT"$'\n'"$ERR")"$'\n'
        for c in current "history -v" check heads "downgrade a1 --sql"; do
            m --engine $k $c
            all+="$RC|$(grep -v '^mig: engine' <<<"$OUT"$'\n'"$ERR" | sed 's/[0-9-]* [0-9:.]*+00//g')"$'\n'
        done
        m --engine $k downgrade base
        all+="$RC|$(grep -v '^Downgraded\|^mig: engine' <<<"$OUT"$'\n'"$ERR")"$'\n'
        all+=$(pq "$DB" "SELECT string_agg(revision || ':' || direction || ':' || checksum, ' ' ORDER BY id) FROM mig.mig_history")
        outs+=("$all")
    done
    [ "${outs[1]}" != "${outs[0]}" ] && diag "$(diff <(echo "${outs[0]}") <(echo "${outs[1]}"))"
    is "${outs[1]}" "${outs[0]}" "upgrade, failures (runtime, syntax, COMMIT), current, history, check, heads, downgrade: the same output and history with either engine"
}

# ---- a revision's SET ROLE lasts to the end of the call, with either engine --------------------------------------------------
t_role_carry() {
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS carry_role; CREATE ROLE carry_role" >/dev/null 2>&1
    local k got=()
    for k in extension client; do
        project "carry_$k"
        newdb "eng_carry_$k"
        pq "$DB" "GRANT CREATE ON SCHEMA public TO carry_role" >/dev/null
        printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
        rev_file versions/r1.sql r1 "" "SET ROLE carry_role;" "RESET ROLE;"
        rev_file versions/r2.sql r2 r1 "CREATE TABLE made_by (x int);" "DROP TABLE made_by;"
        rev_file versions/r3.sql r3 r2 "RESET ROLE;
CREATE TABLE made_after (x int);" "DROP TABLE made_after;"
        m --engine $k upgrade
        is_rc 0 "$k: upgrade through a revision that says SET ROLE: exit 0"
        got+=("$(pq "$DB" "SELECT string_agg(c.relname || ':' || r.rolname, ' ' ORDER BY c.relname) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.relname LIKE 'made%'")|$(pq "$DB" "SELECT string_agg(DISTINCT applied_by, ' ') FROM mig.mig_history")")
    done
    is "${got[0]}" "made_after:postgres made_by:carry_role|postgres" \
        "extension: the next revision runs as the role the previous one set, until one resets it; history as the deploying role"
    is "${got[1]}" "${got[0]}" "client's engine: the same"
}

# ---- the state tables are the extension's ------------------------------------------------------------------------------------
tabledef() {
    pq "$1" "SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE c.relnamespace = 'mig'::regnamespace AND c.relkind IN ('r', 'S') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1"
    pq "$1" "SELECT indexdef FROM pg_indexes WHERE schemaname = 'mig' ORDER BY 1"
    pq "$1" "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'mig'::regnamespace ORDER BY 1"
    pq "$1" "SELECT relname || ' ' || coalesce(relacl::text, '') FROM pg_class WHERE relnamespace = 'mig'::regnamespace AND relkind IN ('r', 'S') ORDER BY 1" | sed 's/[a-z_]*=[a-zA-Z*]*\/[a-z_]*//g'
}

t_ddl() {
    ownproject ddl eng_ddl_client
    three_revs
    m upgrade
    is_rc 0 "client: upgrade"
    newdb eng_ddl_ext
    pq "$DB" "CREATE EXTENSION mig" >/dev/null
    local a b
    a=$(tabledef eng_ddl_client)
    b=$(tabledef eng_ddl_ext)
    is "$a" "$b" "the client's state tables: the extension's columns, types, defaults, indexes, constraints and grants"
    like "$a" "mig_history.id bigint" "... (compared: $(wc -l <<<"$a") lines)"
}

# ---- a failure rolls back everything ----------------------------------------------------------------------------------------------
t_atomic() {
    ownproject atomic eng_atomic
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
    like "$ERR" "a3.*upgrade.*line 7: division by zero" "the error: revision, direction, line, the statement's message"
    is "$(pgsnap "$DB")" "$snap" "schema, mig_version, mig_history, mig_revision: as before (the upload rolled back too)"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x int);
BEGIN;" "DROP TABLE t3;"
    m upgrade
    is_rc 1 "a revision with BEGIN: refused"
    like "$ERR" "BEGIN is not allowed in a revision" "... as the extension refuses it"
    is "$(pgsnap "$DB")" "$snap" "... nothing changed"
    rev_file versions/a3.sql a3 a2 "CREATE TABLE t3 (x int);" "DROP TABLE t3;"
    m upgrade
    is_rc 0 "fixed: upgrade exits 0"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" a3 "fixed: at a3"
}

# ---- transactional false ----------------------------------------------------------------------------------------------------------
t_nontx() {
    ownproject nontx eng_nontx
    rev_file versions/n1.sql n1 "" "CREATE TABLE big (x int); INSERT INTO big SELECT generate_series(1, 1000);" "DROP TABLE big;"
    rev_file versions/n2.sql n2 n1 "CREATE INDEX CONCURRENTLY ix_big_x ON big (x);" "DROP INDEX CONCURRENTLY ix_big_x;" \
        "-- mig:transactional false"
    rev_file versions/n3.sql n3 n2 "CREATE TABLE after_ix (x int);" "DROP TABLE after_ix;"
    m upgrade
    is_rc 0 "upgrade through a transactional false revision: exit 0"
    is "$(grep_lines "$OUT" '^Running ' | wc -l)" 3 "three Running lines"
    is "$(pq "$DB" "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_big_x'")" 1 "the concurrent index exists"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "n1:upgrade n2:upgrade n3:upgrade" "history: each once"
    m downgrade base
    is_rc 0 "downgrade base: exit 0"
    is "$(pq "$DB" "SELECT count(*) FROM pg_class WHERE relname IN ('big', 'ix_big_x', 'after_ix')")" 0 "all dropped"
}

# ---- branches and merges -----------------------------------------------------------------------------------------------------------
t_branches() {
    ownproject branches eng_branches
    rev_file versions/b0.sql b0 "" "CREATE TABLE b0 (x int);" "DROP TABLE b0;"
    rev_file versions/b1.sql b1 b0 "CREATE TABLE b1 (x int);" "DROP TABLE b1;" "-- mig:branch_labels left"
    rev_file versions/b2.sql b2 b0 "CREATE TABLE b2 (x int);" "DROP TABLE b2;" "-- mig:branch_labels right"
    m upgrade left@head
    is_rc 0 "upgrade left@head: exit 0"
    m current
    is "$OUT" "b1 (head)" "current: b1"
    m upgrade heads
    is_rc 0 "upgrade heads: exit 0"
    is "$(pq "$DB" "SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM mig.mig_version")" "b1 b2" "two heads"
    rev_file versions/m.sql m "b1, b2" "CREATE TABLE m (x int);" "DROP TABLE m;"
    m upgrade
    is_rc 0 "upgrade through the merge: exit 0"
    is "$(pq "$DB" "SELECT string_agg(version_num, ' ') FROM mig.mig_version")" "m" "one head: the merge"
    m downgrade b2
    is_rc 0 "downgrade b2 (below the merge): exit 0"
    is "$(pq "$DB" "SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM mig.mig_version")" "b1 b2" "two heads again"
    m downgrade left@b0
    is_rc 0 "downgrade left@b0: exit 0"
    is "$(pq "$DB" "SELECT string_agg(version_num, ' ' ORDER BY version_num) FROM mig.mig_version")" "b2" "the left branch undone"
}

# ---- tenants ---------------------------------------------------------------------------------------------------------------------------
t_tenants() {
    ownproject tenants eng_tenants
    rev_file versions/t1.sql t1 "" "CREATE TABLE items (id int PRIMARY KEY);" "DROP TABLE items;"
    rev_file versions/t2.sql t2 t1 "ALTER TABLE items ADD COLUMN name text;" "ALTER TABLE items DROP COLUMN name;"
    as_deployer "$DB" "CREATE SCHEMA acme; CREATE SCHEMA beta" >/dev/null
    m --tenant acme upgrade
    is_rc 0 "--tenant acme upgrade: exit 0"
    m --tenant beta upgrade t1
    is_rc 0 "--tenant beta upgrade t1: exit 0"
    is "$(pq "$DB" "SELECT string_agg(tenant || '=' || version_num, ' ' ORDER BY tenant) FROM mig.mig_version")" "acme=t2 beta=t1" \
        "separate version state per tenant"
    is "$(pq "$DB" "SELECT string_agg(table_schema || '.' || column_name, ' ' ORDER BY table_schema, ordinal_position) FROM information_schema.columns WHERE table_name = 'items'")" \
        "acme.id acme.name beta.id" "the tables in each tenant's schema (nothing in public)"
    m --tenant acme current
    is "$OUT" "t2 (head)" "--tenant acme current: t2"
    m current
    is "$OUT" "" "no tenant: at base"
    m --tenant nosuchschema upgrade
    is_rc 1 "--tenant with a schema that does not exist: exit 1"
    like "$ERR" "tenant schema \"nosuchschema\" does not exist" "... said as the extension says it"
    # a schema that another role owns, or in which PUBLIC may create: refused, as the extension refuses it
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS other_owner; CREATE ROLE other_owner" >/dev/null 2>&1
    pq "$DB" "CREATE SCHEMA theirs AUTHORIZATION other_owner; GRANT USAGE, CREATE ON SCHEMA theirs TO deployer" >/dev/null
    m --tenant theirs upgrade
    is_rc 1 "--tenant theirs (owned by another role): exit 1"
    like "$ERR" "tenant schema \"theirs\" is owned by role \"other_owner\", which role \"deployer\" does not control" \
        "... the schema's owner is named"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_version WHERE tenant = 'theirs'")" 0 "... nothing ran"
    as_deployer "$DB" "GRANT CREATE ON SCHEMA beta TO PUBLIC" >/dev/null
    m --tenant beta upgrade
    is_rc 1 "--tenant beta, where PUBLIC may create: exit 1"
    like "$ERR" "every role \(PUBLIC\) may create objects in tenant schema \"beta\"" "... said so"
    like "$ERR" "REVOKE CREATE ON SCHEMA beta FROM PUBLIC" "... with the fix"
    as_deployer "$DB" "REVOKE CREATE ON SCHEMA beta FROM PUBLIC" >/dev/null
    # a schema the deploying role has no USAGE on: the server would leave it
    # out of the search path, and the revisions would run in public
    pq "$DB" "CREATE SCHEMA hidden" >/dev/null
    m --tenant hidden upgrade
    is_rc 1 "--tenant hidden (no USAGE for the deploying role): exit 1"
    like "$ERR" "role \"deployer\" has no USAGE on tenant schema \"hidden\"" "... said so"
    like "$ERR" "GRANT USAGE, CREATE ON SCHEMA hidden TO deployer" "... with the fix"
    is "$(pq "$DB" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")|$(pq "$DB" "SELECT count(*) FROM mig.mig_version WHERE tenant = 'hidden'")" \
        "0|0" "... nothing created in public, nothing recorded"
    m --tenant acme downgrade base
    is_rc 0 "--tenant acme downgrade base: exit 0"
    # a revision's own SET ROLE / SET search_path end with the call, as with the extension
    rev_file versions/t3.sql t3 t2 "SET ROLE other_owner; SET search_path = pg_catalog; RESET ROLE;
SET ROLE other_owner;" "RESET ROLE;"
    psql -X -q -d postgres -c "GRANT other_owner TO deployer" >/dev/null
    m --tenant beta upgrade
    is_rc 0 "--tenant beta upgrade through a revision that sets the role and the search path: exit 0"
    is "$(pq "$DB" "SELECT string_agg(tenant || '=' || version_num || ':' || (SELECT applied_by FROM mig.mig_history h WHERE h.tenant = v.tenant ORDER BY id DESC LIMIT 1), ' ' ORDER BY tenant) FROM mig.mig_version v")" \
        "beta=t3:deployer" "... recorded as applied by the deploying role"
    m --tenant beta downgrade t2
    is_rc 0 "... and its downgrade: exit 0"
    is "$(pq "$DB" "SELECT string_agg(tenant || ':' || revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "acme:t1:upgrade acme:t2:upgrade beta:t1:upgrade acme:t2:downgrade acme:t1:downgrade beta:t2:upgrade beta:t3:upgrade beta:t3:downgrade" \
        "mig_history records the tenant"
    is "$(as_deployer "$DB" "SELECT 1")" 1 "(the deploying role)"
}

# ---- mig_x() -------------------------------------------------------------------------------------------------------------------------------
t_mig_x() {
    ownproject migx eng_migx
    rev_file versions/x1.sql x1 "" "CREATE TABLE cfg (k text, v text);
INSERT INTO cfg VALUES ('region', mig_x('region')), ('none', mig_x('nothing'));" "DROP TABLE cfg;"
    m -x region=eu upgrade
    is_rc 0 "a revision calling mig_x(): exit 0"
    is "$(pq "$DB" "SELECT string_agg(k || '=' || coalesce(v, 'NULL'), ' ' ORDER BY k) FROM cfg")" "none=NULL region=eu" \
        "mig_x('region') is the -x value; an unknown key is NULL"
}

# ---- mig_batch() ---------------------------------------------------------------------------------------------------------------------------
t_batch() {
    local k res=()
    for k in extension client; do
        project "batch_$k"
        newdb "eng_batch_$k"
        printf '[mig]\nurl = %s\nversions = versions\nengine = %s\n' "$U" "$k" >mig.ini
        rev_file versions/b1.sql b1 "" "CREATE TABLE \"Users\" (id int, name text, junk int);
SELECT mig_batch('\"Users\"', 'ADD COLUMN email text DEFAULT ''x@y'', DROP COLUMN junk, RENAME COLUMN name TO full_name, ALTER COLUMN id SET NOT NULL');
SELECT mig_batch(\$\$public.\"Users\"\$\$, \$\$ADD CONSTRAINT users_pk PRIMARY KEY (id), RENAME TO people\$\$, '{}');" "DROP TABLE people;"
        m upgrade
        res+=("$RC|$(pq "$DB" "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, ''), ' ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'people'")|$(pq "$DB" "SELECT string_agg(conname, ' ') FROM pg_constraint WHERE conrelid = 'people'::regclass")")
        rev_file versions/b2.sql b2 b1 "SELECT mig_batch('people', 'ADD COLUMN a int, FROBNICATE b');" ""
        m upgrade
        res+=("$RC|$(grep -o 'mig_batch.*' <<<"$ERR" | head -n 1)")
    done
    is "${res[2]}" "${res[0]}" "mig_batch() in a revision: the same ALTER TABLE statements with either engine"
    like "${res[0]}" "^0\|id:integer:NO: full_name:text:YES: email:text:YES:'x@y'::text\|users_pk" "... (the table as the actions made it)"
    is "${res[3]%%|*}" 1 "mig_batch() with an unknown action: exit 1"
    is "${res[3]}" "${res[1]}" "... with the same message"
}

# ---- concurrent deployers ------------------------------------------------------------------------------------------------------------------
t_concurrent() {
    ownproject concurrent eng_concurrent
    local i prev="" pids=() rcs=() k
    for i in 1 2 3 4 5 6; do
        if [ "$i" = 4 ]; then
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE INDEX CONCURRENTLY ix_c3 ON c3 (x);" "DROP INDEX CONCURRENTLY ix_c3;" "-- mig:transactional false"
        else
            rev_file "versions/c$i.sql" "c$i" "$prev" "CREATE TABLE c$i (x int); INSERT INTO c$i SELECT generate_series(1, 100000);" "DROP TABLE c$i;"
        fi
        prev=c$i
    done
    for k in 1 2 3 4; do
        "${MIGCMD[@]}" upgrade >"$T/conc.$k.out" 2>"$T/conc.$k.err" </dev/null &
        pids+=($!)
    done
    for k in 0 1 2 3; do
        wait "${pids[$k]}"
        rcs+=($?)
    done
    if [ "${rcs[*]}" = "0 0 0 0" ]; then
        pass "4 concurrent mig upgrade: all exit 0"
    else
        fail "4 concurrent mig upgrade: all exit 0" "$(printf 'exit statuses: %s\n' "${rcs[*]}"; cat "$T"/conc.*.err)"
    fi
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || n, ' ' ORDER BY revision) FROM (SELECT revision, count(*) AS n FROM mig.mig_history WHERE direction = 'upgrade' GROUP BY revision) s")" \
        "c1:1 c2:1 c3:1 c4:1 c5:1 c6:1" "each revision in history once"
    is "$(cat "$T"/conc.*.out | grep -c '^Running upgrade')" 6 "six Running lines over the four processes"
    is "$(pq "$DB" "SELECT count(*) FROM mig.mig_revision")" 6 "each revision stored once"
    rm -f "$T"/conc.*
}

# ---- switching engines keeps the history ------------------------------------------------------------------------------------------------------
hist() {
    pq "$1" "SELECT string_agg(id || ':' || revision || ':' || direction || ':' || checksum || ':' || applied_by, ' ' ORDER BY id) FROM mig.mig_history"
    pq "$1" "SELECT string_agg(revision || ':' || checksum || ':' || seq, ' ' ORDER BY seq) FROM mig.mig_revision"
    pq "$1" "SELECT string_agg(version_num, ' ') FROM mig.mig_version"
}

t_to_extension() {
    ownproject to_ext eng_to_ext
    three_revs
    m upgrade a2
    m downgrade a1
    m upgrade a2
    is_rc 0 "client engine: upgrade, downgrade, upgrade"
    local before
    before=$(hist "$DB")
    # the administrator (a superuser) gives the database the extension: one step
    local SU="postgresql:///$DB?host=$PGHOST&port=$PGPORT&user=postgres"
    m --url "$SU" --engine extension current
    is_rc 0 "--engine extension current: exit 0"
    is "$OUT" "a2" "... at a2 (the client's state read)"
    m --url "$SU" --engine extension push
    is_rc 0 "--engine extension push (as a superuser): exit 0"
    like "$ERR" "engine: extension .*adopted" "the extension is created and adopts the client's state"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 1 "the extension exists"
    is "$(hist "$DB")" "$before" "history, revisions (upload order) and version: kept"
    pq "$DB" "GRANT USAGE ON SCHEMA mig TO deployer; GRANT SELECT ON ALL TABLES IN SCHEMA mig TO deployer; GRANT EXECUTE ON FUNCTION mig_put_revision(text, text), mig_remove_revision(text, text), mig_upgrade(text, text), mig_downgrade(text, text), mig_stamp(text, text), mig_lock(text), mig_unlock(text) TO deployer" >/dev/null
    m upgrade
    is_rc 0 "the deployer, now with the extension: upgrade exits 0"
    unlike "$ERR" "engine: client" "... with the extension's engine"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "a1:upgrade a2:upgrade a2:downgrade a2:upgrade a3:upgrade" "the history goes on"
    is "$(pq "$DB" "SELECT max(id) FROM mig.mig_history")" 5 "the history's ids go on (the sequences moved on)"
}

t_to_client() {
    project to_client
    newdb eng_to_client
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
    three_revs
    m upgrade a2
    is_rc 0 "extension: upgrade a2"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 1 "with the extension"
    local before
    before=$(hist "$DB")
    m --engine client current
    is "$OUT" "a2" "--engine client on the extension's tables: current a2"
    like "$ERR" "engine: client" "... says so"
    # leaving the extension: its tables are released to the database, then it goes (docs/postgresql.md)
    pq "$DB" "ALTER EXTENSION mig DROP TABLE mig.mig_revision; ALTER EXTENSION mig DROP TABLE mig.mig_version; ALTER EXTENSION mig DROP TABLE mig.mig_history; ALTER EXTENSION mig DROP SEQUENCE mig.mig_revision_seq_seq; ALTER EXTENSION mig DROP SEQUENCE mig.mig_history_id_seq; ALTER EXTENSION mig DROP SCHEMA mig; DROP EXTENSION mig" >/dev/null
    is "$(hist "$DB")" "$before" "the extension dropped, its state kept"
    m upgrade
    is_rc 0 "then the client's engine by itself: upgrade exits 0"
    like "$ERR" "engine: client .*made by the client, without the extension" "... chosen by itself"
    is "$(pq "$DB" "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM mig.mig_history")" \
        "a1:upgrade a2:upgrade a3:upgrade" "the history goes on"
    m downgrade base
    is_rc 0 "downgrade base: exit 0"
}

# ---- schema snapshots and diffs without the extension ---------------------------------------------------------------------
# The full suites run with the client's engine in 78-client-pg-engine-{autogen,drift,squash}.t;
# here, the managed service's situation: an owner role that may create databases, not the extension.
t_schemas() {
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS devops; CREATE ROLE devops LOGIN CREATEDB" >/dev/null 2>&1
    project schemas
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS eng_schemas" >/dev/null 2>&1
    createdb -O devops eng_schemas || bail "createdb eng_schemas"
    DB=eng_schemas
    U="postgresql:///eng_schemas?host=$PGHOST&port=$PGPORT&user=devops"
    printf '[mig]\nurl = %s\nversions = versions\nschema = schema\n' "$U" >mig.ini
    mkdir -p schema
    three_revs
    rev_file versions/a4.sql a4 a3 "CREATE TYPE mood AS ENUM ('ok', 'meh');
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT lower(t) \$\$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN NEW.name := norm(NEW.name); RETURN NEW; END \$\$;
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW user_emails AS SELECT id, norm(email) AS email FROM users WHERE email IS NOT NULL;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON users USING (name = current_user);" "DROP VIEW user_emails; DROP TRIGGER users_touch ON users; DROP FUNCTION touch(); DROP FUNCTION norm(text); DROP TYPE mood; DROP POLICY own ON users; ALTER TABLE users DISABLE ROW LEVEL SECURITY;"
    m -q upgrade
    is_rc 0 "upgrade (role devops: CREATEDB, no CREATE EXTENSION)"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "no extension"

    # the same snapshot as the extension's, of the same schema
    m dump --snapshot
    is_rc 0 "dump --snapshot without the extension: exit 0"
    printf '%s\n' "$OUT" >"$T/.client_snap"
    m dump
    is_rc 0 "dump without the extension: exit 0"
    printf '%s\n' "$OUT" >schema/00_dump.sql
    like "$OUT" "CREATE TABLE public.orders" "dump: the tables"
    like "$OUT" "CREATE OR REPLACE FUNCTION public.touch\\(\\)" "dump: the functions, in the server's own words"
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS eng_schemas_ext" >/dev/null 2>&1
    createdb eng_schemas_ext || bail "createdb eng_schemas_ext"
    pq eng_schemas_ext "CREATE EXTENSION mig" >/dev/null
    psql -q -X -v ON_ERROR_STOP=1 -d eng_schemas_ext -f schema/00_dump.sql >/dev/null 2>&1
    ok $? "the dump runs in psql"
    is "$(pg_ext_snap eng_schemas_ext)" "$(cat "$T/.client_snap")" \
        "the client's snapshot is the extension's, byte for byte (a database built from the dump)"

    # check: drift and the desired schema, without the extension
    m check
    is_rc 0 "check at head, the dump as the desired schema: exit 0"
    m --json check
    is "$(jq_ "$OUT" 'ref $j->{drift} ? scalar @{$j->{drift}} : "null"')|$(jq_ "$OUT" 'ref $j->{desired} ? scalar @{$j->{desired}} : "null"')" \
        "0|0" "check --json: drift and desired checked (empty lists, not null)"
    as_dev() { psql -X -q -A -t -v ON_ERROR_STOP=1 -U devops -d "$DB" -c "$1" 2>&1; }
    as_dev "ALTER TABLE orders ADD COLUMN note text; CREATE INDEX ix_orders_user ON orders (user_id);
CREATE OR REPLACE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT upper(t) \$\$" >/dev/null
    m check
    is_rc 1 "hand-made changes: check exits 1"
    like "$ERR" "drift: table public\.orders: column note added by hand" "... names the added column"
    like "$ERR" "drift: index public\.ix_orders_user added by hand" "... the added index"
    like "$ERR" "drift: function public\.norm\\(text\\): definition changed by hand" "... the replaced function body"
    as_dev "ALTER TABLE orders DROP COLUMN note; DROP INDEX ix_orders_user;
CREATE OR REPLACE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT lower(t) \$\$" >/dev/null
    m check
    is_rc 0 "reverted: check exits 0"

    # autogenerate, upgrade, downgrade, test
    cat >schema/10_more.sql <<'SQL'
CREATE TABLE tags (id int PRIMARY KEY, label text NOT NULL UNIQUE);
ALTER TABLE orders ADD COLUMN tag_id int REFERENCES tags (id);
SQL
    m revision --autogenerate -m "tags"
    is_rc 0 "revision --autogenerate without the extension: exit 0"
    like "$(cat versions/*_tags.sql)" "CREATE TABLE public.tags" "... the new table in the revision"
    m -q upgrade
    is "$(pq "$DB" "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'orders'")" \
        "id,user_id,tag_id" "upgrade: the generated revision ran"
    m revision --autogenerate -m "again"
    is "$RC|$(ls versions | grep -c again)" "0|0" "a second autogenerate writes nothing"
    m test
    is_rc 0 "mig test without the extension: exit 0"
    m downgrade -1
    is "$(pq "$DB" "SELECT to_regclass('public.tags') IS NULL")" t "downgrade -1: the generated downgrade ran"
    is "$(scratch_dbs)" 0 "no scratch database left"
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 0 "and still no extension"

    # a role that may not create databases: what needs a scratch database says so
    ownproject schemas_nocreatedb eng_schemas_nocdb
    three_revs
    m -q upgrade
    m dump
    is_rc 0 "dump needs no scratch database: exit 0"
    m test
    is_rc 1 "test: exit 1"
    like "$OUT" "FAILED  upgrade from base to heads: cannot create a scratch database .*scratch databases need CREATEDB there, or dev_url" \
        "test: the check names the reason (this role may not create databases)"
}

# wait_for DB SQL WANT: poll until the query gives WANT (at most 30 s; a race forced, not timed)
wait_for() {
    local i v=""
    for ((i = 0; i < 600; i++)); do
        v=$(pq "$1" "$2")
        [ "$v" = "$3" ] && return 0
        sleep 0.05
    done
    diag "wait_for: $2 gave $v, not $3"
}

# ---- one deploy lock for both engines -----------------------------------------------------------------------------------------
# --engine client on a database that has the extension: the run holds the
# extension's lock, so a mig_upgrade() in another session waits for it
t_lock() {
    project lock
    newdb eng_lock
    printf '[mig]\nurl = %s\nversions = versions\n' "$U" >mig.ini
    three_revs
    m -q upgrade a1
    is "$(pq "$DB" "SELECT count(*) FROM pg_extension WHERE extname = 'mig'")" 1 "the extension is installed"
    # the client engine's run stops in a revision until a row is there
    rev_file versions/a2.sql a2 a1 "SELECT pg_advisory_lock(4242); SELECT pg_advisory_unlock(4242);
CREATE TABLE l2 (x int);" "DROP TABLE l2;"
    coproc HOLD { psql -X -q -A -t -d "$DB" 2>&1; }
    echo "SELECT 'locked' FROM pg_advisory_lock(4242);" >&"${HOLD[1]}"
    local line=""
    read -r -t 30 line <&"${HOLD[0]}"
    [ "$line" = locked ] || diag "the holding session: $line"
    "${MIGCMD[@]}" --engine client -q upgrade a2 >"$T/.lock.out" 2>&1 &
    local bg=$!
    wait_for "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted" 1
    is "$(pq "$DB" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 28009 AND granted")" 1 \
        "the client engine's run holds the extension's deploy lock"
    like "$(pq "$DB" "SET lock_timeout = '100ms'; SELECT mig_upgrade('a1')")" "cannot lock env \"default\".*lock timeout" \
        "mig_upgrade() in another session waits for it (here until its lock_timeout)"
    echo "SELECT pg_advisory_unlock(4242);" >&"${HOLD[1]}"
    local pid=$HOLD_PID fd=${HOLD[1]}
    exec {fd}>&-
    wait "$pid" 2>/dev/null
    wait "$bg"
    is "$?" 0 "the client engine's run ends once the revision goes on"
    is "$(pq "$DB" "SELECT version_num FROM mig.mig_version")" a2 "at a2"
}

run_sections "$ALL_SECTIONS"

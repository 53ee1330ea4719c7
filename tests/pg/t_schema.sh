#!/bin/bash
# mig_snapshot and mig_diff on PostgreSQL, on a hand-written schema in the
# styles people and pg_dump -s write (tests/pg/schema/shop.sql: enums,
# domains, composite and range types, identity, serial and generated
# columns, partitions, inheritance, exclusion constraints, views over views,
# a materialized view with an index, plpgsql and sql functions, overloads,
# a procedure, triggers of one name on several tables, row-level security,
# grants, comments):
#   - no false differences: the snapshot is the same after pg_dump | psql,
#     after pg_dump -Fc | pg_restore, after VACUUM FULL, after the objects
#     were created in pg_dump's order instead of the file's, and under a
#     hostile search_path; mig_diff(S, S) is empty;
#   - from nothing: mig_diff(empty, S) applied to an empty database through
#     mig_upgrade gives S's snapshot and S's pg_dump -s; its downgrade
#     gives the empty database back;
#   - filters and options; bad input is 22023 (22004 for NULL) and changes
#     nothing.
set -u
fail=0
n=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok - $1"; else
        echo "not ok - $1"
        printf '%s\n' "expected: $2" "got:      $3" | head -c 3000 | sed 's/^/# /'
        fail=1
    fi
}
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
sqlstate() { # the SQLSTATE of a statement that should fail, or "none"
    psql -X -q -t -A -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@" 2>&1 >/dev/null |
        sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -n 1 | grep . || echo none
}
cd "$(dirname "$0")/../.." || exit 1
base=$PGDATABASE
tmp=$(mktemp -d) || exit 1
dbs=()
newdb() { # newdb NAME: an empty database with mig
    dbs+=("$1")
    q -d "$base" -c "CREATE DATABASE \"$1\" TEMPLATE template0" && q -d "$1" -c "CREATE EXTENSION mig"
}
cleanup() {
    local d
    for d in "${dbs[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
snap() { q -d "$1" -c "SELECT mig_snapshot(${2:+'$2'})"; }
# diff_files DB FROM_FILE TO_FILE: mig_diff of two documents kept in files
# (read by psql itself: a large one does not fit in a command line)
diff_files() {
    printf '%s\n' "\\set from \`cat $2\`" "\\set to \`cat $3\`" "SELECT mig_diff(:'from', :'to');" | q -d "$1"
}
# upgrade_with DB REVISION_FILE: upload the revision and upgrade to head
upgrade_with() {
    printf '%s\n' "\\set src \`cat $2\`" "SELECT mig_put_revision(:'src');" "SELECT mig_upgrade('head');" | q -d "$1"
}
# a dump without mig's own objects, the statements in a stable order
dump() {
    # (\restrict lines carry a random key: pg_dump 15.14 and later)
    pg_dump -s -N mig -d "$1" | grep -v '^--' | grep -v '^CREATE EXTENSION IF NOT EXISTS mig\|^COMMENT ON EXTENSION mig' |
        grep -v '^\\\(un\)\?restrict ' |
        awk 'BEGIN { RS = ""; ORS = "\n\n" } { print }' | sort
}
for r in shop_reader shop_writer; do
    q -d "$base" -c "DO \$\$ BEGIN CREATE ROLE $r; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" || exit 1
done

# ---- S, built from the file ---------------------------------------------------------------------------------------
newdb s_file || exit 1
q -d s_file -f tests/pg/schema/shop.sql >/dev/null || { echo "not ok - shop.sql builds"; exit 1; }
S=$(snap s_file)
kinds=$(printf '%s' "$S" | python3 -c 'import json, sys, collections
c = collections.Counter(o["kind"] for o in json.load(sys.stdin)["objects"])
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))')
check "the snapshot lists every object of shop.sql" \
    "extension=2 function=6 index=7 policy=3 schema=3 sequence=2 table=11 trigger=4 type=5 view=4" "$kinds"
check "a snapshot is stable" "$S" "$(snap s_file)"
check "mig's own schema is not in the snapshot" 0 "$(printf '%s' "$S" | grep -c '"name":"mig"')"

# ---- no false differences -----------------------------------------------------------------------------------------
newdb s_plain || exit 1
pg_dump -s -d s_file | q -d s_plain >/dev/null 2>"$tmp/err" || { sed 's/^/# /' "$tmp/err"; }
check "after pg_dump -s | psql the snapshot is the same" "$S" "$(snap s_plain)"

pg_dump -Fc -s -f "$tmp/s.dump" -d s_file || exit 1
dbs+=(s_custom)
q -d "$base" -c "CREATE DATABASE s_custom TEMPLATE template0" || exit 1
pg_restore --exit-on-error -d s_custom "$tmp/s.dump" 2>"$tmp/err" || sed 's/^/# /' "$tmp/err"
check "after pg_dump -Fc | pg_restore the snapshot is the same" "$S" "$(snap s_custom)"

q -d s_file -c "VACUUM FULL" || exit 1
check "after VACUUM FULL the snapshot is the same" "$S" "$(snap s_file)"

# another creation order: the file's statements in reverse order where they
# do not depend on each other is hard to say in shell; pg_dump's order
# (types, functions, tables, then constraints, indexes, views, triggers) is
# already another order than the file's, and this one creates the views
# and the functions before the rest by restoring pre-data first, then post-data
newdb s_sections || exit 1
pg_dump -s --section=pre-data -d s_file >"$tmp/pre.sql" && pg_dump -s --section=post-data -d s_file >"$tmp/post.sql" || exit 1
q -d s_sections -f "$tmp/pre.sql" >/dev/null 2>&1 && q -d s_sections -f "$tmp/post.sql" >/dev/null 2>"$tmp/err" ||
    sed 's/^/# /' "$tmp/err"
check "after a restore in sections the snapshot is the same" "$S" "$(snap s_sections)"

hostile=$(q -d s_file <<'SQL'
CREATE SCHEMA evil;
CREATE FUNCTION evil.quote_ident(text) RETURNS text LANGUAGE sql AS $$ SELECT 'pwned' $$;
CREATE FUNCTION evil.format_type(oid, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'pwned' $$;
CREATE FUNCTION evil.jsonb_agg(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT '"pwned"'::jsonb $$;
CREATE TABLE evil.pg_class (oid oid, relname name);
SET search_path = evil, public;
SELECT mig_snapshot('{"exclude": ["evil"], "schemas": ["shop", "audit", "public"]}');
SQL
)
check "a hostile search_path changes nothing the snapshot reads or prints" "$S" "$hostile"
q -d s_file -c "DROP SCHEMA evil CASCADE" >/dev/null 2>&1

check "the session's TimeZone, DateStyle and extra_float_digits change nothing" "$S" \
    "$(q -d s_file -c "SET TimeZone = 'Pacific/Chatham'" -c "SET DateStyle = 'SQL, DMY'" -c "SET extra_float_digits = 0" \
        -c "SET IntervalStyle = 'sql_standard'" -c "SELECT mig_snapshot()")"
check "mig_diff(S, S) is empty" "" "$(q -d s_file -c "SELECT mig_diff(mig_snapshot(), mig_snapshot())" 2>&1)"

# ---- from nothing --------------------------------------------------------------------------------------------------
newdb s_empty || exit 1
E=$(snap s_empty)
printf '%s' "$E" >"$tmp/e.json"
printf '%s' "$S" >"$tmp/s.json"
body=$(diff_files s_empty "$tmp/e.json" "$tmp/s.json")
printf '%s\n' "$body" >"$tmp/body.sql"
echo "# mig_diff(empty, S): $(grep -c ';$' "$tmp/body.sql") statements"
{
    echo "-- mig:revision s1"
    grep -q '^-- run outside a transaction' "$tmp/body.sql" && echo "-- mig:transactional false"
    echo
    cat "$tmp/body.sql"
} >"$tmp/rev.sql"
if upgrade_with s_empty "$tmp/rev.sql" >/dev/null 2>"$tmp/err"; then
    echo "ok - the revision mig_diff(empty, S) applies to an empty database"
else
    echo "not ok - the revision mig_diff(empty, S) applies to an empty database"
    sed 's/^/# /' "$tmp/err" | head -20
    sed 's/^/# /' "$tmp/rev.sql" | head -200
    fail=1
fi
check "... and gives S's snapshot" "$S" "$(snap s_empty)"
dump s_file >"$tmp/dump.s"
dump s_empty >"$tmp/dump.e"
if diff -u "$tmp/dump.s" "$tmp/dump.e" >"$tmp/dump.diff"; then
    echo "ok - ... and S's pg_dump -s (statements compared in sorted order)"
else
    echo "not ok - ... and S's pg_dump -s (statements compared in sorted order)"
    sed 's/^/# /' "$tmp/dump.diff" | head -60
    fail=1
fi
q -d s_empty -c "SELECT mig_downgrade('base')" >/dev/null 2>"$tmp/err" || sed 's/^/# /' "$tmp/err" | head
check "its downgrade gives the empty database back" "$E" "$(snap s_empty)"

# ---- a generated 300-table schema (bench/schema_pg_gen.py) and its edit ---------------------------------------------
newdb g_a || exit 1
newdb g_b || exit 1
python3 bench/schema_pg_gen.py schema 300 >"$tmp/g.sql" && python3 bench/schema_pg_gen.py edit 300 >"$tmp/g_edit.sql" || exit 1
q -d g_a -f "$tmp/g.sql" >/dev/null && q -d g_b -f "$tmp/g.sql" >/dev/null && q -d g_b -f "$tmp/g_edit.sql" >/dev/null || exit 1
GA=$(snap g_a)
GB=$(snap g_b)
newdb g_restored || exit 1
pg_dump -s -d g_a | q -d g_restored >/dev/null 2>"$tmp/err" || sed 's/^/# /' "$tmp/err" | head
check "300 generated tables: the snapshot is the same after pg_dump -s | psql" "$GA" "$(snap g_restored)"
printf '%s' "$GA" >"$tmp/ga.json"
printf '%s' "$GB" >"$tmp/gb.json"
diff_files g_a "$tmp/ga.json" "$tmp/gb.json" >"$tmp/g_body.sql"
echo "# mig_diff(A, B) of the edit: $(grep -c ';$' "$tmp/g_body.sql") statements"
{ echo "-- mig:revision g1"; echo; cat "$tmp/g_body.sql"; } >"$tmp/g_rev.sql"
upgrade_with g_a "$tmp/g_rev.sql" >/dev/null 2>"$tmp/err" || sed 's/^/# /' "$tmp/err" | head
check "... mig_diff(A, B) takes A to B" "$GB" "$(snap g_a)"
q -d g_a -c "SELECT mig_downgrade('base')" >/dev/null 2>"$tmp/err" || sed 's/^/# /' "$tmp/err" | head
check "... and its downgrade back to A" "$GA" "$(snap g_a)"

# ---- options -------------------------------------------------------------------------------------------------------
only=$(snap s_file '{"schemas": ["audit"], "kinds": ["table"]}' | python3 -c 'import json, sys
print(" ".join(o["schema"] + "." + o["name"] for o in json.load(sys.stdin)["objects"]))')
check "schemas and kinds filter the snapshot" "audit.base_event audit.changes audit.changes_2026 audit.changes_old audit.login_event" "$only"
only=$(snap s_file '{"include": ["order*"], "kinds": ["table", "index", "trigger"]}' | python3 -c 'import json, sys
print(" ".join(o["kind"] + ":" + o["name"] for o in json.load(sys.stdin)["objects"]))')
check "include patterns match names; an index goes with its table" \
    "table:order_lines table:orders index:orders_customer index:orders_open" "$only"
check "owners only when asked" "0 3" \
    "$(snap s_file | grep -o '"owner"' | wc -l) $(snap s_file '{"owners": true, "kinds": ["schema"]}' | grep -o '"owner"' | wc -l)"

# ---- bad input -----------------------------------------------------------------------------------------------------
check "an unknown option is 22023" 22023 "$(sqlstate -d s_file -c "SELECT mig_snapshot('{\"bogus\": 1}')")"
check "an unknown kind is 22023" 22023 "$(sqlstate -d s_file -c "SELECT mig_snapshot('{\"kinds\": [\"tables\"]}')")"
check "options that are not JSON are 22023" 22023 "$(sqlstate -d s_file -c "SELECT mig_snapshot('{')")"
check "mig_diff of text that is not a snapshot is 22023" 22023 "$(sqlstate -d s_file -c "SELECT mig_diff('{}', '[]')")"
check "mig_diff of a SQLite snapshot is 22023" 22023 \
    "$(sqlstate -d s_file -c "SELECT mig_diff('{\"mig_snapshot\":1,\"dialect\":\"sqlite\",\"objects\":[]}', mig_snapshot())")"
check "mig_diff(NULL, ...) is 22004" 22004 "$(sqlstate -d s_file -c "SELECT mig_diff(NULL, mig_snapshot())")"
check "bad input changed nothing" "$S" "$(snap s_file)"

echo "# $n checks"
exit $fail

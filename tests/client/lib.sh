# lib.sh — helpers for the end-to-end tests of the real client/mig binary
# (tests/client/*.sh, run by tests/run/7*-client-*.t).  Source it after
# tests/sqlite/tap.sh's assertions are available (it sources tap.sh itself).
#
#   MIG=path        the binary under test (default: client/mig)
#   MIG_CHECKER=    ""        run it as is
#                   asan      a sanitized build: reports go to files (ASAN_OPTIONS
#                             log_path), each run is checked for them
#                   valgrind  run it under valgrind --error-exitcode=99 with
#                             definite leaks counted as errors; each run's log is checked
#   SECTIONS="a b"  run only these sections of a suite (default: all)
#
#   m ARGS...       run mig; sets OUT (stdout), ERR (stderr), ERR1 (its first
#                   line) and RC; a memory checker's report is a failed assertion
#   newrev ARGS...  run `mig revision ARGS`, sets REV (the new id) and REVF (its file)
#   fill FILE UP [DOWN]   replace the empty sections of a generated revision file
#   jq_ JSON EXPR   evaluate a perl expression on the decoded JSON ($j) with JSON::PP
. "$(dirname "${BASH_SOURCE[0]}")/../sqlite/tap.sh"

MIG=${MIG:-$ROOT/client/mig}
MIG_CHECKER=${MIG_CHECKER:-}
_mig_runs=0
_mig_reports=0

# the environment of a user with no mig settings
unset MIG_URL DATABASE_URL MIG_CONFIG MIG_NAME MIG_ENV MIG_VERSIONS MIG_OPTS MIG_TENANT MIG_ENGINE
# MIG_TEST_ENGINE=client: a PostgreSQL suite with the client's own engine (tests/run/78-client-pg-engine.t)
[ -n "${MIG_TEST_ENGINE:-}" ] && export MIG_ENGINE=$MIG_TEST_ENGINE

client_setup() {
    if [ "$MIG" = "$ROOT/client/mig" ]; then
        make -s -C "$ROOT" all >&2 || bail "make all failed"
    fi
    [ -x "$MIG" ] || bail "$MIG was not built"
    command -v "$SQLITE3" >/dev/null || bail "no sqlite3 shell"
    perl -MJSON::PP -e 1 2>/dev/null || bail "perl's JSON::PP is missing"
    mkdir -p "$ROOT/tests/tmp"
    T=$(mktemp -d "$ROOT/tests/tmp/$(basename "$0" .sh).XXXXXX") || bail "mktemp failed"
    trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"' EXIT
    CHK=$T/.checker
    mkdir -p "$CHK"
    # the client's header cache (client/cache.c) goes here, not into the home folder
    export XDG_CACHE_HOME=$T/.cache
    case $MIG_CHECKER in
    "") MIGCMD=("$MIG") ;;
    asan)
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$CHK/asan"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$CHK/ubsan"
        MIGCMD=("$MIG")
        ;;
    valgrind)
        command -v valgrind >/dev/null || bail "valgrind is missing"
        MIGCMD=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
            --errors-for-leak-kinds=definite --suppressions="$ROOT/tests/sanitize/valgrind.supp"
            --log-file="$CHK/vg.%p" "$MIG")
        ;;
    *) bail "MIG_CHECKER=$MIG_CHECKER: expected asan or valgrind" ;;
    esac
    cd "$T" || bail "cd $T"
}

# After a run: a memory checker's report is a failure of its own.
_check_reports() {
    local f bad=""
    for f in "$CHK"/*; do
        [ -e "$f" ] || continue
        case $MIG_CHECKER in
        valgrind)
            if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f"; then bad+="$(grep -vE '^==[0-9]+== *$' "$f" | head -60)"$'\n'; fi
            ;;
        *) [ -s "$f" ] && bad+="$(head -60 "$f")"$'\n' ;;
        esac
        rm -f "$f"
    done
    if [ -n "$bad" ]; then
        _mig_reports=$((_mig_reports + 1))
        fail "$MIG_CHECKER reports nothing for: mig $*" "$bad"
    fi
}

m() {
    _mig_runs=$((_mig_runs + 1))
    "${MIGCMD[@]}" "$@" >"$T/.mig.out" 2>"$T/.mig.err" </dev/null
    RC=$?
    OUT=$(cat "$T/.mig.out")
    # (MIG_TEST_ENGINE: the line naming the engine is not part of what a suite compares)
    [ -n "${MIG_TEST_ENGINE:-}" ] && sed -i '/^mig: engine: /d' "$T/.mig.err"
    ERR=$(cat "$T/.mig.err")
    ERR1=$(head -n 1 "$T/.mig.err")
    [ -n "$MIG_CHECKER" ] && _check_reports "$@"
    return 0
}

# checker_summary: one assertion saying how many runs were checked.
checker_summary() {
    [ -n "$MIG_CHECKER" ] || return 0
    is "$_mig_reports" 0 "$MIG_CHECKER: no report in $_mig_runs runs of mig"
}

# is_rc WANT DESC: the last run's exit status, with its output as diagnostics.
is_rc() {
    if [ "$RC" == "$1" ]; then
        pass "$2"
    else
        fail "$2" "$(printf 'exit status %s, expected %s\nstdout: %s\nstderr: %s' "$RC" "$1" "$OUT" "$ERR")"
    fi
}

newrev() {
    m revision "$@"
    REV="" REVF=""
    if [[ $OUT =~ ^Generating\ (.+\.sql)\ \.\.\.\ \ done$ ]]; then
        REVF=${BASH_REMATCH[1]}
        REV=$(sed -n 's/^-- mig:revision //p' "$REVF" 2>/dev/null)
    fi
}

# fill FILE UP [DOWN]: keep the header, write the two sections.
fill() {
    local f=$1 up=$2 down=${3:-} head
    head=$(sed -n '/^-- mig:upgrade/q;p' "$f")
    printf '%s\n-- mig:upgrade\n%s\n\n-- mig:downgrade\n%s\n' "$head" "$up" "$down" >"$f"
}

# rev_file PATH ID DOWN UP [DOWN_SQL] [EXTRA_HEADER_LINES]: write a revision by hand.
rev_file() {
    local f=$1 id=$2 down=$3 up=$4 dn=${5:-} extra=${6:-}
    {
        printf -- '-- mig:revision %s\n' "$id"
        [ -n "$down" ] && printf -- '-- mig:down_revision %s\n' "$down"
        printf -- '-- mig:message rev %s\n' "$id"
        [ -n "$extra" ] && printf '%s\n' "$extra"
        printf '\n-- mig:upgrade\n%s\n\n-- mig:downgrade\n%s\n' "$up" "$dn"
    } >"$f"
}

# jq_ JSON EXPR: print the value of a perl expression over $j (the decoded
# JSON); "INVALID JSON: ..." when it does not parse.
jq_() {
    JSON_IN=$1 perl -MJSON::PP -e '
        my $j = eval { JSON::PP->new->decode($ENV{JSON_IN}) };
        if (!defined $j && $@) { print "INVALID JSON: $@"; exit 0 }
        my $r = eval $ARGV[0];
        die $@ if $@;
        print defined $r ? $r : "undef";' "$2"
}

# json_keys JSON [PATH-EXPR]: the sorted keys of an object ($j by default), space-separated.
json_keys() {
    jq_ "$1" "my \$o = ${2:-\$j}; ref \$o eq 'HASH' ? join(' ', sort keys %\$o) : 'NOT AN OBJECT'"
}

# grep_lines TEXT ERE: the lines of TEXT matching ERE.
grep_lines() {
    grep -E -- "$2" <<<"$1"
}

# sorted TEXT: its lines sorted (for outputs whose order is not specified).
sorted() {
    LC_ALL=C sort <<<"$1"
}

# snapshot_db DB: schema and every row (tap.sh's snapshot), "" when there is no file.
snapshot_db() {
    [ -e "$1" ] || { echo "(no file)"; return; }
    snapshot "$1"
}

# want SECTION: is SECTION selected by $SECTIONS?
want() {
    [ -z "${SECTIONS:-}" ] && return 0
    [[ " $SECTIONS " == *" $1 "* ]]
}

# project NAME: a fresh folder with `mig init` done in it, and cd there.
project() {
    mkdir -p "$T/$1" && cd "$T/$1" || bail "cd $T/$1"
    m init -q
    [ "$RC" = 0 ] || bail "mig init failed in $T/$1: $ERR"
}

# PostgreSQL suites (pg.sh, autogen.sh), under tests/pg/cluster.sh:
# newdb DB: a fresh database DB; U its URL
# (MIG_TEST_ENGINE=client: as on a managed service, the database belongs
# to role mig_owner, which may log in and create databases, and mig runs as
# it; it may not create the extension.  The suite's own psql stays postgres.)
# DBOWNER: the role mig runs as; SU_URL: DB as the superuser.
newdb() {
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
    DB=$1
    if [ "${MIG_TEST_ENGINE:-}" = client ]; then
        psql -q -X -d postgres -c "DO \$\$ BEGIN CREATE ROLE mig_owner LOGIN CREATEDB; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null 2>&1
        createdb -O mig_owner "$1" || bail "createdb $1"
        psql -q -X -d "$1" -c "ALTER SCHEMA public OWNER TO mig_owner" >/dev/null 2>&1
        DBOWNER=mig_owner
    else
        createdb "$1" || bail "createdb $1"
        DBOWNER=postgres
    fi
    U="postgresql:///$1?host=$PGHOST&port=$PGPORT&user=$DBOWNER"
    SU_URL="postgresql:///$1?host=$PGHOST&port=$PGPORT&user=postgres"
}

# pg_ext_snap DB: DB's snapshot by the extension's mig_snapshot() (in the
# schema the extension is in).  When there is none (no extension, an error),
# it prints the error with a random number, so that two failed snapshots
# never compare equal and a test comparing them fails.
pg_ext_snap() {
    local fn out
    fn=$(pq "$1" "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'mig'")
    out=$(pq "$1" "SELECT ${fn:-mig_extension_not_installed}.mig_snapshot()")
    snap_or_error "$1" "$out"
}
# snap_or_error DB OUT: OUT when it is a snapshot document, else the error (see pg_ext_snap)
snap_or_error() {
    if [[ $2 == '{"mig_snapshot":'* ]]; then
        printf '%s\n' "$2"
    else
        printf 'no snapshot of %s (%s): %s\n' "$1" "$RANDOM$RANDOM" "$2"
    fi
}

# pg_snap DB: DB's snapshot: the extension's mig_snapshot(), or, with
# MIG_TEST_ENGINE=client (no extension in DB), the client's own (mig dump
# --snapshot, run where no mig.ini is), which must agree with the
# extension's: the desired schema's snapshot is still the extension's
pg_snap() {
    if [ "${MIG_TEST_ENGINE:-}" = client ]; then
        snap_or_error "$1" "$(cd "$T" && "${MIGCMD[@]}" -q --url "postgresql:///$1?host=$PGHOST&port=$PGPORT&user=postgres" dump --snapshot 2>&1)"
    else
        pg_ext_snap "$1"
    fi
}
# pq DB SQL: one query's rows, unaligned, no headers.
pq() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>&1
}

# scratch_dbs: how many scratch databases (mig_scratch_*) the cluster holds.
scratch_dbs() {
    pq postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'mig\\_scratch\\_%'"
}

# run_sections ALL: t_SECTION for each section of $SECTIONS (default: ALL),
# from $T; the pg_* ones are skipped when NO_PG says why; then the plan.
run_sections() {
    local s
    for s in ${SECTIONS:-$1}; do
        want "$s" || continue
        cd "$T" || bail "cd $T"
        printf '# --- %s\n' "$s"
        if [[ $s == pg_* ]] && [ -n "${NO_PG:-}" ]; then
            pass "# SKIP $s: $NO_PG"
            continue
        fi
        "t_$s"
    done
    checker_summary
    done_testing
}

# pgsnap DB: everything a failed call must leave as it was.
pgsnap() {
    pq "$1" "SELECT 'table', table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 2, 3"
    pq "$1" "SELECT 'column', table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 2, 3, 4"
    pq "$1" "SELECT 'index', schemaname, indexname FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 2, 3"
    pq "$1" "SELECT 'version', env, tenant, version_num FROM mig.mig_version ORDER BY 2, 3, 4"
    pq "$1" "SELECT 'history', id, env, tenant, revision, direction, checksum FROM mig.mig_history ORDER BY id"
    pq "$1" "SELECT 'revision', env, revision, checksum, source, uploaded_at FROM mig.mig_revision ORDER BY 2, 3"
}

#!/bin/bash
# PostgreSQL: the traversal scenarios of tests/scenarios/*.scn, end to end
# through psql: the twin of tests/run/20-sqlite-scenarios.t, so that the two
# backends run the same expectations.  tests/pg/scenarios/scn2psql.pl turns
# each scenario into one psql script (one session; every call a top-level
# statement in autocommit, as a user makes it) on a fresh
# `CREATE EXTENSION mig`; revision bodies log '+ID' / '-ID' into a table
# log (n serial, step); revisions are uploaded in `rev` order, `state` lines
# become mig_stamp(..., '{"purge": true}').  Each command is one TAP line
# that checks the steps the bodies logged (in order), the call's result,
# mig_current(), the mig_history rows, and for an expected error the
# message psql reports (ERROR, DETAIL, HINT: substring, any case), that
# mig_current() is unchanged and that the database is unchanged (the rows
# of mig_revision, mig_version, mig_history and log, and every relation).
# `rev` lines after commands are uploaded where they stand; a `graph =>
# error X` line passes when one of the uploads of the scenario or
# mig_heads() (which loads the whole graph) fails with X.  A `state` that
# mig_stamp refuses (redundant rows) or that names unknown ids is written
# into mig.mig_version directly, as the scenario format defines it.
#
# Run inside tests/pg/cluster.sh (PGHOST, PGPORT, PGUSER, PGDATABASE set),
# by tests/pg/run_all.sh or by hand:
#   tests/pg/cluster.sh bash tests/pg/t_scenarios.sh [FILE.scn...]
# (default: every tests/scenarios/*.scn).
# KEEP_TMP=1 keeps the generated scripts and their output.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

n=0
failed=0
diag() {
    local line text=$*
    while [[ $text == *$'\n' ]]; do text=${text%$'\n'}; done
    while IFS= read -r line; do printf '#   %s\n' "$line"; done <<<"$text"
}
pass() {
    n=$((n + 1))
    printf 'ok %d - %s\n' "$n" "$1"
}
fail() {
    n=$((n + 1))
    failed=$((failed + 1))
    printf 'not ok %d - %s\n' "$n" "$1"
    [ $# -gt 1 ] && diag "$2"
    return 0
}
bail() {
    printf 'Bail out! %s\n' "$*"
    exit 255
}

command -v psql >/dev/null || bail "no psql"
[ -n "${PGDATABASE:-}" ] || bail "PGDATABASE is not set (run inside tests/pg/cluster.sh)"
mkdir -p "$ROOT/tests/tmp"
T=$(mktemp -d "$ROOT/tests/tmp/pg-scenarios.XXXXXX") || bail "mktemp failed"
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"' EXIT

OUTDIR=$T/scn
[ $# -gt 0 ] || set -- "$ROOT"/tests/scenarios/*.scn
perl "$ROOT/tests/pg/scenarios/scn2psql.pl" "$OUTDIR" "$@" 2>"$T/perl.err" ||
    bail "scn2psql.pl failed: $(cat "$T/perl.err")"

declare -A V # KEY|TAG -> value, from the script's stdout
declare -A E # KEY -> what psql wrote to stderr between \warn KEY|BEGIN and KEY|END
stray=""     # stderr outside those markers

# run_scenario DIR: run OUTDIR/DIR.sql in one psql session, load V and E
run_scenario() {
    local line key cur=""
    V=()
    E=()
    stray=""
    psql -X -q -A -t -v ON_ERROR_STOP=0 -f "$OUTDIR/$1.sql" >"$OUTDIR/$1.out" 2>"$OUTDIR/$1.err"
    while IFS= read -r line; do
        [[ $line == *'|'*'|'* ]] || continue
        key=${line%%|*}
        line=${line#*|}
        V[$key|${line%%|*}]=${line#*|}
    done <"$OUTDIR/$1.out"
    while IFS= read -r line; do
        case $line in
        *'|BEGIN') cur=${line%|BEGIN} E[$cur]="" ;;
        *'|END') cur="" ;;
        *)
            # drop psql's "psql:FILE:LINE: " (a path could match a substring)
            [[ $line == psql:*.sql:*': '* ]] && line=${line#psql:"$OUTDIR/$1.sql":*: }
            if [ -n "$cur" ]; then E[$cur]+=$line$'\n'; else stray+=$line$'\n'; fi ;;
        esac
    done <"$OUTDIR/$1.err"
}
has() { [ -n "${V[$1]+set}" ]; }
val() { printf '%s' "${V[$1]-}"; }

# harness statements (everything but the calls under test) must not fail:
# one extra failing line per scenario where one did
check_stray() {
    [ -n "$stray" ] && fail "$scn_dir [$scn_name] the harness SQL ran without errors" "$stray"
    stray=""
}

upload_errs=""
expected=""
scn_dir="" scn_name=""
while IFS=$'\t' read -r kind dir key a b c d; do
    [ "$a" = - ] && a=""
    [ "$b" = - ] && b=""
    [ "$c" = - ] && c=""
    [ "$d" = - ] && d=""
    case $kind in
    new)
        check_stray
        scn_dir=$dir scn_name=$a
        run_scenario "$dir"
        upload_errs=""
        expected=""
        setup_err=""
        has "setup|OK" || setup_err="setting up the scenario (CREATE EXTENSION mig, the log table) failed: $stray"
        ;;
    upload)
        [[ ${E[$key]-} == *ERROR:* ]] && upload_errs+=${E[$key]}
        ;;
    state)
        expected=$a
        if [ -z "$upload_errs" ] && { [[ ${E[$key]-} == *ERROR:* ]] || [ "$(val "$key|CUR")" != "$a" ]; }; then
            diag "($dir: state '$a' cannot be set with mig_stamp, so its rows are written directly: ${E[$key]-})"
        fi
        ;;
    graph)
        # the graph loaded so far is invalid: an upload or mig_heads() fails
        label=$a want_err=$d
        if [[ $label == *"[duplicate_revision_id]"* ]]; then
            # the store keeps one row per id: a second upload of an id is an
            # edit of that revision (refused when applied), not a duplicate
            pass "$label # SKIP core-only: the store cannot hold an id twice"
            continue
        fi
        err=${E[$key]-}
        if [ -n "$setup_err" ]; then
            fail "$label" "$setup_err"
        elif has "$key|RET" && [ -z "$upload_errs" ]; then
            fail "$label" "every upload and mig_heads() succeeded (heads: '$(val "$key|RET")')"
        elif [[ ${upload_errs,,}${err,,} == *"${want_err,,}"* ]]; then
            pass "$label"
        else
            fail "$label" "no error contains '$want_err'; errors: $upload_errs$err"
        fi
        ;;
    cmd)
        label=$a want_steps=$b want_heads=$c want_err=$d
        if [ -n "$setup_err" ]; then
            fail "$label" "$setup_err"
            continue
        fi
        if [ -n "$upload_errs" ]; then
            fail "$label" "uploading the revisions failed: $upload_errs"
            continue
        fi
        err=${E[$key]-}
        ret=$(val "$key|RET") log=$(val "$key|LOG") hist=$(val "$key|HIST")
        cur="(mig_current() failed: ${E[$key.cur]-})"
        has "$key|CUR" && cur=$(val "$key|CUR")
        why=""
        has "$key|SNAP0" && has "$key|SNAP1" && has "$key|LOG" && has "$key|HIST" ||
            why="the harness could not read the state around the call (see the next lines)"
        if [ -n "$want_err" ]; then
            [ -z "$why" ] && has "$key|RET" && why="the call succeeded and returned '$ret' (log: '$log')"
            [ -z "$why" ] && [[ ${err,,} != *"${want_err,,}"* ]] && why="the error lacks '$want_err': $err"
            [ -z "$why" ] && [ "$(val "$key|SNAP0")" != "$(val "$key|SNAP1")" ] &&
                why="the failed call changed the database (md5 per table): before: $(val "$key|SNAP0")"$'\n'"after:  $(val "$key|SNAP1")"
            [ -z "$why" ] && [ -n "$log" ] && why="the failed call's bodies left rows in log: '$log'"
            [ -z "$why" ] && [ "$cur" != "$expected" ] && why="mig_current() is '$cur', was '$expected'"
        else
            [ -z "$why" ] && [ -n "$err" ] && why="unexpected error: $err"
            [ -z "$why" ] && ! has "$key|RET" && why="the call failed (no result)"
            [ -z "$why" ] && [ "$log" != "$want_steps" ] && why="the bodies ran: '$log', expected: '$want_steps'"
            [ -z "$why" ] && [ "$cur" != "$want_heads" ] && why="mig_current() is '$cur', expected: '$want_heads'"
            [ -z "$why" ] && [ "$ret" != "$want_heads" ] && why="the call returned '$ret', expected: '$want_heads'"
            [ -z "$why" ] && [ "$hist" != "$log" ] && why="mig_history recorded '$hist', the bodies ran '$log'"
            expected=$want_heads
        fi
        if [ -z "$why" ]; then pass "$label"; else fail "$label" "$why"; fi
        # the script already forced the version rows back to the expected
        # heads when they differed (see scn2psql.pl)
        ;;
    esac
done <"$OUTDIR/plan.tsv"
check_stray

printf '1..%d\n' "$n"
[ "$failed" -eq 0 ] || printf '# %d of %d failed\n' "$failed" "$n"
[ "$failed" -eq 0 ]

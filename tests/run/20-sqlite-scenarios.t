#!/bin/bash
# SQLite: the traversal scenarios of tests/scenarios/*.scn, end to end
# through the sqlite3 shell.  tests/sqlite/scn2sql.pl turns each scenario
# into revision files whose bodies log '+ID' / '-ID'; they are uploaded in
# `rev` order, `state` lines become mig_stamp(..., '{"purge": true}'), and
# each command is one TAP line that checks the steps the bodies logged (in
# order), the call's result, mig_current(), the mig_history rows, and for an
# expected error the message (substring, any case) and an unchanged .dump.
# `rev` lines after commands are uploaded where they stand; a `graph =>
# error X` line passes when one of the uploads since the last command or
# mig_heads() (which loads the whole graph) fails with X.  A `state` that
# mig_stamp refuses (redundant rows) or that names unknown ids is written
# into mig_version directly, as the scenario format defines it.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup

OUTDIR=$T/scn
perl "$ROOT/tests/sqlite/scn2sql.pl" "$OUTDIR" "$ROOT"/tests/scenarios/*.scn 2>"$T/perl.err" ||
    bail "scn2sql.pl failed: $(cat "$T/perl.err")"

# tag LINE-PREFIX: the value of a tagged output line (empty when absent)
tag() { sed -n "s/^$1://p" <<<"$OUT" | head -n 1; }
has_tag() { grep -q "^$1:" <<<"$OUT"; }

# force the version rows to a head list (test harness repair after a
# failed command, so that one failure does not cascade)
force_state() {
    local sql="DELETE FROM mig_version WHERE env = 'default';" id
    for id in $1; do sql="$sql INSERT INTO mig_version (env, tenant, version_num) VALUES ('default', '', '$id');"; done
    raw "$DB" "$sql" >/dev/null
}

upload_errs=""
expected=""
while IFS=$'\t' read -r kind dir file a b c d; do
    [ "$b" = - ] && b=""
    [ "$c" = - ] && c=""
    [ "$d" = - ] && d=""
    cd "$OUTDIR/$dir" || bail "cd $OUTDIR/$dir"
    DB=$OUTDIR/$dir/scn.db
    case $kind in
    new)
        upload_errs=""
        expected=""
        ;;
    upload)
        sql "$DB" <"$file"
        [ -n "$ERR" ] && upload_errs="$upload_errs$ERR"$'\n'
        ;;
    state)
        sql "$DB" <"$file"
        expected=$a
        if [ -z "$upload_errs" ] && { [ -n "$ERR" ] || [ "$(tag CUR)" != "$a" ]; }; then
            diag "(state '$a' cannot be set with mig_stamp, so its rows are written directly: $ERR)"
            force_state "$a"
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
        sql "$DB" <"$file"
        if has_tag RET && [ -z "$upload_errs" ]; then
            fail "$label" "every upload and mig_heads() succeeded (heads: '$(tag RET)')"
        elif [[ ${upload_errs,,}${ERR,,} == *"${want_err,,}"* ]]; then
            pass "$label"
        else
            fail "$label" "no error contains '$want_err'; errors: $upload_errs$ERR"
        fi
        ;;
    cmd)
        label=$a want_steps=$b want_heads=$c want_err=$d
        if [ -n "$upload_errs" ]; then
            fail "$label" "uploading the revisions failed: $upload_errs"
            continue
        fi
        sql "$DB" <"$file"
        ret=$(tag RET) log=$(tag LOG) cur=$(tag CUR) hist=$(tag HIST)
        why=""
        if [ -n "$want_err" ]; then
            has_tag RET && why="the call succeeded and returned '$ret' (log: '$log')"
            [ -z "$why" ] && [[ ${ERR,,} != *"${want_err,,}"* ]] && why="the error lacks '$want_err': $ERR"
            [ -z "$why" ] && ! cmp -s before.dump after.dump && why="the failed call changed the database: $(diff before.dump after.dump | head -10)"
            [ -z "$why" ] && [ "$cur" != "$expected" ] && why="mig_current() is '$cur', was '$expected'"
        else
            [ -n "$ERR" ] && why="unexpected error: $ERR"
            [ -z "$why" ] && [ "$log" != "$want_steps" ] && why="the bodies ran: '$log', expected: '$want_steps'"
            [ -z "$why" ] && [ "$cur" != "$want_heads" ] && why="mig_current() is '$cur', expected: '$want_heads'"
            [ -z "$why" ] && [ "$ret" != "$want_heads" ] && why="the call returned '$ret', expected: '$want_heads'"
            [ -z "$why" ] && [ "$hist" != "$log" ] && why="mig_history recorded '$hist', the bodies ran '$log'"
            expected=$want_heads
        fi
        if [ -z "$why" ]; then pass "$label"; else fail "$label" "$why"; fi
        [ "$cur" == "$expected" ] || force_state "$expected"
        ;;
    esac
done <"$OUTDIR/plan.tsv"
cd "$T" || exit 1

done_testing

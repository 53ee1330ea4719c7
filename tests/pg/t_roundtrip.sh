#!/bin/bash
# PostgreSQL: the round-trip property of autogenerate on random schemas
# (tests/schema/roundtrip_pg.py, its generator tests/schema/gen_pg.py), the
# twin of tests/run/23-sqlite-roundtrip.t.  For each seed: a random schema A
# (schemas, enums, domains, composite types, sequences, tables with many
# column types, identity, serial, generated columns, keys, checks, foreign
# keys, exclusion constraints, partitions, unlogged tables, indexes, views,
# materialized views, functions, procedures, triggers, RLS policies,
# comments, grants) with a few rows, another spelling of A, and a random edit
# B with its rename hints, each in a fresh database; then
#   - mig_snapshot() of both spellings of A are equal;
#   - mig_diff(SA, SA) = mig_diff(SB, SB) = '';
#   - the body of mig_diff(SA, SB, hints) as revision r1, run by
#     mig_upgrade('head'), gives snapshot SB byte for byte and B's pg_dump
#     --schema-only (blocks sorted), with A's rows in the columns A and B share;
#   - mig_downgrade('base') gives SA, A's pg_dump and the rows again.
#
# Seeded and reproducible: a failure names its seed; rerun it on any server
# with  python3 tests/schema/roundtrip_pg.py --seed N --count 1 --verbose
# (PGHOST/PGPORT/PGUSER set, the extension installed).  The whole output of
# the last run is kept in tests/tmp/roundtrip-pg-last.out.
#
# Known gaps, not hidden (tests/tmp/roundtrip-pg-findings.md):
#   - the random seeds' edits stay clear of the categories of findings F3-F5
#     (gen_pg.AVOID_KNOWN_GAPS): F3 renaming a table or column that has an
#     identity column, F4 two indexes of a partitioned table with the same
#     first column, F5 renaming a partition (F1 and F2 were avoided too until
#     they were fixed); the regression seeds below run with --with-known-gaps
#     and those of F3-F5 are TODO tests until they are fixed;
#   - a body that says "-- the columns of T end in another order than the new
#     schema has them" (PostgreSQL adds a column at the end, so a column the
#     upgrade dropped comes back last in the downgrade) is compared with T's
#     columns as a set; the diff writes that note itself and the summary
#     counts those pairs;
#   - pg_dump is compared after sorting its blocks and the GRANT lines of an
#     ACL (an aclitem[] keeps the order of the grants).
#
# MIG_LONG=1 runs 400 seeds instead of 20; MIG_ROUNDTRIP_PG_COUNT=N any other
# number.
set -u
cd "$(dirname "$0")/../.." || exit 1
fail=0
RT=tests/schema/roundtrip_pg.py
LAST=tests/tmp/roundtrip-pg-last.out
mkdir -p tests/tmp
: >"$LAST"

COUNT=${MIG_ROUNDTRIP_PG_COUNT:-20}
[ -n "${MIG_LONG:-}" ] && COUNT=${MIG_ROUNDTRIP_PG_COUNT:-400}
GEN_COUNT=2
[ -n "${MIG_LONG:-}" ] && GEN_COUNT=$COUNT

# Seeds that once failed, kept so a fix stays fixed (a change to gen_pg.py
# moves them), run with --with-known-gaps; see tests/tmp/roundtrip-pg-findings.md:
# 25 (F1: a generated column reading a renamed column is made again and an
# index over it is lost; then F6: a key a foreign key of its own table
# references is dropped to be renamed; both fixed), 29 (F2: DETACH PARTITION
# names a renamed parent by its old name; fixed), 97 (F3: an identity sequence keeps its name after a rename),
# 230 (F4: the names of partitions' cloned indexes depend on the order of
# creation), 17 (F5: a renamed partition keeps its cloned indexes' names);
# 596 passes: an enum's new value used by a default, a body that runs
# outside a transaction (transactional false, run as a client runs it).
REGRESSION_SEEDS=${MIG_ROUNDTRIP_PG_SEEDS:-25,29,97,230,17,596}

summary() {
    grep -E '^(FAIL|SHRUNK|SKIP|pairs|  [0-9]+ x|#)' "$1" | head -n 40 | sed 's/^/# /'
}

# 1. The generator alone: every schema, spelling and edit it writes is
# valid PostgreSQL and A takes its rows.  Needs nothing of mig.
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
python3 "$RT" --gen-only --seed 1 --count "$GEN_COUNT" --no-shrink >"$out" 2>&1
rc=$?
cat "$out" >>"$LAST"
if [ $rc -eq 0 ]; then
    echo "ok - $GEN_COUNT generated schemas, their other spellings and edits are valid PostgreSQL"
else
    echo "not ok - generated SQL PostgreSQL refuses"; summary "$out"; fail=1
fi

# 2. The property on COUNT seeded pairs (seeds 1000..), then the regression seeds.
python3 "$RT" --seed 1000 --count "$COUNT" --no-shrink >"$out" 2>&1
rc=$?
cat "$out" >>"$LAST"
if [ $rc -eq 2 ] && grep -q '^SKIP' "$out"; then
    echo "ok - # skip $(grep -m1 '^SKIP' "$out" | sed 's/^SKIP //')"
    exit $fail
fi
if grep -q '^# mig_diff is not usable' "$out"; then
    if [ $rc -eq 0 ]; then echo "ok - $COUNT random schemas: two spellings give one snapshot"; else
        echo "not ok - $COUNT random schemas: two spellings give one snapshot"; fail=1; fi
    summary "$out"
    echo "ok - # skip mig_diff is not usable yet: no round trips"
    exit $fail
fi
if [ $rc -eq 0 ]; then
    echo "ok - $COUNT random pairs (seeds 1000..$((1000 + COUNT - 1))) round-trip: snapshots, diff, upgrade to B with A's rows, downgrade to A"
else
    echo "not ok - $COUNT random pairs (seeds 1000..$((1000 + COUNT - 1))) round-trip"; fail=1
fi
summary "$out"

# The check of rows is not vacuous: a row deleted behind mig's back after
# each upgrade is reported.
python3 "$RT" --seed 1000 --count 1 --no-shrink --self-test-lose-row >"$out" 2>&1
n=$(grep -c '^FAIL seed .*\[upgrade-rows\] after the upgrade rows of A are missing' "$out")
if [ "$n" -ge 1 ]; then echo "ok - a row lost after the upgrade is reported ($n of 1 pair)"; else
    echo "not ok - a row lost after the upgrade is reported ($n of 1 pair)"; summary "$out"; fail=1; fi

# The seeds of the open findings F3-F5 (names PostgreSQL gives by itself,
# which a snapshot does not hold; docs/schema.md, "Not handled yet
# (PostgreSQL)") are TODO tests: reported, not failing the suite.
declare -A KNOWN_GAP=([97]=F3 [230]=F4 [17]=F5)
for s in ${REGRESSION_SEEDS//,/ }; do
    python3 "$RT" --with-known-gaps --seed "$s" --count 1 --no-shrink >"$out" 2>&1
    rc=$?
    cat "$out" >>"$LAST"
    gap=${KNOWN_GAP[$s]:-}
    if [ -n "$gap" ]; then
        if [ $rc -eq 0 ]; then echo "ok - regression seed $s round-trips # TODO known gap $gap no longer reproduces: fixed?"; else
            echo "not ok - regression seed $s round-trips # TODO known gap $gap (tests/tmp/roundtrip-pg-findings.md)"; summary "$out"; fi
    elif [ $rc -eq 0 ]; then echo "ok - regression seed $s round-trips"; else
        echo "not ok - regression seed $s round-trips"; summary "$out"; fail=1; fi
done
exit $fail

#!/bin/bash
# SQLite: re-uploading revisions.  The same text is a no-op; the message and
# comments outside the sections are not part of the checksum; a changed body
# of an applied revision is refused (both checksums shown) unless "force";
# an unapplied revision may change freely.  mig_check() is 1 only at the
# heads with no applied body changed.
. "$(dirname "$0")/../sqlite/tap.sh"
tap_setup
DB=$T/app.db

cat >r1.sql <<'EOF'
-- mig:revision r1
-- mig:message create t
-- a comment in the header

-- mig:upgrade
CREATE TABLE t (x);
INSERT INTO t VALUES ('r1');

-- mig:downgrade
DROP TABLE t;
EOF
cat >r2.sql <<'EOF'
-- mig:revision r2
-- mig:down_revision r1
-- mig:message second

-- mig:upgrade
INSERT INTO t VALUES ('r2');

-- mig:downgrade
DELETE FROM t WHERE x = 'r2';
EOF

row() { raw "$DB" "SELECT revision, message, checksum, source, uploaded_at FROM mig_revision WHERE revision = '$1';"; }
ck() { raw "$DB" "SELECT checksum FROM mig_revision WHERE revision = '$1';"; }
put() { sql "$DB" <<<"SELECT mig_put_revision(readfile('$1')${2:+, '$2'});"; }

put r1.sql
is "$OUT|$ERR" "r1|" "upload r1"
put r2.sql
is "$OUT|$ERR" "r2|" "upload r2"
CK1=$(ck r1)
like "$CK1" '^[0-9a-f]{64}$' "the checksum is a hex SHA-256"
is "$(q "$DB" "SELECT mig_check();")" 0 "mig_check() is 0 at base with revisions stored"

# the same text again: nothing changes, not even uploaded_at
before=$(row r1)
sleep 0.01
put r1.sql
is "$OUT|$ERR" "r1|" "the same text again returns the id"
is "$(row r1)" "$before" "and changes nothing (not even uploaded_at)"

sql "$DB" <<<"SELECT mig_upgrade('r1');"
is "$OUT|$ERR" "r1|" "upgrade to r1"
is "$(q "$DB" "SELECT mig_check();")" 0 "mig_check() is 0 when behind the head"
snapshot "$DB" >applied.snap

# the message and header comments are outside the checksum
sed -e 's/^-- mig:message create t$/-- mig:message create the table t/' \
    -e 's/^-- a comment in the header$/-- another comment\n-- and one more/' r1.sql >r1-msg.sql
put r1-msg.sql
is "$OUT|$ERR" "r1|" "an applied revision with a new message and comments is accepted"
is "$(raw "$DB" "SELECT message, checksum = '$CK1', source = CAST(readfile('r1-msg.sql') AS TEXT) FROM mig_revision WHERE revision = 'r1';")" \
    "create the table t|1|1" "message and source updated, checksum unchanged"

# so are line endings and trailing white space
sed -e 's/$/\r/' r1-msg.sql >r1-crlf.sql
put r1-crlf.sql
is "$OUT|$ERR" "r1|" "the same revision with CRLF line endings is accepted"
sed -e 's/^INSERT INTO t VALUES (.r1.);$/&   \t/' -e '$a\
\
' r1-msg.sql >r1-ws.sql
put r1-ws.sql
is "$OUT|$ERR" "r1|" "with trailing white space and blank lines at the end: accepted"
is "$(ck r1)" "$CK1" "the checksum is still the same"

# a changed body of an applied revision is refused, showing both checksums
sed -e "s/VALUES ('r1')/VALUES ('r1 edited')/" r1.sql >r1-body.sql
sql "$DB" <<<"SELECT mig_put_revision(readfile('r1-body.sql'), '{\"env\": \"scratch\"}');"
NEWCK=$(q "$DB" "SELECT checksum FROM mig_revision WHERE env = 'scratch' AND revision = 'r1';")
q "$DB" "DELETE FROM mig_revision WHERE env = 'scratch';" >/dev/null
isnt "$NEWCK" "$CK1" "the edited body has another checksum"
snapshot "$DB" >before.snap
put r1-body.sql
like "$ERR" "revision r1 is applied in env \"default\" and its body changed: stored checksum $CK1, new checksum $NEWCK" \
    "an edited body of an applied revision is refused, naming both checksums"
like "$ERR" 'force' "the error says how to override it"
is "$OUT" "" "no result"
same_snapshot "$DB" before.snap "nothing changed"

# a changed section marker is a changed body too
sed -e 's/^-- mig:downgrade$/-- mig:downgrade dialect=sqlite/' r1.sql >r1-marker.sql
put r1-marker.sql
like "$ERR" 'revision r1 is applied.*body changed' "a changed section marker of an applied revision is refused"

# a changed graph of an applied revision is refused, even with force
sed -e 's/^-- mig:message create t$/-- mig:branch_labels lib/' r1.sql >r1-graph.sql
put r1-graph.sql '{"force": true}'
like "$ERR" 'revision r1 is applied in env "default"; its down_revision, branch_labels or depends_on cannot change' \
    "new branch_labels on an applied revision are refused, even with force"
same_snapshot "$DB" before.snap "nothing changed"

# force replaces the body; the database keeps what the old body did
put r1-body.sql '{"force": true}'
is "$OUT|$ERR" "r1|" "with force the edited body is accepted"
is "$(ck r1)" "$NEWCK" "the stored checksum is the new one"
is "$(raw "$DB" "SELECT group_concat(x) FROM t;")" "r1" "the old body's effect stays; nothing ran"
sql "$DB" <<<"SELECT mig_upgrade('head'); SELECT mig_check();"
is "$OUT|$ERR" "$(printf 'r2\n0|')" "at the head after a forced edit of an applied body, mig_check() is 0"
is "$(q "$DB" "SELECT mig_check('{\"env\": \"default\"}');")" 0 "mig_check(opts) too"

# an unapplied revision may change freely: its new body is what runs
sql "$DB" <<<"SELECT mig_downgrade('r1'); SELECT mig_check();"
is "$OUT|$ERR" "$(printf 'r1\n0|')" "downgrade to r1"
sed -e "s/'r2'/'r2 v2'/g" r2.sql >r2-v2.sql
put r2-v2.sql
is "$OUT|$ERR" "r2|" "an edited body of an unapplied revision is accepted without force"
sed -e 's/^-- mig:down_revision r1$/-- mig:down_revision r1\n-- mig:branch_labels two/' r2-v2.sql >r2-v3.sql
put r2-v3.sql
is "$OUT|$ERR" "r2|" "new branch_labels on an unapplied revision are accepted"
is "$(q "$DB" "SELECT mig_heads(); SELECT mig_upgrade('two@head');")" "$(printf 'r2\nr2')" "the new label works"
is "$(raw "$DB" "SELECT group_concat(x, ',') FROM t;")" "r1,r2 v2" "the new body ran"

# mig_check: 1 at the head when bodies are as applied
sql "$DB" <<<"SELECT mig_downgrade('base'); SELECT mig_upgrade('heads'); SELECT mig_check();"
is "$OUT|$ERR" "$(printf '\nr2\n1|')" "after re-applying everything mig_check() is 1"
# edit and revert an applied body with force: back to 1
sed -e "s/'r2 v2'/'r2 v4'/" r2-v3.sql >r2-v4.sql
put r2-v4.sql '{"force": true}'
is "$OUT|$ERR" "r2|" "force an edit of applied r2"
is "$(q "$DB" "SELECT mig_check();")" 0 "a forced edit of an applied body: 0"
put r2-v3.sql '{"force": true}'
is "$(q "$DB" "SELECT mig_check();")" 1 "the body forced back to what was applied: 1"
# a new revision on top: behind again
rev r3.sql r3 r2 "INSERT INTO t VALUES ('r3');"
put r3.sql
is "$(q "$DB" "SELECT mig_check();")" 0 "a new revision uploaded: 0 (behind)"
is "$(q "$DB" "SELECT mig_upgrade('head'); SELECT mig_check();")" "$(printf 'r3\n1')" "upgraded: 1"
# a second head: not at the heads
rev r4.sql r4 r2 "INSERT INTO t VALUES ('r4');"
put r4.sql
is "$(q "$DB" "SELECT mig_check();")" 0 "a second head not applied: 0"
is "$(q "$DB" "SELECT mig_upgrade('heads'); SELECT mig_check();")" "$(printf 'r3 r4\n1')" "both heads applied: 1"

# an unapplied revision with a typo in its down_revision: the stored graph
# is broken until the typo is fixed, so fixing it (uploading the corrected
# text) and removing it must still work
rev typo.sql r5 r4_typo "INSERT INTO t VALUES ('r5');"
put typo.sql
is "$OUT|$ERR" "r5|" "a revision whose down_revision is not (yet) stored is accepted"
rev typo-fixed.sql r5 r4 "INSERT INTO t VALUES ('r5');"
put typo-fixed.sql
is "$OUT|$ERR" "r5|" "the corrected text of the unapplied revision is accepted"
is "$(q "$DB" "SELECT mig_heads();")" "r3 r5" "and the graph is whole again"
put typo.sql
sql "$DB" <<<"SELECT mig_remove_revision('r5'); SELECT mig_heads();"
is "$OUT|$ERR" "$(printf 'r5\nr3 r4|')" "an unapplied revision with a dangling down_revision can be removed"


# a squashed revision (mig squash): with force, an applied revision may
# become a root that keeps its branch labels
is "$(q "$DB" "SELECT mig_current();")" "r3 r4" "r2 is applied (below r3)"
sed -e '/^-- mig:down_revision/d' r2-v3.sql >r2-root.sql
put r2-root.sql
like "$ERR" 'its down_revision, branch_labels or depends_on cannot change' "without force an applied revision does not become a root"
sed -e '/^-- mig:down_revision/d' -e '/^-- mig:branch_labels/d' r2-v3.sql >r2-root-nolabel.sql
put r2-root-nolabel.sql '{"force": true}'
like "$ERR" 'cannot change' "with force, a root that drops its branch labels is still refused"
put r2-root.sql '{"force": true}'
is "$OUT|$ERR" "r2|" "with force an applied revision becomes a root"
is "$(q "$DB" "SELECT down_revisions || '|' || branch_labels FROM mig_revision WHERE env = 'default' AND revision = 'r2';")" "|two" \
    "r2 is stored as a root with its label"

done_testing

-- The extension installs, and its functions answer on an empty database.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(4);
SELECT has_function('mig_upgrade', ARRAY['text', 'text'], 'mig_upgrade(target, opts) exists');
SELECT is(mig_current(), '', 'mig_current() is empty at base');
SELECT is(mig_heads(), '', 'mig_heads() is empty without revisions');
SELECT has_table('mig', 'mig_version', 'the state table mig.mig_version exists');
SELECT * FROM finish();
ROLLBACK;

-- SPEC §4: every function of the SQL API, with and without opts.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(77);

-- ---- mig_put_revision ------------------------------------------------------
SELECT is(mig_put_revision($r$-- mig:revision a1
-- mig:message create t1
-- mig:upgrade
CREATE TABLE t1 (id int PRIMARY KEY);
INSERT INTO t1 VALUES (1);
-- mig:upgrade if data
INSERT INTO t1 VALUES (100);
-- mig:upgrade dialect=sqlite
CREATE TABLE sqlite_only (x int);
-- mig:upgrade dialect=postgresql
CREATE TABLE pg_only (x int);
-- mig:downgrade
DROP TABLE pg_only;
DROP TABLE t1;
$r$), 'a1', 'mig_put_revision(source) returns the revision id');

SELECT is(mig_put_revision($r$-- mig:revision b2
-- mig:down_revision a1
-- mig:message create t2
-- mig:upgrade
CREATE TABLE t2 (v text);
INSERT INTO t2 VALUES (mig_x('who'));
-- mig:downgrade
DROP TABLE t2;
$r$, '{}'), 'b2', 'mig_put_revision(source, ''{}'') returns the revision id');

SELECT is(mig_put_revision($r$-- mig:revision c3
-- mig:down_revision b2
-- mig:message create t3
-- mig:upgrade
CREATE TABLE t3 (id int);
-- mig:downgrade
DROP TABLE t3;
$r$, '{"env": "default"}'), 'c3', 'mig_put_revision(source, {"env":"default"}) returns the id');

SELECT is((SELECT count(*)::int FROM mig.mig_revision), 3, 'three revisions are stored');

CREATE TEMP TABLE snap_rev AS SELECT revision, checksum, source, seq FROM mig.mig_revision;
SELECT is(mig_put_revision($r$-- mig:revision b2
-- mig:down_revision a1
-- mig:message create t2
-- mig:upgrade
CREATE TABLE t2 (v text);
INSERT INTO t2 VALUES (mig_x('who'));
-- mig:downgrade
DROP TABLE t2;
$r$), 'b2', 'the same text again returns the id');
SELECT set_eq('SELECT revision, checksum, source, seq FROM mig.mig_revision', 'SELECT * FROM snap_rev',
              'the same text again is a no-op (rows unchanged)');

-- ---- mig_heads / mig_current / mig_check before any upgrade -----------------
SELECT is(mig_heads(), 'c3', 'mig_heads() is the graph head');
SELECT is(mig_heads('{"env":"default"}'), 'c3', 'mig_heads(opts) is the graph head');
SELECT is(mig_current(), '', 'mig_current() is empty at base');
SELECT is(mig_current('{"env":"default"}'), '', 'mig_current(opts) is empty at base');
SELECT is(mig_check(), false, 'mig_check() is false before the upgrade');
SELECT is(mig_check('{}'), false, 'mig_check(opts) is false before the upgrade');

-- ---- mig_plan ----------------------------------------------------------------
SELECT results_eq(
    $$SELECT step, direction, revision, message FROM mig_plan('upgrade', 'head')$$,
    $$VALUES (1, 'upgrade', 'a1', 'create t1'), (2, 'upgrade', 'b2', 'create t2'), (3, 'upgrade', 'c3', 'create t3')$$,
    'mig_plan(upgrade, head) lists the three steps in order');
SELECT results_eq(
    $$SELECT step, revision FROM mig_plan('upgrade', '+2', '{"env":"default"}')$$,
    $$VALUES (1, 'a1'), (2, 'b2')$$,
    'mig_plan(upgrade, +2, opts) lists two steps');
SELECT is((SELECT count(*)::int FROM mig.mig_version), 0, 'mig_plan changed no version state');
SELECT is(to_regclass('t1'), NULL, 'mig_plan ran nothing');

-- ---- mig_sql -------------------------------------------------------------------
SELECT matches(mig_sql('upgrade', 'head'), 'CREATE TABLE t1 \(id int PRIMARY KEY\);', 'mig_sql contains the body of a1');
SELECT matches(mig_sql('upgrade', 'head'), 'CREATE TABLE t3 \(id int\);', 'mig_sql contains the body of c3');
SELECT matches(mig_sql('upgrade', 'head'), 'CREATE TABLE pg_only', 'mig_sql contains the dialect=postgresql section');
SELECT doesnt_match(mig_sql('upgrade', 'head'), 'sqlite_only', 'mig_sql leaves out the dialect=sqlite section');
SELECT matches(mig_sql('upgrade', 'head'), 'INSERT INTO mig\.mig_version .*''a1''', 'mig_sql inserts the version row');
SELECT matches(mig_sql('upgrade', 'head'), 'UPDATE mig\.mig_version SET version_num = ''c3''', 'mig_sql updates the version row');
SELECT matches(mig_sql('upgrade', 'head'), 'INSERT INTO mig\.mig_history', 'mig_sql writes history');
SELECT matches(mig_sql('upgrade', 'head', '{"x":{"data":"on"}}'), 'INSERT INTO t1 VALUES \(100\)',
               'mig_sql(opts) with x data includes the if-data section');
SELECT doesnt_match(mig_sql('upgrade', 'head'), 'VALUES \(100\)', 'mig_sql without x leaves out the if-data section');
SELECT is(to_regclass('t1'), NULL, 'mig_sql ran nothing');

-- ---- mig_upgrade ----------------------------------------------------------------
SELECT is(mig_upgrade('+1'), 'a1', 'mig_upgrade(+1) returns a1');
SELECT isnt(to_regclass('t1'), NULL, 'a1 created t1');
SELECT isnt(to_regclass('pg_only'), NULL, 'the dialect=postgresql section ran');
SELECT is(to_regclass('sqlite_only'), NULL, 'the dialect=sqlite section was skipped');
SELECT results_eq('SELECT id FROM t1 ORDER BY id', ARRAY[1], 'the if-data section did not run without x data');
SELECT is(mig_current(), 'a1', 'mig_current() is a1');

SELECT is(mig_upgrade('head', '{"x":{"who":"bob"}}'), 'c3', 'mig_upgrade(head, opts with x) returns c3');
SELECT results_eq('SELECT v FROM t2', ARRAY['bob'], 'mig_x() inside a revision sees the x-argument');
SELECT is(mig_x('who'), NULL, 'mig_x() outside a run is NULL');
SELECT is(mig_check(), true, 'mig_check() is true at head');
SELECT results_eq(
    $$SELECT revision, direction FROM mig.mig_history ORDER BY id$$,
    $$VALUES ('a1', 'upgrade'), ('b2', 'upgrade'), ('c3', 'upgrade')$$,
    'mig_history has the three upgrades');
SELECT results_eq($$SELECT version_num FROM mig.mig_version WHERE env = 'default'$$, ARRAY['c3'],
                  'mig_version holds one row, c3');
SELECT is(mig_upgrade('head'), 'c3', 'mig_upgrade(head) at head is a no-op');
SELECT is((SELECT count(*)::int FROM mig.mig_history), 3, 'the no-op wrote no history');

-- ---- mig_downgrade -----------------------------------------------------------------
SELECT is(mig_downgrade('-1'), 'b2', 'mig_downgrade(-1) returns b2');
SELECT is(to_regclass('t3'), NULL, 'c3''s downgrade dropped t3');
SELECT is(mig_downgrade('base', '{"env":"default"}'), '', 'mig_downgrade(base, opts) returns empty');
SELECT is(to_regclass('t1'), NULL, 'the downgrade to base dropped t1');
SELECT is(to_regclass('pg_only'), NULL, 'the downgrade to base dropped pg_only');
SELECT is((SELECT count(*)::int FROM mig.mig_history WHERE direction = 'downgrade'), 3, 'three downgrades in history');

-- the if section with a truthy x-argument (any case)
SELECT is(mig_upgrade('a1', '{"x":{"data":"TRUE"}}'), 'a1', 'mig_upgrade(a1, x data TRUE)');
SELECT results_eq('SELECT id FROM t1 ORDER BY id', ARRAY[1, 100], 'the if-data section ran with data=TRUE');
SELECT is(mig_downgrade('base'), '', 'back to base');
SELECT is(mig_upgrade('a1', '{"x":{"data":"no"}}'), 'a1', 'mig_upgrade(a1, x data no)');
SELECT results_eq('SELECT id FROM t1 ORDER BY id', ARRAY[1], 'the if-data section did not run with data=no');

-- ---- mig_stamp ------------------------------------------------------------------------
SELECT is(mig_stamp('head'), 'c3', 'mig_stamp(head) returns c3');
SELECT is(to_regclass('t3'), NULL, 'mig_stamp ran no revision');
SELECT is(mig_stamp('b2', '{}'), 'b2', 'mig_stamp(b2, opts) moves the state down');
SELECT is((SELECT count(*)::int FROM mig.mig_history WHERE direction = 'stamp') > 0, true, 'stamps are recorded in history');
INSERT INTO mig.mig_version (env, tenant, version_num) VALUES ('default', '', 'zz_unknown');
SELECT throws_ok($$SELECT mig_stamp('a1')$$, '55000', NULL, 'mig_stamp without purge refuses an unknown version row');
SELECT is(mig_stamp('a1', '{"purge": true}'), 'a1', 'mig_stamp(a1, purge) starts from an empty state');
SELECT results_eq($$SELECT version_num FROM mig.mig_version WHERE env = 'default'$$, ARRAY['a1'],
                  'after the purge only a1 is left');

-- ---- mig_remove_revision ---------------------------------------------------------------
SELECT is(mig_remove_revision('c3'), 'c3', 'mig_remove_revision(c3) returns the id');
SELECT is(mig_heads(), 'b2', 'after the removal b2 is the head');

-- ---- mig_check: a changed checksum of an applied revision -------------------------
SELECT is(mig_check(), false, 'mig_check() is false: a1 is not the head b2');
SELECT is(mig_upgrade('head'), 'b2', 'upgraded to b2');
SELECT is(mig_check(), true, 'mig_check() is true at b2');
SELECT is(mig_put_revision($r$-- mig:revision b2
-- mig:down_revision a1
-- mig:message create t2
-- mig:upgrade
CREATE TABLE t2 (v text, w text);
INSERT INTO t2 VALUES (mig_x('who'));
-- mig:downgrade
DROP TABLE t2;
$r$, '{"force": true}'), 'b2', 'force replaces the body of the applied b2');
SELECT is(mig_check(), false, 'mig_check() is false once an applied revision''s checksum changed');
SELECT is(mig_downgrade('a1'), 'a1', 'downgrade below b2');
SELECT is(mig_upgrade('head'), 'b2', 'upgrade with the new body');
SELECT is(mig_check(), true, 'mig_check() is true again');

-- ---- env isolation --------------------------------------------------------------------
SELECT is(mig_put_revision($r$-- mig:revision e1
-- mig:upgrade
CREATE TABLE env_t (x int);
-- mig:downgrade
DROP TABLE env_t;
$r$, '{"env":"other"}'), 'e1', 'mig_put_revision in env other');
SELECT is(mig_heads('{"env":"other"}'), 'e1', 'env other has its own head');
SELECT is(mig_heads(), 'b2', 'the default env does not see env other''s revisions');
SELECT is(mig_upgrade('head', '{"env":"other"}'), 'e1', 'mig_upgrade(head) in env other');
SELECT is(mig_current(), 'b2', 'the default env''s version is unchanged');
SELECT is(mig_put_revision($r$-- mig:revision e2
-- mig:down_revision e1
-- mig:upgrade
SELECT 1;
$r$, '{"env":"other"}'), 'e2', 'a second revision in env other');
SELECT is(mig_remove_revision('e2', '{"env":"other"}'), 'e2', 'mig_remove_revision(id, opts) removes an unapplied revision');
SELECT is(mig_heads('{"env":"other"}'), 'e1', 'env other is back to head e1');
SELECT throws_ok($$SELECT mig_remove_revision('e1', '{"env":"other"}')$$, '55000', NULL,
                 'mig_remove_revision(opts) refuses an applied revision');

SELECT * FROM finish();
ROLLBACK;

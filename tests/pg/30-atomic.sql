-- SPEC §4 atomicity: a call that fails leaves the database exactly as before
-- the call (schema, data, version state, history), whatever statement
-- failed; a call inside the caller's transaction nests in it (savepoints).
BEGIN;
CREATE EXTENSION mig;
SELECT plan(44);

-- everything a failed call could have touched, as one text
SET LOCAL check_function_bodies = off;
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $f$
SELECT concat_ws(' | ',
    'tables: ' || (SELECT string_agg(t || '=' || coalesce(to_regclass(t)::text, '-'), ',' ORDER BY t)
                   FROM unnest(ARRAY['base_t', 'x1', 'x2', 'm1', 'm2', 'l1', 'l2', 'g1_t', 'g2_t', 'g3_t']) t),
    'data: ' || (SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM base_t),
    'current: ' || mig_current(),
    'history: ' || (SELECT count(*) FROM mig.mig_history),
    'version: ' || (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM mig.mig_version))
$f$;

SELECT is(mig_put_revision($r$-- mig:revision a1
-- mig:upgrade
CREATE TABLE base_t (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO base_t VALUES (1, 'one'), (2, 'two');
-- mig:downgrade
DROP TABLE base_t;
$r$), 'a1', 'a1 stored');
SELECT is(mig_upgrade('head'), 'a1', 'a1 applied');
CREATE TEMP TABLE before AS SELECT pg_temp.state() AS s;
SELECT ok((SELECT s FROM before) LIKE '%data: 1:one,2:two | current: a1 | history: 1 | version: a1', 'the snapshot: ' || (SELECT s FROM before));

-- ---- one revision failing at its first statement ---------------------------------
SELECT is(mig_put_revision($r$-- mig:revision f_first
-- mig:down_revision a1
-- mig:upgrade
INSERT INTO base_t VALUES (1, 'dup');
CREATE TABLE x1 (x int);
CREATE TABLE x2 (x int);
UPDATE base_t SET v = 'changed';
$r$), 'f_first', 'f_first stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '23505', NULL, 'f_first fails with 23505');
SELECT is(pg_temp.state(), (SELECT s FROM before), 'after a failure at the first statement nothing changed');
SELECT is(mig_remove_revision('f_first'), 'f_first', 'f_first removed');

-- ---- failing at a middle statement ---------------------------------------------------
SELECT is(mig_put_revision($r$-- mig:revision f_mid
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE m1 (x int);
UPDATE base_t SET v = 'changed';
INSERT INTO base_t VALUES (3, 'three');
INSERT INTO base_t VALUES (2, 'dup');
CREATE TABLE m2 (x int);
DELETE FROM base_t;
$r$), 'f_mid', 'f_mid stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '23505', NULL, 'f_mid fails with 23505');
SELECT is(pg_temp.state(), (SELECT s FROM before), 'after a failure at a middle statement nothing changed');
SELECT is(mig_remove_revision('f_mid'), 'f_mid', 'f_mid removed');

-- ---- failing at its last statement (in a second section) ---------------------------------
SELECT is(mig_put_revision($r$-- mig:revision f_last
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE l1 (x int);
INSERT INTO base_t VALUES (50, 'fifty');
UPDATE base_t SET v = upper(v);
-- mig:upgrade dialect=postgresql
CREATE TABLE l2 (x int);
SELECT 1 / 0;
$r$), 'f_last', 'f_last stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '22012', NULL, 'f_last fails with 22012 at its last statement');
SELECT is(pg_temp.state(), (SELECT s FROM before), 'after a failure at the last statement nothing changed');
SELECT is(mig_remove_revision('f_last'), 'f_last', 'f_last removed');

-- ---- a failing third revision after two good ones ---------------------------------------
SELECT is(mig_put_revision($r$-- mig:revision g1
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE g1_t (x int);
INSERT INTO base_t VALUES (10, 'ten');
-- mig:downgrade
DELETE FROM base_t WHERE id = 10;
DROP TABLE g1_t;
$r$), 'g1', 'g1 stored');
SELECT is(mig_put_revision($r$-- mig:revision g2
-- mig:down_revision g1
-- mig:upgrade
CREATE TABLE g2_t (x int);
UPDATE base_t SET v = 'g2' WHERE id = 1;
-- mig:downgrade
UPDATE base_t SET v = 'one' WHERE id = 1;
DROP TABLE g2_t;
$r$), 'g2', 'g2 stored');
SELECT is(mig_put_revision($r$-- mig:revision g3
-- mig:down_revision g2
-- mig:upgrade
CREATE TABLE g3_t (x int);
INSERT INTO base_t VALUES (11, NULL);
-- mig:downgrade
DROP TABLE g3_t;
$r$), 'g3', 'g3 stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '23502', NULL, 'g3 fails with 23502 after g1 and g2 ran');
SELECT matches((SELECT pg_temp.state()), 'g1_t=-,g2_t=-,g3_t=-', 'no table of g1, g2, g3 exists');
SELECT is(pg_temp.state(), (SELECT s FROM before), 'after the failing third revision nothing changed');
SELECT is(to_regclass('g1_t'), NULL, 'to_regclass(g1_t) is NULL');
SELECT is(to_regclass('g2_t'), NULL, 'to_regclass(g2_t) is NULL');
SELECT is(mig_current(), 'a1', 'mig_current() is still a1');
SELECT is((SELECT count(*)::int FROM mig.mig_history), 1, 'mig_history still has one row');
SELECT throws_ok($$SELECT mig_upgrade('g3')$$, '23502', NULL, 'an explicit target g3 fails the same way');
SELECT is(pg_temp.state(), (SELECT s FROM before), '... and nothing changed either');

-- the good part on its own works, so the failure was really g3's
SELECT is(mig_upgrade('g2'), 'g2', 'mig_upgrade(g2) works');
SELECT results_eq('SELECT v FROM base_t ORDER BY id', ARRAY['g2', 'two', 'ten'], 'g1 and g2 changed the data');
CREATE TEMP TABLE at_g2 AS SELECT pg_temp.state() AS s;

-- ---- a failing downgrade: the revisions it already downgraded are restored ----------------
SELECT is(mig_stamp('g3'), 'g3', 'stamped at g3 (without running it)');
CREATE TABLE g3_t (x int);
DO $do$BEGIN PERFORM mig_put_revision((SELECT replace(source, 'DROP TABLE g3_t;', 'DROP TABLE g3_t; SELECT 1 / 0;') FROM mig.mig_revision WHERE revision = 'g3'), '{"force": true}'); END$do$;  -- a changed body, through the API
CREATE TEMP TABLE at_g3 AS SELECT pg_temp.state() AS s;
SELECT throws_ok($$SELECT mig_downgrade('a1')$$, '22012', NULL, 'the downgrade of g3 fails at its last statement');
SELECT is(pg_temp.state(), (SELECT s FROM at_g3), 'after the failed downgrade nothing changed (g3_t still there)');
DO $do$BEGIN PERFORM mig_put_revision((SELECT replace(source, 'DROP TABLE g3_t; SELECT 1 / 0;', 'DROP TABLE g3_t;') FROM mig.mig_revision WHERE revision = 'g3'), '{"force": true}'); END$do$;  -- a changed body, through the API

SELECT is(mig_put_revision($r$-- mig:revision g4
-- mig:down_revision g3
-- mig:upgrade
SELECT 1;
-- mig:downgrade
SELECT 1;
$r$), 'g4', 'g4 stored');
SELECT is(mig_upgrade('g4'), 'g4', 'g4 applied');
DO $do$BEGIN PERFORM mig_put_revision((SELECT replace(source, 'UPDATE base_t SET v = ''one'' WHERE id = 1;', 'UPDATE base_t SET v = NULL WHERE id = 1;') FROM mig.mig_revision WHERE revision = 'g2'), '{"force": true}'); END$do$;  -- a changed body, through the API
CREATE TEMP TABLE at_g4 AS SELECT pg_temp.state() AS s;
SELECT throws_ok($$SELECT mig_downgrade('base')$$, '23502', NULL, 'a downgrade to base fails in g2 after g4 and g3 were downgraded');
SELECT is(pg_temp.state(), (SELECT s FROM at_g4), 'after the failed multi-step downgrade nothing changed');

-- ---- savepoint semantics: the caller's earlier work survives a failed call ----------------------
CREATE TABLE caller_t (x int);
INSERT INTO caller_t VALUES (42);
UPDATE base_t SET v = 'caller' WHERE id = 2;
SELECT throws_ok($$SELECT mig_downgrade('base')$$, '23502', NULL, 'a failing call inside the caller''s transaction');
SELECT results_eq('SELECT x FROM caller_t', ARRAY[42], 'the caller''s table and row made earlier in the transaction survive');
SELECT results_eq('SELECT v FROM base_t WHERE id = 2', ARRAY['caller'], 'the caller''s earlier update survives');
SELECT is(mig_current(), 'g4', 'the version state is as before the failed call');
SELECT is(mig_downgrade('g3'), 'g3', 'a later call in the same transaction works');
SELECT is(to_regclass('caller_t')::text, 'caller_t', 'and the caller''s work is still there');
SELECT is(mig_upgrade('g4'), 'g4', 'back to g4 in the same transaction');
SELECT is((SELECT count(*)::int FROM mig.mig_history WHERE revision = 'g4'), 3, 'g4: upgrade, downgrade, upgrade in history');

SELECT * FROM finish();
ROLLBACK;

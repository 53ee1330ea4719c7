-- SPEC §4: the tenant option runs the revisions in that schema and keeps
-- its own version state (mig_version.tenant, mig_history.tenant).
BEGIN;
CREATE EXTENSION mig;
SELECT plan(38);

CREATE SCHEMA acme;
CREATE SCHEMA beta;
SET LOCAL search_path = public;

SELECT is(mig_put_revision($r$-- mig:revision t1
-- mig:message things
-- mig:upgrade
CREATE TABLE things (id int, schema_name text);
INSERT INTO things VALUES (1, current_schema());
-- mig:downgrade
DROP TABLE things;
$r$), 't1', 't1 stored');
SELECT is(mig_put_revision($r$-- mig:revision t2
-- mig:down_revision t1
-- mig:message more things
-- mig:upgrade
CREATE TABLE more_things (id int);
INSERT INTO things VALUES (2, current_schema());
-- mig:downgrade
DELETE FROM things WHERE id = 2;
DROP TABLE more_things;
$r$), 't2', 't2 stored');

-- ---- upgrade in tenant acme -------------------------------------------------------
SELECT is(mig_upgrade('head', '{"tenant":"acme"}'), 't2', 'mig_upgrade(head, tenant acme) returns t2');
SELECT isnt(to_regclass('acme.things'), NULL, 'acme.things exists');
SELECT isnt(to_regclass('acme.more_things'), NULL, 'acme.more_things exists');
SELECT is(to_regclass('public.things'), NULL, 'public.things does not exist');
SELECT is(to_regclass('beta.things'), NULL, 'beta.things does not exist');
SELECT results_eq('SELECT schema_name FROM acme.things ORDER BY id', ARRAY['acme', 'acme'],
                  'current_schema() inside the revisions was acme');
SELECT is(current_setting('search_path'), 'public', 'the caller''s search_path is restored after the call');

SELECT is(mig_current('{"tenant":"acme"}'), 't2', 'mig_current(tenant acme) is t2');
SELECT is(mig_current(), '', 'mig_current() without tenant is still empty');
SELECT is(mig_current('{"tenant":"beta"}'), '', 'mig_current(tenant beta) is empty');
SELECT is(mig_check('{"tenant":"acme"}'), true, 'mig_check(tenant acme) is true');
SELECT is(mig_check(), false, 'mig_check() without tenant is false');
SELECT results_eq($$SELECT env, tenant, version_num FROM mig.mig_version$$,
                  $$VALUES ('default', 'acme', 't2')$$, 'mig_version holds the row of tenant acme');
SELECT results_eq($$SELECT tenant, revision, direction FROM mig.mig_history ORDER BY id$$,
                  $$VALUES ('acme', 't1', 'upgrade'), ('acme', 't2', 'upgrade')$$, 'mig_history records tenant acme');

-- ---- tenant beta: its own state -----------------------------------------------------
SELECT results_eq($$SELECT revision FROM mig_plan('upgrade', 'head', '{"tenant":"beta"}')$$, ARRAY['t1', 't2'],
                  'mig_plan for tenant beta plans both revisions');
SELECT is(mig_upgrade('+1', '{"tenant":"beta"}'), 't1', 'mig_upgrade(+1, tenant beta) returns t1');
SELECT isnt(to_regclass('beta.things'), NULL, 'beta.things exists');
SELECT is(to_regclass('beta.more_things'), NULL, 'beta.more_things does not exist');
SELECT is(mig_current('{"tenant":"beta"}'), 't1', 'mig_current(tenant beta) is t1');
SELECT is(mig_current('{"tenant":"acme"}'), 't2', 'tenant acme is still t2');

-- ---- downgrade in one tenant -----------------------------------------------------------
SELECT is(mig_downgrade('base', '{"tenant":"acme"}'), '', 'mig_downgrade(base, tenant acme)');
SELECT is(to_regclass('acme.things'), NULL, 'acme.things is gone');
SELECT isnt(to_regclass('beta.things'), NULL, 'beta.things is still there');
SELECT is(mig_current('{"tenant":"beta"}'), 't1', 'tenant beta is still t1');

-- ---- the default (no tenant) runs in the caller's search_path -------------------------------
SELECT is(mig_upgrade('t1'), 't1', 'mig_upgrade(t1) without tenant');
SELECT isnt(to_regclass('public.things'), NULL, 'public.things exists');
SELECT results_eq($$SELECT version_num FROM mig.mig_version WHERE tenant = ''$$, ARRAY['t1'], 'the untenanted row is t1');

-- ---- a failing tenant call restores search_path and state ------------------------------------
CREATE TABLE beta.more_things (id int);
SELECT throws_ok($$SELECT mig_upgrade('head', '{"tenant":"beta"}')$$, '42P07', NULL,
                 'tenant beta: t2 fails with 42P07 (more_things exists already)');
SELECT is(current_setting('search_path'), 'public', 'search_path is restored after the failed tenant call');
SELECT is(mig_current('{"tenant":"beta"}'), 't1', 'tenant beta is still t1');

-- ---- a tenant whose name needs quoting ------------------------------------------------------
CREATE SCHEMA "Acme Co";
SELECT is(mig_upgrade('t1', '{"tenant":"Acme Co"}'), 't1', 'mig_upgrade(t1, tenant "Acme Co")');
SELECT isnt(to_regclass('"Acme Co".things'), NULL, '"Acme Co".things exists');
SELECT is(mig_current('{"tenant":"Acme Co"}'), 't1', 'mig_current(tenant "Acme Co") is t1');
SELECT throws_ok($$SELECT mig_upgrade('head', '{"tenant":"acme co"}')$$, '22023', NULL,
                 'the tenant name is case-sensitive: "acme co" does not exist');

-- ---- a missing tenant schema ----------------------------------------------------------------
SELECT throws_ok($$SELECT mig_upgrade('head', '{"tenant":"nope"}')$$, '22023', 'tenant schema "nope" does not exist',
                 'mig_upgrade with a missing tenant schema is 22023');
SELECT throws_ok($$SELECT mig_current('{"tenant":"nope"}')$$, '22023', NULL,
                 'mig_current with a missing tenant schema is 22023');

SELECT * FROM finish();
ROLLBACK;

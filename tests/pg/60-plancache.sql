-- The plans of mig's internal statements are kept by the backend across calls
-- (pg_ext/mig_pg.c, plan_cache): in one session, a kept plan must follow the
-- tables when they are dropped and created again (also by a rolled-back
-- savepoint), must never take an operator from the caller's search_path, and
-- must check the privileges of the role that runs it, not of the one that
-- prepared it.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(16);

CREATE FUNCTION pg_temp.rev(id text, down text) RETURNS text LANGUAGE sql AS $f$
SELECT '-- mig:revision ' || id || E'\n' || coalesce('-- mig:down_revision ' || down || E'\n', '') ||
       E'-- mig:upgrade\nINSERT INTO pc_log VALUES (''' || id || E''');\n-- mig:downgrade\nDELETE FROM pc_log WHERE v = ''' ||
       id || E''';\n'
$f$;
CREATE TABLE pc_log (v text);

-- ---- the plans are kept: many calls in one statement, and again later -------------------------
SELECT is((SELECT count(mig_put_revision(pg_temp.rev('p' || i, CASE WHEN i > 1 THEN 'p' || (i - 1) END)))::int
           FROM generate_series(1, 20) i), 20, 'twenty uploads in one statement');
SELECT is(mig_upgrade('p10'), 'p10', 'an upgrade after them (its statements prepared in earlier calls too)');
SELECT is((SELECT count(*)::int FROM mig.mig_history), 10, 'ten history rows');
SELECT is(mig_upgrade('head'), 'p20', 'a second upgrade call reuses the kept plans');
SELECT is((SELECT count(*)::int FROM pc_log), 20, 'every body ran once');

-- ---- the tables dropped and created again in the same session ---------------------------------
DROP EXTENSION mig;
CREATE EXTENSION mig;
SELECT is(mig_put_revision(pg_temp.rev('q1', NULL)), 'q1', 'an upload after DROP/CREATE EXTENSION');
SELECT is((SELECT array_agg(revision)::text FROM mig.mig_revision), '{q1}', 'it went to the new table');
SELECT is(mig_upgrade('head'), 'q1', 'an upgrade in the new tables');
SELECT is(mig_current(), 'q1', 'mig_current reads the new version table');

-- ---- a savepoint that created the tables rolled back: the plans follow ------------------------
SAVEPOINT s;
DROP EXTENSION mig;
CREATE EXTENSION mig;
SELECT is(mig_put_revision(pg_temp.rev('r1', NULL)), 'r1', 'an upload in tables made inside a savepoint');
ROLLBACK TO SAVEPOINT s;
SELECT is(mig_put_revision(pg_temp.rev('q2', 'q1')), 'q2', 'after ROLLBACK TO: an upload into the tables of before');
SELECT is((SELECT array_agg(revision ORDER BY revision)::text FROM mig.mig_revision), '{q1,q2}',
          'the rows of before, with the new one');

-- ---- the caller's search_path never reaches a kept plan ---------------------------------------
CREATE SCHEMA pc_evil;
CREATE FUNCTION pc_evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
    $f$BEGIN RAISE EXCEPTION 'the caller''s operator ran'; END$f$;
CREATE OPERATOR pc_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = pc_evil.texteq);
SET LOCAL search_path = pc_evil, public;
SELECT is(mig_upgrade('head'), 'q2', 'with an operator = first in search_path: the kept plans do not use it');
SELECT is(mig_current(), 'q2', 'nor does mig_current');
RESET search_path;

-- ---- privileges are checked for the role that runs the plan -----------------------------------
SELECT is(mig_sql('upgrade', 'q1:q2') IS NOT NULL, true, 'the superuser reads the sources (the plan is kept)');
CREATE ROLE pc_reader NOLOGIN;
GRANT EXECUTE ON FUNCTION mig_sql(text, text, text) TO pc_reader;
GRANT USAGE ON SCHEMA mig TO pc_reader;
SET LOCAL ROLE pc_reader;
SELECT throws_ok($$SELECT mig_sql('upgrade', 'q1:q2')$$, '42501', NULL,
                 'a role without SELECT on the state tables cannot read them through the kept plan');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

-- The history rows of a call are written in batches (pg_ext/mig_pg.c,
-- be_history): one row per step, in step order, with the step's values, in
-- the call's transaction; none when the call fails, also after a batch was
-- written; a stamp's and a downgrade's rows too.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(14);

CREATE FUNCTION pg_temp.rev(i int, fail int) RETURNS text LANGUAGE sql AS $f$
SELECT '-- mig:revision h' || i || E'\n' || CASE WHEN i > 1 THEN '-- mig:down_revision h' || (i - 1) || E'\n' ELSE '' END ||
       E'-- mig:upgrade\n' || CASE WHEN i = fail THEN E'INSERT INTO h_log VALUES (NULL);\n'
                                   ELSE 'INSERT INTO h_log VALUES (' || i || E');\n' END ||
       E'-- mig:downgrade\nDELETE FROM h_log WHERE n = ' || i || E';\n'
$f$;
CREATE TABLE h_log (n int NOT NULL);

-- ---- 2,500 steps: more than one batch ------------------------------------------------------------
SELECT is((SELECT count(mig_put_revision(pg_temp.rev(i, 0)))::int FROM generate_series(1, 2500) i), 2500,
          '2,500 revisions uploaded');
SELECT is(mig_upgrade('h2400'), 'h2400', 'an upgrade of 2,400 steps');
SELECT is((SELECT count(*)::int FROM mig.mig_history), 2400, 'one history row per step');
SELECT is((SELECT array_agg(revision ORDER BY id) FROM mig.mig_history),
          (SELECT array_agg('h' || i ORDER BY i) FROM generate_series(1, 2400) i),
          'the rows in step order (ids ascending)');
SELECT is((SELECT count(*)::int FROM mig.mig_history h JOIN mig.mig_revision r USING (env, revision)
           WHERE h.direction = 'upgrade' AND h.env = 'default' AND h.tenant = '' AND h.checksum = r.checksum
             AND h.applied_by = current_user AND h.started_at <= now() + interval '1 minute'
             AND h.started_at >= now() - interval '1 hour' AND h.duration_ms >= 0), 2400,
          'every row has the step''s env, tenant, direction, checksum, applied_by, started_at, duration');
SELECT is((SELECT count(*)::int FROM mig.mig_history h JOIN mig.mig_revision r USING (env, revision)
           WHERE h.checksum IS DISTINCT FROM r.checksum), 0, 'no checksum differs (as mig_check reads them)');

-- ---- a failing step after a written batch: nothing of the call stays -----------------------------
SELECT lives_ok($$SELECT mig_put_revision(pg_temp.rev(2499, 2499), '{"force": true}')$$,
                'h2499 replaced by a failing body');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '23502', NULL, 'an upgrade failing at its 99th step fails');
SELECT is((SELECT count(*)::int FROM mig.mig_history), 2400, 'no history row of the failed call');
SELECT is(mig_current(), 'h2400', 'nor a version change');

-- ---- a downgrade of more than one batch, and a stamp ---------------------------------------------
SELECT is(mig_downgrade('h1000'), 'h1000', 'a downgrade of 1,400 steps');
SELECT is((SELECT array_agg(revision ORDER BY id) FROM mig.mig_history WHERE direction = 'downgrade'),
          (SELECT array_agg('h' || i ORDER BY i DESC) FROM generate_series(1001, 2400) i),
          'its rows in step order');
SELECT is(mig_stamp('h1200'), 'h1200', 'a stamp');
SELECT is((SELECT array_agg(revision || ' ' || direction ORDER BY id) FROM mig.mig_history WHERE id > (
              SELECT max(id) FROM mig.mig_history WHERE direction = 'downgrade')),
          ARRAY['h1200 stamp'], 'its row, after the downgrade''s');

SELECT * FROM finish();
ROLLBACK;

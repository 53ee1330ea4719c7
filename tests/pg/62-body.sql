-- The first statement of a revision body runs from the parse tree that the
-- server's parser checked (pg_ext/mig_pg.c, exec_parsed); the later ones are
-- read again after the ones before them ran.  Errors, their lines, notices,
-- utility statements and the refusal of transaction control are as for any
-- statement.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(12);

CREATE TABLE b_t (v text NOT NULL);

SELECT is(mig_put_revision(E'-- mig:revision b1\n-- mig:upgrade\n-- a comment first\n\nCREATE TABLE b_u (x int);\nINSERT INTO b_u VALUES (1), (2);\nINSERT INTO b_t SELECT ''n'' || count(*) FROM b_u;\n'),
          'b1', 'b1: a utility statement first, then two statements');
SELECT is(mig_put_revision(E'-- mig:revision b2\n-- mig:down_revision b1\n-- mig:upgrade\nWITH w AS (INSERT INTO b_t VALUES (''w'') RETURNING v) INSERT INTO b_t SELECT v || ''2'' FROM w;\n'),
          'b2', 'b2: one data-modifying CTE, no trailing text');
SELECT is(mig_put_revision(E'-- mig:revision b3\n-- mig:down_revision b2\n-- mig:upgrade\nDO $$BEGIN RAISE NOTICE ''b3 ran''; END$$;\n'),
          'b3', 'b3: a DO block that raises a notice');
SELECT is(mig_upgrade('b3'), 'b3', 'b1..b3 run');
SELECT results_eq('SELECT v FROM b_t ORDER BY v', ARRAY['n2', 'w', 'w2'], 'their statements all ran once');

-- ---- errors in the first statement -------------------------------------------------------------
SELECT is(mig_put_revision(E'-- mig:revision b4\n-- mig:down_revision b3\n-- mig:upgrade\n\nSELECT nosuch FROM b_t;\nINSERT INTO b_t VALUES (''never'');\n'),
          'b4', 'b4: an unknown column in the first statement');
SELECT throws_like($$SELECT mig_upgrade('b4')$$, '%revision b4 (upgrade) failed at line 5: column "nosuch" does not exist%',
                   'its error and line');
SELECT throws_ok($$SELECT mig_upgrade('b4')$$, '42703', NULL, 'with the server''s SQLSTATE');
SELECT is(mig_remove_revision('b4'), 'b4', 'b4 removed');
SELECT is(mig_put_revision(E'-- mig:revision b5\n-- mig:down_revision b3\n-- mig:upgrade\nCOMMIT;\nINSERT INTO b_t VALUES (''never'');\n'),
          'b5', 'b5: COMMIT first');
SELECT throws_ok($$SELECT mig_upgrade('b5')$$, '0A000', NULL, 'a COMMIT as the first statement is refused');
SELECT results_eq('SELECT v FROM b_t ORDER BY v', ARRAY['n2', 'w', 'w2'], 'nothing of b4 or b5 ran');

SELECT * FROM finish();
ROLLBACK;

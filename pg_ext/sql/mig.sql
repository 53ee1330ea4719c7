-- The PGXS regression test of the extension (make -C pg_ext installcheck,
-- against the server of PGHOST/PGPORT/PGUSER, with the extension
-- installed): two revisions uploaded, planned, upgraded, read back and
-- downgraded.  The full suites are tests/pg/ (tests/run/60-pg.t).
CREATE EXTENSION mig;
SELECT mig_current() AS current, mig_heads() AS heads;

SELECT mig_put_revision($rev$-- mig:revision r1
-- mig:message create t

-- mig:upgrade
CREATE TABLE t (x integer);

-- mig:downgrade
DROP TABLE t;
$rev$) AS uploaded;

SELECT mig_put_revision($rev$-- mig:revision r2
-- mig:down_revision r1
-- mig:message fill t

-- mig:upgrade
INSERT INTO t VALUES (1), (2);

-- mig:downgrade
DELETE FROM t;
$rev$) AS uploaded;

SELECT mig_heads() AS heads, mig_check() AS at_heads;
SELECT * FROM mig_plan('upgrade', 'head');

SELECT mig_upgrade('head') AS upgraded;
SELECT mig_current() AS current, mig_check() AS at_heads;
SELECT sum(x) FROM t;
SELECT revision, direction FROM mig.mig_history ORDER BY id;

SELECT mig_downgrade('-1') AS downgraded;
SELECT mig_current() AS current, count(*) AS rows_left FROM t;

-- r3 fails: the whole call is undone, r2 included
SELECT mig_put_revision($rev$-- mig:revision r3
-- mig:down_revision r2

-- mig:upgrade
INSERT INTO t VALUES (3);
INSERT INTO no_such_table VALUES (1);
$rev$) AS uploaded;
\set VERBOSITY terse
SELECT mig_upgrade('head');
\set VERBOSITY default
SELECT mig_current() AS current, count(*) AS rows_in_t FROM t;

SELECT mig_downgrade('base') AS downgraded;
SELECT mig_current() AS current, to_regclass('t') AS t;
SELECT revision, direction FROM mig.mig_history ORDER BY id;

DROP EXTENSION mig;

-- SPEC §4: errors carry an SQLSTATE, the revision id, the direction and the
-- failing statement's own message (errdetail/errhint where useful).
BEGIN;
CREATE EXTENSION mig;
SELECT plan(63);

-- the error of a statement as 'SQLSTATE|message|detail|hint' (empty when it succeeds)
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE st text; m text; d text; h text;
BEGIN
    EXECUTE q;
    RETURN '';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN st || '|' || coalesce(m, '') || '|' || coalesce(d, '') || '|' || coalesce(h, '');
END $f$;

SELECT is(mig_put_revision($r$-- mig:revision a1
-- mig:message base table
-- mig:upgrade
CREATE TABLE u (id int PRIMARY KEY);
INSERT INTO u VALUES (1);
-- mig:downgrade
DROP TABLE u;
$r$), 'a1', 'a1 stored');

-- ---- unknown target: 42704 ---------------------------------------------------
SELECT throws_ok($$SELECT mig_upgrade('nope')$$, '42704', NULL, 'mig_upgrade(unknown target) is 42704');
SELECT throws_ok($$SELECT mig_downgrade('nope')$$, '42704', NULL, 'mig_downgrade(unknown target) is 42704');
SELECT throws_ok($$SELECT mig_stamp('nope')$$, '42704', NULL, 'mig_stamp(unknown target) is 42704');
SELECT throws_ok($$SELECT * FROM mig_plan('upgrade', 'nope')$$, '42704', NULL, 'mig_plan(unknown target) is 42704');
SELECT throws_ok($$SELECT mig_sql('upgrade', 'nope')$$, '42704', NULL, 'mig_sql(unknown target) is 42704');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('nope')$$), '^42704\|.*''nope''', 'the message names the unknown target');

-- ---- malformed revision file: 22023, names the line ---------------------------
SELECT throws_ok($$SELECT mig_put_revision(E'-- mig:revision b1\n-- mig:bogus x\n-- mig:upgrade\nSELECT 1;\n')$$,
                 '22023', NULL, 'an unknown header key is 22023');
SELECT matches(pg_temp.err($$SELECT mig_put_revision(E'-- mig:revision b1\n-- mig:bogus x\n-- mig:upgrade\nSELECT 1;\n')$$),
               '^22023\|[^|]*:2: .*bogus', 'the message names line 2 and the key');
SELECT throws_ok($$SELECT mig_put_revision(E'-- mig:upgrade\nSELECT 1;\n-- mig:revision b1\n')$$,
                 '22023', NULL, 'a section before the header is 22023');
SELECT matches(pg_temp.err($$SELECT mig_put_revision(E'-- mig:upgrade\nSELECT 1;\n-- mig:revision b1\n')$$),
               '^22023\|[^|]*:1: ', 'the message names line 1');
SELECT throws_ok($$SELECT mig_put_revision(E'-- mig:revision b1\n-- mig:message one\n-- mig:message two\n-- mig:upgrade\nSELECT 1;\n')$$,
                 '22023', NULL, 'a duplicate header key is 22023');
SELECT matches(pg_temp.err($$SELECT mig_put_revision(E'-- mig:revision b1\n-- mig:message one\n-- mig:message two\n-- mig:upgrade\nSELECT 1;\n')$$),
               '^22023\|[^|]*:3: ', 'the message names line 3 (the duplicate)');
SELECT throws_ok($$SELECT mig_put_revision(E'-- mig:revision bad-id\n-- mig:upgrade\nSELECT 1;\n')$$,
                 '22023', NULL, 'a malformed id is 22023');
SELECT is((SELECT count(*)::int FROM mig.mig_revision), 1, 'no malformed revision was stored');

-- ---- options: 22023 -------------------------------------------------------------
SELECT throws_ok($$SELECT mig_current('{"bogus": 1}')$$, '22023', NULL, 'an unknown option key is 22023');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head', '{"bogus": 1}')$$), '^22023\|.*bogus', 'the message names the key');
SELECT throws_ok($$SELECT mig_heads('{not json')$$, '22023', NULL, 'bad JSON is 22023');
SELECT throws_ok($$SELECT mig_upgrade('head', '[1, 2]')$$, '22023', NULL, 'a JSON array as opts is 22023');
SELECT throws_ok($$SELECT mig_stamp('a1', '{"purge": "yes"}')$$, '22023', NULL, 'a non-boolean purge is 22023');
SELECT throws_ok($$SELECT mig_upgrade('head', '{"lock_timeout": "soon"}')$$, '22023', NULL, 'a bad lock_timeout is 22023');

-- ---- applied body changed: 55000, both checksums -------------------------------
SELECT is(mig_upgrade('head'), 'a1', 'a1 applied');
CREATE TEMP TABLE ck AS SELECT checksum FROM mig.mig_revision WHERE revision = 'a1';
SELECT throws_ok($$SELECT mig_put_revision(E'-- mig:revision a1\n-- mig:message base table\n-- mig:upgrade\nCREATE TABLE u (id int PRIMARY KEY, x int);\nINSERT INTO u VALUES (1);\n-- mig:downgrade\nDROP TABLE u;\n')$$,
                 '55000', NULL, 'a changed body of an applied revision is 55000');
SELECT matches(pg_temp.err($$SELECT mig_put_revision(E'-- mig:revision a1\n-- mig:message base table\n-- mig:upgrade\nCREATE TABLE u (id int PRIMARY KEY, x int);\nINSERT INTO u VALUES (1);\n-- mig:downgrade\nDROP TABLE u;\n')$$),
               '^55000\|[^|]*' || (SELECT checksum FROM ck) || '[^|]*[0-9a-f]{64}', 'the message shows the stored and the new checksum');
SELECT matches(pg_temp.err($$SELECT mig_put_revision(E'-- mig:revision a1\n-- mig:message base table\n-- mig:upgrade\nCREATE TABLE u (id int PRIMARY KEY, x int);\nINSERT INTO u VALUES (1);\n-- mig:downgrade\nDROP TABLE u;\n')$$),
               '^55000\|[^|]*([0-9a-f]{64})[^|]*([0-9a-f]{64})', 'two checksums appear in the message');
SELECT is((SELECT checksum FROM mig.mig_revision WHERE revision = 'a1'), (SELECT checksum FROM ck), 'the stored body is unchanged');
SELECT is(mig_put_revision(E'-- mig:revision a1\n-- mig:message base table, edited message only\n-- mig:upgrade\nCREATE TABLE u (id int PRIMARY KEY);\nINSERT INTO u VALUES (1);\n-- mig:downgrade\nDROP TABLE u;\n'),
          'a1', 'editing only the message of an applied revision is allowed');

-- ---- transaction "each": not possible in a function ----------------------------
SELECT throws_ok($$SELECT mig_upgrade('head', '{"transaction": "each"}')$$, '0A000', NULL,
                 'transaction each is 0A000 (feature not supported) in PostgreSQL');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head', '{"transaction": "each"}')$$), '^0A000\|[^|]*each', 'the message names "each"');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head', '{"transaction": "each"}')$$), '^0A000\|[^|]*\|[^|]*\|.*CALL mig_run\(''upgrade'', ',
               'the hint names the procedure mig_run');
SELECT throws_ok($$SELECT mig_downgrade('base', '{"transaction": "each"}')$$, '0A000', NULL, 'mig_downgrade with each is 0A000');
SELECT throws_ok($$SELECT mig_stamp('a1', '{"transaction": "each"}')$$, '0A000', NULL, 'mig_stamp with each is 0A000');
-- pgTAP runs in a transaction block: there the procedure cannot commit either
SELECT throws_ok($$CALL mig_run('upgrade', 'head', '{"transaction": "each"}')$$, '25001', NULL,
                 'CALL mig_run with each inside a transaction block is 25001');
SELECT matches(pg_temp.err($$CALL mig_run('upgrade', 'head', '{"transaction": "each"}')$$),
               '^25001\|[^|]*each[^|]*transaction block\|[^|]*\|.*on its own', 'the message says why, the hint what to do');
SELECT throws_ok($$CALL mig_run('sideways', 'head')$$, '22023', NULL, 'mig_run with an unknown direction is 22023');
SELECT throws_ok($$CALL mig_run(NULL, 'head')$$, '22004', NULL, 'mig_run with a NULL direction is 22004');
SELECT throws_ok($$CALL mig_run('upgrade', NULL)$$, '22004', NULL, 'mig_run with a NULL target is 22004');
SELECT is(mig_current(), 'a1', 'the refused calls changed nothing');

-- ---- transactional false: hint mentions the client -------------------------------
SELECT is(mig_put_revision($r$-- mig:revision nt
-- mig:down_revision a1
-- mig:transactional false
-- mig:upgrade
CREATE INDEX CONCURRENTLY ix_u ON u (id);
$r$), 'nt', 'a non-transactional revision can be stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '0A000', NULL, 'upgrading through a transactional false revision is 0A000');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head')$$), '^0A000\|[^|]*nt[^|]*\|[^|]*\|.*client',
               'the message names the revision and the hint mentions the client');
SELECT is(mig_remove_revision('nt'), 'nt', 'nt removed');

-- ---- a failing statement: its own SQLSTATE and the revision id --------------------
SELECT is(mig_put_revision($r$-- mig:revision dup
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE dd (x int);
INSERT INTO u VALUES (1);
$r$), 'dup', 'dup stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '23505', NULL, 'a unique violation keeps 23505');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head')$$), '^23505\|[^|]*dup[^|]*upgrade[^|]*u_pkey',
               'the message names the revision, the direction and the statement''s own message');
SELECT is(mig_remove_revision('dup'), 'dup', 'dup removed');

SELECT is(mig_put_revision($r$-- mig:revision miss
-- mig:down_revision a1
-- mig:upgrade
SELECT 1;
-- mig:downgrade
SELECT * FROM no_such_table;
$r$), 'miss', 'miss stored');
SELECT is(mig_upgrade('head'), 'miss', 'miss applied');
SELECT throws_ok($$SELECT mig_downgrade('a1')$$, '42P01', NULL, 'an undefined table keeps 42P01 (downgrade)');
SELECT matches(pg_temp.err($$SELECT mig_downgrade('a1')$$), '^42P01\|[^|]*miss[^|]*downgrade[^|]*no_such_table',
               'the message names the revision, the direction and the table');

-- ---- a mig call inside a revision ---------------------------------------------------
SELECT is(mig_stamp('a1'), 'a1', 'stamped back to a1');
SELECT is(mig_remove_revision('miss'), 'miss', 'miss removed');
SELECT is(mig_put_revision($r$-- mig:revision nest
-- mig:down_revision a1
-- mig:upgrade
SELECT mig_upgrade('head');
$r$), 'nest', 'nest stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '0A000', NULL, 'a nested mig call inside a revision is 0A000');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head')$$), '^0A000\|[^|]*nest', 'the message names the revision');
SELECT is(mig_current(), 'a1', 'the state is unchanged after the nested call failed');


-- ---- transaction control inside a revision ------------------------------------------
SELECT is(mig_remove_revision('nest'), 'nest', 'nest removed');
SELECT is(mig_put_revision($r$-- mig:revision cmt
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE cmt_t (x int);
COMMIT;
$r$), 'cmt', 'cmt stored');
SELECT throws_ok($$SELECT mig_upgrade('head')$$, '0A000', NULL, 'COMMIT inside a revision is refused with 0A000');
SELECT matches(pg_temp.err($$SELECT mig_upgrade('head')$$), '^0A000\|[^|]*cmt[^|]*line 5[^|]*COMMIT', 'the message names the revision, the line and COMMIT');
SELECT is(mig_remove_revision('cmt'), 'cmt', 'cmt removed');
-- the engine lets a revision use a savepoint it opens itself ("except of a
-- savepoint the revision opens itself"); SPI cannot run SAVEPOINT, so in
-- PostgreSQL this must either work or be refused cleanly (0A000, like COMMIT),
-- never an internal error (XX000 "SPI_ERROR_TRANSACTION").
SELECT is(mig_put_revision($r$-- mig:revision svp
-- mig:down_revision a1
-- mig:upgrade
CREATE TABLE svp_t (id int PRIMARY KEY);
SAVEPOINT mine;
INSERT INTO svp_t VALUES (1);
ROLLBACK TO SAVEPOINT mine;
INSERT INTO svp_t VALUES (2);
$r$), 'svp', 'svp stored');
CREATE TEMP TABLE svp_res AS SELECT pg_temp.err($$SELECT mig_upgrade('head')$$) AS e;
SELECT ok((SELECT e = '' OR e LIKE '0A000|%' FROM svp_res),
          'a revision''s own SAVEPOINT works or is refused with 0A000 (got: ' || (SELECT e FROM svp_res) || ')');

SELECT * FROM finish();
ROLLBACK;

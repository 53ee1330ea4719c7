-- mig_batch in PostgreSQL: the actions run as ALTER TABLE (renames split
-- out), in the caller's transaction, with PostgreSQL's own errors.
BEGIN;
CREATE EXTENSION mig;
SELECT plan(9);
CREATE TABLE foo (foo_id int PRIMARY KEY, bar varchar(512) NOT NULL, note text);
INSERT INTO foo VALUES (1, 'a', 'x');
SELECT is(mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL'), 'alter table', 'one action: one ALTER TABLE');
SELECT col_is_null('foo', 'bar', 'bar is nullable now');
SELECT is(mig_batch('foo', 'ADD COLUMN n int DEFAULT 0, ALTER COLUMN note SET NOT NULL, RENAME COLUMN note TO memo, ADD CONSTRAINT n_pos CHECK (n >= 0)'),
          'alter table (3 statements)', 'actions around a RENAME: three statements');
SELECT has_column('foo', 'memo', 'the column is renamed');
SELECT col_not_null('foo', 'memo', 'SET NOT NULL before the rename applied');
SELECT throws_ok($$SELECT mig_batch('foo', 'ALTER COLUMN nope DROP NOT NULL')$$, '42703', NULL,
                 'an unknown column: PostgreSQL''s own error');
SELECT throws_like($$SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NUL')$$, '%position 23%', 'a bad action points at its position');
SELECT is(mig_batch('foo', 'RENAME TO foo2'), 'alter table', 'RENAME TO');
SELECT has_table('foo2', 'the table is renamed');
SELECT * FROM finish();
ROLLBACK;

-- mig:revision 8e32f2af1bd2
-- mig:down_revision 90823bd3809e
-- mig:message Add schema & data migration
-- mig:branch_labels reporting
-- mig:depends_on 27c6a30d7c24, billing
-- mig:create_date 2026-11-21 18:04:00
-- mig:transactional false

-- mig:upgrade
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');

-- mig:upgrade if data
UPDATE foo SET bar = NULL WHERE bar = '';

-- mig:upgrade dialect=postgresql
CREATE INDEX ix_foo_bar ON foo (bar);

-- mig:downgrade
SELECT mig_batch('foo', 'ALTER COLUMN bar SET NOT NULL');

-- mig:revision 8e32f2af1bd2
-- mig:down_revision 90823bd3809e
-- mig:message Add schema & data migration
-- mig:create_date 2026-11-21 18:04:00

-- mig:upgrade
SELECT mig_batch('foo', 'ALTER COLUMN bar DROP NOT NULL');
UPDATE foo SET bar = NULL WHERE bar = '';

-- mig:downgrade
UPDATE foo SET bar = '' WHERE bar IS NULL;
SELECT mig_batch('foo', 'ALTER COLUMN bar SET NOT NULL');

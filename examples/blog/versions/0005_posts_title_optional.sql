-- mig:revision 5c0ffee12a7b
-- mig:down_revision 3b8e1c2d9f40
-- mig:message posts.title becomes optional (a SQLite table rebuild)

-- mig:upgrade
-- SQLite has no ALTER COLUMN: mig_batch rebuilds posts atomically, keeping
-- its indexes (also the partial one), the foreign key and every row.
SELECT mig_batch('posts', 'ALTER COLUMN title DROP NOT NULL');

-- mig:downgrade
SELECT mig_batch('posts', 'ALTER COLUMN title SET NOT NULL');

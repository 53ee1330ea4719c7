-- mig:revision 3b8e1c2d9f40
-- mig:down_revision 27c6a30d7c24
-- mig:message add posts.published

-- mig:upgrade
ALTER TABLE posts ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_posts_published ON posts (published) WHERE published = 1;

-- mig:downgrade
DROP INDEX ix_posts_published;
ALTER TABLE posts DROP COLUMN published;

-- mig:revision ae1027a6acf2
-- mig:down_revision 1975ea83b712
-- mig:message create posts table
-- mig:create_date 2026-11-21 10:05:00

-- mig:upgrade
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_posts_user ON posts (user_id);

-- mig:downgrade
DROP TABLE posts;

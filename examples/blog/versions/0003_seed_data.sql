-- mig:revision 27c6a30d7c24
-- mig:down_revision ae1027a6acf2
-- mig:message sample data (only with -x seed=1)
-- mig:create_date 2026-11-21 10:10:00

-- mig:upgrade if seed
INSERT INTO users (id, email) VALUES (1, 'ada@example.org'), (2, 'alan@example.org');
INSERT INTO posts (user_id, title) VALUES (1, 'Hello'), (2, 'On computable numbers');

-- mig:downgrade if seed
DELETE FROM posts WHERE user_id IN (1, 2);
DELETE FROM users WHERE id IN (1, 2);

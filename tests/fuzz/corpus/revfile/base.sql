-- mig:revision a1b2c3d4e5f6
-- mig:message create account
-- a comment in the header

-- mig:upgrade
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- mig:downgrade
DROP TABLE account;

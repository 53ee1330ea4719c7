-- mig:revision 1975ea83b712
-- mig:message create users table
-- mig:create_date 2026-11-21 10:00:00

-- mig:upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- mig:downgrade
DROP TABLE users;

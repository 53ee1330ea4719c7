-- mig:revision 90823bd3809e
-- mig:message create foo
-- mig:create_date 2026-11-21 18:00:00

-- mig:upgrade
CREATE TABLE foo (
    foo_id INTEGER NOT NULL,
    bar VARCHAR(512) NOT NULL,
    PRIMARY KEY (foo_id)
);
INSERT INTO foo (foo_id, bar) VALUES (1, 'one'), (2, ''), (3, 'three'), (4, '');

-- mig:downgrade
DROP TABLE foo;

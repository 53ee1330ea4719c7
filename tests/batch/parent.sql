-- The fixture of tests/run/50-batch-actions.t: a parent table with every
-- kind of object SPEC §5 says a rebuild keeps, and the tables around it.
CREATE TABLE parent (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT COLLATE NOCASE NOT NULL,
    qty INTEGER NOT NULL DEFAULT 0,
    price REAL CONSTRAINT price_positive CHECK (price >= 0),
    code TEXT UNIQUE,
    note TEXT,
    extra TEXT,
    grade INTEGER CHECK (grade BETWEEN 1 AND 5),
    total REAL GENERATED ALWAYS AS (qty * price) VIRTUAL,
    CHECK (qty >= 0)
);
CREATE INDEX ix_parent_name ON parent (name);
CREATE INDEX ix_parent_note ON parent (note) WHERE note IS NOT NULL;
CREATE INDEX ix_parent_lower ON parent (lower(name), qty DESC);
CREATE TABLE audit (pid INTEGER, what TEXT);
CREATE TRIGGER tr_parent_ins AFTER INSERT ON parent BEGIN
    INSERT INTO audit VALUES (new.id, 'ins ' || new.name);
END;
CREATE VIEW v_parent AS SELECT id, name, qty, total FROM parent;
CREATE TABLE codes (code TEXT, descr TEXT, CONSTRAINT codes_pk PRIMARY KEY (code));
CREATE TABLE child (
    cid INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE,
    label TEXT,
    ccode TEXT,
    UNIQUE (pid, label),
    CONSTRAINT child_label_uq UNIQUE (label),
    CONSTRAINT child_ccode_fk FOREIGN KEY (ccode) REFERENCES codes (code)
);
CREATE TABLE tags (tag TEXT, n INTEGER, CONSTRAINT tags_pk PRIMARY KEY (tag));
CREATE TABLE colors (color TEXT PRIMARY KEY, hex TEXT);
CREATE TABLE kv (k TEXT NOT NULL, v INTEGER);

INSERT INTO codes VALUES ('A', 'Alpha'), ('B', 'Beta'), ('C', 'Gamma');
INSERT INTO parent (name, qty, price, code, note, extra, grade) VALUES
    ('Apple', 3, 1.5, 'A', 'red', 'x1', 1),
    ('banana', 5, 0.25, 'B', NULL, 'x2', 2),
    ('Cherry', 0, 10.0, NULL, 'dark', NULL, NULL),
    ('Date', 7, 2, 'C', 'sweet', 'x4', 5);
DELETE FROM parent WHERE id = 4;  -- sqlite_sequence (4) is now above max(id) (3)
INSERT INTO child (pid, label, ccode) VALUES (1, 'c1', 'A'), (1, 'c2', NULL), (2, 'c3', 'B'), (3, 'c4', NULL);
INSERT INTO tags VALUES ('red', 1), ('blue', 2);
INSERT INTO colors VALUES ('red', '#f00'), ('green', '#0f0');
INSERT INTO kv (rowid, k, v) VALUES (10, 'k1', 1), (20, 'k2', 2), (35, 'k3', NULL);

-- The fixture of tests/run/50-batch-semantics.t: a table whose columns each
-- have one kind of dependent object, for DROP COLUMN's PostgreSQL semantics:
--   a: index ix_t_a and expression index ix_t_expr    b: view v_b
--   c: trigger tr_c on t                               d, e: UNIQUE (d, e), CHECK de_order
--   f: partial index ix_t_f (in its WHERE)             g: its own named CHECK g_pos
--   h: referenced by ref.th                            k: trigger tr_log on another table
--   m: generated column gen                            n: a foreign key of t
--   note: nothing (view v_join reads other.note)       p: a CHECK on p that reads e
CREATE TABLE other (x TEXT PRIMARY KEY, note TEXT);
CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    a TEXT,
    b TEXT,
    c TEXT,
    d INTEGER,
    e INTEGER,
    f TEXT,
    g INTEGER CONSTRAINT g_pos CHECK (g > 0),
    h TEXT UNIQUE,
    k INTEGER,
    m INTEGER,
    gen INTEGER GENERATED ALWAYS AS (m * 2) VIRTUAL,
    n TEXT REFERENCES other (x),
    note TEXT,
    p INTEGER CHECK (p > e),
    UNIQUE (d, e),
    CONSTRAINT de_order CHECK (d < e)
);
CREATE INDEX ix_t_a ON t (a);
CREATE INDEX ix_t_expr ON t (id, lower(a));
CREATE INDEX ix_t_f ON t (id) WHERE f IS NOT NULL;
CREATE INDEX ix_t_k ON t (k);
CREATE VIEW v_b AS SELECT id, b FROM t;
CREATE VIEW v_join AS SELECT t.id, o.note FROM t, other AS o WHERE o.x = 'o1';
CREATE TRIGGER tr_c AFTER UPDATE OF c ON t BEGIN SELECT 1; END;
CREATE TABLE ref (x INTEGER PRIMARY KEY, th TEXT REFERENCES t (h));
CREATE TABLE log (msg TEXT);
CREATE TRIGGER tr_log AFTER INSERT ON log BEGIN UPDATE t SET k = k + 1; END;

INSERT INTO other VALUES ('o1', 'other note');
INSERT INTO t (id, a, b, c, d, e, f, g, h, k, m, n, note, p) VALUES
    (1, 'A', 'b1', 'c1', 1, 2, 'f1', 1, 'h1', 0, 10, 'o1', 'n1', 5),
    (2, 'B', 'b2', 'c2', 3, 4, NULL, 2, 'h2', 0, 20, NULL, NULL, 6),
    (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ref VALUES (1, 'h1'), (2, NULL);

/*
 * test_schemadiff.c — unit tests of the schema diff and its SQLite rendering
 * (core/schemadiff.c): models are built from CREATE statements with the
 * SQLite builder (core/schema.c), or by hand; prints TAP.
 */
#include "schema.h"

#include "tap.h"

#include <string.h>

static mig_arena ar;

/* A schema from lines "type|name|tbl_name|sql" (what sqlite_schema holds). */
static mig_schema build(const char *spec)
{
    mig_schema s;
    mig_err err;
    char *d = mig_strdup(&ar, spec), *line, *save = NULL;
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    mig_err_clear(&err);
    for (line = strtok_r(d, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *name = strchr(line, '|'), *tbl, *sql;
        if (!name || !(tbl = strchr(name + 1, '|')) || !(sql = strchr(tbl + 1, '|'))) {
            printf("Bail out! bad spec line %s\n", line);
            exit(255);
        }
        *name++ = 0;
        *tbl++ = 0;
        *sql++ = 0;
        if (mig_schema_add_sqlite(&ar, &s, line, name, tbl, sql, &err)) {
            printf("Bail out! the builder refused %s: %s\n", sql, err.msg);
            exit(255);
        }
    }
    mig_schema_finish(&s);
    return s;
}

static char *diff_h(const char *a, const char *b, mig_schema_rename *h, int nh, mig_err *err)
{
    mig_schema sa = build(a), sb = build(b);
    mig_diff_opts o;
    char *body = NULL;
    o.renames = h;
    o.nrenames = nh;
    mig_err_clear(err);
    if (mig_schema_diff(&ar, &sa, &sb, &o, &body, err))
        return NULL;
    return body;
}

static char *diff(const char *a, const char *b)
{
    mig_err err;
    char *r = diff_h(a, b, NULL, 0, &err);
    if (!r)
        printf("# diff failed: %s\n", err.msg);
    return r;
}

/* The upgrade and downgrade sections of a body. */
static const char *up_of(const char *body)
{
    const char *d = body ? strstr(body, "-- mig:downgrade\n") : NULL;
    return d ? mig_strndup(&ar, body, (size_t)(d - body)) : "";
}
static const char *down_of(const char *body)
{
    const char *d = body ? strstr(body, "-- mig:downgrade\n") : NULL;
    return d ? d : "";
}

static int has(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* needle a appears before needle b */
static int before(const char *hay, const char *a, const char *b)
{
    const char *pa = hay ? strstr(hay, a) : NULL, *pb = hay ? strstr(hay, b) : NULL;
    return pa && pb && pa < pb;
}

static void show(const char *body)
{
    const char *p = body ? body : "(null)";
    printf("#   | ");
    for (; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1])
            printf("#   | ");
    }
    if (!body || !*body || body[strlen(body) - 1] != '\n')
        putchar('\n');
}

#define T1 "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)"

/* mig_schema_create_sql read back by the builder gives the same model (the
 * canonical JSON is equal). */
static void fixed_point(const char *spec)
{
    mig_schema s = build(spec), s2;
    mig_err err;
    int i, good = 1;
    char *j1, *j2;
    mig_err_clear(&err);
    mig_schema_init(&s2, MIG_DIALECT_SQLITE);
    for (i = 0; i < s.nobjs && good; i++) {
        const mig_sch_object *o = &s.objs[i];
        char *sql = mig_schema_create_sql(&ar, &s, o, &err);
        const char *tbl = o->kind == MIG_SO_INDEX     ? o->u.index.table
                          : o->kind == MIG_SO_TRIGGER ? o->u.trigger.table
                                                      : o->name;
        if (!sql || mig_schema_add_sqlite(&ar, &s2, mig_so_kind_name(o->kind), o->name, tbl, sql, &err)) {
            printf("# %s: %s\n", sql ? sql : "(not rendered)", err.msg);
            good = 0;
        }
    }
    mig_schema_finish(&s2);
    j1 = mig_schema_to_json(&ar, &s, &err);
    j2 = good ? mig_schema_to_json(&ar, &s2, &err) : NULL;
    good = good && j1 && j2 && strcmp(j1, j2) == 0;
    if (!good)
        printf("# before: %s\n# after:  %s\n", j1 ? j1 : "?", j2 ? j2 : "?");
    ok(good, "rendered and read back, the same model: %.60s", spec);
}

static void test_render(void)
{
    fixed_point(T1);
    fixed_point("table|t|t|CREATE TABLE \"select\" (\"a b\" varchar(20) NOT NULL ON CONFLICT REPLACE DEFAULT 'x', "
                "\"from\" int CHECK (\"from\" > 0) UNIQUE, c TEXT COLLATE nocase, g INT GENERATED ALWAYS AS (\"from\" * 2) "
                "STORED, v AS (abs(\"from\")))");
    fixed_point("table|p|p|CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b DESC)) WITHOUT ROWID, STRICT");
    fixed_point("table|c|c|CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, x INT, y INT, CONSTRAINT fk FOREIGN "
                "KEY (x, y) REFERENCES p (a, b) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, CONSTRAINT u UNIQUE "
                "(x, y) ON CONFLICT IGNORE, CONSTRAINT ck CHECK (x <> y))");
    fixed_point("table|d|d|CREATE TABLE d (id INTEGER PRIMARY KEY DESC, t TEXT DEFAULT (datetime('now')), n REAL "
                "DEFAULT -1.5)");
    fixed_point("table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)\n"
                "index|ix|t|CREATE UNIQUE INDEX ix ON t (lower(a) COLLATE nocase DESC, b) WHERE b > 0\n"
                "view|v|v|CREATE VIEW v (x, y) AS SELECT a, count(*) FROM t GROUP BY a\n"
                "trigger|tr|t|CREATE TRIGGER tr AFTER UPDATE OF a ON t WHEN new.a IS NULL BEGIN UPDATE t SET b = 0 "
                "WHERE id = new.id; END");
}

static void test_equal(void)
{
    const char *all = "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)\n"
                      "index|ix|t|CREATE INDEX ix ON t (a)\n"
                      "view|v|v|CREATE VIEW v AS SELECT a FROM t\n"
                      "trigger|tr|t|CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END";
    char *b = diff(all, all);
    ok(b && *b == 0, "equal models: the body is empty");
    b = diff("table|t|t|CREATE TABLE t (id integer primary key, a text, b int)",
             "table|t|t|CREATE TABLE \"t\" ( id INTEGER PRIMARY KEY , [a] TEXT, `b` INT )");
    ok(b && *b == 0, "two spellings of one table: empty");
    b = diff("", "");
    ok(b && *b == 0, "two empty schemas: empty");
}

static void test_tables(void)
{
    char *b = diff(T1, T1 "\ntable|u|u|CREATE TABLE u (x INT REFERENCES t (id))");
    ok(has(up_of(b), "-- mig:upgrade\nCREATE TABLE u (x INT, FOREIGN KEY (x) REFERENCES t (id));\n"),
       "a new table is created");
    ok(has(down_of(b), MIG_SCHEMA_LOSS_MARK "table u\nDROP TABLE u;\n"), "and dropped on the way back, marked");
    b = diff(T1 "\ntable|p|p|CREATE TABLE p (id INTEGER PRIMARY KEY)\n"
                "table|c|c|CREATE TABLE c (pid INT REFERENCES p (id))",
             T1);
    ok(before(up_of(b), "DROP TABLE c;", "DROP TABLE p;"), "tables are dropped children first");
    ok(before(down_of(b), "CREATE TABLE p ", "CREATE TABLE c "), "and created parents first");
}

static void test_columns(void)
{
    char *b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT DEFAULT 'x')");
    ok(has(up_of(b), "\nALTER TABLE t ADD COLUMN c TEXT DEFAULT ('x');\n"), "an appended nullable column: ADD COLUMN");
    ok(has(down_of(b), MIG_SCHEMA_LOSS_MARK "column t.c\nSELECT mig_batch('t', 'DROP COLUMN c');\n"),
       "back: mig_batch DROP COLUMN, marked as losing data");
    show(b);
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c INT NOT NULL)");
    ok(has(up_of(b), "SELECT mig_batch('t', 'ADD COLUMN c INT NOT NULL');"),
       "NOT NULL without a default: mig_batch (SQLite's ADD COLUMN cannot)");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c INT NOT NULL DEFAULT 0)");
    ok(has(up_of(b), "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT (0);"), "NOT NULL with a default: ADD COLUMN");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT DEFAULT (lower('X')))");
    ok(has(up_of(b), "SELECT mig_batch('t', 'ADD COLUMN c TEXT DEFAULT (lower(''X''))');"),
       "a default that is not a constant: mig_batch");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c INT UNIQUE)");
    ok(has(up_of(b), "SELECT mig_batch('t', 'ADD COLUMN c INT, ADD UNIQUE (c)');"), "a UNIQUE column: mig_batch");
    b = diff(T1, T1 "\ntable|u|u|CREATE TABLE u (id INTEGER PRIMARY KEY)");
    b = diff(T1 "\ntable|u|u|CREATE TABLE u (id INTEGER PRIMARY KEY)",
             "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, u_id INT REFERENCES u)\n"
             "table|u|u|CREATE TABLE u (id INTEGER PRIMARY KEY)");
    ok(has(up_of(b), "ALTER TABLE t ADD COLUMN u_id INT REFERENCES u;"),
       "a column with a foreign key and no default: ADD COLUMN with REFERENCES");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, c INT, a TEXT, b INT)");
    ok(has(up_of(b), "SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY, c INT, a "
                     "TEXT, b INT)\"}');"),
       "a column in the middle: a rebuild to the new CREATE TABLE");
    show(b);
    ok(has(down_of(b), MIG_SCHEMA_LOSS_MARK "column t.c\nSELECT mig_batch('t', 'DROP COLUMN c');"),
       "back: the others are in order again: DROP COLUMN, marked");
    b = diff("table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, c INT, a TEXT, b INT)",
             "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, b INT, a TEXT)");
    ok(has(up_of(b), MIG_SCHEMA_LOSS_MARK "column t.c\nSELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (id "
                     "INTEGER PRIMARY KEY, b INT, a TEXT)\"}');"),
       "a column dropped in a rebuild is marked");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INT)");
    ok(has(up_of(b), "\"create\""), "a COLLATE change: a rebuild");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT) STRICT");
    ok(has(up_of(b), "STRICT\"}');"), "STRICT: a rebuild");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT '')");
    ok(has(up_of(b), "SELECT mig_batch('t', 'ALTER COLUMN b TYPE TEXT, ALTER COLUMN b SET NOT NULL, ALTER COLUMN b "
                     "SET DEFAULT ('''')');"),
       "type, NOT NULL and default: ALTER COLUMN actions");
    ok(has(up_of(b), MIG_SCHEMA_LOSS_MARK "column t.b changes type from INT to TEXT\n"),
       "a type whose affinity changes is marked");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10), b INTEGER)");
    ok(b && !has(b, MIG_SCHEMA_LOSS_MARK), "same affinities: no mark");
    b = diff(T1, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, CONSTRAINT ck CHECK (b > 0))");
    ok(has(up_of(b), "SELECT mig_batch('t', 'ADD CONSTRAINT ck CHECK (b > 0)');") &&
           has(down_of(b), "SELECT mig_batch('t', 'DROP CONSTRAINT ck');"),
       "a named CHECK: ADD / DROP CONSTRAINT");
    b = diff("table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT CHECK (b > 0))", T1);
    ok(has(up_of(b), "\"create\": \"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)\""),
       "an unnamed CHECK that goes: a rebuild");
}

static void test_order(void)
{
    const char *a = "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)\n"
                    "table|o|o|CREATE TABLE o (x INT)\n"
                    "view|v|v|CREATE VIEW v AS SELECT a, b FROM t\n"
                    "view|w|w|CREATE VIEW w AS SELECT a FROM v\n"
                    "view|keep|keep|CREATE VIEW keep AS SELECT x FROM o\n"
                    "index|ix|t|CREATE INDEX ix ON t (b)\n"
                    "trigger|tr|t|CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = 1; END";
    const char *bb = "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, b INT, a TEXT)\n"
                     "table|o|o|CREATE TABLE o (x INT)\n"
                     "view|v|v|CREATE VIEW v AS SELECT a, b FROM t\n"
                     "view|w|w|CREATE VIEW w AS SELECT a FROM v\n"
                     "view|keep|keep|CREATE VIEW keep AS SELECT x FROM o\n"
                     "index|ix|t|CREATE INDEX ix ON t (b)\n"
                     "trigger|tr|t|CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET b = 1; END";
    char *b = diff(a, bb);
    const char *up = up_of(b);
    show(b);
    ok(before(up, "DROP TRIGGER tr;", "mig_batch(") && before(up, "DROP VIEW w;", "DROP VIEW v;") &&
           before(up, "DROP VIEW v;", "mig_batch("),
       "views and triggers over a rebuilt table are dropped before it, dependents first");
    ok(before(up, "mig_batch(", "CREATE VIEW v ") && before(up, "CREATE VIEW v ", "CREATE VIEW w ") &&
           before(up, "mig_batch(", "CREATE TRIGGER tr "),
       "and created after it, what they read first");
    ok(!has(b, "VIEW keep") && !has(b, "INDEX ix"), "a view over another table and the kept index are left alone");
    b = diff(a, "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)\n"
                "table|o|o|CREATE TABLE o (x INT)\n"
                "view|v|v|CREATE VIEW v AS SELECT a FROM t\n"
                "view|w|w|CREATE VIEW w AS SELECT a FROM v\n"
                "view|keep|keep|CREATE VIEW keep AS SELECT x FROM o");
    up = up_of(b);
    ok(before(up, "DROP INDEX ix;", "mig_batch('t', 'DROP COLUMN b')") && !has(up, "CREATE INDEX"),
       "an index on a dropped column is dropped before the column");
    b = diff(T1, T1 "\ntable|n|n|CREATE TABLE n (id INTEGER PRIMARY KEY)\n"
                    "index|ixn|n|CREATE INDEX ixn ON n (id)\n"
                    "view|vn|vn|CREATE VIEW vn AS SELECT id FROM n");
    up = up_of(b);
    ok(before(up, "CREATE TABLE n ", "CREATE INDEX ixn ") && before(up, "CREATE INDEX ixn ", "CREATE VIEW vn "),
       "a new table comes before its index and its view");
    ok(before(down_of(b), "DROP VIEW vn;", "DROP TABLE n;") && !has(down_of(b), "DROP INDEX"),
       "back: the view before the table; the index goes with its table");
}

static void test_hints(void)
{
    mig_schema_rename h[2];
    mig_err err;
    char *b;
#define a "table|t|t|CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)\n" \
          "view|v|v|CREATE VIEW v AS SELECT a FROM t"
    memset(h, 0, sizeof h);
    h[0].kind = MIG_SO_TABLE;
    h[0].table = "t";
    h[0].to = "t2";
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b INT)\n"
                  "view|v|v|CREATE VIEW v AS SELECT a FROM t2",
               h, 1, &err);
    show(b);
    ok(has(up_of(b), "DROP VIEW v;\nALTER TABLE t RENAME TO t2;\nCREATE VIEW v AS SELECT a FROM t2;\n") &&
           has(down_of(b), "ALTER TABLE t2 RENAME TO t;"),
       "a table hint: RENAME TO, both ways, the view around it");
    ok(!has(b, "DROP TABLE"), "no drop with the hint");
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b INT)", NULL, 0, &err);
    ok(has(up_of(b), MIG_SCHEMA_LOSS_MARK "table t\nDROP TABLE t;"), "without the hint: a drop, marked, and a create");
    h[1].kind = MIG_SO_TABLE;
    h[1].table = "t2";
    h[1].column = "a";
    h[1].to = "aa";
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, aa TEXT, b INT)\n"
                  "view|v|v|CREATE VIEW v AS SELECT aa FROM t2",
               h, 2, &err);
    show(b);
    ok(has(up_of(b), "ALTER TABLE t RENAME TO t2;\nALTER TABLE t2 RENAME COLUMN a TO aa;\n") &&
           has(down_of(b), "ALTER TABLE t2 RENAME COLUMN aa TO a;\nALTER TABLE t2 RENAME TO t;\n") == 0 &&
           has(down_of(b), "ALTER TABLE t2 RENAME TO t;\nALTER TABLE t RENAME COLUMN aa TO a;\n"),
       "a column hint after its table's: RENAME COLUMN, inverted on the way back");
    ok(!has(b, "DROP COLUMN") && !has(b, MIG_SCHEMA_LOSS_MARK), "no column dropped with the hints");
    h[0].table = "nope";
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, a TEXT, b INT)", h, 1, &err);
    ok(!b && strstr(err.msg, "\"nope\"") && strstr(err.msg, "no table"), "a hint that matches nothing: %s", err.msg);
    h[0].table = "t";
    h[0].to = "u";
    b = diff_h(a "\ntable|u|u|CREATE TABLE u (x INT)", "table|u|u|CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT, b INT)",
               h, 1, &err);
    ok(!b && strstr(err.msg, "\"u\" already exists"), "a hint whose target exists: %s", err.msg);
    h[0].to = "t2";
    h[1].column = "zz";
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, aa TEXT, b INT)", h, 2, &err);
    ok(!b && strstr(err.msg, "no column \"zz\""), "a column hint for a column that is not there: %s", err.msg);
    h[1].column = "a";
    h[1].to = "b";
    b = diff_h(a, "table|t2|t2|CREATE TABLE t2 (id INTEGER PRIMARY KEY, b INT)", h, 2, &err);
    ok(!b && strstr(err.msg, "\"b\" already exists"), "a column hint onto an existing column: %s", err.msg);
#undef a
}

static void test_by_hand(void)
{
    /* a model built without the builder (as a PostgreSQL reader will) */
    mig_sch_column cols[2];
    mig_sch_key_part pk = {"id", NULL, NULL, 0};
    mig_sch_object o;
    mig_schema s, e;
    mig_err err;
    char *b, *sql;
    memset(cols, 0, sizeof cols);
    memset(&o, 0, sizeof o);
    cols[0].name = "id";
    cols[0].type = "INTEGER";
    cols[1].name = "note";
    cols[1].type = "TEXT";
    cols[1].dflt = "'n/a'";
    o.kind = MIG_SO_TABLE;
    o.name = "notes";
    o.u.table.cols = cols;
    o.u.table.ncols = 2;
    o.u.table.pk.parts = &pk;
    o.u.table.pk.nparts = 1;
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    mig_schema_init(&e, MIG_DIALECT_SQLITE);
    s.objs = &o;
    s.nobjs = 1;
    mig_err_clear(&err);
    sql = mig_schema_create_sql(&ar, &s, &o, &err);
    ok(sql && strcmp(sql, "CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT DEFAULT ('n/a'))") == 0,
       "a hand-built table renders: %s", sql ? sql : err.msg);
    ok(mig_schema_diff(&ar, &e, &s, NULL, &b, &err) == 0 &&
           strcmp(b, "-- mig:upgrade\nCREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT DEFAULT ('n/a'));\n"
                     "-- mig:downgrade\n" MIG_SCHEMA_LOSS_MARK "table notes\nDROP TABLE notes;\n") == 0,
       "and diffs from an empty schema");
    o.name = NULL;
    ok(mig_schema_diff(&ar, &e, &s, NULL, &b, &err) == -1 && err.code == MIG_E_INPUT, "an object without a name is an "
                                                                                        "error, not a crash");
    o.name = "notes";
    s.dialect = MIG_DIALECT_POSTGRES;
    ok(mig_schema_diff(&ar, &s, &s, NULL, &b, &err) == -1 && strstr(err.msg, "PostgreSQL"),
       "PostgreSQL models: not yet, said so");
}

/* Cases the round-trip property test (tests/schema/roundtrip.c) found: the
 * shrunk schemas of tests/tmp/roundtrip-findings.md. */
static void test_roundtrip_findings(void)
{
    char *b;
    /* F4: a generated column's type: mig_batch cannot ALTER its TYPE, so the table is rebuilt */
    b = diff("table|o|o|CREATE TABLE o (k DECIMAL(10,2), \"check\" VARCHAR(20) GENERATED ALWAYS AS (upper(k)) STORED "
             "NOT NULL)",
             "table|o|o|CREATE TABLE o (k DECIMAL(10,2), \"check\" NUMERIC NOT NULL GENERATED ALWAYS AS (upper(k)) "
             "STORED)");
    ok(!has(b, "TYPE NUMERIC") && has(up_of(b), "{\"create\": ") && has(down_of(b), "{\"create\": "),
       "F4: a generated column's new type is a \"create\" rebuild, both ways");
    /* F5: a generated column dropped before the column it reads */
    b = diff("table|i|i|CREATE TABLE i (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, b ANY NOT NULL, x AS "
             "(coalesce(b, 0) + 1) STORED)",
             "table|i|i|CREATE TABLE i (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL)");
    ok(has(up_of(b), "'DROP COLUMN x, DROP COLUMN b'"), "F5: DROP COLUMN x (generated, reads b), then b");
    b = diff("table|i|i|CREATE TABLE i (id INTEGER PRIMARY KEY, b INT, y AS (x * 2), x AS (b + 1), z INT)",
             "table|i|i|CREATE TABLE i (id INTEGER PRIMARY KEY)");
    ok(has(up_of(b), "'DROP COLUMN y, DROP COLUMN x, DROP COLUMN b, DROP COLUMN z'"),
       "F5: a chain of generated columns: readers first");
    /* F6: NOT NULL of a WITHOUT ROWID key column is no difference (SQLite implies it) */
    b = diff("table|t|t|CREATE TABLE t (a NOT NULL COLLATE NOCASE, id INT, PRIMARY KEY (id, a)) WITHOUT ROWID",
             "table|t|t|CREATE TABLE t (a COLLATE NOCASE, id INT, PRIMARY KEY (id, a)) WITHOUT ROWID");
    ok(b && *b == 0, "F6: NOT NULL written or implied on a WITHOUT ROWID key column: no change");
    /* F7: duplicate unnamed constraints count */
    b = diff("table|p|p|CREATE TABLE p (id INT PRIMARY KEY, FOREIGN KEY (id) REFERENCES p (id), FOREIGN KEY (id) "
             "REFERENCES p (id))",
             "table|p|p|CREATE TABLE p (id INT PRIMARY KEY REFERENCES p (id))");
    ok(has(up_of(b), "{\"create\": \"CREATE TABLE p (id INT PRIMARY KEY, FOREIGN KEY (id) REFERENCES p (id))\"}") &&
           has(down_of(b), "mig_batch('p', 'ADD FOREIGN KEY (id) REFERENCES p (id)')"),
       "F7: two equal foreign keys and one differ: a rebuild, and the second added back");
    b = diff("table|t|t|CREATE TABLE t (a INT, CHECK (a > 0))", "table|t|t|CREATE TABLE t (a INT, CHECK (a > 0), CHECK (a > 0))");
    ok(has(up_of(b), "mig_batch('t', 'ADD CHECK (a > 0)')"), "F7: a second equal CHECK is added");
    fixed_point("table|t|t|CREATE TABLE t (a INT, CHECK (a > 0), CHECK (a > 0), UNIQUE (a), UNIQUE (a))");

    /* F8: SQLite 3.40 refuses RENAME COLUMN of a key column that a UNIQUE also holds, depending on the order
     * they were written in: the table is first rebuilt as the diff writes it */
    {
        mig_schema_rename h[1];
        mig_err err;
        const char *a = "table|o|o|CREATE TABLE o (b INTEGER, c AS (b || 'x') STORED, UNIQUE (c, b), PRIMARY KEY (b))";
        const char *bb = "table|o|o|CREATE TABLE o (p INTEGER, c AS (p || 'x') STORED, UNIQUE (c, p), PRIMARY KEY (p))";
        memset(h, 0, sizeof h);
        h[0].kind = MIG_SO_TABLE;
        h[0].table = "o";
        h[0].column = "b";
        h[0].to = "p";
        b = diff_h(a, bb, h, 1, &err);
        ok(before(up_of(b),
                  "SELECT mig_batch('o', '', '{\"create\": \"CREATE TABLE o (b INTEGER PRIMARY KEY, c GENERATED ALWAYS AS "
                  "(b || ''x'') STORED, UNIQUE (c, b))\"}');\nALTER TABLE o RENAME COLUMN b TO p;",
                  "ALTER TABLE o RENAME COLUMN b TO p"),
           "F8: a rowid table is rebuilt with its key first before RENAME COLUMN of a key column in a UNIQUE");
        a = "table|t|t|CREATE TABLE t (price INTEGER PRIMARY KEY, m INT, UNIQUE (price, m)) WITHOUT ROWID";
        bb = "table|t|t|CREATE TABLE t (kind INTEGER PRIMARY KEY, m INT, UNIQUE (kind, m)) WITHOUT ROWID";
        h[0].table = "t";
        h[0].column = "price";
        h[0].to = "kind";
        b = diff_h(a, bb, h, 1, &err);
        ok(has(up_of(b), "'{\"create\": \"CREATE TABLE t (price INTEGER NOT NULL, m INT, UNIQUE (price, m), PRIMARY KEY "
                         "(price)) WITHOUT ROWID\"}');\nALTER TABLE t RENAME COLUMN price TO kind;"),
           "F8: a WITHOUT ROWID table with its PRIMARY KEY (...) after the UNIQUEs");
        b = diff_h("table|t|t|CREATE TABLE t (price INTEGER PRIMARY KEY, m INT, UNIQUE (m))",
                   "table|t|t|CREATE TABLE t (kind INTEGER PRIMARY KEY, m INT, UNIQUE (m))", h, 1, &err);
        ok(has(b, "-- mig:upgrade\nALTER TABLE t RENAME COLUMN price TO kind;\n-- mig:downgrade"),
           "F8: no rebuild when no UNIQUE holds the key column");
    }

    /* seed 18632: every column replaced: a rebuild, not DROP COLUMN of the last column */
    b = diff("table|t|t|CREATE TABLE t (flag TEXT NOT NULL, CHECK (flag BETWEEN -1000 AND 1000)) STRICT",
             "table|t|t|CREATE TABLE t (email TEXT DEFAULT '') STRICT");
    ok(has(up_of(b), "SELECT mig_batch('t', '', '{\"create\": \"CREATE TABLE t (email TEXT DEFAULT (''''))") &&
           has(down_of(b), "{\"create\": "),
       "every column replaced: a \"create\" rebuild both ways");

    /* F3: statements ordered by foreign keys */
    {
        const char *a = "table|p|p|CREATE TABLE p (e TEXT PRIMARY KEY NOT NULL DEFAULT '')\n"
                        "table|c|c|CREATE TABLE c (t INTEGER PRIMARY KEY, CONSTRAINT fk FOREIGN KEY (t) REFERENCES p)";
        const char *bb = "table|p|p|CREATE TABLE p (e TEXT NOT NULL DEFAULT '')\n"
                         "table|c|c|CREATE TABLE c (t INTEGER PRIMARY KEY)";
        b = diff(a, bb);
        ok(before(up_of(b), "mig_batch('c', 'DROP CONSTRAINT fk')", "mig_batch('p'"),
           "F3: a child's foreign key goes before its parent's key");
        ok(before(down_of(b), "mig_batch('p'", "mig_batch('c', 'ADD CONSTRAINT fk"),
           "F3: back: the parent's key comes before the child's foreign key");
    }
    {
        const char *a = "table|parent|parent|CREATE TABLE parent (a INT, b INT)\n"
                        "table|child|child|CREATE TABLE child (x INT, y INT)";
        const char *bb = "table|parent|parent|CREATE TABLE parent (a INT, b INT, UNIQUE (a, b))\n"
                         "table|child|child|CREATE TABLE child (x INT, y INT, FOREIGN KEY (x, y) REFERENCES parent (a, b))";
        b = diff(a, bb);
        ok(before(up_of(b), "mig_batch('parent', 'ADD UNIQUE (a, b)')", "mig_batch('child', 'ADD FOREIGN KEY"),
           "F3: a UNIQUE before the foreign key that needs it (the parent listed after the child)");
        b = diff(bb, a);
        ok(before(up_of(b), "mig_batch('child'", "mig_batch('parent'"),
           "F3: and the foreign key dropped before the UNIQUE");
    }
    {
        const char *a = "table|accounts|accounts|CREATE TABLE accounts (Total INT)";
        const char *bb = "table|accounts|accounts|CREATE TABLE accounts (Total INT PRIMARY KEY)\n"
                         "table|items|items|CREATE TABLE items (x INT REFERENCES accounts)";
        b = diff(a, bb);
        ok(before(up_of(b), "mig_batch('accounts'", "CREATE TABLE items"),
           "F3: a new child after its parent gets the key");
        ok(before(down_of(b), "DROP TABLE items", "mig_batch('accounts'"),
           "F3: back: the child dropped before its parent loses the key");
    }
    {
        const char *a = "table|tags|tags|CREATE TABLE tags (note TEXT, oid INT, UNIQUE (note, oid))\n"
                        "table|users|users|CREATE TABLE users (Total TEXT, o INT, FOREIGN KEY (Total, o) REFERENCES "
                        "tags (note, oid))";
        const char *bb = "table|tags|tags|CREATE TABLE tags (note TEXT)\n"
                         "table|users|users|CREATE TABLE users (Total TEXT, o INT)";
        b = diff(a, bb);
        ok(before(up_of(b), "mig_batch('users'", "mig_batch('tags', 'DROP COLUMN oid')"),
           "F3: a foreign key dropped before the column it references");
        b = diff(a, "table|tags|tags|CREATE TABLE tags (x INT)");
        ok(before(up_of(b), "DROP TABLE users", "mig_batch('tags'"),
           "F3: a child table dropped before its parent is rebuilt without the key");
    }
}

/* An allocator that refuses once when told to: the arena fails to get its
 * next block, and gets the one after (a transient shortage: what follows a
 * failed allocation may succeed). */
static int refuse;
static void *refusing_alloc(void *ud, size_t n)
{
    (void)ud;
    if (refuse) {
        refuse = 0;
        return NULL;
    }
    return malloc(n);
}
static const mig_allocator RA = {refusing_alloc, tap_free, NULL};

/* The diff of a and b with one allocation failing after `room` bytes, for
 * every room up to what the diff needs: an error MIG_E_NOMEM, or the body
 * the diff gives with memory enough (never a quoted name as "(null)"; a
 * failure can be harmless: a buffer that was not needed). */
static void oom_sweep(const char *a, const char *b, const char *desc)
{
    mig_schema sa = build(a), sb = build(b);
    char *want = diff(a, b);
    size_t room;
    int good = want != NULL, done = 0, runs = 0;
    for (room = 0; good && !done && room < ((size_t)1 << 20); room += 8, runs++) {
        mig_arena o;
        mig_err err;
        char *body = NULL;
        int rc;
        refuse = 0;
        mig_arena_init(&o, &RA);
        while (o.left < room) /* a current block with `room` bytes left */
            if (!mig_alloc(&o, o.left >= 2048 ? 2048 : 8))
                break;
        if (o.left > room)
            (void)mig_alloc(&o, o.left - room);
        refuse = 1;
        mig_err_clear(&err);
        rc = mig_schema_diff(&o, &sa, &sb, NULL, &body, &err);
        if (rc == 0) {
            done = refuse; /* not refused: memory enough from here on */
            good = body && strcmp(body, want) == 0;
            if (!good)
                show(body);
        } else if (err.code != MIG_E_NOMEM) {
            printf("#   room %zu: %s\n", room, err.msg);
            good = 0;
        }
        refuse = 0;
        mig_arena_free(&o);
    }
    ok(good && done, "out of memory at each of %d points: MIG_E_NOMEM, or the whole body: %s", runs, desc);
}

static void test_oom(void)
{
    /* the quoted names of DROP CONSTRAINT, DROP COLUMN, ALTER COLUMN (mig_batch's actions) */
    oom_sweep("table|my t|my t|CREATE TABLE \"my t\" (id INTEGER PRIMARY KEY, \"a b\" INT, \"c d\" TEXT CONSTRAINT \"u q\" "
              "UNIQUE, e INT, CONSTRAINT \"ck x\" CHECK (e > 0), CONSTRAINT \"fk y\" FOREIGN KEY (e) REFERENCES \"my t\"(id))",
              "table|my t|my t|CREATE TABLE \"my t\" (id INTEGER PRIMARY KEY, \"c d\" INT NOT NULL DEFAULT 0, e INT)",
              "constraints and columns dropped, a column changed");
    /* RENAME TO and RENAME COLUMN of names that differ by case */
    oom_sweep("table|x y|x y|CREATE TABLE \"x y\" (\"A b\" INT, c INT)",
              "table|X Y|X Y|CREATE TABLE \"X Y\" (\"a B\" INT, c INT)", "a table and a column renamed by case");
    /* SQLite's own ALTER TABLE ... ADD COLUMN */
    oom_sweep("table|p q|p q|CREATE TABLE \"p q\" (id INT)", "table|p q|p q|CREATE TABLE \"p q\" (id INT, \"n m\" INT)",
              "a native ADD COLUMN");
}

int main(void)
{
    mig_arena_init(&ar, &TAP_ALLOC);
    test_render();
    test_equal();
    test_tables();
    test_columns();
    test_order();
    test_hints();
    test_by_hand();
    test_roundtrip_findings();
    test_oom();
    mig_arena_free(&ar);
    return tap_done();
}

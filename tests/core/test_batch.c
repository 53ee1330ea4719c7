/*
 * test_batch.c — unit tests of mig_batch's action parser and SQLite planner
 * (core/batch.c), without a database.  Prints TAP.
 */
#include "batch.h"

#include "tap.h"

#include <string.h>

static mig_arena ar;

static int parse(const char *text, mig_batch_actions *a, mig_err *err)
{
    mig_err_clear(err);
    return mig_batch_parse(&ar, text, strlen(text), a, err);
}

static void parse_ok(const char *text, mig_batch_kind kind, const char *column, const char *extra)
{
    mig_batch_actions a;
    mig_err err;
    int rc = parse(text, &a, &err);
    const char *x = NULL;
    if (rc == 0 && a.n == 1)
        x = a.v[0].kind == MIG_BA_RENAME_COLUMN || a.v[0].kind == MIG_BA_RENAME_TABLE ? a.v[0].new_name
            : a.v[0].kind == MIG_BA_DROP_CONSTRAINT                                  ? a.v[0].name
                                                                                     : a.v[0].text;
    ok(rc == 0 && a.n == 1 && a.v[0].kind == kind &&
           (!column || (a.v[0].column && strcmp(a.v[0].column, column) == 0)) &&
           (!extra || (x && strcmp(x, extra) == 0)),
       "parses: %s", text);
    if (rc)
        printf("#   %s\n", err.msg);
}

static void parse_bad(const char *text, const char *want)
{
    mig_batch_actions a;
    mig_err err;
    int rc = parse(text, &a, &err);
    ok(rc != 0 && strstr(err.msg, want) != NULL, "refused: %s", text);
    if (rc == 0 || !strstr(err.msg, want))
        printf("#   got: %s\n#   want: %s\n", rc ? err.msg : "(parsed)", want);
}

static const char *plan_for(const char *table_sql, const char *actions, mig_batch_schema *extra, mig_batch_plan *p,
                            mig_err *err)
{
    mig_batch_actions a, rest;
    mig_strlist first = {0}, last = {0};
    mig_batch_schema s;
    mig_err_clear(err);
    if (extra)
        s = *extra;
    else
        memset(&s, 0, sizeof s);
    s.table_sql = table_sql;
    if (parse(actions, &a, err) || mig_batch_split(&ar, "foo", table_sql, &a, &first, &rest, &last, err) ||
        mig_batch_plan_sqlite(&ar, "foo", &rest, &s, p, err))
        return NULL;
    return "ok";
}

static int has_stmt(const mig_batch_plan *p, const char *needle)
{
    int i;
    for (i = 0; i < p->stmts.n; i++)
        if (strstr(p->stmts.v[i], needle))
            return 1;
    return 0;
}

int main(void)
{
    mig_batch_actions a;
    mig_batch_plan p;
    mig_err err;
    const char *foo = "CREATE TABLE foo (foo_id INTEGER NOT NULL, bar VARCHAR(512) NOT NULL, baz TEXT DEFAULT 'x' "
                      "COLLATE NOCASE, CONSTRAINT ck_baz CHECK (baz <> ''), CHECK (length(bar) < 600), PRIMARY KEY "
                      "(foo_id))";
    mig_arena_init(&ar, &TAP_ALLOC);

    /* every action of SPEC §5 */
    parse_ok("ADD COLUMN qux INTEGER NOT NULL DEFAULT 0", MIG_BA_ADD_COLUMN, "qux", "qux INTEGER NOT NULL DEFAULT 0");
    parse_ok("add qux int", MIG_BA_ADD_COLUMN, "qux", "qux int");
    parse_ok("ADD COLUMN IF NOT EXISTS qux int", MIG_BA_ADD_COLUMN, "qux", "qux int");
    parse_ok("DROP COLUMN bar", MIG_BA_DROP_COLUMN, "bar", NULL);
    parse_ok("DROP bar", MIG_BA_DROP_COLUMN, "bar", NULL);
    parse_ok("DROP COLUMN IF EXISTS bar", MIG_BA_DROP_COLUMN, "bar", NULL);
    parse_ok("ALTER COLUMN bar TYPE TEXT", MIG_BA_ALTER_TYPE, "bar", "TEXT");
    parse_ok("ALTER bar SET DATA TYPE DECIMAL(10, 2) USING bar * 100", MIG_BA_ALTER_TYPE, "bar", "DECIMAL(10, 2)");
    parse_ok("ALTER COLUMN bar SET NOT NULL", MIG_BA_SET_NOT_NULL, "bar", NULL);
    parse_ok("ALTER COLUMN bar DROP NOT NULL", MIG_BA_DROP_NOT_NULL, "bar", NULL);
    parse_ok("ALTER COLUMN bar SET DEFAULT 'a, b'", MIG_BA_SET_DEFAULT, "bar", "'a, b'");
    parse_ok("ALTER COLUMN bar DROP DEFAULT", MIG_BA_DROP_DEFAULT, "bar", NULL);
    parse_ok("RENAME COLUMN bar TO \"Bar 2\"", MIG_BA_RENAME_COLUMN, "bar", "Bar 2");
    parse_ok("RENAME bar TO b", MIG_BA_RENAME_COLUMN, "bar", "b");
    parse_ok("ADD CONSTRAINT uq UNIQUE (bar, baz)", MIG_BA_ADD_CONSTRAINT, NULL, "CONSTRAINT uq UNIQUE (bar, baz)");
    parse_ok("ADD PRIMARY KEY (foo_id)", MIG_BA_ADD_CONSTRAINT, NULL, "PRIMARY KEY (foo_id)");
    parse_ok("ADD CHECK (bar <> ',')", MIG_BA_ADD_CONSTRAINT, NULL, "CHECK (bar <> ',')");
    parse_ok("ADD FOREIGN KEY (baz) REFERENCES other (id) ON DELETE CASCADE ON UPDATE SET NULL",
             MIG_BA_ADD_CONSTRAINT, NULL, "FOREIGN KEY (baz) REFERENCES other (id) ON DELETE CASCADE ON UPDATE SET NULL");
    parse_ok("DROP CONSTRAINT ck_baz", MIG_BA_DROP_CONSTRAINT, NULL, "ck_baz");
    parse_ok("DROP CONSTRAINT IF EXISTS \"odd \"\"name\"", MIG_BA_DROP_CONSTRAINT, NULL, "odd \"name");
    parse_ok("RENAME TO foo2", MIG_BA_RENAME_TABLE, NULL, "foo2");
    parse_ok("alter column [my col] drop not null", MIG_BA_DROP_NOT_NULL, "my col", NULL);
    parse_ok("ALTER COLUMN `x` DROP NOT NULL -- a comment", MIG_BA_DROP_NOT_NULL, "x", NULL);
    ok(parse("ADD a int, ALTER COLUMN b SET DEFAULT (1, 2), DROP c", &a, &err) == 0 && a.n == 3 &&
           a.v[1].kind == MIG_BA_SET_DEFAULT && strcmp(a.v[1].text, "(1, 2)") == 0,
       "a list: commas inside parentheses do not split");

    /* errors point at the position */
    parse_bad("", "no action given");
    parse_bad("ALTER COLUMN bar DROP NUL", "position 23, near \"NUL\": expected NOT NULL or DEFAULT");
    parse_bad("DROP COLUMN bar,", "empty action at position 17");
    parse_bad("FROB bar", "position 1, near \"FROB bar\": expected ADD, DROP, ALTER or RENAME");
    parse_bad("ALTER COLUMN bar SET", "end of the action");
    parse_bad("DROP COLUMN bar CASCADE", "CASCADE");
    parse_bad("ADD COLUMN q int; DROP TABLE victim", "';' at position 17");
    parse_bad("ALTER COLUMN bar SET DEFAULT 'a;b'; COMMIT", "';' at position 35");
    parse_bad("RENAME bar baz", "expected TO");
    parse_bad("ADD CONSTRAINT c1 FROB (x)", "expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY");
    parse_bad("DROP COLUMN bar extra", "near \"extra\"");

    /* strategies */
    ok(plan_for("CREATE TABLE foo (a TEXT, b TEXT NOT NULL)", "ALTER b DROP NOT NULL", NULL, &p, &err) &&
           strstr(p.stmts.v[2], "INSERT INTO main.\"foo\" (rowid, \"a\", \"b\") SELECT rowid, \"a\", \"b\""),
       "a rowid table without an INTEGER PRIMARY KEY keeps its rowids");
    ok(plan_for(foo, "ADD COLUMN qux INTEGER DEFAULT 0", NULL, &p, &err) && !p.rebuild &&
           has_stmt(&p, "ALTER TABLE main.\"foo\" ADD COLUMN qux INTEGER DEFAULT 0"),
       "plain ADD COLUMN: SQLite's own");
    ok(plan_for(foo, "ADD COLUMN qux INTEGER NOT NULL", NULL, &p, &err) && p.rebuild,
       "ADD COLUMN NOT NULL without a default: a rebuild");
    ok(plan_for(foo, "ADD COLUMN qux TEXT DEFAULT (lower('X'))", NULL, &p, &err) && p.rebuild,
       "ADD COLUMN with an expression default: a rebuild");
    ok(plan_for(foo, "ADD COLUMN qux INTEGER UNIQUE", NULL, &p, &err) && p.rebuild,
       "ADD COLUMN UNIQUE: a rebuild");
    ok(plan_for("CREATE TABLE foo (a INTEGER PRIMARY KEY, b TEXT, c TEXT)", "DROP COLUMN c", NULL, &p, &err) &&
           !p.rebuild && has_stmt(&p, "DROP COLUMN \"c\""),
       "DROP COLUMN of a plain column: SQLite's own");
    ok(plan_for(foo, "DROP COLUMN baz", NULL, &p, &err) && p.rebuild && !has_stmt(&p, "ck_baz") &&
           has_stmt(&p, "CHECK (length(bar) < 600)"),
       "DROP COLUMN with a CHECK on it: a rebuild that drops that constraint only");
    ok(plan_for(foo, "ALTER COLUMN bar DROP NOT NULL", NULL, &p, &err) && p.rebuild && p.stmts.n == 4 &&
           strstr(p.stmts.v[0], "RENAME TO \"_mig_old_foo\"") && strstr(p.stmts.v[1], "bar VARCHAR(512),") &&
           strstr(p.stmts.v[1], "baz TEXT DEFAULT 'x' COLLATE NOCASE") &&
           strstr(p.stmts.v[2], "INSERT INTO main.\"foo\" SELECT * FROM main.\"_mig_old_foo\"") &&
           strstr(p.stmts.v[3], "DROP TABLE main.\"_mig_old_foo\""),
       "DROP NOT NULL: rename, create, copy whole records (the INTEGER PRIMARY KEY is the rowid), drop");
    ok(plan_for(foo, "ALTER COLUMN bar DROP NOT NULL, ALTER COLUMN baz SET DEFAULT 'y', ADD CHECK (foo_id > 0)",
                NULL, &p, &err) &&
           p.rebuild && p.stmts.n == 4 && strstr(p.stmts.v[1], "baz TEXT COLLATE NOCASE DEFAULT 'y'") &&
           strstr(p.stmts.v[1], "CHECK (foo_id > 0)"),
       "several actions: one rebuild");
    ok(plan_for(foo, "ALTER COLUMN bar TYPE INTEGER USING length(bar)", NULL, &p, &err) && p.rebuild &&
           strstr(p.stmts.v[1], "bar INTEGER NOT NULL") && strstr(p.stmts.v[2], "(length(bar))"),
       "TYPE ... USING: the new type, the expression fills it");
    ok(plan_for(foo, "ALTER COLUMN baz SET DEFAULT lower('A')", NULL, &p, &err) &&
           strstr(p.stmts.v[1], "DEFAULT (lower('A'))"),
       "an expression default gets parentheses");
    ok(plan_for(foo, "DROP CONSTRAINT foo_pkey", NULL, &p, &err) && p.rebuild && !strstr(p.stmts.v[1], "PRIMARY KEY"),
       "DROP CONSTRAINT with PostgreSQL's default name of an unnamed primary key");
    ok(plan_for(foo, "DROP CONSTRAINT ck_baz", NULL, &p, &err) && !strstr(p.stmts.v[1], "ck_baz") &&
           strstr(p.stmts.v[1], "length(bar)"),
       "DROP CONSTRAINT by name keeps the unnamed CHECK");
    ok(plan_for("CREATE TABLE foo (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)", "ALTER v DROP NOT NULL",
                NULL, &p, &err) &&
           !strstr(p.stmts.v[2], "rowid") && strstr(p.stmts.v[1], "AUTOINCREMENT"),
       "INTEGER PRIMARY KEY: no separate rowid copy; AUTOINCREMENT kept");
    {
        mig_batch_schema s;
        mig_schema_obj ix[2] = {{"index", "ix_bar", "foo", "CREATE INDEX ix_bar ON foo (bar)"},
                                {"index", "ix_baz", "foo", "CREATE INDEX ix_baz ON foo (lower(baz)) WHERE baz > ''"}};
        mig_schema_obj tr[1] = {{"trigger", "tr", "foo", "CREATE TRIGGER tr AFTER INSERT ON foo BEGIN SELECT 1; END"}};
        memset(&s, 0, sizeof s);
        s.indexes = ix;
        s.nindexes = 2;
        s.triggers = tr;
        s.ntriggers = 1;
        ok(plan_for(foo, "DROP COLUMN baz", &s, &p, &err) && p.rebuild && has_stmt(&p, "ix_bar") &&
               !has_stmt(&p, "ix_baz") && has_stmt(&p, "CREATE TRIGGER main.tr AFTER INSERT ON foo"),
           "DROP COLUMN: its indexes go, the others and the triggers come back");
    }
    {
        mig_batch_schema s;
        mig_schema_obj v[1] = {{"view", "v_bar", "foo", "CREATE VIEW v_bar AS SELECT bar FROM foo"}};
        mig_fk_ref r[1] = {{"child", "foo_ref", "bar", 0}};
        memset(&s, 0, sizeof s);
        s.others = v;
        s.nothers = 1;
        ok(plan_for(foo, "DROP COLUMN bar", &s, &p, &err) && p.views.n == 1 && strcmp(p.views.v[0], "v_bar") == 0,
           "DROP COLUMN: a view on the table is compiled after the change (the error names it)");
        memset(&s, 0, sizeof s);
        s.refs = r;
        s.nrefs = 1;
        ok(!plan_for(foo, "DROP COLUMN bar", &s, &p, &err) && strstr(err.msg, "table child"),
           "DROP COLUMN referenced by a foreign key elsewhere: an error naming the table");
    }
    /* F10 (roundtrip): the words of a constraint are not columns */
    ok(plan_for("CREATE TABLE foo (p BLOB NOT NULL, \"key\" NUMERIC, f TEXT, PRIMARY KEY (p, f))", "DROP COLUMN \"key\"",
                NULL, &p, &err) &&
           !p.rebuild,
       "F10: DROP COLUMN \"key\" is SQLite's own DROP COLUMN (no constraint is on it)");
    ok(plan_for("CREATE TABLE foo (p BLOB NOT NULL, \"key\" NUMERIC, f TEXT, PRIMARY KEY (p, f))",
                "DROP COLUMN \"key\", ALTER COLUMN f SET NOT NULL", NULL, &p, &err) &&
           p.rebuild && has_stmt(&p, "PRIMARY KEY (p, f)"),
       "F10: and a rebuild that drops \"key\" keeps PRIMARY KEY (p, f)");
    ok(plan_for("CREATE TABLE foo (p INT, \"unique\" INT, f INT REFERENCES foo (p), UNIQUE (p, f), FOREIGN KEY (p) "
                "REFERENCES foo (f), FOREIGN KEY (f) REFERENCES foo (\"unique\"))",
                "DROP COLUMN \"unique\"", NULL, &p, &err) &&
           has_stmt(&p, "UNIQUE (p, f)") && has_stmt(&p, "FOREIGN KEY (p) REFERENCES foo (f)") &&
           !has_stmt(&p, "REFERENCES foo (\"unique\")"),
       "F10: DROP COLUMN \"unique\" keeps UNIQUE (p, f) and the foreign keys that do not reference it");
    {
        /* F9 (roundtrip): a UNIQUE is needed only by a foreign key that references exactly its columns */
        const char *t = "CREATE TABLE t (v INTEGER, w INTEGER, PRIMARY KEY (v), CONSTRAINT uq UNIQUE (w, v), "
                        "CONSTRAINT u2 UNIQUE (w))";
        mig_batch_schema s;
        mig_fk_ref pk[1] = {{"c", "p", "v", 0}};
        mig_fk_ref two[3] = {{"c", "x", "v", 0}, {"c", "a", "v", 1}, {"c", "b", "w", 1}};
        mig_fk_ref other[2] = {{"c", "a", "w", 0}, {"d", "b", "v", 0}};
        mig_fk_ref implicit[1] = {{"c", "p", NULL, 0}};
        memset(&s, 0, sizeof s);
        s.refs = pk;
        s.nrefs = 1;
        ok(plan_for(t, "DROP CONSTRAINT uq", &s, &p, &err) && p.rebuild,
           "F9: DROP CONSTRAINT of a UNIQUE (w, v) while a foreign key references (v): allowed");
        if (err.msg[0])
            printf("#   %s\n", err.msg);
        s.refs = two;
        s.nrefs = 3;
        ok(!plan_for(t, "DROP CONSTRAINT uq", &s, &p, &err) && strstr(err.msg, "foreign key c(a)"),
           "F9: a foreign key of two columns referencing (v, w): needs UNIQUE (w, v)");
        s.refs = other;
        s.nrefs = 2;
        ok(plan_for(t, "DROP CONSTRAINT uq", &s, &p, &err) != NULL,
           "F9: foreign keys on (w) and on (v) of two tables do not need UNIQUE (w, v)");
        ok(!plan_for(t, "DROP CONSTRAINT u2", &s, &p, &err) && strstr(err.msg, "foreign key c(a)"),
           "F9: but the one on (w) needs UNIQUE (w)");
        s.refs = implicit;
        s.nrefs = 1;
        ok(plan_for(t, "DROP CONSTRAINT uq", &s, &p, &err) != NULL, "F9: a foreign key to the primary key implicitly does not "
                                                            "need a UNIQUE");
    }

    /* errors that name what is missing */
    ok(!plan_for(foo, "DROP COLUMN nope", NULL, &p, &err) && strstr(err.msg, "column \"nope\" of table foo does not exist"),
       "unknown column");
    ok(plan_for(foo, "DROP COLUMN IF EXISTS nope", NULL, &p, &err) && p.stmts.n == 0, "DROP COLUMN IF EXISTS: nothing");
    ok(!plan_for(foo, "DROP CONSTRAINT nope", NULL, &p, &err) && strstr(err.msg, "constraint \"nope\" of table foo"),
       "unknown constraint");
    ok(!plan_for(foo, "ADD COLUMN bar int", NULL, &p, &err) && strstr(err.msg, "already exists"), "existing column");
    ok(!plan_for(foo, "ADD PRIMARY KEY (bar)", NULL, &p, &err) && strstr(err.msg, "multiple primary keys"),
       "a second primary key");
    ok(!plan_for("CREATE TABLE foo (a int)", "DROP COLUMN a", NULL, &p, &err) && strstr(err.msg, "only column"),
       "the last column");
    ok(!plan_for(foo, "RENAME TO x, DROP COLUMN bar", NULL, &p, &err) && strstr(err.msg, "must be the last action"),
       "RENAME TO not last");

    /* renames: SQLite's own, first; earlier actions use the old name */
    {
        mig_batch_actions acts, rest;
        mig_strlist first = {0}, last = {0};
        ok(parse("ALTER COLUMN bar DROP NOT NULL, RENAME bar TO \"Bar\"\"s\", RENAME TO foo2", &acts, &err) == 0 &&
               mig_batch_split(&ar, "foo", foo, &acts, &first, &rest, &last, &err) == 0 && first.n == 1 &&
               strcmp(first.v[0], "ALTER TABLE main.\"foo\" RENAME COLUMN \"bar\" TO \"Bar\"\"s\"") == 0 && last.n == 1 &&
               strcmp(last.v[0], "ALTER TABLE main.\"foo\" RENAME TO \"foo2\"") == 0 && rest.n == 1 &&
               strcmp(rest.v[0].column, "Bar\"s") == 0,
           "renames split off; an earlier action follows the rename");
    }
    mig_arena_free(&ar);
    return tap_done();
}

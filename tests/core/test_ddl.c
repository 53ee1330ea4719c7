/*
 * test_ddl.c - unit tests of the CREATE TABLE / CREATE INDEX parser
 * (core/ddl.c) that mig_batch rebuilds tables with.
 *
 * A standalone TAP program:
 *   cc -std=c11 -D_GNU_SOURCE -Icore tests/core/test_ddl.c core/mig_base.c core/ddl.c -lcrypto -ljansson
 * prints "ok N - ..." / "not ok N - ..." and the plan "1..N" at the end, and
 * exits non-zero when any test fails.
 *
 * The last group checks the parser against SQLite itself: for a set of
 * tricky statements, the column names (and which columns are generated,
 * STORED or not) must equal what PRAGMA table_xinfo says.  It runs the
 * sqlite3 command-line shell (no link-time dependency); when the shell is
 * missing those tests are skipped (MIG_TEST_SQLITE3 names another shell).
 */
#include "ddl.h"
#include "mig_base.h"

#include "tap.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

static void skip(const char *why, const char *desc)
{
    tap_tests++;
    printf("ok %d - %s # SKIP %s\n", tap_tests, desc, why);
}

/* ------------------------------------------------------------------------ */
/* Plumbing                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    long calls, fail_at, live;
} alloc_state;

static void *t_alloc(void *ud, size_t n)
{
    alloc_state *s = ud;
    void *p;
    if (s->fail_at >= 0 && s->calls == s->fail_at) {
        s->calls++;
        return NULL;
    }
    s->calls++;
    p = malloc(n);
    if (p)
        s->live++;
    return p;
}

static void t_free(void *ud, void *p)
{
    alloc_state *s = ud;
    if (p) {
        s->live--;
        free(p);
    }
}

static alloc_state g_st = {0, -1, 0};
static mig_arena g_ar;
static mig_err g_err;
static mig_ddl_table T;    /* the last table parsed by parse() */
static const char *S;      /* its text */

static int parse(const char *sql)
{
    S = sql;
    return mig_ddl_parse_create_table(&g_ar, sql, strlen(sql), &T, &g_err);
}

/* 1 if the text of span sp in S is exactly want. */
static int span_is(mig_span sp, const char *want)
{
    return sp.len == strlen(want) && memcmp(S + sp.off, want, sp.len) == 0;
}

/* The text of a span, for messages (static buffer, one at a time). */
static const char *txt(mig_span sp)
{
    static char buf[4][256];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, 256, "%.*s", (int)sp.len, S + sp.off);
    return b;
}

static int name_is(const char *got, const char *want)
{
    return got && want ? strcmp(got, want) == 0 : got == want;
}

static const mig_ddl_colcons *find_cc(const mig_ddl_column *c, mig_colcons_kind k)
{
    int i;
    for (i = 0; i < c->ncons; i++) {
        if (c->cons[i].kind == k)
            return &c->cons[i];
    }
    return NULL;
}

/* Copy of s without white space (outside nothing: the tests below keep
 * their strings free of white space where it matters). */
static char *squeeze(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i, j = 0;
    for (i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}

/* What a rebuild that changes nothing writes: "CREATE TABLE " name "("
 * definitions and table constraints joined by ", " ")" options. */
static char *reassemble(const mig_ddl_table *t, const char *s)
{
    mig_buf b;
    int i, n = 0;
    mig_buf_init(&b, &g_ar);
    mig_buf_puts(&b, "CREATE TABLE ");
    mig_buf_putn(&b, s + t->name_span.off, t->name_span.len);
    mig_buf_puts(&b, "(");
    for (i = 0; i < t->ncols; i++, n++) {
        if (n)
            mig_buf_puts(&b, ", ");
        mig_buf_putn(&b, s + t->cols[i].def_span.off, t->cols[i].def_span.len);
    }
    for (i = 0; i < t->ncons; i++, n++) {
        if (n)
            mig_buf_puts(&b, ", ");
        mig_buf_putn(&b, s + t->cons[i].span.off, t->cons[i].span.len);
    }
    mig_buf_puts(&b, ")");
    if (t->options.len) {
        mig_buf_puts(&b, " ");
        mig_buf_putn(&b, s + t->options.off, t->options.len);
    }
    return b.oom ? NULL : b.data;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_basic(void)
{
    const char *sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, note)";
    ok(parse(sql) == 0, "basic table parses");
    ok(name_is(T.name, "t") && span_is(T.name_span, "t") && T.schema == NULL, "table name");
    ok(T.ncols == 3 && name_is(T.cols[0].name, "id") && name_is(T.cols[1].name, "name") &&
           name_is(T.cols[2].name, "note"),
       "three columns in order");
    ok(span_is(T.cols[0].type_span, "INTEGER") && span_is(T.cols[1].type_span, "TEXT"), "types");
    ok(T.cols[2].type_span.len == 0 && T.cols[2].ncons == 0, "a column without type or constraint");
    ok(span_is(T.cols[1].def_span, "name TEXT NOT NULL"), "def_span of a column");
    ok(span_is(T.body, "id INTEGER PRIMARY KEY, name TEXT NOT NULL, note"), "body span");
    ok(T.options.len == 0 && !T.without_rowid && !T.strict && !T.temp && !T.if_not_exists,
       "no options or flags");
    ok(T.ncons == 0, "no table constraints");
    ok(mig_ddl_find_column(&T, "NAME") == 1 && mig_ddl_find_column(&T, "nope") == -1,
       "mig_ddl_find_column is case-insensitive");

    ok(parse("create temporary table if not exists \"main\".\"T 1\" (a);") == 0 && T.temp &&
           T.if_not_exists && name_is(T.schema, "main") && name_is(T.name, "T 1") &&
           span_is(T.name_span, "\"T 1\""),
       "TEMPORARY, IF NOT EXISTS, schema prefix, trailing ';'");
    ok(parse("CREATE TEMP TABLE temp.x(a)") == 0 && T.temp && name_is(T.schema, "temp"),
       "CREATE TEMP TABLE temp.x");
}

static void test_roundtrip(void)
{
    static const char *const cases[] = {
        "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(512) NOT NULL DEFAULT 'x')",
        "CREATE TABLE \"order\"(\"key\" TEXT COLLATE NOCASE, [value] DECIMAL(10, 2) CHECK (value >= 0), "
        "CONSTRAINT pk PRIMARY KEY (\"key\"), UNIQUE (value)) WITHOUT ROWID, STRICT",
        "CREATE TABLE c(id INT, pid INT REFERENCES p(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
        "g INT GENERATED ALWAYS AS (id * 2) STORED, FOREIGN KEY (id) REFERENCES q(x) ON UPDATE SET NULL, "
        "CHECK (id > 0))",
        "CREATE TABLE t(a DEFAULT (1 + (2)), b DEFAULT -1, c DEFAULT CURRENT_TIMESTAMP, d AS (a) VIRTUAL)",
        "CREATE TABLE t(a INT /* inside */ NOT NULL, b -- line\n TEXT)",
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r, *x, *y;
        int good = parse(cases[i]) == 0;
        r = good ? reassemble(&T, cases[i]) : NULL;
        x = squeeze(cases[i], strlen(cases[i]));
        y = r ? squeeze(r, strlen(r)) : NULL;
        if (!ok(good && y && strcmp(x, y) == 0, "round trip %zu: reassembled pieces equal the original", i + 1))
            printf("#   original:    %s\n#   reassembled: %s\n#   error: %s\n", cases[i], r ? r : "-",
                   g_err.msg);
        free(x);
        free(y);
    }
}

static void test_colcons(void)
{
    const mig_ddl_colcons *c;
    const char *sql =
        "CREATE TABLE t(id INTEGER CONSTRAINT pk PRIMARY KEY DESC ON CONFLICT ROLLBACK AUTOINCREMENT, "
        "a TEXT NOT NULL ON CONFLICT IGNORE NULL UNIQUE ON CONFLICT REPLACE, "
        "b INT CONSTRAINT positive CHECK (b > (0)) DEFAULT 7 COLLATE \"rtrim\", "
        "c REFERENCES parent(x, \"y\") ON DELETE SET DEFAULT ON UPDATE NO ACTION MATCH simple "
        "NOT DEFERRABLE INITIALLY IMMEDIATE, "
        "d GENERATED ALWAYS AS (b + 1) STORED)";
    if (!ok(parse(sql) == 0, "every column constraint kind parses"))
        printf("#   %s\n", g_err.msg);
    if (T.ncols != 5)
        return;

    c = &T.cols[0].cons[0];
    ok(T.cols[0].ncons == 1 && c->kind == MIG_CC_PRIMARY_KEY && c->autoincrement && c->desc,
       "PRIMARY KEY DESC ... AUTOINCREMENT");
    ok(span_is(c->span, "CONSTRAINT pk PRIMARY KEY DESC ON CONFLICT ROLLBACK AUTOINCREMENT") &&
           name_is(c->name, "pk"),
       "named PK span includes CONSTRAINT name: %s", txt(c->span));

    ok(T.cols[1].ncons == 3 && T.cols[1].cons[0].kind == MIG_CC_NOT_NULL &&
           T.cols[1].cons[1].kind == MIG_CC_NULL && T.cols[1].cons[2].kind == MIG_CC_UNIQUE,
       "NOT NULL, NULL, UNIQUE in order");
    ok(span_is(T.cols[1].cons[0].span, "NOT NULL ON CONFLICT IGNORE") &&
           span_is(T.cols[1].cons[2].span, "UNIQUE ON CONFLICT REPLACE") && T.cols[1].cons[0].name == NULL,
       "ON CONFLICT belongs to its constraint");

    c = find_cc(&T.cols[2], MIG_CC_CHECK);
    ok(c && name_is(c->name, "positive") && span_is(c->expr, "b > (0)") &&
           span_is(c->span, "CONSTRAINT positive CHECK (b > (0))"),
       "CHECK: name, expression inside the parens");
    c = find_cc(&T.cols[2], MIG_CC_DEFAULT);
    ok(c && span_is(c->expr, "7") && span_is(c->span, "DEFAULT 7") && c->name == NULL,
       "DEFAULT after a named CHECK is unnamed");
    c = find_cc(&T.cols[2], MIG_CC_COLLATE);
    ok(c && span_is(c->expr, "\"rtrim\"") && span_is(c->span, "COLLATE \"rtrim\""),
       "COLLATE: expr is the collation name as written");

    c = find_cc(&T.cols[3], MIG_CC_REFERENCES);
    ok(c && name_is(c->ref_table, "parent") && c->nref_columns == 2 && name_is(c->ref_columns[0], "x") &&
           name_is(c->ref_columns[1], "y"),
       "REFERENCES: parent table and columns");
    ok(c && span_is(c->span, "REFERENCES parent(x, \"y\") ON DELETE SET DEFAULT ON UPDATE NO ACTION MATCH "
                             "simple NOT DEFERRABLE INITIALLY IMMEDIATE"),
       "REFERENCES span takes the actions and the deferral clause");
    ok(T.cols[3].type_span.len == 0 && T.cols[3].type_span.off == T.cols[3].name_span.off + 1,
       "absent type: empty span right after the name");

    c = find_cc(&T.cols[4], MIG_CC_GENERATED);
    ok(c && c->stored && span_is(c->expr, "b + 1") && span_is(c->span, "GENERATED ALWAYS AS (b + 1) STORED"),
       "GENERATED ALWAYS AS (...) STORED");
}

static void test_quoting(void)
{
    ok(parse("CREATE TABLE [my table](\"a\"\"b\" INT, [c d], `e``f`, 'g h' TEXT, ünï, \"ключ\" INT, "
             "\"\" INT)") == 0,
       "every identifier quoting style");
    if (T.ncols != 7)
        return;
    ok(name_is(T.name, "my table") && span_is(T.name_span, "[my table]"), "[bracket] table name");
    ok(name_is(T.cols[0].name, "a\"b") && span_is(T.cols[0].name_span, "\"a\"\"b\""), "\"a\"\"b\" column");
    ok(name_is(T.cols[1].name, "c d") && span_is(T.cols[1].name_span, "[c d]"), "[c d] column");
    ok(name_is(T.cols[2].name, "e`f") && span_is(T.cols[2].name_span, "`e``f`"), "`e``f` column");
    ok(name_is(T.cols[3].name, "g h") && span_is(T.cols[3].type_span, "TEXT"),
       "'string' column name as SQLite allows");
    ok(name_is(T.cols[4].name, "ünï") && name_is(T.cols[5].name, "ключ"), "unicode names, bare and quoted");
    ok(name_is(T.cols[6].name, ""), "empty quoted name");

    ok(parse("CREATE TABLE t(key, action INT, abort, replace TEXT, \"primary\" INT, left, indexed, window, "
             "rowid, strict, temp, generated, always, current_time)") == 0 &&
           T.ncols == 14,
       "keyword-named columns SQLite allows");
    ok(T.ncols == 14 && name_is(T.cols[0].name, "key") && name_is(T.cols[4].name, "primary") &&
           name_is(T.cols[5].name, "left") && name_is(T.cols[13].name, "current_time") &&
           span_is(T.cols[3].type_span, "TEXT"),
       "their names and types");
    ok(parse("CREATE TABLE key(a INT KEY, b ALWAYS)") == 0 && name_is(T.name, "key") &&
           span_is(T.cols[0].type_span, "INT KEY") && span_is(T.cols[1].type_span, "ALWAYS"),
       "non-reserved keywords inside type names");
}

static void test_types(void)
{
    ok(parse("CREATE TABLE t(a VARCHAR(512), b DECIMAL( 10 , 2 ), c \"unsigned big int\", d unsigned big int, "
             "e double precision NOT NULL, f x(-1, +2), g 'text', h CHARACTER VARYING(255) DEFAULT '')") == 0 &&
           T.ncols == 8,
       "type names parse");
    if (T.ncols != 8)
        return;
    ok(span_is(T.cols[0].type_span, "VARCHAR(512)"), "VARCHAR(512)");
    ok(span_is(T.cols[1].type_span, "DECIMAL( 10 , 2 )"), "DECIMAL( 10 , 2 ) as written");
    ok(span_is(T.cols[2].type_span, "\"unsigned big int\""), "quoted type name");
    ok(span_is(T.cols[3].type_span, "unsigned big int"), "several words");
    ok(span_is(T.cols[4].type_span, "double precision") && T.cols[4].ncons == 1, "type ends at NOT NULL");
    ok(span_is(T.cols[5].type_span, "x(-1, +2)"), "signed sizes");
    ok(span_is(T.cols[6].type_span, "'text'"), "string type");
    ok(span_is(T.cols[7].type_span, "CHARACTER VARYING(255)"), "CHARACTER VARYING(255)");
}

static void test_defaults(void)
{
    const mig_ddl_colcons *c;
    static const struct {
        const char *col, *expr;
    } want[] = {
        {"a", "-1"},
        {"b", "'a''b'"},
        {"c", "(lower('X') || (1))"},
        {"d", "CURRENT_TIMESTAMP"},
        {"e", "TRUE"},
        {"f", "x'00FF'"},
        {"g", "+ 1.5e3"},
        {"h", "NULL"},
        {"i", "\"quoted\""},
        {"j", "0x1F"},
        {"k", "- /* c */ 5"},
        {"l", "current_date"},
        {"m", "false"},
    };
    size_t i;
    int good = parse("CREATE TABLE t(a DEFAULT -1, b TEXT DEFAULT 'a''b', c DEFAULT (lower('X') || (1)), "
                     "d DEFAULT CURRENT_TIMESTAMP, e DEFAULT TRUE, f BLOB DEFAULT x'00FF', g DEFAULT + 1.5e3, "
                     "h DEFAULT NULL, i DEFAULT \"quoted\", j DEFAULT 0x1F, k DEFAULT - /* c */ 5 NOT NULL, "
                     "l DEFAULT current_date, m DEFAULT false)") == 0;
    if (!ok(good && T.ncols == 13, "tricky defaults parse"))
        printf("#   %s\n", g_err.msg);
    if (!good || T.ncols != 13)
        return;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        c = find_cc(&T.cols[i], MIG_CC_DEFAULT);
        ok(c && name_is(T.cols[i].name, want[i].col) && span_is(c->expr, want[i].expr),
           "DEFAULT of %s is <%s> (got <%s>)", want[i].col, want[i].expr, c ? txt(c->expr) : "none");
    }
    ok(T.cols[10].ncons == 2 && T.cols[10].cons[1].kind == MIG_CC_NOT_NULL, "a constraint after a default");
}

static void test_generated(void)
{
    const mig_ddl_colcons *c;
    ok(parse("CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2), c AS (a || 'x') stored, "
             "d TEXT AS (upper(c)) VIRTUAL NOT NULL, e generated always as (1), f int generated, "
             "g INT CHECK (g > 0) GENERATED ALWAYS AS ((a)) STORED)") == 0 &&
           T.ncols == 7,
       "generated columns parse");
    if (T.ncols != 7)
        return;
    c = find_cc(&T.cols[1], MIG_CC_GENERATED);
    ok(c && !c->stored && span_is(c->expr, "a * 2") && span_is(T.cols[1].type_span, "INT") &&
           span_is(c->span, "GENERATED ALWAYS AS (a * 2)"),
       "INT GENERATED ALWAYS AS: type INT, constraint from GENERATED");
    c = find_cc(&T.cols[2], MIG_CC_GENERATED);
    ok(c && c->stored && span_is(c->span, "AS (a || 'x') stored") && span_is(c->expr, "a || 'x'"),
       "short form AS (...) stored");
    c = find_cc(&T.cols[3], MIG_CC_GENERATED);
    ok(c && !c->stored && span_is(c->span, "AS (upper(c)) VIRTUAL") && T.cols[3].ncons == 2,
       "AS (...) VIRTUAL then NOT NULL");
    c = find_cc(&T.cols[4], MIG_CC_GENERATED);
    ok(c && T.cols[4].type_span.len == 0 && span_is(c->span, "generated always as (1)"),
       "generated column without a type");
    ok(T.cols[5].ncons == 0 && span_is(T.cols[5].type_span, "int generated"),
       "'generated' alone is a type word");
    c = find_cc(&T.cols[6], MIG_CC_GENERATED);
    ok(c && c->stored && span_is(c->expr, "(a)"), "GENERATED after CHECK, inner parens kept");
    ok(parse("CREATE TABLE t(a, b AS (a) bogus)") == -1 && strstr(g_err.msg, "generated column type"),
       "unknown generated column type is an error");
}

static void test_comments(void)
{
    const char *sql = "/* lead */ CREATE /* a */ TEMP -- b\n TABLE /* c */ t /* d */ ( /* e */ a /* f */ INT "
                      "/* g */ NOT /* h */ NULL -- i\n , b -- j\n DEFAULT ( 1 /* ) */ ) , CHECK ( a /* ( */ ) "
                      ") /* k */ WITHOUT /* l */ ROWID ; -- m";
    if (!ok(parse(sql) == 0, "comments everywhere"))
        printf("#   %s\n", g_err.msg);
    if (T.ncols != 2)
        return;
    ok(name_is(T.name, "t") && T.temp && T.without_rowid, "comments between keywords");
    ok(span_is(T.cols[0].def_span, "a /* f */ INT /* g */ NOT /* h */ NULL"),
       "def span keeps inner comments, not trailing ones");
    ok(span_is(T.cols[0].type_span, "INT") && span_is(T.cols[0].cons[0].span, "NOT /* h */ NULL"),
       "type and constraint spans around comments");
    ok(span_is(T.cols[1].cons[0].expr, "( 1 /* ) */ )"), "a ')' in a comment does not close the default");
    ok(T.ncons == 1 && span_is(T.cons[0].expr, "a"), "a '(' in a comment does not open the check");
    ok(span_is(T.options, "WITHOUT /* l */ ROWID"), "options span");
    ok(parse("CREATE TABLE t(a CHECK (a <> ')' AND a <> '--' AND a <> '/*'))") == 0 &&
           span_is(T.cols[0].cons[0].expr, "a <> ')' AND a <> '--' AND a <> '/*'"),
       "parens and comment starts inside string literals");
    ok(parse("CREATE TABLE t(a)/* unterminated") == 0 && T.ncols == 1,
       "an unterminated block comment at the end is a comment (as in SQLite)");
}

static void test_tabcons(void)
{
    const mig_ddl_tabcons *c;
    const char *sql = "CREATE TABLE t(a, b, c, d, "
                      "CONSTRAINT pk PRIMARY KEY (a, \"b\" DESC) ON CONFLICT FAIL, "
                      "UNIQUE (c COLLATE nocase, lower(d), [d] ASC NULLS LAST), "
                      "CONSTRAINT ck CHECK (a > b AND (c IS NULL)), "
                      "FOREIGN KEY (c, d) REFERENCES other(x, y) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
                      "FOREIGN KEY (a) REFERENCES \"p q\")";
    if (!ok(parse(sql) == 0 && T.ncols == 4 && T.ncons == 5, "every table constraint kind parses"))
        printf("#   %s\n", g_err.msg);
    if (T.ncons != 5)
        return;
    c = &T.cons[0];
    ok(c->kind == MIG_TC_PRIMARY_KEY && name_is(c->name, "pk") && c->ncolumns == 2 &&
           name_is(c->columns[0], "a") && name_is(c->columns[1], "b"),
       "PRIMARY KEY: name and columns");
    ok(span_is(c->span, "CONSTRAINT pk PRIMARY KEY (a, \"b\" DESC) ON CONFLICT FAIL"), "PRIMARY KEY span");
    c = &T.cons[1];
    ok(c->kind == MIG_TC_UNIQUE && c->name == NULL && c->ncolumns == 2 && name_is(c->columns[0], "c") &&
           name_is(c->columns[1], "d"),
       "UNIQUE: expression element skipped, COLLATE/ASC/NULLS handled");
    c = &T.cons[2];
    ok(c->kind == MIG_TC_CHECK && name_is(c->name, "ck") && span_is(c->expr, "a > b AND (c IS NULL)"),
       "CHECK: name and expression");
    c = &T.cons[3];
    ok(c->kind == MIG_TC_FOREIGN_KEY && c->ncolumns == 2 && name_is(c->columns[1], "d") &&
           name_is(c->ref_table, "other") && c->nref_columns == 2 && name_is(c->ref_columns[0], "x"),
       "FOREIGN KEY: local columns, parent table and columns");
    ok(span_is(c->span, "FOREIGN KEY (c, d) REFERENCES other(x, y) ON DELETE CASCADE DEFERRABLE INITIALLY "
                        "DEFERRED"),
       "FOREIGN KEY span");
    ok(name_is(T.cons[4].ref_table, "p q") && T.cons[4].nref_columns == 0, "FK to a quoted table, no columns");

    ok(parse("CREATE TABLE t(a, b, PRIMARY KEY (a) UNIQUE (b) CHECK (a <> b))") == 0 && T.ncons == 3 &&
           T.cons[1].kind == MIG_TC_UNIQUE && span_is(T.cons[1].span, "UNIQUE (b)"),
       "table constraints without commas (SQLite allows it)");
    ok(parse("CREATE TABLE t(a INTEGER, PRIMARY KEY (a AUTOINCREMENT))") == 0 && T.cons[0].autoincrement &&
           T.cons[0].ncolumns == 1,
       "PRIMARY KEY (a AUTOINCREMENT)");
    ok(parse("CREATE TABLE t(a, CONSTRAINT x, CONSTRAINT y UNIQUE (a), CONSTRAINT z)") == 0 && T.ncons == 1 &&
           name_is(T.cons[0].name, "y") && span_is(T.cons[0].span, "CONSTRAINT y UNIQUE (a)"),
       "dangling CONSTRAINT names are ignored, as SQLite does");
    ok(parse("CREATE TABLE t(a, UNIQUE ('a'))") == 0 && T.cons[0].ncolumns == 1 && name_is(T.cons[0].columns[0], "a"),
       "a 'string' in UNIQUE names a column, as in SQLite");
}

static void test_options(void)
{
    ok(parse("CREATE TABLE t(a INTEGER PRIMARY KEY) WITHOUT ROWID") == 0 && T.without_rowid && !T.strict &&
           span_is(T.options, "WITHOUT ROWID"),
       "WITHOUT ROWID");
    ok(parse("CREATE TABLE t(a INT PRIMARY KEY) strict , without rowid;") == 0 && T.without_rowid && T.strict &&
           span_is(T.options, "strict , without rowid"),
       "STRICT, WITHOUT ROWID in the other order, any case");
    ok(parse("CREATE TABLE t(a)  ;  ") == 0 && T.options.len == 0 && T.options.off == T.body.off + T.body.len + 1,
       "no options: empty span right after ')'");
    ok(parse("CREATE TABLE t(a) WITHOUT ROWID, STRICT") == 0 && T.without_rowid && T.strict, "no trailing ';'");
}

/* An error whose message contains every fragment (NULL-terminated). */
static void check_error(const char *sql, const char *desc, ...)
{
    va_list ap;
    const char *frag;
    int good = parse(sql) == -1 && g_err.code == MIG_E_INPUT && T.ncols == 0 && T.name == NULL;
    va_start(ap, desc);
    while ((frag = va_arg(ap, const char *)) != NULL)
        good = good && strstr(g_err.msg, frag) != NULL;
    va_end(ap);
    if (!ok(good, "error: %s", desc))
        printf("#   message: %s\n", g_err.msg);
}

static void test_errors(void)
{
    check_error("CREATE TABLE t AS SELECT 1", "AS SELECT",
                "CREATE TABLE ... AS SELECT has no column definitions to rebuild", "byte 15", NULL);
    check_error("CREATE VIRTUAL TABLE t USING fts5(a)", "virtual table", "VIRTUAL", "no column definitions",
                NULL);
    check_error("CREATE TABLE t(a TEXT DEFAULT 'oops)", "unterminated string", "unterminated string literal",
                "byte 30", "near \"'oops)\"", NULL);
    check_error("CREATE TABLE t(\"a INT)", "unterminated quoted identifier", "unterminated quoted identifier",
                NULL);
    check_error("CREATE TABLE t(a CHECK ((a > 0)", "unbalanced parenthesis", "unbalanced parenthesis",
                "byte 23", NULL);
    check_error("CREATE TABLE t(a, PRIMARY KEY (a), b)", "column after the constraints",
                "column definitions must come before the table constraints", "near \"b)\"", NULL);
    check_error("CREATE TABLE t()", "no column", "column name", NULL);
    check_error("CREATE TABLE t(PRIMARY KEY (a))", "only a constraint", "needs a column", NULL);
    check_error("CREATE TABLE t(a INT", "missing ')'", "end of the text", NULL);
    check_error("CREATE TABLE t(a) WITHOUT foo", "unknown option", "unknown table option", NULL);
    check_error("CREATE TABLE t(a) STRICTLY", "unknown option word", "unknown table option", NULL);
    check_error("CREATE TABLE t(a); DROP TABLE t", "second statement", "after the end of the statement",
                "near \"DROP TABLE t\"", NULL);
    check_error("CREATE TABLE t(a, primary INT)", "reserved word as a column name", "expected KEY",
                "near \"INT)\"", NULL);
    check_error("CREATE TABLE t(a INT(3) UNSIGNED)", "words after the type size", "UNSIGNED", NULL);
    check_error("CREATE TABLE t(a DEFAULT)", "DEFAULT without value", "DEFAULT value", NULL);
    check_error("CREATE TABLE t(a CHECK ())", "empty CHECK", "empty", NULL);
    check_error("CREATE TABLE t(a PRIMARY KEY AUTOINCREMENT ASC)", "constraint order", "ASC", NULL);
    check_error("CREATE INDEX i ON t(a)", "not a CREATE TABLE", "expected TABLE", NULL);
    check_error("", "empty text", "end of the text", NULL);
    {
        static const char nul[] = "CREATE TABLE t(\"a\0b\")";
        int rc = mig_ddl_parse_create_table(&g_ar, nul, sizeof nul - 1, &T, &g_err);
        ok(rc == -1 && strstr(g_err.msg, "NUL byte") && strstr(g_err.msg, "byte 17"), "error: NUL byte");
    }
    ok(mig_ddl_parse_create_table(&g_ar, NULL, 5, &T, &g_err) == -1 && g_err.code == MIG_E_INPUT,
       "NULL text is an input error, not a crash");
    {
        /* the text need not be NUL-terminated: the length is obeyed */
        const char *sql = "CREATE TABLE t(a) garbage";
        ok(mig_ddl_parse_create_table(&g_ar, sql, 17, &T, &g_err) == 0 && T.ncols == 1,
           "len is obeyed (text past it ignored)");
    }
}

static void test_mentions(void)
{
    const char *idx = "CREATE INDEX ix ON t(\"Col A\", lower([b]), `c``d`) WHERE e > 'f' -- g\n AND /* h */ 1";
    mig_span all = {0, strlen(idx)};
    ok(mig_ddl_mentions(idx, all, "col a") == 1, "mentions: \"Col A\" case-insensitively");
    ok(mig_ddl_mentions(idx, all, "B") == 1, "mentions: [b]");
    ok(mig_ddl_mentions(idx, all, "c`d") == 1, "mentions: `c``d`");
    ok(mig_ddl_mentions(idx, all, "e") == 1, "mentions: bare e");
    ok(mig_ddl_mentions(idx, all, "f") == 0, "mentions: not inside a string literal");
    ok(mig_ddl_mentions(idx, all, "g") == 0 && mig_ddl_mentions(idx, all, "h") == 0,
       "mentions: not inside comments");
    ok(mig_ddl_mentions(idx, all, "col") == 0 && mig_ddl_mentions(idx, all, "lowe") == 0,
       "mentions: whole identifiers only");
    ok(mig_ddl_mentions(idx, all, "ix") == 1 && mig_ddl_mentions(idx, all, "where") == 0,
       "mentions: reserved keywords are not identifiers");
    {
        mig_span part = {0, 12}; /* "CREATE INDEX" */
        ok(mig_ddl_mentions(idx, part, "ix") == 0, "mentions: only inside the span");
    }
    {
        const char *chk = "x'0A' + a1 + \"a\"\"b\" + key";
        mig_span sp = {0, strlen(chk)};
        ok(mig_ddl_mentions(chk, sp, "x") == 0 && mig_ddl_mentions(chk, sp, "a\"b") == 1 &&
               mig_ddl_mentions(chk, sp, "KEY") == 1 && mig_ddl_mentions(chk, sp, "a") == 0,
           "mentions: blob is not an identifier, doubled quotes, fallback keywords count");
    }
    ok(mig_ddl_mentions("\"unterminated", (mig_span){0, 13}, "unterminated") == 1,
       "mentions: malformed text is scanned as far as it goes");
}

static void test_helpers(void)
{
    char *q = mig_ddl_quote(&g_ar, "a\"b c");
    ok(q && strcmp(q, "\"a\"\"b c\"") == 0, "quote doubles \"");
    q = mig_ddl_quote(&g_ar, "");
    ok(q && strcmp(q, "\"\"") == 0, "quote of the empty name");
    ok(mig_ddl_ident_eq("Abc", "aBC") && !mig_ddl_ident_eq("abc", "abd") && !mig_ddl_ident_eq("ab", "abc") &&
           !mig_ddl_ident_eq(NULL, "a"),
       "ident_eq is ASCII case-insensitive");
    ok(!mig_ddl_ident_eq("É", "é"), "ident_eq does not fold non-ASCII (as SQLite)");
    {
        char *u1 = mig_ddl_unquote(&g_ar, "[a]", 3), *u2 = mig_ddl_unquote(&g_ar, "'it''s'", 7),
             *u3 = mig_ddl_unquote(&g_ar, "plain", 5);
        ok(u1 && u2 && u3 && strcmp(u1, "a") == 0 && strcmp(u2, "it's") == 0 && strcmp(u3, "plain") == 0,
           "unquote: brackets, strings, bare words");
    }
    {
        /* quote -> parse gives the name back */
        const char *name = "we\"ird [name]`";
        char *stmt = mig_sprintf(&g_ar, "CREATE TABLE %s(x)", mig_ddl_quote(&g_ar, name));
        ok(stmt && parse(stmt) == 0 && name_is(T.name, name), "quote then parse round trip");
        ok(T.ncols == 1 && name_is(mig_ddl_span_dup(&g_ar, S, T.cols[0].def_span), "x"), "span_dup");
    }
}

static void test_index(void)
{
    mig_ddl_index ix;
    const char *sql = "CREATE UNIQUE INDEX IF NOT EXISTS main.\"ix a\" ON [t] (a COLLATE nocase DESC, lower(b)) "
                      "WHERE a IS NOT NULL AND b > 0;";
    int rc = mig_ddl_parse_create_index(&g_ar, sql, strlen(sql), &ix, &g_err);
    S = sql;
    ok(rc == 0 && ix.unique && ix.if_not_exists && name_is(ix.name, "ix a") && name_is(ix.schema, "main") &&
           name_is(ix.table, "t"),
       "CREATE UNIQUE INDEX: name, schema, table");
    ok(rc == 0 && span_is(ix.columns, "a COLLATE nocase DESC, lower(b)") &&
           span_is(ix.where, "a IS NOT NULL AND b > 0"),
       "index columns and WHERE spans");
    sql = "create index i on t(json_extract(data, '$.x'))";
    rc = mig_ddl_parse_create_index(&g_ar, sql, strlen(sql), &ix, &g_err);
    S = sql;
    ok(rc == 0 && !ix.unique && ix.where.len == 0 && span_is(ix.columns, "json_extract(data, '$.x')"),
       "expression index, not partial");
    sql = "CREATE INDEX i ON t(a) WHERE";
    ok(mig_ddl_parse_create_index(&g_ar, sql, strlen(sql), &ix, &g_err) == -1 &&
           strstr(g_err.msg, "WHERE") && ix.name == NULL,
       "CREATE INDEX ... WHERE without expression is an error");
}

/* Every allocation failure gives a clean MIG_E_NOMEM (or, past the last
 * allocation, the normal result); nothing leaks. */
static void test_oom(void)
{
    const char *sql = "CREATE TABLE t(a INT PRIMARY KEY, b REFERENCES p(x, y), c, d, e, f, g, h, "
                      "UNIQUE (a, b, c, d, e), FOREIGN KEY (c, d) REFERENCES q(y, z))";
    long i, total = -1;
    int clean = 1;
    for (i = 0; i < 10000; i++) {
        alloc_state st = {0, i, 0};
        mig_allocator a = {t_alloc, t_free, &st};
        mig_arena ar;
        mig_ddl_table t;
        int rc;
        mig_arena_init(&ar, &a);
        rc = mig_ddl_parse_create_table(&ar, sql, strlen(sql), &t, &g_err);
        if (rc == -1 && (g_err.code != MIG_E_NOMEM || t.cols != NULL))
            clean = 0;
        if (rc == 0 && (t.ncols != 8 || t.ncons != 2))
            clean = 0;
        mig_arena_free(&ar);
        if (st.live != 0)
            clean = 0;
        if (rc == 0 && st.calls <= i) {
            total = i;
            break;
        }
    }
    ok(clean && total > 0, "out of memory at each of %ld allocations: clean MIG_E_NOMEM", total);
}

/* ------------------------------------------------------------------------ */
/* Against SQLite                                                           */
/* ------------------------------------------------------------------------ */

static const char *sqlite_shell(void)
{
    const char *e = getenv("MIG_TEST_SQLITE3");
    FILE *f;
    char buf[64];
    static char found[256];
    if (e && *e)
        return e;
    f = popen("command -v sqlite3 2>/dev/null", "r");
    if (!f)
        return NULL;
    if (!fgets(buf, sizeof buf, f)) {
        pclose(f);
        return NULL;
    }
    pclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(found, sizeof found, "%s", buf);
    return found[0] ? found : NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Run sql in a fresh SQLite database and compare the column names and
 * generated flags of PRAGMA table_xinfo with the parse. */
static void check_against_sqlite(const char *shell, const char *sql)
{
    char path[] = "/tmp/mig_test_ddl_XXXXXX";
    char cmd[512], line[1024], why[512] = "";
    FILE *f, *out;
    int fd, i = 0, good;

    good = parse(sql) == 0;
    if (!good)
        snprintf(why, sizeof why, "mig: %.400s", g_err.msg);
    fd = mkstemp(path);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        ok(0, "sqlite check: cannot create a temporary file");
        return;
    }
    /* names in hex, so that any byte survives the trip */
    fprintf(f, "%s;\nSELECT hex(name) || ' ' || hidden FROM pragma_table_xinfo(%s);\n", sql,
            T.name ? mig_ddl_quote(&g_ar, T.name) : "''");
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' -batch -bail :memory: < '%s' 2>&1", shell, path);
    out = popen(cmd, "r");
    while (good && out && fgets(line, sizeof line, out)) {
        char name[512];
        size_t k, n = 0;
        int hidden, want_hidden = 0;
        const mig_ddl_colcons *g;
        char *sp = strchr(line, ' ');
        if (!sp || i >= T.ncols) {
            snprintf(why, sizeof why, "sqlite says: %.400s", line);
            good = 0;
            break;
        }
        for (k = 0; line + k + 1 < sp && n + 1 < sizeof name; k += 2) {
            int hi = hexval(line[k]), lo = hexval(line[k + 1]);
            if (hi < 0 || lo < 0)
                break;
            name[n++] = (char)(hi * 16 + lo);
        }
        if (line + k != sp) {
            snprintf(why, sizeof why, "sqlite says: %.400s", line);
            good = 0;
            break;
        }
        name[n] = '\0';
        hidden = atoi(sp + 1);
        g = find_cc(&T.cols[i], MIG_CC_GENERATED);
        if (g)
            want_hidden = g->stored ? 3 : 2;
        if (strcmp(name, T.cols[i].name) != 0 || hidden != want_hidden) {
            snprintf(why, sizeof why, "column %d: sqlite <%.200s> hidden=%d, mig <%.200s> hidden=%d", i, name, hidden,
                     T.cols[i].name, want_hidden);
            good = 0;
        }
        i++;
    }
    if (out)
        pclose(out);
    unlink(path);
    if (good && i != T.ncols) {
        snprintf(why, sizeof why, "sqlite has %d columns, mig %d", i, T.ncols);
        good = 0;
    }
    {
        char desc[64];
        size_t k;
        snprintf(desc, sizeof desc, "%.50s", sql);
        for (k = 0; desc[k]; k++)
            if (desc[k] == '\n')
                desc[k] = ' ';
        if (!ok(good, "same columns as SQLite's table_xinfo: %s%s", desc, strlen(sql) > 50 ? "..." : ""))
            printf("#   %s\n", why);
    }
}

static void test_sqlite(void)
{
    static const char *const cases[] = {
        "CREATE TABLE t(\"a\"\"b\" INT, [c d], `e``f`, 'g h' TEXT, ünï, \"\" INT)",
        "CREATE TABLE t(key, action INT, abort, replace TEXT, \"primary\" INT, left, indexed, window, rowid, "
        "strict, temp, generated, always, current_time, over, filter, cross)",
        "CREATE TABLE t(a INT, b INT GENERATED ALWAYS AS (a * 2), c AS (a || 'x') stored, d TEXT AS (upper(c)) "
        "VIRTUAL NOT NULL, e generated always as (1), f int generated, g int always)",
        "CREATE TABLE t(a DEFAULT -1, b TEXT DEFAULT 'a''b', c DEFAULT (lower('X') || (1)), d DEFAULT "
        "CURRENT_TIMESTAMP, e DEFAULT TRUE, f BLOB DEFAULT x'00FF', g DEFAULT + 1.5e3, h DEFAULT \"q\")",
        "/* c */ CREATE /* a */ TABLE -- b\n t ( /* e */ a /* f */ INT /* g */ NOT NULL -- i\n , b -- j\n "
        "DEFAULT ( 1 /* ) */ ) PRIMARY KEY, CHECK ( a /* ( */ ) ) /* k */ WITHOUT ROWID",
        "CREATE TABLE t(a, b, c, d, CONSTRAINT pk PRIMARY KEY (a, \"b\" DESC) ON CONFLICT FAIL, UNIQUE (c "
        "COLLATE nocase, [d] ASC) CHECK (a > b) FOREIGN KEY (c) REFERENCES o(x) ON DELETE CASCADE "
        "DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE t(id INTEGER CONSTRAINT pk PRIMARY KEY DESC ON CONFLICT ROLLBACK, a REFERENCES p(x) "
        "MATCH full NOT DEFERRABLE CONSTRAINT n NOT NULL, b DECIMAL(10, 2) UNIQUE COLLATE \"rtrim\")",
        "CREATE TABLE t(a INTEGER PRIMARY KEY AUTOINCREMENT, b unsigned big int, c double precision, d "
        "\"unsigned big int\", e x(-1, +2), f 'text', g INT KEY) ",
        "CREATE TABLE t(a INT PRIMARY KEY, b ANY) STRICT, WITHOUT ROWID;",
        "CREATE TABLE [my table](a CONSTRAINT x, CONSTRAINT y UNIQUE (a), CONSTRAINT z)",
        "CREATE TABLE t(a INT CONSTRAINT c1 CONSTRAINT c2 NOT NULL DEFERRABLE, b generated always)",
    };
    const char *shell = sqlite_shell();
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!shell)
            skip("no sqlite3 shell", "same columns as SQLite's table_xinfo");
        else
            check_against_sqlite(shell, cases[i]);
    }
}

int main(void)
{
    mig_allocator a = {t_alloc, t_free, &g_st};
    int rc;
    mig_arena_init(&g_ar, &a);

    test_basic();
    test_roundtrip();
    test_colcons();
    test_quoting();
    test_types();
    test_defaults();
    test_generated();
    test_comments();
    test_tabcons();
    test_options();
    test_errors();
    test_mentions();
    test_helpers();
    test_index();
    test_oom();
    test_sqlite();

    mig_arena_free(&g_ar);
    ok(g_st.live == 0, "every arena block released");

    rc = tap_done();
    if (tap_failed)
        printf("# %d of %d tests failed\n", tap_failed, tap_tests);
    return rc;
}

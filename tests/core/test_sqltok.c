/*
 * test_sqltok.c - unit tests of the SQL statement splitter (core/sqltok.c).
 *
 * A standalone TAP program:
 *   cc -std=c11 -Wall -Wextra -Werror -Icore tests/core/test_sqltok.c core/sqltok.c
 * prints "ok N - ..." / "not ok N - ..." and the plan "1..N" at the end, and
 * exits non-zero when any test fails.
 */
#include "sqltok.h"

#include "tap.h"

#include <string.h>

#define SQ MIG_DIALECT_SQLITE
#define PG MIG_DIALECT_POSTGRES

/* stmt with control characters shown as \n, \r..., for one-line TAP
 * descriptions; buf must hold at least 2 * strlen(s) + 1 bytes. */
static const char *esc(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    for (; *s && o + 3 < size; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t') {
            buf[o++] = '\\';
            buf[o++] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
        } else {
            buf[o++] = *s;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Splitting helpers                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_STMTS 16
#define MAX_TEXT 512

typedef struct {
    int n;                         /* statements found, -1 on error */
    char text[MAX_STMTS][MAX_TEXT];
    unsigned line[MAX_STMTS];
    char err[256];
} split_result;

/* Split sql[0, len) with mig_sql_next.  Also splits it with the iterator
 * and reports a mismatch between the two as an error "iterator differs". */
static void split_n(const char *sql, size_t len, mig_dialect d, split_result *r)
{
    size_t pos = 0;
    mig_sql_iter it;
    mig_sql_stmt st, st2;
    mig_tok_result res, res2;

    memset(r, 0, sizeof *r);
    mig_sql_iter_init(&it, sql, len, d);
    for (;;) {
        char err2[256] = "";
        size_t before = pos;
        res = mig_sql_next(sql, len, &pos, d, &st, r->err, sizeof r->err);
        res2 = mig_sql_iter_next(&it, &st2, err2, sizeof err2);
        if (res != res2 || it.pos != pos ||
            (res == MIG_TOK_OK &&
             (st.start != st2.start || st.len != st2.len || st.line != st2.line)) ||
            (res == MIG_TOK_ERROR && strcmp(r->err, err2) != 0)) {
            snprintf(r->err, sizeof r->err, "iterator differs");
            r->n = -1;
            return;
        }
        if (res == MIG_TOK_END)
            return;
        if (res == MIG_TOK_ERROR) {
            if (pos != before)
                snprintf(r->err, sizeof r->err, "position moved on error");
            r->n = -1;
            return;
        }
        if (r->n == MAX_STMTS || st.len >= MAX_TEXT) {
            snprintf(r->err, sizeof r->err, "too many/too long statements");
            r->n = -1;
            return;
        }
        memcpy(r->text[r->n], sql + st.start, st.len);
        r->text[r->n][st.len] = '\0';
        r->line[r->n] = st.line;
        r->n++;
    }
}

static void split(const char *sql, mig_dialect d, split_result *r)
{
    split_n(sql, strlen(sql), d, r);
}

static void dump(const split_result *r)
{
    int k;
    if (r->n < 0)
        printf("#   error: %s\n", r->err);
    for (k = 0; k < r->n; k++)
        printf("#   got [%u] <%s>\n", r->line[k], r->text[k]);
}

/* want: NULL-terminated list of statements; lines: their line numbers (or
 * NULL not to check them). */
static void check_split(const char *desc, mig_dialect d, const char *sql, const char *const *want,
                        const unsigned *lines)
{
    split_result r;
    int k, n = 0, good;

    while (want[n])
        n++;
    split(sql, d, &r);
    good = (r.n == n);
    for (k = 0; good && k < n; k++) {
        if (strcmp(r.text[k], want[k]) != 0 || (lines && r.line[k] != lines[k]))
            good = 0;
    }
    if (!ok(good, "%s: %s", d == PG ? "pg" : "sqlite", desc)) {
        for (k = 0; k < n; k++)
            printf("#   want [%u] <%s>\n", lines ? lines[k] : 0, want[k]);
        dump(&r);
    }
}

static void check_error(const char *desc, mig_dialect d, const char *sql, const char *msg)
{
    split_result r;
    split(sql, d, &r);
    if (!ok(r.n == -1 && strcmp(r.err, msg) == 0, "%s: %s", d == PG ? "pg" : "sqlite", desc)) {
        printf("#   want error: %s\n", msg);
        dump(&r);
    }
}

#define S(...) ((const char *const[]){__VA_ARGS__, NULL})
#define L(...) ((const unsigned[]){__VA_ARGS__})
#define NONE ((const char *const[]){NULL})

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_basics(void)
{
    mig_sql_stmt st;
    size_t pos;
    char err[64];
    const char *sql;

    check_split("two statements", SQ, "SELECT 1; SELECT 2;", S("SELECT 1", "SELECT 2"), L(1, 1));
    check_split("last statement without ';'", SQ, "SELECT 1;\nSELECT 2", S("SELECT 1", "SELECT 2"),
                L(1, 2));
    check_split("empty input", SQ, "", NONE, NULL);
    check_split("only white space, comments and ';'", PG, " ;\n;; -- x\n /* y */ ;\t\r\n", NONE,
                NULL);
    check_split("empty statements skipped", SQ, ";;;SELECT 1;;;SELECT 2;;", S("SELECT 1", "SELECT 2"),
                NULL);
    check_split("leading/trailing white space and comments trimmed", SQ,
                "  -- lead\n  /* c */ SELECT  1 \t -- trail\n /* t */ ;",
                S("SELECT  1"), L(2));
    check_split("line numbers", PG, "\n\nSELECT 1;\n\n  SELECT\n2;\nSELECT 3",
                S("SELECT 1", "SELECT\n2", "SELECT 3"), L(3, 5, 7));
    check_split("CRLF line endings", SQ, "SELECT 1;\r\n\r\nSELECT 2;\r\nSELECT\r\n3\r\n",
                S("SELECT 1", "SELECT 2", "SELECT\r\n3"), L(1, 3, 4));
    check_split("lone CR counts as a line break", SQ, "SELECT 1;\r\rSELECT 2;\n\rSELECT 3;",
                S("SELECT 1", "SELECT 2", "SELECT 3"), L(1, 3, 5));
    check_split("semicolon-free operators", SQ, "SELECT 4-2/1*3;SELECT a--b\n;",
                S("SELECT 4-2/1*3", "SELECT a"), NULL);

    /* exact offsets and positions */
    sql = "  SELECT 1 ;  X";
    pos = 0;
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_OK &&
           st.start == 2 && st.len == 8 && st.line == 1 && pos == 12,
       "start/len exclude white space, pos is past the ';'");
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_OK &&
           st.start == 14 && st.len == 1 && pos == strlen(sql),
       "unterminated last statement: pos is len");
    st.start = 99;
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_END &&
           pos == strlen(sql) && st.start == 99,
       "END at the end, out untouched");
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_END,
       "END again when called again");
    pos = 1000;
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_END &&
           pos == strlen(sql),
       "pos beyond len: END, pos set to len");
    pos = 5;
    ok(mig_sql_next(sql, strlen(sql), &pos, SQ, &st, err, sizeof err) == MIG_TOK_OK &&
           st.start == 5 && st.len == 5 && pos == 12,
       "start in the middle of a statement");
    pos = 0;
    ok(mig_sql_next(NULL, 0, &pos, SQ, &st, err, sizeof err) == MIG_TOK_END,
       "NULL buffer of length 0: END");
    pos = 0;
    ok(mig_sql_next(NULL, 3, &pos, SQ, &st, err, sizeof err) == MIG_TOK_ERROR,
       "NULL buffer of length 3: ERROR");
    pos = 0;
    ok(mig_sql_next("x", 1, &pos, (mig_dialect)7, &st, err, sizeof err) == MIG_TOK_ERROR &&
           strcmp(err, "unknown SQL dialect") == 0,
       "unknown dialect: ERROR");
    pos = 0;
    ok(mig_sql_next("x;y", 3, &pos, SQ, &st, NULL, 0) == MIG_TOK_OK && pos == 2,
       "errbuf may be NULL");
}

static void test_strings(void)
{
    check_split("';' in a string", SQ, "SELECT 'a;b'; SELECT 2", S("SELECT 'a;b'", "SELECT 2"), NULL);
    check_split("'' escape", PG, "SELECT 'it''s; ok';SELECT ''''", S("SELECT 'it''s; ok'", "SELECT ''''"),
                NULL);
    check_split("backslash is not an escape in '...'", PG, "SELECT 'a\\';SELECT 1",
                S("SELECT 'a\\'", "SELECT 1"), NULL);
    check_split("E'...' backslash escapes", PG, "SELECT E'\\';x\\\\';SELECT 1",
                S("SELECT E'\\';x\\\\'", "SELECT 1"), NULL);
    check_split("e'...' lower case, \\\\ then closing quote", PG, "SELECT e'a\\\\';SELECT 1",
                S("SELECT e'a\\\\'", "SELECT 1"), NULL);
    check_split("E'...' with '' escape", PG, "SELECT E'x'';';SELECT 1", S("SELECT E'x'';'", "SELECT 1"),
                NULL);
    check_split("word ending in e before a string is not E''", PG, "SELECT name'\\';SELECT 1",
                S("SELECT name'\\'", "SELECT 1"), NULL);
    check_split("ELSE'...' is not E''", PG, "SELECT CASE WHEN true THEN 'a' ELSE'\\' END;SELECT 1",
                S("SELECT CASE WHEN true THEN 'a' ELSE'\\' END", "SELECT 1"), NULL);
    check_split("U&'...' has no backslash escape", PG, "SELECT U&'\\';SELECT U&\"a;\"",
                S("SELECT U&'\\'", "SELECT U&\"a;\""), NULL);
    check_split("E'' is not special in SQLite", SQ, "SELECT E'\\';SELECT 2",
                S("SELECT E'\\'", "SELECT 2"), NULL);
    check_error("E'\\' runs on in PostgreSQL", PG, "SELECT 1;\nSELECT E'\\';SELECT 2;",
                "unterminated quoted string starting at line 2");
    check_split("multi-line string counts lines", SQ, "SELECT 'a\n;\nb';\nSELECT 2",
                S("SELECT 'a\n;\nb'", "SELECT 2"), L(1, 4));
    check_error("unterminated string", SQ, "SELECT 1;\n\nSELECT 'abc;\n",
                "unterminated quoted string starting at line 3");
    check_error("unterminated string ending in a doubled quote", SQ, "SELECT 'abc''",
                "unterminated quoted string starting at line 1");
}

static void test_identifiers(void)
{
    check_split("\"...\" identifier", SQ, "SELECT \"a;b\" FROM t;SELECT 2",
                S("SELECT \"a;b\" FROM t", "SELECT 2"), NULL);
    check_split("\"\" escape", PG, "SELECT \"a\"\";b\";SELECT 2", S("SELECT \"a\"\";b\"", "SELECT 2"),
                NULL);
    check_error("unterminated quoted identifier", PG, "\n\n\nSELECT \"abc;",
                "unterminated quoted identifier starting at line 4");
    check_split("[bracket] identifier", SQ, "SELECT [a;b] FROM t;SELECT 2",
                S("SELECT [a;b] FROM t", "SELECT 2"), NULL);
    check_split("[bracket] ends at the first ]", SQ, "SELECT [a]];SELECT 2",
                S("SELECT [a]]", "SELECT 2"), NULL);
    check_error("unterminated [bracket]", SQ, "SELECT 1;\nSELECT [a;",
                "unterminated bracket-quoted identifier starting at line 2");
    check_split("`backtick` identifier with `` escape", SQ, "SELECT `a``;b`;SELECT 2",
                S("SELECT `a``;b`", "SELECT 2"), NULL);
    check_error("unterminated `backtick`", SQ, "SELECT `a;",
                "unterminated backtick-quoted identifier starting at line 1");
    check_split("[ and ` are not quotes in PostgreSQL", PG, "SELECT a[1];SELECT `b;c`",
                S("SELECT a[1]", "SELECT `b", "c`"), NULL);
}

static void test_comments(void)
{
    check_split("-- comment hides ';'", SQ, "SELECT 1 -- a;b\n+ 1;SELECT 2",
                S("SELECT 1 -- a;b\n+ 1", "SELECT 2"), NULL);
    check_split("-- comment at the end without newline", SQ, "SELECT 1; -- done",
                S("SELECT 1"), NULL);
    check_split("-- comment ends at CR", PG, "SELECT 1 -- x\r;SELECT 2",
                S("SELECT 1", "SELECT 2"), L(1, 2));
    check_split("-- comment ends at LF only (SQLite's tokenizer)", SQ,
                "SELECT 1 -- x\r; COMMIT;\n;SELECT 2", S("SELECT 1", "SELECT 2"), L(1, 3));
    check_split("/* */ comment hides ';'", SQ, "SELECT /* ; */ 1;SELECT 2",
                S("SELECT /* ; */ 1", "SELECT 2"), NULL);
    check_split("/*/ does not close itself", SQ, "/*/ ; */SELECT 1", S("SELECT 1"), NULL);
    check_split("block comments nest in PostgreSQL", PG, "/* a /* b; */ c; */ SELECT 1; SELECT 2",
                S("SELECT 1", "SELECT 2"), NULL);
    check_split("block comments do not nest in SQLite", SQ, "/* a /* b; */ c; */ SELECT 1",
                S("c", "*/ SELECT 1"), NULL);
    check_error("unterminated block comment", PG, "SELECT 1;\n/* abc\n;\n",
                "unterminated block comment starting at line 2");
    check_split("unterminated block comment runs to the end (SQLite)", SQ,
                "SELECT 1;\n/* abc\n; COMMIT;\n", S("SELECT 1"), NULL);
    check_split("... also inside a statement", SQ, "SELECT 1 /* x; COMMIT;", S("SELECT 1"), NULL);
    check_split("'/*' as the last two bytes are two operators (SQLite)", SQ, "SELECT 1; SELECT 2 /*",
                S("SELECT 1", "SELECT 2 /*"), NULL);
    check_split("... also alone", SQ, "SELECT 1;/*", S("SELECT 1", "/*"), NULL);
    check_error("unterminated block comment inside a statement", PG, "SELECT\n1 /* x",
                "unterminated block comment starting at line 2");
    check_error("unterminated nested block comment", PG, "\n/* a /* b */ SELECT 1;",
                "unterminated block comment starting at line 2");
    check_split("the same is closed in SQLite", SQ, "\n/* a /* b */ SELECT 1;", S("SELECT 1"),
                L(2));
    check_split("lines counted inside comments", PG, "/*\n\n*/ -- x\nSELECT 1", S("SELECT 1"),
                L(4));
}

static void test_dollar_quotes(void)
{
    check_split("$$ quote", PG, "SELECT $$a;b$$;SELECT 2", S("SELECT $$a;b$$", "SELECT 2"), NULL);
    check_split("$tag$ quote containing $$", PG,
                "CREATE FUNCTION f() RETURNS int AS $fn$ SELECT $$;$$; $fn$ LANGUAGE sql;SELECT 2",
                S("CREATE FUNCTION f() RETURNS int AS $fn$ SELECT $$;$$; $fn$ LANGUAGE sql",
                  "SELECT 2"),
                NULL);
    check_split("tags are case-sensitive", PG, "SELECT $A$ ; $a$ ; $A$;SELECT 2",
                S("SELECT $A$ ; $a$ ; $A$", "SELECT 2"), NULL);
    check_split("closing tag must match whole", PG, "SELECT $ab$ ; $a$ ; $abc$ ; $ab$;SELECT 2",
                S("SELECT $ab$ ; $a$ ; $abc$ ; $ab$", "SELECT 2"), NULL);
    check_split("tag with digits and underscore", PG, "SELECT $t_1$;$t_1$;SELECT 2",
                S("SELECT $t_1$;$t_1$", "SELECT 2"), NULL);
    check_split("$1 is a parameter", PG, "SELECT $1; SELECT $2", S("SELECT $1", "SELECT $2"), NULL);
    check_split("$1$ is not a delimiter", PG, "SELECT $1$;SELECT 2", S("SELECT $1$", "SELECT 2"),
                NULL);
    check_split("parameter then dollar quote", PG, "SELECT $1$$;$$;SELECT 2",
                S("SELECT $1$$;$$", "SELECT 2"), NULL);
    check_split("$x without closing $ is not a delimiter", PG, "SELECT $x;SELECT 2",
                S("SELECT $x", "SELECT 2"), NULL);
    check_split("'$' inside an identifier", PG, "SELECT a$$b;SELECT 2", S("SELECT a$$b", "SELECT 2"),
                NULL);
    check_split("quotes inside a dollar quote", PG, "SELECT $$it's \"x;$$;SELECT 2",
                S("SELECT $$it's \"x;$$", "SELECT 2"), NULL);
    check_split("closing delimiter after an identifier char", PG, "SELECT $q$x;x$q$;SELECT 2",
                S("SELECT $q$x;x$q$", "SELECT 2"), NULL);
    check_split("dollar quotes are not special in SQLite", SQ, "SELECT $$a;b$$",
                S("SELECT $$a", "b$$"), NULL);
    check_error("unterminated $$", PG, "SELECT 1;\n\nDO $$\nBEGIN\nEND;\n",
                "unterminated dollar-quoted string starting at line 3");
    check_error("unterminated $tag$ (other tag inside)", PG, "SELECT $a$ x $b$",
                "unterminated dollar-quoted string starting at line 1");
    check_error("'$$' alone at the end", PG, "SELECT $$", "unterminated dollar-quoted string starting at line 1");
}

static void test_triggers(void)
{
    check_split("trigger body", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                "  INSERT INTO log VALUES (1);\n"
                "  UPDATE t SET n = n + 1;\n"
                "END;\n"
                "SELECT 1;",
                S("CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                  "  INSERT INTO log VALUES (1);\n"
                  "  UPDATE t SET n = n + 1;\n"
                  "END",
                  "SELECT 1"),
                L(1, 5));
    check_split("TEMP / TEMPORARY, lower case", SQ,
                "create temp trigger a before delete on t begin delete from u; end;"
                "Create Temporary Trigger b Before Delete On t Begin Delete From u; End",
                S("create temp trigger a before delete on t begin delete from u; end",
                  "Create Temporary Trigger b Before Delete On t Begin Delete From u; End"),
                NULL);
    check_split("CASE ... END inside the body", SQ,
                "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN "
                "UPDATE t SET x = CASE WHEN new.a THEN 1 ELSE CASE WHEN 0 THEN 2 END END; "
                "SELECT CASE 1 WHEN 1 THEN 'a' END; END; SELECT 3",
                S("CREATE TRIGGER tr AFTER UPDATE ON t BEGIN "
                  "UPDATE t SET x = CASE WHEN new.a THEN 1 ELSE CASE WHEN 0 THEN 2 END END; "
                  "SELECT CASE 1 WHEN 1 THEN 'a' END; END",
                  "SELECT 3"),
                NULL);
    check_split("begin_date / end_date and \"end\" are not keywords", SQ,
                "CREATE TRIGGER tr AFTER UPDATE ON t WHEN new.begin_date > old.end_date BEGIN "
                "UPDATE t SET \"end\" = 1, end_date = 2; SELECT [end]; END; SELECT 3",
                S("CREATE TRIGGER tr AFTER UPDATE ON t WHEN new.begin_date > old.end_date BEGIN "
                  "UPDATE t SET \"end\" = 1, end_date = 2; SELECT [end]; END",
                  "SELECT 3"),
                NULL);
    check_split("a column named end does not close the body", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT end FROM t; END;SELECT 3",
                S("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT end FROM t; END", "SELECT 3"),
                NULL);
    check_split("comments and strings inside the body", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 'END;'; -- END;\n"
                "/* END; */ END ; SELECT 3",
                S("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 'END;'; -- END;\n"
                  "/* END; */ END",
                  "SELECT 3"),
                L(1, 2));
    check_error("BEGIN END is no body (SQLite requires a statement): END does not close it", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN END; SELECT 1",
                "unterminated trigger body (BEGIN without END) starting at line 1");
    check_split("body without final ';' at end of input", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
                S("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END"), NULL);
    check_split("malformed trigger without BEGIN ends at ';'", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t; SELECT 1",
                S("CREATE TRIGGER tr AFTER INSERT ON t", "SELECT 1"), NULL);
    check_split("BEGIN/END outside triggers are plain statements", SQ,
                "BEGIN; CREATE TABLE begin_end(x); END;",
                S("BEGIN", "CREATE TABLE begin_end(x)", "END"), NULL);
    check_split("CREATE TABLE trigger(...) is not a trigger", SQ,
                "CREATE TABLE trg(begin, x); SELECT 1",
                S("CREATE TABLE trg(begin, x)", "SELECT 1"), NULL);
    check_error("unterminated trigger body", SQ,
                "SELECT 1;\nCREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n  SELECT 1;\n",
                "unterminated trigger body (BEGIN without END) starting at line 3");
    check_error("trigger body with CASE ... END only", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END;",
                "unterminated trigger body (BEGIN without END) starting at line 1");
    check_split("PostgreSQL triggers have no body", PG,
                "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(); SELECT 1",
                S("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
                  "SELECT 1"),
                NULL);
}

static void test_begin_atomic(void)
{
    check_split("BEGIN ATOMIC body", PG,
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
                "  INSERT INTO t VALUES (1);\n  SELECT 1;\nEND;\nSELECT 2;",
                S("CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
                  "  INSERT INTO t VALUES (1);\n  SELECT 1;\nEND",
                  "SELECT 2"),
                L(1, 6));
    check_split("CREATE OR REPLACE PROCEDURE, lower case", PG,
                "create or replace procedure p() begin atomic delete from t; end; select 2",
                S("create or replace procedure p() begin atomic delete from t; end", "select 2"),
                NULL);
    check_split("CASE ... END inside (nested, parenthesised)", PG,
                "CREATE FUNCTION f(x int) RETURNS int BEGIN ATOMIC "
                "SELECT CASE WHEN x > 0 THEN CASE x WHEN 1 THEN 1 END ELSE 0 END; "
                "SELECT (CASE WHEN true THEN 1 END); END; SELECT 2",
                S("CREATE FUNCTION f(x int) RETURNS int BEGIN ATOMIC "
                  "SELECT CASE WHEN x > 0 THEN CASE x WHEN 1 THEN 1 END ELSE 0 END; "
                  "SELECT (CASE WHEN true THEN 1 END); END",
                  "SELECT 2"),
                NULL);
    check_split("comment between BEGIN and ATOMIC", PG,
                "CREATE FUNCTION f() RETURNS int BEGIN /* x */ -- y\n ATOMIC SELECT 1; END; SELECT 2",
                S("CREATE FUNCTION f() RETURNS int BEGIN /* x */ -- y\n ATOMIC SELECT 1; END",
                  "SELECT 2"),
                NULL);
    check_split("parameters named begin/end_x, \"end\"", PG,
                "CREATE FUNCTION f(begin int, end_x int) RETURNS int BEGIN ATOMIC "
                "SELECT \"end\" FROM t; SELECT begin_date FROM t; END; SELECT 2",
                S("CREATE FUNCTION f(begin int, end_x int) RETURNS int BEGIN ATOMIC "
                  "SELECT \"end\" FROM t; SELECT begin_date FROM t; END",
                  "SELECT 2"),
                NULL);
    check_split("a CREATE FUNCTION in a body nests its own BEGIN ATOMIC ... END, as the grammar does", PG,
                "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS end; END; "
                "DELETE FROM t; END; SELECT 2",
                S("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
                  "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS end; END; "
                  "DELETE FROM t; END",
                  "SELECT 2"),
                NULL);
    check_split("... and CREATE OR REPLACE PROCEDURE too; a second BEGIN ATOMIC in it opens nothing", PG,
                "CREATE FUNCTION g() RETURNS int BEGIN ATOMIC CREATE OR REPLACE PROCEDURE q() BEGIN ATOMIC "
                "SELECT 1; END; SELECT 2; END; SELECT 3",
                S("CREATE FUNCTION g() RETURNS int BEGIN ATOMIC CREATE OR REPLACE PROCEDURE q() BEGIN ATOMIC "
                  "SELECT 1; END; SELECT 2; END",
                  "SELECT 3"),
                NULL);
    check_split("BEGIN ATOMIC inside parentheses opens nothing", PG,
                "CREATE FUNCTION f(begin atomic) RETURNS int AS 'x' LANGUAGE sql; SELECT 2",
                S("CREATE FUNCTION f(begin atomic) RETURNS int AS 'x' LANGUAGE sql", "SELECT 2"),
                NULL);
    check_split("plpgsql body in a dollar quote", PG,
                "CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql;"
                "SELECT 2",
                S("CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END; $$ LANGUAGE plpgsql",
                  "SELECT 2"),
                NULL);
    check_split("RETURN form, no body", PG,
                "CREATE FUNCTION f() RETURNS int RETURN 1; SELECT 2",
                S("CREATE FUNCTION f() RETURNS int RETURN 1", "SELECT 2"), NULL);
    check_split("BEGIN without ATOMIC opens nothing", PG,
                "CREATE FUNCTION f() RETURNS begin AS 'x' LANGUAGE sql; SELECT 2",
                S("CREATE FUNCTION f() RETURNS begin AS 'x' LANGUAGE sql", "SELECT 2"), NULL);
    check_split("top-level transaction statements", PG, "BEGIN; SELECT 1; END; COMMIT",
                S("BEGIN", "SELECT 1", "END", "COMMIT"), NULL);
    check_error("unterminated BEGIN ATOMIC", PG,
                "CREATE FUNCTION f() RETURNS int\n\nBEGIN ATOMIC\nSELECT CASE WHEN true THEN 1 END;\n",
                "unterminated BEGIN ATOMIC block (no matching END) starting at line 3");
    check_split("BEGIN ATOMIC is not special in SQLite", SQ,
                "CREATE FUNCTION f() BEGIN ATOMIC SELECT 1; END",
                S("CREATE FUNCTION f() BEGIN ATOMIC SELECT 1", "END"), NULL);
}

static void test_parens(void)
{
    check_split("';' inside parentheses (CREATE RULE)", PG,
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                "INSERT INTO b VALUES (2)); SELECT 1",
                S("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
                  "INSERT INTO b VALUES (2))",
                  "SELECT 1"),
                NULL);
    check_split("SQLite splits inside parentheses", SQ, "SELECT (1; SELECT 2)",
                S("SELECT (1", "SELECT 2)"), NULL);
    check_split("stray ')' does not go below zero", PG, "SELECT 1); SELECT (2);",
                S("SELECT 1)", "SELECT (2)"), NULL);
    check_split("unbalanced '(' takes the rest", PG, "SELECT (1; SELECT 2;",
                S("SELECT (1; SELECT 2;"), NULL);
}

static void test_buffer_edges(void)
{
    split_result r;
    const char *sql;
    char *heap;
    size_t n;

    sql = "SELECT 1; SELECT 2";
    split_n(sql, 8, SQ, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT 1") == 0, "len respected: statement cut at len");
    sql = "SELECT 'ab'; X";
    split_n(sql, 10, SQ, &r);
    ok(r.n == -1 && strcmp(r.err, "unterminated quoted string starting at line 1") == 0,
       "len respected: string cut at len is unterminated");
    sql = "SELECT 1 --";
    split_n(sql, 10, SQ, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT 1 -") == 0, "single '-' at the end is an operator");
    sql = "SELECT 1 /*";
    split_n(sql, 10, PG, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT 1 /") == 0, "single '/' at the end is an operator");
    split_n(sql, strlen(sql), PG, &r);
    ok(r.n == -1, "'/*' at the very end is an unterminated comment");
    sql = "SELECT $$";
    split_n(sql, 8, PG, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT $") == 0, "'$' at the end is not a dollar quote");
    sql = "SELECT E'";
    split_n(sql, 8, PG, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT E") == 0, "'E' at the end is a word");
    split_n(sql, strlen(sql), PG, &r);
    ok(r.n == -1, "E' at the end is an unterminated string");
    sql = "SELECT E'\\";
    split_n(sql, strlen(sql), PG, &r);
    ok(r.n == -1, "E' with a backslash as the last byte is unterminated");
    sql = "SELECT [";
    split_n(sql, strlen(sql), SQ, &r);
    ok(r.n == -1, "'[' as the last byte is unterminated");
    sql = "SELECT 1\r";
    split_n(sql, strlen(sql), SQ, &r);
    ok(r.n == 1 && strcmp(r.text[0], "SELECT 1") == 0, "CR as the last byte");
    sql = "a;b";
    split_n(sql, 1, SQ, &r);
    ok(r.n == 1 && strcmp(r.text[0], "a") == 0, "one-byte buffer");
    split_n(";", 1, SQ, &r);
    ok(r.n == 0, "buffer of a single ';'");
    split_n("SELECT 1\0; SELECT 2", 19, SQ, &r);
    ok(r.n == 2 && r.text[0][8] == '\0' && strcmp(r.text[1], "SELECT 2") == 0,
       "NUL bytes are ordinary bytes");

    /* exact-size heap copy, not NUL-terminated (checked by ASan/valgrind) */
    sql = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT $x, 'a'; END; SELECT \"q\"";
    n = strlen(sql);
    heap = malloc(n);
    if (heap) {
        memcpy(heap, sql, n);
        split_n(heap, n, SQ, &r);
        ok(r.n == 2 && strcmp(r.text[1], "SELECT \"q\"") == 0, "unterminated heap buffer (SQLite)");
        split_n(heap, n, PG, &r);
        ok(r.n == 3 && strcmp(r.text[2], "SELECT \"q\"") == 0, "unterminated heap buffer (PostgreSQL)");
        free(heap);
    }
}

static void test_errors(void)
{
    const char *sql = "SELECT 1;\nSELECT $$abc";
    char err[16];
    char big[128];
    size_t pos = 0;
    mig_sql_stmt st;

    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, big, sizeof big) == MIG_TOK_OK && pos == 9,
       "statement before the error is returned");
    st.start = 77;
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, big, sizeof big) == MIG_TOK_ERROR && pos == 9 &&
           st.start == 77,
       "error leaves pos and out unchanged");
    ok(strcmp(big, "unterminated dollar-quoted string starting at line 2") == 0,
       "error message names the line");
    memset(err, 'x', sizeof err);
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, err, sizeof err) == MIG_TOK_ERROR &&
           memchr(err, '\0', sizeof err) != NULL && strncmp(err, "unterminated", 12) == 0,
       "message truncated to errlen and NUL-terminated");
    memset(err, 'x', sizeof err);
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, err, 0) == MIG_TOK_ERROR && err[0] == 'x',
       "errlen 0: nothing written");
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, NULL, 0) == MIG_TOK_ERROR,
       "errbuf NULL: still ERROR");
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, &st, big, sizeof big) == MIG_TOK_ERROR &&
           strcmp(big, "unterminated dollar-quoted string starting at line 2") == 0,
       "error is repeatable");
    ok(mig_sql_next(sql, strlen(sql), NULL, PG, &st, big, sizeof big) == MIG_TOK_ERROR,
       "NULL pos: ERROR");
    pos = 0;
    ok(mig_sql_next(sql, strlen(sql), &pos, PG, NULL, big, sizeof big) == MIG_TOK_ERROR,
       "NULL out: ERROR");
}

static void test_iterator(void)
{
    static const char script[] =
        "-- migration\r\n"
        "CREATE TABLE a (x int);\r\n"
        "/* multi\r\nline */\r\n"
        "CREATE TRIGGER tr AFTER INSERT ON a BEGIN\r\n"
        "  SELECT 'x;\r\ny';\r\n"
        "END;\r\n"
        "INSERT INTO a VALUES (1)";
    mig_sql_iter it;
    mig_sql_stmt st;
    unsigned lines[4];
    int n = 0;
    char err[64];

    mig_sql_iter_init(&it, script, sizeof script - 1, SQ);
    while (n < 4 && mig_sql_iter_next(&it, &st, err, sizeof err) == MIG_TOK_OK)
        lines[n++] = st.line;
    ok(n == 3 && lines[0] == 2 && lines[1] == 5 && lines[2] == 9, "iterator line numbers");
    ok(it.pos == sizeof script - 1 && it.line == 9 &&
           mig_sql_iter_next(&it, &st, err, sizeof err) == MIG_TOK_END,
       "iterator ends at len with the last line");
    ok(mig_sql_iter_next(NULL, &st, err, sizeof err) == MIG_TOK_ERROR, "iterator NULL: ERROR");
}

static void check_word(const char *stmt, size_t buflen, int two, const char *want)
{
    char buf[64], e[128];
    memset(buf, 'x', sizeof buf);
    if (two)
        mig_sql_first_two_words(stmt, strlen(stmt), buf, buflen);
    else
        mig_sql_first_word(stmt, strlen(stmt), buf, buflen);
    if (!ok(strcmp(buf, want) == 0, "%s(\"%s\", %zu) = \"%s\"", two ? "first_two_words" : "first_word",
            esc(stmt, e, sizeof e), buflen, want))
        printf("#   got \"%s\"\n", buf);
}

static void test_first_word(void)
{
    char buf[16];

    check_word("create table t (x)", 64, 0, "CREATE");
    check_word("Begin", 64, 0, "BEGIN");
    check_word("  -- c\n /* x */ commit", 64, 0, "COMMIT");
    check_word("(SELECT 1)", 64, 0, "");
    check_word("\"begin\"", 64, 0, "");
    check_word("begin_date", 64, 0, "BEGIN_DATE");
    check_word("123abc", 64, 0, "");
    check_word("", 64, 0, "");
    check_word("E'abc'", 64, 0, "");
    check_word("COMMIT", 7, 0, "COMMIT");
    check_word("COMMITTED", 7, 0, "");
    check_word("COMMIT", 6, 0, "");
    check_word("A", 2, 0, "A");
    check_word("A", 1, 0, "");
    check_word("ROLLBACK TO sp", 64, 1, "ROLLBACK TO");
    check_word("create\n  index i ON t(x)", 64, 1, "CREATE INDEX");
    check_word("rollback/**/to sp", 64, 1, "ROLLBACK TO");
    check_word("COMMIT", 64, 1, "COMMIT");
    check_word("SELECT 1", 64, 1, "SELECT");
    check_word("SELECT\"x\"", 64, 1, "SELECT");
    check_word("ROLLBACK TO sp", 10, 1, "");
    check_word("ROLLBACK TO sp", 12, 1, "ROLLBACK TO");

    memset(buf, 'x', sizeof buf);
    mig_sql_first_word("COMMITTED", 6, buf, sizeof buf);
    ok(strcmp(buf, "COMMIT") == 0, "first_word respects len");
    memset(buf, 'x', sizeof buf);
    mig_sql_first_word("COMMIT", 6, buf, 0);
    ok(buf[0] == 'x', "first_word with buflen 0 writes nothing");
    ok(mig_sql_leading_words("/* /* */ */ end transaction", 27, PG, 3, buf, sizeof buf) == 2 &&
           strcmp(buf, "END TRANSACTION") == 0,
       "leading_words skips nested comments in PostgreSQL");
    ok(mig_sql_leading_words("/* /* */ */ end transaction", 27, SQ, 3, buf, sizeof buf) == 0 &&
           buf[0] == '\0',
       "leading_words does not nest comments in SQLite");
}

static void check_txn(mig_dialect d, const char *stmt, int want)
{
    char e[128];
    ok(mig_sql_is_txn_control(stmt, strlen(stmt), d) == want, "%s: is_txn_control(\"%s\") == %d",
       d == PG ? "pg" : "sqlite", esc(stmt, e, sizeof e), want);
}

static void test_txn_control(void)
{
    check_txn(SQ, "BEGIN", 1);
    check_txn(SQ, "begin deferred transaction", 1);
    check_txn(SQ, "BEGIN IMMEDIATE", 1);
    check_txn(SQ, "COMMIT", 1);
    check_txn(SQ, "commit transaction", 1);
    check_txn(SQ, "END TRANSACTION", 1);
    check_txn(SQ, "ROLLBACK", 1);
    check_txn(SQ, "ROLLBACK TRANSACTION", 1);
    check_txn(SQ, "ROLLBACK TO sp", 0);
    check_txn(SQ, "rollback transaction to savepoint sp", 0);
    check_txn(SQ, "SAVEPOINT sp", 0);
    check_txn(SQ, "RELEASE sp", 0);
    check_txn(SQ, "ABORT", 0);
    check_txn(SQ, "START TRANSACTION", 1);
    check_txn(SQ, "SELECT 1", 0);
    check_txn(SQ, "begin_date", 0);
    check_txn(SQ, "\"BEGIN\"", 0);
    check_txn(SQ, "-- note\n/* c */ COMMIT", 1);
    check_txn(SQ, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", 0);
    check_txn(SQ, "", 0);
    check_txn(PG, "BEGIN ISOLATION LEVEL SERIALIZABLE", 1);
    check_txn(PG, "begin work", 1);
    check_txn(PG, "BEGIN ATOMIC", 0);
    check_txn(PG, "START TRANSACTION READ ONLY", 1);
    check_txn(PG, "START", 0);
    check_txn(PG, "COMMIT AND CHAIN", 1);
    check_txn(PG, "COMMIT PREPARED 'gid'", 1);
    check_txn(PG, "ROLLBACK PREPARED 'gid'", 1);
    check_txn(PG, "ROLLBACK AND NO CHAIN", 1);
    check_txn(PG, "ROLLBACK WORK TO SAVEPOINT sp", 0);
    check_txn(PG, "ROLLBACK TO sp", 0);
    check_txn(PG, "ABORT", 1);
    check_txn(PG, "abort work", 1);
    check_txn(PG, "END WORK", 1);
    check_txn(PG, "PREPARE TRANSACTION 'gid'", 1);
    check_txn(PG, "PREPARE transaction AS SELECT 1", 0);
    check_txn(PG, "PREPARE transaction (int) AS SELECT $1", 0);
    check_txn(PG, "PREPARE q AS SELECT 1", 0);
    check_txn(PG, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", 0);
    check_txn(PG, "SAVEPOINT sp", 0);
    check_txn(PG, "RELEASE SAVEPOINT sp", 0);
    check_txn(PG, "/* /* nested */ */ COMMIT", 1);
    check_txn(PG, "endx", 0);
    ok(mig_sql_is_txn_control("COMMITTED", 6, PG) == 1, "is_txn_control respects len");
    ok(mig_sql_is_txn_control(NULL, 0, PG) == 0, "is_txn_control(NULL) == 0");
}

/* Disagreements with the databases' own tokenizers found by the
 * differential fuzzers tests/fuzz/fuzz_split_sqlite.c and fuzz_split_pg.c
 * (each input is also a seed of their corpora). */
static void check_commit_alone(const char *desc, const char *sql)
{
    split_result r;
    int k, commits = 0;
    split(sql, SQ, &r);
    for (k = 0; k < r.n; k++)
        commits += mig_sql_is_txn_control(r.text[k], strlen(r.text[k]), SQ);
    if (!ok(r.n == 7 && strcmp(r.text[3], "COMMIT") == 0 && commits == 1,
            "sqlite: %s: 7 statements, COMMIT alone", desc))
        dump(&r);
}

static void test_sqlite_tokenizer(void)
{
    /* TCL-style parameters: $name(...) takes everything up to ')' */
    check_commit_alone("$a(') hides no COMMIT",
                       "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT $a(') ; COMMIT; "
                       "SELECT $b('); INSERT INTO t VALUES (2); SELECT no_such_function();");
    check_commit_alone(":a(') hides no COMMIT",
                       "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT :a(') ; COMMIT; "
                       "SELECT :b('); INSERT INTO t VALUES (2); SELECT no_such_function();");
    check_commit_alone("@a(') hides no COMMIT",
                       "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT @a(') ; COMMIT; "
                       "SELECT @b('); INSERT INTO t VALUES (2); SELECT no_such_function();");
    check_commit_alone("#a(') hides no COMMIT",
                       "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT #a(') ; COMMIT; "
                       "SELECT #b('); INSERT INTO t VALUES (2); SELECT no_such_function();");
    check_commit_alone("$a::b(') hides no COMMIT",
                       "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT $a::b(') ; COMMIT; "
                       "SELECT $a::b('); INSERT INTO t VALUES (2); SELECT no_such_function();");
    check_split("exact split of the reproduction", SQ,
                "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT $a(') ; COMMIT; SELECT $b('); "
                "INSERT INTO t VALUES (2); SELECT no_such_function();",
                S("CREATE TABLE t(x)", "INSERT INTO t VALUES (1)", "SELECT $a(')", "COMMIT",
                  "SELECT $b(')", "INSERT INTO t VALUES (2)", "SELECT no_such_function()"),
                NULL);
    check_split("TCL suffix takes ';', \"\" and comment starters", SQ,
                "SELECT $a(;\"/*--), $b::c::d(x;y);SELECT 2",
                S("SELECT $a(;\"/*--), $b::c::d(x;y)", "SELECT 2"), NULL);
    check_split("TCL suffix ends at white space (not taken)", SQ,
                "SELECT $a(';' y); SELECT $b(x y);SELECT 2",
                S("SELECT $a(';' y)", "SELECT $b(x y)", "SELECT 2"), NULL);
    check_split("'(' after a bare '$' or '$::' is no suffix", SQ, "SELECT $(';');SELECT $::(';');SELECT 2",
                S("SELECT $(';')", "SELECT $::(';')", "SELECT 2"), NULL);
    check_split("?NNN takes digits only: ?23begin is ?23 and a word", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON?23BEGIN\n  INSERT INTO log VALUES (1, 2);\n"
                "  UPDATE t SET n = n + 1;\nEND;\nSELECT 1;",
                S("CREATE TRIGGER tr AFTER INSERT ON?23BEGIN\n  INSERT INTO log VALUES (1, 2);\n"
                  "  UPDATE t SET n = n + 1;\nEND",
                  "SELECT 1"),
                NULL);
    /* numbers swallow identifier characters, '$' included */
    check_error("1x$a(' is the token 1x$a, '(' and a string", SQ, "1ELE\xb9$a('?1) ; COMMIT;",
                "unterminated quoted string starting at line 1");
    check_split("1.2.$a(') is 1.2, '.' and a parameter", SQ, "SELECT 1.2.$a(') ; COMMIT;",
                S("SELECT 1.2.$a(')", "COMMIT"), NULL);
    check_split("0x1$a(') is 0x1 and a parameter (hex takes nothing more)", SQ,
                "SELECT 0x1$a(') ; COMMIT;", S("SELECT 0x1$a(')", "COMMIT"), NULL);
    check_split(".5$a(') is the number .5$a", SQ, "SELECT .5$a(';');SELECT 2",
                S("SELECT .5$a(';')", "SELECT 2"), NULL);
    /* white space: \v only inside a run, a BOM at a token start */
    check_split("\\v after a token is an illegal character: a statement", SQ,
                "SELECT 1;\v;SELECT 2\v;", S("SELECT 1", "\v", "SELECT 2\v"), NULL);
    check_split("\\v inside a run of white space is white space", SQ, "SELECT 1; \v; SELECT 2 \v;",
                S("SELECT 1", "SELECT 2"), NULL);
    check_split("a BOM at a token start is white space", SQ,
                "SELECT 1;\xef\xbb\xbf;\xef\xbb\xbfSELECT 2;SELECT x\xef\xbb\xbf;",
                S("SELECT 1", "SELECT 2", "SELECT x\xef\xbb\xbf"), NULL);
    /* trigger bodies */
    check_split("EXPLAIN [QUERY PLAN] CREATE TRIGGER has a body", SQ,
                "EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; "
                "explain query plan create temp trigger tr2 after insert on t begin select 2; end; "
                "SELECT 3",
                S("EXPLAIN CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
                  "explain query plan create temp trigger tr2 after insert on t begin select 2; end",
                  "SELECT 3"),
                NULL);
    check_split("EXPLAIN QUERY without PLAN is no trigger head", SQ,
                "EXPLAIN QUERY CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
                S("EXPLAIN QUERY CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1", "END"), NULL);
    check_split("a column named begin before the body: its END does not close", SQ,
                "CREATE TRIGGER tr AFTER INSERT ON t WHEN CASE WHEN new.x THEN begin END "
                "BEGIN SELECT 1; COMMIT; END; SELECT 2;",
                S("CREATE TRIGGER tr AFTER INSERT ON t WHEN CASE WHEN new.x THEN begin END "
                  "BEGIN SELECT 1; COMMIT; END",
                  "SELECT 2"),
                NULL);
    check_split("a trigger and table named begin", SQ,
                "CREATE TRIGGER begin AFTER INSERT ON begin BEGIN INSERT INTO log VALUES (1); END; "
                "SELECT 2",
                S("CREATE TRIGGER begin AFTER INSERT ON begin BEGIN INSERT INTO log VALUES (1); END",
                  "SELECT 2"),
                NULL);
    /* the keyword helpers read comments as SQLite does */
    check_txn(SQ, "ROLLBACK -- x\rTO s", 1);
    check_txn(PG, "ROLLBACK -- x\rTO s", 0);
    check_txn(SQ, "\xef\xbb\xbf" "COMMIT", 1);
    check_txn(PG, "\xef\xbb\xbf" "COMMIT", 0);
    check_word("\xef\xbb\xbf/* c */ commit", 64, 0, "COMMIT");
    {
        const char *t = "\xef\xbb\xbf -- c\n COMMIT";
        ok(mig_sql_skip_blank(t, t + strlen(t)) == t + strlen(t) - 6, "skip_blank skips a BOM");
    }
}

static void test_pg_tokenizer(void)
{
    check_split("E'' continues over a newline with backslash escapes", PG,
                "SELECT E'a'\n'\\';COMMIT;' AS v;\nSELECT 2;",
                S("SELECT E'a'\n'\\';COMMIT;' AS v", "SELECT 2"), L(1, 3));
    check_split("... and over -- comments (the server; not libpg_query)", PG,
                "SELECT E'a' -- c\n'\\';COMMIT;' AS v;\nSELECT E'b'\n-- c\n  '\\';x' AS w;",
                S("SELECT E'a' -- c\n'\\';COMMIT;' AS v", "SELECT E'b'\n-- c\n  '\\';x' AS w"), NULL);
    check_split("... and \\r \\f", PG, "SELECT E'a'\r\f'\\';x';SELECT 2",
                S("SELECT E'a'\r\f'\\';x'", "SELECT 2"), NULL);
    check_split("no continuation without a newline, or over /* */", PG,
                "SELECT E'a' '\\';SELECT 2;SELECT E'a'\n/* c */ '\\';SELECT 3",
                S("SELECT E'a' '\\'", "SELECT 2", "SELECT E'a'\n/* c */ '\\'", "SELECT 3"), NULL);
    check_split("a plain string's continuation has no escapes", PG, "SELECT 'a'\n'\\';SELECT 2",
                S("SELECT 'a'\n'\\'", "SELECT 2"), NULL);
    check_split("\\v is no white space in PostgreSQL 15", PG, "SELECT 1;\v;SELECT 2\v;",
                S("SELECT 1", "\v", "SELECT 2\v"), NULL);
    check_split("$1.E'' is $1, '.' and an E'' string", PG, "SELECT $1.E'\\';x';SELECT 2",
                S("SELECT $1.E'\\';x'", "SELECT 2"), NULL);
    check_split("1..E'' is 1, '..' and an E'' string", PG, "SELECT 1..E'\\';x';SELECT 2",
                S("SELECT 1..E'\\';x'", "SELECT 2"), NULL);
    check_split("1.2.E'' and .5.E'': the number ends at the second '.'", PG,
                "SELECT 1.2.E'\\';x', .5.E'\\';y';SELECT 2",
                S("SELECT 1.2.E'\\';x', .5.E'\\';y'", "SELECT 2"), NULL);
    check_split("CASE as a column label in BEGIN ATOMIC hides no COMMIT", PG,
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS case; END; "
                "COMMIT; END;",
                S("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS case; END",
                  "COMMIT", "END"),
                NULL);
    check_split("END as a column label does not close the body", PG,
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS end; "
                "SELECT t.end FROM t; SELECT 2 end; SELECT 3 case, t.case; END; SELECT 4",
                S("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1 AS end; "
                  "SELECT t.end FROM t; SELECT 2 end; SELECT 3 case, t.case; END",
                  "SELECT 4"),
                NULL);
    check_split("CASE ... END end: the second END is a label", PG,
                "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
                "SELECT CASE WHEN x > 0 THEN 1 END end; END; SELECT 2",
                S("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
                  "SELECT CASE WHEN x > 0 THEN 1 END end; END",
                  "SELECT 2"),
                NULL);
    check_split("1e5.E'' too", PG, "SELECT 1e5.E'\\';x';SELECT 2", S("SELECT 1e5.E'\\';x'", "SELECT 2"),
                NULL);
}

int main(void)
{
    int rc;
    test_basics();
    test_strings();
    test_identifiers();
    test_comments();
    test_dollar_quotes();
    test_triggers();
    test_begin_atomic();
    test_parens();
    test_buffer_edges();
    test_errors();
    test_iterator();
    test_first_word();
    test_txn_control();
    test_sqlite_tokenizer();
    test_pg_tokenizer();

    rc = tap_done();
    if (tap_failed)
        printf("# %d of %d tests failed\n", tap_failed, tap_tests);
    return rc;
}

/*
 * app.c — an application that uses mig through the SQLite C API, as a
 * program embedding SQLite would: it opens a database, loads the extension
 * with sqlite3_load_extension(), uploads revisions with bound parameters,
 * runs mig_upgrade() inside its own transaction and checks every result
 * with the C API.  Also: a failing call returns SQLITE_ERROR with the
 * revision's message and changes nothing, in autocommit mode and inside the
 * application's transaction; a lock timeout is SQLITE_BUSY; mig_plan() is a
 * table-valued function; the connection closes cleanly.
 *
 * usage: app DB EXTENSION   (prints "ok - ..." / "not ok - ..." lines,
 * then "done N"; exit status 0 when everything passed)
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int ntests, nfailed;

static void check(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int pass, const char *fmt, ...)
{
    va_list ap;
    ntests++;
    if (!pass)
        nfailed++;
    printf("%sok - ", pass ? "" : "not ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static void diag(const char *what, const char *got)
{
    printf("#   %s: %s\n", what, got ? got : "(null)");
}

/* Run one statement with up to two text parameters; return the first
 * column of the first row (a copy, or NULL when it is SQL NULL), the step
 * result in *rc.  Prints the error message as a diagnostic when asked. */
static char *one(sqlite3 *db, const char *sql, const char *p1, const char *p2, int *rc)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    int r = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (r != SQLITE_OK) {
        *rc = r;
        return NULL;
    }
    if (p1)
        sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
    if (p2)
        sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (t)
            out = strdup((const char *)t);
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            ;
    }
    *rc = r;
    sqlite3_finalize(st); /* keeps sqlite3_errmsg() of the failed step */
    return out;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *e = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
    if (rc != SQLITE_OK)
        diag(sql, e);
    sqlite3_free(e);
    return rc;
}

static int str_is(const char *got, const char *want)
{
    if (got && strcmp(got, want) == 0)
        return 1;
    printf("#   got: %s\n#   expected: %s\n", got ? got : "(null)", want);
    return 0;
}

static long long count(sqlite3 *db, const char *sql)
{
    int rc;
    char *v = one(db, sql, NULL, NULL, &rc);
    long long n = v ? atoll(v) : -1;
    free(v);
    return rc == SQLITE_DONE ? n : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static const char REV1[] = "-- mig:revision app1\n"
                           "-- mig:message create items\n"
                           "\n"
                           "-- mig:upgrade\n"
                           "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                           "INSERT INTO items (name) VALUES ('one'), ('two');\n"
                           "\n"
                           "-- mig:downgrade\n"
                           "DROP TABLE items;\n";

static const char REV2[] = "-- mig:revision app2\n"
                           "-- mig:down_revision app1\n"
                           "-- mig:message add a price\n"
                           "\n"
                           "-- mig:upgrade\n"
                           "ALTER TABLE items ADD COLUMN price REAL NOT NULL DEFAULT 0;\n"
                           "UPDATE items SET price = 9.5 WHERE name = 'two';\n"
                           "\n"
                           "-- mig:downgrade\n"
                           "ALTER TABLE items DROP COLUMN price;\n";

static const char REV3[] = "-- mig:revision app3\n"
                           "-- mig:down_revision app2\n"
                           "-- mig:message fails\n"
                           "\n"
                           "-- mig:upgrade\n"
                           "CREATE TABLE app3 (x);\n"
                           "INSERT INTO items (name) VALUES (NULL);\n";

int main(int argc, char **argv)
{
    sqlite3 *db = NULL, *db2 = NULL, *db3 = NULL;
    char *err = NULL, *v;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s DB EXTENSION\n", argv[0]);
        return 2;
    }
    rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    check(rc == SQLITE_OK, "open %s", argv[1]);
    if (rc != SQLITE_OK)
        return 1;

    check(sqlite3_enable_load_extension(db, 1) == SQLITE_OK, "sqlite3_enable_load_extension");
    rc = sqlite3_load_extension(db, argv[2], NULL, &err);
    check(rc == SQLITE_OK, "sqlite3_load_extension(%s)", argv[2]);
    if (rc != SQLITE_OK) {
        diag("error", err);
        return 1;
    }
    sqlite3_free(err);

    exec(db, "CREATE TABLE app_log (x TEXT)");
    v = one(db, "SELECT mig_current()", NULL, NULL, &rc);
    check(rc == SQLITE_DONE && str_is(v, ""), "mig_current() is '' on a new database");
    free(v);

    /* upload with bound parameters */
    v = one(db, "SELECT mig_put_revision(?1)", REV1, NULL, &rc);
    check(rc == SQLITE_DONE && str_is(v, "app1"), "mig_put_revision(?1) returns the id");
    free(v);
    v = one(db, "SELECT mig_put_revision(?1, ?2)", REV2, "{\"env\": \"default\"}", &rc);
    check(rc == SQLITE_DONE && str_is(v, "app2"), "mig_put_revision(?1, ?2) with opts");
    free(v);

    /* the upgrade inside the application's own transaction */
    check(exec(db, "BEGIN") == SQLITE_OK, "BEGIN");
    exec(db, "INSERT INTO app_log VALUES ('before upgrade')");
    v = one(db, "SELECT mig_upgrade(?1)", "head", NULL, &rc);
    check(rc == SQLITE_DONE && str_is(v, "app2"), "mig_upgrade('head') in the app's transaction returns app2");
    free(v);
    check(!sqlite3_get_autocommit(db), "the app's transaction is still open after mig_upgrade");
    v = one(db, "SELECT mig_current()", NULL, NULL, &rc);
    check(str_is(v, "app2"), "mig_current() sees the upgrade inside the transaction");
    free(v);
    check(exec(db, "COMMIT") == SQLITE_OK, "COMMIT");

    check(count(db, "SELECT count(*) FROM items WHERE price = 9.5") == 1, "the revisions' bodies ran");
    check(count(db, "SELECT count(*) FROM mig_history WHERE direction = 'upgrade'") == 2, "two history rows");
    check(count(db, "SELECT count(*) FROM app_log") == 1, "the app's own row was committed with it");
    {
        sqlite3_stmt *st = NULL;
        int type = -1, val = -1;
        if (sqlite3_prepare_v2(db, "SELECT mig_check()", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            type = sqlite3_column_type(st, 0);
            val = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
        check(type == SQLITE_INTEGER && val == 1, "mig_check() is the integer 1 at head");
    }
    v = one(db, "SELECT mig_x('anything')", NULL, NULL, &rc);
    check(rc == SQLITE_DONE && v == NULL, "mig_x() is NULL outside a run");
    free(v);

    /* a failing call in autocommit mode */
    v = one(db, "SELECT mig_put_revision(?1)", REV3, NULL, &rc);
    check(rc == SQLITE_DONE && str_is(v, "app3"), "upload a revision that fails");
    free(v);
    {
        long long hist = count(db, "SELECT count(*) FROM mig_history");
        const char *msg;
        v = one(db, "SELECT mig_upgrade('head')", NULL, NULL, &rc);
        msg = sqlite3_errmsg(db);
        check(rc == SQLITE_ERROR && v == NULL, "a failing mig_upgrade() returns SQLITE_ERROR (got %d)", rc);
        check(strstr(msg, "revision app3 (upgrade) failed at line 7: NOT NULL constraint failed: items.name") != NULL,
              "sqlite3_errmsg() carries revision, direction, line and cause");
        if (!strstr(msg, "app3"))
            diag("errmsg", msg);
        free(v);
        check(sqlite3_get_autocommit(db), "no transaction is left open");
        v = one(db, "SELECT mig_current()", NULL, NULL, &rc);
        check(str_is(v, "app2"), "mig_current() unchanged");
        free(v);
        check(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'app3'") == 0, "app3's table is gone");
        check(count(db, "SELECT count(*) FROM mig_history") == hist, "no history row was added");

        /* the same failure inside the application's transaction */
        exec(db, "BEGIN");
        exec(db, "INSERT INTO app_log VALUES ('inside')");
        v = one(db, "SELECT mig_upgrade('head')", NULL, NULL, &rc);
        check(rc == SQLITE_ERROR, "the failing call inside the app's transaction returns SQLITE_ERROR");
        free(v);
        check(!sqlite3_get_autocommit(db), "the app's transaction is still open");
        check(count(db, "SELECT count(*) FROM app_log WHERE x = 'inside'") == 1, "the app's earlier write is there");
        check(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'app3'") == 0, "app3's table is not");
        check(exec(db, "COMMIT") == SQLITE_OK, "the app can COMMIT");
        check(count(db, "SELECT count(*) FROM app_log") == 2, "its row was committed");
        v = one(db, "SELECT mig_current()", NULL, NULL, &rc);
        check(str_is(v, "app2"), "mig_current() still app2");
        free(v);
        check(count(db, "SELECT count(*) FROM mig_history") == hist, "still no history row");
    }

    /* mig_plan as a table-valued function with bound arguments */
    {
        sqlite3_stmt *st = NULL;
        char got[512] = "";
        rc = sqlite3_prepare_v2(db, "SELECT step, direction, revision, message FROM mig_plan(?1, ?2)", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, "downgrade", -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, "base", -1, SQLITE_STATIC);
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                char row[128];
                snprintf(row, sizeof row, "%d|%s|%s|%s;", sqlite3_column_int(st, 0), sqlite3_column_text(st, 1),
                         sqlite3_column_text(st, 2), sqlite3_column_text(st, 3));
                strncat(got, row, sizeof got - strlen(got) - 1);
            }
        }
        sqlite3_finalize(st);
        check(rc == SQLITE_DONE && str_is(got, "1|downgrade|app2|add a price;2|downgrade|app1|create items;"),
              "mig_plan('downgrade', 'base') rows");
    }

    /* a second connection in the same process loads it too */
    if (sqlite3_open(argv[1], &db3) == SQLITE_OK) {
        sqlite3_enable_load_extension(db3, 1);
        rc = sqlite3_load_extension(db3, argv[2], "sqlite3_mig_init", NULL);
        v = rc == SQLITE_OK ? one(db3, "SELECT mig_current() || ' ' || mig_heads()", NULL, NULL, &rc) : NULL;
        check(str_is(v, "app2 app3"), "a second connection (explicit entry point) sees the same state");
        free(v);
        check(sqlite3_close(db3) == SQLITE_OK, "the second connection closes");
    } else
        check(0, "open a second connection");

    /* the write lock: another connection holds it, lock_timeout expires */
    sqlite3_busy_timeout(db, 1234);
    if (sqlite3_open(argv[1], &db2) == SQLITE_OK && exec(db2, "BEGIN IMMEDIATE") == SQLITE_OK) {
        double t0 = now_ms(), ms;
        v = one(db, "SELECT mig_upgrade('head', '{\"lock_timeout\": \"200ms\"}')", NULL, NULL, &rc);
        ms = now_ms() - t0;
        check(rc == SQLITE_BUSY, "a call that cannot get the write lock fails with SQLITE_BUSY (got %d)", rc);
        check(strstr(sqlite3_errmsg(db), "lock_timeout") != NULL, "its message says how to wait longer");
        if (rc != SQLITE_BUSY)
            diag("errmsg", sqlite3_errmsg(db));
        check(ms >= 150 && ms < 1200, "after about lock_timeout (200ms): %.0f ms", ms);
        free(v);
        v = one(db, "PRAGMA busy_timeout", NULL, NULL, &rc);
        check(str_is(v, "1234"), "the connection's own busy_timeout is restored");
        free(v);
        exec(db2, "ROLLBACK");
    } else
        check(0, "a second connection takes the write lock");
    sqlite3_close(db2);

    check(sqlite3_close(db) == SQLITE_OK, "sqlite3_close() succeeds: the extension leaves no statement behind");
    printf("done %d\n", ntests);
    return nfailed ? 1 : 0;
}

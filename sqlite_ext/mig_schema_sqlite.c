/*
 * mig_schema_sqlite.c — mig_snapshot([opts]) and mig_snapshot_sql(sql [,
 * opts]) for SQLite: the schema model of core/schema.c read from
 * sqlite_schema, as canonical JSON (docs/schema.md).
 *
 * mig_snapshot reads the main database of the calling connection;
 * mig_snapshot_sql runs its SQL in a private in-memory database opened for
 * the call (ATTACH refused, defensive mode on), so nothing it runs can reach
 * the caller's database or another file, and reads that.  Both leave out
 * SQLite's own objects (sqlite_%, automatic indexes) and mig's state tables
 * with their indexes and triggers.
 */
#ifndef SQLITE_CORE
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include "ddl.h"
#include "mig_sqlite.h"
#include "schema.h"
#include "sqltok.h"

#include <stdio.h>
#include <string.h>

static void *sq_alloc(void *ud, size_t n)
{
    (void)ud;
    return sqlite3_malloc64(n);
}
static void sq_free(void *ud, void *p)
{
    (void)ud;
    sqlite3_free(p);
}
static const mig_allocator SQ_ALLOC = {sq_alloc, sq_free, NULL};

/* mig's state tables (core/dbinfo.c creates them in main); their indexes
 * and triggers go with them. */
static int is_mig_state(const char *name)
{
    static const char *const names[] = {"mig_revision", "mig_version", "mig_history"};
    size_t i;
    for (i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (mig_ddl_ident_eq(name, names[i]))
            return 1;
    return 0;
}

/* Does a name pass the include and exclude patterns (GLOB)? */
static int name_passes(const mig_schema_filter *f, const char *name)
{
    int i, hit = f->include.n == 0;
    if (!name)
        return 0;
    for (i = 0; !hit && i < f->include.n; i++)
        hit = sqlite3_strglob(f->include.v[i], name) == 0;
    for (i = 0; hit && i < f->exclude.n; i++)
        hit = sqlite3_strglob(f->exclude.v[i], name) != 0;
    return hit;
}

static int keep(const mig_schema_filter *f, mig_so_kind k, const char *name, const char *tbl)
{
    if (f->kinds && !(f->kinds & (1u << k)))
        return 0;
    if (!name_passes(f, name))
        return 0;
    return k == MIG_SO_TABLE || k == MIG_SO_VIEW || name_passes(f, tbl);
}

static int kind_of(const char *type, mig_so_kind *k)
{
    if (!type)
        return -1;
    if (strcmp(type, "table") == 0)
        *k = MIG_SO_TABLE;
    else if (strcmp(type, "index") == 0)
        *k = MIG_SO_INDEX;
    else if (strcmp(type, "view") == 0)
        *k = MIG_SO_VIEW;
    else if (strcmp(type, "trigger") == 0)
        *k = MIG_SO_TRIGGER;
    else
        return -1;
    return 0;
}

/* The snapshot of db's main database as canonical JSON (in ar). */
static char *snapshot_db(sqlite3 *db, mig_arena *ar, const mig_schema_filter *f, const char *fn, mig_err *err)
{
    /* tables first: an index's expressions are read with its table's columns */
    static const char Q[] = "SELECT type, name, tbl_name, sql FROM main.sqlite_master "
                            "WHERE type IN ('table', 'index', 'view', 'trigger') "
                            "ORDER BY type <> 'table', rowid";
    sqlite3_stmt *st = NULL;
    mig_schema s;
    int rc;

    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    if (sqlite3_prepare_v2(db, Q, -1, &st, NULL) != SQLITE_OK) {
        mig_fail(err, MIG_E_SQL, "%s: cannot read the schema: %s", fn, sqlite3_errmsg(db));
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *tbl = (const char *)sqlite3_column_text(st, 2);
        const char *sql = (const char *)sqlite3_column_text(st, 3);
        mig_so_kind k;
        if (kind_of(type, &k) || is_mig_state(tbl) || !keep(f, k, name, tbl))
            continue;
        if (mig_schema_add_sqlite(ar, &s, type, name, tbl, sql, err)) {
            sqlite3_finalize(st);
            mig_err_prefix(err, "%s: ", fn);
            return NULL;
        }
    }
    if (rc != SQLITE_DONE) {
        mig_fail(err, MIG_E_SQL, "%s: cannot read the schema: %s", fn, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    sqlite3_finalize(st);
    mig_schema_finish(&s);
    return mig_schema_to_json(ar, &s, err);
}

/* The opts argument (absent or NULL: none). */
static int read_opts(mig_arena *ar, int argc, sqlite3_value **argv, int at, mig_schema_filter *f, const char *fn,
                     mig_err *err)
{
    const char *json = NULL;
    if (argc > at && sqlite3_value_type(argv[at]) != SQLITE_NULL)
        json = (const char *)sqlite3_value_text(argv[at]);
    if (mig_schema_filter_parse(ar, MIG_DIALECT_SQLITE, json, f, err)) {
        mig_err_prefix(err, "%s: ", fn);
        return -1;
    }
    return 0;
}

static void finish_call(sqlite3_context *ctx, mig_arena *ar, const char *json, const mig_err *err)
{
    if (json)
        sqlite3_result_text(ctx, json, -1, SQLITE_TRANSIENT);
    else if (err->code == MIG_E_NOMEM)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_error(ctx, err->msg, -1);
    mig_arena_free(ar);
}

void mig_snapshot_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    mig_arena ar;
    mig_err err;
    mig_schema_filter f;
    const char *json = NULL;
    mig_err_clear(&err);
    mig_arena_init(&ar, &SQ_ALLOC);
    if (!read_opts(&ar, argc, argv, 0, &f, "mig_snapshot", &err))
        json = snapshot_db(sqlite3_context_db_handle(ctx), &ar, &f, "mig_snapshot", &err);
    finish_call(ctx, &ar, json, &err);
}

/* "CREATE TABLE sqlite_...": what the sqlite3 shell's .schema prints for
 * SQLite's own tables (sqlite_sequence, sqlite_stat1); SQLite creates them
 * itself and refuses the statement. */
static int creates_internal_table(mig_arena *ar, const char *s, size_t n)
{
    char w[32];
    mig_ddl_table t;
    mig_err e;
    mig_arena_mark m;
    int r = 0;
    if (mig_sql_leading_words(s, n, MIG_DIALECT_SQLITE, 2, w, sizeof w) != 2 || strcmp(w, "CREATE TABLE") != 0)
        return 0;
    mig_arena_mark_get(ar, &m);
    if (mig_ddl_parse_create_table(ar, s, n, &t, &e) == 0 && strlen(t.name) >= 7 &&
        sqlite3_strnicmp(t.name, "sqlite_", 7) == 0)
        r = 1;
    mig_arena_release(ar, &m);
    return r;
}

/* Run each statement of sql in db; an error names the statement and its line. */
static int run_script(sqlite3 *db, mig_arena *ar, const char *sql, size_t len, mig_err *err)
{
    mig_sql_iter it;
    mig_sql_stmt st;
    char eb[200];
    int n = 0;
    mig_tok_result tr;

    mig_sql_iter_init(&it, sql, len, MIG_DIALECT_SQLITE);
    while ((tr = mig_sql_iter_next(&it, &st, eb, sizeof eb)) == MIG_TOK_OK) {
        sqlite3_stmt *ps = NULL;
        const char *tail = NULL, *s = sql + st.start;
        int rc;
        n++;
        if (creates_internal_table(ar, s, st.len))
            continue;
        if (st.len > 0x7fffff00u)
            return mig_fail(err, MIG_E_INPUT, "mig_snapshot_sql: statement %d (line %u) is too long", n, st.line);
        rc = sqlite3_prepare_v2(db, s, (int)st.len, &ps, &tail);
        if (rc == SQLITE_OK && tail && mig_sql_skip_blank(tail, s + st.len) != s + st.len) {
            sqlite3_finalize(ps);
            mig_fail(err, MIG_E_SQL, "mig_snapshot_sql: statement %d (line %u) is read by SQLite as more than one "
                                     "statement", n, st.line);
            mig_err_statement(err, s, s + st.len);
            return -1;
        }
        while (rc == SQLITE_OK && ps && (rc = sqlite3_step(ps)) == SQLITE_ROW)
            rc = SQLITE_OK;
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
        sqlite3_finalize(ps);
        if (rc != SQLITE_OK) {
            char ex[120];
            size_t k, m = st.len < 100 ? st.len : 100;
            while (m < st.len && m > 0 && ((unsigned char)s[m] & 0xC0) == 0x80)
                m--; /* do not cut a UTF-8 sequence */
            for (k = 0; k < m; k++)
                ex[k] = (s[k] == '\n' || s[k] == '\r' || s[k] == '\t') ? ' ' : s[k];
            ex[m] = '\0';
            if (rc == SQLITE_NOMEM)
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            mig_fail(err, MIG_E_SQL, "mig_snapshot_sql: statement %d (line %u) failed: %s: %s%s", n, st.line,
                     sqlite3_errmsg(db), ex, st.len > m ? "..." : "");
            mig_err_statement(err, s, s + st.len);
            return -1;
        }
    }
    if (tr == MIG_TOK_ERROR)
        return mig_fail(err, MIG_E_INPUT, "mig_snapshot_sql: %s", eb);
    return 0;
}

/* Refuse what could reach outside the private database. */
static int private_auth(void *ud, int action, const char *a, const char *b, const char *c, const char *d)
{
    (void)ud;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return (action == SQLITE_ATTACH || action == SQLITE_DETACH) ? SQLITE_DENY : SQLITE_OK;
}

void mig_snapshot_sql_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    mig_arena ar;
    mig_err err;
    mig_schema_filter f;
    const char *json = NULL, *sql;
    sqlite3 *mem = NULL;
    int len;

    mig_err_clear(&err);
    mig_arena_init(&ar, &SQ_ALLOC);
    if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        mig_fail(&err, MIG_E_INPUT, "mig_snapshot_sql: the first argument must be SQL text (CREATE statements)");
        finish_call(ctx, &ar, NULL, &err);
        return;
    }
    sql = (const char *)sqlite3_value_text(argv[0]);
    len = sqlite3_value_bytes(argv[0]);
    if (!sql) {
        sqlite3_result_error_nomem(ctx);
        mig_arena_free(&ar);
        return;
    }
    if (read_opts(&ar, argc, argv, 1, &f, "mig_snapshot_sql", &err)) {
        finish_call(ctx, &ar, NULL, &err);
        return;
    }
    if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        mig_fail(&err, MIG_E_SQL, "mig_snapshot_sql: cannot open an in-memory database: %s",
                 mem ? sqlite3_errmsg(mem) : "out of memory");
    } else {
        sqlite3_limit(mem, SQLITE_LIMIT_ATTACHED, 0);
        sqlite3_db_config(mem, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
        sqlite3_set_authorizer(mem, private_auth, NULL);
        if (!run_script(mem, &ar, sql, (size_t)len, &err))
            json = snapshot_db(mem, &ar, &f, "mig_snapshot_sql", &err);
    }
    sqlite3_close(mem);
    finish_call(ctx, &ar, json, &err);
}

/*
 * mig_sqlite.c — the SQLite frontend of mig: registers the SQL API of
 * SPEC §4 on a connection and implements core's backend interface with
 * the SQLite C API.  Built as the loadable extension sqlite_ext/mig.so
 * (entry point sqlite3_mig_init) and, with -DSQLITE_CORE, linked into the
 * mig client.
 *
 * Per-connection state lives in the functions' user data, never in globals.
 * A call in autocommit mode is its own BEGIN IMMEDIATE ... COMMIT, so two
 * processes cannot apply a revision twice; inside the caller's transaction it
 * nests in a savepoint and never commits.
 */
#ifndef SQLITE_CORE
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#include "engine.h"
#include "guard.h"
#include "sqltok.h"
#include "mig_sqlite.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STMT_CACHE 24

typedef struct mig_conn {
    sqlite3 *db;
    int refs;
    int busy;                 /* a mig call is running on this connection */
    int unit;                 /* 0 none, 1 BEGIN IMMEDIATE, 2 SAVEPOINT */
    int saved_timeout;        /* busy timeout to restore, -1: untouched */
    int rollback_pending;     /* a failed call could not roll back (SQLite out of memory) */
    const mig_opts *run;      /* the run in progress, for mig_x() */
    struct {
        char *sql;
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE];
    int ncache;
    char user[64];
    char *result;             /* the result of a writing call, copied before its COMMIT */
    mig_err *last_err;        /* set by a program that links mig in: each failing call's error */
    int keep_statements;      /* the cache lives until mig_sqlite_release(), not for one call */
    mig_sqlite_progress_fn progress; /* set by a program that links mig in (the client) */
    void *progress_arg;
} mig_conn;

/* ---- allocation --------------------------------------------------------- */

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

/* ---- backend ------------------------------------------------------------ */

static int db_fail(mig_conn *c, mig_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(c->db);
    mig_fail(err, (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? MIG_E_LOCK : MIG_E_SQL, "%s%s",
             what ? what : "", sqlite3_errmsg(c->db));
    return -1;
}

static sqlite3_stmt *cached(mig_conn *c, const char *sql, mig_err *err)
{
    int i;
    sqlite3_stmt *st = NULL;
    for (i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i].sql, sql) == 0)
            return c->cache[i].stmt;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_fail(c, err, "");
        return NULL;
    }
    if (c->ncache == STMT_CACHE) {
        /* evict the oldest */
        sqlite3_finalize(c->cache[0].stmt);
        sqlite3_free(c->cache[0].sql);
        memmove(&c->cache[0], &c->cache[1], sizeof(c->cache[0]) * (STMT_CACHE - 1));
        c->ncache--;
    }
    c->cache[c->ncache].sql = sqlite3_mprintf("%s", sql);
    if (!c->cache[c->ncache].sql) {
        sqlite3_finalize(st);
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        return NULL;
    }
    c->cache[c->ncache].stmt = st;
    c->ncache++;
    return st;
}

/* Run one of the unit's fixed statements (SAVEPOINT, RELEASE, ROLLBACK TO)
 * through the statement cache: a bulk upload opens a unit per revision, and
 * sqlite3_exec() would parse them again each time. */
static int exec_unit(mig_conn *c, const char *sql)
{
    mig_err e;
    sqlite3_stmt *st = cached(c, sql, &e);
    int rc;
    if (!st)
        return sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void clear_cache(mig_conn *c)
{
    int i;
    for (i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        sqlite3_free(c->cache[i].sql);
    }
    c->ncache = 0;
}

static int be_query(void *ctx, const char *sql, int np, const char *const *params, mig_row_fn fn, void *arg,
                    mig_err *err)
{
    mig_conn *c = ctx;
    sqlite3_stmt *st = cached(c, sql, err);
    int i, rc;
    if (!st)
        return -1;
    static const char *const names[] = {"$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8",
                                        "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16"};
    if (np > 16)
        return mig_fail(err, MIG_E_SQL, "too many parameters");
    for (i = 0; i < np; i++) {
        int idx = sqlite3_bind_parameter_index(st, names[i]);
        if (idx == 0)
            continue;
        rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK) {
            sqlite3_reset(st);
            return db_fail(c, err, "");
        }
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn) {
            const char *vals[16];
            int n = sqlite3_column_count(st), k;
            if (n > 16)
                n = 16;
            for (k = 0; k < n; k++)
                vals[k] = (const char *)sqlite3_column_text(st, k);
            if (fn(arg, n, vals, err)) {
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                return -1;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        db_fail(c, err, "");
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return -1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return 0;
}

/*
 * Run a revision body statement by statement, as SQLite itself splits it
 * (sqlite3_prepare_v2 tails), refusing transaction control (core/guard.h)
 * on each statement as SQLite read it.  The body is copied once into a
 * NUL-terminated buffer: with an explicit length on a buffer that does not
 * end in NUL, SQLite copies the rest of the text for every statement, which
 * made a body of n statements cost O(n^2).
 */
static int be_exec_body(void *ctx, const char *body, size_t len, size_t *fail_off, mig_err *err)
{
    mig_conn *c = ctx;
    mig_arena ar;
    mig_txn_guard guard;
    char *text;
    const char *p, *end;
    int rc = 0, in_txn = !sqlite3_get_autocommit(c->db);
    if (len > 0x7ffffffe)
        return mig_fail(err, MIG_E_INPUT, "a revision body of %zu bytes is too large for SQLite", len);
    mig_arena_init(&ar, &SQ_ALLOC);
    mig_txn_guard_init(&guard, &ar);
    text = sqlite3_malloc64(len + 1);
    if (!text) {
        mig_arena_free(&ar);
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    }
    memcpy(text, body, len);
    text[len] = '\0';
    p = text;
    end = text + len;
    while (p < end) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL, *s;
        int r = sqlite3_prepare_v2(c->db, p, (int)(end - p) + 1, &st, &tail);
        if (!tail || tail < p || tail > end)
            tail = end;
        if (r == SQLITE_OK && !st && tail == p) {
            /* no progress: a NUL byte inside the body (the revision parser
             * refuses them; never loop on one) */
            *fail_off = (size_t)(p - text);
            rc = mig_fail(err, MIG_E_INPUT, "a revision body contains a NUL byte");
            break;
        }
        s = mig_sql_skip_blank(p, tail);
        if (r != SQLITE_OK) {
            /* the offset of the statement that did not compile */
            *fail_off = (size_t)(s - text);
            rc = db_fail(c, err, "");
            break;
        }
        if (!st) { /* only white space or comments left */
            p = tail;
            continue;
        }
        if (mig_txn_guard_sqlite(&guard, p, (size_t)(tail - p), sqlite3_stmt_isexplain(st), err)) {
            while (s < tail && *s == ';')
                s = mig_sql_skip_blank(s + 1, tail);
            *fail_off = (size_t)(s - text);
            sqlite3_finalize(st);
            rc = -1;
            break;
        }
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (r != SQLITE_DONE) {
            *fail_off = (size_t)(s - text);
            db_fail(c, err, "");
            mig_err_statement(err, s, tail);
            sqlite3_finalize(st);
            rc = -1;
            break;
        }
        sqlite3_finalize(st);
        if (in_txn && sqlite3_get_autocommit(c->db)) {
            /* the guard let through something that ended the transaction:
             * never go on as if the unit were still open */
            *fail_off = (size_t)(s - text);
            rc = mig_fail(err, MIG_E_USAGE, "this statement ended mig's transaction, which a revision must not do");
            mig_err_statement(err, s, tail);
            break;
        }
        p = tail;
    }
    sqlite3_free(text);
    mig_arena_free(&ar);
    return rc;
}

/* Do the three state tables exist in main? */
static int tables_exist(mig_conn *c, int *exists, mig_err *err)
{
    sqlite3_stmt *st = cached(c,
                              "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name IN "
                              "('mig_revision', 'mig_version', 'mig_history')",
                              err);
    int n = 0, rc;
    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return db_fail(c, err, "");
    *exists = n == 3;
    return 0;
}

static int be_ensure_schema(void *ctx, int create, int *exists, mig_err *err)
{
    mig_conn *c = ctx;
    /* the schema lookup of sqlite3_table_column_metadata() costs no
     * statement; the query below is the fallback where it is compiled out */
    if (sqlite3_table_column_metadata(c->db, "main", "mig_revision", NULL, NULL, NULL, NULL, NULL, NULL) ==
            SQLITE_OK &&
        sqlite3_table_column_metadata(c->db, "main", "mig_version", NULL, NULL, NULL, NULL, NULL, NULL) ==
            SQLITE_OK &&
        sqlite3_table_column_metadata(c->db, "main", "mig_history", NULL, NULL, NULL, NULL, NULL, NULL) ==
            SQLITE_OK) {
        *exists = 1;
        return 0;
    }
    if (tables_exist(c, exists, err))
        return -1;
    if (*exists || !create)
        return 0;
    if (sqlite3_exec(c->db, mig_db_sqlite.state_ddl, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(c, err, "cannot create the mig state tables: ");
    *exists = 1;
    return 0;
}

static int be_in_transaction(void *ctx)
{
    mig_conn *c = ctx;
    return !sqlite3_get_autocommit(c->db);
}

/* While a rollback is pending no COMMIT may save the half-done call. */
static int veto_commit(void *arg)
{
    (void)arg;
    return 1;
}

/*
 * The rollback of a failed call failed: SQLite refuses every statement after
 * an out-of-memory error until the caller's statement ends.  Make any COMMIT
 * roll back instead, and roll back at the start of the next mig call.  (The
 * commit hook replaces one the application may have set.)
 */
static void rollback_later(mig_conn *c, mig_err *err)
{
    c->rollback_pending = 1;
    sqlite3_commit_hook(c->db, veto_commit, NULL);
    mig_err_hint(err, "SQLite could not roll the failed call back at once; the transaction cannot commit and is "
                      "rolled back by the next mig call or by ROLLBACK.");
}

static void finish_pending_rollback(mig_conn *c)
{
    if (!c->rollback_pending)
        return;
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_get_autocommit(c->db)) {
        sqlite3_commit_hook(c->db, NULL, NULL);
        c->rollback_pending = 0;
    }
}

static int busy_timeout_now(mig_conn *c)
{
    sqlite3_stmt *st = NULL;
    int v = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA busy_timeout", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int be_unit_begin(void *ctx, const mig_opts *o, mig_err *err)
{
    mig_conn *c = ctx;
    if (sqlite3_get_autocommit(c->db)) {
        c->saved_timeout = -1;
        if (o->lock_timeout_ms >= 0) {
            c->saved_timeout = busy_timeout_now(c);
            sqlite3_busy_timeout(c->db, (int)o->lock_timeout_ms);
        }
        if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            db_fail(c, err, "cannot start the transaction: ");
            if (err->code == MIG_E_LOCK)
                mig_err_hint(err, "Another connection is writing to this database. Wait for it, set PRAGMA "
                                  "busy_timeout, or pass '{\"lock_timeout\": \"10s\"}'.");
            if (c->saved_timeout >= 0)
                sqlite3_busy_timeout(c->db, c->saved_timeout);
            c->saved_timeout = -1;
            return -1;
        }
        c->unit = 1;
    } else {
        if (exec_unit(c, "SAVEPOINT mig_call") != SQLITE_OK)
            return db_fail(c, err, "cannot open a savepoint: ");
        c->unit = 2;
    }
    return 0;
}

static int be_unit_end(void *ctx, int commit, mig_err *err)
{
    mig_conn *c = ctx;
    int unit = c->unit, rc = 0;
    c->unit = 0;
    if (unit == 1) {
        if (sqlite3_get_autocommit(c->db)) {
            /* SQLite already rolled the transaction back (e.g. SQLITE_FULL) */
            if (commit)
                rc = mig_fail(err, MIG_E_SQL, "the transaction was rolled back by SQLite");
        } else if (commit) {
            if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                rc = db_fail(c, err, "cannot commit: ");
                if (sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && !sqlite3_get_autocommit(c->db))
                    rollback_later(c, err);
            }
        } else if (sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
                   !sqlite3_get_autocommit(c->db)) {
            rollback_later(c, err);
        }
    } else if (unit == 2) {
        if (sqlite3_get_autocommit(c->db)) {
            rc = mig_fail(err, MIG_E_SQL,
                          "the caller's transaction was rolled back by SQLite while mig was running; nothing was "
                          "applied");
        } else if (commit) {
            if (exec_unit(c, "RELEASE mig_call") != SQLITE_OK) {
                rc = db_fail(c, err, "cannot release the savepoint: ");
                if ((exec_unit(c, "ROLLBACK TO mig_call") != SQLITE_OK ||
                     exec_unit(c, "RELEASE mig_call") != SQLITE_OK) &&
                    !sqlite3_get_autocommit(c->db))
                    rollback_later(c, err);
            }
        } else if (exec_unit(c, "ROLLBACK TO mig_call") != SQLITE_OK ||
                   exec_unit(c, "RELEASE mig_call") != SQLITE_OK) {
            if (!sqlite3_get_autocommit(c->db))
                rollback_later(c, err);
        }
    }
    if (c->saved_timeout >= 0) {
        sqlite3_busy_timeout(c->db, c->saved_timeout);
        c->saved_timeout = -1;
    }
    return rc;
}

static void be_set_run(void *ctx, const mig_opts *o)
{
    mig_conn *c = ctx;
    c->run = o;
}

static int be_keep_result(void *ctx, const char *result, mig_err *err)
{
    mig_conn *c = ctx;
    sqlite3_free(c->result);
    c->result = sqlite3_mprintf("%s", result);
    return c->result ? 0 : mig_fail(err, MIG_E_NOMEM, "out of memory");
}

static void be_progress(void *ctx, const char *line)
{
    mig_conn *c = ctx;
    c->progress(c->progress_arg, line);
}

static void backend_for(mig_conn *c, mig_backend *be)
{
    memset(be, 0, sizeof *be);
    be->ctx = c;
    be->db = &mig_db_sqlite;
    be->applied_by = c->user[0] ? c->user : NULL;
    be->query = be_query;
    be->exec_body = be_exec_body;
    be->ensure_schema = be_ensure_schema;
    be->in_transaction = be_in_transaction;
    be->unit_begin = be_unit_begin;
    be->unit_end = be_unit_end;
    be->set_run = be_set_run;
    be->keep_result = be_keep_result;
    if (c->progress)
        be->progress = be_progress;
}

/* ---- SQL functions -------------------------------------------------------- */

static void result_err(sqlite3_context *ctx, mig_conn *c, const mig_err *err)
{
    char *m;
    if (c->last_err)
        *c->last_err = *err;
    if (err->code == MIG_E_NOMEM) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    m = sqlite3_mprintf("%s%s%s%s%s", err->msg, err->detail[0] ? "\nDETAIL: " : "", err->detail,
                        err->hint[0] ? "\nHINT: " : "", err->hint);
    sqlite3_result_error(ctx, m ? m : err->msg, -1);
    if (err->code == MIG_E_LOCK)
        sqlite3_result_error_code(ctx, SQLITE_BUSY);
    sqlite3_free(m);
}

/* The operations registered as scalar functions (mig_plan is a table-valued
 * function: the module below). */
static const mig_op SCALAR_OPS[] = {MIG_OP_PUT,     MIG_OP_REMOVE, MIG_OP_UPGRADE, MIG_OP_DOWNGRADE, MIG_OP_STAMP,
                                    MIG_OP_CURRENT, MIG_OP_HEADS,  MIG_OP_CHECK,   MIG_OP_SQL};

/* The user data of each SQL function: its connection and what it is. */
typedef struct {
    mig_conn *c;
    mig_op op;
} fdata;

static const char *arg_text(sqlite3_value *v)
{
    return sqlite3_value_type(v) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(v);
}

static int call_begin(sqlite3_context *ctx, mig_conn *c, const char *name)
{
    if (c->busy) {
        char *m = sqlite3_mprintf("%s() cannot run while another mig call is running on this connection (a "
                                  "revision cannot call it)",
                                  name);
        sqlite3_result_error(ctx, m ? m : "mig is busy on this connection", -1);
        sqlite3_free(m);
        return -1;
    }
    c->busy = 1;
    return 0;
}

static void fn_main(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    fdata *fd = sqlite3_user_data(ctx);
    mig_conn *c = fd->c;
    const mig_op_def *f = &mig_op_defs[fd->op];
    mig_arena ar;
    mig_err err;
    mig_opts o;
    mig_backend be;
    mig_op_result res;
    int rc = 0, nfixed = f->nfixed;
    const char *a0, *a1;

    mig_err_clear(&err);
    memset(&res, 0, sizeof res);
    mig_arena_init(&ar, &SQ_ALLOC);
    if (argc > nfixed) {
        if (mig_opts_parse(&ar, arg_text(argv[nfixed]), &o, &err))
            goto done_err;
    } else
        mig_opts_default(&o);
    a0 = nfixed >= 1 ? arg_text(argv[0]) : NULL;
    a1 = nfixed >= 2 ? arg_text(argv[1]) : NULL;
    if (call_begin(ctx, c, f->name)) {
        mig_arena_free(&ar);
        return;
    }
    finish_pending_rollback(c);
    backend_for(c, &be);
    rc = mig_op_call(&be, &ar, fd->op, a0, a0 ? (size_t)sqlite3_value_bytes(argv[0]) : 0, a1, &o, &res, &err);
    if (rc == 0 && fd->op == MIG_OP_CHECK)
        sqlite3_result_int(ctx, res.ok);
    c->busy = 0;
    if (rc) {
        sqlite3_free(c->result);
        c->result = NULL;
    }
    /* prepared statements live for one call: sqlite3_close() refuses to close
     * a connection with statements left unfinalized (unless the program
     * that links mig in releases them itself before closing) */
    if (!c->keep_statements)
        clear_cache(c);
    if (rc)
        goto done_err;
    if (c->result) {
        /* copied before the COMMIT: handing it over allocates nothing */
        sqlite3_result_text(ctx, c->result, -1, sqlite3_free);
        c->result = NULL;
    } else if (fd->op != MIG_OP_CHECK)
        sqlite3_result_text(ctx, res.out ? res.out : "", -1, SQLITE_TRANSIENT);
    mig_arena_free(&ar);
    return;
done_err:
    result_err(ctx, c, &err);
    mig_arena_free(&ar);
}

/* mig_x(name): an x-argument of the run in progress, or NULL. */
static void fn_x(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    fdata *fd = sqlite3_user_data(ctx);
    const char *name = arg_text(argv[0]), *v;
    (void)argc;
    if (!name || !fd->c->run)
        return;
    v = mig_opts_x(fd->c->run, name);
    if (v)
        sqlite3_result_text(ctx, v, -1, SQLITE_TRANSIENT);
}

/* ---- mig_plan: an eponymous table-valued function ------------------------- */

enum { PC_STEP, PC_DIRECTION, PC_REVISION, PC_MESSAGE, PC_ARG_DIR, PC_ARG_TARGET, PC_ARG_OPTS };

typedef struct {
    sqlite3_vtab base;
    mig_conn *c;
} plan_vtab;

typedef struct {
    sqlite3_vtab_cursor base;
    mig_arena ar;
    mig_plan_row *rows;
    int n, i;
} plan_cursor;

static int plan_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **pzErr)
{
    plan_vtab *v;
    int rc;
    (void)argc;
    (void)argv;
    (void)pzErr;
    rc = sqlite3_declare_vtab(db, "CREATE TABLE x(step INTEGER, direction TEXT, revision TEXT, message TEXT, "
                                  "arg_direction HIDDEN, arg_target HIDDEN, arg_opts HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->c = aux;
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
    *out = &v->base;
    return SQLITE_OK;
}

static int plan_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int plan_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    plan_cursor *cur = sqlite3_malloc(sizeof *cur);
    (void)v;
    if (!cur)
        return SQLITE_NOMEM;
    memset(cur, 0, sizeof *cur);
    mig_arena_init(&cur->ar, &SQ_ALLOC);
    *out = &cur->base;
    return SQLITE_OK;
}

static int plan_close(sqlite3_vtab_cursor *cc)
{
    plan_cursor *cur = (plan_cursor *)cc;
    mig_arena_free(&cur->ar);
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* idxNum bits: 1 direction, 2 target, 4 opts given (argv in that order) */
static int plan_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    int i, cols[3] = {-1, -1, -1}, n = 0, mask = 0;
    (void)v;
    for (i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        if (k->iColumn < PC_ARG_DIR)
            continue;
        if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ)
            return SQLITE_CONSTRAINT;
        cols[k->iColumn - PC_ARG_DIR] = i;
    }
    for (i = 0; i < 3; i++)
        if (cols[i] >= 0) {
            info->aConstraintUsage[cols[i]].argvIndex = ++n;
            info->aConstraintUsage[cols[i]].omit = 1;
            mask |= 1 << i;
        }
    if ((mask & 3) != 3) {
        /* direction and target are required */
        sqlite3_free(v->zErrMsg);
        v->zErrMsg = sqlite3_mprintf("mig_plan(direction, target [, opts]) needs a direction and a target, e.g. "
                                     "SELECT * FROM mig_plan('upgrade', 'head')");
        return SQLITE_ERROR;
    }
    info->idxNum = mask;
    info->estimatedCost = 1000;
    return SQLITE_OK;
}

static int plan_filter(sqlite3_vtab_cursor *cc, int idxNum, const char *idxStr, int argc, sqlite3_value **argv)
{
    plan_cursor *cur = (plan_cursor *)cc;
    plan_vtab *v = (plan_vtab *)cc->pVtab;
    mig_err err;
    mig_opts o;
    mig_backend be;
    int rc;
    (void)idxStr;
    (void)idxNum;
    mig_arena_free(&cur->ar);
    mig_arena_init(&cur->ar, &SQ_ALLOC);
    mig_err_clear(&err);
    cur->rows = NULL;
    cur->n = cur->i = 0;
    if (argc < 2 || !arg_text(argv[0]) || !arg_text(argv[1])) {
        v->base.zErrMsg = sqlite3_mprintf("mig_plan(): direction and target must not be NULL");
        return SQLITE_ERROR;
    }
    if (mig_opts_parse(&cur->ar, argc > 2 ? arg_text(argv[2]) : NULL, &o, &err) == 0) {
        backend_for(v->c, &be);
        rc = mig_op_plan(&be, &cur->ar, arg_text(argv[0]), arg_text(argv[1]), &o, &cur->rows, &cur->n, &err);
        if (!v->c->keep_statements)
            clear_cache(v->c);
        if (rc == 0)
            return SQLITE_OK;
    }
    sqlite3_free(v->base.zErrMsg);
    if (v->c->last_err)
        *v->c->last_err = err;
    v->base.zErrMsg = sqlite3_mprintf("%s%s%s", err.msg, err.hint[0] ? "\nHINT: " : "", err.hint);
    return err.code == MIG_E_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
}

static int plan_next(sqlite3_vtab_cursor *cc)
{
    ((plan_cursor *)cc)->i++;
    return SQLITE_OK;
}

static int plan_eof(sqlite3_vtab_cursor *cc)
{
    plan_cursor *cur = (plan_cursor *)cc;
    return cur->i >= cur->n;
}

static int plan_column(sqlite3_vtab_cursor *cc, sqlite3_context *ctx, int col)
{
    plan_cursor *cur = (plan_cursor *)cc;
    const mig_plan_row *r = &cur->rows[cur->i];
    switch (col) {
    case PC_STEP:
        sqlite3_result_int(ctx, r->step);
        break;
    case PC_DIRECTION:
        sqlite3_result_text(ctx, r->direction, -1, SQLITE_TRANSIENT);
        break;
    case PC_REVISION:
        if (r->revision)
            sqlite3_result_text(ctx, r->revision, -1, SQLITE_TRANSIENT);
        break;
    case PC_MESSAGE:
        if (r->message)
            sqlite3_result_text(ctx, r->message, -1, SQLITE_TRANSIENT);
        break;
    default:
        break;
    }
    return SQLITE_OK;
}

static int plan_rowid(sqlite3_vtab_cursor *cc, sqlite3_int64 *rowid)
{
    *rowid = ((plan_cursor *)cc)->i + 1;
    return SQLITE_OK;
}

static sqlite3_module PLAN_MODULE = {
    0,                /* iVersion */
    0,                /* xCreate: eponymous only */
    plan_connect,     plan_best_index, plan_disconnect, 0, plan_open, plan_close, plan_filter, plan_next, plan_eof,
    plan_column,      plan_rowid,      0,               0, 0,         0,          0,           0,         0,
    0,                0,               0,               0,
#if SQLITE_VERSION_NUMBER >= 3044000
    0,
#endif
};

/* ---- registration --------------------------------------------------------- */

static void conn_unref(mig_conn *c)
{
    if (--c->refs == 0) {
        clear_cache(c);
        sqlite3_free(c->result);
        sqlite3_free(c);
    }
}

static void fdata_destroy(void *p)
{
    fdata *fd = p;
    mig_conn *c = fd->c;
    sqlite3_free(fd);
    conn_unref(c);
}

static void module_destroy(void *p)
{
    conn_unref(p);
}

/* Register function `name` of nargs arguments; op: the operation it runs (fn_main) */
static int reg(sqlite3 *db, mig_conn *c, const char *name, mig_op op, int writes, int nargs,
               void (*fn)(sqlite3_context *, int, sqlite3_value **))
{
    fdata *fd = sqlite3_malloc(sizeof *fd);
    int flags = SQLITE_UTF8 | (writes ? SQLITE_DIRECTONLY : 0);
    if (!fd)
        return SQLITE_NOMEM;
    fd->c = c;
    fd->op = op;
    c->refs++;
    /* on failure sqlite3_create_function_v2 calls the destructor itself */
    return sqlite3_create_function_v2(db, name, nargs, flags, fd, fn, NULL, NULL, fdata_destroy);
}

int mig_sqlite_register(sqlite3 *db, char **pzErrMsg)
{
    return mig_sqlite_register_ex(db, pzErrMsg, NULL);
}

void mig_sqlite_release(void *conn)
{
    if (conn)
        clear_cache(conn);
}

/* The oldest SQLite library mig runs on: RETURNING (the engine's upload of a
 * revision) and ALTER TABLE DROP COLUMN (mig_batch's native strategy) are
 * 3.35.0, and 3.35.5 fixes DROP COLUMN defects that could corrupt the
 * database file.  Also needed, and older: SQLITE_VTAB_DIRECTONLY (3.31),
 * SQLITE_DIRECTONLY (3.30), SQLITE_DBCONFIG_DQS_DML and _LEGACY_ALTER_TABLE
 * (3.29), sqlite3_stmt_isexplain (3.28), RENAME COLUMN (3.25), UPSERT
 * (3.24), sqlite3_prepare_v3 (3.20). */
#ifndef MIG_SQLITE_MIN_VERSION_NUMBER /* a test raises it (tests/run/20-sqlite-version.t) */
#define MIG_SQLITE_MIN_VERSION_NUMBER 3035005
#define MIG_SQLITE_MIN_VERSION "3.35.5"
#endif

int mig_sqlite_register_ex(sqlite3 *db, char **pzErrMsg, mig_sqlite_host *host)
{
    mig_conn *c;
    int rc = SQLITE_OK, i, n;
    /* a program that compiles mig in (the client) is checked here; the
     * loadable extension already was, in sqlite3_mig_init */
    if (sqlite3_libversion_number() < MIG_SQLITE_MIN_VERSION_NUMBER) {
        if (pzErrMsg)
            *pzErrMsg = sqlite3_mprintf("mig needs SQLite " MIG_SQLITE_MIN_VERSION " or later; this SQLite library is %s",
                                        sqlite3_libversion());
        return SQLITE_ERROR;
    }
    if (!(c = sqlite3_malloc(sizeof *c)))
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->db = db;
    c->refs = 1; /* held until the end of this function */
    c->saved_timeout = -1;
    if (host) {
        c->progress = host->progress;
        c->progress_arg = host->progress_arg;
        c->last_err = host->last_err;
        c->keep_statements = host->keep_statements;
        host->conn = c;
    }
    {
        struct passwd pw, *res = NULL;
        char buf[1024];
        if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
            snprintf(c->user, sizeof c->user, "%s", res->pw_name);
    }
    for (i = 0; rc == SQLITE_OK && i < (int)(sizeof SCALAR_OPS / sizeof SCALAR_OPS[0]); i++) {
        const mig_op_def *d = &mig_op_defs[SCALAR_OPS[i]];
        for (n = d->nfixed; rc == SQLITE_OK && n <= d->nfixed + 1; n++) /* opts is optional */
            rc = reg(db, c, d->name, SCALAR_OPS[i], d->writes, n, fn_main);
    }
    if (rc == SQLITE_OK)
        rc = reg(db, c, "mig_x", MIG_OP_CURRENT, 0, 1, fn_x);
    for (n = 2; rc == SQLITE_OK && n <= 3; n++)
        rc = sqlite3_create_function_v2(db, "mig_batch", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        mig_batch_sqlite_fn, NULL, NULL, NULL);
    for (n = 2; rc == SQLITE_OK && n <= 3; n++)
        rc = sqlite3_create_function_v2(db, "mig_diff", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        mig_diff_sqlite_fn, NULL, NULL, NULL);
    for (n = 0; rc == SQLITE_OK && n <= 1; n++)
        rc = sqlite3_create_function_v2(db, "mig_snapshot", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        mig_snapshot_sqlite_fn, NULL, NULL, NULL);
    for (n = 1; rc == SQLITE_OK && n <= 2; n++)
        rc = sqlite3_create_function_v2(db, "mig_snapshot_sql", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        mig_snapshot_sql_sqlite_fn, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        c->refs++;
        rc = sqlite3_create_module_v2(db, "mig_plan", &PLAN_MODULE, c, module_destroy);
    }
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg = sqlite3_mprintf("mig: cannot register its functions: %s", sqlite3_errstr(rc));
    conn_unref(c);
    return rc;
}

#ifndef SQLITE_CORE

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_mig_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi)
{
    SQLITE_EXTENSION_INIT2(pApi);
    /* before anything else: an older library's routine table ends before
     * the newer routines mig calls */
    if (sqlite3_libversion_number() < MIG_SQLITE_MIN_VERSION_NUMBER) {
        if (pzErrMsg)
            *pzErrMsg = sqlite3_mprintf("mig needs SQLite " MIG_SQLITE_MIN_VERSION " or later; this SQLite library is %s",
                                        sqlite3_libversion());
        return SQLITE_ERROR;
    }
    return mig_sqlite_register(db, pzErrMsg);
}
#endif

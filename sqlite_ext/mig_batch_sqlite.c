/*
 * mig_batch_sqlite.c — mig_batch(table, actions [, opts]) for SQLite.
 *
 * Reads the table's schema, lets core/batch.c plan, and runs the plan in
 * one savepoint: renames of columns first (SQLite's RENAME COLUMN keeps
 * indexes, triggers and views in step), then SQLite's ADD/DROP COLUMN or one
 * rebuild, then a rename of the table.  During a rebuild foreign-key
 * enforcement and ALTER TABLE's rewriting of other objects are switched off
 * with sqlite3_db_config() — which, unlike PRAGMA foreign_keys, works inside
 * a transaction — so dropping the old table never cascades into child
 * tables; afterwards views must compile and, if enforcement was on,
 * foreign_key_check must find nothing, or everything rolls back.
 */
#ifndef SQLITE_CORE
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include "batch.h"
#include "sqltok.h"
#include "mig_sqlite.h"
#include "opts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *bq_alloc(void *ud, size_t n)
{
    (void)ud;
    return sqlite3_malloc64(n);
}
static void bq_free(void *ud, void *p)
{
    (void)ud;
    sqlite3_free(p);
}
static const mig_allocator BQ_ALLOC = {bq_alloc, bq_free, NULL};

typedef struct {
    sqlite3 *db;
    mig_arena *ar;
    mig_err *err;
} bctx;

static int bfail(bctx *b, const char *what)
{
    int code = sqlite3_extended_errcode(b->db) & 0xff;
    if (code == SQLITE_LOCKED)
        return mig_fail(b->err, MIG_E_USAGE,
                        "mig_batch: %s: %s; SQLite cannot drop or rebuild a table while another statement on this "
                        "connection is reading; call mig_batch() as a statement of its own",
                        what, sqlite3_errmsg(b->db));
    return mig_fail(b->err, code == SQLITE_BUSY ? MIG_E_LOCK : MIG_E_SQL, "mig_batch: %s: %s", what,
                    sqlite3_errmsg(b->db));
}

/*
 * Run one generated statement.  The actions' texts (column definitions,
 * USING, DEFAULT and CHECK expressions) are pasted into it, so it must be
 * exactly one statement in SQLite's own reading, with no parameters: text
 * that SQLite tokenizes differently from core's batch parser (`$a(')` is
 * one parameter token to SQLite) is refused here, before anything runs.
 */
static int exec1(bctx *b, const char *sql)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL, *end = sql + strlen(sql), *rest;
    char what[300];
    int rc;
    snprintf(what, sizeof what, "%.200s%s", sql, strlen(sql) > 200 ? "..." : "");
    if (sqlite3_prepare_v2(b->db, sql, (int)(end - sql) + 1, &st, &tail) != SQLITE_OK)
        return bfail(b, what);
    rest = tail ? tail : end;
    for (;;) { /* only white space, comments and ';' may follow */
        rest = mig_sql_skip_blank(rest, end);
        if (rest < end && *rest == ';')
            rest++;
        else
            break;
    }
    if (!st || rest < end || sqlite3_bind_parameter_count(st) > 0) {
        sqlite3_finalize(st);
        return mig_fail(b->err, MIG_E_INPUT,
                        "mig_batch: an action does not read as one %s in SQLite (a parameter such as $name(...) "
                        "or :name, an unbalanced quote or ';' in an expression?); nothing was changed: %s",
                        !st || rest < end ? "statement" : "expression without parameters", what);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return bfail(b, what);
    return 0;
}

/* Rows of a query with one text parameter: each row's columns (up to 4) as strings. */
typedef int (*brow_fn)(bctx *b, void *arg, const char *const *v);

static int query(bctx *b, const char *sql, const char *param, brow_fn fn, void *arg)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK)
        return bfail(b, "reading the schema");
    if (param)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v[4];
        int k, n = sqlite3_column_count(st);
        for (k = 0; k < 4; k++) {
            const unsigned char *t = k < n ? sqlite3_column_text(st, k) : NULL;
            v[k] = t ? mig_strdup(b->ar, (const char *)t) : NULL;
        }
        if (fn(b, arg, v)) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return bfail(b, "reading the schema");
    return 0;
}

typedef struct {
    mig_schema_obj *v;
    int n, cap;
} objs;

static int obj_row(bctx *b, void *arg, const char *const *v)
{
    objs *o = arg;
    if (o->n == o->cap) {
        int nc = o->cap ? o->cap * 2 : 16;
        mig_schema_obj *nv = mig_alloc(b->ar, sizeof(*nv) * (size_t)nc);
        if (!nv)
            return mig_fail(b->err, MIG_E_NOMEM, "out of memory");
        if (o->n)
            memcpy(nv, o->v, sizeof(*nv) * (size_t)o->n);
        o->v = nv;
        o->cap = nc;
    }
    o->v[o->n].type = v[0];
    o->v[o->n].name = v[1];
    o->v[o->n].tbl_name = v[2];
    o->v[o->n].sql = v[3];
    o->n++;
    return 0;
}

typedef struct {
    mig_fk_ref *v;
    int n, cap;
} refs;

static int ref_row(bctx *b, void *arg, const char *const *v)
{
    refs *r = arg;
    if (r->n == r->cap) {
        int nc = r->cap ? r->cap * 2 : 8;
        mig_fk_ref *nv = mig_alloc(b->ar, sizeof(*nv) * (size_t)nc);
        if (!nv)
            return mig_fail(b->err, MIG_E_NOMEM, "out of memory");
        if (r->n)
            memcpy(nv, r->v, sizeof(*nv) * (size_t)r->n);
        r->v = nv;
        r->cap = nc;
    }
    r->v[r->n].child = v[0];
    r->v[r->n].from = v[1];
    r->v[r->n].to = v[2];
    r->v[r->n].id = v[3] ? atoi(v[3]) : 0;
    r->n++;
    return 0;
}

static int one_row(bctx *b, void *arg, const char *const *v)
{
    const char **out = arg;
    (void)b;
    *out = v[0] ? v[0] : "";
    return 0;
}

/* The table's CREATE TABLE and its real name, or an error naming it. */
static int find_table(bctx *b, const char *name, const char **real, const char **sql)
{
    objs o = {0};
    if (query(b, "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE type = 'table' AND name = ?1 COLLATE "
                 "NOCASE",
              name, obj_row, &o))
        return -1;
    if (o.n == 0)
        return mig_fail(b->err, MIG_E_INPUT, "mig_batch: no table \"%s\" in the main database", name);
    if (!o.v[0].sql || strncmp(o.v[0].name, "sqlite_", 7) == 0)
        return mig_fail(b->err, MIG_E_INPUT, "mig_batch: table \"%s\" is internal to SQLite", name);
    {
        objs t = {0};
        if (query(b, "SELECT type, name, tbl_name, sql FROM temp.sqlite_master WHERE type = 'table' AND name = ?1 "
                     "COLLATE NOCASE",
                  name, obj_row, &t))
            return -1;
        if (t.n)
            return mig_fail(b->err, MIG_E_INPUT,
                            "mig_batch: a TEMP table \"%s\" shadows main.%s on this connection, and SQLite would "
                            "resolve the table's indexes, triggers and views to it while altering; drop the TEMP "
                            "table first",
                            t.v[0].name, o.v[0].name);
    }
    *real = o.v[0].name;
    *sql = o.v[0].sql;
    return 0;
}

static int read_schema(bctx *b, const char *table, mig_batch_schema *s)
{
    objs idx = {0}, trg = {0}, oth = {0}, all = {0};
    refs r = {0};
    const char *seq = NULL;
    int i;
    memset(s, 0, sizeof *s);
    if (query(b, "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ?1",
              table, obj_row, &idx) ||
        query(b, "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
              table, obj_row, &trg) ||
        query(b,
              "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE type IN ('view', 'trigger') AND "
              "tbl_name <> ?1",
              table, obj_row, &oth) ||
        query(b, "SELECT type, name, tbl_name, sql FROM main.sqlite_master", NULL, obj_row, &all) ||
        query(b,
              "SELECT m.name, f.\"from\", f.\"to\", f.id FROM main.sqlite_master AS m, pragma_foreign_key_list(m.name) AS "
              "f WHERE m.type = 'table' AND m.name <> ?1 AND f.\"table\" = ?1 COLLATE NOCASE",
              table, ref_row, &r))
        return -1;
    for (i = 0; i < all.n; i++)
        if (strcmp(all.v[i].name, "sqlite_sequence") == 0 &&
            query(b, "SELECT count(*) FROM main.sqlite_sequence WHERE name = ?1", table, one_row, &seq))
            return -1;
    s->indexes = idx.v;
    s->nindexes = idx.n;
    s->triggers = trg.v;
    s->ntriggers = trg.n;
    s->others = oth.v;
    s->nothers = oth.n;
    s->refs = r.v;
    s->nrefs = r.n;
    s->names = mig_alloc(b->ar, sizeof(char *) * (size_t)(all.n + 1));
    if (!s->names)
        return mig_fail(b->err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < all.n; i++)
        s->names[i] = all.v[i].name;
    s->nnames = all.n;
    s->has_sequence = seq && strcmp(seq, "0") != 0;
    return 0;
}

static int run_all(bctx *b, const mig_strlist *l)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (exec1(b, l->v[i]))
            return -1;
    return 0;
}

/* After a rebuild: views compile, foreign keys hold. */
static int verify(bctx *b, const mig_batch_plan *p, const char *table, int fk_on)
{
    int i;
    for (i = 0; i < p->views.n; i++) {
        sqlite3_stmt *st = NULL;
        char *q = sqlite3_mprintf("SELECT * FROM main.\"%w\" LIMIT 0", p->views.v[i]);
        int rc, dqs = 0;
        /* a "column" that no longer exists must not pass as a string literal */
        sqlite3_db_config(b->db, SQLITE_DBCONFIG_DQS_DML, -1, &dqs);
        sqlite3_db_config(b->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)0);
        rc = q ? sqlite3_prepare_v2(b->db, q, -1, &st, NULL) : SQLITE_NOMEM;
        sqlite3_db_config(b->db, SQLITE_DBCONFIG_DQS_DML, dqs, (int *)0);
        sqlite3_free(q);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return mig_fail(b->err, MIG_E_SQL, "mig_batch: view %s needs what the change to %s removes: %s",
                            p->views.v[i], table, sqlite3_errmsg(b->db));
    }
    if (!fk_on)
        return 0;
    for (i = 0; i < p->fk_tables.n; i++) {
        const char *n = NULL;
        if (query(b, "SELECT count(*) FROM pragma_foreign_key_check(?1)", p->fk_tables.v[i], one_row, &n)) {
            mig_fail(b->err, MIG_E_SQL, "mig_batch: the foreign keys of table %s no longer match the new %s: %s",
                     p->fk_tables.v[i], table, sqlite3_errmsg(b->db));
            return -1;
        }
        if (n && strcmp(n, "0") != 0)
            return mig_fail(b->err, MIG_E_SQL,
                            "mig_batch: FOREIGN KEY constraint failed: the new %s would leave %s row(s) of table %s "
                            "without their parent",
                            table, n, p->fk_tables.v[i]);
    }
    return 0;
}

/* Run a rebuild's statements with foreign-key enforcement and ALTER's rewriting off, then verify. */
static int run_rebuild(bctx *b, const mig_batch_plan *plan, const char *table)
{
    int fk_on = 0, rc;
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &fk_on);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, (int *)0);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 1, (int *)0);
    rc = run_all(b, &plan->stmts);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0, (int *)0);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_ENABLE_FKEY, fk_on, (int *)0);
    if (rc || verify(b, plan, table, fk_on))
        return -1;
    return 0;
}

/* The "create" option: rebuild the table to the given CREATE TABLE; the actions must be empty. */
static int batch_create(bctx *b, const char *table_arg, const char *actions_text, size_t alen, const char *create,
                        const char **strategy)
{
    mig_batch_schema sch;
    mig_batch_plan plan;
    const char *table, *sql, *p = mig_sql_skip_blank(actions_text, actions_text + alen);
    if (p < actions_text + alen)
        return mig_fail(b->err, MIG_E_INPUT,
                        "mig_batch: with the \"create\" option the actions must be empty (''): the new CREATE TABLE "
                        "says everything");
    if (find_table(b, table_arg, &table, &sql) || read_schema(b, table, &sch))
        return -1;
    sch.table_sql = sql;
    if (mig_batch_plan_create(b->ar, table, create, &sch, &plan, b->err))
        return -1;
    *strategy = "rebuild";
    return run_rebuild(b, &plan, table);
}

static int batch_steps(bctx *b, const char *table_arg, const char *actions_text, size_t alen, const char *create,
                       const char **strategy)
{
    mig_batch_actions acts, rest;
    mig_strlist first = {0}, last = {0};
    mig_batch_schema sch;
    mig_batch_plan plan;
    const char *table, *sql;

    if (create)
        return batch_create(b, table_arg, actions_text, alen, create, strategy);
    if (mig_batch_parse(b->ar, actions_text, alen, &acts, b->err) || find_table(b, table_arg, &table, &sql))
        return -1;
    if (mig_batch_split(b->ar, table, sql, &acts, &first, &rest, &last, b->err))
        return -1;
    *strategy = "native";
    if (run_all(b, &first))
        return -1;
    if (rest.n) {
        if (first.n && find_table(b, table, &table, &sql))
            return -1;
        if (read_schema(b, table, &sch))
            return -1;
        sch.table_sql = sql;
        if (mig_batch_plan_sqlite(b->ar, table, &rest, &sch, &plan, b->err))
            return -1;
        if (plan.rebuild) {
            *strategy = "rebuild";
            if (run_rebuild(b, &plan, table))
                return -1;
        } else if (run_all(b, &plan.stmts))
            return -1;
    }
    return run_all(b, &last);
}

/* SQLite's own ALTER must rewrite views, triggers and foreign keys: run
 * with the legacy behaviour off whatever the caller set, and restore it. */
static int batch(bctx *b, const char *table_arg, const char *actions_text, size_t alen, const char *create,
                 const char **strategy)
{
    int legacy = 0, rc;
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &legacy);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0, (int *)0);
    rc = batch_steps(b, table_arg, actions_text, alen, create, strategy);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, legacy, (int *)0);
    return rc;
}

/*
 * mig_batch's own option "create" (a string: the complete CREATE TABLE to
 * rebuild the table to) is taken out of the opts object; the rest goes to
 * the usual options parser.  *create is NULL when not given.
 */
static int take_create(mig_arena *ar, const char *json, const char **create, const char **rest, mig_err *err)
{
    json_error_t jerr;
    json_t *root, *v;
    char *dump;
    *create = NULL;
    *rest = json;
    if (!json || !*json)
        return 0;
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root) || !(v = json_object_get(root, "create"))) {
        json_decref(root);
        return 0; /* the options parser reports what is wrong */
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v)) {
        json_decref(root);
        return mig_fail(err, MIG_E_INPUT, "mig_batch: option \"create\" must be a CREATE TABLE statement (a string)");
    }
    *create = mig_strdup(ar, json_string_value(v));
    json_object_del(root, "create");
    dump = json_dumps(root, JSON_COMPACT);
    *rest = dump ? mig_strdup(ar, dump) : NULL;
    free(dump);
    json_decref(root);
    if (!*create || !*rest)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    return 0;
}

void mig_batch_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    mig_arena ar;
    mig_err err;
    mig_opts o;
    bctx b;
    const char *table = (const char *)sqlite3_value_text(argv[0]);
    const char *actions = (const char *)sqlite3_value_text(argv[1]);
    const char *strategy = NULL, *create = NULL, *optjson = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
    int rc;
    mig_arena_init(&ar, &BQ_ALLOC);
    mig_err_clear(&err);
    b.db = db;
    b.ar = &ar;
    b.err = &err;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_error(ctx, "mig_batch(table, actions [, opts]): table and actions must not be NULL", -1);
        mig_arena_free(&ar);
        return;
    }
    if (take_create(&ar, optjson, &create, &optjson, &err) || mig_opts_parse(&ar, optjson, &o, &err)) {
        sqlite3_result_error(ctx, err.msg, -1);
        mig_arena_free(&ar);
        return;
    }
    if (sqlite3_exec(db, "SAVEPOINT mig_batch", NULL, NULL, NULL) != SQLITE_OK) {
        bfail(&b, "cannot open a savepoint");
        sqlite3_result_error(ctx, err.msg, -1);
        mig_arena_free(&ar);
        return;
    }
    rc = batch(&b, table, actions, (size_t)sqlite3_value_bytes(argv[1]), create, &strategy);
    if (rc == 0 && sqlite3_exec(db, "RELEASE mig_batch", NULL, NULL, NULL) != SQLITE_OK)
        rc = bfail(&b, "cannot release the savepoint");
    if (rc) {
        sqlite3_exec(db, "ROLLBACK TO mig_batch", NULL, NULL, NULL);
        sqlite3_exec(db, "RELEASE mig_batch", NULL, NULL, NULL);
        {
            char *m = sqlite3_mprintf("%s%s%s", err.msg, err.hint[0] ? "\nHINT: " : "", err.hint);
            sqlite3_result_error(ctx, m ? m : err.msg, -1);
            sqlite3_free(m);
        }
        if (err.code == MIG_E_NOMEM)
            sqlite3_result_error_nomem(ctx);
    } else
        sqlite3_result_text(ctx, strategy, -1, SQLITE_STATIC);
    mig_arena_free(&ar);
}

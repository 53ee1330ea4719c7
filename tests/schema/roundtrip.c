/*
 * roundtrip.c — the round-trip property of mig's autogenerate on SQLite.
 *
 * For each seed: a random schema A and a random edit of it, B (gen.c),
 * each rendered to SQL in a random style.  A fresh in-memory database with
 * mig loaded (sqlite3_load_extension) is built from A and filled with a few
 * random rows that both A and B accept; then, as a user would check it:
 *
 *   - mig_snapshot() equals mig_snapshot_sql(A), and a second spelling of A
 *     gives the same snapshot;
 *   - mig_diff(snapA, snapA) and mig_diff(snapB, snapB) are '';
 *   - mig_diff(snapA, snapB, hints) is '' exactly when the snapshots are equal;
 *   - the body, uploaded as a revision and run with mig_upgrade('head'),
 *     gives a database whose mig_snapshot() is snapB byte for byte and which
 *     still holds every row of A (in the columns A and B share);
 *   - mig_downgrade('base') gives snapA back, and the rows.
 *
 * A failure prints the seed, both schemas, the body and the first
 * difference, then shrinks the pair (drops tables, columns, indexes, views,
 * triggers, constraints and rows while the same check fails) and prints the
 * small case.  `roundtrip --seed N --count 1` reproduces seed N.
 *
 * usage: roundtrip [--seed N] [--count N] [--seeds N,N,...] [--verbose]
 *                  [--ext PATH] [--gen-only] [--no-options-edit] [--plain-view-names]
 *                  [--no-shrink] [--findings FILE]
 * --no-options-edit: no edit toggles STRICT or WITHOUT ROWID;
 * --plain-view-names: names in view and trigger bodies are never quoted
 * unless they must be (to look past a known finding while exploring);
 * --self-test-lose-row: delete a row of each table after the upgrade, to
 * show that the row check sees a loss.
 * exit: 0 all passed; 1 a failure; 2 the mig functions are missing (the
 * output says which).
 */
#include "gen.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXROWS 5

/* ------------------------------------------------------------ options */

static struct {
    const char *ext;
    int verbose, gen_only, shrink;
    int lose_row;            /* --self-test-lose-row: delete a row after each upgrade (the check must see it) */
    const char *findings;
    g_flags fl;
} opt = {"./sqlite_ext/mig", 0, 0, 1, 0, NULL, {0}};

static int have_snap, have_diff;
static long rows_checked;   /* rows of A found again after an upgrade (a sanity figure) */

/* ---------------------------------------------------------- utilities */

typedef struct { char *p; size_t n, cap; } buf;

static void bput(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "out of memory\n");
            exit(3);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *tmp = malloc((size_t)n + 1);
    if (!tmp)
        exit(3);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bput(b, tmp, (size_t)n);
    free(tmp);
}

static void qid(buf *b, const char *name)
{
    bput(b, "\"", 1);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            bput(b, "\"", 1);
        bput(b, p, 1);
    }
    bput(b, "\"", 1);
}

static void json_str(buf *b, const char *s)
{
    bput(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            bput(b, "\\", 1);
        bput(b, p, 1);
    }
    bput(b, "\"", 1);
}

/* ------------------------------------------------------------- values */

typedef struct {
    int t;                   /* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL */
    sqlite3_int64 i;
    double d;
    char s[24];
    int n;                   /* bytes of a blob / text */
} val;

static void val_bind(sqlite3_stmt *st, int k, const val *v)
{
    switch (v->t) {
    case SQLITE_INTEGER: sqlite3_bind_int64(st, k, v->i); break;
    case SQLITE_FLOAT: sqlite3_bind_double(st, k, v->d); break;
    case SQLITE_TEXT: sqlite3_bind_text(st, k, v->s, v->n, SQLITE_TRANSIENT); break;
    case SQLITE_BLOB: sqlite3_bind_blob(st, k, v->s, v->n, SQLITE_TRANSIENT); break;
    default: sqlite3_bind_null(st, k); break;
    }
}

static void val_read(sqlite3_stmt *st, int k, val *v)
{
    memset(v, 0, sizeof *v);
    v->t = sqlite3_column_type(st, k);
    switch (v->t) {
    case SQLITE_INTEGER: v->i = sqlite3_column_int64(st, k); break;
    case SQLITE_FLOAT: v->d = sqlite3_column_double(st, k); break;
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        const void *p = v->t == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, k) : sqlite3_column_blob(st, k);
        int n = sqlite3_column_bytes(st, k);
        if (n > (int)sizeof v->s - 1)
            n = (int)sizeof v->s - 1;
        if (p && n)
            memcpy(v->s, p, (size_t)n);
        v->n = n;
        break;
    }
    default: break;
    }
}

static void val_fmt(buf *b, const val *v)
{
    switch (v->t) {
    case SQLITE_INTEGER: bprintf(b, "%lld", (long long)v->i); break;
    case SQLITE_FLOAT: bprintf(b, "%.17g", v->d); break;
    case SQLITE_TEXT: bprintf(b, "'%.*s'", v->n, v->s); break;
    case SQLITE_BLOB:
        bput(b, "x'", 2);
        for (int i = 0; i < v->n; i++)
            bprintf(b, "%02x", (unsigned char)v->s[i]);
        bput(b, "'", 1);
        break;
    default: bput(b, "NULL", 4); break;
    }
}

/* ------------------------------------------------------------ the pair */

typedef struct {
    g_schema A, B;
    char edits[1024];
    int no_rows;             /* the shrinker's "without data" */
    uint64_t data_seed, style_seed;
} pair;

/* rows of A's tables (index = A's table index) */
typedef struct {
    int n[G_MAXT];
    int acc[G_MAXT][MAXROWS];
    val a[G_MAXT][MAXROWS][G_MAXC];    /* as A stored them (A's column index) */
    val b[G_MAXT][MAXROWS][G_MAXC];    /* as B stored them (B's column index) */
    val a2[G_MAXT][MAXROWS][G_MAXC];   /* back in A (A's column index) */
} rowset;

enum {
    F_OK, F_GEN_A, F_GEN_B, F_DATA, F_SNAP_ERR, F_SNAP_SQL, F_SPELLING, F_DIFF_ERR, F_DIFF_SELF, F_DIFF_EMPTY,
    F_DIFF_NOCHANGE, F_UPGRADE, F_AFTER_UP, F_ROWS_UP, F_DOWNGRADE, F_AFTER_DOWN, F_ROWS_DOWN, F_COUNT
};
static const char *const FNAME[F_COUNT] = {
    "ok", "generator: A is not valid SQLite", "generator: B is not valid SQLite", "harness: rows of A cannot be inserted",
    "mig_snapshot/mig_snapshot_sql failed", "mig_snapshot() differs from mig_snapshot_sql(A)",
    "two spellings of A give different snapshots", "mig_diff failed", "mig_diff(X, X) is not empty",
    "mig_diff is empty but the snapshots differ", "mig_diff is not empty but the snapshots are equal",
    "the upgrade fails", "after the upgrade mig_snapshot() differs from B", "after the upgrade rows of A are missing",
    "the downgrade fails", "after the downgrade mig_snapshot() differs from A", "after the downgrade rows of A are missing",
};

typedef struct {
    int code;
    buf msg;                 /* what went wrong */
    char *sqlA, *sqlA2, *sqlB, *hints, *body, *snapA, *snapB, *got;
} result;

static void result_free(result *r)
{
    free(r->msg.p);
    free(r->sqlA), free(r->sqlA2), free(r->sqlB), free(r->hints), free(r->body);
    free(r->snapA), free(r->snapB), free(r->got);
    memset(r, 0, sizeof *r);
}

static int fail(result *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(result *r, int code, const char *fmt, ...)
{
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    bput(&r->msg, tmp, strlen(tmp));
    return code;
}

/* ------------------------------------------------------------ sqlite */

static sqlite3 *open_db(int with_mig, char **err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        *err = strdup("cannot open an in-memory database");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    if (with_mig) {
        char *e = NULL;
        sqlite3_enable_load_extension(db, 1);
        if (sqlite3_load_extension(db, opt.ext, NULL, &e) != SQLITE_OK) {
            *err = strdup(e ? e : "load failed");
            sqlite3_free(e);
            sqlite3_close(db);
            return NULL;
        }
    }
    return db;
}

/* first column of the first row as a malloc'd string; NULL on error (message in *err) */
static char *query1(sqlite3 *db, const char *sql, const char *p1, const char *p2, const char *p3, char **err)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    *err = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *err = strdup(sqlite3_errmsg(db));
        return NULL;
    }
    if (p1)
        sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
    if (p2)
        sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
    if (p3)
        sqlite3_bind_text(st, 3, p3, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        out = strdup(t ? (const char *)t : "");
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        free(out);
        out = NULL;
        *err = strdup(sqlite3_errmsg(db));
    } else if (!out)
        out = strdup("");
    sqlite3_finalize(st);
    return out;
}

static int exec_sql(sqlite3 *db, const char *sql, char **err)
{
    char *e = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
        *err = strdup(e ? e : sqlite3_errmsg(db));
        sqlite3_free(e);
        return -1;
    }
    return 0;
}

/* does `sql` build in a plain database (and do its views and triggers compile) */
static int valid_sql(const char *sql, char **err)
{
    sqlite3 *db = open_db(0, err);
    if (!db)
        return 0;
    int ok = exec_sql(db, sql, err) == 0;
    /* views compile only when read; a SELECT from each catches a bad one */
    if (ok) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'view'", -1, &st, NULL) == SQLITE_OK) {
            while (ok && sqlite3_step(st) == SQLITE_ROW) {
                buf q = {0};
                bprintf(&q, "SELECT * FROM ");
                qid(&q, (const char *)sqlite3_column_text(st, 0));
                sqlite3_stmt *v;
                if (sqlite3_prepare_v2(db, q.p, -1, &v, NULL) != SQLITE_OK) {
                    *err = strdup(sqlite3_errmsg(db));
                    ok = 0;
                }
                sqlite3_finalize(v);
                free(q.p);
            }
            sqlite3_finalize(st);
        }
    }
    if (ok) {   /* integrity of foreign keys as declared: a mismatch shows on use */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
            *err = strdup(sqlite3_errmsg(db));
            ok = 0;
        } else {
            if (sqlite3_step(st) == SQLITE_ERROR) {
                *err = strdup(sqlite3_errmsg(db));
                ok = 0;
            }
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return ok;
}

/* ------------------------------------------------------------- rows */

static const char *const TEXTS[] = {"a", "B", "abc", "x y", "", "Zed", "10", "1.5", "never", "A"};

static void gen_value(g_rng *r, int cls, int strict, val *v)
{
    memset(v, 0, sizeof *v);
    if (g_chance(r, 10)) {
        v->t = SQLITE_NULL;
        return;
    }
    if (cls == CL_ANY || (!strict && g_chance(r, 10)))
        cls = g_int(r, 4);
    switch (cls) {
    case CL_INT: v->t = SQLITE_INTEGER; v->i = g_int(r, 200) - 50; break;
    case CL_REAL:
        if (g_chance(r, 30)) {
            v->t = SQLITE_INTEGER;
            v->i = g_int(r, 100);
        } else {
            v->t = SQLITE_FLOAT;
            v->d = (g_int(r, 400) - 100) / 4.0;
        }
        break;
    case CL_TEXT:
        v->t = SQLITE_TEXT;
        snprintf(v->s, sizeof v->s, "%s%s", TEXTS[g_int(r, 10)], g_chance(r, 30) ? "7" : "");
        v->n = (int)strlen(v->s);
        break;
    default:
        v->t = SQLITE_BLOB;
        v->n = 2;
        v->s[0] = (char)g_int(r, 256);
        v->s[1] = (char)g_int(r, 256);
        break;
    }
}

/* RETURNING reports a value before some of the column's affinity is applied
 * (40 for a REAL column that stores 40.0, 107.0 for a NUMERIC one that
 * stores 107), so the row just inserted is read again with a SELECT: by its
 * rowid, or in a WITHOUT ROWID table by its primary key. */
static int read_back(sqlite3 *db, const g_table *t, val *out)
{
    buf q = {0};
    bprintf(&q, "SELECT ");
    int m = 0;
    for (int i = 0; i < t->nc; i++)
        if (!t->c[i].gen) {
            if (m++)
                bput(&q, ", ", 2);
            qid(&q, t->c[i].name);
        }
    bprintf(&q, " FROM ");
    qid(&q, t->name);
    if (t->without_rowid) {
        for (int k = 0; k < t->pk.n; k++) {
            bprintf(&q, k ? " AND " : " WHERE ");
            qid(&q, t->c[g_col_index(t, t->pk.cols[k])].name);
            bprintf(&q, " = ?");
        }
    } else
        bprintf(&q, " WHERE rowid = last_insert_rowid()");
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) == SQLITE_OK) {
        if (t->without_rowid)
            for (int k = 0; k < t->pk.n; k++)
                val_bind(st, k + 1, &out[g_col_index(t, t->pk.cols[k])]);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int j = 0;
            for (int i = 0; i < t->nc; i++)
                if (!t->c[i].gen)
                    val_read(st, j++, &out[i]);
            ok = 1;
        }
    }
    sqlite3_finalize(st);
    free(q.p);
    return ok;
}

/* INSERT INTO t (non-generated columns present in `vals`) VALUES (...)
 * RETURNING every non-generated column of t.  have[i]: column i of t gets
 * vals[i], else its default.  Returns 1 when a row went in (out filled). */
static int insert_row(sqlite3 *db, const g_table *t, const val *vals, const int *have, val *out)
{
    buf q = {0};
    bprintf(&q, "INSERT INTO ");
    qid(&q, t->name);
    int n = 0;
    for (int i = 0; i < t->nc; i++)
        if (!t->c[i].gen && have[i]) {
            bput(&q, n ? ", " : " (", n ? 2 : 2);
            qid(&q, t->c[i].name);
            n++;
        }
    if (n) {
        bput(&q, ") VALUES (", 10);
        for (int i = 0; i < n; i++)
            bput(&q, i ? ", ?" : "?", i ? 3 : 1);
        bput(&q, ")", 1);
    } else
        bput(&q, " DEFAULT VALUES", 15);
    bput(&q, " RETURNING ", 11);
    int m = 0;
    for (int i = 0; i < t->nc; i++)
        if (!t->c[i].gen) {
            if (m++)
                bput(&q, ", ", 2);
            qid(&q, t->c[i].name);
        }
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) == SQLITE_OK) {
        int k = 1;
        for (int i = 0; i < t->nc; i++)
            if (!t->c[i].gen && have[i])
                val_bind(st, k++, &vals[i]);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int j = 0;
            for (int i = 0; i < t->nc; i++)
                if (!t->c[i].gen)
                    val_read(st, j++, &out[i]);
            ok = sqlite3_step(st) == SQLITE_DONE;
        }
    }
    sqlite3_finalize(st);
    free(q.p);
    if (ok)
        ok = read_back(db, t, out);
    return ok;
}

/* candidate rows of A, inserted one by one into A's tables: what A accepts */
static int make_rows(const pair *p, rowset *rs)
{
    g_rng r;
    g_seed(&r, p->data_seed);
    memset(rs, 0, sizeof *rs);
    if (p->no_rows)
        return 0;
    const g_schema *A = &p->A;
    char *err = NULL, *sql = g_render_tables(A);
    sqlite3 *db = open_db(0, &err);
    if (!db || exec_sql(db, sql, &err)) {
        free(sql);
        free(err);
        sqlite3_close(db);
        return -1;
    }
    free(sql);
    for (int ti = 0; ti < A->nt; ti++) {
        const g_table *t = &A->t[ti];
        int ncand = g_int(&r, MAXROWS + 1);
        for (int ri = 0; ri < ncand; ri++) {
            for (int tries = 0; tries < 4; tries++) {
                val vals[G_MAXC];
                int have[G_MAXC];
                for (int i = 0; i < t->nc; i++) {
                    gen_value(&r, g_type_class(t->c[i].type), t->strict, &vals[i]);
                    have[i] = !g_chance(&r, 5);
                }
                /* foreign keys: mostly the key of a parent row already in */
                for (int f = 0; f < t->nf; f++) {
                    const g_fk *fk = &t->f[f];
                    int pi = -1;
                    for (int k = 0; k < A->nt; k++)
                        if (A->t[k].id == fk->ref)
                            pi = k;
                    if (pi < 0 || pi > ti || !g_chance(&r, 75))
                        continue;
                    int cands[MAXROWS], nc = 0;
                    for (int k = 0; k < (pi == ti ? ri : rs->n[pi]); k++)
                        if (rs->acc[pi][k])
                            cands[nc++] = k;
                    if (!nc)
                        continue;
                    int row = cands[g_int(&r, nc)];
                    for (int j = 0; j < fk->n; j++) {
                        int ci = g_col_index(t, fk->cols[j]), pci = g_col_index(&A->t[pi], fk->ref_cols[j]);
                        if (ci >= 0 && pci >= 0) {
                            vals[ci] = rs->a[pi][row][pci];
                            have[ci] = 1;
                        }
                    }
                }
                if (insert_row(db, t, vals, have, rs->a[ti][ri])) {
                    rs->acc[ti][ri] = 1;
                    break;
                }
            }
            rs->n[ti] = ri + 1;
        }
    }
    sqlite3_close(db);
    return 0;
}

static int table_index(const g_schema *s, int id)
{
    for (int i = 0; i < s->nt; i++)
        if (s->t[i].id == id)
            return i;
    return -1;
}

/* the column of `to` with the id of column ci of `from`, non-generated in both; -1 */
static int common_col(const g_table *from, int ci, const g_table *to)
{
    if (from->c[ci].gen)
        return -1;
    int j = g_col_index(to, from->c[ci].id);
    return j >= 0 && !to->c[j].gen ? j : -1;
}

/* Keep only rows that A and B both accept, there and back, until stable. */
static int settle_rows(const pair *p, rowset *rs)
{
    const g_schema *A = &p->A, *B = &p->B;
    char *sqlA = g_render_tables(A), *sqlB = g_render_tables(B);
    int stable = 0;
    for (int iter = 0; iter < 8 && !stable; iter++) {
        int changed = 0;
        char *err = NULL;
        /* A alone (rows dropped earlier may have been parents) */
        sqlite3 *db = open_db(0, &err);
        if (!db || exec_sql(db, sqlA, &err))
            goto broken;
        for (int ti = 0; ti < A->nt; ti++) {
            int have[G_MAXC];
            for (int i = 0; i < G_MAXC; i++)
                have[i] = 1;
            for (int ri = 0; ri < rs->n[ti]; ri++) {
                val out[G_MAXC];
                if (rs->acc[ti][ri] && !insert_row(db, &A->t[ti], rs->a[ti][ri], have, out))
                    rs->acc[ti][ri] = 0, changed = 1;
            }
        }
        sqlite3_close(db);
        /* into B */
        db = open_db(0, &err);
        if (!db || exec_sql(db, sqlB, &err))
            goto broken;
        for (int tb = 0; tb < B->nt; tb++) {
            const g_table *bt = &B->t[tb];
            int ta = table_index(A, bt->id);
            if (ta < 0)
                continue;
            const g_table *at = &A->t[ta];
            for (int ri = 0; ri < rs->n[ta]; ri++) {
                if (!rs->acc[ta][ri])
                    continue;
                val vals[G_MAXC];
                int have[G_MAXC] = {0};
                for (int i = 0; i < at->nc; i++) {
                    int j = common_col(at, i, bt);
                    if (j >= 0)
                        vals[j] = rs->a[ta][ri][i], have[j] = 1;
                }
                if (!insert_row(db, bt, vals, have, rs->b[ta][ri]))
                    rs->acc[ta][ri] = 0, changed = 1;
            }
        }
        sqlite3_close(db);
        /* and back into A */
        db = open_db(0, &err);
        if (!db || exec_sql(db, sqlA, &err))
            goto broken;
        for (int ta = 0; ta < A->nt; ta++) {
            const g_table *at = &A->t[ta];
            int tb = table_index(B, at->id);
            for (int ri = 0; ri < rs->n[ta]; ri++) {
                if (!rs->acc[ta][ri])
                    continue;
                if (tb < 0) {
                    rs->acc[ta][ri] = 0, changed = 1;   /* its table is gone in B */
                    continue;
                }
                const g_table *bt = &B->t[tb];
                val vals[G_MAXC];
                int have[G_MAXC] = {0};
                for (int i = 0; i < at->nc; i++) {
                    int j = common_col(at, i, bt);
                    if (j >= 0)
                        vals[i] = rs->b[ta][ri][j], have[i] = 1;
                }
                if (!insert_row(db, at, vals, have, rs->a2[ta][ri]))
                    rs->acc[ta][ri] = 0, changed = 1;
            }
        }
        sqlite3_close(db);
        stable = !changed;
        continue;
    broken:
        free(err);
        sqlite3_close(db);
        free(sqlA);
        free(sqlB);
        return -1;
    }
    if (!stable)
        memset(rs->acc, 0, sizeof rs->acc);
    free(sqlA);
    free(sqlB);
    return 0;
}

/* compare the rows in `db` (table t of schema S) with the expected ones */
static int check_rows(sqlite3 *db, const g_table *t, const g_table *other, const val (*rows)[G_MAXC],
                      const int *acc, int nrows, int rows_in_t, buf *why)
{
    /* columns: those of t that `other` shares */
    int cols[G_MAXC], nc = 0;
    for (int i = 0; i < t->nc; i++)
        if (common_col(t, i, other) >= 0)
            cols[nc++] = i;
    buf q = {0};
    bprintf(&q, "SELECT ");
    for (int k = 0; k < nc; k++) {
        if (k)
            bput(&q, ", ", 2);
        qid(&q, t->c[cols[k]].name);
    }
    if (!nc)
        bput(&q, "1", 1);
    bprintf(&q, " FROM ");
    qid(&q, t->name);
    sqlite3_stmt *st = NULL;
    char *got[64];
    int ngot = 0, ok = 1;
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK) {
        bprintf(why, "%s: %s", q.p, sqlite3_errmsg(db));
        free(q.p);
        return 0;
    }
    while (sqlite3_step(st) == SQLITE_ROW && ngot < 64) {
        buf row = {0};
        bput(&row, "(", 1);
        for (int k = 0; k < nc; k++) {
            val v;
            val_read(st, k, &v);
            if (k)
                bput(&row, ", ", 2);
            val_fmt(&row, &v);
        }
        bput(&row, ")", 1);
        got[ngot++] = row.p;
    }
    sqlite3_finalize(st);
    for (int ri = 0; ri < nrows; ri++) {
        if (!acc[ri])
            continue;
        buf row = {0};
        bput(&row, "(", 1);
        for (int k = 0; k < nc; k++) {
            /* rows are indexed by the columns of t when rows_in_t, else by other's */
            int ci = rows_in_t ? cols[k] : common_col(t, cols[k], other);
            if (k)
                bput(&row, ", ", 2);
            val_fmt(&row, &rows[ri][ci]);
        }
        bput(&row, ")", 1);
        int found = -1;
        for (int g = 0; g < ngot; g++)
            if (got[g] && !strcmp(got[g], row.p)) {
                found = g;
                break;
            }
        if (found < 0) {
            if (ok) {
                bprintf(why, "table %s: row %s is missing; the table holds:", t->name, row.p);
                for (int g = 0; g < ngot; g++)
                    if (got[g])
                        bprintf(why, " %s", got[g]);
            }
            ok = 0;
        } else {
            free(got[found]);
            got[found] = NULL;
        }
        free(row.p);
    }
    for (int g = 0; g < ngot; g++)
        free(got[g]);
    free(q.p);
    return ok;
}

/* ------------------------------------------------------------- hints */

static char *make_hints(const g_schema *A, const g_schema *B)
{
    buf h = {0};
    int n = 0;
    bprintf(&h, "{\"renames\": [");
    for (int i = 0; i < B->nt; i++) {
        const g_table *bt = &B->t[i];
        int ta = table_index(A, bt->id);
        if (ta < 0)
            continue;
        const g_table *at = &A->t[ta];
        if (strcmp(at->name, bt->name)) {
            bprintf(&h, "%s{\"table\": ", n++ ? ", " : "");
            json_str(&h, at->name);
            bprintf(&h, ", \"to\": ");
            json_str(&h, bt->name);
            bprintf(&h, "}");
        }
        for (int c = 0; c < bt->nc; c++) {
            int ac = g_col_index(at, bt->c[c].id);
            if (ac >= 0 && strcmp(at->c[ac].name, bt->c[c].name)) {
                bprintf(&h, "%s{\"table\": ", n++ ? ", " : "");
                json_str(&h, bt->name);
                bprintf(&h, ", \"column\": ");
                json_str(&h, at->c[ac].name);
                bprintf(&h, ", \"to\": ");
                json_str(&h, bt->c[c].name);
                bprintf(&h, "}");
            }
        }
    }
    bprintf(&h, "]}");
    if (!n) {
        free(h.p);
        return NULL;
    }
    return h.p;
}

/* ---------------------------------------------------------- one pair */

static void render_pair(const pair *p, result *res)
{
    g_rng r;
    g_seed(&r, p->style_seed);
    res->sqlA = g_render(&r, &p->A, &opt.fl);
    res->sqlA2 = g_render(&r, &p->A, &opt.fl);
    res->sqlB = g_render(&r, &p->B, &opt.fl);
    res->hints = make_hints(&p->A, &p->B);
}

static int models_equal(const g_schema *A, const g_schema *B)
{
    /* only names and definitions count: next_id is bookkeeping */
    g_schema a = *A, b = *B;
    a.next_id = b.next_id = 0;
    return !memcmp(&a, &b, sizeof a);
}

static int run_pair(const pair *p, result *res)
{
    char *err = NULL;
    render_pair(p, res);
    if (!valid_sql(res->sqlA, &err))
        return fail(res, F_GEN_A, "%s", err), free(err), res->code;
    if (!valid_sql(res->sqlA2, &err))
        return fail(res, F_GEN_A, "second spelling: %s", err), free(err), res->code;
    if (!valid_sql(res->sqlB, &err))
        return fail(res, F_GEN_B, "%s", err), free(err), res->code;

    rowset *rs = calloc(1, sizeof *rs);
    if (!rs)
        exit(3);
    if (make_rows(p, rs) || settle_rows(p, rs)) {
        free(rs);
        return fail(res, F_DATA, "the scratch databases do not build");
    }
    if (opt.gen_only) {
        free(rs);
        return F_OK;
    }

    sqlite3 *db = open_db(1, &err);
    if (!db) {
        free(rs);
        fail(res, F_DATA, "cannot load %s: %s", opt.ext, err);
        free(err);
        return res->code;
    }
    int code = F_OK;
    if (exec_sql(db, res->sqlA, &err)) {
        code = fail(res, F_DATA, "A does not build next to mig: %s", err);
        goto out;
    }
    for (int ti = 0; ti < p->A.nt; ti++) {
        int have[G_MAXC];
        for (int i = 0; i < G_MAXC; i++)
            have[i] = 1;
        for (int ri = 0; ri < rs->n[ti]; ri++) {
            val out[G_MAXC];
            if (rs->acc[ti][ri] && !insert_row(db, &p->A.t[ti], rs->a[ti][ri], have, out)) {
                code = fail(res, F_DATA, "a row of %s does not go in: %s", p->A.t[ti].name, sqlite3_errmsg(db));
                goto out;
            }
        }
    }

    /* snapshots */
    res->snapA = query1(db, "SELECT mig_snapshot()", NULL, NULL, NULL, &err);
    if (!res->snapA) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot(): %s", err);
        goto out;
    }
    char *s1 = query1(db, "SELECT mig_snapshot_sql(?)", res->sqlA, NULL, NULL, &err);
    if (!s1) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot_sql(A): %s", err);
        goto out;
    }
    if (strcmp(s1, res->snapA)) {
        res->got = s1;
        code = fail(res, F_SNAP_SQL, "mig_snapshot() (expected) vs mig_snapshot_sql(A) (got)");
        goto out;
    }
    free(s1);
    res->snapB = query1(db, "SELECT mig_snapshot_sql(?)", res->sqlB, NULL, NULL, &err);
    if (!res->snapB) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot_sql(B): %s", err);
        goto out;
    }
    if (!have_diff)
        goto spelling;

    /* the diff */
    for (int k = 0; k < 2; k++) {
        const char *s = k ? res->snapB : res->snapA;
        char *d = query1(db, "SELECT mig_diff(?, ?)", s, s, NULL, &err);
        if (!d) {
            code = fail(res, F_DIFF_ERR, "mig_diff(%s, %s): %s", k ? "B" : "A", k ? "B" : "A", err);
            goto out;
        }
        if (*d) {
            res->body = d;
            code = fail(res, F_DIFF_SELF, "mig_diff(%s, %s) is not empty", k ? "B" : "A", k ? "B" : "A");
            goto out;
        }
        free(d);
    }
    res->body = res->hints ? query1(db, "SELECT mig_diff(?, ?, ?)", res->snapA, res->snapB, res->hints, &err)
                           : query1(db, "SELECT mig_diff(?, ?)", res->snapA, res->snapB, NULL, &err);
    if (!res->body) {
        code = fail(res, F_DIFF_ERR, "mig_diff(A, B%s): %s", res->hints ? ", hints" : "", err);
        goto out;
    }
    int same = !strcmp(res->snapA, res->snapB);
    if (same && *res->body) {
        code = fail(res, F_DIFF_NOCHANGE, "A and B have equal snapshots");
        goto out;
    }
    if (!same && !*res->body) {
        res->got = strdup(res->snapB);
        code = fail(res, F_DIFF_EMPTY, "snapA (expected) vs snapB (got)");
        goto out;
    }
    if (same && !models_equal(&p->A, &p->B) && opt.verbose)
        printf("# seed note: the edits left an equal snapshot\n");

    /* upgrade through mig's normal path */
    if (*res->body) {
        buf rev = {0};
        bprintf(&rev, "-- mig:revision r1\n-- mig:message roundtrip\n\n%s\n", res->body);
        char *id = query1(db, "SELECT mig_put_revision(?)", rev.p, NULL, NULL, &err);
        free(rev.p);
        if (!id) {
            code = fail(res, F_UPGRADE, "mig_put_revision: %s", err);
            goto out;
        }
        free(id);
        char *h = query1(db, "SELECT mig_upgrade('head')", NULL, NULL, NULL, &err);
        if (!h) {
            code = fail(res, F_UPGRADE, "mig_upgrade('head'): %s", err);
            goto out;
        }
        free(h);
    }
    res->got = query1(db, "SELECT mig_snapshot()", NULL, NULL, NULL, &err);
    if (!res->got) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot() after the upgrade: %s", err);
        goto out;
    }
    if (strcmp(res->got, res->snapB)) {
        code = fail(res, F_AFTER_UP, "snapB (expected) vs mig_snapshot() after the upgrade (got)");
        goto out;
    }
    if (opt.lose_row)
        for (int tb = 0; tb < p->B.nt; tb++) {
            buf q = {0};
            bprintf(&q, "DELETE FROM ");
            qid(&q, p->B.t[tb].name);
            bprintf(&q, " WHERE rowid IN (SELECT rowid FROM ");
            qid(&q, p->B.t[tb].name);
            bprintf(&q, " LIMIT 1)");
            sqlite3_exec(db, q.p, NULL, NULL, NULL);
            free(q.p);
        }
    for (int tb = 0; tb < p->B.nt; tb++) {
        int ta = table_index(&p->A, p->B.t[tb].id);
        if (ta < 0)
            continue;
        buf why = {0};
        if (!check_rows(db, &p->B.t[tb], &p->A.t[ta], (const val(*)[G_MAXC])rs->b[ta], rs->acc[ta], rs->n[ta], 1, &why)) {
            code = fail(res, F_ROWS_UP, "%s", why.p);
            free(why.p);
            goto out;
        }
        for (int ri = 0; ri < rs->n[ta]; ri++)
            rows_checked += rs->acc[ta][ri];
        free(why.p);
    }
    if (*res->body) {
        char *h = query1(db, "SELECT mig_downgrade('base')", NULL, NULL, NULL, &err);
        if (!h) {
            code = fail(res, F_DOWNGRADE, "mig_downgrade('base'): %s", err);
            goto out;
        }
        free(h);
    }
    free(res->got);
    res->got = query1(db, "SELECT mig_snapshot()", NULL, NULL, NULL, &err);
    if (!res->got) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot() after the downgrade: %s", err);
        goto out;
    }
    if (strcmp(res->got, res->snapA)) {
        code = fail(res, F_AFTER_DOWN, "snapA (expected) vs mig_snapshot() after the downgrade (got)");
        goto out;
    }
    for (int ta = 0; ta < p->A.nt; ta++) {
        int tb = table_index(&p->B, p->A.t[ta].id);
        if (tb < 0)
            continue;
        buf why = {0};
        if (!check_rows(db, &p->A.t[ta], &p->B.t[tb], (const val(*)[G_MAXC])rs->a2[ta], rs->acc[ta], rs->n[ta], 1, &why)) {
            code = fail(res, F_ROWS_DOWN, "%s", why.p);
            free(why.p);
            goto out;
        }
        free(why.p);
    }
spelling:
    /* last, so that a spelling difference does not hide a round-trip failure */
    s1 = query1(db, "SELECT mig_snapshot_sql(?)", res->sqlA2, NULL, NULL, &err);
    if (!s1) {
        code = fail(res, F_SNAP_ERR, "mig_snapshot_sql(A, second spelling): %s", err);
        goto out;
    }
    if (strcmp(s1, res->snapA)) {
        free(res->got);
        res->got = s1;
        code = fail(res, F_SPELLING, "first spelling (expected) vs second spelling (got)");
        goto out;
    }
    free(s1);
out:
    free(err);
    sqlite3_close(db);
    free(rs);
    return code;
}

/* ------------------------------------------------------------ reports */

static void print_block(FILE *f, const char *title, const char *text)
{
    fprintf(f, "--- %s ---\n%s%s", title, text ? text : "(none)", text && *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

static void first_diff(FILE *f, const char *want, const char *got)
{
    if (!want || !got)
        return;
    size_t i = 0;
    while (want[i] && want[i] == got[i])
        i++;
    size_t from = i > 120 ? i - 120 : 0;
    fprintf(f, "--- first difference at byte %zu ---\nexpected: ...%.240s\ngot:      ...%.240s\n", i, want + from,
            got + from);
}

static void report(FILE *f, uint64_t seed, const pair *p, const result *res, const char *label)
{
    fprintf(f, "%s seed %llu: %s: %s\n", label, (unsigned long long)seed, FNAME[res->code], res->msg.p ? res->msg.p : "");
    fprintf(f, "edits: %s\nhints: %s\nrows: %s\n", p->edits, res->hints ? res->hints : "(none)",
            p->no_rows ? "none" : "some");
    print_block(f, "A", res->sqlA);
    if (res->code == F_SPELLING || res->code == F_GEN_A)
        print_block(f, "A, second spelling", res->sqlA2);
    print_block(f, "B", res->sqlB);
    if (res->body)
        print_block(f, "body", res->body);
    if (res->got && (res->code == F_SNAP_SQL || res->code == F_SPELLING || res->code == F_DIFF_EMPTY ||
                     res->code == F_AFTER_UP || res->code == F_AFTER_DOWN)) {
        const char *want = res->code == F_AFTER_DOWN || res->code == F_SNAP_SQL || res->code == F_SPELLING ||
                                   res->code == F_DIFF_EMPTY
                               ? res->snapA
                               : res->snapB;
        first_diff(f, want, res->got);
    }
}

/* --------------------------------------------------------- signatures */

/* what kind of failure: the check and its message's first line with names
 * and numbers taken out, so one bug gives one signature */
static void signature(const result *res, char *out, size_t outsz)
{
    const char *m = res->msg.p ? res->msg.p : "";
    size_t n = strcspn(m, "\n"), o = 0;
    o += (size_t)snprintf(out, outsz, "%d:", res->code);
    const char *prev_word = "";
    size_t prev_len = 0;
    for (size_t i = 0; i < n && o + 2 < outsz;) {
        char c = m[i];
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && m[j] != c)
                j++;
            out[o++] = 'N';
            i = j + 1;
            continue;
        }
        if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < n && (m[j] == '_' || (m[j] >= 'a' && m[j] <= 'z') || (m[j] >= 'A' && m[j] <= 'Z') ||
                             (m[j] >= '0' && m[j] <= '9')))
                j++;
            int has_digit = 0;
            for (size_t k = i; k < j; k++)
                has_digit |= m[k] >= '0' && m[k] <= '9';
            int after_name_word = (prev_len == 5 && !strncmp(prev_word, "table", 5)) ||
                                  (prev_len == 6 && !strncmp(prev_word, "column", 6)) ||
                                  (prev_len == 10 && !strncmp(prev_word, "constraint", 10));
            if (has_digit || after_name_word)
                out[o++] = 'N';
            else {
                for (size_t k = i; k < j && o + 2 < outsz; k++)
                    out[o++] = m[k];
            }
            prev_word = m + i;
            prev_len = j - i;
            i = j;
            continue;
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
}

/* --------------------------------------------------------- the shrinker */

static const char *shrink_sig;   /* the signature a reduction must keep */

static int still_fails(const pair *p, int code)
{
    result r = {0};
    int c = run_pair(p, &r);
    char sig[512];
    signature(&r, sig, sizeof sig);
    result_free(&r);
    return c == code && !strcmp(sig, shrink_sig);
}

static int same_key(const g_key *a, const g_key *b) { return !memcmp(a, b, sizeof *a); }

/* try one reduction; keep it when the same check still fails */
static int try_pair(pair *p, const pair *cand, int code)
{
    if (models_equal(&p->A, &cand->A) && models_equal(&p->B, &cand->B) && p->no_rows == cand->no_rows)
        return 0;
    if (!still_fails(cand, code))
        return 0;
    *p = *cand;
    return 1;
}

static void remove_constraint_everywhere(g_schema *s, int tid, int kind, const void *what)
{
    g_table *t = g_find_table(s, tid);
    if (!t)
        return;
    if (kind == 0) {
        for (int i = 0; i < t->nu; i++)
            if (same_key(&t->u[i], what)) {
                memmove(&t->u[i], &t->u[i + 1], (size_t)(t->nu - i - 1) * sizeof t->u[0]);
                t->nu--;
                break;
            }
    } else if (kind == 1) {
        for (int i = 0; i < t->nk; i++)
            if (!memcmp(&t->k[i], what, sizeof t->k[0])) {
                memmove(&t->k[i], &t->k[i + 1], (size_t)(t->nk - i - 1) * sizeof t->k[0]);
                t->nk--;
                break;
            }
    } else {
        for (int i = 0; i < t->nf; i++)
            if (!memcmp(&t->f[i], what, sizeof t->f[0])) {
                memmove(&t->f[i], &t->f[i + 1], (size_t)(t->nf - i - 1) * sizeof t->f[0]);
                t->nf--;
                break;
            }
    }
}

static void shrink(pair *p, int code)
{
    pair *c = malloc(sizeof *c);
    if (!c)
        exit(3);
    int progress = 1, rounds = 0;
    while (progress && rounds++ < 20) {
        progress = 0;
        if (!p->no_rows) {
            *c = *p;
            c->no_rows = 1;
            progress |= try_pair(p, c, code);
        }
        for (int side = 0; side < 2; side++) {
            const g_schema *S = side ? &p->B : &p->A;
            for (int i = S->nt - 1; i >= 0; i--) {
                S = side ? &p->B : &p->A;
                if (i >= S->nt)
                    continue;
                int id = S->t[i].id;
                *c = *p;
                g_drop_table(&c->A, id);
                g_drop_table(&c->B, id);
                if (c->A.nt + c->B.nt > 0)
                    progress |= try_pair(p, c, code);
            }
            for (int i = 0; i < (side ? p->B.nix : p->A.nix); i++) {
                char name[G_NAME];
                snprintf(name, sizeof name, "%s", side ? p->B.ix[i].name : p->A.ix[i].name);
                *c = *p;
                g_drop_index(&c->A, name);
                g_drop_index(&c->B, name);
                if (try_pair(p, c, code))
                    progress = 1, i--;
            }
            for (int i = (side ? p->B.nv : p->A.nv) - 1; i >= 0; i--) {
                if (i >= (side ? p->B.nv : p->A.nv))
                    continue;
                char name[G_NAME];
                snprintf(name, sizeof name, "%s", side ? p->B.v[i].name : p->A.v[i].name);
                *c = *p;
                g_drop_view(&c->A, name);
                g_drop_view(&c->B, name);
                progress |= try_pair(p, c, code);
            }
            for (int i = 0; i < (side ? p->B.ntr : p->A.ntr); i++) {
                char name[G_NAME];
                snprintf(name, sizeof name, "%s", side ? p->B.tr[i].name : p->A.tr[i].name);
                *c = *p;
                g_drop_trigger(&c->A, name);
                g_drop_trigger(&c->B, name);
                if (try_pair(p, c, code))
                    progress = 1, i--;
            }
            /* columns and constraints */
            for (int ti = 0; ti < (side ? p->B.nt : p->A.nt); ti++) {
                const g_table *t = side ? &p->B.t[ti] : &p->A.t[ti];
                int tid = t->id;
                for (int ci = t->nc - 1; ci >= 0; ci--) {
                    t = side ? g_find_table_c(&p->B, tid) : g_find_table_c(&p->A, tid);
                    if (!t || ci >= t->nc)
                        continue;
                    int cid = t->c[ci].id;
                    *c = *p;
                    int okA = !g_find_table(&c->A, tid) || g_col_index(g_find_table(&c->A, tid), cid) < 0 ||
                              g_drop_column(&c->A, tid, cid);
                    int okB = !g_find_table(&c->B, tid) || g_col_index(g_find_table(&c->B, tid), cid) < 0 ||
                              g_drop_column(&c->B, tid, cid);
                    if (okA && okB)
                        progress |= try_pair(p, c, code);
                }
                for (int kind = 0; kind < 3; kind++) {
                    for (int k = 0;; k++) {
                        t = side ? g_find_table_c(&p->B, tid) : g_find_table_c(&p->A, tid);
                        if (!t || k >= (kind == 0 ? t->nu : kind == 1 ? t->nk : t->nf))
                            break;
                        const void *what = kind == 0 ? (const void *)&t->u[k]
                                           : kind == 1 ? (const void *)&t->k[k]
                                                       : (const void *)&t->f[k];
                        union { g_key u; g_check k; g_fk f; } copy;
                        memcpy(&copy, what, kind == 0 ? sizeof(g_key) : kind == 1 ? sizeof(g_check) : sizeof(g_fk));
                        *c = *p;
                        remove_constraint_everywhere(&c->A, tid, kind, &copy);
                        remove_constraint_everywhere(&c->B, tid, kind, &copy);
                        g_fixup(&c->A);
                        g_fixup(&c->B);
                        if (try_pair(p, c, code))
                            progress = 1, k--;
                    }
                }
            }
        }
    }
    free(c);
}

/* ------------------------------------------------------------------ main */

static void make_pair(uint64_t seed, pair *p)
{
    g_rng r;
    memset(p, 0, sizeof *p);
    g_seed(&r, seed);
    g_generate(&r, &p->A, &opt.fl);
    p->B = p->A;
    if (g_chance(&r, 5))
        snprintf(p->edits, sizeof p->edits, "(none)");
    else
        g_edit(&r, &p->B, &opt.fl, p->edits, sizeof p->edits);
    p->data_seed = g_next(&r);
    p->style_seed = g_next(&r);
}

static int probe_functions(void)
{
    char *err = NULL;
    sqlite3 *db = open_db(1, &err);
    if (!db) {
        printf("SKIP cannot load the extension %s: %s\n", opt.ext, err);
        free(err);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    have_snap = sqlite3_prepare_v2(db, "SELECT mig_snapshot(), mig_snapshot_sql('')", -1, &st, NULL) == SQLITE_OK;
    if (!have_snap)
        printf("# mig_snapshot / mig_snapshot_sql: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    have_diff = sqlite3_prepare_v2(db, "SELECT mig_diff('', ''), mig_diff('', '', '')", -1, &st, NULL) == SQLITE_OK;
    if (!have_diff)
        printf("# mig_diff: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: roundtrip [--seed N] [--count N] [--seeds N,N,...] [--verbose] [--ext PATH]\n"
                    "                 [--gen-only] [--no-options-edit] [--plain-view-names] [--no-shrink] [--findings FILE]\n"
                    "                 [--self-test-lose-row]\n");
    exit(64);
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    long count = 100;
    const char *seeds = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--count") && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--seeds") && i + 1 < argc)
            seeds = argv[++i];
        else if (!strcmp(a, "--ext") && i + 1 < argc)
            opt.ext = argv[++i];
        else if (!strcmp(a, "--findings") && i + 1 < argc)
            opt.findings = argv[++i];
        else if (!strcmp(a, "--verbose"))
            opt.verbose = 1;
        else if (!strcmp(a, "--gen-only"))
            opt.gen_only = 1;
        else if (!strcmp(a, "--self-test-lose-row"))
            opt.lose_row = 1;
        else if (!strcmp(a, "--no-shrink"))
            opt.shrink = 0;
        else if (!strcmp(a, "--no-options-edit"))
            opt.fl.no_options_edit = 1;
        else if (!strcmp(a, "--plain-view-names"))
            opt.fl.plain_view_names = 1;
        else
            usage();
    }
    if (!opt.gen_only) {
        if (probe_functions())
            return 2;
        if (!have_snap) {
            printf("SKIP mig_snapshot / mig_snapshot_sql are not registered by %s yet\n", opt.ext);
            return 2;
        }
        if (!have_diff)
            printf("# mig_diff is not registered by %s yet: snapshot checks only\n", opt.ext);
    }

    /* the seeds to run */
    uint64_t *list = NULL;
    long n = 0;
    if (seeds) {
        const char *s = seeds;
        list = malloc(sizeof *list * (strlen(seeds) + 1));
        while (*s) {
            char *end;
            list[n++] = strtoull(s, &end, 10);
            s = *end ? end + 1 : end;
        }
    } else {
        list = malloc(sizeof *list * (size_t)(count > 0 ? count : 1));
        for (long i = 0; i < count; i++)
            list[n++] = seed + (uint64_t)i;
    }
    if (!list)
        return 3;

    long failed = 0, by_code[F_COUNT] = {0};
    static char sigs[64][512];
    int nsigs = 0;
    pair *p = malloc(sizeof *p);
    if (!p)
        return 3;
    for (long i = 0; i < n; i++) {
        make_pair(list[i], p);
        result res = {0};
        int code = run_pair(p, &res);
        by_code[code]++;
        if (opt.verbose)
            printf("# seed %llu: %s; edits: %s\n", (unsigned long long)list[i], FNAME[code], p->edits);
        if (code != F_OK) {
            failed++;
            if (by_code[code] <= 3)
                report(stdout, list[i], p, &res, "FAIL");
            else
                printf("FAIL seed %llu: %s: %.*s\n", (unsigned long long)list[i], FNAME[code],
                       (int)strcspn(res.msg.p ? res.msg.p : "", "\n"), res.msg.p ? res.msg.p : "");
            char sig[512];
            signature(&res, sig, sizeof sig);
            int seen = 0;
            for (int k = 0; k < nsigs; k++)
                seen |= !strcmp(sigs[k], sig);
            if (!seen && nsigs < 64)
                snprintf(sigs[nsigs++], sizeof sigs[0], "%s", sig);
            if (opt.shrink && !seen && code != F_GEN_A && code != F_GEN_B && code != F_DATA) {
                shrink_sig = sig;
                shrink(p, code);
                result small = {0};
                run_pair(p, &small);
                report(stdout, list[i], p, &small, "SHRUNK");
                if (opt.findings) {
                    FILE *f = fopen(opt.findings, "a");
                    if (f) {
                        fprintf(f, "\n## %s (seed %llu)\n\nsignature: %s\n\n```\n", FNAME[code],
                                (unsigned long long)list[i], sig);
                        report(f, list[i], p, &small, "SHRUNK");
                        fprintf(f, "```\n");
                        fclose(f);
                    }
                }
                result_free(&small);
            }
        }
        result_free(&res);
        fflush(stdout);
    }
    printf("rows of A checked after upgrades: %ld\n", rows_checked);
    printf("pairs %ld, passed %ld, failed %ld%s\n", n, n - failed, failed,
           opt.gen_only ? " (generator only)" : have_diff ? "" : " (snapshot checks only: no mig_diff)");
    for (int c = 1; c < F_COUNT; c++)
        if (by_code[c])
            printf("  %ld x %s\n", by_code[c], FNAME[c]);
    free(p);
    free(list);
    return failed ? 1 : 0;
}

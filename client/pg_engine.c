/*
 * pg_engine.c — core's engine (core/engine.h) run by the client over libpq,
 * for a PostgreSQL database where the mig extension is not installed and
 * cannot be (managed PostgreSQL): `--engine client`, mig.ini `engine =
 * client`, or chosen by itself (db.c, db_ensure_mig).
 *
 * The state is the extension's: the tables of schema mig, created from the
 * extension's own install script (sql/mig--0.4.sql, built in by the Makefile
 * as client/state_pg.h), so a database moves between the engines with its
 * history.  The structure is the extension's too:
 *   - a call's unit is a SAVEPOINT inside the client's transaction (or
 *     BEGIN ... COMMIT outside one), each step another savepoint, so a
 *     failing revision rolls back everything the call did;
 *   - the deploy lock of an env/tenant is taken in the unit
 *     (pg_advisory_xact_lock) and, for the whole run, by db_lock
 *     (pg_try_advisory_lock, polled): the key is the extension's
 *     (hashtextextended('mig:ENV:TENANT', 0), PostgreSQL's hash_bytes_extended),
 *     in the key space of SQL's advisory locks, which the client can reach;
 *   - the engine's own statements run with the search path pinned to
 *     pg_catalog (db.c pins the session), every name schema-qualified;
 *     revision bodies run with the session's own path (or the tenant's),
 *     set for the step only, with schema mig last (for mig_x()).
 * Every statement of a body is sent alone (core/sqltok splits the body; the
 * extended protocol refuses a second statement), so the failing statement,
 * and within it the position of a syntax error, is known.
 */
#include "mig.h"
#include "engine.h"
#include "sqltok.h"
#include "guard.h"
#include "batch.h"
#include "opts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pge {
    db *d;
    mig_arena *ar;          /* the call's arena */
    const char *user;       /* current_user: applied_by */
    const char *user_path;  /* the session's own search path */
    const char *body_lit;   /* SQL literal: the search path of the bodies of this call */
    const char *x_lit;      /* SQL literal: the x-arguments as JSON, or NULL */
    int unit_open, unit_sp; /* unit: a savepoint (1) or BEGIN (0) */
    const char *saved_timeout; /* lock_timeout before a savepoint unit set it */
    int schema_ok;
    const char *queue[8];   /* statements not sent yet: they go with the next one (one round trip) */
    int nqueue;
    int path_body;          /* the transaction's search path is the bodies' (pinned again lazily) */
    int unit_queued;        /* the unit's SAVEPOINT (BEGIN) is in the queue, not sent yet */
    const char *role_lit;   /* SQL literal: the role setting when the call began (upgrade, downgrade) */
    int role_dirty;         /* a body of this step may have changed the role (SET ROLE ...) */
    const char *body_role_lit; /* SQL literal: the role the last such body left, for the next revision's */
    int nsource_q;          /* the engine's reads of one revision's source in this call */
    struct src_ent { const char *id, *src; } *srcs; /* ... after the first: every source of the env, sorted */
    int nsrcs, srcs_cap, srcs_loaded;
    mig_arena srcar;        /* ... in an arena of their own (the engine releases its arena step by step) */
    int path_body_at_step;  /* ... as it was when the step's savepoint was taken */
    db_engine_known *known; /* the connection's: the role, whether the tables exist (forgotten when a unit
                               rolls back, which may have undone their creation) */
} pge;

/* A string as a SQL literal, quoted by libpq for this connection. */
static const char *lit(db *d, mig_arena *ar, const char *s)
{
    const char *q = db_quote_literal(d, ar, s);
    if (!q) {
        /* the server rolls back what this connection began */
        fprintf(stderr, "mig: cannot quote a value for %s (out of memory, or not in the connection's encoding): "
                        "%.80s\n",
                db_display(d), s);
        exit(EX_FAILED);
    }
    return q;
}

#define PIN_PATH "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)"

typedef struct {
    mig_row_fn fn;
    void *arg;
    mig_err *err;
} row_adapt;

static int adapt_row(void *arg, int ncol, const char *const *vals)
{
    row_adapt *a = arg;
    return a->fn(a->arg, ncol, vals, a->err);
}

static int src_cmp(const void *a, const void *b)
{
    return strcmp(((const struct src_ent *)a)->id, ((const struct src_ent *)b)->id);
}

static int src_row(void *arg, int nc, const char *const *v)
{
    pge *c = arg;
    if (nc < 2 || !v[0] || !v[1])
        return 0;
    if (c->nsrcs == c->srcs_cap) {
        int cap = c->srcs_cap ? c->srcs_cap * 2 : 256;
        struct src_ent *n2 = mig_alloc(&c->srcar, sizeof *n2 * (size_t)cap);
        if (!n2)
            return -1;
        if (c->nsrcs)
            memcpy(n2, c->srcs, sizeof *n2 * (size_t)c->nsrcs);
        c->srcs = n2;
        c->srcs_cap = cap;
    }
    c->srcs[c->nsrcs].id = mig_strdup(&c->srcar, v[0]);
    c->srcs[c->nsrcs].src = mig_strdup(&c->srcar, v[1]);
    if (!c->srcs[c->nsrcs].id || !c->srcs[c->nsrcs].src)
        return -1;
    c->nsrcs++;
    return 0;
}

static int src_row_m(void *arg, int nc, const char *const *v, mig_err *err)
{
    return src_row(arg, nc, v) ? mig_fail(err, MIG_E_NOMEM, "out of memory") : 0;
}

static int be_query(void *bctx, const char *sql, int np, const char *const *params, mig_row_fn fn, void *arg,
                    mig_err *err)
{
    pge *c = bctx;
    row_adapt a = {fn, arg, err};
    /* a run reads each step's source before the step: from the second on,
     * every source of the env is read once, so that the steps' search
     * path need not be pinned again for it (a round trip and two
     * statements a step); they cannot change during the call (it holds the
     * deploy lock) */
    if (np == 2 && fn && strcmp(sql, "SELECT source FROM mig.mig_revision WHERE env = $1 AND revision = $2") == 0 &&
        c->nsource_q++ > 0) {
        struct src_ent key = {NULL, NULL}, *hit;
        if (!c->srcs_loaded) {
            c->srcs_loaded = 1;
            if (be_query(c, "SELECT revision, source FROM mig.mig_revision WHERE env = $1", 1, params, src_row_m, c,
                         err) < 0)
                return -1;
            if (c->nsrcs)
                qsort(c->srcs, (size_t)c->nsrcs, sizeof *c->srcs, src_cmp);
        }
        key.id = params[1];
        hit = c->nsrcs ? bsearch(&key, c->srcs, (size_t)c->nsrcs, sizeof key, src_cmp) : NULL;
        if (!hit)
            return 0;
        return fn(arg, 1, &hit->src, err);
    }
    /* after a step the path is still the bodies': pinned again before any
     * statement of the engine's but the history row (an INSERT of
     * parameters, which no search path can change), so that a step costs
     * one statement less */
    if (c->path_body && strncmp(sql, "INSERT INTO mig.mig_history ", 28) != 0) {
        c->queue[c->nqueue++] = PIN_PATH;
        c->path_body = 0;
    }
    if (c->nqueue) {
        /* the step's RELEASE and the pinned path go with it */
        const char *v[9];
        int i, n = c->nqueue, failed;
        for (i = 0; i < n; i++)
            v[i] = c->queue[i];
        v[n] = sql;
        c->nqueue = 0;
        c->unit_queued = 0;
        return db_pipeline(c->d, n + 1, v, np, params, fn ? adapt_row : NULL, &a, &failed, err);
    }
    return db_query(c->d, sql, np, params, fn ? adapt_row : NULL, &a, err);
}

/* Send what is queued (before a statement of the engine's that is not a query). */
static int flush(pge *c, mig_err *err)
{
    int failed, n = c->nqueue;
    if (!n)
        return 0;
    c->nqueue = 0;
    c->unit_queued = 0;
    return db_pipeline(c->d, n, c->queue, 0, NULL, NULL, NULL, &failed, err);
}

/* Byte offset of the 1-based character position pos (UTF-8) in s. */
static size_t char_to_byte(const char *s, size_t len, int pos)
{
    size_t off = 0;
    int i;
    for (i = 1; i < pos && off < len; i++) {
        off++;
        while (off < len && ((unsigned char)s[off] & 0xC0) == 0x80)
            off++;
    }
    return off > len ? len : off;
}

/* A SQL string literal at *p ('...' or $tag$...$tag$), its value in *out; 0 when p holds none. */
static int read_literal(mig_arena *ar, const char **p, const char *end, const char **out)
{
    const char *q = *p;
    mig_buf b;
    mig_buf_init(&b, ar);
    mig_buf_putn(&b, "", 0);
    if (q < end && *q == '\'') {
        for (q++; q < end; q++) {
            if (*q == '\'') {
                if (q + 1 < end && q[1] == '\'') {
                    mig_buf_putn(&b, q, 1);
                    q++;
                    continue;
                }
                *p = q + 1;
                *out = b.data;
                return b.data != NULL;
            }
            mig_buf_putn(&b, q, 1);
        }
        return 0;
    }
    if (q < end && *q == '$') {
        const char *t = q + 1, *close;
        size_t tl;
        while (t < end && *t != '$' && (*t == '_' || (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
                                        (*t >= '0' && *t <= '9')))
            t++;
        if (t >= end || *t != '$')
            return 0;
        tl = (size_t)(t - q + 1);
        for (close = t + 1; close + tl <= end; close++)
            if (memcmp(close, q, tl) == 0) {
                *out = mig_strndup(ar, t + 1, (size_t)(close - t - 1));
                *p = close + tl;
                return *out != NULL;
            }
    }
    return 0;
}

/* A (schema-qualified) table name as SQL reads it, quoted part by part. */
static const char *quote_qualified(pge *c, const char *name)
{
    mig_buf b;
    const char *p = name;
    mig_buf_init(&b, c->ar);
    mig_buf_putn(&b, "", 0);
    while (*p) {
        mig_buf part;
        const char *q;
        mig_buf_init(&part, c->ar);
        mig_buf_putn(&part, "", 0);
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"')
                    p++;
                mig_buf_putn(&part, p, 1);
            }
            if (*p != '"')
                return NULL;
            p++;
        } else
            for (; *p && *p != '.'; p++) {
                char ch = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
                if (*p == ' ' || *p == '"')
                    return NULL;
                mig_buf_putn(&part, &ch, 1);
            }
        if (!part.data || !*part.data || !(q = db_quote_ident(c->d, part.data)))
            return NULL;
        mig_buf_printf(&b, "%s%s", b.len ? "." : "", q);
        if (*p == '.')
            p++;
        else if (*p)
            return NULL;
    }
    return b.len ? b.data : NULL;
}

/*
 * `SELECT mig_batch('table', 'actions' [, 'opts']);` in a body: the
 * extension's function runs the actions as ALTER TABLE statements (the
 * consecutive ones in one, each RENAME alone); the client's engine writes
 * the same statements from core's action parser and runs them in the call's
 * place.  1: rewritten into out and nout; 0: not such a call (sent as it is);
 * -1: err (the actions do not parse).
 */
static int batch_rewrite(pge *c, const char *sql, size_t len, const char ***out, int *nout, mig_err *err)
{
    char two[64];
    const char *p, *end = sql + len, *args[3] = {NULL, NULL, NULL}, *qtable, **v;
    int nargs = 0, i, n = 0, gn = 0;
    mig_batch_actions acts;
    mig_opts o;
    mig_buf group;
    mig_sql_leading_words(sql, len, MIG_DIALECT_POSTGRES, 2, two, sizeof two);
    if (strcmp(two, "SELECT MIG_BATCH") != 0)
        return 0;
    p = strchr(sql, '(');
    if (!p || p >= end)
        return 0;
    for (p++;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        if (nargs == 3 || !read_literal(c->ar, &p, end, &args[nargs]))
            return 0;
        nargs++;
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == ')')
            break;
        return 0;
    }
    for (p++; p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'); p++)
        ;
    if (p != end || nargs < 2)
        return 0;
    if (mig_opts_parse(c->ar, args[2], &o, err) || mig_batch_parse(c->ar, args[1], strlen(args[1]), &acts, err))
        return -1;
    if (!(qtable = quote_qualified(c, args[0])))
        return mig_fail(err, MIG_E_INPUT, "mig_batch: invalid table name \"%s\"", args[0]);
    for (i = 0; i < acts.n; i++)
        if (acts.v[i].kind == MIG_BA_RENAME_TABLE && i != acts.n - 1)
            return mig_fail(err, MIG_E_INPUT, "mig_batch: RENAME TO (position %zu) must be the last action",
                            acts.v[i].pos + 1);
    v = mig_alloc(c->ar, sizeof *v * (size_t)(acts.n + 1));
    if (!v)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    mig_buf_init(&group, c->ar);
    for (i = 0; i <= acts.n; i++) {
        const mig_batch_action *a = i < acts.n ? &acts.v[i] : NULL;
        int alone = a && (a->kind == MIG_BA_RENAME_COLUMN || a->kind == MIG_BA_RENAME_TABLE);
        if ((!a || alone) && gn) {
            v[n++] = mig_sprintf(c->ar, "ALTER TABLE %s %s", qtable, group.data);
            group.len = 0;
            gn = 0;
        }
        if (!a)
            break;
        if (alone) {
            v[n++] = mig_sprintf(c->ar, "ALTER TABLE %s %.*s", qtable, (int)a->len, args[1] + a->pos);
            continue;
        }
        if (gn++)
            mig_buf_puts(&group, ", ");
        mig_buf_putn(&group, args[1] + a->pos, a->len);
    }
    for (i = 0; i < n; i++)
        if (!v[i])
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
    *out = v;
    *nout = n;
    return 1;
}

static int be_exec_body(void *bctx, const char *body, size_t len, size_t *fail_off, mig_err *err)
{
    pge *c = bctx;
    mig_sql_iter it;
    mig_sql_stmt st;
    mig_tok_result tr;
    char ebuf[256];
    const char **v;
    mig_sql_stmt *at;
    int n = 0, cap = 16, i, failed, nq = c->nqueue, was_body = c->path_body, was_queued = c->unit_queued;
    /* the step's SAVEPOINT and search path, then every statement of the
     * body, in one round trip; the server stops at the first that fails */
    v = mig_alloc(c->ar, sizeof *v * (size_t)cap);
    at = mig_alloc(c->ar, sizeof *at * (size_t)cap);
    if (!v || !at)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    if (!c->path_body) {
        c->queue[c->nqueue++] = mig_sprintf(c->ar, "SELECT pg_catalog.set_config('search_path', %s, true)%s%s%s%s%s%s",
                                            c->body_lit, c->x_lit ? ", pg_catalog.set_config('mig_client.x', " : "",
                                            c->x_lit ? c->x_lit : "", c->x_lit ? ", true)" : "",
                                            c->body_role_lit ? ", pg_catalog.set_config('role', " : "",
                                            c->body_role_lit ? c->body_role_lit : "", c->body_role_lit ? ", true)" : "");
        if (!c->queue[c->nqueue - 1])
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        nq++;
    }
    for (i = 0; i < nq; i++)
        v[n++] = c->queue[i];
    c->nqueue = 0;
    c->unit_queued = 0;
    mig_sql_iter_init(&it, body, len, MIG_DIALECT_POSTGRES);
    while ((tr = mig_sql_iter_next(&it, &st, ebuf, sizeof ebuf)) == MIG_TOK_OK) {
        const char *sql = mig_strndup(c->ar, body + st.start, st.len);
        char word[32];
        if (!sql)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        /* what would end or release the call's transaction, as the
         * extension refuses it (SAVEPOINT too: the unit's savepoints are
         * the client's) */
        mig_sql_leading_words(sql, st.len, MIG_DIALECT_POSTGRES, 1, word, sizeof word);
        if (mig_sql_is_txn_control(sql, st.len, MIG_DIALECT_POSTGRES) || strcmp(word, "SAVEPOINT") == 0 ||
            strcmp(word, "RELEASE") == 0 || strcmp(word, "ROLLBACK") == 0) {
            char two[64];
            mig_sql_leading_words(sql, st.len, MIG_DIALECT_POSTGRES, 2, two, sizeof two);
            mig_txn_refuse(err,
                           strcmp(word, "ROLLBACK") == 0 && strcmp(two, "ROLLBACK TO") == 0 ? "ROLLBACK TO"
                           : strcmp(word, "START") == 0                                  ? "START TRANSACTION"
                           : strcmp(word, "END") == 0                                    ? "COMMIT"
                           : strcmp(word, "ABORT") == 0                                  ? "ROLLBACK"
                           : strcmp(two, "PREPARE TRANSACTION") == 0                     ? "PREPARE TRANSACTION"
                                                                                         : word,
                           1);
            *fail_off = st.start;
            c->nqueue = was_body ? nq : nq - 1; /* not sent */
            c->unit_queued = was_queued;
            return -1;
        }
        {
            /* a revision's SET ROLE: the engine's own statements after the
             * step run as the deploying role again (be_step_end) */
            char three[96];
            mig_sql_leading_words(sql, st.len, MIG_DIALECT_POSTGRES, 3, three, sizeof three);
            if ((strncmp(three, "SET ", 4) == 0 || strncmp(three, "RESET ", 6) == 0) &&
                (strstr(three, " ROLE") || strstr(three, " AUTHORIZATION")))
                c->role_dirty = 1;
        }
        {
            const char **bv = NULL, *one[1];
            int bn = 0, j, br = batch_rewrite(c, sql, st.len, &bv, &bn, err);
            if (br < 0) {
                *fail_off = st.start;
                c->nqueue = was_body ? nq : nq - 1; /* not sent */
                c->unit_queued = was_queued;
                return -1;
            }
            if (br == 0) {
                one[0] = sql;
                bv = one;
                bn = 1;
            }
            for (j = 0; j < bn; j++) {
                if (n == cap) {
                    const char **v2 = mig_alloc(c->ar, sizeof *v * (size_t)cap * 2);
                    mig_sql_stmt *at2 = mig_alloc(c->ar, sizeof *at * (size_t)cap * 2);
                    if (!v2 || !at2)
                        return mig_fail(err, MIG_E_NOMEM, "out of memory");
                    memcpy(v2, v, sizeof *v * (size_t)n);
                    memcpy(at2, at, sizeof *at * (size_t)n);
                    v = v2;
                    at = at2;
                    cap *= 2;
                }
                at[n] = st;
                v[n++] = bv[j];
            }
        }
    }
    if (tr == MIG_TOK_ERROR) {
        *fail_off = it.pos;
        c->nqueue = was_body ? nq : nq - 1; /* not sent */
        c->unit_queued = was_queued;
        return mig_fail(err, MIG_E_SQL, "%s", ebuf);
    }
    c->path_body = 1;
    if (n && db_pipeline(c->d, n, v, 0, NULL, NULL, NULL, &failed, err)) {
        if (failed < nq) {
            *fail_off = 0;
            return -1;
        }
        st = at[failed];
        {
            int pos = db_last_position(c->d);
            if (strcmp(err->sqlstate, "42601") == 0 && pos > 0) {
                /* a syntax error: where the parser stopped, as the extension says it */
                *fail_off = st.start + char_to_byte(v[failed], st.len, pos);
            } else {
                *fail_off = st.start;
                mig_err_statement(err, body + st.start, body + st.start + st.len);
            }
        }
        return -1;
    }
    return 0;
}

static int be_ensure_schema(void *bctx, int create, int *exists, mig_err *err)
{
    pge *c = bctx;
    const char *v = NULL;
    if (c->schema_ok || c->known->schema_ok) {
        *exists = 1;
        return 0;
    }
    if (flush(c, err))
        return -1;
    if (create && db_call_sql(c->d, "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('mig:state', 0))",
                              0, NULL, NULL, err))
        return -1;
    if (db_call_sql(c->d, "SELECT (pg_catalog.to_regclass('mig.mig_history') IS NOT NULL)::pg_catalog.int4", 0, NULL,
                    &v, err))
        return -1;
    *exists = v && strcmp(v, "1") == 0;
    if (!*exists && create) {
        if (db_exec(c->d, db_state_ddl(), err))
            return -1;
        *exists = 1;
    }
    c->schema_ok = *exists;
    c->known->schema_ok = *exists;
    return 0;
}

static int be_in_transaction(void *bctx)
{
    return db_in_transaction(((pge *)bctx)->d);
}

static int be_unit_begin(void *bctx, const mig_opts *o, mig_err *err)
{
    pge *c = bctx;
    const char *p[2], *v = NULL;
    if (flush(c, err))
        return -1;
    c->unit_sp = db_in_transaction(c->d);
    c->saved_timeout = NULL;
    if (o->lock_timeout_ms < 0) {
        /* the common case: the unit and its lock go with the call's first
         * statement (one round trip less); without a lock_timeout the lock
         * waits, and fails only as that statement would (a deadlock) */
        const char *lock = mig_sprintf(c->ar, "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(%s, 0))",
                                       lit(c->d, c->ar, mig_sprintf(c->ar, "mig:%s:%s", o->env, o->tenant ? o->tenant : "")));
        if (!lock)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        c->queue[c->nqueue++] = c->unit_sp ? "SAVEPOINT mig_unit" : "BEGIN";
        c->queue[c->nqueue++] = lock;
        c->unit_queued = 1;
        c->unit_open = 1;
        return 0;
    }
    if (db_exec(c->d, c->unit_sp ? "SAVEPOINT mig_unit" : "BEGIN", err))
        return -1;
    c->unit_open = 1;
    if (o->lock_timeout_ms >= 0) {
        p[0] = mig_sprintf(c->ar, "%ld", o->lock_timeout_ms);
        if (db_call_sql(c->d,
                        "SELECT pg_catalog.current_setting('lock_timeout') || pg_catalog.left(pg_catalog.set_config("
                        "'lock_timeout', $1, true), 0)",
                        1, p, &v, err))
            goto fail;
        c->saved_timeout = v;
    }
    p[0] = mig_sprintf(c->ar, "mig:%s:%s", o->env, o->tenant ? o->tenant : "");
    if (db_call_sql(c->d, "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))", 1, p, NULL,
                    err)) {
        if (strcmp(err->sqlstate, "55P03") == 0) {
            err->code = MIG_E_LOCK;
            mig_err_prefix(err, "cannot lock env \"%s\"%s%s%s: ", o->env, o->tenant ? " (tenant \"" : "",
                           o->tenant ? o->tenant : "", o->tenant ? "\")" : "");
            mig_err_hint(err, "Another session is migrating the same env; wait for it or raise \"lock_timeout\".");
        }
        goto fail;
    }
    return 0;
fail: {
    mig_err e2;
    mig_err_clear(&e2);
    c->unit_open = 0;
    db_exec(c->d, c->unit_sp ? "ROLLBACK TO SAVEPOINT mig_unit; RELEASE SAVEPOINT mig_unit" : "ROLLBACK", &e2);
    return -1;
}
}

static int be_unit_end(void *bctx, int commit, mig_err *err)
{
    pge *c = bctx;
    if (!c->unit_open)
        return mig_fail(err, MIG_E_USAGE, "mig: no unit is open");
    c->unit_open = 0;
    if (!commit) {
        c->known->schema_ok = 0;
        c->nqueue = 0; /* (a step's SAVEPOINT not sent: nothing to undo) */
        c->path_body = 0; /* the rollback restores the unit's (pinned) path */
        if (c->unit_queued) {
            c->unit_queued = 0; /* the unit never reached the server */
            return 0;
        }
    } else if ((c->path_body && (c->queue[c->nqueue++] = PIN_PATH, c->path_body = 0, 0)) || flush(c, err)) {
        mig_err e2;
        mig_err_clear(&e2);
        db_exec(c->d, c->unit_sp ? "ROLLBACK TO SAVEPOINT mig_unit; RELEASE SAVEPOINT mig_unit" : "ROLLBACK", &e2);
        return -1;
    }
    if (!commit)
        return db_exec(c->d, c->unit_sp ? "ROLLBACK TO SAVEPOINT mig_unit; RELEASE SAVEPOINT mig_unit" : "ROLLBACK",
                       err);
    if (!c->unit_sp)
        return db_exec(c->d, "COMMIT", err);
    if (db_exec(c->d, "RELEASE SAVEPOINT mig_unit", err))
        return -1;
    if (c->saved_timeout) {
        const char *p[1] = {c->saved_timeout};
        return db_call_sql(c->d, "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, p, NULL, err);
    }
    return 0;
}

/* A step: its savepoint, and the bodies' search path (and x-arguments) for
 * the step only; the engine's statements after it get the pinned path back. */
static int be_step_begin(void *bctx, mig_err *err)
{
    pge *c = bctx;
    (void)err;
    c->queue[c->nqueue++] = "SAVEPOINT mig_step";
    c->path_body_at_step = c->path_body;
    return 0;
}

static int be_step_end(void *bctx, int commit, mig_err *err)
{
    pge *c = bctx;
    if (!commit) {
        if (c->nqueue && strcmp(c->queue[c->nqueue - 1], "SAVEPOINT mig_step") == 0) {
            /* the SAVEPOINT was never sent */
            c->nqueue--;
            return flush(c, err);
        }
        c->path_body = c->path_body_at_step;
        return db_exec(c->d, "ROLLBACK TO SAVEPOINT mig_step; RELEASE SAVEPOINT mig_step", err);
    }
    if (c->nqueue >= 3 && flush(c, err))
        return -1;
    c->queue[c->nqueue++] = "RELEASE SAVEPOINT mig_step";
    if ((c->role_dirty || c->body_role_lit) && c->role_lit) {
        /* back to the deploying role (and the pinned path) for the engine's
         * own statements; the next revision of the call starts as the role
         * this body left, as with the extension (whose bookkeeping runs as
         * the state tables' owner, whatever the role) */
        const char *left = NULL;
        if (flush(c, err) || db_call_sql(c->d, "SELECT pg_catalog.current_setting('role')", 0, NULL, &left, err))
            return -1;
        c->body_role_lit = left ? lit(c->d, &c->srcar, left) : NULL; /* (the call's arena: c->ar goes step by step) */
        c->queue[c->nqueue++] = mig_sprintf(c->ar, "SELECT pg_catalog.set_config('role', %s, true), %s", c->role_lit,
                                            PIN_PATH + 7);
        c->role_dirty = 0;
        c->path_body = 0;
        if (!c->queue[c->nqueue - 1])
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
    }
    return 0;
}

static void be_set_run(void *bctx, const mig_opts *o)
{
    pge *c = bctx;
    json_t *x;
    char *s;
    int i;
    c->x_lit = NULL;
    if (!o || !o->xnames.n)
        return;
    x = json_object();
    for (i = 0; x && i < o->xnames.n; i++)
        json_object_set_new(x, o->xnames.v[i], json_string(o->xvalues.v[i]));
    s = x ? json_dumps(x, JSON_COMPACT) : NULL;
    json_decref(x);
    if (s) {
        c->x_lit = lit(c->d, c->ar, s);
        free(s);
    }
}

static void be_progress(void *bctx, const char *line)
{
    db_report_progress(((pge *)bctx)->d, line);
}

static const struct {
    const char *fn;
    mig_op k;
} OPS[] = {
    {"mig_put_revision", MIG_OP_PUT}, {"mig_remove_revision", MIG_OP_REMOVE}, {"mig_upgrade", MIG_OP_UPGRADE},
    {"mig_downgrade", MIG_OP_DOWNGRADE}, {"mig_stamp", MIG_OP_STAMP}, {"mig_current", MIG_OP_CURRENT},
    {"mig_heads", MIG_OP_HEADS}, {"mig_check", MIG_OP_CHECK}, {"mig_plan", MIG_OP_PLAN}, {"mig_sql", MIG_OP_SQL},
};

int pge_handles(const char *fn)
{
    size_t i;
    for (i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strcmp(OPS[i].fn, fn) == 0)
            return 1;
    return 0;
}

/* The first role of a tenant's schema that the caller does not control: its owner, or a role (PUBLIC) that
 * may create objects in it.  Columns: 0 owner / 1 CREATE, the role ("" for PUBLIC), current_user, and the
 * schema and the role quoted as the extension quotes them (only where needed). */
static const char UNTRUSTED_Q[] =
    "WITH RECURSIVE me(r) AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user "
    "UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN me ON m.member = me.r), "
    "n AS (SELECT nspowner, nspacl FROM pg_catalog.pg_namespace WHERE nspname = $1), "
    "cand AS (SELECT 0 AS k, n.nspowner AS who FROM n UNION ALL "
    "SELECT 1, a.grantee FROM n, pg_catalog.aclexplode(n.nspacl) a WHERE a.privilege_type = 'CREATE') "
    "SELECT c.k::pg_catalog.text, coalesce((SELECT rolname FROM pg_catalog.pg_roles WHERE oid = c.who), ''), "
    "current_user::pg_catalog.text, pg_catalog.quote_ident($1), "
    "pg_catalog.quote_ident(coalesce((SELECT rolname FROM pg_catalog.pg_roles WHERE oid = c.who), '')) FROM cand c WHERE c.who = 0 OR NOT (c.who IN (SELECT r FROM me) OR "
    "coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid = c.who), false)) ORDER BY c.k LIMIT 1";

typedef struct {
    mig_arena *ar;
    const char *v[5];
} untrusted_row;

static int untrusted_fn(void *arg, int nc, const char *const *vals)
{
    untrusted_row *u = arg;
    int i;
    for (i = 0; i < 5 && i < nc; i++)
        u->v[i] = vals[i] ? mig_strdup(u->ar, vals[i]) : "";
    return 0;
}

/*
 * A tenant's revisions run with its schema first in the search path and the
 * caller's rights: refused, as the extension refuses them, in a schema that
 * a role the caller does not control owns or may create objects in.
 */
static int tenant_untrusted(db *d, mig_arena *ar, const char *tenant, mig_err *err)
{
    untrusted_row u;
    const char *p[1] = {tenant}, *qt;
    memset(&u, 0, sizeof u);
    u.ar = ar;
    if (db_query(d, UNTRUSTED_Q, 1, p, untrusted_fn, &u, err))
        return -1;
    if (!u.v[0]) {
        /* the server leaves a schema without USAGE out of the search path:
         * the revisions would run in the next one (public), silently */
        const char *usage = NULL, *qt2 = NULL, *who = NULL, *qu = NULL;
        if (db_call_sql(d, "SELECT pg_catalog.has_schema_privilege($1, 'USAGE')::pg_catalog.int4", 1, p, &usage, err))
            return -1;
        if (usage && strcmp(usage, "1") == 0)
            return 0;
        if (db_call_sql(d, "SELECT pg_catalog.quote_ident($1)", 1, p, &qt2, err) ||
            db_call_sql(d, "SELECT current_user", 0, NULL, &who, err) ||
            db_call_sql(d, "SELECT pg_catalog.quote_ident(current_user)", 0, NULL, &qu, err))
            return -1;
        mig_fail(err, MIG_E_USAGE, "role \"%s\" has no USAGE on tenant schema \"%s\": its revisions would create and "
                                   "find their objects in the next schema of the search path",
                 who ? who : "?", tenant);
        mig_err_hint(err, "GRANT USAGE, CREATE ON SCHEMA %s TO %s;", qt2 ? qt2 : tenant, qu ? qu : "...");
        return -1;
    }
    qt = u.v[3] ? u.v[3] : tenant;
    if (strcmp(u.v[0], "0") == 0) {
        const char *qo = u.v[4] ? u.v[4] : u.v[1];
        mig_fail(err, MIG_E_USAGE, "tenant schema \"%s\" is owned by role \"%s\", which role \"%s\" does not control",
                 tenant, u.v[1], u.v[2]);
        mig_err_detail(err, "A tenant's revisions run with the schema first in the search path and with the rights of "
                            "the role that calls mig: the schema's owner could supply functions or operators that "
                            "run with those rights.");
        mig_err_hint(err, "Run the migration as the schema's owner (SET ROLE %s), or make the deploying role own "
                          "it (ALTER SCHEMA %s OWNER TO ...).",
                     qo, qt);
        return -1;
    }
    {
        int pub = !*u.v[1];
        const char *qg = pub ? "PUBLIC" : u.v[4] ? u.v[4] : u.v[1];
        mig_fail(err, MIG_E_USAGE, "%s%s%s may create objects in tenant schema \"%s\", and role \"%s\" does not control %s",
                 pub ? "every role (PUBLIC)" : "role \"", pub ? "" : u.v[1], pub ? "" : "\"", tenant, u.v[2],
                 pub ? "them" : "it");
        mig_err_detail(err, "A tenant's revisions run with the schema first in the search path and with the rights of "
                            "the role that calls mig: a role that may create objects in it could supply functions or "
                            "operators that run with those rights.");
        mig_err_hint(err, "REVOKE CREATE ON SCHEMA %s FROM %s;", qt, qg);
        return -1;
    }
}

/*
 * One operation of the SQL API, run here: fn is the SQL function's name,
 * params its arguments (the fixed ones, then opts).  A text result goes to
 * *out (arena ar's copy; mig_check: "1" or "0"); mig_plan's rows go to rowfn.
 */
int pge_call(db *d, mig_arena *ar, const char *fn, int np, const char *const *params, const char **out,
             db_row_fn rowfn, void *rowarg, mig_err *err)
{
    mig_arena tmp;
    mig_backend be;
    pge c;
    mig_opts o;
    mig_op_result r;
    mig_op k = MIG_OP_COUNT;
    const char *a0 = NULL, *a1 = NULL, *opts = NULL;
    size_t i;
    int rc, nfixed, pinned_was_off, runs_bodies = 0;
    const char *saved_role = NULL;
    for (i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strcmp(OPS[i].fn, fn) == 0)
            k = OPS[i].k;
    if (k == MIG_OP_COUNT)
        return mig_fail(err, MIG_E_USAGE, "%s() needs the mig extension (this database uses the client's engine)", fn);
    nfixed = mig_op_defs[k].nfixed;
    if (nfixed >= 1 && np >= 1)
        a0 = params[0];
    if (nfixed >= 2 && np >= 2)
        a1 = params[1];
    if (np > nfixed)
        opts = params[nfixed];
    if (out)
        *out = NULL;
    mig_arena_init(&tmp, &ar->a);
    memset(&c, 0, sizeof c);
    memset(&r, 0, sizeof r);
    c.d = d;
    c.ar = &tmp;
    c.known = db_engine_state(d);
    mig_arena_init(&c.srcar, &ar->a);
    rc = mig_opts_parse(&tmp, opts, &o, err);
    /* the engine's own statements: pinned path, whatever the session has now */
    pinned_was_off = db_path_is_body(d);
    if (rc == 0 && pinned_was_off && db_body_path(d, 0, err))
        rc = -1;
    /* a run's revisions may SET ROLE or SET search_path for the session:
     * both are as before the call when it ends, as with the extension */
    runs_bodies = k == MIG_OP_UPGRADE || k == MIG_OP_DOWNGRADE;
    if (rc == 0 && runs_bodies && db_call_sql(d, "SELECT pg_catalog.current_setting('role')", 0, NULL, &saved_role, err))
        rc = -1;
    if (saved_role)
        c.role_lit = lit(d, &tmp, saved_role);
    if (rc == 0) {
        const char *p[1];
        const char *v = NULL;
        if (!c.known->user && db_call_sql(d, "SELECT current_user", 0, NULL, &c.known->user, err))
            rc = -1;
        c.user = c.known->user;
        c.user_path = db_user_path(d);
        if (rc == 0 && o.tenant) {
            p[0] = o.tenant;
            if (db_call_sql(d,
                            "SELECT pg_catalog.quote_ident(nspname) FROM pg_catalog.pg_namespace WHERE nspname = $1",
                            1, p, &v, err))
                rc = -1;
            else if (!v) {
                mig_fail(err, MIG_E_INPUT, "tenant schema \"%s\" does not exist", o.tenant);
                mig_err_hint(err, "A tenant is a schema: CREATE SCHEMA %s first.",
                             db_quote_ident(d, o.tenant) ? db_quote_ident(d, o.tenant) : o.tenant);
                rc = -1;
            } else {
                c.body_lit = lit(d, &tmp, strcmp(o.tenant, "public") == 0 ? mig_sprintf(&tmp, "%s, mig", v)
                                                                        : mig_sprintf(&tmp, "%s, public, mig", v));
                if ((k == MIG_OP_UPGRADE || k == MIG_OP_DOWNGRADE) && tenant_untrusted(d, &tmp, o.tenant, err))
                    rc = -1;
            }
        } else if (rc == 0)
            c.body_lit = lit(d, &tmp, mig_sprintf(&tmp, "%s%smig", c.user_path, *c.user_path ? ", " : ""));
    }
    if (rc == 0) {
        memset(&be, 0, sizeof be);
        be.ctx = &c;
        be.db = &mig_db_postgresql;
        be.applied_by = c.user;
        be.query = be_query;
        be.exec_body = be_exec_body;
        be.ensure_schema = be_ensure_schema;
        be.in_transaction = be_in_transaction;
        be.unit_begin = be_unit_begin;
        be.unit_end = be_unit_end;
        be.step_begin = be_step_begin;
        be.step_end = be_step_end;
        be.set_run = be_set_run;
        if (db_wants_progress(d))
            be.progress = be_progress;
        rc = mig_op_call(&be, &tmp, k, a0, a0 ? strlen(a0) : 0, a1, &o, &r, err);
        if (rc == 0 && flush(&c, err))
            rc = -1;
        c.nqueue = 0;
        if (c.unit_open) {
            mig_err e2;
            mig_err_clear(&e2);
            be_unit_end(&c, 0, &e2);
        }
    }
    if (rc == 0) {
        if (k == MIG_OP_CHECK) {
            if (out)
                *out = r.ok ? "1" : "0";
        } else if (k == MIG_OP_PLAN) {
            int j;
            for (j = 0; rc == 0 && rowfn && j < r.nrows; j++) {
                char step[16];
                const char *vals[4];
                snprintf(step, sizeof step, "%d", r.rows[j].step);
                vals[0] = step;
                vals[1] = r.rows[j].direction;
                vals[2] = r.rows[j].revision;
                vals[3] = r.rows[j].message;
                rc = rowfn(rowarg, 4, vals);
            }
        } else if (out && r.out) {
            *out = mig_strdup(ar, r.out);
            if (!*out)
                rc = mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
    }
    if (saved_role) {
        mig_err e2;
        const char *p[1] = {saved_role};
        mig_err_clear(&e2);
        if (db_call_sql(d, "SELECT pg_catalog.set_config('role', $1, false)", 1, p, NULL, rc ? &e2 : err))
            rc = -1;
    }
    if (pinned_was_off || runs_bodies) {
        mig_err e2;
        mig_err_clear(&e2);
        if (db_body_path(d, pinned_was_off, rc ? &e2 : err))
            rc = -1;
    }
    mig_arena_free(&c.srcar);
    mig_arena_free(&tmp);
    return rc;
}

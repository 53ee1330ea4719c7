/*
 * run.c — the commands that talk to the database: push, upgrade,
 * downgrade, stamp, current, check.
 *
 * upgrade/downgrade: one transaction pushes the files and runs the plan
 * (the SQL API nests in it).  A revision marked `transactional false` ends
 * that transaction ("nontransactional": "stop"); the client runs its
 * statements one by one outside a transaction, split by core's tokenizer,
 * records it ("record_only") and goes on.  On PostgreSQL the client holds
 * the env's advisory lock for the whole run.
 */
#include "mig.h"
#include "sqltok.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fail_err(const char *prefix, const mig_err *err)
{
    print_err(prefix, err->msg);
    if (err->detail[0])
        fprintf(stderr, "  detail: %s\n", err->detail);
    if (err->hint[0])
        fprintf(stderr, "  hint: %s\n", err->hint);
    return EX_FAILED;
}

static const char *q_str(mig_arena *ar, const char *s)
{
    json_t *j = json_string(s);
    char *t = json_dumps(j, JSON_ENCODE_ANY);
    const char *r = mig_strdup(ar, t ? t : "\"\"");
    free(t);
    json_decref(j);
    return r;
}

/* ---- push ---------------------------------------------------------------------------- */

/* The stored revisions' graph columns (never their sources): a file whose
 * checksum and header agree with its row is unchanged. */
enum { S_ID, S_CHECKSUM, S_DOWN, S_LABELS, S_DEPS, S_MESSAGE, S_TX, S_NCOL };
typedef struct stored {
    mig_strlist col[S_NCOL];
    int *order; /* indices sorted by id */
} stored;

static const mig_strlist *sort_ids;
static int cmp_ord(const void *a, const void *b)
{
    return strcmp(sort_ids->v[*(const int *)a], sort_ids->v[*(const int *)b]);
}

static int stored_find(const stored *s, const char *id)
{
    int lo = 0, hi = s->col[S_ID].n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(s->col[S_ID].v[s->order[mid]], id);
        if (c == 0)
            return s->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int stored_row(void *arg, int nc, const char *const *v)
{
    void **a = arg;
    mig_arena *ar = a[0];
    stored *s = a[1];
    int k;
    for (k = 0; k < S_NCOL; k++)
        mig_strlist_add(ar, &s->col[k], mig_strdup(ar, k < nc && v[k] ? v[k] : ""));
    return 0;
}

/* Does file e say what stored row i says (body and header)? */
static int same_as_stored(mig_arena *ar, const stored *s, int i, const revfile_ent *e)
{
    const char *tx = s->col[S_TX].v[i];
    int stored_tx = strcmp(tx, "1") == 0 || strcmp(tx, "t") == 0 || strcmp(tx, "true") == 0;
    return strcmp(s->col[S_CHECKSUM].v[i], e->rf.checksum) == 0 &&
           strcmp(s->col[S_DOWN].v[i], mig_strlist_join(ar, &e->rf.down, ",")) == 0 &&
           strcmp(s->col[S_LABELS].v[i], mig_strlist_join(ar, &e->rf.labels, ",")) == 0 &&
           strcmp(s->col[S_DEPS].v[i], mig_strlist_join(ar, &e->rf.depends, ",")) == 0 &&
           strcmp(s->col[S_MESSAGE].v[i], e->rf.message) == 0 && stored_tx == (e->rf.transactional != 0);
}

/* Does the store hold exactly what the files say (every revision, body and
 * header, and no other)?  1 yes, 0 no or cannot tell, -1 error.  One value
 * from the database instead of every row (db_store_digest); the files'
 * side comes from the header cache's summary when it has one. */
static int store_matches_files(ctx *x, db *d, const files *f, mig_err *err)
{
    const char *theirs;
    char hex[65];
    if (db_store_digest(d, x->p->env, &theirs, err))
        return -1;
    if (!theirs || strlen(theirs) != 64)
        return 0;
    if (f->sum)
        return strcmp(f->sum->digest, theirs) == 0;
    if (files_digest(x->ar, f, hex))
        return 0;
    return strcmp(hex, theirs) == 0;
}

/* New revisions are uploaded many to a statement: one round trip and, on
 * SQLite, one compilation of mig's statements for the lot. */
#define BATCH_FILES 1000
#define BATCH_BYTES (4 << 20)
typedef struct batch {
    json_t *sources;
    size_t bytes;
} batch;

/* A batch's upload failed: name the file of the revision the error is about. */
static int batch_failed(files *f, mig_err *err)
{
    const revfile_ent *e = err->revision[0] ? files_by_id(f, err->revision) : NULL;
    if (e && !strstr(err->msg, e->path))
        mig_err_prefix(err, "%s: ", e->path);
    return -1;
}

static int flush_batch(ctx *x, db *d, files *f, batch *b, const char *env_opts, mig_err *err)
{
    const char *p[2], *count = NULL;
    size_t i, n = json_array_size(b->sources);
    int rc = 0;
    if (n == 0)
        return 0;
    b->bytes = 0;
    if (db_kindof(d) == MIG_DIALECT_SQLITE) {
        /* SQLite: the same connection, no round trip to save; each source
         * bound as it is, none escaped into a document and parsed again */
        const char **v = malloc(sizeof *v * n);
        if (!v)
            rc = mig_fail(err, MIG_E_NOMEM, "out of memory");
        else {
            for (i = 0; i < n; i++)
                v[i] = json_string_value(json_array_get(b->sources, i));
            rc = db_call_each(d, "SELECT mig_put_revision(?1, ?2)", (int)n, v, env_opts, err);
            free(v);
        }
    } else if (db_client_engine(d)) {
        /* the client's engine: one call per revision, here */
        for (i = 0; rc == 0 && i < n; i++) {
            const char *q[2] = {json_string_value(json_array_get(b->sources, i)), env_opts}, *id;
            rc = db_call(d, "mig_put_revision", 2, q, &id, err);
        }
    } else {
        /* PostgreSQL: the batch in one round trip */
        char *text = json_dumps(b->sources, JSON_COMPACT);
        if (!text) {
            json_array_clear(b->sources);
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
        p[0] = text;
        p[1] = env_opts;
        rc = db_call_sql(d,
                         mig_sprintf(x->ar,
                                     "SELECT pg_catalog.count(%s(value, $2))::pg_catalog.text FROM "
                                     "pg_catalog.json_array_elements_text($1::pg_catalog.json)",
                                     db_fn(d, "mig_put_revision")),
                         2, p, &count, err);
        free(text);
        if (rc == 0 && (!count || strtoul(count, NULL, 10) != n))
            rc = mig_fail(err, MIG_E_STATE, "uploaded %s of %zu revision files", count ? count : "none", n);
    }
    json_array_clear(b->sources);
    return rc ? batch_failed(f, err) : 0;
}

/* Rows of (revision, checksum, down_revisions, branch_labels, depends_on). */
typedef struct stored_graph {
    mig_strlist col[5];
    int loaded;
} stored_graph;

static int stored_graph_row(void *arg, int nc, const char *const *v)
{
    void **a = arg;
    mig_arena *ar = a[0];
    stored_graph *s = a[1];
    int k;
    for (k = 0; k < 5; k++)
        mig_strlist_add(ar, &s->col[k], mig_strdup(ar, k < nc && v[k] ? v[k] : ""));
    return 0;
}

typedef struct push_result {
    int added, changed, unchanged, removed, kept;
    int keep_edited;  /* keep the stored body of an edited applied revision (with a warning) */
    int kept_edited;
    int quiet_events; /* upgrade/downgrade/stamp: a summary line, not one line per file */
    int by_digest;    /* one digest of the store settled it: nothing to upload */
    json_t *events; /* when --json */
} push_result;

static void push_event(ctx *x, push_result *r, const char *what, const char *id, const char *path)
{
    if (r->events) {
        json_array_append_new(r->events, json_pack("{s:s, s:s, s:s?}", "action", what, "revision", id, "path", path));
        return;
    }
    if (x->c->quiet || r->quiet_events)
        return;
    if (path)
        printf("  %-9s %s (%s)\n", what, id, path);
    else
        printf("  %-9s %s\n", what, id);
}

/* The upload of file e failed: the error names the file, and the hint the
 * client's way out. */
static int put_failed(const revfile_ent *e, mig_err *err)
{
    mig_err_prefix(err, "%s: ", e->path);
    if (err->reason == MIG_R_BODY_CHANGED)
        mig_err_hint(err, "Revert the edit and write a new revision (mig revision), or run 'mig push --force' "
                          "to replace the stored body (the database keeps what the old body did).");
    else if (err->reason == MIG_R_GRAPH_CHANGED && !e->rf.down.n && !e->rf.depends.n)
        mig_err_hint(err, "If %s was squashed (mig squash), run once 'mig push --force' and then 'mig stamp "
                          "--accept %s'; otherwise downgrade below it first, or write a new revision.",
                     e->rf.id, e->rf.id);
    return -1;
}

/* Upload one file by itself (a changed one, or with --force), its text
 * src.  Returns 1
 * when an edited applied revision's stored body was kept (upgrade,
 * downgrade, stamp: keep_edited), 0 when uploaded, -1 on error. */
static int put_one(ctx *x, db *d, const revfile_ent *e, const char *src, int is_stored, push_result *r,
                   const char *opts, mig_err *err)
{
    const char *p[2] = {src, opts}, *id;
    if (is_stored && r->keep_edited && !x->c->force) {
        /* upgrade/downgrade/stamp: a teammate's edit of an applied
         * revision must not block everyone's run, nor the downgrade
         * that fixes it; the database keeps (and runs) the body that
         * ran, and says so.  `mig push` still refuses the edit. */
        mig_err e2;
        mig_err_clear(&e2);
        if (db_exec(d, "SAVEPOINT mig_put", err))
            return -1;
        if (db_call(d, "mig_put_revision", 2, p, &id, &e2) == 0)
            return db_exec(d, "RELEASE mig_put", err) ? -1 : 0;
        if (db_exec(d, "ROLLBACK TO mig_put; RELEASE mig_put", err))
            return -1;
        if (e2.reason != MIG_R_BODY_CHANGED) {
            *err = e2;
            return put_failed(e, err);
        }
        r->kept_edited++;
        if (!x->c->quiet)
            fprintf(stderr,
                    "mig: warning: %s: revision %s was edited after it was applied; the database keeps "
                    "and runs the body that ran (mig check fails until the edit is reverted, or pushed "
                    "with mig push --force and accepted with mig stamp --accept %s)\n",
                    e->path, e->rf.id, e->rf.id);
        return 1;
    }
    if (db_call(d, "mig_put_revision", 2, p, &id, err))
        return put_failed(e, err);
    return 0;
}

static int remove_gone(ctx *x, db *d, files *f, const stored *s, push_result *r, const char *env_opts, mig_err *err);

/* Upload the files inside the caller's transaction.  verbose: say what
 * happened to each file (the push command); otherwise only what changed. */
static int push_files(ctx *x, db *d, files *f, push_result *r, mig_err *err)
{
    stored s;
    mig_arena texts; /* the text of the file being uploaded */
    batch b = {json_array(), 0};
    const char *p[2];
    int i, exists;
    void *arg[2] = {x->ar, &s};
    /* revisions belong to the env, not to a tenant: uploads carry the env
     * only, so an error about --tenant (a missing schema) is never blamed
     * on the first revision file */
    const char *env_opts = mig_sprintf(x->ar, "{\"env\":%s}", q_str(x->ar, x->p->env));
    const char *force_opts = mig_sprintf(x->ar, "{\"env\":%s,\"force\":true}", q_str(x->ar, x->p->env));
    memset(&s, 0, sizeof s);
    if (!b.sources)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    mig_arena_init(&texts, &x->ar->a);
    exists = db_state_exists(d, err);
    if (exists < 0)
        goto fail;
    if (exists) {
        /* the common case of a deploy: nothing new, nothing edited */
        int same = store_matches_files(x, d, f, err);
        if (same < 0)
            goto fail;
        if (same) {
            r->unchanged = f->n;
            r->by_digest = 1;
            json_decref(b.sources);
            return 0;
        }
        if (files_full(f, err))
            goto fail;
        p[0] = x->p->env;
        if (db_query(d,
                     mig_sprintf(x->ar,
                                 "SELECT revision, checksum, down_revisions, branch_labels, depends_on, message, "
                                 "transactional FROM %s WHERE env = $1",
                                 db_table(d, "mig_revision")),
                     1, p, stored_row, arg, err))
            goto fail;
    }
    if (files_full(f, err)) /* every file to compare or upload */
        goto fail;
    /* stored ids, sorted, for a binary search per file */
    {
        int *ord = mig_alloc(x->ar, sizeof *ord * (size_t)(s.col[S_ID].n + 1));
        for (i = 0; i < s.col[S_ID].n; i++)
            ord[i] = i;
        sort_ids = &s.col[S_ID];
        qsort(ord, (size_t)s.col[S_ID].n, sizeof *ord, cmp_ord);
        sort_ids = NULL; /* s is on this stack: leave no pointer to it */
        s.order = ord;
    }
    for (i = 0; i < f->n; i++) {
        const revfile_ent *e = &f->v[i];
        int found = stored_find(&s, e->rf.id), kept;
        const char *src;
        json_t *js;
        mig_arena_mark m;
        if (found >= 0 && same_as_stored(x->ar, &s, found, e)) {
            r->unchanged++;
            continue;
        }
        /* to be uploaded: its text now, given back once it is (the batch
         * holds a copy), so that no more than a batch of texts is held */
        mig_arena_mark_get(&texts, &m);
        if (files_text(&texts, e, &src, err))
            goto fail;
        if (found < 0 && !x->c->force && (js = json_string(src)) != NULL) {
            /* new: into the batch (a source that is not UTF-8 goes alone) */
            json_array_append_new(b.sources, js);
            b.bytes += strlen(src);
            mig_arena_release(&texts, &m);
            r->added++;
            push_event(x, r, "added", e->rf.id, e->path);
            if ((json_array_size(b.sources) >= BATCH_FILES || b.bytes >= BATCH_BYTES) &&
                flush_batch(x, d, f, &b, env_opts, err))
                goto fail;
            continue;
        }
        /* in upload order: what is batched goes first */
        if (flush_batch(x, d, f, &b, env_opts, err))
            goto fail;
        kept = put_one(x, d, e, src, found >= 0, r, x->c->force ? force_opts : env_opts, err);
        mig_arena_release(&texts, &m);
        if (kept < 0)
            goto fail;
        if (kept)
            continue;
        if (found >= 0) {
            r->changed++;
            push_event(x, r, "changed", e->rf.id, e->path);
        } else {
            r->added++;
            push_event(x, r, "added", e->rf.id, e->path);
        }
    }
    mig_arena_free(&texts);
    if (flush_batch(x, d, f, &b, env_opts, err))
        goto fail;
    json_decref(b.sources);
    return remove_gone(x, d, f, &s, r, env_opts, err);
fail:
    mig_arena_free(&texts);
    json_decref(b.sources);
    return -1;
}

/* Stored revisions with no file are removed, unless applied (kept, with a
 * warning). */
static int remove_gone(ctx *x, db *d, files *f, const stored *s, push_result *r, const char *env_opts, mig_err *err)
{
    const char *p[2];
    int i;
    /* stored revisions with no file: removed unless applied */
    {
        mig_strlist gone = {0};
        int progress = 1;
        for (i = 0; i < s->col[S_ID].n; i++)
            if (!files_by_id(f, s->col[S_ID].v[i]))
                mig_strlist_add(x->ar, &gone, s->col[S_ID].v[i]);
        while (gone.n && progress) {
            progress = 0;
            /* children first: stored rows come in upload order, parents first */
            for (i = gone.n - 1; i >= 0; i--) {
                mig_err e2;
                const char *id;
                if (!gone.v[i])
                    continue;
                mig_err_clear(&e2);
                if (db_exec(d, "SAVEPOINT mig_push", err))
                    return -1;
                p[0] = gone.v[i];
                p[1] = env_opts;
                if (db_call(d, "mig_remove_revision", 2, p, &id, &e2) == 0) {
                    if (db_exec(d, "RELEASE mig_push", err))
                        return -1;
                    r->removed++;
                    push_event(x, r, "removed", gone.v[i], NULL);
                    gone.v[i] = NULL;
                    progress = 1;
                } else if (db_exec(d, "ROLLBACK TO mig_push; RELEASE mig_push", err))
                    return -1;
            }
        }
        for (i = 0; i < gone.n; i++)
            if (gone.v[i]) {
                r->kept++;
                if (r->events)
                    push_event(x, r, "kept", gone.v[i], NULL);
                else
                    fprintf(stderr, "mig: warning: revision %s is applied but has no file in %s; kept\n",
                            gone.v[i], x->p->versions);
            }
    }
    return 0;
}


/* No URL at all: say whether the configuration file is missing too. */
static int no_url(ctx *x, mig_err *err)
{
    if (x->p->url)
        return 0;
    if (!x->p->ini_found)
        return mig_fail(err, MIG_E_INPUT,
                        "no %s here and no database URL: run 'mig init' to start a project, give -c FILE, or give "
                        "--url / set MIG_URL",
                        x->p->ini_path ? x->p->ini_path : "mig.ini");
    return mig_fail(err, MIG_E_INPUT, "no database: %s has no url in section [%s]; add url = ..., give --url, or "
                                      "set MIG_URL",
                    x->p->ini_path ? x->p->ini_path : "mig.ini", x->p->section);
}

/* Open the database for writing, with mig set up, the run locked. */
static db *open_write(ctx *x, mig_err *err)
{
    db *d = no_url(x, err) ? NULL : db_open(x->ar, x->p->url, x->p->url_from, 1, err);
    if (!d)
        return NULL;
    /* the extension first (its mig_lock() is the lock; db_ensure_mig copes
     * with a concurrent CREATE EXTENSION), then the lock for the whole run */
    if (db_kindof(d) == MIG_DIALECT_POSTGRES && db_ensure_mig(d, err)) {
        db_close(d);
        return NULL;
    }
    if (db_lock(d, x->p->env, x->c->tenant, x->c->quiet || x->c->json, err)) {
        mig_err_prefix(err, "cannot lock env \"%s\": ", x->p->env);
        db_close(d);
        return NULL;
    }
    return d;
}

int cmd_push(ctx *x)
{
    files f;
    mig_err err;
    db *d;
    push_result r;
    double t0 = now_ms();
    mig_err_clear(&err);
    memset(&r, 0, sizeof r);
    if (project_files_lazy(x, &f))
        return EX_FAILED;
    if (!(d = open_write(x, &err)))
        return fail_err(NULL, &err);
    if (x->c->json)
        r.events = json_array();
    if (db_begin(d, &err) || push_files(x, d, &f, &r, &err) || db_commit(d, &err)) {
        db_rollback(d);
        db_close(d);
        json_decref(r.events);
        fail_err(NULL, &err);
        fprintf(stderr, "  nothing was uploaded\n");
        return EX_FAILED;
    }
    db_close(d);
    if (r.events)
        json_print(json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:o, s:s}", "database", db_display(d), "added", r.added,
                             "changed", r.changed, "unchanged", r.unchanged, "removed", r.removed, "kept", r.kept,
                             "revisions", r.events, "compared", r.by_digest ? "digest" : "rows"));
    else if (!x->c->quiet)
        printf("Pushed %d revision file%s to %s: %d added, %d changed, %d unchanged, %d removed (%.0f ms)\n", f.n,
               f.n == 1 ? "" : "s", db_display(d), r.added, r.changed, r.unchanged, r.removed, now_ms() - t0);
    return EX_DONE;
}

/* ---- upgrade / downgrade ------------------------------------------------------------------ */

typedef struct run_state {
    ctx *x;
    int steps;
    json_t *lines;
    const files *f; /* the project's files, for warnings about the steps */
} run_state;

/* Does the revision's downgrade do anything: a downgrade section with a
 * statement in it (not only white space and comments)? */
static int has_downgrade(const revfile_ent *e)
{
    return e->has_down;
}

static void on_progress(void *arg, const char *line)
{
    run_state *s = arg;
    s->steps++;
    if (s->f && strncmp(line, "Running downgrade ", 18) == 0 && !s->x->c->quiet) {
        const char *id = line + 18, *arrow = strstr(id, " -> ");
        const revfile_ent *e = arrow ? files_by_id(s->f, mig_strndup(s->x->ar, id, (size_t)(arrow - id))) : NULL;
        if (e && !has_downgrade(e))
            fprintf(stderr, "mig: warning: %s: revision %s has an empty downgrade: its downgrade undoes nothing\n",
                    e->path, e->rf.id);
    }
    if (s->lines)
        json_array_append_new(s->lines, json_string(line));
    else if (!s->x->c->quiet) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
}

/* Is the target relative to the current state (+N, -N, LABEL@+N, LABEL@-N)? */
static int current_relative(const char *t)
{
    const char *at = strrchr(t, '@');
    const char *s = at ? at + 1 : t;
    if (*s != '+' && *s != '-')
        return 0;
    for (s++; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

typedef struct plan_rows {
    mig_arena *ar;
    mig_strlist revs;
} plan_rows;

static int plan_row(void *arg, int nc, const char *const *v)
{
    plan_rows *p = arg;
    if (nc >= 3 && v[2])
        mig_strlist_add(p->ar, &p->revs, mig_strdup(p->ar, v[2]));
    return 0;
}

static int get_plan(ctx *x, db *d, const char *dir, const char *target, mig_strlist *out, mig_err *err)
{
    plan_rows pr;
    const char *p[3] = {dir, target, x->opts};
    pr.ar = x->ar;
    memset(&pr.revs, 0, sizeof pr.revs);
    if (db_client_engine(d)) {
        if (pge_call(d, x->ar, "mig_plan", 3, p, NULL, plan_row, &pr, err))
            return -1;
        *out = pr.revs;
        return 0;
    }
    if (db_query(d,
                 mig_sprintf(x->ar, "SELECT step, direction, revision, message FROM %s($1, $2, $3) ORDER BY step",
                             db_fn(d, "mig_plan")),
                 3, p, plan_row, &pr, err))
        return -1;
    *out = pr.revs;
    return 0;
}

static int section_runs(ctx *x, db *d, const mig_section *s, int upgrade)
{
    return mig_section_runs(s, upgrade, db_kindof(d), &x->c->xk, &x->c->xv);
}

static int run_statements(ctx *x, db *d, const revfile_ent *e, int upgrade, mig_err *err);

/* Run a `transactional false` revision's statements one by one, outside a transaction. */
static int run_outside(ctx *x, db *d, const revfile_ent *e, int upgrade, mig_err *err)
{
    int rc;
    const char *saved = NULL, *p[1];
    if (!x->c->tenant) {
        /* the session's own search_path, as inside mig_upgrade */
        if (db_body_path(d, 1, err))
            return -1;
        rc = run_statements(x, d, e, upgrade, err);
        {
            mig_err e2;
            mig_err_clear(&e2);
            if (db_body_path(d, 0, rc ? &e2 : err))
                rc = -1;
        }
        return rc;
    }
    /* a tenant's revisions run in its schema, as the functions run them */
    p[0] = x->c->tenant;
    if (db_call_sql(d, "SELECT pg_catalog.current_setting('search_path')", 0, NULL, &saved, err) ||
        db_call_sql(d, "SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident($1) || ', public', false)",
                    1, p, NULL, err))
        return -1;
    rc = run_statements(x, d, e, upgrade, err);
    p[0] = saved;
    {
        mig_err e2;
        mig_err_clear(&e2);
        if (db_call_sql(d, "SELECT pg_catalog.set_config('search_path', $1, false)", 1, p, NULL, rc ? &e2 : err))
            rc = -1;
    }
    return rc;
}

static int run_statements(ctx *x, db *d, const revfile_ent *e, int upgrade, mig_err *err)
{
    int i;
    mig_dialect dia = db_kindof(d);
    if (files_source(x->ar, e, err))
        return -1;
    for (i = 0; i < e->rf.nsections; i++) {
        const mig_section *s = &e->rf.sections[i];
        mig_sql_iter it;
        mig_sql_stmt st;
        char ebuf[256];
        mig_tok_result tr;
        if (!section_runs(x, d, s, upgrade))
            continue;
        mig_sql_iter_init(&it, e->src + s->body_off, s->body_len, dia);
        while ((tr = mig_sql_iter_next(&it, &st, ebuf, sizeof ebuf)) == MIG_TOK_OK) {
            const char *sql = mig_strndup(x->ar, e->src + s->body_off + st.start, st.len);
            if (db_exec_one(d, sql, err)) {
                mig_err_prefix(err, "%s: revision %s (%s, outside a transaction) failed at line %u: ", e->path,
                               e->rf.id, upgrade ? "upgrade" : "downgrade", s->body_line + st.line - 1);
                mig_err_hint(err, "The statements before line %u were committed and the revision is not "
                                  "recorded: fix it, make its statements safe to repeat (IF NOT EXISTS), and run "
                                  "mig %s again.",
                             s->body_line + st.line - 1, upgrade ? "upgrade" : "downgrade");
                return -1;
            }
        }
        if (tr == MIG_TOK_ERROR)
            return mig_fail(err, MIG_E_INPUT, "%s: revision %s: %s", e->path, e->rf.id, ebuf);
    }
    return 0;
}

static void report_outside(run_state *rs, const revfile_ent *e, int upgrade)
{
    const char *line = mig_running_line(rs->x->ar, upgrade, e->rf.id, &e->rf.down, e->rf.message, 1);
    if (line)
        on_progress(rs, line);
}

static int offline_sql(ctx *x, files *f, const char *direction, const char *target);

/* A -x KEY that no revision file tests (`if KEY`) or reads (mig_x('KEY'))
 * is most likely a typo: say so, once per key, on standard error. */
static void warn_unused_x(ctx *x, const files *f)
{
    int i, j, k;
    for (i = 0; i < x->c->xk.n; i++) {
        const char *key = x->c->xk.v[i], *needle = mig_sprintf(x->ar, "mig_x('%s')", key);
        int used = 0;
        for (j = 0; j < i && !used; j++)
            used = strcmp(x->c->xk.v[j], key) == 0; /* said once */
        for (j = 0; j < f->n && !used; j++) {
            mig_err e2;
            if (files_source(x->ar, &f->v[j], &e2))
                continue; /* unreadable now: the run says so if it needs the file */
            for (k = 0; k < f->v[j].rf.nsections && !used; k++)
                used = f->v[j].rf.sections[k].if_name && strcmp(f->v[j].rf.sections[k].if_name, key) == 0;
            used = used || (needle && strstr(f->v[j].src, needle));
        }
        if (!used && !x->c->quiet)
            fprintf(stderr, "mig: warning: -x %s: no revision file has a section 'if %s' or calls mig_x('%s')\n", key,
                    key, key);
    }
}

/*
 * A run of an env at base failed in a revision, and other envs of this
 * database are not at base: most likely a new mig.ini section pointed at a
 * database another section already migrated (a section is its own lineage).
 * Say so, and how to share that lineage.
 */
static void hint_other_env(ctx *x, db *d, mig_err *err)
{
    stored_graph r;
    void *arg[2] = {x->ar, &r};
    const char *p[1];
    mig_err e2;
    mig_buf b;
    int i;
    memset(&r, 0, sizeof r);
    mig_err_clear(&e2);
    p[0] = x->p->env;
    if (db_query(d,
                 mig_sprintf(x->ar,
                             "SELECT env, version_num FROM %s WHERE env <> $1 AND NOT EXISTS (SELECT 1 FROM %s "
                             "WHERE env = $1) ORDER BY env, version_num",
                             db_table(d, "mig_version"), db_table(d, "mig_version")),
                 1, p, stored_graph_row, arg, &e2) ||
        r.col[0].n == 0)
        return;
    mig_buf_init(&b, x->ar);
    for (i = 0; i < r.col[0].n && i < 5; i++)
        mig_buf_printf(&b, "%senv \"%s\" is at %s", i ? ", " : "", r.col[0].v[i], r.col[1].v[i]);
    mig_err_hint(err,
                 "This database was migrated by another lineage (%s), and env \"%s\" starts its own at base. If "
                 "section [%s] of %s means the same database as that env, share its lineage: add 'env = %s' to "
                 "[%s].",
                 b.data ? b.data : "", x->p->env, x->p->section, x->p->ini_path, r.col[0].v[0], x->p->section);
}

/* A run whose plan has revisions to run outside a transaction goes in
 * several calls: a target relative to the current state (-1, +2, heads...)
 * is pinned to the revision it means now, so that every call means the same
 * revisions. */
static int pin_relative_target(ctx *x, db *d, files *f, int downgrade, const char **target, mig_err *err)
{
    mig_strlist plan;
    const revfile_ent *last;
    int i, nontx = 0;
    if (get_plan(x, d, downgrade ? "downgrade" : "upgrade", *target, &plan, err))
        return -1;
    if (!plan.n || !current_relative(*target))
        return 0;
    last = files_by_id(f, plan.v[plan.n - 1]);
    for (i = 0; i < plan.n; i++) {
        const revfile_ent *e = files_by_id(f, plan.v[i]);
        nontx |= e && !e->rf.transactional;
    }
    if (!downgrade)
        *target = plan.v[plan.n - 1];
    else if (last && last->rf.down.n == 1)
        *target = last->rf.down.v[0];
    else if (last && last->rf.down.n == 0)
        *target = "base";
    else if (nontx)
        return mig_fail(err, MIG_E_TARGET,
                        "downgrade %s crosses a merge point and a revision marked 'transactional false'; give an "
                        "absolute target (a revision id)",
                        *target);
    return 0;
}

/* One call of mig_upgrade / mig_downgrade, with the session's own search
 * path for the bodies, committed. */
static int call_run(db *d, const char *fn, const char *target, const char *opts, const char **heads, mig_err *err)
{
    const char *p[2] = {target, opts};
    return db_body_path(d, 1, err) || db_call(d, fn, 2, p, heads, err) || db_body_path(d, 0, err) ||
                   db_commit(d, err)
               ? -1
               : 0;
}

/* After the first transactional stretch: each revision marked
 * `transactional false` runs here, statement by statement, and is recorded
 * in a transaction of its own; then the next stretch runs. */
static int run_rest(ctx *x, db *d, files *f, run_state *rs, int downgrade, const char *target, const char **heads,
                    mig_err *err)
{
    const char *fn = downgrade ? "mig_downgrade" : "mig_upgrade";
    for (;;) {
        mig_strlist plan;
        const revfile_ent *e;
        const char *opts = opts_json(x, "\"nontransactional\":\"stop\"");
        if (get_plan(x, d, downgrade ? "downgrade" : "upgrade", target, &plan, err))
            return -1;
        if (plan.n == 0)
            return 0;
        if (!(e = files_by_id(f, plan.v[0])))
            return mig_fail(err, MIG_E_STATE, "the plan's next step %s has no revision file", plan.v[0]);
        if (!e->rf.transactional) {
            report_outside(rs, e, !downgrade);
            if (run_outside(x, d, e, !downgrade, err))
                return -1;
            opts = opts_json(x, mig_sprintf(x->ar, "\"nontransactional\":\"stop\",\"record_only\":%s",
                                            q_str(x->ar, e->rf.id)));
        }
        if (db_begin(d, err) || call_run(d, fn, target, opts, heads, err))
            return -1;
    }
}

/* Is the database at exactly the heads of the files?  1 yes, 0 no, -1 error;
 * *heads: the current heads. */
static int at_file_heads(ctx *x, db *d, files *f, const char **heads, mig_err *err)
{
    const char *p[1] = {x->opts};
    mig_strlist cur = {0};
    int i;
    if (!f->graph_ok && !f->sum)
        return 0;
    if (db_call(d, "mig_current", 1, p, heads, err))
        return -1;
    split_spaces(x->ar, *heads, &cur);
    if (cur.n != files_nreal_heads(f))
        return 0;
    for (i = 0; i < cur.n; i++)
        if (!files_is_real_head(f, cur.v[i]))
            return 0;
    return 1;
}

static void report_run(ctx *x, db *d, run_state *rs, push_result *pr, int downgrade, const char *target,
                       const char *heads, double t0)
{
    const char *dir = downgrade ? "downgrade" : "upgrade";
    if (rs->lines) {
        mig_strlist h = {0};
        json_t *ha = json_array();
        int i;
        split_spaces(x->ar, heads, &h);
        for (i = 0; i < h.n; i++)
            json_array_append_new(ha, json_string(h.v[i]));
        json_print(json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:i}", "database", db_display(d), "direction",
                             dir, "target", target, "steps", rs->steps, "ran", rs->lines, "current", ha, "pushed",
                             pr->events, "ms", (int)(now_ms() - t0 + 0.5)));
    } else if (!x->c->quiet) {
        if (rs->steps == 0)
            printf("Nothing to %s: %s is at %s\n", dir, db_display(d), heads && *heads ? heads : "base");
        else
            printf("%s %d revision%s in %.0f ms; %s is at %s\n", downgrade ? "Downgraded" : "Upgraded", rs->steps,
                   rs->steps == 1 ? "" : "s", now_ms() - t0, db_display(d), heads && *heads ? heads : "base");
    }
}

static int run_failed(ctx *x, db *d, files *f, run_state *rs, push_result *pr, int downgrade, int committed,
                      mig_err *err)
{
    db_rollback(d);
    if (!downgrade && err->reason == MIG_R_STEP_FAILED && !err->hint[0])
        hint_other_env(x, d, err);
    db_close(d);
    json_decref(rs->lines);
    json_decref(pr->events);
    if (err->revision[0]) {
        /* an error about one revision: name its file too */
        const revfile_ent *e;
        mig_err e2;
        if (f->released && project_files_quiet(x, f))
            memset(f, 0, sizeof *f);
        if (f->sum)
            (void)files_full(f, &e2);
        e = files_by_id(f, err->revision);
        if (e && !strstr(err->msg, e->path))
            mig_err_prefix(err, "%s: ", e->path);
    }
    fail_err(NULL, err);
    if (!committed && (pr->added || pr->changed || pr->removed))
        fprintf(stderr, "  the upload of the revision files was rolled back with the rest\n");
    return EX_FAILED;
}

static int run_in(ctx *x, int downgrade, mig_arena *far)
{
    files f;
    mig_err err;
    db *d;
    push_result pr;
    run_state rs;
    const char *target, *heads = NULL, *fn = downgrade ? "mig_downgrade" : "mig_upgrade";
    const char *dir = downgrade ? "downgrade" : "upgrade";
    int i, any_nontx = 0;
    double t0 = now_ms();
    mig_err_clear(&err);
    memset(&pr, 0, sizeof pr);
    memset(&rs, 0, sizeof rs);
    rs.x = x;
    rs.f = &f;
    target = x->c->args.n ? x->c->args.v[0] : "heads";
    if (project_files_lazy_sum_in(x, far, &f))
        return EX_FAILED;
    if ((x->c->sql || x->c->xk.n) && files_full(&f, &err))
        return fail_err(NULL, &err);
    if (x->c->sql)
        return offline_sql(x, &f, dir, target);
    if (strchr(target, ':')) {
        errorf("%s %s: a FROM:TO range is only for --sql (offline mode)", dir, target);
        return EX_USAGE;
    }
    for (i = 0; i < f.n && !f.sum; i++)
        any_nontx |= !f.v[i].rf.transactional;
    if (f.sum)
        any_nontx = f.sum->nontx > 0;
    warn_unused_x(x, &f);
    if (!(d = open_write(x, &err)))
        return fail_err(NULL, &err);
    if (x->c->json) {
        rs.lines = json_array();
        pr.events = json_array();
    }
    if (x->c->quiet && !x->c->json) {
        /* no step is printed: none is sent */
        if (db_progress_off(d, &err))
            return run_failed(x, d, &f, &rs, &pr, downgrade, 0, &err);
    } else
        db_set_progress(d, on_progress, &rs, !x->c->json);
    pr.quiet_events = 1;
    pr.keep_edited = 1;
    if (db_begin(d, &err) || push_files(x, d, &f, &pr, &err))
        return run_failed(x, d, &f, &rs, &pr, downgrade, 0, &err);
    if (!rs.lines && !x->c->quiet && (pr.added || pr.changed || pr.removed)) {
        /* committed with the run, or rolled back with it */
        printf("Uploading %d added, %d changed, %d removed revision file%s with this run\n", pr.added, pr.changed,
               pr.removed, pr.added + pr.changed + pr.removed == 1 ? "" : "s");
        fflush(stdout);
    }
    if (!downgrade && !(pr.added || pr.changed || pr.removed) &&
        (strcmp(target, "heads") == 0 ||
         (strcmp(target, "head") == 0 && (f.graph_ok || f.sum) && files_nreal_heads(&f) == 1))) {
        /* nothing uploaded: at the files' heads already means nothing to do,
         * which mig_current() tells without loading the whole graph ("head"
         * is "heads" when there is one) */
        int at = at_file_heads(x, d, &f, &heads, &err);
        if (at < 0 || (at && db_commit(d, &err)))
            return run_failed(x, d, &f, &rs, &pr, downgrade, 0, &err);
        if (at) {
            db_set_progress(d, NULL, NULL, 0);
            db_close(d);
            report_run(x, d, &rs, &pr, downgrade, target, heads, t0);
            return EX_DONE;
        }
    }
    if (!downgrade && !any_nontx) {
        /* uploaded, and the engine runs every step: the files are not
         * needed any more (an error reads them again to name a file), and
         * on SQLite the engine is about to load the stored graph in this
         * process */
        files_release(&f, far);
        rs.f = NULL;
    } else if (files_full(&f, &err))
        return run_failed(x, d, &f, &rs, &pr, downgrade, 0, &err);
    if ((any_nontx && pin_relative_target(x, d, &f, downgrade, &target, &err)) ||
        call_run(d, fn, target, any_nontx ? opts_json(x, "\"nontransactional\":\"stop\"") : x->opts, &heads, &err))
        return run_failed(x, d, &f, &rs, &pr, downgrade, 0, &err);
    if (any_nontx && run_rest(x, d, &f, &rs, downgrade, target, &heads, &err))
        return run_failed(x, d, &f, &rs, &pr, downgrade, 1, &err);
    db_set_progress(d, NULL, NULL, 0);
    db_close(d);
    report_run(x, d, &rs, &pr, downgrade, target, heads, t0);
    return EX_DONE;
}

int cmd_run(ctx *x, int downgrade)
{
    /* the project's files in an arena of their own, given back once the
     * run needs them no more (files_release) */
    mig_arena far;
    int rc;
    mig_arena_init(&far, &x->ar->a);
    rc = run_in(x, downgrade, &far);
    mig_arena_free(&far);
    return rc;
}

/*
 * upgrade / downgrade / stamp --sql: the files are pushed inside a
 * transaction that is rolled back, so the script is computed by mig's own
 * engine and nothing changes.  With a FROM:TO range the database is not
 * needed at all (Alembic's offline mode): the engine runs over an in-memory
 * SQLite database and writes the script for the kind of database the URL
 * names, so a PostgreSQL script needs no server.  Without a range the script
 * starts from the database's current state, which needs the database.
 */
static int offline_sql(ctx *x, files *f, const char *direction, const char *target)
{
    mig_err err;
    db *d;
    mig_dialect kind = MIG_DIALECT_SQLITE;
    push_result pr;
    const char *script = NULL, *p[3];
    int saved_quiet = x->c->quiet, saved_json = x->c->json, from_to = strchr(target, ':') != NULL;
    mig_err_clear(&err);
    memset(&pr, 0, sizeof pr);
    if (no_url(x, &err) || db_url_kind(x->ar, x->p->url, x->p->url_from, &kind, &err))
        return fail_err(NULL, &err);
    d = from_to ? db_open(x->ar, "sqlite:", "the offline engine", 1, &err)
                : db_open(x->ar, x->p->url, x->p->url_from, 0, &err);
    if (!d) {
        int rc = fail_err(NULL, &err);
        if (!from_to && kind == MIG_DIALECT_POSTGRES)
            fprintf(stderr, "  hint: with a range, such as %s base:%s --sql, the script is written without "
                            "connecting\n",
                    direction, *target ? target : "heads");
        return rc;
    }
    x->c->quiet = 1;
    x->c->json = 0;
    if (db_begin(d, &err) || (db_kindof(d) == MIG_DIALECT_POSTGRES && db_ensure_mig(d, &err)) ||
        push_files(x, d, f, &pr, &err)) {
        x->c->quiet = saved_quiet;
        x->c->json = saved_json;
        goto fail;
    }
    x->c->quiet = saved_quiet;
    x->c->json = saved_json;
    p[0] = direction;
    p[1] = target;
    p[2] = kind != db_kindof(d) ? opts_json(x, "\"dialect\":\"postgresql\"") : x->opts;
    if (db_call(d, "mig_sql", 3, p, &script, &err))
        goto fail;
    db_rollback(d);
    db_close(d);
    if (x->c->json)
        json_print(json_pack("{s:s}", "sql", script ? script : ""));
    else
        fputs(script ? script : "", stdout);
    return EX_DONE;
fail:
    db_rollback(d);
    db_close(d);
    return fail_err(NULL, &err);
}

/* ---- stamp ---------------------------------------------------------------------------- */

/*
 * stamp --accept REV...: each REV must be applied; record, in the same
 * transaction, a stamp to REV (a history row with its stored checksum) and
 * a stamp back to the heads the database was at.  The version state ends
 * where it began; mig_check() now compares REV with its new body.
 */
static int is_current_head(const mig_strlist *c, const char *rev)
{
    int k;
    for (k = 0; k < c->n; k++)
        if (strcmp(c->v[k], rev) == 0)
            return 1;
    return 0;
}

/* The version state with head n replaced by its down revisions: the other
 * heads, and each down revision of n that is no ancestor of one of them;
 * "base" when that leaves nothing. */
static const char *below_head(ctx *x, files *f, const mig_strlist *c, int n)
{
    mig_buf b;
    const mig_node *node = &f->g.nodes[n];
    int k, j;
    mig_buf_init(&b, x->ar);
    for (k = 0; k < c->n; k++)
        if (strcmp(c->v[k], node->id) != 0)
            mig_buf_printf(&b, "%s%s", b.len ? " " : "", c->v[k]);
    for (j = 0; j < node->down.n; j++) {
        int dn = node->down.v[j], covered = 0;
        for (k = 0; k < c->n && !covered; k++) {
            int h = strcmp(c->v[k], node->id) != 0 ? mig_graph_find(&f->g, c->v[k]) : -1;
            covered = h >= 0 && mig_graph_is_ancestor(&f->g, dn, h);
        }
        if (!covered)
            mig_buf_printf(&b, "%s%s", b.len ? " " : "", f->g.nodes[dn].id);
    }
    return b.oom ? NULL : b.len ? b.data : "base";
}

static int accept_bodies(ctx *x, db *d, files *f, const char **heads, mig_err *err)
{
    const char *cur = NULL, *p[2];
    mig_strlist c = {0};
    int i, k;
    p[0] = x->opts;
    if (db_call(d, "mig_current", 1, p, &cur, err))
        return -1;
    split_spaces(x->ar, cur, &c);
    for (i = 0; i < x->c->args.n; i++) {
        const char *rev = x->c->args.v[i];
        int n = mig_graph_find(&f->g, rev), applied = 0;
        /* applied: an ancestor-or-self of a current head, in the files' graph */
        for (k = 0; n >= 0 && k < c.n && !applied; k++) {
            int h = mig_graph_find(&f->g, c.v[k]);
            applied = h >= 0 && mig_graph_is_ancestor(&f->g, n, h);
        }
        if (n < 0)
            return mig_fail(err, MIG_E_INPUT, "stamp --accept %s: no revision file has that id", rev);
        if (!applied)
            return mig_fail(err, MIG_E_STATE, "stamp --accept %s: %s is not applied in env \"%s\"; nothing to accept",
                            rev, rev, x->p->env);
        p[0] = rev;
        p[1] = x->opts;
        if (is_current_head(&c, rev)) {
            /* REV is where the database is: a stamp to it moves nothing and
             * records nothing, so first stamp to just below it (its down
             * revisions, with the other heads), in the same transaction;
             * the stamp back to the heads records REV with its new body */
            if (!(p[0] = below_head(x, f, &c, n)))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            /* exactly that state: a plain stamp keeps the heads of other
             * branches, REV among them */
            p[1] = opts_json(x, "\"purge\":true");
        }
        if (db_call(d, "mig_stamp", 2, p, heads, err))
            return -1;
    }
    p[0] = c.n ? cur : "base";
    p[1] = x->opts;
    return db_call(d, "mig_stamp", 2, p, heads, err);
}

int cmd_stamp(ctx *x)
{
    files f;
    mig_err err;
    db *d;
    push_result pr;
    const char *heads = NULL, *p[2];
    mig_err_clear(&err);
    memset(&pr, 0, sizeof pr);
    pr.quiet_events = 1;
    if (project_files_lazy(x, &f))
        return EX_FAILED;
    if (x->c->sql && (x->c->accept || x->c->purge)) {
        errorf("stamp --sql: --%s is not for offline scripts", x->c->accept ? "accept" : "purge");
        return EX_USAGE;
    }
    if (x->c->sql)
        return offline_sql(x, &f, "stamp", mig_strlist_join(x->ar, &x->c->args, " "));
    if (!(d = open_write(x, &err)))
        return fail_err(NULL, &err);
    p[0] = mig_strlist_join(x->ar, &x->c->args, " ");
    p[1] = x->c->purge ? opts_json(x, "\"purge\":true") : x->opts;
    if (x->c->accept && x->c->purge) {
        db_close(d);
        errorf("stamp: --accept and --purge do not go together");
        return EX_USAGE;
    }
    if (db_begin(d, &err) || push_files(x, d, &f, &pr, &err) ||
        (x->c->accept ? accept_bodies(x, d, &f, &heads, &err) : db_call(d, "mig_stamp", 2, p, &heads, &err)) ||
        db_commit(d, &err)) {
        db_rollback(d);
        db_close(d);
        return fail_err(NULL, &err);
    }
    db_close(d);
    if (x->c->json) {
        mig_strlist h = {0};
        json_t *ha = json_array();
        int i;
        split_spaces(x->ar, heads, &h);
        for (i = 0; i < h.n; i++)
            json_array_append_new(ha, json_string(h.v[i]));
        json_print(json_pack("{s:s, s:o}", "database", db_display(d), "current", ha));
    } else if (!x->c->quiet)
        printf("Stamped %s: now at %s\n", db_display(d), heads && *heads ? heads : "base");
    return EX_DONE;
}

db *open_read(ctx *x, const char *fn2, const char **cur, const char **v2, int *st)
{
    mig_err err;
    db *d;
    const char *p[1];
    mig_err_clear(&err);
    *cur = NULL;
    if (v2)
        *v2 = NULL;
    d = no_url(x, &err) ? NULL : db_open(x->ar, x->p->url, x->p->url_from, 0, &err);
    if (!d) {
        fail_err(NULL, &err);
        return NULL;
    }
    p[0] = x->opts;
    *st = db_has_mig(d) ? db_state_exists(d, &err) : 0;
    if (*st < 0 || (*st > 0 && (db_call(d, "mig_current", 1, p, cur, &err) ||
                                (fn2 && db_call(d, fn2, 1, p, v2, &err))))) {
        db_close(d);
        fail_err(NULL, &err);
        return NULL;
    }
    return d;
}

/* ---- current ----------------------------------------------------------------------------- */

typedef struct rev_info {
    const char *down, *labels, *message;
    int found;
} rev_info;

static int info_row(void *arg, int nc, const char *const *v)
{
    void **a = arg;
    mig_arena *ar = a[0];
    rev_info *r = a[1];
    (void)nc;
    r->found = 1;
    r->down = mig_strdup(ar, v[0] ? v[0] : "");
    r->labels = mig_strdup(ar, v[1] ? v[1] : "");
    r->message = mig_strdup(ar, v[2] ? v[2] : "");
    return 0;
}

static int found_row(void *arg, int nc, const char *const *v)
{
    (void)nc;
    (void)v;
    *(int *)arg = 1;
    return 0;
}

/* Is the stored revision id a head, as mig_heads() says: no stored revision
 * of the env names it, or one of its branch labels, in its down_revisions or
 * depends_on (lists joined by ',')?  mig_heads() loads the whole graph
 * (20 ms at 10,000 revisions), so `mig current` does not call it: a child
 * with id as its only parent is one lookup in the index (env,
 * down_revisions, ...); the rows with several parents or with dependencies
 * are then found through the term (instr(down_revisions, ',') > 0 OR
 * depends_on <> ''), written as a partial index with that WHERE needs for
 * SQLite to use it; there is none yet, so this scans the graph index
 * (2 ms at 10,000 revisions: see bench/README.md, client.sh). */
static int rev_is_head(ctx *x, db *d, const char *id, const char *labels, int *head, mig_err *err)
{
    const char *tab = db_table(d, "mig_revision");
    const char *in = db_kindof(d) == MIG_DIALECT_POSTGRES ? "strpos" : "instr";
    const char **p;
    mig_strlist ll = {0};
    mig_buf b;
    int found = 0, k;
    mig_strlist_split(x->ar, &ll, labels, strlen(labels));
    p = mig_alloc(x->ar, sizeof *p * (size_t)(ll.n + 2));
    p[0] = x->p->env;
    p[1] = id;
    if (db_query(d,
                 mig_sprintf(x->ar, "SELECT 1 FROM %s WHERE env = $1 AND down_revisions = CAST($2 AS TEXT) LIMIT 1",
                             tab),
                 2, p, found_row, &found, err))
        return -1;
    if (found) {
        *head = 0;
        return 0;
    }
    mig_buf_init(&b, x->ar);
    mig_buf_printf(&b,
                   "SELECT 1 FROM %s WHERE env = $1 AND (%s(down_revisions, ',') > 0 OR depends_on <> '') AND "
                   "(%s(',' || down_revisions || ',', ',' || CAST($2 AS TEXT) || ',') > 0 OR "
                   "%s(',' || depends_on || ',', ',' || CAST($2 AS TEXT) || ',') > 0",
                   tab, in, in, in);
    for (k = 0; k < ll.n; k++) {
        p[2 + k] = ll.v[k];
        mig_buf_printf(&b, " OR %s(',' || depends_on || ',', ',' || CAST($%d AS TEXT) || ',') > 0", in, 3 + k);
    }
    mig_buf_puts(&b, ") LIMIT 1");
    if (db_query(d, b.data, 2 + k, p, found_row, &found, err))
        return -1;
    *head = !found;
    return 0;
}

int cmd_current(ctx *x)
{
    mig_err err;
    db *d;
    const char *cur = NULL, *p[2];
    mig_strlist c = {0};
    json_t *arr = NULL;
    int i, st;
    files f;
    int use_files = 0;
    struct stat sb;
    mig_err_clear(&err);
    /* head-ness comes from the files, as in history and check: after a
     * rolled-back upgrade the database may know fewer revisions than the
     * folder; without a readable folder, from the stored graph */
    memset(&f, 0, sizeof f);
    if (stat(x->p->versions, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (project_headers_sum(x, &f))
            return EX_FAILED;
        use_files = f.graph_ok || f.sum;
    }
    if (!(d = open_read(x, NULL, &cur, NULL, &st)))
        return EX_FAILED;
    split_spaces(x->ar, cur, &c);
    if (x->c->json)
        arr = json_array();
    else if (x->c->verbose && !x->c->quiet) /* the header first, as Alembic's current -v */
        printf("Current revision(s) for %s (env \"%s\"%s%s%s): %s\n", db_display(d), x->p->env,
               x->c->tenant ? ", tenant \"" : "", x->c->tenant ? x->c->tenant : "", x->c->tenant ? "\"" : "",
               c.n ? mig_strlist_join(x->ar, &c, " ") : "base");
    for (i = 0; i < c.n; i++) {
        rev_info ri;
        void *a[2] = {x->ar, &ri};
        int head = 0;
        memset(&ri, 0, sizeof ri);
        /* the revision's row: its branch labels for the head test, the rest for -v / --json */
        p[0] = x->p->env;
        p[1] = c.v[i];
        if (db_query(d,
                     mig_sprintf(x->ar,
                                 "SELECT down_revisions, branch_labels, message FROM %s "
                                 "WHERE env = $1 AND revision = $2",
                                 db_table(d, "mig_revision")),
                     2, p, info_row, a, &err) ||
            (ri.found && !use_files && rev_is_head(x, d, c.v[i], ri.labels, &head, &err))) {
            db_close(d);
            json_decref(arr);
            return fail_err(NULL, &err);
        }
        if (use_files)
            head = files_is_real_head(&f, c.v[i]);
        if (arr) {
            mig_strlist dl = {0}, ll = {0};
            json_t *dj = json_array(), *lj = json_array();
            int k;
            mig_strlist_split(x->ar, &dl, ri.down ? ri.down : "", ri.down ? strlen(ri.down) : 0);
            mig_strlist_split(x->ar, &ll, ri.labels ? ri.labels : "", ri.labels ? strlen(ri.labels) : 0);
            for (k = 0; k < dl.n; k++)
                json_array_append_new(dj, json_string(dl.v[k]));
            for (k = 0; k < ll.n; k++)
                json_array_append_new(lj, json_string(ll.v[k]));
            json_array_append_new(arr, json_pack("{s:s, s:b, s:o, s:o, s:s}", "revision", c.v[i], "is_head", head,
                                                 "down_revisions", dj, "branch_labels", lj, "message",
                                                 ri.message ? ri.message : ""));
        } else if (x->c->quiet)
            continue;
        else if (x->c->verbose) {
            printf("Rev: %s%s\n", c.v[i], head ? " (head)" : "");
            mig_strlist dl = {0};
            mig_strlist_split(x->ar, &dl, ri.down ? ri.down : "", ri.down ? strlen(ri.down) : 0);
            printf("%s: %s\n", dl.n > 1 ? "Merges" : "Parent", dl.n ? mig_strlist_join(x->ar, &dl, ", ") : "<base>");
            if (ri.labels && *ri.labels)
                printf("Branch names: %s\n", ri.labels);
            printf("\n    %s\n\n", ri.message ? ri.message : "");
        } else
            printf("%s%s\n", c.v[i], head ? " (head)" : "");
    }
    if (arr)
        json_print(json_pack("{s:s, s:s, s:o}", "database", db_display(d), "env", x->p->env, "current", arr));
    db_close(d);
    return EX_DONE;
}

/* ---- check ------------------------------------------------------------------------------------ */

/* Applied revisions whose file changed since they were uploaded: the body
 * (checksum) or the graph (down_revision, branch_labels, depends_on),
 * exactly what `mig upgrade`'s push refuses.  *s: the stored rows. */
static int check_edited(ctx *x, db *d, files *f, const unsigned char *applied, stored_graph *s,
                        mig_strlist *problems, mig_err *err)
{
    const char *p[1] = {x->p->env};
    void *arg[2] = {x->ar, s};
    int i, same;
    memset(s, 0, sizeof *s);
    /* the store holds exactly the files: nothing applied was edited */
    if ((same = store_matches_files(x, d, f, err)) != 0)
        return same < 0 ? -1 : 0;
    s->loaded = 1;
    if (db_query(d,
                 mig_sprintf(x->ar,
                             "SELECT revision, checksum, down_revisions, branch_labels, depends_on FROM %s "
                             "WHERE env = $1",
                             db_table(d, "mig_revision")),
                 1, p, stored_graph_row, arg, err))
        return -1;
    for (i = 0; i < s->col[0].n; i++) {
        const revfile_ent *e = files_by_id(f, s->col[0].v[i]);
        int n = e ? mig_graph_find(&f->g, e->rf.id) : -1;
        const char *down, *labels, *deps;
        if (!e || n < 0 || !applied[n])
            continue;
        if (strcmp(e->rf.checksum, s->col[1].v[i]) != 0)
            mig_strlist_add(x->ar, problems,
                            mig_sprintf(x->ar, "revision %s (%s) was edited after it was applied: checksum %.12s "
                                               "in the database, %.12s in the file",
                                        e->rf.id, e->path, s->col[1].v[i], e->rf.checksum));
        down = mig_strlist_join(x->ar, &e->rf.down, ",");
        labels = mig_strlist_join(x->ar, &e->rf.labels, ",");
        deps = mig_strlist_join(x->ar, &e->rf.depends, ",");
        if (strcmp(down, s->col[2].v[i]) != 0 || strcmp(labels, s->col[3].v[i]) != 0 ||
            strcmp(deps, s->col[4].v[i]) != 0)
            mig_strlist_add(x->ar, problems,
                            mig_sprintf(x->ar,
                                        "revision %s (%s) is applied and its file changes its down_revision, "
                                        "branch_labels or depends_on (database: '%s', '%s', '%s'; file: '%s', "
                                        "'%s', '%s'): mig upgrade would refuse it",
                                        e->rf.id, e->path, s->col[2].v[i], s->col[3].v[i], s->col[4].v[i], down,
                                        labels, deps));
    }
    return 0;
}

/* mig_check() is false though the files agree: which applied revision's
 * stored body is not the one that ran (push --force), from the checksum of
 * its last upgrade/stamp row. */
static int check_force_pushed(ctx *x, db *d, files *f, const unsigned char *applied, const stored_graph *s,
                              mig_strlist *problems, mig_err *err)
{
    stored_graph h;
    void *harg[2] = {x->ar, &h};
    const char *hp[2] = {x->p->env, x->c->tenant ? x->c->tenant : ""}, **last;
    int i, found = 0;
    stored_graph fs;
    memset(&h, 0, sizeof h);
    if (!s->loaded) {
        /* the store holds what the files say (check_edited): their ids and checksums */
        memset(&fs, 0, sizeof fs);
        for (i = 0; i < f->n; i++) {
            mig_strlist_add(x->ar, &fs.col[0], f->v[i].rf.id);
            mig_strlist_add(x->ar, &fs.col[1], f->v[i].rf.checksum);
        }
        s = &fs;
    }
    if (db_query(d,
                 mig_sprintf(x->ar,
                             "SELECT revision, checksum FROM %s WHERE env = $1 AND tenant = $2 AND "
                             "direction <> 'downgrade' AND revision IS NOT NULL ORDER BY id",
                             db_table(d, "mig_history")),
                 2, hp, stored_graph_row, harg, err))
        return -1;
    /* the checksum of each revision's last upgrade/stamp row, by node */
    if (!(last = mig_alloc0(x->ar, sizeof *last * (size_t)(f->g.n + 1))))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < h.col[0].n; i++) {
        int n = mig_graph_find(&f->g, h.col[0].v[i]);
        if (n >= 0)
            last[n] = h.col[1].v[i];
    }
    for (i = 0; i < s->col[0].n; i++) {
        int n = mig_graph_find(&f->g, s->col[0].v[i]);
        if (n >= 0 && applied[n] && last[n] && strcmp(last[n], s->col[1].v[i]) != 0) {
            found = 1;
            mig_strlist_add(x->ar, problems,
                            mig_sprintf(x->ar,
                                        "revision %s: its stored body (checksum %.12s) is not the one that "
                                        "ran (%.12s), since push --force replaced it; if the database has "
                                        "what the new body does, accept it: mig stamp --accept %s",
                                        s->col[0].v[i], s->col[1].v[i], last[n], s->col[0].v[i]));
        }
    }
    if (!found)
        mig_strlist_add(x->ar, problems,
                        "mig_check() is false: a stored revision differs from the one that was applied (see "
                        "mig_history)");
    return 0;
}

/* Parallel branches left several heads in the files (two revisions written
 * on the same parent): a CI job wants to know. */
static void check_single_head(ctx *x, files *f, mig_strlist *problems)
{
    mig_strlist hs = {0};
    int i;
    if (f->g.real_heads.n <= 1)
        return;
    for (i = 0; i < f->g.real_heads.n; i++)
        mig_strlist_add(x->ar, &hs, f->g.nodes[f->g.real_heads.v[i]].id);
    mig_strlist_add(x->ar, problems,
                    mig_sprintf(x->ar, "the revision files have %d heads (%s); join them with mig merge -m "
                                       "\"merge heads\" heads",
                                hs.n, mig_strlist_join(x->ar, &hs, ", ")));
}

/* The schema checks of check (drift.c): when the database has mig state
 * and its current revisions are the files' as they ran (no problem found
 * so far); not with --no-drift, check_drift = false or --tenant (the
 * replay runs with the session's search_path).  1: ran (cs filled), 0: not
 * run, -1: error (printed). */
static int check_schema_run(ctx *x, db *d, int st, const mig_strlist *c, const mig_strlist *pending,
                            const mig_strlist *problems, check_schema *cs)
{
    memset(cs, 0, sizeof *cs);
    if (st <= 0 || problems->n || x->c->no_drift || !x->p->check_drift || x->c->tenant)
        return 0;
    return check_schemas(x, d, c, pending->n == 0, cs) ? -1 : 1;
}

static int report_check(ctx *x, db *d, files *f, const mig_strlist *c, mig_strlist *pending,
                        const mig_strlist *problems, const check_schema *cs)
{
    int i, nschema = cs->drift.n + cs->desired.n;
    if (!x->c->json && !x->c->quiet && !f->sum) /* a summary: none without a downgrade */
        for (i = 0; i < f->n; i++)
            if (!has_downgrade(&f->v[i]))
                fprintf(stderr, "mig: check: warning: %s: revision %s has an empty downgrade (downgrading it "
                                "undoes nothing)\n",
                        f->v[i].path, f->v[i].rf.id);
    if (x->c->json) {
        json_t *pj = json_array(), *qj = json_array(), *cj = json_array();
        for (i = 0; i < pending->n; i++)
            json_array_append_new(pj, json_string(pending->v[i]));
        for (i = 0; i < problems->n; i++)
            json_array_append_new(qj, json_string(problems->v[i]));
        for (i = 0; i < c->n; i++)
            json_array_append_new(cj, json_string(c->v[i]));
        json_t *o = json_pack("{s:b, s:o, s:o, s:o}", "ok", pending->n == 0 && problems->n == 0 && nschema == 0,
                              "current", cj, "pending", pj, "problems", qj);
        json_object_set_new(o, "drift", cs->ran_drift ? schema_changes_json(x->ar, &cs->drift, DRIFT_WORDS) : json_null());
        json_object_set_new(o, "desired",
                            cs->ran_desired ? schema_changes_json(x->ar, &cs->desired, DESIRED_WORDS) : json_null());
        if (cs->drift_sql)
            json_object_set_new(o, "drift_sql", json_string(cs->drift_sql));
        if (cs->desired_sql)
            json_object_set_new(o, "desired_sql", json_string(cs->desired_sql));
        json_print(o);
    } else {
        for (i = 0; i < problems->n; i++)
            fprintf(stderr, "mig: check: %s\n", problems->v[i]);
        for (i = 0; i < cs->drift.n; i++)
            fprintf(stderr, "mig: check: drift: %s\n", schema_change_text(x->ar, &cs->drift.v[i], DRIFT_WORDS));
        if (cs->drift.n && x->c->verbose)
            fprintf(stderr, "mig: check: drift: the SQL that takes the revisions' schema to the live one:\n%s",
                    cs->drift_sql);
        for (i = 0; i < cs->desired.n; i++)
            fprintf(stderr, "mig: check: desired: %s\n",
                    schema_change_text(x->ar, &cs->desired.v[i], DESIRED_WORDS));
        if (cs->desired.n)
            fprintf(stderr, "mig: check: desired: the desired schema has changes no revision holds: run mig revision "
                            "--autogenerate -m MESSAGE\n");
        if (cs->desired.n && x->c->verbose)
            fprintf(stderr, "mig: check: desired: the revision --autogenerate would write:\n%s", cs->desired_sql);
        if (pending->n)
            fprintf(stderr, "mig: check: %d revision%s pending (run mig upgrade): %s\n", pending->n,
                    pending->n == 1 ? " is" : "s are", mig_strlist_join(x->ar, pending, ", "));
        if (!pending->n && !problems->n && !nschema && !x->c->quiet)
            printf("No pending revisions: %s is at %s%s\n", db_display(d),
                   c->n ? mig_strlist_join(x->ar, c, " ") : "base",
                   cs->ran_desired ? "; no drift; the desired schema is the revisions'"
                   : cs->ran_drift ? "; no drift" : "");
    }
    return pending->n == 0 && problems->n == 0 && nschema == 0 ? EX_DONE : EX_FAILED;
}

/* The history rows of check's shortcut: does each one's checksum agree
 * with its revision's file? */
typedef struct hist_cmp {
    const files *f;
    int disagree;
} hist_cmp;

static int hist_cmp_row(void *arg, int nc, const char *const *v)
{
    hist_cmp *h = arg;
    if (nc < 2 || !v[0] || !v[1])
        return 0;
    h->disagree |= files_checksum_is(h->f, v[0], v[1]) == 0;
    return 0;
}

/*
 * What mig_check() would say, without loading the stored graph in the
 * engine, when the store holds exactly the files (their digests agree) and
 * the database is at the files' heads (nothing pending): mig_check() is
 * then false only when an applied revision's last upgrade or stamp row has
 * another checksum than the stored one, which is the file's.  1: every
 * row agrees (mig_check() is true); 0: one does not (ask
 * mig_check()); -1 error.
 */
static int history_agrees(ctx *x, db *d, const files *f, mig_err *err)
{
    hist_cmp h;
    const char *hp[2] = {x->p->env, x->c->tenant ? x->c->tenant : ""};
    h.f = f;
    h.disagree = 0;
    /* as the engine reads it (core/engine.c, mig_op_check) */
    if (db_query(d,
                 mig_sprintf(x->ar,
                             "SELECT revision, checksum FROM %s WHERE env = $1 AND tenant = $2 AND "
                             "direction <> 'downgrade' ORDER BY id",
                             db_table(d, "mig_history")),
                 2, hp, hist_cmp_row, &h, err))
        return -1;
    return !h.disagree;
}

int cmd_check(ctx *x)
{
    files f;
    mig_err err;
    db *d;
    const char *cur = NULL, *ok = NULL, *p[1];
    mig_strlist c = {0}, pending = {0}, problems = {0};
    mig_idlist curn;
    mig_plan plan;
    unsigned char *applied;
    stored_graph s;
    check_schema cs;
    int i, cap = 0, st, rc = 0;
    mig_err_clear(&err);
    memset(&curn, 0, sizeof curn);
    if (project_headers_sum(x, &f))
        return EX_FAILED;
    if (!(d = open_read(x, NULL, &cur, NULL, &st)))
        return EX_FAILED;
    split_spaces(x->ar, cur, &c);
    if (f.sum && st > 0 && f.sum->nodown == 0 && !x->c->single_head && c.n == files_nreal_heads(&f)) {
        /* at the files' heads, and the store holds what the files say:
         * nothing pending, nothing edited; and when the history agrees,
         * mig_check() is true; the graph is neither built here nor loaded
         * in the engine */
        int at = 1, same = 0, agrees = 0;
        for (i = 0; i < c.n && at; i++)
            at = files_is_real_head(&f, c.v[i]);
        if (at && ((same = store_matches_files(x, d, &f, &err)) < 0 ||
                   (same && (agrees = history_agrees(x, d, &f, &err)) < 0))) {
            db_close(d);
            return fail_err(NULL, &err);
        }
        if (at && same && agrees) {
            int sr = check_schema_run(x, d, st, &c, &pending, &problems, &cs);
            db_close(d);
            return sr < 0 ? EX_FAILED : report_check(x, d, &f, &c, &pending, &problems, &cs);
        }
    }
    if (files_full(&f, &err)) {
        db_close(d);
        return fail_err(NULL, &err);
    }
    p[0] = x->opts;
    if (st > 0 && db_call(d, "mig_check", 1, p, &ok, &err)) {
        db_close(d);
        return fail_err(NULL, &err);
    }
    for (i = 0; i < c.n; i++) {
        int n = mig_graph_find(&f.g, c.v[i]);
        if (n < 0)
            mig_strlist_add(x->ar, &problems,
                            mig_sprintf(x->ar, "the database is at %s, which has no file in %s", c.v[i],
                                        x->p->versions));
        else
            mig_idl_push(&f.g, &curn, n, &cap);
    }
    if (problems.n == 0 && f.g.n) {
        if (mig_plan_upgrade(&f.g, &curn, "heads", &plan, &err)) {
            db_close(d);
            return fail_err("check: ", &err);
        }
        for (i = 0; i < plan.nsteps; i++)
            mig_strlist_add(x->ar, &pending, f.g.nodes[plan.steps[i].node].id);
    }
    if (st > 0 && problems.n == 0) {
        /* applied: an ancestor-or-self of a current head, marked in one walk */
        if (!(applied = mig_graph_ancestors(&f.g, &curn)))
            rc = mig_fail(&err, MIG_E_NOMEM, "out of memory");
        else
            rc = check_edited(x, d, &f, applied, &s, &problems, &err);
        if (rc == 0 && ok && strcmp(ok, "0") == 0 && problems.n == 0 && pending.n == 0)
            rc = check_force_pushed(x, d, &f, applied, &s, &problems, &err);
    }
    if (rc) {
        db_close(d);
        return fail_err(NULL, &err);
    }
    if (check_schema_run(x, d, st, &c, &pending, &problems, &cs) < 0) {
        db_close(d);
        return EX_FAILED;
    }
    if (x->c->single_head)
        check_single_head(x, &f, &problems);
    db_close(d);
    return report_check(x, d, &f, &c, &pending, &problems, &cs);
}

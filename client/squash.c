/*
 * squash.c — `mig baseline` and `mig squash`: one revision whose upgrade
 * creates a schema from nothing (mig_diff from an empty database's
 * snapshot, as `mig dump` writes it) and whose downgrade drops it.
 *
 * Nothing is written before the revision is proved: its text, as it would
 * be written, is upgraded in a new scratch database by the client's own
 * upgrade (a one-file project in a temporary folder), and the snapshot
 * there must equal the schema it stands for (the live database's for
 * baseline, the revisions replayed up to REV for squash); otherwise the
 * command names the objects that differ and changes nothing.
 */
#include "mig.h"
#include "schemadiff_pg.h"
#include "sqltok.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "KIND [SCHEMA.]NAME" of a snapshot object (with its table, for an index or trigger). */
static const char *object_name(mig_arena *ar, json_t *o)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *schema = json_string_value(json_object_get(o, "schema"));
    const char *table = json_string_value(json_object_get(o, "table"));
    return mig_sprintf(ar, "%s %s%s%s%s%s", kind ? kind : "object", schema ? schema : "", schema ? "." : "",
                       name ? name : "?", table && (!kind || strcmp(kind, "table") != 0) ? " on " : "",
                       table && (!kind || strcmp(kind, "table") != 0) ? table : "");
}

/* The objects of a's snapshot that b has not (as they are), one per line. */
static void missing_objects(mig_arena *ar, json_t *a, json_t *b, const char *what, mig_buf *out)
{
    size_t i, j;
    json_t *o, *t;
    json_array_foreach(json_object_get(a, "objects"), i, o)
    {
        int found = 0;
        json_array_foreach(json_object_get(b, "objects"), j, t)
        {
            if (json_equal(o, t)) {
                found = 1;
                break;
            }
        }
        if (!found)
            mig_buf_printf(out, "\n%s %s", what, object_name(ar, o));
    }
}

/* Do two snapshots agree?  0 yes; 1 no, with the objects that differ in *why; -1 not snapshots. */
static int same_snapshot(mig_arena *ar, const char *want, const char *got, const char **why)
{
    json_error_t je;
    json_t *a = json_loads(want, 0, &je), *b = json_loads(got, 0, &je);
    mig_buf out;
    int rc;
    if (!a || !b) {
        json_decref(a);
        json_decref(b);
        return -1;
    }
    rc = !json_equal(a, b);
    mig_buf_init(&out, ar);
    mig_buf_putn(&out, "", 0);
    if (rc) {
        missing_objects(ar, a, b, "not reproduced (missing or different):", &out);
        missing_objects(ar, b, a, "made but not in the original:", &out);
    }
    *why = out.data;
    json_decref(a);
    json_decref(b);
    return rc;
}

/* The body (both sections) that creates snap from nothing and drops it; *nontx when part of it must
 * run outside a transaction. */
static int create_body(ctx *x, db *d, const char *snap, const char **body, int *nontx, mig_err *err)
{
    mig_dialect kind = db_kindof(d);
    if (schema_diff(x, d, empty_snapshot(x->ar, kind, snap), snap, NULL, body, err))
        return -1;
    *nontx = kind == MIG_DIALECT_POSTGRES && strstr(*body, MIG_SCHEMA_NONTX_MARK) != NULL;
    return 0;
}

/* Upgrade a new scratch database of s with the revision r alone (written in a temporary folder, as a
 * one-file project) and compare its snapshot with want.  0 the same; 1 not (printed, naming the
 * objects); -1 an error (printed) or a signal. */
static int prove(ctx *x, scratch *s, const newrev *r, const char *want, const char *cmd)
{
    const char *tmp = getenv("TMPDIR"), *url, *got, *why, *path;
    char *dir = mig_sprintf(x->ar, "%s/mig_%s_XXXXXX", tmp && *tmp ? tmp : "/tmp", cmd);
    project p2 = *x->p;
    ctx x2 = *x;
    mig_strlist targets = {0};
    mig_err err;
    db *d = NULL;
    const char *old_cache;
    int rc = -1, ran;
    mig_err_clear(&err);
    if (!mkdtemp(dir)) {
        errorf("%s: cannot create a temporary folder %s: %s", cmd, dir, strerror(errno));
        return -1;
    }
    path = mig_sprintf(x->ar, "%s/%s.sql", dir, r->id);
    memset(&p2.version_locs, 0, sizeof p2.version_locs);
    mig_strlist_add(x->ar, &p2.version_locs, dir);
    p2.versions = dir;
    p2.recursive = 0;
    x2.p = &p2;
    mig_strlist_add(x->ar, &targets, r->id);
    if (revision_write(x, path, r))
        goto out;
    if (!(url = scratch_new(x, s, &err))) {
        fail_err(NULL, &err);
        goto out;
    }
    if (scratch_interrupted("scratch-created"))
        goto out;
    /* the temporary folder is not worth a header cache file */
    old_cache = getenv("MIG_CACHE");
    if (old_cache)
        old_cache = mig_strdup(x->ar, old_cache);
    setenv("MIG_CACHE", "off", 1);
    ran = scratch_run(&x2, url, &targets, 0);
    if (old_cache)
        setenv("MIG_CACHE", old_cache, 1);
    else
        unsetenv("MIG_CACHE");
    if (ran) {
        if (!scratch_interrupted("none"))
            errorf("%s: the new revision %s failed in a scratch database (the error is above); nothing was "
                   "written",
                   cmd, r->id);
        goto out;
    }
    if (scratch_interrupted("replayed"))
        goto out;
    if (!(d = scratch_connect(x, url, &err)) || schema_snapshot(x, d, &got, &err)) {
        fail_err(NULL, &err);
        goto out;
    }
    switch (same_snapshot(x->ar, want, got, &why)) {
    case 0: rc = 0; break;
    case 1:
        errorf("%s: the new revision %s would not reproduce the schema; nothing was written:%s", cmd, r->id,
               why);
        rc = 1;
        break;
    default: errorf("%s: mig_snapshot() returned a document that is not a snapshot", cmd);
    }
out:
    db_close(d);
    unlink(path);
    rmdir(dir);
    return rc;
}

/* The date of a new revision's header, and the time it stands for. */
static const char *now_date(mig_arena *ar, struct tm *tm, long long *t)
{
    char date[32];
    time_t now = time(NULL);
    localtime_r(&now, tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", tm);
    *t = (long long)now;
    return mig_strdup(ar, date);
}

/* ---- baseline ------------------------------------------------------------------------ */

/* The database's applied revisions (mig_current), "" when none or no mig state yet. */
static int applied_revisions(ctx *x, db *d, const char **cur, mig_err *err)
{
    const char *p[1];
    int st;
    *cur = "";
    if (!db_has_mig(d))
        return 0;
    if ((st = db_state_exists(d, err)) <= 0)
        return st;
    p[0] = x->opts;
    if (db_call(d, "mig_current", 1, p, cur, err))
        return -1;
    if (!*cur)
        *cur = "";
    return 0;
}

/* stamp REV, through the stamp command (it uploads the files first) */
static int stamp_at(ctx *x, const char *rev)
{
    cli c2 = *x->c;
    ctx x2 = *x;
    memset(&c2.args, 0, sizeof c2.args);
    mig_strlist_add(x->ar, &c2.args, rev);
    c2.quiet = 1;
    c2.json = 0;
    x2.c = &c2;
    return cmd_stamp(&x2);
}

int cmd_baseline(ctx *x)
{
    files f;
    mig_err err;
    db *d = NULL;
    scratch *s = NULL;
    newrev r;
    struct tm tm;
    long long t;
    const char *live, *body, *cur, *path, *id, *where;
    int nontx, rc;
    mig_err_clear(&err);
    if (project_headers(x, &f))
        return EX_FAILED;
    if (f.n) {
        errorf("baseline: %s already has %d revision%s (%s): baseline writes the first revision of a project; "
               "nothing was written",
               x->p->versions, f.n, f.n == 1 ? "" : "s", f.v[0].path);
        return EX_FAILED;
    }
    if (strchr(x->c->message, '\n') || strchr(x->c->message, '\r')) {
        errorf("the message must be one line");
        return EX_FAILED;
    }
    if (!x->p->url) {
        errorf("baseline: no database: give --url, set MIG_URL, or put url = ... in mig.ini");
        return EX_FAILED;
    }
    if (!(d = db_open(x->ar, x->p->url, x->p->url_from, 1, &err)))
        return fail_err(NULL, &err);
    if (applied_revisions(x, d, &cur, &err))
        goto fail;
    if (*cur) {
        errorf("baseline: %s already has applied revisions in env \"%s\" (%s): it is under mig; nothing was "
               "written",
               db_display(d), x->p->env, cur);
        db_close(d);
        return EX_FAILED;
    }
    /* PostgreSQL: mig_snapshot is the extension's; it is created in a
     * transaction that is rolled back (the stamp creates it for good) */
    if (db_begin(d, &err) || db_ensure_mig(d, &err) || schema_snapshot(x, d, &live, &err) ||
        create_body(x, d, live, &body, &nontx, &err)) {
        db_rollback(d);
        goto fail;
    }
    db_rollback(d);
    where = mig_strdup(x->ar, db_display(d));
    db_close(d);
    d = NULL;
    if (!*body) {
        errorf("baseline: %s has no schema to write (after mig.ini's schemas, kinds, include and exclude); "
               "nothing was written",
               where);
        return EX_FAILED;
    }
    id = x->c->rev_id ? x->c->rev_id : revision_new_id(x->ar);
    if (x->c->rev_id && !mig_valid_rev_id(id, strlen(id))) {
        char why[256];
        mig_rev_id_problem(id, strlen(id), why, sizeof why);
        errorf("--rev-id %s: %s", id, why);
        return EX_FAILED;
    }
    memset(&r, 0, sizeof r);
    r.id = id;
    r.message = x->c->message;
    r.create_date = now_date(x->ar, &tm, &t);
    r.nontx = nontx;
    r.body = body;
    if (!(path = revision_file_path(x, id, r.message, &tm, t)))
        return EX_FAILED;
    if (!(s = scratch_begin(x, &err)))
        return fail_err(NULL, &err);
    rc = prove(x, s, &r, live, "baseline");
    scratch_end(s);
    if (rc)
        return EX_FAILED;
    if (revision_write(x, path, &r))
        return EX_FAILED;
    if (stamp_at(x, id) != EX_DONE) {
        unlink(path);
        errorf("baseline: the stamp failed (the error is above); %s is removed again", path);
        return EX_FAILED;
    }
    if (x->c->json)
        json_print(json_pack("{s:s, s:s, s:s}", "revision", id, "path", path, "database", where));
    else if (!x->c->quiet)
        printf("Generating %s ...  done\nStamped %s: now at %s\n", path, where, id);
    return EX_DONE;
fail:
    db_close(d);
    return fail_err(NULL, &err);
}

/* ---- squash --------------------------------------------------------------------------- */

/* A statement of section sec that writes rows (INSERT, UPDATE, ...): NULL, or why it cannot be squashed. */
static const char *writes_rows(ctx *x, const revfile_ent *e, const mig_section *sec, mig_dialect kind)
{
    static const char *const DML[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "COPY", NULL};
    mig_sql_iter it;
    mig_sql_stmt st;
    char word[16];
    int i;
    mig_sql_iter_init(&it, e->src + sec->body_off, sec->body_len, kind);
    while (mig_sql_iter_next(&it, &st, NULL, 0) == MIG_TOK_OK) {
        mig_sql_first_word(e->src + sec->body_off + st.start, st.len, word, sizeof word);
        for (i = 0; DML[i]; i++)
            if (strcmp(word, DML[i]) == 0)
                return mig_sprintf(x->ar, "revision %s (%s), line %u: %s writes rows, which are not part of a "
                                          "schema: the squashed revision would not write them (keep these "
                                          "revisions, or squash up to a revision below it)",
                                   e->rf.id, e->path, sec->body_line + st.line - 1, word);
    }
    return NULL;
}

/* Can revision n of A be squashed?  NULL, or why not. */
static const char *not_squashable(ctx *x, const files *f, int n, mig_dialect kind)
{
    const mig_node *nd = &f->g.nodes[n];
    const revfile_ent *e = files_by_id(f, nd->id);
    const char *why;
    int k;
    if (!nd->transactional)
        return mig_sprintf(x->ar, "revision %s (%s) is `transactional false`: what runs outside a transaction is not "
                                  "replayed as one revision",
                           nd->id, e->path);
    for (k = 0; k < e->rf.nsections; k++) {
        const mig_section *sec = &e->rf.sections[k];
        if (sec->if_name || sec->dialect != MIG_DIALECT_ANY)
            return mig_sprintf(x->ar, "revision %s (%s), line %u: a section for %s cannot be represented by one "
                                      "schema (the squashed revision is the schema of this database, with no "
                                      "condition)",
                               nd->id, e->path, sec->body_line,
                               sec->if_name ? mig_sprintf(x->ar, "`if %s`", sec->if_name) : "one kind of database");
        if (sec->upgrade && (why = writes_rows(x, e, sec, kind)) != NULL)
            return why;
    }
    return NULL;
}

/* A revision outside A with an edge (down_revision or depends_on) into A \ {rev}: NULL, or why. */
static const char *orphan(ctx *x, const files *f, const unsigned char *in_a, int rev)
{
    int i, k;
    for (i = 0; i < f->g.n; i++) {
        const mig_node *nd = &f->g.nodes[i];
        if (in_a[i])
            continue;
        for (k = 0; k < nd->down.n + nd->deps.n; k++) {
            int p = k < nd->down.n ? nd->down.v[k] : nd->deps.v[k - nd->down.n];
            if (in_a[p] && p != rev)
                return mig_sprintf(x->ar, "revision %s (%s) has %s %s, which the squash removes (it is an ancestor "
                                          "of %s): merge it after %s first, or squash up to a revision it descends from",
                                   nd->id, files_by_id(f, nd->id)->path, k < nd->down.n ? "down_revision" : "depends_on",
                                   f->g.nodes[p].id, f->g.nodes[rev].id, f->g.nodes[rev].id);
        }
    }
    return NULL;
}

/* Replace REV's file by r (a temporary name, then rename) and delete the other files of A. */
static int replace_files(ctx *x, const files *f, const unsigned char *in_a, int rev, const newrev *r,
                         mig_strlist *removed)
{
    const char *path = files_by_id(f, r->id)->path, *slash = strrchr(path, '/');
    const char *tmp = slash ? mig_sprintf(x->ar, "%.*s/.%s.squash", (int)(slash - path), path, slash + 1)
                            : mig_sprintf(x->ar, ".%s.squash", path);
    int i;
    if (revision_write(x, tmp, r))
        return -1;
    if (rename(tmp, path) != 0) {
        errorf("squash: cannot replace %s: %s; nothing was changed", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    for (i = 0; i < f->g.n; i++) {
        const char *p;
        if (!in_a[i] || i == rev)
            continue;
        p = files_by_id(f, f->g.nodes[i].id)->path;
        if (unlink(p) != 0) {
            errorf("squash: cannot delete %s: %s (delete it by hand: %s is squashed)", p, strerror(errno), r->id);
            return -1;
        }
        mig_strlist_add(x->ar, removed, p);
    }
    return 0;
}

int cmd_squash(ctx *x)
{
    files f;
    mig_err err;
    mig_idlist ids = {0};
    mig_strlist targets = {0}, removed = {0}, labels = {0};
    scratch *s = NULL;
    db *d = NULL;
    newrev r;
    struct tm tm;
    long long t;
    unsigned char *in_a;
    const char *rev_arg = x->c->args.v[0], *why, *want = NULL, *body, *url;
    int rev, i, n_a = 0, nontx, rc = -1;
    mig_dialect kind;
    mig_err_clear(&err);
    if (project_files(x, &f))
        return EX_FAILED;
    if (strchr(x->c->message, '\n') || strchr(x->c->message, '\r')) {
        errorf("the message must be one line");
        return EX_FAILED;
    }
    if (mig_resolve(&f.g, rev_arg, &ids, &err)) {
        errorf("squash %s: %s", rev_arg, err.msg);
        return EX_FAILED;
    }
    if (ids.n != 1) {
        errorf("squash %s names %d revisions; give exactly one", rev_arg, ids.n);
        return EX_FAILED;
    }
    rev = ids.v[0];
    if (!x->p->url) {
        errorf("squash: no database URL (url = ... in mig.ini, --url or MIG_URL): it names the kind of database, "
               "and on PostgreSQL the server of the scratch databases");
        return EX_FAILED;
    }
    if (db_url_kind(x->ar, x->p->url, x->p->url_from, &kind, &err))
        return fail_err(NULL, &err);
    if (!(in_a = mig_graph_ancestors(&f.g, &ids))) {
        errorf("out of memory");
        return EX_FAILED;
    }
    for (i = 0; i < f.g.n; i++)
        if (in_a[i]) {
            n_a++;
            if ((why = not_squashable(x, &f, i, kind)) != NULL) {
                errorf("squash %s: %s; nothing was changed", rev_arg, why);
                return EX_FAILED;
            }
        }
    if (n_a == 1) {
        errorf("squash %s: revision %s has no ancestor; nothing to squash", rev_arg, f.g.nodes[rev].id);
        return EX_FAILED;
    }
    if ((why = orphan(x, &f, in_a, rev)) != NULL) {
        errorf("squash %s: %s; nothing was changed", rev_arg, why);
        return EX_FAILED;
    }
    /* the schema at REV: the revisions replayed up to it */
    mig_strlist_add(x->ar, &targets, f.g.nodes[rev].id);
    if (!(s = scratch_begin(x, &err)))
        return fail_err(NULL, &err);
    if (!(url = scratch_new(x, s, &err)))
        goto fail;
    if (scratch_run(x, url, &targets, 0)) {
        if (!scratch_interrupted("none"))
            errorf("squash: the revisions up to %s could not be replayed in a scratch database (the error is "
                   "above); nothing was changed",
                   f.g.nodes[rev].id);
        goto out;
    }
    if (!(d = scratch_connect(x, url, &err)) || schema_snapshot(x, d, &want, &err) ||
        create_body(x, d, want, &body, &nontx, &err))
        goto fail;
    db_close(d);
    d = NULL;
    for (i = 0; i < f.g.nodes[rev].labels.n; i++)
        mig_strlist_add(x->ar, &labels, f.g.nodes[rev].labels.v[i]);
    memset(&r, 0, sizeof r);
    r.id = f.g.nodes[rev].id;
    r.message = x->c->message;
    r.create_date = now_date(x->ar, &tm, &t);
    r.labels = &labels;
    r.nontx = nontx;
    r.body = body;
    if (prove(x, s, &r, want, "squash"))
        goto out;
    scratch_end(s);
    s = NULL;
    if (replace_files(x, &f, in_a, rev, &r, &removed))
        return EX_FAILED;
    if (x->c->json) {
        json_t *a = json_array();
        for (i = 0; i < removed.n; i++)
            json_array_append_new(a, json_string(removed.v[i]));
        json_print(json_pack("{s:s, s:s, s:o, s:[s,s]}", "revision", r.id, "path", files_by_id(&f, r.id)->path,
                             "removed", a, "databases_at_or_past", "mig push --force",
                             mig_sprintf(x->ar, "mig stamp --accept %s", r.id)));
    } else if (!x->c->quiet) {
        printf("Squashed %d revisions into %s (%s); deleted:\n", n_a, r.id, files_by_id(&f, r.id)->path);
        for (i = 0; i < removed.n; i++)
            printf("  %s\n", removed.v[i]);
        printf("On each database at or past %s, run once:\n  mig push --force\n  mig stamp --accept %s\n"
               "(a database below %s must be upgraded to %s before it gets the squashed files)\n",
               r.id, r.id, r.id, r.id);
    }
    return EX_DONE;
fail:
    fail_err(NULL, &err);
out:
    db_close(d);
    if (s)
        scratch_end(s);
    return rc < 0 ? EX_FAILED : EX_DONE;
}

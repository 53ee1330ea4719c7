/*
 * show.c — heads, branches, history and show: read from the revision files
 * (core/'s graph), printed as Alembic prints them (Script.cmd_format), or
 * as JSON.  Only `history --indicate-current` and `-r current:` read the
 * database.
 */
#include "mig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_print(json_t *v)
{
    char *s = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

static const char *comma(mig_arena *ar, const mig_strlist *l)
{
    return mig_strlist_join(ar, l, ", ");
}

static int is_head(const mig_node *n)
{
    return n->next.n == 0;
}
static int is_real_head(const mig_node *n)
{
    return n->all_next.n == 0;
}
static int is_branch_point(const mig_node *n)
{
    return n->next.n > 1;
}
static int is_merge_point(const mig_node *n)
{
    return n->down_ids.n > 1;
}

static const char *down_text(mig_arena *ar, const mig_node *n)
{
    return n->down_ids.n ? comma(ar, &n->down_ids) : "<base>";
}

/* Alembic's Script._head_only */
static const char *head_only(mig_arena *ar, const mig_node *n, int current, int branches, int doc, int parents,
                             int tree)
{
    mig_buf b;
    mig_buf_init(&b, ar);
    if (parents) {
        if (n->dep_names.n)
            mig_buf_printf(&b, "%s (%s) -> ", down_text(ar, n), comma(ar, &n->dep_names));
        else
            mig_buf_printf(&b, "%s -> ", down_text(ar, n));
    }
    mig_buf_puts(&b, n->id);
    if (branches && n->labels.n)
        mig_buf_printf(&b, " (%s)", comma(ar, &n->labels));
    mig_buf_printf(&b, "%s%s%s", is_real_head(n) ? " (head)" : "",
                   is_head(n) && !is_real_head(n) ? " (effective head)" : "", current ? " (current)" : "");
    if (tree)
        mig_buf_printf(&b, "%s%s", is_branch_point(n) ? " (branchpoint)" : "", is_merge_point(n) ? " (mergepoint)" : "");
    if (doc)
        mig_buf_printf(&b, ", %s", n->message);
    return b.data;
}

/* Alembic's Script.log_entry (the verbose form) */
static void log_entry(mig_arena *ar, const mig_graph *g, const mig_node *n, int current)
{
    const revfile_ent *e = n->user;
    int i;
    printf("Rev: %s%s%s%s%s\n", n->id, is_head(n) ? " (head)" : "", is_branch_point(n) ? " (branchpoint)" : "",
           is_merge_point(n) ? " (mergepoint)" : "", current ? " (current)" : "");
    printf("%s: %s\n", is_merge_point(n) ? "Merges" : "Parent", down_text(ar, n));
    if (n->dep_names.n)
        printf("Also depends on: %s\n", comma(ar, &n->dep_names));
    if (is_branch_point(n)) {
        printf("Branches into: ");
        for (i = 0; i < n->next.n; i++)
            printf("%s%s", i ? ", " : "", g->nodes[n->next.v[i]].id);
        printf("\n");
    }
    if (n->labels.n)
        printf("Branch names: %s\n", comma(ar, &n->labels));
    printf("Path: %s\n\n", e ? e->path : "(stored in the database)");
    printf("    %s\n\n", n->message);
    printf("    Revision ID: %s\n", n->id);
    printf("    Revises: %s\n", n->down_ids.n ? comma(ar, &n->down_ids) : "");
    printf("    Create Date: %s\n\n", e ? e->rf.create_date : "");
}

static json_t *strlist_json(const mig_strlist *l)
{
    json_t *a = json_array();
    int i;
    for (i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *rev_json(const mig_graph *g, const mig_node *n, int current)
{
    const revfile_ent *e = n->user;
    json_t *o = json_object(), *next = json_array();
    int i;
    json_object_set_new(o, "revision", json_string(n->id));
    json_object_set_new(o, "down_revisions", strlist_json(&n->down_ids));
    json_object_set_new(o, "branch_labels", strlist_json(&n->labels));
    json_object_set_new(o, "depends_on", strlist_json(&n->dep_names));
    json_object_set_new(o, "message", json_string(n->message));
    json_object_set_new(o, "create_date", json_string(e ? e->rf.create_date : ""));
    json_object_set_new(o, "transactional", json_boolean(n->transactional));
    json_object_set_new(o, "checksum", json_string(n->checksum));
    json_object_set_new(o, "path", e ? json_string(e->path) : json_null());
    for (i = 0; i < n->next.n; i++)
        json_array_append_new(next, json_string(g->nodes[n->next.v[i]].id));
    json_object_set_new(o, "next_revisions", next);
    json_object_set_new(o, "is_head", json_boolean(is_real_head(n)));
    json_object_set_new(o, "is_branch_point", json_boolean(is_branch_point(n)));
    json_object_set_new(o, "is_merge_point", json_boolean(is_merge_point(n)));
    if (current >= 0)
        json_object_set_new(o, "is_current", json_boolean(current));
    return o;
}


int cmd_heads(ctx *x)
{
    files f;
    json_t *arr = NULL;
    int i;
    if (project_files(x, &f))
        return EX_FAILED;
    if (x->c->json)
        arr = json_array();
    for (i = 0; i < f.g.heads.n; i++) {
        const mig_node *n = &f.g.nodes[f.g.heads.v[i]];
        if (arr)
            json_array_append_new(arr, rev_json(&f.g, n, -1));
        else if (x->c->verbose)
            log_entry(x->ar, &f.g, n, 0);
        else if (!x->c->quiet)
            printf("%s\n", head_only(x->ar, n, 0, 1, 0, 0, 0));
    }
    if (arr)
        json_print(json_pack("{s:o}", "heads", arr));
    return EX_DONE;
}

int cmd_branches(ctx *x)
{
    files f;
    json_t *arr = NULL;
    int i, j;
    if (project_files(x, &f))
        return EX_FAILED;
    if (x->c->json)
        arr = json_array();
    for (i = 0; i < f.g.n; i++) {
        const mig_node *n = &f.g.nodes[i];
        if (!is_branch_point(n))
            continue;
        if (arr) {
            json_array_append_new(arr, rev_json(&f.g, n, -1));
            continue;
        }
        if (x->c->quiet)
            continue;
        if (x->c->verbose)
            log_entry(x->ar, &f.g, n, 0);
        else
            printf("%s\n", head_only(x->ar, n, 0, 0, 0, 0, 1));
        for (j = 0; j < n->next.n; j++)
            printf("%*s -> %s\n", (int)strlen(n->id), "",
                   head_only(x->ar, &f.g.nodes[n->next.v[j]], 0, 1, 1, 0, 1));
    }
    if (arr)
        json_print(json_pack("{s:o}", "branch_points", arr));
    return EX_DONE;
}

static int current_ids(ctx *x, mig_strlist *out)
{
    const char *cur;
    int st;
    db *d = open_read(x, NULL, &cur, NULL, &st);
    if (!d)
        return -1;
    db_close(d);
    split_spaces(x->ar, cur, out);
    return 0;
}

/* Resolve one end of a history range to node indices (-1 in *base: base). */
static int resolve_end(ctx *x, files *f, const char *s, const mig_strlist *cur, mig_idlist *out, mig_err *err)
{
    int i, cap = 0;
    memset(out, 0, sizeof *out);
    if (strcmp(s, "current") == 0) {
        for (i = 0; i < cur->n; i++) {
            int n = mig_graph_find(&f->g, cur->v[i]);
            if (n < 0)
                return mig_fail(err, MIG_E_STATE, "the database is at %s, which has no revision file in %s",
                                cur->v[i], x->p->versions);
            mig_idl_push(&f->g, out, n, &cap);
        }
        return 0;
    }
    return mig_resolve(&f->g, s, out, err);
}

int cmd_history(ctx *x)
{
    files f;
    mig_err err;
    mig_strlist cur = {0};
    const char *lower = "base", *upper = "heads";
    mig_idlist top;
    mig_plan plan;
    json_t *arr = NULL;
    int i, need_db;
    mig_err_clear(&err);
    if (project_files(x, &f))
        return EX_FAILED;
    if (x->c->range) {
        const char *r = x->c->range, *colon = strchr(r, ':');
        if (!colon) {
            errorf("history -r %s: a range is [START]:[END], START: or :END", r);
            return EX_USAGE;
        }
        if (colon > r)
            lower = mig_strndup(x->ar, r, (size_t)(colon - r));
        if (colon[1])
            upper = colon + 1;
    }
    need_db = x->c->indicate_current || strcmp(lower, "current") == 0 || strcmp(upper, "current") == 0;
    if (need_db && current_ids(x, &cur))
        return EX_FAILED;
    if (strcmp(upper, "heads") == 0 || strcmp(upper, "head") == 0) {
        memset(&top, 0, sizeof top);
        top = f.g.real_heads;
        if (strcmp(upper, "head") == 0 && top.n > 1) {
            if (mig_resolve(&f.g, "head", &top, &err)) {
                errorf("history -r %s: %s", x->c->range, err.msg);
                return EX_FAILED;
            }
        }
    } else if (resolve_end(x, &f, upper, &cur, &top, &err)) {
        errorf("history: %s: %s", upper, err.msg);
        return EX_FAILED;
    }
    if (strcmp(lower, "current") == 0) {
        if (cur.n == 0)
            lower = "base";
        else
            lower = mig_strlist_join(x->ar, &cur, " ");
        if (cur.n > 1) {
            errorf("history -r current:... needs one current revision; the database is at %s", lower);
            return EX_FAILED;
        }
    }
    if (f.g.n == 0)
        memset(&plan, 0, sizeof plan);
    else if (mig_plan_downgrade(&f.g, &top, lower, &plan, &err)) {
        errorf("history %s: %s", x->c->range ? x->c->range : "", err.msg);
        return EX_FAILED;
    }
    if (x->c->json)
        arr = json_array();
    for (i = 0; i < plan.nsteps + plan.heads.n; i++) {
        int node = i < plan.nsteps ? plan.steps[i].node : plan.heads.v[i - plan.nsteps];
        const mig_node *n = &f.g.nodes[node];
        int is_cur = need_db && mig_strlist_has(&cur, n->id);
        if (node < 0)
            continue;
        if (arr)
            json_array_append_new(arr, rev_json(&f.g, n, x->c->indicate_current ? is_cur : -1));
        else if (x->c->quiet)
            continue;
        else if (x->c->verbose)
            log_entry(x->ar, &f.g, n, x->c->indicate_current && is_cur);
        else
            printf("%s\n", head_only(x->ar, n, x->c->indicate_current && is_cur, 1, 1, 1, 1));
    }
    if (arr)
        json_print(json_pack("{s:o}", "history", arr));
    return EX_DONE;
}

typedef struct {
    mig_arena *ar;
    mig_strlist ids, srcs;
} src_rows;

static int src_row(void *arg, int nc, const char *const *v)
{
    src_rows *r = arg;
    (void)nc;
    mig_strlist_add(r->ar, &r->ids, mig_strdup(r->ar, v[0] ? v[0] : ""));
    mig_strlist_add(r->ar, &r->srcs, mig_strdup(r->ar, v[1] ? v[1] : ""));
    return 0;
}

/*
 * show REV --sql: the revision's source as the database stores it (what
 * ran), byte for byte, so a deleted or edited file can be written back:
 *     mig show ae1027a6acf --sql > versions/ae1027a6acf_add_users.sql
 * REV is an id or a unique prefix of one; without the revision in the
 * database, the file's text.
 */
static int show_source(ctx *x)
{
    const char *rev = x->c->args.v[0], *cur = NULL, *p[2];
    mig_err err;
    db *d;
    int st, i;
    src_rows r;
    mig_err_clear(&err);
    memset(&r, 0, sizeof r);
    r.ar = x->ar;
    if (!(d = open_read(x, NULL, &cur, NULL, &st)))
        return EX_FAILED;
    if (st > 0) {
        p[0] = x->p->env;
        p[1] = rev;
        if (db_query(d,
                     mig_sprintf(x->ar,
                                 "SELECT revision, source FROM %s WHERE env = $1 AND (revision = $2 OR "
                                 "substr(revision, 1, length($2)) = $2) ORDER BY revision = $2 DESC, revision",
                                 db_table(d, "mig_revision")),
                     2, p, src_row, &r, &err)) {
            db_close(d);
            return fail_err(NULL, &err);
        }
    }
    db_close(d);
    if (r.ids.n >= 1 && (strcmp(r.ids.v[0], rev) == 0 || r.ids.n == 1)) {
        fputs(r.srcs.v[0], stdout);
        return EX_DONE;
    }
    if (r.ids.n > 1) {
        errorf("show %s --sql: the prefix is ambiguous in the database: %s", rev, mig_strlist_join(x->ar, &r.ids, ", "));
        return EX_FAILED;
    }
    {
        files f;
        const revfile_ent *e;
        if (project_files(x, &f))
            return EX_FAILED;
        for (i = 0, e = NULL; i < f.n && !e; i++)
            if (strcmp(f.v[i].rf.id, rev) == 0)
                e = &f.v[i];
        if (!e) {
            errorf("show %s --sql: no such revision in %s nor in the database", rev, x->p->versions);
            return EX_FAILED;
        }
        fwrite(e->src, 1, e->len, stdout);
        return EX_DONE;
    }
}

int cmd_show(ctx *x)
{
    files f;
    mig_err err;
    mig_idlist ids;
    int i;
    mig_err_clear(&err);
    if (x->c->sql)
        return show_source(x);
    if (project_files(x, &f))
        return EX_FAILED;
    if (mig_resolve(&f.g, x->c->args.v[0], &ids, &err)) {
        errorf("show %s: %s", x->c->args.v[0], err.msg);
        return EX_FAILED;
    }
    if (ids.n == 0) {
        errorf("show %s: base is not a revision", x->c->args.v[0]);
        return EX_FAILED;
    }
    if (x->c->json) {
        json_t *arr = json_array();
        for (i = 0; i < ids.n; i++)
            json_array_append_new(arr, rev_json(&f.g, &f.g.nodes[ids.v[i]], -1));
        json_print(ids.n == 1 ? json_incref(json_array_get(arr, 0)) : json_incref(arr));
        json_decref(arr);
        return EX_DONE;
    }
    for (i = 0; i < ids.n; i++)
        log_entry(x->ar, &f.g, &f.g.nodes[ids.v[i]], 0);
    return EX_DONE;
}

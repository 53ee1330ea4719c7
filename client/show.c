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
static void log_entry(mig_arena *ar, mig_graph *g, const mig_node *n, int current)
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

static json_t *rev_json(mig_graph *g, const mig_node *n, int current)
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
    if (project_headers(x, &f))
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
    if (project_headers(x, &f))
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

/*
 * history -r START:END walks what Alembic 1.8's ScriptDirectory.walk_revisions
 * (base=START, head=END) walks: RevisionMap.iterate_revisions(END, START,
 * inclusive=True, implicit_base=False), i.e. _collect_upgrade_revisions then
 * _topological_sort (alembic/script/revision.py).  The revisions listed are
 * END and its ancestors (through down revisions and depends_on) that are
 * START or descendants of START through down revisions; none of START's
 * ancestors.  Node sets are bitsets over node indices (load order, which is
 * Alembic's "inserted order").
 */
typedef unsigned char *bset;
#define BHAS(b, i) (((b)[(i) >> 3] >> ((i)&7)) & 1)
#define BSET(b, i) ((b)[(i) >> 3] |= (unsigned char)(1u << ((i)&7)))
#define BCLR(b, i) ((b)[(i) >> 3] &= (unsigned char)~(1u << ((i)&7)))

static bset bnew(mig_arena *ar, mig_graph *g)
{
    return mig_alloc0(ar, (size_t)g->n / 8 + 1);
}

/* Add roots and their ancestors through down revisions and dependencies
 * (up: _get_ancestor_nodes), or their descendants through down revisions
 * only (!up: _get_descendant_nodes(include_dependencies=False)).  Within
 * `only` when it is given. */
static void related(mig_arena *ar, mig_graph *g, const int *roots, int n, int up, const unsigned char *only, bset out)
{
    static int *stack, cap; /* each node is pushed once */
    int sp = 0, i, k;
    if (!stack || cap < g->n + 1) {
        stack = mig_alloc(ar, sizeof(int) * (size_t)(g->n + 1));
        cap = g->n + 1;
    }
    for (i = 0; i < n; i++)
        if (!BHAS(out, roots[i])) {
            BSET(out, roots[i]);
            stack[sp++] = roots[i];
        }
    while (sp) {
        const mig_node *nd = &g->nodes[stack[--sp]];
        const mig_idlist *e = up ? &nd->norm_down : &nd->next;
        for (k = 0; k < e->n; k++)
            if (!BHAS(out, e->v[k]) && (!only || BHAS(only, e->v[k]))) {
                BSET(out, e->v[k]);
                stack[sp++] = e->v[k];
            }
    }
}

static bset ancestors_of(mig_arena *ar, mig_graph *g, int node)
{
    bset b = bnew(ar, g);
    related(ar, g, &node, 1, 1, NULL, b);
    return b;
}

/* Alembic's check=True: no revision of the list may be an ancestor of another. */
static int check_overlap(mig_arena *ar, mig_graph *g, const mig_idlist *l, mig_err *err)
{
    int i, j;
    if (l->n < 2)
        return 0;
    for (i = 0; i < l->n; i++) {
        bset a = ancestors_of(ar, g, l->v[i]);
        for (j = 0; j < l->n; j++)
            if (l->v[j] != l->v[i] && BHAS(a, l->v[j]))
                return mig_fail(err, MIG_E_TARGET, "Requested revision %s overlaps with other requested revisions %s",
                                g->nodes[l->v[i]].id, g->nodes[l->v[j]].id);
    }
    return 0;
}

/*
 * The revisions that carry branch label `label` in Alembic (RevisionMap.
 * _add_branches): the declaring revision, its descendants through down
 * revisions, and, when those form one line, the revisions below it down to
 * the first branch point or merge point.
 */
static bset label_members(mig_arena *ar, mig_graph *g, const char *label)
{
    bset b = bnew(ar, g);
    int r = mig_graph_label(g, label), d;
    if (r < 0)
        return b;
    related(ar, g, &r, 1, 0, NULL, b);
    for (d = r; g->nodes[d].next.n == 1;)
        d = g->nodes[d].next.v[0];
    while (g->nodes[d].all_next.n <= 1 && g->nodes[d].down.n <= 1) {
        BSET(b, d);
        if (g->nodes[d].down.n == 0)
            break;
        d = g->nodes[d].down.v[0];
    }
    return b;
}

/*
 * _topological_sort: `to_list` from `heads` down, finishing a branch before the
 * next one.  Alembic starts only from the heads of the range (END) and fails
 * with an AssertionError when a revision of the range is not below one of
 * them within the range (START with only a depends_on child outside the
 * range, e.g.): mig also starts from the tops of such parts, all in load
 * order.
 */
static void topo_sort(mig_arena *ar, mig_graph *g, bset to_list, const mig_idlist *heads, mig_idlist *out)
{
    int n = g->n, i, k, ncur = 0, idx = 0, cap = 0;
    int *cur = mig_alloc(ar, sizeof(int) * (size_t)(n + 1));
    bset *anc = mig_alloc(ar, sizeof(bset) * (size_t)(n + 1));
    bset head_set = bnew(ar, g), reach = bnew(ar, g), below = bnew(ar, g);
    mig_idlist hs = {0};
    int hcap = 0;
    memset(out, 0, sizeof *out);
    for (i = 0; i < heads->n; i++)
        if (BHAS(to_list, heads->v[i])) {
            BSET(head_set, heads->v[i]);
            mig_idl_push(g, &hs, heads->v[i], &hcap);
        }
    related(ar, g, hs.v, hs.n, 1, to_list, reach);
    for (i = 0; i < n; i++)
        if (BHAS(to_list, i))
            for (k = 0; k < g->nodes[i].norm_down.n; k++)
                BSET(below, g->nodes[i].norm_down.v[k]);
    for (i = 0; i < n; i++)
        if (BHAS(to_list, i) && (BHAS(head_set, i) || (!BHAS(reach, i) && !BHAS(below, i)))) {
            anc[ncur] = ancestors_of(ar, g, i);
            cur[ncur++] = i;
        }
    while (ncur) {
        int cand = cur[idx], j, blocked = -1;
        const mig_node *nd;
        int add[64], nadd = 0, *addv = add;
        for (j = 0; j < ncur; j++)
            if (j != idx && BHAS(anc[j], cand)) {
                blocked = j;
                break;
            }
        if (blocked >= 0) {
            idx = blocked;
            continue;
        }
        nd = &g->nodes[cand];
        if (BHAS(to_list, cand)) {
            mig_idl_push(g, out, cand, &cap);
            BCLR(to_list, cand);
        }
        if (nd->norm_down.n > 64)
            addv = mig_alloc(ar, sizeof(int) * (size_t)nd->norm_down.n);
        for (k = 0; k < nd->norm_down.n; k++) {
            int r = nd->norm_down.v[k], in_cur = 0;
            for (j = 0; j < ncur; j++)
                in_cur |= cur[j] == r;
            if (BHAS(to_list, r) && !in_cur)
                addv[nadd++] = r;
        }
        if (nadd == 0) {
            memmove(cur + idx, cur + idx + 1, sizeof(int) * (size_t)(ncur - idx - 1));
            memmove(anc + idx, anc + idx + 1, sizeof(bset) * (size_t)(ncur - idx - 1));
            ncur--;
            idx = idx > 0 ? idx - 1 : 0;
        } else if (nd->norm_deps.n == 0 && nd->down.n == 1) {
            cur[idx] = addv[0];
            BCLR(anc[idx], cand);
        } else {
            cur[idx] = addv[0];
            anc[idx] = ancestors_of(ar, g, addv[0]);
            for (k = 1; k < nadd; k++) {
                anc[ncur] = ancestors_of(ar, g, addv[k]);
                cur[ncur++] = addv[k];
            }
        }
    }
}

/* "a, b" for nodes; "base" for none */
static const char *ids_text(mig_arena *ar, mig_graph *g, const mig_idlist *l)
{
    mig_strlist s = {0};
    int i;
    for (i = 0; i < l->n; i++)
        mig_strlist_add(ar, &s, g->nodes[l->v[i]].id);
    return s.n ? mig_strlist_join(ar, &s, ", ") : "base";
}

/* The database's revisions as nodes. */
static int current_nodes(ctx *x, files *f, const mig_strlist *cur, mig_idlist *out, mig_err *err)
{
    int i, cap = 0;
    memset(out, 0, sizeof *out);
    for (i = 0; i < cur->n; i++) {
        int n = mig_graph_find(&f->g, cur->v[i]);
        if (n < 0)
            return mig_fail(err, MIG_E_STATE, "the database is at %s, which has no revision file in %s", cur->v[i],
                            x->p->versions);
        mig_idl_push(&f->g, out, n, &cap);
    }
    return 0;
}

/*
 * END = [LABEL@][REV]+N or -N: the revision Alembic's _parse_upgrade_target
 * walks to, from REV, or from START without REV.  That revision is the last
 * step of the upgrade plan to END (from base, or from START): the plan's
 * steps are END and those of its ancestors that START does not imply.  As
 * walk_revisions passes assert_relative_length=False, a walk up past the
 * last revision stops there (REV+N is REV+K, K the largest that works).
 * Returns 1 with *out set (empty: base), 0 when END is not relative, -1 on
 * error.
 */
static int relative_end(ctx *x, files *f, const char *lower, const char *upper, const mig_strlist *cur,
                        mig_idlist *out, mig_err *err)
{
    const char *p = strchr(upper, '@') ? strchr(upper, '@') + 1 : upper, *sym = p, *digits;
    mig_idlist from = {0};
    mig_plan plan;
    long n;
    int cap = 0;
    memset(out, 0, sizeof *out);
    while (*p && mig_is_ident_char((unsigned char)*p))
        p++;
    /* \w+ takes digits too: "ae10+2" and "12-3" (REV 12, -3) */
    if ((*p != '+' && *p != '-') || p[1] < '0' || p[1] > '9')
        return 0;
    for (digits = p + 1; *digits >= '0' && *digits <= '9'; digits++)
        ;
    if (*digits || digits - p > 9)
        return 0;
    n = strtol(p + 1, NULL, 10);
    if (p == sym && strcmp(lower, "current") == 0) {
        if (current_nodes(x, f, cur, &from, err))
            return -1;
    } else if (p == sym && mig_resolve(&f->g, lower, &from, err)) {
        return -1;
    }
    for (;;) {
        const char *t = *p == '+' ? mig_sprintf(x->ar, "%.*s+%ld", (int)(p - upper), upper, n) : upper;
        mig_err_clear(err);
        if (mig_plan_upgrade(&f->g, &from, t, &plan, err) == 0)
            break;
        if (*p != '+' || n < 1 || !strstr(err->msg, "didn't produce"))
            return -1;
        if (--n == 0 && p == sym) {
            /* START+0: START itself */
            if (from.n != 1)
                return -1;
            *out = from;
            return 1;
        }
    }
    if (plan.nsteps)
        mig_idl_push(&f->g, out, plan.steps[plan.nsteps - 1].node, &cap);
    return 1;
}

/* The revisions of START:END, newest first, as Alembic's walk_revisions. */
static int history_walk(ctx *x, files *f, const char *lower, const char *upper, const mig_strlist *cur,
                        mig_idlist *out, mig_err *err)
{
    mig_graph *g = &f->g;
    mig_idlist targets, lows;
    bset req, low_anc, to_list;
    const char *at;
    int i;
    memset(out, 0, sizeof *out);
    /* END: _parse_upgrade_target; `current` at base is base (Alembic takes
     * every head then: see docs/client.md) */
    if (strcmp(upper, "current") == 0) {
        if (current_nodes(x, f, cur, &targets, err))
            return -1;
    } else {
        int rel = relative_end(x, f, lower, upper, cur, &targets, err);
        if (rel < 0 || (rel == 0 && mig_resolve(g, upper, &targets, err)))
            return -1;
    }
    /* START = LABEL@...: only the END revisions on that branch */
    if (strcmp(lower, "current") != 0 && (at = strchr(lower, '@')) != NULL) {
        const char *label = mig_strndup(x->ar, lower, (size_t)(at - lower));
        int r = mig_graph_label(g, label) < 0 ? mig_graph_find(g, label) : -1;
        bset members;
        mig_idlist keep = {0};
        int cap = 0;
        if (r >= 0) {
            /* a revision id for a label: the one branch it is on */
            mig_strlist on = {0};
            int j;
            for (i = 0; i < g->n; i++)
                for (j = 0; j < g->nodes[i].labels.n; j++)
                    if (BHAS(label_members(x->ar, g, g->nodes[i].labels.v[j]), r))
                        mig_strlist_add(x->ar, &on, g->nodes[i].labels.v[j]);
            if (on.n != 1)
                return mig_fail(err, MIG_E_TARGET, "%s: revision %s is on %s branch label%s%s%s", lower, label,
                                on.n ? "several" : "no", on.n ? "s (" : "",
                                on.n ? mig_strlist_join(x->ar, &on, ", ") : "", on.n ? ")" : "");
            label = on.v[0];
        }
        members = label_members(x->ar, g, label);
        for (i = 0; i < targets.n; i++)
            if (BHAS(members, targets.v[i]))
                mig_idl_push(g, &keep, targets.v[i], &cap);
        targets = keep;
    }
    if (check_overlap(x->ar, g, &targets, err))
        return -1;
    req = bnew(x->ar, g);
    related(x->ar, g, targets.v, targets.n, 1, NULL, req);
    /* START */
    if (strcmp(lower, "current") == 0) {
        if (current_nodes(x, f, cur, &lows, err))
            return -1;
    } else if (mig_resolve(g, lower, &lows, err)) {
        return -1;
    }
    for (i = 0; i < lows.n; i++)
        if (!BHAS(req, lows.v[i])) {
            mig_fail(err, MIG_E_TARGET,
                     "Requested range %s:%s does not refer to ancestor/descendant revisions along the same branch",
                     lower, upper);
            mig_err_detail(err, "%s is not an ancestor of %s.", g->nodes[lows.v[i]].id, ids_text(x->ar, g, &targets));
            return -1;
        }
    if (check_overlap(x->ar, g, &lows, err))
        return -1;
    low_anc = bnew(x->ar, g);
    related(x->ar, g, lows.v, lows.n, 1, NULL, low_anc);
    to_list = bnew(x->ar, g);
    if (lows.n)
        related(x->ar, g, lows.v, lows.n, 0, NULL, to_list);
    for (i = 0; i < g->n; i++) {
        int in = BHAS(req, i) && !BHAS(low_anc, i);
        if (lows.n)
            in = in && BHAS(to_list, i);
        if (in || mig_idl_has(&lows, i))
            BSET(to_list, i);
        else
            BCLR(to_list, i);
    }
    topo_sort(x->ar, g, to_list, &targets, out);
    return 0;
}

int cmd_history(ctx *x)
{
    files f;
    mig_err err;
    mig_strlist cur = {0};
    const char *lower = "base", *upper = "heads";
    mig_idlist list;
    json_t *arr = NULL;
    int i, need_db;
    mig_err_clear(&err);
    if (project_headers(x, &f))
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
    if (strcmp(lower, "current") == 0 && cur.n == 0)
        lower = "base";
    if (history_walk(x, &f, lower, upper, &cur, &list, &err)) {
        if (x->c->range)
            errorf("history -r %s: %s", x->c->range, err.msg);
        else
            errorf("history: %s", err.msg);
        if (err.detail[0])
            fprintf(stderr, "  detail: %s\n", err.detail);
        return EX_FAILED;
    }
    if (x->c->json)
        arr = json_array();
    for (i = 0; i < list.n; i++) {
        const mig_node *n = &f.g.nodes[list.v[i]];
        int is_cur = need_db && mig_strlist_has(&cur, n->id);
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

/*
 * plan.c — target resolution and planning, after Alembic 1.8's RevisionMap
 * (alembic/script/revision.py) and HeadMaintainer (alembic/runtime/
 * migration.py).  Function names follow Alembic's where there is one, so the
 * two can be read side by side.  Where Alembic asserts or crashes (REV+N past
 * the end, an inconsistent version table), these return clean errors.
 *
 * Node sets are bitsets over node indices; nodes are in load order, so an
 * index order is Alembic's "inserted order".
 */
#include "graph.h"
#include "graph_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)     /* Alembic's None: below every base */
#define BASE (-2)     /* the string "base" that _walk returns */
#define OVERWALK (-3) /* the walk went past the end of the graph */

#define NOMEM() mig_fail(err, MIG_E_NOMEM, "out of memory")

/* ---- small sets and lists ------------------------------------------------ */

typedef struct {
    int *v;
    int n, cap;
} ilist;

static int il_push(mig_graph *g, ilist *l, int v)
{
    mig_idlist t = {l->v, l->n};
    if (mig_idl_push(g, &t, v, &l->cap))
        return -1;
    l->v = t.v;
    l->n = t.n;
    return 0;
}

static int il_has(const ilist *l, int v)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return 1;
    return 0;
}

static void il_remove_at(ilist *l, int i)
{
    memmove(l->v + i, l->v + i + 1, sizeof(int) * (size_t)(l->n - i - 1));
    l->n--;
}

static int il_remove(ilist *l, int v)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == v) {
            il_remove_at(l, i);
            return 1;
        }
    return 0;
}

typedef unsigned char *bitset;

static bitset bs_new(mig_graph *g)
{
    return mig_alloc0(g->ar, (size_t)g->n / 8 + 1);
}
#define BS_HAS(b, i) (((b)[(i) >> 3] >> ((i)&7)) & 1)
#define BS_SET(b, i) ((b)[(i) >> 3] |= (unsigned char)(1u << ((i)&7)))
#define BS_CLR(b, i) ((b)[(i) >> 3] &= (unsigned char)~(1u << ((i)&7)))

/* Ancestors-or-self (up=1) or descendants-or-self (up=0) of roots, through
 * dependencies too (deps=1) or only down revisions. */
static int related(mig_graph *g, const int *roots, int nroots, int up, int deps, bitset out)
{
    int *stack = mig_alloc(g->ar, sizeof(int) * (size_t)(g->n + 1));
    int sp = 0, i;
    if (!stack)
        return -1;
    for (i = 0; i < nroots; i++)
        if (!BS_HAS(out, roots[i])) {
            BS_SET(out, roots[i]);
            stack[sp++] = roots[i];
        }
    while (sp) {
        const mig_node *nd = &g->nodes[stack[--sp]];
        const mig_idlist *e = up ? (deps ? &nd->norm_down : &nd->down) : (deps ? &nd->all_next : &nd->next);
        int k;
        for (k = 0; k < e->n; k++)
            if (!BS_HAS(out, e->v[k])) {
                BS_SET(out, e->v[k]);
                stack[sp++] = e->v[k];
            }
    }
    return 0;
}

/* Is there a path from a up to b, or from a down to b? (_shares_lineage) */
static int shares_lineage(mig_graph *g, int target, const ilist *against, int deps)
{
    bitset s;
    int i;
    if (against->n == 0)
        return 1;
    s = bs_new(g);
    if (!s || related(g, &target, 1, 1, deps, s)) {
        g->oom = 1;
        return 0;
    }
    for (i = 0; i < against->n; i++)
        if (BS_HAS(s, against->v[i]))
            return 1;
    memset(s, 0, (size_t)g->n / 8 + 1);
    if (related(g, &target, 1, 0, deps, s)) {
        g->oom = 1;
        return 0;
    }
    for (i = 0; i < against->n; i++)
        if (BS_HAS(s, against->v[i]))
            return 1;
    return 0;
}

/* ---- resolution ---------------------------------------------------------- */

static int revision_for_ident(mig_graph *g, const char *id, const char *check_branch, int *out, mig_err *err);

static int cant_locate(mig_err *err, const char *id, const char *why)
{
    return mig_fail(err, MIG_E_TARGET, "Can't locate revision identified by '%s': %s", id, why);
}

/* _resolve_branch: a branch label, or a revision id used as one. */
static int resolve_branch(mig_graph *g, const char *label, int *out, mig_err *err)
{
    int n = mig_graph_label(g, label);
    if (n >= 0) {
        *out = n;
        return 0;
    }
    if (revision_for_ident(g, label, NULL, out, err) == 0 && *out >= 0)
        return 0;
    return mig_fail(err, MIG_E_TARGET, "Can't locate revision identified by '%s': No such branch: '%s'", label, label);
}

/* The nodes that `check_against` names, for filter_for_lineage. */
static int lineage_refs(mig_graph *g, const char *check_against, ilist *refs, mig_err *err);

static int filter_for_lineage(mig_graph *g, const int *targets, int n, const char *check_against, int deps,
                              ilist *out, mig_err *err)
{
    ilist refs = {0};
    int i;
    if (lineage_refs(g, check_against, &refs, err))
        return -1;
    for (i = 0; i < n; i++) {
        int ok = shares_lineage(g, targets[i], &refs, deps);
        if (g->oom)
            return NOMEM();
        if (ok && !il_has(out, targets[i]) && il_push(g, out, targets[i]))
            return NOMEM();
    }
    return 0;
}

/* get_current_head(branch_label) */
static int current_head(mig_graph *g, const char *label, const char *arg, int *out, mig_err *err)
{
    ilist hs = {0};
    int i;
    if (label) {
        if (filter_for_lineage(g, g->heads.v, g->heads.n, label, 0, &hs, err))
            return -1;
    } else {
        for (i = 0; i < g->heads.n; i++)
            if (il_push(g, &hs, g->heads.v[i]))
                return NOMEM();
    }
    if (hs.n > 1) {
        mig_strlist names = {0};
        for (i = 0; i < hs.n; i++)
            if (mig_strlist_add(g->ar, &names, g->nodes[hs.v[i]].id))
                return NOMEM();
        mig_strlist_sort(&names);
        mig_fail(err, MIG_E_TARGET,
                 "Multiple head revisions are present for given argument '%s'; please specify a specific target "
                 "revision, '<branchname>@%s' to narrow to a specific head, or 'heads' for all heads",
                 arg, strchr(arg, '@') ? strchr(arg, '@') + 1 : arg);
        mig_err_detail(err, "The heads are %s.", mig_strlist_join(g->ar, &names, ", "));
        return -1;
    }
    *out = hs.n ? hs.v[0] : NONE;
    return 0;
}

/*
 * _resolve_revision_number + the lookups of get_revisions: the nodes a
 * (non-relative) target names.
 */
static int get_revisions(mig_graph *g, const char *target, ilist *out, mig_err *err)
{
    const char *at = strchr(target, '@');
    char *label = NULL;
    const char *id = target;
    int i, n = NONE;
    if (at) {
        label = mig_strndup(g->ar, target, (size_t)(at - target));
        if (!label)
            return NOMEM();
        id = at + 1;
        if (!*label)
            return cant_locate(err, target, "empty branch label before '@'");
        if (!*id)
            return cant_locate(err, target, "nothing after '@' (use LABEL@head, LABEL@base or LABEL@REV)");
    }
    if (strcmp(id, "heads") == 0) {
        if (label)
            return filter_for_lineage(g, g->heads.v, g->heads.n, label, 0, out, err);
        for (i = 0; i < g->real_heads.n; i++)
            if (il_push(g, out, g->real_heads.v[i]))
                return NOMEM();
        return 0;
    }
    if (strcmp(id, "head") == 0) {
        if (current_head(g, label, target, &n, err))
            return -1;
        if (n >= 0 && il_push(g, out, n))
            return NOMEM();
        if (n >= 0 && label) {
            /* _revision_for_ident(head, label) checks the branch exists */
            int b;
            if (resolve_branch(g, label, &b, err))
                return -1;
        }
        return 0;
    }
    if (strcmp(id, "base") == 0 || *id == 0) {
        if (label) {
            int b;
            if (resolve_branch(g, label, &b, err))
                return -1;
        }
        return 0;
    }
    if (revision_for_ident(g, id, label, &n, err))
        return -1;
    if (n >= 0 && il_push(g, out, n))
        return NOMEM();
    return 0;
}

static int lineage_refs(mig_graph *g, const char *check_against, ilist *refs, mig_err *err)
{
    const char *at = strchr(check_against, '@');
    int n;
    if (at) {
        char *label = mig_strndup(g->ar, check_against, (size_t)(at - check_against));
        if (!label)
            return NOMEM();
        if (*label) {
            if (revision_for_ident(g, label, NULL, &n, err))
                return -1;
            if (n >= 0 && il_push(g, refs, n))
                return NOMEM();
        }
    }
    return get_revisions(g, check_against, refs, err);
}

static int revision_for_ident(mig_graph *g, const char *id, const char *check_branch, int *out, mig_err *err)
{
    int branch_rev = NONE, rev;
    if (check_branch && resolve_branch(g, check_branch, &branch_rev, err))
        return -1;
    rev = mig_graph_find(g, id);
    if (rev < 0)
        rev = mig_graph_label(g, id);
    if (rev < 0) {
        /* a unique prefix of four characters or more */
        ilist revs = {0};
        size_t n = strlen(id);
        int i;
        if (n >= 4)
            for (i = 0; i < g->n; i++)
                if (strncmp(g->nodes[i].id, id, n) == 0 && il_push(g, &revs, i))
                    return NOMEM();
        if (branch_rev >= 0 && revs.n) {
            ilist f = {0};
            if (filter_for_lineage(g, revs.v, revs.n, check_branch, 0, &f, err))
                return -1;
            revs = f;
        }
        if (revs.n == 0)
            return mig_fail(err, MIG_E_TARGET, "Can't locate revision identified by '%s': No such revision or branch '%s'%s",
                            id, id,
                            n < 4 ? "; please ensure at least four characters are present for partial revision "
                                    "identifier matches"
                                  : "");
        if (revs.n > 1) {
            mig_buf b;
            mig_buf_init(&b, g->ar);
            for (i = 0; i < revs.n && i < 3; i++)
                mig_buf_printf(&b, "%s'%s'", i ? ", " : "", g->nodes[revs.v[i]].id);
            return mig_fail(err, MIG_E_TARGET, "Multiple revisions start with '%s': %s...", id,
                            b.data ? b.data : "");
        }
        rev = revs.v[0];
    }
    if (check_branch && branch_rev >= 0) {
        ilist against = {0};
        int ok;
        if (il_push(g, &against, branch_rev))
            return NOMEM();
        ok = shares_lineage(g, rev, &against, 0);
        if (g->oom)
            return NOMEM();
        if (!ok)
            return mig_fail(err, MIG_E_TARGET, "Revision %s is not a member of branch '%s'", g->nodes[rev].id,
                            check_branch);
    }
    *out = rev;
    return 0;
}

/* get_revision: one node, NONE for base; several is an error. */
static int get_revision(mig_graph *g, const char *target, int *out, mig_err *err)
{
    ilist l = {0};
    if (get_revisions(g, target, &l, err))
        return -1;
    if (l.n > 1) {
        mig_strlist names = {0};
        int i;
        for (i = 0; i < l.n; i++)
            if (mig_strlist_add(g->ar, &names, g->nodes[l.v[i]].id))
                return NOMEM();
        mig_strlist_sort(&names);
        return mig_fail(err, MIG_E_TARGET,
                        "Multiple head revisions are present for given argument '%s'; please specify a specific "
                        "target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all "
                        "heads (%s)",
                        target, mig_strlist_join(g->ar, &names, ", "));
    }
    *out = l.n ? l.v[0] : NONE;
    return 0;
}

int mig_resolve(mig_graph *g, const char *target, mig_idlist *out, mig_err *err)
{
    ilist l = {0};
    if (get_revisions(g, target, &l, err))
        return -1;
    out->v = l.v;
    out->n = l.n;
    return 0;
}

/* _walk: steps > 0 up through children, < 0 down through down revisions. */
static int walk(mig_graph *g, int start, long steps, const char *label, int *out, mig_err *err)
{
    int initial = start;
    long i, n = steps < 0 ? -steps : steps;
    for (i = 0; i < n; i++) {
        ilist children = {0};
        if (steps > 0) {
            const mig_idlist *up = initial == NONE ? &g->bases : &g->nodes[initial].next;
            if (initial == BASE)
                return mig_fail(err, MIG_E_TARGET, "cannot walk up from base");
            if (label) {
                if (filter_for_lineage(g, up->v, up->n, label, 0, &children, err))
                    return -1;
            } else {
                int k;
                for (k = 0; k < up->n; k++)
                    if (il_push(g, &children, up->v[k]))
                        return NOMEM();
            }
        } else if (initial != BASE) {
            const mig_idlist *dn = initial == NONE ? &g->heads : &g->nodes[initial].down;
            int k;
            for (k = 0; k < dn->n; k++)
                if (il_push(g, &children, dn->v[k]))
                    return NOMEM();
            if (children.n == 0 && il_push(g, &children, BASE))
                return NOMEM();
        }
        if (children.n == 0) {
            *out = OVERWALK;
            return 0;
        }
        if (children.n > 1)
            return mig_fail(err, MIG_E_TARGET, "Ambiguous walk from %s: %s has %d %s",
                            initial >= 0 ? g->nodes[initial].id : "base",
                            initial >= 0 ? g->nodes[initial].id : "base", children.n,
                            steps > 0 ? "children (name a branch: LABEL@+N)" : "down revisions");
        initial = children.v[0];
    }
    *out = initial;
    return 0;
}

/* _relative_destination: [LABEL@][SYMBOL](+|-)DIGITS, the whole string. */
typedef struct {
    char *label, *symbol;
    long rel;
    const char *relstr;
} reltarget;

static int parse_relative(mig_graph *g, const char *t, reltarget *r, mig_err *err)
{
    const char *at = strchr(t, '@'), *p, *s;
    long v = 0;
    memset(r, 0, sizeof *r);
    p = t;
    if (at && at > t) {
        r->label = mig_strndup(g->ar, t, (size_t)(at - t));
        p = at + 1;
    }
    s = p;
    while (*p && mig_is_ident_char((unsigned char)*p))
        p++;
    /* \w+ is greedy but may give back digits: "12-3" is symbol 12, -3 */
    if (*p != '+' && *p != '-')
        return 0;
    r->relstr = p;
    {
        const char *d = p + 1;
        if (!*d)
            return 0;
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return 0;
            if (v > 100000000L)
                return mig_fail(err, MIG_E_TARGET, "relative revision %s is too large", p);
            v = v * 10 + (*d - '0');
        }
    }
    r->rel = *p == '-' ? -v : v;
    if (p > s)
        r->symbol = mig_strndup(g->ar, s, (size_t)(p - s));
    if ((at && at > t && !r->label) || (p > s && !r->symbol))
        return NOMEM();
    return 1;
}

static int relative_failed(mig_err *err, const reltarget *r)
{
    long n = r->rel < 0 ? -r->rel : r->rel;
    return mig_fail(err, MIG_E_TARGET, "Relative revision %s didn't produce %ld migrations", r->relstr, n);
}

/* get_revision of LABEL@SYMBOL, or of SYMBOL when there is no label */
static int get_revision_on(mig_graph *g, const char *label, const char *symbol, int *out, mig_err *err)
{
    char *t;
    if (!label)
        return get_revision(g, symbol, out, err);
    t = mig_sprintf(g->ar, "%s@%s", label, symbol);
    if (!t)
        return NOMEM();
    return get_revision(g, t, out, err);
}

/* _get_all_current: current heads and their ancestors, reduced to branch heads */
static int tips_of(mig_graph *g, const unsigned char *set, ilist *out, int deps_for_children)
{
    int i;
    for (i = 0; i < g->n; i++) {
        const mig_idlist *kids;
        int k, tip = 1;
        if (!BS_HAS(set, i))
            continue;
        kids = deps_for_children ? &g->nodes[i].all_next : &g->nodes[i].next;
        for (k = 0; k < kids->n; k++)
            if (BS_HAS(set, kids->v[k]) &&
                (!deps_for_children || mig_idl_has(&g->nodes[kids->v[k]].norm_down, i)))
                tip = 0;
        if (tip && il_push(g, out, i))
            return -1;
    }
    return 0;
}

/* _parse_upgrade_target */
static int parse_upgrade_target(mig_graph *g, const mig_idlist *cur, const char *target, ilist *out, mig_err *err)
{
    reltarget r;
    int m = parse_relative(g, target, &r, err), rev;
    if (m < 0)
        return -1;
    if (!m)
        return get_revisions(g, target, out, err);
    if (r.rel > 0) {
        if (!r.symbol) {
            ilist start = {0};
            int i;
            if (r.label) {
                ilist curl = {0};
                for (i = 0; i < cur->n; i++)
                    if (il_push(g, &curl, cur->v[i]))
                        return NOMEM();
                if (filter_for_lineage(g, curl.v, curl.n, r.label, 0, &start, err))
                    return -1;
                if (start.n == 0 && cur->n) {
                    /* backtrack to the tips of the active part of the branch */
                    bitset act = bs_new(g), onb;
                    ilist all = {0}, f = {0};
                    if (!act || related(g, cur->v, cur->n, 1, 1, act))
                        return NOMEM();
                    for (i = 0; i < g->n; i++)
                        if (BS_HAS(act, i) && il_push(g, &all, i))
                            return NOMEM();
                    if (filter_for_lineage(g, all.v, all.n, r.label, 0, &f, err))
                        return -1;
                    onb = bs_new(g);
                    if (!onb)
                        return NOMEM();
                    for (i = 0; i < f.n; i++)
                        BS_SET(onb, f.v[i]);
                    if (tips_of(g, onb, &start, 1))
                        return NOMEM();
                }
            } else {
                for (i = 0; i < cur->n; i++)
                    if (il_push(g, &start, cur->v[i]))
                        return NOMEM();
            }
            if (start.n == 0 && il_push(g, &start, NONE))
                return NOMEM();
            if (start.n > 1)
                return mig_fail(err, MIG_E_TARGET, "Ambiguous upgrade from multiple current revisions");
            if (walk(g, start.v[0], r.rel, r.label, &rev, err))
                return -1;
            if (rev == OVERWALK)
                return relative_failed(err, &r);
        } else {
            int s;
            if (get_revision(g, r.symbol, &s, err) || walk(g, s, r.rel, r.label, &rev, err))
                return -1;
            if (rev == OVERWALK)
                return mig_fail(err, MIG_E_TARGET, "Relative revision %s didn't produce %ld migrations: %s has "
                                "fewer than %ld descendants",
                                target, r.rel, r.symbol, r.rel);
        }
    } else {
        int s;
        if (!r.symbol)
            return relative_failed(err, &r);
        if (get_revision_on(g, r.label, r.symbol, &s, err))
            return -1;
        if (s == NONE)
            return mig_fail(err, MIG_E_TARGET, "Relative revision %s didn't produce %ld migrations: nothing is "
                            "below base",
                            target, -r.rel);
        if (walk(g, s, r.rel, NULL, &rev, err))
            return -1;
        if (rev == OVERWALK)
            return mig_fail(err, MIG_E_TARGET, "Relative revision %s didn't produce %ld migrations: %s has "
                            "fewer than %ld ancestors",
                            target, -r.rel, r.symbol, -r.rel);
    }
    if (rev >= 0 && il_push(g, out, rev))
        return NOMEM();
    return 0;
}

/*
 * _parse_downgrade_target, one function per form of the target.  Each sets
 * *label_out (the branch the downgrade keeps to, or NULL) and *rev_out (the
 * node to go down to, NONE for base).
 */

/* REV+N, LABEL@REV+N (and REV-0): N steps up from REV, within branch LABEL;
 * +N names no revision to start from */
static int downgrade_to_rev_plus_n(mig_graph *g, const reltarget *r, const char **label_out, int *rev_out,
                                   mig_err *err)
{
    int s, rev;
    if (!r->symbol)
        return relative_failed(err, r);
    if (get_revision(g, r->symbol, &s, err) || walk(g, s, r->rel, r->label, &rev, err))
        return -1;
    if (rev == OVERWALK)
        return mig_fail(err, MIG_E_TARGET, "Walked too far: %s%s is past the end of the graph", r->symbol,
                        r->relstr);
    *label_out = r->label;
    *rev_out = rev == BASE ? NONE : rev;
    return 0;
}

/* LABEL@-N starts from the one current revision on branch LABEL: one of the
 * current heads, or else the tip of the branch below them. */
static int current_revision_on_branch(mig_graph *g, const mig_idlist *cur, const reltarget *r, const char **symbol,
                                      mig_err *err)
{
    ilist curl = {0}, sl = {0};
    int i;
    for (i = 0; i < cur->n; i++)
        if (il_push(g, &curl, cur->v[i]))
            return NOMEM();
    if (filter_for_lineage(g, curl.v, curl.n, r->label, 0, &sl, err))
        return -1;
    if (sl.n == 0 && cur->n) {
        bitset all = bs_new(g);
        ilist heads = {0};
        if (!all || related(g, cur->v, cur->n, 1, 1, all) || tips_of(g, all, &heads, 0))
            return NOMEM();
        if (filter_for_lineage(g, heads.v, heads.n, r->label, 0, &sl, err))
            return -1;
    }
    if (sl.n != 1)
        return mig_fail(err, MIG_E_TARGET,
                        "Relative revision %s@%s is ambiguous: %d current revisions are on branch '%s'", r->label,
                        r->relstr, sl.n, r->label);
    *symbol = g->nodes[sl.v[0]].id;
    return 0;
}

/* -N starts from the one current head. */
static int single_current_head(mig_graph *g, const mig_idlist *cur, const char *target, const reltarget *r,
                               const char **symbol, mig_err *err)
{
    mig_strlist names = {0};
    int i;
    if (cur->n == 0)
        return relative_failed(err, r);
    for (i = 0; i < cur->n; i++)
        if (mig_strlist_add(g->ar, &names, g->nodes[cur->v[i]].id))
            return NOMEM();
    mig_strlist_sort(&names);
    if (cur->n > 1) {
        /* Alembic warns and takes whichever row comes first */
        mig_fail(err, MIG_E_TARGET, "downgrade %s from multiple heads is ambiguous: the current heads are %s", target,
                 mig_strlist_join(g->ar, &names, ", "));
        mig_err_hint(err, "Name the branch (LABEL@%s) or a revision (REV%s).", r->relstr, r->relstr);
        return -1;
    }
    *symbol = names.v[0];
    return 0;
}

/* REV-N, LABEL@REV-N, and -N, LABEL@-N from the current revision: N steps
 * down from REV (LABEL@REV, when the target names a branch). */
static int downgrade_to_rev_minus_n(mig_graph *g, const mig_idlist *cur, const char *target, const reltarget *r,
                                    const char **label_out, int *rev_out, mig_err *err)
{
    int from_current = r->symbol == NULL, s, rev;
    const char *symbol = r->symbol, *label = r->label;
    if (from_current && label) {
        if (current_revision_on_branch(g, cur, r, &symbol, err))
            return -1;
    } else if (from_current) {
        if (single_current_head(g, cur, target, r, &symbol, err))
            return -1;
        label = symbol; /* the head, as a branch, is the one to keep to */
    }
    if (get_revision_on(g, label, symbol, &s, err) || walk(g, s, r->rel, NULL, &rev, err))
        return -1;
    if (rev == OVERWALK) {
        if (from_current)
            return relative_failed(err, r);
        return mig_fail(err, MIG_E_TARGET, "Walked too far: %s%s is past the base", symbol, r->relstr);
    }
    *label_out = label;
    *rev_out = rev == BASE ? NONE : rev;
    return 0;
}

/* REV, LABEL, LABEL@REV, LABEL@head, head(s), base: the branch to keep to
 * is the part before the last '@', and must exist. */
static int downgrade_to_absolute(mig_graph *g, const char *target, const char **label_out, int *rev_out,
                                 mig_err *err)
{
    const char *at = strrchr(target, '@');
    if (at && at > target) {
        char *l = mig_strndup(g->ar, target, (size_t)(at - target));
        int b;
        if (!l)
            return NOMEM();
        if (resolve_branch(g, l, &b, err))
            return -1;
        *label_out = l;
    }
    /* Alembic resolves SYMBOL alone here, so LABEL@head fails with
     * several heads and LABEL@REV skips the branch check; resolve the
     * whole target within its branch instead */
    return get_revision(g, target, rev_out, err);
}

static int parse_downgrade_target(mig_graph *g, const mig_idlist *cur, const char *target, const char **label_out,
                                  int *rev_out, mig_err *err)
{
    reltarget r;
    int m = parse_relative(g, target, &r, err);
    *label_out = NULL;
    if (m < 0)
        return -1;
    if (!m)
        return downgrade_to_absolute(g, target, label_out, rev_out, err);
    if (r.rel >= 0)
        return downgrade_to_rev_plus_n(g, &r, label_out, rev_out, err);
    return downgrade_to_rev_minus_n(g, cur, target, &r, label_out, rev_out, err);
}

/* ---- ordering ------------------------------------------------------------ */

/*
 * _topological_sort: emit `todo` from `heads` downwards, finishing one
 * branch down to its branch point before the next (Alembic's order).
 * A candidate waits while another pending head still has it as an ancestor.
 */
static int topological_sort(mig_graph *g, bitset todo, int ntodo, const ilist *heads_in, ilist *out,
                            mig_err *err)
{
    ilist cur = {0};
    bitset *anc;
    int acap = 16, i, idx = 0;
    anc = mig_alloc(g->ar, sizeof(bitset) * (size_t)acap);
    if (!anc)
        return NOMEM();
    /* heads in todo, in load order */
    {
        bitset seen = bs_new(g);
        if (!seen)
            return NOMEM();
        for (i = 0; i < heads_in->n; i++)
            if (heads_in->v[i] >= 0 && BS_HAS(todo, heads_in->v[i]))
                BS_SET(seen, heads_in->v[i]);
        for (i = 0; i < g->n; i++)
            if (BS_HAS(seen, i) && il_push(g, &cur, i))
                return NOMEM();
    }
#define ENSURE_ANC()                                                                                               \
    do {                                                                                                           \
        if (cur.n > acap) {                                                                                        \
            bitset *na;                                                                                            \
            int nc = acap;                                                                                         \
            while (nc < cur.n)                                                                                     \
                nc *= 2;                                                                                           \
            na = mig_alloc(g->ar, sizeof(bitset) * (size_t)nc);                                                    \
            if (!na)                                                                                               \
                return NOMEM();                                                                                    \
            memcpy(na, anc, sizeof(bitset) * (size_t)acap);                                                        \
            anc = na;                                                                                              \
            acap = nc;                                                                                             \
        }                                                                                                          \
    } while (0)
    ENSURE_ANC();
    for (i = 0; i < cur.n; i++) {
        anc[i] = bs_new(g);
        if (!anc[i] || related(g, &cur.v[i], 1, 1, 1, anc[i]))
            return NOMEM();
    }
    while (cur.n) {
        int cand = cur.v[idx], j, blocked = -1;
        for (j = 0; j < cur.n; j++)
            if (j != idx && BS_HAS(anc[j], cand)) {
                blocked = j;
                break;
            }
        if (blocked >= 0) {
            idx = blocked;
            continue;
        }
        {
            const mig_node *nd = &g->nodes[cand];
            ilist add = {0};
            int k;
            if (BS_HAS(todo, cand)) {
                if (il_push(g, out, cand))
                    return NOMEM();
                BS_CLR(todo, cand);
                ntodo--;
            }
            for (k = 0; k < nd->norm_down.n; k++) {
                int r = nd->norm_down.v[k];
                if (BS_HAS(todo, r) && !il_has(&cur, r) && !il_has(&add, r) && il_push(g, &add, r))
                    return NOMEM();
            }
            if (add.n == 0) {
                il_remove_at(&cur, idx);
                memmove(anc + idx, anc + idx + 1, sizeof(bitset) * (size_t)(cur.n - idx));
                idx = idx > 0 ? idx - 1 : 0;
            } else if (nd->norm_deps.n == 0 && nd->down.n == 1) {
                cur.v[idx] = add.v[0];
                BS_CLR(anc[idx], cand);
            } else {
                cur.v[idx] = add.v[0];
                memset(anc[idx], 0, (size_t)g->n / 8 + 1);
                if (related(g, &add.v[0], 1, 1, 1, anc[idx]))
                    return NOMEM();
                for (k = 1; k < add.n; k++) {
                    if (il_push(g, &cur, add.v[k]))
                        return NOMEM();
                    ENSURE_ANC();
                    anc[cur.n - 1] = bs_new(g);
                    if (!anc[cur.n - 1] || related(g, &add.v[k], 1, 1, 1, anc[cur.n - 1]))
                        return NOMEM();
                }
            }
        }
    }
#undef ENSURE_ANC
    if (ntodo != 0)
        return mig_fail(err, MIG_E_STATE,
                        "cannot order the plan: %d revisions are not reachable from the target; the version state "
                        "does not match the graph",
                        ntodo);
    return 0;
}

/* ---- version-state maintenance (HeadMaintainer) ------------------------- */

typedef struct {
    mig_graph *g;
    mig_plan *p;
    ilist heads;
    mig_err *err;
} maint;

static int vop(maint *m, mig_vop_kind k, int from, int to)
{
    mig_plan *p = m->p;
    if (p->nvops == p->capvops) {
        int nc = p->capvops ? p->capvops * 2 : 64;
        mig_vop *nv = mig_alloc(m->g->ar, sizeof(mig_vop) * (size_t)nc);
        if (!nv)
            return -1;
        if (p->nvops)
            memcpy(nv, p->vops, sizeof(mig_vop) * (size_t)p->nvops);
        p->vops = nv;
        p->capvops = nc;
    }
    p->vops[p->nvops].kind = k;
    p->vops[p->nvops].from = from;
    p->vops[p->nvops].to = to;
    p->nvops++;
    return 0;
}

static const char *nid(mig_graph *g, int n)
{
    return n >= 0 ? g->nodes[n].id : "base";
}

static int m_insert(maint *m, int v)
{
    mig_graph *g = m->g;
    mig_err *err = m->err;
    if (il_has(&m->heads, v))
        return mig_fail(err, MIG_E_STATE, "version state already contains %s", nid(g, v));
    if (il_push(g, &m->heads, v) || vop(m, MIG_VOP_INSERT, -1, v))
        return NOMEM();
    return 0;
}

static int m_delete(maint *m, int v)
{
    mig_graph *g = m->g;
    mig_err *err = m->err;
    if (!il_remove(&m->heads, v))
        return mig_fail(err, MIG_E_STATE, "version state does not contain %s, which the step would delete",
                        nid(g, v));
    if (vop(m, MIG_VOP_DELETE, v, -1))
        return NOMEM();
    return 0;
}

static int m_update(maint *m, int from, int to)
{
    mig_graph *g = m->g;
    mig_err *err = m->err;
    int i;
    if (il_has(&m->heads, to))
        return m_delete(m, from);
    for (i = 0; i < m->heads.n; i++)
        if (m->heads.v[i] == from)
            break;
    if (i == m->heads.n)
        return mig_fail(err, MIG_E_STATE, "version state does not contain %s, which the step would move to %s",
                        nid(g, from), nid(g, to));
    m->heads.v[i] = to;
    if (vop(m, MIG_VOP_UPDATE, from, to))
        return NOMEM();
    return 0;
}

/* downrevs minus the ancestors of the heads other than `except` */
static int minus_other_ancestors(maint *m, const mig_idlist *revs, int except_n, const int *except, ilist *out)
{
    mig_graph *g = m->g;
    ilist other = {0};
    int i;
    for (i = 0; i < m->heads.n; i++) {
        int h = m->heads.v[i], e, skip = 0;
        for (e = 0; e < except_n; e++)
            if (except[e] == h)
                skip = 1;
        if (!skip && il_push(g, &other, h))
            return -1;
    }
    if (other.n) {
        bitset a = bs_new(g);
        if (!a || related(g, other.v, other.n, 1, 1, a))
            return -1;
        for (i = 0; i < revs->n; i++)
            if (!BS_HAS(a, revs->v[i]) && il_push(g, out, revs->v[i]))
                return -1;
    } else {
        for (i = 0; i < revs->n; i++)
            if (il_push(g, out, revs->v[i]))
                return -1;
    }
    return 0;
}

static int update_to_step(maint *m, int rev, int upgrade)
{
    mig_graph *g = m->g;
    mig_err *err = m->err;
    const mig_node *nd = &g->nodes[rev];
    const mig_idlist *down = &nd->norm_down;
    int in_heads = il_has(&m->heads, rev), k, present = 0;
    for (k = 0; k < down->n; k++)
        if (il_has(&m->heads, down->v[k]))
            present++;
    if (!upgrade) {
        if (in_heads) {
            ilist to = {0};
            if (down->n == 0)
                return m_delete(m, rev);
            if (minus_other_ancestors(m, down, 1, &rev, &to))
                return NOMEM();
            if (m->heads.n == 1 && to.n > 1) {
                /* no other head: drop targets implied by another target
                 * (Alembic bug #1373, fixed upstream after 1.8.1) */
                ilist keep = {0};
                int a, b;
                for (a = 0; a < to.n; a++) {
                    int implied = 0;
                    for (b = 0; b < to.n && !implied; b++)
                        implied = b != a && mig_graph_is_ancestor(g, to.v[a], to.v[b]);
                    if (!implied && il_push(g, &keep, to.v[a]))
                        return NOMEM();
                }
                if (g->oom)
                    return NOMEM();
                to = keep;
            }
            if (to.n == 0)
                return m_delete(m, rev);
            if (down->n > 1) {
                /* unmerge: update to the last, insert the others */
                for (k = 0; k + 1 < to.n; k++)
                    if (m_insert(m, to.v[k]))
                        return -1;
                return m_update(m, rev, to.v[to.n - 1]);
            }
            return m_update(m, rev, down->v[0]);
        }
        return mig_fail(err, MIG_E_STATE, "cannot downgrade %s: it is not a current head", nd->id);
    }
    if (down->n == 0 || present == 0)
        return m_insert(m, rev);
    if (down->n > 1 && present > 1) {
        /* merge: delete all but one of the merged heads, update the last */
        ilist from = {0}, inh = {0};
        if (minus_other_ancestors(m, down, down->n, down->v, &from))
            return NOMEM();
        for (k = 0; k < from.n; k++)
            if (il_has(&m->heads, from.v[k]) && il_push(g, &inh, from.v[k]))
                return NOMEM();
        if (inh.n == 0)
            return m_insert(m, rev);
        for (k = 0; k + 1 < inh.n; k++)
            if (m_delete(m, inh.v[k]))
                return -1;
        return m_update(m, inh.v[inh.n - 1], rev);
    }
    for (k = 0; k < down->n; k++)
        if (il_has(&m->heads, down->v[k]))
            return m_update(m, down->v[k], rev);
    return m_insert(m, rev);
}

static int plan_init(mig_graph *g, const mig_idlist *cur, mig_plan *out, maint *m, mig_err *err)
{
    int i;
    memset(out, 0, sizeof *out);
    memset(m, 0, sizeof *m);
    m->g = g;
    m->p = out;
    m->err = err;
    out->start = *cur;
    for (i = 0; i < cur->n; i++) {
        if (cur->v[i] < 0 || cur->v[i] >= g->n)
            return mig_fail(err, MIG_E_STATE, "invalid current revision");
        if (il_push(g, &m->heads, cur->v[i]))
            return NOMEM();
    }
    return 0;
}

static int plan_steps(maint *m, const ilist *order, int upgrade)
{
    mig_graph *g = m->g;
    mig_plan *p = m->p;
    mig_err *err = m->err;
    int i;
    p->steps = mig_alloc(g->ar, sizeof(mig_step) * (size_t)(order->n + 1));
    if (!p->steps)
        return NOMEM();
    for (i = 0; i < order->n; i++) {
        int n = upgrade ? order->v[order->n - 1 - i] : order->v[i];
        mig_step *s = &p->steps[p->nsteps++];
        s->dir = upgrade ? MIG_DIR_UPGRADE : MIG_DIR_DOWNGRADE;
        s->node = n;
        s->vop_first = p->nvops;
        if (update_to_step(m, n, upgrade))
            return -1;
        s->nvop = p->nvops - s->vop_first;
    }
    p->heads.v = m->heads.v;
    p->heads.n = m->heads.n;
    return 0;
}

/* A current head that is an ancestor of another is an inconsistent state. */
static int check_overlap(mig_graph *g, const int *v, int n, mig_err *err)
{
    int i, j;
    if (n < 2)
        return 0;
    for (i = 0; i < n; i++) {
        bitset a = bs_new(g);
        if (!a || related(g, &v[i], 1, 1, 1, a))
            return NOMEM();
        for (j = 0; j < n; j++)
            if (j != i && BS_HAS(a, v[j]))
                return mig_fail(err, MIG_E_TARGET, "Requested revision %s overlaps with other requested revisions %s",
                                g->nodes[v[i]].id, g->nodes[v[j]].id);
    }
    return 0;
}

static int no_range(const char *target, mig_err *err)
{
    if (strchr(target, ':'))
        return mig_fail(err, MIG_E_TARGET,
                        "Range revision not allowed: '%s' (FROM:TO ranges are for offline SQL, mig_sql())", target);
    return 0;
}

int mig_plan_upgrade(mig_graph *g, const mig_idlist *cur, const char *target, mig_plan *out, mig_err *err)
{
    maint m;
    ilist targets = {0}, order = {0};
    bitset need, have;
    int i, nneed = 0;
    if (no_range(target, err) || plan_init(g, cur, out, &m, err) ||
        parse_upgrade_target(g, cur, target, &targets, err))
        return -1;
    if (check_overlap(g, targets.v, targets.n, err) || check_overlap(g, cur->v, cur->n, err))
        return -1;
    need = bs_new(g);
    have = bs_new(g);
    if (!need || !have || related(g, targets.v, targets.n, 1, 1, need) || related(g, cur->v, cur->n, 1, 1, have))
        return NOMEM();
    for (i = 0; i < g->n; i++) {
        if (BS_HAS(have, i))
            BS_CLR(need, i);
        else if (BS_HAS(need, i))
            nneed++;
    }
    if (topological_sort(g, need, nneed, &targets, &order, err))
        return -1;
    return plan_steps(&m, &order, 1);
}

int mig_plan_downgrade(mig_graph *g, const mig_idlist *cur, const char *target, mig_plan *out, mig_err *err)
{
    maint m;
    const char *label;
    int trev = NONE, i, ndrop = 0;
    ilist roots = {0}, heads = {0}, order = {0};
    bitset drop, active;
    if (no_range(target, err) || plan_init(g, cur, out, &m, err) ||
        parse_downgrade_target(g, cur, target, &label, &trev, err))
        return -1;
    if (trev == NONE) {
        for (i = 0; i < g->n; i++)
            if (g->nodes[i].is_base && il_push(g, &roots, i))
                return NOMEM();
    } else {
        for (i = 0; i < g->nodes[trev].next.n; i++)
            if (il_push(g, &roots, g->nodes[trev].next.v[i]))
                return NOMEM();
    }
    if (label && roots.n > 1) {
        int b;
        bitset anc = bs_new(g);
        ilist f = {0};
        if (resolve_branch(g, label, &b, err))
            return -1;
        if (!anc || related(g, &b, 1, 1, 0, anc))
            return NOMEM();
        for (i = 0; i < roots.n; i++)
            if (BS_HAS(anc, roots.v[i]) && il_push(g, &f, roots.v[i]))
                return NOMEM();
        if (f.n == 0)
            return mig_fail(err, MIG_E_TARGET, "Not a valid downgrade target from current heads: %s", target);
        roots = f;
    }
    drop = bs_new(g);
    active = bs_new(g);
    if (!drop || !active || related(g, roots.v, roots.n, 0, 1, drop) || related(g, cur->v, cur->n, 1, 1, active))
        return NOMEM();
    for (i = 0; i < g->n; i++) {
        if (BS_HAS(drop, i) && !BS_HAS(active, i))
            BS_CLR(drop, i);
        else if (BS_HAS(drop, i))
            ndrop++;
    }
    if (trev >= 0 && ndrop == 0) {
        int in = 0;
        for (i = 0; i < cur->n; i++)
            if (cur->v[i] == trev)
                in = 1;
        if (!in)
            return mig_fail(err, MIG_E_TARGET,
                            "Destination %s is not a valid downgrade target from current head(s)", target);
    }
    for (i = 0; i < cur->n; i++)
        if (il_push(g, &heads, cur->v[i]))
            return NOMEM();
    if (topological_sort(g, drop, ndrop, &heads, &order, err))
        return -1;
    return plan_steps(&m, &order, 0);
}

/* _stamp_revs + StampStep through the HeadMaintainer */
int mig_plan_stamp(mig_graph *g, const mig_idlist *cur, const mig_strlist *targets, int purge, mig_plan *out,
                   mig_err *err)
{
    maint m;
    mig_idlist none = {0};
    ilist filtered = {0}, dests = {0};
    int i, t, nd_base = 0;
    if (plan_init(g, purge ? &none : cur, out, &m, err))
        return -1;
    for (t = 0; t < targets->n; t++) {
        reltarget r;
        int k, rc = parse_relative(g, targets->v[t], &r, err);
        if (rc < 0 || no_range(targets->v[t], err))
            return -1;
        if (rc > 0)
            return mig_fail(err, MIG_E_TARGET, "stamp takes no relative target: '%s'", targets->v[t]);
        for (k = 0; k < t; k++)
            if (strcmp(targets->v[k], targets->v[t]) == 0)
                return mig_fail(err, MIG_E_TARGET, "stamp target '%s' is given twice", targets->v[t]);
        if (targets->n > 1 && (strcmp(targets->v[t], "base") == 0 ||
                               (strlen(targets->v[t]) >= 5 && strcmp(targets->v[t] + strlen(targets->v[t]) - 5,
                                                                     "@base") == 0)))
            return mig_fail(err, MIG_E_TARGET, "stamp target 'base' cannot be combined with other targets");
    }
    for (t = 0; t < targets->n; t++) {
        ilist curl = {0};
        for (i = 0; i < m.heads.n; i++)
            if (il_push(g, &curl, m.heads.v[i]))
                return NOMEM();
        if (*targets->v[t] && filter_for_lineage(g, curl.v, curl.n, targets->v[t], 1, &filtered, err))
            return -1;
        {
            ilist d = {0};
            if (get_revisions(g, targets->v[t], &d, err))
                return -1;
            for (i = 0; i < d.n; i++)
                if (!il_has(&dests, d.v[i]) && il_push(g, &dests, d.v[i]))
                    return NOMEM();
        }
    }
    if (check_overlap(g, dests.v, dests.n, err))
        return -1;
    if (dests.n == 0)
        nd_base = 1;
    out->steps = mig_alloc(g->ar, sizeof(mig_step) * (size_t)(dests.n + filtered.n + 1));
    if (!out->steps)
        return NOMEM();
#define STEP_BEGIN(node_)                                                                                           \
    mig_step *s = &out->steps[out->nsteps++];                                                                       \
    s->dir = MIG_DIR_STAMP;                                                                                         \
    s->node = (node_);                                                                                              \
    s->vop_first = out->nvops
#define STEP_END() s->nvop = out->nvops - s->vop_first
    if (nd_base) {
        for (i = 0; i < filtered.n; i++) {
            STEP_BEGIN(NONE);
            if (m_delete(&m, filtered.v[i]))
                return -1;
            STEP_END();
        }
    }
    for (t = 0; t < dests.n; t++) {
        int dest = dests.v[t];
        bitset desc, anc;
        int below = 0, above = 0;
        if (il_has(&filtered, dest))
            continue;
        desc = bs_new(g);
        anc = bs_new(g);
        if (!desc || !anc || related(g, &dest, 1, 0, 1, desc) || related(g, &dest, 1, 1, 1, anc))
            return NOMEM();
        for (i = 0; i < filtered.n; i++) {
            if (BS_HAS(desc, filtered.v[i]))
                above = 1;
            if (BS_HAS(anc, filtered.v[i]))
                below = 1;
        }
        {
            STEP_BEGIN(dest);
            if (above || below) {
                /* heads above (downgrade) or below (upgrade) the
                 * destination: one "merge" step from all of them */
                ilist inh = {0};
                for (i = 0; i < filtered.n; i++)
                    if (il_has(&m.heads, filtered.v[i]) && il_push(g, &inh, filtered.v[i]))
                        return NOMEM();
                if (inh.n == 0) {
                    if (!il_has(&m.heads, dest) && m_insert(&m, dest))
                        return -1;
                } else {
                    for (i = 0; i + 1 < inh.n; i++)
                        if (m_delete(&m, inh.v[i]))
                            return -1;
                    if (m_update(&m, inh.v[inh.n - 1], dest))
                        return -1;
                }
            } else if (!il_has(&m.heads, dest) && m_insert(&m, dest))
                return -1;
            STEP_END();
        }
    }
#undef STEP_BEGIN
#undef STEP_END
    out->heads.v = m.heads.v;
    out->heads.n = m.heads.n;
    return 0;
}

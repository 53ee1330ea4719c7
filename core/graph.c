/*
 * graph.c — building and validating the revision graph.
 *
 * Edges follow Alembic's RevisionMap: `down` are the versioned down
 * revisions; dependencies add ordering edges; `norm_deps` drops the
 * dependencies an ancestor already declares, and `norm_down` (down +
 * norm_deps) is what traversal walks.  Ids are found through open
 * addressing (id_slots); labels through uthash, with its memory taken from
 * the graph's arena (the macros of graph_int.h see the local `g`).  A node
 * whose lists would be equal shares one array (norm_down is down without
 * dependencies, all_next is next without dependents): most nodes of a
 * large project, 32 bytes each.
 */
#include "graph.h"
#include "graph_int.h"

#include <stdlib.h>
#include <string.h>

int mig_idl_push(mig_graph *g, mig_idlist *l, int v, int *cap)
{
    if (l->n == *cap) {
        int nc = *cap ? *cap * 2 : 4;
        int *nv = mig_alloc(g->ar, sizeof(int) * (size_t)nc);
        if (!nv)
            return -1;
        if (l->n)
            memcpy(nv, l->v, sizeof(int) * (size_t)l->n);
        l->v = nv;
        *cap = nc;
    }
    l->v[l->n++] = v;
    return 0;
}

int mig_idl_has(const mig_idlist *l, int v)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return 1;
    return 0;
}

void mig_graph_init(mig_graph *g, mig_arena *ar)
{
    memset(g, 0, sizeof *g);
    g->ar = ar;
}

/* FNV-1a of an id, for id_slots. */
static unsigned id_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Room in the id slots for n nodes (at most half full), rehashing what is there. */
static int id_room(mig_graph *g, int n)
{
    unsigned size = 16, i;
    int *slots;
    if (g->id_slots && (size_t)n * 2 <= (size_t)g->id_mask + 1)
        return 0;
    while (size < (unsigned)n * 2u)
        size *= 2;
    if (!(slots = mig_alloc0(g->ar, sizeof *slots * size)))
        return -1;
    for (i = 0; g->id_slots && i <= g->id_mask; i++)
        if (g->id_slots[i]) {
            unsigned h = id_hash(g->nodes[g->id_slots[i] - 1].id) & (size - 1);
            while (slots[h])
                h = (h + 1) & (size - 1);
            slots[h] = g->id_slots[i];
        }
    g->id_slots = slots;
    g->id_mask = size - 1;
    return 0;
}

int mig_graph_reserve(mig_graph *g, int n)
{
    mig_node *nn;
    if (id_room(g, n))
        return -1;
    if (n <= g->cap)
        return 0;
    if (!(nn = mig_alloc(g->ar, sizeof(mig_node) * (size_t)n)))
        return -1;
    if (g->n)
        memcpy(nn, g->nodes, sizeof(mig_node) * (size_t)g->n);
    g->nodes = nn;
    g->cap = n;
    return 0;
}

int mig_graph_find(const mig_graph *g, const char *id)
{
    unsigned h;
    if (!g->id_slots)
        return -1;
    for (h = id_hash(id) & g->id_mask; g->id_slots[h]; h = (h + 1) & g->id_mask)
        if (strcmp(g->nodes[g->id_slots[h] - 1].id, id) == 0)
            return g->id_slots[h] - 1;
    return -1;
}

int mig_graph_label(const mig_graph *g, const char *label)
{
    mig_hent *e = NULL;
    HASH_FIND_STR(g->by_label, label, e);
    return e ? e->idx : -1;
}

static int hadd(mig_graph *g, mig_hent **table, const char *key, int idx)
{
    mig_hent *e = mig_alloc(g->ar, sizeof *e);
    if (!e)
        return -1;
    memset(e, 0, sizeof *e);
    e->key = key;
    e->idx = idx;
    HASH_ADD_KEYPTR(hh, *table, e->key, strlen(e->key), e);
    return g->oom ? -1 : 0;
}

static int valid_id(const char *id, mig_err *err)
{
    char why[600];
    if (mig_valid_rev_id(id, strlen(id)))
        return 1;
    mig_rev_id_problem(id, strlen(id), why, sizeof why);
    mig_fail(err, MIG_E_GRAPH, "%s", why);
    return 0;
}

int mig_graph_add(mig_graph *g, const char *id, const mig_strlist *down, const mig_strlist *labels,
                  const mig_strlist *depends, const char *message, const char *checksum, int transactional,
                  mig_err *err)
{
    mig_node *nd;
    int other = g->ids_unique ? -1 : mig_graph_find(g, id), i;
    if (other >= 0)
        return mig_fail(err, MIG_E_GRAPH, "duplicate revision id: revision %s is present more than once", id);
    if (!valid_id(id, err))
        return -1;
    for (i = 0; down && i < down->n; i++)
        if (!valid_id(down->v[i], err))
            return -1;
    for (i = 0; labels && i < labels->n; i++)
        if (!mig_valid_label(labels->v[i], strlen(labels->v[i])))
            return mig_fail(err, MIG_E_GRAPH, "malformed branch label '%s' in revision %s", labels->v[i], id);
    if (g->n == g->cap) {
        int nc = g->cap ? g->cap * 2 : 64;
        mig_node *nn = mig_alloc(g->ar, sizeof(mig_node) * (size_t)nc);
        if (!nn)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        if (g->n)
            memcpy(nn, g->nodes, sizeof(mig_node) * (size_t)g->n);
        g->nodes = nn;
        g->cap = nc;
    }
    nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->id = id;
    nd->message = message ? message : "";
    nd->checksum = checksum ? checksum : "";
    nd->transactional = transactional;
    if (down)
        nd->down_ids = *down;
    if (labels)
        nd->labels = *labels;
    if (depends)
        nd->dep_names = *depends;
    nd->is_base = nd->down_ids.n == 0;
    if (mig_strlist_has(&nd->down_ids, id))
        return mig_fail(err, MIG_E_GRAPH, "Self-loop is detected in revisions (%s)", id);
    if (mig_strlist_has(&nd->dep_names, id))
        return mig_fail(err, MIG_E_GRAPH, "Dependency self-loop is detected in revisions (%s)", id);
    if (id_room(g, g->n + 1))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    {
        unsigned h = id_hash(id) & g->id_mask;
        while (g->id_slots[h])
            h = (h + 1) & g->id_mask;
        g->id_slots[h] = g->n + 1;
    }
    g->n++;
    return 0;
}

/* Kahn's algorithm over the chosen edges; names the revisions left over. */
static int check_cycles(mig_graph *g, int with_deps, mig_err *err)
{
    int *indeg = mig_alloc0(g->ar, sizeof(int) * (size_t)(g->n + 1));
    int *queue = mig_alloc(g->ar, sizeof(int) * (size_t)(g->n + 1));
    int qh = 0, qt = 0, i, done = 0;
    if (!indeg || !queue)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < g->n; i++) {
        const mig_idlist *up = with_deps ? &g->nodes[i].norm_down : &g->nodes[i].down;
        indeg[i] = up->n;
        if (up->n == 0)
            queue[qt++] = i;
    }
    while (qh < qt) {
        int v = queue[qh++], k;
        const mig_idlist *kids = with_deps ? &g->nodes[v].all_next : &g->nodes[v].next;
        done++;
        for (k = 0; k < kids->n; k++) {
            int c = kids->v[k];
            /* all_next may list a child once for a dependency edge that
             * normalisation dropped: count only edges in norm_down */
            if (with_deps && !mig_idl_has(&g->nodes[c].norm_down, v))
                continue;
            if (--indeg[c] == 0)
                queue[qt++] = c;
        }
    }
    if (done < g->n) {
        mig_strlist names = {0};
        for (i = 0; i < g->n; i++)
            if (indeg[i] > 0 && mig_strlist_add(g->ar, &names, g->nodes[i].id))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        mig_strlist_sort(&names);
        return mig_fail(err, MIG_E_GRAPH, "%s is detected in revisions (%s)",
                        with_deps ? "Dependency cycle" : "Cycle", mig_strlist_join(g->ar, &names, ", "));
    }
    return 0;
}

int mig_graph_finish(mig_graph *g, mig_err *err)
{
    int i, j;
    int *caps = mig_alloc0(g->ar, sizeof(int) * 4 * (size_t)(g->n + 1));
    int *seen;
    int stamp = 0, *stack;
    int hcap = 0, rcap = 0, bcap = 0;
    if (!caps)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");

    /* branch labels: unique, and not the id of another revision */
    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        for (j = 0; j < nd->labels.n; j++) {
            const char *l = nd->labels.v[j];
            int o = mig_graph_label(g, l);
            if (o < 0)
                o = mig_graph_find(g, l);
            if (o >= 0)
                return mig_fail(err, MIG_E_GRAPH, "Branch name '%s' in revision %s already used by revision %s", l,
                                nd->id, g->nodes[o].id);
            if (hadd(g, &g->by_label, l, i))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
    }
    /* down revisions and dependencies, by index */
    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        int dcap = 0, depcap = 0;
        for (j = 0; j < nd->down_ids.n; j++) {
            /* revisions are usually uploaded in order: try the previous
             * one before the hash table */
            int p = i > 0 && strcmp(g->nodes[i - 1].id, nd->down_ids.v[j]) == 0 ? i - 1
                                                                                : mig_graph_find(g, nd->down_ids.v[j]);
            if (p < 0)
                return mig_fail(err, MIG_E_GRAPH, "Revision '%s' referenced from %s is not present", nd->down_ids.v[j],
                                nd->id);
            if (mig_idl_push(g, &nd->down, p, &dcap))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
        for (j = 0; j < nd->dep_names.n; j++) {
            int p = mig_graph_find(g, nd->dep_names.v[j]);
            if (p < 0)
                p = mig_graph_label(g, nd->dep_names.v[j]);
            if (p < 0)
                return mig_fail(err, MIG_E_GRAPH, "Revision or branch label '%s', depended on by %s, is not present",
                                nd->dep_names.v[j], nd->id);
            if (p == i)
                return mig_fail(err, MIG_E_GRAPH, "Dependency self-loop is detected in revisions (%s)", nd->id);
            if (!mig_idl_has(&nd->deps, p) && mig_idl_push(g, &nd->deps, p, &depcap))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
    }
    /* children: next first; all_next (the same children in the same order,
     * and the dependents between them) only for a node with a dependent
     * that is not a child, marked in caps[4p + 2]; the others share next */
    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        for (j = 0; j < nd->down.n; j++) {
            int p = nd->down.v[j];
            if (mig_idl_push(g, &g->nodes[p].next, i, &caps[4 * p]))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
        for (j = 0; j < nd->deps.n; j++)
            if (!mig_idl_has(&nd->down, nd->deps.v[j]))
                caps[4 * nd->deps.v[j] + 2] = 1;
    }
    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        for (j = 0; j < nd->down.n; j++) {
            int p = nd->down.v[j];
            if (caps[4 * p + 2] && mig_idl_push(g, &g->nodes[p].all_next, i, &caps[4 * p + 1]))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
        for (j = 0; j < nd->deps.n; j++) {
            int p = nd->deps.v[j];
            if (mig_idl_has(&nd->down, p))
                continue;
            if (mig_idl_push(g, &g->nodes[p].all_next, i, &caps[4 * p + 1]))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        }
    }
    for (i = 0; i < g->n; i++)
        if (!caps[4 * i + 2])
            g->nodes[i].all_next = g->nodes[i].next;
    if (check_cycles(g, 0, err))
        return -1;

    /* normalised dependencies: drop those an ancestor (through down
     * revisions) already declares; then norm_down = down + norm_deps */
    seen = mig_alloc0(g->ar, sizeof(int) * (size_t)(g->n + 1));
    stack = mig_alloc(g->ar, sizeof(int) * (size_t)(g->n + 1));
    if (!seen || !stack)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        int ncap = 0, ndcap = 0;
        if (nd->deps.n == 0) {
            nd->norm_down = nd->down; /* shared: neither changes any more */
            continue;
        }
        for (j = 0; j < nd->down.n; j++)
            if (mig_idl_push(g, &nd->norm_down, nd->down.v[j], &ndcap))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        {
            /* dependencies declared by proper ancestors */
            int sp = 0, k;
            int *drop = mig_alloc0(g->ar, sizeof(int) * (size_t)nd->deps.n);
            if (!drop)
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            stamp++;
            for (j = 0; j < nd->down.n; j++)
                stack[sp++] = nd->down.v[j];
            while (sp) {
                int v = stack[--sp];
                mig_node *an = &g->nodes[v];
                if (seen[v] == stamp)
                    continue;
                seen[v] = stamp;
                for (k = 0; k < an->deps.n; k++) {
                    int d;
                    for (d = 0; d < nd->deps.n; d++)
                        if (nd->deps.v[d] == an->deps.v[k])
                            drop[d] = 1;
                }
                for (k = 0; k < an->down.n; k++)
                    if (seen[an->down.v[k]] != stamp)
                        stack[sp++] = an->down.v[k];
            }
            for (j = 0; j < nd->deps.n; j++) {
                if (drop[j])
                    continue;
                if (mig_idl_push(g, &nd->norm_deps, nd->deps.v[j], &ncap))
                    return mig_fail(err, MIG_E_NOMEM, "out of memory");
                if (!mig_idl_has(&nd->norm_down, nd->deps.v[j]) &&
                    mig_idl_push(g, &nd->norm_down, nd->deps.v[j], &ndcap))
                    return mig_fail(err, MIG_E_NOMEM, "out of memory");
            }
        }
    }
    if (check_cycles(g, 1, err))
        return -1;

    for (i = 0; i < g->n; i++) {
        mig_node *nd = &g->nodes[i];
        if (nd->next.n == 0 && mig_idl_push(g, &g->heads, i, &hcap))
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        if (nd->all_next.n == 0 && mig_idl_push(g, &g->real_heads, i, &rcap))
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        if (nd->is_base && mig_idl_push(g, &g->bases, i, &bcap))
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
    }
    /* mig_graph_is_ancestor's scratch, now that the graph is complete (an
     * arena mark taken later cannot release it) */
    g->seen = mig_alloc0(g->ar, sizeof(unsigned) * (size_t)(g->n + 1));
    g->stack = mig_alloc(g->ar, sizeof(int) * (size_t)(g->n + 1));
    g->walk = 0;
    if (!g->seen || !g->stack)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    return 0;
}

int mig_graph_is_ancestor(mig_graph *g, int a, int b)
{
    /* walk up from b; the graph is acyclic, `seen` keeps it linear */
    int sp = 0;
    if (a == b)
        return 1;
    if (!g->seen || !g->stack) { /* mig_graph_finish was not called, or failed */
        g->oom = 1;
        return 0;
    }
    if (++g->walk == 0) {
        /* the counter wrapped: start from clean marks */
        memset(g->seen, 0, sizeof(unsigned) * (size_t)(g->n + 1));
        g->walk = 1;
    }
    g->stack[sp++] = b;
    g->seen[b] = g->walk;
    while (sp) {
        const mig_node *nd = &g->nodes[g->stack[--sp]];
        int k;
        for (k = 0; k < nd->norm_down.n; k++) {
            int p = nd->norm_down.v[k];
            if (p == a)
                return 1;
            if (g->seen[p] != g->walk) {
                g->seen[p] = g->walk;
                g->stack[sp++] = p;
            }
        }
    }
    return 0;
}

unsigned char *mig_graph_ancestors(mig_graph *g, const mig_idlist *heads)
{
    unsigned char *mark = mig_alloc0(g->ar, (size_t)g->n + 1);
    int *stack = mig_alloc(g->ar, sizeof(int) * (size_t)(g->n + 1)), sp = 0, i;
    if (!mark || !stack) {
        g->oom = 1;
        return NULL;
    }
    for (i = 0; i < heads->n; i++)
        if (!mark[heads->v[i]]) {
            mark[heads->v[i]] = 1;
            stack[sp++] = heads->v[i];
        }
    while (sp) {
        const mig_node *nd = &g->nodes[stack[--sp]];
        int k;
        for (k = 0; k < nd->norm_down.n; k++)
            if (!mark[nd->norm_down.v[k]]) {
                mark[nd->norm_down.v[k]] = 1;
                stack[sp++] = nd->norm_down.v[k];
            }
    }
    return mark;
}

/*
 * graph.h — the revision graph (SPEC §3): nodes, validation, target
 * resolution and planning of upgrade, downgrade and stamp, following
 * Alembic 1.8's RevisionMap semantics.
 */
#ifndef MIG_GRAPH_H
#define MIG_GRAPH_H

#include "mig_base.h"

typedef struct mig_idlist {
    int *v;
    int n;
} mig_idlist;

typedef struct mig_node {
    const char *id;
    const char *message;
    const char *checksum;
    int transactional;
    int is_base;            /* no down_revision (beside transactional: no padding) */
    mig_strlist down_ids;   /* as declared */
    mig_strlist dep_names;  /* depends_on as declared: ids or labels */
    mig_strlist labels;     /* branch labels declared here */
    mig_idlist down;        /* versioned down revisions */
    mig_idlist deps;        /* resolved dependencies */
    mig_idlist norm_deps;   /* dependencies not already declared by an ancestor */
    mig_idlist norm_down;   /* down + norm_deps: the edges Alembic walks */
    mig_idlist next;        /* children through down revisions (nextrev) */
    mig_idlist all_next;    /* children through down revisions or dependencies */
    void *user;             /* frontend data */
} mig_node;

typedef struct mig_hent mig_hent;

typedef struct mig_graph {
    mig_arena *ar;
    mig_node *nodes;  /* in load order */
    int n, cap;
    /* id -> node: open addressing, slot = node index + 1 (0: empty), size
     * a power of two at least twice the nodes (a uthash entry per node
     * cost 80 bytes, 8 MB of a 100,000-revision graph) */
    int *id_slots;
    unsigned id_mask;
    mig_hent *by_label;
    mig_idlist heads;      /* no child through a down revision (Alembic `heads`) */
    mig_idlist real_heads; /* no child at all (Alembic `_real_heads`: what `heads` resolves to) */
    mig_idlist bases;      /* no down revision */
    int oom;
    int ids_unique;   /* set by a caller whose ids cannot repeat (a primary key): skips the check */
    /* mig_graph_is_ancestor's scratch, allocated once: a walk marks the
     * nodes it visits with `walk` (no clearing between walks) */
    unsigned *seen;
    int *stack;
    unsigned walk;
} mig_graph;

void mig_graph_init(mig_graph *g, mig_arena *ar);
/* Room for n revisions in one allocation (the nodes otherwise grow by
 * doubling, and an arena keeps every smaller copy). */
int mig_graph_reserve(mig_graph *g, int n);
/* Add one revision (strings are kept, not copied). Duplicate ids are errors. */
int mig_graph_add(mig_graph *g, const char *id, const mig_strlist *down, const mig_strlist *labels,
                  const mig_strlist *depends, const char *message, const char *checksum, int transactional,
                  mig_err *err);
/* Resolve edges and validate: missing parents, unknown depends_on, duplicate
 * labels, cycles.  Must be called once after the last add. */
int mig_graph_finish(mig_graph *g, mig_err *err);
int mig_graph_find(const mig_graph *g, const char *id);   /* exact id; -1 if absent */
int mig_graph_label(const mig_graph *g, const char *label); /* declaring node; -1 */

/* Append to a node list whose capacity is *cap (memory from the graph's arena). */
int mig_idl_push(mig_graph *g, mig_idlist *l, int v, int *cap);
int mig_idl_has(const mig_idlist *l, int v);

/* Is a an ancestor-or-self of b (through down revisions and dependencies)?
 * O(ancestors of b), and allocates only on its first call. */
int mig_graph_is_ancestor(mig_graph *g, int a, int b);
/* The ancestors-or-self of any of `heads`, as g->n flags (1: is one), in
 * one walk: for asking the question of many nodes.  NULL when out of memory. */
unsigned char *mig_graph_ancestors(mig_graph *g, const mig_idlist *heads);

/* ---- planning ------------------------------------------------------------ */

typedef enum { MIG_VOP_INSERT = 1, MIG_VOP_DELETE = 2, MIG_VOP_UPDATE = 3 } mig_vop_kind;

typedef struct mig_vop {
    mig_vop_kind kind;
    int from; /* UPDATE, DELETE */
    int to;   /* UPDATE, INSERT */
} mig_vop;

typedef enum { MIG_DIR_UPGRADE = 1, MIG_DIR_DOWNGRADE = 2, MIG_DIR_STAMP = 3 } mig_direction;

typedef struct mig_step {
    mig_direction dir;
    int node;       /* the revision run (upgrade/downgrade), or the stamp destination (-1: base) */
    int vop_first;  /* its version-table operations: vops[vop_first .. vop_first+nvop) */
    int nvop;
} mig_step;

typedef struct mig_plan {
    mig_step *steps;
    int nsteps;
    mig_vop *vops;
    int nvops, capvops;
    mig_idlist start;  /* heads before */
    mig_idlist heads;  /* heads after, in the order maintained */
} mig_plan;

/*
 * Plans.  `cur` are the current heads (node indices).  Targets use the
 * syntax of SPEC §3.  For stamp, `targets` holds one or more targets.
 */
int mig_plan_upgrade(mig_graph *g, const mig_idlist *cur, const char *target, mig_plan *out, mig_err *err);
int mig_plan_downgrade(mig_graph *g, const mig_idlist *cur, const char *target, mig_plan *out, mig_err *err);
int mig_plan_stamp(mig_graph *g, const mig_idlist *cur, const mig_strlist *targets, int purge, mig_plan *out,
                   mig_err *err);
/* Resolve a target to revisions as Alembic's get_revisions does (base: empty). */
int mig_resolve(mig_graph *g, const char *target, mig_idlist *out, mig_err *err);

#endif

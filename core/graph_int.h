/*
 * graph_int.h — internals shared by graph.c and plan.c.
 */
#ifndef MIG_GRAPH_INT_H
#define MIG_GRAPH_INT_H

#include "graph.h"

/* uthash takes its memory from the arena of the graph `g` in scope; memory is
 * released with the arena, so uthash_free does nothing. */
#define uthash_malloc(sz) mig_alloc(g->ar, (sz))
#define uthash_free(ptr, sz) ((void)(ptr), (void)(sz))
#define HASH_NONFATAL_OOM 1 /* never exit(): a failed add sets g->oom */
#define uthash_nonfatal_oom(obj) ((void)(obj), g->oom = 1)
#include <uthash.h>

struct mig_hent {
    const char *key;
    int idx;
    UT_hash_handle hh;
};


#endif

/*
 * repro_uthash_oom.c - regression test of a fixed core bug (uthash-oom-exit),
 * run by tests/run/30-fuzz.t.
 *
 * core/graph_int.h defined uthash_nonfatal_oom() but not HASH_NONFATAL_OOM
 * (now defined), so uthash kept its fatal handler: when the arena cannot grow inside
 * HASH_ADD (graph.c hadd), uthash_fatal() calls exit(-1).  In the SQLite
 * extension that ends the host process when sqlite3_malloc64() fails.
 *
 * Here the arena's first block is filled so that the hash entry of the first
 * revision still fits but the hash table allocated right after it needs a
 * new block, and that allocation fails.  Fixed: mig_graph_add returns -1
 * (out of memory) and this prints "ok" and exits 0.  Still broken: the
 * process exits with status 255 from inside mig_graph_add.
 *
 *   cc -D_GNU_SOURCE -Icore tests/fuzz/repro_uthash_oom.c core/mig_base.c core/graph.c
 */
#include "graph.h"
#include "graph_int.h"

#include <stdio.h>
#include <stdlib.h>

static long calls, fail_at = -1;

static void *al(void *ud, size_t n)
{
    (void)ud;
    if (calls++ == fail_at)
        return NULL;
    return malloc(n);
}

static void fr(void *ud, void *p)
{
    (void)ud;
    free(p);
}

int main(void)
{
    mig_allocator a = {al, fr, NULL};
    mig_arena ar;
    mig_graph g;
    mig_err err;
    size_t ent = (sizeof(mig_hent) + 15) & ~(size_t)15;
    int rc, tries;
    for (tries = 0; tries < 2; tries++) {
        /* try 0: the node array (its own block) comes first, then the table;
         * try 1: in case the node array shares the block */
        calls = 0;
        fail_at = -1;
        mig_arena_init(&ar, &a);
        mig_err_clear(&err);
        mig_alloc(&ar, 16);
        while (ar.left > ent)
            mig_alloc(&ar, 16);
        mig_graph_init(&g, &ar);
        fail_at = calls + 1 + tries;
        rc = mig_graph_add(&g, "a1", NULL, NULL, NULL, "", "", 1, &err);
        mig_arena_free(&ar);
        if (rc == 0 && calls <= fail_at)
            continue; /* the failing allocation was not reached */
        printf("mig_graph_add: rc %d%s%s\n", rc, rc ? ": " : "", rc ? err.msg : "");
    }
    printf("ok\n");
    return 0;
}

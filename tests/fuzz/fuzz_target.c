/*
 * fuzz_target.c - libFuzzer target for the revision graph and the planner
 * (core/graph.c, core/plan.c, SPEC §3).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_target.c core/mig_base.c core/graph.c core/plan.c
 *   ./a.out -dict=tests/fuzz/target.dict tests/fuzz/corpus/target
 *
 * Input (missing bytes read as 0):
 *   byte 0          number of revisions n = 1 + b % 12
 *   per revision    flags: bits 0-1 number of down revisions, bits 2-3
 *                   number of depends_on, bit 4 a branch label, bit 7 an id
 *                   taken from the pool (may collide) instead of the i-th;
 *                   [id byte]; one byte per down revision (< 0xE0: an
 *                   earlier revision, else a pool id: unknown ids, cycles,
 *                   self-loops); one byte per dependency (< 0x60: an earlier
 *                   revision, < 0x80: a pool id, else a label); [label byte]
 *   state byte      bits 0-1 number of current heads, bit 2 keep them raw
 *                   (else reduced to the tips of what they imply, as a
 *                   consistent version table is), bit 3 stamp --purge;
 *                   then one byte per head (a node index)
 *   the rest        the target text (up to the first NUL, 64 bytes at
 *                   most); for stamp it is split on spaces and commas
 *
 * It calls mig_resolve, mig_plan_upgrade, mig_plan_downgrade and
 * mig_plan_stamp.  Invariants checked (abort() on violation):
 *   - an invalid graph or target gives -1 with an error code and message;
 *   - after mig_graph_finish: edges, heads, real heads and bases agree with
 *     the declared revisions; norm_down = down + a subset of deps;
 *   - every node index in a result is valid; no revision twice in a plan;
 *   - upgrade: runs only unapplied revisions; each comes after every
 *     norm_down parent that is not already applied (so the applied set
 *     stays closed under ancestry); the heads after are exactly the tips
 *     of "applied before + run", none an ancestor of another, so the same
 *     upgrade again plans nothing;
 *   - downgrade: runs only applied revisions, children before parents (an
 *     applied child of a step runs before it); the heads after imply
 *     exactly "applied before - run";
 *   - stamp: destinations valid, heads after distinct;
 *   - planning is deterministic, and with the allocator failing at one
 *     point chosen from the input every call fails cleanly or returns the
 *     very same result (set MIG_FUZZ_OOM=0 to turn that off);
 *   - every arena block is released.
 *
 * Regression: tests/fuzz/corpus/target/regress-uthash-oom-exit (an
 * allocation failure inside HASH_ADD used to exit the process).
 */
/* the uthash out-of-memory exit is fixed (HASH_NONFATAL_OOM) */
#define FUZZ_STRICT_DEFAULT
#include "fuzz_common.h"
#include "graph.h"
#include "mig_base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 12
#define MAXT 64

/* revision ids: some share 4+ character prefixes, one is also a label */
static const char *const ID_POOL[16] = {"a1",   "b1",     "c1",     "a2",   "b2",  "c2",  "abcd1", "abcd2",
                                        "abce", "ab12cd", "ab12ce", "d1",   "e1",  "lib1", "x1",    "base1"};
static const char *const LABEL_POOL[8] = {"lib1", "lib2", "br", "main", "a1", "lib.v2", "br-x", "rel-1"};

/* ---- input reader --------------------------------------------------------------- */

typedef struct {
    const uint8_t *d;
    size_t n, i;
} rd;

static unsigned byte(rd *r)
{
    return r->i < r->n ? r->d[r->i++] : 0;
}

/* ---- decoded input ----------------------------------------------------------------- */

typedef struct {
    const char *id;
    const char *down[3];
    int ndown;
    const char *deps[3];
    int ndeps;
    const char *label;
} rev_t;

typedef struct {
    int n;
    rev_t revs[MAXN];
    int ncur, raw_cur, purge;
    int cur[3];
    char target[MAXT + 1];
} input_t;

static void decode(const uint8_t *data, size_t size, input_t *in)
{
    rd r = {data, size, 0};
    int i, k;
    size_t t = 0;
    memset(in, 0, sizeof *in);
    in->n = 1 + (int)(byte(&r) % MAXN);
    for (i = 0; i < in->n; i++) {
        rev_t *v = &in->revs[i];
        unsigned f = byte(&r);
        int nd = f & 3, np = (f >> 2) & 3;
        v->id = (f & 0x80) ? ID_POOL[byte(&r) & 15] : ID_POOL[i];
        for (k = 0; k < nd; k++) {
            unsigned b = byte(&r);
            const char *p;
            int j, dup = 0;
            if (b < 0xE0) {
                if (i == 0)
                    continue;
                p = in->revs[b % (unsigned)i].id;
            } else
                p = ID_POOL[b & 15];
            for (j = 0; j < v->ndown; j++)
                dup |= strcmp(v->down[j], p) == 0;
            if (!dup) /* the parser rejects a repeated down_revision */
                v->down[v->ndown++] = p;
        }
        for (k = 0; k < np; k++) {
            unsigned b = byte(&r);
            if (b < 0x60 && i > 0)
                v->deps[v->ndeps++] = in->revs[b % (unsigned)i].id;
            else if (b < 0x80)
                v->deps[v->ndeps++] = ID_POOL[b & 15];
            else
                v->deps[v->ndeps++] = LABEL_POOL[b & 7];
        }
        if (f & 0x10)
            v->label = LABEL_POOL[byte(&r) & 7];
    }
    {
        unsigned s = byte(&r);
        in->ncur = (int)(s & 3);
        in->raw_cur = (s >> 2) & 1;
        in->purge = (s >> 3) & 1;
        for (k = 0; k < in->ncur; k++)
            in->cur[k] = (int)(byte(&r) % (unsigned)in->n);
    }
    while (r.i < r.n && t < MAXT && r.d[r.i])
        in->target[t++] = (char)r.d[r.i++];
    in->target[t] = 0;
}

/* ---- helpers over a finished graph ---------------------------------------------- */

/* ancestors-or-self of the given nodes through norm_down, as a 0/1 array */
static void ancestors(const mig_graph *g, const int *v, int n, unsigned char *out)
{
    int stack[4 * MAXN + 8], sp = 0, i;
    memset(out, 0, (size_t)g->n);
    for (i = 0; i < n; i++)
        if (!out[v[i]]) {
            out[v[i]] = 1;
            stack[sp++] = v[i];
        }
    while (sp) {
        const mig_node *nd = &g->nodes[stack[--sp]];
        for (i = 0; i < nd->norm_down.n; i++)
            if (!out[nd->norm_down.v[i]]) {
                out[nd->norm_down.v[i]] = 1;
                stack[sp++] = nd->norm_down.v[i];
            }
    }
}

static int valid_node(const mig_graph *g, int v)
{
    return v >= 0 && v < g->n;
}

static void check_idlist(const mig_graph *g, const mig_idlist *l, int distinct)
{
    int i, j;
    CHECK(l->n >= 0);
    CHECK(l->n == 0 || l->v);
    for (i = 0; i < l->n; i++) {
        CHECK(valid_node(g, l->v[i]));
        if (distinct)
            for (j = 0; j < i; j++)
                CHECK(l->v[i] != l->v[j]);
    }
}

static void check_graph(const mig_graph *g, const input_t *in)
{
    int i, j;
    CHECK(g->n == in->n);
    for (i = 0; i < g->n; i++) {
        const mig_node *nd = &g->nodes[i];
        CHECK(strcmp(nd->id, in->revs[i].id) == 0);
        CHECK(mig_graph_find(g, nd->id) == i);
        check_idlist(g, &nd->down, 1);
        check_idlist(g, &nd->deps, 1);
        check_idlist(g, &nd->norm_deps, 1);
        check_idlist(g, &nd->norm_down, 1);
        check_idlist(g, &nd->next, 1);
        check_idlist(g, &nd->all_next, 1);
        CHECK(nd->down.n == in->revs[i].ndown);
        CHECK(nd->is_base == (nd->down.n == 0));
        for (j = 0; j < nd->down.n; j++) {
            CHECK(strcmp(g->nodes[nd->down.v[j]].id, in->revs[i].down[j]) == 0);
            CHECK(mig_idl_has(&nd->norm_down, nd->down.v[j]));
            CHECK(mig_idl_has(&g->nodes[nd->down.v[j]].next, i));
            CHECK(mig_idl_has(&g->nodes[nd->down.v[j]].all_next, i));
        }
        for (j = 0; j < nd->norm_down.n; j++)
            CHECK(mig_idl_has(&nd->down, nd->norm_down.v[j]) || mig_idl_has(&nd->norm_deps, nd->norm_down.v[j]));
        for (j = 0; j < nd->norm_deps.n; j++)
            CHECK(mig_idl_has(&nd->deps, nd->norm_deps.v[j]));
        for (j = 0; j < nd->deps.n; j++)
            CHECK(mig_idl_has(&g->nodes[nd->deps.v[j]].all_next, i));
        for (j = 0; j < nd->next.n; j++)
            CHECK(mig_idl_has(&g->nodes[nd->next.v[j]].down, i));
        CHECK(mig_idl_has(&g->heads, i) == (nd->next.n == 0));
        CHECK(mig_idl_has(&g->real_heads, i) == (nd->all_next.n == 0));
        CHECK(mig_idl_has(&g->bases, i) == nd->is_base);
        for (j = 0; j < nd->labels.n; j++)
            CHECK(mig_graph_label(g, nd->labels.v[j]) == i);
    }
    check_idlist(g, &g->heads, 1);
    check_idlist(g, &g->real_heads, 1);
    check_idlist(g, &g->bases, 1);
    /* acyclic through norm_down: no node is a proper ancestor of itself */
    for (i = 0; i < g->n; i++) {
        unsigned char a[MAXN];
        const mig_node *nd = &g->nodes[i];
        if (nd->norm_down.n == 0)
            continue;
        ancestors(g, nd->norm_down.v, nd->norm_down.n, a);
        CHECK(!a[i]);
    }
}

/* ---- plan checks -------------------------------------------------------------------- */

static void check_plan_common(const mig_graph *g, const mig_plan *p, const mig_idlist *cur, mig_direction dir)
{
    int i, j;
    CHECK(p->nsteps >= 0 && (p->nsteps == 0 || p->steps));
    CHECK(p->nvops >= 0 && (p->nvops == 0 || p->vops));
    check_idlist(g, &p->heads, 1);
    CHECK(p->start.n == cur->n);
    for (i = 0; i < p->nsteps; i++) {
        const mig_step *s = &p->steps[i];
        CHECK(s->dir == dir);
        if (dir == MIG_DIR_STAMP)
            CHECK(s->node == -1 || valid_node(g, s->node));
        else
            CHECK(valid_node(g, s->node));
        CHECK(s->vop_first >= 0 && s->nvop >= 0 && s->vop_first + s->nvop <= p->nvops);
        if (i > 0)
            CHECK(s->vop_first == p->steps[i - 1].vop_first + p->steps[i - 1].nvop);
        if (dir != MIG_DIR_STAMP)
            for (j = 0; j < i; j++)
                CHECK(p->steps[j].node != s->node);
    }
    for (i = 0; i < p->nvops; i++) {
        const mig_vop *v = &p->vops[i];
        CHECK(v->kind == MIG_VOP_INSERT || v->kind == MIG_VOP_DELETE || v->kind == MIG_VOP_UPDATE);
        if (v->kind != MIG_VOP_INSERT)
            CHECK(valid_node(g, v->from));
        if (v->kind != MIG_VOP_DELETE)
            CHECK(valid_node(g, v->to));
    }
    /* replaying the version operations on the start heads gives the heads */
    {
        int h[64], nh = 0, k;
        for (i = 0; i < cur->n && nh < 64; i++)
            h[nh++] = cur->v[i];
        for (i = 0; i < p->nvops; i++) {
            const mig_vop *v = &p->vops[i];
            if (v->kind == MIG_VOP_INSERT) {
                for (k = 0; k < nh; k++)
                    CHECK(h[k] != v->to);
                CHECK(nh < 64);
                h[nh++] = v->to;
            } else {
                for (k = 0; k < nh && h[k] != v->from; k++)
                    ;
                CHECK(k < nh);
                if (v->kind == MIG_VOP_DELETE)
                    h[k] = h[--nh];
                else
                    h[k] = v->to;
            }
        }
        CHECK(nh == p->heads.n);
        for (i = 0; i < nh; i++)
            CHECK(mig_idl_has(&p->heads, h[i]));
    }
}

static void check_upgrade(const mig_graph *g, const mig_plan *p, const mig_idlist *cur)
{
    unsigned char have[MAXN], done[MAXN], after[MAXN];
    int i, j;
    check_plan_common(g, p, cur, MIG_DIR_UPGRADE);
    ancestors(g, cur->v, cur->n, have);
    memcpy(done, have, sizeof done);
    for (i = 0; i < p->nsteps; i++) {
        int v = p->steps[i].node;
        const mig_node *nd = &g->nodes[v];
        CHECK(!have[v]);
        for (j = 0; j < nd->norm_down.n; j++)
            CHECK(done[nd->norm_down.v[j]]);
        done[v] = 1;
    }
    ancestors(g, p->heads.v, p->heads.n, after);
    CHECK(memcmp(after, done, (size_t)g->n) == 0);
    /* no head implies another */
    for (i = 0; i < p->heads.n; i++) {
        unsigned char a[MAXN];
        ancestors(g, &p->heads.v[i], 1, a);
        for (j = 0; j < p->heads.n; j++)
            CHECK(j == i || !a[p->heads.v[j]]);
    }
}

static void check_downgrade(const mig_graph *g, const mig_plan *p, const mig_idlist *cur)
{
    unsigned char have[MAXN], left[MAXN], after[MAXN];
    int i, j;
    check_plan_common(g, p, cur, MIG_DIR_DOWNGRADE);
    ancestors(g, cur->v, cur->n, have);
    memcpy(left, have, sizeof left);
    for (i = 0; i < p->nsteps; i++) {
        int v = p->steps[i].node;
        CHECK(left[v]);
        /* every applied child of v (through norm_down) is gone already */
        for (j = 0; j < g->n; j++)
            if (left[j] && mig_idl_has(&g->nodes[j].norm_down, v))
                CHECK(!"a child is still applied when its parent is downgraded");
        left[v] = 0;
    }
    ancestors(g, p->heads.v, p->heads.n, after);
    CHECK(memcmp(after, left, (size_t)g->n) == 0);
}

/* ---- one run ------------------------------------------------------------------------ */

/* The outcome of each call, to compare runs. */
typedef struct {
    char s[5][2048];
    long allocs;
    long armed_at; /* allocations made when failing became allowed */
    int graph_ok;
} outcome;

static void describe(char *buf, size_t n, int rc, const mig_err *err, const mig_plan *p, const mig_idlist *l)
{
    size_t len;
    int i;
    if (rc) {
        snprintf(buf, n, "error %d: %s", (int)err->code, err->msg);
        return;
    }
    len = (size_t)snprintf(buf, n, "ok");
    if (p) {
        for (i = 0; i < p->nsteps && len < n; i++)
            len += (size_t)snprintf(buf + len, n - len, " %d", p->steps[i].node);
        for (i = 0; i < p->nvops && len < n; i++)
            len += (size_t)snprintf(buf + len, n - len, " v%d:%d:%d", (int)p->vops[i].kind, p->vops[i].from,
                                    p->vops[i].to);
        l = &p->heads;
        if (len < n)
            len += (size_t)snprintf(buf + len, n - len, " ;");
    }
    for (i = 0; l && i < l->n && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, " %d", l->v[i]);
}

static void err_ok(int rc, const mig_err *err)
{
    CHECK(rc == 0 || rc == -1);
    CHECK(memchr(err->msg, 0, sizeof err->msg) && memchr(err->detail, 0, sizeof err->detail) &&
          memchr(err->hint, 0, sizeof err->hint));
    if (rc)
        CHECK(err->code != MIG_OK && err->msg[0]);
}

static void run(const input_t *in, long fail_at, int filler, int check, outcome *oc)
{
    alloc_state st = {0, fail_at, 0, 0, !strict};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_graph g;
    mig_err err;
    int i, rc = 0;
    memset(oc, 0, sizeof *oc);
    mig_arena_init(&ar, &a);
    mig_err_clear(&err);
    /* small allocations first move the arena's block boundaries, so that
     * the allocation that fails can be any of the engine's */
    for (i = 0; i < filler; i++)
        if (!mig_alloc(&ar, 16))
            CHECK(fail_at >= 0);
    mig_graph_init(&g, &ar);
    for (i = 0; i < in->n && rc == 0; i++) {
        const rev_t *v = &in->revs[i];
        mig_strlist down = {0}, labels = {0}, deps = {0};
        int k;
        for (k = 0; k < v->ndown && rc == 0; k++)
            rc = mig_strlist_add(&ar, &down, v->down[k]);
        for (k = 0; k < v->ndeps && rc == 0; k++)
            rc = mig_strlist_add(&ar, &deps, v->deps[k]);
        if (v->label && rc == 0)
            rc = mig_strlist_add(&ar, &labels, v->label);
        if (rc) {
            CHECK(fail_at >= 0);
            mig_fail(&err, MIG_E_NOMEM, "harness out of memory");
            break;
        }
        rc = mig_graph_add(&g, v->id, &down, &labels, &deps, "msg", "", 1, &err);
        err_ok(rc, &err);
    }
    if (rc == 0) {
        rc = mig_graph_finish(&g, &err);
        err_ok(rc, &err);
    }
    st.disarmed = 0;
    oc->armed_at = strict ? 0 : st.calls;
    describe(oc->s[0], sizeof oc->s[0], rc, &err, NULL, NULL);
    if (rc == 0) {
        mig_idlist cur = {0};
        int cap = 0;
        mig_plan p;
        mig_idlist res;
        oc->graph_ok = 1;
        if (check)
            check_graph(&g, in);
        /* the current heads */
        {
            int tmp[3], nt = 0, k;
            for (i = 0; i < in->ncur; i++) {
                int dup = 0;
                for (k = 0; k < nt; k++)
                    dup |= tmp[k] == in->cur[i];
                if (!dup)
                    tmp[nt++] = in->cur[i];
            }
            if (!in->raw_cur && nt > 1) {
                /* drop those implied by another: a consistent version table */
                int keep[3];
                for (i = 0; i < nt; i++) {
                    keep[i] = 1;
                    for (k = 0; k < nt; k++) {
                        unsigned char anc[MAXN];
                        if (k == i)
                            continue;
                        ancestors(&g, &tmp[k], 1, anc);
                        if (anc[tmp[i]])
                            keep[i] = 0;
                    }
                }
                for (i = k = 0; i < nt; i++)
                    if (keep[i])
                        tmp[k++] = tmp[i];
                nt = k;
            }
            for (i = 0; i < nt; i++)
                if (mig_idl_push(&g, &cur, tmp[i], &cap)) {
                    CHECK(fail_at >= 0);
                    goto out;
                }
        }

        mig_err_clear(&err);
        memset(&res, 0, sizeof res);
        rc = mig_resolve(&g, in->target, &res, &err);
        err_ok(rc, &err);
        if (rc == 0)
            check_idlist(&g, &res, 0);
        describe(oc->s[1], sizeof oc->s[1], rc, &err, NULL, rc ? NULL : &res);

        mig_err_clear(&err);
        rc = mig_plan_upgrade(&g, &cur, in->target, &p, &err);
        err_ok(rc, &err);
        if (rc == 0 && check)
            check_upgrade(&g, &p, &cur);
        describe(oc->s[2], sizeof oc->s[2], rc, &err, rc ? NULL : &p, NULL);
        if (rc == 0 && check && !strpbrk(in->target, "+-")) {
            /* an absolute target: the same upgrade again plans nothing */
            mig_plan p2;
            mig_idlist after = p.heads;
            mig_err_clear(&err);
            rc = mig_plan_upgrade(&g, &after, in->target, &p2, &err);
            err_ok(rc, &err);
            if (rc)
                fprintf(stderr, "second upgrade: %s\n", err.msg);
            CHECK(rc == 0 && p2.nsteps == 0);
        }

        mig_err_clear(&err);
        rc = mig_plan_downgrade(&g, &cur, in->target, &p, &err);
        err_ok(rc, &err);
        if (rc == 0 && check)
            check_downgrade(&g, &p, &cur);
        describe(oc->s[3], sizeof oc->s[3], rc, &err, rc ? NULL : &p, NULL);

        {
            mig_strlist ts = {0};
            char buf[MAXT + 1], *t, *save = NULL;
            snprintf(buf, sizeof buf, "%s", in->target);
            for (t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
                char *c = mig_strdup(&ar, t);
                if (!c || mig_strlist_add(&ar, &ts, c)) {
                    CHECK(fail_at >= 0);
                    goto out;
                }
            }
            mig_err_clear(&err);
            rc = mig_plan_stamp(&g, &cur, &ts, in->purge, &p, &err);
            err_ok(rc, &err);
            if (rc == 0 && check) {
                mig_idlist none = {0};
                check_plan_common(&g, &p, in->purge ? &none : &cur, MIG_DIR_STAMP);
            }
            describe(oc->s[4], sizeof oc->s[4], rc, &err, rc ? NULL : &p, NULL);
        }
    }
out:
    oc->allocs = st.calls;
    mig_arena_free(&ar);
    CHECK(st.live == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static input_t in;
    static outcome o1, o2;
    uint32_t h;
    int k, filler;
    if (size > 512)
        return 0;
    decode(data, size, &in);
    run(&in, -1, 0, 1, &o1);
    /* deterministic, whatever the arena's layout */
    h = fnv(data, size);
    filler = (int)((h >> 20) % 600);
    run(&in, -1, filler, 0, &o2);
    for (k = 0; k < 5; k++)
        if (strcmp(o1.s[k], o2.s[k]) != 0) {
            fprintf(stderr, "call %d: '%s' then '%s'\n", k, o1.s[k], o2.s[k]);
            CHECK(!"not deterministic");
        }
    /* out of memory at one allocation */
    if (oom_on && o2.allocs > o2.armed_at) {
        run(&in, o2.armed_at + (long)(h % (uint32_t)(o2.allocs - o2.armed_at)), filler, 0, &o2);
        for (k = 0; k < 5; k++)
            if (o2.s[k][0] && strncmp(o2.s[k], "error", 5) != 0 && strcmp(o1.s[k], o2.s[k]) != 0) {
                fprintf(stderr, "call %d: '%s', out of memory: '%s'\n", k, o1.s[k], o2.s[k]);
                CHECK(!"an allocation failure changed a result");
            }
    }
    return 0;
}

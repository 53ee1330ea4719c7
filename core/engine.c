/*
 * engine.c — the SQL API's operations over a mig_backend (see engine.h).
 *
 * Every state change runs inside one atomic unit that the backend opens
 * (BEGIN IMMEDIATE or a savepoint in SQLite, a subtransaction in PostgreSQL),
 * so a failure anywhere leaves schema, data, version rows and history as
 * they were.  The version rows are written once per unit (the net change),
 * not once per step: updating one row 10,000 times in a transaction is
 * quadratic in PostgreSQL.  History gets one row per step.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOMEM() mig_fail(err, MIG_E_NOMEM, "out of memory")

enum { Q_REVS, Q_VERSION, Q_SOURCE, Q_HIST, Q_VDEL, Q_VINS, Q_VPURGE, Q_NREVS, Q_NQ };

/* The state-table statements; %s is the backend's schema prefix (and, for
 * Q_REVS, its upload-order column). */
static const char *const QFMT[Q_NQ] = {
    "SELECT revision, down_revisions, branch_labels, depends_on, message, checksum, transactional "
    "FROM %smig_revision WHERE env = $1 ORDER BY %s",
    "SELECT version_num FROM %smig_version WHERE env = $1 AND tenant = $2",
    "SELECT source FROM %smig_revision WHERE env = $1 AND revision = $2",
    "INSERT INTO %smig_history (env, tenant, revision, direction, checksum, applied_by, started_at, duration_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    "DELETE FROM %smig_version WHERE env = $1 AND tenant = $2 AND version_num = $3",
    "INSERT INTO %smig_version (env, tenant, version_num) VALUES ($1, $2, $3)",
    "DELETE FROM %smig_version WHERE env = $1 AND tenant = $2",
    "SELECT count(*) FROM %smig_revision WHERE env = $1",
};

typedef struct {
    mig_backend *be;
    mig_arena *ar;
    const mig_opts *o;
    const char *tenant;
    mig_err *err;
    const mig_db_info *out; /* the database that runs the statements the call writes out (mig_sql) */
    const char *q[Q_NQ]; /* formatted on first use */
    int each;            /* commit after every step */
} eng;

/* `script`: the call writes a script, which may be for another database
 * (option "dialect"); every other call acts on this one. */
static int eng_init_for(eng *e, mig_backend *be, mig_arena *ar, const mig_opts *o, int script, mig_err *err)
{
    memset(e, 0, sizeof *e);
    e->be = be;
    e->ar = ar;
    e->o = o;
    e->err = err;
    e->tenant = o->tenant ? o->tenant : "";
    e->out = o->dialect == MIG_DIALECT_POSTGRES ? &mig_db_postgresql
             : o->dialect == MIG_DIALECT_SQLITE ? &mig_db_sqlite
                                                 : be->db;
    if (e->out != be->db && !script)
        return mig_fail(err, MIG_E_INPUT, "option \"dialect\" names another database than this %s one: it is "
                                          "only for mig_sql() with a FROM:TO range",
                        be->db->name);
    if (o->tenant && e->out->dialect != MIG_DIALECT_POSTGRES)
        return mig_fail(err, MIG_E_INPUT, "option \"tenant\" is supported by PostgreSQL only (a tenant is a schema)");
    return 0;
}

static int eng_init(eng *e, mig_backend *be, mig_arena *ar, const mig_opts *o, mig_err *err)
{
    return eng_init_for(e, be, ar, o, 0, err);
}

/* The text of state-table statement k. */
static int eq_text(eng *e, int k)
{
    if (!e->q[k]) {
/* QFMT is a constant table of formats, each with the %s conversions above */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        e->q[k] = mig_sprintf(e->ar, QFMT[k], e->be->db->schema, e->be->db->order_col);
#pragma GCC diagnostic pop
        if (!e->q[k])
            return mig_fail(e->err, MIG_E_NOMEM, "out of memory");
    }
    return 0;
}

/* Run state-table statement k. */
static int eq(eng *e, int k, int np, const char *const *p, mig_row_fn fn, void *arg)
{
    if (eq_text(e, k))
        return -1;
    return e->be->query(e->be->ctx, e->q[k], np, p, fn, arg, e->err);
}

/* ---- loading state ------------------------------------------------------- */

typedef struct {
    eng *e;
    mig_graph *g;
} load_ctx;

static int split_list(mig_arena *ar, const char *s, mig_strlist *l)
{
    if (!s)
        return 0;
    return mig_strlist_split(ar, l, s, strlen(s)) ? -1 : 0;
}

static int rev_row(void *arg, int ncol, const char *const *v, mig_err *err)
{
    load_ctx *c = arg;
    mig_arena *ar = c->e->ar;
    mig_strlist down = {0}, labels = {0}, deps = {0};
    const char *id;
    (void)ncol;
    if (!v[0])
        return mig_fail(err, MIG_E_GRAPH, "mig_revision has a row without a revision id");
    id = mig_strdup(ar, v[0]);
    if (!id || split_list(ar, v[1], &down) || split_list(ar, v[2], &labels) || split_list(ar, v[3], &deps))
        return mig_fail(err, MIG_E_GRAPH, "cannot read the graph columns of revision %s", v[0]);
    {
        const char *msg = v[4] ? mig_strdup(ar, v[4]) : "", *ck = v[5] ? mig_strdup(ar, v[5]) : "";
        if (!msg || !ck)
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        return mig_graph_add(c->g, id, &down, &labels, &deps, msg, ck,
                             !(v[6] && (strcmp(v[6], "0") == 0 || strcmp(v[6], "false") == 0 ||
                                        strcmp(v[6], "f") == 0)),
                             err);
    }
}

static int str_row(void *arg, int ncol, const char *const *v, mig_err *err);

static int load_graph(eng *e, mig_graph *g)
{
    const char *p[1] = {e->o->env};
    load_ctx c = {e, g};
    mig_strlist n = {0};
    void *a[2] = {e->ar, &n};
    mig_graph_init(g, e->ar);
    g->ids_unique = 1; /* (env, revision) is the primary key */
    /* the nodes in one allocation: the count is an index-only scan */
    if (eq(e, Q_NREVS, 1, p, str_row, a))
        return -1;
    if (n.n == 1 && mig_graph_reserve(g, atoi(n.v[0])))
        return mig_fail(e->err, MIG_E_NOMEM, "out of memory");
    if (eq(e, Q_REVS, 1, p, rev_row, &c))
        return -1;
    if (mig_graph_finish(g, e->err)) {
        mig_err_prefix(e->err, "invalid revision graph in env \"%s\": ", e->o->env);
        return -1;
    }
    return 0;
}

static int str_row(void *arg, int ncol, const char *const *v, mig_err *err)
{
    void **a = arg;
    mig_arena *ar = a[0];
    mig_strlist *l = a[1];
    char *c;
    (void)ncol;
    if (!v[0])
        return 0;
    c = mig_strdup(ar, v[0]);
    if (!c || mig_strlist_add(ar, l, c))
        return NOMEM();
    return 0;
}

static int load_version(eng *e, mig_strlist *out)
{
    const char *p[2] = {e->o->env, e->tenant};
    void *a[2] = {e->ar, out};
    memset(out, 0, sizeof *out);
    return eq(e, Q_VERSION, 2, p, str_row, a);
}

static int heads_to_nodes(eng *e, mig_graph *g, const mig_strlist *ids, mig_idlist *out)
{
    int i, cap = 0;
    mig_err *err = e->err;
    memset(out, 0, sizeof *out);
    for (i = 0; i < ids->n; i++) {
        int n = mig_graph_find(g, ids->v[i]);
        if (n < 0) {
            mig_fail(err, MIG_E_STATE, "the version table of env \"%s\" holds revision '%s', which is not stored",
                     e->o->env, ids->v[i]);
            mig_err_hint(err, "Upload that revision with mig_put_revision(), or reset the version state with "
                              "mig_stamp().");
            return -1;
        }
        if (mig_idl_push(g, out, n, &cap))
            return NOMEM();
    }
    return 0;
}

static int load_all(eng *e, mig_graph *g, mig_idlist *cur)
{
    mig_strlist ids;
    if (load_graph(e, g) || load_version(e, &ids))
        return -1;
    return heads_to_nodes(e, g, &ids, cur);
}

static const char *join_sorted_ids(mig_arena *ar, mig_graph *g, const mig_idlist *l)
{
    mig_strlist s = {0};
    int i;
    for (i = 0; i < l->n; i++)
        if (mig_strlist_add(ar, &s, g->nodes[l->v[i]].id))
            return NULL;
    mig_strlist_sort(&s);
    return mig_strlist_join(ar, &s, " ");
}

/* ---- running steps ------------------------------------------------------- */

static void now_iso(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d.%03ld+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static const char *dir_name(mig_direction d)
{
    return d == MIG_DIR_UPGRADE ? "upgrade" : d == MIG_DIR_DOWNGRADE ? "downgrade" : "stamp";
}

static unsigned line_at(const char *s, size_t off, unsigned first)
{
    size_t i;
    unsigned l = first;
    for (i = 0; i < off; i++)
        if (s[i] == '\n')
            l++;
    return l;
}

static int fetch_source(eng *e, const char *id, const char **src)
{
    const char *p[2] = {e->o->env, id};
    mig_strlist l = {0};
    void *a[2] = {e->ar, &l};
    if (eq(e, Q_SOURCE, 2, p, str_row, a))
        return -1;
    if (l.n != 1) {
        mig_err_about(e->err, MIG_R_REVISION, id);
        return mig_fail(e->err, MIG_E_STATE, "revision %s has no stored source", id);
    }
    *src = l.v[0];
    return 0;
}

static int section_runs(const eng *e, const mig_section *s, int upgrade)
{
    return mig_section_runs(s, upgrade, e->out->dialect, &e->o->xnames, &e->o->xvalues);
}

/* The stored graph columns of a node, as the header of its stored source must say them. */
static int same_list(const mig_strlist *a, const mig_strlist *b)
{
    int i;
    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return 0;
    return 1;
}

/*
 * Fetch and parse the stored source of a revision about to run, and make
 * sure it is the body whose checksum is stored (and recorded in the history
 * when it runs): the row may have been changed behind mig's back (an UPDATE
 * of mig_revision.source by a role that may write the table).
 */
static int load_revision(eng *e, mig_graph *g, int node, const char **src, mig_revfile *rf)
{
    const mig_node *n = &g->nodes[node];
    if (fetch_source(e, n->id, src) || mig_revfile_parse(e->ar, *src, strlen(*src), n->id, rf, e->err))
        return -1;
    if (strcmp(rf->checksum, n->checksum) != 0 || strcmp(rf->id, n->id) != 0 || !same_list(&rf->down, &n->down_ids) ||
        !same_list(&rf->depends, &n->dep_names)) {
        mig_fail(e->err, MIG_E_STATE,
                 "revision %s: the stored source does not match its stored checksum and graph columns (checksum "
                 "of the source %s, stored checksum %s); nothing was run",
                 n->id, rf->checksum, n->checksum);
        mig_err_detail(e->err, "The mig_revision row of revision %s in env \"%s\" was changed outside mig.", n->id,
                       e->o->env);
        mig_err_hint(e->err, "Upload the revision file again with mig_put_revision() (\"force\" if it is applied) "
                             "after checking what changed.");
        mig_err_about(e->err, MIG_R_REVISION, n->id);
        return -1;
    }
    return 0;
}

static int run_bodies(eng *e, mig_graph *g, int node, int upgrade)
{
    const char *id = g->nodes[node].id, *src, *dir = upgrade ? "upgrade" : "downgrade";
    mig_revfile rf;
    int i;
    if (load_revision(e, g, node, &src, &rf))
        return -1;
    if (!rf.transactional) {
        mig_fail(e->err, MIG_E_USAGE, "revision %s is marked 'transactional false' and cannot run inside %s()", id,
                 upgrade ? "mig_upgrade" : "mig_downgrade");
        mig_err_detail(e->err, "Statements such as CREATE INDEX CONCURRENTLY or VACUUM cannot run inside a "
                               "transaction or a function.");
        mig_err_hint(e->err, "Run it with the mig client (mig upgrade), which runs such revisions outside a "
                             "transaction and records them.");
        mig_err_about(e->err, MIG_R_REVISION, id);
        return -1;
    }
    for (i = 0; i < rf.nsections; i++) {
        const mig_section *s = &rf.sections[i];
        size_t off = 0;
        unsigned line;
        if (!section_runs(e, s, upgrade) || s->body_len == 0)
            continue;
        /* the backend splits the body with the database's own parser and
         * refuses transaction control (core/guard.h) with MIG_E_USAGE */
        if (e->be->exec_body(e->be->ctx, src + s->body_off, s->body_len, &off, e->err)) {
            if (off > s->body_len)
                off = 0;
            line = line_at(src + s->body_off, off, s->body_line);
            mig_err_about(e->err, MIG_R_STEP_FAILED, id);
            if (e->err->code == MIG_E_USAGE)
                mig_err_prefix(e->err, "revision %s (%s), line %u: ", id, dir, line);
            else
                mig_err_prefix(e->err, "revision %s (%s) failed at line %u: ", id, dir, line);
            return -1;
        }
    }
    return 0;
}

static int write_history(eng *e, const char *rev, mig_direction dir, const char *checksum, const char *started,
                         double ms)
{
    char dur[32];
    const char *p[8];
    snprintf(dur, sizeof dur, "%ld", (long)(ms + 0.5));
    p[0] = e->o->env;
    p[1] = e->tenant;
    p[2] = rev;
    p[3] = dir_name(dir);
    p[4] = checksum;
    p[5] = e->be->applied_by;
    p[6] = started;
    p[7] = dur;
    if (e->be->history)
        return e->be->history(e->be->ctx, p, e->err);
    return eq(e, Q_HIST, 8, p, NULL, NULL);
}

static int vrow(eng *e, int k, const char *a)
{
    const char *p[3] = {e->o->env, e->tenant, a};
    return eq(e, k, 3, p, NULL, NULL);
}

/* Write the net change from `from` to `to` to mig_version. */
static int write_heads(eng *e, mig_graph *g, const mig_idlist *from, const mig_idlist *to)
{
    int i, j;
    for (i = 0; i < from->n; i++) {
        int keep = 0;
        for (j = 0; j < to->n; j++)
            keep |= to->v[j] == from->v[i];
        if (!keep && vrow(e, Q_VDEL, g->nodes[from->v[i]].id))
            return -1;
    }
    for (j = 0; j < to->n; j++) {
        int had = 0;
        for (i = 0; i < from->n; i++)
            had |= to->v[j] == from->v[i];
        if (!had && vrow(e, Q_VINS, g->nodes[to->v[j]].id))
            return -1;
    }
    return 0;
}

/* Apply a step's version operations to a head list (in memory). */
static int apply_vops(mig_graph *g, const mig_plan *p, const mig_step *s, mig_idlist *h, int *cap)
{
    int k, i;
    for (k = s->vop_first; k < s->vop_first + s->nvop; k++) {
        const mig_vop *v = &p->vops[k];
        if (v->kind == MIG_VOP_DELETE || v->kind == MIG_VOP_UPDATE)
            for (i = 0; i < h->n; i++)
                if (h->v[i] == v->from) {
                    h->v[i] = h->v[--h->n];
                    break;
                }
        if ((v->kind == MIG_VOP_INSERT || v->kind == MIG_VOP_UPDATE) && mig_idl_push(g, h, v->to, cap))
            return -1;
    }
    return 0;
}

static int same_heads(mig_graph *g, const mig_strlist *ids, const mig_idlist *h)
{
    int i;
    if (ids->n != h->n)
        return 0;
    for (i = 0; i < ids->n; i++) {
        int n = mig_graph_find(g, ids->v[i]), j, found = 0;
        for (j = 0; j < h->n; j++)
            found |= h->v[j] == n;
        if (!found)
            return 0;
    }
    return 1;
}

static int split_targets(mig_arena *ar, const char *t, mig_strlist *out)
{
    const char *p = t;
    while (*p) {
        const char *a;
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            p++;
        a = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t' && *p != '\n')
            p++;
        if (p > a) {
            char *item = mig_strndup(ar, a, (size_t)(p - a));
            if (!item || mig_strlist_add(ar, out, item))
                return -1;
        }
    }
    return 0;
}

static int make_plan(eng *e, mig_graph *g, const mig_idlist *cur, mig_direction dir, const char *target,
                     mig_plan *plan)
{
    mig_err *err = e->err;
    if (dir == MIG_DIR_STAMP) {
        mig_strlist ts = {0};
        if (split_targets(e->ar, target, &ts))
            return NOMEM();
        if (ts.n == 0)
            return mig_fail(err, MIG_E_TARGET, "no target given: use 'base', 'head', 'heads' or revision ids");
        return mig_plan_stamp(g, cur, &ts, e->o->purge, plan, err);
    }
    while (*target == ' ')
        target++;
    if (!*target)
        return mig_fail(err, MIG_E_TARGET, "no target given: use 'head', 'heads', 'base', a revision id or a "
                                           "relative target such as '+1' or '-1'");
    return dir == MIG_DIR_UPGRADE ? mig_plan_upgrade(g, cur, target, plan, err)
                                  : mig_plan_downgrade(g, cur, target, plan, err);
}

/* Roll the unit back after an error, keeping that error (and any hint the
 * backend adds about the rollback itself). */
static void rollback_unit(mig_backend *be, mig_err *err)
{
    mig_err scratch;
    mig_err_clear(&scratch);
    be->unit_end(be->ctx, 0, &scratch);
    if (scratch.hint[0])
        memcpy(err->hint, scratch.hint, sizeof err->hint);
}

/* Tell the frontend the step's log line, as it starts. */
static void report_step(eng *e, mig_graph *g, const mig_step *s)
{
    const mig_node *n = &g->nodes[s->node];
    const char *line =
        mig_running_line(e->ar, s->dir == MIG_DIR_UPGRADE, n->id, &n->down_ids, n->message, !n->transactional);
    if (line)
        e->be->progress(e->be->ctx, line);
}

/* May step i of the plan run?  A `transactional false` revision cannot run
 * inside the call: with "nontransactional": "stop" the run ends before it
 * (*stop = 1); with "record_only" naming it as the first step, its body ran
 * outside a transaction already and only the bookkeeping is done
 * (*skip_body), and the run ends after it. */
static int nontx_gate(eng *e, mig_graph *g, const mig_plan *plan, int i, int *stop, int *skip_body)
{
    const mig_step *s = &plan->steps[i];
    const char *ro = e->o->record_only;
    *stop = *skip_body = 0;
    if (s->dir == MIG_DIR_STAMP)
        return 0;
    if (ro && i == 1) {
        /* the recorded step commits on its own: a failure in a later one
         * must not take the record of work already done outside with it */
        *stop = 1;
        return 0;
    }
    if (ro && i == 0) {
        if (strcmp(g->nodes[s->node].id, ro) != 0)
            return mig_fail(e->err, MIG_E_STATE,
                            "record_only: the next step is %s %s, not %s; nothing was recorded",
                            dir_name(s->dir), g->nodes[s->node].id, ro);
        if (g->nodes[s->node].transactional)
            return mig_fail(e->err, MIG_E_USAGE,
                            "record_only: revision %s is transactional; run it with mig_%s() instead", ro,
                            dir_name(s->dir));
        *skip_body = 1;
        return 0;
    }
    if (!g->nodes[s->node].transactional && e->o->nontx_stop)
        *stop = 1;
    return 0;
}

/* A run in progress: the graph, the plan, and the heads as written so far. */
typedef struct {
    mig_direction dir;
    mig_graph g;
    mig_idlist cur;  /* the heads the run started from */
    mig_idlist h;    /* the heads as written so far ("transaction": "each") */
    int hcap;
    mig_plan plan;
    int purge;       /* stamp with purge: start from an empty version state */
    int *unit_open;  /* the caller's: is a unit open now? */
} run_state;

/* Load the state and plan the run; the statements each step uses are
 * formatted here, before the per-step arena marks. */
static int plan_run(eng *e, run_state *r, const char *target)
{
    mig_err *err = e->err;
    mig_strlist ids;
    int exists, i;
    r->purge = r->dir == MIG_DIR_STAMP && e->o->purge;
    /* a stamp changes no schema: one unit, whatever "transaction" says */
    e->each = e->o->each && r->dir != MIG_DIR_STAMP;
    if (e->be->ensure_schema(e->be->ctx, 1, &exists, e->err) || load_graph(e, &r->g) || load_version(e, &ids))
        return -1;
    if (r->purge)
        memset(&r->cur, 0, sizeof r->cur); /* rows naming unknown revisions are discarded too */
    else if (heads_to_nodes(e, &r->g, &ids, &r->cur))
        return -1;
    if (make_plan(e, &r->g, &r->cur, r->dir, target, &r->plan)) {
        if (e->err->code == MIG_E_TARGET)
            mig_err_prefix(e->err, "%s %s: ", dir_name(r->dir), target);
        return -1;
    }
    memset(&r->h, 0, sizeof r->h);
    for (i = 0; i < r->cur.n; i++)
        if (mig_idl_push(&r->g, &r->h, r->cur.v[i], &r->hcap))
            return NOMEM();
    if (eq_text(e, Q_SOURCE) || eq_text(e, Q_HIST) || eq_text(e, Q_VERSION))
        return -1;
    if (e->o->record_only && (r->plan.nsteps == 0 || r->dir == MIG_DIR_STAMP))
        return mig_fail(e->err, MIG_E_STATE, "record_only: %s is not the next step of this %s; nothing was recorded",
                        e->o->record_only, dir_name(r->dir));
    return 0;
}

/* End the run before step i (a revision the client runs outside a
 * transaction): the heads are those after steps 0..i-1. */
static int stop_before(eng *e, run_state *r, int i)
{
    mig_err *err = e->err;
    int j;
    if (e->each)
        return 0; /* each step wrote its heads */
    for (j = 0; j < i; j++)
        if (apply_vops(&r->g, &r->plan, &r->plan.steps[j], &r->h, &r->hcap))
            return NOMEM();
    return write_heads(e, &r->g, &r->cur, &r->h);
}

/* "each": open the step's own unit, and check that nobody moved the state
 * since the last step committed. */
static int begin_each_unit(eng *e, run_state *r, const char *rid)
{
    mig_strlist now;
    if (e->be->unit_begin(e->be->ctx, e->o, e->err))
        return -1;
    *r->unit_open = 1;
    if (load_version(e, &now))
        return -1;
    if (!same_heads(&r->g, &now, &r->h))
        return mig_fail(e->err, MIG_E_STATE,
                        "the version state of env \"%s\" changed while this run was committing step by step; "
                        "stopped before %s",
                        e->o->env, rid ? rid : "base");
    return 0;
}

/* Run step s (its bodies, unless the client ran them) and record it in the
 * history; its memory is released after it, so a long plan runs in
 * constant memory. */
static int run_step(eng *e, run_state *r, const mig_step *s, int skip_body)
{
    mig_backend *be = e->be;
    mig_arena_mark mark;
    char started[64];
    double t0 = mono_ms();
    const char *rid = s->node >= 0 ? r->g.nodes[s->node].id : NULL;
    const char *ck = s->node >= 0 ? r->g.nodes[s->node].checksum : NULL;
    now_iso(started, sizeof started);
    mig_arena_mark_get(e->ar, &mark);
    if (s->dir != MIG_DIR_STAMP && !skip_body) {
        if (be->progress)
            report_step(e, &r->g, s); /* (a recorded step was reported by the client that ran it) */
        if (be->step_begin && be->step_begin(be->ctx, e->err))
            return -1;
        if (run_bodies(e, &r->g, s->node, s->dir == MIG_DIR_UPGRADE)) {
            if (be->step_end) {
                mig_err saved = *e->err;
                be->step_end(be->ctx, 0, e->err);
                *e->err = saved;
            }
            return -1;
        }
        if (be->step_end && be->step_end(be->ctx, 1, e->err))
            return -1;
    }
    if (write_history(e, rid, s->dir, ck, started, mono_ms() - t0))
        return -1;
    mig_arena_release(e->ar, &mark);
    return 0;
}

/* "each": write the heads after step s and commit its unit. */
static int commit_each_unit(eng *e, run_state *r, const mig_step *s, const char *rid)
{
    mig_err *err = e->err;
    mig_idlist before = {0};
    int j, bcap = 0;
    for (j = 0; j < r->h.n; j++)
        if (mig_idl_push(&r->g, &before, r->h.v[j], &bcap))
            return NOMEM();
    if (apply_vops(&r->g, &r->plan, s, &r->h, &r->hcap))
        return NOMEM();
    if (write_heads(e, &r->g, &before, &r->h))
        return -1;
    *r->unit_open = 0;
    if (e->be->unit_end(e->be->ctx, 1, e->err)) {
        mig_err_prefix(e->err, "revision %s (%s): ", rid ? rid : "base", dir_name(s->dir));
        mig_err_about(e->err, MIG_R_REVISION, rid);
        return -1;
    }
    return 0;
}

/* After the last step: the version state becomes the plan's heads. */
static int finish_run(eng *e, run_state *r)
{
    if (r->purge) {
        /* stamp with purge: every row goes, known or not */
        const char *p[2] = {e->o->env, e->tenant};
        mig_idlist none = {0};
        return eq(e, Q_VPURGE, 2, p, NULL, NULL) || write_heads(e, &r->g, &none, &r->plan.heads) ? -1 : 0;
    }
    return !e->each && write_heads(e, &r->g, &r->cur, &r->plan.heads) ? -1 : 0;
}

/*
 * Plan and run an upgrade, downgrade or stamp inside the unit the caller
 * opened (with "transaction": "each", each step opens and commits its own).
 * *heads_out: the heads after the run.
 */
static int run_plan_in_unit(eng *e, mig_direction dir, const char *target, const char **heads_out, int *unit_open)
{
    mig_err *err = e->err;
    run_state r;
    const mig_idlist *final;
    int i, rc = 0;
    memset(&r, 0, sizeof r);
    r.dir = dir;
    r.unit_open = unit_open;
    if (plan_run(e, &r, target))
        return -1;
    if (e->be->set_run)
        e->be->set_run(e->be->ctx, e->o);
    final = &r.plan.heads;
    for (i = 0; rc == 0 && i < r.plan.nsteps; i++) {
        const mig_step *s = &r.plan.steps[i];
        const char *rid = s->node >= 0 ? r.g.nodes[s->node].id : NULL;
        int stop, skip_body;
        rc = nontx_gate(e, &r.g, &r.plan, i, &stop, &skip_body);
        if (rc == 0 && stop) {
            final = &r.h;
            rc = stop_before(e, &r, i);
            break;
        }
        if (rc == 0 && e->each && !*unit_open)
            rc = begin_each_unit(e, &r, rid);
        if (rc == 0)
            rc = run_step(e, &r, s, skip_body);
        if (rc == 0 && e->each)
            rc = commit_each_unit(e, &r, s, rid);
    }
    if (rc == 0 && final == &r.plan.heads)
        rc = finish_run(e, &r);
    if (e->be->set_run)
        e->be->set_run(e->be->ctx, NULL);
    if (rc)
        return -1;
    *heads_out = join_sorted_ids(e->ar, &r.g, final);
    return *heads_out ? 0 : NOMEM();
}

/* Hand the call's result to the backend while the unit can still roll
 * back: copying it after the COMMIT could fail (out of memory) and report an
 * error for a call that took effect. */
static int keep_result(mig_backend *be, const char *result, mig_err *err)
{
    return be->keep_result ? be->keep_result(be->ctx, result, err) : 0;
}

int mig_op_run(mig_backend *be, mig_arena *ar, mig_direction dir, const char *targets, const mig_opts *o,
               const char **heads_out, mig_err *err)
{
    eng e;
    int unit_open = 0, rc;
    if (eng_init(&e, be, ar, o, err))
        return -1;
    if (o->each && be->in_transaction(be->ctx))
        return mig_fail(err, MIG_E_USAGE,
                        "\"transaction\": \"each\" cannot commit inside the caller's open transaction; call it in "
                        "autocommit mode, or use \"transaction\": \"all\"");
    if (be->unit_begin(be->ctx, o, err))
        return -1;
    unit_open = 1;
    rc = run_plan_in_unit(&e, dir, targets, heads_out, &unit_open);
    if (rc == 0 && unit_open && keep_result(be, *heads_out, err))
        rc = -1;
    if (rc == 0) {
        if (unit_open && be->unit_end(be->ctx, 1, err))
            return -1;
        return 0;
    }
    if (unit_open)
        rollback_unit(be, err);
    return -1;
}

/* ---- revisions ------------------------------------------------------------ */

typedef struct {
    mig_arena *ar;
    int found;
    const char *v[6];
} row6;

static int row6_fn(void *arg, int ncol, const char *const *v, mig_err *err)
{
    row6 *r = arg;
    int i;
    (void)err;
    r->found = 1;
    for (i = 0; i < ncol && i < 6; i++)
        r->v[i] = v[i] ? mig_strdup(r->ar, v[i]) : NULL;
    return 0;
}

static int is_applied(mig_graph *g, const mig_idlist *cur, int node)
{
    int i;
    for (i = 0; i < cur->n; i++)
        if (mig_graph_is_ancestor(g, node, cur->v[i]))
            return 1;
    return 0;
}

/*
 * Is revision `id` applied (an ancestor-or-self of a version row)?  Walks the
 * stored rows by name and tolerates an invalid graph (a missing parent, a
 * cycle), so that a broken upload can still be fixed or removed.
 */
static int applied_tolerant(eng *e, const char *id, int *applied)
{
    mig_graph g;
    mig_strlist ids;
    load_ctx c = {e, &g};
    const char *p[1] = {e->o->env};
    unsigned char *seen;
    int *stack, sp = 0, i;
    mig_graph_init(&g, e->ar);
    if (eq(e, Q_REVS, 1, p, rev_row, &c) || load_version(e, &ids))
        return -1;
    *applied = 0;
    seen = mig_alloc0(e->ar, (size_t)g.n + 1);
    stack = mig_alloc(e->ar, sizeof(int) * (size_t)(g.n + 1));
    if (!seen || !stack)
        return mig_fail(e->err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < ids.n; i++) {
        int n = mig_graph_find(&g, ids.v[i]);
        if (n >= 0 && !seen[n]) {
            seen[n] = 1;
            stack[sp++] = n;
        }
    }
    while (sp) {
        const mig_node *nd = &g.nodes[stack[--sp]];
        int k;
        if (strcmp(nd->id, id) == 0) {
            *applied = 1;
            return 0;
        }
        for (k = 0; k < nd->down_ids.n + nd->dep_names.n; k++) {
            const char *name = k < nd->down_ids.n ? nd->down_ids.v[k] : nd->dep_names.v[k - nd->down_ids.n];
            int n = mig_graph_find(&g, name), j;
            for (j = 0; n < 0 && j < g.n; j++)
                if (mig_strlist_has(&g.nodes[j].labels, name))
                    n = j;
            if (n >= 0 && !seen[n]) {
                seen[n] = 1;
                stack[sp++] = n;
            }
        }
    }
    return 0;
}

static int put_in_unit(eng *e, const char *src, const mig_revfile *rf)
{
    mig_backend *be = e->be;
    mig_err *err = e->err;
    const char *s = be->db->schema;
    int exists;
    row6 r;
    const char *down, *labels, *deps;
    const char *p[10];
    char *q;

    if (be->ensure_schema(be->ctx, 1, &exists, err))
        return -1;
    down = mig_strlist_join(e->ar, &rf->down, ",");
    labels = mig_strlist_join(e->ar, &rf->labels, ",");
    deps = mig_strlist_join(e->ar, &rf->depends, ",");
    if (!down || !labels || !deps)
        return NOMEM();
    p[0] = e->o->env;
    p[1] = rf->id;
    p[2] = down;
    p[3] = labels;
    p[4] = deps;
    p[5] = rf->message;
    p[6] = rf->transactional ? "1" : "0";
    p[7] = src;
    p[8] = rf->checksum;
    /* a new revision: one statement (the common case of a bulk upload) */
    memset(&r, 0, sizeof r);
    r.ar = e->ar;
    q = mig_sprintf(e->ar,
                    "INSERT INTO %smig_revision (env, revision, down_revisions, branch_labels, depends_on, "
                    "message, transactional, source, checksum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                    "ON CONFLICT (env, revision) DO NOTHING RETURNING revision",
                    s);
    if (!q || be->query(be->ctx, q, 9, p, row6_fn, &r, err))
        return -1;
    if (r.found)
        return 0;
    /* an existing id: compare with what is stored */
    memset(&r, 0, sizeof r);
    r.ar = e->ar;
    q = mig_sprintf(e->ar,
                    "SELECT checksum, source, down_revisions, branch_labels, depends_on FROM %smig_revision "
                    "WHERE env = $1 AND revision = $2",
                    s);
    if (!q || be->query(be->ctx, q, 2, p, row6_fn, &r, err))
        return -1;
    if (!r.found)
        return mig_fail(err, MIG_E_STATE, "revision %s vanished while it was being uploaded", rf->id);
    if (r.v[1] && strcmp(r.v[1], src) == 0)
        return 0; /* the same text again */
    {
        int body_changed = !r.v[0] || strcmp(r.v[0], rf->checksum) != 0;
        int graph_changed = !r.v[2] || !r.v[3] || !r.v[4] || strcmp(r.v[2], down) != 0 ||
                            strcmp(r.v[3], labels) != 0 || strcmp(r.v[4], deps) != 0;
        if (body_changed || graph_changed) {
            int applied;
            if (applied_tolerant(e, rf->id, &applied))
                return -1;
            /* a squashed revision (mig squash): with force, an applied
             * revision may become a root, its branch labels kept; what was
             * below it is then no longer applied */
            int to_root = e->o->force && !*down && !*deps && r.v[3] && strcmp(r.v[3], labels) == 0;
            if (applied) {
                if (graph_changed && !to_root) {
                    mig_fail(err, MIG_E_STATE,
                             "revision %s is applied in env \"%s\"; its down_revision, branch_labels or depends_on "
                             "cannot change",
                             rf->id, e->o->env);
                    mig_err_detail(err, "Stored: down_revision '%s', branch_labels '%s', depends_on '%s'. New: "
                                        "'%s', '%s', '%s'.",
                                   r.v[2] ? r.v[2] : "", r.v[3] ? r.v[3] : "", r.v[4] ? r.v[4] : "", down, labels,
                                   deps);
                    mig_err_hint(err, "Downgrade below it first, or write a new revision. A revision squashed into a "
                                      "root (no down_revision nor depends_on, the same branch_labels) is accepted "
                                      "with '{\"force\": true}'.");
                    mig_err_about(err, MIG_R_GRAPH_CHANGED, rf->id);
                    return -1;
                }
                if (!e->o->force) {
                    mig_fail(err, MIG_E_STATE,
                             "revision %s is applied in env \"%s\" and its body changed: stored checksum %s, new "
                             "checksum %s",
                             rf->id, e->o->env, r.v[0] ? r.v[0] : "(none)", rf->checksum);
                    mig_err_hint(err, "Revert the edit and write a new revision, or pass '{\"force\": true}' to "
                                      "replace the stored body (the database keeps what the old body did).");
                    mig_err_about(err, MIG_R_BODY_CHANGED, rf->id);
                    return -1;
                }
            }
        }
    }
    q = mig_sprintf(e->ar,
                    "UPDATE %smig_revision SET down_revisions = $3, branch_labels = $4, depends_on = $5, message = "
                    "$6, transactional = $7, source = $8, checksum = $9 WHERE env = $1 AND revision = $2",
                    s);
    return q ? be->query(be->ctx, q, 9, p, NULL, NULL, err) : NOMEM();
}

/* End the unit opened for a call: commit, or roll back after a failure.
 * `result` (when not NULL) is handed to the backend before the commit. */
static int end_unit(mig_backend *be, mig_err *err, int failed, const char *result)
{
    if (!failed && result && keep_result(be, result, err))
        failed = 1;
    if (failed) {
        rollback_unit(be, err);
        return -1;
    }
    return be->unit_end(be->ctx, 1, err);
}

int mig_op_put_revision(mig_backend *be, mig_arena *ar, const char *src, size_t len, const mig_opts *o,
                        const char **id_out, mig_err *err)
{
    eng e;
    mig_revfile rf;
    if (eng_init(&e, be, ar, o, err))
        return -1;
    if (mig_revfile_parse(ar, src, len, NULL, &rf, err))
        return -1;
    if (be->unit_begin(be->ctx, o, err))
        return -1;
    if (put_in_unit(&e, src, &rf) != 0) {
        /* a failure of the database (a trigger, a full disk) names the
         * revision too, so that a bulk upload's error names its file */
        if (!err->revision[0]) {
            if (!strstr(err->msg, rf.id))
                mig_err_prefix(err, "revision %s: ", rf.id);
            mig_err_about(err, MIG_R_REVISION, rf.id);
        }
        end_unit(be, err, 1, NULL);
        return -1;
    }
    if (end_unit(be, err, 0, rf.id))
        return -1;
    *id_out = rf.id;
    return 0;
}

static int remove_in_unit(eng *e, const char *id)
{
    mig_backend *be = e->be;
    mig_err *err = e->err;
    mig_graph g;
    load_ctx c = {e, &g};
    int exists, node, i, applied;
    const char *p[2];
    char *q;
    if (be->ensure_schema(be->ctx, 1, &exists, err))
        return -1;
    /* by name, not through a validated graph: removing is how a broken
     * upload (a typo in down_revision) is repaired */
    mig_graph_init(&g, e->ar);
    p[0] = e->o->env;
    if (eq(e, Q_REVS, 1, p, rev_row, &c))
        return -1;
    node = mig_graph_find(&g, id);
    if (node < 0)
        return mig_fail(err, MIG_E_INPUT, "no revision %s is stored in env \"%s\"", id, e->o->env);
    if (applied_tolerant(e, id, &applied))
        return -1;
    if (applied) {
        mig_fail(err, MIG_E_STATE, "revision %s is applied in env \"%s\" and cannot be removed", id, e->o->env);
        mig_err_hint(err, "Downgrade below it first.");
        mig_err_about(err, MIG_R_REVISION, id);
        return -1;
    }
    for (i = 0; i < g.n; i++) {
        const mig_node *nd = &g.nodes[i];
        int k;
        if (i == node)
            continue;
        if (mig_strlist_has(&nd->down_ids, id))
            return mig_fail(err, MIG_E_STATE, "revision %s is the down_revision of %s; remove %s first", id, nd->id,
                            nd->id);
        for (k = 0; k < nd->dep_names.n; k++)
            if (strcmp(nd->dep_names.v[k], id) == 0 || mig_strlist_has(&g.nodes[node].labels, nd->dep_names.v[k]))
                return mig_fail(err, MIG_E_STATE, "revision %s depends on %s; remove %s first", nd->id, id, nd->id);
    }
    q = mig_sprintf(e->ar, "DELETE FROM %smig_revision WHERE env = $1 AND revision = $2", be->db->schema);
    p[1] = id;
    return q ? be->query(be->ctx, q, 2, p, NULL, NULL, err) : NOMEM();
}

int mig_op_remove_revision(mig_backend *be, mig_arena *ar, const char *id, const mig_opts *o, mig_err *err)
{
    eng e;
    if (eng_init(&e, be, ar, o, err))
        return -1;
    if (be->unit_begin(be->ctx, o, err))
        return -1;
    return end_unit(be, err, remove_in_unit(&e, id) != 0, id);
}

/* ---- read-only operations ------------------------------------------------ */

int mig_op_current(mig_backend *be, mig_arena *ar, const mig_opts *o, const char **out, mig_err *err)
{
    eng e;
    int exists;
    mig_strlist ids = {0};
    if (eng_init(&e, be, ar, o, err) || be->ensure_schema(be->ctx, 0, &exists, err))
        return -1;
    if (exists && load_version(&e, &ids))
        return -1;
    mig_strlist_sort(&ids);
    *out = mig_strlist_join(ar, &ids, " ");
    return *out ? 0 : NOMEM();
}

static int load_readonly(eng *e, mig_graph *g, mig_idlist *cur)
{
    int exists;
    if (e->be->ensure_schema(e->be->ctx, 0, &exists, e->err))
        return -1;
    if (!exists) {
        mig_graph_init(g, e->ar);
        memset(cur, 0, sizeof *cur);
        return mig_graph_finish(g, e->err);
    }
    return load_all(e, g, cur);
}

int mig_op_heads(mig_backend *be, mig_arena *ar, const mig_opts *o, const char **out, mig_err *err)
{
    eng e;
    mig_graph g;
    int exists;
    if (eng_init(&e, be, ar, o, err) || be->ensure_schema(be->ctx, 0, &exists, err))
        return -1;
    if (!exists) {
        *out = "";
        return 0;
    }
    if (load_graph(&e, &g))
        return -1;
    *out = join_sorted_ids(ar, &g, &g.real_heads);
    return *out ? 0 : NOMEM();
}

typedef struct {
    eng *e;
    mig_graph *g;
} check_ctx;

static int hist_row(void *arg, int ncol, const char *const *v, mig_err *err)
{
    check_ctx *c = arg;
    int n;
    (void)ncol;
    (void)err;
    if (!v[0] || !v[1])
        return 0;
    n = mig_graph_find(c->g, v[0]);
    if (n < 0)
        return 0;
    /* the last row per revision wins: remember its checksum on the node */
    c->g->nodes[n].user = mig_strdup(c->e->ar, v[1]);
    return 0;
}

int mig_op_check(mig_backend *be, mig_arena *ar, const mig_opts *o, int *ok, mig_err *err)
{
    eng e;
    mig_graph g;
    mig_idlist cur;
    mig_plan plan;
    check_ctx c;
    const char *p[2];
    char *q;
    int i, exists;
    if (eng_init(&e, be, ar, o, err) || be->ensure_schema(be->ctx, 0, &exists, err))
        return -1;
    if (!exists) {
        *ok = 0;
        return 0;
    }
    if (load_all(&e, &g, &cur))
        return -1;
    if (g.n == 0) {
        *ok = cur.n == 0;
        return 0;
    }
    if (mig_plan_upgrade(&g, &cur, "heads", &plan, err))
        return -1;
    *ok = plan.nsteps == 0;
    if (!*ok)
        return 0;
    /* applied revisions: is each one's last recorded checksum the stored one? */
    memset(&c, 0, sizeof c);
    c.e = &e;
    c.g = &g;
    q = mig_sprintf(ar,
                    "SELECT revision, checksum FROM %smig_history WHERE env = $1 AND tenant = $2 AND direction <> "
                    "'downgrade' ORDER BY id",
                    be->db->schema);
    p[0] = o->env;
    p[1] = e.tenant;
    if (!q || be->query(be->ctx, q, 2, p, hist_row, &c, err))
        return -1;
    for (i = 0; i < g.n; i++) {
        const char *last = g.nodes[i].user;
        if (last && strcmp(last, g.nodes[i].checksum) != 0 && is_applied(&g, &cur, i)) {
            *ok = 0;
            break;
        }
    }
    return 0;
}

static int parse_dir(const char *d, mig_direction *out, mig_err *err)
{
    if (d && strcmp(d, "upgrade") == 0)
        *out = MIG_DIR_UPGRADE;
    else if (d && strcmp(d, "downgrade") == 0)
        *out = MIG_DIR_DOWNGRADE;
    else if (d && strcmp(d, "stamp") == 0)
        *out = MIG_DIR_STAMP;
    else
        return mig_fail(err, MIG_E_INPUT, "direction must be 'upgrade', 'downgrade' or 'stamp', not '%s'",
                        d ? d : "NULL");
    return 0;
}

int mig_op_plan(mig_backend *be, mig_arena *ar, const char *direction, const char *target, const mig_opts *o,
                mig_plan_row **rows, int *nrows, mig_err *err)
{
    eng e;
    mig_graph g;
    mig_idlist cur;
    mig_plan plan;
    mig_direction dir;
    int i;
    if (parse_dir(direction, &dir, err) || eng_init(&e, be, ar, o, err) || load_readonly(&e, &g, &cur))
        return -1;
    if (make_plan(&e, &g, &cur, dir, target ? target : "", &plan)) {
        if (err->code == MIG_E_TARGET)
            mig_err_prefix(err, "%s %s: ", direction, target ? target : "");
        return -1;
    }
    *rows = mig_alloc(ar, sizeof(mig_plan_row) * (size_t)(plan.nsteps + 1));
    if (!*rows)
        return NOMEM();
    for (i = 0; i < plan.nsteps; i++) {
        mig_plan_row *r = &(*rows)[i];
        const mig_step *s = &plan.steps[i];
        r->step = i + 1;
        r->direction = dir_name(s->dir);
        r->revision = s->node >= 0 ? g.nodes[s->node].id : NULL;
        r->message = s->node >= 0 ? g.nodes[s->node].message : NULL;
    }
    *nrows = plan.nsteps;
    return 0;
}

/* ---- offline SQL ----------------------------------------------------------- */

static void ids_of(mig_buf *b, mig_graph *g, const mig_idlist *l)
{
    int i;
    for (i = 0; i < l->n; i++) {
        mig_buf_puts(b, i ? ", " : "");
        mig_buf_comment(b, g->nodes[l->v[i]].id); /* a stored row's id need not be a valid one */
    }
}

static void lit_version_insert(mig_buf *b, eng *e, const char *a)
{
    /* the statement with its parameters as literals */
    mig_buf_printf(b, "INSERT INTO %smig_version (env, tenant, version_num) VALUES (", e->out->schema);
    mig_buf_quote(b, e->o->env);
    mig_buf_puts(b, ", ");
    mig_buf_quote(b, e->tenant);
    mig_buf_puts(b, ", ");
    mig_buf_quote(b, a);
    mig_buf_puts(b, ");\n");
}

static void script_vops(mig_buf *b, eng *e, mig_graph *g, const mig_plan *p, const mig_step *s)
{
    int k;
    const char *sch = e->out->schema;
    for (k = s->vop_first; k < s->vop_first + s->nvop; k++) {
        const mig_vop *v = &p->vops[k];
        if (v->kind == MIG_VOP_INSERT)
            lit_version_insert(b, e, g->nodes[v->to].id);
        else {
            if (v->kind == MIG_VOP_DELETE)
                mig_buf_printf(b, "DELETE FROM %smig_version", sch);
            else {
                mig_buf_printf(b, "UPDATE %smig_version SET version_num = ", sch);
                mig_buf_quote(b, g->nodes[v->to].id);
            }
            mig_buf_puts(b, " WHERE env = ");
            mig_buf_quote(b, e->o->env);
            mig_buf_puts(b, " AND tenant = ");
            mig_buf_quote(b, e->tenant);
            mig_buf_puts(b, " AND version_num = ");
            mig_buf_quote(b, g->nodes[v->from].id);
            mig_buf_puts(b, ";\n");
        }
    }
}

/*
 * Append a body to the script with each mig_x('NAME') call replaced by the
 * run's value of NAME as a literal (or NULL): offline, there is no run for
 * mig_x() to read, and the x-arguments given for the script must be in it.
 * A qualified call (s.mig_x(...)) is left alone.
 */
static void put_body_with_x(mig_buf *b, eng *e, const char *p, size_t n)
{
    const char *end = p + n, *q;
    while ((q = memmem(p, (size_t)(end - p), "mig_x('", 7)) != NULL) {
        const char *name = q + 7, *close = name;
        while (close < end && mig_is_ident_char((unsigned char)*close))
            close++;
        if (close + 1 < end && close > name && close[0] == '\'' && close[1] == ')' &&
            (q == p || (q[-1] != '.' && !mig_is_ident_char((unsigned char)q[-1])))) {
            char *nm = mig_strndup(e->ar, name, (size_t)(close - name));
            const char *v = nm ? mig_opts_x(e->o, nm) : NULL;
            mig_buf_putn(b, p, (size_t)(q - p));
            if (v)
                mig_buf_quote(b, v);
            else
                mig_buf_puts(b, "NULL");
            p = close + 2;
        } else {
            mig_buf_putn(b, p, (size_t)(name - p));
            p = name;
        }
    }
    mig_buf_putn(b, p, (size_t)(end - p));
}

/* BEGIN, and what every transaction of the script must start with
 * (`first`: the script's first transaction). */
static void script_begin(mig_buf *b, eng *e, int first)
{
    mig_buf_puts(b, "BEGIN;\n");
    if (first && e->out->dialect == MIG_DIALECT_POSTGRES)
        /* a fresh database gets the extension (its state tables), in the
         * script's transaction, in the schema the session would choose */
        mig_buf_puts(b, "CREATE EXTENSION IF NOT EXISTS mig;\n");
    if (e->out->dialect == MIG_DIALECT_POSTGRES && e->o->tenant) {
        /* the tenant's revisions run in its schema, as mig_upgrade runs them */
        const char *t;
        mig_buf_puts(b, "SET LOCAL search_path = \"");
        for (t = e->o->tenant; *t; t++)
            mig_buf_putn(b, *t == '"' ? "\"\"" : t, *t == '"' ? 2 : 1);
        mig_buf_puts(b, "\", public;\n");
    }
}

static int script_bodies(mig_buf *b, eng *e, mig_graph *g, int node, int upgrade)
{
    const char *src;
    mig_revfile rf;
    int i;
    if (load_revision(e, g, node, &src, &rf))
        return -1;
    if (!rf.transactional)
        mig_buf_puts(b, "COMMIT;\n-- transactional false: runs outside a transaction\n");
    for (i = 0; i < rf.nsections; i++) {
        const mig_section *s = &rf.sections[i];
        size_t n = s->body_len;
        if (!section_runs(e, s, upgrade) || n == 0)
            continue;
        put_body_with_x(b, e, src + s->body_off, n);
        while (n && (src[s->body_off + n - 1] == ' ' || src[s->body_off + n - 1] == '\n' ||
                     src[s->body_off + n - 1] == '\r' || src[s->body_off + n - 1] == '\t'))
            n--;
        mig_buf_puts(b, n && src[s->body_off + n - 1] == ';' ? "\n" : "\n;\n");
    }
    if (!rf.transactional)
        script_begin(b, e, 0);
    return 0;
}

int mig_op_sql(mig_backend *be, mig_arena *ar, const char *direction, const char *target, const mig_opts *o,
               const char **script, mig_err *err)
{
    eng e;
    mig_graph g;
    mig_idlist cur;
    mig_plan plan;
    mig_direction dir;
    mig_buf b;
    const char *colon = target ? strchr(target, ':') : NULL, *to = target ? target : "";
    int i;
    const mig_db_info *out;
    if (parse_dir(direction, &dir, err) || eng_init_for(&e, be, ar, o, 1, err))
        return -1;
    out = e.out;
    if (out != be->db && !colon)
        /* a script for another database: this database's version state
         * says nothing of that one, so the plan must start from FROM */
        return mig_fail(err, MIG_E_INPUT,
                        "%s %s: a script for %s written by %s needs a FROM:TO range (for example base:%s): "
                        "this database's version state is not that database's",
                        direction, target ? target : "", out->name, be->db->name,
                        target && *target ? target : "heads");
    if (load_readonly(&e, &g, &cur))
        return -1;
    if (colon) {
        /* FROM:TO — plan from FROM, not from the database's state */
        char *from = mig_strndup(ar, target, (size_t)(colon - target));
        if (!from)
            return NOMEM();
        to = colon + 1;
        if (mig_resolve(&g, *from ? from : "base", &cur, err)) {
            mig_err_prefix(err, "%s %s: ", direction, target);
            return -1;
        }
    }
    if (make_plan(&e, &g, &cur, dir, to, &plan)) {
        if (err->code == MIG_E_TARGET)
            mig_err_prefix(err, "%s %s: ", direction, target);
        return -1;
    }
    mig_buf_init(&b, ar);
    /* user text reaches comments only through mig_buf_comment (no line break
     * can end the comment) and literals only through mig_buf_quote */
    mig_buf_printf(&b, "-- mig offline script: %s ", direction);
    mig_buf_comment(&b, target ? target : "");
    mig_buf_puts(&b, " (env ");
    mig_buf_comment(&b, o->env);
    mig_buf_printf(&b, ", %s)\n", out->name);
    if (out->dialect == MIG_DIALECT_POSTGRES)
        /* the literals below are written for standard_conforming_strings =
         * on: with it off, a backslash in a quoted value would escape the quote */
        mig_buf_puts(&b, "SET standard_conforming_strings = on;\n");
    else
        /* the sqlite3 shell goes on after an error, and the final COMMIT
         * would record what did not run (a mig_batch() call without the
         * extension loaded): stop at the first error, so the open
         * transaction is rolled back and the script fails as a whole */
        mig_buf_puts(&b, ".bail on\n");
    script_begin(&b, &e, 1);
    mig_buf_puts(&b, out->state_ddl);
    for (i = 0; i < plan.nsteps; i++) {
        const mig_step *s = &plan.steps[i];
        mig_idlist one = {0};
        mig_buf_puts(&b, "\n");
        if (s->node >= 0) {
            one.v = (int *)&s->node;
            one.n = 1;
        }
        if (s->dir != MIG_DIR_STAMP) {
            const mig_node *n = &g.nodes[s->node];
            const char *line =
                mig_running_line(ar, s->dir == MIG_DIR_UPGRADE, n->id, &n->down_ids, n->message, !n->transactional);
            if (!line)
                return NOMEM();
            mig_buf_puts(&b, "-- ");
            mig_buf_comment(&b, line);
        } else {
            mig_buf_puts(&b, "-- Running stamp -> ");
            if (s->node >= 0)
                ids_of(&b, &g, &one);
            else
                mig_buf_puts(&b, "base");
        }
        mig_buf_puts(&b, "\n");
        if (s->dir != MIG_DIR_STAMP && script_bodies(&b, &e, &g, s->node, s->dir == MIG_DIR_UPGRADE))
            return -1;
        script_vops(&b, &e, &g, &plan, s);
        mig_buf_printf(&b, "INSERT INTO %smig_history (env, tenant, revision, direction, checksum, applied_by, "
                           "started_at, duration_ms) VALUES (",
                       out->schema);
        mig_buf_quote(&b, o->env);
        mig_buf_puts(&b, ", ");
        mig_buf_quote(&b, e.tenant);
        mig_buf_puts(&b, ", ");
        if (s->node >= 0)
            mig_buf_quote(&b, g.nodes[s->node].id);
        else
            mig_buf_puts(&b, "NULL");
        mig_buf_printf(&b, ", '%s', ", dir_name(s->dir));
        if (s->node >= 0)
            mig_buf_quote(&b, g.nodes[s->node].checksum);
        else
            mig_buf_puts(&b, "NULL");
        mig_buf_puts(&b, ", 'offline', CURRENT_TIMESTAMP, 0);\n");
    }
    mig_buf_puts(&b, "\nCOMMIT;\n");
    if (b.oom)
        return NOMEM();
    *script = b.data;
    return 0;
}

/* ---- the operation table -------------------------------------------------------------- */

const mig_op_def mig_op_defs[MIG_OP_COUNT] = {
    [MIG_OP_PUT] = {"mig_put_revision", 1, 1, 0}, [MIG_OP_REMOVE] = {"mig_remove_revision", 1, 1, 0},
    [MIG_OP_UPGRADE] = {"mig_upgrade", 1, 1, 1},  [MIG_OP_DOWNGRADE] = {"mig_downgrade", 1, 1, 1},
    [MIG_OP_STAMP] = {"mig_stamp", 1, 1, 1},      [MIG_OP_CURRENT] = {"mig_current", 0, 0, 0},
    [MIG_OP_HEADS] = {"mig_heads", 0, 0, 0},      [MIG_OP_CHECK] = {"mig_check", 0, 0, 0},
    [MIG_OP_PLAN] = {"mig_plan", 2, 0, 0},        [MIG_OP_SQL] = {"mig_sql", 2, 0, 0},
};

int mig_op_call(mig_backend *be, mig_arena *ar, mig_op k, const char *a0, size_t len0, const char *a1,
                const mig_opts *o, mig_op_result *r, mig_err *err)
{
    const mig_op_def *d = &mig_op_defs[k];
    if ((d->nfixed >= 1 && !a0) || (d->nfixed >= 2 && !a1)) {
        mig_fail(err, MIG_E_INPUT, "%s(): the %s must not be NULL", d->name, a0 ? "target" : "first argument");
        memcpy(err->sqlstate, "22004", 6);
        return -1;
    }
    switch (k) {
    case MIG_OP_PUT:
        return mig_op_put_revision(be, ar, a0, len0, o, &r->out, err);
    case MIG_OP_REMOVE:
        r->out = a0;
        return mig_op_remove_revision(be, ar, a0, o, err);
    case MIG_OP_UPGRADE:
        return mig_op_run(be, ar, MIG_DIR_UPGRADE, a0, o, &r->out, err);
    case MIG_OP_DOWNGRADE:
        return mig_op_run(be, ar, MIG_DIR_DOWNGRADE, a0, o, &r->out, err);
    case MIG_OP_STAMP:
        return mig_op_run(be, ar, MIG_DIR_STAMP, a0, o, &r->out, err);
    case MIG_OP_CURRENT:
        return mig_op_current(be, ar, o, &r->out, err);
    case MIG_OP_HEADS:
        return mig_op_heads(be, ar, o, &r->out, err);
    case MIG_OP_CHECK:
        return mig_op_check(be, ar, o, &r->ok, err);
    case MIG_OP_PLAN:
        return mig_op_plan(be, ar, a0, a1, o, &r->rows, &r->nrows, err);
    case MIG_OP_SQL:
        return mig_op_sql(be, ar, a0, a1, o, &r->out, err);
    case MIG_OP_COUNT:
        break;
    }
    return mig_fail(err, MIG_E_INPUT, "unknown operation %d", (int)k);
}

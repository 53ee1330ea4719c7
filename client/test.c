/*
 * test.c — `mig test`: the checks pytest-alembic gives Alembic users, run
 * in scratch databases (autogen.c's), never in the live one: the files
 * have a single head; an upgrade from base to the heads works; the
 * desired schema (schema = ...) is what the revisions produce; and every
 * revision, in upgrade order, upgrades, downgrades to what was there
 * before it (the same snapshot) and upgrades again to the same snapshot.
 *
 * The revisions are taken in the order of `mig upgrade heads`, in one
 * scratch database while each one's downgrade undoes it alone: the next
 * revision whose parents are not all there (a branch after another, a
 * merge), or whose downgrade would also undo another applied revision,
 * gets a new scratch database upgraded to its parents and dependencies.
 */
#include "mig.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct tcheck {
    const char *name;      /* "single head", "revision ae10...: ..." */
    const char *revision;  /* the revision of a per-revision check */
    mig_strlist problems;
    const char *skipped;   /* why it was not run */
} tcheck;

typedef struct trun {
    ctx *x;
    tcheck *v;
    int n, cap;
    int failed;
    unsigned char *up_failed; /* per node: its upgrade failed (its descendants are skipped) */
} trun;

/* One revision's scratch place: applied[i] when node i is applied there. */
typedef struct tplace {
    scratch *s;
    const char *url;
    db *conn;
    unsigned char *applied;
    const char *snap;      /* its snapshot now */
} tplace;

static const char *const DOWN_WORDS[3] = {"dropped", "changed", "left behind"};
static const char *const DOWN_WHAT[3] = {"downgrade undoes too much", "downgrade does not restore",
                                         "downgrade does not undo"};
static const char *const AGAIN_WORDS[3] = {"missing", "different", "made only the second time"};

/* A signal came: stop (scratch_end then dies of it). */
static int stopped(void)
{
    return scratch_interrupted("-");
}

static tcheck *check_new(trun *t, const char *name, const char *revision)
{
    tcheck *c;
    t->v = grow_array(t->x->ar, t->v, t->n, &t->cap, sizeof *t->v);
    c = &t->v[t->n++];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->revision = revision;
    return c;
}

static void problem(trun *t, tcheck *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(trun *t, tcheck *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mig_strlist_add(t->x->ar, &c->problems, mig_strdup(t->x->ar, buf));
}

/* The check's line(s), as it ends. */
static void check_done(trun *t, tcheck *c)
{
    int i;
    if (c->problems.n)
        t->failed++;
    if (t->x->c->json)
        return;
    if (c->skipped) {
        if (!t->x->c->quiet)
            printf("skip    %s: %s\n", c->name, c->skipped);
    } else if (!c->problems.n) {
        if (!t->x->c->quiet)
            printf("ok      %s\n", c->name);
    } else
        for (i = 0; i < c->problems.n; i++)
            printf("FAILED  %s: %s\n", c->revision ? mig_sprintf(t->x->ar, "revision %s", c->revision) : c->name,
                   c->problems.v[i]);
    fflush(stdout);
}

/* Each change of a to b as a problem of c: [PREFIX[side]: ]OBJECT: PART WORD. */
static void changes_as_problems(trun *t, tcheck *c, const schema_changes *ch, const char *const prefix[3],
                                const char *const words[3])
{
    int i;
    for (i = 0; i < ch->n; i++)
        problem(t, c, "%s%s%s", prefix ? prefix[ch->v[i].side + 1] : "", prefix ? ": " : "",
                schema_change_text(t->x->ar, &ch->v[i], words));
}

/* Drop the place's scratch database; nothing is left of it. */
static void place_end(tplace *pl)
{
    scratch *s = pl->s;
    if (pl->conn)
        db_close(pl->conn);
    memset(pl, 0, sizeof *pl);
    if (s)
        scratch_end(s);
}

/* place_new's work: the scratch database, the upgrade, the snapshot. */
static int place_fill(trun *t, tcheck *c, mig_graph *g, int n, tplace *pl)
{
    ctx *x = t->x;
    mig_err err;
    mig_strlist targets = {0};
    mig_idlist need;
    int i, cap = 0;
    mig_node *nd = &g->nodes[n];
    mig_err_clear(&err);
    memset(&need, 0, sizeof need);
    for (i = 0; i < nd->down.n; i++)
        mig_idl_push(g, &need, nd->down.v[i], &cap);
    for (i = 0; i < nd->deps.n; i++)
        if (!mig_idl_has(&need, nd->deps.v[i]))
            mig_idl_push(g, &need, nd->deps.v[i], &cap);
    for (i = 0; i < need.n; i++)
        mig_strlist_add(x->ar, &targets, g->nodes[need.v[i]].id);
    if (!(pl->s = scratch_begin(x, &err)) || !(pl->url = scratch_new(x, pl->s, &err)))
        goto fail;
    if (scratch_run(x, pl->url, &targets, 0)) {
        if (stopped())
            return -2;
        problem(t, c, "the upgrade to what it builds on (%s) failed (the error is above)",
                mig_strlist_join(x->ar, &targets, ", "));
        return -1;
    }
    if (!(pl->conn = scratch_connect(x, pl->url, &err)) || schema_snapshot(x, pl->conn, &pl->snap, &err))
        goto fail;
    if (!(pl->applied = need.n ? mig_graph_ancestors(g, &need) : mig_alloc0(x->ar, (size_t)g->n + 1))) {
        mig_fail(&err, MIG_E_NOMEM, "out of memory");
        goto fail;
    }
    return 0;
fail:
    problem(t, c, "%s", err.msg);
    return -1;
}

/* A new scratch database upgraded to what node n needs (its parents and
 * dependencies).  -1 with a problem on c (and no place); -2 when a signal came. */
static int place_new(trun *t, tcheck *c, mig_graph *g, int n, tplace *pl)
{
    int rc;
    place_end(pl);
    if ((rc = place_fill(t, c, g, n, pl)) != 0)
        place_end(pl);
    return rc;
}

/* Would downgrading to `to` (a node, -1 for base) undo another applied
 * revision than n?  Its id, or NULL. */
static const char *undoes_more(mig_graph *g, const tplace *pl, int n, int to)
{
    int k;
    for (k = 0; k < g->n; k++)
        if (pl->applied[k] && k != n && k != to && (to < 0 || mig_graph_is_ancestor(g, to, k)))
            return g->nodes[k].id;
    return NULL;
}

/* The scratch database's snapshot, compared with want: problems. */
static int compare_now(trun *t, tcheck *c, tplace *pl, const char *want, const char **now,
                       const char *const prefix[3], const char *const words[3])
{
    mig_err err;
    schema_changes ch;
    mig_err_clear(&err);
    if (schema_snapshot(t->x, pl->conn, now, &err) || schema_compare(t->x->ar, want, *now, &ch, &err)) {
        problem(t, c, "%s", err.msg);
        return -1;
    }
    changes_as_problems(t, c, &ch, prefix, words);
    return 0;
}

/* One revision: upgrade, downgrade to its first parent (base), upgrade again. */
static int test_revision(trun *t, mig_graph *g, int n, tplace *pl)
{
    ctx *x = t->x;
    mig_node *nd = &g->nodes[n];
    int to = nd->down.n ? nd->down.v[0] : -1, i, ready = pl->s != NULL, rc;
    const char *target = to < 0 ? "base" : g->nodes[to].id, *up_snap, *down_snap, *again, *other;
    mig_strlist one = {0}, down = {0};
    mig_err err;
    static const char *const AGAIN_WHAT[3] = {"the upgrade after the downgrade differs",
                                              "the upgrade after the downgrade differs",
                                              "the upgrade after the downgrade differs"};
    tcheck *c = check_new(t, mig_sprintf(x->ar, "revision %s: upgrade, downgrade to %s, upgrade again", nd->id,
                                         target),
                          nd->id);
    mig_err_clear(&err);
    for (i = 0; i < g->n; i++)
        if (t->up_failed[i] && mig_graph_is_ancestor(g, i, n)) {
            c->skipped = mig_sprintf(x->ar, "it builds on %s, whose upgrade failed", g->nodes[i].id);
            goto done;
        }
    for (i = 0; ready && i < nd->down.n; i++)
        ready = pl->applied[nd->down.v[i]];
    for (i = 0; ready && i < nd->deps.n; i++)
        ready = pl->applied[nd->deps.v[i]];
    if (ready && undoes_more(g, pl, n, to))
        ready = 0;
    if (!ready && (rc = place_new(t, c, g, n, pl)) != 0)
        goto done_rc;
    if ((other = undoes_more(g, pl, n, to)) != NULL) {
        c->skipped = mig_sprintf(x->ar, "downgrading to %s would also downgrade %s, which it builds on", target,
                                 other);
        goto done;
    }
    mig_strlist_add(x->ar, &one, nd->id);
    mig_strlist_add(x->ar, &down, target);
    if (scratch_run(x, pl->url, &one, 0)) {
        if (stopped())
            return -2;
        problem(t, c, "the upgrade failed (the error is above)");
        t->up_failed[n] = 1;
        goto broken;
    }
    pl->applied[n] = 1;
    if (schema_snapshot(x, pl->conn, &up_snap, &err) != 0) {
        problem(t, c, "%s", err.msg);
        goto broken;
    }
    if (scratch_interrupted("test-upgraded"))
        return -2;
    if (scratch_run(x, pl->url, &down, 1)) {
        if (stopped())
            return -2;
        problem(t, c, "the downgrade to %s failed (the error is above)", target);
        goto broken;
    }
    if (compare_now(t, c, pl, pl->snap, &down_snap, DOWN_WHAT, DOWN_WORDS))
        goto broken;
    if (scratch_run(x, pl->url, &one, 0)) {
        if (stopped())
            return -2;
        problem(t, c, "the upgrade after the downgrade failed (the error is above)");
        goto broken;
    }
    if (compare_now(t, c, pl, up_snap, &again, AGAIN_WHAT, AGAIN_WORDS))
        goto broken;
    pl->snap = again;
    goto done;
broken:
    place_end(pl); /* the next revision starts from a new scratch database */
done:
    check_done(t, c);
    return 0;
done_rc:
    if (rc == -2)
        return -2;
    check_done(t, c);
    return 0;
}

static void print_json(trun *t)
{
    json_t *a = json_array();
    int i, j, passed = 0;
    for (i = 0; i < t->n; i++) {
        tcheck *c = &t->v[i];
        json_t *p = json_array();
        for (j = 0; j < c->problems.n; j++)
            json_array_append_new(p, json_string(c->problems.v[j]));
        passed += !c->problems.n && !c->skipped;
        json_array_append_new(a, json_pack("{s:s, s:s?, s:b, s:s?, s:o}", "check", c->name, "revision", c->revision,
                                           "ok", c->problems.n == 0, "skipped", c->skipped, "problems", p));
    }
    json_print(json_pack("{s:b, s:i, s:i, s:o}", "ok", t->failed == 0, "passed", passed, "failed", t->failed,
                         "checks", a));
}

int cmd_test(ctx *x)
{
    files f;
    trun t;
    mig_err err;
    scratch *s = NULL;
    tcheck *c;
    tplace pl;
    mig_plan plan;
    mig_idlist none;
    const char *heads_snap = NULL;
    int i, upgraded = 0;
    mig_err_clear(&err);
    memset(&t, 0, sizeof t);
    memset(&pl, 0, sizeof pl);
    memset(&none, 0, sizeof none);
    t.x = x;
    if (project_headers(x, &f))
        return EX_FAILED;
    if (!(t.up_failed = mig_alloc0(x->ar, (size_t)f.g.n + 1))) {
        errorf("out of memory");
        return EX_FAILED;
    }
    /* single head */
    c = check_new(&t, "single head", NULL);
    if (f.g.real_heads.n > 1) {
        mig_strlist hs = {0};
        for (i = 0; i < f.g.real_heads.n; i++)
            mig_strlist_add(x->ar, &hs, f.g.nodes[f.g.real_heads.v[i]].id);
        problem(&t, c, "the revision files have %d heads (%s): join them with mig merge -m \"merge heads\" heads",
                hs.n, mig_strlist_join(x->ar, &hs, ", "));
    }
    check_done(&t, c);
    /* base -> heads, and the desired schema against it */
    if (!(s = scratch_begin(x, &err)))
        return fail_err("test: ", &err);
    c = check_new(&t, "upgrade from base to heads", NULL);
    {
        mig_strlist heads = {0};
        mig_strlist_add(x->ar, &heads, "heads");
        if (replay_snapshot(x, s, &heads, &heads_snap, NULL, &err)) {
            if (stopped())
                goto out;
            problem(&t, c, "%s", err.msg);
        } else
            upgraded = 1;
    }
    check_done(&t, c);
    if (scratch_interrupted("test-upgraded"))
        goto out;
    if (x->p->schema_paths.n) {
        schema_changes ch;
        const char *sql = NULL;
        c = check_new(&t, "the desired schema is what the revisions produce", NULL);
        if (!upgraded)
            c->skipped = "the upgrade from base to heads failed";
        else if (desired_changes(x, s, heads_snap, &ch, &sql, &err)) {
            if (stopped())
                goto out;
            problem(&t, c, "%s", err.msg);
        } else {
            changes_as_problems(&t, c, &ch, NULL, DESIRED_WORDS);
            if (ch.n)
                problem(&t, c, "run mig revision --autogenerate -m MESSAGE to write the revision that holds them");
        }
        check_done(&t, c);
    }
    scratch_end(s);
    s = NULL;
    /* every revision, in upgrade order */
    if (f.g.n && mig_plan_upgrade(&f.g, &none, "heads", &plan, &err) == 0) {
        for (i = 0; i < plan.nsteps; i++) {
            if (test_revision(&t, &f.g, plan.steps[i].node, &pl) == -2)
                goto out;
        }
    } else if (f.g.n) {
        c = check_new(&t, "the upgrade plan", NULL);
        problem(&t, c, "%s", err.msg);
        check_done(&t, c);
    }
out:
    place_end(&pl);
    if (s)
        scratch_end(s);
    if (x->c->json)
        print_json(&t);
    else if (!x->c->quiet)
        printf("%d check%s, %d failed\n", t.n, t.n == 1 ? "" : "s", t.failed);
    return t.failed ? EX_FAILED : EX_DONE;
}

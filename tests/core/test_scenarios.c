/*
 * test_scenarios.c — runs the traversal scenarios of the tests/scenarios .scn files
 * (format: tests/scenarios/README.md) against core's planner, in memory.
 * One TAP test per command line.  The same files drive the SQLite tests.
 */
#include "engine.h"
#include "graph.h"

#include "tap.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *id, *down, *labels, *deps;
} rev_t;

typedef struct {
    char name[256];
    rev_t revs[512];
    int nrev;
    char state[64][128];
    int nstate;
} scen_t;

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

static void list_of(mig_arena *ar, const char *s, mig_strlist *l)
{
    memset(l, 0, sizeof *l);
    if (s && *s)
        mig_strlist_split(ar, l, s, strlen(s));
}

static int build(scen_t *sc, mig_arena *ar, mig_graph *g, mig_err *err)
{
    int i;
    mig_graph_init(g, ar);
    for (i = 0; i < sc->nrev; i++) {
        mig_strlist d, l, p;
        list_of(ar, sc->revs[i].down, &d);
        list_of(ar, sc->revs[i].labels, &l);
        list_of(ar, sc->revs[i].deps, &p);
        if (mig_graph_add(g, sc->revs[i].id, &d, &l, &p, "", "", 1, err))
            return -1;
    }
    return mig_graph_finish(g, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* normalise a space-separated id list: sorted */
static void sorted_words(const char *in, char *out, size_t n)
{
    char buf[8192], *w[1024], *t;
    int k = 0, i;
    snprintf(buf, sizeof buf, "%s", in);
    for (t = strtok(buf, " \t"); t && k < 1024; t = strtok(NULL, " \t"))
        w[k++] = t;
    qsort(w, (size_t)k, sizeof *w, cmp_str);
    out[0] = 0;
    for (i = 0; i < k; i++) {
        strncat(out, w[i], n - strlen(out) - 2);
        if (i + 1 < k)
            strcat(out, " ");
    }
}

/* one TAP test named after the command's place: "FILE:LINE CMD", and why it failed */
static void check(int pass, const char *file, int line, const char *cmd, const char *why)
{
    if (!ok(pass, "%s:%d %s", file, line, cmd) && why)
        printf("#   %s\n", why);
}

static void run_cmd(scen_t *sc, const char *file, int line, char *cmd)
{
    mig_arena ar;
    mig_graph g;
    mig_err err;
    char *arrow = strstr(cmd, "=>"), *lhs, *rhs, *verb, *args, why[40000];
    int expect_err;
    mig_arena_init(&ar, &TAP_ALLOC);
    mig_err_clear(&err);
    if (!arrow) {
        check(0, file, line, cmd, "no '=>'");
        return;
    }
    *arrow = 0;
    lhs = trim(cmd);
    rhs = trim(arrow + 2);
    expect_err = strncmp(rhs, "error", 5) == 0;
    verb = lhs;
    args = lhs;
    while (*args && !isspace((unsigned char)*args))
        args++;
    if (*args)
        *args++ = 0;
    args = trim(args);
    {
        char label[512];
        snprintf(label, sizeof label, "[%s] %s %s => %s", sc->name, verb, args, rhs);
        if (build(sc, &ar, &g, &err)) {
            if (strcmp(verb, "graph") == 0 && expect_err) {
                const char *sub = trim(rhs + 5);
                snprintf(why, sizeof why, "error '%s' lacks '%s'", err.msg, sub);
                check(contains_ci(err.msg, sub), file, line, label, why);
            } else {
                snprintf(why, sizeof why, "graph error: %s", err.msg);
                check(0, file, line, label, why);
            }
            mig_arena_free(&ar);
            return;
        }
        if (strcmp(verb, "graph") == 0) {
            check(!expect_err, file, line, label, "graph is valid");
            mig_arena_free(&ar);
            return;
        }
        {
            mig_idlist cur = {0};
            int cap = 0, i, rc, purge = 0;
            mig_plan plan;
            const char *unknown = NULL;
            for (i = 0; i < sc->nstate; i++) {
                int n = mig_graph_find(&g, sc->state[i]);
                if (n < 0)
                    unknown = sc->state[i];
                else
                    mig_idl_push(&g, &cur, n, &cap);
            }
            /* as the engine does: a version row naming an unknown revision
             * is an error, unless a purging stamp discards the rows */
            if (unknown && !(strcmp(verb, "stamp") == 0 && strstr(args, "--purge"))) {
                rc = mig_fail(&err, MIG_E_STATE, "the version table holds revision '%s', which is not stored",
                              unknown);
            } else if (strcmp(verb, "upgrade") == 0)
                rc = mig_plan_upgrade(&g, &cur, args, &plan, &err);
            else if (strcmp(verb, "downgrade") == 0)
                rc = mig_plan_downgrade(&g, &cur, args, &plan, &err);
            else if (strcmp(verb, "stamp") == 0) {
                mig_strlist ts = {0};
                char *t, *dup = mig_strdup(&ar, args);
                for (t = strtok(dup, " "); t; t = strtok(NULL, " ")) {
                    if (strcmp(t, "--purge") == 0)
                        purge = 1;
                    else
                        mig_strlist_add(&ar, &ts, t);
                }
                rc = mig_plan_stamp(&g, &cur, &ts, purge, &plan, &err);
            } else {
                check(0, file, line, label, "unknown command");
                mig_arena_free(&ar);
                return;
            }
            if (expect_err) {
                const char *sub = trim(rhs + 5);
                if (rc == 0)
                    snprintf(why, sizeof why, "expected an error containing '%s', got a plan of %d steps", sub,
                             plan.nsteps);
                else
                    snprintf(why, sizeof why, "error '%s' lacks '%s'", err.msg, sub);
                check(rc != 0 && contains_ci(err.msg, sub), file, line, label, why);
            } else if (rc != 0) {
                snprintf(why, sizeof why, "unexpected error: %s", err.msg);
                check(0, file, line, label, why);
            } else {
                char got_steps[8192] = "", got_heads[8192] = "", want_steps[8192], want_heads[8192], raw[8192];
                char *semi = strchr(rhs, ';');
                for (i = 0; i < plan.nsteps; i++) {
                    const mig_step *s = &plan.steps[i];
                    if (s->dir == MIG_DIR_STAMP)
                        continue;
                    snprintf(raw, sizeof raw, "%s%c%s", i ? " " : "", s->dir == MIG_DIR_UPGRADE ? '+' : '-',
                             g.nodes[s->node].id);
                    strncat(got_steps, raw, sizeof got_steps - strlen(got_steps) - 1);
                }
                raw[0] = 0;
                for (i = 0; i < plan.heads.n; i++) {
                    strncat(raw, g.nodes[plan.heads.v[i]].id, sizeof raw - strlen(raw) - 2);
                    strcat(raw, " ");
                }
                sorted_words(raw, got_heads, sizeof got_heads);
                if (semi) {
                    *semi = 0;
                    snprintf(want_steps, sizeof want_steps, "%s", trim(rhs));
                    {
                        char *h = trim(semi + 1);
                        if (strncmp(h, "heads", 5) == 0)
                            h += 5;
                        sorted_words(trim(h), want_heads, sizeof want_heads);
                    }
                } else {
                    snprintf(want_steps, sizeof want_steps, "%s", rhs);
                    want_heads[0] = 0;
                }
                {
                    char ws[8192];
                    sorted_words(want_steps, ws, sizeof ws); /* only to squeeze spaces */
                    (void)ws;
                }
                {
                    /* compare steps token by token */
                    char a[8192], b[8192], *x, *y, *sa, *sb;
                    int same = 1;
                    snprintf(a, sizeof a, "%s", got_steps);
                    snprintf(b, sizeof b, "%s", want_steps);
                    x = strtok_r(a, " ", &sa);
                    y = strtok_r(b, " ", &sb);
                    while (x || y) {
                        if (!x || !y || strcmp(x, y) != 0) {
                            same = 0;
                            break;
                        }
                        x = strtok_r(NULL, " ", &sa);
                        y = strtok_r(NULL, " ", &sb);
                    }
                    same = same && strcmp(got_heads, want_heads) == 0;
                    snprintf(why, sizeof why, "got: %s ; heads %s | want: %s ; heads %s", got_steps, got_heads,
                             want_steps, want_heads);
                    check(same, file, line, label, why);
                    if (same) {
                        sc->nstate = 0;
                        for (i = 0; i < plan.heads.n && i < 64; i++)
                            snprintf(sc->state[sc->nstate++], 128, "%s", g.nodes[plan.heads.v[i]].id);
                    }
                }
            }
        }
    }
    mig_arena_free(&ar);
}

static char *opt(char *s, const char *key)
{
    char *p = strstr(s, key);
    char *e;
    if (!p)
        return NULL;
    p += strlen(key);
    e = p;
    while (*e && !isspace((unsigned char)*e))
        e++;
    return strndup(p, (size_t)(e - p));
}

static void run_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int lineno = 0;
    scen_t *sc = calloc(1, sizeof *sc);
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!f || !sc) {
        check(0, path, 0, "open", "cannot open");
        free(sc);
        if (f)
            fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        lineno++;
        if (!*s || *s == '#')
            continue;
        if (strncmp(s, "scenario", 8) == 0) {
            int i;
            for (i = 0; i < sc->nrev; i++) {
                free(sc->revs[i].id);
                free(sc->revs[i].down);
                free(sc->revs[i].labels);
                free(sc->revs[i].deps);
            }
            memset(sc, 0, sizeof *sc);
            snprintf(sc->name, sizeof sc->name, "%s", trim(s + 8));
        } else if (strncmp(s, "rev ", 4) == 0 && sc->nrev < 512) {
            rev_t *r = &sc->revs[sc->nrev++];
            char *t = trim(s + 4), *e = t;
            while (*e && !isspace((unsigned char)*e))
                e++;
            r->id = strndup(t, (size_t)(e - t));
            r->down = opt(e, "down=");
            r->labels = opt(e, "labels=");
            r->deps = opt(e, "depends=");
        } else if (strncmp(s, "state", 5) == 0 && (s[5] == 0 || isspace((unsigned char)s[5]))) {
            char *t;
            sc->nstate = 0;
            for (t = strtok(s + 5, " \t"); t && sc->nstate < 64; t = strtok(NULL, " \t"))
                snprintf(sc->state[sc->nstate++], 128, "%s", t);
        } else {
            run_cmd(sc, file, lineno, s);
        }
    }
    {
        int i;
        for (i = 0; i < sc->nrev; i++) {
            free(sc->revs[i].id);
            free(sc->revs[i].down);
            free(sc->revs[i].labels);
            free(sc->revs[i].deps);
        }
    }
    free(sc);
    fclose(f);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++)
        run_file(argv[i]);
    return tap_done();
}

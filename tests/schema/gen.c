/*
 * gen.c — random SQLite schemas, random edits, rendering in random styles.
 * See gen.h.
 */
#include "gen.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- rng */

void g_seed(g_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    (void)g_next(r);
}

uint64_t g_next(g_rng *r)   /* splitmix64 */
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int g_int(g_rng *r, int n)
{
    return n <= 1 ? 0 : (int)(g_next(r) % (uint64_t)n);
}

int g_chance(g_rng *r, int pct)
{
    return g_int(r, 100) < pct;
}

/* -------------------------------------------------------------- tables */

static const struct {
    const char *sp[3];       /* spellings: canonical first */
    int cls, strict_ok;
} TYPES[] = {
    {{"INTEGER", "integer", "Integer"}, CL_INT, 1},
    {{"INT", "int", "Int"}, CL_INT, 1},
    {{"TEXT", "text", "Text"}, CL_TEXT, 1},
    {{"REAL", "real", "Real"}, CL_REAL, 1},
    {{"BLOB", "blob", "Blob"}, CL_BLOB, 1},
    {{"ANY", "any", "Any"}, CL_ANY, 1},
    {{"VARCHAR(20)", "varchar(20)", "VarChar(20)"}, CL_TEXT, 0},
    {{"NUMERIC", "numeric", "Numeric"}, CL_ANY, 0},
    {{"DECIMAL(10,2)", "decimal(10, 2)", "Decimal(10,2)"}, CL_REAL, 0},
    {{"BOOLEAN", "boolean", "Boolean"}, CL_INT, 0},
    {{"DATETIME", "datetime", "DateTime"}, CL_TEXT, 0},
    {{"UNSIGNED BIG INT", "unsigned big int", "Unsigned  Big\tInt"}, CL_INT, 0},
    {{"DOUBLE PRECISION", "double precision", "Double Precision"}, CL_REAL, 0},
    {{"", "", ""}, CL_ANY, 0},
};
#define NTYPES ((int)(sizeof TYPES / sizeof TYPES[0]))
#define T_INTEGER 0

const char *g_type_name(int type) { return TYPES[type].sp[0]; }
int g_type_class(int type) { return TYPES[type].cls; }

static const char *const DEFAULTS[5][6] = {
    [CL_INT] = {"0", "-1", "42", "(1 + 2)", "(abs(-7))", NULL},
    [CL_REAL] = {"0.5", "-2.25", "(1.5 * 2)", "1e3", NULL},
    [CL_TEXT] = {"'x'", "''", "'it''s'", "CURRENT_TIMESTAMP", "(lower('ABC'))", "('a' || 'b')"},
    [CL_BLOB] = {"x'00ff'", "NULL", NULL},
    [CL_ANY] = {"NULL", "0", "'x'", NULL},
};

static int ndefaults(int cls)
{
    int n = 0;
    while (n < 6 && DEFAULTS[cls][n])
        n++;
    return n;
}

static const char *const COLLS[] = {NULL, "BINARY", "NOCASE", "RTRIM"};
static const char *const CONFLICTS[] = {NULL, "ABORT", "FAIL", "IGNORE"};
static const char *const ACTIONS[] = {NULL, "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"};

static const char *const TABLE_WORDS[] = {"users", "orders", "items", "accounts", "posts", "tags",
                                          "events", "Line Items", "Customer", "t", "audit_log", "prices"};
static const char *const TABLE_KW[] = {"order", "group", "select", "table"};
static const char *const COL_WORDS[] = {"id", "name", "email", "qty", "price", "created_at", "note", "flag",
                                        "amount", "kind", "Total", "my col", "value", "a", "b", "code",
                                        "parent_id", "status", "x"};
static const char *const COL_KW[] = {"from", "order", "check", "default", "where", "oid", "key"};
static const char *const KEYWORDS[] = {"order", "group", "select", "table", "from", "check", "default",
                                       "where", "index", "key", "view", "trigger", NULL};

/* ------------------------------------------------------------- lookups */

g_table *g_find_table(g_schema *s, int id)
{
    for (int i = 0; i < s->nt; i++)
        if (s->t[i].id == id)
            return &s->t[i];
    return NULL;
}

const g_table *g_find_table_c(const g_schema *s, int id)
{
    for (int i = 0; i < s->nt; i++)
        if (s->t[i].id == id)
            return &s->t[i];
    return NULL;
}

int g_col_index(const g_table *t, int colid)
{
    for (int i = 0; i < t->nc; i++)
        if (t->c[i].id == colid)
            return i;
    return -1;
}

static const g_col *col_of(const g_table *t, int colid)
{
    int i = g_col_index(t, colid);
    return i < 0 ? NULL : &t->c[i];
}

static g_view *find_view(g_schema *s, const char *name)
{
    for (int i = 0; i < s->nv; i++)
        if (!strcmp(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

/* a fresh name: word + "_" + counter (never reused, so a name is an identity) */
static void fresh(g_schema *s, char *out, const char *word)
{
    snprintf(out, G_NAME, "%s%s%d", word, strchr(word, ' ') ? " " : "_", s->next_id++);
}

static int name_used_global(const g_schema *s, const char *n)
{
    for (int i = 0; i < s->nt; i++)
        if (!strcasecmp(s->t[i].name, n))
            return 1;
    for (int i = 0; i < s->nix; i++)
        if (!strcasecmp(s->ix[i].name, n))
            return 1;
    for (int i = 0; i < s->nv; i++)
        if (!strcasecmp(s->v[i].name, n))
            return 1;
    for (int i = 0; i < s->ntr; i++)
        if (!strcasecmp(s->tr[i].name, n))
            return 1;
    return 0;
}

static int col_name_used(const g_table *t, const g_col *self, const char *n)
{
    for (int i = 0; i < t->nc; i++)
        if (&t->c[i] != self && !strcasecmp(t->c[i].name, n))
            return 1;
    return 0;
}

/* ----------------------------------------------------- consistency pass */

static int key_has(const g_key *k, int colid)
{
    for (int i = 0; i < k->n; i++)
        if (k->cols[i] == colid)
            return 1;
    return 0;
}

static int key_eq(const g_key *k, const int *cols, int n)
{
    if (k->n != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (k->cols[i] != cols[i])
            return 0;
    return 1;
}

/* does the parent have a PK or UNIQUE on exactly these columns */
static int parent_key(const g_table *p, const int *cols, int n)
{
    if (p->has_pk && key_eq(&p->pk, cols, n))
        return 1;
    for (int i = 0; i < p->nu; i++)
        if (key_eq(&p->u[i], cols, n))
            return 1;
    return 0;
}

static int key_ok(const g_table *t, const g_key *k)
{
    for (int i = 0; i < k->n; i++)
        if (g_col_index(t, k->cols[i]) < 0)
            return 0;
    return 1;
}

static int view_ok(g_schema *s, const g_view *v)
{
    if (v->kind == 3)
        return find_view(s, v->src) != NULL && (int)(v - s->v) > (int)(find_view(s, v->src) - s->v);
    const g_table *t1 = g_find_table(s, v->t1);
    if (!t1)
        return 0;
    if (v->kind == 1) {
        const g_table *t2 = g_find_table(s, v->t2);
        return t2 && col_of(t1, v->cols[0]) && col_of(t2, v->cols[1]) && col_of(t1, v->jc1) && col_of(t2, v->jc2);
    }
    for (int i = 0; i < v->ncols; i++)
        if (!col_of(t1, v->cols[i]))
            return 0;
    return v->wcol < 0 || col_of(t1, v->wcol);
}

static int trigger_ok(g_schema *s, const g_trigger *tr)
{
    const g_table *t = g_find_table(s, tr->table);
    if (!t || !col_of(t, tr->bc))
        return 0;
    if (tr->of_col >= 0 && !col_of(t, tr->of_col))
        return 0;
    if (tr->when_col >= 0 && !col_of(t, tr->when_col))
        return 0;
    if (tr->body) {
        const g_table *o = g_find_table(s, tr->ot);
        if (!o || !col_of(o, tr->oc))
            return 0;
    }
    return 1;
}

void g_fixup(g_schema *s)
{
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int ti = 0; ti < s->nt; ti++) {
            g_table *t = &s->t[ti];
            /* generated columns whose source went */
            for (int i = 0; i < t->nc; i++)
                if (t->c[i].gen && g_col_index(t, t->c[i].gen_src) < 0) {
                    memmove(&t->c[i], &t->c[i + 1], (size_t)(t->nc - i - 1) * sizeof t->c[0]);
                    t->nc--, i--, changed = 1;
                }
            if (t->has_pk && !key_ok(t, &t->pk))
                t->has_pk = 0, changed = 1;
            if (t->autoinc && (!t->has_pk || t->pk.n != 1 || t->without_rowid ||
                               t->c[g_col_index(t, t->pk.cols[0])].type != T_INTEGER))
                t->autoinc = 0;
            for (int i = 0; i < t->nu; i++)
                if (!key_ok(t, &t->u[i])) {
                    memmove(&t->u[i], &t->u[i + 1], (size_t)(t->nu - i - 1) * sizeof t->u[0]);
                    t->nu--, i--, changed = 1;
                }
            for (int i = 0; i < t->nk; i++)
                if (g_col_index(t, t->k[i].col) < 0 || (t->k[i].col2 >= 0 && g_col_index(t, t->k[i].col2) < 0)) {
                    memmove(&t->k[i], &t->k[i + 1], (size_t)(t->nk - i - 1) * sizeof t->k[0]);
                    t->nk--, i--, changed = 1;
                }
            for (int i = 0; i < t->nf; i++) {
                g_fk *f = &t->f[i];
                const g_table *p = g_find_table(s, f->ref);
                int ok = p != NULL;
                for (int j = 0; ok && j < f->n; j++)
                    ok = g_col_index(t, f->cols[j]) >= 0;
                if (ok && f->implicit) {
                    ok = p->has_pk && p->pk.n == f->n;
                    if (ok)
                        memcpy(f->ref_cols, p->pk.cols, sizeof f->ref_cols);
                }
                if (ok)
                    ok = parent_key(p, f->ref_cols, f->n);
                if (!ok) {
                    memmove(&t->f[i], &t->f[i + 1], (size_t)(t->nf - i - 1) * sizeof t->f[0]);
                    t->nf--, i--, changed = 1;
                }
            }
        }
        for (int i = 0; i < s->nix; i++) {
            g_index *x = &s->ix[i];
            const g_table *t = g_find_table(s, x->table);
            int ok = t != NULL;
            for (int j = 0; ok && j < x->np; j++)
                ok = col_of(t, x->p[j].col) != NULL;
            if (ok && x->where)
                ok = col_of(t, x->where_col) != NULL;
            if (!ok) {
                memmove(&s->ix[i], &s->ix[i + 1], (size_t)(s->nix - i - 1) * sizeof s->ix[0]);
                s->nix--, i--, changed = 1;
            }
        }
        for (int i = 0; i < s->nv; i++)
            if (!view_ok(s, &s->v[i])) {
                memmove(&s->v[i], &s->v[i + 1], (size_t)(s->nv - i - 1) * sizeof s->v[0]);
                s->nv--, i--, changed = 1;
            }
        for (int i = 0; i < s->ntr; i++)
            if (!trigger_ok(s, &s->tr[i])) {
                memmove(&s->tr[i], &s->tr[i + 1], (size_t)(s->ntr - i - 1) * sizeof s->tr[0]);
                s->ntr--, i--, changed = 1;
            }
    }
}

void g_drop_table(g_schema *s, int id)
{
    for (int i = 0; i < s->nt; i++)
        if (s->t[i].id == id) {
            memmove(&s->t[i], &s->t[i + 1], (size_t)(s->nt - i - 1) * sizeof s->t[0]);
            s->nt--;
            break;
        }
    g_fixup(s);
}

static int nongen_count(const g_table *t)
{
    int n = 0;
    for (int i = 0; i < t->nc; i++)
        n += !t->c[i].gen;
    return n;
}

int g_drop_column(g_schema *s, int tid, int colid)
{
    g_table *t = g_find_table(s, tid);
    if (!t)
        return 0;
    int i = g_col_index(t, colid);
    if (i < 0)
        return 0;
    if (t->without_rowid && key_has(&t->pk, colid))
        return 0;
    if (!t->c[i].gen && nongen_count(t) < 2)
        return 0;
    memmove(&t->c[i], &t->c[i + 1], (size_t)(t->nc - i - 1) * sizeof t->c[0]);
    t->nc--;
    g_fixup(s);
    return 1;
}

void g_drop_index(g_schema *s, const char *name)
{
    for (int i = 0; i < s->nix; i++)
        if (!strcmp(s->ix[i].name, name)) {
            memmove(&s->ix[i], &s->ix[i + 1], (size_t)(s->nix - i - 1) * sizeof s->ix[0]);
            s->nix--;
            break;
        }
}

void g_drop_view(g_schema *s, const char *name)
{
    for (int i = 0; i < s->nv; i++)
        if (!strcmp(s->v[i].name, name)) {
            memmove(&s->v[i], &s->v[i + 1], (size_t)(s->nv - i - 1) * sizeof s->v[0]);
            s->nv--;
            break;
        }
    g_fixup(s);
}

void g_drop_trigger(g_schema *s, const char *name)
{
    for (int i = 0; i < s->ntr; i++)
        if (!strcmp(s->tr[i].name, name)) {
            memmove(&s->tr[i], &s->tr[i + 1], (size_t)(s->ntr - i - 1) * sizeof s->tr[0]);
            s->ntr--;
            break;
        }
}

/* ---------------------------------------------------------- generation */

static int pick_type(g_rng *r, int strict)
{
    for (;;) {
        int ty = g_int(r, NTYPES);
        if (!strict || TYPES[ty].strict_ok)
            return ty;
    }
}

static int type_of_class(g_rng *r, int cls, int strict)
{
    for (int tries = 0; tries < 100; tries++) {
        int ty = pick_type(r, strict);
        if (TYPES[ty].cls == cls)
            return ty;
    }
    return strict ? 5 /* ANY */ : 13 /* none */;
}

/* a random non-generated column id of t, or -1 */
static int pick_col(g_rng *r, const g_table *t, int allow_gen)
{
    int ids[G_MAXC], n = 0;
    for (int i = 0; i < t->nc; i++)
        if (allow_gen || !t->c[i].gen)
            ids[n++] = t->c[i].id;
    return n ? ids[g_int(r, n)] : -1;
}

static void new_column(g_rng *r, g_schema *s, g_table *t, g_col *c, int from_edit)
{
    memset(c, 0, sizeof *c);
    c->id = s->next_id++;
    for (;;) {
        if (!from_edit && g_chance(r, 8))
            snprintf(c->name, G_NAME, "%s", COL_KW[g_int(r, (int)(sizeof COL_KW / sizeof COL_KW[0]))]);
        else if (!from_edit && g_chance(r, 50))
            snprintf(c->name, G_NAME, "%s", COL_WORDS[g_int(r, (int)(sizeof COL_WORDS / sizeof COL_WORDS[0]))]);
        else
            fresh(s, c->name, COL_WORDS[g_int(r, (int)(sizeof COL_WORDS / sizeof COL_WORDS[0]))]);
        if (!col_name_used(t, c, c->name))
            break;
    }
    c->dflt = -1;
    c->type = pick_type(r, t->strict);
    int src = pick_col(r, t, 0);
    if (src == c->id)
        src = -1;
    if (src >= 0 && g_chance(r, 12)) {
        c->gen = g_chance(r, 50) ? 1 : 2;
        c->gen_src = src;
        c->gen_kind = g_int(r, 5);
        static const int gcls[5] = {CL_ANY, CL_TEXT, CL_INT, CL_ANY, CL_TEXT};
        c->type = type_of_class(r, gcls[c->gen_kind], t->strict);
        if (t->strict && gcls[c->gen_kind] == CL_ANY)
            c->type = 5;
    } else if (g_chance(r, 30)) {
        int cls = TYPES[c->type].cls;
        c->dflt = g_int(r, ndefaults(cls));
    }
    c->notnull = g_chance(r, 25);
    if (c->notnull && g_chance(r, 15))
        c->nn_conflict = 1 + g_int(r, 3);
    if (g_chance(r, 15))
        c->coll = 1 + g_int(r, 3);
}

static int add_check(g_rng *r, g_schema *s, g_table *t)
{
    if (t->nk >= G_MAXCHK)
        return 0;
    g_check *k = &t->k[t->nk];
    memset(k, 0, sizeof *k);
    k->col = pick_col(r, t, 1);
    k->kind = g_int(r, 8);
    k->col2 = -1;
    if (k->kind == 4) {
        k->col2 = pick_col(r, t, 1);
        if (k->col2 == k->col)
            k->kind = 0, k->col2 = -1;
    }
    if (g_chance(r, 50))
        fresh(s, k->name, "ck");
    t->nk++;
    return 1;
}

static int add_unique(g_rng *r, g_schema *s, g_table *t)
{
    if (t->nu >= G_MAXU)
        return 0;
    g_key *k = &t->u[t->nu];
    memset(k, 0, sizeof *k);
    k->n = 1 + (t->nc > 1 && g_chance(r, 30));
    k->cols[0] = pick_col(r, t, 1);
    if (k->n == 2) {
        k->cols[1] = pick_col(r, t, 1);
        if (k->cols[1] == k->cols[0])
            k->n = 1;
    }
    if (t->has_pk && key_eq(&t->pk, k->cols, k->n))
        return 0;
    for (int i = 0; i < t->nu; i++)
        if (key_eq(&t->u[i], k->cols, k->n))
            return 0;
    if (g_chance(r, 35))
        fresh(s, k->name, "uq");
    if (g_chance(r, 10))
        k->conflict = 1 + g_int(r, 3);
    t->nu++;
    return 1;
}

/* a foreign key from t to a table before it (or itself) with a PK or UNIQUE */
static int add_fk(g_rng *r, g_schema *s, g_table *t)
{
    if (t->nf >= G_MAXFK)
        return 0;
    int ti = (int)(t - s->t);
    int p_i = g_int(r, ti + 1);
    g_table *p = &s->t[p_i];
    const g_key *keys[G_MAXU + 1];
    int nk = 0;
    if (p->has_pk)
        keys[nk++] = &p->pk;
    for (int i = 0; i < p->nu; i++)
        keys[nk++] = &p->u[i];
    if (!nk)
        return 0;
    int which = g_int(r, nk);
    const g_key *key = keys[which];
    g_fk *f = &t->f[t->nf];
    memset(f, 0, sizeof *f);
    f->n = key->n;
    f->ref = p->id;
    memcpy(f->ref_cols, key->cols, sizeof f->ref_cols);
    f->implicit = p->has_pk && which == 0 && g_chance(r, 40);
    for (int i = 0; i < f->n; i++) {
        f->cols[i] = pick_col(r, t, 0);
        for (int j = 0; j < i; j++)
            if (f->cols[j] == f->cols[i])
                return 0;
        if (f->cols[i] < 0)
            return 0;
    }
    if (g_chance(r, 50))
        f->on_del = g_int(r, 5);
    if (g_chance(r, 30))
        f->on_upd = g_int(r, 5);
    f->defer = g_chance(r, 15);
    if (g_chance(r, 30))
        fresh(s, f->name, "fk");
    t->nf++;
    return 1;
}

static void add_pk(g_rng *r, g_table *t)
{
    int a = pick_col(r, t, 0);
    if (a < 0)
        return;
    t->has_pk = 1;
    memset(&t->pk, 0, sizeof t->pk);
    t->pk.n = 1;
    t->pk.cols[0] = a;
    if (g_chance(r, 30)) {
        int b = pick_col(r, t, 0);
        if (b != a)
            t->pk.cols[t->pk.n++] = b;
    }
    if (g_chance(r, 10))
        t->pk.conflict = 1 + g_int(r, 2);
    for (int i = 0; i < t->nu; i++)
        if (key_eq(&t->u[i], t->pk.cols, t->pk.n)) {
            memmove(&t->u[i], &t->u[i + 1], (size_t)(t->nu - i - 1) * sizeof t->u[0]);
            t->nu--;
            break;
        }
}

static g_table *new_table(g_rng *r, g_schema *s, int from_edit)
{
    if (s->nt >= G_MAXT)
        return NULL;
    g_table *t = &s->t[s->nt];
    memset(t, 0, sizeof *t);
    t->id = s->next_id++;
    for (;;) {
        if (!from_edit && g_chance(r, 10))
            snprintf(t->name, G_NAME, "%s", TABLE_KW[g_int(r, 4)]);
        else
            fresh(s, t->name, TABLE_WORDS[g_int(r, (int)(sizeof TABLE_WORDS / sizeof TABLE_WORDS[0]))]);
        if (!name_used_global(s, t->name))
            break;
    }
    s->nt++;
    t->strict = g_chance(r, 15);
    int nc = 1 + g_int(r, 8);
    if (g_chance(r, 30)) {   /* INTEGER PRIMARY KEY first, often */
        g_col *c = &t->c[t->nc++];
        new_column(r, s, t, c, from_edit);
        c->gen = 0;
        c->type = T_INTEGER;
        c->dflt = -1;
        t->has_pk = 1;
        t->pk.n = 1;
        t->pk.cols[0] = c->id;
        t->autoinc = g_chance(r, 40);
        nc--;
    }
    while (nc-- > 0 && t->nc < G_MAXC)
        new_column(r, s, t, &t->c[t->nc++], from_edit);
    if (!t->has_pk && g_chance(r, 50))
        add_pk(r, t);
    t->without_rowid = t->has_pk && !t->autoinc && g_chance(r, 20);
    int n = g_int(r, 3);
    while (n--)
        add_unique(r, s, t);
    n = g_int(r, 3);
    while (n--)
        add_check(r, s, t);
    n = g_int(r, 3);
    while (n--)
        add_fk(r, s, t);
    g_fixup(s);
    return t;
}

static int add_index(g_rng *r, g_schema *s, g_index *x, const char *keep_name)
{
    if (!s->nt)
        return 0;
    const g_table *t = &s->t[g_int(r, s->nt)];
    memset(x, 0, sizeof *x);
    if (keep_name)
        snprintf(x->name, G_NAME, "%s", keep_name);
    else
        fresh(s, x->name, g_chance(r, 15) ? "Ix Mixed" : "ix");
    x->table = t->id;
    x->unique = g_chance(r, 25);
    x->np = 1 + g_int(r, 2);
    for (int i = 0; i < x->np; i++) {
        x->p[i].col = pick_col(r, t, 1);
        x->p[i].expr = g_chance(r, 20) ? 1 + g_int(r, 4) : 0;
        x->p[i].coll = g_chance(r, 15) ? 1 + g_int(r, 3) : 0;
        x->p[i].desc = g_chance(r, 25);
    }
    if (g_chance(r, 20)) {
        x->where = 1 + g_int(r, 3);
        x->where_col = pick_col(r, t, 1);
    }
    return 1;
}

static void view_out_names(g_schema *s, g_view *v, int n)
{
    v->nout = n;
    for (int i = 0; i < n; i++)
        fresh(s, v->out[i], i ? "y" : "x");
}

/* a view definition; keep (when not NULL) keeps the name and output names */
static int add_view(g_rng *r, g_schema *s, g_view *v, const g_view *keep)
{
    if (!s->nt)
        return 0;
    int pos = (int)(v - s->v);
    memset(v, 0, sizeof *v);
    v->wcol = -1;
    v->kind = g_int(r, 4);
    if (v->kind == 3 && pos == 0)
        v->kind = 0;
    const g_table *t1 = &s->t[g_int(r, s->nt)];
    v->t1 = t1->id;
    int nout;
    switch (v->kind) {
    case 0:
        v->ncols = 1 + g_int(r, t1->nc < 3 ? t1->nc : 3);
        for (int i = 0; i < v->ncols; i++)
            v->cols[i] = pick_col(r, t1, 1);
        if (g_chance(r, 40))
            v->wcol = pick_col(r, t1, 1);
        nout = v->ncols;
        break;
    case 1: {
        const g_table *t2 = &s->t[g_int(r, s->nt)];
        if (t2 == t1)
            return 0;
        v->t2 = t2->id;
        v->cols[0] = pick_col(r, t1, 1);
        v->cols[1] = pick_col(r, t2, 1);
        v->jc1 = pick_col(r, t1, 1);
        v->jc2 = pick_col(r, t2, 1);
        v->ncols = 2;
        nout = 2;
        break;
    }
    case 2:
        v->cols[0] = pick_col(r, t1, 1);
        v->ncols = 1;
        nout = 2;
        break;
    default: {
        const g_view *src = &s->v[g_int(r, pos)];
        snprintf(v->src, G_NAME, "%s", src->name);
        v->ncols = 1 + g_int(r, src->nout);
        for (int i = 0; i < v->ncols; i++)
            v->cols[i] = g_int(r, src->nout);
        if (g_chance(r, 40))
            v->wcol = g_int(r, src->nout);
        nout = v->ncols;
        break;
    }
    }
    if (keep) {
        if (keep->nout != nout)
            return 0;
        snprintf(v->name, G_NAME, "%s", keep->name);
        memcpy(v->out, keep->out, sizeof v->out);
        v->nout = keep->nout;
        v->collist = keep->collist;
    } else {
        fresh(s, v->name, g_chance(r, 15) ? "V Report" : "v");
        view_out_names(s, v, nout);
        v->collist = g_chance(r, 30);
    }
    return 1;
}

static int add_trigger(g_rng *r, g_schema *s, g_trigger *tr, const char *keep_name)
{
    if (!s->nt)
        return 0;
    const g_table *t = &s->t[g_int(r, s->nt)];
    memset(tr, 0, sizeof *tr);
    if (keep_name)
        snprintf(tr->name, G_NAME, "%s", keep_name);
    else
        fresh(s, tr->name, "trg");
    tr->table = t->id;
    tr->timing = g_int(r, 2);
    tr->event = g_int(r, 3);
    tr->of_col = tr->event == 1 && g_chance(r, 50) ? pick_col(r, t, 0) : -1;
    tr->when_col = g_chance(r, 40) ? pick_col(r, t, 1) : -1;
    tr->bc = pick_col(r, t, 1);
    tr->body = g_int(r, 3);
    if (tr->body) {
        const g_table *o = &s->t[g_int(r, s->nt)];
        tr->ot = o->id;
        tr->oc = pick_col(r, o, 0);
        if (tr->oc < 0)
            tr->body = 0;
    }
    return 1;
}

void g_generate(g_rng *r, g_schema *s, const g_flags *fl)
{
    (void)fl;
    memset(s, 0, sizeof *s);
    s->next_id = 1;
    int nt = 1 + g_int(r, 5);
    while (nt--)
        new_table(r, s, 0);
    int n = g_int(r, 5);
    while (n-- && s->nix < G_MAXIX)
        if (add_index(r, s, &s->ix[s->nix], NULL))
            s->nix++;
    n = g_int(r, 4);
    while (n-- && s->nv < G_MAXV)
        if (add_view(r, s, &s->v[s->nv], NULL))
            s->nv++;
    n = g_int(r, 4);
    while (n-- && s->ntr < G_MAXTR)
        if (add_trigger(r, s, &s->tr[s->ntr], NULL))
            s->ntr++;
    g_fixup(s);
}

/* --------------------------------------------------------------- edits */

static void logf_(char *log, size_t logsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(char *log, size_t logsz, const char *fmt, ...)
{
    if (!log)
        return;
    size_t l = strlen(log);
    if (l + 1 >= logsz)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log + l, logsz - l, fmt, ap);
    va_end(ap);
}

static g_table *pick_table(g_rng *r, g_schema *s)
{
    return s->nt ? &s->t[g_int(r, s->nt)] : NULL;
}

enum {
    E_ADD_TABLE, E_DROP_TABLE, E_ADD_COL, E_DROP_COL, E_REN_TABLE, E_REN_COL, E_TYPE, E_NN, E_DFLT, E_COLL,
    E_ADD_UNIQUE, E_DROP_UNIQUE, E_ADD_CHECK, E_DROP_CHECK, E_CHG_CHECK, E_ADD_FK, E_DROP_FK, E_ADD_PK,
    E_DROP_PK, E_OPTIONS, E_ADD_IX, E_DROP_IX, E_CHG_IX, E_ADD_VIEW, E_DROP_VIEW, E_CHG_VIEW, E_ADD_TRG,
    E_DROP_TRG, E_CHG_TRG, E_COUNT
};

static int edit_once(g_rng *r, g_schema *s, const g_flags *fl, char *log, size_t logsz)
{
    int e = g_int(r, E_COUNT);
    g_table *t = pick_table(r, s);
    if (!t && e != E_ADD_TABLE)
        return 0;
    switch (e) {
    case E_ADD_TABLE: {
        g_table *n = new_table(r, s, 1);
        if (!n)
            return 0;
        logf_(log, logsz, "add table %s; ", n->name);
        return 1;
    }
    case E_DROP_TABLE:
        logf_(log, logsz, "drop table %s; ", t->name);
        g_drop_table(s, t->id);
        return 1;
    case E_ADD_COL: {
        if (t->nc >= G_MAXC)
            return 0;
        g_col c;
        new_column(r, s, t, &c, 1);
        if (t->strict && !TYPES[c.type].strict_ok)
            return 0;
        int pos = g_chance(r, 50) ? t->nc : g_int(r, t->nc + 1);
        memmove(&t->c[pos + 1], &t->c[pos], (size_t)(t->nc - pos) * sizeof t->c[0]);
        t->c[pos] = c;
        t->nc++;
        logf_(log, logsz, "add column %s.%s at %d; ", t->name, c.name, pos);
        if (g_chance(r, 20))
            add_unique(r, s, t);
        if (g_chance(r, 20))
            add_check(r, s, t);
        g_fixup(s);
        return 1;
    }
    case E_DROP_COL: {
        int cid = pick_col(r, t, 1);
        const g_col *c = col_of(t, cid);
        char what[2 * G_NAME + 2];
        snprintf(what, sizeof what, "%s.%s", t->name, c->name);
        if (!g_drop_column(s, t->id, cid))
            return 0;
        logf_(log, logsz, "drop column %s; ", what);
        return 1;
    }
    case E_REN_TABLE: {
        char old[G_NAME];
        snprintf(old, sizeof old, "%s", t->name);
        fresh(s, t->name, TABLE_WORDS[g_int(r, (int)(sizeof TABLE_WORDS / sizeof TABLE_WORDS[0]))]);
        logf_(log, logsz, "rename table %s to %s; ", old, t->name);
        return 1;
    }
    case E_REN_COL: {
        g_col *c = &t->c[g_int(r, t->nc)];
        char old[G_NAME];
        snprintf(old, sizeof old, "%s", c->name);
        fresh(s, c->name, COL_WORDS[g_int(r, (int)(sizeof COL_WORDS / sizeof COL_WORDS[0]))]);
        logf_(log, logsz, "rename column %s.%s to %s; ", t->name, old, c->name);
        return 1;
    }
    case E_TYPE: {
        g_col *c = &t->c[g_int(r, t->nc)];
        if (t->autoinc && c->id == t->pk.cols[0])
            return 0;
        int ty = pick_type(r, t->strict);
        if (ty == c->type)
            return 0;
        logf_(log, logsz, "type of %s.%s %s -> %s; ", t->name, c->name, TYPES[c->type].sp[0], TYPES[ty].sp[0]);
        c->type = ty;
        if (c->dflt >= 0 && c->dflt >= ndefaults(TYPES[ty].cls))
            c->dflt = -1;
        return 1;
    }
    case E_NN: {
        g_col *c = &t->c[g_int(r, t->nc)];
        if (t->autoinc && c->id == t->pk.cols[0])
            return 0;
        c->notnull = !c->notnull;
        c->nn_conflict = 0;
        logf_(log, logsz, "%s NOT NULL on %s.%s; ", c->notnull ? "set" : "drop", t->name, c->name);
        return 1;
    }
    case E_DFLT: {
        g_col *c = &t->c[g_int(r, t->nc)];
        if (c->gen || (t->autoinc && c->id == t->pk.cols[0]))
            return 0;
        int nd = ndefaults(TYPES[c->type].cls);
        int d = g_chance(r, 25) ? -1 : g_int(r, nd);
        if (d == c->dflt)
            return 0;
        c->dflt = d;
        logf_(log, logsz, "default of %s.%s; ", t->name, c->name);
        return 1;
    }
    case E_COLL: {
        g_col *c = &t->c[g_int(r, t->nc)];
        int co = g_int(r, 4);
        if (co == c->coll)
            return 0;
        c->coll = co;
        logf_(log, logsz, "collation of %s.%s; ", t->name, c->name);
        return 1;
    }
    case E_ADD_UNIQUE:
        if (!add_unique(r, s, t))
            return 0;
        logf_(log, logsz, "add unique on %s; ", t->name);
        return 1;
    case E_DROP_UNIQUE: {
        if (!t->nu)
            return 0;
        int i = g_int(r, t->nu);
        memmove(&t->u[i], &t->u[i + 1], (size_t)(t->nu - i - 1) * sizeof t->u[0]);
        t->nu--;
        g_fixup(s);
        logf_(log, logsz, "drop unique on %s; ", t->name);
        return 1;
    }
    case E_ADD_CHECK:
        if (!add_check(r, s, t))
            return 0;
        logf_(log, logsz, "add check on %s; ", t->name);
        return 1;
    case E_DROP_CHECK: {
        if (!t->nk)
            return 0;
        int i = g_int(r, t->nk);
        memmove(&t->k[i], &t->k[i + 1], (size_t)(t->nk - i - 1) * sizeof t->k[0]);
        t->nk--;
        logf_(log, logsz, "drop check on %s; ", t->name);
        return 1;
    }
    case E_CHG_CHECK: {
        if (!t->nk)
            return 0;
        g_check *k = &t->k[g_int(r, t->nk)];
        int kind = g_int(r, 8);
        if (kind == 4 || kind == k->kind)
            return 0;
        k->kind = kind;
        k->col2 = -1;
        logf_(log, logsz, "change check %s on %s; ", k->name, t->name);
        return 1;
    }
    case E_ADD_FK:
        if (!add_fk(r, s, t))
            return 0;
        g_fixup(s);
        logf_(log, logsz, "add foreign key on %s; ", t->name);
        return 1;
    case E_DROP_FK: {
        if (!t->nf)
            return 0;
        int i = g_int(r, t->nf);
        memmove(&t->f[i], &t->f[i + 1], (size_t)(t->nf - i - 1) * sizeof t->f[0]);
        t->nf--;
        logf_(log, logsz, "drop foreign key on %s; ", t->name);
        return 1;
    }
    case E_ADD_PK:
        if (t->has_pk)
            return 0;
        add_pk(r, t);
        if (!t->has_pk)
            return 0;
        logf_(log, logsz, "add primary key on %s; ", t->name);
        return 1;
    case E_DROP_PK:
        if (!t->has_pk || t->without_rowid)
            return 0;
        t->has_pk = 0;
        t->autoinc = 0;
        g_fixup(s);
        logf_(log, logsz, "drop primary key on %s; ", t->name);
        return 1;
    case E_OPTIONS:
        if (fl->no_options_edit)
            return 0;
        if (g_chance(r, 50)) {
            if (!t->without_rowid && (!t->has_pk || t->autoinc))
                return 0;
            t->without_rowid = !t->without_rowid;
            logf_(log, logsz, "%s WITHOUT ROWID on %s; ", t->without_rowid ? "set" : "drop", t->name);
        } else {
            if (!t->strict) {
                for (int i = 0; i < t->nc; i++)
                    if (!TYPES[t->c[i].type].strict_ok) {
                        int cls = TYPES[t->c[i].type].cls;
                        t->c[i].type = cls == CL_INT ? 1 : cls == CL_REAL ? 3 : cls == CL_TEXT ? 2 : 5;
                        if (t->autoinc && t->c[i].id == t->pk.cols[0])
                            t->c[i].type = T_INTEGER;
                    }
            }
            t->strict = !t->strict;
            logf_(log, logsz, "%s STRICT on %s; ", t->strict ? "set" : "drop", t->name);
        }
        return 1;
    case E_ADD_IX:
        if (s->nix >= G_MAXIX || !add_index(r, s, &s->ix[s->nix], NULL))
            return 0;
        logf_(log, logsz, "add index %s; ", s->ix[s->nix].name);
        s->nix++;
        g_fixup(s);
        return 1;
    case E_DROP_IX: {
        if (!s->nix)
            return 0;
        g_index *x = &s->ix[g_int(r, s->nix)];
        logf_(log, logsz, "drop index %s; ", x->name);
        g_drop_index(s, x->name);
        return 1;
    }
    case E_CHG_IX: {
        if (!s->nix)
            return 0;
        g_index *x = &s->ix[g_int(r, s->nix)];
        char name[G_NAME];
        snprintf(name, sizeof name, "%s", x->name);
        add_index(r, s, x, name);
        logf_(log, logsz, "change index %s; ", name);
        g_fixup(s);
        return 1;
    }
    case E_ADD_VIEW:
        if (s->nv >= G_MAXV || !add_view(r, s, &s->v[s->nv], NULL))
            return 0;
        logf_(log, logsz, "add view %s; ", s->v[s->nv].name);
        s->nv++;
        g_fixup(s);
        return 1;
    case E_DROP_VIEW: {
        if (!s->nv)
            return 0;
        g_view *v = &s->v[g_int(r, s->nv)];
        logf_(log, logsz, "drop view %s; ", v->name);
        char name[G_NAME];
        snprintf(name, sizeof name, "%s", v->name);
        g_drop_view(s, name);
        return 1;
    }
    case E_CHG_VIEW: {
        if (!s->nv)
            return 0;
        g_view *v = &s->v[g_int(r, s->nv)];
        g_view keep = *v;
        if (!add_view(r, s, v, &keep)) {
            *v = keep;
            return 0;
        }
        logf_(log, logsz, "change view %s; ", keep.name);
        g_fixup(s);
        return 1;
    }
    case E_ADD_TRG:
        if (s->ntr >= G_MAXTR || !add_trigger(r, s, &s->tr[s->ntr], NULL))
            return 0;
        logf_(log, logsz, "add trigger %s; ", s->tr[s->ntr].name);
        s->ntr++;
        g_fixup(s);
        return 1;
    case E_DROP_TRG: {
        if (!s->ntr)
            return 0;
        g_trigger *tr = &s->tr[g_int(r, s->ntr)];
        logf_(log, logsz, "drop trigger %s; ", tr->name);
        char name[G_NAME];
        snprintf(name, sizeof name, "%s", tr->name);
        g_drop_trigger(s, name);
        return 1;
    }
    case E_CHG_TRG: {
        if (!s->ntr)
            return 0;
        g_trigger *tr = &s->tr[g_int(r, s->ntr)];
        char name[G_NAME];
        snprintf(name, sizeof name, "%s", tr->name);
        add_trigger(r, s, tr, name);
        logf_(log, logsz, "change trigger %s; ", name);
        g_fixup(s);
        return 1;
    }
    }
    return 0;
}

void g_edit(g_rng *r, g_schema *s, const g_flags *fl, char *log, size_t logsz)
{
    if (log && logsz)
        log[0] = 0;
    int n = 1 + g_int(r, 3);
    for (int tries = 0; n > 0 && tries < 60; tries++)
        if (edit_once(r, s, fl, log, logsz))
            n--;
    g_fixup(s);
}

/* ------------------------------------------------------------ rendering */

typedef struct { char *p; size_t n, cap; } sb;

static void sb_putn(sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "out of memory\n");
            exit(3);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_put(sb *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

typedef struct {
    g_rng *r;                /* NULL: canonical style */
    int kwcase;              /* 0 upper, 1 lower, 2 mixed per word */
    int quote;               /* quote safe names too, sometimes */
    int comments, spacing;
    int plain_x;             /* flag plain_view_names */
    int no_dq;               /* an unqualified name in a view or trigger body: never "x" (SQLite may
                                read it as a string, so a snapshot keeps "x" apart from x; docs/schema.md) */
} sty;

static int ch(const sty *st, int pct) { return st->r && g_chance(st->r, pct); }

/* white space between tokens */
static void ws(sb *b, const sty *st)
{
    if (st->comments && ch(st, 6)) {
        sb_put(b, ch(st, 50) ? " /* note */ " : " -- a note\n  ");
        return;
    }
    if (st->spacing && ch(st, 15)) {
        static const char *const W[] = {"  ", "\n  ", "\t", "\n"};
        sb_put(b, W[g_int(st->r, 4)]);
        return;
    }
    sb_put(b, " ");
}

/* keywords, words separated by single spaces in `k` */
static void kw(sb *b, const sty *st, const char *k)
{
    const char *p = k;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int mode = st->kwcase == 2 && st->r ? g_int(st->r, 3) : st->kwcase;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (mode == 1 || (mode == 2 && i > 0))
                c = (char)tolower((unsigned char)c);
            else
                c = (char)toupper((unsigned char)c);
            sb_putn(b, &c, 1);
        }
        p += n;
        if (*p == ' ') {
            ws(b, st);
            p++;
        }
    }
}

static int needs_quote(const char *n)
{
    if (!(isalpha((unsigned char)n[0]) || n[0] == '_'))
        return 1;
    for (const char *p = n; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 1;
    for (int i = 0; KEYWORDS[i]; i++)
        if (!strcasecmp(n, KEYWORDS[i]))
            return 1;
    return 0;
}

static void ident(sb *b, const sty *st, const char *n)
{
    if (needs_quote(n) || (st->quote && ch(st, 30))) {
        int q = st->r ? g_int(st->r, 4) : 0;
        if (st->no_dq && (q == 0 || q == 3))
            q = 1 + (st->r ? g_int(st->r, 2) : 0);
        if (q == 1)
            sb_printf(b, "[%s]", n);
        else if (q == 2)
            sb_printf(b, "`%s`", n);
        else
            sb_printf(b, "\"%s\"", n);
    } else
        sb_put(b, n);
}

void g_qident(char *out, size_t outsz, const char *name)
{
    snprintf(out, outsz, "\"%s\"", name);
}

static const char *cname(const g_table *t, int colid)
{
    const g_col *c = col_of(t, colid);
    return c ? c->name : "?";
}

static void r_type(sb *b, const sty *st, int type)
{
    sb_put(b, TYPES[type].sp[st->r ? g_int(st->r, 3) : 0]);
}

static void r_check_expr(sb *b, const sty *st, const g_table *t, const g_check *k)
{
    const char *c = cname(t, k->col);
    switch (k->kind) {
    case 0: ident(b, st, c); sb_put(b, " >= -100"); break;
    case 1: sb_put(b, "length("); ident(b, st, c); sb_put(b, ") <= 20"); break;
    case 2: ident(b, st, c); ws(b, st); kw(b, st, "IS NULL OR"); ws(b, st); ident(b, st, c); sb_put(b, " <> ''"); break;
    case 3: ident(b, st, c); ws(b, st); kw(b, st, "BETWEEN"); sb_put(b, " -1000 "); kw(b, st, "AND"); sb_put(b, " 1000"); break;
    case 4: ident(b, st, c); sb_put(b, " <> "); ident(b, st, cname(t, k->col2)); break;
    case 5: sb_put(b, "typeof("); ident(b, st, c); sb_put(b, ") <> 'blob'"); break;
    case 6: ident(b, st, c); ws(b, st); kw(b, st, "NOT IN"); sb_put(b, " ('zz', 'yy')"); break;
    default: sb_put(b, "abs("); ident(b, st, c); sb_put(b, ") < 1000000"); break;
    }
}

static void r_gen_expr(sb *b, const sty *st, const g_table *t, const g_col *c)
{
    const char *s = cname(t, c->gen_src);
    switch (c->gen_kind) {
    case 0: ident(b, st, s); sb_put(b, " * 2"); break;
    case 1: sb_put(b, "upper("); ident(b, st, s); sb_put(b, ")"); break;
    case 2: sb_put(b, "length("); ident(b, st, s); sb_put(b, ")"); break;
    case 3: sb_put(b, "coalesce("); ident(b, st, s); sb_put(b, ", 0) + 1"); break;
    default: ident(b, st, s); sb_put(b, " || 'x'"); break;
    }
}

static void r_conflict(sb *b, const sty *st, int c)
{
    if (!c)
        return;
    ws(b, st);
    kw(b, st, "ON CONFLICT");
    ws(b, st);
    kw(b, st, CONFLICTS[c]);
}

static void r_cname(sb *b, const sty *st, const char *name)
{
    if (!name[0])
        return;
    kw(b, st, "CONSTRAINT");
    ws(b, st);
    ident(b, st, name);
    ws(b, st);
}

static void r_collate(sb *b, const sty *st, int coll)
{
    kw(b, st, "COLLATE");
    ws(b, st);
    const char *c = COLLS[coll];
    if (ch(st, 40)) {   /* collation names are case-insensitive */
        for (const char *p = c; *p; p++) {
            char l = (char)tolower((unsigned char)*p);
            sb_putn(b, &l, 1);
        }
    } else
        sb_put(b, c);
}

static void r_collist(sb *b, const sty *st, const g_table *t, const int *cols, int n)
{
    sb_put(b, "(");
    for (int i = 0; i < n; i++) {
        if (i)
            sb_put(b, ", ");
        ident(b, st, cname(t, cols[i]));
    }
    sb_put(b, ")");
}

static void r_references(sb *b, const sty *st, const g_schema *s, const g_fk *f)
{
    const g_table *p = g_find_table_c(s, f->ref);
    kw(b, st, "REFERENCES");
    ws(b, st);
    ident(b, st, p->name);
    if (!f->implicit) {
        sb_put(b, " ");
        r_collist(b, st, p, f->ref_cols, f->n);
    }
    if (f->on_del) {
        ws(b, st);
        kw(b, st, "ON DELETE");
        ws(b, st);
        kw(b, st, ACTIONS[f->on_del]);
    }
    if (f->on_upd) {
        ws(b, st);
        kw(b, st, "ON UPDATE");
        ws(b, st);
        kw(b, st, ACTIONS[f->on_upd]);
    }
    if (f->defer) {
        ws(b, st);
        kw(b, st, "DEFERRABLE INITIALLY DEFERRED");
    }
}

static void shuffle(g_rng *r, sb *items, int n)
{
    if (!r)
        return;
    for (int i = n - 1; i > 0; i--) {
        int j = g_int(r, i + 1);
        sb tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
    }
}

static void r_table(sb *out, const sty *st, const g_schema *s, const g_table *t)
{
    /* where each constraint goes: column form (index of the column) or table form (-1) */
    int pk_at = -1, u_at[G_MAXU], k_at[G_MAXCHK], f_at[G_MAXFK];
    if (t->has_pk && t->pk.n == 1 && (t->autoinc || ch(st, 50) || !st->r))
        pk_at = g_col_index(t, t->pk.cols[0]);
    for (int i = 0; i < t->nu; i++)
        u_at[i] = t->u[i].n == 1 && ch(st, 50) ? g_col_index(t, t->u[i].cols[0]) : -1;
    for (int i = 0; i < t->nk; i++)
        k_at[i] = ch(st, 40) ? g_col_index(t, t->k[i].col) : -1;
    for (int i = 0; i < t->nf; i++)
        f_at[i] = t->f[i].n == 1 && ch(st, 50) ? g_col_index(t, t->f[i].cols[0]) : -1;

    sb items[G_MAXC + G_MAXU + G_MAXCHK + G_MAXFK + 1];
    int nitems = 0;
    memset(items, 0, sizeof items);
    for (int ci = 0; ci < t->nc; ci++) {
        const g_col *c = &t->c[ci];
        sb *b = &items[nitems++];
        ident(b, st, c->name);
        if (c->type != 13) {
            sb_put(b, " ");
            r_type(b, st, c->type);
        }
        sb parts[12];
        int np = 0;
        memset(parts, 0, sizeof parts);
        if (pk_at == ci) {
            sb *p = &parts[np++];
            r_cname(p, st, t->pk.name);
            kw(p, st, "PRIMARY KEY");
            r_conflict(p, st, t->pk.conflict);
            if (t->autoinc) {
                ws(p, st);
                kw(p, st, "AUTOINCREMENT");
            }
        }
        if (c->notnull) {
            sb *p = &parts[np++];
            kw(p, st, "NOT NULL");
            r_conflict(p, st, c->nn_conflict);
        }
        if (c->dflt >= 0) {
            sb *p = &parts[np++];
            kw(p, st, "DEFAULT");
            ws(p, st);
            const char *d = DEFAULTS[TYPES[c->type].cls][c->dflt];
            if (d[0] != '(' && ch(st, 25))
                sb_printf(p, "(%s)", d);
            else if (!strcmp(d, "CURRENT_TIMESTAMP") || !strcmp(d, "NULL"))
                kw(p, st, d);
            else
                sb_put(p, d);
        }
        if (c->coll) {
            sb *p = &parts[np++];
            r_collate(p, st, c->coll);
        }
        for (int i = 0; i < t->nu; i++)
            if (u_at[i] == ci) {
                sb *p = &parts[np++];
                r_cname(p, st, t->u[i].name);
                kw(p, st, "UNIQUE");
                r_conflict(p, st, t->u[i].conflict);
            }
        for (int i = 0; i < t->nk; i++)
            if (k_at[i] == ci) {
                sb *p = &parts[np++];
                r_cname(p, st, t->k[i].name);
                kw(p, st, "CHECK");
                sb_put(p, " (");
                r_check_expr(p, st, t, &t->k[i]);
                sb_put(p, ")");
            }
        for (int i = 0; i < t->nf; i++)
            if (f_at[i] == ci) {
                sb *p = &parts[np++];
                r_cname(p, st, t->f[i].name);
                r_references(p, st, s, &t->f[i]);
            }
        if (c->gen) {
            sb *p = &parts[np++];
            if (ch(st, 50) || !st->r) {
                /* one plain space: SQLite reads "GENERATED -- x ALWAYS" into the declared type */
                kw(p, st, "GENERATED");
                sb_put(p, " ");
                kw(p, st, "ALWAYS");
                ws(p, st);
            }
            kw(p, st, "AS");
            sb_put(p, " (");
            r_gen_expr(p, st, t, c);
            sb_put(p, ")");
            if (c->gen == 2) {
                ws(p, st);
                kw(p, st, "STORED");
            } else if (ch(st, 50) || !st->r) {
                ws(p, st);
                kw(p, st, "VIRTUAL");
            }
        }
        shuffle(st->r, parts, np);
        for (int i = 0; i < np; i++) {
            /* STRICT reads the declared type up to the next token, comments and
               line breaks included: "text -- x" is an unknown type there */
            if (i == 0 && t->strict && c->type != 13)
                sb_put(b, " ");
            else
                ws(b, st);
            sb_put(b, parts[i].p);
            free(parts[i].p);
        }
    }
    if (t->has_pk && pk_at < 0) {
        sb *b = &items[nitems++];
        r_cname(b, st, t->pk.name);
        kw(b, st, "PRIMARY KEY");
        sb_put(b, " ");
        r_collist(b, st, t, t->pk.cols, t->pk.n);
        r_conflict(b, st, t->pk.conflict);
    }
    for (int i = 0; i < t->nu; i++)
        if (u_at[i] < 0) {
            sb *b = &items[nitems++];
            r_cname(b, st, t->u[i].name);
            kw(b, st, "UNIQUE");
            sb_put(b, " ");
            r_collist(b, st, t, t->u[i].cols, t->u[i].n);
            r_conflict(b, st, t->u[i].conflict);
        }
    for (int i = 0; i < t->nk; i++)
        if (k_at[i] < 0) {
            sb *b = &items[nitems++];
            r_cname(b, st, t->k[i].name);
            kw(b, st, "CHECK");
            sb_put(b, " (");
            r_check_expr(b, st, t, &t->k[i]);
            sb_put(b, ")");
        }
    for (int i = 0; i < t->nf; i++)
        if (f_at[i] < 0) {
            sb *b = &items[nitems++];
            r_cname(b, st, t->f[i].name);
            kw(b, st, "FOREIGN KEY");
            sb_put(b, " ");
            r_collist(b, st, t, t->f[i].cols, t->f[i].n);
            ws(b, st);
            r_references(b, st, s, &t->f[i]);
        }
    /* columns stay in order; table constraints may come in any order after them */
    shuffle(st->r, items + t->nc, nitems - t->nc);

    if (st->comments && ch(st, 20))
        sb_put(out, "-- a table\n");
    kw(out, st, "CREATE TABLE");
    ws(out, st);
    ident(out, st, t->name);
    sb_put(out, ch(st, 30) ? "(\n  " : " (");
    for (int i = 0; i < nitems; i++) {
        if (i)
            sb_put(out, ch(st, 40) ? ",\n  " : ", ");
        sb_put(out, items[i].p);
        free(items[i].p);
    }
    sb_put(out, ")");
    if (t->without_rowid && t->strict && ch(st, 50)) {
        sb_put(out, " ");
        kw(out, st, "STRICT");
        sb_put(out, ", ");
        kw(out, st, "WITHOUT ROWID");
    } else {
        if (t->without_rowid) {
            sb_put(out, " ");
            kw(out, st, "WITHOUT ROWID");
        }
        if (t->strict) {
            sb_put(out, t->without_rowid ? ", " : " ");
            kw(out, st, "STRICT");
        }
    }
    sb_put(out, ";\n");
}

static void r_index(sb *out, const sty *st, const g_schema *s, const g_index *x)
{
    const g_table *t = g_find_table_c(s, x->table);
    kw(out, st, x->unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX");
    ws(out, st);
    if (ch(st, 15)) {
        kw(out, st, "IF NOT EXISTS");
        ws(out, st);
    }
    ident(out, st, x->name);
    ws(out, st);
    kw(out, st, "ON");
    ws(out, st);
    ident(out, st, t->name);
    sb_put(out, " (");
    for (int i = 0; i < x->np; i++) {
        const g_part *p = &x->p[i];
        const char *c = cname(t, p->col);
        if (i)
            sb_put(out, ", ");
        switch (p->expr) {
        case 0: ident(out, st, c); break;
        case 1: sb_put(out, "lower("); ident(out, st, c); sb_put(out, ")"); break;
        case 2: sb_put(out, "("); ident(out, st, c); sb_put(out, " + 1)"); break;
        case 3: sb_put(out, "abs("); ident(out, st, c); sb_put(out, ")"); break;
        default: sb_put(out, "length("); ident(out, st, c); sb_put(out, ")"); break;
        }
        if (p->coll) {
            ws(out, st);
            r_collate(out, st, p->coll);
        }
        if (p->desc) {
            ws(out, st);
            kw(out, st, "DESC");
        } else if (ch(st, 20)) {
            ws(out, st);
            kw(out, st, "ASC");
        }
    }
    sb_put(out, ")");
    if (x->where) {
        ws(out, st);
        kw(out, st, "WHERE");
        ws(out, st);
        ident(out, st, cname(t, x->where_col));
        sb_put(out, x->where == 1 ? " IS NOT NULL" : x->where == 2 ? " > 0" : " <> ''");
    }
    sb_put(out, ";\n");
}

static void ident_x(sb *b, const sty *st, const char *n)
{
    sty x = *st;
    x.no_dq = 1;
    if (st->plain_x)
        x.quote = 0;
    ident(b, &x, n);
}

static void r_view(sb *out, const sty *st, g_schema *s, const g_view *v)
{
    kw(out, st, "CREATE VIEW");
    ws(out, st);
    ident(out, st, v->name);
    if (v->collist) {
        sb_put(out, "(");
        for (int i = 0; i < v->nout; i++) {
            if (i)
                sb_put(out, ", ");
            ident(out, st, v->out[i]);
        }
        sb_put(out, ")");
    }
    ws(out, st);
    kw(out, st, "AS SELECT");
    ws(out, st);
    const g_table *t1 = v->kind == 3 ? NULL : g_find_table(s, v->t1);
    const g_view *src = v->kind == 3 ? find_view(s, v->src) : NULL;
    for (int i = 0; i < v->nout; i++) {
        if (i)
            sb_put(out, ", ");
        switch (v->kind) {
        case 0: ident_x(out, st, cname(t1, v->cols[i])); break;
        case 1:
            sb_put(out, i ? "b." : "a.");
            ident(out, st, i ? cname(g_find_table(s, v->t2), v->cols[1]) : cname(t1, v->cols[0]));
            break;
        case 2:
            if (i)
                sb_put(out, "count(*)");
            else
                ident_x(out, st, cname(t1, v->cols[0]));
            break;
        default: ident_x(out, st, src->out[v->cols[i]]); break;
        }
        if (!v->collist) {
            ws(out, st);
            kw(out, st, "AS");
            ws(out, st);
            ident(out, st, v->out[i]);
        }
    }
    ws(out, st);
    kw(out, st, "FROM");
    ws(out, st);
    if (v->kind == 3)
        ident(out, st, src->name);
    else
        ident(out, st, t1->name);
    if (v->kind == 1) {
        const g_table *t2 = g_find_table(s, v->t2);
        sb_put(out, " ");
        kw(out, st, "AS");
        sb_put(out, " a ");
        kw(out, st, "JOIN");
        ws(out, st);
        ident(out, st, t2->name);
        sb_put(out, " ");
        kw(out, st, "AS");
        sb_put(out, " b ");
        kw(out, st, "ON");
        sb_put(out, " a.");
        ident(out, st, cname(t1, v->jc1));
        sb_put(out, " = b.");
        ident(out, st, cname(t2, v->jc2));
    }
    if (v->kind == 2) {
        ws(out, st);
        kw(out, st, "GROUP BY");
        ws(out, st);
        ident_x(out, st, cname(t1, v->cols[0]));
    }
    if (v->wcol >= 0) {
        ws(out, st);
        kw(out, st, "WHERE");
        ws(out, st);
        ident_x(out, st, v->kind == 3 ? src->out[v->wcol] : cname(t1, v->wcol));
        ws(out, st);
        kw(out, st, "IS NOT NULL");
    }
    sb_put(out, ";\n");
}

static void r_trigger(sb *out, const sty *st, g_schema *s, const g_trigger *tr)
{
    const g_table *t = g_find_table(s, tr->table);
    const char *rec = tr->event == 2 ? "OLD." : "NEW.";
    kw(out, st, "CREATE TRIGGER");
    ws(out, st);
    ident(out, st, tr->name);
    ws(out, st);
    kw(out, st, tr->timing ? "AFTER" : "BEFORE");
    ws(out, st);
    kw(out, st, tr->event == 0 ? "INSERT" : tr->event == 1 ? "UPDATE" : "DELETE");
    if (tr->of_col >= 0) {
        ws(out, st);
        kw(out, st, "OF");
        ws(out, st);
        if (st->plain_x)
            ident_x(out, st, cname(t, tr->of_col));
        else
            ident(out, st, cname(t, tr->of_col));
    }
    ws(out, st);
    kw(out, st, "ON");
    ws(out, st);
    ident(out, st, t->name);
    if (tr->when_col >= 0) {
        ws(out, st);
        kw(out, st, "WHEN");
        sb_printf(out, " %s", rec);
        ident(out, st, cname(t, tr->when_col));
        ws(out, st);
        kw(out, st, "IS NOT NULL");
    }
    ws(out, st);
    kw(out, st, "BEGIN");
    ws(out, st);
    if (tr->body == 0) {
        kw(out, st, "SELECT RAISE");
        sb_put(out, "(");
        kw(out, st, "ABORT");
        sb_put(out, ", 'never') ");
        kw(out, st, "WHERE");
        sb_printf(out, " %s", rec);
        ident(out, st, cname(t, tr->bc));
        sb_put(out, " = 'never-happens'");
    } else {
        const g_table *o = g_find_table(s, tr->ot);
        if (tr->body == 1) {
            kw(out, st, "UPDATE");
            ws(out, st);
            ident(out, st, o->name);
            ws(out, st);
            kw(out, st, "SET");
            ws(out, st);
            ident_x(out, st, cname(o, tr->oc));
            sb_put(out, " = ");
            ident_x(out, st, cname(o, tr->oc));
        } else {
            kw(out, st, "DELETE FROM");
            ws(out, st);
            ident(out, st, o->name);
        }
        ws(out, st);
        kw(out, st, "WHERE");
        sb_put(out, " 0");
    }
    sb_put(out, ";");
    ws(out, st);
    kw(out, st, "END");
    sb_put(out, ";\n");
}

static char *render(g_rng *r, const g_schema *cs, int tables_only, int plain_x)
{
    g_schema *s = (g_schema *)cs;   /* lookups only */
    sty st = {r, 0, 0, 0, 0, plain_x, 0};
    if (r) {
        st.kwcase = g_int(r, 3);
        st.quote = g_chance(r, 50);
        st.comments = g_chance(r, 40);
        st.spacing = g_chance(r, 50);
    }
    sb out = {0};
    sb_put(&out, "");
    for (int i = 0; i < s->nt; i++)
        r_table(&out, &st, s, &s->t[i]);
    for (int i = 0; i < s->nix; i++)
        r_index(&out, &st, s, &s->ix[i]);
    if (!tables_only) {
        for (int i = 0; i < s->nv; i++)
            r_view(&out, &st, s, &s->v[i]);
        for (int i = 0; i < s->ntr; i++)
            r_trigger(&out, &st, s, &s->tr[i]);
    }
    return out.p;
}

char *g_render(g_rng *r, const g_schema *s, const g_flags *fl) { return render(r, s, 0, fl->plain_view_names); }
char *g_render_tables(const g_schema *s) { return render(NULL, s, 1, 0); }

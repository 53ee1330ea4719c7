/*
 * schemadiff_pg.c — the PostgreSQL schema diff (see schemadiff_pg.h).
 *
 * Both documents are read with jansson and checked against a table of the
 * keys each kind may have (FIELDS below: type, required, allowed values); the
 * objects stay JSON and the renderers read them.  Objects are matched by
 * kind, schema, name (and table, for triggers and policies) through a hash
 * index, after the rename hints are applied to the `from` side (which keeps
 * the names the database has before the renames for the statements that run
 * before them).  One direction is computed in two steps:
 *
 *   plan:  what goes (`drop`: gone, or dropped to be created again) and what
 *          is created, per object; per column (dropped, type changed, dropped
 *          and added again) and per constraint; then the cascades: a view is
 *          dropped when it reads (depends_on) a relation, column, function or
 *          type that is dropped or changes type, transitively; indexes,
 *          triggers, policies, constraints and defaults go with what they
 *          mention;
 *   emit:  the phases, in order:
 *     1. set_config('check_function_bodies', 'false') when functions are made;
 *     2. drops: event triggers, policies, triggers, indexes, views (dependents
 *        first), foreign keys, other constraints, defaults that call a
 *        function made again, sequence ownership that changes, functions
 *        made again; a type made again is renamed away (<name>_mig_old);
 *     3. schemas, extensions, types (dependencies first), sequences,
 *        functions (not those with an SQL-standard body: see 6);
 *     4. the renames of the hints (tables, then columns);
 *     5. tables recreated (partition key) dropped; new tables (parents
 *        first); changes of the other tables (columns, constraints, options,
 *        RLS; a column of a type made again is converted through text);
 *     6. foreign keys, partitions attached, sequence ownership; functions
 *        with an SQL-standard body (PostgreSQL parses them at once);
 *     7. views (dependencies first), indexes, materialized view data,
 *        triggers, policies, event triggers, enabled states;
 *     8. drops: tables (children first), sequences, functions, types (and
 *        the renamed-away ones), extensions, schemas;
 *     9. comments, owners and grants of everything new or changed.
 * What PostgreSQL rewrites itself on a hinted rename (expressions,
 * constraints, indexes, triggers, policies naming the renamed table or
 * column) is compared after the renames (renamed_text) and left alone.
 * ALTER TYPE ... ADD VALUE statements come first; when a later statement of
 * the section uses a new value as a literal, the section begins with
 * MIG_SCHEMA_NONTX_MARK.  Plain C11; arena memory (jansson's own is freed
 * before returning); no globals.
 */
#include "schemadiff_pg.h"
#include "schema.h" /* MIG_SCHEMA_LOSS_MARK */

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { K_SCHEMA, K_EXTENSION, K_TYPE, K_SEQUENCE, K_FUNCTION, K_TABLE, K_INDEX, K_VIEW, K_TRIGGER, K_POLICY, K_EVTRIG,
       K_N };

static const char *const KIND_NAMES[K_N] = {"schema", "extension", "type",    "sequence", "function",     "table",
                                            "index",  "view",      "trigger", "policy",   "event_trigger"};

/* ---- the document's shape --------------------------------------------------------------------- */

typedef enum { V_STR, V_BOOL, V_STRS, V_MAP, V_ARR } vtype;

typedef struct field {
    const char *key;
    vtype t;
    int req;
    const struct field *sub; /* V_ARR: the keys of its objects */
    const char *allowed;     /* V_STR: "|a|b|" or NULL */
} field;

static const field GRANT_F[] = {{"privilege", V_STR, 1, NULL, NULL},
                                {"grantee", V_STR, 1, NULL, NULL},
                                {"grantable", V_BOOL, 0, NULL, NULL},
                                {"revoked", V_BOOL, 0, NULL, NULL},
                                {NULL, V_STR, 0, NULL, NULL}};
static const field COLUMN_F[] = {{"name", V_STR, 1, NULL, NULL},
                                 {"type", V_STR, 1, NULL, NULL},
                                 {"not_null", V_BOOL, 0, NULL, NULL},
                                 {"default", V_STR, 0, NULL, NULL},
                                 {"generated", V_STR, 0, NULL, NULL},
                                 {"identity", V_STR, 0, NULL, "|always|by default|"},
                                 {"identity_options", V_STR, 0, NULL, NULL},
                                 {"collation", V_STR, 0, NULL, NULL},
                                 {"inherited", V_BOOL, 0, NULL, NULL},
                                 {"storage", V_STR, 0, NULL, "|p|e|m|x|"},
                                 {"comment", V_STR, 0, NULL, NULL},
                                 {"grants", V_ARR, 0, GRANT_F, NULL},
                                 {NULL, V_STR, 0, NULL, NULL}};
static const field CONSTRAINT_F[] = {{"name", V_STR, 1, NULL, NULL},
                                     {"type", V_STR, 1, NULL, "|primary key|unique|check|foreign key|exclude|"},
                                     {"def", V_STR, 1, NULL, NULL},
                                     {"references", V_STR, 0, NULL, NULL},
                                     {"comment", V_STR, 0, NULL, NULL},
                                     {NULL, V_STR, 0, NULL, NULL}};
static const field DCON_F[] = {
    {"name", V_STR, 1, NULL, NULL}, {"def", V_STR, 1, NULL, NULL}, {NULL, V_STR, 0, NULL, NULL}};
static const field ATTR_F[] = {{"name", V_STR, 1, NULL, NULL},
                               {"type", V_STR, 1, NULL, NULL},
                               {"collation", V_STR, 0, NULL, NULL},
                               {NULL, V_STR, 0, NULL, NULL}};

#define F_KIND {"kind", V_STR, 1, NULL, NULL}, {"name", V_STR, 1, NULL, NULL}, {"comment", V_STR, 0, NULL, NULL}
#define F_SCHEMA {"schema", V_STR, 1, NULL, NULL}
#define F_OWNER {"owner", V_STR, 0, NULL, NULL}
#define F_GRANTS {"grants", V_ARR, 0, GRANT_F, NULL}
#define F_END {NULL, V_STR, 0, NULL, NULL}
#define F_ENABLED {"enabled", V_STR, 0, NULL, "|disabled|replica|always|"}

static const field SCHEMA_F[] = {F_KIND, F_OWNER, F_GRANTS, F_END};
static const field EXTENSION_F[] = {
    F_KIND, {"extension_schema", V_STR, 0, NULL, NULL}, {"version", V_STR, 0, NULL, NULL}, F_END};
static const field TYPE_F[] = {F_KIND,
                               F_SCHEMA,
                               F_OWNER,
                               F_GRANTS,
                               {"type_kind", V_STR, 1, NULL, "|enum|domain|composite|range|"},
                               {"labels", V_STRS, 0, NULL, NULL},
                               {"base_type", V_STR, 0, NULL, NULL},
                               {"not_null", V_BOOL, 0, NULL, NULL},
                               {"default", V_STR, 0, NULL, NULL},
                               {"collation", V_STR, 0, NULL, NULL},
                               {"constraints", V_ARR, 0, DCON_F, NULL},
                               {"attributes", V_ARR, 0, ATTR_F, NULL},
                               {"range", V_STR, 0, NULL, NULL},
                               F_END};
static const field SEQUENCE_F[] = {F_KIND,
                                   F_SCHEMA,
                                   F_OWNER,
                                   F_GRANTS,
                                   {"unlogged", V_BOOL, 0, NULL, NULL},
                                   {"type", V_STR, 0, NULL, NULL},
                                   {"start", V_STR, 0, NULL, NULL},
                                   {"increment", V_STR, 0, NULL, NULL},
                                   {"min", V_STR, 0, NULL, NULL},
                                   {"max", V_STR, 0, NULL, NULL},
                                   {"cache", V_STR, 0, NULL, NULL},
                                   {"cycle", V_BOOL, 0, NULL, NULL},
                                   {"owned_by", V_STR, 0, NULL, NULL},
                                   F_END};
static const field FUNCTION_F[] = {F_KIND,
                                   F_SCHEMA,
                                   F_OWNER,
                                   F_GRANTS,
                                   {"arguments", V_STR, 0, NULL, NULL},
                                   {"procedure", V_BOOL, 0, NULL, NULL},
                                   {"returns", V_STR, 0, NULL, NULL},
                                   {"def", V_STR, 1, NULL, NULL},
                                   F_END};
static const field TABLE_F[] = {F_KIND,
                                F_SCHEMA,
                                F_OWNER,
                                F_GRANTS,
                                {"unlogged", V_BOOL, 0, NULL, NULL},
                                {"partition_by", V_STR, 0, NULL, NULL},
                                {"partition_of", V_STR, 0, NULL, NULL},
                                {"partition_bound", V_STR, 0, NULL, NULL},
                                {"inherits", V_STRS, 0, NULL, NULL},
                                {"row_security", V_BOOL, 0, NULL, NULL},
                                {"force_row_security", V_BOOL, 0, NULL, NULL},
                                {"options", V_STRS, 0, NULL, NULL},
                                {"columns", V_ARR, 0, COLUMN_F, NULL},
                                {"constraints", V_ARR, 0, CONSTRAINT_F, NULL},
                                F_END};
static const field INDEX_F[] = {
    F_KIND, F_SCHEMA, {"table", V_STR, 1, NULL, NULL}, {"def", V_STR, 1, NULL, NULL}, F_END};
static const field VIEW_F[] = {F_KIND,
                               F_SCHEMA,
                               F_OWNER,
                               F_GRANTS,
                               {"materialized", V_BOOL, 0, NULL, NULL},
                               {"with_no_data", V_BOOL, 0, NULL, NULL},
                               {"options", V_STRS, 0, NULL, NULL},
                               {"select", V_STR, 1, NULL, NULL},
                               {"column_comments", V_MAP, 0, NULL, NULL},
                               {"depends_on", V_STRS, 0, NULL, NULL},
                               F_END};
static const field TRIGGER_F[] = {
    F_KIND, F_SCHEMA, {"table", V_STR, 1, NULL, NULL}, {"def", V_STR, 1, NULL, NULL}, F_ENABLED, F_END};
static const field POLICY_F[] = {F_KIND,
                                 F_SCHEMA,
                                 {"table", V_STR, 1, NULL, NULL},
                                 {"permissive", V_BOOL, 0, NULL, NULL},
                                 {"command", V_STR, 0, NULL, "|SELECT|INSERT|UPDATE|DELETE|ALL|"},
                                 {"roles", V_STRS, 0, NULL, NULL},
                                 {"using", V_STR, 0, NULL, NULL},
                                 {"with_check", V_STR, 0, NULL, NULL},
                                 F_END};
static const field EVTRIG_F[] = {F_KIND,
                                 F_OWNER,
                                 {"event", V_STR, 1, NULL, NULL},
                                 {"tags", V_STRS, 0, NULL, NULL},
                                 {"function", V_STR, 1, NULL, NULL},
                                 F_ENABLED,
                                 F_END};

static const field *const KIND_FIELDS[K_N] = {SCHEMA_F, EXTENSION_F, TYPE_F,    SEQUENCE_F, FUNCTION_F, TABLE_F,
                                              INDEX_F,  VIEW_F,      TRIGGER_F, POLICY_F,   EVTRIG_F};

/* ---- the model ---------------------------------------------------------------------------------- */

/* per-column plan flags */
/* C_RETYPE: the column's type is made again (its name stays): the column is converted to the new one */
enum { C_GONE = 1, C_TYPE = 2, C_COLL = 4, C_REDO = 8, C_DEARLY = 16, C_NEW = 32, C_RETYPE = 64 };
/* per-constraint plan flags: dropped (from side), added (to side) */
enum { KF_DROP = 1, KF_ADD = 2 };

typedef struct pobj {
    json_t *j;
    int kind, idx;
    const char *schema, *name, *table; /* the matching key (the from side after the renames) */
    const char *oname, *otable;        /* the names before the renames (from side) */
    struct pobj *peer;                 /* the object on the other side, or NULL */
    int drop;                          /* from: dropped in this direction; to: created */
    int recreate;                      /* dropped and created again */
    int visit;                         /* depth-first walks: 0 new, 1 on the path, 2 done */
    json_t *cols, *cons;
    int ncols, ncons;
    int *cmap;            /* column i <-> the other side's column, -1 when none */
    unsigned char *cfl;   /* C_* */
    unsigned char *kfl;   /* KF_* */
    int *kmap;            /* constraint i renamed: the other side's constraint, else -1 */
    const char *qname;    /* the name as SQL, once computed (types) */
} pobj;

typedef struct side {
    const char *label; /* "from" or "to": for errors */
    json_t *root;
    pobj *v;
    int n;
    int *slot; /* hash index: object index + 1, 0 empty */
    unsigned mask;
} side;

typedef struct hint {
    const char *schema, *table, *column, *to;
} hint;

typedef struct olist {
    pobj **v;
    int n;
} olist;

typedef struct dir {
    mig_arena *ar;
    mig_err *err;
    side *F, *T;
    const hint *h;
    int nh;
    mig_strlist out;    /* statements, in order (phases 2-9) */
    mig_strlist addval; /* ALTER TYPE ... ADD VALUE */
    mig_strlist newlabels;
    mig_strlist dropfn; /* the qualified names of the functions dropped, as the server prints them */
    int funcs; /* functions are created or replaced */
    json_t *keep; /* JSON made while rendering, released at the end */
    olist types;  /* topo(): the types that take part */
    int oom;
} dir;

/* ---- small helpers ------------------------------------------------------------------------------ */

static json_t *J(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_null(v) ? NULL : v;
}

static const char *S(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int Bv(json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

static int seq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int jeq(json_t *a, json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal(a, b);
}

/* same value of key k in both objects (absent = absent) */
static int same(json_t *a, json_t *b, const char *k)
{
    return jeq(J(a, k), J(b, k));
}

/* ---- names -------------------------------------------------------------------------------------- */

/* PostgreSQL's keywords that are not UNRESERVED_KEYWORD (pg_get_keywords() of
 * PostgreSQL 15, catcode <> 'U'): quote_ident and pg_dump quote them. */
static const char *const KEYWORDS[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
    "bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "coalesce",
    "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "dec",
    "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists", "extract",
    "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant", "greatest", "group", "grouping",
    "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
    "isnull", "join", "json_array", "json_arrayagg", "json_object", "json_objectagg", "json_scalar",
    "json_serialize", "lateral", "leading", "least", "left", "like", "limit", "localtime", "localtimestamp",
    "merge_action", "national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
    "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing", "position",
    "precision", "primary", "real", "references", "returning", "right", "row", "select", "session_user", "setof",
    "similar", "smallint", "some", "substring", "symmetric", "system_user", "table", "tablesample", "then", "time",
    "timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique", "user", "using", "values", "varchar",
    "variadic", "verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement",
    "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"};

static int kw_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Can the identifier be written bare, as quote_ident() decides? */
static int ident_safe(const char *s)
{
    const char *p;
    if (!(*s >= 'a' && *s <= 'z') && *s != '_')
        return 0;
    for (p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return !bsearch(&s, KEYWORDS, sizeof KEYWORDS / sizeof KEYWORDS[0], sizeof KEYWORDS[0], kw_cmp);
}

static void put_id(mig_buf *b, const char *s)
{
    if (ident_safe(s)) {
        mig_buf_puts(b, s);
        return;
    }
    mig_buf_putn(b, "\"", 1);
    for (; *s; s++)
        mig_buf_putn(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    mig_buf_putn(b, "\"", 1);
}

static void put_qn(mig_buf *b, const char *schema, const char *name)
{
    if (schema) {
        put_id(b, schema);
        mig_buf_putn(b, ".", 1);
    }
    put_id(b, name);
}

/* Text without its trailing white space and ';' (a view's SELECT, a function's definition). */
static void put_trimmed(mig_buf *b, const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == ';'))
        n--;
    mig_buf_putn(b, s, n);
}

/* The name of a function without its argument types ("f(integer)" -> "f"). */
static const char *func_base(dir *d, const char *name)
{
    const char *p = strchr(name, '(');
    char *r;
    if (!p)
        return name;
    if (!(r = mig_strndup(d->ar, name, (size_t)(p - name))))
        d->oom = 1;
    return r ? r : "";
}

/* A qualified name as the server prints it ("app.\"T\"", "app.f(integer)",
 * "app.t.col", "app.mood[]"), split into its raw parts (at most 3); rest: what
 * follows the last name ("(integer)", "[]", ""). */
typedef struct qname {
    const char *part[3];
    int n;
    const char *rest;
} qname;

static int parse_qual(dir *d, const char *s, qname *q)
{
    memset(q, 0, sizeof *q);
    while (*s && q->n < 3) {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        if (*s == '"') {
            for (s++;; s++) {
                if (!*s)
                    return -1;
                if (*s == '"') {
                    if (s[1] != '"') {
                        s++;
                        break;
                    }
                    s++;
                }
                mig_buf_putn(&b, s, 1);
            }
        } else {
            const char *e = s;
            while (*e && *e != '.' && *e != '(' && *e != '[' && *e != ' ')
                e++;
            if (e == s)
                return -1;
            mig_buf_putn(&b, s, (size_t)(e - s));
            s = e;
        }
        if (b.oom) {
            d->oom = 1;
            return -1;
        }
        q->part[q->n++] = b.data ? b.data : "";
        if (*s != '.')
            break;
        s++;
    }
    q->rest = s;
    return 0;
}

/* ---- reading and checking a document ------------------------------------------------------------ */

static int check_obj(json_t *o, const field *spec, const char *path, const char *side_label, mig_err *err);

static int check_value(json_t *v, const field *f, const char *path, const char *side_label, mig_err *err)
{
    size_t i;
    const char *k;
    json_t *x;
    char sub[512];
    switch (f->t) {
    case V_STR:
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected a string", side_label, path);
        if (f->allowed) {
            char probe[64];
            if (json_string_length(v) > 40)
                return mig_fail(err, MIG_E_INPUT, "%s: %s: unknown value", side_label, path);
            snprintf(probe, sizeof probe, "|%s|", json_string_value(v));
            if (!strstr(f->allowed, probe))
                return mig_fail(err, MIG_E_INPUT, "%s: %s: unknown value \"%s\"", side_label, path,
                                json_string_value(v));
        }
        return 0;
    case V_BOOL:
        if (!json_is_boolean(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected true or false", side_label, path);
        return 0;
    case V_STRS:
        if (!json_is_array(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected an array of strings", side_label, path);
        json_array_foreach(v, i, x) if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
            return mig_fail(err, MIG_E_INPUT, "%s: %s[%zu]: expected a string", side_label, path, i);
        return 0;
    case V_MAP:
        if (!json_is_object(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected an object of strings", side_label, path);
        json_object_foreach(v, k, x) {
            if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
                return mig_fail(err, MIG_E_INPUT, "%s: %s.%.100s: expected a string", side_label, path, k);
        }
        return 0;
    case V_ARR:
        if (!json_is_array(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected an array", side_label, path);
        json_array_foreach(v, i, x)
        {
            snprintf(sub, sizeof sub, "%.300s[%zu]", path, i);
            if (check_obj(x, f->sub, sub, side_label, err))
                return -1;
        }
        return 0;
    }
    return 0;
}

static int check_obj(json_t *o, const field *spec, const char *path, const char *side_label, mig_err *err)
{
    const char *key;
    json_t *v;
    const field *f;
    char sub[512];
    if (!json_is_object(o))
        return mig_fail(err, MIG_E_INPUT, "%s: %s: expected an object", side_label, path);
    json_object_foreach(o, key, v) {
        for (f = spec; f->key && strcmp(f->key, key) != 0; f++)
            ;
        snprintf(sub, sizeof sub, "%.300s.%.100s", path, key);
        if (!f->key)
            return mig_fail(err, MIG_E_INPUT, "%s: %s: unknown key", side_label, sub);
        if (json_is_null(v))
            continue;
        if (check_value(v, f, sub, side_label, err))
            return -1;
    }
    for (f = spec; f->key; f++)
        if (f->req && !J(o, f->key)) {
            snprintf(sub, sizeof sub, "%.300s.%.100s", path, f->key);
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected %s", side_label, sub,
                            f->t == V_STR ? "a string" : "a value");
        }
    return 0;
}

static unsigned fnv(unsigned h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return (h ^ 0xffu) * 16777619u;
}

static const char *key_table(int kind, const char *table)
{
    return kind == K_TRIGGER || kind == K_POLICY ? table : NULL;
}

static unsigned hkey(int kind, const char *schema, const char *table, const char *name)
{
    unsigned h = 2166136261u ^ (unsigned)kind;
    return fnv(fnv(fnv(h, schema), key_table(kind, table)), name);
}

static pobj *find(const side *s, int kind, const char *schema, const char *table, const char *name)
{
    unsigned j;
    if (!s->slot || !name)
        return NULL;
    for (j = hkey(kind, schema, table, name) & s->mask; s->slot[j]; j = (j + 1) & s->mask) {
        pobj *o = &s->v[s->slot[j] - 1];
        if (o->kind == kind && seq(o->schema, schema) && seq(o->name, name) &&
            seq(key_table(kind, o->table), key_table(kind, table)))
            return o;
    }
    return NULL;
}

/* (Re)build the hash index; a second object with one key is an error. */
static int build_index(mig_arena *ar, side *s, mig_err *err)
{
    unsigned cap = 16;
    int i;
    while (cap < (unsigned)s->n * 2 + 2)
        cap <<= 1;
    if (!(s->slot = mig_alloc0(ar, sizeof(int) * cap)))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    s->mask = cap - 1;
    for (i = 0; i < s->n; i++) {
        pobj *o = &s->v[i];
        unsigned j;
        if (find(s, o->kind, o->schema, o->table, o->name))
            return mig_fail(err, MIG_E_INPUT, "%s: objects[%d]: a second %s %s%s%.200s", s->label, o->idx,
                            KIND_NAMES[o->kind], o->schema ? o->schema : "", o->schema ? "." : "", o->name);
        for (j = hkey(o->kind, o->schema, o->table, o->name) & s->mask; s->slot[j]; j = (j + 1) & s->mask)
            ;
        s->slot[j] = i + 1;
    }
    return 0;
}

/* A name given twice in a list of an object (columns, constraints, attributes, enum labels) is an error. */
static int dup_names(json_t *o, const char *key, const char *path, const char *label, mig_err *err)
{
    json_t *l = J(o, key), *x, *y;
    size_t i, k;
    json_array_foreach(l, i, x)
    {
        const char *n = json_is_string(x) ? json_string_value(x) : S(x, "name");
        for (k = 0; k < i; k++) {
            y = json_array_get(l, k);
            if (seq(n, json_is_string(y) ? json_string_value(y) : S(y, "name")))
                return mig_fail(err, MIG_E_INPUT, "%s: %s.%s[%zu]: \"%.100s\" a second time", label, path, key, i, n);
        }
    }
    return 0;
}

static int load_side(mig_arena *ar, const char *text, size_t len, const char *label, side *s, mig_err *err)
{
    json_error_t jerr;
    json_t *root, *objs, *v;
    const char *key;
    size_t i;
    memset(s, 0, sizeof *s);
    s->label = label;
    if (!text)
        return mig_fail(err, MIG_E_INPUT, "%s: no snapshot document", label);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "%s: invalid JSON at line %d, column %d: %s", label, jerr.line, jerr.column,
                        jerr.text);
    s->root = root;
    if (!json_is_object(root))
        return mig_fail(err, MIG_E_INPUT, "%s: not a snapshot document (expected a JSON object)", label);
    json_object_foreach(root, key, v) {
        if (strcmp(key, "mig_snapshot") != 0 && strcmp(key, "dialect") != 0 && strcmp(key, "objects") != 0)
            return mig_fail(err, MIG_E_INPUT, "%s: %.100s: unknown key", label, key);
    }
    if (!json_is_integer(json_object_get(root, "mig_snapshot")) ||
        json_integer_value(json_object_get(root, "mig_snapshot")) != 1)
        return mig_fail(err, MIG_E_INPUT, "%s: mig_snapshot: expected 1 (the snapshot format's version)", label);
    if (!seq(S(root, "dialect"), "postgresql"))
        return mig_fail(err, MIG_E_INPUT, "%s: dialect: expected \"postgresql\"", label);
    objs = json_object_get(root, "objects");
    if (!json_is_array(objs))
        return mig_fail(err, MIG_E_INPUT, "%s: objects: expected an array", label);
    s->n = (int)json_array_size(objs);
    if (!(s->v = mig_alloc0(ar, sizeof(pobj) * (size_t)(s->n ? s->n : 1))))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    json_array_foreach(objs, i, v)
    {
        pobj *o = &s->v[i];
        char path[64];
        const char *kind;
        int k;
        snprintf(path, sizeof path, "objects[%zu]", i);
        if (!json_is_object(v))
            return mig_fail(err, MIG_E_INPUT, "%s: %s: expected an object", label, path);
        kind = S(v, "kind");
        for (k = 0; k < K_N && !seq(kind, KIND_NAMES[k]); k++)
            ;
        if (k == K_N)
            return mig_fail(err, MIG_E_INPUT, "%s: %s.kind: %s", label, path,
                            kind ? "unknown kind" : "expected a string");
        if (check_obj(v, KIND_FIELDS[k], path, label, err))
            return -1;
        o->j = v;
        o->kind = k;
        o->idx = (int)i;
        o->schema = S(v, "schema");
        o->name = o->oname = S(v, "name");
        o->table = o->otable = S(v, "table");
        if (k == K_FUNCTION && !strchr(o->name, '('))
            return mig_fail(err, MIG_E_INPUT, "%s: %s.name: expected a name with its argument types, \"f(integer)\"",
                            label, path);
        if (dup_names(v, "columns", path, label, err) || dup_names(v, "constraints", path, label, err) ||
            dup_names(v, "attributes", path, label, err) || dup_names(v, "labels", path, label, err))
            return -1;
        if (k == K_TABLE) {
            o->cols = J(v, "columns");
            o->cons = J(v, "constraints");
            o->ncols = (int)json_array_size(o->cols);
            o->ncons = (int)json_array_size(o->cons);
            if (!(o->cmap = mig_alloc0(ar, sizeof(int) * (size_t)(o->ncols + 1))) ||
                !(o->cfl = mig_alloc0(ar, (size_t)o->ncols + 1)) || !(o->kfl = mig_alloc0(ar, (size_t)o->ncons + 1)) ||
                !(o->kmap = mig_alloc(ar, sizeof(int) * (size_t)(o->ncons + 1))))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
            memset(o->kmap, 0xff, sizeof(int) * (size_t)(o->ncons + 1)); /* -1 */
        }
    }
    return 0;
}

/* ---- the rename hints --------------------------------------------------------------------------- */

static int parse_hints(mig_arena *ar, const char *opts, hint **out, int *n, mig_err *err)
{
    json_error_t jerr;
    json_t *root, *r, *x;
    const char *key;
    size_t i;
    int rc = -1;
    *out = NULL;
    *n = 0;
    if (!opts || !*opts)
        return 0;
    if (!(root = json_loads(opts, JSON_REJECT_DUPLICATES, &jerr)))
        return mig_fail(err, MIG_E_INPUT, "options: invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    if (!json_is_object(root)) {
        mig_fail(err, MIG_E_INPUT, "options: expected a JSON object, e.g. {\"renames\": [...]}");
        goto done;
    }
    json_object_foreach(root, key, x) {
        if (strcmp(key, "renames") != 0) {
            mig_fail(err, MIG_E_INPUT, "options: unknown key \"%.100s\" (known: renames)", key);
            goto done;
        }
    }
    r = json_object_get(root, "renames");
    if (r && !json_is_array(r)) {
        mig_fail(err, MIG_E_INPUT, "options: renames: expected an array");
        goto done;
    }
    if (!(*out = mig_alloc0(ar, sizeof(hint) * (json_array_size(r) + 1)))) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(r, i, x)
    {
        hint *h = &(*out)[i];
        const char **dst;
        json_t *v;
        if (!json_is_object(x)) {
            mig_fail(err, MIG_E_INPUT, "options: renames[%zu]: expected an object", i);
            goto done;
        }
        json_object_foreach(x, key, v) {
            dst = strcmp(key, "schema") == 0   ? &h->schema
                  : strcmp(key, "table") == 0  ? &h->table
                  : strcmp(key, "column") == 0 ? &h->column
                  : strcmp(key, "to") == 0     ? &h->to
                                               : NULL;
            if (!dst) {
                mig_fail(err, MIG_E_INPUT, "options: renames[%zu].%.100s: unknown key (known: schema, table, column, to)",
                         i, key);
                goto done;
            }
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                strlen(json_string_value(v)) != json_string_length(v)) {
                mig_fail(err, MIG_E_INPUT, "options: renames[%zu].%s: expected a non-empty string", i, key);
                goto done;
            }
            if (!(*dst = mig_strdup(ar, json_string_value(v)))) {
                mig_fail(err, MIG_E_NOMEM, "out of memory");
                goto done;
            }
        }
        if (!h->table || !h->to) {
            mig_fail(err, MIG_E_INPUT, "options: renames[%zu]: a hint needs \"table\" and \"to\"", i);
            goto done;
        }
        if (!h->schema)
            h->schema = "public";
        (*n)++;
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* The hints of the way back: a table hint inverted; a column hint names its
 * table as the way back's `to` has it (its old name when a hint renames it). */
static int invert_hints(mig_arena *ar, const hint *h, int n, hint **out, mig_err *err)
{
    int i, k;
    if (!(*out = mig_alloc0(ar, sizeof(hint) * (size_t)(n + 1))))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        hint *v = &(*out)[i];
        *v = h[i];
        if (!h[i].column) {
            v->table = h[i].to;
            v->to = h[i].table;
            continue;
        }
        v->column = h[i].to;
        v->to = h[i].column;
        for (k = 0; k < n; k++)
            if (!h[k].column && seq(h[k].schema, h[i].schema) && seq(h[k].to, h[i].table))
                v->table = h[k].table;
    }
    return 0;
}

static int col_index(json_t *cols, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) if (seq(S(c, "name"), name)) return (int)i;
    return -1;
}

/* Apply the hints to the from side (its names, and the tables of its
 * indexes, triggers and policies), checking each. */
static int apply_hints(dir *d)
{
    int i, k;
    side *F = d->F, *T = d->T;
    for (i = 0; i < d->nh; i++) {
        const hint *h = &d->h[i];
        pobj *f;
        if (h->column)
            continue;
        if (!(f = find(F, K_TABLE, h->schema, NULL, h->table)))
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: %s has no table %s.%s", i, F->label, h->schema,
                            h->table);
        if (find(F, K_TABLE, h->schema, NULL, h->to))
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: %s already has a table %s.%s", i, F->label,
                            h->schema, h->to);
        if (!find(T, K_TABLE, h->schema, NULL, h->to))
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: %s has no table %s.%s", i, T->label, h->schema,
                            h->to);
        f->name = h->to;
        for (k = 0; k < F->n; k++) {
            pobj *o = &F->v[k];
            if ((o->kind == K_INDEX || o->kind == K_TRIGGER || o->kind == K_POLICY) && seq(o->schema, h->schema) &&
                seq(o->otable, h->table))
                o->table = h->to;
        }
        if (build_index(d->ar, F, d->err))
            return -1;
    }
    for (i = 0; i < d->nh; i++) {
        const hint *h = &d->h[i];
        pobj *f, *t;
        if (!h->column)
            continue;
        f = find(F, K_TABLE, h->schema, NULL, h->table);
        t = find(T, K_TABLE, h->schema, NULL, h->table);
        if (!f || !t)
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: %s has no table %s.%s", i, f ? T->label : F->label,
                            h->schema, h->table);
        if (col_index(f->cols, h->column) < 0)
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: table %s.%s of %s has no column %s", i, h->schema,
                            h->table, F->label, h->column);
        if (col_index(f->cols, h->to) >= 0)
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: table %s.%s of %s already has a column %s", i,
                            h->schema, h->table, F->label, h->to);
        if (col_index(t->cols, h->to) < 0)
            return mig_fail(d->err, MIG_E_INPUT, "rename hint %d: table %s.%s of %s has no column %s", i, h->schema,
                            h->table, T->label, h->to);
    }
    return 0;
}

/* A from-side column's name after the column hints. */
static const char *col_renamed(const dir *d, const pobj *f, const char *col)
{
    int i;
    for (i = 0; i < d->nh; i++)
        if (d->h[i].column && seq(d->h[i].schema, f->schema) && seq(d->h[i].table, f->name) &&
            seq(d->h[i].column, col))
            return d->h[i].to;
    return col;
}

/* A table's name on the from side after the table hints. */
static const char *table_renamed(const dir *d, const char *schema, const char *name)
{
    int i;
    for (i = 0; i < d->nh; i++)
        if (!d->h[i].column && seq(d->h[i].schema, schema) && seq(d->h[i].table, name))
            return d->h[i].to;
    return name;
}

/* ---- statements --------------------------------------------------------------------------------- */

static void add(dir *d, mig_strlist *l, const char *s)
{
    if (!s || mig_strlist_add(d->ar, l, s))
        d->oom = 1;
}

static void done(dir *d, mig_buf *b)
{
    if (b->oom || !b->data)
        d->oom = 1;
    else
        add(d, &d->out, b->data);
}

static void loss(dir *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void loss(dir *d, const char *fmt, ...)
{
    va_list ap;
    char what[1024];
    mig_buf b;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, MIG_SCHEMA_LOSS_MARK);
    mig_buf_comment(&b, what);
    done(d, &b);
}

/* A note for the reviewer (a comment line). */
static void note(dir *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(dir *d, const char *fmt, ...)
{
    va_list ap;
    char what[1024];
    mig_buf b;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "-- ");
    mig_buf_comment(&b, what);
    done(d, &b);
}

static const char *chk(dir *d, const char *s)
{
    if (!s)
        d->oom = 1;
    return s ? s : "";
}

/* A name as SQL, in the arena (for messages and statements). */
static const char *qn(dir *d, const char *schema, const char *name)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    put_qn(&b, schema, name);
    if (b.oom || !b.data) {
        d->oom = 1;
        return "";
    }
    return b.data;
}

/* The kind's word in COMMENT ON, DROP, ALTER ... OWNER TO. */
static const char *sql_kind(const pobj *o)
{
    switch (o->kind) {
    case K_SCHEMA:
        return "SCHEMA";
    case K_EXTENSION:
        return "EXTENSION";
    case K_TYPE:
        return seq(S(o->j, "type_kind"), "domain") ? "DOMAIN" : "TYPE";
    case K_SEQUENCE:
        return "SEQUENCE";
    case K_FUNCTION:
        return Bv(o->j, "procedure") ? "PROCEDURE" : "FUNCTION";
    case K_TABLE:
        return "TABLE";
    case K_INDEX:
        return "INDEX";
    case K_VIEW:
        return Bv(o->j, "materialized") ? "MATERIALIZED VIEW" : "VIEW";
    case K_TRIGGER:
        return "TRIGGER";
    case K_POLICY:
        return "POLICY";
    default:
        return "EVENT TRIGGER";
    }
}

/* The object's name as SQL: "app.t", "app.f(x integer)", "tr ON app.t";
 * orig: the name the database has before the renames. */
static void put_ref(mig_buf *b, dir *d, const pobj *o, int orig)
{
    switch (o->kind) {
    case K_SCHEMA:
    case K_EXTENSION:
    case K_EVTRIG:
        put_id(b, o->name);
        return;
    case K_FUNCTION:
        put_qn(b, o->schema, func_base(d, o->name));
        mig_buf_puts(b, "(");
        mig_buf_puts(b, S(o->j, "arguments") ? S(o->j, "arguments") : "");
        mig_buf_puts(b, ")");
        return;
    case K_TRIGGER:
    case K_POLICY:
        put_id(b, o->name);
        mig_buf_puts(b, " ON ");
        put_qn(b, o->schema, orig ? o->otable : o->table);
        return;
    default:
        put_qn(b, o->schema, orig ? o->oname : o->name);
    }
}

static const char *ref(dir *d, const pobj *o, int orig)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    put_ref(&b, d, o, orig);
    if (b.oom || !b.data) {
        d->oom = 1;
        return "";
    }
    return b.data;
}

static void simple(dir *d, const char *a, const char *b_, const char *c)
{
    mig_buf b;
    if (!a || !b_) {
        d->oom = 1;
        return;
    }
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, a);
    mig_buf_puts(&b, b_);
    if (c)
        mig_buf_puts(&b, c);
    done(d, &b);
}

/* "ALTER TABLE app.t " */
static void alter_table(mig_buf *b, const char *schema, const char *name)
{
    mig_buf_puts(b, "ALTER TABLE ");
    put_qn(b, schema, name);
    mig_buf_puts(b, " ");
}

/* DROP <kind> <name> */
static void drop_obj(dir *d, const pobj *f)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "DROP ");
    mig_buf_puts(&b, sql_kind(f));
    mig_buf_puts(&b, " ");
    put_ref(&b, d, f, 1);
    done(d, &b);
}

/* Does `text` mention `name` (a qualified name as the server prints it) as a
 * whole name, followed by `after` when given ("(" for a function)? */
static int mentions(const char *text, const char *name, const char *after)
{
    size_t n = strlen(name);
    const char *p;
    if (!text || !n)
        return 0;
    for (p = strstr(text, name); p; p = strstr(p + 1, name)) {
        char prev = p == text ? ' ' : p[-1], next = p[n];
        if (prev == '.' || prev == '"' || prev == '_' || (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') ||
            (prev >= 'A' && prev <= 'Z'))
            continue;
        if (after ? strncmp(p + n, after, strlen(after)) == 0
                  : !(next == '_' || next == '.' || next == '"' || (next >= 'a' && next <= 'z') ||
                      (next >= '0' && next <= '9') || (next >= 'A' && next <= 'Z')))
            return 1;
    }
    return 0;
}

static int ident_char(char c)
{
    return c == '_' || c == '"' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

/* Does `text` (deparsed SQL) mention the column `col` (a raw name) as a whole word? */
static int mentions_col(dir *d, const char *text, const char *col)
{
    const char *q = qn(d, NULL, col), *p;
    size_t n = strlen(q);
    if (!text || !n)
        return 0;
    for (p = strstr(text, q); p; p = strstr(p + 1, q))
        if ((p == text || !ident_char(p[-1])) && !ident_char(p[n]))
            return 1;
    return 0;
}

/* A from-side text of table f (an expression, a constraint, an index or a
 * trigger) as PostgreSQL deparses it after the renames of the hints: the
 * columns of f renamed, and the tables renamed where they are qualified.
 * What is equal after it needs no change (the server rewrote it). */
static const char *renamed_text(dir *d, const pobj *f, const char *text)
{
    mig_buf b;
    const char *p;
    int i, any = 0;
    if (!text || !f || !d->nh)
        return text;
    for (i = 0; i < d->nh; i++)
        any |= seq(d->h[i].schema, f->schema);
    if (!any)
        return text;
    mig_buf_init(&b, d->ar);
    for (p = text; *p;) {
        int done_here = 0;
        if (p == text || !ident_char(p[-1]))
            for (i = 0; i < d->nh && !done_here; i++) {
                const hint *h = &d->h[i];
                const char *from, *to;
                size_t n;
                if (!seq(h->schema, f->schema) || (h->column && !seq(h->table, f->name)))
                    continue;
                from = h->column ? qn(d, NULL, h->column) : qn(d, h->schema, h->table);
                to = h->column ? qn(d, NULL, h->to) : qn(d, h->schema, h->to);
                n = strlen(from);
                if (n && strncmp(p, from, n) == 0 && !ident_char(p[n])) {
                    mig_buf_puts(&b, to);
                    p += n;
                    done_here = 1;
                }
            }
        if (!done_here)
            mig_buf_putn(&b, p++, 1);
    }
    if (b.oom || !b.data) {
        d->oom = 1;
        return text;
    }
    return b.data;
}

/* Does `text` mention a column of from-side table f that is dropped and added again? */
static int mentions_redo(dir *d, const pobj *f, const char *text)
{
    int c;
    for (c = 0; f && f->kind == K_TABLE && c < f->ncols && text; c++)
        if ((f->cfl[c] & C_REDO) && mentions_col(d, text, S(json_array_get(f->cols, (size_t)c), "name")))
            return 1;
    return 0;
}

/* ---- plan: what goes, what comes ---------------------------------------------------------------- */

static void set_drop(pobj *f)
{
    f->drop = 1;
    if (f->peer) {
        f->recreate = f->peer->recreate = 1;
        f->peer->drop = 1;
    }
}

/* Does the text call a from-side function that is dropped (gone, or dropped and made again)? */
static int func_dropped_mentioned(dir *d, const char *text)
{
    int i;
    for (i = 0; i < d->dropfn.n && text; i++)
        if (mentions(text, d->dropfn.v[i], "("))
            return 1;
    return 0;
}

/* Enum labels: can `to` be reached with ADD VALUE (from's labels a subsequence, in order)? */
static int labels_grow(json_t *a, json_t *b)
{
    size_t i, k = 0;
    for (i = 0; i < json_array_size(a); i++) {
        const char *l = json_string_value(json_array_get(a, i));
        while (k < json_array_size(b) && !seq(json_string_value(json_array_get(b, k)), l))
            k++;
        if (k == json_array_size(b))
            return 0;
        k++;
    }
    return 1;
}

static int find_attr(json_t *attrs, const char *name)
{
    return col_index(attrs, name);
}

/* Composite attributes: kept ones in the same order and new ones after them all? */
static int attrs_alterable(json_t *a, json_t *b)
{
    size_t i;
    int last = -1, first_new = -1;
    json_t *x;
    json_array_foreach(b, i, x)
    {
        int k = find_attr(a, S(x, "name"));
        if (k < 0) {
            if (first_new < 0)
                first_new = (int)i;
            continue;
        }
        if (first_new >= 0 || k < last)
            return 0;
        last = k;
    }
    return 1;
}

static int type_recreate(const pobj *f, const pobj *t)
{
    json_t *a = f->j, *b = t->j;
    const char *k = S(b, "type_kind");
    if (!same(a, b, "type_kind"))
        return 1;
    if (seq(k, "enum"))
        return !labels_grow(J(a, "labels"), J(b, "labels"));
    if (seq(k, "domain"))
        return !same(a, b, "base_type") || !same(a, b, "collation");
    if (seq(k, "composite"))
        return !attrs_alterable(J(a, "attributes"), J(b, "attributes"));
    return !same(a, b, "range");
}

/* Find a relation (table, view, sequence) or type named as the server prints it, on the from side. */
static pobj *from_rel(dir *d, const char *schema, const char *name)
{
    const char *n = table_renamed(d, schema, name);
    pobj *o = find(d->F, K_TABLE, schema, NULL, n);
    if (!o)
        o = find(d->F, K_VIEW, schema, NULL, name);
    if (!o)
        o = find(d->F, K_SEQUENCE, schema, NULL, name);
    if (!o)
        o = find(d->F, K_TYPE, schema, NULL, name);
    return o;
}

/* Is a from-side view dropped: itself, or what it reads (depends_on)? */
static int view_dropped(dir *d, pobj *v)
{
    size_t i;
    json_t *x;
    int r;
    if (v->visit == 2 || v->visit == 1)
        return v->drop;
    v->visit = 1;
    r = v->drop;
    json_array_foreach(J(v->j, "depends_on"), i, x)
    {
        qname q;
        pobj *o;
        if (r)
            break;
        if (parse_qual(d, json_string_value(x), &q) || q.n < 2)
            continue;
        if (*q.rest == '(') {
            const char *fname = chk(d, mig_sprintf(d->ar, "%s%s", q.part[1], q.rest));
            if (!fname) {
                d->oom = 1;
                continue;
            }
            o = find(d->F, K_FUNCTION, q.part[0], NULL, fname);
            r = o && o->drop;
            continue;
        }
        if (!(o = from_rel(d, q.part[0], q.part[1])))
            continue;
        if (o->kind == K_VIEW)
            r = view_dropped(d, o);
        else if (o->drop)
            r = 1;
        else if (o->kind == K_TABLE && q.n == 3) {
            int c = col_index(o->cols, q.part[2]);
            r = c >= 0 && (o->cfl[c] & (C_GONE | C_TYPE | C_COLL | C_REDO | C_RETYPE));
        }
    }
    v->visit = 2;
    if (r && !v->drop)
        set_drop(v);
    return r;
}

/* Columns of a table pair: matched by name (after the column hints); flags. */
static void plan_columns(dir *d, pobj *f, pobj *t)
{
    int i;
    for (i = 0; i < t->ncols; i++) {
        t->cmap[i] = -1;
        t->cfl[i] = C_NEW;
    }
    for (i = 0; i < f->ncols; i++) {
        json_t *fc = json_array_get(f->cols, (size_t)i), *tc;
        int k = col_index(t->cols, col_renamed(d, f, S(fc, "name")));
        f->cmap[i] = k;
        if (k < 0) {
            f->cfl[i] = C_GONE;
            continue;
        }
        tc = json_array_get(t->cols, (size_t)k);
        t->cmap[k] = i;
        t->cfl[k] = 0;
        if (!same(fc, tc, "type"))
            f->cfl[i] |= C_TYPE;
        if (!same(fc, tc, "collation"))
            f->cfl[i] |= C_COLL;
        /* PostgreSQL 15 cannot make a column generated, or change its expression */
        if (J(tc, "generated") && !seq(renamed_text(d, f, S(fc, "generated")), S(tc, "generated")))
            f->cfl[i] |= C_REDO;
        t->cfl[k] = f->cfl[i];
    }
}

static int is_fk(json_t *k)
{
    return seq(S(k, "type"), "foreign key");
}

static pobj *fk_parent(dir *d, json_t *k, int from_side)
{
    qname q;
    if (!S(k, "references") || parse_qual(d, S(k, "references"), &q) || q.n != 2)
        return NULL;
    return from_side ? find(d->F, K_TABLE, q.part[0], NULL, table_renamed(d, q.part[0], q.part[1]))
                     : find(d->T, K_TABLE, q.part[0], NULL, q.part[1]);
}

/* Does a from-side table lose a primary key or unique constraint (that a foreign key may use)? */
static int loses_key(const pobj *p)
{
    int i;
    if (p->drop)
        return 1;
    for (i = 0; i < p->ncons; i++) {
        const char *ty = S(json_array_get(p->cons, (size_t)i), "type");
        if ((p->kfl[i] & KF_DROP) && (seq(ty, "primary key") || seq(ty, "unique")))
            return 1;
    }
    return 0;
}

static void plan_constraints(dir *d, int fks)
{
    int i, c;
    for (i = 0; i < d->F->n; i++) {
        pobj *f = &d->F->v[i], *t = f->peer;
        if (f->kind != K_TABLE)
            continue;
        for (c = 0; c < f->ncons; c++) {
            json_t *k = json_array_get(f->cons, (size_t)c), *tk = NULL;
            int tc = -1;
            if (is_fk(k) != fks)
                continue;
            if (f->drop) {
                /* a foreign key between two tables that go is dropped first */
                pobj *p = fks ? fk_parent(d, k, 1) : NULL;
                if (p && p != f && p->drop)
                    f->kfl[c] |= KF_DROP;
                continue;
            }
            if (t)
                tc = col_index(t->cons, S(k, "name"));
            if (tc >= 0)
                tk = json_array_get(t->cons, (size_t)tc);
            if (!tk || !seq(renamed_text(d, f, S(k, "def")), S(tk, "def")) || func_dropped_mentioned(d, S(k, "def")) || mentions_redo(d, f, S(k, "def")))
                f->kfl[c] |= KF_DROP;
            else if (fks) {
                pobj *p = fk_parent(d, k, 1);
                if (p && loses_key(p)) /* its own table's too */
                    f->kfl[c] |= KF_DROP;
            }
            if (tk && (f->kfl[c] & KF_DROP))
                t->kfl[tc] |= KF_ADD;
        }
    }
    for (i = 0; i < d->T->n; i++) {
        pobj *t = &d->T->v[i];
        if (t->kind != K_TABLE)
            continue;
        for (c = 0; c < t->ncons; c++) {
            json_t *k = json_array_get(t->cons, (size_t)c);
            if (is_fk(k) == fks && (t->drop || !t->peer || col_index(t->peer->cons, S(k, "name")) < 0))
                t->kfl[c] |= KF_ADD;
        }
    }
    /* a constraint that only changes its name (a table or column renamed: t_pkey, u_pkey) is renamed */
    for (i = 0; i < d->F->n; i++) {
        pobj *f = &d->F->v[i], *t = f->peer;
        int tc;
        if (f->kind != K_TABLE || f->drop || !t)
            continue;
        for (c = 0; c < f->ncons; c++) {
            json_t *k = json_array_get(f->cons, (size_t)c);
            const char *def;
            if (is_fk(k) != fks || !(f->kfl[c] & KF_DROP) || col_index(t->cons, S(k, "name")) >= 0 ||
                func_dropped_mentioned(d, S(k, "def")) || mentions_redo(d, f, S(k, "def")))
                continue;
            if (fks && fk_parent(d, k, 1) && loses_key(fk_parent(d, k, 1)))
                continue; /* the key it references is made again: so is it */
            def = renamed_text(d, f, S(k, "def"));
            for (tc = 0; tc < t->ncons; tc++) {
                json_t *x = json_array_get(t->cons, (size_t)tc);
                if ((t->kfl[tc] & KF_ADD) && t->kmap[tc] < 0 && same(k, x, "type") && seq(def, S(x, "def")) &&
                    col_index(f->cons, S(x, "name")) < 0) {
                    f->kmap[c] = tc;
                    t->kmap[tc] = c;
                    f->kfl[c] &= (unsigned char)~KF_DROP;
                    t->kfl[tc] &= (unsigned char)~KF_ADD;
                    break;
                }
            }
        }
    }
}

static int table_changes_type(const pobj *f)
{
    int i;
    for (i = 0; i < f->ncols; i++)
        if (f->cfl[i] & (C_TYPE | C_COLL | C_REDO | C_GONE | C_RETYPE))
            return 1;
    return 0;
}

static void plan(dir *d)
{
    side *F = d->F, *T = d->T;
    int i, changed;
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        t->peer = find(F, t->kind, t->schema, t->table, t->name);
        if (t->peer)
            t->peer->peer = t;
        else
            t->drop = 1; /* new */
    }
    for (i = 0; i < F->n; i++)
        if (!F->v[i].peer)
            F->v[i].drop = 1; /* gone */
    /* own changes that need a drop and a create */
    for (i = 0; i < F->n; i++) {
        pobj *f = &F->v[i], *t = f->peer;
        json_t *a = f->j, *b;
        if (!t)
            continue;
        b = t->j;
        switch (f->kind) {
        case K_FUNCTION:
            if (!same(a, b, "def") &&
                (!same(a, b, "returns") || !same(a, b, "arguments") || !same(a, b, "procedure")))
                set_drop(f);
            break;
        case K_TYPE:
            if (type_recreate(f, t))
                set_drop(f);
            break;
        case K_TABLE:
            if (!seq(renamed_text(d, f, S(a, "partition_by")), S(b, "partition_by")))
                set_drop(f);
            break;
        case K_VIEW:
            if (!same(a, b, "select") || !same(a, b, "materialized") || !same(a, b, "options"))
                set_drop(f);
            break;
        case K_INDEX:
        case K_TRIGGER:
            if (!seq(renamed_text(d, find(F, K_TABLE, f->schema, NULL, f->table), S(a, "def")), S(b, "def")))
                set_drop(f);
            break;
        case K_POLICY: {
            const pobj *tb = find(F, K_TABLE, f->schema, NULL, f->table);
            if (!same(a, b, "permissive") || !same(a, b, "command") || !same(a, b, "roles") ||
                !seq(renamed_text(d, tb, S(a, "using")), S(b, "using")) ||
                !seq(renamed_text(d, tb, S(a, "with_check")), S(b, "with_check")))
                set_drop(f);
            break;
        }
        case K_EVTRIG:
            if (!same(a, b, "event") || !same(a, b, "tags") || !same(a, b, "function"))
                set_drop(f);
            break;
        default:
            break;
        }
    }
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_FUNCTION && F->v[i].drop)
            add(d, &d->dropfn, qn(d, F->v[i].schema, func_base(d, F->v[i].name)));
    /* children (partitions, inheritance) of a table dropped are dropped with it */
    do {
        changed = 0;
        for (i = 0; i < F->n; i++) {
            pobj *f = &F->v[i], *p;
            size_t k;
            json_t *x;
            qname q;
            if (f->kind != K_TABLE || f->drop)
                continue;
            if (S(f->j, "partition_of") && !parse_qual(d, S(f->j, "partition_of"), &q) && q.n == 2 &&
                (p = find(F, K_TABLE, q.part[0], NULL, table_renamed(d, q.part[0], q.part[1]))) && p->drop &&
                p->peer) {
                set_drop(f);
                changed = 1;
            }
            json_array_foreach(J(f->j, "inherits"), k, x) if (!f->drop && !parse_qual(d, json_string_value(x), &q) &&
                                                               q.n == 2 &&
                                                               (p = find(F, K_TABLE, q.part[0], NULL,
                                                                         table_renamed(d, q.part[0], q.part[1]))) &&
                                                               p->drop && p->peer)
            {
                set_drop(f);
                changed = 1;
            }
        }
    } while (changed && !d->oom);
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_TABLE && F->v[i].peer && !F->v[i].drop)
            plan_columns(d, &F->v[i], F->v[i].peer);
    for (i = 0; i < F->n; i++) {
        pobj *ty = &F->v[i];
        const char *tq, *tqa;
        int k, c;
        if (ty->kind != K_TYPE || !ty->drop || !ty->peer)
            continue;
        tq = qn(d, ty->schema, ty->name);
        tqa = chk(d, mig_sprintf(d->ar, "%s[]", tq));
        for (k = 0; k < F->n; k++) {
            pobj *f = &F->v[k];
            if (f->kind != K_TABLE || f->drop || !f->peer)
                continue;
            for (c = 0; c < f->ncols; c++) {
                const char *ct = S(json_array_get(f->cols, (size_t)c), "type");
                if (!(f->cfl[c] & (C_GONE | C_REDO)) && (seq(ct, tq) || seq(ct, tqa))) {
                    f->cfl[c] |= C_RETYPE;
                    f->peer->cfl[f->cmap[c]] |= C_RETYPE;
                }
            }
        }
    }
    plan_constraints(d, 0);
    plan_constraints(d, 1);
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_VIEW)
            view_dropped(d, &F->v[i]);
    /* what goes with its table or with a function made again */
    for (i = 0; i < F->n; i++) {
        pobj *f = &F->v[i], *tb = NULL;
        if (f->drop)
            continue;
        if (f->kind == K_INDEX || f->kind == K_TRIGGER || f->kind == K_POLICY) {
            tb = find(F, K_TABLE, f->schema, NULL, f->table);
            if (!tb)
                tb = find(F, K_VIEW, f->schema, NULL, f->table);
        }
        switch (f->kind) {
        case K_INDEX:
            if ((tb && tb->drop) || func_dropped_mentioned(d, S(f->j, "def")) || mentions_redo(d, tb, S(f->j, "def")))
                set_drop(f);
            break;
        case K_TRIGGER:
        case K_POLICY:
            if ((tb && (tb->drop || (tb->kind == K_TABLE && table_changes_type(tb)))) ||
                func_dropped_mentioned(d, S(f->j, "def")) || func_dropped_mentioned(d, S(f->j, "using")) ||
                func_dropped_mentioned(d, S(f->j, "with_check")))
                set_drop(f);
            break;
        case K_EVTRIG: {
            qname q;
            pobj *fn;
            if (!parse_qual(d, S(f->j, "function"), &q) && q.n == 2) {
                const char *nm = chk(d, mig_sprintf(d->ar, "%s()", q.part[1]));
                if ((fn = find(F, K_FUNCTION, q.part[0], NULL, nm ? nm : "")) && fn->drop)
                    set_drop(f);
            }
            break;
        }
        case K_TABLE: {
            int c;
            for (c = 0; c < f->ncols; c++) {
                json_t *fc = json_array_get(f->cols, (size_t)c);
                if (S(fc, "default") && !(f->cfl[c] & (C_GONE | C_REDO)) &&
                    func_dropped_mentioned(d, S(fc, "default")))
                    f->cfl[c] |= C_DEARLY;
            }
            break;
        }
        default:
            break;
        }
    }
}

/* ---- rendering of each kind --------------------------------------------------------------------- */

static void put_grants_target(mig_buf *b, dir *d, const pobj *o)
{
    switch (o->kind) {
    case K_TABLE:
    case K_VIEW:
        mig_buf_puts(b, "TABLE ");
        break;
    case K_SEQUENCE:
        mig_buf_puts(b, "SEQUENCE ");
        break;
    case K_FUNCTION:
        mig_buf_puts(b, Bv(o->j, "procedure") ? "PROCEDURE " : "FUNCTION ");
        break;
    case K_SCHEMA:
        mig_buf_puts(b, "SCHEMA ");
        break;
    default:
        mig_buf_puts(b, seq(S(o->j, "type_kind"), "domain") ? "DOMAIN " : "TYPE ");
        break;
    }
    put_ref(b, d, o, 0);
}

static json_t *find_grant(json_t *l, json_t *g)
{
    size_t i;
    json_t *x;
    json_array_foreach(l, i, x) if (same(x, g, "privilege") && same(x, g, "grantee") && Bv(x, "revoked") == Bv(g, "revoked"))
        return x;
    return NULL;
}

/* GRANT or REVOKE: give (1) or take (0) privilege; option: only the grant option. */
static void grant_stmt(dir *d, const pobj *o, const char *column, json_t *g, int give, int option)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, give ? "GRANT " : "REVOKE ");
    if (!give && option)
        mig_buf_puts(&b, "GRANT OPTION FOR ");
    mig_buf_puts(&b, S(g, "privilege"));
    if (column) {
        mig_buf_puts(&b, " (");
        put_id(&b, column);
        mig_buf_puts(&b, ")");
    }
    mig_buf_puts(&b, " ON ");
    put_grants_target(&b, d, o);
    mig_buf_puts(&b, give ? " TO " : " FROM ");
    mig_buf_puts(&b, S(g, "grantee"));
    if (give && option)
        mig_buf_puts(&b, " WITH GRANT OPTION");
    done(d, &b);
}

/* Grants of an object (or of a column): from the list `was` to `now`. */
static void grants(dir *d, const pobj *o, const char *column, json_t *was, json_t *now)
{
    size_t i;
    json_t *g, *other;
    json_array_foreach(was, i, g) if (!find_grant(now, g))
        grant_stmt(d, o, column, g, Bv(g, "revoked"), 0);
    json_array_foreach(now, i, g)
    {
        other = find_grant(was, g);
        if (!other)
            grant_stmt(d, o, column, g, !Bv(g, "revoked"), !Bv(g, "revoked") && Bv(g, "grantable"));
        else if (Bv(other, "grantable") != Bv(g, "grantable"))
            grant_stmt(d, o, column, g, Bv(g, "grantable"), 1);
    }
}

static void comment_stmt(dir *d, const char *what, const char *name, const char *text)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "COMMENT ON ");
    mig_buf_puts(&b, what);
    mig_buf_puts(&b, " ");
    mig_buf_puts(&b, name);
    mig_buf_puts(&b, " IS ");
    if (text)
        mig_buf_quote(&b, text);
    else
        mig_buf_puts(&b, "NULL");
    done(d, &b);
}

static void comment(dir *d, const char *what, const char *name, const char *was, const char *now)
{
    if (!seq(was, now))
        comment_stmt(d, what, name, now);
}

static const char *col_ref(dir *d, const pobj *t, const char *col)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    put_qn(&b, t->schema, t->name);
    mig_buf_puts(&b, ".");
    put_id(&b, col);
    if (b.oom || !b.data) {
        d->oom = 1;
        return "";
    }
    return b.data;
}

/* Comments, owner and grants of a to-side object (against its peer unless it is created here). */
static void decorations(dir *d, pobj *t)
{
    const pobj *f = t->drop ? NULL : t->peer;
    json_t *fj = f ? f->j : NULL;
    const char *owner = S(t->j, "owner");
    comment(d, sql_kind(t), ref(d, t, 0), fj ? S(fj, "comment") : NULL, S(t->j, "comment"));
    if (owner && (!fj || !seq(S(fj, "owner"), owner)) && t->kind != K_EXTENSION) {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_puts(&b, "ALTER ");
        mig_buf_puts(&b, sql_kind(t));
        mig_buf_puts(&b, " ");
        put_ref(&b, d, t, 0);
        mig_buf_puts(&b, " OWNER TO ");
        put_id(&b, owner);
        done(d, &b);
    }
    if (t->kind == K_SCHEMA || t->kind == K_TABLE || t->kind == K_VIEW || t->kind == K_SEQUENCE ||
        t->kind == K_FUNCTION || t->kind == K_TYPE)
        grants(d, t, NULL, fj ? J(fj, "grants") : NULL, J(t->j, "grants"));
    if (t->kind == K_TABLE) {
        int i;
        for (i = 0; i < t->ncols; i++) {
            json_t *tc = json_array_get(t->cols, (size_t)i);
            json_t *fc = f && t->cmap[i] >= 0 && !(t->cfl[i] & C_REDO) ? json_array_get(f->cols, (size_t)t->cmap[i])
                                                                       : NULL;
            comment(d, "COLUMN", col_ref(d, t, S(tc, "name")), fc ? S(fc, "comment") : NULL, S(tc, "comment"));
            grants(d, t, S(tc, "name"), fc ? J(fc, "grants") : NULL, J(tc, "grants"));
            /* REVOKE of a table privilege took the column privileges of that kind with it */
            if (fc) {
                size_t g;
                json_t *x;
                json_array_foreach(J(tc, "grants"), g, x) if (find_grant(J(fc, "grants"), x) &&
                                                             find_grant(J(fj, "grants"), x) &&
                                                             !find_grant(J(t->j, "grants"), x))
                    grant_stmt(d, t, S(tc, "name"), x, 1, Bv(x, "grantable"));
            }
        }
        for (i = 0; i < t->ncons; i++) {
            json_t *tk = json_array_get(t->cons, (size_t)i), *fk = NULL;
            int k = f && !(t->kfl[i] & KF_ADD) ? (t->kmap[i] >= 0 ? t->kmap[i] : col_index(f->cons, S(tk, "name"))) : -1;
            if (k >= 0)
                fk = json_array_get(f->cons, (size_t)k);
            if (!seq(fk ? S(fk, "comment") : NULL, S(tk, "comment"))) {
                mig_buf b;
                mig_buf_init(&b, d->ar);
                put_id(&b, S(tk, "name"));
                mig_buf_puts(&b, " ON ");
                put_qn(&b, t->schema, t->name);
                if (b.oom || !b.data)
                    d->oom = 1;
                else
                    comment_stmt(d, "CONSTRAINT", b.data, S(tk, "comment"));
            }
        }
    }
    if (t->kind == K_VIEW) {
        const char *k;
        json_t *v, *was = fj ? J(fj, "column_comments") : NULL, *now = J(t->j, "column_comments");
        json_object_foreach(was, k, v) {
            if (!json_object_get(now, k))
                comment(d, "COLUMN", col_ref(d, t, k), json_string_value(v), NULL);
        }
        json_object_foreach(now, k, v) {
            comment(d, "COLUMN", col_ref(d, t, k), S(was, k), json_string_value(v));
        }
    }
}

/* A column's definition in CREATE TABLE / ADD COLUMN. */
static void put_coldef(mig_buf *b, json_t *c)
{
    const char *v;
    put_id(b, S(c, "name"));
    mig_buf_puts(b, " ");
    mig_buf_puts(b, S(c, "type"));
    if ((v = S(c, "collation"))) {
        mig_buf_puts(b, " COLLATE ");
        mig_buf_puts(b, v);
    }
    if ((v = S(c, "generated"))) {
        mig_buf_puts(b, " GENERATED ALWAYS AS (");
        mig_buf_puts(b, v);
        mig_buf_puts(b, ") STORED");
    }
    if ((v = S(c, "default"))) {
        mig_buf_puts(b, " DEFAULT ");
        mig_buf_puts(b, v);
    }
    if (Bv(c, "not_null"))
        mig_buf_puts(b, " NOT NULL");
    if ((v = S(c, "identity"))) {
        mig_buf_puts(b, seq(v, "always") ? " GENERATED ALWAYS AS IDENTITY" : " GENERATED BY DEFAULT AS IDENTITY");
        if (S(c, "identity_options")) {
            mig_buf_puts(b, " (");
            mig_buf_puts(b, S(c, "identity_options"));
            mig_buf_puts(b, ")");
        }
    }
}

static const char *storage_word(const char *s)
{
    return *s == 'p' ? "PLAIN" : *s == 'e' ? "EXTERNAL" : *s == 'm' ? "MAIN" : "EXTENDED";
}

/* A column's storage back to its type's (absent in the snapshot): PostgreSQL 15
 * has no SET STORAGE DEFAULT, so the type's is named: MAIN for numeric, inet
 * and cidr (pg_type.typstorage), EXTENDED for the other types that can be
 * stored otherwise than PLAIN (a domain's base type is not known here). */
static const char *storage_of(json_t *col)
{
    const char *ty = S(col, "type");
    if (S(col, "storage"))
        return storage_word(S(col, "storage"));
    if (strncmp(ty, "numeric", 7) == 0 && (ty[7] == 0 || ty[7] == '('))
        return "MAIN";
    return seq(ty, "inet") || seq(ty, "cidr") ? "MAIN" : "EXTENDED";
}

/* A constraint that can be written inside CREATE TABLE. */
static int inline_constraint(json_t *k)
{
    const char *def = S(k, "def");
    size_t n = strlen(def);
    return !is_fk(k) && !(n >= 10 && strcmp(def + n - 10, " NOT VALID") == 0);
}

static void add_constraint(dir *d, const pobj *t, json_t *k)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    alter_table(&b, t->schema, t->name);
    mig_buf_puts(&b, "ADD CONSTRAINT ");
    put_id(&b, S(k, "name"));
    mig_buf_puts(&b, " ");
    mig_buf_puts(&b, S(k, "def"));
    done(d, &b);
}

static void alter_column(dir *d, const pobj *t, const char *col, const char *what, const char *arg)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    alter_table(&b, t->schema, t->name);
    mig_buf_puts(&b, "ALTER COLUMN ");
    put_id(&b, col);
    mig_buf_puts(&b, " ");
    mig_buf_puts(&b, what);
    if (arg)
        mig_buf_puts(&b, arg);
    done(d, &b);
}

static void create_table(dir *d, const pobj *t)
{
    json_t *j = t->j, *x;
    const char *pof = S(j, "partition_of"), *v;
    size_t i;
    mig_buf b, items;
    mig_buf_init(&b, d->ar);
    mig_buf_init(&items, d->ar);
    json_array_foreach(t->cols, i, x) if (!pof && !Bv(x, "inherited"))
    {
        mig_buf_puts(&items, items.len ? ", " : "");
        put_coldef(&items, x);
    }
    json_array_foreach(t->cons, i, x) if (inline_constraint(x))
    {
        mig_buf_puts(&items, items.len ? ", " : "");
        mig_buf_puts(&items, "CONSTRAINT ");
        put_id(&items, S(x, "name"));
        mig_buf_puts(&items, " ");
        mig_buf_puts(&items, S(x, "def"));
    }
    if (items.oom)
        d->oom = 1;
    mig_buf_puts(&b, Bv(j, "unlogged") ? "CREATE UNLOGGED TABLE " : "CREATE TABLE ");
    put_qn(&b, t->schema, t->name);
    if (pof) {
        mig_buf_puts(&b, " PARTITION OF ");
        mig_buf_puts(&b, pof);
    }
    if (!pof || items.len) {
        mig_buf_puts(&b, " (");
        mig_buf_puts(&b, items.len ? items.data : "");
        mig_buf_puts(&b, ")");
    }
    if (pof) {
        mig_buf_puts(&b, " ");
        mig_buf_puts(&b, S(j, "partition_bound") ? S(j, "partition_bound") : "DEFAULT");
    }
    if (J(j, "inherits")) {
        mig_buf_puts(&b, " INHERITS (");
        json_array_foreach(J(j, "inherits"), i, x)
        {
            mig_buf_puts(&b, i ? ", " : "");
            mig_buf_puts(&b, json_string_value(x));
        }
        mig_buf_puts(&b, ")");
    }
    if ((v = S(j, "partition_by"))) {
        mig_buf_puts(&b, " PARTITION BY ");
        mig_buf_puts(&b, v);
    }
    if (json_array_size(J(j, "options"))) {
        mig_buf_puts(&b, " WITH (");
        json_array_foreach(J(j, "options"), i, x)
        {
            mig_buf_puts(&b, i ? ", " : "");
            mig_buf_puts(&b, json_string_value(x));
        }
        mig_buf_puts(&b, ")");
    }
    done(d, &b);
    json_array_foreach(t->cons, i, x) if (!is_fk(x) && !inline_constraint(x)) add_constraint(d, t, x);
    json_array_foreach(t->cols, i, x) if (S(x, "storage") && !Bv(x, "inherited"))
        alter_column(d, t, S(x, "name"), "SET STORAGE ", storage_of(x));
    if (Bv(j, "row_security"))
        simple(d, "ALTER TABLE ", qn(d, t->schema, t->name), " ENABLE ROW LEVEL SECURITY");
    if (Bv(j, "force_row_security"))
        simple(d, "ALTER TABLE ", qn(d, t->schema, t->name), " FORCE ROW LEVEL SECURITY");
}

/* "START WITH 1 INCREMENT BY 1 ... CYCLE" -> "SET START WITH 1 SET INCREMENT BY 1 ... SET CYCLE" */
static const char *identity_set(dir *d, const char *opts)
{
    static const char *const WORDS[] = {"START", "INCREMENT", "MINVALUE", "MAXVALUE", "CACHE", NULL};
    mig_buf b;
    const char *p = opts;
    int cycle = 0;
    mig_buf_init(&b, d->ar);
    while (*p) {
        const char *e = p;
        size_t n;
        int w;
        while (*e && *e != ' ')
            e++;
        n = (size_t)(e - p);
        for (w = 0; WORDS[w] && !(strlen(WORDS[w]) == n && strncmp(p, WORDS[w], n) == 0); w++)
            ;
        if (n == 5 && strncmp(p, "CYCLE", 5) == 0)
            cycle = 1;
        else {
            mig_buf_puts(&b, WORDS[w] ? (b.len ? " SET " : "SET ") : " ");
            mig_buf_putn(&b, p, n);
        }
        p = *e ? e + 1 : e;
    }
    mig_buf_puts(&b, cycle ? " SET CYCLE" : " SET NO CYCLE");
    if (b.oom || !b.data) {
        d->oom = 1;
        return "";
    }
    return b.data;
}

/* The changes of one column present on both sides. */
static void change_column(dir *d, const pobj *f, const pobj *t, json_t *fc, json_t *tc, unsigned fl)
{
    const char *col = S(tc, "name"), *fd = renamed_text(d, f, S(fc, "default")), *td = S(tc, "default");
    const char *fi = S(fc, "identity"), *ti = S(tc, "identity");
    mig_buf b;
    if (S(fc, "generated") && !S(tc, "generated"))
        alter_column(d, t, col, "DROP EXPRESSION", NULL);
    if (fi && !ti)
        alter_column(d, t, col, "DROP IDENTITY", NULL);
    if (fl & C_DEARLY)
        fd = NULL;
    if (fd && (!td || (fl & C_TYPE))) {
        alter_column(d, t, col, "DROP DEFAULT", NULL);
        fd = NULL;
    }
    if (fl & C_RETYPE && !(fl & C_TYPE)) {
        const char *ty = S(tc, "type");
        size_t n = strlen(ty);
        int arr = n > 2 && strcmp(ty + n - 2, "[]") == 0;
        if (fd) {
            alter_column(d, t, col, "DROP DEFAULT", NULL);
            fd = NULL;
        }
        loss(d, "column %s is converted to the type %s made again (through text: a value the new type refuses "
                "fails)",
             col_ref(d, t, col), ty);
        mig_buf_init(&b, d->ar);
        alter_table(&b, t->schema, t->name);
        mig_buf_puts(&b, "ALTER COLUMN ");
        put_id(&b, col);
        mig_buf_printf(&b, " TYPE %s USING ", ty);
        put_id(&b, col);
        mig_buf_printf(&b, "::%s::%s", arr ? "text[]" : "text", ty);
        done(d, &b);
    }
    if (fl & (C_TYPE | C_COLL)) {
        if (fl & C_TYPE)
            loss(d, "column %s changes type from %s to %s", col_ref(d, t, col), S(fc, "type"), S(tc, "type"));
        mig_buf_init(&b, d->ar);
        alter_table(&b, t->schema, t->name);
        mig_buf_puts(&b, "ALTER COLUMN ");
        put_id(&b, col);
        mig_buf_puts(&b, " TYPE ");
        mig_buf_puts(&b, S(tc, "type"));
        if (fl & C_COLL || S(tc, "collation")) {
            mig_buf_puts(&b, " COLLATE ");
            mig_buf_puts(&b, S(tc, "collation") ? S(tc, "collation") : "pg_catalog.\"default\"");
        }
        if (fl & C_TYPE) {
            mig_buf_puts(&b, " USING ");
            put_id(&b, col);
            mig_buf_puts(&b, "::");
            mig_buf_puts(&b, S(tc, "type"));
        }
        done(d, &b);
    }
    if (td && !seq(fd, td))
        alter_column(d, t, col, "SET DEFAULT ", td);
    if (Bv(tc, "not_null") && !Bv(fc, "not_null"))
        alter_column(d, t, col, "SET NOT NULL", NULL);
    if (!Bv(tc, "not_null") && Bv(fc, "not_null"))
        alter_column(d, t, col, "DROP NOT NULL", NULL);
    if (ti && !fi) {
        mig_buf_init(&b, d->ar);
        mig_buf_puts(&b, seq(ti, "always") ? "ADD GENERATED ALWAYS AS IDENTITY" : "ADD GENERATED BY DEFAULT AS IDENTITY");
        if (S(tc, "identity_options"))
            mig_buf_printf(&b, " (%s)", S(tc, "identity_options"));
        if (b.oom || !b.data)
            d->oom = 1;
        else
            alter_column(d, t, col, b.data, NULL);
    } else if (ti && fi) {
        if (!seq(ti, fi))
            alter_column(d, t, col, seq(ti, "always") ? "SET GENERATED ALWAYS" : "SET GENERATED BY DEFAULT", NULL);
        if (S(tc, "identity_options") && !same(fc, tc, "identity_options"))
            alter_column(d, t, col, identity_set(d, S(tc, "identity_options")), NULL);
    }
    if (!same(fc, tc, "storage"))
        alter_column(d, t, col, "SET STORAGE ", storage_of(tc));
}

/* "fillfactor=70" -> "fillfactor" */
static const char *opt_key(dir *d, const char *opt)
{
    const char *eq = strchr(opt, '=');
    char *r = eq ? mig_strndup(d->ar, opt, (size_t)(eq - opt)) : (char *)opt;
    if (!r)
        d->oom = 1;
    return r ? r : "";
}

static int has_opt_key(dir *d, json_t *opts, const char *key)
{
    size_t i;
    json_t *x;
    json_array_foreach(opts, i, x) if (seq(opt_key(d, json_string_value(x)), key)) return 1;
    return 0;
}

static int has_str(json_t *arr, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) if (seq(json_string_value(x), s)) return 1;
    return 0;
}

/* A qualified table name of the from side ("app.old") as it is after the table hints ("app.new"). */
static const char *renamed_ref(dir *d, const char *ref)
{
    qname q;
    const char *n;
    if (!d->nh || parse_qual(d, ref, &q) || q.n != 2 || *q.rest)
        return ref;
    n = table_renamed(d, q.part[0], q.part[1]);
    return n == q.part[1] ? ref : qn(d, q.part[0], n); /* the text as it is when no hint renames it */
}

/* A list of qualified table names, renamed so (a new JSON array, released with d->keep). */
static json_t *renamed_list(dir *d, json_t *l)
{
    json_t *r, *x;
    size_t i;
    if (!l || !d->nh)
        return l;
    if (!d->keep && !(d->keep = json_array())) {
        d->oom = 1;
        return l;
    }
    if (!(r = json_array()) || json_array_append_new(d->keep, r)) { /* append_new releases r when it fails */
        d->oom = 1;
        return l;
    }
    json_array_foreach(l, i, x) if (json_array_append_new(r, json_string(renamed_ref(d, json_string_value(x)))))
        d->oom = 1;
    return r;
}

/* Does a partition change its parent (after the renames) or its bounds? */
static int partition_moves(dir *d, const pobj *f, const pobj *t)
{
    const char *a = S(f->j, "partition_of"), *b = S(t->j, "partition_of");
    if (!a || !b)
        return a != b;
    return !seq(renamed_ref(d, a), b) || !same(f->j, t->j, "partition_bound");
}

static void change_table(dir *d, pobj *f, pobj *t)
{
    json_t *a = f->j, *b_ = t->j, *x;
    const char *tq = qn(d, t->schema, t->name);
    size_t i;
    int c, last = -1, order_ok = 1, inh_changed = !jeq(renamed_list(d, J(a, "inherits")), J(b_, "inherits"));
    mig_buf b;
    /* partition: detached here, attached after the tables */
    if (S(a, "partition_of") && partition_moves(d, f, t)) {
        mig_buf_init(&b, d->ar);
        mig_buf_puts(&b, "ALTER TABLE ");
        mig_buf_puts(&b, renamed_ref(d, S(a, "partition_of")));
        mig_buf_puts(&b, " DETACH PARTITION ");
        mig_buf_puts(&b, tq);
        done(d, &b);
    }
    json_array_foreach(J(a, "inherits"), i, x) if (!has_str(J(b_, "inherits"), renamed_ref(d, json_string_value(x))))
        simple(d, "ALTER TABLE ", tq, chk(d, mig_sprintf(d->ar, " NO INHERIT %s", renamed_ref(d, json_string_value(x)))));
    /* columns: dropped, changed, added */
    for (c = 0; c < f->ncols; c++) {
        json_t *fc = json_array_get(f->cols, (size_t)c);
        if (!(f->cfl[c] & (C_GONE | C_REDO)) || (Bv(fc, "inherited") && !inh_changed))
            continue;
        if (f->cfl[c] & C_REDO)
            loss(d, "column %s is dropped and added again: its values are computed",
                 col_ref(d, f, S(fc, "name")));
        else
            loss(d, "column %s", col_ref(d, t, S(fc, "name")));
        mig_buf_init(&b, d->ar);
        alter_table(&b, t->schema, t->name);
        mig_buf_puts(&b, "DROP COLUMN ");
        put_id(&b, S(fc, "name"));
        done(d, &b);
    }
    for (c = 0; c < f->ncols; c++) {
        json_t *fc = json_array_get(f->cols, (size_t)c);
        int k = f->cmap[c];
        if (k < 0 || (f->cfl[c] & C_REDO) || Bv(json_array_get(t->cols, (size_t)k), "inherited"))
            continue;
        if (k < last) /* kept columns in another order */
            order_ok = 0;
        last = k;
        change_column(d, f, t, fc, json_array_get(t->cols, (size_t)k), f->cfl[c]);
    }
    for (c = 0; c < t->ncols; c++) {
        json_t *tc = json_array_get(t->cols, (size_t)c);
        if ((Bv(tc, "inherited") && !(inh_changed && t->cmap[c] < 0)) || (t->cmap[c] >= 0 && !(t->cfl[c] & C_REDO)))
            continue;
        if (c < last) /* added at the end, but not the last in the new schema */
            order_ok = 0;
        last = c;
        mig_buf_init(&b, d->ar);
        alter_table(&b, t->schema, t->name);
        mig_buf_puts(&b, "ADD COLUMN ");
        put_coldef(&b, tc);
        done(d, &b);
        if (S(tc, "storage"))
            alter_column(d, t, S(tc, "name"), "SET STORAGE ", storage_of(tc));
    }
    /* a table that inherits: it has the parent's columns already (they stay local: attislocal) */
    json_array_foreach(J(b_, "inherits"), i, x) if (!has_str(renamed_list(d, J(a, "inherits")), json_string_value(x)))
        simple(d, "ALTER TABLE ", tq, chk(d, mig_sprintf(d->ar, " INHERIT %s", json_string_value(x))));
    if (!order_ok)
        note(d, "the columns of %s end in another order than the new schema has them: PostgreSQL adds a column "
                "at the end",
             tq);
    for (c = 0; c < t->ncons; c++) {
        json_t *k = json_array_get(t->cons, (size_t)c);
        if ((t->kfl[c] & KF_ADD) && !is_fk(k))
            add_constraint(d, t, k);
    }
    if (Bv(a, "unlogged") != Bv(b_, "unlogged"))
        simple(d, "ALTER TABLE ", tq, Bv(b_, "unlogged") ? " SET UNLOGGED" : " SET LOGGED");
    if (!same(a, b_, "options")) {
        int n = 0;
        mig_buf_init(&b, d->ar);
        json_array_foreach(J(a, "options"), i, x)
        {
            const char *k = opt_key(d, json_string_value(x));
            if (has_opt_key(d, J(b_, "options"), k))
                continue;
            mig_buf_puts(&b, n++ ? ", " : "");
            mig_buf_puts(&b, k);
        }
        if (n) {
            simple(d, "ALTER TABLE ", tq, chk(d, mig_sprintf(d->ar, " RESET (%s)", b.data)));
        }
        mig_buf_init(&b, d->ar);
        n = 0;
        json_array_foreach(J(b_, "options"), i, x) if (!has_str(J(a, "options"), json_string_value(x)))
        {
            mig_buf_puts(&b, n++ ? ", " : "");
            mig_buf_puts(&b, json_string_value(x));
        }
        if (n)
            simple(d, "ALTER TABLE ", tq, chk(d, mig_sprintf(d->ar, " SET (%s)", b.data)));
    }
    if (Bv(a, "row_security") != Bv(b_, "row_security"))
        simple(d, "ALTER TABLE ", tq, Bv(b_, "row_security") ? " ENABLE ROW LEVEL SECURITY" : " DISABLE ROW LEVEL SECURITY");
    if (Bv(a, "force_row_security") != Bv(b_, "force_row_security"))
        simple(d, "ALTER TABLE ", tq, Bv(b_, "force_row_security") ? " FORCE ROW LEVEL SECURITY" : " NO FORCE ROW LEVEL SECURITY");
}

static void put_list_quoted(mig_buf *b, json_t *arr)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        mig_buf_puts(b, i ? ", " : "");
        mig_buf_quote(b, json_string_value(x));
    }
}

static void create_type(dir *d, const pobj *t)
{
    json_t *j = t->j, *x;
    const char *k = S(j, "type_kind");
    size_t i;
    mig_buf b;
    mig_buf_init(&b, d->ar);
    if (seq(k, "domain")) {
        mig_buf_puts(&b, "CREATE DOMAIN ");
        put_qn(&b, t->schema, t->name);
        mig_buf_puts(&b, " AS ");
        mig_buf_puts(&b, S(j, "base_type") ? S(j, "base_type") : "text");
        if (S(j, "collation"))
            mig_buf_printf(&b, " COLLATE %s", S(j, "collation"));
        if (S(j, "default"))
            mig_buf_printf(&b, " DEFAULT %s", S(j, "default"));
        if (Bv(j, "not_null"))
            mig_buf_puts(&b, " NOT NULL");
        json_array_foreach(J(j, "constraints"), i, x)
        {
            mig_buf_puts(&b, " CONSTRAINT ");
            put_id(&b, S(x, "name"));
            mig_buf_puts(&b, " ");
            mig_buf_puts(&b, S(x, "def"));
        }
    } else {
        mig_buf_puts(&b, "CREATE TYPE ");
        put_qn(&b, t->schema, t->name);
        if (seq(k, "enum")) {
            mig_buf_puts(&b, " AS ENUM (");
            put_list_quoted(&b, J(j, "labels"));
            mig_buf_puts(&b, ")");
        } else if (seq(k, "composite")) {
            mig_buf_puts(&b, " AS (");
            json_array_foreach(J(j, "attributes"), i, x)
            {
                mig_buf_puts(&b, i ? ", " : "");
                put_id(&b, S(x, "name"));
                mig_buf_printf(&b, " %s", S(x, "type"));
                if (S(x, "collation"))
                    mig_buf_printf(&b, " COLLATE %s", S(x, "collation"));
            }
            mig_buf_puts(&b, ")");
        } else {
            mig_buf_printf(&b, " AS RANGE (%s)", S(j, "range") ? S(j, "range") : "");
        }
    }
    done(d, &b);
}

static void alter_type(dir *d, const pobj *f, const pobj *t)
{
    json_t *a = f->j, *b_ = t->j, *x;
    const char *k = S(b_, "type_kind"), *tq = qn(d, t->schema, t->name);
    size_t i;
    if (seq(k, "enum")) {
        json_t *was = J(a, "labels"), *now = J(b_, "labels");
        json_array_foreach(now, i, x)
        {
            const char *l = json_string_value(x);
            mig_buf b;
            if (has_str(was, l))
                continue;
            mig_buf_init(&b, d->ar);
            mig_buf_printf(&b, "ALTER TYPE %s ADD VALUE ", tq);
            mig_buf_quote(&b, l);
            if (i > 0) {
                mig_buf_puts(&b, " AFTER ");
                mig_buf_quote(&b, json_string_value(json_array_get(now, i - 1)));
            } else {
                size_t k2;
                for (k2 = 1; k2 < json_array_size(now) && !has_str(was, json_string_value(json_array_get(now, k2)));
                     k2++)
                    ;
                if (k2 < json_array_size(now)) { /* else the enum had no label */
                    mig_buf_puts(&b, " BEFORE ");
                    mig_buf_quote(&b, json_string_value(json_array_get(now, k2)));
                }
            }
            if (b.oom || !b.data)
                d->oom = 1;
            else
                add(d, &d->addval, b.data);
            add(d, &d->newlabels, l);
        }
    } else if (seq(k, "domain")) {
        json_t *fk = J(a, "constraints"), *tk = J(b_, "constraints");
        if (!same(a, b_, "default"))
            simple(d, "ALTER DOMAIN ", tq,
                   S(b_, "default") ? chk(d, mig_sprintf(d->ar, " SET DEFAULT %s", S(b_, "default"))) : " DROP DEFAULT");
        if (Bv(a, "not_null") != Bv(b_, "not_null"))
            simple(d, "ALTER DOMAIN ", tq, Bv(b_, "not_null") ? " SET NOT NULL" : " DROP NOT NULL");
        json_array_foreach(fk, i, x)
        {
            int m = col_index(tk, S(x, "name"));
            if (m < 0 || !same(x, json_array_get(tk, (size_t)m), "def"))
                simple(d, "ALTER DOMAIN ", tq, chk(d, mig_sprintf(d->ar, " DROP CONSTRAINT %s", qn(d, NULL, S(x, "name")))));
        }
        json_array_foreach(tk, i, x)
        {
            int m = col_index(fk, S(x, "name"));
            if (m < 0 || !same(x, json_array_get(fk, (size_t)m), "def"))
                simple(d, "ALTER DOMAIN ", tq,
                       chk(d, mig_sprintf(d->ar, " ADD CONSTRAINT %s %s", qn(d, NULL, S(x, "name")), S(x, "def"))));
        }
    } else if (seq(k, "composite")) {
        json_t *fa = J(a, "attributes"), *ta = J(b_, "attributes");
        json_array_foreach(fa, i, x) if (find_attr(ta, S(x, "name")) < 0)
            simple(d, "ALTER TYPE ", tq, chk(d, mig_sprintf(d->ar, " DROP ATTRIBUTE %s", qn(d, NULL, S(x, "name")))));
        json_array_foreach(ta, i, x)
        {
            int m = find_attr(fa, S(x, "name"));
            json_t *y = m >= 0 ? json_array_get(fa, (size_t)m) : NULL;
            const char *coll = S(x, "collation")
                                   ? chk(d, mig_sprintf(d->ar, " COLLATE %s", S(x, "collation")))
                                   : (y && S(y, "collation") ? " COLLATE pg_catalog.\"default\"" : "");
            if (!y)
                simple(d, "ALTER TYPE ", tq,
                       chk(d, mig_sprintf(d->ar, " ADD ATTRIBUTE %s %s%s", qn(d, NULL, S(x, "name")), S(x, "type"), coll)));
            else if (!same(x, y, "type") || !same(x, y, "collation"))
                simple(d, "ALTER TYPE ", tq,
                       chk(d, mig_sprintf(d->ar, " ALTER ATTRIBUTE %s TYPE %s%s", qn(d, NULL, S(x, "name")), S(x, "type"),
                                   coll ? coll : "")));
        }
    }
}

static void create_sequence(dir *d, const pobj *t)
{
    json_t *j = t->j;
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, Bv(j, "unlogged") ? "CREATE UNLOGGED SEQUENCE " : "CREATE SEQUENCE ");
    put_qn(&b, t->schema, t->name);
    if (S(j, "type"))
        mig_buf_printf(&b, " AS %s", S(j, "type"));
    if (S(j, "increment"))
        mig_buf_printf(&b, " INCREMENT BY %s", S(j, "increment"));
    if (S(j, "min"))
        mig_buf_printf(&b, " MINVALUE %s", S(j, "min"));
    if (S(j, "max"))
        mig_buf_printf(&b, " MAXVALUE %s", S(j, "max"));
    if (S(j, "start"))
        mig_buf_printf(&b, " START WITH %s", S(j, "start"));
    if (S(j, "cache"))
        mig_buf_printf(&b, " CACHE %s", S(j, "cache"));
    if (Bv(j, "cycle"))
        mig_buf_puts(&b, " CYCLE");
    done(d, &b);
}

static void alter_sequence(dir *d, const pobj *f, const pobj *t)
{
    static const char *const KEYS[] = {"type", "increment", "min", "max", "start", "cache"};
    static const char *const WORDS[] = {" AS ", " INCREMENT BY ", " MINVALUE ", " MAXVALUE ", " START WITH ", " CACHE "};
    static const char *const NONE[] = {NULL, NULL, " NO MINVALUE", " NO MAXVALUE", NULL, NULL};
    json_t *a = f->j, *b_ = t->j;
    int i, n = 0;
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "ALTER SEQUENCE ");
    put_qn(&b, t->schema, t->name);
    for (i = 0; i < 6; i++) {
        if (same(a, b_, KEYS[i]))
            continue;
        if (S(b_, KEYS[i])) {
            mig_buf_puts(&b, WORDS[i]);
            mig_buf_puts(&b, S(b_, KEYS[i]));
            n++;
        } else if (NONE[i]) {
            mig_buf_puts(&b, NONE[i]);
            n++;
        }
    }
    if (Bv(a, "cycle") != Bv(b_, "cycle")) {
        mig_buf_puts(&b, Bv(b_, "cycle") ? " CYCLE" : " NO CYCLE");
        n++;
    }
    if (n)
        done(d, &b);
    if (Bv(a, "unlogged") != Bv(b_, "unlogged"))
        simple(d, "ALTER SEQUENCE ", qn(d, t->schema, t->name), Bv(b_, "unlogged") ? " SET UNLOGGED" : " SET LOGGED");
}

static void create_view(dir *d, const pobj *t)
{
    json_t *j = t->j, *x;
    size_t i;
    const char *sel = S(j, "select");
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, Bv(j, "materialized") ? "CREATE MATERIALIZED VIEW " : "CREATE VIEW ");
    put_qn(&b, t->schema, t->name);
    if (json_array_size(J(j, "options"))) {
        mig_buf_puts(&b, " WITH (");
        json_array_foreach(J(j, "options"), i, x)
        {
            mig_buf_puts(&b, i ? ", " : "");
            mig_buf_puts(&b, json_string_value(x));
        }
        mig_buf_puts(&b, ")");
    }
    mig_buf_puts(&b, *sel == ' ' || *sel == '\n' ? " AS" : " AS ");
    put_trimmed(&b, sel);
    if (Bv(j, "materialized") && Bv(j, "with_no_data"))
        mig_buf_puts(&b, "\n  WITH NO DATA");
    done(d, &b);
}

static void create_index(dir *d, const pobj *t)
{
    const char *def = S(t->j, "def"), *p = strstr(def, " ON ONLY ");
    mig_buf b;
    mig_buf_init(&b, d->ar);
    if (p) { /* an index of a partitioned table: on its partitions too */
        mig_buf_putn(&b, def, (size_t)(p - def));
        mig_buf_puts(&b, " ON ");
        mig_buf_puts(&b, p + 9);
    } else {
        mig_buf_puts(&b, def);
    }
    done(d, &b);
}

static const char *enabled_word(const char *e)
{
    return !e ? "ENABLE" : seq(e, "disabled") ? "DISABLE" : seq(e, "replica") ? "ENABLE REPLICA" : "ENABLE ALWAYS";
}

static void trigger_enabled(dir *d, const pobj *t, const char *was)
{
    const char *now = S(t->j, "enabled");
    mig_buf b;
    if (seq(was, now))
        return;
    mig_buf_init(&b, d->ar);
    if (t->kind == K_EVTRIG) {
        mig_buf_puts(&b, "ALTER EVENT TRIGGER ");
        put_id(&b, t->name);
        mig_buf_printf(&b, " %s", enabled_word(now));
    } else {
        alter_table(&b, t->schema, t->table);
        mig_buf_printf(&b, "%s TRIGGER ", enabled_word(now));
        put_id(&b, t->name);
    }
    done(d, &b);
}

static void create_policy(dir *d, const pobj *t)
{
    json_t *j = t->j, *x;
    size_t i;
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "CREATE POLICY ");
    put_ref(&b, d, t, 0);
    if (json_is_false(json_object_get(j, "permissive")))
        mig_buf_puts(&b, " AS RESTRICTIVE");
    if (S(j, "command"))
        mig_buf_printf(&b, " FOR %s", S(j, "command"));
    if (json_array_size(J(j, "roles"))) {
        mig_buf_puts(&b, " TO ");
        json_array_foreach(J(j, "roles"), i, x)
        {
            mig_buf_puts(&b, i ? ", " : "");
            mig_buf_puts(&b, json_string_value(x));
        }
    }
    if (S(j, "using"))
        mig_buf_printf(&b, " USING (%s)", S(j, "using"));
    if (S(j, "with_check"))
        mig_buf_printf(&b, " WITH CHECK (%s)", S(j, "with_check"));
    done(d, &b);
}

static void create_evtrig(dir *d, const pobj *t)
{
    json_t *j = t->j;
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "CREATE EVENT TRIGGER ");
    put_id(&b, t->name);
    mig_buf_printf(&b, " ON %s", S(j, "event"));
    if (json_array_size(J(j, "tags"))) {
        mig_buf_puts(&b, " WHEN TAG IN (");
        put_list_quoted(&b, J(j, "tags"));
        mig_buf_puts(&b, ")");
    }
    mig_buf_printf(&b, " EXECUTE FUNCTION %s()", S(j, "function"));
    done(d, &b);
}

static void create_extension(dir *d, const pobj *t)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    mig_buf_puts(&b, "CREATE EXTENSION IF NOT EXISTS ");
    put_id(&b, t->name);
    if (S(t->j, "extension_schema")) {
        mig_buf_puts(&b, " WITH SCHEMA ");
        put_id(&b, S(t->j, "extension_schema"));
    }
    if (S(t->j, "version")) {
        mig_buf_puts(&b, " VERSION ");
        mig_buf_quote(&b, S(t->j, "version"));
    }
    done(d, &b);
}

static void create_verbatim(dir *d, const pobj *t)
{
    mig_buf b;
    mig_buf_init(&b, d->ar);
    put_trimmed(&b, S(t->j, "def"));
    done(d, &b);
}

/* The name a type made again has while its columns are converted. */
static const char *old_type_name(dir *d, const pobj *f)
{
    return chk(d, mig_sprintf(d->ar, "%.50s_mig_old", f->name));
}

/* A function with an SQL-standard body (BEGIN ATOMIC, RETURN): PostgreSQL
 * parses it when it is created, so the tables it reads must exist.  Such a
 * function is made after the tables and dropped before them, unless a
 * table's default, generated column or constraint on that side calls it. */
static int late_function(dir *d, side *s, const pobj *fn)
{
    const char *def = S(fn->j, "def"), *name;
    int i, c;
    if (!def || !(strstr(def, "\nBEGIN ATOMIC") || strstr(def, "\nRETURN ")))
        return 0;
    name = qn(d, fn->schema, func_base(d, fn->name));
    for (i = 0; i < s->n; i++) {
        const pobj *t = &s->v[i];
        if (t->kind != K_TABLE)
            continue;
        for (c = 0; c < t->ncols; c++) {
            json_t *col = json_array_get(t->cols, (size_t)c);
            if (mentions(S(col, "default"), name, "(") || mentions(S(col, "generated"), name, "("))
                return 0;
        }
        for (c = 0; c < t->ncons; c++)
            if (mentions(S(json_array_get(t->cons, (size_t)c), "def"), name, "("))
                return 0;
    }
    return 1;
}

/* ---- ordering ----------------------------------------------------------------------------------- */

static void push(dir *d, olist *l, pobj *o, int cap)
{
    if (!l->v && !(l->v = mig_alloc(d->ar, sizeof(pobj *) * (size_t)(cap + 1)))) {
        d->oom = 1;
        return;
    }
    l->v[l->n++] = o;
}

/* depth-first: what o needs (on side s) comes before it in l; sel: the objects that take part */
static void topo_visit(dir *d, side *s, pobj *o, olist *l, int (*sel)(const pobj *));

static void topo_dep(dir *d, side *s, pobj *o, pobj *dep, olist *l, int (*sel)(const pobj *))
{
    (void)o;
    if (dep && dep != o && sel(dep))
        topo_visit(d, s, dep, l, sel);
}

static void topo_visit(dir *d, side *s, pobj *o, olist *l, int (*sel)(const pobj *))
{
    size_t i;
    json_t *x;
    qname q;
    if (o->visit)
        return;
    o->visit = 1;
    if (o->kind == K_VIEW) {
        json_array_foreach(J(o->j, "depends_on"), i, x) if (!parse_qual(d, json_string_value(x), &q) && q.n >= 2 &&
                                                            *q.rest != '(')
            topo_dep(d, s, o, find(s, K_VIEW, q.part[0], NULL, q.part[1]), l, sel);
    } else if (o->kind == K_TABLE) {
        if (S(o->j, "partition_of") && !parse_qual(d, S(o->j, "partition_of"), &q) && q.n == 2)
            topo_dep(d, s, o, find(s, K_TABLE, q.part[0], NULL, q.part[1]), l, sel);
        json_array_foreach(J(o->j, "inherits"), i, x) if (!parse_qual(d, json_string_value(x), &q) && q.n == 2)
            topo_dep(d, s, o, find(s, K_TABLE, q.part[0], NULL, q.part[1]), l, sel);
    } else if (o->kind == K_TYPE) {
        /* a domain, composite or range over another type of the list */
        int k;
        for (k = 0; k < d->types.n; k++) {
            pobj *t = d->types.v[k];
            const char *tn;
            json_t *y;
            int hit = 0;
            if (t == o)
                continue;
            tn = t->qname ? t->qname : (t->qname = qn(d, t->schema, t->name));
            hit = mentions(S(o->j, "base_type"), tn, NULL) || mentions(S(o->j, "range"), tn, NULL);
            json_array_foreach(J(o->j, "attributes"), i, y) hit = hit || mentions(S(y, "type"), tn, NULL);
            if (hit)
                topo_dep(d, s, o, t, l, sel);
        }
    }
    push(d, l, o, s->n);
}

static olist topo(dir *d, side *s, int kind, int (*sel)(const pobj *))
{
    olist l = {NULL, 0};
    int i;
    d->types.n = 0;
    d->types.v = NULL; /* sized for this side */
    for (i = 0; i < s->n; i++) {
        s->v[i].visit = 0;
        if (kind == K_TYPE && s->v[i].kind == K_TYPE && sel(&s->v[i]))
            push(d, &d->types, &s->v[i], s->n);
    }
    for (i = 0; i < s->n; i++)
        if (s->v[i].kind == kind && sel(&s->v[i]))
            topo_visit(d, s, &s->v[i], &l, sel);
    return l;
}

static int sel_drop(const pobj *o)
{
    return o->drop;
}
static int sel_gone(const pobj *o)
{
    return o->drop && !o->peer;
}
static int sel_recreated(const pobj *o)
{
    return o->drop && o->peer;
}

/* ---- one direction ------------------------------------------------------------------------------ */

static void emit(dir *d)
{
    side *F = d->F, *T = d->T;
    int i, c;
    olist l;
    /* 2. drops */
    for (c = 0; c < 3; c++)
        for (i = 0; i < F->n; i++)
            if (F->v[i].kind == (c == 0 ? K_EVTRIG : c == 1 ? K_POLICY : K_TRIGGER) && F->v[i].drop)
                drop_obj(d, &F->v[i]);
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_INDEX && F->v[i].drop)
            drop_obj(d, &F->v[i]);
    l = topo(d, F, K_VIEW, sel_drop);
    for (i = l.n - 1; i >= 0; i--)
        drop_obj(d, l.v[i]);
    for (c = 1; c >= 0; c--)
        for (i = 0; i < F->n; i++) {
            pobj *f = &F->v[i];
            int k;
            if (f->kind != K_TABLE)
                continue;
            for (k = 0; k < f->ncons; k++) {
                json_t *x = json_array_get(f->cons, (size_t)k);
                mig_buf b;
                if (!(f->kfl[k] & KF_DROP) || is_fk(x) != c)
                    continue;
                mig_buf_init(&b, d->ar);
                alter_table(&b, f->schema, f->oname);
                mig_buf_puts(&b, "DROP CONSTRAINT ");
                put_id(&b, S(x, "name"));
                done(d, &b);
            }
            for (k = 0; c == 0 && k < f->ncols; k++)
                if (f->cfl[k] & C_DEARLY) {
                    mig_buf b;
                    mig_buf_init(&b, d->ar);
                    alter_table(&b, f->schema, f->oname);
                    mig_buf_puts(&b, "ALTER COLUMN ");
                    put_id(&b, S(json_array_get(f->cols, (size_t)k), "name"));
                    mig_buf_puts(&b, " DROP DEFAULT");
                    done(d, &b);
                }
        }
    for (i = 0; i < F->n; i++) {
        pobj *f = &F->v[i];
        if (f->kind == K_SEQUENCE && S(f->j, "owned_by") && (!f->peer || !same(f->j, f->peer->j, "owned_by")))
            simple(d, "ALTER SEQUENCE ", qn(d, f->schema, f->name), " OWNED BY NONE");
    }
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_FUNCTION && sel_recreated(&F->v[i]))
            drop_obj(d, &F->v[i]);
    /* a type made again: the old one is renamed, the columns converted (phase 5), then it is dropped */
    l = topo(d, F, K_TYPE, sel_recreated);
    for (i = l.n - 1; i >= 0; i--) {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_printf(&b, "ALTER %s ", sql_kind(l.v[i]));
        put_qn(&b, l.v[i]->schema, l.v[i]->name);
        mig_buf_puts(&b, " RENAME TO ");
        put_id(&b, old_type_name(d, l.v[i]));
        done(d, &b);
    }
    /* 3. schemas, extensions, types, sequences, functions */
    for (i = 0; i < T->n; i++)
        if (T->v[i].kind == K_SCHEMA && T->v[i].drop)
            simple(d, "CREATE SCHEMA ", qn(d, NULL, T->v[i].name), NULL);
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i], *f = t->peer;
        if (t->kind != K_EXTENSION)
            continue;
        if (t->drop)
            create_extension(d, t);
        else if (!same(f->j, t->j, "extension_schema") && S(t->j, "extension_schema"))
            simple(d, chk(d, mig_sprintf(d->ar, "ALTER EXTENSION %s SET SCHEMA ", qn(d, NULL, t->name))),
                   qn(d, NULL, S(t->j, "extension_schema")), NULL);
        if (!t->drop && !same(f->j, t->j, "version") && S(t->j, "version")) {
            mig_buf b;
            mig_buf_init(&b, d->ar);
            mig_buf_printf(&b, "ALTER EXTENSION %s UPDATE TO ", qn(d, NULL, t->name));
            mig_buf_quote(&b, S(t->j, "version"));
            done(d, &b);
        }
    }
    l = topo(d, T, K_TYPE, sel_drop);
    for (i = 0; i < l.n; i++)
        create_type(d, l.v[i]);
    for (i = 0; i < T->n; i++)
        if (T->v[i].kind == K_TYPE && !T->v[i].drop)
            alter_type(d, T->v[i].peer, &T->v[i]);
    for (i = 0; i < T->n; i++)
        if (T->v[i].kind == K_SEQUENCE) {
            if (T->v[i].drop)
                create_sequence(d, &T->v[i]);
            else
                alter_sequence(d, T->v[i].peer, &T->v[i]);
        }
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind == K_FUNCTION && (t->drop || !same(t->j, t->peer->j, "def"))) {
            d->funcs = 1;
            if (!late_function(d, T, t))
                create_verbatim(d, t);
        }
    }
    /* 4. renames */
    for (i = 0; i < d->nh; i++)
        if (!d->h[i].column)
            simple(d, "ALTER TABLE ", qn(d, d->h[i].schema, d->h[i].table),
                   chk(d, mig_sprintf(d->ar, " RENAME TO %s", qn(d, NULL, d->h[i].to))));
    for (i = 0; i < d->nh; i++)
        if (d->h[i].column)
            simple(d, "ALTER TABLE ", qn(d, d->h[i].schema, d->h[i].table),
                   chk(d, mig_sprintf(d->ar, " RENAME COLUMN %s TO %s", qn(d, NULL, d->h[i].column),
                               qn(d, NULL, d->h[i].to))));
    for (i = 0; i < F->n; i++) {
        pobj *f = &F->v[i];
        if (f->kind != K_TABLE)
            continue;
        for (c = 0; c < f->ncons; c++)
            if (f->kmap[c] >= 0) {
                mig_buf b;
                mig_buf_init(&b, d->ar);
                alter_table(&b, f->schema, f->name);
                mig_buf_puts(&b, "RENAME CONSTRAINT ");
                put_id(&b, S(json_array_get(f->cons, (size_t)c), "name"));
                mig_buf_puts(&b, " TO ");
                put_id(&b, S(json_array_get(f->peer->cons, (size_t)f->kmap[c]), "name"));
                done(d, &b);
            }
    }
    /* 5. tables: recreated ones dropped, new ones, changed ones */
    l = topo(d, F, K_TABLE, sel_recreated);
    for (i = l.n - 1; i >= 0; i--) {
        loss(d, "table %s is dropped and created again (its partition key, or its parent's, changes)",
             qn(d, l.v[i]->schema, l.v[i]->name));
        simple(d, "DROP TABLE ", qn(d, l.v[i]->schema, l.v[i]->name), NULL);
    }
    l = topo(d, T, K_TABLE, sel_drop);
    for (i = 0; i < l.n; i++)
        create_table(d, l.v[i]);
    for (i = 0; i < T->n; i++)
        if (T->v[i].kind == K_TABLE && !T->v[i].drop)
            change_table(d, T->v[i].peer, &T->v[i]);
    /* 6. foreign keys, partitions attached, sequence ownership */
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind != K_TABLE)
            continue;
        for (c = 0; c < t->ncons; c++)
            if ((t->kfl[c] & KF_ADD) && is_fk(json_array_get(t->cons, (size_t)c)))
                add_constraint(d, t, json_array_get(t->cons, (size_t)c));
        if (!t->drop && S(t->j, "partition_of") && partition_moves(d, t->peer, t)) {
            mig_buf b;
            mig_buf_init(&b, d->ar);
            mig_buf_printf(&b, "ALTER TABLE %s ATTACH PARTITION ", S(t->j, "partition_of"));
            put_qn(&b, t->schema, t->name);
            mig_buf_printf(&b, " %s", S(t->j, "partition_bound") ? S(t->j, "partition_bound") : "DEFAULT");
            done(d, &b);
        }
    }
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind == K_SEQUENCE && S(t->j, "owned_by") && (t->drop || !same(t->j, t->peer->j, "owned_by")))
            simple(d, "ALTER SEQUENCE ", qn(d, t->schema, t->name), chk(d, mig_sprintf(d->ar, " OWNED BY %s", S(t->j, "owned_by"))));
    }
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind == K_FUNCTION && (t->drop || !same(t->j, t->peer->j, "def")) && late_function(d, T, t))
            create_verbatim(d, t);
    }
    /* 7. views, indexes, triggers, policies, event triggers */
    l = topo(d, T, K_VIEW, sel_drop);
    for (i = 0; i < l.n; i++)
        create_view(d, l.v[i]);
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind == K_VIEW && !t->drop && Bv(t->j, "with_no_data") != Bv(t->peer->j, "with_no_data"))
            simple(d, "REFRESH MATERIALIZED VIEW ", qn(d, t->schema, t->name),
                   Bv(t->j, "with_no_data") ? " WITH NO DATA" : NULL);
    }
    for (i = 0; i < T->n; i++)
        if (T->v[i].kind == K_INDEX && T->v[i].drop)
            create_index(d, &T->v[i]);
    for (i = 0; i < T->n; i++) {
        pobj *t = &T->v[i];
        if (t->kind == K_TRIGGER || t->kind == K_EVTRIG) {
            if (t->drop) {
                if (t->kind == K_TRIGGER)
                    create_verbatim(d, t); /* the def is a complete CREATE TRIGGER */
                else
                    create_evtrig(d, t);
            }
            trigger_enabled(d, t, t->drop ? NULL : S(t->peer->j, "enabled"));
        } else if (t->kind == K_POLICY && t->drop) {
            create_policy(d, t);
        }
    }
    /* 8. drops */
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_FUNCTION && sel_gone(&F->v[i]) && late_function(d, F, &F->v[i]))
            drop_obj(d, &F->v[i]);
    l = topo(d, F, K_TABLE, sel_gone);
    for (i = l.n - 1; i >= 0; i--) {
        loss(d, "table %s", qn(d, l.v[i]->schema, l.v[i]->oname));
        drop_obj(d, l.v[i]);
    }
    for (i = 0; i < F->n; i++)
        if ((F->v[i].kind == K_SEQUENCE || (F->v[i].kind == K_FUNCTION && !late_function(d, F, &F->v[i]))) &&
            sel_gone(&F->v[i]))
            drop_obj(d, &F->v[i]);
    l = topo(d, F, K_TYPE, sel_drop);
    for (i = l.n - 1; i >= 0; i--) {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_printf(&b, "DROP %s ", sql_kind(l.v[i]));
        put_qn(&b, l.v[i]->schema, l.v[i]->peer ? old_type_name(d, l.v[i]) : l.v[i]->name);
        done(d, &b);
    }
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_EXTENSION && sel_gone(&F->v[i]))
            drop_obj(d, &F->v[i]);
    for (i = 0; i < F->n; i++)
        if (F->v[i].kind == K_SCHEMA && sel_gone(&F->v[i]))
            drop_obj(d, &F->v[i]);
    /* 9. comments, owners, grants */
    for (i = 0; i < T->n; i++)
        decorations(d, &T->v[i]);
}

/* Does a statement use one of the new enum labels as a literal? */
static int uses_new_label(dir *d)
{
    int i, k;
    for (k = 0; k < d->newlabels.n; k++) {
        mig_buf b;
        mig_buf_init(&b, d->ar);
        mig_buf_quote(&b, d->newlabels.v[k]);
        if (b.oom || !b.data) {
            d->oom = 1;
            return 0;
        }
        for (i = 0; i < d->out.n; i++)
            if (strncmp(d->out.v[i], "--", 2) != 0 && strstr(d->out.v[i], b.data))
                return 1;
    }
    return 0;
}

static int direction(mig_arena *ar, const char *from, size_t from_len, const char *from_label, const char *to,
                     size_t to_len, const char *to_label, const hint *h, int nh, mig_buf *body, const char *marker,
                     int *nstmts, mig_err *err)
{
    side F, T;
    dir d;
    int rc = -1, i, nontx;
    memset(&d, 0, sizeof d);
    d.ar = ar;
    d.err = err;
    d.F = &F;
    d.T = &T;
    d.h = h;
    d.nh = nh;
    memset(&T, 0, sizeof T);
    if (load_side(ar, from, from_len, from_label, &F, err) || load_side(ar, to, to_len, to_label, &T, err) ||
        build_index(ar, &F, err) || build_index(ar, &T, err) || apply_hints(&d))
        goto out;
    plan(&d);
    if (!d.oom)
        emit(&d);
    if (d.oom) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto out;
    }
    nontx = d.addval.n && uses_new_label(&d);
    if (d.oom) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto out;
    }
    mig_buf_puts(body, marker);
    if (nontx)
        mig_buf_puts(body, MIG_SCHEMA_NONTX_MARK "ALTER TYPE ... ADD VALUE cannot be used in the transaction that "
                           "adds it\n");
    for (i = 0; nontx && i < d.addval.n; i++) {
        mig_buf_puts(body, d.addval.v[i]);
        mig_buf_puts(body, ";\n");
    }
    if (d.funcs)
        mig_buf_puts(body, "SELECT pg_catalog.set_config('check_function_bodies', 'false', true);\n");
    for (i = 0; !nontx && i < d.addval.n; i++) {
        mig_buf_puts(body, d.addval.v[i]);
        mig_buf_puts(body, ";\n");
    }
    for (i = 0; i < d.out.n; i++) {
        mig_buf_puts(body, d.out.v[i]);
        mig_buf_puts(body, strncmp(d.out.v[i], "--", 2) == 0 ? "\n" : ";\n");
    }
    *nstmts = d.out.n + d.addval.n;
    rc = 0;
out:
    json_decref(d.keep);
    json_decref(F.root);
    json_decref(T.root);
    return rc;
}

int mig_pg_diff(mig_arena *ar, const char *from, size_t from_len, const char *to, size_t to_len,
                const char *opts_json, char **body, mig_err *err)
{
    hint *h = NULL, *inv = NULL;
    int nh = 0, nup = 0, ndown = 0;
    mig_buf b;
    if (!err)
        return -1;
    if (!body || !ar)
        return mig_fail(err, MIG_E_INPUT, "mig_pg_diff: invalid arguments");
    *body = NULL;
    if (parse_hints(ar, opts_json, &h, &nh, err) || invert_hints(ar, h, nh, &inv, err))
        return -1;
    mig_buf_init(&b, ar);
    if (direction(ar, from, from_len, "from", to, to_len, "to", h, nh, &b, "-- mig:upgrade\n", &nup, err) ||
        direction(ar, to, to_len, "to", from, from_len, "from", inv, nh, &b, "-- mig:downgrade\n", &ndown, err))
        return -1;
    if (!nup && !ndown) {
        *body = mig_strdup(ar, "");
        return *body ? 0 : mig_fail(err, MIG_E_NOMEM, "out of memory");
    }
    if (b.oom || !b.data)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    *body = b.data;
    return 0;
}

/*
 * schema_pg.c — the canonical PostgreSQL snapshot document (see schema_pg.h).
 */
#include "schema_pg.h"
#include "schema.h" /* mig_schema_opt_patterns */
#include "snapshot_pg.h" /* MIG_PG_SNAPSHOT_QUERY_TEXT, made from snapshot_pg.sql by the Makefile */

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char MIG_PG_SNAPSHOT_QUERY[] = MIG_PG_SNAPSHOT_QUERY_TEXT;

/* in the order a snapshot lists them */
static const char *const KINDS[] = {"schema",   "extension", "type",   "sequence", "function",      "table",
                                    "index",    "view",      "trigger", "policy",  "event_trigger", NULL};

int mig_pg_kind_index(const char *kind)
{
    int i;
    for (i = 0; kind && KINDS[i]; i++)
        if (strcmp(KINDS[i], kind) == 0)
            return i;
    return -1;
}


static int filter_obj(mig_arena *ar, json_t *root, mig_pg_filter *f, mig_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return mig_fail(err, MIG_E_INPUT, "options must be a JSON object, e.g. '{\"schemas\": [\"app\"]}'");
    json_object_foreach(root, key, v) {
        if (strcmp(key, "kinds") == 0) {
            size_t i;
            if (!json_is_array(v) || json_array_size(v) == 0)
                return mig_fail(err, MIG_E_INPUT, "option \"kinds\" must be a non-empty array of kinds, e.g. "
                                                  "[\"table\", \"view\"]");
            for (i = 0; i < json_array_size(v); i++) {
                int k = mig_pg_kind_index(json_string_value(json_array_get(v, i)));
                if (k < 0)
                    return mig_fail(err, MIG_E_INPUT,
                                    "option \"kinds\": element %zu must be one of schema, extension, type, sequence, "
                                    "function, table, index, view, trigger, policy, event_trigger",
                                    i);
                f->kinds |= 1u << k;
            }
        } else if (strcmp(key, "include") == 0 || strcmp(key, "exclude") == 0 || strcmp(key, "schemas") == 0) {
            mig_strlist *l = key[0] == 'i' ? &f->include : key[0] == 'e' ? &f->exclude : &f->schemas;
            if (mig_schema_opt_patterns(ar, v, key, l, err))
                return -1;
        } else if (strcmp(key, "owners") == 0) {
            if (!json_is_boolean(v))
                return mig_fail(err, MIG_E_INPUT, "option \"owners\" must be true or false");
            f->owners = json_is_true(v);
        } else {
            return mig_fail(err, MIG_E_INPUT, "unknown option \"%s\" (known: schemas, kinds, include, exclude, owners)",
                            key);
        }
    }
    return 0;
}

int mig_pg_filter_parse(mig_arena *ar, const char *json, mig_pg_filter *f, mig_err *err)
{
    json_error_t jerr;
    json_t *root;
    int rc;
    if (!err)
        return -1;
    if (!ar || !f)
        return mig_fail(err, MIG_E_INPUT, "mig_pg_filter_parse: invalid arguments");
    memset(f, 0, sizeof *f);
    if (!json || !*json)
        return 0;
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "invalid options JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    rc = filter_obj(ar, root, f, err);
    json_decref(root);
    return rc;
}

/* ---- the document ---------------------------------------------------------------------------- */

typedef struct {
    json_t *o;
    int kind;
    const char *schema, *table, *name;
} item;

static const char *str_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int nullable_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

static int item_cmp(const void *x, const void *y)
{
    const item *a = x, *b = y;
    int c;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if ((c = nullable_cmp(a->schema, b->schema)) != 0)
        return c;
    if ((c = nullable_cmp(a->table, b->table)) != 0)
        return c;
    return strcmp(a->name, b->name);
}

static int any_match(const mig_strlist *l, const char *s)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (fnmatch(l->v[i], s, 0) == 0)
            return 1;
    return 0;
}

/* Does a name pass include / exclude?  A function's name is matched without
 * its argument list. */
static int name_passes(mig_arena *ar, const mig_pg_filter *f, const item *it, int *oom)
{
    const char *n = it->name;
    const char *paren;
    if (!f->include.n && !f->exclude.n)
        return 1;
    if (!n)
        return 0;
    paren = strchr(n, '(');
    if (paren && it->kind == mig_pg_kind_index("function") && !(n = mig_strndup(ar, n, (size_t)(paren - n)))) {
        *oom = 1;
        return 0;
    }
    if (f->include.n && !any_match(&f->include, n))
        return 0;
    return !any_match(&f->exclude, n);
}

static int keep(mig_arena *ar, const mig_pg_filter *f, const item *it, const item *v, int n, int *oom)
{
    if (f->kinds && !(f->kinds & (1u << it->kind)))
        return 0;
    if (f->schemas.n) {
        const char *ns = it->kind == 0 ? it->name : it->schema;
        if (ns && !any_match(&f->schemas, ns))
            return 0;
    }
    if (!name_passes(ar, f, it, oom))
        return 0;
    /* an index, trigger or policy goes with its table (or view) */
    if (it->table && (f->include.n || f->exclude.n)) {
        item probe;
        int i;
        memset(&probe, 0, sizeof probe);
        probe.name = it->table;
        probe.schema = it->schema;
        for (i = 0; i < n; i++)
            if ((v[i].kind == mig_pg_kind_index("table") || v[i].kind == mig_pg_kind_index("view")) &&
                nullable_cmp(v[i].schema, it->schema) == 0 && nullable_cmp(v[i].name, it->table) == 0)
                return name_passes(ar, f, &v[i], oom);
    }
    return 1;
}

int mig_pg_snapshot_doc(mig_arena *ar, const char *rows, size_t len, const mig_pg_filter *f, char **doc, mig_err *err)
{
    json_error_t jerr;
    json_t *root, *out = NULL;
    item *v = NULL;
    size_t i, n;
    int k = 0, oom = 0, rc = -1;
    char *text = NULL;
    mig_pg_filter none;
    if (!err)
        return -1;
    if (!ar || !rows || !doc)
        return mig_fail(err, MIG_E_INPUT, "mig_pg_snapshot_doc: invalid arguments");
    if (!f) {
        memset(&none, 0, sizeof none);
        f = &none;
    }
    root = json_loadb(rows, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "the catalog query returned invalid JSON at line %d, column %d: %s",
                        jerr.line, jerr.column, jerr.text);
    if (!json_is_array(root)) {
        mig_fail(err, MIG_E_INPUT, "the catalog query returned %s, not a JSON array", "another value");
        goto done;
    }
    n = json_array_size(root);
    if (!(v = calloc(n ? n : 1, sizeof *v))) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        json_t *o = json_array_get(root, i);
        item *it = &v[i];
        it->o = o;
        it->kind = json_is_object(o) ? mig_pg_kind_index(str_of(o, "kind")) : -1;
        it->name = json_is_object(o) ? str_of(o, "name") : NULL;
        if (it->kind < 0 || !it->name) {
            mig_fail(err, MIG_E_INPUT, "objects[%zu]: an object needs a known \"kind\" and a string \"name\"", i);
            goto done;
        }
        it->schema = str_of(o, "schema");
        it->table = str_of(o, "table");
    }
    if (!(out = json_array())) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto done;
    }
    qsort(v, n, sizeof *v, item_cmp);
    for (i = 0; i < n; i++) {
        if (!keep(ar, f, &v[i], v, (int)n, &oom)) {
            if (oom) {
                mig_fail(err, MIG_E_NOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        if (!f->owners)
            json_object_del(v[i].o, "owner");
        if (json_array_append(out, v[i].o)) {
            mig_fail(err, MIG_E_NOMEM, "out of memory");
            goto done;
        }
        k++;
    }
    if (!(text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS))) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto done;
    }
    if (!(*doc = mig_sprintf(ar, "{\"mig_snapshot\":1,\"dialect\":\"postgresql\",\"objects\":%s}", text))) {
        mig_fail(err, MIG_E_NOMEM, "out of memory");
        goto done;
    }
    (void)k;
    rc = 0;
done:
    free(text);
    free(v);
    json_decref(out);
    json_decref(root);
    return rc;
}

/*
 * mig_diff_sqlite.c — mig_diff(from, to [, opts]) for SQLite: the body of a
 * revision that takes a database whose snapshot is `from` to `to` and back
 * (core/schemadiff.c), from two snapshot documents (mig_snapshot()).
 *
 * opts: {"renames": [{"table": "old", "to": "new"},
 *                    {"table": "t", "column": "old", "to": "new"}]}
 * A column hint names its table as the new schema has it.  Unknown keys,
 * wrong types and hints that match nothing are errors naming them.
 */
#ifndef SQLITE_CORE
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include "mig_sqlite.h"
#include "schema.h"

#include <jansson.h>
#include <string.h>

static void *dq_alloc(void *ud, size_t n)
{
    (void)ud;
    return sqlite3_malloc64(n);
}
static void dq_free(void *ud, void *p)
{
    (void)ud;
    sqlite3_free(p);
}
static const mig_allocator DQ_ALLOC = {dq_alloc, dq_free, NULL};

/* One string member of a hint: NULL when absent; -1 when not a non-empty string. */
static int hint_str(mig_arena *ar, json_t *h, const char *key, int i, const char **out, mig_err *err)
{
    json_t *v = json_object_get(h, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
        return mig_fail(err, MIG_E_INPUT, "mig_diff: option \"renames\"[%d].%s must be a non-empty string", i, key);
    if (!(*out = mig_strdup(ar, json_string_value(v))))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    return 0;
}

static int parse_hints(mig_arena *ar, json_t *arr, mig_diff_opts *o, mig_err *err)
{
    size_t i, n;
    if (!json_is_array(arr))
        return mig_fail(err, MIG_E_INPUT,
                        "mig_diff: option \"renames\" must be an array of hints such as {\"table\": \"old\", \"to\": "
                        "\"new\"}");
    n = json_array_size(arr);
    if (n > 100000)
        return mig_fail(err, MIG_E_INPUT, "mig_diff: too many rename hints");
    o->renames = mig_alloc0(ar, sizeof(*o->renames) * (n ? n : 1));
    if (!o->renames)
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        json_t *h = json_array_get(arr, i), *v;
        mig_schema_rename *r = &o->renames[i];
        const char *key;
        if (!json_is_object(h))
            return mig_fail(err, MIG_E_INPUT, "mig_diff: option \"renames\"[%d] must be an object", (int)i);
        json_object_foreach(h, key, v) {
            if (strcmp(key, "table") != 0 && strcmp(key, "column") != 0 && strcmp(key, "to") != 0)
                return mig_fail(err, MIG_E_INPUT,
                                "mig_diff: option \"renames\"[%d]: unknown key \"%s\" (known: table, column, to)",
                                (int)i, key);
        }
        r->kind = MIG_SO_TABLE;
        if (hint_str(ar, h, "table", (int)i, &r->table, err) || hint_str(ar, h, "column", (int)i, &r->column, err) ||
            hint_str(ar, h, "to", (int)i, &r->to, err))
            return -1;
        if (!r->table || !r->to)
            return mig_fail(err, MIG_E_INPUT, "mig_diff: option \"renames\"[%d] needs \"table\" and \"to\"", (int)i);
    }
    o->nrenames = (int)n;
    return 0;
}

static int parse_opts(mig_arena *ar, const char *json, mig_diff_opts *o, mig_err *err)
{
    json_error_t jerr;
    json_t *root;
    int rc = 0;
    memset(o, 0, sizeof *o);
    if (!json || !*json)
        return 0;
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "mig_diff: invalid options JSON at line %d, column %d: %s", jerr.line,
                        jerr.column, jerr.text);
    if (!json_is_object(root))
        rc = mig_fail(err, MIG_E_INPUT, "mig_diff: options must be a JSON object, e.g. '{\"renames\": []}'");
    else {
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v) {
            if (strcmp(key, "renames") == 0) {
                if ((rc = parse_hints(ar, v, o, err)) != 0)
                    break;
            } else {
                rc = mig_fail(err, MIG_E_INPUT, "mig_diff: unknown option \"%s\" (known: renames)", key);
                break;
            }
        }
    }
    json_decref(root);
    return rc;
}

static int read_snapshot(mig_arena *ar, sqlite3_value *v, const char *which, mig_schema *s, mig_err *err)
{
    const char *t = (const char *)sqlite3_value_text(v);
    if (sqlite3_value_type(v) == SQLITE_NULL || !t)
        return mig_fail(err, MIG_E_INPUT, "mig_diff(from, to [, opts]): %s must be a snapshot (mig_snapshot()), not NULL",
                        which);
    if (mig_schema_from_json(ar, t, (size_t)sqlite3_value_bytes(v), s, err)) {
        mig_err_prefix(err, "mig_diff: %s: ", which);
        return -1;
    }
    if (s->dialect != MIG_DIALECT_SQLITE && s->dialect != MIG_DIALECT_ANY)
        return mig_fail(err, MIG_E_INPUT, "mig_diff: %s is not a SQLite snapshot", which);
    return 0;
}

void mig_diff_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    mig_arena ar;
    mig_err err;
    mig_schema from, to;
    mig_diff_opts o;
    char *body = NULL;
    int rc;
    mig_arena_init(&ar, &DQ_ALLOC);
    mig_err_clear(&err);
    rc = read_snapshot(&ar, argv[0], "from", &from, &err) || read_snapshot(&ar, argv[1], "to", &to, &err) ||
         parse_opts(&ar, argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL, &o, &err) ||
         mig_schema_diff(&ar, &from, &to, &o, &body, &err);
    if (rc) {
        if (err.code == MIG_E_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_error(ctx, err.msg[0] ? err.msg : "mig_diff failed", -1);
    } else
        sqlite3_result_text(ctx, body, -1, SQLITE_TRANSIENT);
    mig_arena_free(&ar);
}

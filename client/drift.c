/*
 * drift.c — two schemas compared object by object, for the commands that
 * say how schemas differ: `mig check` (drift: the live database against
 * what its applied revisions produce; desired: mig.ini's schema = ...
 * against what the revisions at head produce) and `mig test` (what a
 * downgrade leaves behind or takes too much of).
 *
 * Both sides are mig_snapshot() documents (autogen.c's schema_snapshot),
 * so what is compared is what the database itself reports.  Objects are
 * matched by kind, schema, name (and table, for triggers and policies, as
 * mig_diff matches them); a changed object is told key by key, and the
 * keys that are lists of named parts (columns, constraints) part by part:
 * "table orders: column note".
 */
#include "mig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the comparison ------------------------------------------------------------------ */

void *grow_array(mig_arena *ar, void *v, int n, int *cap, size_t size)
{
    void *w;
    if (n < *cap)
        return v;
    *cap = *cap ? 2 * *cap : 16;
    if (!(w = mig_alloc(ar, size * (size_t)*cap))) {
        fputs("mig: out of memory\n", stderr);
        exit(EX_FAILED);
    }
    if (n)
        memcpy(w, v, size * (size_t)n);
    return w;
}

static void add_change(mig_arena *ar, schema_changes *out, const char *object, const char *part, int side)
{
    out->v = grow_array(ar, out->v, out->n, &out->cap, sizeof *out->v);
    out->v[out->n].object = object;
    out->v[out->n].part = part;
    out->v[out->n].side = side;
    out->n++;
}

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Triggers and policies are named per table. */
static int per_table(const char *kind)
{
    return strcmp(kind, "trigger") == 0 || strcmp(kind, "policy") == 0;
}

/* "table public.orders", "index ix_a", "trigger touch on public.posts". */
static const char *object_label(mig_arena *ar, json_t *o)
{
    const char *kind = str_of(o, "kind"), *schema = str_of(o, "schema"), *name = str_of(o, "name");
    const char *table = str_of(o, "table");
    return mig_sprintf(ar, "%s %s%s%s%s%s", kind ? kind : "object", schema ? schema : "", schema ? "." : "",
                       name ? name : "?", table && kind && per_table(kind) ? " on " : "",
                       table && kind && per_table(kind) ? table : "");
}

/* What matches an object with its counterpart on the other side. */
static const char *object_key(mig_arena *ar, json_t *o)
{
    const char *kind = str_of(o, "kind"), *schema = str_of(o, "schema"), *table = str_of(o, "table");
    return mig_sprintf(ar, "%s\x1f%s\x1f%s\x1f%s", kind ? kind : "", schema ? schema : "",
                       table && kind && per_table(kind) ? table : "", str_of(o, "name") ? str_of(o, "name") : "");
}

/* A key in words: "primary_key" -> "primary key"; one: "columns" -> "column". */
static const char *key_words(mig_arena *ar, const char *key, int one)
{
    size_t n = strlen(key);
    char *s, *p;
    if (strcmp(key, "def") == 0) /* PostgreSQL's deparsed CREATE of a function, index, trigger */
        return "definition";
    s = mig_strndup(ar, key, one && n > 1 && key[n - 1] == 's' ? n - 1 : n);
    for (p = s; *p; p++)
        if (*p == '_')
            *p = ' ';
    return s;
}

/* A list whose every element is an object with a name: told part by part. */
static int named_list(json_t *v)
{
    size_t i;
    json_t *e;
    if (!v)
        return 1; /* absent: an empty list */
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, e)
    {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "name")))
            return 0;
    }
    return 1;
}

static json_t *by_name(json_t *list, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (strcmp(str_of(e, "name"), name) == 0)
            return e;
    }
    return NULL;
}

/* The keys of two objects that differ, "type, default" (kind, schema and name left out). */
static const char *differing_keys(mig_arena *ar, json_t *a, json_t *b)
{
    mig_strlist keys = {0};
    const char *k;
    json_t *v;
    int side;
    for (side = 0; side < 2; side++) {
        json_object_foreach(side ? b : a, k, v)
        {
            if (strcmp(k, "kind") != 0 && strcmp(k, "schema") != 0 && strcmp(k, "name") != 0 &&
                !json_equal(json_object_get(a, k), json_object_get(b, k)) && !mig_strlist_has(&keys, k))
                mig_strlist_add(ar, &keys, mig_strdup(ar, k));
        }
    }
    mig_strlist_sort(&keys);
    return mig_strlist_join(ar, &keys, ", ");
}

/* One key of an object found on both sides. */
static void compare_key(mig_arena *ar, const char *label, const char *key, json_t *a, json_t *b,
                        schema_changes *out)
{
    size_t i;
    json_t *e;
    const char *what;
    if (json_equal(a, b) || (!a && !b))
        return;
    if (!named_list(a) || !named_list(b)) {
        add_change(ar, out, label, key_words(ar, key, 0), 0);
        return;
    }
    what = key_words(ar, key, 1);
    if (a)
        json_array_foreach(a, i, e)
        {
            const char *name = str_of(e, "name");
            json_t *other = b ? by_name(b, name) : NULL;
            if (!other)
                add_change(ar, out, label, mig_sprintf(ar, "%s %s", what, name), -1);
            else if (!json_equal(e, other))
                add_change(ar, out, label,
                           mig_sprintf(ar, "%s %s (%s)", what, name, differing_keys(ar, e, other)), 0);
        }
    if (b)
        json_array_foreach(b, i, e)
        {
            const char *name = str_of(e, "name");
            if (!a || !by_name(a, name))
                add_change(ar, out, label, mig_sprintf(ar, "%s %s", what, name), 1);
        }
}

static json_t *load_objects(const char *snap, json_t **doc, mig_err *err)
{
    json_error_t je;
    json_t *objs;
    *doc = json_loads(snap, 0, &je);
    if (!*doc || !json_is_array(objs = json_object_get(*doc, "objects"))) {
        json_decref(*doc);
        *doc = NULL;
        mig_fail(err, MIG_E_INPUT, "mig_snapshot() returned a document that is not a snapshot");
        return NULL;
    }
    return objs;
}

/* The objects of one side with their match keys, each key formatted once,
 * and a hash of the keys (a jansson object: key -> the index of the first
 * object with that key, as the linear search found the first).  Finding
 * each object's counterpart by scanning the other side and formatting its
 * keys again made a comparison quadratic in objects: 4 s of printf for
 * `mig check` on 1,000 tables (bench/README.md, autogen.sh). */
typedef struct object_index {
    json_t *objs;
    const char **key; /* key[i]: object_key of objs[i] */
    json_t *first;
} object_index;

static int index_objects(mig_arena *ar, json_t *objs, object_index *ix, mig_err *err)
{
    size_t i;
    json_t *o;
    ix->objs = objs;
    ix->key = mig_alloc(ar, sizeof *ix->key * (json_array_size(objs) + 1));
    if (!ix->key || !(ix->first = json_object()))
        return mig_fail(err, MIG_E_NOMEM, "out of memory");
    json_array_foreach(objs, i, o)
    {
        const char *k = object_key(ar, o);
        if (!k || (!json_object_get(ix->first, k) &&
                   json_object_set_new_nocheck(ix->first, k, json_integer((json_int_t)i))))
            return mig_fail(err, MIG_E_NOMEM, "out of memory");
        ix->key[i] = k;
    }
    return 0;
}

/* The first object of ix with this key, or NULL. */
static json_t *find_object(const object_index *ix, const char *key)
{
    json_t *i = json_object_get(ix->first, key);
    return i ? json_array_get(ix->objs, (size_t)json_integer_value(i)) : NULL;
}

int schema_compare(mig_arena *ar, const char *a, const char *b, schema_changes *out, mig_err *err)
{
    json_t *da, *db_, *oa, *ob, *o;
    object_index ia = {0}, ib = {0};
    size_t i;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (!(oa = load_objects(a, &da, err)))
        return -1;
    if (!(ob = load_objects(b, &db_, err))) {
        json_decref(da);
        return -1;
    }
    if (index_objects(ar, oa, &ia, err) || index_objects(ar, ob, &ib, err))
        goto out;
    json_array_foreach(oa, i, o)
    {
        const char *label = object_label(ar, o);
        json_t *match = find_object(&ib, ia.key[i]);
        if (!match)
            add_change(ar, out, label, NULL, -1);
        else {
            const char *k;
            json_t *v;
            mig_strlist keys = {0};
            int side, n;
            for (side = 0; side < 2; side++) {
                json_object_foreach(side ? match : o, k, v)
                {
                    if (!mig_strlist_has(&keys, k))
                        mig_strlist_add(ar, &keys, mig_strdup(ar, k));
                }
            }
            mig_strlist_sort(&keys);
            for (n = 0; n < keys.n; n++)
                compare_key(ar, label, keys.v[n], json_object_get(o, keys.v[n]), json_object_get(match, keys.v[n]),
                            out);
        }
    }
    json_array_foreach(ob, i, o)
    {
        if (!find_object(&ia, ib.key[i]))
            add_change(ar, out, object_label(ar, o), NULL, 1);
    }
    rc = 0;
out:
    json_decref(ia.first);
    json_decref(ib.first);
    json_decref(da);
    json_decref(db_);
    return rc;
}

const char *schema_change_text(mig_arena *ar, const schema_change *c, const char *const words[3])
{
    const char *w = words[c->side + 1];
    return c->part ? mig_sprintf(ar, "%s: %s %s", c->object, c->part, w) : mig_sprintf(ar, "%s %s", c->object, w);
}

json_t *schema_changes_json(mig_arena *ar, const schema_changes *ch, const char *const words[3])
{
    static const char *const CHANGE[3] = {"removed", "changed", "added"};
    json_t *a = json_array();
    int i;
    for (i = 0; i < ch->n; i++) {
        const schema_change *c = &ch->v[i];
        json_array_append_new(a, json_pack("{s:s, s:s?, s:s, s:s}", "object", c->object, "part", c->part, "change",
                                           CHANGE[c->side + 1], "message", schema_change_text(ar, c, words)));
    }
    return a;
}

/* ---- mig check: drift and desired ---------------------------------------------------------- */

const char *const DRIFT_WORDS[3] = {"dropped by hand (the revisions have it, the live database does not)",
                                    "changed by hand (the live database differs from the revisions)",
                                    "added by hand (the live database has it, the revisions do not)"};
const char *const DESIRED_WORDS[3] = {"is made by the revisions but not in the desired schema",
                                      "differs between the desired schema and the revisions",
                                      "is in the desired schema but no revision makes it"};

/* The snapshot of the revisions `targets` replayed in a new scratch database of s. */
int replay_snapshot(ctx *x, scratch *s, const mig_strlist *targets, const char **snap, db **via, mig_err *err)
{
    const char *url;
    db *d;
    *snap = NULL;
    if (via)
        *via = NULL;
    if (!(url = scratch_new(x, s, err)))
        return -1;
    if (scratch_interrupted("scratch-created"))
        return mig_fail(err, MIG_E_INPUT, "interrupted");
    if (scratch_replay(x, s, url, targets))
        return mig_fail(err, MIG_E_INPUT, "%s",
                        scratch_interrupted("replay-failed") ? "interrupted"
                                                : "the revisions could not be replayed in a scratch database "
                                                  "(the error is above)");
    if (!(d = scratch_connect(x, url, err)))
        return -1;
    if (schema_snapshot(x, d, snap, err)) {
        db_close(d);
        return -1;
    }
    if (via)
        *via = d;
    else
        db_close(d);
    return 0;
}

/* desired: the desired schema against heads_snap (the revisions at head). */
int desired_changes(ctx *x, scratch *s, const char *heads_snap, schema_changes *ch, const char **sql, mig_err *err)
{
    const char *want;
    db *via = NULL;
    int rc;
    if (desired_snapshot(x, s, &want, &via, err))
        return -1;
    rc = schema_compare(x->ar, heads_snap, want, ch, err);
    if (rc == 0 && ch->n)
        rc = schema_diff(x, via, heads_snap, want, NULL, sql, err);
    db_close(via);
    return rc;
}

int check_schemas(ctx *x, db *live, const mig_strlist *cur, int at_heads, check_schema *out)
{
    mig_err err;
    scratch *s;
    const char *live_snap, *replay, *heads = NULL;
    mig_strlist head_target = {0};
    int rc = -1;
    mig_err_clear(&err);
    memset(out, 0, sizeof *out);
    if (schema_snapshot(x, live, &live_snap, &err))
        return fail_err("check: drift: ", &err);
    if (!(s = scratch_begin(x, &err)))
        return fail_err("check: drift: ", &err);
    if (replay_snapshot(x, s, cur, &replay, NULL, &err)) {
        if (!strstr(err.msg, "interrupted"))
            mig_err_hint(&err, "check compares the live schema with the revisions replayed from an empty database. "
                               "When they need objects made outside them (a schema older than mig), write those "
                               "into a first revision (mig baseline does it for a new project), or skip the schema "
                               "checks: mig check --no-drift, or check_drift = false in mig.ini.");
        goto fail;
    }
    if (scratch_interrupted("replayed"))
        goto out;
    out->ran_drift = 1;
    if (schema_compare(x->ar, replay, live_snap, &out->drift, &err) ||
        (out->drift.n && schema_diff(x, live, replay, live_snap, NULL, &out->drift_sql, &err)))
        goto fail;
    if (x->p->schema_paths.n) {
        if (at_heads)
            heads = replay;
        else {
            mig_strlist_add(x->ar, &head_target, "heads");
            if (replay_snapshot(x, s, &head_target, &heads, NULL, &err))
                goto fail;
        }
        out->ran_desired = 1;
        if (desired_changes(x, s, heads, &out->desired, &out->desired_sql, &err)) {
            mig_err_prefix(&err, "desired: ");
            goto fail;
        }
    }
    rc = 0;
    goto out;
fail:
    fail_err("check: ", &err);
out:
    scratch_end(s);
    return rc;
}

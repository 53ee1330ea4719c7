/*
 * opts.c — parsing of the JSON options object with jansson.
 */
#include "opts.h"
#include "revfile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mig_opts_default(mig_opts *o)
{
    memset(o, 0, sizeof *o);
    o->env = "default";
    o->lock_timeout_ms = -1;
}

const char *mig_opts_x(const mig_opts *o, const char *name)
{
    return mig_x_value(&o->xnames, &o->xvalues, name);
}

/* "5s", "500ms", "2min", "1h", or a bare number of milliseconds; at most a day */
#define MAX_TIMEOUT_MS 86400000.0
static int parse_duration(const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end), mul;
    while (*end == ' ')
        end++;
    if (end == s)
        return -1;
    if (*end == 0 || strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0)
        mul = 1000;
    else if (strcmp(end, "min") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -1;
    v *= mul;
    if (!(v >= 0 && v <= MAX_TIMEOUT_MS)) /* also rejects NaN */
        return -1;
    *ms = (long)v;
    return 0;
}

static int get_bool(json_t *v, const char *key, int *out, mig_err *err)
{
    if (!json_is_boolean(v))
        return mig_fail(err, MIG_E_INPUT, "option \"%s\" must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int parse_obj(mig_arena *ar, json_t *root, mig_opts *o, mig_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return mig_fail(err, MIG_E_INPUT, "options must be a JSON object, e.g. '{\"env\": \"default\"}'");
    json_object_foreach(root, key, v) {
        if (strcmp(key, "env") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
                return mig_fail(err, MIG_E_INPUT, "option \"env\" must be a non-empty string");
            if (mig_has_control(json_string_value(v)))
                return mig_fail(err, MIG_E_INPUT, "option \"env\" must not contain control characters (line "
                                                  "breaks, tabs...)");
            if (!(o->env = mig_strdup(ar, json_string_value(v))))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        } else if (strcmp(key, "tenant") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return mig_fail(err, MIG_E_INPUT, "option \"tenant\" must be a non-empty string (a schema name)");
            if (mig_has_control(json_string_value(v)))
                return mig_fail(err, MIG_E_INPUT, "option \"tenant\" must not contain control characters (line "
                                                  "breaks, tabs...)");
            if (!(o->tenant = mig_strdup(ar, json_string_value(v))))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        } else if (strcmp(key, "purge") == 0) {
            if (get_bool(v, key, &o->purge, err))
                return -1;
        } else if (strcmp(key, "force") == 0) {
            if (get_bool(v, key, &o->force, err))
                return -1;
        } else if (strcmp(key, "transaction") == 0) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "all") != 0 && strcmp(s, "each") != 0))
                return mig_fail(err, MIG_E_INPUT, "option \"transaction\" must be \"all\" or \"each\"");
            o->each = strcmp(s, "each") == 0;
        } else if (strcmp(key, "lock_timeout") == 0) {
            if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= (json_int_t)MAX_TIMEOUT_MS)
                o->lock_timeout_ms = (long)json_integer_value(v);
            else if (!json_is_string(v) || parse_duration(json_string_value(v), &o->lock_timeout_ms))
                return mig_fail(err, MIG_E_INPUT,
                                "option \"lock_timeout\" must be a duration up to a day, such as \"5s\", \"500ms\" or \"2min\"");
        } else if (strcmp(key, "nontransactional") == 0) {
            const char *s = json_string_value(v);
            if (!s || (strcmp(s, "error") != 0 && strcmp(s, "stop") != 0))
                return mig_fail(err, MIG_E_INPUT, "option \"nontransactional\" must be \"error\" or \"stop\"");
            o->nontx_stop = strcmp(s, "stop") == 0;
        } else if (strcmp(key, "dialect") == 0) {
            const char *d = json_string_value(v);
            if (!d || (strcmp(d, "sqlite") != 0 && strcmp(d, "postgresql") != 0))
                return mig_fail(err, MIG_E_INPUT, "option \"dialect\" must be \"sqlite\" or \"postgresql\"");
            o->dialect = strcmp(d, "sqlite") == 0 ? MIG_DIALECT_SQLITE : MIG_DIALECT_POSTGRES;
        } else if (strcmp(key, "record_only") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return mig_fail(err, MIG_E_INPUT, "option \"record_only\" must be a revision id");
            if (!(o->record_only = mig_strdup(ar, json_string_value(v))))
                return mig_fail(err, MIG_E_NOMEM, "out of memory");
        } else if (strcmp(key, "x") == 0) {
            const char *xk;
            json_t *xv;
            if (!json_is_object(v))
                return mig_fail(err, MIG_E_INPUT, "option \"x\" must be an object of x-arguments, e.g. {\"data\": \"true\"}");
            json_object_foreach(v, xk, xv) {
                char buf[64];
                const char *val;
                if (json_is_string(xv))
                    val = json_string_value(xv);
                else if (json_is_integer(xv)) {
                    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(xv));
                    val = buf;
                } else if (json_is_real(xv)) {
                    snprintf(buf, sizeof buf, "%.17g", json_real_value(xv));
                    val = buf;
                } else if (json_is_boolean(xv))
                    val = json_is_true(xv) ? "true" : "false";
                else if (json_is_null(xv))
                    continue;
                else
                    return mig_fail(err, MIG_E_INPUT, "x-argument \"%s\" must be a string, number or boolean", xk);
                {
                    char *kc = mig_strdup(ar, xk), *vc = mig_strdup(ar, val);
                    if (!kc || !vc || mig_strlist_add(ar, &o->xnames, kc) || mig_strlist_add(ar, &o->xvalues, vc))
                        return mig_fail(err, MIG_E_NOMEM, "out of memory");
                }
            }
        } else {
            return mig_fail(err, MIG_E_INPUT,
                            "unknown option \"%s\" (known: env, x, tenant, purge, force, transaction, lock_timeout, "
                            "nontransactional, record_only)",
                            key);
        }
    }
    return 0;
}

int mig_opts_parse(mig_arena *ar, const char *json, mig_opts *o, mig_err *err)
{
    json_error_t jerr;
    json_t *root;
    int rc;
    mig_opts_default(o);
    if (!json || !*json)
        return 0;
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mig_fail(err, MIG_E_INPUT, "invalid options JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    rc = parse_obj(ar, root, o, err);
    json_decref(root);
    return rc;
}

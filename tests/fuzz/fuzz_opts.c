/*
 * fuzz_opts.c - libFuzzer target for the JSON options parser
 * (core/opts.c, SPEC §4).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_opts.c core/mig_base.c core/opts.c -ljansson
 *   ./a.out -dict=tests/fuzz/opts.dict tests/fuzz/corpus/opts
 *
 * Input: the options text (a NUL-terminated exact-size copy is passed; text
 * with a NUL byte is cut there, as SQL text would be).
 *
 * Invariants checked (abort() on violation):
 *   - failure: MIG_E_INPUT or MIG_E_NOMEM with a non-empty message;
 *   - success: the input is empty or a JSON object (checked with jansson
 *     independently) with only the known keys; each field equals what the
 *     object says: env (default "default", non-empty), tenant, purge,
 *     force, transaction, x (every non-null x-argument readable through
 *     mig_opts_x with its text), lock_timeout (-1 when absent, otherwise
 *     a value >= 0 that fits the backends: at most INT_MAX ms);
 *   - deterministic; with the allocator failing at one point chosen from
 *     the input, a clean failure or the very same result (MIG_FUZZ_OOM=0
 *     in the environment turns that off);
 *   - every arena block is released.
 *
 * Regression inputs of fixed core bugs are in tests/fuzz/corpus/opts/:
 * lock-timeout-nan-ub ("nan" as a duration: (long)NaN, undefined
 * behaviour, and accepted), lock-timeout-overflows-int (a lock_timeout
 * above INT_MAX ms accepted, later cut to an int), oom-x-name-null (an
 * allocation failure stored a NULL x-argument name and the parse
 * succeeded; mig_x() then crashed in strcmp).
 */
#include "fuzz_common.h"
#include "mig_base.h"
#include "opts.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A printable summary of one result, to compare runs. */
static void summary(char *buf, size_t n, int rc, const mig_err *err, const mig_opts *o)
{
    size_t len;
    int i;
    if (rc) {
        snprintf(buf, n, "error %d %s", (int)err->code, err->msg);
        return;
    }
    len = (size_t)snprintf(buf, n, "env=%s tenant=%s purge=%d force=%d each=%d lt=%ld x:", o->env,
                           o->tenant ? o->tenant : "(null)", o->purge, o->force, o->each, o->lock_timeout_ms);
    for (i = 0; i < o->xnames.n && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, " %s=%s", o->xnames.v[i] ? o->xnames.v[i] : "(null)",
                                o->xvalues.v[i] ? o->xvalues.v[i] : "(null)");
}

static void check_against_json(const char *text, const mig_opts *o)
{
    json_error_t je;
    json_t *root, *v;
    const char *key;
    int nx = 0, i;

    CHECK(o->env && *o->env);
    CHECK(o->purge == 0 || o->purge == 1);
    CHECK(o->force == 0 || o->force == 1);
    CHECK(o->each == 0 || o->each == 1);
    CHECK(o->tenant == NULL || *o->tenant);
    CHECK(o->xnames.n == o->xvalues.n);
    for (i = 0; i < o->xnames.n; i++)
        CHECK(o->xnames.v[i] && o->xvalues.v[i]);
    CHECK(o->lock_timeout_ms >= -1);
    if (o->lock_timeout_ms > INT_MAX) {
        fprintf(stderr, "lock_timeout of %ld ms does not fit an int (sqlite3_busy_timeout, PostgreSQL)\n",
                o->lock_timeout_ms);
        CHECK(!"lock_timeout out of range");
    }

    if (!*text) {
        CHECK(strcmp(o->env, "default") == 0 && !o->tenant && !o->purge && !o->force && !o->each &&
              o->lock_timeout_ms == -1 && o->xnames.n == 0);
        return;
    }
    root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    CHECK(root != NULL);
    CHECK(json_is_object(root));
    v = json_object_get(root, "env");
    CHECK(v ? (json_is_string(v) && strcmp(json_string_value(v), o->env) == 0) : strcmp(o->env, "default") == 0);
    v = json_object_get(root, "tenant");
    CHECK(v ? (json_is_string(v) && o->tenant && strcmp(json_string_value(v), o->tenant) == 0) : !o->tenant);
    v = json_object_get(root, "purge");
    CHECK(v ? json_is_boolean(v) && json_is_true(v) == o->purge : !o->purge);
    v = json_object_get(root, "force");
    CHECK(v ? json_is_boolean(v) && json_is_true(v) == o->force : !o->force);
    v = json_object_get(root, "transaction");
    CHECK(v ? json_is_string(v) && (strcmp(json_string_value(v), "each") == 0) == o->each : !o->each);
    v = json_object_get(root, "lock_timeout");
    if (!v)
        CHECK(o->lock_timeout_ms == -1);
    else if (json_is_integer(v))
        CHECK(o->lock_timeout_ms == json_integer_value(v));
    else
        CHECK(json_is_string(v) && o->lock_timeout_ms >= 0);
    v = json_object_get(root, "nontransactional");
    CHECK(v ? json_is_string(v) && (strcmp(json_string_value(v), "stop") == 0) == o->nontx_stop : !o->nontx_stop);
    v = json_object_get(root, "record_only");
    CHECK(v ? (json_is_string(v) && o->record_only && strcmp(json_string_value(v), o->record_only) == 0)
            : !o->record_only);
    v = json_object_get(root, "x");
    if (v) {
        json_t *xv;
        CHECK(json_is_object(v));
        json_object_foreach(v, key, xv) {
            const char *got = mig_opts_x(o, key);
            if (json_is_null(xv)) {
                CHECK(got == NULL);
                continue;
            }
            nx++;
            CHECK(got != NULL);
            if (json_is_string(xv))
                CHECK(strcmp(got, json_string_value(xv)) == 0);
            else if (json_is_true(xv))
                CHECK(strcmp(got, "true") == 0);
            else if (json_is_false(xv))
                CHECK(strcmp(got, "false") == 0);
            else if (json_is_integer(xv)) {
                char b[64];
                snprintf(b, sizeof b, "%lld", (long long)json_integer_value(xv));
                CHECK(strcmp(got, b) == 0);
            } else
                CHECK(json_is_real(xv));
        }
    }
    CHECK(nx == o->xnames.n);
    json_object_foreach(root, key, v) {
        static const char *const known[] = {"env",          "x",           "tenant",          "purge",      "force",
                                            "transaction",  "lock_timeout", "nontransactional", "record_only"};
        int k, found = 0;
        for (k = 0; k < 9; k++)
            found |= strcmp(key, known[k]) == 0;
        CHECK(found);
    }
    json_decref(root);
}

static long parse(const char *text, long fail_at, int check, char *sum, size_t sumlen)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_err err;
    mig_opts o;
    int rc;
    mig_arena_init(&ar, &a);
    mig_err_clear(&err);
    rc = mig_opts_parse(&ar, text, &o, &err);
    CHECK(rc == 0 || rc == -1);
    CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL);
    if (rc) {
        CHECK(err.code == MIG_E_INPUT || err.code == MIG_E_NOMEM);
        CHECK(err.msg[0]);
    } else {
        CHECK(err.code == MIG_OK);
        if (check)
            check_against_json(text, &o);
    }
    summary(sum, sumlen, rc, &err, &o);
    mig_arena_free(&ar);
    CHECK(st.live == 0);
    return st.calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s1[8192], s2[8192];
    char *text;
    long n;
    if (size > 4096)
        return 0;
    text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = 0;
    n = parse(text, -1, 1, s1, sizeof s1);
    parse(text, -1, 0, s2, sizeof s2);
    CHECK(strcmp(s1, s2) == 0);
    if (oom_on && n > 0) {
        parse(text, (long)(fnv(data, size) % (uint32_t)n), 0, s2, sizeof s2);
        if (strncmp(s2, "error", 5) != 0 && strcmp(s1, s2) != 0) {
            fprintf(stderr, "result:        %s\nout of memory: %s\n", s1, s2);
            CHECK(!"an allocation failure changed the result");
        }
    }
    free(text);
    return 0;
}

/*
 * fuzz_schema.c - libFuzzer target for the schema model (core/schema.c):
 * mig_schema_add_sqlite (CREATE TABLE / INDEX through core/ddl, views and
 * triggers parsed by schema.c itself), mig_schema_finish, the canonical JSON
 * (mig_schema_to_json) and its validating reader (mig_schema_from_json), and
 * the SQL normaliser (mig_schema_norm_sql).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_schema.c core/mig_base.c core/sqltok.c core/ddl.c core/schema.c \
 *         -lcrypto -ljansson
 *   ./a.out -dict=tests/fuzz/schema.dict tests/fuzz/corpus/schema
 *
 * Input: rows as schema_fuzz.h describes them: a kind byte ('t' table,
 * 'i' index, 'v' view, 'g' trigger: the byte modulo 4) and the statement;
 * more rows follow after a NUL byte (a table, then an index, view or
 * trigger over it).  The text after the first byte (all of it) is also
 * given to the normaliser and to the JSON reader as is, in an exact-size
 * heap copy, so ASan catches any read past its end.
 *
 * Invariants checked (abort() on violation):
 *   - every failure is MIG_E_INPUT or MIG_E_NOMEM with a message (a model
 *     with text that is not UTF-8 has no JSON: an input error);
 *   - the model's JSON reads back (mig_schema_from_json) and is written
 *     again byte for byte (the snapshot format's round trip);
 *   - a JSON text that mig_schema_from_json accepts, written again and
 *     read back, is written the same (canonical after one pass);
 *   - mig_schema_norm_sql: a text without NUL bytes it normalises, it
 *     normalises again to the same text (idempotence), and its result
 *     never fails to lex (the result is a C string: a NUL inside a quoted
 *     token cuts it, by design);
 *   - deterministic; with the allocator failing at one point chosen from
 *     the input, the same result or an out-of-memory error
 *     (MIG_FUZZ_OOM=0 turns that off); every arena block is released.
 */
#include "schema_fuzz.h"

/* JSON -> model -> JSON: the text, or NULL (the error is in out; *nomem on out of memory). */
static char *json_pass(mig_arena *ar, const char *json, size_t len, sbuf *out, const char *what, int *nomem)
{
    mig_schema s;
    mig_err err;
    char *j;
    mig_err_clear(&err);
    if (mig_schema_from_json(ar, json, len, &s, &err)) {
        sb_error(out, what, &err);
        *nomem = err.code == MIG_E_NOMEM;
        CHECK(s.nobjs == 0);
        return NULL;
    }
    j = mig_schema_to_json(ar, &s, &err);
    if (!j) {
        sb_error(out, what, &err);
        *nomem = err.code == MIG_E_NOMEM;
        /* what the reader accepts is JSON text, hence UTF-8: it is written again */
        CHECK(err.code == MIG_E_NOMEM);
    }
    return j;
}

/* The checks on one model's JSON j: read back, written again, equal. */
static void json_round_trip(mig_arena *ar, const char *j, sbuf *out, const char *what)
{
    size_t n = strlen(j);
    char *exact = malloc(n ? n : 1);
    char *j2;
    int nomem = 0;
    CHECK(exact != NULL);
    memcpy(exact, j, n);
    j2 = json_pass(ar, exact, n, out, what, &nomem);
    if (!j2 && !nomem) {
        fprintf(stderr, "JSON:\n%s\nis not read back: %s\n", j, out->p);
        CHECK(!"the model's JSON does not read back");
    }
    if (j2 && strcmp(j, j2) != 0) {
        fprintf(stderr, "JSON:\n%s\nread back and written again:\n%s\n", j, j2);
        CHECK(!"the JSON round trip changes the text");
    }
    free(exact);
}

static long run(const uint8_t *data, size_t size, long fail_at, sbuf *out)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_schema s;
    mig_err err;
    const char *rest = (const char *)data + 1;
    size_t rlen = size - 1;
    char *exact = malloc(rlen ? rlen : 1);
    char *j, *n1;
    int nomem = 0;

    CHECK(exact != NULL);
    if (rlen)
        memcpy(exact, rest, rlen);
    mig_arena_init(&ar, &a);

    /* 1. rows -> model -> JSON -> model -> JSON */
    mig_schema_init(&s, MIG_DIALECT_SQLITE);
    add_rows(&ar, &s, (const char *)data, size, 0, out, &nomem);
    if (!nomem) {
        mig_schema_finish(&s);
        mig_err_clear(&err);
        j = mig_schema_to_json(&ar, &s, &err);
        if (!j) {
            /* text that is not UTF-8 has no JSON: a clean input error */
            sb_error(out, "to_json", &err);
        } else {
            sb_printf(out, "json %s\n", j);
            json_round_trip(&ar, j, out, "model json read back");
        }
    }

    /* 2. the normaliser on the raw text */
    mig_err_clear(&err);
    n1 = mig_schema_norm_sql(&ar, MIG_DIALECT_SQLITE, exact, rlen, &err);
    if (!n1) {
        sb_error(out, "norm", &err);
    } else {
        size_t l1 = strlen(n1);
        char *e1 = malloc(l1 ? l1 : 1);
        char *n2;
        CHECK(e1 != NULL);
        memcpy(e1, n1, l1);
        sb_printf(out, "norm %s\n", n1);
        mig_err_clear(&err);
        n2 = mig_schema_norm_sql(&ar, MIG_DIALECT_SQLITE, e1, l1, &err);
        if (memchr(exact, 0, rlen)) {
            /* by design: the result is a C string, so a NUL byte inside a literal or a
               quoted name cuts it (SQLite's own SQL text never holds one) */
        } else if (!n2) {
            check_error(&err);
            if (err.code != MIG_E_NOMEM) {
                fprintf(stderr, "normalised:\n%s\nfails again: %s\n", n1, err.msg);
                CHECK(!"a normalised text does not normalise again");
            }
            sb_printf(out, "norm2: " OOM_MARK "\n");
        } else if (strcmp(n1, n2) != 0) {
            fprintf(stderr, "normalised once:  %s\nnormalised twice: %s\n", n1, n2);
            CHECK(!"mig_schema_norm_sql is not idempotent");
        }
        free(e1);
    }

    /* 3. the JSON reader on the raw text; what it accepts is canonical after one pass */
    nomem = 0;
    j = json_pass(&ar, exact, rlen, out, "raw json", &nomem);
    if (j) {
        sb_printf(out, "raw json %s\n", j);
        json_round_trip(&ar, j, out, "raw json written and read back");
    }

    mig_arena_free(&ar);
    CHECK(st.live == 0);
    free(exact);
    return st.calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sbuf s1 = {NULL, 0, 0}, s2 = {NULL, 0, 0};
    long n;

    if (size < 1 || size > 8192)
        return 0;
    sb_printf(&s1, "%s", "");
    sb_printf(&s2, "%s", "");
    n = run(data, size, -1, &s1);
    run(data, size, -1, &s2);
    if (!sb_same(&s1, &s2)) {
        fprintf(stderr, "first run:\n%s\nsecond run:\n%s\n", s1.p, s2.p);
        CHECK(!"two runs differ");
    }
    if (oom_on && n > 0) {
        s2.len = 0;
        s2.p[0] = 0;
        run(data, size, (long)(fnv(data, size) % (uint32_t)n), &s2);
        if (!strstr(s2.p, OOM_MARK) && !sb_same(&s1, &s2)) {
            fprintf(stderr, "result:\n%s\nout of memory:\n%s\n", s1.p, s2.p);
            CHECK(!"an allocation failure changed the result");
        }
    }
    free(s1.p);
    free(s2.p);
    return 0;
}

/*
 * fuzz_schemadiff.c - libFuzzer target for the schema diff and the CREATE
 * renderer (core/schemadiff.c: mig_schema_diff, mig_schema_create_sql) on
 * models built by core/schema.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_schemadiff.c core/mig_base.c core/sqltok.c core/ddl.c core/schema.c \
 *         core/schemadiff.c -lcrypto -ljansson
 *   ./a.out -dict=tests/fuzz/schemadiff.dict tests/fuzz/corpus/schemadiff
 *
 * Input: two halves separated by the first pair of NUL bytes (no pair: the
 * second model is empty).  A half that starts with '{' is a snapshot
 * (mig_schema_from_json; one that does not read is the empty model);
 * otherwise it is rows as schema_fuzz.h describes them (kind byte 't', 'i',
 * 'v' or 'g', the statement; rows separated by one NUL), added tables first
 * as a frontend does.
 *
 * Invariants checked (abort() on violation):
 *   - the renderer's fixed point: for a model built from rows (and that
 *     has JSON: text that is not UTF-8 has none), every
 *     object's mig_schema_create_sql, read back with mig_schema_add_sqlite
 *     (tables first, as a frontend adds them), gives a model with the very
 *     same JSON;
 *   - diff(A, A) and diff(B, B) are "" (or a clean error);
 *   - diff(A, B) and diff(B, A): equal JSON gives "", and "" only for
 *     equal JSON; a non-empty body is an "-- mig:upgrade" section and an
 *     "-- mig:downgrade" section;
 *   - every failure is MIG_E_INPUT or MIG_E_NOMEM with a message;
 *   - deterministic; with the allocator failing at one point chosen from
 *     the input, the same result or an out-of-memory error
 *     (MIG_FUZZ_OOM=0 turns that off); every arena block is released.
 */
#include "schema_fuzz.h"

typedef struct {
    mig_schema s;
    int from_rows; /* built from rows (the fixed point applies) */
    char *json;    /* canonical JSON, NULL on out of memory */
} model;

/* Build a model from one half; 0, or -1 on out of memory. */
static int build(mig_arena *ar, const char *text, size_t len, model *m, sbuf *out, const char *tag)
{
    mig_err err;
    int nomem = 0;
    memset(m, 0, sizeof *m);
    mig_err_clear(&err);
    if (len > 0 && text[0] == '{') {
        char *exact = malloc(len);
        int rc;
        CHECK(exact != NULL);
        memcpy(exact, text, len);
        rc = mig_schema_from_json(ar, exact, len, &m->s, &err);
        free(exact);
        if (rc) {
            sb_error(out, tag, &err);
            if (err.code == MIG_E_NOMEM)
                return -1;
            mig_schema_init(&m->s, MIG_DIALECT_SQLITE);
        }
    } else {
        mig_schema_init(&m->s, MIG_DIALECT_SQLITE);
        add_rows(ar, &m->s, text, len, 1, out, &nomem);
        if (nomem)
            return -1;
        mig_schema_finish(&m->s);
        m->from_rows = 1;
    }
    m->json = mig_schema_to_json(ar, &m->s, &err);
    if (!m->json) {
        /* text that is not UTF-8 has no JSON: the diffs still run, unchecked against it */
        sb_error(out, tag, &err);
        if (err.code == MIG_E_NOMEM)
            return -1;
        m->from_rows = 0;
        return 0;
    }
    sb_printf(out, "%s %s\n", tag, m->json);
    return 0;
}

/* Every object rendered and read back; the JSON must not change.  -1 on out of memory. */
static int fixed_point(mig_arena *ar, const model *m, sbuf *out, const char *tag)
{
    mig_schema r;
    mig_err err;
    char **sql;
    char *j;
    int i, rc = 0;
    if (m->s.nobjs == 0)
        return 0;
    sql = calloc((size_t)m->s.nobjs, sizeof *sql);
    CHECK(sql != NULL);
    for (i = 0; i < m->s.nobjs; i++) {
        mig_err_clear(&err);
        sql[i] = mig_schema_create_sql(ar, &m->s, &m->s.objs[i], &err);
        if (!sql[i]) {
            check_error(&err);
            if (err.code == MIG_E_NOMEM) {
                sb_printf(out, "%s create_sql: " OOM_MARK "\n", tag);
                rc = -1;
                goto done;
            }
            /* an index without a table, a trigger without a statement: JSON only */
            fprintf(stderr, "object %s of a model built from rows: %s\n", m->s.objs[i].name, err.msg);
            CHECK(!"mig_schema_create_sql fails on a model built from rows");
        }
        sb_printf(out, "%s create %s\n", tag, sql[i]);
    }
    mig_schema_init(&r, MIG_DIALECT_SQLITE);
    /* objs are in kind order after finish: tables come first */
    for (i = 0; i < m->s.nobjs; i++) {
        const mig_sch_object *o = &m->s.objs[i];
        mig_err_clear(&err);
        if (mig_schema_add_sqlite(ar, &r, mig_so_kind_name(o->kind), NULL, NULL, sql[i], &err)) {
            check_error(&err);
            if (err.code == MIG_E_NOMEM) {
                sb_printf(out, "%s read back: " OOM_MARK "\n", tag);
                rc = -1;
                goto done;
            }
            fprintf(stderr, "model: %s\nrendered: %s\nread back: %s\n", m->json, sql[i], err.msg);
            CHECK(!"a rendered CREATE statement does not read back");
        }
    }
    mig_schema_finish(&r);
    mig_err_clear(&err);
    j = mig_schema_to_json(ar, &r, &err);
    if (!j) {
        CHECK(err.code == MIG_E_NOMEM);
        sb_printf(out, "%s fixed point json: " OOM_MARK "\n", tag);
        rc = -1;
        goto done;
    }
    if (strcmp(j, m->json) != 0) {
        fprintf(stderr, "model:\n%s\nrendered:\n", m->json);
        for (i = 0; i < m->s.nobjs; i++)
            fprintf(stderr, "  %s\n", sql[i]);
        fprintf(stderr, "read back:\n%s\n", j);
        CHECK(!"the rendered CREATE statements read back to another model");
    }
done:
    free(sql);
    return rc;
}

static void check_body(const char *body)
{
    if (!*body)
        return;
    CHECK(strncmp(body, "-- mig:upgrade\n", 15) == 0);
    CHECK(strstr(body, "\n-- mig:downgrade\n") != NULL || strncmp(body, "-- mig:downgrade\n", 17) == 0);
}

/* diff(x, y): "" exactly when the JSON is equal.  -1 on out of memory. */
static int diff(mig_arena *ar, const model *x, const model *y, sbuf *out, const char *tag)
{
    mig_err err;
    char *body = NULL;
    mig_err_clear(&err);
    if (mig_schema_diff(ar, &x->s, &y->s, NULL, &body, &err)) {
        sb_error(out, tag, &err);
        CHECK(body == NULL);
        return err.code == MIG_E_NOMEM ? -1 : 0;
    }
    CHECK(body != NULL);
    check_body(body);
    sb_printf(out, "%s:\n%s\n", tag, body);
    if (x == y && *body) {
        fprintf(stderr, "model: %s\ndiff with itself:\n%s\n", x->json ? x->json : "(not UTF-8)", body);
        CHECK(!"the diff of a model with itself is not empty");
    }
    if (x != y && x->json && y->json && (*body == 0) != (strcmp(x->json, y->json) == 0)) {
        fprintf(stderr, "from: %s\nto:   %s\ndiff:\n%s\n", x->json, y->json, body);
        CHECK(!"the diff is empty exactly when the models are equal");
    }
    return 0;
}

static long run(const uint8_t *data, size_t size, long fail_at, sbuf *out)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    const char *text = (const char *)data;
    size_t alen = size, i;
    const char *btext = NULL;
    size_t blen = 0;
    model A, B;

    for (i = 0; i + 1 < size; i++) {
        if (data[i] == 0 && data[i + 1] == 0) {
            alen = i;
            btext = text + i + 2;
            blen = size - i - 2;
            break;
        }
    }
    mig_arena_init(&ar, &a);
    if (build(&ar, text, alen, &A, out, "A") == 0 && build(&ar, btext, blen, &B, out, "B") == 0) {
        if ((!A.from_rows || fixed_point(&ar, &A, out, "A") == 0) &&
            (!B.from_rows || fixed_point(&ar, &B, out, "B") == 0) && diff(&ar, &A, &A, out, "A-A") == 0 &&
            diff(&ar, &B, &B, out, "B-B") == 0 && diff(&ar, &A, &B, out, "A-B") == 0)
            diff(&ar, &B, &A, out, "B-A");
    }
    mig_arena_free(&ar);
    CHECK(st.live == 0);
    return st.calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sbuf s1 = {NULL, 0, 0}, s2 = {NULL, 0, 0};
    long n;

    if (size > 8192)
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

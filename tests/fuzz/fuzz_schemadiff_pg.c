/*
 * fuzz_schemadiff_pg.c - libFuzzer target for the PostgreSQL schema diff
 * (core/schemadiff_pg.c: mig_pg_diff).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_schemadiff_pg.c core/mig_base.c core/schemadiff_pg.c -lcrypto -ljansson
 *   ./a.out -dict=tests/fuzz/schemadiff_pg.dict tests/fuzz/corpus/schemadiff_pg
 *
 * Input: up to three parts separated by pairs of NUL bytes: the `from`
 * document, the `to` document, the options (rename hints); a missing part
 * is an empty snapshot (no options).  The seeds are snapshots PostgreSQL 15
 * returned for test schemas.
 *
 * Invariants checked (abort() on violation):
 *   - every failure is MIG_E_INPUT or MIG_E_NOMEM with a message;
 *   - a body is "" or an "-- mig:upgrade" section then an "-- mig:downgrade"
 *     section, ending in a line break;
 *   - when diff(A, B) succeeds, diff(A, A) and diff(B, B) are "";
 *   - deterministic; with the allocator failing at one point chosen from
 *     the input, the same result or an out-of-memory error
 *     (MIG_FUZZ_OOM=0 turns that off); every arena block is released.
 */
#include "schema_fuzz.h"
#include "schemadiff_pg.h"

static const char EMPTY[] = "{\"mig_snapshot\":1,\"dialect\":\"postgresql\",\"objects\":[]}";

/* One diff in a fresh arena; the result (body or error) goes into out. */
static int run(const char *a, size_t na, const char *b, size_t nb, const char *opts, long fail_at, sbuf *out)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator al = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_err err;
    char *body = NULL;
    int rc;
    mig_arena_init(&ar, &al);
    mig_err_clear(&err);
    rc = mig_pg_diff(&ar, a, na, b, nb, opts, &body, &err);
    if (rc) {
        CHECK(rc == -1);
        CHECK(err.code == MIG_E_INPUT || err.code == MIG_E_NOMEM);
        CHECK(err.msg[0] != 0);
        sb_printf(out, "error %d: %s", (int)err.code, err.msg);
        if (st.failed && err.code == MIG_E_NOMEM)
            rc = -2;
    } else {
        CHECK(body != NULL);
        if (*body) {
            size_t n = strlen(body);
            CHECK(strncmp(body, "-- mig:upgrade\n", 15) == 0);
            CHECK(strstr(body, "\n-- mig:downgrade\n") != NULL);
            CHECK(body[n - 1] == '\n');
        }
        sb_printf(out, "ok %s", body);
    }
    mig_arena_free(&ar);
    CHECK(st.live == 0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *part[3] = {EMPTY, EMPTY, NULL};
    size_t len[3] = {sizeof EMPTY - 1, sizeof EMPTY - 1, 0};
    char *opts = NULL;
    int k = 0, rc, rc2;
    sbuf r1 = {0}, r2 = {0}, r3 = {0};
    const char *s = p;
    /* split at NUL NUL */
    while (k < 3) {
        const char *q = s;
        while (q + 1 < end && !(q[0] == 0 && q[1] == 0))
            q++;
        if (q + 1 >= end)
            q = end;
        part[k] = s;
        len[k] = (size_t)(q - s);
        k++;
        if (q >= end)
            break;
        s = q + 2;
    }
    if (k < 2) {
        part[1] = EMPTY;
        len[1] = sizeof EMPTY - 1;
    }
    if (k == 3) {
        opts = malloc(len[2] + 1);
        CHECK(opts != NULL);
        memcpy(opts, part[2], len[2]);
        opts[len[2]] = 0;
    }
    rc = run(part[0], len[0], part[1], len[1], opts, -1, &r1);
    rc2 = run(part[0], len[0], part[1], len[1], opts, -1, &r2);
    CHECK(rc == rc2 && strcmp(r1.p, r2.p) == 0);
    if (rc == 0) {
        sbuf e = {0};
        CHECK(run(part[0], len[0], part[0], len[0], NULL, -1, &e) == 0 && strcmp(e.p, "ok ") == 0);
        free(e.p);
        e.p = NULL;
        e.len = e.cap = 0;
        CHECK(run(part[1], len[1], part[1], len[1], NULL, -1, &e) == 0 && strcmp(e.p, "ok ") == 0);
        free(e.p);
    }
    if (oom_on) {
        long at = (long)(fnv(data, size) % 400);
        rc2 = run(part[0], len[0], part[1], len[1], opts, at, &r3);
        CHECK(rc2 == -2 || (rc2 == rc && strcmp(r1.p, r3.p) == 0));
    }
    free(r1.p);
    free(r2.p);
    free(r3.p);
    free(opts);
    return 0;
}

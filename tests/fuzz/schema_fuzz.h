/*
 * schema_fuzz.h - shared part of fuzz_schema.c and fuzz_schemadiff.c: a
 * counting allocator that can fail once, a growable text buffer for result
 * summaries, the error checks, and the row format.
 *
 * Rows: sqlite_schema rows separated by NUL bytes; each row is a kind byte
 * then the CREATE statement.  The kind is the byte modulo 4: 0 table,
 * 1 index, 2 view, 3 trigger (the seeds write 't', 'i', 'v', 'g').  Names
 * and tbl_name are NULL (taken from the statement), as a frontend may pass
 * them.  A row that fails is skipped (its error goes into the summary) and
 * the next row is added: a failed add must leave the model usable.
 */
#ifndef SCHEMA_FUZZ_H
#define SCHEMA_FUZZ_H

#include "schema.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "invariant violated at %s:%d: %s\n", __FILE__, __LINE__, #cond);                \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

static int oom_on = 1;
static int strict = 0; /* MIG_FUZZ_STRICT=1: no workaround of an open, reported bug */

typedef struct {
    long calls, fail_at, live;
    int failed; /* the one failure was injected */
} alloc_state;

static void *t_alloc(void *ud, size_t n)
{
    alloc_state *s = ud;
    void *p;
    if (s->fail_at >= 0 && s->calls == s->fail_at) {
        s->calls++;
        s->failed = 1;
        return NULL;
    }
    s->calls++;
    p = malloc(n);
    if (p)
        s->live++;
    return p;
}

static void t_free(void *ud, void *p)
{
    alloc_state *s = ud;
    if (p) {
        s->live--;
        free(p);
    }
}

typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (!b->p) {
        b->cap = 256;
        b->p = malloc(b->cap);
        CHECK(b->p != NULL);
        b->len = 0;
        b->p[0] = 0;
    }
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, room, fmt, ap);
        va_end(ap);
        CHECK(n >= 0);
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->p = realloc(b->p, b->cap);
        CHECK(b->p != NULL);
    }
}

static int sb_same(const sbuf *a, const sbuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* A failure says why, with a known code. */
static void check_error(const mig_err *err)
{
    CHECK(memchr(err->msg, 0, sizeof err->msg) != NULL);
    CHECK(err->msg[0] != '\0');
    CHECK(err->code == MIG_E_INPUT || err->code == MIG_E_NOMEM);
}

/* The marker of an injected allocation failure in a summary. */
#define OOM_MARK "<NOMEM>"

static void sb_error(sbuf *out, const char *what, const mig_err *err)
{
    check_error(err);
    if (err->code == MIG_E_NOMEM)
        sb_printf(out, "%s: " OOM_MARK "\n", what);
    else
        sb_printf(out, "%s: error %s\n", what, err->msg);
}

static const char *const KINDS[] = {"table", "index", "view", "trigger"};

/*
 * Add the rows of text[0..len) to s, in their order, or (tables_first) the
 * tables first as schema.h asks of a frontend (an index's expressions are
 * normalised knowing its table's columns).  Returns the number of rows added;
 * *nomem is set when an allocation failed (the caller stops there).
 */
static int add_rows(mig_arena *ar, mig_schema *s, const char *text, size_t len, int tables_first, sbuf *out,
                    int *nomem)
{
    size_t i = 0;
    int added = 0, row = 0, pass;
    *nomem = 0;
    for (pass = tables_first ? 0 : 1; pass < 2; pass++, i = 0, row = 0)
    while (i < len) {
        const char *nul = memchr(text + i, 0, len - i);
        size_t end = nul ? (size_t)(nul - text) : len;
        int is_table = end > i && (unsigned char)text[i] % 4 == 0;
        if (end > i && (!tables_first || (pass == 0) == is_table)) {
            const char *kind = KINDS[(unsigned char)text[i] % 4];
            char *sql = malloc(end - i);
            mig_err err;
            CHECK(sql != NULL);
            memcpy(sql, text + i + 1, end - i - 1);
            sql[end - i - 1] = 0;
            mig_err_clear(&err);
            if (mig_schema_add_sqlite(ar, s, kind, NULL, NULL, sql, &err) == 0) {
                added++;
                sb_printf(out, "row %d %s: ok\n", row, kind);
            } else {
                char what[64];
                snprintf(what, sizeof what, "row %d %s", row, kind);
                sb_error(out, what, &err);
                if (err.code == MIG_E_NOMEM) {
                    *nomem = 1;
                    free(sql);
                    return added;
                }
            }
            free(sql);
        }
        if (end > i)
            row++;
        i = end + 1;
    }
    return added;
}

static uint32_t fnv(const uint8_t *d, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ d[i]) * 16777619u;
    return h;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *e = getenv("MIG_FUZZ_OOM");
    (void)argc;
    (void)argv;
    /* jansson seeds its hash function from /dev/urandom; the comparisons
     * it makes steer libFuzzer, so a fixed seed keeps -seed=N runs the same */
    json_object_seed(1);
    if (e && strcmp(e, "0") == 0)
        oom_on = 0;
    e = getenv("MIG_FUZZ_STRICT");
    if (e && strcmp(e, "1") == 0)
        strict = 1;
    return 0;
}

#endif /* SCHEMA_FUZZ_H */

/*
 * fuzz_common.h - what the libFuzzer targets of tests/fuzz/ share: the
 * invariant check, a counting allocator that can fail once, a growable text
 * buffer for result summaries, a hash of the input (where to fail), and
 * LLVMFuzzerInitialize reading the environment:
 *   MIG_FUZZ_OOM=0     no injected allocation failure (oom_on = 0)
 *   MIG_FUZZ_STRICT=1  no workaround of an open, reported bug (strict = 1)
 * A target that defines FUZZ_STRICT_DEFAULT before including this file is
 * strict always.  jansson's hash seed is fixed, so a target's run does not
 * depend on /dev/urandom.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

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
static int strict = 0;

/* The allocator of an arena under test: allocation number fail_at (from 0)
 * fails, once, unless disarmed; live counts the blocks not yet freed. */
typedef struct {
    long calls, fail_at, live;
    int failed;   /* the one failure was injected */
    int disarmed; /* no failure yet (a target arms it at its own point) */
} alloc_state;

static void *t_alloc(void *ud, size_t n)
{
    alloc_state *s = ud;
    void *p;
    if (s->fail_at >= 0 && !s->disarmed && !s->failed && s->calls >= s->fail_at) {
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

/* A printable summary of a result, to compare runs. */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
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

static int sb_same(const sbuf *a, const sbuf *b) __attribute__((unused));
static int sb_same(const sbuf *a, const sbuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* FNV-1a of the input: where the allocator fails, chosen by the input. */
static uint32_t fnv(const uint8_t *d, size_t n) __attribute__((unused));
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
    json_object_seed(1);
    if (e && strcmp(e, "0") == 0)
        oom_on = 0;
    e = getenv("MIG_FUZZ_STRICT");
    if (e && strcmp(e, "1") == 0)
        strict = 1;
#ifdef FUZZ_STRICT_DEFAULT
    strict = 1;
#endif
    return 0;
}

#endif /* FUZZ_COMMON_H */

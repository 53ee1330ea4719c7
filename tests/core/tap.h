/*
 * tap.h - the TAP output and the malloc allocator the core unit tests share
 * (tests/core/test_*.c): ok() prints one "ok N - ..." / "not ok N - ..."
 * line and returns the condition; tap_done() prints the plan and returns
 * the exit status.  Header-only: each test is one program.
 */
#ifndef MIG_TEST_TAP_H
#define MIG_TEST_TAP_H

#include "mig_base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_tests, tap_failed;

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    tap_tests++;
    if (!cond)
        tap_failed++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return cond;
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_tests);
    return tap_failed ? 1 : 0;
}

static inline void *tap_alloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}

static inline void tap_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

/* malloc and free, for mig_arena_init */
static const mig_allocator TAP_ALLOC = {tap_alloc, tap_free, NULL};

#endif

/*
 * repro_engine_oom_null.c - regression test of a fixed core bug, run by
 * tests/run/30-fuzz.t (found by tests/sanitize/drive_sqlite --oom, which
 * makes SQLite's allocator fail under the extension).
 *
 * core/engine.c stored the result of mig_strdup()/mig_strndup() in a list
 * without checking it: str_row() (the rows of mig_version and the source of
 * a revision) and split_targets() (the targets of stamp).  When the arena
 * cannot grow, a NULL string goes into the list and the call goes on:
 * strlen(NULL) in run_bodies()/script_bodies(), *NULL in mig_plan_stamp().
 *
 * Each case runs mig_op_sql() over a fake backend in a child process; the
 * allocator fails exactly once, at the allocation that copies the string.
 * Fixed: every case ends in a clean error (or success) and this exits 0.
 * Still broken: a child dies of a signal (SIGSEGV) and this exits 1.
 *
 *   cc -D_GNU_SOURCE -Icore tests/fuzz/repro_engine_oom_null.c core/[a-z]*.c -lcrypto -ljansson
 */
#include "engine.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- an allocator that fails once, when armed ------------------------------------ */

static int armed;

static void *al(void *ud, size_t n)
{
    (void)ud;
    if (armed) {
        armed = 0;
        return NULL;
    }
    return malloc(n);
}

static void fr(void *ud, void *p)
{
    (void)ud;
    free(p);
}

/* ---- a fake backend: one revision a1 with a big source, no version row ------------- */

static mig_arena *the_arena;
static int fail_on; /* 1: the source copy, 2: the first stamp target copy */
static char *big_source;

/* fill the current arena block, so that the next allocation needs a new one */
static void fill_arena(void)
{
    while (the_arena->left >= 16)
        mig_alloc(the_arena, 16);
}

static int fake_query(void *ctx, const char *sql, int np, const char *const *params, mig_row_fn fn, void *arg,
                      mig_err *err)
{
    (void)ctx;
    (void)np;
    (void)params;
    if (strstr(sql, "SELECT revision, down_revisions")) {
        const char *row[7] = {"a1", "", "", "", "create", "0000", "1"};
        return fn ? fn(arg, 7, row, err) : 0;
    }
    if (strstr(sql, "SELECT version_num")) {
        if (fail_on == 2) {
            fill_arena(); /* the next copy, of the first stamp target, fails */
            armed = 1;
        }
        return 0;
    }
    if (strstr(sql, "SELECT source")) {
        const char *row[1] = {big_source};
        if (fail_on == 1)
            armed = 1; /* a big string gets a block of its own: that allocation fails */
        return fn ? fn(arg, 1, row, err) : 0;
    }
    return 0;
}

static int fake_ensure(void *ctx, int create, int *exists, mig_err *err)
{
    (void)ctx;
    (void)create;
    (void)err;
    *exists = 1;
    return 0;
}

static int fake_in_txn(void *ctx)
{
    (void)ctx;
    return 0;
}

static int run_case(int which, const char *direction, const char *target)
{
    mig_allocator a = {al, fr, NULL};
    mig_arena ar;
    mig_backend be;
    mig_opts o;
    mig_err err;
    const char *script = NULL;
    int rc;
    pid_t pid;
    int st;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        size_t i, n = 20000;
        big_source = malloc(n + 1);
        memcpy(big_source, "-- mig:revision a1\n-- mig:upgrade\n", 34);
        for (i = 34; i < n; i++)
            big_source[i] = (i % 64 == 63) ? '\n' : 'x';
        big_source[n] = 0;
        memset(&be, 0, sizeof be);
        be.db = &mig_db_sqlite;
        be.query = fake_query;
        be.ensure_schema = fake_ensure;
        be.in_transaction = fake_in_txn;
        mig_arena_init(&ar, &a);
        the_arena = &ar;
        fail_on = which;
        mig_opts_default(&o);
        mig_err_clear(&err);
        rc = mig_op_sql(&be, &ar, direction, target, &o, &script, &err);
        printf("    case %d, mig_sql('%s', '%s'): rc %d%s%s\n", which, direction, target, rc, rc ? ": " : "",
               rc ? err.msg : "");
        mig_arena_free(&ar);
        free(big_source);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
        printf("    case %d, mig_sql('%s', '%s'): killed by signal %d\n", which, direction, target, WTERMSIG(st));
        return 1;
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

int main(void)
{
    int bad = 0;
    bad |= run_case(1, "upgrade", "a1");  /* str_row: the source of a1 */
    bad |= run_case(2, "stamp", "a1");    /* split_targets: "a1" */
    printf(bad ? "still broken\n" : "ok\n");
    return bad;
}

/*
 * fuzz_batch.c — libFuzzer target for mig_batch's action parser and SQLite
 * planner (core/batch.c, with core/ddl.c).  Input: a CREATE TABLE statement,
 * a NUL byte, the actions text.  Invariants: no crash, no leak (every block
 * comes from one arena), and a plan that succeeds is well formed: a rebuild
 * renames the old table away first and drops it, a native plan has no such
 * statements.
 */
#include "batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *f_alloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}
static void f_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}
static const mig_allocator FA = {f_alloc, f_free, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, 0, size);
    char *table_sql, *actions;
    size_t tl, al;
    mig_arena ar;
    mig_err err;
    mig_batch_actions acts, rest;
    mig_strlist first = {0}, last = {0};
    mig_batch_schema sch;
    mig_batch_plan plan;
    if (!nul)
        return 0;
    tl = (size_t)(nul - (const char *)data);
    al = size - tl - 1;
    table_sql = malloc(tl + 1);
    actions = malloc(al + 1);
    memcpy(table_sql, data, tl);
    table_sql[tl] = 0;
    memcpy(actions, nul + 1, al);
    actions[al] = 0;
    mig_arena_init(&ar, &FA);
    mig_err_clear(&err);
    memset(&sch, 0, sizeof sch);
    sch.table_sql = table_sql;
    if (mig_batch_parse(&ar, actions, al, &acts, &err) == 0 &&
        mig_batch_split(&ar, "foo", table_sql, &acts, &first, &rest, &last, &err) == 0 &&
        mig_batch_plan_sqlite(&ar, "foo", &rest, &sch, &plan, &err) == 0) {
        int i;
        if (plan.rebuild) {
            if (plan.stmts.n < 3 || !strstr(plan.stmts.v[0], "RENAME TO") || !plan.temp_name)
                abort();
            for (i = 0; i < plan.stmts.n; i++)
                if (!plan.stmts.v[i])
                    abort();
        } else {
            for (i = 0; i < plan.stmts.n; i++)
                if (!plan.stmts.v[i] || strncmp(plan.stmts.v[i], "DROP TABLE", 10) == 0)
                    abort();
        }
    } else if (err.msg[0] == 0)
        abort(); /* a failure always says why */
    mig_arena_free(&ar);
    free(table_sql);
    free(actions);
    return 0;
}

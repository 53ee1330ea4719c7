/*
 * schemadiff_pg.c — the PostgreSQL schema diff (see schemadiff_pg.h).
 */
#include "schemadiff_pg.h"

int mig_pg_diff(mig_arena *ar, const char *from, size_t from_len, const char *to, size_t to_len,
                const char *opts_json, char **body, mig_err *err)
{
    (void)ar; (void)from; (void)from_len; (void)to; (void)to_len; (void)opts_json;
    *body = NULL;
    return mig_fail(err, MIG_E_INPUT, "mig_pg_diff: not implemented yet");
}

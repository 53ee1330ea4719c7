/*
 * mig_schema_pg.c — mig_snapshot([opts]) and mig_diff(from, to [, opts]) in
 * PostgreSQL (SPEC §7).
 *
 * mig_snapshot runs one catalog query (core/snapshot_pg.sql) through SPI,
 * read-only, with the server deparsing every definition; the SQL function is
 * declared with SET search_path = '' (sql/mig--0.4.sql), so every name the
 * server prints is schema-qualified and the caller's search_path cannot
 * change what the query reads or calls (every name in it is qualified with
 * pg_catalog, and operators resolve in pg_catalog first).  core/schema_pg.c
 * checks and sorts the result into the canonical document.  mig_diff reads
 * two documents and returns the revision body (core/schemadiff_pg.c); it
 * touches no database.  Errors: 22023 for bad options or documents, 22004
 * for a NULL argument.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "mig_base.h"
#include "schema_pg.h"
#include "schemadiff_pg.h"

#include <string.h>

static void *sch_alloc(void *ud, size_t n)
{
    return MemoryContextAllocExtended((MemoryContext)ud, n, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void sch_free(void *ud, void *p)
{
    (void)ud;
    if (p)
        pfree(p);
}

static void sch_report(const char *fn, const mig_err *err) pg_attribute_noreturn();
static void sch_report(const char *fn, const mig_err *err)
{
    ereport(ERROR, (errcode(err->code == MIG_E_NOMEM ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("%s: %s", fn, err->msg)));
    pg_unreachable();
}

static void arena_for(mig_arena *ar, mig_allocator *al)
{
    al->alloc = sch_alloc;
    al->free = sch_free;
    al->ud = CurrentMemoryContext;
    mig_arena_init(ar, al);
}

PG_FUNCTION_INFO_V1(pg_mig_snapshot);
Datum pg_mig_snapshot(PG_FUNCTION_ARGS)
{
    mig_allocator al;
    mig_arena ar;
    mig_err err;
    mig_pg_filter f;
    const char *opts = PG_NARGS() > 0 && !PG_ARGISNULL(0) ? text_to_cstring(PG_GETARG_TEXT_PP(0)) : NULL;
    Oid argtypes[1] = {INT4OID};
    Datum args[1];
    char *rows = NULL, *doc = NULL;
    MemoryContext outer = CurrentMemoryContext;
    int ret;
    text *result;

    arena_for(&ar, &al);
    mig_err_clear(&err);
    if (mig_pg_filter_parse(&ar, opts, &f, &err))
        sch_report("mig_snapshot", &err);
    args[0] = Int32GetDatum(f.owners ? 1 : 0);
    if (SPI_connect() != SPI_OK_CONNECT)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("mig_snapshot: SPI_connect failed")));
    ret = SPI_execute_with_args(MIG_PG_SNAPSHOT_QUERY, 1, argtypes, args, NULL, true, 1);
    if (ret != SPI_OK_SELECT || SPI_processed != 1)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("mig_snapshot: the catalog query failed (%s)", SPI_result_code_string(ret))));
    {
        char *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        MemoryContext spi = MemoryContextSwitchTo(outer);
        rows = pstrdup(v ? v : "[]");
        MemoryContextSwitchTo(spi);
    }
    SPI_finish();
    if (mig_pg_snapshot_doc(&ar, rows, strlen(rows), &f, &doc, &err))
        sch_report("mig_snapshot", &err);
    result = cstring_to_text(doc);
    mig_arena_free(&ar);
    PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(pg_mig_diff);
Datum pg_mig_diff(PG_FUNCTION_ARGS)
{
    mig_allocator al;
    mig_arena ar;
    mig_err err;
    text *from, *to;
    const char *opts;
    char *body = NULL;
    text *result;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("mig_diff(from, to [, opts]): from and to must not be NULL")));
    from = PG_GETARG_TEXT_PP(0);
    to = PG_GETARG_TEXT_PP(1);
    opts = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL;
    arena_for(&ar, &al);
    mig_err_clear(&err);
    if (mig_pg_diff(&ar, VARDATA_ANY(from), VARSIZE_ANY_EXHDR(from), VARDATA_ANY(to), VARSIZE_ANY_EXHDR(to), opts,
                    &body, &err))
        sch_report("mig_diff", &err);
    result = cstring_to_text(body ? body : "");
    mig_arena_free(&ar);
    PG_RETURN_TEXT_P(result);
}

/*
 * mig_pg.c — the PostgreSQL frontend of mig: the SQL API of SPEC §4 as C
 * functions, and core's backend interface (engine.h) on SPI.
 *
 * Transaction structure.  A function always runs inside a transaction, so a
 * call nests in it and never commits.  Every SPI call that may raise an
 * error runs inside an internal subtransaction: the atomic unit of a call
 * (unit_begin/unit_end), one more per step (step_begin/step_end), and, for
 * the read-only operations, one around the whole operation.  An error
 * raised inside a callback is caught (PG_TRY), turned into a mig_err and
 * returned as -1; the engine then rolls the subtransaction back, which is
 * what makes the state consistent again.  Until that rollback, the callbacks
 * refuse to run anything.
 *
 * The procedure mig_run, CALLed outside a transaction block, connects SPI
 * non-atomic: with "transaction": "each" every unit_end(commit) releases the
 * unit's subtransaction and then COMMITs (SPI_commit, which starts the next
 * transaction); the next unit_begin sets the options' GUCs and takes the
 * advisory lock again.  Such a run also holds that lock at session level
 * from its first unit to its end (released on every way out), so that no
 * other run slips in between two of its commits.
 *
 * Memory: the engine's arena lives in a memory context of the call (a
 * child of the function's context), allocated with MCXT_ALLOC_NO_OOM, so it
 * survives subtransaction rollbacks and is released by the error cleanup
 * when the final ereport() leaves the function.  For a CALL that context is
 * the portal's (or, nested, the caller's SPI procedure context), which
 * survives COMMIT; SPI's own procedure context does too in non-atomic mode.
 * The plans of the internal statements are saved plans (SPI_keepplan),
 * kept by the backend across calls (plan_cache): a bulk upload, one
 * mig_put_revision() per file, prepares its INSERT once, not once per file.
 * The server's plan cache revalidates them (a table dropped and created
 * again, an ALTER, a DISCARD) and they survive COMMIT and a rolled-back
 * subtransaction; they always run with the pinned search path and as the
 * role of the call (be_query), and privileges are checked when a plan runs.
 */
#include "postgres.h"

/* 15: setup_parse_variable_parameters, MarkGUCPrefixReserved; 17 removed
 * PushOverrideSearchPath (docs/postgresql.md, "PostgreSQL versions") */
#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 170000
#error "mig's extension needs PostgreSQL 15 or 16 (see docs/postgresql.md, PostgreSQL versions)"
#endif

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/spi_priv.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "parser/parse_param.h"
#include "parser/parser.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"

#include "batch.h"
#include "engine.h"
#include "guard.h"
#include "sqltok.h"

#include <stdio.h>
#include <string.h>

PG_MODULE_MAGIC;

/* mig.progress: a NOTICE "Running upgrade A -> B, message" before each step
 * (the mig client turns it on to print steps as they run). */
static bool mig_progress_guc = false;

void _PG_init(void);
void _PG_init(void)
{
    DefineCustomBoolVariable("mig.progress", "Report each migration step as a NOTICE as it starts.", NULL,
                             &mig_progress_guc, false, PGC_USERSET, 0, NULL, NULL, NULL);
    MarkGUCPrefixReserved("mig");
}

static void be_progress(void *ctx, const char *line)
{
    (void)ctx;
    ereport(NOTICE, (errmsg("%s", line)));
}

#define MAX_DEPTH 8
#define PLAN_CACHE 32
#define MAX_PARAMS 16
#define HIST_COLS 8     /* the parameters of a history row (engine.h, history) */
#define HIST_BATCH 1000 /* history rows written by one statement at most */

typedef struct pg_sub {
    MemoryContext mcxt;
    ResourceOwner owner;
} pg_sub;

typedef struct pg_ctx {
    MemoryContext callcxt;  /* the arena and everything of the call */
    MemoryContext scratch;  /* reset after every statement */
    pg_sub subs[MAX_DEPTH]; /* open internal subtransactions */
    int depth;
    int unit_depth;         /* depth of the unit's subtransaction, 0: none */
    int guc_nest;           /* GUC nest level of the unit's settings, 0: none */
    int failed;             /* an error was caught; waiting for the rollback */
    int nonatomic;          /* mig_run() called outside a transaction block: SPI may commit */
    int commit_units;       /* ... and "each": every unit ends with a COMMIT */
    int session_locked;     /* ... and holds the deploy lock lock_tag at session level */
    LOCKTAG lock_tag;       /* ... the deploy lock of the env/tenant (see deploy_locktag) */
    const char *user;
    Oid owner;              /* owner of the state tables: the role of every internal query */
    OverrideSearchPath *pinned; /* the search path of every internal query: pg_catalog only */
    const char *tenant_path;    /* the search path of a tenant's revisions, or NULL */
    /* the history rows of the unit not written yet (be_history) */
    MemoryContext histcxt;
    char *(*hist)[HIST_COLS];
    int nhist;
    int hist_depth;             /* the depth of the subtransaction they belong to */
} pg_ctx;

/* One backend is one connection: the mig call running on it, if any. */
static bool mig_busy = false;
static const mig_opts *mig_run = NULL;

/* ---- allocation --------------------------------------------------------- */

static void *pg_alloc(void *ud, size_t n)
{
    return MemoryContextAllocExtended((MemoryContext)ud, n, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void pg_free(void *ud, void *p)
{
    (void)ud;
    if (p)
        pfree(p);
}

/* ---- errors --------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/*
 * Inside PG_CATCH: turn the error being handled into err and flush it.  The
 * caller must roll the subtransaction back before running anything else.
 */
static void catch_error(pg_ctx *c, MemoryContext mcxt, mig_err *err, mig_errcode code)
{
    ErrorData *ed;
    MemoryContextSwitchTo(mcxt);
    ed = CopyErrorData();
    FlushErrorState();
    c->failed = 1;
    mig_fail(err, code, "%s", ed->message ? ed->message : "unknown error");
    copy_str(err->detail, sizeof err->detail, ed->detail);
    copy_str(err->hint, sizeof err->hint, ed->hint);
    memcpy(err->sqlstate, unpack_sql_state(ed->sqlerrcode), 5);
    err->sqlstate[5] = '\0';
    if (ed->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
        err->code = MIG_E_LOCK;
    FreeErrorData(ed);
}

static int refuse_after_error(pg_ctx *c, mig_err *err)
{
    if (c->failed)
        return mig_fail(err, MIG_E_SQL, "mig: a statement failed and its subtransaction is not rolled back yet");
    return 0;
}

/* ---- subtransactions ------------------------------------------------------ */

static int sub_begin(pg_ctx *c, mig_err *err)
{
    pg_sub *s;
    if (c->depth >= MAX_DEPTH)
        return mig_fail(err, MIG_E_USAGE, "mig: too many nested subtransactions");
    s = &c->subs[c->depth];
    s->mcxt = CurrentMemoryContext;
    s->owner = CurrentResourceOwner;
    BeginInternalSubTransaction(NULL);
    MemoryContextSwitchTo(s->mcxt);
    c->depth++;
    return 0;
}

/* Release (commit) or roll back the innermost subtransaction. */
static int sub_end(pg_ctx *c, int commit, mig_err *err)
{
    pg_sub *s;
    int rc = 0;
    if (c->depth <= 0)
        return mig_fail(err, MIG_E_USAGE, "mig: no subtransaction is open");
    s = &c->subs[--c->depth];
    if (commit && c->failed) {
        commit = 0;
        rc = mig_fail(err, MIG_E_SQL, "mig: cannot commit after a failed statement");
    }
    if (commit) {
        PG_TRY();
        {
            ReleaseCurrentSubTransaction();
        }
        PG_CATCH();
        {
            catch_error(c, s->mcxt, err, MIG_E_SQL);
            RollbackAndReleaseCurrentSubTransaction();
            rc = -1;
        }
        PG_END_TRY();
    } else {
        RollbackAndReleaseCurrentSubTransaction();
    }
    MemoryContextSwitchTo(s->mcxt);
    CurrentResourceOwner = s->owner;
    c->failed = 0;
    if (c->unit_depth > c->depth)
        c->unit_depth = 0;
    if (c->nhist && c->hist_depth > c->depth) {
        /* rolled back with the subtransaction they belong to (a released
         * one hands them to its parent) */
        if (rc || !commit) {
            c->nhist = 0;
            MemoryContextReset(c->histcxt);
        } else
            c->hist_depth = c->depth;
    }
    return rc;
}

/* ---- query ------------------------------------------------------------------ */

typedef struct parse_arg {
    Oid *types;
    int n;
} parse_arg;

static void parser_setup(struct ParseState *pstate, void *arg)
{
    parse_arg *pa = arg;
    /* the array is preallocated with a slot per parameter, so the parser
     * fills it in place and never reallocates it */
    setup_parse_variable_parameters(pstate, &pa->types, &pa->n);
}

/*
 * The backend's plans of the internal statements (see the header comment):
 * saved plans, with the parser hook's state and the parameters' input
 * functions, in TopMemoryContext.  The statements are the engine's few
 * constant texts (a schema prefix, no values), so PLAN_CACHE of them is
 * plenty; the oldest goes when it is full.
 */
typedef struct plan_ent {
    char *sql;
    int np;
    SPIPlanPtr plan;
    parse_arg *pa;              /* the parser hook's state: lives as long as the plan */
    Oid typ[MAX_PARAMS];        /* the parameter types fin/ioparam are for */
    Oid fin[MAX_PARAMS];
    Oid ioparam[MAX_PARAMS];
} plan_ent;

static plan_ent *plan_cache[PLAN_CACHE];
static int plan_ncache = 0;

static void plan_ent_free(plan_ent *pe)
{
    if (pe->plan)
        SPI_freeplan(pe->plan);
    pfree(pe->sql);
    pfree(pe->pa->types);
    pfree(pe->pa);
    pfree(pe);
}

/* The entry of sql (prepared, saved) or NULL with err set. */
static plan_ent *cache_find(const char *sql, int np, mig_err *err)
{
    int i;
    plan_ent *pe;
    SPIPlanPtr plan;
    for (i = 0; i < plan_ncache; i++)
        if (plan_cache[i]->np == np && strcmp(plan_cache[i]->sql, sql) == 0)
            return plan_cache[i];
    /* the parser hook may run again when the plan is revalidated: its
     * state lives as long as the plan */
    pe = MemoryContextAllocZero(TopMemoryContext, sizeof *pe);
    pe->sql = MemoryContextStrdup(TopMemoryContext, sql);
    pe->np = np;
    pe->pa = MemoryContextAlloc(TopMemoryContext, sizeof *pe->pa);
    pe->pa->types = MemoryContextAllocZero(TopMemoryContext, sizeof(Oid) * MAX_PARAMS);
    pe->pa->n = np;
    PG_TRY();
    {
        plan = SPI_prepare_params(sql, parser_setup, pe->pa, 0);
    }
    PG_CATCH();
    {
        plan_ent_free(pe);
        PG_RE_THROW();
    }
    PG_END_TRY();
    if (!plan) {
        plan_ent_free(pe);
        mig_fail(err, MIG_E_SQL, "cannot prepare a statement: %s", SPI_result_code_string(SPI_result));
        return NULL;
    }
    pe->plan = plan;
    if (pe->pa->n > np) {
        plan_ent_free(pe);
        mig_fail(err, MIG_E_SQL, "mig: a statement uses more parameters than it was given");
        return NULL;
    }
    if (SPI_keepplan(plan)) {
        plan_ent_free(pe);
        mig_fail(err, MIG_E_SQL, "cannot keep a statement's plan: %s", SPI_result_code_string(SPI_result));
        return NULL;
    }
    if (plan_ncache == PLAN_CACHE) {
        plan_ent_free(plan_cache[0]);
        memmove(&plan_cache[0], &plan_cache[1], sizeof(plan_cache[0]) * (PLAN_CACHE - 1));
        plan_ncache--;
    }
    plan_cache[plan_ncache++] = pe;
    return pe;
}

/* The body of be_query, inside PG_TRY. */
static int query_inner(pg_ctx *c, const char *sql, int np, const char *const *params, ParamListInfo ready,
                       mig_row_fn fn, void *arg, mig_err *err)
{
    int rc, r;
    ParamListInfo pl = ready;
    uint64 row;
    MemoryContext old;
    plan_ent *pe = cache_find(sql, np, err);
    if (!pe)
        return -1;
    old = MemoryContextSwitchTo(c->scratch);
    if (!ready)
        pl = makeParamList(np);
    for (r = 0; !ready && r < np; r++) {
        ParamExternData *prm = &pl->params[r];
        Oid t = r < pe->pa->n && pe->pa->types[r] ? pe->pa->types[r] : TEXTOID;
        prm->ptype = t;
        prm->pflags = PARAM_FLAG_CONST;
        prm->isnull = params[r] == NULL;
        prm->value = (Datum)0;
        if (params[r]) {
            if (pe->typ[r] != t) {
                /* the type of a parameter is known once the plan is prepared
                 * (and stays; a revalidation may deduce it again) */
                pe->typ[r] = InvalidOid;
                getTypeInputInfo(t, &pe->fin[r], &pe->ioparam[r]);
                pe->typ[r] = t;
            }
            prm->value = OidInputFunctionCall(pe->fin[r], (char *)params[r], pe->ioparam[r], -1);
        }
    }
    MemoryContextSwitchTo(old);
    rc = SPI_execute_plan_with_paramlist(pe->plan, pl, false, 0);
    if (rc < 0)
        return mig_fail(err, MIG_E_SQL, "%s", SPI_result_code_string(rc));
    if (fn && SPI_tuptable) {
        SPITupleTable *tt = SPI_tuptable;
        int ncol = tt->tupdesc->natts;
        const char *vals[MAX_PARAMS];
        if (ncol > MAX_PARAMS)
            ncol = MAX_PARAMS;
        for (row = 0; row < SPI_processed; row++) {
            int col;
            old = MemoryContextSwitchTo(c->scratch);
            for (col = 0; col < ncol; col++)
                vals[col] = SPI_getvalue(tt->vals[row], tt->tupdesc, col + 1);
            MemoryContextSwitchTo(old);
            if (fn(arg, ncol, vals, err)) {
                SPI_freetuptable(tt);
                return -1;
            }
        }
    }
    if (SPI_tuptable)
        SPI_freetuptable(SPI_tuptable);
    return 0;
}

/*
 * Every internal query (the state tables, the lock) runs as the owner of the
 * state tables, with the search path pinned to pg_catalog: the caller's
 * search_path cannot supply an operator or a function to it (a
 * public.=(text, text) would otherwise run inside mig_current() with the
 * caller's rights), and a deployer needs EXECUTE on mig's functions, not
 * write grants on the tables, so the functions are the only way in.
 * SECURITY_RESTRICTED_OPERATION forbids the role changes and temporary
 * objects that such a context must not make.  Revision bodies run outside
 * it, as the caller, with the caller's (or the tenant's) search path.
 */
static int query_as_owner(pg_ctx *c, const char *sql, int np, const char *const *params, ParamListInfo ready,
                          mig_row_fn fn, void *arg, mig_err *err)
{
    MemoryContext mcxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    volatile int rc = 0;
    int own = 0;
    Oid save_user;
    int save_sec;
    if (refuse_after_error(c, err))
        return -1;
    if (np > MAX_PARAMS)
        return mig_fail(err, MIG_E_SQL, "mig: too many parameters");
    if (c->depth == 0) {
        /* not inside a unit: the statement gets its own subtransaction */
        if (sub_begin(c, err))
            return -1;
        own = 1;
        mcxt = CurrentMemoryContext;
    }
    GetUserIdAndSecContext(&save_user, &save_sec);
    SetUserIdAndSecContext(c->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    PushOverrideSearchPath(c->pinned);
    PG_TRY();
    {
        rc = query_inner(c, sql, np, params, ready, fn, arg, err);
    }
    PG_CATCH();
    {
        catch_error(c, mcxt, err, MIG_E_SQL);
        CurrentResourceOwner = owner;
        rc = -1;
    }
    PG_END_TRY();
    PopOverrideSearchPath();
    SetUserIdAndSecContext(save_user, save_sec);
    MemoryContextReset(c->scratch);
    if (own && sub_end(c, rc == 0, err))
        rc = -1;
    return rc;
}

/*
 * The history rows of a unit are written in batches (HIST_BATCH rows by one
 * INSERT ... SELECT FROM unnest(...)), not by an INSERT per step: the
 * executor's start and end for a single-row INSERT into mig_history (its
 * CHECK, two indexes) cost more than the row.  They go in the same
 * subtransaction and in step order (the ids too), before any other
 * state-table statement of that subtransaction runs and before the unit
 * commits (hist_flush); a rolled-back unit drops them (sub_end).  Only a
 * revision body of the same call that reads mig_history may miss the rows
 * of the steps before it.
 */
static const char *hist_sql(void)
{
    static char sql[1024];
    if (!sql[0] &&
        (size_t)snprintf(sql, sizeof sql,
                 "INSERT INTO %smig_history (env, tenant, revision, direction, checksum, applied_by, started_at, "
                 "duration_ms) SELECT u.e, u.t, u.r, u.d, u.c, u.a, u.s::pg_catalog.timestamptz, "
                 "u.m::pg_catalog.int4 FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), "
                 "pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.text[]), "
                 "pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.text[]), "
                 "pg_catalog.unnest($6::pg_catalog.text[]), pg_catalog.unnest($7::pg_catalog.text[]), "
                 "pg_catalog.unnest($8::pg_catalog.text[])) AS u(e, t, r, d, c, a, s, m)",
                 mig_db_postgresql.schema) >= sizeof sql)
        elog(ERROR, "mig: the history statement does not fit its buffer");
    return sql;
}

static int hist_flush(pg_ctx *c, mig_err *err)
{
    ParamListInfo pl;
    MemoryContext old;
    Datum *dv;
    bool *dn;
    int col, i, rc, dims[1], lbs[1] = {1};
    if (c->nhist == 0)
        return 0;
    if (refuse_after_error(c, err))
        return -1;
    if (c->depth == 0 || c->hist_depth != c->depth)
        return mig_fail(err, MIG_E_USAGE, "mig: history rows outside the subtransaction they belong to");
    old = MemoryContextSwitchTo(c->histcxt);
    pl = makeParamList(HIST_COLS);
    dv = palloc(sizeof(Datum) * (size_t)c->nhist);
    dn = palloc(sizeof(bool) * (size_t)c->nhist);
    dims[0] = c->nhist;
    for (col = 0; col < HIST_COLS; col++) {
        ParamExternData *prm = &pl->params[col];
        for (i = 0; i < c->nhist; i++) {
            dn[i] = c->hist[i][col] == NULL;
            dv[i] = dn[i] ? (Datum)0 : CStringGetTextDatum(c->hist[i][col]);
        }
        prm->ptype = TEXTARRAYOID;
        prm->pflags = PARAM_FLAG_CONST;
        prm->isnull = false;
        prm->value = PointerGetDatum(construct_md_array(dv, dn, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
    }
    MemoryContextSwitchTo(old);
    rc = query_as_owner(c, hist_sql(), HIST_COLS, NULL, pl, NULL, NULL, err);
    c->nhist = 0;
    MemoryContextReset(c->histcxt);
    return rc;
}

static int be_history(void *ctx, const char *const *params, mig_err *err)
{
    pg_ctx *c = ctx;
    int col;
    if (refuse_after_error(c, err))
        return -1;
    if (c->depth == 0)
        return mig_fail(err, MIG_E_USAGE, "mig: a history row must be written inside a subtransaction");
    if (c->nhist && (c->nhist == HIST_BATCH || c->hist_depth != c->depth) && hist_flush(c, err))
        return -1;
    if (!c->hist)
        c->hist = MemoryContextAlloc(c->callcxt, sizeof(*c->hist) * HIST_BATCH);
    for (col = 0; col < HIST_COLS; col++)
        c->hist[c->nhist][col] = params[col] ? MemoryContextStrdup(c->histcxt, params[col]) : NULL;
    c->hist_depth = c->depth;
    c->nhist++;
    return 0;
}

static int be_query(void *ctx, const char *sql, int np, const char *const *params, mig_row_fn fn, void *arg,
                    mig_err *err)
{
    pg_ctx *c = ctx;
    /* (a statement inside a step, deeper, leaves them: they belong to the
     * unit, and must not go with a step that rolls back) */
    if (c->nhist && c->hist_depth == c->depth && hist_flush(c, err))
        return -1;
    return query_as_owner(c, sql, np, params, NULL, fn, arg, err);
}

/* ---- exec_body --------------------------------------------------------------- */

/* Byte offset of the 1-based character position pos in s. */
static size_t char_to_byte(const char *s, size_t len, int pos)
{
    size_t off = 0;
    int i;
    for (i = 1; i < pos && off < len; i++)
        off += (size_t)pg_mblen(s + off);
    return off > len ? len : off;
}

/* How a transaction statement is named in the refusal. */
static const char *txn_word(TransactionStmtKind k)
{
    switch (k) {
    case TRANS_STMT_BEGIN:
        return "BEGIN";
    case TRANS_STMT_START:
        return "START TRANSACTION";
    case TRANS_STMT_COMMIT:
        return "COMMIT";
    case TRANS_STMT_ROLLBACK:
        return "ROLLBACK";
    case TRANS_STMT_SAVEPOINT:
        return "SAVEPOINT";
    case TRANS_STMT_RELEASE:
        return "RELEASE";
    case TRANS_STMT_ROLLBACK_TO:
        return "ROLLBACK TO";
    case TRANS_STMT_PREPARE:
        return "PREPARE TRANSACTION";
    case TRANS_STMT_COMMIT_PREPARED:
        return "COMMIT PREPARED";
    case TRANS_STMT_ROLLBACK_PREPARED:
        return "ROLLBACK PREPARED";
    }
    return "transaction control";
}

/*
 * SPI_execute(src) of a statement the server's parser has read already, from
 * the start of its text: SPI_execute's own one-shot plan (spi.c), from that
 * parse tree instead of a second raw_parser() of src.  The tree's locations
 * are offsets into src (the statement starts the body), so the plan is the
 * one SPI_execute would make, and what runs is exactly what was checked.
 */
static int exec_parsed(pg_ctx *c, const RawStmt *rs, const char *src)
{
    _SPI_plan plan;
    SPIExecuteOptions options;
    MemoryContext old = MemoryContextSwitchTo(c->scratch);
    RawStmt *one = makeNode(RawStmt);
    one->stmt = rs->stmt;
    one->stmt_location = 0;
    one->stmt_len = 0; /* the rest of src, as SPI_execute's parse says */
    memset(&plan, 0, sizeof plan);
    plan.magic = _SPI_PLAN_MAGIC;
    plan.parse_mode = RAW_PARSE_DEFAULT;
    plan.cursor_options = CURSOR_OPT_PARALLEL_OK;
    plan.plancache_list = list_make1(CreateOneShotCachedPlan(one, src, CreateCommandTag(one->stmt)));
    plan.oneshot = true;
    MemoryContextSwitchTo(old);
    memset(&options, 0, sizeof options);
    options.read_only = false;
    options.tcount = 0;
    return SPI_execute_plan_extended(&plan, &options);
}

static int be_exec_body(void *ctx, const char *body, size_t len, size_t *fail_off, mig_err *err)
{
    pg_ctx *c = ctx;
    MemoryContext mcxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    char *sql;
    List *volatile raw = NIL;
    volatile size_t cur_start = 0, cur_end = 0;
    volatile int rc = 0, parsing = 1;
    if (refuse_after_error(c, err))
        return -1;
    if (c->depth == 0)
        return mig_fail(err, MIG_E_USAGE, "mig: a revision body must run inside a subtransaction");
    sql = MemoryContextAlloc(c->scratch, len + 1);
    memcpy(sql, body, len);
    sql[len] = '\0';
    PG_TRY();
    {
        ListCell *lc;
        MemoryContext old = MemoryContextSwitchTo(c->scratch);
        raw = raw_parser(sql, RAW_PARSE_DEFAULT);
        MemoryContextSwitchTo(old);
        parsing = 0;
        foreach (lc, raw) {
            RawStmt *rs = lfirst_node(RawStmt, lc);
            size_t start = rs->stmt_location > 0 ? (size_t)rs->stmt_location : 0;
            size_t slen = rs->stmt_len > 0 ? (size_t)rs->stmt_len : len - start;
            char *one;
            int r;
            if (start > len)
                start = len;
            if (start + slen > len)
                slen = len - start;
            cur_start = (size_t)(mig_sql_skip_blank(sql + start, sql + start + slen) - sql);
            cur_end = start + slen;
            if (IsA(rs->stmt, TransactionStmt)) {
                /* as the server's parser read it (core/guard.h) */
                mig_txn_refuse(err, txn_word(castNode(TransactionStmt, rs->stmt)->kind), 1);
                *fail_off = cur_start;
                rc = -1;
                break;
            }
            one = MemoryContextAlloc(c->scratch, slen + 1);
            memcpy(one, sql + start, slen);
            one[slen] = '\0';
            /* the first statement runs from this parse; a later one is read
             * again after the ones before it ran (a SET of
             * standard_conforming_strings changes how it reads) */
            r = start == 0 ? exec_parsed(c, rs, one) : SPI_execute(one, false, 0);
            if (SPI_tuptable)
                SPI_freetuptable(SPI_tuptable);
            if (r < 0) {
                mig_fail(err, MIG_E_SQL, "%s", SPI_result_code_string(r));
                if (r == SPI_ERROR_TRANSACTION)
                    mig_err_hint(err, "A revision cannot commit or roll back; it runs inside mig's transaction.");
                *fail_off = cur_start;
                mig_err_statement(err, sql + cur_start, sql + cur_end);
                rc = -1;
                break;
            }
            pfree(one);
        }
    }
    PG_CATCH();
    {
        ErrorData *ed;
        int pos = 0;
        MemoryContextSwitchTo(mcxt);
        ed = CopyErrorData();
        pos = ed->cursorpos;
        FreeErrorData(ed);
        catch_error(c, mcxt, err, MIG_E_SQL);
        CurrentResourceOwner = owner;
        if (parsing) {
            /* a syntax error: where the parser stopped */
            *fail_off = pos > 0 ? char_to_byte(sql, len, pos) : 0;
        } else {
            *fail_off = cur_start;
            mig_err_statement(err, sql + cur_start, sql + cur_end);
        }
        rc = -1;
    }
    PG_END_TRY();
    MemoryContextReset(c->scratch);
    return rc;
}

/* ---- the rest of the backend ---------------------------------------------- */

static int be_ensure_schema(void *ctx, int create, int *exists, mig_err *err)
{
    (void)ctx;
    (void)create;
    (void)err;
    *exists = 1; /* the tables come with the extension */
    return 0;
}

static int be_in_transaction(void *ctx)
{
    /* a function always runs inside a transaction; mig_run() called
     * outside a transaction block can commit */
    return !((pg_ctx *)ctx)->nonatomic;
}

/* Set a GUC for the rest of the unit (undone when the unit ends). */
static int set_guc(pg_ctx *c, const char *name, const char *value, mig_err *err)
{
    MemoryContext mcxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    volatile int rc = 0;
    PG_TRY();
    {
        (void)set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    }
    PG_CATCH();
    {
        catch_error(c, mcxt, err, MIG_E_INPUT);
        CurrentResourceOwner = owner;
        rc = -1;
    }
    PG_END_TRY();
    return rc;
}

/* Roll back a unit that could not start, keeping the error. */
static void unit_abort(pg_ctx *c, mig_err *err)
{
    mig_err keep = *err;
    c->guc_nest = 0;
    sub_end(c, 0, err);
    *err = keep;
    c->unit_depth = 0;
}

/*
 * "each" in mig_run(): COMMIT the transaction the unit ran in; SPI starts the
 * next one at once.  The memory of the call (its context, SPI's procedure
 * context) belongs to the CALL's portal and survives; the advisory lock and
 * the settings of the unit do not, so the next unit_begin takes them again.
 */
static int commit_xact(pg_ctx *c, mig_err *err)
{
    MemoryContext mcxt = CurrentMemoryContext;
    volatile int rc = 0;
    if (c->depth != 0)
        return mig_fail(err, MIG_E_USAGE, "mig: cannot commit while a subtransaction is open");
    /* the cached plans are saved plans: they survive the COMMIT */
    PG_TRY();
    {
        SPI_commit();
    }
    PG_CATCH();
    {
        /* SPI_commit has rolled the transaction back and started a new one
         * (e.g. a deferred constraint failed): nothing is left to roll back */
        catch_error(c, mcxt, err, MIG_E_SQL);
        c->failed = 0;
        mig_err_prefix(err, "COMMIT failed (this revision is rolled back; the ones before it stay committed): ");
        rc = -1;
    }
    PG_END_TRY();
    MemoryContextSwitchTo(mcxt);
    return rc;
}

/*
 * The deploy lock of an env/tenant.  It is an advisory lock in a key space
 * that SQL cannot reach: pg_advisory_lock() and its kin use locktag field4
 * 1 and 2, mig uses MIG_LOCK_SPACE (pg_locks: locktype advisory, objsubid
 * 28009).  So only mig's own functions, whose EXECUTE is the deploy right,
 * can take it: a role that may merely log in cannot hold up deployments.
 */
#define MIG_LOCK_SPACE 0x6d69
static void deploy_locktag(LOCKTAG *tag, const char *env, const char *tenant)
{
    char *key = psprintf("mig:%s:%s", env, tenant ? tenant : "");
    uint64 h = hash_bytes_extended((const unsigned char *)key, (int)strlen(key), 0);
    SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32)(h >> 32), (uint32)h, MIG_LOCK_SPACE);
    pfree(key);
}

/* Take the lock (waiting, with lock_timeout and deadlock detection as any lock wait). */
static int take_lock(pg_ctx *c, const LOCKTAG *tag, bool session, mig_err *err)
{
    MemoryContext mcxt = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    volatile int rc = 0;
    PG_TRY();
    {
        (void)LockAcquire(tag, ExclusiveLock, session, false);
    }
    PG_CATCH();
    {
        catch_error(c, mcxt, err, MIG_E_SQL);
        CurrentResourceOwner = owner;
        rc = -1;
    }
    PG_END_TRY();
    return rc;
}

static int be_unit_begin(void *ctx, const mig_opts *o, mig_err *err)
{
    pg_ctx *c = ctx;
    LOCKTAG tag;
    int session;
    if (refuse_after_error(c, err))
        return -1;
    if (sub_begin(c, err))
        return -1;
    c->unit_depth = c->depth;
    /* every setting made during the call — the options' and a revision's own
     * SET search_path / SET ROLE — ends with it */
    c->guc_nest = NewGUCNestLevel();
    if (o->lock_timeout_ms >= 0) {
        char v[32];
        snprintf(v, sizeof v, "%ld", o->lock_timeout_ms);
        if (set_guc(c, "lock_timeout", v, err))
            goto fail;
    }
    if (c->tenant_path && set_guc(c, "search_path", c->tenant_path, err))
        goto fail;
    /* concurrent calls on one env/tenant are serialised until the end of
     * the caller's transaction; a run that commits unit by unit ("each" in
     * mig_run) holds the same lock at session level until it ends, so that
     * another run does not slip in between two of its commits */
    deploy_locktag(&tag, o->env, o->tenant);
    session = c->commit_units && !c->session_locked;
    if (take_lock(c, &tag, session, err)) {
        if (err->code == MIG_E_LOCK) {
            mig_err_prefix(err, "cannot lock env \"%s\"%s%s%s: ", o->env, o->tenant ? " (tenant \"" : "",
                           o->tenant ? o->tenant : "", o->tenant ? "\")" : "");
            mig_err_hint(err, "Another session is migrating the same env; wait for it or raise \"lock_timeout\".");
        }
        goto fail;
    }
    if (session) {
        c->session_locked = 1;
        c->lock_tag = tag;
    }
    return 0;
fail:
    unit_abort(c, err);
    return -1;
}

/* The end of a run that committed unit by unit: release its session lock.
 * Runs on every way out of the call, an error included. */
static void release_session_lock(pg_ctx *c)
{
    if (c->session_locked) {
        c->session_locked = 0;
        (void)LockRelease(&c->lock_tag, ExclusiveLock, true);
    }
}

static int be_unit_end(void *ctx, int commit, mig_err *err)
{
    pg_ctx *c = ctx;
    int rc;
    if (c->unit_depth == 0 || c->depth != c->unit_depth)
        return mig_fail(err, MIG_E_USAGE, "mig: the unit's subtransaction is not the innermost one");
    if (commit && c->nhist && hist_flush(c, err)) {
        unit_abort(c, err);
        return -1;
    }
    if (commit && !c->failed && c->guc_nest)
        AtEOXact_GUC(false, c->guc_nest); /* restore, as at an abort; a rollback pops it with the subtransaction */
    c->guc_nest = 0;
    rc = sub_end(c, commit, err);
    c->unit_depth = 0;
    if (rc == 0 && commit && c->commit_units)
        rc = commit_xact(c, err);
    return rc;
}

static int be_step_begin(void *ctx, mig_err *err)
{
    pg_ctx *c = ctx;
    if (refuse_after_error(c, err))
        return -1;
    return sub_begin(c, err);
}

static int be_step_end(void *ctx, int commit, mig_err *err)
{
    return sub_end(ctx, commit, err);
}

static void be_set_run(void *ctx, const mig_opts *o)
{
    (void)ctx;
    mig_run = o;
}

static void backend_for(pg_ctx *c, mig_backend *be)
{
    memset(be, 0, sizeof *be);
    be->ctx = c;
    be->db = &mig_db_postgresql;
    be->applied_by = c->user;
    be->query = be_query;
    be->exec_body = be_exec_body;
    be->ensure_schema = be_ensure_schema;
    be->in_transaction = be_in_transaction;
    be->unit_begin = be_unit_begin;
    be->unit_end = be_unit_end;
    be->step_begin = be_step_begin;
    be->step_end = be_step_end;
    be->set_run = be_set_run;
    be->history = be_history;
    if (mig_progress_guc)
        be->progress = be_progress;
}

/* ---- the SQL functions -------------------------------------------------------- */

static int errcode_for(const mig_err *err)
{
    /* the database's own code, or one the engine chose (22004: a NULL argument) */
    if (err->sqlstate[0] && strlen(err->sqlstate) == 5 && strcmp(err->sqlstate, "00000") != 0)
        return MAKE_SQLSTATE(err->sqlstate[0], err->sqlstate[1], err->sqlstate[2], err->sqlstate[3], err->sqlstate[4]);
    switch (err->code) {
    case MIG_E_INPUT:
        return ERRCODE_INVALID_PARAMETER_VALUE;
    case MIG_E_TARGET:
        return ERRCODE_UNDEFINED_OBJECT;
    case MIG_E_GRAPH:
        return ERRCODE_DATA_EXCEPTION;
    case MIG_E_STATE:
        return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
    case MIG_E_SQL:
        return ERRCODE_INTERNAL_ERROR;
    case MIG_E_NOMEM:
        return ERRCODE_OUT_OF_MEMORY;
    case MIG_E_USAGE:
        return ERRCODE_FEATURE_NOT_SUPPORTED;
    case MIG_E_LOCK:
        return ERRCODE_LOCK_NOT_AVAILABLE;
    default:
        return ERRCODE_INTERNAL_ERROR;
    }
}

static void report(const mig_err *err) pg_attribute_noreturn();
static void report(const mig_err *err)
{
    /* what the error is about, for programs: a CONTEXT line "mig revision ID: REASON" */
    ereport(ERROR, (errcode(errcode_for(err)), errmsg("%s", err->msg),
                    err->detail[0] ? errdetail("%s", err->detail) : 0, err->hint[0] ? errhint("%s", err->hint) : 0,
                    err->reason != MIG_R_NONE && err->revision[0]
                        ? errcontext("mig revision %s: %s", err->revision, mig_reason_name(err->reason))
                        : 0));
    pg_unreachable();
}

static char *arg_cstr(FunctionCallInfo fcinfo, int i)
{
    if (i >= PG_NARGS() || PG_ARGISNULL(i))
        return NULL;
    return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

typedef mig_op_result fresult;

/* Run one operation; on failure err is filled and -1 returned (nothing raised). */
static int run_op(mig_op k, pg_ctx *c, mig_arena *ar, const char *a0, const char *a1, const mig_opts *o, fresult *r,
                  mig_err *err)
{
    mig_backend be;
    int rc = 0, wrap = !mig_op_defs[k].writes;
    backend_for(c, &be);
    if (wrap && sub_begin(c, err))
        return -1;
    rc = mig_op_call(&be, ar, k, a0, a0 ? strlen(a0) : 0, a1, o, r, err);
    if (rc == 0 && c->nhist)
        rc = mig_fail(err, MIG_E_USAGE, "mig: the engine left history rows unwritten");
    /* whatever the engine left open is rolled back (or, for the read-only
     * wrapper, released) */
    while (c->depth > 0) {
        mig_err scratch;
        int last = c->depth == 1 && wrap;
        mig_err_clear(&scratch);
        if (last && rc == 0) {
            if (sub_end(c, 1, err))
                rc = -1;
        } else {
            if (!last && rc == 0)
                rc = mig_fail(err, MIG_E_USAGE, "mig: the engine left a subtransaction open");
            sub_end(c, 0, &scratch);
        }
    }
    c->unit_depth = 0;
    c->guc_nest = 0;
    return rc;
}

/* The owner of the state tables (the role that created the extension). */
static Oid state_owner(void)
{
    Oid nsp = get_namespace_oid("mig", true), rel = InvalidOid, owner;
    HeapTuple tup;
    if (OidIsValid(nsp))
        rel = get_relname_relid("mig_version", nsp);
    if (!OidIsValid(rel) || !HeapTupleIsValid(tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel))))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("mig's state table mig.mig_version is missing"),
                        errhint("Recreate the extension: DROP EXTENSION mig; CREATE EXTENSION mig;")));
    owner = ((Form_pg_class)GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    return owner;
}

/* The search path of a tenant's revisions: the tenant, then the schema of
 * mig's functions (mig_x, mig_batch), then public. */
static const char *tenant_search_path(MemoryContext cxt, const char *tenant, Oid fn_oid)
{
    Oid ext_nsp = OidIsValid(fn_oid) ? get_func_namespace(fn_oid) : InvalidOid;
    char *ext = OidIsValid(ext_nsp) ? get_namespace_name(ext_nsp) : NULL;
    StringInfoData b;
    MemoryContext old = MemoryContextSwitchTo(cxt);
    initStringInfo(&b);
    appendStringInfoString(&b, quote_identifier(tenant));
    if (ext && strcmp(ext, tenant) != 0 && strcmp(ext, "public") != 0)
        appendStringInfo(&b, ", %s", quote_identifier(ext));
    if (strcmp(tenant, "public") != 0)
        appendStringInfoString(&b, ", public");
    MemoryContextSwitchTo(old);
    return b.data;
}

/* May the caller trust what role r put in a schema?  Itself, a role it is a
 * member of (not through superuser rights), or a superuser. */
static bool role_trusted(Oid caller, Oid r)
{
    return r == caller || is_member_of_role_nosuper(caller, r) || superuser_arg(r);
}

/*
 * A tenant's schema comes first in the search path of its revisions, so any
 * function, operator or table a revision names without a schema can come
 * from it, and runs with the rights of the role that calls mig_upgrade.  A
 * schema whose owner, or a role with CREATE on it, is a role the caller does
 * not control could hand the caller's rights (a superuser's) to that role:
 * refuse to run revisions there.
 */
static int tenant_untrusted(const char *tenant, Oid caller, mig_err *err)
{
    Oid nsp = get_namespace_oid(tenant, false), owner;
    HeapTuple tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
    Datum acl_datum;
    bool isnull;
    int rc = 0;
    if (!HeapTupleIsValid(tup))
        return mig_fail(err, MIG_E_INPUT, "tenant schema \"%s\" does not exist", tenant);
    owner = ((Form_pg_namespace)GETSTRUCT(tup))->nspowner;
    if (!role_trusted(caller, owner)) {
        mig_fail(err, MIG_E_USAGE, "tenant schema \"%s\" is owned by role \"%s\", which role \"%s\" does not control",
                 tenant, GetUserNameFromId(owner, false), GetUserNameFromId(caller, false));
        mig_err_detail(err, "A tenant's revisions run with the schema first in the search path and with the rights of "
                            "the role that calls mig: the schema's owner could supply functions or operators that "
                            "run with those rights.");
        mig_err_hint(err, "Run the migration as the schema's owner (SET ROLE %s), or make the deploying role own "
                          "it (ALTER SCHEMA %s OWNER TO ...).",
                     quote_identifier(GetUserNameFromId(owner, false)), quote_identifier(tenant));
        rc = -1;
    }
    acl_datum = SysCacheGetAttr(NAMESPACEOID, tup, Anum_pg_namespace_nspacl, &isnull);
    if (rc == 0 && !isnull) {
        Acl *acl = DatumGetAclP(acl_datum);
        AclItem *items = ACL_DAT(acl);
        int i;
        for (i = 0; i < ACL_NUM(acl) && rc == 0; i++) {
            Oid who = items[i].ai_grantee;
            if (!(ACLITEM_GET_PRIVS(items[i]) & ACL_CREATE))
                continue;
            if (who == ACL_ID_PUBLIC || !role_trusted(caller, who)) {
                mig_fail(err, MIG_E_USAGE, "%s%s%s may create objects in tenant schema \"%s\", and role \"%s\" does not "
                                           "control %s",
                         who == ACL_ID_PUBLIC ? "every role (PUBLIC)" : "role \"",
                         who == ACL_ID_PUBLIC ? "" : GetUserNameFromId(who, false), who == ACL_ID_PUBLIC ? "" : "\"",
                         tenant, GetUserNameFromId(caller, false), who == ACL_ID_PUBLIC ? "them" : "it");
                mig_err_detail(err, "A tenant's revisions run with the schema first in the search path and with the "
                                    "rights of the role that calls mig: a role that may create objects in it could "
                                    "supply functions or operators that run with those rights.");
                mig_err_hint(err, "REVOKE CREATE ON SCHEMA %s FROM %s;", quote_identifier(tenant),
                             who == ACL_ID_PUBLIC ? "PUBLIC" : quote_identifier(GetUserNameFromId(who, false)));
                rc = -1;
            }
        }
    }
    if (rc == 0 && pg_namespace_aclcheck(nsp, caller, ACL_USAGE) != ACLCHECK_OK) {
        /* the server leaves a schema without USAGE out of the search path:
         * the revisions would run in the next one (public), silently */
        mig_fail(err, MIG_E_USAGE, "role \"%s\" has no USAGE on tenant schema \"%s\": its revisions would create and "
                                   "find their objects in the next schema of the search path",
                 GetUserNameFromId(caller, false), tenant);
        mig_err_hint(err, "GRANT USAGE, CREATE ON SCHEMA %s TO %s;", quote_identifier(tenant),
                     quote_identifier(GetUserNameFromId(caller, false)));
        rc = -1;
    }
    ReleaseSysCache(tup);
    return rc;
}

/*
 * The common body of every function but mig_x.  Returns the result (the
 * caller turns it into a Datum); raises the error when the call failed.
 */
static void mig_call_in(FunctionCallInfo fcinfo, mig_op k, int proc, fresult *res, MemoryContext result_cxt)
{
    /* proc: the procedure mig_run(direction, target, opts) */
    const char *name = proc ? "mig_run" : mig_op_defs[k].name;
    int nfixed = mig_op_defs[k].nfixed, argoff = proc ? 1 : 0;
    /* CALLed as a statement of its own, outside a transaction block (and
     * not in a PL/pgSQL block with an EXCEPTION clause: a subtransaction) */
    int nonatomic = proc && fcinfo->context && IsA(fcinfo->context, CallContext) &&
                    !castNode(CallContext, fcinfo->context)->atomic && !IsSubTransaction();
    volatile int rc;
    char *a0 = NULL, *a1 = NULL, *opts;
    pg_ctx *c;
    mig_arena ar;
    mig_allocator al;
    mig_opts o;
    mig_err err;
    MemoryContext fncxt = CurrentMemoryContext, callcxt;

    if (mig_busy)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("%s() cannot run while another mig call is running in this session", name),
                        errdetail("A revision cannot call the mig functions (mig_x() excepted).")));
    /* a NULL fixed argument is refused by mig_op_call; mig_run's own (its
     * target) is named here, as the procedure's */
    if (nfixed >= 1)
        a0 = arg_cstr(fcinfo, argoff);
    if (nfixed >= 2)
        a1 = arg_cstr(fcinfo, argoff + 1);
    if (proc && !a0)
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("mig_run(): the target must not be NULL")));
    opts = arg_cstr(fcinfo, argoff + nfixed);

    callcxt = AllocSetContextCreate(fncxt, "mig call", ALLOCSET_DEFAULT_SIZES);
    c = MemoryContextAllocZero(callcxt, sizeof *c);
    c->callcxt = callcxt;
    c->scratch = AllocSetContextCreate(callcxt, "mig statement", ALLOCSET_DEFAULT_SIZES);
    c->histcxt = AllocSetContextCreate(callcxt, "mig history rows", ALLOCSET_DEFAULT_SIZES);
    c->user = MemoryContextStrdup(callcxt, GetUserNameFromId(GetUserId(), false));
    al.alloc = pg_alloc;
    al.free = pg_free;
    al.ud = callcxt;
    mig_arena_init(&ar, &al);
    mig_err_clear(&err);

    rc = mig_opts_parse(&ar, opts, &o, &err);
    if (rc == 0 && o.tenant && !OidIsValid(get_namespace_oid(o.tenant, true))) {
        mig_fail(&err, MIG_E_INPUT, "tenant schema \"%s\" does not exist", o.tenant);
        mig_err_hint(&err, "A tenant is a schema: CREATE SCHEMA %s first.", quote_identifier(o.tenant));
        rc = -1;
    }
    if (rc == 0 && o.tenant && (k == MIG_OP_UPGRADE || k == MIG_OP_DOWNGRADE) && tenant_untrusted(o.tenant, GetUserId(), &err))
        rc = -1;
    if (rc == 0) {
        /* the functions that change state reach the tables as their owner
         * (EXECUTE is the deploy right); the read-only ones as the caller,
         * who needs SELECT on them, so mig_sql() shows sources only to a role
         * that may read them */
        c->owner = mig_op_defs[k].writes ? state_owner() : GetUserId();
        c->pinned = MemoryContextAllocZero(callcxt, sizeof(OverrideSearchPath));
        c->pinned->schemas = NIL;
        c->pinned->addCatalog = true;
        c->pinned->addTemp = false;
        if (o.tenant)
            c->tenant_path = tenant_search_path(callcxt, o.tenant, fcinfo->flinfo->fn_oid);
    }
    if (rc == 0 && o.each && proc && !nonatomic) {
        mig_fail(&err, MIG_E_SQL, "mig_run(): \"transaction\": \"each\" cannot commit inside a transaction block");
        memcpy(err.sqlstate, "25001", 6);
        mig_err_detail(&err, "CALL mig_run() can commit only as a statement of its own: not inside BEGIN ... "
                             "COMMIT, a function, a block with an EXCEPTION clause, or a query string of several "
                             "statements.");
        mig_err_hint(&err, "Run the CALL on its own in autocommit mode, or use \"transaction\": \"all\" (the "
                           "default).");
        rc = -1;
    }
    if (rc == 0 && o.each && !proc && (k == MIG_OP_UPGRADE || k == MIG_OP_DOWNGRADE || k == MIG_OP_STAMP)) {
        mig_fail(&err, MIG_E_USAGE, "%s(): \"transaction\": \"each\" is not possible in a function: a function "
                 "runs inside the caller's transaction and cannot commit", name);
        mig_err_hint(&err, "Use the procedure, outside a transaction block: CALL mig_run('%s', target, opts); or "
                           "\"transaction\": \"all\" (the default).",
                     k == MIG_OP_UPGRADE ? "upgrade" : k == MIG_OP_DOWNGRADE ? "downgrade" : "stamp");
        rc = -1;
    }
    if (rc == 0) {
        if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
            elog(ERROR, "mig: SPI_connect failed");
        c->nonatomic = nonatomic;
        c->commit_units = nonatomic && o.each;
        mig_busy = true;
        PG_TRY();
        {
            rc = run_op(k, c, &ar, a0, a1, &o, res, &err);
        }
        PG_FINALLY();
        {
            mig_busy = false;
            mig_run = NULL;
            release_session_lock(c);
        }
        PG_END_TRY();
        SPI_finish();
    }
    if (rc)
        report(&err);
    /* copy what the caller returns out of the call's context */
    if (res->out)
        res->out = MemoryContextStrdup(result_cxt, res->out);
    if (res->nrows) {
        int i;
        mig_plan_row *rows = MemoryContextAlloc(result_cxt, sizeof(mig_plan_row) * (size_t)res->nrows);
        for (i = 0; i < res->nrows; i++) {
            rows[i].step = res->rows[i].step;
            rows[i].direction = res->rows[i].direction ? MemoryContextStrdup(result_cxt, res->rows[i].direction) : NULL;
            rows[i].revision = res->rows[i].revision ? MemoryContextStrdup(result_cxt, res->rows[i].revision) : NULL;
            rows[i].message = res->rows[i].message ? MemoryContextStrdup(result_cxt, res->rows[i].message) : NULL;
        }
        res->rows = rows;
    }
    MemoryContextSwitchTo(fncxt);
    MemoryContextDelete(callcxt);
}

static void mig_call(FunctionCallInfo fcinfo, mig_op k, fresult *res, MemoryContext result_cxt)
{
    mig_call_in(fcinfo, k, 0, res, result_cxt);
}

static Datum text_result(FunctionCallInfo fcinfo, mig_op k)
{
    fresult r;
    memset(&r, 0, sizeof r);
    mig_call(fcinfo, k, &r, CurrentMemoryContext);
    PG_RETURN_TEXT_P(cstring_to_text(r.out ? r.out : ""));
}

PG_FUNCTION_INFO_V1(pg_mig_put_revision);
Datum pg_mig_put_revision(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_PUT);
}

PG_FUNCTION_INFO_V1(pg_mig_remove_revision);
Datum pg_mig_remove_revision(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_REMOVE);
}

PG_FUNCTION_INFO_V1(pg_mig_upgrade);
Datum pg_mig_upgrade(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_UPGRADE);
}

PG_FUNCTION_INFO_V1(pg_mig_downgrade);
Datum pg_mig_downgrade(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_DOWNGRADE);
}

PG_FUNCTION_INFO_V1(pg_mig_stamp);
Datum pg_mig_stamp(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_STAMP);
}

/*
 * CALL mig_run(direction, target [, opts]): mig_upgrade, mig_downgrade or
 * mig_stamp as a procedure.  CALLed as a statement of its own (outside a
 * transaction block) it may commit, so "transaction": "each" commits after
 * every revision; inside a transaction block "each" is an error (25001) and
 * "all" nests like the functions.  It returns nothing (a procedure with an
 * OUT argument would need a variable for it in every PL/pgSQL CALL):
 * mig_current() tells the heads.
 */
PG_FUNCTION_INFO_V1(pg_mig_run);
Datum pg_mig_run(PG_FUNCTION_ARGS)
{
    fresult r;
    mig_op k;
    char *dir = arg_cstr(fcinfo, 0);
    if (!dir)
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("mig_run(): the direction must not be NULL")));
    if (strcmp(dir, "upgrade") == 0)
        k = MIG_OP_UPGRADE;
    else if (strcmp(dir, "downgrade") == 0)
        k = MIG_OP_DOWNGRADE;
    else if (strcmp(dir, "stamp") == 0)
        k = MIG_OP_STAMP;
    else
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("mig_run(): unknown direction \"%s\"", dir),
                        errhint("Use 'upgrade', 'downgrade' or 'stamp'.")));
    memset(&r, 0, sizeof r);
    /* cppcheck-suppress legacyUninitvar ; false positive: the ereport(ERROR) above does not return */
    mig_call_in(fcinfo, k, 1, &r, CurrentMemoryContext);
    PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pg_mig_current);
Datum pg_mig_current(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_CURRENT);
}

PG_FUNCTION_INFO_V1(pg_mig_heads);
Datum pg_mig_heads(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_HEADS);
}

PG_FUNCTION_INFO_V1(pg_mig_sql);
Datum pg_mig_sql(PG_FUNCTION_ARGS)
{
    return text_result(fcinfo, MIG_OP_SQL);
}

PG_FUNCTION_INFO_V1(pg_mig_check);
Datum pg_mig_check(PG_FUNCTION_ARGS)
{
    fresult r;
    memset(&r, 0, sizeof r);
    mig_call(fcinfo, MIG_OP_CHECK, &r, CurrentMemoryContext);
    PG_RETURN_BOOL(r.ok != 0);
}

PG_FUNCTION_INFO_V1(pg_mig_plan);
Datum pg_mig_plan(PG_FUNCTION_ARGS)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
    fresult r;
    int i;
    InitMaterializedSRF(fcinfo, 0);
    memset(&r, 0, sizeof r);
    mig_call(fcinfo, MIG_OP_PLAN, &r, CurrentMemoryContext);
    for (i = 0; i < r.nrows; i++) {
        Datum v[4];
        bool n[4] = {false, false, false, false};
        v[0] = Int32GetDatum(r.rows[i].step);
        v[1] = r.rows[i].direction ? CStringGetTextDatum(r.rows[i].direction) : (Datum)0;
        n[1] = r.rows[i].direction == NULL;
        v[2] = r.rows[i].revision ? CStringGetTextDatum(r.rows[i].revision) : (Datum)0;
        n[2] = r.rows[i].revision == NULL;
        v[3] = r.rows[i].message ? CStringGetTextDatum(r.rows[i].message) : (Datum)0;
        n[3] = r.rows[i].message == NULL;
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, n);
    }
    return (Datum)0;
}

/* mig_x(name): an x-argument of the run in progress, or NULL. */
PG_FUNCTION_INFO_V1(pg_mig_x);
Datum pg_mig_x(PG_FUNCTION_ARGS)
{
    const char *v;
    char *name;
    if (PG_ARGISNULL(0) || !mig_run)
        PG_RETURN_NULL();
    name = text_to_cstring(PG_GETARG_TEXT_PP(0));
    v = mig_opts_x(mig_run, name);
    if (!v)
        PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text(v));
}

/* The ALTER TABLE subcommand each mig_batch action must compile to. */
static bool action_is(const mig_batch_action *a, AlterTableType t)
{
    switch (a->kind) {
    case MIG_BA_ADD_COLUMN:
        return t == AT_AddColumn;
    case MIG_BA_DROP_COLUMN:
        return t == AT_DropColumn;
    case MIG_BA_ALTER_TYPE:
        return t == AT_AlterColumnType;
    case MIG_BA_SET_NOT_NULL:
        return t == AT_SetNotNull;
    case MIG_BA_DROP_NOT_NULL:
        return t == AT_DropNotNull;
    case MIG_BA_SET_DEFAULT:
    case MIG_BA_DROP_DEFAULT:
        return t == AT_ColumnDefault;
    case MIG_BA_ADD_CONSTRAINT:
        return t == AT_AddConstraint;
    case MIG_BA_DROP_CONSTRAINT:
        return t == AT_DropConstraint;
    default:
        return false;
    }
}

/*
 * Check with the server's own parser that q is exactly one ALTER TABLE
 * statement made of the actions acts[first..first+n) (or, for a RENAME, one
 * RENAME of a column or of the table), before it runs: an action whose text
 * PostgreSQL reads differently from core's batch parser (an E'\'' or $$'$$
 * default hiding a ';') can never smuggle in a statement of its own.
 */
static void check_one_alter(const char *q, const mig_batch_actions *acts, int first, int n)
{
    List *raw = raw_parser(q, RAW_PARSE_DEFAULT);
    Node *stmt = list_length(raw) == 1 ? linitial_node(RawStmt, raw)->stmt : NULL;
    bool ok = false;
    if (stmt && n == 1 && (acts->v[first].kind == MIG_BA_RENAME_COLUMN || acts->v[first].kind == MIG_BA_RENAME_TABLE))
    {
        /* ALTER TABLE t RENAME [COLUMN] a TO b: a column of a table; ALTER TABLE t RENAME TO u: the table */
        RenameStmt *r = IsA(stmt, RenameStmt) ? castNode(RenameStmt, stmt) : NULL;
        ok = r && (acts->v[first].kind == MIG_BA_RENAME_COLUMN
                       ? r->renameType == OBJECT_COLUMN && r->relationType == OBJECT_TABLE
                       : r->renameType == OBJECT_TABLE);
    }
    else if (stmt && IsA(stmt, AlterTableStmt) && castNode(AlterTableStmt, stmt)->objtype == OBJECT_TABLE &&
             list_length(castNode(AlterTableStmt, stmt)->cmds) == n) {
        ListCell *lc;
        int i = first;
        ok = true;
        foreach (lc, castNode(AlterTableStmt, stmt)->cmds)
            ok = ok && action_is(&acts->v[i++], lfirst_node(AlterTableCmd, lc)->subtype);
    }
    if (!ok)
        ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR),
                        errmsg("mig_batch: the actions do not read as %d ALTER TABLE action%s in PostgreSQL; nothing "
                               "was changed",
                               n, n == 1 ? "" : "s"),
                        errdetail("The statement: %s", q),
                        errhint("Check the quotes, dollar quotes and ';' in the actions' expressions.")));
}

/*
 * mig_batch(table, actions [, opts]) in PostgreSQL: the actions are
 * PostgreSQL's own ALTER TABLE actions, so they run as ALTER TABLE — the
 * consecutive ones in one statement, each RENAME in a statement of its own,
 * as PostgreSQL requires — inside the caller's transaction (in a revision:
 * the step's subtransaction), each statement checked first by the server's
 * parser to be exactly the ALTER TABLE it must be.  Errors are PostgreSQL's
 * own.
 */
PG_FUNCTION_INFO_V1(pg_mig_batch);
Datum pg_mig_batch(PG_FUNCTION_ARGS)
{
    char *actions, *opts;
    text *table;
    List *names;
    const char *qtable;
    mig_arena ar;
    mig_allocator al;
    mig_batch_actions acts;
    mig_opts o;
    mig_err err;
    StringInfoData group;
    int i, nstmt = 0, gfirst = 0, gn = 0;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("mig_batch(table, actions [, opts]): table and actions must not be NULL")));
    table = PG_GETARG_TEXT_PP(0);
    actions = text_to_cstring(PG_GETARG_TEXT_PP(1));
    opts = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? text_to_cstring(PG_GETARG_TEXT_PP(2)) : NULL;
    names = textToQualifiedNameList(table);
    qtable = NameListToQuotedString(names);
    al.alloc = pg_alloc;
    al.free = pg_free;
    al.ud = CurrentMemoryContext;
    mig_arena_init(&ar, &al);
    mig_err_clear(&err);
    if (mig_opts_parse(&ar, opts, &o, &err) || mig_batch_parse(&ar, actions, strlen(actions), &acts, &err))
        report(&err);
    for (i = 0; i < acts.n; i++)
        if (acts.v[i].kind == MIG_BA_RENAME_TABLE && i != acts.n - 1)
            ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR),
                            errmsg("mig_batch: RENAME TO (position %zu) must be the last action", acts.v[i].pos + 1)));
    /* compile every statement, and check each with the parser, before any runs */
    {
        List *stmts = NIL;
        ListCell *lc;
        initStringInfo(&group);
        for (i = 0; i <= acts.n; i++) {
            const mig_batch_action *a = i < acts.n ? &acts.v[i] : NULL;
            int alone = a && (a->kind == MIG_BA_RENAME_COLUMN || a->kind == MIG_BA_RENAME_TABLE);
            if ((!a || alone) && gn) {
                /* the actions gathered so far: one ALTER TABLE */
                char *q = psprintf("ALTER TABLE %s %s", qtable, group.data);
                check_one_alter(q, &acts, gfirst, gn);
                stmts = lappend(stmts, q);
                resetStringInfo(&group);
                gn = 0;
            }
            if (!a)
                break;
            if (alone) {
                char *q = psprintf("ALTER TABLE %s %.*s", qtable, (int)a->len, actions + a->pos);
                check_one_alter(q, &acts, i, 1);
                stmts = lappend(stmts, q);
                continue;
            }
            if (gn++)
                appendStringInfoString(&group, ", ");
            else
                gfirst = i;
            appendBinaryStringInfo(&group, actions + a->pos, (int)a->len);
        }
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "mig: SPI_connect failed");
        foreach (lc, stmts) {
            const char *q = lfirst(lc);
            int src = SPI_execute(q, false, 0);
            if (src < 0)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("mig_batch: %s failed: %s", q, SPI_result_code_string(src))));
            nstmt++;
        }
        SPI_finish();
    }
    PG_RETURN_TEXT_P(cstring_to_text(nstmt == 1 ? "alter table" : psprintf("alter table (%d statements)", nstmt)));
}

/*
 * mig_lock([opts]): take the deploy lock of the env/tenant of opts at
 * session level if it is free; true when this session holds it.  The client
 * holds it for its whole run (uploads, and the revisions it runs outside a
 * transaction).  mig_unlock([opts]) releases it; the end of the session does
 * too.  EXECUTE on them is a deploy right, as on mig_upgrade.
 */
static void lock_opts(FunctionCallInfo fcinfo, LOCKTAG *tag)
{
    mig_arena ar;
    mig_allocator al;
    mig_opts o;
    mig_err err;
    al.alloc = pg_alloc;
    al.free = pg_free;
    al.ud = CurrentMemoryContext;
    mig_arena_init(&ar, &al);
    mig_err_clear(&err);
    if (mig_opts_parse(&ar, PG_NARGS() > 0 && !PG_ARGISNULL(0) ? text_to_cstring(PG_GETARG_TEXT_PP(0)) : NULL, &o,
                       &err))
        report(&err);
    deploy_locktag(tag, o.env, o.tenant);
    mig_arena_free(&ar);
}

PG_FUNCTION_INFO_V1(pg_mig_lock);
Datum pg_mig_lock(PG_FUNCTION_ARGS)
{
    LOCKTAG tag;
    lock_opts(fcinfo, &tag);
    PG_RETURN_BOOL(LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL);
}

PG_FUNCTION_INFO_V1(pg_mig_unlock);
Datum pg_mig_unlock(PG_FUNCTION_ARGS)
{
    LOCKTAG tag;
    lock_opts(fcinfo, &tag);
    PG_RETURN_BOOL(LockRelease(&tag, ExclusiveLock, true));
}

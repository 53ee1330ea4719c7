/*
 * engine.h — the operations of the SQL API (SPEC §4), written once against a
 * small backend interface that the SQLite and PostgreSQL frontends implement.
 *
 * The engine composes the state-table SQL itself ($1..$n parameters, table
 * names prefixed with be->db->schema) and drives the transaction structure: one
 * atomic unit per call (per revision with "transaction": "each").
 */
#ifndef MIG_ENGINE_H
#define MIG_ENGINE_H

#include "graph.h"
#include "opts.h"
#include "revfile.h"

/* Called once per result row; values are NUL-terminated text or NULL. */
typedef int (*mig_row_fn)(void *arg, int ncol, const char *const *vals, mig_err *err);

/* What the engine knows of a database (core/dbinfo.c). */
typedef struct mig_db_info {
    const char *name;              /* "sqlite" / "postgresql" */
    mig_dialect dialect;           /* which `dialect=` sections run */
    const char *schema;            /* prefix of the state tables: "main." / "mig." */
    const char *order_col;         /* upload order of mig_revision rows */
    const char *state_ddl;         /* CREATE TABLE IF NOT EXISTS ... for offline scripts (may be "") */
} mig_db_info;

extern const mig_db_info mig_db_sqlite, mig_db_postgresql;

typedef struct mig_backend {
    void *ctx;
    const mig_db_info *db;         /* which database this is */
    const char *applied_by;        /* recorded in mig_history */

    /* One statement with text parameters $1..$n (NULL: SQL NULL). */
    int (*query)(void *ctx, const char *sql, int nparams, const char *const *params, mig_row_fn fn, void *arg,
                 mig_err *err);
    /* Run a revision body (several statements).  On failure: err with the
     * statement's own message (and sqlstate), *fail_off = byte offset of the
     * failing statement in the body. */
    int (*exec_body)(void *ctx, const char *body, size_t len, size_t *fail_off, mig_err *err);
    /* Make sure the state tables exist (create=1 may create them); *exists = 0 when absent. */
    int (*ensure_schema)(void *ctx, int create, int *exists, mig_err *err);
    /* Is the caller inside an open transaction? */
    int (*in_transaction)(void *ctx);
    /* The atomic unit of a call: BEGIN IMMEDIATE / SAVEPOINT ... COMMIT / RELEASE / ROLLBACK. */
    int (*unit_begin)(void *ctx, const mig_opts *o, mig_err *err);
    int (*unit_end)(void *ctx, int commit, mig_err *err);
    /* Optional subtransaction around one step (NULL: none). */
    int (*step_begin)(void *ctx, mig_err *err);
    int (*step_end)(void *ctx, int commit, mig_err *err);
    /* The x-arguments of the run in progress (NULL when it ends), for mig_x(). */
    void (*set_run)(void *ctx, const mig_opts *o);
    /* Optional: told "Running upgrade A -> B, message" before each step runs
     * (the line Alembic logs), so a client can show progress as it happens. */
    void (*progress)(void *ctx, const char *line);
    /* Optional: the result of a writing call (heads, id), given just before
     * the unit commits, so that the frontend can copy it while a failure
     * (out of memory) can still roll the call back. */
    int (*keep_result)(void *ctx, const char *result, mig_err *err);
    /* Optional: record a step's mig_history row instead of the INSERT through
     * query(): the 8 parameters of that INSERT (env, tenant, revision,
     * direction, checksum, applied_by, started_at, duration_ms).  The backend
     * may write it later, in the same unit: before the unit's next
     * state-table statement (not one inside a later step) and before the
     * unit commits; it is dropped with a unit that rolls back. */
    int (*history)(void *ctx, const char *const *params, mig_err *err);
} mig_backend;

/* One row of mig_plan(). */
typedef struct mig_plan_row {
    int step;
    const char *direction;
    const char *revision;
    const char *message;
} mig_plan_row;

/* The operations of the SQL API: one table for both frontends. */
typedef enum {
    MIG_OP_PUT, MIG_OP_REMOVE, MIG_OP_UPGRADE, MIG_OP_DOWNGRADE, MIG_OP_STAMP,
    MIG_OP_CURRENT, MIG_OP_HEADS, MIG_OP_CHECK, MIG_OP_PLAN, MIG_OP_SQL, MIG_OP_COUNT
} mig_op;

typedef struct mig_op_def {
    const char *name;   /* its SQL function */
    int nfixed;         /* text arguments before the optional opts */
    int writes;         /* changes state: takes the write lock and opens its own unit */
    int run;            /* upgrade, downgrade or stamp: a run ("transaction": "each" applies) */
} mig_op_def;

extern const mig_op_def mig_op_defs[MIG_OP_COUNT];

typedef struct mig_op_result {
    const char *out;    /* the text result (mig_check: none) */
    int ok;             /* mig_check */
    mig_plan_row *rows; /* mig_plan */
    int nrows;
} mig_op_result;

/* Run operation k with its fixed arguments a0, a1 (a0 is len0 bytes);
 * a NULL fixed argument is an error (sqlstate 22004). */
int mig_op_call(mig_backend *be, mig_arena *ar, mig_op k, const char *a0, size_t len0, const char *a1,
                const mig_opts *o, mig_op_result *r, mig_err *err);

int mig_op_put_revision(mig_backend *be, mig_arena *ar, const char *src, size_t len, const mig_opts *o,
                        const char **id_out, mig_err *err);
int mig_op_remove_revision(mig_backend *be, mig_arena *ar, const char *id, const mig_opts *o, mig_err *err);
/* upgrade / downgrade / stamp; `targets` has one target (stamp: one or more,
 * separated by spaces or commas). *heads_out: current heads after. */
int mig_op_run(mig_backend *be, mig_arena *ar, mig_direction dir, const char *targets, const mig_opts *o,
               const char **heads_out, mig_err *err);
int mig_op_current(mig_backend *be, mig_arena *ar, const mig_opts *o, const char **out, mig_err *err);
int mig_op_heads(mig_backend *be, mig_arena *ar, const mig_opts *o, const char **out, mig_err *err);
int mig_op_check(mig_backend *be, mig_arena *ar, const mig_opts *o, int *ok, mig_err *err);
int mig_op_plan(mig_backend *be, mig_arena *ar, const char *direction, const char *target, const mig_opts *o,
                mig_plan_row **rows, int *nrows, mig_err *err);
int mig_op_sql(mig_backend *be, mig_arena *ar, const char *direction, const char *target, const mig_opts *o,
               const char **script, mig_err *err);

#endif

/*
 * guard.h — what a revision body may not do, decided statement by statement
 * on the statements as the DATABASE split them (never on core/sqltok's
 * split, which could read the text differently: SQLite's `$a(')` is one
 * parameter token, for instance).
 *
 * A revision runs inside the unit of the call (BEGIN IMMEDIATE / a
 * savepoint / a subtransaction), so a statement that would end or release
 * that unit is refused: BEGIN, COMMIT, END, ROLLBACK, and RELEASE / ROLLBACK
 * TO of a savepoint the revision did not open itself.  The backends call the
 * guard before each statement runs and fail the body with MIG_E_USAGE.
 */
#ifndef MIG_GUARD_H
#define MIG_GUARD_H

#include "mig_base.h"

#include <stddef.h>

typedef struct mig_txn_guard {
    mig_arena *ar;
    mig_strlist own; /* savepoints the body opened itself (upper-cased) */
} mig_txn_guard;

void mig_txn_guard_init(mig_txn_guard *g, mig_arena *ar);

/*
 * SQLite: stmt[0..len) is one statement exactly as sqlite3_prepare_v2 read
 * it (from the previous tail to the new one, so it may start with white
 * space, comments and empty statements).  `is_explain`: SQLite compiled it
 * as EXPLAIN (nothing runs).  Returns 0 when it may run, -1 with err filled
 * (MIG_E_USAGE) when it may not.
 */
int mig_txn_guard_sqlite(mig_txn_guard *g, const char *stmt, size_t len, int is_explain, mig_err *err);

/*
 * The refusal itself, for a backend that classified the statement with its
 * own parser (PostgreSQL: a TransactionStmt): `what` names the statement
 * ("COMMIT", "SAVEPOINT", ...); `postgres`: savepoints are refused too.
 */
int mig_txn_refuse(mig_err *err, const char *what, int postgres);

#endif

/*
 * mig_sqlite.h — registering mig's SQL functions on a SQLite connection
 * (used by the mig client, which links the extension in).
 */
#ifndef MIG_SQLITE_H
#define MIG_SQLITE_H

#ifdef SQLITE_CORE
#include <sqlite3.h>
#else
#include <sqlite3ext.h>
#endif

#include "mig_base.h"

int mig_sqlite_register(sqlite3 *db, char **pzErrMsg);
/* The same, with a callback told "Running upgrade A -> B, message" before
 * each step of mig_upgrade()/mig_downgrade() runs on this connection. */
typedef void (*mig_sqlite_progress_fn)(void *arg, const char *line);
/* last_err (may be NULL): where each failing mig call leaves its error, with
 * message, detail, hint, reason and revision apart, for a program that links
 * mig in (the client) and must not parse the one message SQLite carries. */
int mig_sqlite_register_ex(sqlite3 *db, char **pzErrMsg, mig_sqlite_progress_fn progress, void *arg,
                           mig_err *last_err);
/* mig_batch(table, actions [, opts]) (mig_batch_sqlite.c) */
void mig_batch_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif

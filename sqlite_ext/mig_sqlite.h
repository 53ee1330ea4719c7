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

int mig_sqlite_register(sqlite3 *db, char **pzErrMsg);
/* mig_batch(table, actions [, opts]) (mig_batch_sqlite.c) */
void mig_batch_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif

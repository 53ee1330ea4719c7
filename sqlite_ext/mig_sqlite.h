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

/* What a program that compiles mig in (the client) asks of it. */
typedef struct mig_sqlite_host {
    mig_sqlite_progress_fn progress; /* told each "Running upgrade ..." line as it starts */
    void *progress_arg;
    mig_err *last_err;   /* each failing mig call leaves its error here, with message, detail,
                          * hint, reason and revision apart (SQLite carries one message) */
    int keep_statements; /* mig's prepared statements live for the connection, not for one
                          * call: the program calls mig_sqlite_release() before sqlite3_close() */
    void *conn;          /* out: mig's state of the connection, for mig_sqlite_release() */
} mig_sqlite_host;

int mig_sqlite_register_ex(sqlite3 *db, char **pzErrMsg, mig_sqlite_host *host);
/* Finalize the statements mig keeps (keep_statements), so that sqlite3_close() can close. */
void mig_sqlite_release(void *conn);
void mig_batch_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void mig_diff_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* mig_snapshot([opts]), mig_snapshot_sql(sql [, opts]): sqlite_ext/mig_schema_sqlite.c */
void mig_snapshot_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void mig_snapshot_sql_sqlite_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif

/*
 * schema_pg.h — PostgreSQL snapshots (SPEC §7): the catalog query and the
 * canonical document made from its result.
 *
 * On PostgreSQL the server deparses every definition itself (format_type,
 * pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
 * pg_get_functiondef, pg_get_triggerdef), so the model is the JSON that one
 * set-based catalog query (core/snapshot_pg.sql, built in as
 * MIG_PG_SNAPSHOT_QUERY) returns: one object per schema, extension, table,
 * index, view, sequence, type, function, trigger, policy and event trigger.
 * This file checks that result, applies the snapshot's filters and writes
 * the canonical document: objects sorted by kind, schema, table and name,
 * keys sorted, compact, so equal schemas give byte-equal text.  The query
 * is run by the extension (pg_ext/mig_schema_pg.c, with search_path = ''
 * so every name the server prints is schema-qualified) and can be run by
 * the client over libpq.  Plain C11 with jansson; arena memory; no globals.
 */
#ifndef MIG_SCHEMA_PG_H
#define MIG_SCHEMA_PG_H

#include "mig_base.h"

#include <stddef.h>

/* The catalog query: one parameter ($1 integer: 1 to include owners), one
 * row, one text column (a JSON array of objects). */
extern const char MIG_PG_SNAPSHOT_QUERY[];

/* mig_snapshot's options on PostgreSQL, a JSON object (NULL or "": none):
 * "schemas": [patterns] (namespaces to read; default all but the system
 * ones and mig's), "kinds": ["table", "view", ...], "include" / "exclude":
 * [name patterns] (shell patterns, fnmatch(3); a function's pattern is
 * matched against its name without the argument list), "owners": true
 * (ALTER ... OWNER TO in the diff; off by default, so databases built by
 * different roles compare equal).  Unknown keys and wrong types are
 * MIG_E_INPUT errors naming the key. */
typedef struct mig_pg_filter {
    unsigned kinds;            /* bit per kind (mig_pg_kind_index); 0 = all */
    mig_strlist schemas, include, exclude;
    int owners;
} mig_pg_filter;

int mig_pg_filter_parse(mig_arena *ar, const char *json, mig_pg_filter *f, mig_err *err);

/* The position of a kind in a snapshot ("schema" 0, "extension" 1, ...), or -1. */
int mig_pg_kind_index(const char *kind);

/* The canonical snapshot document of the query's result `rows` (its JSON
 * array), with the filter applied: {"mig_snapshot":1,"dialect":"postgresql",
 * "objects":[...]}.  An object without a string "kind" and "name", or of an
 * unknown kind, is MIG_E_INPUT naming its index. */
int mig_pg_snapshot_doc(mig_arena *ar, const char *rows, size_t len, const mig_pg_filter *f, char **doc,
                        mig_err *err);

#endif

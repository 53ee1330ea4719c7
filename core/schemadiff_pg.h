/*
 * schemadiff_pg.h — the diff of two PostgreSQL snapshot documents (SPEC §7,
 * issue 14): the body of a revision that takes a database whose snapshot is
 * `from` to `to`, and back.  The documents are those of core/schema_pg.c
 * (mig_pg_snapshot_doc): names of single objects raw, every text the server
 * deparsed (definitions, types, expressions, qualified references) verbatim.
 * Plain C11 with jansson; arena memory; no globals.
 */
#ifndef MIG_SCHEMADIFF_PG_H
#define MIG_SCHEMADIFF_PG_H

#include "mig_base.h"

#include <stddef.h>

/* The first line of a section whose statements cannot run in one
 * transaction: a value an enum gets in this revision (ALTER TYPE ... ADD
 * VALUE) is used by a later statement of the same section.  The client makes
 * such a revision `transactional false`; the ADD VALUE statements come
 * first. */
#define MIG_SCHEMA_NONTX_MARK "-- run outside a transaction: "

/* from, to: canonical PostgreSQL snapshot documents (text).  opts_json: NULL or "" or a JSON object
 * {"renames": [{"schema": "app", "table": "old", "to": "new"}, {"schema": "app", "table": "t", "column": "old", "to": "new"}]}
 * ("schema" optional, default "public"; a column hint names its table as `to` has it; a hint that matches
 * nothing is an MIG_E_INPUT error naming it).
 * *body: "" when the schemas are equal, else "-- mig:upgrade\n<stmts>-- mig:downgrade\n<stmts>" where every
 * statement ends with ";\n" and comment lines ("-- ...") end with "\n" only (exactly like put_section in
 * core/schemadiff.c).  The downgrade is the same computation from `to` back to `from` (hints inverted).
 * Statements that lose data are preceded by a MIG_SCHEMA_LOSS_MARK line (core/schema.h).
 * Errors: MIG_E_INPUT naming the JSON path ("to: objects[3].columns[1].type: expected a string"), MIG_E_NOMEM. */
int mig_pg_diff(mig_arena *ar, const char *from, size_t from_len, const char *to, size_t to_len,
                const char *opts_json, char **body, mig_err *err);

#endif

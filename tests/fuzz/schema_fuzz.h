/*
 * schema_fuzz.h - shared part of fuzz_schema.c and fuzz_schemadiff.c: a
 * counting allocator that can fail once, a growable text buffer for result
 * summaries, the error checks, and the row format.
 *
 * Rows: sqlite_schema rows separated by NUL bytes; each row is a kind byte
 * then the CREATE statement.  The kind is the byte modulo 4: 0 table,
 * 1 index, 2 view, 3 trigger (the seeds write 't', 'i', 'v', 'g').  Names
 * and tbl_name are NULL (taken from the statement), as a frontend may pass
 * them.  A row that fails is skipped (its error goes into the summary) and
 * the next row is added: a failed add must leave the model usable.
 */
#ifndef SCHEMA_FUZZ_H
#define SCHEMA_FUZZ_H

#include "fuzz_common.h"
#include "schema.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failure says why, with a known code. */
static void check_error(const mig_err *err)
{
    CHECK(memchr(err->msg, 0, sizeof err->msg) != NULL);
    CHECK(err->msg[0] != '\0');
    CHECK(err->code == MIG_E_INPUT || err->code == MIG_E_NOMEM);
}

/* The marker of an injected allocation failure in a summary. */
#define OOM_MARK "<NOMEM>"

static void sb_error(sbuf *out, const char *what, const mig_err *err)
{
    check_error(err);
    if (err->code == MIG_E_NOMEM)
        sb_printf(out, "%s: " OOM_MARK "\n", what);
    else
        sb_printf(out, "%s: error %s\n", what, err->msg);
}

static const char *const KINDS[] = {"table", "index", "view", "trigger"};

/*
 * Add the rows of text[0..len) to s, in their order, or (tables_first) the
 * tables first as schema.h asks of a frontend (an index's expressions are
 * normalised knowing its table's columns).  Returns the number of rows added;
 * *nomem is set when an allocation failed (the caller stops there).
 */
static int add_rows(mig_arena *ar, mig_schema *s, const char *text, size_t len, int tables_first, sbuf *out,
                    int *nomem)
{
    size_t i = 0;
    int added = 0, row = 0, pass;
    *nomem = 0;
    for (pass = tables_first ? 0 : 1; pass < 2; pass++, i = 0, row = 0)
    while (i < len) {
        const char *nul = memchr(text + i, 0, len - i);
        size_t end = nul ? (size_t)(nul - text) : len;
        int is_table = end > i && (unsigned char)text[i] % 4 == 0;
        if (end > i && (!tables_first || (pass == 0) == is_table)) {
            const char *kind = KINDS[(unsigned char)text[i] % 4];
            char *sql = malloc(end - i);
            mig_err err;
            CHECK(sql != NULL);
            memcpy(sql, text + i + 1, end - i - 1);
            sql[end - i - 1] = 0;
            mig_err_clear(&err);
            if (mig_schema_add_sqlite(ar, s, kind, NULL, NULL, sql, &err) == 0) {
                added++;
                sb_printf(out, "row %d %s: ok\n", row, kind);
            } else {
                char what[64];
                snprintf(what, sizeof what, "row %d %s", row, kind);
                sb_error(out, what, &err);
                if (err.code == MIG_E_NOMEM) {
                    *nomem = 1;
                    free(sql);
                    return added;
                }
            }
            free(sql);
        }
        if (end > i)
            row++;
        i = end + 1;
    }
    return added;
}

#endif /* SCHEMA_FUZZ_H */

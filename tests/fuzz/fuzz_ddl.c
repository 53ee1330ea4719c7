/*
 * fuzz_ddl.c - libFuzzer target for the CREATE TABLE / CREATE INDEX parser
 * (core/ddl.c, SPEC §5 mig_batch).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_ddl.c core/mig_base.c core/ddl.c -lcrypto -ljansson
 *   ./a.out tests/fuzz/corpus/ddl
 *
 * Input: the SQL text, as is.  The parsers get an exact-size heap copy (not
 * NUL-terminated), so ASan catches any read past len.
 *
 * Invariants checked (abort() on violation):
 *   - failure: MIG_E_INPUT or MIG_E_NOMEM with a non-empty, NUL-terminated
 *     message; an input error names a byte offset ("byte N") inside the
 *     text; the output is zeroed;
 *   - CREATE TABLE success: every span lies inside the buffer; the body
 *     sits between a "(" and a ")"; the table name comes before it; column
 *     definitions are non-empty, in order, do not overlap and lie inside
 *     the body; a column's name span starts its definition, its type span
 *     follows the name (or is empty right after it), its constraints follow
 *     the type in order without overlapping, each constraint's expression
 *     lies inside the constraint and a named constraint starts with
 *     CONSTRAINT; table constraints follow the last column in order without
 *     overlapping and lie inside the body; options follow the body (or are
 *     empty right after the ")"); names are non-NULL and each column's
 *     definition "mentions" its name (unless the name is a 'string');
 *     flags are 0/1; at least one column;
 *   - round trip: "CREATE TABLE [IF NOT EXISTS] " name "(" definitions and
 *     table constraints joined by ", " ")" options parses again to the same
 *     columns (names, constraint kinds), table constraints and options;
 *   - mig_ddl_quote: CREATE TABLE <quoted name>(x) parses back to the name;
 *   - CREATE INDEX success: spans inside the buffer, the columns before the
 *     WHERE expression, names non-NULL;
 *   - deterministic; with the allocator failing at one point chosen from
 *     the input, a clean MIG_E_NOMEM failure or the very same result
 *     (MIG_FUZZ_OOM=0 in the environment turns that off);
 *   - every arena block is released.
 */
#include "ddl.h"
#include "fuzz_common.h"
#include "mig_base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sb_span(sbuf *b, const char *tag, mig_span s) { sb_printf(b, " %s=%zu+%zu", tag, s.off, s.len); }

static void summarize_table(sbuf *b, const mig_ddl_table *t)
{
    int i, j;
    sb_printf(b, "table %s.%s temp=%d ine=%d wr=%d strict=%d", t->schema ? t->schema : "-", t->name,
              t->temp, t->if_not_exists, t->without_rowid, t->strict);
    sb_span(b, "name", t->name_span);
    sb_span(b, "body", t->body);
    sb_span(b, "opts", t->options);
    for (i = 0; i < t->ncols; i++) {
        const mig_ddl_column *c = &t->cols[i];
        sb_printf(b, "\n col %s", c->name);
        sb_span(b, "n", c->name_span);
        sb_span(b, "t", c->type_span);
        sb_span(b, "d", c->def_span);
        for (j = 0; j < c->ncons; j++) {
            const mig_ddl_colcons *cc = &c->cons[j];
            int k;
            sb_printf(b, "\n  cc %d %s ai=%d desc=%d st=%d ref=%s", (int)cc->kind, cc->name ? cc->name : "-",
                      cc->autoincrement, cc->desc, cc->stored, cc->ref_table ? cc->ref_table : "-");
            for (k = 0; k < cc->nref_columns; k++)
                sb_printf(b, " rc=%s", cc->ref_columns[k]);
            sb_span(b, "s", cc->span);
            sb_span(b, "e", cc->expr);
        }
    }
    for (i = 0; i < t->ncons; i++) {
        const mig_ddl_tabcons *tc = &t->cons[i];
        sb_printf(b, "\n tc %d %s ai=%d ref=%s", (int)tc->kind, tc->name ? tc->name : "-", tc->autoincrement,
                  tc->ref_table ? tc->ref_table : "-");
        for (j = 0; j < tc->ncolumns; j++)
            sb_printf(b, " c=%s", tc->columns[j]);
        for (j = 0; j < tc->nref_columns; j++)
            sb_printf(b, " rc=%s", tc->ref_columns[j]);
        sb_span(b, "s", tc->span);
        sb_span(b, "e", tc->expr);
    }
}

/* ---- span checks ------------------------------------------------------------- */

static size_t end_of(mig_span s) { return s.off + s.len; }

static void check_span(mig_span s, size_t len)
{
    CHECK(s.off <= len);
    CHECK(s.len <= len - s.off);
}

static int inside(mig_span in, mig_span out) { return in.off >= out.off && end_of(in) <= end_of(out); }

static int starts_with_constraint(const char *s, mig_span sp)
{
    static const char kw[] = "CONSTRAINT";
    size_t i;
    if (sp.len < sizeof kw - 1)
        return 0;
    for (i = 0; i < sizeof kw - 1; i++) {
        char c = s[sp.off + i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != kw[i])
            return 0;
    }
    return 1;
}

static void check_table(const char *s, size_t len, const mig_ddl_table *t)
{
    int i, j;
    size_t prev;

    CHECK(t->name != NULL);
    CHECK(t->temp == 0 || t->temp == 1);
    CHECK(t->if_not_exists == 0 || t->if_not_exists == 1);
    CHECK(t->without_rowid == 0 || t->without_rowid == 1);
    CHECK(t->strict == 0 || t->strict == 1);
    check_span(t->name_span, len);
    check_span(t->body, len);
    check_span(t->options, len);
    CHECK(t->name_span.len > 0);
    CHECK(t->body.off >= 1 && s[t->body.off - 1] == '(');
    CHECK(end_of(t->body) < len && s[end_of(t->body)] == ')');
    CHECK(end_of(t->name_span) < t->body.off);
    CHECK(t->ncols >= 1 && t->cols != NULL);
    CHECK(t->ncons >= 0);
    if (t->options.len)
        CHECK(t->options.off > end_of(t->body));
    else
        CHECK(t->options.off == end_of(t->body) + 1);

    prev = t->body.off;
    for (i = 0; i < t->ncols; i++) {
        const mig_ddl_column *c = &t->cols[i];
        size_t cprev;
        CHECK(c->name != NULL);
        check_span(c->name_span, len);
        check_span(c->type_span, len);
        check_span(c->def_span, len);
        CHECK(c->def_span.len > 0);
        CHECK(c->def_span.off >= prev);
        CHECK(inside(c->def_span, t->body));
        CHECK(c->name_span.off == c->def_span.off && c->name_span.len > 0);
        CHECK(inside(c->name_span, c->def_span));
        if (c->type_span.len) {
            CHECK(c->type_span.off >= end_of(c->name_span));
            CHECK(inside(c->type_span, c->def_span));
        } else {
            CHECK(c->type_span.off == end_of(c->name_span));
        }
        if (s[c->name_span.off] != '\'') {
            mig_span d = c->def_span;
            CHECK(mig_ddl_mentions(s, d, c->name) == 1);
            CHECK(mig_ddl_mentions(s, c->name_span, c->name) == 1);
        }
        CHECK(c->ncons >= 0);
        CHECK(c->ncons == 0 || c->cons != NULL);
        cprev = end_of(c->type_span.len ? c->type_span : c->name_span);
        for (j = 0; j < c->ncons; j++) {
            const mig_ddl_colcons *cc = &c->cons[j];
            int k;
            CHECK((int)cc->kind >= MIG_CC_PRIMARY_KEY && (int)cc->kind <= MIG_CC_GENERATED);
            check_span(cc->span, len);
            check_span(cc->expr, len);
            CHECK(cc->span.len > 0);
            CHECK(cc->span.off >= cprev);
            CHECK(inside(cc->span, c->def_span));
            if (cc->expr.len)
                CHECK(inside(cc->expr, cc->span));
            if (cc->kind == MIG_CC_DEFAULT || cc->kind == MIG_CC_CHECK || cc->kind == MIG_CC_GENERATED ||
                cc->kind == MIG_CC_COLLATE)
                CHECK(cc->expr.len > 0);
            CHECK(cc->autoincrement == 0 || (cc->autoincrement == 1 && cc->kind == MIG_CC_PRIMARY_KEY));
            CHECK(cc->stored == 0 || (cc->stored == 1 && cc->kind == MIG_CC_GENERATED));
            CHECK(cc->desc == 0 || (cc->desc == 1 && cc->kind == MIG_CC_PRIMARY_KEY));
            CHECK((cc->ref_table != NULL) == (cc->kind == MIG_CC_REFERENCES));
            if (cc->name)
                CHECK(starts_with_constraint(s, cc->span));
            for (k = 0; k < cc->nref_columns; k++)
                CHECK(cc->ref_columns[k] != NULL);
            cprev = end_of(cc->span);
        }
        prev = end_of(c->def_span);
    }
    for (i = 0; i < t->ncons; i++) {
        const mig_ddl_tabcons *tc = &t->cons[i];
        CHECK((int)tc->kind >= MIG_TC_PRIMARY_KEY && (int)tc->kind <= MIG_TC_FOREIGN_KEY);
        check_span(tc->span, len);
        check_span(tc->expr, len);
        CHECK(tc->span.len > 0);
        CHECK(tc->span.off >= prev);
        CHECK(inside(tc->span, t->body));
        if (tc->kind == MIG_TC_CHECK)
            CHECK(tc->expr.len > 0 && inside(tc->expr, tc->span));
        else
            CHECK(tc->expr.len == 0);
        if (tc->name)
            CHECK(starts_with_constraint(s, tc->span));
        CHECK((tc->ref_table != NULL) == (tc->kind == MIG_TC_FOREIGN_KEY));
        if (tc->kind == MIG_TC_FOREIGN_KEY)
            CHECK(tc->ncolumns >= 1);
        for (j = 0; j < tc->ncolumns; j++)
            CHECK(tc->columns[j] != NULL);
        for (j = 0; j < tc->nref_columns; j++)
            CHECK(tc->ref_columns[j] != NULL);
        CHECK(tc->autoincrement == 0 || (tc->autoincrement == 1 && tc->kind == MIG_TC_PRIMARY_KEY));
        prev = end_of(tc->span);
    }
}

static void check_error(const mig_err *err, size_t len)
{
    CHECK(memchr(err->msg, 0, sizeof err->msg) != NULL);
    CHECK(err->msg[0] != '\0');
    CHECK(err->code == MIG_E_INPUT || err->code == MIG_E_NOMEM);
    if (err->code == MIG_E_INPUT) {
        const char *b = strstr(err->msg, "byte ");
        CHECK(b != NULL);
        CHECK(strtoull(b + 5, NULL, 10) <= len);
    }
}

/* ---- one parse ---------------------------------------------------------------- */

static void put(sbuf *b, const char *s, mig_span sp) { sb_printf(b, "%.*s", (int)sp.len, s + sp.off); }

/* The statement a rebuild that changes nothing would write. */
static char *reassemble(const char *s, const mig_ddl_table *t, size_t *outlen)
{
    sbuf b = {NULL, 0, 0};
    int i, n = 0;
    sb_printf(&b, "CREATE TABLE %s", t->if_not_exists ? "IF NOT EXISTS " : "");
    put(&b, s, t->name_span);
    sb_printf(&b, "(");
    for (i = 0; i < t->ncols; i++, n++) {
        sb_printf(&b, "%s", n ? ", " : "");
        put(&b, s, t->cols[i].def_span);
    }
    for (i = 0; i < t->ncons; i++, n++) {
        sb_printf(&b, "%s", n ? ", " : "");
        put(&b, s, t->cons[i].span);
    }
    sb_printf(&b, ")");
    if (t->options.len) {
        sb_printf(&b, " ");
        put(&b, s, t->options);
    }
    *outlen = b.len;
    return b.p;
}

static void same_shape(const mig_ddl_table *a, const mig_ddl_table *b)
{
    int i, j;
    CHECK(strcmp(a->name, b->name) == 0);
    CHECK(a->ncols == b->ncols && a->ncons == b->ncons);
    CHECK(a->without_rowid == b->without_rowid && a->strict == b->strict);
    for (i = 0; i < a->ncols; i++) {
        CHECK(strcmp(a->cols[i].name, b->cols[i].name) == 0);
        CHECK(a->cols[i].ncons == b->cols[i].ncons);
        CHECK(a->cols[i].type_span.len == b->cols[i].type_span.len);
        for (j = 0; j < a->cols[i].ncons; j++) {
            CHECK(a->cols[i].cons[j].kind == b->cols[i].cons[j].kind);
            CHECK(a->cols[i].cons[j].span.len == b->cols[i].cons[j].span.len);
        }
    }
    for (i = 0; i < a->ncons; i++) {
        CHECK(a->cons[i].kind == b->cons[i].kind);
        CHECK(a->cons[i].ncolumns == b->cons[i].ncolumns);
        CHECK(a->cons[i].span.len == b->cons[i].span.len);
    }
}

/* Parse text both ways with the allocator failing at fail_at (-1: never);
 * write a summary to out; return the number of allocations.  deep: also
 * run the round-trip checks. */
static long run(const char *text, size_t len, long fail_at, int deep, sbuf *out)
{
    alloc_state st = {0, fail_at, 0, 0, 0};
    mig_allocator a = {t_alloc, t_free, &st};
    mig_arena ar;
    mig_err err;
    mig_ddl_table t;
    mig_ddl_index ix;
    int rc;

    mig_arena_init(&ar, &a);

    rc = mig_ddl_parse_create_table(&ar, text, len, &t, &err);
    CHECK(rc == 0 || rc == -1);
    if (rc) {
        check_error(&err, len);
        CHECK(t.ncols == 0 && t.cols == NULL && t.name == NULL);
        sb_printf(out, "table error %s %s\n", err.code == MIG_E_NOMEM ? "OOM" : "input", err.msg);
    } else {
        check_table(text, len, &t);
        summarize_table(out, &t);
        sb_printf(out, "\n");
        if (deep) {
            size_t rlen;
            char *r = reassemble(text, &t, &rlen);
            char *exact = malloc(rlen ? rlen : 1);
            mig_ddl_table t2;
            CHECK(exact != NULL);
            memcpy(exact, r, rlen);
            if (mig_ddl_parse_create_table(&ar, exact, rlen, &t2, &err) != 0) {
                fprintf(stderr, "reassembled: %.*s\nerror: %s\n", (int)rlen, r, err.msg);
                CHECK(!"the reassembled statement does not parse");
            }
            check_table(exact, rlen, &t2);
            same_shape(&t, &t2);
            free(exact);
            free(r);

            {
                char *q = mig_ddl_quote(&ar, t.name);
                char *stmt;
                mig_ddl_table t3;
                CHECK(q != NULL);
                stmt = mig_sprintf(&ar, "CREATE TABLE %s(x)", q);
                CHECK(stmt != NULL);
                CHECK(mig_ddl_parse_create_table(&ar, stmt, strlen(stmt), &t3, &err) == 0);
                CHECK(strcmp(t3.name, t.name) == 0 && mig_ddl_ident_eq(t3.name, t.name));
                CHECK(t3.name_span.len == strlen(q));
            }
        }
    }

    rc = mig_ddl_parse_create_index(&ar, text, len, &ix, &err);
    CHECK(rc == 0 || rc == -1);
    if (rc) {
        check_error(&err, len);
        CHECK(ix.name == NULL && ix.table == NULL);
        sb_printf(out, "index error %s %s\n", err.code == MIG_E_NOMEM ? "OOM" : "input", err.msg);
    } else {
        CHECK(ix.name && ix.table);
        check_span(ix.columns, len);
        check_span(ix.where, len);
        check_span(ix.name_span, len);
        check_span(ix.table_span, len);
        CHECK(ix.columns.len > 0);
        CHECK(end_of(ix.name_span) <= ix.table_span.off);
        CHECK(end_of(ix.table_span) < ix.columns.off);
        CHECK(ix.where.off >= end_of(ix.columns));
        CHECK(ix.unique == 0 || ix.unique == 1);
        sb_printf(out, "index %s %s on %s u=%d", ix.schema ? ix.schema : "-", ix.name, ix.table, ix.unique);
        sb_span(out, "c", ix.columns);
        sb_span(out, "w", ix.where);
        sb_printf(out, "\n");
    }

    mig_arena_free(&ar);
    CHECK(st.live == 0);
    return st.calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sbuf s1 = {NULL, 0, 0}, s2 = {NULL, 0, 0};
    char *text;
    long n;

    if (size > 8192)
        return 0;
    text = malloc(size ? size : 1);
    CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);

    n = run(text, size, -1, 1, &s1);
    run(text, size, -1, 0, &s2);
    CHECK(s1.len == s2.len && memcmp(s1.p, s2.p, s1.len) == 0);
    if (oom_on && n > 0) {
        s2.len = 0;
        run(text, size, (long)(fnv(data, size) % (uint32_t)n), 0, &s2);
        /* a failure may cut either parse short; compare what is there */
        if (!strstr(s2.p, "error OOM ") && (s1.len != s2.len || memcmp(s1.p, s2.p, s1.len) != 0)) {
            fprintf(stderr, "result:\n%s\nout of memory:\n%s\n", s1.p, s2.p);
            CHECK(!"an allocation failure changed the result");
        }
    }
    free(s1.p);
    free(s2.p);
    free(text);
    return 0;
}

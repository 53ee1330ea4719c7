/*
 * split_check.h - shared part of the differential fuzzers fuzz_split_sqlite.c
 * and fuzz_split_pg.c: a reference split of the input, computed from a
 * database's own tokens, and its comparison with core/sqltok's split.
 *
 * A reference statement is the run of significant tokens (no white space,
 * no comment) between two terminating ';' tokens; empty statements are
 * skipped, as sqltok and both databases do.  The reference may know the
 * tokens of only a prefix of the input (PostgreSQL stops at a lexical
 * error): `known` is the length of that prefix, and a statement is "final"
 * when the reference saw its terminator, or saw the whole input.
 *
 * The comparison (abort() on a disagreement): sqltok's statements, in
 * order, have the reference's start offset, end offset (past the last
 * significant token) and terminating ';' (or none) - unless sqltok reports
 * MIG_TOK_ERROR, which refuses the rest of the input and is allowed
 * anywhere.  Past `known`, only "sqltok does not end a statement where the
 * reference saw no ';'" can be checked.
 */
#ifndef SPLIT_CHECK_H
#define SPLIT_CHECK_H

#include "sqltok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "invariant violated at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                          \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#define NO_TERM ((size_t)-1)

typedef struct {
    size_t start; /* first significant byte */
    size_t end;   /* past the last significant token */
    size_t term;  /* offset of the terminating ';', NO_TERM when none (yet) */
} ref_stmt;

typedef struct {
    ref_stmt *v;
    size_t n, cap;
    size_t known; /* the reference read the tokens of [0, known) */
} ref_split;

/* Statement state of the reference splitter while it is fed tokens. */
typedef struct {
    int open;     /* a statement is open (has at least one token) */
    size_t first; /* its first token */
    size_t last;  /* end of its last token */
} ref_builder;

static void ref_init(ref_split *r)
{
    memset(r, 0, sizeof *r);
}

static void ref_free(ref_split *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

static void ref_push(ref_split *r, size_t start, size_t end, size_t term)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        CHECK(r->v != NULL);
    }
    r->v[r->n].start = start;
    r->v[r->n].end = end;
    r->v[r->n].term = term;
    r->n++;
}

/* A significant token [start, end) that belongs to the current statement. */
static void ref_token(ref_builder *b, size_t start, size_t end)
{
    if (!b->open) {
        b->open = 1;
        b->first = start;
    }
    b->last = end;
}

/* A terminating ';' at off (NO_TERM: the end of what the reference read). */
static void ref_close(ref_split *r, ref_builder *b, size_t off)
{
    if (b->open)
        ref_push(r, b->first, b->last, off);
    b->open = 0;
}

/* Print s[a, b) on one line with control bytes escaped. */
static void show(const char *s, size_t a, size_t b)
{
    size_t i;
    for (i = a; i < b && i - a < 160; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", stderr);
        else if (c == '\\')
            fputs("\\\\", stderr);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    if (b - a > 160)
        fputs("...", stderr);
}

static void dump_ref(const char *who, const char *s, const ref_split *r, size_t len)
{
    size_t k;
    fprintf(stderr, "%s split (read %zu of %zu bytes):\n", who, r->known, len);
    for (k = 0; k < r->n; k++) {
        fprintf(stderr, "  [%zu] %zu..%zu term=", k, r->v[k].start, r->v[k].end);
        if (r->v[k].term == NO_TERM)
            fputs("none", stderr);
        else
            fprintf(stderr, "%zu", r->v[k].term);
        fputs(" <", stderr);
        show(s, r->v[k].start, r->v[k].end);
        fputs(">\n", stderr);
    }
}

static void dump_sqltok(const char *s, size_t len, mig_dialect d)
{
    mig_sql_iter it;
    mig_sql_stmt st;
    char err[128];
    mig_tok_result r;
    int k = 0;
    fprintf(stderr, "sqltok split:\n");
    mig_sql_iter_init(&it, s, len, d);
    while ((r = mig_sql_iter_next(&it, &st, err, sizeof err)) == MIG_TOK_OK) {
        fprintf(stderr, "  [%d] %zu..%zu pos=%zu <", k++, st.start, st.start + st.len, it.pos);
        show(s, st.start, st.start + st.len);
        fputs(">\n", stderr);
    }
    if (r == MIG_TOK_ERROR)
        fprintf(stderr, "  ERROR: %s\n", err);
}

static void disagree(const char *who, const char *why, const char *s, size_t len, mig_dialect d,
                     const ref_split *ref)
{
    fprintf(stderr, "\nsqltok and %s split differently: %s\ninput (%zu bytes): <", who, why, len);
    show(s, 0, len);
    fputs(">\n", stderr);
    dump_ref(who, s, ref, len);
    dump_sqltok(s, len, d);
    abort();
}

/* Compare sqltok's split of s[0, len) (an exact-size buffer) with ref. */
static void compare_split(const char *who, const char *s, size_t len, mig_dialect d,
                          const ref_split *ref)
{
    mig_sql_iter it;
    mig_sql_stmt st;
    char err[128];
    size_t k;
    int complete = (ref->known == len);

    mig_sql_iter_init(&it, s, len, d);
    for (k = 0;; k++) {
        mig_tok_result r = mig_sql_iter_next(&it, &st, err, sizeof err);
        const ref_stmt *R;
        size_t end, pos = it.pos;
        int final;

        if (r == MIG_TOK_ERROR)
            return; /* refusing is allowed */
        if (r == MIG_TOK_END) {
            if (k != ref->n)
                disagree(who, "sqltok found fewer statements", s, len, d, ref);
            return;
        }
        end = st.start + st.len;
        if (k >= ref->n) {
            if (complete || st.start < ref->known)
                disagree(who, "sqltok found more statements", s, len, d, ref);
            return;
        }
        R = &ref->v[k];
        final = complete || R->term != NO_TERM;
        if (st.start != R->start)
            disagree(who, "a statement starts elsewhere", s, len, d, ref);
        if (!final) {
            /* the reference stopped inside this statement: sqltok must not
             * end it before that point */
            if (pos < len && pos - 1 < ref->known)
                disagree(who, "sqltok ends a statement where the reference saw no ';'", s, len,
                         d, ref);
            return;
        }
        if (end != R->end)
            disagree(who, "a statement ends elsewhere", s, len, d, ref);
        /* (pos == len cannot tell whether sqltok read a ';' that is the
         * last byte as a terminator or inside a comment: both pass) */
        if (R->term == NO_TERM) {
            if (pos != len)
                disagree(who, "sqltok sees a ';' where the reference sees none", s, len, d, ref);
        } else if (pos != R->term + 1) {
            disagree(who, "the terminating ';' differs", s, len, d, ref);
        }
    }
}

/* Bare word (keyword or identifier) spelled kw (upper case), ASCII
 * case-insensitively, exactly s[a, b). */
static int ref_word_is(const char *s, size_t a, size_t b, const char *kw)
{
    size_t i;
    for (i = a; i < b; i++, kw++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        if (*kw == '\0' || c != (unsigned char)*kw)
            return 0;
    }
    return *kw == '\0';
}

/* Copy of the input without NUL bytes' effect: both databases read a C
 * string, so the input ends at its first NUL.  Returns the length. */
static size_t input_len(const unsigned char *data, size_t size, size_t max)
{
    const unsigned char *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    return n > max ? max : n;
}

#endif /* SPLIT_CHECK_H */

/*
 * fuzz_split_pg.c - differential fuzzer: core/sqltok's PostgreSQL statement
 * split against PostgreSQL 15's own scanner and grammar, as libpg_query
 * (Debian package libpg-query-dev, 15-4.x) ships them.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Icore \
 *         tests/fuzz/fuzz_split_pg.c core/sqltok.c -lpg_query -o /tmp/fsp
 *   /tmp/fsp -dict=tests/fuzz/split_pg.dict tests/fuzz/corpus/split_pg
 *
 * Input: SQL text, up to its first NUL byte (the server reads C strings; a
 * revision file cannot hold a NUL) and at most 4096 bytes.
 *
 * PostgreSQL's tokens: pg_query_scan() runs the server's scanner (scan.l,
 * core_yylex) and returns every token with its offset, comments included.
 * On a lexical error (unterminated literal, "trailing junk after numeric
 * literal", zero-length "" ...) it returns no token but the error's
 * position: the input is scanned again up to there, and only that prefix is
 * compared (the server rejects the whole text; what matters is that sqltok
 * does not split differently before the error).  Token ends come from the
 * scanner, except for U&'...' and U&"..." whose reported end is not
 * reliable: there the end is the last non-blank byte before the next token.
 *
 * One difference between libpg_query and the server is known: libpg_query
 * patches scan.l so that comments are tokens, which also drops "--"
 * comments from {quotecontinue} (the server continues E'a' -- c<newline>'b'
 * into one literal, libpg_query does not).  Only E'' literals make that
 * visible to a splitter (the continued part keeps backslash escapes), so an
 * E'' literal followed by such a continuation ends the compared prefix;
 * sqltok follows the server there (unit tests in tests/core/test_sqltok.c).
 *
 * The reference split over those tokens is psql's rule as sqltok documents
 * it: ';' ends a statement outside parentheses (CREATE RULE ... DO (a; b)),
 * except in a CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC body,
 * where BEGIN ATOMIC and CASE open a level and END closes one (words
 * outside parentheses) - with sqltok's refinements for CASE and END used as
 * column labels (psql miscounts SELECT 1 AS case; t.end; SELECT 1 end): not
 * after '.' or AS, a ';' closes any open CASE, and the body's END comes
 * right after a ';' or the ATOMIC; a body statement that is a CREATE
 * [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC opens a body inside the
 * body, as the grammar nests them (psql does not: it closes the outer body
 * at the inner END).  Unbalanced parentheses are not skipped: a stray
 * ')' does not go below zero and an unclosed '(' makes the rest one
 * statement, in both (pg_query_split_with_scanner is not used: it counts a
 * stray ')' below zero, ignores BEGIN ATOMIC and drops statements without
 * a keyword).
 *
 * Invariants (abort() on violation):
 *   1. sqltok's statements equal the reference's: same start, end and
 *      terminating ';' - unless sqltok returns MIG_TOK_ERROR (a refusal).
 *   2. The reference's rule is PostgreSQL's grammar: when the whole input
 *      parses (pg_query_split_with_parser: the raw parser, as pg_ext runs
 *      revision bodies), its statements end at the reference's ';'s.
 */
#include "split_check.h"

#include <pg_query.h>
#include <stdint.h>

#define MAX_INPUT 4096

/* Bison token numbers of libpg_query 15 (pg_query.proto, enum Token). */
enum {
    PGT_DOT = 46,
    PGT_LPAREN = 40,
    PGT_RPAREN = 41,
    PGT_SEMI = 59,
    PGT_IDENT = 258,
    PGT_UIDENT = 259,
    PGT_SCONST = 261,
    PGT_USCONST = 262,
    PGT_SQL_COMMENT = 275,
    PGT_C_COMMENT = 276
};

typedef struct {
    size_t start, end;
    int kind;
    int keyword; /* keyword_kind != NO_KEYWORD */
} pgtok;

/* ---- protobuf (wire format) reading: ScanResult { repeated ScanToken tokens = 2; }
 *      ScanToken { int32 start = 1; int32 end = 2; Token token = 4; KeywordKind keyword_kind = 5; } */

static const uint8_t *varint(const uint8_t *p, const uint8_t *e, uint64_t *v)
{
    int shift = 0;
    *v = 0;
    while (p < e && shift < 64) {
        uint8_t b = *p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return p;
        shift += 7;
    }
    fprintf(stderr, "pg_query_scan: bad protobuf varint\n");
    abort();
}

static size_t decode_tokens(const PgQueryProtobuf *pb, pgtok *out, size_t max, size_t len)
{
    const uint8_t *p = (const uint8_t *)pb->data, *e = p + pb->len;
    size_t n = 0;
    while (p < e) {
        uint64_t tag, l;
        p = varint(p, e, &tag);
        if ((tag & 7) == 0) {
            uint64_t v;
            p = varint(p, e, &v);
            continue;
        }
        CHECK((tag & 7) == 2);
        p = varint(p, e, &l);
        CHECK(l <= (uint64_t)(e - p));
        if ((tag >> 3) == 2) {
            const uint8_t *te = p + l;
            uint64_t f, v, start = 0, end = 0, kind = 0, kw = 0;
            while (p < te) {
                p = varint(p, te, &f);
                CHECK((f & 7) == 0);
                p = varint(p, te, &v);
                switch (f >> 3) {
                case 1: start = v; break;
                case 2: end = v; break;
                case 4: kind = v; break;
                case 5: kw = v; break;
                default: break;
                }
            }
            CHECK(n < max);
            CHECK(start < len && end <= len);
            out[n].start = (size_t)start;
            out[n].end = (size_t)end;
            out[n].kind = (int)kind;
            out[n].keyword = kw != 0;
            n++;
        } else {
            p += l;
        }
    }
    return n;
}

/* Byte offset of the 1-based character position pos (UTF-8, pg_utf_mblen). */
static size_t char_to_byte(const char *s, size_t len, int pos)
{
    size_t off = 0;
    int i;
    for (i = 1; i < pos && off < len; i++) {
        unsigned char c = (unsigned char)s[off];
        off += (c & 0x80) == 0 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
    }
    return off > len ? len : off;
}

/* Scan s[0, *known): the tokens, and *known lowered to the position of the
 * first lexical error (rescanning the prefix before it). */
static size_t pg_tokens(const char *s, size_t *known, pgtok *out)
{
    char *buf = malloc(*known + 1);
    size_t ntok = 0;
    int tries;
    CHECK(buf != NULL);
    for (tries = 0; tries < 16; tries++) {
        PgQueryScanResult r;
        memcpy(buf, s, *known);
        buf[*known] = '\0';
        r = pg_query_scan(buf);
        if (!r.error) {
            ntok = decode_tokens(&r.pbuf, out, *known + 1, *known);
            pg_query_free_scan_result(r);
            free(buf);
            return ntok;
        }
        {
            size_t b = r.error->cursorpos > 0 ? char_to_byte(buf, *known, r.error->cursorpos) : 0;
            pg_query_free_scan_result(r);
            if (b >= *known) /* no progress: give up on this input */
                b = 0;
            *known = b;
        }
        if (*known == 0)
            break;
    }
    *known = 0;
    free(buf);
    return 0;
}

/* The server's {quotecontinue} after a literal ending at i (comments
 * allowed; see scan.l): the offset of the continuing quote, or 0. */
static size_t server_quote_continue(const char *s, size_t len, size_t i)
{
    int nl = 0;
    for (;;) {
        if (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f' || (nl && (s[i] == '\n' || s[i] == '\r')))) {
            i++;
        } else if (!nl && i < len && (s[i] == '\n' || s[i] == '\r')) {
            nl = 1;
            i++;
        } else if (i + 1 < len && s[i] == '-' && s[i + 1] == '-') {
            while (i < len && s[i] != '\n' && s[i] != '\r')
                i++;
            if (i >= len)
                return 0;
            if (nl)
                i++; /* after the first newline a comment must end with one */
        } else {
            break;
        }
    }
    return (nl && i < len && s[i] == '\'') ? i : 0;
}

/* End of token k: the scanner's, or for U&'' / U&"" the last non-blank byte
 * before the next token. */
static size_t tok_end(const char *s, const pgtok *tk, size_t ntok, size_t k, size_t known)
{
    size_t e;
    if (tk[k].kind != PGT_USCONST && tk[k].kind != PGT_UIDENT)
        return tk[k].end;
    e = k + 1 < ntok ? tk[k + 1].start : known;
    while (e > tk[k].start + 1 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' ||
                                   s[e - 1] == '\r' || s[e - 1] == '\f'))
        e--;
    return e;
}

static int pg_word(const char *s, const pgtok *t, const char *kw)
{
    if (!(t->keyword || (t->kind == PGT_IDENT && s[t->start] != '"')))
        return 0;
    return ref_word_is(s, t->start, t->end, kw);
}

/* The reference split over the tokens of s[0, known). */
static void reference_split(const char *s, size_t known, const pgtok *tk, size_t ntok,
                            ref_split *ref)
{
    ref_builder b;
    size_t k, paren = 0, depth = 0;
    int head = 0; /* 0 start, 1 CREATE, 2 CREATE OR, 3 CREATE OR REPLACE, -1 done */
    int routine = 0, in_body = 0, body_done = 0, pending_begin = 0;
    int prev_start = 0, prev_label = 0; /* previous body token: ';' / ATOMIC; '.' / AS */
    size_t atomic = 0;                  /* BEGIN ATOMIC bodies open */
    int ihead = 0, ipending = 0;        /* a body statement's head: 0 start, 1 CREATE, 2 CREATE OR,
                                           3 CREATE OR REPLACE, 4 FUNCTION|PROCEDURE, -1 other */

    memset(&b, 0, sizeof b);
    ref->known = known;
    for (k = 0; k < ntok; k++) {
        const pgtok *t = &tk[k];
        if (t->kind == PGT_SQL_COMMENT || t->kind == PGT_C_COMMENT)
            continue;
        if (t->kind == PGT_SEMI && paren == 0 && !in_body) {
            ref_close(ref, &b, t->start);
            head = 0;
            routine = in_body = body_done = pending_begin = 0;
            depth = 0;
            continue;
        }
        ref_token(&b, t->start, tok_end(s, tk, ntok, k, known));
        if (t->kind == PGT_LPAREN)
            paren++;
        else if (t->kind == PGT_RPAREN && paren > 0)
            paren--;

        if (head >= 0) {
            int next = -1;
            if (head == 0 && pg_word(s, t, "CREATE"))
                next = 1;
            else if (head == 1 && pg_word(s, t, "OR"))
                next = 2;
            else if (head == 2 && pg_word(s, t, "REPLACE"))
                next = 3;
            else if ((head == 1 || head == 3) && (pg_word(s, t, "FUNCTION") || pg_word(s, t, "PROCEDURE")))
                routine = 1;
            head = next;
            continue;
        }
        if (!routine)
            continue;
        if (!in_body) {
            if (body_done)
                continue;
            if (pending_begin && pg_word(s, t, "ATOMIC")) {
                pending_begin = 0;
                in_body = 1;
                atomic = 1;
                depth = 0;
                prev_start = 1;
                prev_label = 0;
                ihead = 0;
                ipending = 0;
                continue;
            }
            pending_begin = paren == 0 && pg_word(s, t, "BEGIN");
            continue;
        }
        {
            int was_start = prev_start, was_label = prev_label;
            prev_start = 0;
            prev_label = t->kind == PGT_DOT || pg_word(s, t, "AS");
            if (paren != 0)
                continue;
            if (t->kind == PGT_SEMI) {
                depth = 0;
                prev_start = 1;
                ihead = 0;
                ipending = 0;
                continue;
            }
            /* a body statement that is a CREATE FUNCTION opens a body of its own (the grammar nests) */
            if (ihead == 0)
                ihead = pg_word(s, t, "CREATE") ? 1 : -1;
            else if (ihead == 1)
                ihead = pg_word(s, t, "OR") ? 2 : (pg_word(s, t, "FUNCTION") || pg_word(s, t, "PROCEDURE")) ? 4 : -1;
            else if (ihead == 2)
                ihead = pg_word(s, t, "REPLACE") ? 3 : -1;
            else if (ihead == 3)
                ihead = (pg_word(s, t, "FUNCTION") || pg_word(s, t, "PROCEDURE")) ? 4 : -1;
            else if (ihead == 4) {
                if (ipending && pg_word(s, t, "ATOMIC")) {
                    atomic++;
                    depth = 0;
                    prev_start = 1;
                    prev_label = 0;
                    ihead = 0;
                    ipending = 0;
                    continue;
                }
                ipending = pg_word(s, t, "BEGIN");
            }
            if (!was_label && pg_word(s, t, "CASE")) {
                depth++;
            } else if (!was_label && pg_word(s, t, "END")) {
                if (depth > 0) {
                    depth--;
                } else if (was_start) {
                    if (--atomic == 0) {
                        in_body = 0;
                        body_done = 1;
                    } else {
                        ihead = -1;
                    }
                }
            }
        }
    }
    ref_close(ref, &b, NO_TERM);
}

/* Invariant 2: when the grammar accepts the whole input, its statements
 * end at the reference's terminators. */
static void check_parser(const char *cstr, const char *s, size_t n, const ref_split *ref)
{
    PgQuerySplitResult r = pg_query_split_with_parser(cstr);
    int k;
    if (r.error) {
        pg_query_free_split_result(r);
        return;
    }
    if ((size_t)r.n_stmts != ref->n) {
        fprintf(stderr, "the parser reads %d statements\n", r.n_stmts);
        disagree("PostgreSQL's parser", "the statement count differs", s, n, MIG_DIALECT_POSTGRES,
                 ref);
    }
    for (k = 0; k < r.n_stmts; k++) {
        size_t term = (size_t)r.stmts[k]->stmt_location + (size_t)r.stmts[k]->stmt_len;
        size_t want = ref->v[k].term == NO_TERM ? n : ref->v[k].term;
        if (term != want) {
            fprintf(stderr, "the parser ends statement %d at %zu, the reference at %zu\n", k, term,
                    want);
            disagree("PostgreSQL's parser", "a statement's terminator differs", s, n,
                     MIG_DIALECT_POSTGRES, ref);
        }
    }
    pg_query_free_split_result(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = input_len(data, size, MAX_INPUT), known = n, ntok, k;
    char *s, *cstr;
    pgtok *tk;
    ref_split ref;

    s = malloc(n ? n : 1); /* exact size: ASan sees any read past the end */
    cstr = malloc(n + 1);
    tk = malloc((n + 1) * sizeof *tk);
    CHECK(s != NULL && cstr != NULL && tk != NULL);
    memcpy(s, data, n);
    memcpy(cstr, data, n);
    cstr[n] = '\0';

    ntok = pg_tokens(s, &known, tk);

    /* libpg_query's {quotecontinue} takes no comments; the server's does */
    for (k = 0; k < ntok; k++) {
        const pgtok *t = &tk[k];
        if (t->kind == PGT_SCONST && (s[t->start] == 'E' || s[t->start] == 'e') &&
            server_quote_continue(s, n, t->end) != 0) {
            known = t->start;
            ntok = k;
            break;
        }
    }

    ref_init(&ref);
    reference_split(s, known, tk, ntok, &ref);
    compare_split("PostgreSQL", s, n, MIG_DIALECT_POSTGRES, &ref);
    if (known == n)
        check_parser(cstr, s, n, &ref);

    ref_free(&ref);
    free(tk);
    free(cstr);
    free(s);
    return 0;
}

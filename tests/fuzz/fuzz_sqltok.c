/*
 * fuzz_sqltok.c - libFuzzer target for the SQL statement splitter.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Icore tests/fuzz/fuzz_sqltok.c core/sqltok.c
 *   ./a.out -max_total_time=300 corpus/
 *
 * Input: byte 0 chooses the dialect and options, byte 1 a start offset and
 * buffer sizes, the rest is the SQL text.  Every buffer handed to the
 * splitter is an exact-size heap copy, so ASan catches any read past len.
 *
 * Invariants checked (abort() on violation):
 *   - results are OK, END or ERROR; statements come in order, do not
 *     overlap, lie inside the buffer, and each call makes progress;
 *   - a statement starts on a significant byte (no white space, ';' or
 *     comment) and ends on one; its line is 1 + the line breaks before it.
 *     "Significant" follows the databases' tokenizers: \v is an ordinary
 *     character in PostgreSQL 15 and, in SQLite, wherever it does not
 *     continue a run of white space; SQLite reads a BOM at a token start as
 *     white space, and "/" "*" as the last two bytes as two operators;
 *   - *pos stops right after a ';' or at len; END leaves *pos at len and
 *     stays END; ERROR leaves *pos alone, is repeatable, and its message is
 *     "unterminated ... starting at line N" with N a line of the buffer at
 *     or after the line of *pos, truncated safely to any errlen;
 *   - the iterator gives exactly the results of mig_sql_next;
 *   - re-splitting a statement's own text gives that one statement back, and
 *     re-splitting the gaps between statements gives none;
 *   - first_word / first_two_words / is_txn_control stay inside their
 *     buffers and agree with the statement's text.
 */
#include "sqltok.h"

#include <stdint.h>
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

/* White space that starts a run (\v only continues one, in SQLite). */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The statement s[a, b) of a buffer of len bytes starts and ends on a
 * significant byte. */
static int significant_ends(const char *s, size_t len, size_t a, size_t b, mig_dialect d)
{
    size_t j = b;
    if (is_space((unsigned char)s[a]) || s[a] == ';')
        return 0;
    if (b - a >= 2 && s[a] == '-' && s[a + 1] == '-')
        return 0;
    if (b - a >= 2 && s[a] == '/' && s[a + 1] == '*' && (d == MIG_DIALECT_POSTGRES || a + 2 < len))
        return 0;
    if (d == MIG_DIALECT_SQLITE && len - a >= 3 && (unsigned char)s[a] == 0xEF &&
        (unsigned char)s[a + 1] == 0xBB && (unsigned char)s[a + 2] == 0xBF)
        return 0;
    if (is_space((unsigned char)s[b - 1]))
        return 0;
    /* trailing \v: in SQLite, not after a white space that starts a run */
    while (j > a && s[j - 1] == '\v')
        j--;
    if (d == MIG_DIALECT_SQLITE && j < b && j > a && is_space((unsigned char)s[j - 1]))
        return 0;
    return 1;
}

static int is_ident_cont(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

/* Reference line counter, written independently of the splitter's. */
static unsigned line_of(const char *s, size_t len, size_t off)
{
    unsigned line = 1;
    size_t i;
    for (i = 0; i < off; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
            line++;
    }
    return line;
}

/* Length of the NUL-terminated string in buf[0, size), or size when no NUL
 * is there (strnlen is not C99). */
static size_t bounded_len(const char *buf, size_t size)
{
    const char *nul = memchr(buf, '\0', size);
    return nul ? (size_t)(nul - buf) : size;
}

static char *dup_exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    CHECK(p != NULL);
    if (n)
        memcpy(p, s, n);
    return p;
}

/* Split a copy of s[0, n) and return the number of statements; -1 on error.
 * When want_len is not (size_t)-1, check that the single statement found
 * starts at 0 and has that length. */
static int resplit(const char *s, size_t n, mig_dialect d, size_t want_len)
{
    char *copy = dup_exact(s, n);
    char err[128];
    size_t pos = 0;
    mig_sql_stmt st;
    mig_tok_result r;
    int count = 0;

    while ((r = mig_sql_next(copy, n, &pos, d, &st, err, sizeof err)) == MIG_TOK_OK) {
        if (want_len != (size_t)-1)
            CHECK(count == 0 && st.start == 0 && st.len == want_len && st.line == 1);
        count++;
        CHECK(count <= (int)n);
    }
    free(copy);
    return r == MIG_TOK_ERROR ? -1 : count;
}

/* Checks on the keyword helpers.  stmt: s is a statement from the
 * splitter, so it starts on a significant byte. */
static void check_words(const char *s, size_t n, mig_dialect d, size_t buflen, int stmt)
{
    char *buf = malloc(buflen);
    char two[64];
    size_t k, wl;
    int txn;

    CHECK(buf != NULL);
    memset(buf, 0x55, buflen);
    mig_sql_first_word(s, n, buf, buflen);
    wl = bounded_len(buf, buflen);
    CHECK(wl < buflen);
    CHECK(wl <= n);
    if (!stmt) {
        /* raw input: only bounds and the results' ranges */
        mig_sql_first_two_words(s, n, two, sizeof two);
        CHECK(bounded_len(two, sizeof two) < sizeof two);
        txn = mig_sql_is_txn_control(s, n, d);
        CHECK(txn == 0 || txn == 1);
        free(buf);
        return;
    }
    /* the statement starts on a significant byte, so the word is a prefix;
     * except that first_word reads SQLite's rules, where a BOM that starts
     * a PostgreSQL statement (an identifier there) is white space */
    if (d == MIG_DIALECT_POSTGRES && n >= 3 && (unsigned char)s[0] == 0xEF &&
        (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) {
        free(buf);
        return;
    }
    for (k = 0; k < wl; k++) {
        unsigned char c = (unsigned char)s[k];
        unsigned char u = (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c;
        CHECK((unsigned char)buf[k] == u);
        CHECK(!(buf[k] >= 'a' && buf[k] <= 'z'));
    }
    if (wl > 0)
        CHECK(wl == n || !is_ident_cont((unsigned char)s[wl]));

    mig_sql_first_two_words(s, n, two, sizeof two);
    CHECK(bounded_len(two, sizeof two) < sizeof two);
    if (wl > 0 && strlen(two) > 0)
        CHECK(strncmp(two, buf, wl) == 0 && (two[wl] == '\0' || two[wl] == ' '));

    txn = mig_sql_is_txn_control(s, n, d);
    CHECK(txn == 0 || txn == 1);
    if (txn) {
        mig_sql_first_word(s, n, two, sizeof two);
        CHECK(strcmp(two, "BEGIN") == 0 || strcmp(two, "START") == 0 ||
              strcmp(two, "COMMIT") == 0 || strcmp(two, "END") == 0 ||
              strcmp(two, "ROLLBACK") == 0 || strcmp(two, "ABORT") == 0 ||
              strcmp(two, "PREPARE") == 0);
    }
    free(buf);
}

/* Check a "unterminated ... starting at line N" message. */
static void check_error(const char *err, unsigned min_line, unsigned max_line)
{
    const char *p = strstr(err, " starting at line ");
    unsigned long line;
    CHECK(strncmp(err, "unterminated ", 13) == 0);
    CHECK(p != NULL);
    line = strtoul(p + 18, NULL, 10);
    CHECK(line >= min_line && line <= max_line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mig_dialect d;
    const char *sql;
    size_t len, pos, prev, first_pos;
    unsigned max_line;
    mig_sql_iter it;
    char err[128], err2[128];
    size_t small_errlen, wordbuf;
    int guard = 0;

    if (size < 2)
        return 0;
    d = (data[0] & 1) ? MIG_DIALECT_POSTGRES : MIG_DIALECT_SQLITE;
    small_errlen = (size_t)(data[0] >> 1) % 48;
    wordbuf = 1 + (size_t)(data[1] % 24);
    sql = (const char *)data + 2;
    len = size - 2;
    max_line = line_of(sql, len, len);

    /* 1. Split from 0 with mig_sql_next and the iterator in lock step. */
    pos = 0;
    mig_sql_iter_init(&it, sql, len, d);
    for (;;) {
        mig_sql_stmt st, st2;
        mig_tok_result r, r2;

        prev = pos;
        CHECK(++guard <= (int)len + 2);
        memset(&st, 0xAA, sizeof st);
        r = mig_sql_next(sql, len, &pos, d, &st, err, sizeof err);
        r2 = mig_sql_iter_next(&it, &st2, err2, sizeof err2);
        CHECK(r == MIG_TOK_OK || r == MIG_TOK_END || r == MIG_TOK_ERROR);
        CHECK(r == r2 && pos == it.pos);
        CHECK(it.line == line_of(sql, len, it.pos));

        if (r == MIG_TOK_END) {
            CHECK(pos == len);
            CHECK(resplit(sql + prev, len - prev, d, (size_t)-1) == 0);
            CHECK(mig_sql_next(sql, len, &pos, d, &st, err, sizeof err) == MIG_TOK_END);
            break;
        }
        if (r == MIG_TOK_ERROR) {
            char *small = malloc(small_errlen ? small_errlen : 1); /* exact size */
            CHECK(small != NULL);
            CHECK(pos == prev);
            CHECK(strcmp(err, err2) == 0);
            check_error(err, line_of(sql, len, prev), max_line);
            /* repeatable, and safely truncated to any errlen */
            memset(small, 'x', small_errlen);
            CHECK(mig_sql_next(sql, len, &pos, d, &st, small, small_errlen) == MIG_TOK_ERROR);
            CHECK(pos == prev);
            if (small_errlen > 0) {
                CHECK(memchr(small, '\0', small_errlen) != NULL);
                CHECK(strncmp(small, err, small_errlen - 1) == 0);
            }
            free(small);
            break;
        }

        /* OK */
        CHECK(st.start == st2.start && st.len == st2.len && st.line == st2.line);
        CHECK(st.start >= prev && st.start < len);
        CHECK(st.len > 0 && st.len <= len - st.start);
        CHECK(pos > prev && pos <= len && st.start + st.len <= pos);
        CHECK(pos == len || sql[pos - 1] == ';');
        CHECK(st.start + st.len < pos || pos == len);
        CHECK(significant_ends(sql, len, st.start, st.start + st.len, d));
        CHECK(st.line == line_of(sql, len, st.start));

        /* the statement alone is one statement; the gaps hold none */
        CHECK(resplit(sql + st.start, st.len, d, st.len) == 1);
        CHECK(resplit(sql + prev, st.start - prev, d, (size_t)-1) == 0);
        CHECK(resplit(sql + st.start + st.len, pos - st.start - st.len, d, (size_t)-1) == 0);

        check_words(sql + st.start, st.len, d, wordbuf, 1);
    }

    /* 2. Start anywhere: only bounds and progress can be checked. */
    first_pos = len ? (size_t)data[1] * 7 % (len + 1) : 0;
    pos = first_pos;
    guard = 0;
    for (;;) {
        mig_sql_stmt st;
        mig_tok_result r;
        prev = pos;
        CHECK(++guard <= (int)len + 2);
        r = mig_sql_next(sql, len, &pos, d, &st, err, sizeof err);
        if (r != MIG_TOK_OK) {
            CHECK(r == MIG_TOK_END ? pos == len : pos == prev);
            if (r == MIG_TOK_ERROR)
                check_error(err, line_of(sql, len, prev), max_line);
            break;
        }
        CHECK(st.start >= prev && st.len > 0 && st.start + st.len <= pos && pos <= len &&
              pos > prev);
        CHECK(st.line == line_of(sql, len, st.start));
    }

    /* 3. The keyword helpers on the raw input. */
    check_words(sql, len, d, wordbuf, 0);
    return 0;
}

/*
 * sqltok.h - SQL statement splitter of mig's shared engine.
 *
 * Splits a buffer of SQL text into statements on ';' while honouring the
 * lexical rules of SQLite and PostgreSQL: quoted strings and identifiers,
 * comments, PostgreSQL dollar quotes and E'' strings, SQLite [brackets],
 * `backticks` and parameters ($a(...) swallows quotes as SQLite's tokenizer
 * does), SQLite CREATE TRIGGER ... BEGIN ... END bodies and PostgreSQL
 * BEGIN ATOMIC ... END routine bodies.  The lexical rules are those of
 * SQLite 3.40's and PostgreSQL 15's own tokenizers (see sqltok.c), checked
 * against them by the differential fuzzers tests/fuzz/fuzz_split_*.c.
 *
 * Plain C99: no allocation, no globals, no database headers.  Every function
 * works on the caller's buffer, which need not be NUL-terminated.
 */
#ifndef MIG_SQLTOK_H
#define MIG_SQLTOK_H

#include <stddef.h>

#include "mig_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t start;  /* offset of the statement's first significant character
                      (after whitespace/comments) */
    size_t len;    /* length up to but not including the terminating ';'
                      (trailing whitespace and trailing comments excluded) */
    unsigned line; /* 1-based line number of `start` */
} mig_sql_stmt;

typedef enum { MIG_TOK_OK = 0, MIG_TOK_END = 1, MIG_TOK_ERROR = -1 } mig_tok_result;

/*
 * Find the next statement at or after *pos.
 *
 * OK:    fills *out and advances *pos past the terminating ';' (or to len when
 *        the last statement has no ';').  Empty statements (only whitespace,
 *        comments and ';') are skipped.
 * END:   no statement is left; *pos is set to len, *out is not touched.
 * ERROR: an unterminated string, quoted identifier, dollar quote, block
 *        comment (PostgreSQL: SQLite reads an unterminated one as a comment
 *        up to the end), trigger body or BEGIN ATOMIC block; a message such as
 *        "unterminated dollar-quoted string starting at line 12" is written to
 *        errbuf (truncated to errlen bytes, always NUL-terminated when
 *        errlen > 0; errbuf may be NULL).  *pos and *out are left unchanged.
 *        Also returned for invalid arguments (NULL sql with len > 0, NULL
 *        pos/out, unknown dialect).
 *
 * Lines are broken by "\n", "\r\n" or a lone "\r".  Line numbers count from
 * the start of the buffer, so each call counts the lines before *pos; use
 * mig_sql_iter below to split a large buffer in linear time.
 *
 * PostgreSQL only: like psql, a ';' inside parentheses does not end a
 * statement (CREATE RULE ... DO (a; b)); unbalanced '(' at the end of input
 * yields the rest of the input as one statement for the server to reject.
 * E'' strings follow standard_conforming_strings = on for plain '' strings.
 */
mig_tok_result mig_sql_next(const char *sql, size_t len, size_t *pos, mig_dialect d,
                            mig_sql_stmt *out, char *errbuf, size_t errlen);

/*
 * Iterator over the statements of one buffer: same results as calling
 * mig_sql_next repeatedly, but it remembers the line number of its position
 * so the whole buffer is scanned once.  On ERROR the iterator does not move.
 */
typedef struct {
    const char *sql;
    size_t len;
    size_t pos;        /* next offset to scan (as *pos of mig_sql_next) */
    unsigned line;     /* 1-based line number of pos */
    mig_dialect dialect;
} mig_sql_iter;

void mig_sql_iter_init(mig_sql_iter *it, const char *sql, size_t len, mig_dialect d);
mig_tok_result mig_sql_iter_next(mig_sql_iter *it, mig_sql_stmt *out, char *errbuf,
                                 size_t errlen);

/*
 * Copy the first keyword of a statement, upper-cased (ASCII), into buf:
 * "CREATE", "BEGIN", "COMMIT"...  Leading whitespace and comments are skipped
 * as SQLite's tokenizer does (block comments not nested, "--" comments up to
 * "\n" only, a byte order mark is white space).  buf receives the empty
 * string when the statement does not start with a bare word (a quoted
 * identifier, a parenthesis, a number...) or when the word does not fit in
 * buf: it is never truncated, so "COMMITTED" can't become "COMMIT".
 * Nothing is written when buf is NULL or buflen is 0.
 */
void mig_sql_first_word(const char *stmt, size_t len, char *buf, size_t buflen);

/*
 * Same for the first two keywords joined by one space: "ROLLBACK TO",
 * "CREATE INDEX".  When the second token is not a bare word (or there is
 * none) buf receives the first word alone ("COMMIT", "SELECT").
 */
void mig_sql_first_two_words(const char *stmt, size_t len, char *buf, size_t buflen);

/*
 * General form of the two above: the first nwords bare words (stopping at
 * the first token that is not one), upper-cased and joined by single
 * spaces, skipping comments as dialect d does (nested in PostgreSQL).
 * Returns the number of words copied (0 with buf = "" when none, or when the
 * result does not fit in buf).
 */
unsigned mig_sql_leading_words(const char *stmt, size_t len, mig_dialect d, unsigned nwords,
                               char *buf, size_t buflen);

/*
 * 1 if the statement is transaction control that would start or end the
 * caller's transaction, else 0:
 *   BEGIN [...]            (but not PostgreSQL's BEGIN ATOMIC, a routine body)
 *   START TRANSACTION [...]
 *   COMMIT [...]           (including PostgreSQL's COMMIT PREPARED 'gid')
 *   END [...]
 *   ROLLBACK [...]         (including ROLLBACK PREPARED 'gid'), but not
 *                          ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name
 *   ABORT [...]            (PostgreSQL only; not a statement in SQLite)
 *   PREPARE TRANSACTION 'gid'  (PostgreSQL only; not PREPARE name AS ...)
 * SAVEPOINT and RELEASE are not: inside the caller's transaction they nest.
 * Leading whitespace and comments are skipped.
 */
int mig_sql_is_txn_control(const char *stmt, size_t len, mig_dialect d);

#ifdef __cplusplus
}
#endif

/*
 * Skip white space, -- comments, (non-nested) block comments and UTF-8 byte
 * order marks (white space to SQLite) from p: where the next statement
 * really starts.  Never reads at or past end.
 */
const char *mig_sql_skip_blank(const char *p, const char *end);

#endif /* MIG_SQLTOK_H */

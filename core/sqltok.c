/*
 * sqltok.c - SQL statement splitter of mig's shared engine (see sqltok.h).
 *
 * The splitter is a small hand-written lexer.  It only knows as much SQL as
 * it takes to find the ';' that ends a statement:
 *
 *   - tokens that may contain a ';' and must be skipped whole: quoted strings,
 *     quoted identifiers, comments, PostgreSQL dollar quotes;
 *   - bare words, so that keywords are recognised as whole words only;
 *   - parentheses (PostgreSQL, as psql does: "DO ALSO (a; b)");
 *   - two statement forms whose body holds several ';'-terminated statements:
 *       SQLite      CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN stmt; ... END
 *       PostgreSQL  CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC
 *                   stmt; ... END
 *
 * Trigger bodies (SQLite).  Every statement of a trigger body ends with ';'
 * (the grammar requires it), so the END that closes the body is exactly the
 * END that follows a ';' (or the BEGIN itself).  CASE ... END never follows a
 * ';', and neither does a column named "end", which SQLite allows.  This is
 * also the rule sqlite3_complete() uses.
 *
 * BEGIN ATOMIC bodies (PostgreSQL).  As in psql, BEGIN ATOMIC opens a level,
 * CASE opens one and END closes one, counting only words outside
 * parentheses; the body ends when the count drops back to zero.  END and
 * CASE are reserved words in PostgreSQL, so they cannot be column names.
 *
 * Line numbers are not tracked token by token: the scanner remembers the
 * line of one offset and counts line breaks forward only when a line number
 * is actually needed (a statement start, an error).
 */
#include "sqltok.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Returned by the skip_* helpers for a token that runs off the buffer. */
#define UNTERMINATED ((size_t)-1)

/* ------------------------------------------------------------------------ */
/* Character classes.  ASCII only and locale independent; bytes >= 0x80 are */
/* identifier characters, as in both PostgreSQL and SQLite.                 */
/* ------------------------------------------------------------------------ */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* First character of an identifier (and of a dollar-quote tag). */
static int is_ident_start(unsigned char c) { return is_alpha(c) || c == '_' || c >= 0x80; }

/* Later characters of a dollar-quote tag: no '$'. */
static int is_tag_char(unsigned char c) { return is_ident_start(c) || is_digit(c); }

/* Later characters of an identifier: '$' is allowed after the first. */
static int is_ident_cont(unsigned char c) { return is_tag_char(c) || c == '$'; }

static unsigned char to_upper(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* 1 if the n bytes at p spell keyword kw (upper case), ignoring case. */
static int word_is(const char *p, size_t n, const char *kw)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (kw[i] == '\0' || to_upper((unsigned char)p[i]) != (unsigned char)kw[i])
            return 0;
    }
    return kw[n] == '\0';
}

/* ------------------------------------------------------------------------ */
/* Line counting                                                            */
/* ------------------------------------------------------------------------ */

/* Number of line breaks ("\n", "\r\n" or a lone "\r") in s[from, to).  A
 * "\r" counts only when no "\n" follows it anywhere in the buffer, so the
 * count does not depend on where a range is cut. */
static size_t count_breaks(const char *s, size_t len, size_t from, size_t to)
{
    size_t n = 0, i;
    for (i = from; i < to; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= len || s[i + 1] != '\n')))
            n++;
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Skipping tokens that can hide a ';'.  Each takes the offset of the token */
/* and returns the offset just past it, or UNTERMINATED.                    */
/* ------------------------------------------------------------------------ */

/* A quoted token opened by s[i] == q: '...', "...", `...`.  A doubled quote
 * stands for itself.  With backslash set (PostgreSQL E'...'), a backslash
 * escapes the next byte, including a quote. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char q, int backslash)
{
    for (i++; i < len; i++) {
        if (backslash && s[i] == '\\') {
            i++; /* skip the escaped byte (the loop's i++ moves past it) */
            continue;
        }
        if (s[i] == q) {
            if (i + 1 < len && s[i + 1] == q) {
                i++; /* doubled quote */
                continue;
            }
            return i + 1;
        }
    }
    return UNTERMINATED;
}

/* SQLite [identifier]: no escapes, ends at the first ']'. */
static size_t skip_bracket(const char *s, size_t len, size_t i)
{
    const char *e = memchr(s + i + 1, ']', len - i - 1);
    return e ? (size_t)(e - s) + 1 : UNTERMINATED;
}

/* "-- ..." up to (not including) the line break, or to the end. */
static size_t skip_line_comment(const char *s, size_t len, size_t i)
{
    for (i += 2; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            break;
    }
    return i;
}

/* Block comment opened by "/" "*" at i.  PostgreSQL nests them, SQLite
 * ends at the first "*" "/". */
static size_t skip_block_comment(const char *s, size_t len, size_t i, int nested)
{
    size_t depth = 1;
    i += 2;
    while (i < len) {
        if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else if (nested && s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            i += 2;
            depth++;
        } else {
            i++;
        }
    }
    return UNTERMINATED;
}

/* Length of the dollar-quote delimiter ("$$" or "$tag$") at s[i] == '$', or
 * 0 when there is none there ("$1" is a parameter, "$x" alone is not a
 * delimiter).  The tag is an identifier that does not start with a digit and
 * holds no '$'. */
static size_t dollar_delim_len(const char *s, size_t len, size_t i)
{
    size_t j = i + 1;
    if (j < len && s[j] != '$') {
        if (!is_ident_start((unsigned char)s[j]))
            return 0;
        while (j < len && is_tag_char((unsigned char)s[j]))
            j++;
    }
    if (j >= len || s[j] != '$')
        return 0;
    return j + 1 - i;
}

/* Dollar-quoted string whose opening delimiter of dlen bytes is at i: ends
 * after the next occurrence of the same delimiter (case-sensitive).  As the
 * tag holds no '$', every comparison stops at the next '$' of the body, so
 * the search is linear. */
static size_t skip_dollar(const char *s, size_t len, size_t i, size_t dlen)
{
    size_t j = i + dlen;
    while (j < len) {
        const char *d = memchr(s + j, '$', len - j);
        if (!d)
            break;
        j = (size_t)(d - s);
        if (len - j >= dlen && memcmp(s + j, s + i, dlen) == 0)
            return j + dlen;
        j++;
    }
    return UNTERMINATED;
}

/* End of the comment starting at i: i itself when no comment starts there,
 * UNTERMINATED for an unterminated block comment. */
static size_t skip_comment(const char *s, size_t len, size_t i, int nested)
{
    if (i + 1 < len && s[i] == '-' && s[i + 1] == '-')
        return skip_line_comment(s, len, i);
    if (i + 1 < len && s[i] == '/' && s[i + 1] == '*')
        return skip_block_comment(s, len, i, nested);
    return i;
}

/* Offset of the first byte at or after i that is neither white space nor in
 * a comment; len at the end (also when a block comment is unterminated). */
static size_t skip_insignificant(const char *s, size_t len, size_t i, int nested)
{
    while (i < len) {
        size_t e;
        if (is_space((unsigned char)s[i])) {
            i++;
            continue;
        }
        e = skip_comment(s, len, i, nested);
        if (e == i)
            break;
        i = (e == UNTERMINATED) ? len : e;
    }
    return i;
}

/* ------------------------------------------------------------------------ */
/* The scanner                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *s;
    size_t len;
    int pg;           /* 1 for PostgreSQL rules, 0 for SQLite */
    size_t line_off;  /* line is the line number of offset line_off */
    unsigned line;
    char *errbuf;
    size_t errlen;
} scanner;

/* Line number of offset off. */
static unsigned line_at(scanner *sc, size_t off)
{
    size_t n;
    if (off < sc->line_off) { /* never happens in practice; stay correct */
        sc->line_off = 0;
        sc->line = 1;
    }
    n = count_breaks(sc->s, sc->len, sc->line_off, off);
    sc->line = (n > (size_t)(UINT_MAX - sc->line)) ? UINT_MAX : sc->line + (unsigned)n;
    sc->line_off = off;
    return sc->line;
}

static void set_error(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", msg);
}

/* Report "unterminated WHAT starting at line N" for a token at offset off. */
static void fail(scanner *sc, const char *what, size_t off)
{
    unsigned line = line_at(sc, off);
    if (sc->errbuf && sc->errlen > 0)
        snprintf(sc->errbuf, sc->errlen, "unterminated %s starting at line %u", what, line);
}

/* Token kinds that matter to the statement state. */
enum { T_WORD, T_SEMI, T_OPEN, T_CLOSE, T_OTHER };

/* How far the statement head "CREATE [TEMP] TRIGGER" / "CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE" has been matched. */
enum { H_START, H_CREATE, H_CREATE_TEMP, H_CREATE_OR, H_CREATE_OR_REPLACE, H_DONE };

/* What kind of statement it is, as far as ';' is concerned. */
enum { K_PLAIN, K_TRIGGER, K_ROUTINE };

typedef struct {
    int head;           /* H_*: head matching progress */
    int kind;           /* K_* */
    size_t paren;       /* parenthesis depth (never below 0) */
    int in_body;        /* inside BEGIN ... END: ';' does not end the statement */
    int body_done;      /* the body was closed; no second one */
    size_t begin_off;   /* offset of the BEGIN that opened the body */
    int after_semi;     /* SQLite: previous body token was ';' or the BEGIN */
    int pending_begin;  /* PostgreSQL: previous token was BEGIN (ATOMIC?) */
    size_t depth;       /* PostgreSQL: open BEGIN ATOMIC / CASE levels */
} stmt_state;

/* Advance the head matcher by one significant token. */
static void feed_head(stmt_state *st, int pg, int tok, const char *w, size_t n)
{
    int next = H_DONE;
    if (tok == T_WORD) {
        switch (st->head) {
        case H_START:
            if (word_is(w, n, "CREATE"))
                next = H_CREATE;
            break;
        case H_CREATE:
            if (!pg && (word_is(w, n, "TEMP") || word_is(w, n, "TEMPORARY")))
                next = H_CREATE_TEMP;
            else if (!pg && word_is(w, n, "TRIGGER"))
                st->kind = K_TRIGGER;
            else if (pg && word_is(w, n, "OR"))
                next = H_CREATE_OR;
            else if (pg && (word_is(w, n, "FUNCTION") || word_is(w, n, "PROCEDURE")))
                st->kind = K_ROUTINE;
            break;
        case H_CREATE_TEMP:
            if (word_is(w, n, "TRIGGER"))
                st->kind = K_TRIGGER;
            break;
        case H_CREATE_OR:
            if (word_is(w, n, "REPLACE"))
                next = H_CREATE_OR_REPLACE;
            break;
        case H_CREATE_OR_REPLACE:
            if (word_is(w, n, "FUNCTION") || word_is(w, n, "PROCEDURE"))
                st->kind = K_ROUTINE;
            break;
        default:
            break;
        }
    }
    st->head = next;
}

/* Track BEGIN ... END bodies; off is the token's offset. */
static void feed_body(stmt_state *st, int tok, const char *w, size_t n, size_t off)
{
    if (st->kind == K_TRIGGER) {
        if (!st->in_body) {
            if (!st->body_done && tok == T_WORD && st->paren == 0 && word_is(w, n, "BEGIN")) {
                st->in_body = 1;
                st->begin_off = off;
                st->after_semi = 1; /* "BEGIN END" closes at once */
            }
            return;
        }
        if (tok == T_WORD && st->after_semi && word_is(w, n, "END")) {
            st->in_body = 0;
            st->body_done = 1;
            return;
        }
        st->after_semi = (tok == T_SEMI);
    } else if (st->kind == K_ROUTINE) {
        if (!st->in_body) {
            if (st->body_done)
                return;
            if (st->pending_begin && tok == T_WORD && word_is(w, n, "ATOMIC")) {
                st->pending_begin = 0;
                st->in_body = 1;
                st->depth = 1;
                return;
            }
            st->pending_begin = (tok == T_WORD && st->paren == 0 && word_is(w, n, "BEGIN"));
            if (st->pending_begin)
                st->begin_off = off;
            return;
        }
        if (tok != T_WORD || st->paren != 0)
            return;
        if (word_is(w, n, "CASE")) {
            st->depth++;
        } else if (word_is(w, n, "END")) {
            if (--st->depth == 0) {
                st->in_body = 0;
                st->body_done = 1;
            }
        }
    }
}

/* Lex one significant token other than ';' at i (no white space, no
 * comment).  Sets *tok and returns the offset past it, or UNTERMINATED after
 * reporting the error. */
static size_t lex_token(scanner *sc, size_t i, int *tok)
{
    const char *s = sc->s;
    size_t len = sc->len, e, n;
    unsigned char c = (unsigned char)s[i];

    *tok = T_OTHER;
    switch (c) {
    case '\'':
        e = skip_quoted(s, len, i, '\'', 0);
        if (e == UNTERMINATED)
            fail(sc, "quoted string", i);
        return e;
    case '"':
        e = skip_quoted(s, len, i, '"', 0);
        if (e == UNTERMINATED)
            fail(sc, "quoted identifier", i);
        return e;
    case '(':
        *tok = T_OPEN;
        return i + 1;
    case ')':
        *tok = T_CLOSE;
        return i + 1;
    default:
        break;
    }

    if (!sc->pg) {
        if (c == '`') {
            e = skip_quoted(s, len, i, '`', 0);
            if (e == UNTERMINATED)
                fail(sc, "backtick-quoted identifier", i);
            return e;
        }
        if (c == '[') {
            e = skip_bracket(s, len, i);
            if (e == UNTERMINATED)
                fail(sc, "bracket-quoted identifier", i);
            return e;
        }
        /* Parameters $name :name @name #name: one token, so that ":end"
         * is not the keyword END. */
        if ((c == '$' || c == ':' || c == '@' || c == '#') && i + 1 < len &&
            is_ident_cont((unsigned char)s[i + 1])) {
            for (e = i + 1; e < len && is_ident_cont((unsigned char)s[e]); e++)
                ;
            return e;
        }
    } else if (c == '$') {
        n = dollar_delim_len(s, len, i);
        if (n == 0)
            return i + 1; /* "$1" or a stray '$' */
        e = skip_dollar(s, len, i, n);
        if (e == UNTERMINATED)
            fail(sc, "dollar-quoted string", i);
        return e;
    }

    if (is_ident_start(c)) {
        for (e = i + 1; e < len && is_ident_cont((unsigned char)s[e]); e++)
            ;
        /* PostgreSQL E'...': backslash escapes.  (U&'...', B'...', X'...'
         * and N'...' are lexed like plain strings, which they are for the
         * purpose of finding their end.) */
        if (sc->pg && e == i + 1 && (c == 'E' || c == 'e') && e < len && s[e] == '\'') {
            e = skip_quoted(s, len, e, '\'', 1);
            if (e == UNTERMINATED)
                fail(sc, "quoted string", i);
            return e;
        }
        *tok = T_WORD;
        return e;
    }

    if (is_digit(c)) {
        /* A number, with any identifier junk glued to it ("1end" is not
         * followed by the keyword END).  '$' is not taken: in PostgreSQL
         * "1$$...$$" is a number and a dollar quote. */
        for (e = i + 1; e < len && (is_tag_char((unsigned char)s[e]) || s[e] == '.'); e++)
            ;
        return e;
    }

    return i + 1; /* operator or punctuation byte */
}

/* Find the statement at or after *pos; see mig_sql_next. */
static mig_tok_result scan_stmt(scanner *sc, size_t *pos, mig_sql_stmt *out)
{
    const char *s = sc->s;
    size_t len = sc->len;
    size_t i = *pos, e, start, last_end;
    int terminated = 0;
    stmt_state st;

    /* 1. Skip white space, comments and empty statements. */
    for (;;) {
        if (i >= len) {
            *pos = len;
            return MIG_TOK_END;
        }
        if (is_space((unsigned char)s[i]) || s[i] == ';') {
            i++;
            continue;
        }
        e = skip_comment(s, len, i, sc->pg);
        if (e == UNTERMINATED) {
            fail(sc, "block comment", i);
            return MIG_TOK_ERROR;
        }
        if (e == i)
            break;
        i = e;
    }

    /* 2. Read tokens up to a ';' that ends the statement. */
    start = i;
    last_end = i; /* end of the last significant token */
    memset(&st, 0, sizeof st);
    st.head = H_START;
    st.kind = K_PLAIN;
    while (i < len) {
        size_t tok_start = i;
        int tok;

        if (is_space((unsigned char)s[i])) {
            i++;
            continue;
        }
        e = skip_comment(s, len, i, sc->pg);
        if (e == UNTERMINATED) {
            fail(sc, "block comment", i);
            return MIG_TOK_ERROR;
        }
        if (e != i) {
            i = e;
            continue;
        }

        if (s[i] == ';') {
            if (!st.in_body && (!sc->pg || st.paren == 0)) {
                terminated = 1;
                break;
            }
            tok = T_SEMI;
            i++;
        } else {
            i = lex_token(sc, i, &tok);
            if (i == UNTERMINATED)
                return MIG_TOK_ERROR;
        }
        last_end = i;

        if (tok == T_OPEN)
            st.paren++;
        else if (tok == T_CLOSE && st.paren > 0)
            st.paren--;
        if (st.head != H_DONE)
            feed_head(&st, sc->pg, tok, s + tok_start, i - tok_start);
        feed_body(&st, tok, s + tok_start, i - tok_start, tok_start);
    }

    if (st.in_body) {
        fail(sc, sc->pg ? "BEGIN ATOMIC block (no matching END)"
                        : "trigger body (BEGIN without END)",
             st.begin_off);
        return MIG_TOK_ERROR;
    }

    out->start = start;
    out->len = last_end - start;
    out->line = line_at(sc, start);
    *pos = terminated ? i + 1 : len;
    return MIG_TOK_OK;
}

/* Shared entry of mig_sql_next and mig_sql_iter_next: *line is the line
 * number of *pos, updated with it on OK and END. */
static mig_tok_result next_stmt(const char *sql, size_t len, size_t *pos, unsigned *line,
                                mig_dialect d, mig_sql_stmt *out, char *errbuf, size_t errlen)
{
    scanner sc;
    size_t p;
    mig_tok_result r;

    if ((!sql && len > 0) || !pos || !out) {
        set_error(errbuf, errlen, "invalid arguments to mig_sql_next");
        return MIG_TOK_ERROR;
    }
    if (d != MIG_DIALECT_SQLITE && d != MIG_DIALECT_POSTGRES) {
        set_error(errbuf, errlen, "unknown SQL dialect");
        return MIG_TOK_ERROR;
    }
    if (*pos >= len) {
        *pos = len;
        return MIG_TOK_END;
    }

    sc.s = sql;
    sc.len = len;
    sc.pg = (d == MIG_DIALECT_POSTGRES);
    sc.line_off = *pos;
    sc.line = *line;
    sc.errbuf = errbuf;
    sc.errlen = errlen;

    p = *pos;
    r = scan_stmt(&sc, &p, out);
    if (r != MIG_TOK_ERROR) {
        *line = line_at(&sc, p);
        *pos = p;
    }
    return r;
}

mig_tok_result mig_sql_next(const char *sql, size_t len, size_t *pos, mig_dialect d,
                            mig_sql_stmt *out, char *errbuf, size_t errlen)
{
    unsigned line = 1;

    if (sql && pos && *pos < len) { /* else next_stmt validates and answers */
        size_t n = count_breaks(sql, len, 0, *pos);
        line = (n >= UINT_MAX) ? UINT_MAX : 1 + (unsigned)n;
    }
    return next_stmt(sql, len, pos, &line, d, out, errbuf, errlen);
}

void mig_sql_iter_init(mig_sql_iter *it, const char *sql, size_t len, mig_dialect d)
{
    it->sql = sql;
    it->len = len;
    it->pos = 0;
    it->line = 1;
    it->dialect = d;
}

mig_tok_result mig_sql_iter_next(mig_sql_iter *it, mig_sql_stmt *out, char *errbuf,
                                 size_t errlen)
{
    if (!it) {
        set_error(errbuf, errlen, "invalid arguments to mig_sql_iter_next");
        return MIG_TOK_ERROR;
    }
    return next_stmt(it->sql, it->len, &it->pos, &it->line, it->dialect, out, errbuf, errlen);
}

/* ------------------------------------------------------------------------ */
/* Keywords at the start of a statement                                     */
/* ------------------------------------------------------------------------ */

/* Length of the bare word at s[i], 0 if none.  A one-letter prefix of a
 * string literal (E'..', X'..', B'..', N'..') is not a word. */
static size_t bare_word_at(const char *s, size_t len, size_t i)
{
    size_t e;
    if (i >= len || !is_ident_start((unsigned char)s[i]))
        return 0;
    for (e = i + 1; e < len && is_ident_cont((unsigned char)s[e]); e++)
        ;
    if (e == i + 1 && e < len && s[e] == '\'') {
        unsigned char u = to_upper((unsigned char)s[i]);
        if (u == 'E' || u == 'X' || u == 'B' || u == 'N')
            return 0;
    }
    return e - i;
}

/* Skip white space and comments from *i and read a bare word there.
 * Returns its length (0 if the next token is not a bare word) and sets
 * *wstart to it and *i past it. */
static size_t next_word(const char *s, size_t len, size_t *i, int nested, size_t *wstart)
{
    size_t n;
    *i = skip_insignificant(s, len, *i, nested);
    n = bare_word_at(s, len, *i);
    *wstart = *i;
    *i += n;
    return n;
}

unsigned mig_sql_leading_words(const char *stmt, size_t len, mig_dialect d, unsigned nwords,
                               char *buf, size_t buflen)
{
    size_t i = 0, used = 0;
    unsigned count = 0;
    int nested = (d == MIG_DIALECT_POSTGRES);

    if (!buf || buflen == 0)
        return 0;
    buf[0] = '\0';
    if (!stmt)
        return 0;

    while (count < nwords) {
        size_t ws, k, n = next_word(stmt, len, &i, nested, &ws);
        if (n == 0)
            break;
        /* room for the separator, the word and the final NUL */
        if (n + (count > 0) >= buflen - used) {
            buf[0] = '\0'; /* never hand out a truncated keyword */
            return 0;
        }
        if (count > 0)
            buf[used++] = ' ';
        for (k = 0; k < n; k++)
            buf[used++] = (char)to_upper((unsigned char)stmt[ws + k]);
        count++;
    }
    buf[used] = '\0';
    return count;
}

void mig_sql_first_word(const char *stmt, size_t len, char *buf, size_t buflen)
{
    (void)mig_sql_leading_words(stmt, len, MIG_DIALECT_SQLITE, 1, buf, buflen);
}

void mig_sql_first_two_words(const char *stmt, size_t len, char *buf, size_t buflen)
{
    (void)mig_sql_leading_words(stmt, len, MIG_DIALECT_SQLITE, 2, buf, buflen);
}

int mig_sql_is_txn_control(const char *stmt, size_t len, mig_dialect d)
{
    int pg = (d == MIG_DIALECT_POSTGRES);
    size_t i = 0, w, n;

    if (!stmt)
        return 0;
    n = next_word(stmt, len, &i, pg, &w);
    if (n == 0)
        return 0;

    if (word_is(stmt + w, n, "BEGIN")) {
        /* PostgreSQL's BEGIN ATOMIC opens a routine body, not a transaction */
        if (pg) {
            n = next_word(stmt, len, &i, pg, &w);
            if (word_is(stmt + w, n, "ATOMIC"))
                return 0;
        }
        return 1;
    }
    if (word_is(stmt + w, n, "COMMIT") || word_is(stmt + w, n, "END"))
        return 1; /* includes COMMIT PREPARED 'gid' */
    if (word_is(stmt + w, n, "ABORT"))
        return pg;
    if (word_is(stmt + w, n, "START")) {
        n = next_word(stmt, len, &i, pg, &w);
        return word_is(stmt + w, n, "TRANSACTION");
    }
    if (word_is(stmt + w, n, "ROLLBACK")) {
        /* ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name stays inside */
        n = next_word(stmt, len, &i, pg, &w);
        if (word_is(stmt + w, n, "WORK") || word_is(stmt + w, n, "TRANSACTION"))
            n = next_word(stmt, len, &i, pg, &w);
        return !word_is(stmt + w, n, "TO");
    }
    if (pg && word_is(stmt + w, n, "PREPARE")) {
        /* PREPARE TRANSACTION 'gid', not PREPARE transaction [(types)] AS ... */
        n = next_word(stmt, len, &i, pg, &w);
        if (!word_is(stmt + w, n, "TRANSACTION"))
            return 0;
        i = skip_insignificant(stmt, len, i, pg);
        if (i < len && stmt[i] == '(')
            return 0;
        n = next_word(stmt, len, &i, pg, &w);
        return !word_is(stmt + w, n, "AS");
    }
    return 0;
}

const char *mig_sql_skip_blank(const char *p, const char *end)
{
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v'))
            p++;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
            p += 2;
            while (end - p >= 2 && !(p[0] == '*' && p[1] == '/'))
                p++;
            p = end - p >= 2 ? p + 2 : end;
        } else
            return p;
    }
}
